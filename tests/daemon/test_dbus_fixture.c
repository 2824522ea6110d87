/* SPDX-License-Identifier: Apache-2.0 */
#include "test_dbus_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

/* The system bus's default policy (Debian's system.conf): nothing may be
 * owned or called unless a policy file says so. */
static const char system_policy_xml[] =
	"<policy context=\"default\">"
	"<allow user=\"*\"/>"
	"<deny own=\"*\"/><deny send_type=\"method_call\"/>"
	"<allow send_type=\"signal\"/>"
	"<allow send_requested_reply=\"true\" send_type=\"method_return\"/>"
	"<allow send_requested_reply=\"true\" send_type=\"error\"/>"
	"<allow receive_type=\"method_call\"/><allow receive_type=\"method_return\"/>"
	"<allow receive_type=\"error\"/><allow receive_type=\"signal\"/>"
	"<allow send_destination=\"org.freedesktop.DBus\" "
	"send_interface=\"org.freedesktop.DBus\"/>"
	"<allow send_destination=\"org.freedesktop.DBus\" "
	"send_interface=\"org.freedesktop.DBus.Introspectable\"/>"
	"</policy>";

/* The session bus's (Debian's session.conf). */
static const char open_policy_xml[] =
	"<policy context=\"default\">"
	"<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
	"<allow own=\"*\"/>"
	"</policy>";

static void write_config(struct test_bus *b, const char *extra, bool system_policy)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/bus.conf", b->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
		"1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig><type>session</type><listen>unix:path=%s/bus</listen>"
		"<auth>EXTERNAL</auth>%s%s</busconfig>\n",
		b->dir, system_policy ? system_policy_xml : open_policy_xml, extra ? extra : "");
	assert_int_equal(fclose(f), 0);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Spawn dbus-daemon and read the address it prints once it listens. It
 * dies with this process, even when a test crashes or times out. */
static void spawn_bus(struct test_bus *b)
{
	char conf_arg[320], log[300];
	int fds[2];
	char *exe = g_find_program_in_path("dbus-daemon");

	if (!exe)
		fail_msg("dbus-daemon is not installed (Debian package dbus-daemon)");
	snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s/bus.conf", b->dir);
	snprintf(log, sizeof(log), "%s/bus.log", b->dir);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	char *argv[] = {exe, conf_arg, "--nofork", "--print-address=3", NULL};
	pid_t parent = getpid();
	b->pid = fork();
	assert_true(b->pid >= 0);
	if (b->pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent || fd < 0 ||
		    dup2(fd, 2) < 0 || dup2(fds[1], 3) < 0 || fcntl(3, F_SETFD, 0) < 0)
			_exit(127);
		execv(exe, argv);
		_exit(127);
	}
	g_free(exe);
	close(fds[1]);
	/* The address line, within the deadline. */
	size_t len = 0;
	long long deadline = now_ms() + TEST_DBUS_TIMEOUT_MS;
	while (!memchr(b->address, '\n', len)) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		long long left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			fail_msg("dbus-daemon printed no address within %d ms (see %s)",
				 TEST_DBUS_TIMEOUT_MS, log);
		ssize_t n = read(fds[0], b->address + len, sizeof(b->address) - 1 - len);
		if (n <= 0)
			fail_msg("dbus-daemon exited at start (see %s)", log);
		len += (size_t)n;
		b->address[len] = '\0';
	}
	close(fds[0]);
	b->address[strcspn(b->address, "\n")] = '\0';
}

void test_bus_start(struct test_bus *b, const char *extra_config, bool system_policy)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->dir, sizeof(b->dir), "/tmp/tcmud-dbus-XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	/* Others (the unprivileged client of the policy test) reach the socket. */
	assert_int_equal(chmod(b->dir, 0755), 0);
	write_config(b, extra_config, system_policy);
	spawn_bus(b);
}

void test_bus_kill(struct test_bus *b)
{
	int status;
	if (b->pid <= 0)
		return;
	kill(b->pid, SIGTERM);
	waitpid(b->pid, &status, 0);
	b->pid = 0;
}

void test_bus_restart(struct test_bus *b)
{
	spawn_bus(b);
}

void test_bus_stop(struct test_bus *b)
{
	char cmd[400];
	test_bus_kill(b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", b->dir);
}

GDBusConnection *test_bus_connect(const struct test_bus *b)
{
	GError *err = NULL;
	GDBusConnection *c = g_dbus_connection_new_for_address_sync(
		b->address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &err);
	if (!c)
		fail_msg("cannot connect to %s: %s", b->address, err->message);
	g_dbus_connection_set_exit_on_close(c, FALSE);
	return c;
}

static gboolean tick(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

bool test_wait(bool (*cond)(void *data), void *data)
{
	/* A tick so that a blocking iteration never sleeps past the deadline. */
	guint id = g_timeout_add(20, tick, NULL);
	long long deadline = now_ms() + TEST_DBUS_TIMEOUT_MS;
	bool ok;
	while (!(ok = cond(data)) && now_ms() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(id);
	return ok;
}

static bool never(void *data)
{
	return now_ms() >= *(long long *)data;
}

void test_spin(unsigned int ms)
{
	long long until = now_ms() + ms;
	test_wait(never, &until);
}

struct reply {
	bool done;
	GVariant *v;
	GError *err;
};

static void on_reply(GObject *src, GAsyncResult *res, gpointer data)
{
	struct reply *r = data;
	r->v = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &r->err);
	r->done = true;
}

static bool replied(void *data)
{
	return ((struct reply *)data)->done;
}

GVariant *test_call(GDBusConnection *c, const char *dest, const char *path, const char *iface,
		    const char *method, GVariant *args, const GVariantType *reply, GError **err)
{
	struct reply r = {0};
	g_dbus_connection_call(c, dest, path, iface, method, args, reply,
			       G_DBUS_CALL_FLAGS_NO_AUTO_START, TEST_DBUS_TIMEOUT_MS, NULL,
			       on_reply, &r);
	if (!test_wait(replied, &r))
		fail_msg("no reply to %s.%s on %s within %d ms", iface, method, path,
			 TEST_DBUS_TIMEOUT_MS);
	if (!r.v) {
		if (!err)
			fail_msg("%s.%s on %s: %s", iface, method, path, r.err->message);
		*err = r.err;
	}
	return r.v;
}

static int by_string(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *test_managed_paths(GDBusConnection *c)
{
	GVariant *v = test_call(c, "org.kernel.TCMUService1", "/org/kernel/TCMUService1",
				"org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL,
				G_VARIANT_TYPE("(a{oa{sa{sv}}})"), NULL);
	GVariant *objs = g_variant_get_child_value(v, 0);
	GPtrArray *paths = g_ptr_array_new();
	GVariantIter it;
	const char *path;
	g_variant_iter_init(&it, objs);
	while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, NULL))
		g_ptr_array_add(paths, (gpointer)path);
	g_ptr_array_sort(paths, by_string);
	g_ptr_array_add(paths, NULL);
	char *joined = g_strjoinv(" ", (char **)paths->pdata);
	g_ptr_array_unref(paths);
	g_variant_unref(objs);
	g_variant_unref(v);
	return joined;
}
