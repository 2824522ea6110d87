/* SPDX-License-Identifier: Apache-2.0 */
/*
 * INQUIRY: standard data, the VPD pages and the device identity, over real
 * CDBs against the rd handler (built into this test).
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
#include "scsi_vpd.h"

/* A handler op that makes the device thin provisioned (never called here). */
static int stub_unmap(struct tcmud_hdev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		      uint64_t nr_blocks)
{
	return TCMUD_STATUS_GOOD;
}

static void set_thin(bool thin)
{
	spy_handler.unmap = thin ? stub_unmap : NULL;
}

/* ---- standard INQUIRY data --------------------------------------------- */

static void test_inquiry_standard(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 0);
	static const uint8_t versions[6] = {0x00, 0xa0, 0x04, 0x60, 0x04, 0xc0};
	uint8_t c[6];

	cdb_inquiry(c, false, 0, 255);
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 96);
	assert_int_equal(b->data[0], 0x00);    /* direct access, connected */
	assert_int_equal(b->data[1], 0x00);    /* not removable */
	assert_int_equal(b->data[2], 0x06);    /* SPC-4 */
	assert_int_equal(b->data[3], 0x12);    /* HISUP, RDF 2 */
	assert_int_equal(b->data[4], 96 - 5);  /* ADDITIONAL LENGTH */
	assert_int_equal(b->data[5] & ~0x08, 0x00); /* no PROTECT, no TPGS */
	assert_int_equal(b->data[6], 0x00);
	assert_int_equal(b->data[7], 0x02);    /* CMDQUE */
	assert_memory_equal(&b->data[8], "TCMUD   ", 8);
	assert_memory_equal(&b->data[16], "USER            ", 16);
	assert_memory_equal(&b->data[32], "0001", 4);
	assert_true(all_zero(&b->data[36], 58 - 36));
	assert_memory_equal(&b->data[58], versions, 6);
	assert_true(all_zero(&b->data[64], 96 - 64));
	assert_int_equal(b->data[96], 0xcc); /* not claimed, not written */
	buf_free(b);
	fix_free(f);
}

/* PROTECT follows the handler's PI type; 3PC follows the command table. */
static void test_inquiry_protect_3pc(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(96, 0xcc, 3);
	bool xcopy = tcmud_vpd_served(0x83, 0x00) || tcmud_vpd_served(0x83, 0x01);
	uint8_t c[6];

	assert_int_equal(xcopy, tcmud_vpd_xcopy_served());
	cdb_inquiry(c, false, 0, 96);
	for (uint8_t type = 0; type <= 3; type++) {
		f->dev.hdev.pi_type = type;
		assert_good(f, exec(f, c, 6, b));
		assert_int_equal(b->data[5] & 0x01, type ? 1 : 0);
		assert_int_equal(!!(b->data[5] & 0x08), xcopy);
		assert_int_equal(b->data[5] & ~0x09, 0);
	}
	buf_free(b);
	fix_free(f);
}

static void test_inquiry_product_padding(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(36, 0xcc, 0);
	uint8_t c[6];

	/* A full-width product and a non-ASCII byte must stay inside their fields. */
	memcpy(f->dev.ident.product, "ABCDEFGHIJKLMNOP", 17);
	f->dev.ident.vendor[2] = '\x01';
	cdb_inquiry(c, false, 0, 36);
	assert_good(f, exec(f, c, 6, b));
	assert_false(f->cmd.read_len_valid); /* the 36 bytes fill the buffer */
	assert_int_equal(b->data[4], 91);    /* the full length, even when truncated */
	assert_memory_equal(&b->data[8], "TC_UD   ", 8);
	assert_memory_equal(&b->data[16], "ABCDEFGHIJKLMNOP", 16);
	assert_memory_equal(&b->data[32], "0001", 4);
	buf_free(b);
	fix_free(f);
}

