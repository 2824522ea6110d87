/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verify family on rd devices with protection information: VERIFY's
 * checks of stored PI per VRPROTECT (over more than one scratch chunk), the
 * initiator's tuples checked before anything is compared or written, the
 * miscompare offset counting tuples, COMPARE AND WRITE / ORWRITE / WRITE
 * ATOMIC with PROTECT fields, and type 2's 32-byte forms and their tags
 * (ORWRITE(32) included).
 *
 * Tuples are computed here with a bitwise CRC, independently of the
 * library the daemon uses.
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

#define TUPLE 8
#define BS 512
#define PER (BS + TUPLE)
#define NUM_LBAS 8192

static struct fix *pi_fix(uint8_t type)
{
	static const char *const cfg[4] = {"", "pi=1", "pi=2", "pi=3"};
	struct fix *f = fix_new_cfg(NUM_LBAS, BS, cfg[type], true);

	assert_int_equal(f->dev.hdev.pi_type, type);
	return f;
}

/* CRC-16/T10-DIF: polynomial 0x8BB7, initial 0, not reflected. */
static uint16_t crc_ref(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x8bb7 : crc << 1);
	}
	return crc;
}

/*
 * An initiator buffer of n blocks of the pattern of seed, each followed by
 * a good tuple: app tag app, reference tags counting from ref0.
 */
static struct buf *pi_buf(uint32_t n, uint32_t seed, uint16_t app, uint32_t ref0, size_t k)
{
	struct buf *b = buf_new((size_t)n * PER, 0, k);
	uint8_t *data = malloc((size_t)n * BS);

	assert_non_null(data);
	fill_pattern(data, (size_t)n * BS, seed);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *blk = b->data + (size_t)i * PER;

		memcpy(blk, data + (size_t)i * BS, BS);
		put16(blk + BS, crc_ref(blk, BS));
		put16(blk + BS + 2, app);
		put32(blk + BS + 4, ref0 + i);
	}
	free(data);
	return b;
}

static uint8_t *tuple_of(struct buf *b, uint32_t i)
{
	return b->data + (size_t)i * PER + BS;
}

/* Flip bits of byte off of an interleaved buffer and give its block a guard
 * that matches again: data that differs, with good PI. */
static void flip_data(struct buf *b, size_t off, uint8_t bits)
{
	uint8_t *blk = b->data + off / PER * PER;

	b->data[off] ^= bits;
	put16(blk + BS, crc_ref(blk, BS));
}

static void assert_pi_error(struct fix *f, int ret, uint16_t asc, uint64_t lba)
{
	assert_sense(f, ret, TCMUD_SK_ABORTED_COMMAND, asc);
	assert_true(f->cmd.sense.info_valid);
	assert_int_equal(f->cmd.sense.info, lba);
}

/* Store b with WRPROTECT 3: the device takes the tuples unchecked. */
static void store_raw(struct fix *f, uint64_t lba, uint32_t n, struct buf *b)
{
	uint8_t c[16];

	cdb16(c, 0x8a, lba, n, PROTECT(3));
	assert_good(f, exec(f, c, 16, b));
}

/* ---- VERIFY ------------------------------------------------------------ */

/* BYTCHK 00b checks stored PI as VRPROTECT asks, across chunks. */
static void test_verify_stored_pi(void **state)
{
	struct fix *f = pi_fix(1);
	struct buf *b = pi_buf(4, 1, 0, 7000, 0);
	uint8_t c[16];

	write_blocks(f, 0, 64, 9, 0); /* PI generated */
	put16(tuple_of(b, 1), 0xbad0);           /* LBA 7001: bad guard */
	put32(tuple_of(b, 3) + 4, 0x12345678);   /* LBA 7003: bad reference tag */
	store_raw(f, 7000, 4, b);

	cdb_v(c, OP_VERIFY16, 0, 64, 0);
	assert_good(f, exec(f, c, 16, NULL));
	/* The whole device: 4 MiB, several chunks; the first bad block is reported. */
	cdb_v(c, OP_VERIFY16, 0, NUM_LBAS, 0);
	assert_pi_error(f, exec(f, c, 16, NULL), TCMUD_ASC_GUARD_CHECK_FAILED, 7001);
	cdb_v(c, OP_VERIFY10, 6990, 100, PROTECT(1));
	assert_pi_error(f, exec(f, c, 10, NULL), TCMUD_ASC_GUARD_CHECK_FAILED, 7001);
	cdb_v(c, OP_VERIFY12, 6990, 100, PROTECT(4)); /* the guard only */
	assert_pi_error(f, exec(f, c, 12, NULL), TCMUD_ASC_GUARD_CHECK_FAILED, 7001);
	cdb_v(c, OP_VERIFY12, 6990, 100, PROTECT(2)); /* not the guard */
	assert_pi_error(f, exec(f, c, 12, NULL), TCMUD_ASC_REF_TAG_CHECK_FAILED, 7003);
	cdb_v(c, OP_VERIFY16, 6990, 100, PROTECT(3)); /* nothing */
	assert_good(f, exec(f, c, 16, NULL));
	cdb_v(c, OP_VERIFY16, 7004, 100, PROTECT(1));
	assert_good(f, exec(f, c, 16, NULL));
	buf_free(b);
	fix_free(f);
}

