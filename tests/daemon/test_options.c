/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "options.h"

static enum tcmud_options_result parse(struct tcmud_options *o, int argc, const char **argv)
{
	return tcmud_options_parse(o, argc, (char **)argv);
}

static void no_arguments_gives_defaults(void **state)
{
	struct tcmud_options o;
	const char *argv[] = {"tcmud", "--config", "/nonexistent/but/explicit"};
	/* An explicit config file that does not exist is an error... */
	assert_int_equal(parse(&o, 3, argv), TCMUD_OPTIONS_ERROR);
	/* ...the default one may be absent. */
	const char *plain[] = {"tcmud"};
	assert_int_equal(parse(&o, 1, plain), TCMUD_OPTIONS_RUN);
	assert_string_equal(o.sysfs_root, "/sys");
	assert_string_equal(o.configfs_root, "/sys/kernel/config");
	assert_int_equal(o.log_level, TCMUD_LOG_INFO);
	assert_true(o.netlink);
	assert_true(o.kern_reply);
	assert_true(o.recover);
}

static void command_line_overrides(void **state)
{
	struct tcmud_options o;
	const char *argv[] = {"tcmud", "-l", "debug", "--handler-dir", "/h", "--sysfs-root",
			      "/s", "--configfs-root", "/c", "--dev-root", "/d", "--no-netlink",
			      "--no-kernel-reply", "--no-recover"};
	assert_int_equal(parse(&o, 14, argv), TCMUD_OPTIONS_RUN);
	assert_int_equal(o.log_level, TCMUD_LOG_DEBUG);
	assert_string_equal(o.handler_dir, "/h");
	assert_string_equal(o.sysfs_root, "/s");
	assert_string_equal(o.configfs_root, "/c");
	assert_string_equal(o.dev_root, "/d");
	assert_false(o.netlink);
	assert_false(o.kern_reply);
	assert_false(o.recover);
}

static void bad_values_and_arguments_are_errors(void **state)
{
	struct tcmud_options o;
	const char *a[] = {"tcmud", "--log-level", "loud"};
	assert_int_equal(parse(&o, 3, a), TCMUD_OPTIONS_ERROR);
	const char *b[] = {"tcmud", "stray"};
	assert_int_equal(parse(&o, 2, b), TCMUD_OPTIONS_ERROR);
	const char *c[] = {"tcmud", "--frobnicate"};
	assert_int_equal(parse(&o, 2, c), TCMUD_OPTIONS_ERROR);
}

static void config_file_then_command_line(void **state)
{
	char path[] = "/tmp/tcmud-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# comment\nlog_level = warn\nhandler_dir = /from/file  # trailing\n"
			   "netlink = no\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct tcmud_options o;
	const char *argv[] = {"tcmud", "-c", path, "-l", "error"};
	assert_int_equal(parse(&o, 5, argv), TCMUD_OPTIONS_RUN);
	assert_string_equal(o.handler_dir, "/from/file");
	assert_false(o.netlink);
	assert_int_equal(o.log_level, TCMUD_LOG_ERROR); /* the command line wins */

	FILE *fp = fopen(path, "w");
	fputs("log_level = warn\nno_such_key = 1\n", fp);
	fclose(fp);
	const char *again[] = {"tcmud", "-c", path};
	assert_int_equal(parse(&o, 3, again), TCMUD_OPTIONS_ERROR);
	unlink(path);
}

static void help_and_version_exit_cleanly(void **state)
{
	struct tcmud_options o;
	const char *h[] = {"tcmud", "--help"};
	assert_int_equal(parse(&o, 2, h), TCMUD_OPTIONS_EXIT_OK);
	const char *v[] = {"tcmud", "-V"};
	assert_int_equal(parse(&o, 2, v), TCMUD_OPTIONS_EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_arguments_gives_defaults),
		cmocka_unit_test(command_line_overrides),
		cmocka_unit_test(bad_values_and_arguments_are_errors),
		cmocka_unit_test(config_file_then_command_line),
		cmocka_unit_test(help_and_version_exit_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
