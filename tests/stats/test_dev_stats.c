/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The latency histogram (bucket layout, quantiles from known inputs), the
 * read/write/other classification of CDBs, the per-device counters, and
 * recording from two threads while a third takes snapshots.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev_stats.h"
#include "latency_hist.h"

#define US 1000u
#define SEC 1000000000ull

static struct tcmud_latency_hist *hist_new(void)
{
	return test_calloc(1, sizeof(struct tcmud_latency_hist));
}

static uint64_t q_of(struct tcmud_latency_hist *h, double q)
{
	struct tcmud_latency_snap s;
	tcmud_latency_snapshot(h, &s);
	return tcmud_latency_quantile(&s, q);
}

/* ---- bucket layout ------------------------------------------------------ */

static void buckets_tile_the_range(void **state)
{
	assert_int_equal(tcmud_latency_bucket_low(0), 0);
	for (size_t i = 0; i < TCMUD_LAT_OVERFLOW; i++) {
		uint64_t lo = tcmud_latency_bucket_low(i), hi = tcmud_latency_bucket_high(i);
		assert_true(lo <= hi);
		assert_int_equal(tcmud_latency_bucket(lo), i);
		assert_int_equal(tcmud_latency_bucket(hi), i);
		assert_int_equal(tcmud_latency_bucket_low(i + 1), hi + 1);
		/* Log-linear: no bucket wider than an eighth of where it starts. */
		if (lo >= TCMUD_LAT_SUB)
			assert_true((hi - lo + 1) * TCMUD_LAT_SUB <= lo);
	}
	/* 1 us and 10 s have buckets of their own; 2^34 ns and up overflow. */
	assert_true(tcmud_latency_bucket(1000) < tcmud_latency_bucket(1200));
	assert_true(tcmud_latency_bucket(10 * SEC) < TCMUD_LAT_OVERFLOW);
	assert_int_equal(tcmud_latency_bucket((1ull << 34) - 1), TCMUD_LAT_OVERFLOW - 1);
	assert_int_equal(tcmud_latency_bucket(1ull << 34), TCMUD_LAT_OVERFLOW);
	assert_int_equal(tcmud_latency_bucket(UINT64_MAX), TCMUD_LAT_OVERFLOW);
	assert_int_equal(tcmud_latency_bucket_high(TCMUD_LAT_OVERFLOW), UINT64_MAX);
	/* Known spots: 1024 ns starts a power of two cut in 128 ns steps. */
	assert_int_equal(tcmud_latency_bucket_low(tcmud_latency_bucket(1100)), 1024);
	assert_int_equal(tcmud_latency_bucket_high(tcmud_latency_bucket(1100)), 1151);
	assert_int_equal(tcmud_latency_bucket(7), 7);
	assert_int_equal(tcmud_latency_bucket(8), 8);
}

/* ---- quantiles ---------------------------------------------------------- */

static void empty_histogram_reads_zero(void **state)
{
	struct tcmud_latency_hist *h = hist_new();
	struct tcmud_latency_snap s;

	tcmud_latency_snapshot(h, &s);
	assert_int_equal(s.count, 0);
	assert_int_equal(tcmud_latency_quantile(&s, 0.5), 0);
	assert_int_equal(tcmud_latency_quantile(&s, 0.999), 0);
	assert_int_equal(tcmud_latency_quantile(&s, 1.0), 0);
	test_free(h);
}

static void one_sample_is_every_quantile(void **state)
{
	struct tcmud_latency_hist *h = hist_new();

	tcmud_latency_record(h, 1234 * US);
	/* The bucket reaches higher, but never above the maximum seen. */
	assert_int_equal(q_of(h, 0.5), 1234 * US);
	assert_int_equal(q_of(h, 0.9), 1234 * US);
	assert_int_equal(q_of(h, 0.99), 1234 * US);
	assert_int_equal(q_of(h, 0.999), 1234 * US);
	assert_int_equal(q_of(h, 1.0), 1234 * US);
	assert_int_equal(q_of(h, 0.0), 1234 * US);
	test_free(h);
}

