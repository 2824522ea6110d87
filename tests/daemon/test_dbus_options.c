/* SPDX-License-Identifier: Apache-2.0 */
/* The dbus setting: default, command line, config file, refused values. */
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

static void system_bus_by_default(void **state)
{
	struct tcmud_options o;
	const char *argv[] = {"tcmud", "--config", "/dev/null"};
	assert_int_equal(parse(&o, 3, argv), TCMUD_OPTIONS_RUN);
	assert_string_equal(o.dbus, "system");
}

static void command_line_values(void **state)
{
	static const char *const ok[] = {"system", "session", "none", "unix:path=/run/x",
					 "unix:abstract=tcmud", "tcp:host=127.0.0.1,port=4711"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct tcmud_options o;
		char arg[128];
		snprintf(arg, sizeof(arg), "--dbus=%s", ok[i]);
		const char *argv[] = {"tcmud", "--config", "/dev/null", arg};
		assert_int_equal(parse(&o, 4, argv), TCMUD_OPTIONS_RUN);
		assert_string_equal(o.dbus, ok[i]);
	}
	struct tcmud_options o;
	const char *sep[] = {"tcmud", "--config", "/dev/null", "--dbus", "none"};
	assert_int_equal(parse(&o, 5, sep), TCMUD_OPTIONS_RUN);
	assert_string_equal(o.dbus, "none");
}

static void refused_values(void **state)
{
	static const char *const bad[] = {"", "System", "off", "/run/dbus/system_bus_socket",
					  "nosuchtransport:x=y", "unix:"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tcmud_options o;
		char arg[128];
		snprintf(arg, sizeof(arg), "--dbus=%s", bad[i]);
		const char *argv[] = {"tcmud", "--config", "/dev/null", arg};
		if (parse(&o, 4, argv) != TCMUD_OPTIONS_ERROR)
			fail_msg("--dbus=%s was accepted", bad[i]);
	}
}

static void config_file_then_command_line(void **state)
{
	char path[] = "/tmp/tcmud-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "dbus = session\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);

	struct tcmud_options o;
	const char *file_only[] = {"tcmud", "--config", path};
	assert_int_equal(parse(&o, 3, file_only), TCMUD_OPTIONS_RUN);
	assert_string_equal(o.dbus, "session");
	const char *both[] = {"tcmud", "--config", path, "--dbus=none"};
	assert_int_equal(parse(&o, 4, both), TCMUD_OPTIONS_RUN);
	assert_string_equal(o.dbus, "none");
	/* A bad value in the file is refused like any other setting. */
	assert_int_equal(tcmud_options_set(&o, "dbus", "sometimes"), -EINVAL);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_bus_by_default),
		cmocka_unit_test(command_line_values),
		cmocka_unit_test(refused_values),
		cmocka_unit_test(config_file_then_command_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
