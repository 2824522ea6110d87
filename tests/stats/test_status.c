/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcmud_status_variant() over a daemon with two hand-built devices: the
 * type, the daemon's facts, each device's facts and counters, sense keys,
 * latency quantiles and the snapshot timestamps that rates are computed from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_daemon.h"
#include "status.h"

static int setup(void **state)
{
	static struct fake_daemon f;
	fake_daemon_init(&f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fake_daemon_fini(*state);
	return 0;
}

static GVariant *status_of(struct fake_daemon *f)
{
	return g_variant_ref_sink(tcmud_status_variant(&f->d));
}

static GVariant *device_dict(GVariant *status, size_t i)
{
	GVariant *devs = g_variant_get_child_value(status, 1);
	GVariant *d = g_variant_get_child_value(devs, i);
	g_variant_unref(devs);
	return d;
}

static uint64_t u64(GVariant *dict, const char *key)
{
	guint64 v;
	if (!g_variant_lookup(dict, key, "t", &v))
		fail_msg("no %s of type t", key);
	return v;
}

static const char *str(GVariant *dict, const char *key)
{
	const char *s;
	if (!g_variant_lookup(dict, key, "&s", &s))
		fail_msg("no %s of type s", key);
	return s;
}

static void daemon_facts(void **state)
{
	GVariant *st = status_of(*state);
	GVariant *facts = g_variant_get_child_value(st, 0);
	guint32 pid;
	guint64 uptime;
	const char **handlers;

	assert_string_equal(g_variant_get_type_string(st), TCMUD_STATUS_TYPE);
	assert_true(g_variant_lookup(facts, "pid", "u", &pid));
	assert_int_equal(pid, getpid());
	assert_true(g_variant_lookup(facts, "uptime_s", "t", &uptime));
	assert_true(uptime < 600);
	assert_true(strlen(str(facts, "version")) > 0);
	assert_true(g_variant_lookup(facts, "handlers", "^a&s", &handlers));
	assert_non_null(handlers[0]);
	assert_string_equal(handlers[0], "rd");
	assert_null(handlers[1]);
	g_free(handlers);
	g_variant_unref(facts);
	g_variant_unref(st);
}

static void device_facts(void **state)
{
	GVariant *st = status_of(*state);
	GVariant *rd0 = device_dict(st, 0), *pi = device_dict(st, 1);
	guint32 block_size, hba;
	guchar pi_type;
	gboolean ro, wc, failed;

	GVariant *devs = g_variant_get_child_value(st, 1);
	assert_int_equal(g_variant_n_children(devs), 2);
	g_variant_unref(devs);
	assert_string_equal(str(rd0, "name"), "rd0");
	assert_string_equal(str(rd0, "subtype"), "rd");
	assert_string_equal(str(rd0, "uio"), "uio0");
	assert_string_equal(str(rd0, "cfgstring"), "");
	assert_int_equal(u64(rd0, "size_bytes"), 64u << 20);
	assert_int_equal(u64(rd0, "num_lbas"), (64u << 20) / 512);
	assert_true(g_variant_lookup(rd0, "write_cache", "b", &wc) && wc);
	assert_true(g_variant_lookup(rd0, "failed", "b", &failed) && !failed);

	assert_string_equal(str(pi, "name"), "pi4k");
	assert_string_equal(str(pi, "uio"), "uio3");
	assert_string_equal(str(pi, "cfgstring"), "pi=1;ro=1");
	assert_true(g_variant_lookup(pi, "hba", "u", &hba));
	assert_int_equal(hba, 1);
	assert_int_equal(u64(pi, "size_bytes"), 4ull << 40);
	assert_true(g_variant_lookup(pi, "block_size", "u", &block_size));
	assert_int_equal(block_size, 4096);
	assert_true(g_variant_lookup(pi, "pi_type", "y", &pi_type));
	assert_int_equal(pi_type, 1);
	assert_true(g_variant_lookup(pi, "read_only", "b", &ro) && ro);
	assert_true(g_variant_lookup(pi, "write_cache", "b", &wc) && !wc);
	g_variant_unref(rd0);
	g_variant_unref(pi);
	g_variant_unref(st);
}

static void counters_sense_and_latency(void **state)
{
	struct fake_daemon *f = *state;
	struct tcmud_device *dev = f->devs[0];
	GVariant *st, *d, *sense, *lat;
	guint32 n;
	double p50, p90, p99, p999, max;

	/* 98 reads at 10 us, a write at 40 us, a refused READ at 1 s. */
	for (int i = 0; i < 98; i++)
		fake_record(dev, 0x28, TCMUD_STATUS_GOOD, 4096, 10000, 0, 0);
	fake_record(dev, 0x2a, TCMUD_STATUS_GOOD, 8192, 40000, 0, 0);
	fake_record(dev, 0x28, TCMUD_STATUS_CHECK_CONDITION, 4096, 1000000000, 0x5, 0x2100);
	st = status_of(f);
	d = device_dict(st, 0);
	assert_int_equal(u64(d, "commands"), 100);
	assert_int_equal(u64(d, "reads"), 99);
	assert_int_equal(u64(d, "writes"), 1);
	assert_int_equal(u64(d, "other"), 0);
	assert_int_equal(u64(d, "bytes_read"), 98 * 4096);
	assert_int_equal(u64(d, "bytes_written"), 8192);
	assert_int_equal(u64(d, "errors"), 1);
	sense = g_variant_lookup_value(d, "sense", G_VARIANT_TYPE("a{su}"));
	assert_non_null(sense);
	assert_int_equal(g_variant_n_children(sense), 1);
	assert_true(g_variant_lookup(sense, "05/21/00", "u", &n));
	assert_int_equal(n, 1);
	lat = g_variant_lookup_value(d, "latency_us", G_VARIANT_TYPE("a{sd}"));
	assert_non_null(lat);
	assert_true(g_variant_lookup(lat, "p50", "d", &p50));
	assert_true(g_variant_lookup(lat, "p99", "d", &p99));
	assert_true(g_variant_lookup(lat, "p999", "d", &p999));
	assert_true(g_variant_lookup(lat, "max", "d", &max));
	assert_true(g_variant_lookup(lat, "p90", "d", &p90));
	/* Bucket upper bounds: 10 us lies in [9216, 10239] ns, 40 us in
	 * [36864, 40959] ns; 1 s is the maximum. */
	assert_float_equal(p50, 10.239, 1e-9);
	assert_float_equal(p90, 10.239, 1e-9);
	assert_float_equal(p99, 40.959, 1e-9);
	assert_float_equal(p999, 1000000.0, 1e-9);
	assert_float_equal(max, 1000000.0, 1e-9);
	g_variant_unref(lat);
	g_variant_unref(sense);
	g_variant_unref(d);

	/* The untouched device: zeros, an empty sense dictionary. */
	d = device_dict(st, 1);
	assert_int_equal(u64(d, "commands"), 0);
	sense = g_variant_lookup_value(d, "sense", G_VARIANT_TYPE("a{su}"));
	assert_int_equal(g_variant_n_children(sense), 0);
	lat = g_variant_lookup_value(d, "latency_us", G_VARIANT_TYPE("a{sd}"));
	assert_true(g_variant_lookup(lat, "p99", "d", &p99));
	assert_float_equal(p99, 0.0, 0);
	g_variant_unref(lat);
	g_variant_unref(sense);
	g_variant_unref(d);
	g_variant_unref(st);
}

static void sense_overflow_key(void **state)
{
	struct fake_daemon *f = *state;
	struct tcmud_device *dev = f->devs[1];
	GVariant *st, *d, *sense;
	guint32 n;

	for (unsigned int i = 0; i < TCMUD_STATS_SENSE_SLOTS + 2; i++)
		fake_record(dev, 0x2a, TCMUD_STATUS_CHECK_CONDITION, 4096, 1000, 0x7,
			    (uint16_t)(0x2700 + i));
	st = status_of(f);
	d = device_dict(st, 1);
	sense = g_variant_lookup_value(d, "sense", G_VARIANT_TYPE("a{su}"));
	assert_int_equal(g_variant_n_children(sense), TCMUD_STATS_SENSE_SLOTS + 1);
	assert_true(g_variant_lookup(sense, "07/27/00", "u", &n));
	assert_int_equal(n, 1);
	assert_true(g_variant_lookup(sense, "07/27/0f", "u", &n));
	assert_true(g_variant_lookup(sense, "other", "u", &n));
	assert_int_equal(n, 2);
	assert_false(g_variant_lookup(sense, "07/27/10", "u", &n));
	g_variant_unref(sense);
	g_variant_unref(d);
	g_variant_unref(st);
}

/* Two calls give what a client needs for IOPS: counts and a later timestamp. */
static void timestamps_advance_between_calls(void **state)
{
	struct fake_daemon *f = *state;
	GVariant *a = status_of(f), *da = device_dict(a, 0);
	for (int i = 0; i < 50; i++)
		fake_record(f->devs[0], 0x00, TCMUD_STATUS_GOOD, 0, 2000, 0, 0);
	g_usleep(2000);
	GVariant *b = status_of(f), *db = device_dict(b, 0);
	assert_int_equal(u64(db, "commands") - u64(da, "commands"), 50);
	assert_int_equal(u64(db, "other") - u64(da, "other"), 50);
	assert_true(u64(db, "timestamp_ns") >= u64(da, "timestamp_ns") + 2000000);
	g_variant_unref(da);
	g_variant_unref(db);
	g_variant_unref(a);
	g_variant_unref(b);
}

static void no_devices(void **state)
{
	struct fake_daemon *f = *state;
	size_t n = f->d.ndevs;
	f->d.ndevs = 0;
	GVariant *st = status_of(f);
	GVariant *devs = g_variant_get_child_value(st, 1);
	assert_int_equal(g_variant_n_children(devs), 0);
	g_variant_unref(devs);
	g_variant_unref(st);
	f->d.ndevs = n;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(daemon_facts),
		cmocka_unit_test(device_facts),
		cmocka_unit_test(counters_sense_and_latency),
		cmocka_unit_test(sense_overflow_key),
		cmocka_unit_test(timestamps_advance_between_calls),
		cmocka_unit_test(no_devices),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