static void values_at_bucket_boundaries(void **state)
{
	struct tcmud_latency_hist *h = hist_new();

	/* 1024 and 1151 share [1024, 1151]; 1152 starts [1152, 1279]. */
	tcmud_latency_record(h, 1024);
	tcmud_latency_record(h, 1151);
	tcmud_latency_record(h, 1152);
	tcmud_latency_record(h, 2047);
	assert_int_equal(q_of(h, 0.25), 1151);
	assert_int_equal(q_of(h, 0.5), 1151);
	assert_int_equal(q_of(h, 0.75), 1279);
	assert_int_equal(q_of(h, 0.76), 2047);
	assert_int_equal(q_of(h, 1.0), 2047);
	/* Exact below 8 ns; 0 is a value like any other. */
	struct tcmud_latency_hist *z = hist_new();
	tcmud_latency_record(z, 0);
	tcmud_latency_record(z, 0);
	tcmud_latency_record(z, 5);
	assert_int_equal(q_of(z, 0.5), 0);
	assert_int_equal(q_of(z, 0.9), 5);
	test_free(z);
	test_free(h);
}

/* 0.999 * 1000 must be rank 999, not 1000 (floating point lands above). */
static void rank_of_whole_products_is_exact(void **state)
{
	struct tcmud_latency_hist *h = hist_new();

	for (int i = 0; i < 999; i++)
		tcmud_latency_record(h, 10 * US);
	tcmud_latency_record(h, 5 * SEC);
	assert_true(q_of(h, 0.999) < 12 * US);
	assert_int_equal(q_of(h, 1.0), 5 * SEC);
	/* 0.9 * 10 and 0.99 * 100, likewise. */
	struct tcmud_latency_hist *g = hist_new();
	for (int i = 0; i < 99; i++)
		tcmud_latency_record(g, 3 * US);
	tcmud_latency_record(g, 900 * US);
	assert_true(q_of(g, 0.99) < 4 * US);
	assert_true(q_of(g, 0.991) >= 900 * US);
	test_free(g);
	test_free(h);
}

static void uniform_distribution_within_an_eighth(void **state)
{
	struct tcmud_latency_hist *h = hist_new();
	static const double qs[] = {0.01, 0.1, 0.5, 0.9, 0.99, 0.999};

	/* 1 us, 2 us, ..., 10000 us, shuffled by a stride coprime to 10000. */
	for (uint64_t i = 0; i < 10000; i++)
		tcmud_latency_record(h, ((i * 7919) % 10000 + 1) * US);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t exact = (uint64_t)(qs[i] * 10000 + 0.5) * US;
		uint64_t got = q_of(h, qs[i]);
		if (got < exact || got > exact + exact / 8)
			fail_msg("q %.3f: %llu ns, exact %llu ns", qs[i], (unsigned long long)got,
				 (unsigned long long)exact);
	}
	assert_int_equal(q_of(h, 1.0), 10000 * US);
	test_free(h);
}

static void huge_values_overflow_to_the_maximum(void **state)
{
	struct tcmud_latency_hist *h = hist_new();

	tcmud_latency_record(h, 1 * US);
	tcmud_latency_record(h, 20 * SEC);
	/* 1 us reads as the upper bound of [960, 1023] ns. */
	assert_int_equal(q_of(h, 0.5), 1023);
	assert_int_equal(q_of(h, 0.99), 20 * SEC);
	tcmud_latency_record(h, 30 * SEC);
	tcmud_latency_record(h, 12 * SEC);
	/* 12 s has a bucket: [2^33 + 3 * 2^30, 2^33 + 4 * 2^30) ns. */
	assert_int_equal(q_of(h, 0.5), (1ull << 33) + 4 * (1ull << 30) - 1);
	/* 20 s and 30 s share the overflow bucket: the maximum stands for both. */
	assert_int_equal(q_of(h, 0.75), 30 * SEC);
	tcmud_latency_record(h, UINT64_MAX);
	assert_int_equal(q_of(h, 1.0), UINT64_MAX);
	assert_int_equal(q_of(h, 0.8), UINT64_MAX);
	test_free(h);
}

