/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MODE SENSE(6)/(10) and MODE SELECT(6)/(10) over real CDBs against the rd
 * handler (built into this test): headers, block descriptors, every page in
 * its three forms, and every way a parameter list can be wrong.
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
#include "scsi_mode.h"

static int stub_unmap(struct tcmud_hdev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		      uint64_t nr_blocks)
{
	return TCMUD_STATUS_GOOD;
}

static void set_thin(bool thin)
{
	spy_handler.unmap = thin ? stub_unmap : NULL;
}

/* ---- CDBs and helpers -------------------------------------------------- */

static void cdb_ms6(uint8_t *c, uint8_t flags, uint8_t pc_page, uint8_t sub, uint8_t alloc)
{
	memset(c, 0, 10);
	c[0] = 0x1a;
	c[1] = flags;
	c[2] = pc_page;
	c[3] = sub;
	c[4] = alloc;
}

static void cdb_ms10(uint8_t *c, uint8_t flags, uint8_t pc_page, uint8_t sub, uint16_t alloc)
{
	memset(c, 0, 10);
	c[0] = 0x5a;
	c[1] = flags;
	c[2] = pc_page;
	c[3] = sub;
	put16(&c[7], alloc);
}

static void cdb_msel(uint8_t *c, bool ten, uint8_t flags, uint16_t len)
{
	memset(c, 0, 10);
	c[0] = ten ? 0x55 : 0x15;
	c[1] = flags;
	if (ten)
		put16(&c[7], len);
	else
		c[4] = (uint8_t)len;
}

#define PF 0x10

/* MODE SELECT with PF and the given list as Data-Out (split from index k). */
static int msel(struct fix *f, bool ten, const uint8_t *list, size_t len, size_t k)
{
	struct buf *b = buf_new(len, 0, k);
	uint8_t c[10];
	int ret;

	memcpy(b->data, list, len);
	cdb_msel(c, ten, PF, (uint16_t)len);
	ret = exec(f, c, ten ? 10 : 6, b);
	/* A Data-Out command never reports a Data-In length. */
	assert_false(f->cmd.read_len_valid);
	buf_free(b);
	return ret;
}

/* INVALID FIELD IN PARAMETER LIST pointing at byte (and bit, or -1). */
static void assert_invalid_param(struct fix *f, int ret, unsigned byte, int bit)
{
	uint8_t sks0 = 0x80 | (bit >= 0 ? 0x08 | bit : 0); /* SKSV, C/D 0 */

	assert_sense(f, ret, TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_true(f->cmd.sense.sks_valid);
	assert_int_equal(f->cmd.sense.sks[0], sks0);
	assert_int_equal(be16(&f->cmd.sense.sks[1]), byte);
}

static void assert_list_length_error(struct fix *f, int ret)
{
	assert_sense(f, ret, TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
	assert_false(f->cmd.sense.sks_valid);
}

static void assert_mode(struct fix *f, bool wce, bool d_sense, bool swp)
{
	assert_int_equal(f->dev.mode.wce, wce);
	assert_int_equal(f->dev.mode.d_sense, d_sense);
	assert_int_equal(f->dev.mode.swp, swp);
}

/* MODE SENSE(6) with DBD of one page into out (at most 255 bytes); returns
 * the page's length, or 0 if the page is not in the data. */
static size_t sense_page(struct fix *f, uint8_t pc, uint8_t page, uint8_t sub, uint8_t *out)
{
	struct buf *b = buf_new(255, 0xcc, 2);
	uint8_t c[10];
	size_t len;

	cdb_ms6(c, 0x08, (uint8_t)(pc << 6 | page), sub, 255);
	assert_good(f, exec(f, c, 6, b));
	len = b->data[0] + 1u - 4;
	assert_int_equal(b->data[3], 0);
	memcpy(out, &b->data[4], len);
	buf_free(b);
	return len;
}

/* ---- MODE SENSE -------------------------------------------------------- */

static void test_mode_sense_caching(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 0);
	uint8_t c[10];

	cdb_ms6(c, 0x08, 0x08, 0, 255);             /* DBD, caching page */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 24);
	assert_int_equal(b->data[0], 23);           /* MODE DATA LENGTH */
	assert_int_equal(b->data[1], 0);            /* MEDIUM TYPE */
	assert_int_equal(b->data[2], 0x10);         /* DPOFUA, not WP */
	assert_int_equal(b->data[3], 0);            /* no block descriptor */
	assert_int_equal(b->data[4], 0x08);
	assert_int_equal(b->data[5], 0x12);
	assert_int_equal(b->data[6], 0x04);         /* WCE */
	assert_int_equal(b->data[16], 0x20);        /* DRA */
	/* The current value is the mode state, not the configuration. */
	f->dev.mode.wce = false;
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[6], 0x00);

	cdb_ms6(c, 0x08, 0x48, 0, 255);             /* changeable values: WCE only */
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[4], 0x08);
	assert_int_equal(b->data[5], 0x12);
	assert_int_equal(b->data[6], 0x04);
	assert_true(all_zero(&b->data[7], 17));
	cdb_ms6(c, 0x08, 0x88, 0, 255);             /* default: emulate_write_cache */
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[6], 0x04);
	assert_int_equal(b->data[16], 0x20);
	f->dev.hdev.write_cache = false;
	f->dev.mode.wce = true;
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[6], 0x00);
	cdb_ms6(c, 0x08, 0xc8, 0, 255);             /* saved values */
	assert_sense(f, exec(f, c, 6, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_SAVING_PARAMS_NOT_SUPPORTED);
	buf_free(b);
	fix_free(f);
}

