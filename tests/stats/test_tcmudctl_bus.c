/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcmudctl status end to end: a private message bus, an object that answers
 * org.tcmud.Daemon1.GetStatus with tcmud_status_variant() over a daemon with
 * two hand-built devices, and the tcmudctl program run against that bus. Each
 * GetStatus first records a fixed batch of commands on rd0, so the counts the
 * program prints are known exactly and its rates within the interval's
 * bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fake_daemon.h"
#include "status.h"

#define BUS_NAME "org.kernel.TCMUService1"

/* Per GetStatus on rd0: 50 reads of 4096 bytes at 20 us, 10 writes of 8192
 * bytes at 50 us, one READ refused with 05/24/00 after 5 us. */
#define READS_PER_CALL 50
#define WRITES_PER_CALL 10
#define CMDS_PER_CALL (READS_PER_CALL + WRITES_PER_CALL + 1)

static const char introspection[] =
	"<node><interface name='org.tcmud.Daemon1'><method name='GetStatus'>"
	"<arg direction='out' type='a{sv}' name='daemon'/>"
	"<arg direction='out' type='aa{sv}' name='devices'/>"
	"</method></interface></node>";

struct env {
	GTestDBus *bus;
	const char *address;
	GDBusConnection *conn;
	GDBusNodeInfo *node;
	guint object;
	struct fake_daemon f;
	unsigned int calls;
};

static void record_batch(struct tcmud_device *dev)
{
	for (int i = 0; i < READS_PER_CALL; i++)
		fake_record(dev, 0x28, TCMUD_STATUS_GOOD, 4096, 20000, 0, 0);
	for (int i = 0; i < WRITES_PER_CALL; i++)
		fake_record(dev, 0x2a, TCMUD_STATUS_GOOD, 8192, 50000, 0, 0);
	fake_record(dev, 0x28, TCMUD_STATUS_CHECK_CONDITION, 4096, 5000, 0x5, 0x2400);
}

static void on_call(GDBusConnection *c, const char *sender, const char *path,
		    const char *iface, const char *method, GVariant *params,
		    GDBusMethodInvocation *inv, gpointer data)
{
	struct env *e = data;
	record_batch(e->f.devs[0]);
	e->calls++;
	g_dbus_method_invocation_return_value(inv, tcmud_status_variant(&e->f.d));
}

static const GDBusInterfaceVTable vtable = {.method_call = on_call};

static int setup(void **state)
{
	static struct env e;
	GError *err = NULL;

	memset(&e, 0, sizeof(e));
	fake_daemon_init(&e.f);
	e.bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(e.bus);
	e.address = g_test_dbus_get_bus_address(e.bus);
	if (!e.address)
		return -1;
	e.conn = g_dbus_connection_new_for_address_sync(
		e.address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &err);
	if (!e.conn) {
		fprintf(stderr, "cannot connect to the test bus: %s\n", err->message);
		g_error_free(err);
		return -1;
	}
	e.node = g_dbus_node_info_new_for_xml(introspection, NULL);
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	if (e->object)
		g_dbus_connection_unregister_object(e->conn, e->object);
	g_dbus_node_info_unref(e->node);
	g_dbus_connection_close_sync(e->conn, NULL, NULL);
	g_object_unref(e->conn);
	g_test_dbus_down(e->bus);
	g_object_unref(e->bus);
	fake_daemon_fini(&e->f);
	return 0;
}

struct run {
	bool done;
	int status;
	char *out, *err;
};

static void on_exit_cb(GObject *src, GAsyncResult *res, gpointer data)
{
	struct run *r = data;
	GError *e = NULL;
	if (!g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &r->out, &r->err, &e))
		fail_msg("communicating with tcmudctl: %s", e->message);
	r->done = true;
}

/* Run tcmudctl status --bus ADDRESS ARGS... while this thread keeps serving
 * GetStatus. */
static struct run run_tcmudctl(struct env *e, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = {TCMUDCTL_PATH, "status", "--bus", e->address, a1, a2, a3, NULL};
	struct run r = {0};
	GError *err = NULL;
	GSubprocess *p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
							 G_SUBPROCESS_FLAGS_STDERR_PIPE, &err);
	if (!p)
		fail_msg("cannot run %s: %s", TCMUDCTL_PATH, err->message);
	g_subprocess_communicate_utf8_async(p, NULL, NULL, on_exit_cb, &r);
	while (!r.done)
		g_main_context_iteration(NULL, TRUE);
	if (!g_subprocess_get_if_exited(p))
		fail_msg("tcmudctl did not exit normally; stderr:\n%s", r.err);
	r.status = g_subprocess_get_exit_status(p);
	g_object_unref(p);
	return r;
}

static void run_free(struct run *r)
{
	g_free(r->out);
	g_free(r->err);
}

