/* SPDX-License-Identifier: Apache-2.0 */
/* The service-manager notifications, read back from a socket standing in
 * for systemd's NOTIFY_SOCKET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "service_notify.h"

struct notify_sock {
	int fd;
	char path[108];
};

static int setup(void **state)
{
	struct notify_sock *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};

	assert_non_null(s);
	snprintf(s->path, sizeof(s->path), "/tmp/tcmud-notify-test.%d", (int)getpid());
	unlink(s->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* A notification that never comes fails the test instead of hanging it. */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", s->path, 1);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct notify_sock *s = *state;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	close(s->fd);
	unlink(s->path);
	free(s);
	return 0;
}

static void expect_message(struct notify_sock *s, const char *want)
{
	char buf[1024];
	ssize_t n = recv(s->fd, buf, sizeof(buf) - 1, 0);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_ready_with_status(void **state)
{
	tcmud_notify_ready("serving 2 devices");
	expect_message(*state, "READY=1\nSTATUS=serving 2 devices");
}

static void test_ready_without_status(void **state)
{
	tcmud_notify_ready(NULL);
	expect_message(*state, "READY=1");
}

static void test_reload_stop_watchdog(void **state)
{
	tcmud_notify_reloading();
	expect_message(*state, "RELOADING=1");
	tcmud_notify_watchdog();
	expect_message(*state, "WATCHDOG=1");
	tcmud_notify_stopping();
	expect_message(*state, "STOPPING=1");
}

static void test_watchdog_interval(void **state)
{
	char pid[32];

	(void)state;
	assert_int_equal(tcmud_notify_watchdog_interval_ms(), 0);
	setenv("WATCHDOG_USEC", "20000000", 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	/* Half the watchdog period, so one late tick is not yet a timeout. */
	assert_int_equal(tcmud_notify_watchdog_interval_ms(), 10000);
	/* A watchdog meant for another process (the parent) is not ours. */
	snprintf(pid, sizeof(pid), "%d", (int)getppid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(tcmud_notify_watchdog_interval_ms(), 0);
}

static void test_without_service_manager(void **state)
{
	struct notify_sock *s = *state;
	char buf[64];

	unsetenv("NOTIFY_SOCKET");
	/* Not started by systemd: nothing is sent anywhere. */
	tcmud_notify_ready("x");
	tcmud_notify_watchdog();
	tcmud_notify_stopping();
	assert_int_equal(recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_with_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_without_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_stop_watchdog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_service_manager, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
