/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
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

static void assert_setting(const struct tcmud_handler_setting *s, const char *subtype,
			   const char *key, const char *value)
{
	assert_string_equal(s->subtype, subtype);
	assert_string_equal(s->key, key);
	assert_string_equal(s->value, value);
}

static void handler_options_in_order(void **state)
{
	char path[] = "/tmp/tcmud-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "handler_option = rd.mem_limit=1G\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct tcmud_options o;
	const char *argv[] = {"tcmud", "-c", path, "-o", "rd.mem_limit = 2G",
			      "--handler-option", "other.flag=", "-o", "rd.x.y=a=b"};
	assert_int_equal(parse(&o, 9, argv), TCMUD_OPTIONS_RUN);
	assert_int_equal(o.nr_handler_settings, 4);
	/* The file first, then the command line, so the command line wins. */
	assert_setting(&o.handler_settings[0], "rd", "mem_limit", "1G");
	assert_setting(&o.handler_settings[1], "rd", "mem_limit", "2G");
	assert_setting(&o.handler_settings[2], "other", "flag", "");
	assert_setting(&o.handler_settings[3], "rd", "x.y", "a=b");
	unlink(path);
	const char *none[] = {"tcmud"};
	assert_int_equal(parse(&o, 1, none), TCMUD_OPTIONS_RUN);
	assert_int_equal(o.nr_handler_settings, 0);
}

static void malformed_handler_options_are_errors(void **state)
{
	static const char *const bad[] = {"rd", "rd.mem_limit", "mem_limit=1G", ".mem_limit=1",
					  "rd.=1", " .k=v", "a/b.k=v"};
	struct tcmud_options o;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = {"tcmud", "-o", bad[i]};
		assert_int_equal(parse(&o, 3, argv), TCMUD_OPTIONS_ERROR);
	}
	char long_value[400];
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	memcpy(long_value, "rd.k=", 5);
	const char *too_long[] = {"tcmud", "-o", long_value};
	assert_int_equal(parse(&o, 3, too_long), TCMUD_OPTIONS_ERROR);
	/* At most TCMUD_MAX_HANDLER_SETTINGS. */
	const char *many[2 * TCMUD_MAX_HANDLER_SETTINGS + 3] = {"tcmud"};
	for (int i = 0; i <= TCMUD_MAX_HANDLER_SETTINGS; i++) {
		many[1 + 2 * i] = "-o";
		many[2 + 2 * i] = "rd.k=v";
	}
	assert_int_equal(parse(&o, 1 + 2 * TCMUD_MAX_HANDLER_SETTINGS, many), TCMUD_OPTIONS_RUN);
	assert_int_equal(o.nr_handler_settings, TCMUD_MAX_HANDLER_SETTINGS);
	assert_int_equal(parse(&o, 3 + 2 * TCMUD_MAX_HANDLER_SETTINGS, many),
			 TCMUD_OPTIONS_ERROR);
}

/* ---- handing settings to handlers -------------------------------------- */

static char got_key[64], got_value[64];
static unsigned configured;

static int fake_configure(const char *key, const char *value, char *why, size_t why_len)
{
	if (strcmp(key, "size") != 0) {
		snprintf(why, why_len, "unknown setting \"%s\"", key);
		return -EINVAL;
	}
	snprintf(got_key, sizeof(got_key), "%s", key);
	snprintf(got_value, sizeof(got_value), "%s", value);
	configured++;
	return 0;
}

static int fake_open(struct tcmud_hdev *dev, char *why, size_t why_len)
{
	return -ENODEV;
}

static int fake_io(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	return TCMUD_STATUS_GOOD;
}

static void registry_applies_settings(void **state)
{
	const struct tcmud_handler fake = {.api_version = TCMUD_HANDLER_API_VERSION,
					   .subtype = "fake", .configure = fake_configure,
					   .open = fake_open, .read = fake_io, .write = fake_io};
	const struct tcmud_handler plain = {.api_version = TCMUD_HANDLER_API_VERSION,
					    .subtype = "plain", .open = fake_open,
					    .read = fake_io, .write = fake_io};
	struct tcmud_registry reg = {0};
	assert_int_equal(tcmud_registry_add(&reg, &fake, NULL), 0);
	assert_int_equal(tcmud_registry_add(&reg, &plain, NULL), 0);

	const struct tcmud_handler_setting good[] = {{"fake", "size", "1G"},
						     {"fake", "size", "2G"}};
	configured = 0;
	assert_int_equal(tcmud_registry_configure_all(&reg, good, 2), 0);
	assert_int_equal(configured, 2);
	assert_string_equal(got_key, "size");
	assert_string_equal(got_value, "2G");

	const struct tcmud_handler_setting unknown = {"nosuch", "size", "1"};
	assert_int_equal(tcmud_registry_configure(&reg, &unknown), -ENOENT);
	const struct tcmud_handler_setting no_op = {"plain", "size", "1"};
	assert_int_equal(tcmud_registry_configure(&reg, &no_op), -EOPNOTSUPP);
	const struct tcmud_handler_setting refused = {"fake", "colour", "blue"};
	assert_int_equal(tcmud_registry_configure(&reg, &refused), -EINVAL);

	/* The first refusal stops the rest. */
	const struct tcmud_handler_setting mixed[] = {{"fake", "size", "3G"},
						      {"fake", "colour", "blue"},
						      {"fake", "size", "4G"}};
	configured = 0;
	assert_int_equal(tcmud_registry_configure_all(&reg, mixed, 3), -EINVAL);
	assert_int_equal(configured, 1);
	assert_string_equal(got_value, "3G");
	tcmud_registry_unload(&reg);
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
		cmocka_unit_test(handler_options_in_order),
		cmocka_unit_test(malformed_handler_options_are_errors),
		cmocka_unit_test(registry_applies_settings),
		cmocka_unit_test(help_and_version_exit_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