static void not_running_is_explained(void **state)
{
	struct env *e = *state;
	struct run r = run_tcmudctl(e, "--interval", "0", NULL);
	char *want = g_strdup_printf("tcmudctl: tcmud is not running on the bus at %s "
				     "(org.kernel.TCMUService1 has no owner)\n", e->address);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.err, want);
	assert_string_equal(r.out, "");
	g_free(want);
	run_free(&r);
}

static void another_owner_is_explained(void **state)
{
	struct env *e = *state;
	GError *err = NULL;
	guint32 reply = 0;
	/* Own the name, but answer nothing yet: like another TCMU daemon. */
	GVariant *v = g_dbus_connection_call_sync(
		e->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
		"RequestName", g_variant_new("(su)", BUS_NAME, 4 /* DO_NOT_QUEUE */),
		G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &err);
	if (!v)
		fail_msg("RequestName: %s", err->message);
	g_variant_get(v, "(u)", &reply);
	g_variant_unref(v);
	assert_int_equal(reply, 1); /* primary owner */

	struct run r = run_tcmudctl(e, "--interval", "0", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "has no org.tcmud.Daemon1.GetStatus: it is not tcmud"));
	run_free(&r);
}

static void export_status(struct env *e)
{
	GError *err = NULL;
	e->object = g_dbus_connection_register_object(e->conn, "/org/tcmud/Daemon1",
						      e->node->interfaces[0], &vtable, e, NULL,
						      &err);
	if (!e->object)
		fail_msg("register_object: %s", err->message);
}

/* Whitespace-separated words of line n of text (0 = first). */
static char **words_of_line(const char *text, int n)
{
	char **lines = g_strsplit(text, "\n", -1);
	assert_true((int)g_strv_length(lines) > n);
	char **words = g_strsplit_set(lines[n], " ", -1);
	g_strfreev(lines);
	/* Drop the empty words between runs of blanks. */
	size_t k = 0;
	for (size_t i = 0; words[i]; i++) {
		if (*words[i])
			words[k++] = words[i];
		else
			g_free(words[i]);
	}
	words[k] = NULL;
	return words;
}

static void table_over_the_bus(void **state)
{
	struct env *e = *state;
	export_status(e);
	unsigned int calls_before = e->calls;
	struct run r = run_tcmudctl(e, "--interval", "0.2", NULL);

	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_int_equal(e->calls - calls_before, 2);
	char *pid = g_strdup_printf(", pid %d, up ", (int)getpid());
	assert_true(g_str_has_prefix(r.out, "tcmud "));
	assert_non_null(strstr(r.out, pid));
	g_free(pid);
	assert_non_null(strstr(r.out, "handlers: rd; rates over 0.2 s\n"));

	char **head = words_of_line(r.out, 1);
	assert_string_equal(head[0], "DEVICE");
	assert_string_equal(head[5], "MEMORY");
	assert_string_equal(head[6], "COMMANDS");
	assert_string_equal(head[7], "IOPS");
	g_strfreev(head);
	/* rd0 rd 64 MiB 512 0 4 MiB COMMANDS IOPS READ WRITE P50 P99 ERRORS STATE */
	char **rd0 = words_of_line(r.out, 2);
	assert_int_equal(g_strv_length(rd0), 16);
	assert_string_equal(rd0[0], "rd0");
	assert_string_equal(rd0[1], "rd");
	assert_string_equal(rd0[2], "64");
	assert_string_equal(rd0[3], "MiB");
	assert_string_equal(rd0[4], "512");
	assert_string_equal(rd0[5], "0");
	/* The handler's mem_used, a sixteenth of the device in the fake. */
	assert_string_equal(rd0[6], "4");
	assert_string_equal(rd0[7], "MiB");
	assert_int_equal(strtoull(rd0[8], NULL, 10), (uint64_t)CMDS_PER_CALL * e->calls);
	/* 61 commands between the samples, at least 0.2 s apart. */
	double iops = g_ascii_strtod(rd0[9], NULL);
	if (iops <= 61 / 10.0 || iops > 61 / 0.2 + 1)
		fail_msg("IOPS %s out of bounds", rd0[9]);
	/* Bucket bounds: 20 us reads as 20.479 us, 50 us is the maximum. */
	assert_string_equal(rd0[12], "20.5us");
	assert_string_equal(rd0[13], "50.0us");
	assert_int_equal(strtoull(rd0[14], NULL, 10), e->calls);
	assert_string_equal(rd0[15], "serving");
	g_strfreev(rd0);

	char **pi = words_of_line(r.out, 3);
	assert_int_equal(g_strv_length(pi), 16);
	assert_string_equal(pi[0], "pi4k");
	assert_string_equal(pi[2], "4");
	assert_string_equal(pi[3], "TiB");
	assert_string_equal(pi[4], "4096");
	assert_string_equal(pi[5], "1");
	assert_string_equal(pi[6], "256");
	assert_string_equal(pi[7], "GiB");
	assert_string_equal(pi[8], "0");
	assert_string_equal(pi[9], "0.0");  /* in both samples, nothing done */
	assert_string_equal(pi[12], "-");   /* never timed */
	g_strfreev(pi);
	run_free(&r);
}

