/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Third-party Copy VPD page (0x8F, SPC-4 7.8.17): what the copy
 * manager supports, with the same limits RECEIVE COPY OPERATING PARAMETERS
 * reports and EXTENDED COPY enforces. Every descriptor is padded to a
 * multiple of 4 bytes.
 */
#include <string.h>

#include "scsi_xcopy.h"

#define VPD_TPC 0x8f
#define VPD_TPC_MAX 128

#define TPC_SUPPORTED_COMMANDS 0x0001
#define TPC_SUPPORTED_DESCRIPTORS 0x0004
#define TPC_PARAMETER_DATA 0x0008
#define TPC_SUPPORTED_CSCD_IDS 0x000c
#define TPC_GENERAL_COPY_OPS 0x8001

/* Fill in the header of the descriptor at p, whose body (after the 4-byte
 * header) is body bytes; returns its length padded to a multiple of 4. */
static size_t finish_desc(uint8_t *p, uint16_t type, size_t body)
{
	size_t len = (4 + body + 3) & ~(size_t)3;

	put_be16(&p[0], type);
	put_be16(&p[2], (uint16_t)(len - 4));
	return len;
}

static size_t supported_commands(uint8_t *p)
{
	static const uint8_t cmds[] = {
		OP_EXTENDED_COPY, 1, SA_XCOPY_LID1,
		OP_RECEIVE_COPY_RESULTS, 4, SA_RCR_COPY_STATUS, SA_RCR_RECEIVE_DATA,
		SA_RCR_OPERATING_PARAMETERS, SA_RCR_FAILURE_DETAILS,
	};

	p[4] = sizeof(cmds);                 /* COMMANDS SUPPORTED LIST LENGTH */
	memcpy(&p[5], cmds, sizeof(cmds));
	return finish_desc(p, TPC_SUPPORTED_COMMANDS, 1 + sizeof(cmds));
}

static size_t parameter_data(uint8_t *p)
{
	put_be16(&p[8], XCOPY_MAX_CSCD);
	put_be16(&p[10], XCOPY_MAX_SEGMENTS);
	put_be32(&p[12], XCOPY_MAX_DESC_LIST_LEN);
	put_be32(&p[16], XCOPY_MAX_INLINE);
	return finish_desc(p, TPC_PARAMETER_DATA, 28);
}

static size_t supported_descriptors(uint8_t *p)
{
	p[4] = 2;                            /* SUPPORTED DESCRIPTOR LIST LENGTH */
	p[5] = XCOPY_DESC_B2B;
	p[6] = XCOPY_DESC_CSCD_ID;
	return finish_desc(p, TPC_SUPPORTED_DESCRIPTORS, 3);
}

/* CSCD DESCRIPTOR IDs besides the indexes into the list: the LU itself. */
static size_t supported_cscd_ids(uint8_t *p)
{
	put_be16(&p[4], 2);
	put_be16(&p[6], XCOPY_CSCD_ID_SELF);
	return finish_desc(p, TPC_SUPPORTED_CSCD_IDS, 4);
}

static size_t general_copy_ops(const struct tcmud_scsi_dev *dev, uint8_t *p)
{
	put_be32(&p[4], XCOPY_CONCURRENT);   /* TOTAL CONCURRENT COPIES */
	put_be32(&p[8], XCOPY_CONCURRENT);   /* MAXIMUM IDENTIFIED CONCURRENT COPIES */
	put_be32(&p[12], XCOPY_MAX_SEGMENT_BYTES);
	p[16] = tcmud_xcopy_block_shift(dev); /* DATA SEGMENT GRANULARITY */
	return finish_desc(p, TPC_GENERAL_COPY_OPS, 28);
}

int tcmud_vpd_third_party_copy(struct tcmud_scsi_dev *dev, uint8_t *buf, size_t len)
{
	uint8_t page[VPD_TPC_MAX] = {0};
	size_t n = 4;

	n += supported_commands(&page[n]);
	n += parameter_data(&page[n]);
	n += supported_descriptors(&page[n]);
	n += supported_cscd_ids(&page[n]);
	n += general_copy_ops(dev, &page[n]);
	page[0] = 0x00;                      /* connected direct access block device */
	page[1] = VPD_TPC;
	put_be16(&page[2], (uint16_t)(n - 4));
	memcpy(buf, page, n < len ? n : len);
	return (int)n;
}
