/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf/org.kernel.TCMUService1.conf on a bus with the system bus's default
 * policy (deny unless allowed): root owns the name and may register
 * handlers; an unprivileged user (uid 65534, through setpriv and gdbus) may
 * list the handlers, read ConfigDesc and call CheckConfig, but not
 * RegisterHandler or UnregisterHandler. Needs root (skipped otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dbus_service.h"
#include "test_dbus_fixture.h"

static int tst_check(const char *cfg, char *why, size_t len)
{
	if (!strcmp(cfg, "bad")) {
		snprintf(why, len, "no");
		return -1;
	}
	return 0;
}

static int stub_open(struct tcmud_hdev *dev, char *why, size_t len)
{
	return -1;
}

static int stub_io(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	return 0;
}

static const struct tcmud_handler tst = {
	.api_version = TCMUD_HANDLER_API_VERSION, .subtype = "tst", .cfg_desc = "test",
	.check_config = tst_check, .open = stub_open, .read = stub_io, .write = stub_io,
};

struct ctx {
	struct test_bus bus;
	struct tcmud_registry reg;
	struct tcmud_dbus *svc;
};

static bool has_name(void *data)
{
	return tcmud_dbus_has_name(data);
}

static bool can_switch_user(void)
{
	char *setpriv = g_find_program_in_path("setpriv");
	char *gdbus = g_find_program_in_path("gdbus");
	bool ok = getuid() == 0 && setpriv && gdbus;
	g_free(setpriv);
	g_free(gdbus);
	return ok;
}

static void start(struct ctx *c, bool with_policy_file)
{
	memset(c, 0, sizeof(*c));
	test_bus_start(&c->bus, with_policy_file ? "<include>" POLICY_FILE "</include>" : NULL,
		       true);
	assert_int_equal(tcmud_registry_add(&c->reg, &tst, NULL), 0);
	c->svc = tcmud_dbus_start(c->bus.address, &c->reg);
	assert_non_null(c->svc);
}

static void stop(struct ctx *c)
{
	tcmud_dbus_stop(c->svc);
	test_spin(100);
	tcmud_registry_unload(&c->reg);
	test_bus_stop(&c->bus);
}

struct run {
	bool done;
	int status;
	char *out;
};

static void on_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct run *r = data;
	GError *err = NULL;
	if (!g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &r->out, NULL, &err))
		fail_msg("gdbus: %s", err->message);
	r->status = g_subprocess_get_exit_status(G_SUBPROCESS(src));
	r->done = true;
}

static bool finished(void *data)
{
	return ((struct run *)data)->done;
}

/* `gdbus call` as uid/gid 65534 with up to two arguments (NULL ends them);
 * the main context runs (the service answers) while it waits. Returns its
 * output (g_free it); *status is its exit status. */
static char *call_as_nobody(const struct ctx *c, const char *path, const char *method,
			    const char *arg1, const char *arg2, int *status)
{
	GError *err = NULL;
	struct run r = {0};
	GSubprocess *p = g_subprocess_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &err, "setpriv",
		"--reuid=65534", "--regid=65534", "--clear-groups", "gdbus", "call", "--timeout",
		"10", "-a", c->bus.address, "-d", TCMUD_DBUS_NAME, "-o", path, "-m", method, arg1,
		arg2, NULL);
	if (!p)
		fail_msg("cannot run setpriv: %s", err->message);
	g_subprocess_communicate_utf8_async(p, NULL, NULL, on_done, &r);
	if (!test_wait(finished, &r))
		fail_msg("gdbus call %s did not finish", method);
	g_object_unref(p);
	*status = r.status;
	return r.out;
}

static void assert_nobody_may(const struct ctx *c, const char *path, const char *method,
			      const char *arg, const char *want)
{
	int status;
	char *out = call_as_nobody(c, path, method, arg, NULL, &status);
	if (status != 0 || !strstr(out, want))
		fail_msg("%s as uid 65534: status %d, output '%s' (expected '%s')", method, status,
			 out, want);
	g_free(out);
}

static void assert_nobody_may_not(const struct ctx *c, const char *path, const char *method,
				  const char *arg1, const char *arg2)
{
	int status;
	char *out = call_as_nobody(c, path, method, arg1, arg2, &status);
	if (status == 0 || !strstr(out, "org.freedesktop.DBus.Error.AccessDenied"))
		fail_msg("%s as uid 65534 was not denied: status %d, output '%s'", method, status,
			 out);
	g_free(out);
}

static bool refused(void *data)
{
	return tcmud_dbus_name_state(data) == TCMUD_DBUS_NAME_REFUSED;
}

static void without_the_policy_file_the_name_is_refused(void **state)
{
	struct ctx c;
	start(&c, false);
	assert_true(test_wait(refused, c.svc));
	stop(&c);
}

static void root_owns_and_registers_others_only_read_and_check(void **state)
{
	struct ctx c;
	if (!can_switch_user())
		skip();
	start(&c, true);
	assert_true(test_wait(has_name, c.svc));

	assert_nobody_may(&c, TCMUD_DBUS_PATH, "org.freedesktop.DBus.ObjectManager.GetManagedObjects",
			  NULL, "'/org/kernel/TCMUService1/tst'");
	assert_nobody_may(&c, TCMUD_DBUS_PATH "/tst", "org.freedesktop.DBus.Properties.GetAll",
			  TCMUD_DBUS_NAME, "'ConfigDesc': <'test'>");
	assert_nobody_may(&c, TCMUD_DBUS_PATH "/tst", "org.freedesktop.DBus.Introspectable.Introspect",
			  NULL, "CheckConfig");
	assert_nobody_may(&c, TCMUD_DBUS_PATH "/tst", TCMUD_DBUS_NAME ".CheckConfig", "tst/bad",
			  "(false, \"handler 'tst' refuses config 'bad': no\")");
	assert_nobody_may_not(&c, TCMUD_DBUS_MANAGER_PATH,
			      TCMUD_DBUS_NAME ".HandlerManager1.RegisterHandler", "x", "y");
	assert_nobody_may_not(&c, TCMUD_DBUS_MANAGER_PATH,
			      TCMUD_DBUS_NAME ".HandlerManager1.UnregisterHandler", "x", NULL);

	/* Root gets through to tcmud (which refuses: nobody owns the name). */
	GDBusConnection *root = test_bus_connect(&c.bus);
	GVariant *v = test_call(root, TCMUD_DBUS_NAME, TCMUD_DBUS_MANAGER_PATH,
				TCMUD_DBUS_NAME ".HandlerManager1", "RegisterHandler",
				g_variant_new("(ss)", "x", "y"), G_VARIANT_TYPE("(bs)"), NULL);
	gboolean ok;
	const char *msg;
	g_variant_get(v, "(b&s)", &ok, &msg);
	assert_false(ok);
	assert_string_equal(msg, "Cannot find handler bus name: "
				 "org.kernel.TCMUService1.HandlerManager1.x");
	g_variant_unref(v);
	g_dbus_connection_close_sync(root, NULL, NULL);
	g_object_unref(root);
	stop(&c);
}

int main(void)
{
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_the_policy_file_the_name_is_refused),
		cmocka_unit_test(root_owns_and_registers_others_only_read_and_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
