/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provisioning and medium commands through the SCSI layer against the rd
 * handler: WRITE SAME(10)/(16)/(32), UNMAP, GET LBA STATUS, FORMAT UNIT and
 * SANITIZE, on thin, fully provisioned (no unmap op), write-protected and
 * PI devices. A wrapper around the handler's unmap counts calls and can
 * fail them; a fake lba_status drives GET LBA STATUS's edge cases.
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

#define TUPLE 8
#define OP_WS10 0x41
#define OP_WS16 0x93
#define OP_UNMAP 0x42
#define OP_FORMAT 0x04
#define OP_SANITIZE 0x48
#define WS_UNMAP 0x08
#define WS_ANCHOR 0x10
#define WS_NDOB 0x01
#define ASC_CMD_IU 0x0e03
#define NUM_LBAS 4096u

/* ---- handler wrappers -------------------------------------------------- */

static struct {
	unsigned calls;
	uint64_t blocks;
	bool fail;
} um;

static int counting_unmap(struct tcmud_hdev *dev, struct tcmud_cmd *cmd, uint64_t lba,
			  uint64_t nr)
{
	um.calls++;
	um.blocks += nr;
	if (um.fail)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_MEDIUM_ERROR, 0x0c00);
	return tcmud_handler.unmap(dev, cmd, lba, nr);
}

/* A thin rd device whose unmap is counted. */
static struct fix *thin_fix(uint64_t num_lbas, uint32_t bs, const char *cfg)
{
	struct fix *f = fix_new_cfg(num_lbas, bs, cfg, true);

	memset(&um, 0, sizeof(um));
	spy_handler.unmap = counting_unmap;
	assert_true(f->dev.hdev.unmap_zeroes);
	return f;
}

/* The same device as a fully provisioned one: no unmap, no lba_status. */
static struct fix *full_fix(uint64_t num_lbas, uint32_t bs)
{
	struct fix *f = fix_new(num_lbas, bs, true);

	spy_handler.unmap = NULL;
	spy_handler.lba_status = NULL;
	return f;
}

/* ---- CDBs -------------------------------------------------------------- */

static void ws10(uint8_t *c, uint32_t lba, uint16_t n, uint8_t flags)
{
	cdb10(c, OP_WS10, lba, n, flags);
}

static void ws16(uint8_t *c, uint64_t lba, uint32_t n, uint8_t flags)
{
	cdb16(c, OP_WS16, lba, n, flags);
}

static void cdb32(uint8_t *c, uint16_t sa, uint8_t flags, uint64_t lba, uint32_t n,
		  uint32_t ref, uint16_t app, uint16_t mask)
{
	memset(c, 0, 32);
	c[0] = 0x7f;
	c[7] = 0x18;
	put16(&c[8], sa);
	c[10] = flags;
	put64(&c[12], lba);
	put32(&c[20], ref);
	put16(&c[24], app);
	put16(&c[26], mask);
	put32(&c[28], n);
}

/* A buffer holding one block filled with byte v. */
static struct buf *block_buf(struct fix *f, uint8_t v)
{
	return buf_new(f->dev.hdev.block_size, v, 2);
}

/* WRITE SAME(16) of one block of byte v over [lba, lba + n). */
static int ws16_fill(struct fix *f, uint64_t lba, uint32_t n, uint8_t flags, uint8_t v)
{
	struct buf *b = block_buf(f, v);
	uint8_t c[16];
	int ret;

	ws16(c, lba, n, flags);
	ret = exec(f, c, 16, b);
	buf_free(b);
	return ret;
}

static void assert_blocks_byte(struct fix *f, uint64_t lba, uint32_t n, uint8_t v)
{
	struct buf *b = read_blocks(f, lba, n, 1);

	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] != v)
			fail_msg("byte %zu of [%llu, +%u) is 0x%02x, not 0x%02x", i,
				 (unsigned long long)lba, n, b->data[i], v);
	buf_free(b);
}

/* ---- GET LBA STATUS helpers -------------------------------------------- */

struct lba_desc {
	uint64_t lba;
	uint32_t nr;
	uint8_t status;
};

static void gls_cdb(uint8_t *c, uint64_t lba, uint32_t alloc)
{
	memset(c, 0, 16);
	c[0] = 0x9e;
	c[1] = 0x12;
	put64(&c[2], lba);
	put32(&c[10], alloc);
}

/* GET LBA STATUS at lba into d (up to max); returns the descriptor count. */
static unsigned gls(struct fix *f, uint64_t lba, struct lba_desc *d, unsigned max)
{
	struct buf *b = buf_new(8 + 16 * 64, 0xcc, 3);
	uint8_t c[16];
	unsigned n;

	gls_cdb(c, lba, (uint32_t)b->len);
	assert_good(f, exec(f, c, 16, b));
	n = (be32(&b->data[0]) - 4) / 16;
	assert_int_equal(be32(&b->data[0]), 4 + 16 * n);
	if (8 + 16 * n < b->len)
		assert_read_len(f, 8 + 16 * n);
	else
		assert_false(f->cmd.read_len_valid);
	assert_true(n >= 1);
	assert_true(n <= max);
	assert_true(all_zero(&b->data[4], 4));
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = &b->data[8 + 16 * i];

		d[i].lba = be64(p);
		d[i].nr = be32(p + 8);
		d[i].status = p[12];
		assert_true(all_zero(p + 13, 3));
	}
	buf_free(b);
	return n;
}

/* The whole device from lba on is one run of status st. */
static void assert_one_run(struct fix *f, uint64_t lba, uint8_t st)
{
	struct lba_desc d[64];

	assert_int_equal(gls(f, lba, d, 64), 1);
	assert_int_equal(d[0].lba, lba);
	assert_int_equal(d[0].nr, f->dev.hdev.num_lbas - lba);
	assert_int_equal(d[0].status, st);
}

/* ---- PI helpers -------------------------------------------------------- */

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

/* Read n blocks with their stored tuples, unchecked (RDPROTECT 3). */
static struct buf *read_with_pi(struct fix *f, uint64_t lba, uint32_t n)
{
	struct buf *b = buf_new((size_t)n * (f->dev.hdev.block_size + TUPLE), 0xcc, 4);
	uint8_t c[32];

	if (f->dev.hdev.pi_type == 2) {
		cdb32(c, 0x0009, 0x60, lba, n, 0, 0, 0);
		assert_good(f, exec(f, c, 32, b));
	} else {
		cdb16(c, 0x88, lba, n, 0x60);
		assert_good(f, exec(f, c, 16, b));
	}
	return b;
}

static const uint8_t *tuple_of(struct fix *f, struct buf *b, uint32_t i)
{
	return &b->data[(size_t)i * (f->dev.hdev.block_size + TUPLE) + f->dev.hdev.block_size];
}

static void assert_escape_pi(struct fix *f, uint64_t lba, uint32_t n)
{
	struct buf *b = read_with_pi(f, lba, n);
	static const uint8_t ff[TUPLE] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	for (uint32_t i = 0; i < n; i++)
		assert_memory_equal(tuple_of(f, b, i), ff, TUPLE);
	buf_free(b);
}

/* A data-out of one block of v and its tuple. */
static struct buf *block_tuple_buf(struct fix *f, uint8_t v, uint16_t app, uint32_t ref)
{
	uint32_t bs = f->dev.hdev.block_size;
	struct buf *b = buf_new(bs + TUPLE, v, 5);

	put16(&b->data[bs], crc_ref(b->data, bs));
	put16(&b->data[bs + 2], app);
	put32(&b->data[bs + 4], ref);
	return b;
}

