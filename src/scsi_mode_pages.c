/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mode pages: their fixed values, and the few bits an initiator may
 * change, each tied to a field of struct tcmud_scsi_mode. MODE SENSE builds
 * current, changeable and default values from the same description, so the
 * changeable mask always shows exactly what MODE SELECT honours.
 *
 * Values the kernel's target core implements (task set, queueing, task
 * aborted status) are reported as LIO's own backstores report them.
 */
#include <stddef.h>
#include <string.h>

#include "scsi_mode.h"

/* ---- the changeable bits ----------------------------------------------- */

static const struct mode_bit {
	uint8_t page, subpage;
	uint8_t byte;           /* within the page */
	uint8_t mask;
	size_t field;           /* offsetof a bool in struct tcmud_scsi_mode */
} mode_bits[] = {
	{0x08, 0x00, 2, 0x04, offsetof(struct tcmud_scsi_mode, wce)},     /* caching: WCE */
	{0x0a, 0x00, 2, 0x04, offsetof(struct tcmud_scsi_mode, d_sense)}, /* control: D_SENSE */
	{0x0a, 0x00, 4, 0x08, offsetof(struct tcmud_scsi_mode, swp)},     /* control: SWP */
};

#define NR_MODE_BITS (sizeof(mode_bits) / sizeof(mode_bits[0]))

static bool *mode_field(struct tcmud_scsi_mode *m, const struct mode_bit *b)
{
	return (bool *)((char *)m + b->field);
}

static bool bit_of(const struct mode_bit *b, const struct tcmud_mode_page *pg)
{
	return b->page == pg->page && b->subpage == pg->subpage;
}

struct tcmud_scsi_mode tcmud_mode_defaults(const struct tcmud_scsi_dev *dev)
{
	/* The write cache as configured (emulate_write_cache); the rest off. */
	return (struct tcmud_scsi_mode){.wce = dev->hdev.write_cache};
}

/* ---- the pages --------------------------------------------------------- */

/* Read-Write Error Recovery (SBC-4 6.5.9): a RAM medium has nothing to retry. */
static void fill_rw_recovery(const struct tcmud_scsi_dev *dev, uint8_t *p)
{
}

/* Caching (SBC-4 6.5.5): no read cache, so no read-ahead (DRA). */
static void fill_caching(const struct tcmud_scsi_dev *dev, uint8_t *p)
{
	p[12] = 0x20; /* DRA */
}

/*
 * Control (SPC-4 7.5.7). TST 000b: one task set for all I_T nexuses; QUEUE
 * ALGORITHM MODIFIER 1: unrestricted reordering of SIMPLE commands; QERR 00b;
 * TAS 1: LIO completes commands another nexus aborted with TASK ABORTED.
 * ATO 1 with protection information: the application tag is the
 * initiator's; it is stored as sent and only checked against an expected
 * tag a 32-byte CDB carries, never changed.
 */
static void fill_control(const struct tcmud_scsi_dev *dev, uint8_t *p)
{
	p[2] = 0x02;                 /* GLTSD: no log parameters to save */
	p[3] = 0x10;                 /* QUEUE ALGORITHM MODIFIER 1 */
	p[5] = 0x40;                 /* TAS */
	if (dev->hdev.pi_type)
		p[5] |= 0x80;        /* ATO */
	put_be16(&p[8], 0xffff);     /* BUSY TIMEOUT PERIOD: unlimited */
	/* EXTENDED SELF-TEST COMPLETION TIME 0: no self-test. */
}

/* Control Extension (SPC-4 7.5.8): no timestamp, no priorities, no limit on
 * sense data length. */
static void fill_control_ext(const struct tcmud_scsi_dev *dev, uint8_t *p)
{
}

/* Informational Exceptions Control (SPC-4 7.5.11): MRIE 0, nothing reported. */
static void fill_iec(const struct tcmud_scsi_dev *dev, uint8_t *p)
{
}

/* Logical Block Provisioning (SBC-4 6.5.8): no thresholds, so no descriptors. */
static void fill_lbp(const struct tcmud_scsi_dev *dev, uint8_t *p)
{
}

static bool thin(const struct tcmud_scsi_dev *dev)
{
	return dev->handler && dev->handler->unmap;
}

