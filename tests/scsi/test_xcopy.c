/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EXTENDED COPY (LID1) and RECEIVE COPY RESULTS against rd devices: copies
 * within a device and between devices (found through the directory by the
 * NAA designator their VPD page 0x83 reports), overlapping ranges, mixed
 * block sizes, PI devices, every parameter list error with its sense and
 * pointer, write protection, the results kept per list identifier, the
 * directory's device lifetime, and copies crossing each other from two
 * threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "scsi_fixture.h"
#include "scsi_directory.h"

#define OP_XCOPY 0x83
#define OP_RCR 0x84
#define SK_COPY_ABORTED 0x0a
#define ASC_NOT_REACHABLE 0x0d02
#define ASC_INEXACT 0x260a

#define HDR 16
#define CSCD 32
#define SEG 28

/* ---- devices --------------------------------------------------------------- */

/*
 * A device with its own name and unit serial (both before the rd handler
 * opens it: they pick its storage), so that its designator is its own.
 */
static struct fix *fix_named_cfg(uint64_t num_lbas, uint32_t bs, const char *cfg,
				 const char *name, const char *serial)
{
	struct fix *f = fix_new_cfg(num_lbas, bs, cfg, false);
	char why[256] = "";

	tcmud_scsi_ident_init(&f->dev.ident, serial);
	f->dev.hdev.name = name;
	f->dev.hdev.unit_serial = f->dev.ident.unit_serial;
	if (tcmud_handler.open(&f->dev.hdev, why, sizeof(why)))
		fail_msg("rd open: %s", why);
	f->opened = true;
	return f;
}

static struct fix *fix_named(uint64_t num_lbas, uint32_t bs, const char *serial)
{
	return fix_named_cfg(num_lbas, bs, "", serial, serial);
}

/* The LU's NAA designator, as an initiator finds it in VPD page 0x83. */
static void vpd_naa(struct fix *f, uint8_t out[16])
{
	struct buf *b = buf_new(255, 0, 0);
	uint8_t c[6];
	size_t off = 4, end;

	cdb_inquiry(c, true, 0x83, 255);
	assert_good(f, exec(f, c, 6, b));
	end = 4 + be16(&b->data[2]);
	for (; off + 4 <= end; off += 4 + b->data[off + 3]) {
		const uint8_t *d = &b->data[off];

		if ((d[1] & 0x0f) == 3 && (d[1] & 0x30) == 0 && d[3] == 16) {
			memcpy(out, &d[4], 16);
			buf_free(b);
			return;
		}
	}
	fail_msg("no NAA designator in VPD page 0x83");
}

/* ---- parameter lists ------------------------------------------------------- */

#define PL_MAX 20

struct plist {
	uint8_t list_id, flags;
	uint8_t cscd[CSCD * PL_MAX];
	size_t cscd_len;
	uint8_t seg[SEG * PL_MAX];
	size_t seg_len;
	uint8_t b[HDR + (CSCD + SEG) * PL_MAX];
	size_t len;
};

#define USAGE_HOLD 0x00
#define USAGE_DISCARD 0x10
#define USAGE_NONE 0x18

static void pl_init(struct plist *p, uint8_t list_id, uint8_t usage)
{
	memset(p, 0, sizeof(*p));
	p->list_id = list_id;
	p->flags = usage;
}

/* An identification CSCD descriptor naming f by its VPD designator. */
static uint8_t *pl_cscd(struct plist *p, struct fix *f)
{
	uint8_t *d = &p->cscd[p->cscd_len];
	uint32_t bs = f->dev.hdev.block_size;

	d[0] = 0xe4;
	d[4] = 0x01;    /* binary */
	d[5] = 0x03;    /* LU, NAA */
	d[7] = 16;
	vpd_naa(f, &d[8]);
	d[29] = (uint8_t)(bs >> 16);
	d[30] = (uint8_t)(bs >> 8);
	d[31] = (uint8_t)bs;
	p->cscd_len += CSCD;
	return d;
}

static uint8_t *pl_seg(struct plist *p, uint16_t src, uint16_t dst, uint16_t nr,
		       uint64_t src_lba, uint64_t dst_lba)
{
	uint8_t *d = &p->seg[p->seg_len];

	d[0] = 0x02;
	put16(&d[2], SEG - 4);
	put16(&d[4], src);
	put16(&d[6], dst);
	put16(&d[10], nr);
	put64(&d[12], src_lba);
	put64(&d[20], dst_lba);
	p->seg_len += SEG;
	return d;
}

/* Offset of segment i in the final list. */
static size_t seg_off(const struct plist *p, size_t i)
{
	return HDR + p->cscd_len + SEG * i;
}

static void pl_finish(struct plist *p)
{
	memset(p->b, 0, HDR);
	p->b[0] = p->list_id;
	p->b[1] = p->flags;
	put16(&p->b[2], (uint16_t)p->cscd_len);
	put32(&p->b[8], (uint32_t)p->seg_len);
	memcpy(&p->b[HDR], p->cscd, p->cscd_len);
	memcpy(&p->b[HDR + p->cscd_len], p->seg, p->seg_len);
	p->len = HDR + p->cscd_len + p->seg_len;
}

/* EXTENDED COPY of len bytes of data with PARAMETER LIST LENGTH pll. */
static int xcopy_raw(struct fix *f, const uint8_t *data, size_t len, uint32_t pll)
{
	struct buf *b = len ? buf_new(len, 0, 1) : NULL;
	uint8_t c[16] = {OP_XCOPY};
	int ret;

	if (b)
		memcpy(b->data, data, len);
	put32(&c[10], pll);
	ret = exec(f, c, 16, b);
	if (b)
		buf_free(b);
	return ret;
}

static int xcopy(struct fix *f, struct plist *p)
{
	pl_finish(p);
	return xcopy_raw(f, p->b, p->len, (uint32_t)p->len);
}

/* The parameter list as built, changed by the caller before sending. */
static int xcopy_edited(struct fix *f, struct plist *p, size_t off, uint8_t value)
{
	pl_finish(p);
	p->b[off] = value;
	return xcopy_raw(f, p->b, p->len, (uint32_t)p->len);
}

/* ---- sense assertions --------------------------------------------------------- */

