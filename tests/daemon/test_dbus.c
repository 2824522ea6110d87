/* SPDX-License-Identifier: Apache-2.0 */
/*
 * org.kernel.TCMUService1 on a private dbus-daemon: the handlers targetcli
 * lists, ConfigDesc, CheckConfig with the handler's own verdict, handlers
 * registered by another process (forwarded CheckConfig, refusals,
 * UnregisterHandler, cleanup when that process leaves the bus), waiting for
 * a name held by someone else, and reconnecting after the bus restarts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dbus_service.h"
#include "tcmud_dbus_generated.h"
#include "test_dbus_fixture.h"

#define HM_IFACE "org.kernel.TCMUService1.HandlerManager1"

/* --- handlers: "tst" checks its config, "two" takes anything, "a-b" cannot
 * be named on D-Bus --------------------------------------------------------- */

static int tst_check(const char *cfg, char *why, size_t len)
{
	if (strstr(cfg, "bad")) {
		snprintf(why, len, "'bad' is not a tst option");
		return -EINVAL;
	}
	return 0;
}

static int stub_open(struct tcmud_hdev *dev, char *why, size_t len)
{
	return -ENOTSUP;
}

static int stub_io(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	return 0;
}

static const struct tcmud_handler tst = {
	.api_version = TCMUD_HANDLER_API_VERSION, .subtype = "tst",
	.cfg_desc = "test handler; 'bad' is refused", .check_config = tst_check,
	.open = stub_open, .read = stub_io, .write = stub_io,
};
static const struct tcmud_handler two = {
	.api_version = TCMUD_HANDLER_API_VERSION, .subtype = "two",
	.open = stub_open, .read = stub_io, .write = stub_io,
};
static const struct tcmud_handler dash = {
	.api_version = TCMUD_HANDLER_API_VERSION, .subtype = "a-b",
	.open = stub_open, .read = stub_io, .write = stub_io,
};

#define OWN_PATHS "/org/kernel/TCMUService1/tst /org/kernel/TCMUService1/two"

struct ctx {
	struct test_bus bus;
	struct tcmud_registry reg;
	struct tcmud_dbus *svc;
	GDBusConnection *client;
	/* A process serving subtype "ext" itself, as libtcmu does. */
	GDBusConnection *ext;
	TcmudService *ext_iface;
	guint ext_own;
	bool ext_named;
};

static bool has_name(void *data)
{
	return tcmud_dbus_has_name(data);
}

static bool queued(void *data)
{
	return tcmud_dbus_name_state(data) == TCMUD_DBUS_NAME_QUEUED;
}

static bool closed(void *data)
{
	return g_dbus_connection_is_closed(data);
}

static bool lacks_name(void *data)
{
	return !tcmud_dbus_has_name(data);
}

static int setup(void **state)
{
	static struct ctx c;
	memset(&c, 0, sizeof(c));
	test_bus_start(&c.bus, NULL, false);
	assert_int_equal(tcmud_registry_add(&c.reg, &tst, NULL), 0);
	assert_int_equal(tcmud_registry_add(&c.reg, &two, NULL), 0);
	assert_int_equal(tcmud_registry_add(&c.reg, &dash, NULL), 0);
	c.svc = tcmud_dbus_start(c.bus.address, &c.reg);
	assert_non_null(c.svc);
	assert_true(test_wait(has_name, c.svc));
	c.client = test_bus_connect(&c.bus);
	*state = &c;
	return 0;
}

static void ext_leave(struct ctx *c)
{
	if (!c->ext)
		return;
	if (c->ext_own)
		g_bus_unown_name(c->ext_own);
	if (c->ext_iface) {
		g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(c->ext_iface));
		g_object_unref(c->ext_iface);
	}
	g_dbus_connection_close_sync(c->ext, NULL, NULL);
	g_clear_object(&c->ext);
	c->ext_iface = NULL;
	c->ext_own = 0;
	c->ext_named = false;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	ext_leave(c);
	g_dbus_connection_close_sync(c->client, NULL, NULL);
	g_object_unref(c->client);
	tcmud_dbus_stop(c->svc);
	/* Let GDBus finish what it queued for the objects just dropped. */
	test_spin(100);
	tcmud_registry_unload(&c->reg);
	test_bus_stop(&c->bus);
	return 0;
}