/* WSNZ as the device's Block Limits page reports it. */
static bool dev_wsnz(struct fix *f)
{
	struct buf *b = buf_new(64, 0, 0);
	uint8_t c[6];
	bool wsnz;

	cdb_inquiry(c, true, 0xb0, 64);
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[1], 0xb0);
	wsnz = b->data[4] & 0x01;
	buf_free(b);
	return wsnz;
}

/* ---- WRITE SAME: data ---------------------------------------------------- */

static void test_ws10_fills_range(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *b = buf_new(512, 0, 0);
	uint8_t c[10];

	fill_pattern(b->data, 512, 7);
	write_blocks(f, 0, 64, 1, 0);
	ws10(c, 10, 20, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_false(f->cmd.read_len_valid);
	for (uint32_t i = 0; i < 20; i++) {
		struct buf *r = read_blocks(f, 10 + i, 1, i);

		assert_memory_equal(r->data, b->data, 512);
		buf_free(r);
	}
	/* The neighbours keep what was written before. */
	{
		struct buf *r = read_blocks(f, 0, 64, 0);
		uint8_t *want = malloc(64 * 512);

		assert_non_null(want);
		fill_pattern(want, 64 * 512, 1);
		assert_memory_equal(r->data, want, 10 * 512);
		assert_memory_equal(r->data + 30 * 512, want + 30 * 512, 34 * 512);
		free(want);
		buf_free(r);
	}
	assert_int_equal(um.calls, 0);
	buf_free(b);
	fix_free(f);
}

/* More blocks than one chunk, at both block sizes, up to the last LBA. */
static void test_ws16_many_chunks(void **state)
{
	static const uint32_t sizes[] = {512, 4096};

	for (size_t s = 0; s < 2; s++) {
		uint32_t bs = sizes[s];
		uint32_t n = (1u << 20) / bs * 2 + 3;
		struct fix *f = thin_fix(n + 5, bs, "");

		assert_good(f, ws16_fill(f, 5, n, 0, 0x5a));
		assert_true(spy.writes >= 3);
		assert_blocks_byte(f, 5, n, 0x5a);
		assert_blocks_zero(f, 0, 5);
		fix_free(f);
	}
}

/* NUMBER OF LOGICAL BLOCKS 0: refused with WSNZ=1, else to the last LBA. */
static void test_ws_zero_blocks_to_end(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *b = block_buf(f, 0x11);
	uint8_t c[16];

	if (dev_wsnz(f)) {
		ws10(c, NUM_LBAS - 7, 0, 0);
		assert_invalid_field(f, exec(f, c, 10, b), 7, -1);
		ws16(c, 0, 0, WS_UNMAP);
		assert_invalid_field(f, exec(f, c, 16, b), 10, -1);
		assert_int_equal(spy.writes + um.calls, 0);
		buf_free(b);
		fix_free(f);
		return;
	}
	ws10(c, NUM_LBAS - 7, 0, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_blocks_byte(f, NUM_LBAS - 7, 7, 0x11);
	assert_blocks_zero(f, NUM_LBAS - 8, 1);
	ws16(c, 0, 0, 0);
	assert_good(f, exec(f, c, 16, b));
	assert_blocks_byte(f, 0, NUM_LBAS, 0x11);
	/* The first LBA must exist: the last LBA + 1 is out of range. */
	ws16(c, NUM_LBAS, 0, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	ws10(c, NUM_LBAS + 1, 0, 0);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	buf_free(b);
	fix_free(f);
}

/* To the end of a device larger than MAXIMUM WRITE SAME LENGTH. */
static void test_ws_max_length(void **state)
{
	struct fix *f = fix_new((1ull << 32) + 10, 512, false);
	struct buf *b = block_buf(f, 0);
	uint8_t c[16];

	ws16(c, 0, 0, 0);
	assert_invalid_field(f, exec(f, c, 16, b), 10, -1);
	ws16(c, 11, 0, 0); /* exactly 0xFFFFFFFF blocks: allowed, but past the checks */
	f->dev.hdev.read_only = true;
	if (dev_wsnz(f))
		assert_invalid_field(f, exec(f, c, 16, b), 10, -1);
	else
		assert_sense(f, exec(f, c, 16, b), TCMUD_SK_DATA_PROTECT,
			     TCMUD_ASC_WRITE_PROTECTED);
	assert_int_equal(spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

static void test_ws_beyond_eol(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *b = block_buf(f, 0x33);
	static const uint64_t lbas16[] = {NUM_LBAS - 1, NUM_LBAS, 1ull << 63, ~0ull};
	uint8_t c[16];

	for (size_t i = 0; i < 4; i++) {
		ws16(c, lbas16[i], 2, 0);
		assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
	}
	ws10(c, 0xffffffffu, 1, 0);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_int_equal(spy.writes, 0);
	assert_blocks_zero(f, NUM_LBAS - 1, 1);
	buf_free(b);
	fix_free(f);
}

/* The Data-Out Buffer is exactly one block: nothing else is accepted. */
static void test_ws_dataout_size(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	static const size_t lens[] = {511, 513, 1024, 520};
	uint8_t c[16];

	for (size_t i = 0; i < 4; i++) {
		struct buf *b = buf_new(lens[i], 0x44, i);

		ws16(c, 0, 4, 0);
		assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, ASC_CMD_IU);
		ws10(c, 0, 4, WS_UNMAP);
		assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST, ASC_CMD_IU);
		buf_free(b);
	}
	ws16(c, 0, 4, 0);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_ILLEGAL_REQUEST, ASC_CMD_IU);
	assert_int_equal(spy.writes, 0);
	assert_int_equal(um.calls, 0);
	fix_free(f);
}

/* ---- WRITE SAME: CDB fields -------------------------------------------- */

static void test_ws_cdb_fields(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *b = block_buf(f, 0);
	uint8_t c[16];

	/* ANCHOR, with and without UNMAP: ANC_SUP=0. */
	ws10(c, 0, 1, WS_ANCHOR);
	assert_invalid_field(f, exec(f, c, 10, b), 1, 4);
	ws16(c, 0, 1, WS_ANCHOR | WS_UNMAP);
	assert_invalid_field(f, exec(f, c, 16, b), 1, 4);
	/* WRPROTECT on a device without PI. */
	for (uint8_t p = 1; p < 8; p++) {
		ws10(c, 0, 1, (uint8_t)(p << 5));
		assert_invalid_field(f, exec(f, c, 10, b), 1, 7);
		ws16(c, 0, 1, (uint8_t)(p << 5));
		assert_invalid_field(f, exec(f, c, 16, b), 1, 7);
	}
	/* Obsolete PBDATA/LBDATA, the reserved bit 0 of (10) (NDOB is (16) only). */
	ws10(c, 0, 1, 0x04);
	assert_invalid_field(f, exec(f, c, 10, b), 1, 2);
	ws16(c, 0, 1, 0x02);
	assert_invalid_field(f, exec(f, c, 16, b), 1, 1);
	ws10(c, 0, 1, 0x01);
	assert_invalid_field(f, exec(f, c, 10, b), 1, 0);
	/* GROUP NUMBER is bits 5-0; above it is reserved. */
	ws10(c, 0, 1, 0);
	c[6] = 0x3f;
	assert_good(f, exec(f, c, 10, b));
	c[6] = 0x40;
	assert_invalid_field(f, exec(f, c, 10, b), 6, 6);
	ws16(c, 0, 1, 0);
	c[14] = 0x80;
	assert_invalid_field(f, exec(f, c, 16, b), 14, 7);
	/* The 32-byte form is for type 2 devices only. */
	{
		uint8_t c32[32];

		cdb32(c32, 0x000d, 0, 0, 1, 0, 0, 0);
		assert_sense(f, exec(f, c32, 32, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_INVALID_OPCODE);
	}
	buf_free(b);
	fix_free(f);
}

static void test_ws_write_protected(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	uint8_t c[16];

	write_blocks(f, 0, 8, 3, 0);
	f->dev.hdev.read_only = true;
	assert_sense(f, ws16_fill(f, 0, 8, 0, 0x77), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_WRITE_PROTECTED);
	assert_sense(f, ws16_fill(f, 0, 8, WS_UNMAP, 0), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_WRITE_PROTECTED);
	ws16(c, 0, 8, WS_NDOB | WS_UNMAP);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_WRITE_PROTECTED);
	f->dev.hdev.read_only = false;
	f->dev.mode.swp = true;
	assert_sense(f, ws16_fill(f, 0, 8, 0, 0x77), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	f->dev.mode.swp = false;
	assert_int_equal(um.calls, 0);
	assert_blocks_pattern(f, 0, 8, 3);
	fix_free(f);
}

/* ---- WRITE SAME: UNMAP and NDOB ---------------------------------------- */

static void test_ws_unmap_zero_block_deallocates(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");
	struct lba_desc d[64];
	uint8_t c[10];
	struct buf *b = block_buf(f, 0);

	write_blocks(f, 0, 32, 9, 0);
	ws10(c, 8, 16, WS_UNMAP);
	assert_good(f, exec(f, c, 10, b));
	assert_int_equal(um.calls, 1);
	assert_int_equal(um.blocks, 16);
	assert_blocks_zero(f, 8, 16);
	assert_int_equal(gls(f, 0, d, 64), 4);
	assert_int_equal(d[0].nr, 8);
	assert_int_equal(d[0].status, 0);
	assert_int_equal(d[1].lba, 8);
	assert_int_equal(d[1].nr, 16);
	assert_int_equal(d[1].status, 1);
	assert_int_equal(d[2].lba, 24);
	assert_int_equal(d[2].status, 0);
	buf_free(b);
	fix_free(f);
}

/* UNMAP=1 with data that an unmapped block would not read back: written. */
static void test_ws_unmap_nonzero_block_writes(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");
	struct lba_desc d[64];

	assert_good(f, ws16_fill(f, 0, 4, WS_UNMAP, 0xa6));
	assert_int_equal(um.calls, 0);
	assert_blocks_byte(f, 0, 4, 0xa6);
	assert_int_equal(gls(f, 0, d, 64), 2);
	assert_int_equal(d[0].nr, 4);
	assert_int_equal(d[0].status, 0);
	fix_free(f);
}

/* Without LBPRZ a deallocated block would not read as zeros: written. */
static void test_ws_unmap_without_lbprz_writes(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");

	write_blocks(f, 0, 4, 5, 0);
	f->dev.hdev.unmap_zeroes = false;
	assert_good(f, ws16_fill(f, 0, 4, WS_UNMAP, 0));
	assert_int_equal(um.calls, 0);
	assert_blocks_zero(f, 0, 4);
	fix_free(f);
}

static void test_ws_unmap_fully_provisioned(void **state)
{
	struct fix *f = full_fix(NUM_LBAS, 512);
	uint8_t c[16];

	assert_invalid_field(f, ws16_fill(f, 0, 4, WS_UNMAP, 0), 1, 3);
	ws16(c, 0, 4, WS_UNMAP | WS_NDOB);
	assert_invalid_field(f, exec(f, c, 16, NULL), 1, 3);
	assert_int_equal(spy.writes, 0);
	/* Write protection is reported first. */
	f->dev.hdev.read_only = true;
	assert_sense(f, ws16_fill(f, 0, 4, WS_UNMAP, 0), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_WRITE_PROTECTED);
	f->dev.hdev.read_only = false;
	/* Plain WRITE SAME works. */
	assert_good(f, ws16_fill(f, 0, 4, 0, 0x21));
	assert_blocks_byte(f, 0, 4, 0x21);
	fix_free(f);
}

static void test_ws_unmap_handler_error(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");

	um.fail = true;
	assert_sense(f, ws16_fill(f, 0, 4, WS_UNMAP, 0), TCMUD_SK_MEDIUM_ERROR, 0x0c00);
	assert_int_equal(um.calls, 1);
	fix_free(f);
}

static void test_ws_ndob(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");
	struct lba_desc d[64];
	uint8_t c[16];

	write_blocks(f, 0, 16, 2, 0);
	/* Zeros written, nothing deallocated. */
	ws16(c, 2, 3, WS_NDOB);
	assert_good(f, exec(f, c, 16, NULL));
	assert_int_equal(um.calls, 0);
	assert_blocks_zero(f, 2, 3);
	assert_blocks_pattern(f, 0, 2, 2);
	assert_int_equal(gls(f, 0, d, 64), 2);
	assert_int_equal(d[0].nr, 16);
	fix_free(f);
}

static void test_ws_ndob_unmap_and_dataout(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");
	struct buf *b = block_buf(f, 0);
	uint8_t c[16];

	write_blocks(f, 0, 16, 2, 0);
	ws16(c, 4, 4, WS_NDOB | WS_UNMAP);
	assert_good(f, exec(f, c, 16, NULL));
	assert_int_equal(um.calls, 1);
	assert_blocks_zero(f, 4, 4);
	/* NDOB with a Data-Out Buffer is a transport mismatch. */
	ws16(c, 0, 1, WS_NDOB);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, ASC_CMD_IU);
	/* NDOB with 0 blocks: to the last LBA (or refused with WSNZ=1). */
	write_blocks(f, NUM_LBAS - 4, 4, 2, 0);
	ws16(c, 12, 0, WS_NDOB);
	if (dev_wsnz(f)) {
		assert_invalid_field(f, exec(f, c, 16, NULL), 10, -1);
		assert_blocks_pattern(f, NUM_LBAS - 4, 4, 2);
	} else {
		assert_good(f, exec(f, c, 16, NULL));
		assert_blocks_zero(f, 12, NUM_LBAS - 12);
	}
	buf_free(b);
	fix_free(f);
}

/* ---- WRITE SAME with protection information ---------------------------- */

/* Type 1, WRPROTECT 1: the sent tuple is checked; every block gets its own
 * reference tag, counting up from the sent one. */
static void test_ws_pi_type1_wrprotect(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "pi=1");
	uint32_t n = 3000; /* more than one chunk */
	struct buf *b = block_tuple_buf(f, 0x3c, 0x1234, 100);
	struct buf *r;
	uint8_t c[16];

	ws16(c, 100, n, 0x20);
	assert_good(f, exec(f, c, 16, b));
	r = read_with_pi(f, 100, n);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = tuple_of(f, r, i);

		assert_int_equal(be16(t), be16(&b->data[512]));
		assert_int_equal(be16(t + 2), 0x1234);
		assert_int_equal(be32(t + 4), 100 + i);
	}
	buf_free(r);
	/* A plain READ checks the stored PI: it passes. */
	assert_blocks_byte(f, 100, n, 0x3c);
	buf_free(b);
	/* A wrong reference tag in the sent tuple: nothing is written. */
	b = block_tuple_buf(f, 0x3d, 0, 7);
	ws16(c, 8, 4, 0x20);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ABORTED_COMMAND,
		     TCMUD_ASC_REF_TAG_CHECK_FAILED);
	assert_blocks_zero(f, 8, 4);
	/* A wrong guard. */
	b->data[0] ^= 1;
	ws16(c, 7, 4, 0x20);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ABORTED_COMMAND,
		     TCMUD_ASC_GUARD_CHECK_FAILED);
	/* WRPROTECT 3 checks nothing; the tags are still counted up. */
	ws16(c, 200, 3, 0x60);
	assert_good(f, exec(f, c, 16, b));
	r = read_with_pi(f, 200, 3);
	assert_int_equal(be32(tuple_of(f, r, 2) + 4), 9);
	buf_free(r);
	buf_free(b);
	fix_free(f);
}