static void assert_sks(struct fix *f, uint8_t sks0, unsigned int byte)
{
	assert_true(f->cmd.sense.sks_valid);
	assert_int_equal(f->cmd.sense.sks[0], sks0);
	assert_int_equal(be16(&f->cmd.sense.sks[1]), byte);
}

/* ILLEGAL REQUEST, asc, pointer to byte/bit of the parameter list (C/D 0). */
static void assert_param(struct fix *f, int ret, uint16_t asc, unsigned int byte, int bit)
{
	assert_sense(f, ret, TCMUD_SK_ILLEGAL_REQUEST, asc);
	assert_sks(f, (uint8_t)(0x80 | (bit >= 0 ? 0x08 | bit : 0)), byte);
}

static void assert_param_invalid(struct fix *f, int ret, unsigned int byte, int bit)
{
	assert_param(f, ret, TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST, byte, bit);
}

static void assert_length_error(struct fix *f, int ret)
{
	assert_sense(f, ret, TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
}

/* COPY ABORTED, asc, segment pointer (SD 0) to byte, or none for -1. */
static void assert_aborted(struct fix *f, int ret, uint16_t asc, int byte)
{
	assert_sense(f, ret, SK_COPY_ABORTED, asc);
	if (byte < 0)
		assert_false(f->cmd.sense.sks_valid);
	else
		assert_sks(f, 0x80, (unsigned int)byte);
}

/* ---- RECEIVE COPY RESULTS ------------------------------------------------------ */

static int rcr(struct fix *f, uint8_t sa, uint8_t list_id, uint32_t alloc, struct buf *b)
{
	uint8_t c[16] = {OP_RCR, sa, list_id};

	put32(&c[10], alloc);
	return exec(f, c, 16, b);
}

/* ---- tests: identity and the command table ------------------------------------ */

static void test_designator_matches_vpd(void **state)
{
	struct fix *f = fix_named(64, 512, "naa-check");
	uint8_t want[16], got[16];

	(void)state;
	vpd_naa(f, want);
	tcmud_scsi_naa_designator(&f->dev.ident, got);
	assert_memory_equal(got, want, 16);
	fix_free(f);
}

static void test_cdb_fields(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	uint8_t c[16] = {OP_XCOPY};

	(void)state;
	c[2] = 0x01; /* reserved */
	assert_invalid_field(f, exec(f, c, 16, NULL), 2, 0);
	memset(c, 0, sizeof(c));
	c[0] = OP_XCOPY;
	c[1] = 0x01; /* LID4: not served */
	assert_invalid_field(f, exec(f, c, 16, NULL), 1, 4);
	memset(c, 0, sizeof(c));
	c[0] = OP_XCOPY;
	c[14] = 0x80;
	assert_invalid_field(f, exec(f, c, 16, NULL), 14, 7);
	/* OPERATING PARAMETERS has no list identifier. */
	assert_invalid_field(f, rcr(f, 0x03, 0x01, 64, NULL), 2, 0);
	/* RECEIVE COPY RESULTS service action 0x02 does not exist. */
	assert_invalid_field(f, rcr(f, 0x02, 0, 64, NULL), 1, 4);
	fix_free(f);
}

/* ---- tests: copies -------------------------------------------------------------- */

static void test_copy_within_device(void **state)
{
	struct fix *f = fix_named(8192, 512, "one");
	struct plist p;

	(void)state;
	/* 3000 blocks: more than one 1 MiB chunk. */
	write_blocks(f, 0, 3000, 11, 0);
	pl_init(&p, 1, USAGE_DISCARD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 3000, 0, 5000);
	spy.reads = spy.writes = 0;
	assert_good(f, xcopy(f, &p));
	assert_false(f->cmd.read_len_valid);
	assert_int_equal(spy.reads, 2);
	assert_int_equal(spy.writes, 2);
	assert_blocks_pattern(f, 5000, 3000, 11);
	assert_blocks_pattern(f, 0, 3000, 11);
	assert_blocks_zero(f, 3000, 2000);
	assert_blocks_zero(f, 8000, 192);
	fix_free(f);
}

static void test_copy_self_id(void **state)
{
	struct fix *f = fix_named(1024, 512, "self");
	struct plist p;

	(void)state;
	/* CSCD DESCRIPTOR ID FFFFh: the LU that received the command; no CSCD list. */
	write_blocks(f, 10, 8, 3, 0);
	pl_init(&p, 0, USAGE_NONE);
	pl_seg(&p, 0xffff, 0xffff, 8, 10, 500);
	assert_good(f, xcopy(f, &p));
	assert_blocks_pattern(f, 500, 8, 3);
	fix_free(f);
}

static void test_copy_between_devices(void **state)
{
	struct fix *a = fix_named(4096, 512, "dev-a");
	struct fix *b = fix_named(4096, 512, "dev-b");
	struct fix *m = fix_named(64, 512, "dev-m");
	struct plist p;

	(void)state;
	write_blocks(a, 0, 100, 21, 0);
	/* Received by the source. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, a);
	pl_cscd(&p, b);
	pl_seg(&p, 0, 1, 100, 0, 1000);
	assert_good(a, xcopy(a, &p));
	assert_blocks_pattern(b, 1000, 100, 21);
	assert_blocks_zero(a, 1000, 100);
	/* Received by the destination. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, b);
	pl_cscd(&p, a);
	pl_seg(&p, 1, 0, 100, 0, 2000);
	assert_good(b, xcopy(b, &p));
	assert_blocks_pattern(b, 2000, 100, 21);
	/* Received by a third device that is neither. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, a);
	pl_cscd(&p, b);
	pl_seg(&p, 0, 1, 100, 0, 3000);
	assert_good(m, xcopy(m, &p));
	assert_blocks_pattern(b, 3000, 100, 21);
	assert_blocks_zero(m, 0, 64);
	fix_free(m);
	fix_free(b);
	fix_free(a);
}

/* Copy on one device with overlapping ranges: as if the source were read whole first. */
static void overlap_case(uint64_t src, uint64_t dst, uint16_t nr)
{
	struct fix *f = fix_named(8192, 512, "overlap");
	size_t bytes = 6000 * 512;
	uint8_t *model = malloc(bytes);
	struct buf *b;
	struct plist p;

	assert_non_null(model);
	write_blocks(f, 0, 6000, 5, 0);
	fill_pattern(model, bytes, 5);
	memmove(model + dst * 512, model + src * 512, (size_t)nr * 512);
	pl_init(&p, 0, USAGE_NONE);
	pl_seg(&p, 0xffff, 0xffff, nr, src, dst);
	assert_good(f, xcopy(f, &p));
	b = read_blocks(f, 0, 6000, 2);
	assert_memory_equal(b->data, model, bytes);
	buf_free(b);
	free(model);
	fix_free(f);
}

static void test_copy_overlapping(void **state)
{
	(void)state;
	overlap_case(0, 100, 5000);   /* destination after the source: 3 chunks */
	overlap_case(100, 0, 5000);   /* destination before the source */
	overlap_case(0, 1, 4000);
	overlap_case(200, 200, 3000); /* onto itself */
}

static void test_copy_segments_in_order(void **state)
{
	struct fix *f = fix_named(1024, 512, "order");
	struct plist p;

	(void)state;
	/* The second segment copies what the first one wrote. */
	write_blocks(f, 0, 4, 9, 0);
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 4, 0, 100);
	pl_seg(&p, 0, 0, 4, 100, 200);
	pl_seg(&p, 0, 0, 0, 1024, 1024); /* zero blocks at the very end: not an error */
	assert_good(f, xcopy(f, &p));
	assert_blocks_pattern(f, 200, 4, 9);
	fix_free(f);
}

static void test_block_sizes(void **state)
{
	struct fix *s = fix_named(1024, 512, "bs-512");
	struct fix *d = fix_named(256, 4096, "bs-4096");
	struct buf *want, *got;
	struct plist p;
	uint8_t *seg;

	(void)state;
	write_blocks(s, 0, 32, 7, 0);
	want = read_blocks(s, 0, 32, 0);
	/* DC 0: 16 source blocks are 2 destination blocks. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, s);
	pl_cscd(&p, d);
	pl_seg(&p, 0, 1, 16, 0, 10);
	assert_good(s, xcopy(s, &p));
	got = read_blocks(d, 10, 2, 0);
	assert_memory_equal(got->data, want->data, 8192);
	buf_free(got);
	/* DC 1: 2 destination blocks are 16 source blocks. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, s);
	pl_cscd(&p, d);
	seg = pl_seg(&p, 0, 1, 2, 16, 20);
	seg[1] = 0x02;
	assert_good(s, xcopy(s, &p));
	got = read_blocks(d, 20, 2, 0);
	assert_memory_equal(got->data, want->data + 8192, 8192);
	buf_free(got);
	/* 3 source blocks are not a whole destination block. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, s);
	pl_cscd(&p, d);
	pl_seg(&p, 0, 1, 3, 0, 30);
	assert_aborted(s, xcopy(s, &p), ASC_INEXACT, (int)seg_off(&p, 0) + 10);
	assert_blocks_zero(d, 30, 1);
	/* A DISK BLOCK LENGTH that is not the device's; 0 is taken as unknown. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, s);
	pl_cscd(&p, d)[30] = 0x02; /* 4096 -> 512 */
	pl_seg(&p, 0, 1, 16, 0, 40);
	assert_param_invalid(s, xcopy(s, &p), HDR + CSCD + 29, -1);
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, s);
	memset(&pl_cscd(&p, d)[29], 0, 3);
	pl_seg(&p, 0, 1, 16, 0, 40);
	assert_good(s, xcopy(s, &p));
	got = read_blocks(d, 40, 2, 0);
	assert_memory_equal(got->data, want->data, 8192);
	buf_free(got);
	buf_free(want);
	fix_free(d);
	fix_free(s);
}

