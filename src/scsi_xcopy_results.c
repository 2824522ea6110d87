/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RECEIVE COPY RESULTS (LID1 service actions): the copy manager's operating
 * parameters, and what is kept of completed copies. A result is kept per
 * device and list identifier when the EXTENDED COPY asked for it (LIST ID
 * USAGE 00b) and data moved; each part is dropped once an initiator has
 * received all of it, and everything kept for an identifier is dropped
 * when a new EXTENDED COPY uses it. The transport does not tell initiators
 * apart, so results are per device rather than per I_T nexus.
 */
#include <string.h>

#include "scsi_directory.h"
#include "scsi_xcopy.h"

#define RCR_ALLOC_LEN 10

static uint32_t alloc_len(const struct tcmud_cmd *cmd)
{
	return get_be32(&cmd->cdb[RCR_ALLOC_LEN]);
}

/* Whether a Data-In of len bytes reaches the initiator whole. */
static bool delivered(const struct tcmud_cmd *cmd, size_t len)
{
	return alloc_len(cmd) >= len && cmd->data_len >= len;
}

/* The kept result for the LIST IDENTIFIER, or INVALID FIELD IN CDB at it. */
static int find(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, struct tcmud_copy_result *r)
{
	if (!tcmud_dir_result_get(dev, cmd->cdb[2], r))
		return tcmud_scsi_invalid_field(cmd, 2, -1);
	return 0;
}

uint8_t tcmud_xcopy_block_shift(const struct tcmud_scsi_dev *dev)
{
	uint32_t bs = dev->hdev.block_size;
	uint8_t shift = 0;

	if (bs == 0 || (bs & (bs - 1)))
		return 0;
	while ((1u << shift) < bs)
		shift++;
	return shift;
}

/* ---- COPY STATUS ----------------------------------------------------------- */

#define STATUS_LEN 12
#define TC_UNITS_BYTES 0x00
#define TC_UNITS_KIB 0xf1   /* then MiB 0xf2, GiB 0xf3, ... */

/* TRANSFER COUNT UNITS and TRANSFER COUNT: the smallest unit that fits. */
static void put_transfer_count(uint8_t *units, uint8_t *count, uint64_t bytes)
{
	uint8_t u = TC_UNITS_BYTES;

	while (bytes > UINT32_MAX) {
		bytes >>= 10;
		u = u == TC_UNITS_BYTES ? TC_UNITS_KIB : (uint8_t)(u + 1);
	}
	*units = u;
	put_be32(count, (uint32_t)bytes);
}

int tcmud_xcopy_rcr_status(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct tcmud_copy_result r;
	uint8_t b[STATUS_LEN] = {0};
	int st = find(dev, cmd, &r);

	if (st)
		return st;
	if (!r.status_held)
		return tcmud_scsi_invalid_field(cmd, 2, -1);
	put_be32(&b[0], STATUS_LEN - 4);          /* AVAILABLE DATA */
	b[4] = r.status;                          /* HDD 0: no held data is ever kept */
	put_be16(&b[5], r.segments);
	put_transfer_count(&b[7], &b[8], r.bytes);
	if (delivered(cmd, STATUS_LEN))
		tcmud_dir_result_release(dev, r.list_id, true, false);
	return tcmud_scsi_data_in(cmd, b, sizeof(b), alloc_len(cmd));
}

/* ---- RECEIVE DATA ---------------------------------------------------------- */

int tcmud_xcopy_rcr_data(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct tcmud_copy_result r;
	uint8_t b[4] = {0};  /* block-to-block segments hold no data: AVAILABLE DATA 0 */
	int st = find(dev, cmd, &r);

	return st ? st : tcmud_scsi_data_in(cmd, b, sizeof(b), alloc_len(cmd));
}

/* ---- FAILURE DETAILS ------------------------------------------------------- */

#define DETAILS_HDR_LEN 60
#define DETAILS_STATUS 56
#define DETAILS_SENSE_LEN 58

int tcmud_xcopy_rcr_failure(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t b[DETAILS_HDR_LEN + TCMUD_COPY_SENSE_MAX] = {0};
	struct tcmud_copy_result r;
	size_t len;
	int st = find(dev, cmd, &r);

	if (st)
		return st;
	/* A copy that did not fail has no details: AVAILABLE DATA 0. */
	if (!r.details_held)
		return tcmud_scsi_data_in(cmd, b, 4, alloc_len(cmd));
	len = DETAILS_HDR_LEN + r.sense_len;
	put_be32(&b[0], (uint32_t)(len - 4));
	b[DETAILS_STATUS] = r.cmd_status;
	put_be16(&b[DETAILS_SENSE_LEN], r.sense_len);
	memcpy(&b[DETAILS_HDR_LEN], r.sense, r.sense_len);
	if (delivered(cmd, len))
		tcmud_dir_result_release(dev, r.list_id, false, true);
	return tcmud_scsi_data_in(cmd, b, len, alloc_len(cmd));
}

/* ---- OPERATING PARAMETERS -------------------------------------------------- */

#define OP_PARAMS_LEN 44
#define OP_SNLID 0x01       /* LIST ID USAGE 11b (no list identifier) is supported */

static const uint8_t implemented_descriptors[] = {XCOPY_DESC_B2B, XCOPY_DESC_CSCD_ID};

int tcmud_xcopy_rcr_op_params(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t b[OP_PARAMS_LEN + sizeof(implemented_descriptors)] = {0};

	put_be32(&b[0], sizeof(b) - 4);               /* AVAILABLE DATA */
	b[4] = OP_SNLID;
	put_be16(&b[8], XCOPY_MAX_CSCD);
	put_be16(&b[10], XCOPY_MAX_SEGMENTS);
	put_be32(&b[12], XCOPY_MAX_DESC_LIST_LEN);
	put_be32(&b[16], XCOPY_MAX_SEGMENT_BYTES);
	put_be32(&b[20], XCOPY_MAX_INLINE);
	/* HELD DATA LIMIT and MAXIMUM STREAM DEVICE TRANSFER SIZE: 0. */
	put_be16(&b[34], XCOPY_CONCURRENT);           /* TOTAL CONCURRENT COPIES */
	b[36] = XCOPY_CONCURRENT;                     /* MAXIMUM CONCURRENT COPIES */
	b[37] = tcmud_xcopy_block_shift(dev);         /* DATA SEGMENT GRANULARITY */
	/* INLINE and HELD DATA GRANULARITY: 0, neither is supported. */
	b[43] = sizeof(implemented_descriptors);
	memcpy(&b[OP_PARAMS_LEN], implemented_descriptors, sizeof(implemented_descriptors));
	return tcmud_scsi_data_in(cmd, b, sizeof(b), alloc_len(cmd));
}
