/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VERIFY and WRITE AND VERIFY (10/12/16/32) on a device without protection
 * information: BYTCHK 00b/01b/11b and the reserved values, the miscompare
 * offset (also across scratch chunks and iovec splits), ranges and zero
 * lengths, buffer sizes, write protection, and the CDB usage data the whole
 * family reports, checked against SBC-4's CDB layouts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scsi_fixture.h"
#include "verify_cdb.h"

static const uint8_t verify_ops[] = {OP_VERIFY10, OP_VERIFY12, OP_VERIFY16};
static const uint8_t wav_ops[] = {OP_WRITE_VERIFY10, OP_WRITE_VERIFY12, OP_WRITE_VERIFY16};

/* ---- VERIFY ------------------------------------------------------------ */

static void test_verify_compare_match(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	uint8_t c[16];

	write_blocks(f, 100, 9, 7, 0);
	for (size_t i = 0; i < sizeof(verify_ops); i++) {
		for (size_t k = 0; k < NR_SPLITS; k += 3) {
			struct buf *b = pattern_buf(f, 9, 7, k);
			size_t len = cdb_v(c, verify_ops[i], 100, 9, BYTCHK(1) | (k & 1 ? DPO : 0));

			assert_good(f, exec(f, c, len, b));
			/* DPO reaches the read of the medium. */
			assert_int_equal(spy.last_dpo, k & 1);
			buf_free(b);
		}
	}
	/* The medium is untouched. */
	assert_blocks_pattern(f, 100, 9, 7);
	fix_free(f);
}

/* The INFORMATION field holds the Data-Out offset of the first differing byte. */
static void test_verify_miscompare_offset(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	static const size_t offs[] = {0, 1, 511, 512, 513, 9 * 512 - 1};
	uint8_t c[16];

	write_blocks(f, 40, 9, 11, 0);
	for (size_t i = 0; i < sizeof(verify_ops); i++) {
		for (size_t j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
			struct buf *b = pattern_buf(f, 9, 11, i + j);
			size_t len = cdb_v(c, verify_ops[i], 40, 9, BYTCHK(1));
			unsigned writes = spy.writes;

			b->data[offs[j]] ^= 0x58;
			if (offs[j] + 700 < b->len) /* a later difference is not the one reported */
				b->data[offs[j] + 700] ^= 1;
			assert_miscompare(f, exec(f, c, len, b), offs[j]);
			assert_int_equal(spy.writes, writes);
			buf_free(b);
		}
	}
	fix_free(f);
}

/* A range larger than the scratch chunk (1 MiB): the offset counts from the
 * start of the whole Data-Out Buffer. */
static void test_verify_miscompare_late_chunk(void **state)
{
	const uint32_t n = 5000; /* 2.4 MiB of 512-byte blocks: three chunks */
	struct fix *f = fix_new(8192, 512, true);
	struct buf *w = pattern_buf(f, n, 3, 1);
	size_t off = (size_t)4321 * 512 + 17;
	uint8_t c[16];

	cdb16(c, 0x8a, 10, n, 0);
	assert_good(f, exec(f, c, 16, w));
	cdb_v(c, OP_VERIFY16, 10, n, BYTCHK(1));
	assert_good(f, exec(f, c, 16, w));
	w->data[off] ^= 0x80;
	assert_miscompare(f, exec(f, c, 16, w), off);
	buf_free(w);
	fix_free(f);
}

/* BYTCHK 11b: one block of Data-Out against every block of the range. */
static void test_verify_bytchk_same(void **state)
{
	struct fix *f = fix_new(256, 512, true);
	struct buf *one = pattern_buf(f, 1, 21, 2);
	struct buf *w = buf_new(6 * 512, 0, 0);
	uint8_t c[16];

	for (int i = 0; i < 6; i++)
		memcpy(w->data + i * 512, one->data, 512);
	cdb10(c, 0x2a, 50, 6, 0);
	assert_good(f, exec(f, c, 10, w));
	for (size_t i = 0; i < sizeof(verify_ops); i++) {
		size_t len = cdb_v(c, verify_ops[i], 50, 6, BYTCHK(3));

		assert_good(f, exec(f, c, len, one));
	}
	/* Block 4, byte 7 of the medium differs: the offset in the Data-Out
	 * Buffer the one block stands for. */
	w->data[4 * 512 + 7] ^= 0xff;
	cdb10(c, 0x2a, 50, 6, 0);
	assert_good(f, exec(f, c, 10, w));
	cdb_v(c, OP_VERIFY16, 50, 6, BYTCHK(3));
	assert_miscompare(f, exec(f, c, 16, one), 4 * 512 + 7);
	/* Blocks 50-53 still match. */
	cdb_v(c, OP_VERIFY12, 50, 4, BYTCHK(3));
	assert_good(f, exec(f, c, 12, one));
	buf_free(one);
	buf_free(w);
	fix_free(f);
}