static void test_parameter_list_length_zero(void **state)
{
	struct fix *f = fix_new(64, 512, true);
	struct buf *b = buf_new(64, 0xcc, 0);
	uint8_t c[16] = {OP_XCOPY};

	(void)state;
	spy.reads = spy.writes = 0;
	assert_good(f, xcopy_raw(f, NULL, 0, 0));
	/* A stray buffer: nothing is taken from it. */
	assert_good(f, exec(f, c, 16, b));
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

/* ---- tests: parameter list errors ---------------------------------------------- */

/* A valid one-segment list on f, in p. */
static void valid_list(struct plist *p, struct fix *f)
{
	pl_init(p, 1, USAGE_HOLD);
	pl_cscd(p, f);
	pl_seg(p, 0, 0, 8, 0, 100);
	pl_finish(p);
}

static void test_header_errors(void **state)
{
	struct fix *f = fix_named(1024, 512, "hdr");
	uint8_t raw[HDR + CSCD + SEG + 64] = {0};
	struct plist p;

	(void)state;
	valid_list(&p, f);
	/* Shorter than the header, and than the descriptors it announces. */
	assert_length_error(f, xcopy_raw(f, p.b, 15, 15));
	assert_length_error(f, xcopy_raw(f, p.b, 1, 1));
	assert_length_error(f, xcopy_raw(f, p.b, HDR + CSCD - 1, HDR + CSCD - 1));
	assert_length_error(f, xcopy_raw(f, p.b, p.len - 1, (uint32_t)p.len - 1));
	/* A PARAMETER LIST LENGTH past the buffer the transport has. */
	assert_sense(f, xcopy_raw(f, p.b, p.len, (uint32_t)p.len + 1), TCMUD_SK_ILLEGAL_REQUEST,
		     0x0e03);
	/* More bytes than the descriptors need are accepted. */
	memcpy(raw, p.b, p.len);
	assert_good(f, xcopy_raw(f, raw, sizeof(raw), sizeof(raw)));
	/* Byte 1: bits 7-6 reserved, LIST ID USAGE 01b reserved. */
	assert_param_invalid(f, xcopy_edited(f, &p, 1, 0x80), 1, 7);
	assert_param_invalid(f, xcopy_edited(f, &p, 1, 0x40), 1, 6);
	assert_param_invalid(f, xcopy_edited(f, &p, 1, 0x08), 1, 4);
	/* STR and PRIORITY are accepted. */
	assert_good(f, xcopy_edited(f, &p, 1, 0x27));
	/* No list identifier (11b) needs LIST IDENTIFIER 0. */
	assert_param_invalid(f, xcopy_edited(f, &p, 1, 0x18), 0, -1);
	p.list_id = 0;
	assert_good(f, xcopy_edited(f, &p, 1, 0x18));
	/* Bytes 4-7 reserved. */
	for (size_t i = 4; i < 8; i++)
		assert_param_invalid(f, xcopy_edited(f, &p, i, 0x01), (unsigned int)i, 0);
	/* Inline data: none is supported (MAXIMUM INLINE DATA LENGTH 0). */
	pl_finish(&p);
	memcpy(raw, p.b, p.len);
	put32(&raw[12], 4);
	assert_param_invalid(f, xcopy_raw(f, raw, p.len + 4, (uint32_t)p.len + 4), 12, -1);
	assert_length_error(f, xcopy_raw(f, raw, p.len, (uint32_t)p.len));
	fix_free(f);
}

static void test_descriptor_list_limits(void **state)
{
	struct fix *f = fix_named(4096, 512, "limits");
	uint8_t *raw = calloc(1, 4096);
	struct plist p;

	(void)state;
	assert_non_null(raw);
	/* 17 CSCD descriptors (one more than reported). */
	pl_init(&p, 1, USAGE_HOLD);
	for (int i = 0; i < 17; i++)
		pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 8, 0, 100);
	assert_param(f, xcopy(f, &p), 0x2606, 2, -1);
	/* 17 segment descriptors. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	for (int i = 0; i < 17; i++)
		pl_seg(&p, 0, 0, 8, 0, 100);
	assert_param(f, xcopy(f, &p), 0x2608, 8, -1);
	/* 16 + 16 fit. */
	pl_init(&p, 1, USAGE_HOLD);
	for (int i = 0; i < 16; i++)
		pl_cscd(&p, f);
	for (int i = 0; i < 16; i++)
		pl_seg(&p, 15, 0, 8, 0, 100);
	assert_good(f, xcopy(f, &p));
	/* Lists longer than MAXIMUM DESCRIPTOR LIST LENGTH, whatever else is wrong. */
	raw[1] = 0;
	put16(&raw[2], 17 * CSCD);
	put32(&raw[8], 1024 - 17 * CSCD + 1);
	assert_length_error(f, xcopy_raw(f, raw, 4096, 4096));
	put16(&raw[2], 0xffff);
	put32(&raw[8], 0xffffffff);
	assert_length_error(f, xcopy_raw(f, raw, 4096, 4096));
	free(raw);
	fix_free(f);
}