static const struct tcmud_mode_page mode_pages[] = {
	/* Ascending page codes, each page's subpages after it (SPC-4 6.13). */
	{0x01, 0x00, 12, NULL, fill_rw_recovery},
	{0x08, 0x00, 20, NULL, fill_caching},
	{0x0a, 0x00, 12, NULL, fill_control},
	{0x0a, 0x01, 32, NULL, fill_control_ext},
	{0x1c, 0x00, 12, NULL, fill_iec},
	{0x1c, 0x02, 16, thin, fill_lbp},
};

#define NR_MODE_PAGES (sizeof(mode_pages) / sizeof(mode_pages[0]))

_Static_assert(4 + 8 + 12 + 20 + 12 + 32 + 12 + 16 <= 255 + 1,
	       "all pages and a block descriptor fit MODE SENSE(6)");
_Static_assert(12 + 20 + 12 + 32 + 12 + 16 <= TCMUD_MODE_PAGES_MAX, "pages fit");

const struct tcmud_mode_page *tcmud_mode_pages(size_t *n)
{
	*n = NR_MODE_PAGES;
	return mode_pages;
}

static bool has(const struct tcmud_scsi_dev *dev, const struct tcmud_mode_page *pg)
{
	return !pg->present || pg->present(dev);
}

const struct tcmud_mode_page *tcmud_mode_page_find(const struct tcmud_scsi_dev *dev,
						   uint8_t page, uint8_t subpage)
{
	for (size_t i = 0; i < NR_MODE_PAGES; i++)
		if (mode_pages[i].page == page && mode_pages[i].subpage == subpage &&
		    has(dev, &mode_pages[i]))
			return &mode_pages[i];
	return NULL;
}

bool tcmud_mode_page_code_known(const struct tcmud_scsi_dev *dev, uint8_t page)
{
	for (size_t i = 0; i < NR_MODE_PAGES; i++)
		if (mode_pages[i].page == page && has(dev, &mode_pages[i]))
			return true;
	return false;
}

/* ---- building and selecting -------------------------------------------- */

static size_t page_header(const struct tcmud_mode_page *pg, uint8_t *p)
{
	if (pg->subpage == 0) {
		p[0] = pg->page;
		p[1] = (uint8_t)(pg->len - 2);
		return 2;
	}
	p[0] = 0x40 | pg->page; /* SPF */
	p[1] = pg->subpage;
	put_be16(&p[2], (uint16_t)(pg->len - 4));
	return 4;
}

size_t tcmud_mode_page_build(const struct tcmud_scsi_dev *dev,
			     const struct tcmud_mode_page *pg, enum tcmud_mode_pc pc,
			     uint8_t *p)
{
	struct tcmud_scsi_mode m = pc == TCMUD_MODE_PC_DEFAULT ? tcmud_mode_defaults(dev)
							       : dev->mode;

	memset(p, 0, pg->len);
	page_header(pg, p);
	if (pc != TCMUD_MODE_PC_CHANGEABLE)
		pg->fill(dev, p);
	for (size_t i = 0; i < NR_MODE_BITS; i++) {
		const struct mode_bit *b = &mode_bits[i];

		if (bit_of(b, pg) && (pc == TCMUD_MODE_PC_CHANGEABLE || *mode_field(&m, b)))
			p[b->byte] |= b->mask;
	}
	return pg->len;
}

int tcmud_mode_page_select(const struct tcmud_scsi_dev *dev,
			   const struct tcmud_mode_page *pg, const uint8_t *p,
			   struct tcmud_scsi_mode *next, unsigned int *byte, int *bit)
{
	uint8_t cur[TCMUD_MODE_PAGE_MAX], chg[TCMUD_MODE_PAGE_MAX];
	size_t hdr = pg->subpage ? 4 : 2;

	if (p[0] & 0x80) { /* PS is reserved in MODE SELECT */
		*byte = 0;
		*bit = 7;
		return -1;
	}
	tcmud_mode_page_build(dev, pg, TCMUD_MODE_PC_CURRENT, cur);
	tcmud_mode_page_build(dev, pg, TCMUD_MODE_PC_CHANGEABLE, chg);
	for (size_t i = hdr; i < pg->len; i++) {
		uint8_t bad = (uint8_t)((p[i] ^ cur[i]) & ~chg[i]);

		if (bad) {
			*byte = (unsigned int)i;
			*bit = tcmud_mode_highest_bit(bad);
			return -1;
		}
	}
	for (size_t i = 0; i < NR_MODE_BITS; i++)
		if (bit_of(&mode_bits[i], pg))
			*mode_field(next, &mode_bits[i]) = p[mode_bits[i].byte] & mode_bits[i].mask;
	return 0;
}