static void test_inquiry_alloc_length(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 1);
	uint8_t c[6];

	cdb_inquiry(c, false, 0, 5);
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 5);
	assert_int_equal(b->data[4], 91);
	assert_int_equal(b->data[5], 0xcc);
	buf_free(b);

	/* The transport's buffer is smaller than the allocation length. */
	b = buf_new(50, 0xcc, 2);
	cdb_inquiry(c, false, 0, 255);
	assert_good(f, exec(f, c, 6, b));
	assert_false(f->cmd.read_len_valid);
	assert_memory_equal(&b->data[8], "TCMUD   ", 8);
	buf_free(b);

	/* Allocation length 0 with no buffer: nothing to do. */
	cdb_inquiry(c, false, 0, 0);
	assert_good(f, exec(f, c, 6, NULL));
	assert_false(f->cmd.read_len_valid);

	/* Allocation length 0 with a buffer: nothing may go out. */
	b = buf_new(64, 0xcc, 0);
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 0);
	buf_free(b);
	fix_free(f);
}

/* What libiscsi's Inquiry.AllocLength does: 5..255, then 511 and 512 agree
 * (the allocation length is 16 bits since SPC-3). */
static void test_inquiry_alloc_length_sweep(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *a = buf_new(512, 0xcc, 0), *b = buf_new(512, 0xcc, 5);
	uint8_t c[6];

	for (uint16_t alloc = 5; alloc < 256; alloc++) {
		cdb_inquiry(c, false, 0, alloc);
		assert_good(f, exec(f, c, 6, a));
		assert_read_len(f, alloc < 96 ? alloc : 96);
	}
	cdb_inquiry(c, false, 0, 511);
	assert_good(f, exec(f, c, 6, a));
	assert_read_len(f, 96);
	cdb_inquiry(c, false, 0, 512); /* low byte 0: must not read as 0 */
	assert_good(f, exec(f, c, 6, b));
	assert_read_len(f, 96);
	assert_memory_equal(a->data, b->data, 96);
	buf_free(a);
	buf_free(b);
	fix_free(f);
}

static void test_inquiry_errors(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(255, 0xcc, 0);
	uint8_t c[6];

	cdb_inquiry(c, true, 0xb3, 255);           /* Referrals: not implemented */
	assert_invalid_field(f, exec(f, c, 6, b), 2, -1);
	cdb_inquiry(c, true, 0x01, 255);           /* ASCII information */
	assert_invalid_field(f, exec(f, c, 6, b), 2, -1);
	cdb_inquiry(c, false, 0x83, 255);          /* page code without EVPD */
	assert_invalid_field(f, exec(f, c, 6, b), 2, -1);
	cdb_inquiry(c, false, 1, 255);             /* what libiscsi's Inquiry.EVPD sends */
	assert_invalid_field(f, exec(f, c, 6, b), 2, -1);
	cdb_inquiry(c, false, 0, 255);
	c[1] = 0x02;                               /* CmdDt (obsolete) */
	assert_invalid_field(f, exec(f, c, 6, b), 1, 1);
	c[1] = 0x04;                               /* reserved */
	assert_invalid_field(f, exec(f, c, 6, b), 1, 2);
	assert_int_equal(b->data[0], 0xcc);        /* nothing written */
	buf_free(b);
	fix_free(f);
}

static void test_ident_naa(void **state)
{
	struct tcmud_scsi_ident a, b, c, d;
	char longs[400];

	tcmud_scsi_ident_init(&a, "abc");
	tcmud_scsi_ident_init(&b, "abc\n");
	tcmud_scsi_ident_init(&c, "abd");
	assert_string_equal(b.unit_serial, "abc");
	assert_true(a.naa == b.naa);
	assert_true(a.naa != c.naa);
	assert_int_equal(a.naa >> 60, 6);
	assert_int_equal((a.naa >> 36) & 0xffffff, 0x001405);
	assert_string_equal(a.vendor, "TCMUD");
	assert_string_equal(a.product, "USER");
	assert_string_equal(a.revision, "0001");

	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	tcmud_scsi_ident_init(&d, longs);
	assert_int_equal(strlen(d.unit_serial), sizeof(d.unit_serial) - 1);
	tcmud_scsi_ident_init(&d, NULL);
	assert_string_equal(d.unit_serial, "");
}

/* ---- VPD pages --------------------------------------------------------- */