static void test_mode_sense_block_descriptors(void **state)
{
	struct fix *f = fix_new(8192, 4096, false);
	struct buf *b = buf_new(255, 0xcc, 1);
	uint8_t c[10];

	cdb_ms6(c, 0, 0x0a, 0, 255);                /* with block descriptor */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 4 + 8 + 12);
	assert_int_equal(b->data[0], 4 + 8 + 12 - 1);
	assert_int_equal(b->data[3], 8);
	assert_int_equal(be32(&b->data[4]), 8192);
	assert_int_equal(be32(&b->data[8]), 4096);  /* byte 8 reserved */
	assert_int_equal(b->data[12], 0x0a);

	cdb_ms6(c, 0, 0x4a, 0, 255);                /* changeable: nothing in it */
	assert_good(f, exec(f, c, 6, b));
	assert_true(all_zero(&b->data[4], 8));

	cdb_ms10(c, 0, 0x0a, 0, 255);               /* short descriptor in (10) */
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 8 + 8 + 12);
	assert_int_equal(be16(&b->data[0]), 8 + 8 + 12 - 2);
	assert_int_equal(b->data[3], 0x10);
	assert_int_equal(b->data[4], 0);
	assert_int_equal(be16(&b->data[6]), 8);
	assert_int_equal(be32(&b->data[8]), 8192);

	f->dev.hdev.num_lbas = (1ULL << 32) + 1;
	assert_good(f, exec(f, c, 10, b));          /* capped in a short one */
	assert_int_equal(be32(&b->data[8]), 0xffffffff);
	cdb_ms10(c, 0x10, 0x0a, 0, 255);            /* LLBAA */
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 8 + 16 + 12);
	assert_int_equal(b->data[4], 0x01);         /* LONGLBA */
	assert_int_equal(be16(&b->data[6]), 16);
	assert_true(be64(&b->data[8]) == (1ULL << 32) + 1);
	assert_true(all_zero(&b->data[16], 4));
	assert_int_equal(be32(&b->data[20]), 4096);
	assert_int_equal(b->data[24], 0x0a);
	cdb_ms10(c, 0x18, 0x0a, 0, 255);            /* LLBAA and DBD */
	assert_good(f, exec(f, c, 10, b));
	assert_int_equal(b->data[4], 0x00);
	assert_int_equal(be16(&b->data[6]), 0);
	assert_int_equal(b->data[8], 0x0a);
	buf_free(b);
	fix_free(f);
}

