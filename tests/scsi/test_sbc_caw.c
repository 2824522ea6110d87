/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COMPARE AND WRITE, ORWRITE (16/32) and WRITE ATOMIC (16/32) on a device
 * without protection information, and COMPARE AND WRITE's atomicity against
 * WRITEs from another thread through tcmud_scsi_execute.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scsi_fixture.h"
#include "verify_cdb.h"

/* ---- COMPARE AND WRITE ------------------------------------------------- */

/* Compare half (what the blocks hold now) then write half (what they get). */
static struct buf *caw_buf(uint32_t n, uint32_t bs, uint8_t cmp, uint8_t wr, size_t k)
{
	struct buf *b = buf_new((size_t)2 * n * bs, cmp, k);

	memset(b->data + (size_t)n * bs, wr, (size_t)n * bs);
	return b;
}

static void assert_blocks_filled(struct fix *f, uint64_t lba, uint32_t n, uint8_t v)
{
	struct buf *r = read_blocks(f, lba, n, 1);

	for (size_t i = 0; i < r->len; i++)
		if (r->data[i] != v)
			fail_msg("byte %zu of LBA %llu.. is %#x, not %#x", i,
				 (unsigned long long)lba, r->data[i], v);
	buf_free(r);
}

static void fill_blocks(struct fix *f, uint64_t lba, uint32_t n, uint8_t v)
{
	struct buf *b = buf_new((size_t)n * f->dev.hdev.block_size, v, 2);
	uint8_t c[16];

	cdb16(c, 0x8a, lba, n, 0);
	assert_good(f, exec(f, c, 16, b));
	buf_free(b);
}

static void test_caw_writes_on_match(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	static const uint8_t sizes[] = {1, 2, 7, 128, 255};
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(sizes); i++) {
		uint32_t n = sizes[i];
		uint64_t lba = 1024 - n; /* at the end of the device */
		struct buf *b = caw_buf(n, 512, 'A', 'B', i);

		fill_blocks(f, lba, n, 'A');
		cdb_caw(c, lba, (uint8_t)n, DPO | FUA);
		assert_good(f, exec(f, c, 16, b));
		assert_true(spy.last_fua);
		assert_true(spy.last_dpo);
		assert_blocks_filled(f, lba, n, 'B');
		buf_free(b);
	}
	fix_free(f);
}

/* One byte differs: MISCOMPARE at its offset, and nothing is written. */
static void test_caw_miscompare(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	static const uint8_t sizes[] = {1, 3, 64};
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(sizes); i++) {
		uint32_t n = sizes[i];
		size_t off = (size_t)n * 512 - 27;
		struct buf *b = caw_buf(n, 512, 'A', 'B', i + 3);
		unsigned writes;

		fill_blocks(f, 10, n, 'A');
		writes = spy.writes;
		b->data[off] = 'C';
		cdb_caw(c, 10, (uint8_t)n, 0);
		assert_miscompare(f, exec(f, c, 16, b), off);
		assert_int_equal(spy.writes, writes);
		assert_blocks_filled(f, 10, n, 'A');
		buf_free(b);
	}
	/* The first of several differences is reported. */
	{
		struct buf *b = caw_buf(4, 512, 'A', 'B', 0);

		b->data[700] = 0;
		b->data[1500] = 0;
		cdb_caw(c, 10, 4, 0);
		assert_miscompare(f, exec(f, c, 16, b), 700);
		buf_free(b);
	}
	fix_free(f);
}

/* Blocks never written read as zeros and miscompare against other data. */
static void test_caw_unwritten(void **state)
{
	struct fix *f = fix_new(300, 512, true);
	uint8_t c[16];

	for (uint32_t lba = 1; lba < 300; lba += 37) {
		struct buf *b = caw_buf(1, 512, '%', 'B', lba);

		cdb_caw(c, lba, 1, 0);
		assert_miscompare(f, exec(f, c, 16, b), 0);
		assert_blocks_zero(f, lba, 1);
		buf_free(b);
	}
	fix_free(f);
}