/* ---- classification ------------------------------------------------------ */

static enum tcmud_io_class class_of(uint8_t op, uint16_t sa, size_t len)
{
	uint8_t cdb[32] = {op};
	cdb[8] = (uint8_t)(sa >> 8);
	cdb[9] = (uint8_t)sa;
	return tcmud_cdb_io_class(cdb, len);
}

static void cdb_classification(void **state)
{
	static const uint8_t reads[] = {0x08, 0x28, 0xa8, 0x88};
	static const uint8_t writes[] = {0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae,
					 0x8e, 0x8b, 0x89, 0x9c};
	static const uint8_t others[] = {0x00, 0x12, 0x25, 0x35, 0x91, 0x2f, 0x8f, 0xaf,
					 0x41, 0x93, 0x42, 0x9e, 0x1a, 0x83, 0x04, 0xff};

	for (size_t i = 0; i < sizeof(reads); i++)
		assert_int_equal(class_of(reads[i], 0, 16), TCMUD_IO_READ);
	for (size_t i = 0; i < sizeof(writes); i++)
		assert_int_equal(class_of(writes[i], 0, 16), TCMUD_IO_WRITE);
	for (size_t i = 0; i < sizeof(others); i++)
		assert_int_equal(class_of(others[i], 0, 16), TCMUD_IO_OTHER);
	/* 32-byte CDBs by service action. */
	assert_int_equal(class_of(0x7f, 0x0009, 32), TCMUD_IO_READ);
	assert_int_equal(class_of(0x7f, 0x000b, 32), TCMUD_IO_WRITE);
	assert_int_equal(class_of(0x7f, 0x000c, 32), TCMUD_IO_WRITE);
	assert_int_equal(class_of(0x7f, 0x000e, 32), TCMUD_IO_WRITE);
	assert_int_equal(class_of(0x7f, 0x000f, 32), TCMUD_IO_WRITE);
	assert_int_equal(class_of(0x7f, 0x000a, 32), TCMUD_IO_OTHER); /* VERIFY(32) */
	assert_int_equal(class_of(0x7f, 0x000d, 32), TCMUD_IO_OTHER); /* WRITE SAME(32) */
	/* Too short to tell. */
	assert_int_equal(class_of(0x7f, 0x0009, 9), TCMUD_IO_OTHER);
	assert_int_equal(class_of(0x28, 0, 0), TCMUD_IO_OTHER);
}

/* ---- counters ------------------------------------------------------------ */

static struct tcmud_cmd cmd_of(uint8_t op, uint8_t status, uint64_t data_len)
{
	struct tcmud_cmd c = {.cdb = {op}, .cdb_len = 10, .status = status,
			      .data_len = data_len};
	return c;
}

static struct tcmud_cmd check_condition(uint8_t key, uint16_t asc_ascq)
{
	struct tcmud_cmd c = cmd_of(0x28, TCMUD_STATUS_CHECK_CONDITION, 4096);
	c.sense.key = key;
	c.sense.asc_ascq = asc_ascq;
	return c;
}

static uint64_t sense_count(const struct tcmud_dev_stats_snapshot *s, uint8_t key,
			    uint8_t asc, uint8_t ascq)
{
	for (size_t i = 0; i < s->nsense; i++)
		if (s->sense[i].key == key && s->sense[i].asc == asc && s->sense[i].ascq == ascq)
			return s->sense[i].count;
	return 0;
}