static struct buf *inquiry_vpd(struct fix *f, uint8_t page)
{
	struct buf *b = buf_new(512, 0xcc, 4);
	uint8_t c[6];

	cdb_inquiry(c, true, page, 512);
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[0], 0x00);
	assert_int_equal(b->data[1], page);
	/* Exactly the page goes out: PAGE LENGTH matches the transfer. */
	assert_read_len(f, 4u + be16(&b->data[2]));
	assert_int_equal(b->data[4 + be16(&b->data[2])], 0xcc);
	return b;
}

/* The pages the device lists: Third-party Copy only with EXTENDED COPY. */
static size_t expected_pages(uint8_t *pages)
{
	static const uint8_t always[] = {0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2};
	bool xcopy = tcmud_vpd_served(0x83, 0x00) || tcmud_vpd_served(0x83, 0x01);
	size_t n = 0;

	for (size_t i = 0; i < sizeof(always); i++) {
		if (always[i] == 0xb0 && xcopy)
			pages[n++] = 0x8f;
		pages[n++] = always[i];
	}
	return n;
}

static void test_vpd_supported(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	uint8_t pages[16];
	size_t n = expected_pages(pages);
	struct buf *b;

	for (int thin = 0; thin < 2; thin++) {
		set_thin(thin);
		b = inquiry_vpd(f, 0x00);
		assert_int_equal(be16(&b->data[2]), n);
		assert_memory_equal(&b->data[4], pages, n);
		buf_free(b);
		/* Every listed page answers; its header names it. */
		for (size_t i = 0; i < n; i++)
			buf_free(inquiry_vpd(f, pages[i]));
	}
	fix_free(f);
}

/* 3PC and the Third-party Copy page go together (SPC-4 7.8.17). */
static void test_vpd_third_party_copy(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = buf_new(512, 0xcc, 2);
	bool xcopy = tcmud_vpd_xcopy_served();
	uint8_t c[6];

	cdb_inquiry(c, false, 0, 96);
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(!!(b->data[5] & 0x08), xcopy);
	cdb_inquiry(c, true, 0x8f, 512);
	if (!xcopy) {
		assert_invalid_field(f, exec(f, c, 6, b), 2, -1);
	} else {
		assert_good(f, exec(f, c, 6, b));
		assert_int_equal(b->data[1], 0x8f);
		assert_read_len(f, 4u + be16(&b->data[2]));
		assert_true(be16(&b->data[2]) >= 4);
	}
	buf_free(b);
	fix_free(f);
}

/* Any allocation length gets a prefix of the page and the right residual. */
static void test_vpd_alloc_length(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *full, *b = buf_new(512, 0xcc, 6);
	uint8_t c[6], pages[16];
	size_t n = expected_pages(pages);

	for (size_t i = 0; i < n; i++) {
		size_t len;

		full = inquiry_vpd(f, pages[i]);
		len = 4u + be16(&full->data[2]);
		for (uint16_t alloc = 0; alloc <= len + 1; alloc += 3) {
			memset(b->data, 0xcc, b->len);
			cdb_inquiry(c, true, pages[i], alloc);
			assert_good(f, exec(f, c, 6, b));
			assert_read_len(f, alloc < len ? alloc : len);
			assert_memory_equal(b->data, full->data, alloc < len ? alloc : len);
			assert_int_equal(b->data[alloc < len ? alloc : len], 0xcc);
		}
		buf_free(full);
	}
	buf_free(b);
	fix_free(f);
}

static void test_vpd_unit_serial(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = inquiry_vpd(f, 0x80);

	assert_int_equal(be16(&b->data[2]), 11);
	assert_memory_equal(&b->data[4], "serial-1234", 11);
	buf_free(b);
	fix_free(f);
}