static void test_descriptor_types(void **state)
{
	struct fix *f = fix_named(4096, 512, "types");
	struct plist p;
	uint8_t *seg;

	(void)state;
	/* A Fibre Channel N_Port_Name CSCD descriptor. */
	valid_list(&p, f);
	assert_param(f, xcopy_edited(f, &p, HDR, 0xe0), 0x2607, HDR, -1);
	/* A stream-to-stream segment descriptor (20 bytes). */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	seg = pl_seg(&p, 0, 0, 0, 0, 0);
	seg[0] = 0x03;
	put16(&seg[2], 0x10);
	p.seg_len = 20;
	assert_param(f, xcopy(f, &p), 0x2609, HDR + CSCD, -1);
	/* The second segment's type is checked too. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 1, 0, 100);
	pl_seg(&p, 0, 0, 1, 0, 100)[0] = 0x0a;
	assert_param(f, xcopy(f, &p), 0x2609, (unsigned int)seg_off(&p, 1), -1);
	/* A list length that ends inside a descriptor. */
	valid_list(&p, f);
	p.b[3] = CSCD + 8;
	put32(&p.b[8], SEG - 8);
	p.b[HDR + CSCD] = 0xe4;
	assert_param_invalid(f, xcopy_raw(f, p.b, p.len, (uint32_t)p.len), 2, -1);
	valid_list(&p, f);
	put32(&p.b[8], SEG - 1);
	assert_param_invalid(f, xcopy_raw(f, p.b, p.len, (uint32_t)p.len), 8, -1);
	fix_free(f);
}

static void test_cscd_fields(void **state)
{
	struct fix *f = fix_named(4096, 512, "cscd");
	const unsigned int c = HDR;
	struct plist p;

	(void)state;
	valid_list(&p, f);
	/* LU ID TYPE is ignored since SPC-4 (libiscsi's ValidTgtDescr), NUL is obsolete. */
	assert_good(f, xcopy_edited(f, &p, c + 1, 0x80));
	assert_good(f, xcopy_edited(f, &p, c + 1, 0x20));
	/* Only block devices; RELATIVE INITIATOR PORT IDENTIFIER is accepted. */
	assert_param_invalid(f, xcopy_edited(f, &p, c + 1, 0x01), c + 1, 4);
	assert_good(f, xcopy_edited(f, &p, c + 3, 0x07));
	/* Reserved bits and bytes around the designator. */
	assert_param_invalid(f, xcopy_edited(f, &p, c + 4, 0x11), c + 4, 4);
	assert_param_invalid(f, xcopy_edited(f, &p, c + 5, 0x83), c + 5, 7);
	assert_param_invalid(f, xcopy_edited(f, &p, c + 6, 0x02), c + 6, 1);
	assert_param_invalid(f, xcopy_edited(f, &p, c + 7, 21), c + 7, -1);
	assert_param_invalid(f, xcopy_edited(f, &p, c + 27, 0x10), c + 27, 4);
	assert_param_invalid(f, xcopy_edited(f, &p, c + 28, 0x08), c + 28, 3);
	assert_param_invalid(f, xcopy_edited(f, &p, c + 28, 0x01), c + 28, 0);
	assert_good(f, xcopy_edited(f, &p, c + 28, 0x04)); /* PAD */
	fix_free(f);
}

static void test_segment_fields(void **state)
{
	struct fix *f = fix_named(4096, 512, "seg");
	const unsigned int s = HDR + CSCD;
	struct plist p;

	(void)state;
	valid_list(&p, f);
	assert_param_invalid(f, xcopy_edited(f, &p, s + 1, 0x04), s + 1, 2);
	assert_param_invalid(f, xcopy_edited(f, &p, s + 1, 0x80), s + 1, 7);
	assert_good(f, xcopy_edited(f, &p, s + 1, 0x01)); /* CAT: no residue, no effect */
	assert_param_invalid(f, xcopy_edited(f, &p, s + 3, 0x14), s + 2, -1);
	assert_param_invalid(f, xcopy_edited(f, &p, s + 2, 0x01), s + 2, -1);
	assert_param_invalid(f, xcopy_edited(f, &p, s + 8, 0x40), s + 8, 6);
	assert_param_invalid(f, xcopy_edited(f, &p, s + 9, 0x01), s + 9, 0);
	fix_free(f);
}