/* Without WRPROTECT the device generates the PI of every block. */
static void test_ws_pi_generated(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "pi=1");
	struct buf *r;

	assert_good(f, ws16_fill(f, 40, 5, 0, 0x99));
	r = read_with_pi(f, 40, 5);
	for (uint32_t i = 0; i < 5; i++) {
		const uint8_t *t = tuple_of(f, r, i);

		assert_int_equal(be16(t), crc_ref(&r->data[(size_t)i * (4096 + TUPLE)], 4096));
		assert_int_equal(be32(t + 4), 40 + i);
	}
	buf_free(r);
	fix_free(f);
}

/* Type 3: the reference tag is stored as sent in every block. */
static void test_ws_pi_type3(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "pi=3");
	struct buf *b = block_tuple_buf(f, 0x10, 0x55aa, 0xdeadbeef);
	struct buf *r;
	uint8_t c[16];

	ws16(c, 0, 4, 0x20);
	assert_good(f, exec(f, c, 16, b));
	r = read_with_pi(f, 0, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(be32(tuple_of(f, r, i) + 4), 0xdeadbeef);
	buf_free(r);
	buf_free(b);
	fix_free(f);
}

/* Type 2: WRITE SAME(32) with its expected tags; (10)/(16) cannot carry PI. */
static void test_ws_pi_type2(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "pi=2");
	struct buf *b = block_tuple_buf(f, 0x42, 0x0f0f, 5000);
	struct buf *r;
	uint8_t c[32];

	cdb32(c, 0x000d, 0x20, 10, 6, 5000, 0x0f0f, 0xffff);
	assert_good(f, exec(f, c, 32, b));
	r = read_with_pi(f, 10, 6);
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(be32(tuple_of(f, r, i) + 4), 5000 + i);
	buf_free(r);
	/* The expected initial reference tag differs from the sent one. */
	cdb32(c, 0x000d, 0x20, 10, 6, 4999, 0x0f0f, 0xffff);
	assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ABORTED_COMMAND,
		     TCMUD_ASC_REF_TAG_CHECK_FAILED);
	ws16(c, 0, 1, 0x20);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	/* Reserved byte 11 and ANCHOR of the 32-byte form. */
	cdb32(c, 0x000d, 0x20, 10, 6, 5000, 0x0f0f, 0xffff);
	c[11] = 1;
	assert_invalid_field(f, exec(f, c, 32, b), 11, 0);
	cdb32(c, 0x000d, 0x30, 10, 6, 5000, 0x0f0f, 0xffff);
	assert_invalid_field(f, exec(f, c, 32, b), 10, 4);
	buf_free(b);
	fix_free(f);
}