/* BYTCHK 01b with VRPROTECT: tuples in the Data-Out Buffer are checked, the
 * user data compared; the offset counts the tuples. */
static void test_verify_compare_pi(void **state)
{
	struct fix *f = pi_fix(1);
	struct buf *b = pi_buf(6, 5, 0x4242, 300, 1);
	struct buf *plain = buf_new(6 * BS, 0, 2);
	uint8_t c[16];

	store_raw(f, 300, 6, b);
	cdb_v(c, OP_VERIFY10, 300, 6, PROTECT(1) | BYTCHK(1));
	assert_good(f, exec(f, c, 10, b));
	/* A different application tag is not compared (it is the initiator's). */
	put16(tuple_of(b, 2) + 2, 0x1111);
	assert_good(f, exec(f, c, 10, b));
	flip_data(b, 2 * PER + 10, 1);
	assert_miscompare(f, exec(f, c, 10, b), 2 * PER + 10);
	flip_data(b, 2 * PER + 10, 1);
	/* A bad tuple in the Data-Out Buffer: refused before any compare. */
	put16(tuple_of(b, 4), 0xdead);
	flip_data(b, 0, 1);
	assert_pi_error(f, exec(f, c, 10, b), TCMUD_ASC_GUARD_CHECK_FAILED, 304);
	flip_data(b, 0, 1);
	cdb_v(c, OP_VERIFY10, 300, 6, PROTECT(3) | BYTCHK(1)); /* no check of the tuples */
	assert_good(f, exec(f, c, 10, b));
	/* VRPROTECT 0: plain Data-Out, stored PI checked by the read. */
	for (int i = 0; i < 6; i++)
		memcpy(plain->data + i * BS, b->data + i * PER, BS);
	cdb_v(c, OP_VERIFY16, 300, 6, BYTCHK(1));
	assert_good(f, exec(f, c, 16, plain));
	plain->data[5 * BS + 511] ^= 4;
	assert_miscompare(f, exec(f, c, 16, plain), 5 * BS + 511);
	buf_free(plain);
	buf_free(b);
	fix_free(f);
}

/* BYTCHK 11b with VRPROTECT: the one block's tuple is the first LBA's. */
static void test_verify_same_pi(void **state)
{
	struct fix *f = pi_fix(1);
	struct buf *one = pi_buf(1, 8, 0, 40, 0);
	struct buf *w = buf_new(5 * BS, 0, 0);
	uint8_t c[16];

	for (int i = 0; i < 5; i++)
		memcpy(w->data + i * BS, one->data, BS);
	cdb10(c, 0x2a, 40, 5, 0);
	assert_good(f, exec(f, c, 10, w));
	cdb_v(c, OP_VERIFY16, 40, 5, PROTECT(1) | BYTCHK(3));
	assert_good(f, exec(f, c, 16, one));
	put32(tuple_of(one, 0) + 4, 41);
	assert_pi_error(f, exec(f, c, 16, one), TCMUD_ASC_REF_TAG_CHECK_FAILED, 40);
	buf_free(one);
	buf_free(w);
	fix_free(f);
}

/* ---- writes ------------------------------------------------------------ */

static void test_write_verify_pi(void **state)
{
	struct fix *f = pi_fix(1);
	struct buf *b = pi_buf(3, 12, 0x77, 500, 3);
	struct buf *r = buf_new(3 * PER, 0xcc, 4);
	uint8_t c[16];

	cdb_v(c, OP_WRITE_VERIFY10, 500, 3, PROTECT(1) | BYTCHK(1));
	assert_good(f, exec(f, c, 10, b));
	cdb10(c, 0x28, 500, 3, PROTECT(1));
	assert_good(f, exec(f, c, 10, r));
	assert_memory_equal(r->data, b->data, b->len);
	/* A bad tuple: nothing is written. */
	b->data[7] ^= 1;
	cdb_v(c, OP_WRITE_VERIFY16, 500, 3, PROTECT(1));
	assert_pi_error(f, exec(f, c, 16, b), TCMUD_ASC_GUARD_CHECK_FAILED, 500);
	cdb10(c, 0x28, 500, 3, PROTECT(1));
	assert_good(f, exec(f, c, 10, r));
	assert_int_not_equal(r->data[7], b->data[7]);
	buf_free(r);
	buf_free(b);
	fix_free(f);
}