/* ---- tests: copies that cannot be carried out ---------------------------------- */

static void test_unreachable_targets(void **state)
{
	struct fix *f = fix_named(4096, 512, "reach");
	struct plist p;
	uint8_t *d;

	(void)state;
	write_blocks(f, 0, 8, 4, 0);
	/* DESTINATION CSCD DESCRIPTOR ID past the list (libiscsi's ValidSegDescr). */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 1, 8, 0, 100);
	assert_aborted(f, xcopy(f, &p), ASC_NOT_REACHABLE, (int)seg_off(&p, 0) + 6);
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0x0800, 0, 8, 0, 100);
	assert_aborted(f, xcopy(f, &p), ASC_NOT_REACHABLE, (int)seg_off(&p, 0) + 4);
	/* A designator nobody here reports. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	d = pl_cscd(&p, f);
	d[20] ^= 0x01;
	pl_seg(&p, 0, 1, 8, 0, 100);
	assert_aborted(f, xcopy(f, &p), ASC_NOT_REACHABLE, HDR + CSCD + 8);
	/* Not an NAA designator of the LU, and one that is not used is not looked up. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_cscd(&p, f)[5] = 0x13; /* target port association */
	pl_seg(&p, 0, 1, 8, 0, 100);
	assert_aborted(f, xcopy(f, &p), ASC_NOT_REACHABLE, HDR + CSCD + 8);
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_cscd(&p, f)[8] ^= 0xff;
	pl_seg(&p, 0, 0, 8, 0, 100);
	assert_good(f, xcopy(f, &p));
	assert_blocks_pattern(f, 100, 8, 4);
	fix_free(f);
}

static void test_range_errors(void **state)
{
	struct fix *f = fix_named(4096, 512, "range");
	struct plist p;

	(void)state;
	write_blocks(f, 0, 8, 4, 0);
	/* Beyond the destination's capacity (libiscsi's ValidSegDescr). */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 2048, 0, 4096 - 1);
	assert_aborted(f, xcopy(f, &p), TCMUD_ASC_NO_ADDITIONAL_SENSE, (int)seg_off(&p, 0) + 20);
	/* Beyond the source's, and an LBA that would wrap. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 2, 4095, 0);
	assert_aborted(f, xcopy(f, &p), TCMUD_ASC_NO_ADDITIONAL_SENSE, (int)seg_off(&p, 0) + 12);
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 2, 0, UINT64_MAX);
	assert_aborted(f, xcopy(f, &p), TCMUD_ASC_NO_ADDITIONAL_SENSE, (int)seg_off(&p, 0) + 20);
	/* The whole list is checked before anything moves. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 8, 0, 100);
	pl_seg(&p, 0, 0, 8, 0, 4090);
	assert_aborted(f, xcopy(f, &p), TCMUD_ASC_NO_ADDITIONAL_SENSE, (int)seg_off(&p, 1) + 20);
	assert_blocks_zero(f, 100, 8);
	/* Up to the last block is fine. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 8, 0, 4088);
	assert_good(f, xcopy(f, &p));
	assert_blocks_pattern(f, 4088, 8, 4);
	fix_free(f);
}

static void test_write_protected_destination(void **state)
{
	struct fix *a = fix_named(1024, 512, "wp-a");
	struct fix *b = fix_named(1024, 512, "wp-b");
	struct plist p;

	(void)state;
	write_blocks(a, 0, 8, 6, 0);
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, a);
	pl_cscd(&p, b);
	pl_seg(&p, 0, 1, 8, 0, 0);
	pl_seg(&p, 0, 0, 8, 0, 100);
	b->dev.mode.swp = true;
	assert_sense(a, xcopy(a, &p), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	b->dev.mode.swp = false;
	b->dev.hdev.read_only = true;
	assert_sense(a, xcopy(a, &p), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_WRITE_PROTECTED);
	b->dev.hdev.read_only = false;
	/* Nothing moved, not even the segment to the writable device. */
	assert_blocks_zero(b, 0, 8);
	assert_blocks_zero(a, 100, 8);
	/* A protected device may be the source, and may receive the command. */
	a->dev.mode.swp = true;
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, a);
	pl_cscd(&p, b);
	pl_seg(&p, 0, 1, 8, 0, 0);
	assert_good(a, xcopy(a, &p));
	assert_blocks_pattern(b, 0, 8, 6);
	fix_free(b);
	fix_free(a);
}

/* ---- tests: RECEIVE COPY RESULTS ---------------------------------------------------- */

static void test_operating_parameters(void **state)
{
	struct fix *f = fix_new(64, 4096, true);
	struct buf *b = buf_new(128, 0xcc, 0);
	static const uint8_t want[46] = {
		0, 0, 0, 42, 0x01, 0, 0, 0,
		0, 16, 0, 16,                 /* CSCD and segment descriptors */
		0, 0, 0x04, 0x00,             /* descriptor list length 1024 */
		0x10, 0, 0, 0,                /* segment length 256 MiB */
		0, 0, 0, 0,                   /* inline data */
		0, 0, 0, 0, 0, 0, 0, 0,       /* held data, stream transfer */
		0, 0, 0, 1, 1,                /* concurrent copies */
		12, 0, 0,                     /* granularities: 4096-byte blocks */
		0, 0, 0, 2, 0x02, 0xe4};

	(void)state;
	assert_good(f, rcr(f, 0x03, 0, 128, b));
	assert_read_len(f, 46);
	assert_memory_equal(b->data, want, sizeof(want));
	assert_int_equal(b->data[46], 0xcc);
	buf_free(b);
	b = buf_new(8, 0xcc, 0);
	assert_good(f, rcr(f, 0x03, 0, 8, b));
	assert_false(f->cmd.read_len_valid);
	assert_memory_equal(b->data, want, 8);
	buf_free(b);
	fix_free(f);
}

