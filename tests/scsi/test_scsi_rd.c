/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SCSI layer driven with real CDBs against the rd handler (built into
 * this test), over data buffers split into iovecs at odd boundaries.
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

/* ---- READ CAPACITY ----------------------------------------------------- */

static void read_capacity10(struct fix *f, uint32_t *lba, uint32_t *bs)
{
	struct buf *b = buf_new(8, 0xcc, 0);
	uint8_t c[10] = {0x25};

	assert_good(f, exec(f, c, 10, b));
	assert_false(f->cmd.read_len_valid);
	*lba = be32(&b->data[0]);
	*bs = be32(&b->data[4]);
	buf_free(b);
}

static void test_read_capacity10(void **state)
{
	struct fix *f = fix_new(131072, 512, false);
	uint32_t lba, bs;

	read_capacity10(f, &lba, &bs);
	assert_int_equal(lba, 131071);
	assert_int_equal(bs, 512);
	f->dev.hdev.num_lbas = 0xffffffffULL;
	f->dev.hdev.block_size = 4096;
	read_capacity10(f, &lba, &bs);
	assert_int_equal(lba, 0xfffffffe);
	assert_int_equal(bs, 4096);
	f->dev.hdev.num_lbas = 1ULL << 32; /* last LBA still fits */
	read_capacity10(f, &lba, &bs);
	assert_int_equal(lba, 0xffffffff);
	f->dev.hdev.num_lbas = (1ULL << 32) + 10; /* capped */
	read_capacity10(f, &lba, &bs);
	assert_int_equal(lba, 0xffffffff);
	fix_free(f);
}

static void cdb_rc16(uint8_t *c, uint32_t alloc)
{
	memset(c, 0, 16);
	c[0] = 0x9e;
	c[1] = 0x10;
	put32(&c[10], alloc);
}

static void test_read_capacity16(void **state)
{
	struct fix *f = fix_new((1ULL << 32) + 10, 4096, false);
	struct buf *b = buf_new(32, 0xcc, 1);
	uint8_t c[16];

	cdb_rc16(c, 32);
	assert_good(f, exec(f, c, 16, b));
	assert_false(f->cmd.read_len_valid);
	assert_true(be64(&b->data[0]) == (1ULL << 32) + 9);
	assert_int_equal(be32(&b->data[8]), 4096);
	assert_int_equal(b->data[12], 0); /* no protection */
	assert_int_equal(b->data[13], 0); /* LBPPBE */
	assert_int_equal(be16(&b->data[14]), 0x8000); /* LBPME: rd can unmap; LBPRZ needs an open device */
	assert_true(all_zero(&b->data[16], 16));
	buf_free(b);

	/* Allocation length truncation. */
	b = buf_new(64, 0xcc, 2);
	cdb_rc16(c, 12);
	assert_good(f, exec(f, c, 16, b));
	assert_read_len(f, 12);
	assert_int_equal(be32(&b->data[8]), 4096);
	assert_int_equal(b->data[12], 0xcc);
	cdb_rc16(c, 64);
	assert_good(f, exec(f, c, 16, b));
	assert_read_len(f, 32);
	cdb_rc16(c, 0);
	assert_good(f, exec(f, c, 16, b));
	assert_read_len(f, 0);

	/* A SERVICE ACTION IN(16) service action nobody serves. */
	cdb_rc16(c, 32);
	c[1] = 0x1f;
	assert_invalid_field(f, exec(f, c, 16, b), 1, 4);
	buf_free(b);
	fix_free(f);
}

/* ---- READ / WRITE ------------------------------------------------------ */

static void roundtrip_across_chunks(uint32_t bs)
{
	uint64_t nlbas = 4 * MiB / bs;
	uint64_t per_chunk = MiB / bs;
	struct fix *f = fix_new(nlbas, bs, true);
	uint8_t c[12];
	struct buf *b;

	/* A few blocks straddling the first chunk boundary. */
	write_blocks(f, per_chunk - 3, 7, 1, 0);
	assert_blocks_pattern(f, per_chunk - 3, 7, 1);
	assert_blocks_zero(f, per_chunk - 4, 1);
	assert_blocks_zero(f, per_chunk + 4, 1);

	/* A long transfer spanning two chunk boundaries. */
	write_blocks(f, 2 * per_chunk - 5, (uint32_t)per_chunk + 10, 2, 7);
	assert_blocks_pattern(f, 2 * per_chunk - 5, (uint32_t)per_chunk + 10, 2);
	assert_int_equal(spy.last_blocks, per_chunk + 10);

	/* READ(12) sees the same data through another split. */
	b = buf_new(7 * bs, 0xcc, 9);
	cdb12(c, 0xa8, (uint32_t)(per_chunk - 3), 7, 0);
	assert_good(f, exec(f, c, 12, b));
	uint8_t *want = malloc(b->len);
	assert_non_null(want);
	fill_pattern(want, b->len, 1);
	assert_memory_equal(b->data, want, b->len);
	free(want);
	buf_free(b);

	/* The last block of the device. */
	write_blocks(f, nlbas - 1, 1, 3, 2);
	assert_blocks_pattern(f, nlbas - 1, 1, 3);
	fix_free(f);
}