/* UNMAP with zero data deallocates only when the sent PI is the escape. */
static void test_ws_pi_unmap(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "pi=1");
	struct buf *b = buf_new(4096 + TUPLE, 0, 0);
	uint8_t c[16];

	write_blocks(f, 0, 8, 4, 0);
	memset(&b->data[4096], 0xff, TUPLE);
	ws16(c, 0, 4, 0x60 | WS_UNMAP);
	assert_good(f, exec(f, c, 16, b));
	assert_int_equal(um.calls, 1);
	assert_escape_pi(f, 0, 4);
	buf_free(b);
	/* A valid tuple for zeros is not what a deallocated block reads. */
	b = block_tuple_buf(f, 0, 0, 4);
	ws16(c, 4, 1, 0x20 | WS_UNMAP);
	assert_good(f, exec(f, c, 16, b));
	assert_int_equal(um.calls, 1);
	{
		struct buf *r = read_with_pi(f, 4, 1);

		assert_int_equal(be32(tuple_of(f, r, 0) + 4), 4);
		buf_free(r);
	}
	buf_free(b);
	/* NDOB: zeros with the escape PI; WRPROTECT makes no sense there. */
	ws16(c, 5, 2, WS_NDOB);
	assert_good(f, exec(f, c, 16, NULL));
	assert_escape_pi(f, 5, 2);
	assert_blocks_zero(f, 5, 2);
	ws16(c, 5, 2, WS_NDOB | 0x20);
	assert_invalid_field(f, exec(f, c, 16, NULL), 1, 7);
	fix_free(f);
}

/* ---- UNMAP -------------------------------------------------------------- */

/* A parameter list: header and n descriptors (lba, count) pairs. */
static struct buf *unmap_list(const uint64_t *desc, unsigned n)
{
	struct buf *b = buf_new(8 + 16 * (size_t)n, 0, 1);

	put16(&b->data[0], (uint16_t)(6 + 16 * n));
	put16(&b->data[2], (uint16_t)(16 * n));
	for (unsigned i = 0; i < n; i++) {
		put64(&b->data[8 + 16 * i], desc[2 * i]);
		put32(&b->data[8 + 16 * i + 8], (uint32_t)desc[2 * i + 1]);
	}
	return b;
}

static void unmap_cdb(uint8_t *c, uint16_t len)
{
	memset(c, 0, 10);
	c[0] = OP_UNMAP;
	put16(&c[7], len);
}

static int do_unmap(struct fix *f, struct buf *b)
{
	uint8_t c[10];

	unmap_cdb(c, b ? (uint16_t)b->len : 0);
	return exec(f, c, 10, b);
}

static void assert_param_invalid(struct fix *f, int ret, unsigned byte, int bit)
{
	assert_sense(f, ret, TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_true(f->cmd.sense.sks_valid);
	assert_int_equal(f->cmd.sense.sks[0], 0x80 | (bit >= 0 ? 0x08 | bit : 0));
	assert_int_equal(be16(&f->cmd.sense.sks[1]), byte);
}

static void test_unmap_descriptors(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	static const uint64_t desc[] = {0, 3, 100, 17, 4095, 1, 50, 0};
	struct buf *b = unmap_list(desc, 4);

	for (uint32_t i = 0; i < NUM_LBAS; i += 256)
		write_blocks(f, i, 256, i, 0);
	assert_good(f, do_unmap(f, b));
	assert_false(f->cmd.read_len_valid);
	assert_int_equal(um.calls, 3); /* the 0-block descriptor is no work */
	assert_int_equal(um.blocks, 21);
	assert_blocks_zero(f, 0, 3);
	assert_blocks_zero(f, 100, 17);
	assert_blocks_zero(f, 4095, 1);
	{
		struct buf *r = read_blocks(f, 3, 97, 0);
		uint8_t *want = malloc(256 * 512);

		assert_non_null(want);
		fill_pattern(want, 256 * 512, 0);
		assert_memory_equal(r->data, want + 3 * 512, 97 * 512);
		free(want);
		buf_free(r);
	}
	buf_free(b);
	fix_free(f);
}

static void test_unmap_lengths(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	static const uint64_t desc[] = {0, 8, 8, 8};
	struct buf *b;
	uint8_t c[10];

	/* No parameter list at all, and a list with no descriptors. */
	assert_good(f, do_unmap(f, NULL));
	b = unmap_list(desc, 0);
	assert_good(f, do_unmap(f, b));
	buf_free(b);
	assert_int_equal(um.calls, 0);
	/* 1-7 bytes cannot hold the header. */
	b = unmap_list(desc, 1);
	for (uint16_t len = 1; len < 8; len++) {
		unmap_cdb(c, len);
		assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
	}
	/* A descriptor announced but cut off. */
	unmap_cdb(c, 23);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* The transport carries less than the parameter list length. */
	unmap_cdb(c, 40);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST, ASC_CMD_IU);
	assert_int_equal(um.calls, 0);
	buf_free(b);
	/* A descriptor length that is not a multiple of 16: the tail is ignored. */
	b = unmap_list(desc, 2);
	put16(&b->data[2], 16 + 12);
	assert_good(f, do_unmap(f, b));
	assert_int_equal(um.calls, 1);
	assert_int_equal(um.blocks, 8);
	buf_free(b);
	fix_free(f);
}