static void test_vpd_device_id(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = inquiry_vpd(f, 0x83);
	const uint8_t *d = &b->data[4];

	assert_int_equal(be16(&b->data[2]), (4 + 16) + (4 + 8 + 11));
	/* NAA designator: binary, LU, type 3, 16 bytes starting 0x6001405 */
	assert_int_equal(d[0], 0x01);
	assert_int_equal(d[1], 0x03);
	assert_int_equal(d[3], 16);
	assert_true(be64(&d[4]) == f->dev.ident.naa);
	assert_int_equal(d[4], 0x60);
	assert_int_equal(d[5], 0x01);
	assert_int_equal(d[6], 0x40);
	assert_int_equal(d[7] >> 4, 0x5);
	/* T10 vendor id designator: ASCII, LU, type 1, vendor + serial */
	d += 4 + 16;
	assert_int_equal(d[0], 0x02);
	assert_int_equal(d[1], 0x01);
	assert_int_equal(d[3], 8 + 11);
	assert_memory_equal(&d[4], "TCMUD   serial-1234", 19);
	buf_free(b);
	fix_free(f);
}

/* A 255-byte serial must keep the T10 designator length within one byte. */
static void test_vpd_device_id_long_serial(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	char serial[256];
	struct buf *b;
	const uint8_t *d;

	memset(serial, 's', 255);
	serial[255] = '\0';
	tcmud_scsi_ident_init(&f->dev.ident, serial);
	b = inquiry_vpd(f, 0x83);
	d = &b->data[4 + 20];
	assert_int_equal(d[3], 255);
	assert_int_equal(be16(&b->data[2]), 20 + 4 + 255);
	buf_free(b);
	b = inquiry_vpd(f, 0x80);
	assert_int_equal(be16(&b->data[2]), 255);
	buf_free(b);
	fix_free(f);
}

/* Does byte 1 of the served command's usage data have bits? */
static bool served_with(uint8_t op, int sa, uint8_t bits)
{
	const struct tcmud_scsi_cmd_desc *d = tcmud_vpd_served(op, sa);

	return d && (d->usage[1] & bits) == bits;
}

static void test_vpd_extended_inquiry(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	/* byte 4 by PI type: SPT, GRD_CHK, APP_CHK, REF_CHK */
	static const uint8_t prot[4] = {0x00, 0x05, 0x17, 0x24};
	bool wu = served_with(0x3f, -1, 0x40) || served_with(0x9f, 0x11, 0x40);
	bool crd = served_with(0x3f, -1, 0x80) || served_with(0x9f, 0x11, 0x80);

	for (uint8_t type = 0; type <= 3; type++) {
		struct buf *b;

		f->dev.hdev.pi_type = type;
		b = inquiry_vpd(f, 0x86);
		assert_int_equal(be16(&b->data[2]), 0x3c);
		assert_int_equal(b->data[4], prot[type]);
		assert_int_equal(b->data[5], 0x07);          /* HEADSUP ORDSUP SIMPSUP */
		assert_int_equal(b->data[6], (wu ? 0x08 : 0) | (crd ? 0x04 : 0) | 0x01);
		assert_true(all_zero(&b->data[7], 64 - 7));
		buf_free(b);
	}
	fix_free(f);
}

static void check_block_limits_common(struct fix *f, const uint8_t *d)
{
	bool caw = tcmud_vpd_served(0x89, -1);
	bool ws = tcmud_vpd_served(0x41, -1) || tcmud_vpd_served(0x93, -1);
	bool atomic = tcmud_vpd_served(0x9c, -1);
	uint32_t mtl = f->dev.hdev.max_sectors;

	assert_int_equal(be16(&d[2]), 0x3c);
	assert_int_equal(d[4], 0x01);                        /* WSNZ */
	assert_int_equal(d[5], caw ? TCMUD_MAX_COMPARE_WRITE_LEN : 0);
	assert_int_equal(be16(&d[6]), 1);                    /* granularity */
	assert_int_equal(be32(&d[8]), mtl);                  /* maximum transfer length */
	assert_int_equal(be32(&d[12]), mtl);                 /* optimal transfer length */
	assert_int_equal(be32(&d[16]), 0);                   /* prefetch: no limit given */
	assert_true(be64(&d[36]) == (ws ? TCMUD_MAX_WRITE_SAME_LEN : 0));
	if (atomic) {
		uint32_t max = mtl && mtl < TCMUD_MAX_ATOMIC_LEN ? mtl : TCMUD_MAX_ATOMIC_LEN;

		assert_int_equal(be32(&d[44]), max);
		assert_int_equal(be32(&d[48]), TCMUD_ATOMIC_ALIGNMENT);
		assert_int_equal(be32(&d[52]), TCMUD_ATOMIC_GRANULARITY);
		assert_int_equal(tcmud_vpd_max_atomic_len(&f->dev), max);
	} else {
		assert_true(all_zero(&d[44], 12));
	}
	assert_true(all_zero(&d[56], 8));                    /* no atomic boundaries */
}