static void test_roundtrip_512(void **state)
{
	roundtrip_across_chunks(512);
}

static void test_roundtrip_4096(void **state)
{
	roundtrip_across_chunks(4096);
}

static void test_rw6_zero_is_256(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(256 * 512, 0, 3);
	uint8_t c[6];

	fill_pattern(b->data, b->len, 6);
	cdb6(c, 0x0a, 100, 0);
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(spy.writes, 1);
	assert_int_equal(spy.last_blocks, 256);
	buf_free(b);
	assert_blocks_pattern(f, 100, 256, 6);
	assert_blocks_zero(f, 356, 1);

	b = buf_new(256 * 512, 0xcc, 1);
	cdb6(c, 0x08, 100, 0);
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(spy.last_blocks, 256);
	uint8_t *want = malloc(b->len);
	assert_non_null(want);
	fill_pattern(want, b->len, 6);
	assert_memory_equal(b->data, want, b->len);
	free(want);
	buf_free(b);

	/* READ(6) of "0" blocks into a 255-block buffer: the initiator expected
	 * less than the CDB asks; the buffer is filled (the kernel reports the
	 * overflow). */
	b = buf_new(255 * 512, 0xcc, 0);
	assert_good(f, exec(f, c, 6, b));
	assert_false(f->cmd.read_len_valid);
	assert_int_equal(spy.last_blocks, 255);
	want = malloc(b->len);
	assert_non_null(want);
	fill_pattern(want, b->len, 6);
	assert_memory_equal(b->data, want, b->len);
	free(want);
	buf_free(b);
	fix_free(f);
}