/* (b, s) of a TCMUService1-style call. */
static void assert_answer(GVariant *v, bool ok, const char *msg)
{
	gboolean got_ok;
	const char *got_msg;
	assert_non_null(v);
	g_variant_get(v, "(b&s)", &got_ok, &got_msg);
	if ((bool)got_ok != ok || strcmp(got_msg, msg) != 0)
		fail_msg("expected (%s, '%s'), got (%s, '%s')", ok ? "true" : "false", msg,
			 got_ok ? "true" : "false", got_msg);
	g_variant_unref(v);
}

static GVariant *check_config(struct ctx *c, const char *subtype, const char *config)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", TCMUD_DBUS_PATH, subtype);
	return test_call(c->client, TCMUD_DBUS_NAME, path, TCMUD_DBUS_NAME, "CheckConfig",
			 g_variant_new("(s)", config), G_VARIANT_TYPE("(bs)"), NULL);
}

static GVariant *register_handler(struct ctx *c, const char *subtype, const char *desc)
{
	return test_call(c->client, TCMUD_DBUS_NAME, TCMUD_DBUS_MANAGER_PATH, HM_IFACE,
			 "RegisterHandler", g_variant_new("(ss)", subtype, desc),
			 G_VARIANT_TYPE("(bs)"), NULL);
}

static GVariant *unregister_handler(struct ctx *c, const char *subtype)
{
	return test_call(c->client, TCMUD_DBUS_NAME, TCMUD_DBUS_MANAGER_PATH, HM_IFACE,
			 "UnregisterHandler", g_variant_new("(s)", subtype),
			 G_VARIANT_TYPE("(bs)"), NULL);
}

static void assert_paths(struct ctx *c, const char *want)
{
	char *got = test_managed_paths(c->client);
	assert_string_equal(got, want);
	g_free(got);
}

/* --- tcmud's own handlers ---------------------------------------------------- */

static void managed_objects_are_the_handlers(void **state)
{
	struct ctx *c = *state;
	/* "a-b" cannot be an object path element; HandlerManager1 is no handler
	 * (targetcli would list it as a backstore). */
	assert_paths(c, OWN_PATHS);
	GVariant *v = test_call(c->client, TCMUD_DBUS_NAME, TCMUD_DBUS_PATH,
				"org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL,
				G_VARIANT_TYPE("(a{oa{sa{sv}}})"), NULL);
	const char *desc = NULL;
	GVariant *objs = g_variant_get_child_value(v, 0);
	GVariant *ifaces = g_variant_lookup_value(objs, TCMUD_DBUS_PATH "/tst",
						  G_VARIANT_TYPE("a{sa{sv}}"));
	assert_non_null(ifaces);
	GVariant *props = g_variant_lookup_value(ifaces, TCMUD_DBUS_NAME,
						 G_VARIANT_TYPE("a{sv}"));
	assert_non_null(props);
	assert_true(g_variant_lookup(props, "ConfigDesc", "&s", &desc));
	assert_string_equal(desc, "test handler; 'bad' is refused");
	g_variant_unref(props);
	g_variant_unref(ifaces);
	g_variant_unref(objs);
	g_variant_unref(v);
}

/* Properties.Get(ConfigDesc) of a handler object. */
static char *config_desc(struct ctx *c, const char *subtype)
{
	char path[128];
	GVariant *v, *inner;
	snprintf(path, sizeof(path), "%s/%s", TCMUD_DBUS_PATH, subtype);
	v = test_call(c->client, TCMUD_DBUS_NAME, path, "org.freedesktop.DBus.Properties",
		      "Get", g_variant_new("(ss)", TCMUD_DBUS_NAME, "ConfigDesc"),
		      G_VARIANT_TYPE("(v)"), NULL);
	g_variant_get(v, "(v)", &inner);
	char *desc = g_variant_dup_string(inner, NULL);
	g_variant_unref(inner);
	g_variant_unref(v);
	return desc;
}

static void config_desc_property(void **state)
{
	struct ctx *c = *state;
	const char *desc;
	char *got = config_desc(c, "tst");
	assert_string_equal(got, "test handler; 'bad' is refused");
	g_free(got);
	GVariant *v;
	/* A handler without a description publishes an empty one. */
	v = test_call(c->client, TCMUD_DBUS_NAME, TCMUD_DBUS_PATH "/two",
		      "org.freedesktop.DBus.Properties", "GetAll",
		      g_variant_new("(s)", TCMUD_DBUS_NAME), G_VARIANT_TYPE("(a{sv})"), NULL);
	GVariant *all = g_variant_get_child_value(v, 0);
	assert_true(g_variant_lookup(all, "ConfigDesc", "&s", &desc));
	assert_string_equal(desc, "");
	g_variant_unref(all);
	g_variant_unref(v);
}