static void test_unmap_limits(void **state)
{
	/* Not opened: every check happens before the handler is called. */
	struct fix *f = fix_new((1ull << 34), 512, false);
	uint64_t desc[2 * 257];
	struct buf *b;

	memset(&um, 0, sizeof(um));
	spy_handler.unmap = counting_unmap;
	for (unsigned i = 0; i < 257; i++) {
		desc[2 * i] = i;
		desc[2 * i + 1] = 1;
	}
	b = unmap_list(desc, 257);
	assert_param_invalid(f, do_unmap(f, b), 2, -1);
	buf_free(b);
	/* More than MAXIMUM UNMAP LBA COUNT in total: the descriptor that
	 * crosses it is pointed at. */
	desc[0] = 0;
	desc[1] = 0xffffffffu;
	desc[2] = 1ull << 33;
	desc[3] = 1;
	b = unmap_list(desc, 2);
	assert_param_invalid(f, do_unmap(f, b), 8 + 16 + 8, -1);
	buf_free(b);
	assert_int_equal(um.calls, 0);
	fix_free(f);
}

static void test_unmap_out_of_range(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	static const uint64_t ok_end[] = {NUM_LBAS, 0, NUM_LBAS - 1, 1};
	uint64_t bad[][4] = {
		{0, 1, NUM_LBAS - 1, 2},
		{0, 1, NUM_LBAS + 1, 0},
		{0, 1, ~0ull, 1},
		{0, 1, 1ull << 63, 1},
	};
	struct buf *b = unmap_list(ok_end, 2);

	write_blocks(f, 0, 1, 8, 0);
	assert_good(f, do_unmap(f, b));
	buf_free(b);
	um.calls = 0;
	for (size_t i = 0; i < 4; i++) {
		b = unmap_list(bad[i], 2);
		assert_sense(f, do_unmap(f, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
		buf_free(b);
	}
	/* The good first descriptor was not applied either. */
	assert_int_equal(um.calls, 0);
	assert_blocks_pattern(f, 0, 1, 8);
	fix_free(f);
}

static void test_unmap_reserved_fields(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	static const uint64_t desc[] = {0, 1, 5, 1};
	struct buf *b = unmap_list(desc, 2);
	uint8_t c[10];

	for (unsigned i = 4; i < 8; i++) {
		b->data[i] = 0x10;
		assert_param_invalid(f, do_unmap(f, b), i, 4);
		b->data[i] = 0;
	}
	for (unsigned i = 12; i < 16; i++) {
		b->data[8 + 16 + i] = 0x81;
		assert_param_invalid(f, do_unmap(f, b), 8 + 16 + i, 7);
		b->data[8 + 16 + i] = 0;
	}
	assert_int_equal(um.calls, 0);
	/* ANCHOR (ANC_SUP=0) and reserved CDB bits. */
	unmap_cdb(c, (uint16_t)b->len);
	c[1] = 0x01;
	assert_invalid_field(f, exec(f, c, 10, b), 1, 0);
	c[1] = 0x02;
	assert_invalid_field(f, exec(f, c, 10, b), 1, 1);
	c[1] = 0;
	c[5] = 0x01;
	assert_invalid_field(f, exec(f, c, 10, b), 5, 0);
	c[5] = 0;
	c[6] = 0x1f; /* GROUP NUMBER */
	assert_good(f, exec(f, c, 10, b));
	buf_free(b);
	fix_free(f);
}

static void test_unmap_not_thin_and_protected(void **state)
{
	struct fix *f = full_fix(NUM_LBAS, 512);
	static const uint64_t desc[] = {0, 1};
	struct buf *b = unmap_list(desc, 1);

	/* LBPU=0: the command does not exist on this device, protected or not. */
	assert_sense(f, do_unmap(f, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	f->dev.hdev.read_only = true;
	assert_sense(f, do_unmap(f, b), TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_OPCODE);
	fix_free(f);

	f = thin_fix(NUM_LBAS, 512, "");
	write_blocks(f, 0, 1, 6, 0);
	f->dev.mode.swp = true;
	assert_sense(f, do_unmap(f, b), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	assert_int_equal(um.calls, 0);
	f->dev.mode.swp = false;
	assert_blocks_pattern(f, 0, 1, 6);
	um.fail = true;
	assert_sense(f, do_unmap(f, b), TCMUD_SK_MEDIUM_ERROR, 0x0c00);
	buf_free(b);
	fix_free(f);
}

/* ---- GET LBA STATUS ----------------------------------------------------- */

static void test_gls_runs(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");
	struct lba_desc d[64];

	/* Never written: one deallocated run. */
	assert_one_run(f, 0, 1);
	assert_one_run(f, NUM_LBAS - 1, 1);
	write_blocks(f, 10, 5, 1, 0);
	write_blocks(f, 100, 1, 1, 0);
	assert_int_equal(gls(f, 0, d, 64), 5);
	assert_int_equal(d[0].lba, 0);
	assert_int_equal(d[0].nr, 10);
	assert_int_equal(d[0].status, 1);
	assert_int_equal(d[1].lba, 10);
	assert_int_equal(d[1].nr, 5);
	assert_int_equal(d[1].status, 0);
	assert_int_equal(d[2].lba, 15);
	assert_int_equal(d[2].nr, 85);
	assert_int_equal(d[3].lba, 100);
	assert_int_equal(d[3].nr, 1);
	assert_int_equal(d[4].lba, 101);
	assert_int_equal(d[4].nr, NUM_LBAS - 101);
	/* Starting inside a run: the first descriptor starts there. */
	assert_int_equal(gls(f, 12, d, 64), 4);
	assert_int_equal(d[0].lba, 12);
	assert_int_equal(d[0].nr, 3);
	assert_int_equal(d[0].status, 0);
	fix_free(f);
}

static void test_gls_allocation_length(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");
	struct buf *b = buf_new(64, 0xcc, 0);
	struct buf *small = buf_new(40, 0xcc, 1);
	uint8_t c[16];

	write_blocks(f, 1, 1, 1, 0);
	/* Room for one descriptor: exactly one, and the length says so. */
	gls_cdb(c, 0, 24);
	assert_good(f, exec(f, c, 16, b));
	assert_read_len(f, 24);
	assert_int_equal(be32(&b->data[0]), 20);
	assert_int_equal(be32(&b->data[16]), 1);
	assert_int_equal(b->data[24], 0xcc);
	/* Less than one: truncated. */
	memset(b->data, 0xcc, b->len);
	gls_cdb(c, 0, 12);
	assert_good(f, exec(f, c, 16, b));
	assert_read_len(f, 12);
	assert_int_equal(be32(&b->data[0]), 20);
	assert_int_equal(b->data[12], 0xcc);
	/* 0: nothing. */
	gls_cdb(c, 0, 0);
	assert_good(f, exec(f, c, 16, b));
	assert_read_len(f, 0);
	/* All three descriptors fit the allocation length. */
	gls_cdb(c, 0, 4096);
	assert_good(f, exec(f, c, 16, b));
	assert_read_len(f, 8 + 3 * 16);
	assert_int_equal(be32(&b->data[0]), 4 + 3 * 16);
	/* The transport's buffer is the smaller one. */
	assert_good(f, exec(f, c, 16, small));
	assert_false(f->cmd.read_len_valid);
	assert_int_equal(be32(&small->data[0]), 4 + 3 * 16);
	buf_free(small);
	buf_free(b);
	fix_free(f);
}

static void test_gls_out_of_range(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	static const uint64_t lbas[] = {NUM_LBAS, NUM_LBAS + 1, 1ull << 63, ~0ull};
	struct buf *b = buf_new(24, 0, 0);
	uint8_t c[16];

	for (size_t i = 0; i < 4; i++) {
		gls_cdb(c, lbas[i], 24);
		assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_LBA_OUT_OF_RANGE);
	}
	gls_cdb(c, 0, 24);
	c[14] = 0x01; /* REPORT TYPE is not supported */
	assert_invalid_field(f, exec(f, c, 16, b), 14, 0);
	buf_free(b);
	fix_free(f);
}

static void test_gls_fully_provisioned(void **state)
{
	struct fix *f = full_fix(NUM_LBAS, 512);

	assert_one_run(f, 0, 0);
	assert_one_run(f, 77, 0);
	fix_free(f);
	/* Thin without lba_status: mapped too. */
	f = thin_fix(NUM_LBAS, 512, "");
	spy_handler.lba_status = NULL;
	assert_one_run(f, 5, 0);
	fix_free(f);
}

/* A fake lba_status: runs of fake_run blocks, alternating status every
 * fake_flip runs (0: never), or an error. */
struct fake_status {
	uint64_t run;
	uint64_t flip;
	unsigned calls;
	bool fail;
};

static struct fake_status fake;

static int fake_lba_status(struct tcmud_hdev *dev, uint64_t lba, uint64_t *nr, bool *mapped)
{
	fake.calls++;
	if (fake.fail)
		return -EIO;
	*nr = fake.run;
	*mapped = fake.flip ? (lba / fake.run / fake.flip) % 2 == 0 : true;
	return 0;
}

static void test_gls_coalesces_and_bounds(void **state)
{
	struct fix *f = fix_new(1ull << 34, 512, false);
	struct lba_desc d[64];

	spy_handler.lba_status = fake_lba_status;
	/* Runs of 4 with the status changing every 3 runs: 12-block descriptors. */
	fake = (struct fake_status){.run = 4, .flip = 3};
	assert_int_equal(gls(f, 0, d, 64), 64);
	for (unsigned i = 0; i < 64; i++) {
		assert_int_equal(d[i].lba, 12ull * i);
		assert_int_equal(d[i].nr, 12);
		assert_int_equal(d[i].status, i % 2 ? 1 : 0);
	}
	/* One-block runs of one status: the work per command is bounded. */
	fake = (struct fake_status){.run = 1};
	assert_int_equal(gls(f, 0, d, 64), 1);
	assert_int_equal(d[0].nr, 65536);
	assert_int_equal(fake.calls, 65536);
	/* A run longer than 32 bits is split. */
	fake = (struct fake_status){.run = 1ull << 40};
	assert_int_equal(gls(f, 0, d, 64), 5);
	assert_int_equal(d[0].nr, 0xffffffffu);
	assert_int_equal(d[1].lba, 0xffffffffu);
	assert_int_equal(d[4].lba, 4ull * 0xffffffffu);
	assert_int_equal(d[4].nr, (1ull << 34) - 4ull * 0xffffffffu);
	/* A run past the end is clipped at the last LBA. */
	assert_int_equal(gls(f, (1ull << 34) - 3, d, 64), 1);
	assert_int_equal(d[0].nr, 3);
	/* A failing handler. */
	fake.fail = true;
	{
		struct buf *b = buf_new(24, 0, 0);
		uint8_t c[16];

		gls_cdb(c, 0, 24);
		assert_sense(f, exec(f, c, 16, b), TCMUD_SK_HARDWARE_ERROR,
			     TCMUD_ASC_INTERNAL_TARGET_FAILURE);
		buf_free(b);
	}
	fix_free(f);
}

/* ---- FORMAT UNIT -------------------------------------------------------- */

static int format(struct fix *f, uint8_t b1, uint8_t b4, struct buf *params)
{
	uint8_t c[6] = {OP_FORMAT, b1, 0, 0, b4, 0};

	return exec(f, c, 6, params);
}

static void test_format_reinitialises(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 4096, "");
	struct buf *h;

	for (uint32_t i = 0; i < NUM_LBAS; i += 512)
		write_blocks(f, i, 256, i, 1);
	assert_good(f, format(f, 0, 0, NULL));
	assert_false(f->cmd.read_len_valid);
	assert_int_equal(um.blocks, NUM_LBAS);
	assert_one_run(f, 0, 1);
	assert_blocks_zero(f, 0, 256);
	/* FMTDATA with a short and a long header of defaults; FFMT 01b. */
	write_blocks(f, 7, 1, 1, 0);
	h = buf_new(4, 0, 0);
	assert_good(f, format(f, 0x10, 0, h));
	buf_free(h);
	assert_one_run(f, 0, 1);
	write_blocks(f, 7, 1, 1, 0);
	h = buf_new(8, 0, 0);
	assert_good(f, format(f, 0x30, 0x01, h));
	buf_free(h);
	assert_one_run(f, 0, 1);
	/* Without FMTDATA the list fields are ignored. */
	assert_good(f, format(f, 0x0f, 0, NULL));
	fix_free(f);
}

static void test_format_fully_provisioned(void **state)
{
	struct fix *f = full_fix(NUM_LBAS, 512);

	write_blocks(f, 0, 8, 1, 0);
	write_blocks(f, NUM_LBAS - 8, 8, 2, 0);
	spy.writes = 0;
	assert_good(f, format(f, 0, 0, NULL));
	assert_true(spy.writes >= 2);
	assert_blocks_zero(f, 0, 8);
	assert_blocks_zero(f, NUM_LBAS - 8, 8);
	fix_free(f);
}

static void test_format_parameter_list(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *s = buf_new(4, 0, 0);
	struct buf *l = buf_new(8, 0, 0);
	static const struct {
		unsigned byte;
		uint8_t v;
		unsigned want_byte;
		int want_bit;
	} bad_short[] = {
		{0, 0x08, 0, 3}, {0, 0x80, 0, 7}, {0, 0x01, 0, 2}, /* reserved, PFU without PI */
		{1, 0x20, 1, 5}, {1, 0x10, 1, 4}, {1, 0x40, 1, 6}, /* options without FOV */
		{1, 0x88, 1, 3}, {1, 0x84, 1, 2},                 /* IP, obsolete bit */
		{2, 0x01, 2, -1}, {3, 0x08, 2, -1},               /* a defect list */
	};

	write_blocks(f, 0, 1, 5, 0);
	for (size_t i = 0; i < sizeof(bad_short) / sizeof(bad_short[0]); i++) {
		memset(s->data, 0, 4);
		s->data[bad_short[i].byte] = bad_short[i].v;
		assert_param_invalid(f, format(f, 0x10, 0, s), bad_short[i].want_byte,
				     bad_short[i].want_bit);
	}
	/* Long header: byte 2 reserved, byte 3 P_I_INFORMATION/exponent, 4-7 length. */
	l->data[2] = 0x01;
	assert_param_invalid(f, format(f, 0x30, 0, l), 2, 0);
	l->data[2] = 0;
	l->data[3] = 0x01;
	assert_param_invalid(f, format(f, 0x30, 0, l), 3, 0);
	l->data[3] = 0;
	l->data[4] = 0x01;
	assert_param_invalid(f, format(f, 0x30, 0, l), 4, -1);
	/* A header cut off by the transport. */
	assert_sense(f, format(f, 0x30, 0, s), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
	assert_sense(f, format(f, 0x10, 0, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
	assert_int_equal(um.calls, 0);
	assert_blocks_pattern(f, 0, 1, 5);
	/* FOV with its options set (no initialization pattern): accepted. */
	memset(s->data, 0, 4);
	s->data[1] = 0xf2; /* FOV DPRY DCRT STPF IMMED */
	assert_good(f, format(f, 0x10, 0, s));
	assert_blocks_zero(f, 0, 1);
	buf_free(s);
	buf_free(l);
	fix_free(f);
}

static void test_format_cdb_fields(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *s = buf_new(4, 0, 0);
	uint8_t c[6] = {OP_FORMAT, 0, 0, 0, 0, 0};

	write_blocks(f, 0, 1, 5, 0);
	/* FMTPINFO on a device without PI, with and without FMTDATA. */
	assert_invalid_field(f, format(f, 0x80, 0, NULL), 1, 7);
	assert_invalid_field(f, format(f, 0xd0, 0, s), 1, 7);
	/* The reserved DEFECT LIST FORMAT 111b with a parameter list. */
	assert_invalid_field(f, format(f, 0x17, 0, s), 1, 2);
	/* FFMT 10b/11b, vendor specific byte 2, obsolete byte 3 and 4 bits. */
	assert_invalid_field(f, format(f, 0, 0x02, NULL), 4, 1);
	assert_invalid_field(f, format(f, 0, 0x03, NULL), 4, 1);
	assert_invalid_field(f, format(f, 0, 0x80, NULL), 4, 7);
	c[2] = 0x01;
	assert_invalid_field(f, exec(f, c, 6, NULL), 2, 0);
	c[2] = 0;
	c[3] = 0x20;
	assert_invalid_field(f, exec(f, c, 6, NULL), 3, 5);
	/* Write protection. */
	f->dev.hdev.read_only = true;
	assert_sense(f, format(f, 0, 0, NULL), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_WRITE_PROTECTED);
	f->dev.hdev.read_only = false;
	f->dev.mode.swp = true;
	assert_sense(f, format(f, 0x10, 0, s), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	assert_int_equal(um.calls, 0);
	f->dev.mode.swp = false;
	assert_blocks_pattern(f, 0, 1, 5);
	buf_free(s);
	fix_free(f);
}

/* The protection type is the device's: only a format keeping it is done. */
static void test_format_protection_types(void **state)
{
	static const struct {
		const char *cfg;
		uint8_t fmtpinfo, pfu;
		int expect; /* 0 good, 1 CDB field, 2 parameter field */
	} cases[] = {
		{"pi=1", 2, 0, 0}, {"pi=1", 0, 0, 1}, {"pi=1", 1, 0, 1}, {"pi=1", 3, 0, 1},
		{"pi=1", 2, 1, 2}, {"pi=1", 0, 1, 2}, {"pi=2", 3, 0, 0}, {"pi=2", 3, 1, 1},
		{"pi=3", 3, 1, 0}, {"pi=3", 3, 0, 1}, {"pi=3", 3, 2, 2}, {"pi=3", 2, 0, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fix *f = thin_fix(256, 512, cases[i].cfg);
		struct buf *s = buf_new(4, 0, 0);
		int ret;

		write_blocks(f, 0, 4, 3, 0);
		s->data[0] = cases[i].pfu;
		ret = format(f, (uint8_t)(cases[i].fmtpinfo << 6 | 0x10), 0, s);
		if (cases[i].expect == 0) {
			assert_good(f, ret);
			assert_blocks_zero(f, 0, 4);
			assert_escape_pi(f, 0, 4);
		} else if (cases[i].expect == 1) {
			assert_invalid_field(f, ret, 1, 7);
		} else {
			assert_param_invalid(f, ret, 0, 2);
		}
		buf_free(s);
		fix_free(f);
	}
}

/* Without unmap, FORMAT writes zeros and the escape PI. */
static void test_format_pi_fully_provisioned(void **state)
{
	struct fix *f = fix_new_cfg(256, 512, "pi=1", true);

	spy_handler.unmap = NULL;
	write_blocks(f, 0, 4, 3, 0);
	assert_good(f, format(f, 0x80, 0, NULL));
	assert_blocks_zero(f, 0, 4);
	assert_escape_pi(f, 0, 256);
	fix_free(f);
}

/* ---- SANITIZE ----------------------------------------------------------- */

static int sanitize(struct fix *f, uint8_t b1, uint16_t plen, struct buf *params)
{
	uint8_t c[10] = {OP_SANITIZE, b1, 0, 0, 0, 0, 0, 0, 0, 0};

	put16(&c[7], plen);
	return exec(f, c, 10, params);
}

/* An OVERWRITE parameter list with a pattern of len bytes of v. */
static struct buf *overwrite_list(uint8_t b0, uint16_t len, uint8_t v)
{
	struct buf *b = buf_new(4 + (size_t)len, v, 0);

	b->data[0] = b0;
	b->data[1] = 0;
	put16(&b->data[2], len);
	return b;
}

static void test_sanitize_overwrite(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *p = overwrite_list(0x01, 512, 0xaa);
	struct buf *r;

	write_blocks(f, 0, 256, 1, 0);
	assert_good(f, sanitize(f, 0x01, (uint16_t)p->len, p));
	assert_blocks_byte(f, 0, NUM_LBAS, 0xaa);
	buf_free(p);
	/* A 3-byte pattern repeats from the start of every block. */
	p = overwrite_list(0x01, 3, 0);
	p->data[4] = 1;
	p->data[5] = 2;
	p->data[6] = 3;
	assert_good(f, sanitize(f, 0x81, (uint16_t)p->len, p)); /* IMMED */
	r = read_blocks(f, NUM_LBAS - 2, 2, 0);
	for (size_t i = 0; i < r->len; i++)
		assert_int_equal(r->data[i], 1 + (i % 512) % 3);
	buf_free(r);
	buf_free(p);
	/* INVERT: the last of an even number of passes is inverted. */
	p = overwrite_list(0x82, 4, 0x0f);
	assert_good(f, sanitize(f, 0x21, (uint16_t)p->len, p)); /* AUSE */
	assert_blocks_byte(f, 0, 16, 0xf0);
	p->data[0] = 0x83;
	assert_good(f, sanitize(f, 0x01, (uint16_t)p->len, p));
	assert_blocks_byte(f, 0, 16, 0x0f);
	assert_int_equal(um.calls, 0);
	buf_free(p);
	fix_free(f);
}

static void test_sanitize_overwrite_errors(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *p = overwrite_list(0x01, 512, 0xaa);
	struct buf *big = buf_new(520, 0, 0);

	write_blocks(f, 0, 1, 4, 0);
	/* PARAMETER LIST LENGTH must be 5..block size + 4. */
	for (uint16_t len = 0; len < 5; len++)
		assert_invalid_field(f, sanitize(f, 0x01, len, p), 7, -1);
	assert_invalid_field(f, sanitize(f, 0x01, 517, big), 7, -1);
	/* OVERWRITE COUNT 0, TEST, reserved byte 1. */
	p->data[0] = 0x00;
	assert_param_invalid(f, sanitize(f, 0x01, 516, p), 0, 4);
	p->data[0] = 0x21;
	assert_param_invalid(f, sanitize(f, 0x01, 516, p), 0, 5);
	p->data[0] = 0x01;
	p->data[1] = 0x04;
	assert_param_invalid(f, sanitize(f, 0x01, 516, p), 1, 2);
	p->data[1] = 0;
	/* INITIALIZATION PATTERN LENGTH 0 or more than a block. */
	put16(&p->data[2], 0);
	assert_param_invalid(f, sanitize(f, 0x01, 516, p), 2, -1);
	memset(big->data, 0, 4);
	big->data[0] = 1;
	put16(&big->data[2], 513);
	assert_param_invalid(f, sanitize(f, 0x01, 516, big), 2, -1);
	/* A pattern longer than the parameter list. */
	put16(&p->data[2], 100);
	assert_sense(f, sanitize(f, 0x01, 50, p), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* The transport carries less than the parameter list length. */
	assert_sense(f, sanitize(f, 0x01, 516, NULL), TCMUD_SK_ILLEGAL_REQUEST, ASC_CMD_IU);
	assert_int_equal(spy.writes, 1);
	assert_blocks_pattern(f, 0, 1, 4);
	buf_free(big);
	buf_free(p);
	fix_free(f);
}

static void test_sanitize_erase(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *junk = buf_new(8, 0, 0);

	for (uint8_t sa = 2; sa <= 3; sa++) {
		write_blocks(f, 0, 256, 1, 0);
		write_blocks(f, NUM_LBAS - 256, 256, 1, 0);
		assert_good(f, sanitize(f, sa, 0, NULL));
		assert_one_run(f, 0, 1);
		assert_blocks_zero(f, 0, 256);
		assert_blocks_zero(f, NUM_LBAS - 256, 256);
		assert_invalid_field(f, sanitize(f, sa, 8, junk), 7, -1);
	}
	assert_int_equal(um.blocks, 2 * NUM_LBAS);
	fix_free(f);
	/* Fully provisioned: zeros are written. */
	f = full_fix(NUM_LBAS, 512);
	write_blocks(f, 0, 8, 1, 0);
	assert_good(f, sanitize(f, 0x82, 0, NULL));
	assert_blocks_zero(f, 0, 8);
	assert_one_run(f, 0, 0);
	fix_free(f);
	buf_free(junk);
}

static void test_sanitize_service_actions(void **state)
{
	struct fix *f = thin_fix(NUM_LBAS, 512, "");
	struct buf *junk = buf_new(8, 0, 0);
	struct buf *p = overwrite_list(0x01, 512, 0xaa);
	uint8_t c[10] = {OP_SANITIZE, 0x02, 0, 0, 0, 0, 0, 0, 0, 0};

	/* EXIT FAILURE MODE: never in failure mode, nothing to leave. */
	assert_good(f, sanitize(f, 0x1f, 0, NULL));
	assert_invalid_field(f, sanitize(f, 0x1f, 8, junk), 7, -1);
	for (uint8_t sa = 0; sa < 0x1f; sa++) {
		if (sa >= 1 && sa <= 3)
			continue;
		assert_invalid_field(f, sanitize(f, sa, 0, NULL), 1, 4);
	}
	/* Reserved bit 6 of byte 1 and bytes 2-6. */
	c[1] = 0x42;
	assert_invalid_field(f, exec(f, c, 10, NULL), 1, 6);
	c[1] = 0x02;
	for (unsigned i = 2; i <= 6; i++) {
		c[i] = 0x01;
		assert_invalid_field(f, exec(f, c, 10, NULL), i, 0);
		c[i] = 0;
	}
	/* Write protection: no erase, no overwrite; EXIT FAILURE MODE changes nothing. */
	write_blocks(f, 0, 1, 2, 0);
	f->dev.hdev.read_only = true;
	assert_sense(f, sanitize(f, 0x02, 0, NULL), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_WRITE_PROTECTED);
	assert_sense(f, sanitize(f, 0x03, 0, NULL), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_WRITE_PROTECTED);
	assert_sense(f, sanitize(f, 0x01, 516, p), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_WRITE_PROTECTED);
	assert_good(f, sanitize(f, 0x1f, 0, NULL));
	f->dev.hdev.read_only = false;
	assert_int_equal(um.calls, 0);
	assert_blocks_pattern(f, 0, 1, 2);
	buf_free(p);
	buf_free(junk);
	fix_free(f);
}

static void test_sanitize_pi(void **state)
{
	struct fix *f = thin_fix(256, 512, "pi=1");
	struct buf *p = overwrite_list(0x01, 16, 0x5c);

	write_blocks(f, 0, 8, 1, 0);
	assert_good(f, sanitize(f, 0x01, (uint16_t)p->len, p));
	assert_escape_pi(f, 0, 256);
	/* A plain read skips the checks of escaped blocks. */
	assert_blocks_byte(f, 0, 256, 0x5c);
	write_blocks(f, 0, 8, 1, 0);
	assert_good(f, sanitize(f, 0x03, 0, NULL));
	assert_escape_pi(f, 0, 256);
	buf_free(p);
	fix_free(f);
}

/* ---- REPORT SUPPORTED OPERATION CODES sees the table --------------------- */

static void test_rsoc_usage(void **state)
{
	struct fix *f = fix_new(NUM_LBAS, 512, false);
	struct buf *b = buf_new(64, 0, 0);
	uint8_t c[12] = {0xa3, 0x0c, 0x02, OP_SANITIZE, 0x00, 0x03, 0, 0, 0, 64, 0, 0};

	assert_good(f, exec(f, c, 12, b));
	assert_int_equal(b->data[1] & 0x07, 0x03);
	assert_int_equal(be16(&b->data[2]), 10);
	assert_int_equal(b->data[4], OP_SANITIZE);
	assert_int_equal(b->data[5], 0xa3);
	assert_int_equal(b->data[11], 0xff);
	c[2] = 0x01;
	c[3] = OP_WS16;
	assert_good(f, exec(f, c, 12, b));
	assert_int_equal(be16(&b->data[2]), 16);
	assert_int_equal(b->data[5], 0xf9);
	assert_int_equal(b->data[18], 0x3f);
	buf_free(b);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws10_fills_range),
		cmocka_unit_test(test_ws16_many_chunks),
		cmocka_unit_test(test_ws_zero_blocks_to_end),
		cmocka_unit_test(test_ws_max_length),
		cmocka_unit_test(test_ws_beyond_eol),
		cmocka_unit_test(test_ws_dataout_size),
		cmocka_unit_test(test_ws_cdb_fields),
		cmocka_unit_test(test_ws_write_protected),
		cmocka_unit_test(test_ws_unmap_zero_block_deallocates),
		cmocka_unit_test(test_ws_unmap_nonzero_block_writes),
		cmocka_unit_test(test_ws_unmap_without_lbprz_writes),
		cmocka_unit_test(test_ws_unmap_fully_provisioned),
		cmocka_unit_test(test_ws_unmap_handler_error),
		cmocka_unit_test(test_ws_ndob),
		cmocka_unit_test(test_ws_ndob_unmap_and_dataout),
		cmocka_unit_test(test_ws_pi_type1_wrprotect),
		cmocka_unit_test(test_ws_pi_generated),
		cmocka_unit_test(test_ws_pi_type3),
		cmocka_unit_test(test_ws_pi_type2),
		cmocka_unit_test(test_ws_pi_unmap),
		cmocka_unit_test(test_unmap_descriptors),
		cmocka_unit_test(test_unmap_lengths),
		cmocka_unit_test(test_unmap_limits),
		cmocka_unit_test(test_unmap_out_of_range),
		cmocka_unit_test(test_unmap_reserved_fields),
		cmocka_unit_test(test_unmap_not_thin_and_protected),
		cmocka_unit_test(test_gls_runs),
		cmocka_unit_test(test_gls_allocation_length),
		cmocka_unit_test(test_gls_out_of_range),
		cmocka_unit_test(test_gls_fully_provisioned),
		cmocka_unit_test(test_gls_coalesces_and_bounds),
		cmocka_unit_test(test_format_reinitialises),
		cmocka_unit_test(test_format_fully_provisioned),
		cmocka_unit_test(test_format_parameter_list),
		cmocka_unit_test(test_format_cdb_fields),
		cmocka_unit_test(test_format_protection_types),
		cmocka_unit_test(test_format_pi_fully_provisioned),
		cmocka_unit_test(test_sanitize_overwrite),
		cmocka_unit_test(test_sanitize_overwrite_errors),
		cmocka_unit_test(test_sanitize_erase),
		cmocka_unit_test(test_sanitize_service_actions),
		cmocka_unit_test(test_sanitize_pi),
		cmocka_unit_test(test_rsoc_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
