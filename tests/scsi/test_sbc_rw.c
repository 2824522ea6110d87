/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The READ/WRITE family and READ CAPACITY on a device without protection
 * information: the CDB fields each command uses and refuses, write
 * protection, READ CAPACITY's obsolete PMI rule and its provisioning bits,
 * and the 32-byte forms, which only a type 2 device serves.
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

#define OP_READ6 0x08
#define OP_WRITE6 0x0a
#define OP_READ10 0x28
#define OP_WRITE10 0x2a
#define OP_READ12 0xa8
#define OP_WRITE12 0xaa
#define OP_READ16 0x88
#define OP_WRITE16 0x8a

/* A READ or WRITE of 10, 12 or 16 bytes with the flags byte. */
static size_t cdb_rw(uint8_t *c, uint8_t op, uint32_t lba, uint16_t n, uint8_t flags)
{
	switch (op) {
	case OP_READ10:
	case OP_WRITE10:
		cdb10(c, op, lba, n, flags);
		return 10;
	case OP_READ12:
	case OP_WRITE12:
		cdb12(c, op, lba, n, flags);
		return 12;
	default:
		cdb16(c, op, lba, n, flags);
		return 16;
	}
}

static bool is_write(uint8_t op)
{
	return op == OP_WRITE10 || op == OP_WRITE12 || op == OP_WRITE16;
}

/* Byte of the GROUP NUMBER field. */
static unsigned group_byte(size_t len)
{
	return len == 10 ? 6 : len == 12 ? 10 : 14;
}

static const uint8_t rw_ops[] = {OP_READ10, OP_WRITE10, OP_READ12, OP_WRITE12,
				 OP_READ16, OP_WRITE16};

/* Byte 1: FUA_NV (bit 1, obsolete) is accepted, bit 0 refused; RARC (bit 2)
 * is a READ field and reserved in a WRITE. */
static void test_flags_byte(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = buf_new(512, 0x5a, 0);
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(rw_ops); i++) {
		uint8_t op = rw_ops[i];
		size_t len;

		len = cdb_rw(c, op, 3, 1, 0x02);
		assert_good(f, exec(f, c, len, b));
		len = cdb_rw(c, op, 3, 1, 0x1a); /* DPO FUA FUA_NV */
		assert_good(f, exec(f, c, len, b));
		assert_true(spy.last_fua);
		assert_true(spy.last_dpo);
		len = cdb_rw(c, op, 3, 1, 0x01);
		assert_invalid_field(f, exec(f, c, len, b), 1, 0);
		len = cdb_rw(c, op, 3, 1, 0x04);
		if (is_write(op))
			assert_invalid_field(f, exec(f, c, len, b), 1, 2);
		else
			assert_good(f, exec(f, c, len, b));
	}
	buf_free(b);
	fix_free(f);
}