static void test_lba_range(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(1024, 0xcc, 0);
	uint8_t c[16];

	cdb10(c, 0x28, 8191, 1, 0);                 /* the last block */
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 512);
	cdb10(c, 0x28, 8191, 2, 0);                 /* runs one past the end */
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb10(c, 0x2a, 8192, 1, 0);                 /* one past the end */
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb10(c, 0x28, 8192, 0, 0);                 /* zero blocks at the end */
	assert_good(f, exec(f, c, 10, b));
	cdb10(c, 0x28, 8193, 0, 0);                 /* zero blocks past it */
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb16(c, 0x88, UINT64_MAX, 2, 0);           /* lba + len overflows */
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb16(c, 0x8a, 1ULL << 63, 0xffffffff, 0);
	assert_sense(f, exec(f, c, 16, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb12(c, 0xaa, 0xffffffff, 0xffffffff, 0);
	assert_sense(f, exec(f, c, 12, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb6(c, 0x08, 0x1fffff, 1);                 /* the largest 6-byte LBA */
	assert_sense(f, exec(f, c, 6, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb6(c, 0x0a, 8191, 2);
	assert_sense(f, exec(f, c, 6, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_int_equal(spy.reads, 1);
	assert_int_equal(spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

static void test_zero_length_transfer(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(512, 0xcc, 0);
	uint8_t c[10];

	cdb10(c, 0x28, 5, 0, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 0);                      /* nothing of the buffer is data */
	assert_int_equal(b->data[0], 0xcc);
	cdb10(c, 0x2a, 5, 0, 0);
	assert_good(f, exec(f, c, 10, NULL));
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* A WRITE buffer shorter than the CDB says is refused; a READ one is filled
 * as far as it goes (the initiator expected less: the kernel reports the
 * overflow residual, as for its own backends). */
static void test_short_buffer(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(1023, 0x77, 3);
	uint8_t c[10];

	cdb10(c, 0x2a, 0, 2, 0);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST, 0x0e03);
	assert_int_equal(spy.writes, 0);
	buf_free(b);
	assert_blocks_zero(f, 0, 2);
	write_blocks(f, 0, 2, 9, 0);
	b = buf_new(1000, 0xcc, 0);
	cdb10(c, 0x28, 0, 2, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_false(f->cmd.read_len_valid);
	uint8_t want[1024];
	fill_pattern(want, sizeof(want), 9);
	assert_memory_equal(b->data, want, 1000);
	buf_free(b);
	unsigned reads = spy.reads;
	cdb10(c, 0x28, 0, 1, 0);                    /* no buffer at all */
	assert_good(f, exec(f, c, 10, NULL));
	assert_int_equal(spy.reads, reads);
	fix_free(f);
}

static void test_buffer_longer_than_transfer(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(10000, 0, 4);
	uint8_t c[10];

	/* A write uses only the blocks the CDB names. */
	fill_pattern(b->data, b->len, 9);
	cdb10(c, 0x2a, 10, 1, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_false(f->cmd.read_len_valid);
	buf_free(b);
	assert_blocks_pattern(f, 10, 1, 9);
	assert_blocks_zero(f, 11, 1);

	/* A read fills one block and says so. */
	b = buf_new(10000, 0xcc, 5);
	cdb10(c, 0x28, 10, 1, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 512);
	uint8_t want[512];
	fill_pattern(want, sizeof(want), 9);
	assert_memory_equal(b->data, want, 512);
	assert_int_equal(b->data[512], 0xcc);
	buf_free(b); /* also checks the iovecs were restored */
	fix_free(f);
}

static void test_protect_refused(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(520, 0xcc, 0);
	uint8_t c[16];

	cdb10(c, 0x28, 0, 1, 0x20);
	assert_invalid_field(f, exec(f, c, 10, b), 1, 7);
	cdb16(c, 0x8a, 0, 1, 0xe0);
	assert_invalid_field(f, exec(f, c, 16, b), 1, 7);
	cdb12(c, 0xa8, 0, 1, 0x40);
	assert_invalid_field(f, exec(f, c, 12, b), 1, 7);
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

static void test_fua_dpo_passed(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(512, 0, 0);
	uint8_t c[16];

	cdb10(c, 0x2a, 0, 1, 0x08);
	assert_good(f, exec(f, c, 10, b));
	assert_true(spy.last_fua);
	assert_false(spy.last_dpo);
	cdb16(c, 0x88, 0, 1, 0x18);
	assert_good(f, exec(f, c, 16, b));
	assert_true(spy.last_fua);
	assert_true(spy.last_dpo);
	cdb12(c, 0xa8, 0, 1, 0x10);
	assert_good(f, exec(f, c, 12, b));
	assert_false(spy.last_fua);
	assert_true(spy.last_dpo);
	buf_free(b);
	fix_free(f);
}

/* ---- dispatch ---------------------------------------------------------- */

static void test_unknown_opcode(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t c[32] = {0x3b};                     /* WRITE BUFFER */

	assert_sense(f, exec(f, c, 6, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	c[0] = 0xc5;                                /* vendor specific */
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	c[0] = 0xa3;               /* MAINTENANCE IN, a service action nobody serves */
	assert_invalid_field(f, exec(f, c, 12, NULL), 1, 4);
	c[0] = 0x7f;                                /* READ(32): needs type 2 PI */
	c[7] = 0x18;
	c[9] = 0x09;
	assert_sense(f, exec(f, c, 32, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	c[0] = 0x28;                                /* truncated READ(10) */
	assert_sense(f, exec(f, c, 6, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	assert_sense(f, exec(f, c, 0, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	assert_false(f->cmd.sense.sks_valid);
	fix_free(f);
}

/* REPORT SUPPORTED OPERATION CODES, all commands: true if opcode/sa is listed. */
static bool rsoc_lists(struct fix *f, uint8_t op, uint16_t sa)
{
	struct buf *b = buf_new(8192, 0, 0);
	uint8_t c[12] = {0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x20, 0x00, 0, 0};
	bool found = false;

	assert_good(f, exec(f, c, 12, b));
	for (uint32_t o = 4; o < 4 + be32(b->data); o += 8)
		if (b->data[o] == op && be16(&b->data[o + 2]) == sa)
			found = true;
	buf_free(b);
	return found;
}

/* 32-byte CDBs exist only on type 2 devices, UNMAP only on thin ones:
 * elsewhere they are unknown opcodes and are not reported. */
static void test_command_availability(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	uint8_t c[32] = {0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x09};
	uint8_t one[12] = {0xa3, 0x0c, 0x02, 0x7f, 0x00, 0x09, 0, 0, 0, 64, 0, 0};
	struct buf *b = buf_new(64, 0xcc, 0);

	assert_sense(f, exec(f, c, 32, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	assert_false(rsoc_lists(f, 0x7f, 0x0009));
	assert_good(f, exec(f, one, 12, b));
	assert_int_equal(b->data[1] & 7, 1); /* not supported */
	assert_true(rsoc_lists(f, 0x42, 0));
	f->dev.hdev.pi_type = 2;
	assert_true(rsoc_lists(f, 0x7f, 0x0009));
	assert_good(f, exec(f, one, 12, b));
	assert_int_equal(b->data[1] & 7, 3);
	f->dev.hdev.pi_type = 0;
	spy_handler.unmap = NULL;
	assert_false(rsoc_lists(f, 0x42, 0));
	memset(c, 0, sizeof(c));
	c[0] = 0x42;
	c[8] = 24;
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	buf_free(b);
	fix_free(f);
}

static void test_naca_refused(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	uint8_t c[16] = {0x00, 0, 0, 0, 0, 0x04};   /* TEST UNIT READY, NACA */

	assert_invalid_field(f, exec(f, c, 6, NULL), 5, 2);
	cdb16(c, 0x88, 0, 0, 0);
	c[15] = 0x04;
	assert_invalid_field(f, exec(f, c, 16, NULL), 15, 2);
	c[15] = 0x01;                               /* LINK: obsolete, ignored */
	assert_good(f, exec(f, c, 16, NULL));
	fix_free(f);
}

static void test_handle_cdb_first(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t c[10] = {0xc0};

	spy_handler.handle_cdb = spy_handle_cdb;
	assert_good(f, exec(f, c, 10, NULL));
	c[0] = 0xc1;
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_HARDWARE_ERROR, 0x4400);
	c[0] = 0x00;                                /* falls through to TUR */
	assert_good(f, exec(f, c, 6, NULL));
	c[0] = 0xc2;                                /* falls through, unknown */
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_OPCODE);
	assert_int_equal(spy.cdbs, 4);
	fix_free(f);
}

static void test_response_reset(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct tcmud_cmd *c = &f->cmd;

	memset(c, 0xff, sizeof(*c));
	memset(c->cdb, 0, sizeof(c->cdb));
	c->cdb_len = 6;
	c->iov = NULL;
	c->iov_cnt = 0;
	c->data_len = 0;
	assert_int_equal(tcmud_scsi_execute(&f->dev, c), TCMUD_STATUS_GOOD);
	assert_int_equal(c->status, TCMUD_STATUS_GOOD);
	assert_false(c->read_len_valid);
	assert_int_equal(c->read_len, 0);
	assert_int_equal(c->sense.key, 0);
	assert_int_equal(c->sense.asc_ascq, 0);
	assert_false(c->sense.info_valid);
	assert_false(c->sense.sks_valid);
	fix_free(f);
}

/* ---- TUR, REQUEST SENSE, REPORT LUNS, SYNCHRONIZE CACHE ---------------- */

static void test_tur_request_sense(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 0);
	uint8_t c[6] = {0x00};

	assert_good(f, exec(f, c, 6, NULL));
	c[0] = 0x03;
	c[4] = 255;
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 18);
	assert_int_equal(b->data[0], 0x70);
	assert_int_equal(b->data[2], TCMUD_SK_NO_SENSE);
	assert_int_equal(b->data[7], 10);
	assert_int_equal(b->data[12], 0);
	assert_int_equal(b->data[13], 0);
	c[1] = 0x01;                                /* DESC */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 8);
	assert_int_equal(b->data[0], 0x72);
	assert_int_equal(b->data[1], 0);
	assert_int_equal(b->data[7], 0);
	c[4] = 4;
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 4);
	buf_free(b);
	fix_free(f);
}

static void test_report_luns(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(64, 0xcc, 1);
	uint8_t c[12] = {0xa0};

	put32(&c[6], 64);
	assert_good(f, exec(f, c, 12, b));
	assert_read_len(f, 16);
	assert_int_equal(be32(&b->data[0]), 8);
	assert_true(all_zero(&b->data[4], 12));
	assert_int_equal(b->data[16], 0xcc);
	c[2] = 0x10;
	assert_invalid_field(f, exec(f, c, 12, b), 2, -1);
	buf_free(b);
	fix_free(f);
}

/* A buffer given to a command that returns no data must come back empty:
 * the kernel would otherwise send stale data-area bytes on GOOD. */
static void test_no_data_commands_with_a_buffer(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	struct buf *b = buf_new(512, 0xa5, 3);
	uint8_t c[16] = {0};

	assert_good(f, exec(f, c, 6, b));           /* TEST UNIT READY */
	assert_read_len(f, 0);
	cdb10(c, 0x35, 0, 0, 0);                    /* SYNCHRONIZE CACHE(10) */
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 0);
	memset(c, 0, sizeof(c));
	assert_good(f, exec(f, c, 6, NULL));        /* no buffer: nothing to report */
	assert_false(f->cmd.read_len_valid);
	buf_free(b);
	fix_free(f);
}

static void test_sync_cache(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	uint8_t c[16];

	cdb10(c, 0x35, 0, 0, 0);                    /* whole device */
	assert_good(f, exec(f, c, 10, NULL));
	cdb10(c, 0x35, 8191, 1, 0x02);              /* last block, IMMED */
	assert_good(f, exec(f, c, 10, NULL));
	cdb10(c, 0x35, 8192, 0, 0);
	assert_good(f, exec(f, c, 10, NULL));
	assert_int_equal(spy.flushes, 3);
	cdb10(c, 0x35, 8192, 1, 0);
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb10(c, 0x35, 8000, 193, 0);
	assert_sense(f, exec(f, c, 10, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb16(c, 0x91, 1ULL << 40, 0, 0);
	assert_sense(f, exec(f, c, 16, NULL), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	cdb16(c, 0x91, 4096, 4096, 0);
	assert_good(f, exec(f, c, 16, NULL));
	assert_int_equal(spy.flushes, 4);

	spy_handler.flush = NULL;                   /* no flush: nothing to do */
	assert_good(f, exec(f, c, 16, NULL));
	assert_int_equal(spy.flushes, 4);
	fix_free(f);
}

/* ---- resize and cfgstring ---------------------------------------------- */

static int resize(struct fix *f, uint64_t lbas)
{
	struct tcmud_reconfig rc = {.size_changed = true, .new_num_lbas = lbas};
	int ret = tcmud_handler.reconfig(&f->dev.hdev, &rc);

	if (ret == 0)
		f->dev.hdev.num_lbas = lbas; /* the daemon's part */
	return ret;
}

static int reconfig_cfg(struct fix *f, const char *cfg)
{
	struct tcmud_reconfig rc = {.cfgstring_changed = true, .new_cfgstring = cfg};

	return tcmud_handler.reconfig(&f->dev.hdev, &rc);
}

static void test_resize(void **state)
{
	struct fix *f = fix_new(8192, 512, true); /* 4 MiB */
	struct buf *b = buf_new(512, 0xcc, 0);
	uint8_t c[10];

	write_blocks(f, 2900, 200, 11, 0);          /* crosses 1.5 MiB (3072) */
	assert_int_equal(resize(f, 3072), 0);
	cdb10(c, 0x28, 3072, 1, 0);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_blocks_pattern(f, 2900, 172, 11);    /* kept below the new end */

	/* The handler itself refuses I/O past its end, whatever num_lbas says. */
	f->dev.hdev.num_lbas = 8192;
	cdb10(c, 0x28, 5000, 1, 0);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_int_equal(spy.reads, 2);
	f->dev.hdev.num_lbas = 3072;

	assert_int_equal(resize(f, 16384), 0);      /* grow to 8 MiB */
	assert_blocks_pattern(f, 2900, 172, 11);
	assert_blocks_zero(f, 3072, 2048);          /* what was cut reads as zeros */
	write_blocks(f, 16383, 1, 12, 1);
	assert_blocks_pattern(f, 16383, 1, 12);
	assert_int_equal(resize(f, 16384 + 1), 0);  /* inside the last chunk */
	assert_blocks_zero(f, 16384, 1);
	assert_int_equal(resize(f, 0), -EINVAL);
	assert_int_equal(resize(f, UINT64_MAX / 512), -ENOMEM);

	assert_int_equal(reconfig_cfg(f, "size=8389120"), 0); /* 16385 blocks */
	assert_int_equal(reconfig_cfg(f, "size=1M"), -EINVAL);
	assert_int_equal(reconfig_cfg(f, "bogus=1"), -EINVAL);
	struct tcmud_reconfig wc = {.write_cache_changed = true, .new_write_cache = false};
	assert_int_equal(tcmud_handler.reconfig(&f->dev.hdev, &wc), 0);
	assert_blocks_pattern(f, 16383, 1, 12);     /* refusals changed nothing */
	buf_free(b);
	fix_free(f);
}

static void test_check_config(void **state)
{
	char why[256];
	static const char *const good[] = {"", "size=64M", "size=64M;", ";size=64M",
					   "rd/size=64M", "size=67108864", "size=4k",
					   "size=1T", " size=64M\n"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(tcmud_handler.check_config(good[i], why, sizeof(why)), 0);
	assert_int_equal(tcmud_handler.check_config("bogus=1", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "bogus=1"));
	assert_int_equal(tcmud_handler.check_config("size=12Q", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "size=12Q"));
	assert_int_equal(tcmud_handler.check_config("size=64M;bogus", why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "bogus"));
	assert_int_equal(tcmud_handler.check_config("size=", why, sizeof(why)), -EINVAL);
	assert_int_equal(tcmud_handler.check_config("size=0", why, sizeof(why)), -EINVAL);
	assert_int_equal(tcmud_handler.check_config("size=M", why, sizeof(why)), -EINVAL);
	assert_int_equal(tcmud_handler.check_config("size=64MM", why, sizeof(why)), -EINVAL);
	assert_int_equal(tcmud_handler.check_config("size=16777216T", why, sizeof(why)),
			 -EINVAL); /* 2^64 */
	assert_int_equal(tcmud_handler.check_config("size=99999999999999999999", why,
						    sizeof(why)), -EINVAL);
	assert_int_equal(tcmud_handler.check_config("sizes=1", NULL, 0), -EINVAL);
	assert_string_equal(tcmud_handler.subtype, "rd");
	assert_non_null(tcmud_handler.cfg_desc);
	assert_int_equal(tcmud_handler.api_version, TCMUD_HANDLER_API_VERSION);
}

static int open_with(const char *cfg, uint64_t lbas, uint32_t bs, char *why, size_t len)
{
	struct tcmud_hdev dev = {.name = "rd0", .cfgstring = cfg, .num_lbas = lbas,
				 .block_size = bs};
	int ret = tcmud_handler.open(&dev, why, len);

	if (ret == 0) {
		assert_non_null(dev.priv);
		tcmud_handler.close(&dev, TCMUD_CLOSE_REMOVED);
		assert_null(dev.priv);
	}
	return ret;
}

static void test_open_config(void **state)
{
	char why[256];

	assert_int_equal(open_with("", 131072, 512, why, sizeof(why)), 0);
	assert_int_equal(open_with("size=64M", 131072, 512, why, sizeof(why)), 0);
	assert_int_equal(open_with("size=64M", 16384, 4096, why, sizeof(why)), 0);
	assert_int_equal(open_with("size=1M", 131072, 512, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "1048576"));
	assert_non_null(strstr(why, "67108864"));
	assert_int_equal(open_with("bogus=1", 131072, 512, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "bogus=1"));
	assert_int_equal(open_with("size=12Q", 131072, 512, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "size=12Q"));
	assert_int_equal(open_with("size=1000", 131072, 512, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "multiple"));
	assert_int_equal(open_with("", 0, 512, why, sizeof(why)), -EINVAL);
	assert_int_equal(open_with("", 8, 0, why, sizeof(why)), -EINVAL);
	assert_int_equal(open_with("", UINT64_MAX / 2, 512, why, sizeof(why)), -EINVAL);
	/* Fits 64 bits but not memory: refused, not wrapped around. */
	assert_int_equal(open_with("", UINT64_MAX / 512, 512, why, sizeof(why)), -ENOMEM);
	assert_non_null(strstr(why, "cannot allocate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_capacity10),
		cmocka_unit_test(test_read_capacity16),
		cmocka_unit_test(test_roundtrip_512),
		cmocka_unit_test(test_roundtrip_4096),
		cmocka_unit_test(test_rw6_zero_is_256),
		cmocka_unit_test(test_lba_range),
		cmocka_unit_test(test_zero_length_transfer),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_buffer_longer_than_transfer),
		cmocka_unit_test(test_protect_refused),
		cmocka_unit_test(test_fua_dpo_passed),
		cmocka_unit_test(test_unknown_opcode),
		cmocka_unit_test(test_naca_refused),
		cmocka_unit_test(test_command_availability),
		cmocka_unit_test(test_handle_cdb_first),
		cmocka_unit_test(test_response_reset),
		cmocka_unit_test(test_tur_request_sense),
		cmocka_unit_test(test_report_luns),
		cmocka_unit_test(test_sync_cache),
		cmocka_unit_test(test_no_data_commands_with_a_buffer),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_check_config),
		cmocka_unit_test(test_open_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