static void test_caw_lengths(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	struct buf *b = caw_buf(2, 512, 0, 'B', 0); /* 4 blocks */
	uint8_t c[16];

	/* NUMBER OF LOGICAL BLOCKS 1 with 4 blocks of Data-Out: the field is wrong. */
	cdb_caw(c, 0, 1, 0);
	assert_invalid_field(f, exec(f, c, 16, b), 13, -1);
	/* 3 with 4: the transport's buffer is short. */
	cdb_caw(c, 0, 3, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	/* 0 (e.g. 256 truncated to a byte) with Data-Out. */
	cdb_caw(c, 0, 0, 0);
	assert_invalid_field(f, exec(f, c, 16, b), 13, -1);
	assert_int_equal(spy.writes, 0);
	/* 0 without Data-Out: nothing to do, not an error. */
	assert_good(f, exec(f, c, 16, NULL));
	/* 2 with 4: unwritten zeros match, the write half lands. */
	cdb_caw(c, 0, 2, 0);
	assert_good(f, exec(f, c, 16, b));
	assert_blocks_filled(f, 0, 2, 'B');
	buf_free(b);
	fix_free(f);
}

static void test_caw_fields(void **state)
{
	struct fix *f = fix_new(1000, 512, true);
	struct buf *b = caw_buf(2, 512, 0, 'B', 0);
	uint8_t c[16];

	cdb_caw(c, 999, 2, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb_caw(c, 1001, 0, 0);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb_caw(c, UINT64_MAX, 2, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	for (uint8_t p = 1; p < 8; p++) {
		cdb_caw(c, 0, 2, PROTECT(p));
		assert_invalid_field(f, exec(f, c, 16, b), 1, 7);
	}
	cdb_caw(c, 0, 2, 0x04);
	assert_invalid_field(f, exec(f, c, 16, b), 1, 2);
	cdb_caw(c, 0, 2, 0x01);
	assert_invalid_field(f, exec(f, c, 16, b), 1, 0);
	for (unsigned byte = 10; byte <= 12; byte++) {
		cdb_caw(c, 0, 2, 0);
		c[byte] = 0x20;
		assert_invalid_field(f, exec(f, c, 16, b), byte, 5);
	}
	assert_int_equal(spy.writes, 0);
	/* FUA_NV (obsolete) and a group number are accepted. */
	cdb_caw(c, 0, 2, 0x02);
	c[14] = 0x21;
	assert_good(f, exec(f, c, 16, b));
	buf_free(b);
	fix_free(f);
}

static void test_caw_protected(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = caw_buf(1, 512, 'A', 'B', 0);
	uint8_t c[16];

	fill_blocks(f, 0, 1, 'A');
	f->dev.hdev.read_only = true;
	cdb_caw(c, 0, 1, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_WRITE_PROTECTED);
	f->dev.hdev.read_only = false;
	f->dev.mode.swp = true;
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	f->dev.mode.swp = false;
	assert_blocks_filled(f, 0, 1, 'A');
	buf_free(b);
	fix_free(f);
}

/* ---- COMPARE AND WRITE against WRITEs on another thread ---------------- */

/*
 * Two blocks hold one 64-bit word repeated: (tag << 32) | tag of the content
 * the write replaced. A writer thread WRITEs tags 1, 2, ... (knowing nothing
 * of the content) until the other thread is done; that one reads the content
 * and replaces it with the next of its own tags (bit 31 set) by COMPARE AND
 * WRITE, retrying on a miscompare, at least NR_CAWS times and until the
 * writer has done MIN_WRITES (so the two always overlap). A spy records every handler write to the blocks, in the
 * order the device executed them. If every COMPARE AND WRITE was atomic,
 * each of its writes names the content that stood immediately before it,
 * and no read ever sees a mix of two writes.
 */
#define RACE_LBA 4
#define RACE_BLOCKS 2
#define RACE_BS 4096
#define RACE_BYTES (RACE_BLOCKS * RACE_BS)
#define MAX_WRITES 100000
#define NR_CAWS 5000
#define MIN_WRITES 5000
#define CAW_TAG 0x80000000u

static struct {
	uint64_t log[2 * MAX_WRITES]; /* both threads together, with room to spare */
	size_t n;
	bool overflow;
} race_log;
static atomic_bool race_caw_done;
static atomic_uint race_writes;

static int recording_write(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	uint64_t word;

	if (io->lba == RACE_LBA && io->nr_blocks == RACE_BLOCKS) {
		tcmud_iov_to_buf(io->iov, io->iov_cnt, 0, &word, sizeof(word));
		if (race_log.n < sizeof(race_log.log) / sizeof(race_log.log[0]))
			race_log.log[race_log.n++] = word;
		else
			race_log.overflow = true;
	}
	return tcmud_handler.write(dev, io);
}

/* Both threads start together, so their commands interleave. */
static pthread_barrier_t race_start;

struct racer {
	struct tcmud_scsi_dev *dev;
	struct tcmud_cmd cmd;
	uint8_t buf[2 * RACE_BYTES];
	struct iovec iov;
	int failures;       /* unexpected statuses */
	int torn;           /* reads that saw two writes mixed */
	int retries;
	uint32_t done;      /* commands that completed */
};

static int race_exec(struct racer *r, const uint8_t *cdb, size_t cdb_len, size_t bytes)
{
	memset(&r->cmd, 0, sizeof(r->cmd));
	memcpy(r->cmd.cdb, cdb, cdb_len);
	r->cmd.cdb_len = (uint16_t)cdb_len;
	r->iov = (struct iovec){r->buf, bytes};
	r->cmd.iov = &r->iov;
	r->cmd.iov_cnt = 1;
	r->cmd.data_len = bytes;
	return tcmud_scsi_execute(r->dev, &r->cmd);
}

static void fill_word(uint8_t *p, size_t len, uint64_t w)
{
	for (size_t i = 0; i < len; i += sizeof(w))
		memcpy(p + i, &w, sizeof(w));
}

static void *race_writer(void *arg)
{
	struct racer *r = arg;
	uint8_t c[16];

	pthread_barrier_wait(&race_start);
	for (uint32_t tag = 1; tag <= MAX_WRITES && !atomic_load(&race_caw_done); tag++) {
		fill_word(r->buf, RACE_BYTES, (uint64_t)tag << 32);
		cdb16(c, 0x8a, RACE_LBA, RACE_BLOCKS, 0);
		if (race_exec(r, c, 16, RACE_BYTES) != TCMUD_STATUS_GOOD)
			r->failures++;
		r->done++;
		atomic_store(&race_writes, r->done);
	}
	return NULL;
}

/* Read the blocks; their word, or 0 after counting a torn read. */
static uint64_t race_read(struct racer *r)
{
	uint64_t w, x;
	uint8_t c[16];

	cdb16(c, 0x88, RACE_LBA, RACE_BLOCKS, 0);
	if (race_exec(r, c, 16, RACE_BYTES) != TCMUD_STATUS_GOOD) {
		r->failures++;
		return 0;
	}
	memcpy(&w, r->buf, sizeof(w));
	for (size_t i = sizeof(w); i < RACE_BYTES; i += sizeof(x)) {
		memcpy(&x, r->buf + i, sizeof(x));
		if (x != w) {
			r->torn++;
			break;
		}
	}
	return w;
}

static void *race_caw(void *arg)
{
	struct racer *r = arg;
	uint8_t c[16];

	pthread_barrier_wait(&race_start);
	for (uint32_t i = 1; i <= NR_CAWS || atomic_load(&race_writes) < MIN_WRITES; i++) {
		r->done = i;
		for (;;) {
			uint64_t seen = race_read(r);
			uint64_t next = (uint64_t)(CAW_TAG | i) << 32 | (seen >> 32);
			int st;

			fill_word(r->buf, RACE_BYTES, seen);
			fill_word(r->buf + RACE_BYTES, RACE_BYTES, next);
			cdb_caw(c, RACE_LBA, RACE_BLOCKS, 0);
			st = race_exec(r, c, 16, 2 * RACE_BYTES);
			if (st == TCMUD_STATUS_GOOD)
				break;
			if (st != TCMUD_STATUS_CHECK_CONDITION ||
			    r->cmd.sense.key != TCMUD_SK_MISCOMPARE) {
				r->failures++;
				break;
			}
			r->retries++;
		}
	}
	atomic_store(&race_caw_done, true);
	return NULL;
}

static void test_caw_atomic_against_writes(void **state)
{
	struct fix *f = fix_new(64, RACE_BS, true);
	struct tcmud_handler h = *f->dev.handler;
	struct racer *w = calloc(1, sizeof(*w)), *a = calloc(1, sizeof(*a));
	pthread_t tw, ta;
	uint32_t prev = 0, next_caw = 1, writes = 0;

	assert_non_null(w);
	assert_non_null(a);
	h.write = recording_write;
	f->dev.handler = &h;
	memset(&race_log, 0, sizeof(race_log));
	atomic_store(&race_caw_done, false);
	atomic_store(&race_writes, 0);
	w->dev = a->dev = &f->dev;
	assert_int_equal(pthread_barrier_init(&race_start, NULL, 2), 0);
	assert_int_equal(pthread_create(&tw, NULL, race_writer, w), 0);
	assert_int_equal(pthread_create(&ta, NULL, race_caw, a), 0);
	assert_int_equal(pthread_join(tw, NULL), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	pthread_barrier_destroy(&race_start);

	assert_int_equal(w->failures + a->failures, 0);
	assert_int_equal(a->torn, 0);
	assert_false(race_log.overflow);
	assert_int_equal(race_log.n, w->done + a->done);
	for (size_t i = 0; i < race_log.n; i++) {
		uint32_t tag = (uint32_t)(race_log.log[i] >> 32);

		if (tag & CAW_TAG) {
			/* In order, and replacing exactly what stood before it. */
			assert_int_equal(tag, CAW_TAG | next_caw);
			assert_int_equal((uint32_t)race_log.log[i], prev);
			next_caw++;
		} else {
			assert_int_equal(tag, ++writes);
		}
		prev = tag;
	}
	/* What is stored is the last write executed. */
	assert_int_equal(a->torn, 0);
	assert_true(race_read(a) == race_log.log[race_log.n - 1]);
	assert_int_equal(a->torn + a->failures, 0);
	assert_int_equal(next_caw, a->done + 1);
	assert_int_equal(writes, w->done);
	print_message("%u COMPARE AND WRITEs retried %d times against %u WRITEs\n", a->done,
		      a->retries, w->done);
	free(w);
	free(a);
	fix_free(f);
}

/* ---- ORWRITE ----------------------------------------------------------- */

static void test_orwrite_ors(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	struct buf *old = pattern_buf(f, 9, 31, 0);
	struct buf *or = pattern_buf(f, 9, 32, 5);
	struct buf *got;
	uint8_t c[16];

	cdb16(c, 0x8a, 500, 9, 0);
	assert_good(f, exec(f, c, 16, old));
	cdb_v(c, OP_ORWRITE16, 500, 9, DPO | FUA);
	assert_good(f, exec(f, c, 16, or));
	assert_true(spy.last_fua);
	assert_true(spy.last_dpo);
	got = read_blocks(f, 500, 9, 2);
	for (size_t i = 0; i < got->len; i++)
		assert_int_equal(got->data[i], old->data[i] | or->data[i]);
	buf_free(got);
	buf_free(old);
	buf_free(or);
	fix_free(f);
}

/* libiscsi's check: zeros | 0xa5 = 0xa5, then | 0x5a = 0xff; over more
 * blocks than one scratch chunk holds. */
static void test_orwrite_chunks(void **state)
{
	const uint32_t n = 4500; /* 2.2 MiB */
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new((size_t)n * 512, 0xa5, 3);
	uint8_t c[16];

	cdb_v(c, OP_ORWRITE16, 100, n, 0);
	assert_good(f, exec(f, c, 16, b));
	assert_blocks_filled(f, 100, n, 0xa5);
	memset(b->data, 0x5a, b->len);
	assert_good(f, exec(f, c, 16, b));
	assert_blocks_filled(f, 100, n, 0xff);
	assert_blocks_zero(f, 100 + n, 1);
	assert_blocks_zero(f, 99, 1);
	buf_free(b);
	fix_free(f);
}

static void test_orwrite_fields(void **state)
{
	struct fix *f = fix_new(1000, 512, true);
	struct buf *b = buf_new(2 * 512, 0x11, 0);
	uint8_t c[32];
	size_t len;

	len = cdb_v(c, OP_ORWRITE16, 999, 2, 0);
	assert_sense(f, exec(f, c, len, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	len = cdb_v(c, OP_ORWRITE16, UINT64_MAX, 1, 0);
	assert_sense(f, exec(f, c, len, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	len = cdb_v(c, OP_ORWRITE16, 1001, 0, 0);
	assert_sense(f, exec(f, c, len, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	len = cdb_v(c, OP_ORWRITE16, 0, 0, 0);
	assert_good(f, exec(f, c, len, NULL));
	for (uint8_t p = 1; p < 8; p++) {
		len = cdb_v(c, OP_ORWRITE16, 0, 2, PROTECT(p));
		assert_invalid_field(f, exec(f, c, len, b), 1, 7);
	}
	len = cdb_v(c, OP_ORWRITE16, 0, 2, 0x04);
	assert_invalid_field(f, exec(f, c, len, b), 1, 2);
	len = cdb_v(c, OP_ORWRITE16, 0, 3, 0);
	assert_sense(f, exec(f, c, len, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	f->dev.hdev.read_only = true;
	len = cdb_v(c, OP_ORWRITE16, 0, 2, 0);
	assert_sense(f, exec(f, c, len, b), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_WRITE_PROTECTED);
	f->dev.hdev.read_only = false;
	/* ORWRITE(32), like the other 32-byte forms, needs type 2 protection. */
	cdb_v32(c, SA_ORWRITE32, 0, 2, 0);
	assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	assert_int_equal(spy.writes, 0);
	/* FUA_NV (obsolete) is accepted. */
	len = cdb_v(c, OP_ORWRITE16, 0, 2, 0x02);
	assert_good(f, exec(f, c, len, b));
	assert_blocks_filled(f, 0, 2, 0x11);
	buf_free(b);
	fix_free(f);
}

/* ---- WRITE ATOMIC ------------------------------------------------------ */

static void test_write_atomic(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	uint8_t c[16];

	for (uint32_t n = 1; n <= 128; n *= 2) {
		struct buf *b = pattern_buf(f, n, n, n);
		unsigned writes = spy.writes;

		cdb_atomic16(c, 1024 - n, (uint16_t)n, DPO | FUA);
		assert_good(f, exec(f, c, 16, b));
		/* One handler write for the whole range. */
		assert_int_equal(spy.writes, writes + 1);
		assert_int_equal(spy.last_blocks, n);
		assert_true(spy.last_fua);
		assert_blocks_pattern(f, 1024 - n, n, n);
		buf_free(b);
	}
	cdb_atomic16(c, 0, 0, 0);
	assert_good(f, exec(f, c, 16, NULL));
	fix_free(f);
}

static void test_write_atomic_fields(void **state)
{
	struct fix *f = fix_new(1000, 512, true);
	struct buf *b = pattern_buf(f, 129, 1, 0);
	uint8_t c[32];

	cdb_atomic16(c, 999, 2, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb_atomic16(c, 1001, 0, 0);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb_atomic16(c, 1ull << 63, 0, 0);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	for (uint8_t p = 1; p < 8; p++) {
		cdb_atomic16(c, 0, 1, PROTECT(p));
		assert_invalid_field(f, exec(f, c, 16, b), 1, 7);
	}
	cdb_atomic16(c, 0, 1, 0x02); /* WRITE ATOMIC never had FUA_NV */
	assert_invalid_field(f, exec(f, c, 16, b), 1, 1);
	/* No atomic boundaries (MAXIMUM ATOMIC BOUNDARY SIZE 0). */
	cdb_atomic16(c, 0, 1, 0);
	put16(&c[10], 1);
	assert_invalid_field(f, exec(f, c, 16, b), 10, -1);
	/* More than the maximum transfer length (hw_max_sectors 128 here)... */
	cdb_atomic16(c, 0, 129, 0);
	assert_invalid_field(f, exec(f, c, 16, b), 12, -1);
	/* ...but past the end of the device that is the first thing wrong. */
	cdb_atomic16(c, 1000 - 64, 256, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb_atomic16(c, 0, 3, 0);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	f->dev.mode.swp = true;
	cdb_atomic16(c, 0, 1, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	f->dev.mode.swp = false;
	assert_int_equal(spy.writes, 0);
	/* The 32-byte form needs type 2 protection. */
	cdb_v32(c, SA_WRITE_ATOMIC32, 0, 1, 0);
	assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	buf_free(b);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caw_writes_on_match),
		cmocka_unit_test(test_caw_miscompare),
		cmocka_unit_test(test_caw_unwritten),
		cmocka_unit_test(test_caw_lengths),
		cmocka_unit_test(test_caw_fields),
		cmocka_unit_test(test_caw_protected),
		cmocka_unit_test(test_caw_atomic_against_writes),
		cmocka_unit_test(test_orwrite_ors),
		cmocka_unit_test(test_orwrite_chunks),
		cmocka_unit_test(test_orwrite_fields),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