/* Halves laid out with tuples; a bad tuple in either changes nothing. */
static void test_caw_pi(void **state)
{
	struct fix *f = pi_fix(1);
	struct buf *cmp = pi_buf(2, 20, 0, 60, 0);
	struct buf *wr = pi_buf(2, 21, 0, 60, 0);
	struct buf *b = buf_new(4 * PER, 0, 5);
	struct buf *r = buf_new(2 * PER, 0, 1);
	uint8_t c[16];

	store_raw(f, 60, 2, cmp);
	memcpy(b->data, cmp->data, 2 * PER);
	memcpy(b->data + 2 * PER, wr->data, 2 * PER);
	cdb_caw(c, 60, 2, PROTECT(1));
	b->data[2 * PER + 1] ^= 1; /* the write half's block 0 */
	assert_pi_error(f, exec(f, c, 16, b), TCMUD_ASC_GUARD_CHECK_FAILED, 60);
	b->data[2 * PER + 1] ^= 1;
	put32(b->data + PER + BS + 4, 99); /* the compare half's block 1 */
	assert_pi_error(f, exec(f, c, 16, b), TCMUD_ASC_REF_TAG_CHECK_FAILED, 61);
	put32(b->data + PER + BS + 4, 61);
	flip_data(b, PER + 3, 0x20);
	assert_miscompare(f, exec(f, c, 16, b), PER + 3);
	flip_data(b, PER + 3, 0x20);
	cdb10(c, 0x28, 60, 2, PROTECT(1));
	assert_good(f, exec(f, c, 10, r));
	assert_memory_equal(r->data, cmp->data, 2 * PER);
	cdb_caw(c, 60, 2, PROTECT(1));
	assert_good(f, exec(f, c, 16, b));
	cdb10(c, 0x28, 60, 2, PROTECT(1));
	assert_good(f, exec(f, c, 10, r));
	assert_memory_equal(r->data, wr->data, 2 * PER);
	buf_free(r);
	buf_free(b);
	buf_free(wr);
	buf_free(cmp);
	fix_free(f);
}

/* The result of an OR gets fresh PI, checked by a plain read. */
static void test_orwrite_pi(void **state)
{
	struct fix *f = pi_fix(1);
	struct buf *q = pi_buf(3, 31, 0, 80, 2);
	struct buf *old = pattern_buf(f, 3, 30, 0);
	struct buf *got;
	uint8_t c[16];

	cdb10(c, 0x2a, 80, 3, 0);
	assert_good(f, exec(f, c, 10, old));
	put16(tuple_of(q, 2), 0); /* a bad guard: nothing changes */
	cdb_v(c, OP_ORWRITE16, 80, 3, PROTECT(1));
	assert_pi_error(f, exec(f, c, 16, q), TCMUD_ASC_GUARD_CHECK_FAILED, 82);
	assert_blocks_pattern(f, 80, 3, 30);
	put16(tuple_of(q, 2), crc_ref(q->data + 2 * PER, BS));
	assert_good(f, exec(f, c, 16, q));
	got = read_blocks(f, 80, 3, 1); /* RDPROTECT 0 checks the stored PI */
	for (size_t i = 0; i < got->len; i++)
		assert_int_equal(got->data[i], old->data[i] | q->data[i / BS * PER + i % BS]);
	buf_free(got);
	buf_free(old);
	buf_free(q);
	fix_free(f);
}

/* A bad tuple in the last block: not one block is written. */
static void test_write_atomic_pi(void **state)
{
	struct fix *f = pi_fix(1);
	struct buf *b = pi_buf(4, 40, 0, 100, 0);
	uint8_t c[16];

	write_blocks(f, 100, 4, 39, 0);
	put16(tuple_of(b, 3), 0x0bad);
	cdb_atomic16(c, 100, 4, PROTECT(1));
	assert_pi_error(f, exec(f, c, 16, b), TCMUD_ASC_GUARD_CHECK_FAILED, 103);
	assert_blocks_pattern(f, 100, 4, 39);
	put16(tuple_of(b, 3), crc_ref(b->data + 3 * PER, BS));
	assert_good(f, exec(f, c, 16, b));
	buf_free(b);
	fix_free(f);
}

