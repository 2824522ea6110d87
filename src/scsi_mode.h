/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the SCSI layer: the mode pages (scsi_mode_pages.c) that MODE
 * SENSE and MODE SELECT (scsi_mode.c) report and change.
 */
#ifndef TCMUD_SCSI_MODE_H
#define TCMUD_SCSI_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scsi_internal.h"

/* The PC field of MODE SENSE. */
enum tcmud_mode_pc {
	TCMUD_MODE_PC_CURRENT = 0,
	TCMUD_MODE_PC_CHANGEABLE = 1,
	TCMUD_MODE_PC_DEFAULT = 2,
	TCMUD_MODE_PC_SAVED = 3,
};

/* The longest page, and all pages together (they fit a MODE SENSE(6)). */
#define TCMUD_MODE_PAGE_MAX 32
#define TCMUD_MODE_PAGES_MAX 128

struct tcmud_mode_page {
	uint8_t page;
	uint8_t subpage;        /* 0: page_0 format; otherwise sub_page format */
	uint8_t len;            /* the whole page, header included */
	/* Whether the device has the page; NULL: every device has it. */
	bool (*present)(const struct tcmud_scsi_dev *dev);
	/* The values that are not changeable, into a zeroed page body. */
	void (*fill)(const struct tcmud_scsi_dev *dev, uint8_t *p);
};

/* The pages in the order MODE SENSE returns them; n set to their number. */
const struct tcmud_mode_page *tcmud_mode_pages(size_t *n);

/* The page (page, subpage) if the device has it, else NULL. */
const struct tcmud_mode_page *tcmud_mode_page_find(const struct tcmud_scsi_dev *dev,
						   uint8_t page, uint8_t subpage);

/* Whether the device has a page with this page code (any subpage). */
bool tcmud_mode_page_code_known(const struct tcmud_scsi_dev *dev, uint8_t page);

/* Write the page as PC asks (not SAVED) into p; returns pg->len. */
size_t tcmud_mode_page_build(const struct tcmud_scsi_dev *dev,
			     const struct tcmud_mode_page *pg, enum tcmud_mode_pc pc,
			     uint8_t *p);

/*
 * Check a page sent with MODE SELECT (pg->len bytes at p) against the
 * current and changeable values and take its changeable fields into next.
 * Returns 0, or -1 with *byte (within the page) and *bit of the first field
 * that may not be set that way (PS, or a non-changeable bit that differs
 * from its current value).
 */
int tcmud_mode_page_select(const struct tcmud_scsi_dev *dev,
			   const struct tcmud_mode_page *pg, const uint8_t *p,
			   struct tcmud_scsi_mode *next, unsigned int *byte, int *bit);

/* The most significant bit set in v (0 for 0): where a field pointer points. */
static inline int tcmud_mode_highest_bit(uint8_t v)
{
	int bit = 7;

	while (bit > 0 && !(v & (1u << bit)))
		bit--;
	return bit;
}

/* The default mode parameters (MODE SENSE PC 2, MODE SELECT RTD). */
struct tcmud_scsi_mode tcmud_mode_defaults(const struct tcmud_scsi_dev *dev);

#endif /* TCMUD_SCSI_MODE_H */
