/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PRE-FETCH(10)/(16), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL and
 * READ DEFECT DATA(10)/(12) through the SCSI layer against the rd handler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scsi_fixture.h"

#define NUM_LBAS 8192u
#define OP_PREFETCH10 0x34
#define OP_PREFETCH16 0x90
#define OP_START_STOP 0x1b
#define OP_PREVENT_ALLOW 0x1e
#define OP_RDD10 0x37
#define OP_RDD12 0xb7

/* ---- PRE-FETCH ----------------------------------------------------------- */

static int prefetch(struct fix *f, bool sixteen, uint64_t lba, uint32_t n, uint8_t b1,
		    struct buf *b)
{
	uint8_t c[16];

	if (sixteen) {
		cdb16(c, OP_PREFETCH16, lba, n, b1);
		return exec(f, c, 16, b);
	}
	cdb10(c, OP_PREFETCH10, (uint32_t)lba, (uint16_t)n, b1);
	return exec(f, c, 10, b);
}

/* The medium has no cache apart from itself: GOOD, IMMED or not. */
static void test_prefetch_good(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);

	for (int s = 0; s < 2; s++) {
		for (uint32_t n = 1; n <= 256; n += 51) {
			assert_good(f, prefetch(f, s, 0, n, 0, NULL));
			assert_good(f, prefetch(f, s, NUM_LBAS - n, n, 0, NULL));
		}
		assert_good(f, prefetch(f, s, 5, 1, 0x02, NULL)); /* IMMED */
		/* PREFETCH LENGTH 0: from the LBA to the last one. */
		assert_good(f, prefetch(f, s, 0, 0, 0, NULL));
		assert_good(f, prefetch(f, s, NUM_LBAS - 1, 0, 0, NULL));
	}
	/* Nothing is read: the handler is not involved. */
	assert_int_equal(spy.reads, 0);
	fix_free(f);
}

