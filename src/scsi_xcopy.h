/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The copy manager: EXTENDED COPY (LID1) with block-to-block segments
 * between devices this process serves, and RECEIVE COPY RESULTS. Limits it
 * reports and enforces, the parsed parameter list, and the sense helpers
 * its files share.
 */
#ifndef TCMUD_SCSI_XCOPY_H
#define TCMUD_SCSI_XCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scsi_internal.h"

/* ---- limits (RECEIVE COPY OPERATING PARAMETERS, VPD page 0x8F) ----------- */

#define XCOPY_MAX_CSCD 16u                 /* CSCD descriptors per list */
#define XCOPY_MAX_SEGMENTS 16u             /* segment descriptors per list */
#define XCOPY_MAX_DESC_LIST_LEN 1024u      /* CSCD + segment descriptor bytes */
#define XCOPY_MAX_SEGMENT_BYTES (256u << 20)
#define XCOPY_MAX_INLINE 0u                /* no inline data */
#define XCOPY_CONCURRENT 1u                /* commands run one at a time per device */

/* ---- codes ----------------------------------------------------------------- */

#define OP_EXTENDED_COPY 0x83
#define OP_RECEIVE_COPY_RESULTS 0x84
#define SA_XCOPY_LID1 0x00
#define SA_RCR_COPY_STATUS 0x00
#define SA_RCR_RECEIVE_DATA 0x01
#define SA_RCR_OPERATING_PARAMETERS 0x03
#define SA_RCR_FAILURE_DETAILS 0x04

#define XCOPY_DESC_CSCD_ID 0xe4            /* identification descriptor CSCD */
#define XCOPY_DESC_B2B 0x02                /* block device to block device */
#define XCOPY_CSCD_ID_SELF 0xffff          /* the LU that received the command */

#define XCOPY_HDR_LEN 16u
#define XCOPY_CSCD_LEN 32u
#define XCOPY_B2B_LEN 28u
#define XCOPY_PARAM_MAX (XCOPY_HDR_LEN + XCOPY_MAX_DESC_LIST_LEN)

/* Byte offsets in the parameter list header. */
#define XCOPY_HDR_CSCD_LEN 2u
#define XCOPY_HDR_SEG_LEN 8u
#define XCOPY_HDR_INLINE_LEN 12u

/* LIST ID USAGE (header byte 1, bits 4-3). */
#define XCOPY_USAGE_HOLD 0u
#define XCOPY_USAGE_DISCARD 2u
#define XCOPY_USAGE_NONE 3u

#define TCMUD_SK_COPY_ABORTED 0x0a
#define ASC_COPY_TARGET_NOT_REACHABLE 0x0d02
#define ASC_TOO_MANY_TARGET_DESCRIPTORS 0x2606
#define ASC_UNSUPPORTED_TARGET_DESCRIPTOR 0x2607
#define ASC_TOO_MANY_SEGMENT_DESCRIPTORS 0x2608
#define ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR 0x2609
#define ASC_UNEXPECTED_INEXACT_SEGMENT 0x260a

/* ---- the parsed parameter list ------------------------------------------- */

struct xcopy_cscd {
	uint16_t off;              /* of the descriptor in the parameter list */
	uint8_t code_set, association, desig_type, desig_len;
	const uint8_t *desig;
	uint32_t block_len;        /* DISK BLOCK LENGTH, 0 if not given */
};

struct xcopy_segment {
	uint16_t off;
	uint16_t src_id, dst_id;
	bool dc;                   /* NUMBER OF BLOCKS counts destination blocks */
	uint16_t nr_blocks;
	uint64_t src_lba, dst_lba;
};

struct xcopy_list {
	uint8_t params[XCOPY_PARAM_MAX];
	uint8_t list_id;
	uint8_t usage;
	uint16_t cscd_len;
	uint32_t seg_len;
	size_t nr_cscd, nr_seg;
	struct xcopy_cscd cscd[XCOPY_MAX_CSCD];
	struct xcopy_segment seg[XCOPY_MAX_SEGMENTS];
};

/* Devices one list can name: every CSCD descriptor, and the receiving LU. */
#define XCOPY_MAX_DEVS (XCOPY_MAX_CSCD + 1)

/* One EXTENDED COPY on its way through (scsi_xcopy.c). */
struct xcopy_run {
	struct tcmud_scsi_dev *self;    /* received the command; dispatch locked it */
	struct tcmud_cmd *cmd;
	struct xcopy_list *list;
	struct tcmud_scsi_dev *cscd_dev[XCOPY_MAX_CSCD];  /* per CSCD descriptor, once found */
	struct tcmud_scsi_dev *held[XCOPY_MAX_DEVS];      /* from tcmud_dir_get() */
	uint64_t held_seq[XCOPY_MAX_DEVS];                /* their registration numbers */
	bool locked[XCOPY_MAX_DEVS];
	size_t nr_held;
	/* Per segment: its devices, found and locked before anything moves. */
	struct tcmud_scsi_dev *src[XCOPY_MAX_SEGMENTS], *dst[XCOPY_MAX_SEGMENTS];
	uint16_t segments_done;
	uint64_t bytes_done;            /* written to destinations */
};

/*
 * Read and check the header of the parameter list of an EXTENDED COPY whose
 * PARAMETER LIST LENGTH is not zero, and copy the descriptors into l.
 * 0 or a CHECK CONDITION status with the sense set.
 */
int tcmud_xcopy_parse_header(struct tcmud_cmd *cmd, struct xcopy_list *l);
/* Check and decode the CSCD and segment descriptors. 0 or CHECK CONDITION. */
int tcmud_xcopy_parse_descriptors(struct tcmud_cmd *cmd, struct xcopy_list *l);

/*
 * With every segment's devices found and locked: check what the segments
 * ask of them, before anything moves. 0 or CHECK CONDITION.
 */
int tcmud_xcopy_check_segments(struct xcopy_run *r);
/* Move the data of every segment, counting what was done in r. A SAM status. */
int tcmud_xcopy_copy_segments(struct xcopy_run *r);

/* ILLEGAL REQUEST, asc, field pointer to byte (bit, or -1) of the parameter list. */
int tcmud_xcopy_param_error(struct tcmud_cmd *cmd, uint16_t asc, unsigned int byte, int bit);
/* ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR. */
int tcmud_xcopy_length_error(struct tcmud_cmd *cmd);
/* COPY ABORTED, asc, with a segment pointer to byte of the parameter list (or none: -1). */
int tcmud_xcopy_aborted(struct tcmud_cmd *cmd, uint16_t asc, int byte);

/* RECEIVE COPY RESULTS service actions (scsi_xcopy_results.c). */
int tcmud_xcopy_rcr_status(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_xcopy_rcr_data(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_xcopy_rcr_op_params(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_xcopy_rcr_failure(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

/* log2 of the device's block size when a power of two, else 0 (granularities). */
uint8_t tcmud_xcopy_block_shift(const struct tcmud_scsi_dev *dev);

/*
 * The Third-party Copy VPD page (0x8F) for INQUIRY: writes at most len bytes
 * of it to buf and returns the length of the whole page, header included.
 */
int tcmud_vpd_third_party_copy(struct tcmud_scsi_dev *dev, uint8_t *buf, size_t len);

#endif /* TCMUD_SCSI_XCOPY_H */