static void test_mode_sense_all_pages(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 2);
	uint8_t c[10];

	set_thin(false);
	cdb_ms6(c, 0x08, 0x3f, 0, 255);             /* all pages, no subpages */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 4 + 12 + 20 + 12 + 12);
	assert_int_equal(b->data[0], 4 + 12 + 20 + 12 + 12 - 1);
	assert_int_equal(b->data[4], 0x01);
	assert_int_equal(b->data[16], 0x08);
	assert_int_equal(b->data[36], 0x0a);
	assert_int_equal(b->data[48], 0x1c);
	assert_int_equal(b->data[38], 0x02);        /* control: GLTSD, no D_SENSE */
	assert_int_equal(be16(&b->data[44]), 0xffff); /* busy timeout */

	f->dev.mode.d_sense = true;
	cdb_ms6(c, 0x08, 0x3f, 0xff, 255);          /* all pages and subpages */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 60 + 32);
	assert_int_equal(b->data[38], 0x06);        /* D_SENSE */
	assert_int_equal(b->data[48], 0x4a);        /* control extension: SPF */
	assert_int_equal(b->data[49], 0x01);
	assert_int_equal(be16(&b->data[50]), 0x1c);
	assert_int_equal(b->data[80], 0x1c);        /* informational exceptions */
	set_thin(true);                             /* + logical block provisioning */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 60 + 32 + 16);
	assert_int_equal(b->data[92], 0x5c);
	assert_int_equal(b->data[93], 0x02);
	assert_int_equal(be16(&b->data[94]), 0x0c);
	assert_true(all_zero(&b->data[96], 12));
	cdb_ms6(c, 0x08, 0x3f, 0, 255);             /* subpage 0: still none */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 60);

	cdb_ms6(c, 0x08, 0x3f, 0, 4);               /* allocation length 4 */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 4);
	assert_int_equal(b->data[0], 59);           /* still the full length */
	cdb_ms10(c, 0x08, 0x3f, 0, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 0);
	buf_free(b);
	fix_free(f);
}

/* Everything at once still fits MODE SENSE(6), block descriptor included. */
static void test_mode_sense_everything_fits_6(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b6 = buf_new(255, 0xcc, 3), *b10 = buf_new(1024, 0xcc, 4);
	size_t n, total = 0;
	const struct tcmud_mode_page *pages = tcmud_mode_pages(&n);
	uint8_t c[10];

	for (size_t i = 0; i < n; i++) {
		assert_true(pages[i].len <= TCMUD_MODE_PAGE_MAX);
		total += pages[i].len;
	}
	assert_true(total <= TCMUD_MODE_PAGES_MAX);
	set_thin(true);
	cdb_ms6(c, 0, 0x3f, 0xff, 255);
	assert_good(f, exec(f, c, 6, b6));
	assert_read_len(f, 4 + 8 + total);
	assert_int_equal(b6->data[0], 4 + 8 + total - 1);
	/* MODE SENSE(10) returns the same pages after its longer header. */
	cdb_ms10(c, 0x10, 0x3f, 0xff, 1024);
	assert_good(f, exec(f, c, 10, b10));
	assert_read_len(f, 8 + 16 + total);
	assert_memory_equal(&b6->data[12], &b10->data[24], total);
	buf_free(b6);
	buf_free(b10);
	fix_free(f);
}

static void test_mode_sense_subpages(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t p[255];

	set_thin(false);
	assert_int_equal(sense_page(f, 0, 0x0a, 0xff, p), 12 + 32); /* page and subpages */
	assert_int_equal(p[0], 0x0a);
	assert_int_equal(p[12], 0x4a);
	assert_int_equal(sense_page(f, 0, 0x0a, 0x01, p), 32);
	assert_int_equal(p[0], 0x4a);
	assert_int_equal(p[1], 0x01);
	assert_int_equal(be16(&p[2]), 28);
	assert_true(all_zero(&p[4], 28));
	assert_int_equal(sense_page(f, 0, 0x08, 0xff, p), 20);      /* no subpages */
	assert_int_equal(sense_page(f, 0, 0x1c, 0xff, p), 12);
	set_thin(true);
	assert_int_equal(sense_page(f, 0, 0x1c, 0xff, p), 12 + 16);
	assert_int_equal(sense_page(f, 1, 0x1c, 0x02, p), 16);      /* nothing changeable */
	assert_int_equal(p[0], 0x5c);
	assert_true(all_zero(&p[4], 12));
	fix_free(f);
}

