/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcmudctl without a bus: the command line, the rates between two canned
 * GetStatus replies, the table and the JSON made from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "args.h"
#include "json.h"
#include "report.h"
#include "table.h"

/* ---- command line ------------------------------------------------------- */

struct parsed {
	enum tcmudctl_parse_result result;
	struct tcmudctl_args args;
	char err[512];
};

static struct parsed parse(int argc, const char **argv)
{
	struct parsed p;
	char *buf = NULL, *obuf = NULL;
	size_t len = 0, olen = 0;
	FILE *err = open_memstream(&buf, &len), *out = open_memstream(&obuf, &olen);

	assert_non_null(err);
	assert_non_null(out);
	p.result = tcmudctl_parse_args(argc, (char **)argv, &p.args, out, err);
	fclose(err);
	fclose(out);
	snprintf(p.err, sizeof(p.err), "%s", buf);
	free(buf);
	free(obuf);
	return p;
}

#define PARSE(...)                                                      \
	({                                                              \
		const char *argv_[] = {"tcmudctl", __VA_ARGS__, NULL};  \
		parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_); \
	})

static void command_line(void **state)
{
	struct parsed p = PARSE("status");
	assert_int_equal(p.result, TCMUDCTL_RUN);
	assert_false(p.args.json);
	assert_int_equal(p.args.bus, TCMUDCTL_BUS_SYSTEM);
	assert_float_equal(p.args.interval_s, 1.0, 0);

	p = PARSE("status", "--json", "--bus", "session", "--interval", "0.25");
	assert_int_equal(p.result, TCMUDCTL_RUN);
	assert_true(p.args.json);
	assert_int_equal(p.args.bus, TCMUDCTL_BUS_SESSION);
	assert_float_equal(p.args.interval_s, 0.25, 0);

	p = PARSE("--bus=unix:path=/run/x", "status", "--interval=0");
	assert_int_equal(p.result, TCMUDCTL_RUN);
	assert_int_equal(p.args.bus, TCMUDCTL_BUS_ADDRESS);
	assert_string_equal(p.args.address, "unix:path=/run/x");
	assert_float_equal(p.args.interval_s, 0, 0);

	assert_int_equal(PARSE("--help").result, TCMUDCTL_HELP);
}