static void test_copy_status(void **state)
{
	struct fix *f = fix_named(4096, 512, "status");
	struct buf *b = buf_new(64, 0xcc, 0);
	struct plist p;

	(void)state;
	/* Nothing kept yet (libiscsi's CopyStatus). */
	assert_invalid_field(f, rcr(f, 0x00, 1, 64, b), 2, -1);
	valid_list(&p, f);
	assert_good(f, xcopy(f, &p));
	/* A short read keeps it; the whole of it ends it. */
	assert_good(f, rcr(f, 0x00, 1, 4, b));
	assert_good(f, rcr(f, 0x00, 1, 64, b));
	assert_read_len(f, 12);
	assert_int_equal(be32(&b->data[0]), 8);
	assert_int_equal(b->data[4], 0x01);          /* completed without errors */
	assert_int_equal(be16(&b->data[5]), 1);      /* segments processed */
	assert_int_equal(b->data[7], 0x00);          /* bytes */
	assert_int_equal(be32(&b->data[8]), 8 * 512);
	assert_invalid_field(f, rcr(f, 0x00, 1, 64, b), 2, -1);
	/* Only for its list identifier. */
	assert_good(f, xcopy(f, &p));
	assert_invalid_field(f, rcr(f, 0x00, 2, 64, b), 2, -1);
	/* A new list with the same identifier ends it, even one that fails. */
	pl_init(&p, 1, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 1, 8, 0, 100);
	assert_aborted(f, xcopy(f, &p), ASC_NOT_REACHABLE, (int)seg_off(&p, 0) + 6);
	assert_invalid_field(f, rcr(f, 0x00, 1, 64, b), 2, -1);
	/* Not kept unless LIST ID USAGE is 00b. */
	valid_list(&p, f);
	assert_good(f, xcopy_edited(f, &p, 1, USAGE_DISCARD));
	assert_invalid_field(f, rcr(f, 0x00, 1, 64, b), 2, -1);
	/* RECEIVE DATA: block copies hold no data. */
	assert_invalid_field(f, rcr(f, 0x01, 1, 64, b), 2, -1);
	valid_list(&p, f);
	assert_good(f, xcopy(f, &p));
	memset(b->data, 0xcc, 64);
	assert_good(f, rcr(f, 0x01, 1, 64, b));
	assert_read_len(f, 4);
	assert_true(all_zero(b->data, 4));
	/* FAILURE DETAILS of a copy that did not fail: none. */
	assert_good(f, rcr(f, 0x04, 1, 64, b));
	assert_read_len(f, 4);
	assert_true(all_zero(b->data, 4));
	buf_free(b);
	fix_free(f);
}

/* A handler whose writes fail once writes_left reaches 0. */
static int writes_left;
static struct tcmud_handler failing_handler;

static int failing_write(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	if (writes_left-- <= 0)
		return tcmud_cmd_check_condition_info(io->cmd, TCMUD_SK_MEDIUM_ERROR,
						      TCMUD_ASC_WRITE_ERROR, io->lba);
	return tcmud_handler.write(dev, io);
}

static void test_failure_details(void **state)
{
	struct fix *f = fix_named(4096, 512, "fail");
	struct buf *b = buf_new(128, 0xcc, 0);
	struct plist p;
	uint8_t *s;

	(void)state;
	write_blocks(f, 0, 8, 2, 0);
	failing_handler = tcmud_handler;
	failing_handler.write = failing_write;
	f->dev.handler = &failing_handler;
	writes_left = 1;
	pl_init(&p, 7, USAGE_HOLD);
	pl_cscd(&p, f);
	pl_seg(&p, 0, 0, 8, 0, 100);
	pl_seg(&p, 0, 0, 8, 0, 200);
	assert_aborted(f, xcopy(f, &p), TCMUD_ASC_WRITE_ERROR, (int)seg_off(&p, 1));
	assert_true(f->cmd.sense.info_valid);
	assert_int_equal(f->cmd.sense.info, 200);
	assert_blocks_pattern(f, 100, 8, 2);
	/* FAILURE DETAILS: CHECK CONDITION and the sense the command returned. */
	assert_good(f, rcr(f, 0x04, 7, 128, b));
	assert_read_len(f, 60 + 18);
	assert_int_equal(be32(&b->data[0]), 56 + 18);
	assert_true(all_zero(&b->data[4], 52));
	assert_int_equal(b->data[56], TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(be16(&b->data[58]), 18);
	s = &b->data[60];
	assert_int_equal(s[0], 0xf0);               /* fixed, current, VALID */
	assert_int_equal(s[2], SK_COPY_ABORTED);
	assert_int_equal(be32(&s[3]), 200);
	assert_int_equal(s[12], 0x0c);
	assert_int_equal(s[15], 0x80);
	assert_int_equal(be16(&s[16]), seg_off(&p, 1));
	/* Delivered whole, the details go; the status stays until it is read. */
	assert_good(f, rcr(f, 0x04, 7, 128, b));
	assert_read_len(f, 4);
	assert_int_equal(be32(&b->data[0]), 0);
	/* COPY STATUS: completed with errors after one segment. */
	assert_good(f, rcr(f, 0x00, 7, 128, b));
	assert_int_equal(b->data[4], 0x02);
	assert_int_equal(be16(&b->data[5]), 1);
	assert_int_equal(be32(&b->data[8]), 8 * 512);
	assert_invalid_field(f, rcr(f, 0x00, 7, 128, b), 2, -1);
	assert_invalid_field(f, rcr(f, 0x04, 7, 128, b), 2, -1);
	f->dev.handler = &spy_handler;
	buf_free(b);
	fix_free(f);
}

static void test_results_are_per_device(void **state)
{
	struct fix *a = fix_named(1024, 512, "res-a");
	struct fix *b = fix_named(1024, 512, "res-b");
	struct buf *d = buf_new(64, 0, 0);
	struct plist p;

	(void)state;
	valid_list(&p, a);
	assert_good(a, xcopy(a, &p));
	assert_invalid_field(b, rcr(b, 0x00, 1, 64, d), 2, -1);
	assert_good(a, rcr(a, 0x00, 1, 64, d));
	/* More lists than are kept: the oldest go. */
	for (int id = 0; id < TCMUD_COPY_RESULTS_MAX + 2; id++) {
		valid_list(&p, a);
		assert_good(a, xcopy_edited(a, &p, 0, (uint8_t)id));
	}
	assert_invalid_field(a, rcr(a, 0x00, 0, 64, d), 2, -1);
	assert_invalid_field(a, rcr(a, 0x00, 1, 64, d), 2, -1);
	assert_good(a, rcr(a, 0x00, 2, 64, d));
	assert_good(a, rcr(a, 0x00, TCMUD_COPY_RESULTS_MAX + 1, 64, d));
	buf_free(d);
	fix_free(b);
	fix_free(a);
}

/* ---- tests: the directory -------------------------------------------------------------- */

static void test_directory_removed_device(void **state)
{
	struct fix *a = fix_named(1024, 512, "gone-a");
	struct fix *b = fix_named(1024, 512, "gone-b");
	struct plist p;

	(void)state;
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, a);
	pl_cscd(&p, b);
	pl_seg(&p, 0, 1, 8, 0, 0);
	assert_good(a, xcopy(a, &p));
	fix_free(b);
	assert_aborted(a, xcopy(a, &p), ASC_NOT_REACHABLE, HDR + CSCD + 8);
	fix_free(a);
}