static void check_config_uses_the_handler(void **state)
{
	struct ctx *c = *state;
	assert_answer(check_config(c, "tst", "tst/size=1M"), true, "success");
	assert_answer(check_config(c, "tst", "tst/"), true, "success");
	assert_answer(check_config(c, "tst", "tst/very;bad"), false,
		      "handler 'tst' refuses config 'very;bad': 'bad' is not a tst option");
	/* No check_config: everything goes. */
	assert_answer(check_config(c, "two", "two/bad"), true, "success");
}

static void check_config_refuses_what_is_not_for_it(void **state)
{
	struct ctx *c = *state;
	char long_cfg[300];
	assert_answer(check_config(c, "tst", "two/x"), false,
		      "config 'two/x' is for handler 'two', not 'tst'");
	assert_answer(check_config(c, "tst", "tstx/x"), false,
		      "config 'tstx/x' is for handler 'tstx', not 'tst'");
	assert_answer(check_config(c, "tst", "tst"), false,
		      "config 'tst' has no '/' after the subtype: expected 'tst/<options>'");
	assert_answer(check_config(c, "tst", ""), false,
		      "config '' has no '/' after the subtype: expected 'tst/<options>'");
	assert_answer(check_config(c, "tst", "tst/a=1,b=2"), false,
		      "config 'tst/a=1,b=2' contains a ',' or a newline, which end a "
		      "dev_config in the kernel's control file");
	memset(long_cfg, 'x', sizeof(long_cfg) - 1);
	long_cfg[sizeof(long_cfg) - 1] = '\0';
	memcpy(long_cfg, "tst/", 4);
	assert_answer(check_config(c, "tst", long_cfg), false,
		      "config is 299 bytes long; the kernel keeps only the first 255");
}

/* --- handlers of other processes --------------------------------------------- */

static gboolean ext_check(TcmudService *iface, GDBusMethodInvocation *inv, const char *cfg,
			  gpointer data)
{
	char msg[300];
	bool ok = strstr(cfg, "bad") == NULL;
	snprintf(msg, sizeof(msg), "ext %s %s", ok ? "takes" : "refuses", cfg);
	tcmud_service_complete_check_config(iface, inv, ok, msg);
	return TRUE;
}

static void ext_acquired(GDBusConnection *conn, const char *name, gpointer data)
{
	((struct ctx *)data)->ext_named = true;
}

static bool ext_has_name(void *data)
{
	return ((struct ctx *)data)->ext_named;
}

/* Be the "ext" process: own its name; with serve, export its CheckConfig. */
static void ext_join(struct ctx *c, bool serve)
{
	c->ext = test_bus_connect(&c->bus);
	if (serve) {
		GError *err = NULL;
		c->ext_iface = tcmud_service_skeleton_new();
		g_signal_connect(c->ext_iface, "handle-check-config", G_CALLBACK(ext_check), c);
		assert_true(g_dbus_interface_skeleton_export(
			G_DBUS_INTERFACE_SKELETON(c->ext_iface), c->ext,
			TCMUD_DBUS_MANAGER_PATH "/ext", &err));
	}
	c->ext_own = g_bus_own_name_on_connection(c->ext, TCMUD_DBUS_EXTERNAL_PREFIX ".ext",
						  G_BUS_NAME_OWNER_FLAGS_NONE, ext_acquired,
						  NULL, c, NULL);
	assert_true(test_wait(ext_has_name, c));
}

static bool ext_forgotten(void *data)
{
	struct ctx *c = data;
	return !tcmud_dbus_is_external(c->svc, "ext");
}

static void external_handler_lives_while_its_process_is_there(void **state)
{
	struct ctx *c = *state;

	ext_join(c, true);
	assert_answer(register_handler(c, "ext", "external; bad is refused"), true, "succeeded");
	assert_true(tcmud_dbus_is_external(c->svc, "ext"));
	assert_paths(c, "/org/kernel/TCMUService1/ext " OWN_PATHS);
	char *desc = config_desc(c, "ext");
	assert_string_equal(desc, "external; bad is refused");
	g_free(desc);

	/* CheckConfig is the process's answer, to the whole config string. */
	assert_answer(check_config(c, "ext", "ext/fine"), true, "ext takes ext/fine");
	assert_answer(check_config(c, "ext", "ext/bad"), false, "ext refuses ext/bad");

	/* The process leaves the bus: its handler goes with it. */
	ext_leave(c);
	assert_true(test_wait(ext_forgotten, c));
	assert_paths(c, OWN_PATHS);
}