static void test_vpd_block_limits(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	bool unmap = tcmud_vpd_served(0x42, -1);
	struct buf *b;

	f->dev.hdev.max_sectors = 2048;
	set_thin(false);
	b = inquiry_vpd(f, 0xb0);
	check_block_limits_common(f, b->data);
	assert_true(all_zero(&b->data[20], 16));     /* fully provisioned: no UNMAP */
	buf_free(b);

	set_thin(true);
	f->dev.hdev.unmap_granularity = 0;
	f->dev.hdev.max_sectors = 0;                  /* no limit */
	b = inquiry_vpd(f, 0xb0);
	check_block_limits_common(f, b->data);
	assert_int_equal(be32(&b->data[20]), unmap ? TCMUD_MAX_UNMAP_LBA_COUNT : 0);
	assert_int_equal(be32(&b->data[24]), unmap ? TCMUD_MAX_UNMAP_DESCRIPTORS : 0);
	assert_int_equal(be32(&b->data[28]), 1);     /* granularity 0 means 1 */
	assert_int_equal(be32(&b->data[32]), 0x80000000); /* UGAVALID, aligned at 0 */
	buf_free(b);

	f->dev.hdev.unmap_granularity = 64;
	f->dev.hdev.max_sectors = 100;
	b = inquiry_vpd(f, 0xb0);
	check_block_limits_common(f, b->data);
	assert_int_equal(be32(&b->data[28]), 64);
	buf_free(b);
	fix_free(f);
}

/* Atomic writes are never longer than a transfer may be. */
static void test_max_atomic_len(void **state)
{
	struct fix *f = fix_new(8192, 512, false);

	f->dev.hdev.max_sectors = 0;
	assert_int_equal(tcmud_vpd_max_atomic_len(&f->dev), TCMUD_MAX_ATOMIC_LEN);
	f->dev.hdev.max_sectors = 128;
	assert_int_equal(tcmud_vpd_max_atomic_len(&f->dev), 128);
	f->dev.hdev.max_sectors = TCMUD_MAX_ATOMIC_LEN + 1;
	assert_int_equal(tcmud_vpd_max_atomic_len(&f->dev), TCMUD_MAX_ATOMIC_LEN);
	fix_free(f);
}

static void test_vpd_block_dev_chars(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	struct buf *b = inquiry_vpd(f, 0xb1);

	assert_int_equal(be16(&b->data[2]), 0x3c);
	assert_int_equal(be16(&b->data[4]), 1);      /* non-rotating */
	assert_int_equal(b->data[6], 0);             /* no form factor */
	assert_int_equal(b->data[7], 0x50);          /* WABEREQ, WACEREQ: reads GOOD */
	assert_int_equal(b->data[8], 0x01);          /* VBULS, not zoned */
	assert_true(all_zero(&b->data[9], 64 - 9));
	buf_free(b);
	fix_free(f);
}