static void test_mode_sense_control(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t p[255];
	static const uint8_t want[12] = {0x0a, 0x0a, 0x02, 0x10, 0x00, 0x40,
					 0x00, 0x00, 0xff, 0xff, 0x00, 0x00};

	assert_int_equal(sense_page(f, 0, 0x0a, 0, p), 12);
	assert_memory_equal(p, want, 12);
	f->dev.hdev.pi_type = 1;                    /* ATO: the app tag is the initiator's */
	sense_page(f, 0, 0x0a, 0, p);
	assert_int_equal(p[5], 0xc0);
	f->dev.mode.d_sense = true;
	f->dev.mode.swp = true;
	sense_page(f, 0, 0x0a, 0, p);
	assert_int_equal(p[2], 0x06);
	assert_int_equal(p[4], 0x08);
	sense_page(f, 2, 0x0a, 0, p);               /* defaults: both off */
	assert_int_equal(p[2], 0x02);
	assert_int_equal(p[4], 0x00);
	assert_int_equal(p[5], 0xc0);
	sense_page(f, 1, 0x0a, 0, p);               /* changeable: D_SENSE and SWP */
	assert_int_equal(p[0], 0x0a);
	assert_int_equal(p[1], 0x0a);
	assert_int_equal(p[2], 0x04);
	assert_int_equal(p[3], 0x00);
	assert_int_equal(p[4], 0x08);
	assert_true(all_zero(&p[5], 7));
	fix_free(f);
}

/* WP in the DEVICE-SPECIFIC PARAMETER for either kind of write protection. */
static void test_mode_sense_write_protect(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 5);
	uint8_t c6[10], c10[10];

	cdb_ms6(c6, 0x08, 0x3f, 0, 255);
	cdb_ms10(c10, 0x08, 0x3f, 0, 255);
	for (int i = 0; i < 4; i++) {
		uint8_t want = (i ? 0x80 : 0) | 0x10;

		f->dev.hdev.read_only = i & 1;
		f->dev.mode.swp = i & 2;
		assert_good(f, exec(f, c6, 6, b));
		assert_int_equal(b->data[2], want);
		assert_good(f, exec(f, c10, 10, b));
		assert_int_equal(b->data[3], want);
	}
	buf_free(b);
	fix_free(f);
}

static void test_mode_sense_errors(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 0);
	uint8_t c[10];

	set_thin(false);
	cdb_ms6(c, 0, 0x08, 0x01, 255);             /* a subpage the page lacks */
	assert_invalid_field(f, exec(f, c, 6, b), 3, -1);
	cdb_ms10(c, 0, 0x1c, 0x02, 255);            /* not thin: no provisioning page */
	assert_invalid_field(f, exec(f, c, 10, b), 3, -1);
	cdb_ms6(c, 0, 0x3f, 0x01, 255);
	assert_invalid_field(f, exec(f, c, 6, b), 3, -1);
	cdb_ms6(c, 0, 0x19, 0, 255);                /* a page we do not have */
	assert_invalid_field(f, exec(f, c, 6, b), 2, 5);
	cdb_ms6(c, 0, 0x00, 0, 255);                /* vendor specific page 0 */
	assert_invalid_field(f, exec(f, c, 6, b), 2, 5);
	cdb_ms6(c, 0, 0x19, 0xff, 255);
	assert_invalid_field(f, exec(f, c, 6, b), 2, 5);
	cdb_ms6(c, 0x10, 0x08, 0, 255);             /* LLBAA does not exist in (6) */
	assert_invalid_field(f, exec(f, c, 6, b), 1, 4);
	cdb_ms10(c, 0, 0x08, 0, 255);
	c[5] = 0x01;                                /* reserved */
	assert_invalid_field(f, exec(f, c, 10, b), 5, 0);
	assert_int_equal(b->data[0], 0xcc);
	cdb_ms10(c, 0, 0xff, 0, 255);               /* saved values of all pages */
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_SAVING_PARAMS_NOT_SUPPORTED);
	buf_free(b);
	fix_free(f);
}

/* ---- MODE SELECT: what libiscsi's ModeSense6.Control-SWP does ----------- */