static void test_directory_same_designator(void **state)
{
	/* Two devices with one unit serial, so one designator. */
	struct fix *a = fix_named_cfg(1024, 512, "", "dup-a", "same-serial");
	struct fix *b = fix_named_cfg(1024, 512, "", "dup-b", "same-serial");
	struct fix *m = fix_named(1024, 512, "third");
	uint64_t sa, sb;
	struct plist p;

	(void)state;
	assert_true(tcmud_dir_seq(&a->dev, &sa));
	assert_true(tcmud_dir_seq(&b->dev, &sb));
	assert_true(sa < sb);
	write_blocks(b, 0, 8, 8, 0);
	/* The device receiving the command wins its own designator... */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, b);
	pl_seg(&p, 0, 0, 8, 0, 50);
	assert_good(b, xcopy(b, &p));
	assert_blocks_pattern(b, 50, 8, 8);
	assert_blocks_zero(a, 50, 8);
	/* ...elsewhere the first registered does. */
	write_blocks(a, 0, 8, 9, 0);
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, b);
	pl_cscd(&p, m);
	pl_seg(&p, 0, 1, 8, 0, 70);
	assert_good(m, xcopy(m, &p));
	assert_blocks_pattern(m, 70, 8, 9);
	fix_free(m);
	fix_free(b);
	fix_free(a);
}

struct freer {
	struct fix *f;
	volatile int done;
};