/* ---- type 2 and the 32-byte forms -------------------------------------- */

static void test_type2_32byte(void **state)
{
	struct fix *f = pi_fix(2);
	struct buf *b = pi_buf(4, 50, 0xa0a0, 0x1000, 0);
	uint8_t c[32];

	/* Type 2 PI travels only with the 32-byte forms. */
	cdb_v(c, OP_VERIFY10, 0, 1, PROTECT(1));
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	cdb_v(c, OP_WRITE_VERIFY16, 0, 1, PROTECT(1));
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);

	cdb_v32(c, SA_WRITE_VERIFY32, 200, 4, PROTECT(1) | BYTCHK(1));
	put32(&c[20], 0x1000);
	put16(&c[24], 0xa0a0);
	put16(&c[26], 0xffff);
	assert_good(f, exec(f, c, 32, b));
	cdb_v32(c, SA_VERIFY32, 200, 4, PROTECT(1));
	put32(&c[20], 0x1000);
	assert_good(f, exec(f, c, 32, NULL));
	c[10] |= BYTCHK(2); /* reserved, in byte 10 here */
	assert_invalid_field(f, exec(f, c, 32, NULL), 10, 2);
	c[10] &= (uint8_t)~BYTCHK(2);
	put32(&c[20], 0x2000); /* another expected initial reference tag */
	assert_pi_error(f, exec(f, c, 32, NULL), TCMUD_ASC_REF_TAG_CHECK_FAILED, 200);
	/* From block 2 on the expected tag is 0x1002. */
	cdb_v32(c, SA_VERIFY32, 202, 2, PROTECT(1) | BYTCHK(1));
	put32(&c[20], 0x1002);
	{
		struct buf *tail = buf_new(2 * PER, 0, 3);

		memcpy(tail->data, b->data + 2 * PER, 2 * PER);
		assert_good(f, exec(f, c, 32, tail));
		put32(&c[20], 0x1000);
		assert_pi_error(f, exec(f, c, 32, tail), TCMUD_ASC_REF_TAG_CHECK_FAILED, 202);
		buf_free(tail);
	}
	cdb_v32(c, SA_WRITE_ATOMIC32, 300, 4, PROTECT(1));
	put32(&c[20], 0x1000);
	assert_good(f, exec(f, c, 32, b));
	put16(&c[4], 8); /* no atomic boundaries */
	assert_invalid_field(f, exec(f, c, 32, b), 4, -1);
	buf_free(b);
	fix_free(f);
}

/* ORWRITE (32): served with type 2 protection only, BMOP 000b only; the
 * ORWgeneration fields, which go with other BMOPs, are ignored. */
static void test_orwrite32(void **state)
{
	for (uint8_t type = 1; type <= 3; type++) {
		struct fix *f = pi_fix(type);
		struct buf *b = buf_new(2 * BS, 0x0f, 0);
		uint8_t c[32];

		cdb_v32(c, SA_ORWRITE32, 10, 2, DPO | FUA | 0x02);
		if (type != 2) {
			assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ILLEGAL_REQUEST,
				     TCMUD_ASC_INVALID_OPCODE);
			buf_free(b);
			fix_free(f);
			continue;
		}
		c[3] = 0x0f; /* PREVIOUS GENERATION PROCESSING */
		put32(&c[20], 0x12345678);
		put32(&c[24], 0x9abcdef0);
		assert_good(f, exec(f, c, 32, b));
		memset(b->data, 0xf0, b->len);
		assert_good(f, exec(f, c, 32, b));
		for (uint8_t bmop = 1; bmop < 8; bmop++) {
			c[2] = bmop;
			assert_invalid_field(f, exec(f, c, 32, b), 2, 2);
		}
		c[2] = 0;
		c[3] = 0x10;
		assert_invalid_field(f, exec(f, c, 32, b), 3, 4);
		buf_free(b);
		/* The result has fresh PI: a plain read checks it. */
		b = read_blocks(f, 10, 2, 0);
		for (size_t i = 0; i < b->len; i++)
			assert_int_equal(b->data[i], 0xff);
		buf_free(b);
		fix_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_stored_pi),
		cmocka_unit_test(test_verify_compare_pi),
		cmocka_unit_test(test_verify_same_pi),
		cmocka_unit_test(test_write_verify_pi),
		cmocka_unit_test(test_caw_pi),
		cmocka_unit_test(test_orwrite_pi),
		cmocka_unit_test(test_write_atomic_pi),
		cmocka_unit_test(test_type2_32byte),
		cmocka_unit_test(test_orwrite32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