static void test_prefetch_out_of_range(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);

	for (int s = 0; s < 2; s++) {
		assert_sense(f, prefetch(f, s, NUM_LBAS - 1, 2, 0, NULL), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		assert_sense(f, prefetch(f, s, NUM_LBAS, 1, 0, NULL), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		/* 0 blocks "to the end" needs the first LBA to exist. */
		assert_sense(f, prefetch(f, s, NUM_LBAS, 0, 0, NULL), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		assert_sense(f, prefetch(f, s, 0x80000000u, 0, 0, NULL),
			     TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
		assert_sense(f, prefetch(f, s, 0xffffffffu, 1, 0, NULL),
			     TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	}
	assert_sense(f, prefetch(f, true, ~0ull, 1, 0, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_sense(f, prefetch(f, true, 1ull << 63, 0, 0, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	fix_free(f);
}

static void test_prefetch_fields(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);
	struct buf *b = buf_new(512, 0xcc, 0);
	uint8_t c[16];

	/* GROUP NUMBER is used; above it is reserved. */
	cdb10(c, OP_PREFETCH10, 0, 1, 0);
	c[6] = 0x3f;
	assert_good(f, exec(f, c, 10, NULL));
	c[6] = 0x40;
	assert_invalid_field(f, exec(f, c, 10, NULL), 6, 6);
	cdb16(c, OP_PREFETCH16, 0, 1, 0);
	c[14] = 0x83;
	assert_invalid_field(f, exec(f, c, 16, NULL), 14, 7);
	/* Byte 1: only IMMED (bit 0 is the obsolete RELADR). */
	assert_invalid_field(f, prefetch(f, false, 0, 1, 0x01, NULL), 1, 0);
	assert_invalid_field(f, prefetch(f, true, 0, 1, 0x04, NULL), 1, 2);
	assert_invalid_field(f, prefetch(f, true, 0, 1, 0x80, NULL), 1, 7);
	/* A stray buffer: nothing of it goes back. */
	assert_good(f, prefetch(f, false, 0, 1, 0, b));
	assert_read_len(f, 0);
	buf_free(b);
	fix_free(f);
}

/* ---- START STOP UNIT ------------------------------------------------------ */

static int start_stop(struct fix *f, uint8_t b1, uint8_t b3, uint8_t b4)
{
	uint8_t c[6] = {OP_START_STOP, b1, 0, b3, b4, 0};

	return exec(f, c, 6, NULL);
}

static void test_start_stop(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);

	write_blocks(f, 0, 4, 1, 0);
	assert_good(f, start_stop(f, 0, 0, 0x01));
	assert_good(f, start_stop(f, 0x01, 0, 0x01)); /* IMMED */
	assert_int_equal(spy.flushes, 0);
	/* Stopping writes the cache back, unless NO_FLUSH. */
	assert_good(f, start_stop(f, 0, 0, 0x00));
	assert_int_equal(spy.flushes, 1);
	assert_good(f, start_stop(f, 0, 0, 0x04));
	assert_int_equal(spy.flushes, 1);
	/* No stopped state: the medium is still there. */
	assert_blocks_pattern(f, 0, 4, 1);
	/* Loading the fixed medium is a no-op; ejecting it is impossible. */
	assert_good(f, start_stop(f, 0, 0, 0x03));
	assert_invalid_field(f, start_stop(f, 0, 0, 0x02), 4, 1);
	assert_invalid_field(f, start_stop(f, 0x01, 0, 0x06), 4, 1);
	fix_free(f);
}

static void test_start_stop_power_conditions(void **state)
{
	static const struct {
		uint8_t pc;
		uint8_t max_mod; /* 0xff: the power condition is reserved */
	} pcs[16] = {
		{0x0, 0}, {0x1, 0}, {0x2, 2}, {0x3, 1}, {0x4, 0xff}, {0x5, 0xff},
		{0x6, 0xff}, {0x7, 0}, {0x8, 0xff}, {0x9, 0xff}, {0xa, 2}, {0xb, 1},
		{0xc, 0xff}, {0xd, 0xff}, {0xe, 0xff}, {0xf, 0xff},
	};
	struct fix *f = fix_new(NUM_LBAS, 512, true);

	for (size_t i = 0; i < 16; i++) {
		uint8_t b4 = (uint8_t)(pcs[i].pc << 4 | 0x01);

		if (pcs[i].max_mod == 0xff) {
			assert_invalid_field(f, start_stop(f, 0, 0, b4), 4, 7);
			continue;
		}
		for (uint8_t m = 0; m <= pcs[i].max_mod; m++)
			assert_good(f, start_stop(f, 0, m, b4));
		assert_invalid_field(f, start_stop(f, 0, (uint8_t)(pcs[i].max_mod + 1), b4), 3,
				     3);
		assert_invalid_field(f, start_stop(f, 0, 0x0f, b4), 3, 3);
	}
	/* With a power condition, START and LOEJ are ignored (no eject). */
	assert_good(f, start_stop(f, 0, 0, 0x12));
	assert_int_equal(spy.flushes, 0);
	fix_free(f);
}

static void test_start_stop_reserved(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);
	uint8_t c[6] = {OP_START_STOP, 0, 0, 0, 0x01, 0};

	c[1] = 0x02;
	assert_invalid_field(f, exec(f, c, 6, NULL), 1, 1);
	c[1] = 0x80;
	assert_invalid_field(f, exec(f, c, 6, NULL), 1, 7);
	c[1] = 0;
	c[2] = 0x01;
	assert_invalid_field(f, exec(f, c, 6, NULL), 2, 0);
	c[2] = 0;
	c[3] = 0x10;
	assert_invalid_field(f, exec(f, c, 6, NULL), 3, 4);
	c[3] = 0;
	c[4] = 0x09;
	assert_invalid_field(f, exec(f, c, 6, NULL), 4, 3);
	c[4] = 0x01;
	c[5] = 0x04; /* NACA */
	assert_invalid_field(f, exec(f, c, 6, NULL), 5, 2);
	fix_free(f);
}

/* ---- PREVENT ALLOW MEDIUM REMOVAL ---------------------------------------- */

static void test_prevent_allow(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);
	uint8_t c[6] = {OP_PREVENT_ALLOW, 0, 0, 0, 0, 0};

	for (uint8_t p = 0; p < 2; p++) {
		c[4] = p;
		assert_good(f, exec(f, c, 6, NULL));
	}
	/* 10b and 11b are obsolete. */
	c[4] = 0x02;
	assert_invalid_field(f, exec(f, c, 6, NULL), 4, 1);
	c[4] = 0x03;
	assert_invalid_field(f, exec(f, c, 6, NULL), 4, 1);
	c[4] = 0x41;
	assert_invalid_field(f, exec(f, c, 6, NULL), 4, 6);
	c[4] = 0;
	for (unsigned i = 1; i <= 3; i++) {
		c[i] = 0x20;
		assert_invalid_field(f, exec(f, c, 6, NULL), i, 5);
		c[i] = 0;
	}
	/* Prevented or not, a START STOP still works. */
	c[4] = 1;
	assert_good(f, exec(f, c, 6, NULL));
	assert_good(f, start_stop(f, 0, 0, 0x01));
	fix_free(f);
}

/* ---- READ DEFECT DATA ----------------------------------------------------- */

static int rdd10(struct fix *f, uint8_t req, uint16_t alloc, struct buf *b)
{
	uint8_t c[10] = {OP_RDD10, 0, req, 0, 0, 0, 0, 0, 0, 0};

	put16(&c[7], alloc);
	return exec(f, c, 10, b);
}

static int rdd12(struct fix *f, uint8_t req, uint32_t index, uint32_t alloc, struct buf *b)
{
	uint8_t c[12] = {OP_RDD12, req, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

	put32(&c[2], index);
	put32(&c[6], alloc);
	return exec(f, c, 12, b);
}

static void test_read_defect_data10(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);
	struct buf *b = buf_new(32, 0xcc, 0);

	/* Both lists, short block format: valid and empty. */
	assert_good(f, rdd10(f, 0x18, 32, b));
	assert_read_len(f, 4);
	assert_int_equal(b->data[0], 0);
	assert_int_equal(b->data[1], 0x18);
	assert_int_equal(be16(&b->data[2]), 0);
	assert_int_equal(b->data[4], 0xcc);
	/* The requested format comes back; lists not asked for are not valid. */
	for (uint8_t fmt = 0; fmt < 7; fmt++) {
		assert_good(f, rdd10(f, 0x10 | fmt, 32, b));
		assert_int_equal(b->data[1], 0x10 | fmt);
	}
	assert_good(f, rdd10(f, 0, 32, b));
	assert_int_equal(b->data[1], 0);
	/* The reserved format 111b. */
	assert_invalid_field(f, rdd10(f, 0x07, 32, b), 2, 2);
	assert_invalid_field(f, rdd10(f, 0x20, 32, b), 2, 5);
	/* Allocation length truncates. */
	memset(b->data, 0xcc, 32);
	assert_good(f, rdd10(f, 0x18, 2, b));
	assert_read_len(f, 2);
	assert_int_equal(b->data[2], 0xcc);
	assert_good(f, rdd10(f, 0x18, 0, NULL));
	buf_free(b);
	{
		uint8_t c[10] = {OP_RDD10, 0x01, 0, 0, 0, 0, 0, 0, 32, 0};

		assert_invalid_field(f, exec(f, c, 10, NULL), 1, 0);
		c[1] = 0;
		c[5] = 0x01;
		assert_invalid_field(f, exec(f, c, 10, NULL), 5, 0);
	}
	fix_free(f);
}

static void test_read_defect_data12(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, true);
	struct buf *b = buf_new(32, 0xcc, 1);

	assert_good(f, rdd12(f, 0x1d, 0, 32, b));
	assert_read_len(f, 8);
	assert_int_equal(b->data[1], 0x1d);
	assert_true(all_zero(&b->data[2], 6));
	assert_int_equal(b->data[8], 0xcc);
	/* Any ADDRESS DESCRIPTOR INDEX of an empty list: empty. */
	assert_good(f, rdd12(f, 0x08, 0xffffffffu, 32, b));
	assert_int_equal(b->data[1], 0x08);
	assert_true(all_zero(&b->data[4], 4));
	assert_invalid_field(f, rdd12(f, 0x0f, 0, 32, b), 1, 2);
	assert_invalid_field(f, rdd12(f, 0x40, 0, 32, b), 1, 6);
	memset(b->data, 0xcc, 32);
	assert_good(f, rdd12(f, 0x18, 0, 5, b));
	assert_read_len(f, 5);
	assert_int_equal(b->data[5], 0xcc);
	{
		uint8_t c[12] = {OP_RDD12, 0x18, 0, 0, 0, 0, 0, 0, 0, 32, 0x01, 0};

		assert_invalid_field(f, exec(f, c, 12, b), 10, 0);
	}
	buf_free(b);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefetch_good),
		cmocka_unit_test(test_prefetch_out_of_range),
		cmocka_unit_test(test_prefetch_fields),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_start_stop_power_conditions),
		cmocka_unit_test(test_start_stop_reserved),
		cmocka_unit_test(test_prevent_allow),
		cmocka_unit_test(test_read_defect_data10),
		cmocka_unit_test(test_read_defect_data12),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
