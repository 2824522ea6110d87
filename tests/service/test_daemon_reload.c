/* SPDX-License-Identifier: Apache-2.0 */
/* SIGHUP's reload: what changes live, what a bad file leaves alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "log.h"

struct ctx {
	char conf[64];
	char *argv[10];
	struct tcmud_options opts;
	struct tcmud_daemon d;
};

static void write_conf(const struct ctx *c, const char *text)
{
	FILE *f = fopen(c->conf, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	static struct ctx c;
	char *argv[] = {"tcmud", "-c", c.conf, "--handler-dir", HANDLER_DIR, "--no-netlink",
			"--dbus", "none", NULL};

	memset(&c, 0, sizeof(c));
	snprintf(c.conf, sizeof(c.conf), "/tmp/tcmud-reload-test.%d.conf", (int)getpid());
	memcpy(c.argv, argv, sizeof(argv));
	write_conf(&c, "log_level = info\nhandler_option = rd.mem_limit=2G\n");
	if (tcmud_options_parse(&c.opts, 8, c.argv) != TCMUD_OPTIONS_RUN)
		return -1;
	tcmud_log_set_level(c.opts.log_level);
	if (tcmud_daemon_init(&c.d, &c.opts))
		return -1;
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	tcmud_daemon_fini(&c->d);
	unlink(c->conf);
	tcmud_log_set_level(TCMUD_LOG_INFO);
	return 0;
}

static void test_start_settings_are_in_force(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(c->d.nr_settings, 1);
	assert_string_equal(c->d.settings[0].key, "mem_limit");
	assert_string_equal(c->d.settings[0].value, "2G");
}

static void test_reload_applies_level_and_handler_settings(void **state)
{
	struct ctx *c = *state;

	write_conf(c, "log_level = debug\n"
		      "handler_option = rd.mem_limit=1G\n"
		      "handler_option = rd.defaults=pi=1\n");
	assert_int_equal(tcmud_daemon_reload(&c->d), 0);
	assert_int_equal(tcmud_log_get_level(), TCMUD_LOG_DEBUG);
	assert_int_equal(c->d.nr_settings, 2);
	assert_string_equal(c->d.settings[0].value, "1G");
	assert_string_equal(c->d.settings[1].key, "defaults");
}

static void test_bad_line_keeps_everything(void **state)
{
	struct ctx *c = *state;

	write_conf(c, "log_level = debug\nhandler_option = rd.mem_limit=1G\n");
	assert_int_equal(tcmud_daemon_reload(&c->d), 0);
	/* The second line is wrong: nothing of the file applies, not even
	 * the first. */
	write_conf(c, "log_level = warn\nlog_level = loud\nhandler_option = rd.mem_limit=3G\n");
	assert_int_equal(tcmud_daemon_reload(&c->d), -EINVAL);
	assert_int_equal(tcmud_log_get_level(), TCMUD_LOG_DEBUG);
	assert_string_equal(c->d.settings[0].value, "1G");
	write_conf(c, "no equals sign here\n");
	assert_int_equal(tcmud_daemon_reload(&c->d), -EINVAL);
	write_conf(c, "frobnicate = yes\n");
	assert_int_equal(tcmud_daemon_reload(&c->d), -EINVAL);
	assert_int_equal(tcmud_log_get_level(), TCMUD_LOG_DEBUG);
}

static void test_refused_handler_setting_restores_the_previous(void **state)
{
	struct ctx *c = *state;

	write_conf(c, "log_level = warn\n"
		      "handler_option = rd.mem_limit=4G\n"
		      "handler_option = rd.mem_limit=lots\n");
	assert_int_equal(tcmud_daemon_reload(&c->d), -EINVAL);
	assert_int_equal(tcmud_log_get_level(), TCMUD_LOG_INFO);
	assert_int_equal(c->d.nr_settings, 1);
	assert_string_equal(c->d.settings[0].value, "2G");
	write_conf(c, "handler_option = nosuch.key=1\n");
	assert_int_equal(tcmud_daemon_reload(&c->d), -EINVAL);
	assert_string_equal(c->d.settings[0].value, "2G");
}

static void test_missing_file_is_an_error(void **state)
{
	struct ctx *c = *state;

	/* Given with -c, the file must exist at a reload as at start. */
	unlink(c->conf);
	assert_int_equal(tcmud_daemon_reload(&c->d), -EINVAL);
	assert_int_equal(c->d.nr_settings, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_settings_are_in_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_applies_level_and_handler_settings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_line_keeps_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_handler_setting_restores_the_previous,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_is_an_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