static void counters_from_known_commands(void **state)
{
	struct tcmud_dev_stats *st = test_malloc(sizeof(*st));
	struct tcmud_dev_stats_snapshot *s = test_malloc(sizeof(*s));
	struct tcmud_cmd c;

	tcmud_dev_stats_init(st);
	c = cmd_of(0x28, TCMUD_STATUS_GOOD, 8192);
	tcmud_dev_stats_record(st, &c, 10 * US);
	/* A short read counts what was read. */
	c.read_len_valid = true;
	c.read_len = 512;
	tcmud_dev_stats_record(st, &c, 10 * US);
	c = cmd_of(0x2a, TCMUD_STATUS_GOOD, 4096);
	tcmud_dev_stats_record(st, &c, 20 * US);
	c = cmd_of(0x00, TCMUD_STATUS_GOOD, 0);
	tcmud_dev_stats_record(st, &c, 1 * US);
	/* PRE-FETCH's CONDITION MET is no error. */
	c = cmd_of(0x34, TCMUD_STATUS_CONDITION_MET, 0);
	tcmud_dev_stats_record(st, &c, 1 * US);
	/* Failed transfers count as commands and errors, not as bytes. */
	c = check_condition(0x5, 0x2100);
	tcmud_dev_stats_record(st, &c, 2 * US);
	tcmud_dev_stats_record(st, &c, 2 * US);
	c = cmd_of(0x2a, TCMUD_STATUS_CHECK_CONDITION, 4096);
	c.sense.key = 0x7;
	c.sense.asc_ascq = 0x2700;
	tcmud_dev_stats_record(st, &c, 3 * US);
	c = cmd_of(0x2a, TCMUD_STATUS_BUSY, 4096);
	tcmud_dev_stats_record(st, &c, 3 * US);

	uint64_t before = tcmud_stats_now_ns();
	tcmud_dev_stats_snapshot(st, s);
	assert_true(s->timestamp_ns >= before);
	assert_int_equal(s->commands, 9);
	assert_int_equal(s->reads, 4);
	assert_int_equal(s->writes, 3);
	assert_int_equal(s->other, 2);
	assert_int_equal(s->bytes_read, 8192 + 512);
	assert_int_equal(s->bytes_written, 4096);
	assert_int_equal(s->errors, 4);
	assert_int_equal(s->nsense, 2);
	assert_int_equal(sense_count(s, 0x5, 0x21, 0x00), 2);
	assert_int_equal(sense_count(s, 0x7, 0x27, 0x00), 1);
	assert_int_equal(s->sense_overflow, 0);
	assert_int_equal(s->latency.count, 9);
	assert_int_equal(s->latency.max_ns, 20 * US);
	test_free(s);
	test_free(st);
}

static void sense_table_overflows_into_one_bucket(void **state)
{
	struct tcmud_dev_stats *st = test_malloc(sizeof(*st));
	struct tcmud_dev_stats_snapshot *s = test_malloc(sizeof(*s));

	tcmud_dev_stats_init(st);
	/* 00/00/00 is a triple like any other (a CHECK CONDITION without sense). */
	for (unsigned int i = 0; i < TCMUD_STATS_SENSE_SLOTS + 4; i++) {
		struct tcmud_cmd c = check_condition(i == 0 ? 0 : 0x5, (uint16_t)(i << 8));
		tcmud_dev_stats_record(st, &c, US);
		tcmud_dev_stats_record(st, &c, US);
	}
	tcmud_dev_stats_snapshot(st, s);
	assert_int_equal(s->nsense, TCMUD_STATS_SENSE_SLOTS);
	assert_int_equal(sense_count(s, 0, 0, 0), 2);
	assert_int_equal(sense_count(s, 0x5, TCMUD_STATS_SENSE_SLOTS - 1, 0), 2);
	assert_int_equal(sense_count(s, 0x5, TCMUD_STATS_SENSE_SLOTS, 0), 0);
	assert_int_equal(s->sense_overflow, 8);
	assert_int_equal(s->errors, 2 * (TCMUD_STATS_SENSE_SLOTS + 4));
	test_free(s);
	test_free(st);
}

/* ---- two writers and a reader ------------------------------------------- */

#define PER_THREAD 200000
/* More distinct triples than slots, so both threads race for the last ones. */
#define TRIPLES (TCMUD_STATS_SENSE_SLOTS + 8)

static struct tcmud_dev_stats race_stats;
static atomic_bool writers_done;