static void external_handler_that_does_not_answer(void **state)
{
	struct ctx *c = *state;
	ext_join(c, false);
	assert_answer(register_handler(c, "ext", "mute"), true, "succeeded");
	GVariant *v = check_config(c, "ext", "ext/x");
	gboolean ok;
	const char *msg;
	g_variant_get(v, "(b&s)", &ok, &msg);
	assert_false(ok);
	if (!strstr(msg, "handler 'ext' (another process) did not check the config: "))
		fail_msg("unexpected message '%s'", msg);
	g_variant_unref(v);
}

static void register_needs_the_handler_name_on_the_bus(void **state)
{
	struct ctx *c = *state;
	assert_answer(register_handler(c, "ext", "nobody owns the name"), false,
		      "Cannot find handler bus name: org.kernel.TCMUService1.HandlerManager1.ext");
	assert_false(tcmud_dbus_is_external(c->svc, "ext"));
	assert_paths(c, OWN_PATHS);
}

static void register_refuses_taken_and_invalid_subtypes(void **state)
{
	struct ctx *c = *state;
	assert_answer(register_handler(c, "tst", "mine"), false,
		      "subtype 'tst' is served by tcmud's own handler");
	ext_join(c, true);
	assert_answer(register_handler(c, "ext", "first"), true, "succeeded");
	char want[200];
	snprintf(want, sizeof(want), "subtype 'ext' is already registered by %s",
		 g_dbus_connection_get_unique_name(c->ext));
	assert_answer(register_handler(c, "ext", "second"), false, want);

	static const char *const bad[] = {"", "9p", "a.b", "a-b", "a/b", "HandlerManager1",
					  "x xx"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "subtype '%s' is not valid: up to 64 letters, "
			 "digits and '_', not starting with a digit", bad[i]);
		assert_answer(register_handler(c, bad[i], "x"), false, want);
	}
	assert_paths(c, "/org/kernel/TCMUService1/ext " OWN_PATHS);
}

static void unregister_handler_removes_it(void **state)
{
	struct ctx *c = *state;
	ext_join(c, true);
	assert_answer(register_handler(c, "ext", "d"), true, "succeeded");
	assert_answer(unregister_handler(c, "ext"), true, "succeeded");
	assert_false(tcmud_dbus_is_external(c->svc, "ext"));
	assert_paths(c, OWN_PATHS);
	assert_answer(unregister_handler(c, "ext"), false, "no handler 'ext' is registered");
	assert_answer(unregister_handler(c, "tst"), false,
		      "subtype 'tst' is served by tcmud's own handler, which cannot be "
		      "unregistered");
	assert_paths(c, OWN_PATHS);
	/* The same process may register again. */
	assert_answer(register_handler(c, "ext", "again"), true, "succeeded");
	assert_answer(check_config(c, "ext", "ext/ok"), true, "ext takes ext/ok");
}

/* --- the name and the bus ---------------------------------------------------- */

static bool name_is_free(void *data)
{
	gboolean has;
	GVariant *v = test_call(data, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				"org.freedesktop.DBus", "NameHasOwner",
				g_variant_new("(s)", TCMUD_DBUS_NAME), G_VARIANT_TYPE("(b)"), NULL);
	g_variant_get(v, "(b)", &has);
	g_variant_unref(v);
	return !has;
}

static void waits_for_a_name_held_by_another_process(void **state)
{
	struct ctx *c = *state;
	GDBusConnection *other = test_bus_connect(&c->bus);
	GVariant *v;
	guint32 reply;

	/* tcmud lets go of the name; another daemon takes it. */
	tcmud_dbus_stop(c->svc);
	c->svc = NULL;
	assert_true(test_wait(name_is_free, other));
	v = test_call(other, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		      "org.freedesktop.DBus", "RequestName",
		      g_variant_new("(su)", TCMUD_DBUS_NAME, 4 /* DO_NOT_QUEUE */),
		      G_VARIANT_TYPE("(u)"), NULL);
	g_variant_get(v, "(u)", &reply);
	g_variant_unref(v);
	assert_int_equal(reply, 1); /* PRIMARY_OWNER */

	c->svc = tcmud_dbus_start(c->bus.address, &c->reg);
	assert_true(test_wait(queued, c->svc));
	/* When the other one leaves, the name comes to tcmud. */
	g_dbus_connection_close_sync(other, NULL, NULL);
	g_object_unref(other);
	assert_true(test_wait(has_name, c->svc));
	assert_answer(check_config(c, "tst", "tst/"), true, "success");
}