static void test_mode_select_swp(void **state)
{
	struct fix *f = fix_new(8192, 512, true);
	uint8_t list[4 + 12] = {0}, p[255];
	struct buf *b = buf_new(512, 0x5a, 1);
	uint8_t c[10];

	sense_page(f, 1, 0x0a, 0, p);               /* SWP is changeable */
	assert_int_equal(p[4] & 0x08, 0x08);
	sense_page(f, 0, 0x0a, 0, list + 4);        /* header all zero */
	list[4 + 4] |= 0x08;                        /* SWP on */
	assert_good(f, msel(f, false, list, sizeof(list), 0));
	assert_mode(f, true, false, true);
	sense_page(f, 0, 0x0a, 0, p);
	assert_int_equal(p[4], 0x08);

	cdb10(c, 0x28, 0, 1, 0);                    /* reads still work */
	assert_good(f, exec(f, c, 10, b));
	cdb10(c, 0x2a, 0, 1, 0);                    /* writes do not */
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	assert_int_equal(spy.writes, 0);

	list[4 + 4] &= (uint8_t)~0x08;              /* SWP off again */
	assert_good(f, msel(f, false, list, sizeof(list), 1));
	assert_mode(f, true, false, false);
	assert_good(f, exec(f, c, 10, b));
	assert_int_equal(spy.writes, 1);
	buf_free(b);
	fix_free(f);
}

/* D_SENSE and WCE through MODE SELECT(10), with a long block descriptor. */
static void test_mode_select_10(void **state)
{
	struct fix *f = fix_new(8192, 4096, false);
	uint8_t list[8 + 16 + 20 + 12] = {0};
	uint8_t *ca = &list[24], *ct = &list[44];

	list[4] = 0x01;                             /* LONGLBA */
	list[7] = 16;
	put64(&list[8], 8192);
	put32(&list[20], 4096);
	sense_page(f, 0, 0x08, 0, ca);
	sense_page(f, 0, 0x0a, 0, ct);
	ca[2] &= (uint8_t)~0x04;                    /* WCE off */
	ct[2] |= 0x04;                              /* D_SENSE on */
	assert_good(f, msel(f, true, list, sizeof(list), 2));
	assert_mode(f, false, true, false);
	put64(&list[8], 0);                         /* 0 blocks: no change */
	ca[2] |= 0x04;
	assert_good(f, msel(f, true, list, sizeof(list), 3));
	assert_mode(f, true, true, false);
	fix_free(f);
}

/* What MODE SENSE returns, sent back unchanged, is accepted and changes
 * nothing: MODE DATA LENGTH, WP and DPOFUA in the header are ignored. */
static void test_mode_select_round_trip(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(1024, 0xcc, 0);
	uint8_t c[10];

	set_thin(true);
	f->dev.hdev.pi_type = 1;
	f->dev.mode = (struct tcmud_scsi_mode){.wce = false, .d_sense = true, .swp = true};
	for (int ten = 0; ten < 2; ten++) {
		size_t len;

		if (ten)
			cdb_ms10(c, 0x10, 0x3f, 0xff, 1024);
		else
			cdb_ms6(c, 0, 0x3f, 0xff, 255);
		assert_good(f, exec(f, c, ten ? 10 : 6, b));
		assert_int_equal(b->data[ten ? 3 : 2], 0x90);
		len = ten ? be16(b->data) + 2u : b->data[0] + 1u;
		assert_good(f, msel(f, ten, b->data, len, 4));
		assert_mode(f, false, true, true);
	}
	buf_free(b);
	fix_free(f);
}

/*
 * Every bit of every page: flipping a changeable bit changes the mode;
 * flipping any other is refused with a pointer to exactly that bit, and
 * changes nothing.
 */