/* The GROUP NUMBER is six bits; the two above are reserved. Nothing moved. */
static void test_group_byte(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = buf_new(512, 0x5a, 0);
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(rw_ops); i++) {
		size_t len = cdb_rw(c, rw_ops[i], 3, 1, 0);
		unsigned g = group_byte(len);

		c[g] = 0x3f;
		assert_good(f, exec(f, c, len, b));
		c[g] = 0x40;
		assert_invalid_field(f, exec(f, c, len, b), g, 6);
		c[g] = 0xbf;
		assert_invalid_field(f, exec(f, c, len, b), g, 7);
	}
	/* READ(16) byte 15 is CONTROL, READ(12) byte 11 too: only NACA is checked there. */
	memset(&spy, 0, sizeof(spy));
	cdb16(c, OP_READ16, 3, 1, 0);
	c[14] = 0x80;
	assert_invalid_field(f, exec(f, c, 16, b), 14, 7);
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* READ(6)/WRITE(6): byte 1 bits 7-5 are reserved (the LBA has 21 bits). */
static void test_rw6_reserved(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = buf_new(512, 0x5a, 0);
	uint8_t c[6];

	cdb6(c, OP_WRITE6, 5, 1);
	c[1] |= 0x20;
	assert_invalid_field(f, exec(f, c, 6, b), 1, 5);
	cdb6(c, OP_READ6, 5, 1);
	c[1] |= 0x80;
	assert_invalid_field(f, exec(f, c, 6, b), 1, 7);
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* Non-zero PROTECT on a device without PI: INVALID FIELD at byte 1 bit 7,
 * for every value, before the LBA range is looked at. */
static void test_protect_without_pi(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = buf_new(520, 0x5a, 0);
	uint8_t c[16];

	for (size_t i = 0; i < sizeof(rw_ops); i++)
		for (uint8_t p = 1; p < 8; p++) {
			size_t len = cdb_rw(c, rw_ops[i], 1000, 1, (uint8_t)(p << 5));

			assert_invalid_field(f, exec(f, c, len, b), 1, 7);
		}
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* Every write form fails with DATA PROTECT on a write-protected device, and
 * reads still work. */
static void test_write_protected(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = buf_new(512, 0x5a, 0);
	uint8_t c[16];

	write_blocks(f, 7, 1, 42, 0);
	for (int how = 0; how < 2; how++) {
		f->dev.hdev.read_only = how == 0;
		f->dev.mode.swp = how == 1;
		memset(&spy, 0, sizeof(spy));
		for (size_t i = 0; i < sizeof(rw_ops); i++) {
			size_t len = cdb_rw(c, rw_ops[i], 7, 1, 0x08);
			int ret = exec(f, c, len, b);

			if (!is_write(rw_ops[i])) {
				assert_good(f, ret);
				continue;
			}
			assert_sense(f, ret, TCMUD_SK_DATA_PROTECT,
				     how == 0 ? TCMUD_ASC_WRITE_PROTECTED
					      : TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
		}
		cdb6(c, OP_WRITE6, 7, 1);
		assert_sense(f, exec(f, c, 6, b), TCMUD_SK_DATA_PROTECT,
			     how == 0 ? TCMUD_ASC_WRITE_PROTECTED
				      : TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
		assert_int_equal(spy.writes, 0);
		assert_int_equal(spy.reads, 3);
	}
	f->dev.hdev.read_only = false;
	f->dev.mode.swp = false;
	assert_blocks_pattern(f, 7, 1, 42);
	buf_free(b);
	fix_free(f);
}

/* ---- READ CAPACITY ----------------------------------------------------- */

static void cdb_rc10(uint8_t *c, uint32_t lba, bool pmi)
{
	memset(c, 0, 10);
	c[0] = 0x25;
	put32(&c[2], lba);
	c[8] = pmi ? 1 : 0;
}

static void cdb_rc16(uint8_t *c, uint64_t lba, bool pmi, uint32_t alloc)
{
	memset(c, 0, 16);
	c[0] = 0x9e;
	c[1] = 0x10;
	put64(&c[2], lba);
	put32(&c[10], alloc);
	c[14] = pmi ? 1 : 0;
}

/* PMI 0 with an LBA: INVALID FIELD IN CDB at the LBA (SBC-2; obsolete since). */
static void test_read_capacity_pmi(void **state)
{
	struct fix *f = fix_new(1000, 512, false);
	struct buf *b = buf_new(32, 0xcc, 0);
	uint8_t c[16];

	cdb_rc10(c, 1, false);
	assert_invalid_field(f, exec(f, c, 10, b), 2, -1);
	cdb_rc10(c, 0x01000000, false);
	assert_invalid_field(f, exec(f, c, 10, b), 2, -1);
	cdb_rc10(c, 5, true);
	assert_good(f, exec(f, c, 10, b));
	assert_int_equal(be32(&b->data[0]), 999);
	c[8] = 0x03; /* bits 7-1 of byte 8 are reserved */
	assert_invalid_field(f, exec(f, c, 10, b), 8, 1);

	cdb_rc16(c, 1ULL << 40, false, 32);
	assert_invalid_field(f, exec(f, c, 16, b), 2, -1);
	cdb_rc16(c, 1, false, 32);
	assert_invalid_field(f, exec(f, c, 16, b), 2, -1);
	cdb_rc16(c, 77, true, 32);
	assert_good(f, exec(f, c, 16, b));
	assert_true(be64(&b->data[0]) == 999);
	c[14] = 0x81;
	assert_invalid_field(f, exec(f, c, 16, b), 14, 7);
	cdb_rc16(c, 0, false, 32);
	c[1] = 0x30; /* bits 7-5 of the service action byte are reserved */
	assert_invalid_field(f, exec(f, c, 16, b), 1, 5);
	buf_free(b);
	fix_free(f);
}

static int stub_unmap(struct tcmud_hdev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		      uint64_t nr)
{
	(void)dev, (void)cmd, (void)lba, (void)nr;
	return TCMUD_STATUS_GOOD;
}

static uint8_t rc16_byte(struct fix *f, unsigned i)
{
	struct buf *b = buf_new(32, 0xcc, 1);
	uint8_t c[16], v;

	cdb_rc16(c, 0, false, 32);
	assert_good(f, exec(f, c, 16, b));
	assert_false(f->cmd.read_len_valid);
	v = b->data[i];
	buf_free(b);
	return v;
}

/* LBPME follows the handler's unmap operation; LBPRZ needs it too. */
static void test_read_capacity16_provisioning(void **state)
{
	struct fix *f = fix_new(1000, 4096, false);

	spy_handler.unmap = NULL;
	f->dev.hdev.unmap_zeroes = true;
	assert_int_equal(rc16_byte(f, 14), 0x00);
	spy_handler.unmap = stub_unmap;
	assert_int_equal(rc16_byte(f, 14), 0xc0);
	f->dev.hdev.unmap_zeroes = false;
	assert_int_equal(rc16_byte(f, 14), 0x80);
	/* Nothing about PI or physical blocks on this device. */
	assert_int_equal(rc16_byte(f, 12), 0x00);
	assert_int_equal(rc16_byte(f, 13), 0x00);
	assert_int_equal(rc16_byte(f, 15), 0x00);
	fix_free(f);
}

/* ---- 32-byte CDBs ------------------------------------------------------ */

static void cdb32(uint8_t *c, uint16_t sa, uint64_t lba, uint32_t n, uint8_t flags)
{
	memset(c, 0, 32);
	c[0] = 0x7f;
	c[7] = 0x18;
	put16(&c[8], sa);
	c[10] = flags;
	put64(&c[12], lba);
	put32(&c[28], n);
}

/* READ(32) and WRITE(32) exist for type 2 protection only. */
static void test_rw32_needs_type2(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = buf_new(512, 0x5a, 0);
	uint8_t c[32];

	cdb32(c, 0x09, 0, 1, 0);
	assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	cdb32(c, 0x0b, 0, 1, 0);
	assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* Reserved bits and lengths of a 32-byte CDB are refused before anything else. */
static void test_rw32_fields(void **state)
{
	struct fix *f = fix_new_cfg(64, 512, "pi=2", true); /* 32-byte CDBs need type 2 */
	struct buf *b = buf_new(512, 0x5a, 0);
	static const struct {
		uint16_t sa;
		unsigned byte;
		uint8_t val;
		int bit;
	} bad[] = {
		{0x09, 2, 0x01, 0},  {0x09, 5, 0x80, 7},  {0x0b, 6, 0x40, 6},
		{0x09, 10, 0x01, 0}, {0x0b, 10, 0x04, 2}, {0x0b, 10, 0x01, 0},
		{0x09, 11, 0x10, 4}, {0x0b, 11, 0xff, 7},
	};
	uint8_t c[40];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cdb32(c, bad[i].sa, 0, 1, 0);
		c[bad[i].byte] |= bad[i].val;
		assert_invalid_field(f, exec(f, c, 32, b), bad[i].byte, bad[i].bit);
	}
	/* NACA in the CONTROL byte, which is byte 1 here. */
	cdb32(c, 0x09, 0, 1, 0);
	c[1] = 0x04;
	assert_invalid_field(f, exec(f, c, 32, b), 1, 2);
	/* ADDITIONAL CDB LENGTH other than 0x18. */
	cdb32(c, 0x09, 0, 1, 0);
	c[7] = 0x20;
	assert_invalid_field(f, exec(f, c, 40, b), 7, -1);
	c[7] = 0x10;
	assert_invalid_field(f, exec(f, c, 32, b), 7, -1);
	/* A CDB shorter than its ADDITIONAL CDB LENGTH says. */
	cdb32(c, 0x0b, 0, 1, 0);
	assert_sense(f, exec(f, c, 31, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	/* An unknown service action points at it. */
	cdb32(c, 0x0007, 0, 1, 0); /* XDWRITEREAD(32), not served */
	assert_invalid_field(f, exec(f, c, 32, b), 8, -1);
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* REPORT SUPPORTED OPERATION CODES for one opcode and service action. */
static struct buf *rsoc_one(struct fix *f, uint8_t op, uint16_t sa, bool with_sa)
{
	struct buf *b = buf_new(64, 0xcc, 0);
	uint8_t c[12] = {0xa3, 0x0c};

	c[2] = with_sa ? 2 : 1;
	c[3] = op;
	put16(&c[4], sa);
	put32(&c[6], 64);
	assert_good(f, exec(f, c, 12, b));
	assert_int_equal(b->data[1] & 0x07, 3); /* supported */
	return b;
}

/* The usage data tells an initiator exactly what the commands accept. */
static void test_usage_data(void **state)
{
	struct fix *f = fix_new(64, 512, false);

	f->dev.hdev.pi_type = 2; /* where 32-byte CDBs exist */
	static const uint8_t read32[32] = {
		0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xff, 0x00, 0x09, 0xfe, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct buf *b = rsoc_one(f, 0x7f, 0x0009, true);

	assert_int_equal(be16(&b->data[2]), 32);
	assert_memory_equal(&b->data[4], read32, 32);
	buf_free(b);

	b = rsoc_one(f, 0x7f, 0x000b, true);
	assert_int_equal(be16(&b->data[2]), 32);
	assert_int_equal(b->data[4 + 9], 0x0b);
	assert_int_equal(b->data[4 + 10], 0xfa);
	buf_free(b);

	b = rsoc_one(f, OP_READ10, 0, false);
	assert_int_equal(be16(&b->data[2]), 10);
	assert_int_equal(b->data[4 + 1], 0xfe);
	assert_int_equal(b->data[4 + 6], 0x3f);
	buf_free(b);

	b = rsoc_one(f, OP_WRITE16, 0, false);
	assert_int_equal(be16(&b->data[2]), 16);
	assert_int_equal(b->data[4 + 1], 0xfa);
	assert_int_equal(b->data[4 + 14], 0x3f);
	buf_free(b);

	b = rsoc_one(f, 0x9e, 0x10, true);
	assert_int_equal(b->data[4 + 1], 0x10); /* the service action itself */
	assert_int_equal(b->data[4 + 14], 0x01);
	buf_free(b);
	fix_free(f);
}

/* Without type 2 the 32-byte forms are refused before their LBA range or
 * buffer is looked at. */
static void test_rw32_refused_before_range(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	uint8_t c[32];

	cdb32(c, 0x09, UINT64_MAX, 0xffffffff, 0);
	assert_sense(f, exec(f, c, 32, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_byte),
		cmocka_unit_test(test_group_byte),
		cmocka_unit_test(test_rw6_reserved),
		cmocka_unit_test(test_protect_without_pi),
		cmocka_unit_test(test_write_protected),
		cmocka_unit_test(test_read_capacity_pmi),
		cmocka_unit_test(test_read_capacity16_provisioning),
		cmocka_unit_test(test_rw32_needs_type2),
		cmocka_unit_test(test_rw32_fields),
		cmocka_unit_test(test_usage_data),
		cmocka_unit_test(test_rw32_refused_before_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