static void test_verify_bytchk_reserved(void **state)
{
	struct fix *f = fix_new(256, 512, true);
	struct buf *b = buf_new(512, 0, 0);
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(verify_ops); i++) {
		size_t len = cdb_v(c, verify_ops[i], 0, 1, BYTCHK(2));

		assert_invalid_field(f, exec(f, c, len, b), 1, 2);
	}
	buf_free(b);
	fix_free(f);
}

/* BYTCHK 00b transfers nothing and checks the medium; any range works. */
static void test_verify_medium(void **state)
{
	struct fix *f = fix_new(1 << 20, 512, true); /* 512 MiB, sparse */
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(verify_ops); i++) {
		size_t len = cdb_v(c, verify_ops[i], 0, 0xffff, DPO);

		assert_good(f, exec(f, c, len, NULL));
	}
	cdb_v(c, OP_VERIFY16, 0, 1 << 20, 0);
	assert_good(f, exec(f, c, 16, NULL));
	assert_int_equal(spy.writes, 0);
	fix_free(f);
}

static void test_verify_range(void **state)
{
	struct fix *f = fix_new(1000, 512, true);
	struct buf *b = buf_new(2 * 512, 0, 0);
	uint8_t c[32];

	for (size_t i = 0; i < sizeof(verify_ops); i++) {
		uint8_t op = verify_ops[i];
		size_t len;

		len = cdb_v(c, op, 999, 2, BYTCHK(1)); /* all but one block beyond the end */
		assert_sense(f, exec(f, c, len, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		len = cdb_v(c, op, 1000, 1, 0);
		assert_sense(f, exec(f, c, len, NULL), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		/* Zero blocks: the LBA is still checked; at the end it is fine. */
		len = cdb_v(c, op, 1001, 0, BYTCHK(1));
		assert_sense(f, exec(f, c, len, NULL), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		len = cdb_v(c, op, 1000, 0, BYTCHK(1));
		assert_good(f, exec(f, c, len, NULL));
		len = cdb_v(c, op, 0xffffffff, 1, 0);
		assert_sense(f, exec(f, c, len, NULL), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
	}
	/* LBA + length wrapping around 2^64. */
	cdb_v(c, OP_VERIFY16, UINT64_MAX, 2, 0);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	/* A stray buffer on a zero-length verify: nothing goes out. */
	cdb_v(c, OP_VERIFY10, 5, 0, BYTCHK(1));
	assert_good(f, exec(f, c, 10, b));
	buf_free(b);
	fix_free(f);
}

/* The Data-Out Buffer must hold what BYTCHK asks for. */
static void test_verify_short_buffer(void **state)
{
	struct fix *f = fix_new(256, 512, true);
	struct buf *b = buf_new(3 * 512 - 1, 0, 0);
	uint8_t c[16];

	cdb_v(c, OP_VERIFY10, 0, 3, BYTCHK(1));
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	cdb_v(c, OP_VERIFY10, 0, 3, BYTCHK(1));
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	cdb_v(c, OP_VERIFY10, 0, 3, BYTCHK(3));
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	/* A larger buffer than BYTCHK 01b needs: the rest is not compared. */
	buf_free(b);
	b = buf_new(4 * 512, 0, 1);
	b->data[3 * 512] = 1;
	assert_good(f, exec(f, c, 10, b)); /* BYTCHK 11b of zeros vs unwritten zeros */
	cdb_v(c, OP_VERIFY10, 0, 3, BYTCHK(1));
	assert_good(f, exec(f, c, 10, b));
	buf_free(b);
	fix_free(f);
}

/* Reserved bits of byte 1 and the group byte; VRPROTECT without PI. */
static void test_verify_fields(void **state)
{
	struct fix *f = fix_new(256, 512, true);
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(verify_ops); i++) {
		uint8_t op = verify_ops[i];
		size_t len = cdb_v(c, op, 0, 1, FUA); /* bit 3 is reserved in VERIFY */
		unsigned group = len == 10 ? 6 : len == 12 ? 10 : 14;

		assert_invalid_field(f, exec(f, c, len, NULL), 1, 3);
		len = cdb_v(c, op, 0, 1, 0x01);
		assert_invalid_field(f, exec(f, c, len, NULL), 1, 0);
		for (uint8_t p = 1; p < 8; p++) {
			len = cdb_v(c, op, 0, 1, PROTECT(p));
			assert_invalid_field(f, exec(f, c, len, NULL), 1, 7);
		}
		len = cdb_v(c, op, 0, 1, DPO);
		c[group] = 0x3f; /* every group number is accepted */
		assert_good(f, exec(f, c, len, NULL));
		c[group] = 0x80; /* restricted for MMC-5 */
		assert_invalid_field(f, exec(f, c, len, NULL), group, 7);
		c[group] = 0x40;
		assert_invalid_field(f, exec(f, c, len, NULL), group, 6);
	}
	fix_free(f);
}

/* The 32-byte forms need type 2 protection. */
static void test_verify32_needs_type2(void **state)
{
	struct fix *f = fix_new(256, 512, true);
	uint8_t c[32];

	cdb_v32(c, SA_VERIFY32, 0, 1, 0);
	assert_sense(f, exec(f, c, 32, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	cdb_v32(c, SA_WRITE_VERIFY32, 0, 0, 0);
	assert_sense(f, exec(f, c, 32, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	fix_free(f);
}

/* ---- WRITE AND VERIFY -------------------------------------------------- */

static void test_write_verify_writes(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(wav_ops); i++) {
		for (uint8_t bc = 0; bc < 2; bc++) {
			uint32_t seed = (uint32_t)(10 * i + bc + 1);
			struct buf *b = pattern_buf(f, 17, seed, i + bc);
			size_t len = cdb_v(c, wav_ops[i], 200 + 20 * i, 17, BYTCHK(bc) | DPO);
			unsigned writes = spy.writes;

			assert_good(f, exec(f, c, len, b));
			assert_int_equal(spy.writes, writes + 1);
			assert_true(spy.last_dpo);
			assert_blocks_pattern(f, 200 + 20 * i, 17, seed);
			buf_free(b);
		}
	}
	fix_free(f);
}

/* A handler that stores one byte wrong: BYTCHK 01b finds it, 00b cannot. */
static size_t corrupt_at = SIZE_MAX;

static int corrupting_write(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	uint8_t byte;
	int st;

	if (corrupt_at == SIZE_MAX)
		return spy_write(dev, io);
	/* Flip the byte in the initiator's buffer for the write only. */
	tcmud_iov_to_buf(io->iov, io->iov_cnt, corrupt_at, &byte, 1);
	byte ^= 0x10;
	tcmud_iov_from_buf(io->iov, io->iov_cnt, corrupt_at, &byte, 1);
	st = spy_write(dev, io);
	byte ^= 0x10;
	tcmud_iov_from_buf(io->iov, io->iov_cnt, corrupt_at, &byte, 1);
	return st;
}

static void test_write_verify_compares(void **state)
{
	struct fix *f = fix_new(1024, 512, true);
	struct tcmud_handler h = *f->dev.handler;
	struct buf *b = pattern_buf(f, 5, 77, 4);
	uint8_t c[16];

	h.write = corrupting_write;
	f->dev.handler = &h;
	corrupt_at = 3 * 512 + 100;
	cdb_v(c, OP_WRITE_VERIFY16, 8, 5, BYTCHK(1));
	assert_miscompare(f, exec(f, c, 16, b), 3 * 512 + 100);
	cdb_v(c, OP_WRITE_VERIFY10, 8, 5, 0);
	assert_good(f, exec(f, c, 10, b));
	corrupt_at = SIZE_MAX;
	cdb_v(c, OP_WRITE_VERIFY12, 8, 5, BYTCHK(1));
	assert_good(f, exec(f, c, 12, b));
	assert_blocks_pattern(f, 8, 5, 77);
	buf_free(b);
	fix_free(f);
}

static void test_write_verify_fields(void **state)
{
	struct fix *f = fix_new(1000, 512, true);
	struct buf *b = pattern_buf(f, 2, 5, 0);
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(wav_ops); i++) {
		uint8_t op = wav_ops[i];
		size_t len;

		/* 10b and 11b are reserved for WRITE AND VERIFY. */
		len = cdb_v(c, op, 0, 2, BYTCHK(2));
		assert_invalid_field(f, exec(f, c, len, b), 1, 2);
		len = cdb_v(c, op, 0, 2, BYTCHK(3));
		assert_invalid_field(f, exec(f, c, len, b), 1, 2);
		len = cdb_v(c, op, 0, 2, FUA);
		assert_invalid_field(f, exec(f, c, len, b), 1, 3);
		for (uint8_t p = 1; p < 8; p++) {
			len = cdb_v(c, op, 0, 2, PROTECT(p) | BYTCHK(1));
			assert_invalid_field(f, exec(f, c, len, b), 1, 7);
		}
		len = cdb_v(c, op, 999, 2, BYTCHK(1));
		assert_sense(f, exec(f, c, len, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		len = cdb_v(c, op, 1001, 0, 0);
		assert_sense(f, exec(f, c, len, NULL), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		len = cdb_v(c, op, 0, 0, 0);
		assert_good(f, exec(f, c, len, NULL));
		len = cdb_v(c, op, 0, 3, BYTCHK(1)); /* two blocks sent, three asked */
		assert_sense(f, exec(f, c, len, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	}
	assert_int_equal(spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* Write protected (handler read-only or SWP): DATA PROTECT, nothing written. */
static void test_write_verify_protected(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = pattern_buf(f, 1, 9, 0);
	uint8_t c[16];

	write_blocks(f, 3, 1, 2, 0);
	for (int how = 0; how < 2; how++) {
		f->dev.hdev.read_only = how == 0;
		f->dev.mode.swp = how == 1;
		for (size_t i = 0; i < sizeof(wav_ops); i++) {
			size_t len = cdb_v(c, wav_ops[i], 3, 1, BYTCHK(1));

			assert_sense(f, exec(f, c, len, b), TCMUD_SK_DATA_PROTECT,
				     how ? TCMUD_ASC_SOFTWARE_WRITE_PROTECTED
					 : TCMUD_ASC_WRITE_PROTECTED);
		}
	}
	f->dev.hdev.read_only = false;
	f->dev.mode.swp = false;
	assert_blocks_pattern(f, 3, 1, 2);
	buf_free(b);
	fix_free(f);
}

/* ---- the family's CDB usage data --------------------------------------- */

/* SBC-4's layouts, bit by bit: what REPORT SUPPORTED OPERATION CODES must
 * report (and dispatch accepts) for each command. */
static const struct {
	uint8_t opcode;
	uint16_t sa; /* 0x7F only */
	uint8_t len;
	uint8_t usage[32];
} family[] = {
	{0x2f, 0, 10, {0x2f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0x00}},
	{0xaf, 0, 12, {0xaf, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0x00}},
	{0x8f, 0, 16, {0x8f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		       0xff, 0xff, 0x3f, 0x00}},
	{0x2e, 0, 10, {0x2e, 0xf6, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0x00}},
	{0xae, 0, 12, {0xae, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0x00}},
	{0x8e, 0, 16, {0x8e, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		       0xff, 0xff, 0x3f, 0x00}},
	{0x89, 0, 16, {0x89, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
		       0x00, 0xff, 0x3f, 0x00}},
	{0x8b, 0, 16, {0x8b, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		       0xff, 0xff, 0x3f, 0x00}},
	{0x9c, 0, 16, {0x9c, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		       0xff, 0xff, 0x3f, 0x00}},
	{0x7f, 0x000a, 32, {0x7f, 0, 0, 0, 0, 0, 0x3f, 0xff, 0x00, 0x0a, 0xf6, 0,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff}},
	{0x7f, 0x000c, 32, {0x7f, 0, 0, 0, 0, 0, 0x3f, 0xff, 0x00, 0x0c, 0xf6, 0,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff}},
	{0x7f, 0x000e, 32, {0x7f, 0, 0x07, 0x0f, 0, 0, 0x3f, 0xff, 0x00, 0x0e, 0xfa, 0,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff}},
	{0x7f, 0x000f, 32, {0x7f, 0, 0, 0, 0xff, 0xff, 0x3f, 0xff, 0x00, 0x0f, 0xf8, 0,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff}},
};

static void test_usage_data(void **state)
{
	struct fix *f = fix_new(64, 512, false);
	uint8_t c[12];

	f->dev.hdev.pi_type = 2; /* where the 32-byte forms exist */
	for (size_t i = 0; i < sizeof(family) / sizeof(family[0]); i++) {
		struct buf *b = buf_new(64, 0xcc, i);

		memset(c, 0, sizeof(c));
		c[0] = 0xa3;
		c[1] = 0x0c;
		c[2] = family[i].opcode == 0x7f ? 2 : 1;
		c[3] = family[i].opcode;
		put16(&c[4], family[i].sa);
		put32(&c[6], 64);
		assert_good(f, exec(f, c, 12, b));
		assert_int_equal(b->data[1] & 0x07, 3); /* supported, per the standard */
		assert_int_equal(be16(&b->data[2]), family[i].len);
		assert_memory_equal(&b->data[4], family[i].usage, family[i].len);
		buf_free(b);
	}
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_compare_match),
		cmocka_unit_test(test_verify_miscompare_offset),
		cmocka_unit_test(test_verify_miscompare_late_chunk),
		cmocka_unit_test(test_verify_bytchk_same),
		cmocka_unit_test(test_verify_bytchk_reserved),
		cmocka_unit_test(test_verify_medium),
		cmocka_unit_test(test_verify_range),
		cmocka_unit_test(test_verify_short_buffer),
		cmocka_unit_test(test_verify_fields),
		cmocka_unit_test(test_verify32_needs_type2),
		cmocka_unit_test(test_write_verify_writes),
		cmocka_unit_test(test_write_verify_compares),
		cmocka_unit_test(test_write_verify_fields),
		cmocka_unit_test(test_write_verify_protected),
		cmocka_unit_test(test_usage_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