static void command_line_errors(void **state)
{
	static const struct {
		const char *argv[4];
		const char *message;
	} cases[] = {
		{{"status", "--interval", "soon"}, "--interval soon: not a number of seconds"},
		{{"status", "--interval", "-1"}, "--interval -1: not a number of seconds"},
		{{"status", "--interval", "1e9"}, "--interval 1e9: not a number"},
		{{"status", "--interval", "nan"}, "--interval nan: not a number"},
		{{"status", "--bus", "tram"}, "--bus tram: not system, session or a D-Bus address"},
		{{"status", "--interval"}, "--interval needs a value"},
		{{"status", "--colour"}, "unknown option --colour"},
		{{"frob"}, "unknown command 'frob'"},
		{{"status", "now"}, "unexpected argument 'now'"},
		{{"--json"}, "no command given"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[6] = {"tcmudctl"};
		int argc = 1;
		for (int j = 0; j < 4 && cases[i].argv[j]; j++)
			argv[argc++] = cases[i].argv[j];
		struct parsed p = parse(argc, argv);
		assert_int_equal(p.result, TCMUDCTL_USAGE_ERROR);
		if (!strstr(p.err, cases[i].message))
			fail_msg("case %zu: '%s' does not say '%s'", i, p.err, cases[i].message);
	}
}

/* ---- cell formats --------------------------------------------------------- */

static void cell_formats(void **state)
{
	char b[64];

	tcmudctl_format_size(b, sizeof(b), 512);
	assert_string_equal(b, "512 B");
	tcmudctl_format_size(b, sizeof(b), 1536);
	assert_string_equal(b, "1.5 KiB");
	tcmudctl_format_size(b, sizeof(b), 64ull << 20);
	assert_string_equal(b, "64 MiB");
	tcmudctl_format_size(b, sizeof(b), 4ull << 40);
	assert_string_equal(b, "4 TiB");
	tcmudctl_format_size(b, sizeof(b), 0);
	assert_string_equal(b, "0 B");
	tcmudctl_format_size(b, sizeof(b), UINT64_MAX);
	assert_string_equal(b, "16.0 EiB");

	tcmudctl_format_latency(b, sizeof(b), 0.85);
	assert_string_equal(b, "850ns");
	tcmudctl_format_latency(b, sizeof(b), 12.345);
	assert_string_equal(b, "12.3us");
	tcmudctl_format_latency(b, sizeof(b), 999);
	assert_string_equal(b, "999us");
	tcmudctl_format_latency(b, sizeof(b), 4100);
	assert_string_equal(b, "4.10ms");
	tcmudctl_format_latency(b, sizeof(b), 2.5e6);
	assert_string_equal(b, "2.50s");
	tcmudctl_format_latency(b, sizeof(b), 1.8e10);
	assert_string_equal(b, "18000s");

	tcmudctl_format_uptime(b, sizeof(b), 12);
	assert_string_equal(b, "12s");
	tcmudctl_format_uptime(b, sizeof(b), 450);
	assert_string_equal(b, "7m 30s");
	tcmudctl_format_uptime(b, sizeof(b), 7500);
	assert_string_equal(b, "2h 5m");
	tcmudctl_format_uptime(b, sizeof(b), 3 * 86400 + 4 * 3600 + 59);
	assert_string_equal(b, "3d 4h");
}

/* ---- two samples ------------------------------------------------------------ */

#define DAEMON "{'version': <'0.1.0'>, 'pid': <uint32 4242>, 'uptime_s': <uint64 7500>, " \
	       "'handlers': <['rd']>}"

/* rd0 in both samples, 2 s apart; pi4k new in the second; gone only in the first. */
static const char *const first_text =
	"(" DAEMON ", [{'name': <'rd0'>, 'uio': <'uio0'>, 'commands': <uint64 1000>, "
	"'bytes_read': <uint64 0>, 'bytes_written': <uint64 0>, "
	"'timestamp_ns': <uint64 1000000000>}, "
	"{'name': <'gone'>, 'uio': <'uio5'>, 'commands': <uint64 7>, "
	"'timestamp_ns': <uint64 1000000000>}])";

static const char *const second_text =
	"(" DAEMON ", [{'name': <'rd0'>, 'hba': <uint32 0>, 'subtype': <'rd'>, 'uio': <'uio0'>, "
	"'cfgstring': <''>, 'size_bytes': <uint64 67108864>, 'block_size': <uint32 512>, "
	"'num_lbas': <uint64 131072>, 'pi_type': <byte 0>, 'read_only': <false>, "
	"'write_cache': <true>, 'mem_used': <uint64 4194304>, 'failed': <false>, "
	"'commands': <uint64 5000>, "
	"'reads': <uint64 3000>, 'writes': <uint64 1000>, 'other': <uint64 1000>, "
	"'bytes_read': <uint64 100000000>, 'bytes_written': <uint64 25000000>, "
	"'errors': <uint64 3>, 'sense': <@a{su} {'05/24/00': 3}>, "
	"'latency_us': <{'p50': 12.3, 'p90': 40.0, 'p99': 1500.0, 'p999': 2000.0, 'max': 9000.0}>, "
	"'timestamp_ns': <uint64 3000000000>}, "
	"{'name': <'pi4k'>, 'hba': <uint32 1>, 'subtype': <'rd'>, 'uio': <'uio3'>, "
	"'cfgstring': <'pi=1'>, 'size_bytes': <uint64 4398046511104>, "
	"'block_size': <uint32 4096>, 'pi_type': <byte 1>, 'failed': <true>, "
	"'commands': <uint64 0>, 'errors': <uint64 0>, 'sense': <@a{su} {}>, "
	"'latency_us': <{'p50': 0.0, 'p99': 0.0}>, 'timestamp_ns': <uint64 3000000000>}])";

static GVariant *parsed(const char *text)
{
	GError *e = NULL;
	GVariant *v = g_variant_parse(G_VARIANT_TYPE("(a{sv}aa{sv})"), text, NULL, NULL, &e);
	if (!v)
		fail_msg("canned reply: %s", e->message);
	return v; /* g_variant_parse() gives a full reference */
}

static void rates_between_samples(void **state)
{
	GVariant *a = parsed(first_text), *b = parsed(second_text);
	struct tcmudctl_report r;

	tcmudctl_report_build(a, b, 2.0, &r);
	assert_int_equal(r.nrows, 2);
	assert_string_equal(r.rows[0].name, "rd0");
	assert_true(r.rows[0].has_rates);
	assert_float_equal(r.rows[0].iops, 2000.0, 1e-9);
	assert_float_equal(r.rows[0].read_bytes_per_s, 5e7, 1e-6);
	assert_float_equal(r.rows[0].write_bytes_per_s, 1.25e7, 1e-6);
	assert_true(r.rows[0].has_latency);
	assert_string_equal(r.rows[1].name, "pi4k");
	assert_false(r.rows[1].has_rates);
	assert_false(r.rows[1].has_latency);
	tcmudctl_report_free(&r);

	/* Counters that went back (the device was opened again): no rates. */
	tcmudctl_report_build(b, a, 2.0, &r);
	assert_false(r.rows[0].has_rates);
	tcmudctl_report_free(&r);
	/* One sample only. */
	tcmudctl_report_build(NULL, b, 0, &r);
	assert_false(r.rows[0].has_rates);
	assert_true(r.rows[0].has_latency);
	tcmudctl_report_free(&r);
	g_variant_unref(a);
	g_variant_unref(b);
}

static void table_is_aligned(void **state)
{
	GVariant *a = parsed(first_text), *b = parsed(second_text);
	struct tcmudctl_report r;

	tcmudctl_report_build(a, b, 2.0, &r);
	char *text = tcmudctl_format_table(&r);
	assert_string_equal(
		text,
		"tcmud 0.1.0, pid 4242, up 2h 5m, handlers: rd; rates over 2 s\n"
		"DEVICE  HANDLER    SIZE  BLOCK  PI  MEMORY  COMMANDS  IOPS  READ MB/s  WRITE MB/s     P50     P99  ERRORS  STATE\n"
		"rd0     rd       64 MiB    512   0   4 MiB      5000  2000       50.0        12.5  12.3us  1.50ms       3  serving\n"
		"pi4k    rd        4 TiB   4096   1     0 B         0     -          -           -       -       -       0  failed\n");
	g_free(text);
	tcmudctl_report_free(&r);
	g_variant_unref(a);
	g_variant_unref(b);
}

static void table_without_devices_or_facts(void **state)
{
	GVariant *v = parsed("(@a{sv} {}, @aa{sv} [])");
	struct tcmudctl_report r;

	tcmudctl_report_build(NULL, v, 0, &r);
	char *text = tcmudctl_format_table(&r);
	assert_string_equal(text, "tcmud ?, pid 0, up 0s, handlers: none\nno devices served\n");
	g_free(text);
	tcmudctl_report_free(&r);
	g_variant_unref(v);
}

/* A reply from another version of tcmud: missing keys, keys of other types. */
static void odd_dictionaries_do_not_crash(void **state)
{
	GVariant *v = parsed("(@a{sv} {'pid': <'many'>}, [@a{sv} {}, "
			     "{'name': <uint32 7>, 'commands': <'lots'>, 'latency_us': <'fast'>}])");
	struct tcmudctl_report r;

	tcmudctl_report_build(v, v, 1, &r);
	assert_int_equal(r.nrows, 2);
	assert_string_equal(r.rows[1].name, "?");
	assert_int_equal(r.rows[1].commands, 0);
	char *text = tcmudctl_format_table(&r);
	assert_non_null(strstr(text, "\n?  "));
	g_free(text);
	text = tcmudctl_format_json(&r);
	assert_non_null(strstr(text, "\"name\""));
	g_free(text);
	tcmudctl_report_free(&r);
	g_variant_unref(v);
}

static JsonObject *member_object(JsonObject *o, const char *name)
{
	assert_true(json_object_has_member(o, name));
	return json_object_get_object_member(o, name);
}

static void json_has_the_same_data(void **state)
{
	GVariant *a = parsed(first_text), *b = parsed(second_text);
	struct tcmudctl_report r;
	GError *e = NULL;

	tcmudctl_report_build(a, b, 2.0, &r);
	char *text = tcmudctl_format_json(&r);
	JsonParser *parser = json_parser_new();
	if (!json_parser_load_from_data(parser, text, -1, &e))
		fail_msg("not JSON (%s):\n%s", e->message, text);
	JsonObject *root = json_node_get_object(json_parser_get_root(parser));
	JsonObject *daemon = member_object(root, "daemon");
	assert_int_equal(json_object_get_int_member(daemon, "pid"), 4242);
	assert_string_equal(json_object_get_string_member(daemon, "version"), "0.1.0");
	assert_float_equal(json_object_get_double_member(root, "interval_s"), 2.0, 0);

	JsonArray *devs = json_object_get_array_member(root, "devices");
	assert_int_equal(json_array_get_length(devs), 2);
	JsonObject *rd0 = json_array_get_object_element(devs, 0);
	assert_string_equal(json_object_get_string_member(rd0, "name"), "rd0");
	assert_string_equal(json_object_get_string_member(rd0, "subtype"), "rd");
	assert_int_equal(json_object_get_int_member(rd0, "size_bytes"), 67108864);
	assert_int_equal(json_object_get_int_member(rd0, "block_size"), 512);
	assert_int_equal(json_object_get_int_member(rd0, "pi_type"), 0);
	assert_true(json_object_get_boolean_member(rd0, "write_cache"));
	assert_int_equal(json_object_get_int_member(rd0, "commands"), 5000);
	assert_int_equal(json_object_get_int_member(rd0, "errors"), 3);
	assert_float_equal(json_object_get_double_member(rd0, "iops"), 2000.0, 1e-9);
	assert_float_equal(json_object_get_double_member(rd0, "read_bytes_per_s"), 5e7, 1e-6);
	assert_float_equal(json_object_get_double_member(rd0, "write_bytes_per_s"), 1.25e7, 1e-6);
	assert_int_equal(json_object_get_int_member(member_object(rd0, "sense"), "05/24/00"), 3);
	JsonObject *lat = member_object(rd0, "latency_us");
	assert_float_equal(json_object_get_double_member(lat, "p50"), 12.3, 1e-9);
	assert_float_equal(json_object_get_double_member(lat, "p99"), 1500.0, 1e-9);

	JsonObject *pi = json_array_get_object_element(devs, 1);
	assert_string_equal(json_object_get_string_member(pi, "name"), "pi4k");
	assert_int_equal(json_object_get_int_member(pi, "pi_type"), 1);
	assert_true(json_object_get_boolean_member(pi, "failed"));
	/* No previous sample: rates are null, not 0. */
	assert_true(json_object_get_null_member(pi, "iops"));
	assert_true(json_object_get_null_member(pi, "read_bytes_per_s"));

	g_object_unref(parser);
	g_free(text);
	tcmudctl_report_free(&r);
	g_variant_unref(a);
	g_variant_unref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(command_line),
		cmocka_unit_test(command_line_errors),
		cmocka_unit_test(cell_formats),
		cmocka_unit_test(rates_between_samples),
		cmocka_unit_test(table_is_aligned),
		cmocka_unit_test(table_without_devices_or_facts),
		cmocka_unit_test(odd_dictionaries_do_not_crash),
		cmocka_unit_test(json_has_the_same_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