static void json_over_the_bus(void **state)
{
	struct env *e = *state;
	GError *err = NULL;
	struct run r = run_tcmudctl(e, "--json", "--interval", "0.2");

	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	JsonParser *parser = json_parser_new();
	if (!json_parser_load_from_data(parser, r.out, -1, &err))
		fail_msg("not JSON (%s):\n%s", err->message, r.out);
	JsonObject *root = json_node_get_object(json_parser_get_root(parser));
	JsonObject *daemon = json_object_get_object_member(root, "daemon");
	assert_int_equal(json_object_get_int_member(daemon, "pid"), getpid());
	JsonArray *handlers = json_object_get_array_member(daemon, "handlers");
	assert_int_equal(json_array_get_length(handlers), 1);
	assert_string_equal(json_array_get_string_element(handlers, 0), "rd");

	JsonArray *devs = json_object_get_array_member(root, "devices");
	assert_int_equal(json_array_get_length(devs), 2);
	JsonObject *rd0 = json_array_get_object_element(devs, 0);
	uint64_t n = e->calls;
	assert_string_equal(json_object_get_string_member(rd0, "name"), "rd0");
	assert_string_equal(json_object_get_string_member(rd0, "uio"), "uio0");
	assert_int_equal(json_object_get_int_member(rd0, "commands"), CMDS_PER_CALL * n);
	assert_int_equal(json_object_get_int_member(rd0, "reads"), (READS_PER_CALL + 1) * n);
	assert_int_equal(json_object_get_int_member(rd0, "writes"), WRITES_PER_CALL * n);
	assert_int_equal(json_object_get_int_member(rd0, "bytes_read"),
			 READS_PER_CALL * 4096 * n);
	assert_int_equal(json_object_get_int_member(rd0, "bytes_written"),
			 WRITES_PER_CALL * 8192 * n);
	assert_int_equal(json_object_get_int_member(rd0, "errors"), n);
	JsonObject *sense = json_object_get_object_member(rd0, "sense");
	assert_int_equal(json_object_get_int_member(sense, "05/24/00"), n);
	JsonObject *lat = json_object_get_object_member(rd0, "latency_us");
	assert_float_equal(json_object_get_double_member(lat, "p50"), 20.479, 1e-9);
	assert_float_equal(json_object_get_double_member(lat, "max"), 50.0, 1e-9);
	/* Rates over the same interval: their ratios are the batch's. */
	double iops = json_object_get_double_member(rd0, "iops");
	double rd = json_object_get_double_member(rd0, "read_bytes_per_s");
	double wr = json_object_get_double_member(rd0, "write_bytes_per_s");
	assert_true(iops > CMDS_PER_CALL / 10.0 && iops <= CMDS_PER_CALL / 0.2 + 1);
	assert_float_equal(rd / iops, READS_PER_CALL * 4096.0 / CMDS_PER_CALL, 1e-6);
	assert_float_equal(wr / iops, WRITES_PER_CALL * 8192.0 / CMDS_PER_CALL, 1e-6);

	JsonObject *pi = json_array_get_object_element(devs, 1);
	assert_string_equal(json_object_get_string_member(pi, "name"), "pi4k");
	assert_string_equal(json_object_get_string_member(pi, "cfgstring"), "pi=1;ro=1");
	assert_int_equal(json_object_get_int_member(pi, "pi_type"), 1);
	assert_true(json_object_get_boolean_member(pi, "read_only"));
	assert_int_equal(json_object_get_int_member(pi, "size_bytes"), 4ll << 40);
	assert_float_equal(json_object_get_double_member(pi, "iops"), 0.0, 0);
	g_object_unref(parser);
	run_free(&r);
}

static void one_sample_has_no_rates(void **state)
{
	struct env *e = *state;
	unsigned int calls_before = e->calls;
	struct run r = run_tcmudctl(e, "--json", "--interval", "0");

	assert_int_equal(r.status, 0);
	assert_int_equal(e->calls - calls_before, 1);
	JsonParser *parser = json_parser_new();
	assert_true(json_parser_load_from_data(parser, r.out, -1, NULL));
	JsonObject *root = json_node_get_object(json_parser_get_root(parser));
	JsonObject *rd0 =
		json_array_get_object_element(json_object_get_array_member(root, "devices"), 0);
	assert_true(json_object_get_null_member(rd0, "iops"));
	g_object_unref(parser);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_running_is_explained),
		cmocka_unit_test(another_owner_is_explained),
		cmocka_unit_test(table_over_the_bus),
		cmocka_unit_test(json_over_the_bus),
		cmocka_unit_test(one_sample_has_no_rates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