static void flip_bits(struct fix *f, const struct tcmud_mode_page *pg)
{
	uint8_t list[4 + TCMUD_MODE_PAGE_MAX] = {0}, chg[TCMUD_MODE_PAGE_MAX];
	size_t hdr = pg->subpage ? 4 : 2;

	sense_page(f, 0, pg->page, pg->subpage, &list[4]);
	sense_page(f, 1, pg->page, pg->subpage, chg);
	for (size_t i = hdr; i < pg->len; i++)
		for (int bit = 0; bit < 8; bit++) {
			struct tcmud_scsi_mode before = f->dev.mode;
			int ret;

			list[4 + i] ^= (uint8_t)(1u << bit);
			ret = msel(f, false, list, 4 + pg->len, i + (size_t)bit);
			list[4 + i] ^= (uint8_t)(1u << bit);
			if (!(chg[i] & (1u << bit))) {
				assert_invalid_param(f, ret, (unsigned)(4 + i), bit);
				assert_memory_equal(&f->dev.mode, &before, sizeof(before));
				continue;
			}
			assert_good(f, ret);
			assert_memory_not_equal(&f->dev.mode, &before, sizeof(before));
			assert_good(f, msel(f, false, list, 4 + pg->len, 0)); /* back */
			assert_memory_equal(&f->dev.mode, &before, sizeof(before));
		}
	list[4] |= 0x80;                            /* PS is reserved here */
	assert_invalid_param(f, msel(f, false, list, 4 + pg->len, 1), 4, 7);
}

static void test_mode_select_every_bit(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	size_t n;
	const struct tcmud_mode_page *pages = tcmud_mode_pages(&n);

	set_thin(true);
	f->dev.hdev.pi_type = 3;
	for (size_t i = 0; i < n; i++)
		flip_bits(f, &pages[i]);
	fix_free(f);
}

/* Nothing changes unless the whole list is right. */
static void test_mode_select_all_or_nothing(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t list[4 + 20 + 12] = {0};

	sense_page(f, 0, 0x08, 0, &list[4]);
	sense_page(f, 0, 0x0a, 0, &list[24]);
	list[6] &= (uint8_t)~0x04;                  /* WCE off: fine */
	list[26] |= 0x04;                           /* D_SENSE on: fine */
	list[29] &= (uint8_t)~0x40;                 /* TAS off: not changeable */
	assert_invalid_param(f, msel(f, false, list, sizeof(list), 0), 29, 6);
	assert_mode(f, true, false, false);
	list[29] |= 0x40;
	assert_good(f, msel(f, false, list, sizeof(list), 0));
	assert_mode(f, false, true, false);
	fix_free(f);
}

static void test_mode_select_page_errors(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t list[4 + 32] = {0};

	set_thin(false);
	sense_page(f, 0, 0x0a, 0, &list[4]);
	list[4] = 0x19;                             /* unknown page */
	assert_invalid_param(f, msel(f, false, list, 16, 0), 4, 5);
	list[4] = 0x0a;
	list[5] = 0x0b;                             /* wrong page length */
	assert_invalid_param(f, msel(f, false, list, 17, 0), 5, -1);
	list[5] = 0x08;
	assert_invalid_param(f, msel(f, false, list, 14, 0), 5, -1);

	memset(list, 0, sizeof(list));
	sense_page(f, 0, 0x0a, 0x01, &list[4]);     /* control extension */
	assert_good(f, msel(f, false, list, 36, 0));
	list[5] = 0x05;                             /* unknown subpage */
	assert_invalid_param(f, msel(f, false, list, 36, 0), 5, -1);
	list[5] = 0x00;                             /* subpage 0 in sub_page format */
	assert_invalid_param(f, msel(f, false, list, 36, 0), 4, 6);
	list[5] = 0x01;
	list[7] = 0x1b;                             /* wrong length, sub_page format */
	assert_invalid_param(f, msel(f, false, list, 35, 0), 6, -1);

	memset(list, 0, sizeof(list));
	list[4] = 0x5c;                             /* provisioning page, not thin */
	list[5] = 0x02;
	list[7] = 0x0c;
	assert_invalid_param(f, msel(f, false, list, 20, 0), 5, -1);
	set_thin(true);
	assert_good(f, msel(f, false, list, 20, 0));
	fix_free(f);
}