static void test_vpd_lb_provisioning(void **state)
{
	struct fix *f = fix_new(8192, 512, false);
	bool unmap = tcmud_vpd_served(0x42, -1);
	bool ws16 = served_with(0x93, -1, 0x08), ws10 = served_with(0x41, -1, 0x08);
	uint8_t thin_bits = (uint8_t)((unmap ? 0x80 : 0) | (ws16 ? 0x40 : 0) | (ws10 ? 0x20 : 0));
	struct buf *b;

	/* Fully provisioned: nothing to claim, even if unmapped blocks would
	 * read as zeros (LBPRZ needs LBPME). */
	set_thin(false);
	f->dev.hdev.unmap_zeroes = true;
	b = inquiry_vpd(f, 0xb2);
	assert_int_equal(be16(&b->data[2]), 4);      /* DP 0: no descriptor */
	assert_true(all_zero(&b->data[4], 4));
	buf_free(b);

	set_thin(true);
	b = inquiry_vpd(f, 0xb2);
	assert_int_equal(b->data[4], 0);             /* no thresholds */
	assert_int_equal(b->data[5], thin_bits | 0x04); /* LBPRZ 001b, ANC_SUP 0, DP 0 */
	assert_int_equal(b->data[6], 0x02);          /* thin provisioned */
	assert_int_equal(b->data[7], 0);
	buf_free(b);

	f->dev.hdev.unmap_zeroes = false;
	b = inquiry_vpd(f, 0xb2);
	assert_int_equal(b->data[5], thin_bits);
	buf_free(b);
	fix_free(f);
}

/* What the rd handler's configuration makes of the pages (pi=2, thin). */
static void test_vpd_from_rd_config(void **state)
{
	struct fix *f = fix_new_cfg(8192, 512, "pi=2", true);
	struct buf *b = buf_new(96, 0xcc, 0);
	uint8_t c[6];

	assert_int_equal(f->dev.hdev.pi_type, 2);
	cdb_inquiry(c, false, 0, 96);
	assert_good(f, exec(f, c, 6, b));
	assert_int_equal(b->data[5] & 0x01, 0x01);   /* PROTECT */
	buf_free(b);
	b = inquiry_vpd(f, 0x86);
	assert_int_equal(b->data[4], 0x17);          /* type 2: all three checks */
	buf_free(b);
	if (f->dev.handler->unmap) {
		b = inquiry_vpd(f, 0xb2);
		assert_int_equal(b->data[6], 0x02);  /* thin */
		assert_int_equal(b->data[5] & 0x04, f->dev.hdev.unmap_zeroes ? 0x04 : 0);
		buf_free(b);
		b = inquiry_vpd(f, 0xb0);
		assert_int_equal(be32(&b->data[28]),
				 f->dev.hdev.unmap_granularity ? f->dev.hdev.unmap_granularity : 1);
		buf_free(b);
	}
	fix_free(f);
}

/* The command-table lookup the pages use: service actions count. */
static void test_vpd_served(void **state)
{
	const struct tcmud_scsi_cmd_desc *d = tcmud_vpd_served(0x12, -1);

	assert_non_null(d);
	assert_string_equal(d->name, "INQUIRY");
	d = tcmud_vpd_served(0xa3, 0x0c);
	assert_non_null(d);
	assert_string_equal(d->name, "REPORT SUPPORTED OPERATION CODES");
	assert_null(tcmud_vpd_served(0xa3, 0x0a));   /* not served */
	assert_null(tcmud_vpd_served(0xc5, -1));     /* vendor specific */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inquiry_standard),
		cmocka_unit_test(test_inquiry_protect_3pc),
		cmocka_unit_test(test_inquiry_product_padding),
		cmocka_unit_test(test_inquiry_alloc_length),
		cmocka_unit_test(test_inquiry_alloc_length_sweep),
		cmocka_unit_test(test_inquiry_errors),
		cmocka_unit_test(test_ident_naa),
		cmocka_unit_test(test_vpd_supported),
		cmocka_unit_test(test_vpd_third_party_copy),
		cmocka_unit_test(test_vpd_alloc_length),
		cmocka_unit_test(test_vpd_unit_serial),
		cmocka_unit_test(test_vpd_device_id),
		cmocka_unit_test(test_vpd_device_id_long_serial),
		cmocka_unit_test(test_vpd_extended_inquiry),
		cmocka_unit_test(test_vpd_block_limits),
		cmocka_unit_test(test_max_atomic_len),
		cmocka_unit_test(test_vpd_block_dev_chars),
		cmocka_unit_test(test_vpd_lb_provisioning),
		cmocka_unit_test(test_vpd_from_rd_config),
		cmocka_unit_test(test_vpd_served),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
