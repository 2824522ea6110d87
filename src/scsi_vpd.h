/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the SCSI layer: the INQUIRY vital product data pages
 * (scsi_vpd.c) and what standard INQUIRY data shares with them.
 */
#ifndef TCMUD_SCSI_VPD_H
#define TCMUD_SCSI_VPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scsi_internal.h"

/* Room for the longest response: VPD 0x83 with a 255-byte serial. */
#define TCMUD_INQ_BUF_LEN 512

/*
 * Copy an ASCII field (SPC-4 4.4.1), space padded to width; any byte outside
 * 0x20-0x7e becomes '_'.
 */
static inline void tcmud_put_ascii(uint8_t *dst, const char *src, size_t width)
{
	size_t i = 0;

	for (; i < width && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e) ? (uint8_t)src[i] : '_';
	for (; i < width; i++)
		dst[i] = ' ';
}

/*
 * Build VPD page `page` into buf (TCMUD_INQ_BUF_LEN bytes, zeroed). Returns
 * its length, or 0 for a page the device does not have.
 */
size_t tcmud_vpd_page(struct tcmud_scsi_dev *dev, uint8_t page, uint8_t *buf);

/* EXTENDED COPY is served: 3PC in standard INQUIRY data, VPD page 0x8F. */
bool tcmud_vpd_xcopy_served(void);

/*
 * The descriptor dispatch serves the command with (opcode, and service
 * action when sa >= 0), or NULL: what INQUIRY data claims follows the
 * command table.
 */
const struct tcmud_scsi_cmd_desc *tcmud_vpd_served(uint8_t opcode, int sa);

/*
 * MAXIMUM ATOMIC TRANSFER LENGTH as Block Limits reports it:
 * TCMUD_MAX_ATOMIC_LEN, but never more than the MAXIMUM TRANSFER LENGTH
 * (hdev.max_sectors, when set). WRITE ATOMIC must refuse longer transfers.
 */
uint32_t tcmud_vpd_max_atomic_len(const struct tcmud_scsi_dev *dev);

#endif /* TCMUD_SCSI_VPD_H */