static void test_mode_select_truncated(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t list[8 + 16 + 32] = {0};

	assert_list_length_error(f, msel(f, false, list, 3, 0));
	assert_list_length_error(f, msel(f, true, list, 7, 0));
	list[3] = 8;                                /* a descriptor, cut */
	assert_list_length_error(f, msel(f, false, list, 4 + 7, 0));
	list[3] = 0;
	sense_page(f, 0, 0x0a, 0, &list[4]);
	assert_list_length_error(f, msel(f, false, list, 4 + 1, 0)); /* page header */
	assert_list_length_error(f, msel(f, false, list, 4 + 11, 0)); /* page body */
	memset(list, 0, sizeof(list));
	sense_page(f, 0, 0x0a, 0x01, &list[4]);
	assert_list_length_error(f, msel(f, false, list, 4 + 3, 0)); /* sub_page header */
	assert_list_length_error(f, msel(f, false, list, 4 + 31, 0));
	/* A page length far beyond the list is a truncation, not a bad length. */
	list[6] = 0xff;
	assert_list_length_error(f, msel(f, false, list, 4 + 32, 0));
	assert_mode(f, true, false, false);
	fix_free(f);
}

static void test_mode_select_header_and_descriptor(void **state)
{
	struct fix *f = fix_new((1ULL << 32) + 5, 512, false);
	uint8_t s[4 + 8] = {0}, l[8 + 16] = {0};

	s[0] = 0x55;                                /* MODE DATA LENGTH: ignored */
	s[2] = 0x9f;                                /* DEVICE-SPECIFIC: ignored */
	assert_good(f, msel(f, false, s, 4, 0));
	s[1] = 0x01;                                /* MEDIUM TYPE */
	assert_invalid_param(f, msel(f, false, s, 4, 0), 1, -1);
	s[1] = 0;
	s[3] = 8;
	put32(&s[4], 0xffffffff);                   /* the capped number of blocks */
	put32(&s[8], 512);
	assert_good(f, msel(f, false, s, 12, 0));
	put32(&s[4], 0);
	assert_good(f, msel(f, false, s, 12, 0));
	put32(&s[4], 1000);                         /* a resize */
	assert_invalid_param(f, msel(f, false, s, 12, 0), 4, -1);
	put32(&s[4], 0);
	put32(&s[8], 4096);                         /* another block size */
	assert_invalid_param(f, msel(f, false, s, 12, 0), 9, -1);
	put32(&s[8], 0x01000200);                   /* byte 4 is reserved */
	assert_invalid_param(f, msel(f, false, s, 12, 0), 8, -1);
	s[3] = 16;                                  /* two short descriptors */
	assert_invalid_param(f, msel(f, false, s, 12, 0), 3, -1);

	l[2] = 0x10;                                /* MEDIUM TYPE in (10) */
	assert_invalid_param(f, msel(f, true, l, 8, 0), 2, -1);
	l[2] = 0;
	l[4] = 0x02;                                /* reserved next to LONGLBA */
	assert_invalid_param(f, msel(f, true, l, 8, 0), 4, 1);
	l[4] = 0;
	l[5] = 0x01;
	assert_invalid_param(f, msel(f, true, l, 8, 0), 5, -1);
	l[5] = 0;
	l[4] = 0x01;                                /* long descriptor */
	l[7] = 8;
	assert_invalid_param(f, msel(f, true, l, 24, 0), 6, -1);
	l[7] = 16;
	put64(&l[8], (1ULL << 32) + 5);
	put32(&l[20], 512);
	assert_good(f, msel(f, true, l, 24, 0));
	put64(&l[8], 0xffffffff);                   /* capping is only for short ones */
	assert_invalid_param(f, msel(f, true, l, 24, 0), 8, -1);
	put64(&l[8], 0);
	l[17] = 1;                                  /* reserved bytes 8-11 */
	assert_invalid_param(f, msel(f, true, l, 24, 0), 17, -1);
	l[17] = 0;
	put32(&l[20], 520);
	assert_invalid_param(f, msel(f, true, l, 24, 0), 20, -1);
	fix_free(f);
}