static void *free_in_thread(void *arg)
{
	struct freer *fr = arg;

	fix_free(fr->f);
	__atomic_store_n(&fr->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_directory_hold_delays_removal(void **state)
{
	struct fix *f = fix_named(64, 512, "held");
	struct freer fr = {.f = f};
	uint8_t d[16];
	pthread_t t;
	uint64_t seq;

	(void)state;
	tcmud_scsi_naa_designator(&f->dev.ident, d);
	assert_null(tcmud_dir_get(d, 8, NULL));
	assert_ptr_equal(tcmud_dir_get(d, 16, &seq), &f->dev);
	assert_int_equal(pthread_create(&t, NULL, free_in_thread, &fr), 0);
	sleep_ms(100);
	assert_int_equal(__atomic_load_n(&fr.done, __ATOMIC_SEQ_CST), 0);
	/* Leaving: no longer handed out, but still there for its holder. */
	assert_null(tcmud_dir_get(d, 16, NULL));
	assert_int_equal(pthread_mutex_trylock(&f->dev.lock), 0);
	pthread_mutex_unlock(&f->dev.lock);
	tcmud_dir_put(&f->dev);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(fr.done, 1);
	assert_null(tcmud_dir_get(d, 16, NULL));
}

/* ---- tests: locking other devices ------------------------------------------------ */

struct copier {
	struct fix *f;
	struct plist p;
	int status;
	uint8_t key;
	uint16_t asc;
	int done;
};

static void *copy_in_thread(void *arg)
{
	struct copier *c = arg;

	c->status = xcopy_raw(c->f, c->p.b, c->p.len, (uint32_t)c->p.len);
	c->key = c->f->cmd.sense.key;
	c->asc = c->f->cmd.sense.asc_ascq;
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A copy on self of 2048 blocks at 0 to other at dst_lba (list built, not sent). */
static void copier_init(struct copier *c, struct fix *self, struct fix *other, uint64_t dst_lba)
{
	memset(c, 0, sizeof(*c));
	c->f = self;
	pl_init(&c->p, 0, USAGE_NONE);
	pl_cscd(&c->p, self);
	pl_cscd(&c->p, other);
	pl_seg(&c->p, 0, 1, 2048, 0, dst_lba);
	pl_finish(&c->p);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_copy_waits_for_busy_device(void **state)
{
	struct fix *a = fix_named(4096, 512, "busy-a");
	struct fix *b = fix_named(4096, 512, "busy-b");
	struct copier c;
	pthread_t t;

	(void)state;
	write_blocks(a, 0, 2048, 51, 0);
	copier_init(&c, a, b, 2048);
	/* b is in the middle of a command of its own. */
	pthread_mutex_lock(&b->dev.lock);
	assert_int_equal(pthread_create(&t, NULL, copy_in_thread, &c), 0);
	sleep_ms(100);
	assert_int_equal(__atomic_load_n(&c.done, __ATOMIC_SEQ_CST), 0);
	pthread_mutex_unlock(&b->dev.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.status, TCMUD_STATUS_GOOD);
	assert_blocks_pattern(b, 2048, 2048, 51);
	fix_free(b);
	fix_free(a);
}

static void test_copy_gives_up_on_busy_device(void **state)
{
	struct fix *a = fix_named(4096, 512, "stuck-a");
	struct fix *b = fix_named(4096, 512, "stuck-b");
	struct copier c;
	int64_t t0;

	(void)state;
	write_blocks(b, 0, 2048, 52, 0);
	copier_init(&c, b, a, 2048);
	/* a stays busy; b registered later, so its copy does not wait long. */
	pthread_mutex_lock(&a->dev.lock);
	t0 = now_ms();
	copy_in_thread(&c);
	assert_true(now_ms() - t0 >= 250);
	pthread_mutex_unlock(&a->dev.lock);
	assert_int_equal(c.status, TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(c.key, SK_COPY_ABORTED);
	assert_int_equal(c.asc, ASC_NOT_REACHABLE);
	assert_blocks_zero(a, 2048, 2048);
	fix_free(b);
	fix_free(a);
}

#define CROSS_ROUNDS 4

/*
 * Two copies crossing: a's copy to b and b's copy to a, each holding its
 * own device while it wants the other. b's copy is made to start first and
 * wait for a, then a's copy starts: neither can finish without the other
 * giving up. The younger device's copy gives up; the older one's completes.
 */
static void test_crossing_copies(void **state)
{
	struct fix *a = fix_named(4096, 512, "cross-a");
	struct fix *b = fix_named(4096, 512, "cross-b");
	struct copier ca, cb;
	pthread_t ta, tb;

	(void)state;
	write_blocks(a, 0, 2048, 31, 0);
	write_blocks(b, 0, 2048, 32, 0);
	copier_init(&ca, a, b, 2048);
	copier_init(&cb, b, a, 2048);
	/* The spy's counters are not for two threads: the plain rd handler. */
	a->dev.handler = &tcmud_handler;
	b->dev.handler = &tcmud_handler;
	for (int r = 0; r < CROSS_ROUNDS; r++) {
		ca.done = cb.done = 0;
		pthread_mutex_lock(&a->dev.lock);
		assert_int_equal(pthread_create(&tb, NULL, copy_in_thread, &cb), 0);
		sleep_ms(20);
		assert_int_equal(pthread_create(&ta, NULL, copy_in_thread, &ca), 0);
		sleep_ms(20);
		pthread_mutex_unlock(&a->dev.lock);
		assert_int_equal(pthread_join(ta, NULL), 0);
		assert_int_equal(pthread_join(tb, NULL), 0);
		assert_int_equal(ca.status, TCMUD_STATUS_GOOD);
		if (cb.status != TCMUD_STATUS_GOOD) {
			assert_int_equal(cb.status, TCMUD_STATUS_CHECK_CONDITION);
			assert_int_equal(cb.key, SK_COPY_ABORTED);
			assert_int_equal(cb.asc, ASC_NOT_REACHABLE);
		}
	}
	a->dev.handler = &spy_handler;
	b->dev.handler = &spy_handler;
	assert_blocks_pattern(b, 2048, 2048, 31);
	fix_free(b);
	fix_free(a);
}

/* ---- tests: protection information --------------------------------------------------- */

/* CRC-16/T10-DIF, bitwise. */
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

/* READ(16) with RDPROTECT 1: every block's tuple matches its data and LBA. */
static void assert_pi_generated(struct fix *f, uint64_t lba, uint32_t n)
{
	uint32_t bs = f->dev.hdev.block_size;
	struct buf *b = buf_new((size_t)n * (bs + 8), 0, 0);
	uint8_t c[16];

	cdb16(c, 0x88, lba, n, 0x20);
	assert_good(f, exec(f, c, 16, b));
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *blk = &b->data[(size_t)i * (bs + 8)];

		assert_int_equal(be16(&blk[bs]), crc_ref(blk, bs));
		assert_int_equal(be32(&blk[bs + 4]), (uint32_t)(lba + i));
	}
	buf_free(b);
}

static void test_pi_devices(void **state)
{
	struct fix *pa = fix_named_cfg(2048, 512, "pi=1", "pi-a", "pi-a");
	struct fix *pb = fix_named_cfg(2048, 512, "pi=1", "pi-b", "pi-b");
	struct fix *plain = fix_named(2048, 512, "plain");
	struct plist p;

	(void)state;
	assert_int_equal(pa->dev.hdev.pi_type, 1);
	assert_int_equal(pb->dev.hdev.pi_type, 1);
	write_blocks(pa, 0, 64, 41, 0);
	write_blocks(plain, 0, 64, 42, 0);
	/* PI to PI, at another LBA: the reference tags follow the destination. */
	pl_init(&p, 0, USAGE_NONE);
	pl_cscd(&p, pa);
	pl_cscd(&p, pb);
	pl_cscd(&p, plain);
	pl_seg(&p, 0, 1, 64, 0, 1000);
	pl_seg(&p, 2, 1, 64, 0, 1500);  /* plain to PI */
	pl_seg(&p, 0, 2, 64, 0, 500);   /* PI to plain */
	pl_seg(&p, 0, 0, 64, 0, 300);   /* within the PI device */
	assert_good(pa, xcopy(pa, &p));
	assert_blocks_pattern(pb, 1000, 64, 41);
	assert_pi_generated(pb, 1000, 64);
	assert_blocks_pattern(pb, 1500, 64, 42);
	assert_pi_generated(pb, 1500, 64);
	assert_blocks_pattern(plain, 500, 64, 41);
	assert_pi_generated(pa, 300, 64);
	fix_free(plain);
	fix_free(pb);
	fix_free(pa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_designator_matches_vpd),
		cmocka_unit_test(test_cdb_fields),
		cmocka_unit_test(test_copy_within_device),
		cmocka_unit_test(test_copy_self_id),
		cmocka_unit_test(test_copy_between_devices),
		cmocka_unit_test(test_copy_overlapping),
		cmocka_unit_test(test_copy_segments_in_order),
		cmocka_unit_test(test_block_sizes),
		cmocka_unit_test(test_parameter_list_length_zero),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_descriptor_list_limits),
		cmocka_unit_test(test_descriptor_types),
		cmocka_unit_test(test_cscd_fields),
		cmocka_unit_test(test_segment_fields),
		cmocka_unit_test(test_unreachable_targets),
		cmocka_unit_test(test_range_errors),
		cmocka_unit_test(test_write_protected_destination),
		cmocka_unit_test(test_operating_parameters),
		cmocka_unit_test(test_copy_status),
		cmocka_unit_test(test_failure_details),
		cmocka_unit_test(test_results_are_per_device),
		cmocka_unit_test(test_directory_removed_device),
		cmocka_unit_test(test_directory_same_designator),
		cmocka_unit_test(test_directory_hold_delays_removal),
		cmocka_unit_test(test_copy_waits_for_busy_device),
		cmocka_unit_test(test_copy_gives_up_on_busy_device),
		cmocka_unit_test(test_crossing_copies),
		cmocka_unit_test(test_pi_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