static void *writer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	for (uint32_t i = 0; i < PER_THREAD; i++) {
		struct tcmud_cmd c;
		switch (i % 4) {
		case 0:
			c = cmd_of(0x28, TCMUD_STATUS_GOOD, 4096);
			break;
		case 1:
			c = cmd_of(0x2a, TCMUD_STATUS_GOOD, 512);
			break;
		case 2:
			c = cmd_of(0x00, TCMUD_STATUS_GOOD, 0);
			break;
		default:
			c = check_condition(0x5, (uint16_t)((i / 4 + id) % TRIPLES) << 8);
			break;
		}
		tcmud_dev_stats_record(&race_stats, &c, (i % 1000 + 1) * US);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct tcmud_dev_stats_snapshot *s = malloc(sizeof(*s));
	uint64_t last_cmds = 0, last_lat = 0, last_read = 0, snaps = 0;
	bool ok = s != NULL;

	while (ok && !atomic_load(&writers_done)) {
		tcmud_dev_stats_snapshot(&race_stats, s);
		/* Every counter only grows, whatever the interleaving. */
		ok = s->commands >= last_cmds && s->latency.count >= last_lat &&
		     s->bytes_read >= last_read && s->bytes_read % 4096 == 0 &&
		     s->latency.max_ns <= 1000 * US;
		last_cmds = s->commands;
		last_lat = s->latency.count;
		last_read = s->bytes_read;
		snaps++;
	}
	free(s);
	return ok && snaps > 0 ? (void *)1 : NULL;
}

static void two_writers_and_a_reader(void **state)
{
	struct tcmud_dev_stats_snapshot *s = test_malloc(sizeof(*s));
	pthread_t w1, w2, r;
	void *reader_ok;

	tcmud_dev_stats_init(&race_stats);
	atomic_store(&writers_done, false);
	assert_int_equal(pthread_create(&r, NULL, reader, NULL), 0);
	assert_int_equal(pthread_create(&w1, NULL, writer, (void *)0), 0);
	assert_int_equal(pthread_create(&w2, NULL, writer, (void *)5), 0);
	assert_int_equal(pthread_join(w1, NULL), 0);
	assert_int_equal(pthread_join(w2, NULL), 0);
	atomic_store(&writers_done, true);
	assert_int_equal(pthread_join(r, &reader_ok), 0);
	assert_non_null(reader_ok);

	tcmud_dev_stats_snapshot(&race_stats, s);
	assert_int_equal(s->commands, 2 * PER_THREAD);
	assert_int_equal(s->reads, 2 * PER_THREAD / 4 * 2);
	assert_int_equal(s->writes, 2 * PER_THREAD / 4);
	assert_int_equal(s->other, 2 * PER_THREAD / 4);
	assert_int_equal(s->bytes_read, (uint64_t)2 * PER_THREAD / 4 * 4096);
	assert_int_equal(s->bytes_written, (uint64_t)2 * PER_THREAD / 4 * 512);
	assert_int_equal(s->errors, 2 * PER_THREAD / 4);
	assert_int_equal(s->latency.count, 2 * PER_THREAD);
	assert_int_equal(s->latency.max_ns, 1000 * US);
	/* Each triple has one slot at most, and nothing is lost. */
	uint64_t sum = s->sense_overflow;
	assert_int_equal(s->nsense, TCMUD_STATS_SENSE_SLOTS);
	for (size_t i = 0; i < s->nsense; i++) {
		for (size_t j = i + 1; j < s->nsense; j++)
			assert_false(s->sense[i].asc == s->sense[j].asc);
		sum += s->sense[i].count;
	}
	assert_int_equal(sum, 2 * PER_THREAD / 4);
	test_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets_tile_the_range),
		cmocka_unit_test(empty_histogram_reads_zero),
		cmocka_unit_test(one_sample_is_every_quantile),
		cmocka_unit_test(values_at_bucket_boundaries),
		cmocka_unit_test(rank_of_whole_products_is_exact),
		cmocka_unit_test(uniform_distribution_within_an_eighth),
		cmocka_unit_test(huge_values_overflow_to_the_maximum),
		cmocka_unit_test(cdb_classification),
		cmocka_unit_test(counters_from_known_commands),
		cmocka_unit_test(sense_table_overflows_into_one_bucket),
		cmocka_unit_test(two_writers_and_a_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