static void reconnects_when_the_bus_comes_back(void **state)
{
	struct ctx *c = *state;
	ext_join(c, true);
	assert_answer(register_handler(c, "ext", "d"), true, "succeeded");

	test_bus_kill(&c->bus);
	assert_true(test_wait(lacks_name, c->svc));
	/* Handlers of other processes were on that bus; they are gone. */
	assert_false(tcmud_dbus_is_external(c->svc, "ext"));
	assert_true(test_wait(closed, c->ext));
	assert_true(test_wait(closed, c->client));
	ext_leave(c);
	g_dbus_connection_close_sync(c->client, NULL, NULL);
	g_object_unref(c->client);

	test_bus_restart(&c->bus);
	/* Retried every TCMUD_DBUS_RETRY_MS. */
	assert_true(test_wait(has_name, c->svc));
	c->client = test_bus_connect(&c->bus);
	assert_paths(c, OWN_PATHS);
	assert_answer(check_config(c, "tst", "tst/bad"), false,
		      "handler 'tst' refuses config 'bad': 'bad' is not a tst option");
}

/* Properties.Get(ConfigDesc) at any path. */
static char *desc_at(GDBusConnection *c, const char *path)
{
	GVariant *v, *inner;
	v = test_call(c, TCMUD_DBUS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
		      g_variant_new("(ss)", TCMUD_DBUS_NAME, "ConfigDesc"), G_VARIANT_TYPE("(v)"),
		      NULL);
	g_variant_get(v, "(v)", &inner);
	char *desc = g_variant_dup_string(inner, NULL);
	g_variant_unref(inner);
	g_variant_unref(v);
	return desc;
}

static void further_interfaces_follow_the_connection(void **state)
{
	struct ctx *c = *state;
	TcmudService *extra = tcmud_service_skeleton_new();
	char *desc;

	tcmud_service_set_config_desc(extra, "extra");
	/* Given before the connection exists: exported once it does. */
	tcmud_dbus_stop(c->svc);
	c->svc = tcmud_dbus_start(c->bus.address, &c->reg);
	tcmud_dbus_export(c->svc, G_DBUS_INTERFACE_SKELETON(extra), "/org/tcmud/Extra");
	tcmud_dbus_export(c->svc, G_DBUS_INTERFACE_SKELETON(extra), "not a path");
	g_object_unref(extra);
	assert_true(test_wait(has_name, c->svc));
	desc = desc_at(c->client, "/org/tcmud/Extra");
	assert_string_equal(desc, "extra");
	g_free(desc);
	/* It is no handler: targetcli does not see it. */
	assert_paths(c, OWN_PATHS);

	/* And again after the bus restarted. */
	test_bus_kill(&c->bus);
	assert_true(test_wait(lacks_name, c->svc));
	assert_true(test_wait(closed, c->client));
	g_dbus_connection_close_sync(c->client, NULL, NULL);
	g_object_unref(c->client);
	test_bus_restart(&c->bus);
	assert_true(test_wait(has_name, c->svc));
	c->client = test_bus_connect(&c->bus);
	desc = desc_at(c->client, "/org/tcmud/Extra");
	assert_string_equal(desc, "extra");
	g_free(desc);
}

static void none_publishes_nothing(void **state)
{
	struct tcmud_registry reg = {0};
	assert_null(tcmud_dbus_start("none", &reg));
	assert_false(tcmud_dbus_has_name(NULL));
	assert_false(tcmud_dbus_is_external(NULL, "x"));
	tcmud_dbus_stop(NULL);
}

int main(void)
{
	/* A GLib warning or critical is a bug in the service: fail loudly. */
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(managed_objects_are_the_handlers, setup, teardown),
		cmocka_unit_test_setup_teardown(config_desc_property, setup, teardown),
		cmocka_unit_test_setup_teardown(check_config_uses_the_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(check_config_refuses_what_is_not_for_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(external_handler_lives_while_its_process_is_there,
						setup, teardown),
		cmocka_unit_test_setup_teardown(external_handler_that_does_not_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(register_needs_the_handler_name_on_the_bus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(register_refuses_taken_and_invalid_subtypes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unregister_handler_removes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(waits_for_a_name_held_by_another_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reconnects_when_the_bus_comes_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(further_interfaces_follow_the_connection, setup,
						teardown),
		cmocka_unit_test(none_publishes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