static void test_mode_select_cdb(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(16, 0, 0);
	uint8_t c[10];

	cdb_msel(c, false, PF | 0x01, 0);           /* SP: nothing is saveable */
	assert_invalid_field(f, exec(f, c, 6, NULL), 1, 0);
	cdb_msel(c, true, 0, 0);                    /* PF 0: vendor specific pages */
	assert_invalid_field(f, exec(f, c, 10, NULL), 1, 4);
	cdb_msel(c, false, PF | 0x08, 0);           /* reserved */
	assert_invalid_field(f, exec(f, c, 6, NULL), 1, 3);
	cdb_msel(c, true, PF, 0);
	c[3] = 0x20;
	assert_invalid_field(f, exec(f, c, 10, NULL), 3, 5);
	cdb_msel(c, true, PF, 0);                   /* no parameter list: fine */
	assert_good(f, exec(f, c, 10, NULL));
	assert_good(f, exec(f, c, 10, b));
	assert_false(f->cmd.read_len_valid);
	buf_free(b);
	b = buf_new(8, 0, 1);
	cdb_msel(c, false, PF, 16);                 /* more than the buffer holds */
	assert_sense(f, exec(f, c, 6, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	assert_false(f->cmd.read_len_valid);
	buf_free(b);
	fix_free(f);
}

/* RTD: back to the defaults, with no parameter list. */
static void test_mode_select_rtd(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t c[10];

	f->dev.mode = (struct tcmud_scsi_mode){.wce = false, .d_sense = true, .swp = true};
	cdb_msel(c, false, PF | 0x02, 4);
	assert_invalid_field(f, exec(f, c, 6, NULL), 4, -1);
	cdb_msel(c, true, 0x02, 4);
	assert_invalid_field(f, exec(f, c, 10, NULL), 7, -1);
	assert_mode(f, false, true, true);
	cdb_msel(c, true, 0x02, 0);
	assert_good(f, exec(f, c, 10, NULL));
	assert_mode(f, true, false, false);
	f->dev.hdev.write_cache = false;            /* defaults follow the configuration */
	cdb_msel(c, false, PF | 0x02, 0);
	assert_good(f, exec(f, c, 6, NULL));
	assert_mode(f, false, false, false);
	fix_free(f);
}

/* MODE SELECT changes no medium: a read-only device can still clear SWP. */
static void test_mode_select_read_only(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t list[4 + 12] = {0};

	f->dev.hdev.read_only = true;
	f->dev.mode.swp = true;
	sense_page(f, 0, 0x0a, 0, &list[4]);
	list[8] &= (uint8_t)~0x08;
	assert_good(f, msel(f, false, list, sizeof(list), 0));
	assert_mode(f, true, false, false);
	fix_free(f);
}

/* A device the rd handler opens read-only (ro=1): WP, and writes refused
 * whatever SWP says. */
static void test_mode_rd_read_only(void **state)
{
	struct fix *f = fix_new_cfg(8192, 512, "ro=1", true);
	struct buf *b = buf_new(512, 0, 0);
	uint8_t c[10];

	assert_true(f->dev.hdev.read_only);
	cdb_ms6(c, 0x08, 0x3f, 0, 255);
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[2], 0x90);         /* WP, DPOFUA */
	assert_false(f->dev.mode.swp);
	cdb10(c, 0x2a, 0, 1, 0);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_WRITE_PROTECTED);
	assert_int_equal(spy.writes, 0);
	buf_free(b);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_sense_caching),
		cmocka_unit_test(test_mode_sense_block_descriptors),
		cmocka_unit_test(test_mode_sense_all_pages),
		cmocka_unit_test(test_mode_sense_everything_fits_6),
		cmocka_unit_test(test_mode_sense_subpages),
		cmocka_unit_test(test_mode_sense_control),
		cmocka_unit_test(test_mode_sense_write_protect),
		cmocka_unit_test(test_mode_sense_errors),
		cmocka_unit_test(test_mode_select_swp),
		cmocka_unit_test(test_mode_select_10),
		cmocka_unit_test(test_mode_select_round_trip),
		cmocka_unit_test(test_mode_select_every_bit),
		cmocka_unit_test(test_mode_select_all_or_nothing),
		cmocka_unit_test(test_mode_select_page_errors),
		cmocka_unit_test(test_mode_select_truncated),
		cmocka_unit_test(test_mode_select_header_and_descriptor),
		cmocka_unit_test(test_mode_select_cdb),
		cmocka_unit_test(test_mode_select_rtd),
		cmocka_unit_test(test_mode_select_read_only),
		cmocka_unit_test(test_mode_rd_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
