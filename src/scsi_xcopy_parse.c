/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The EXTENDED COPY (LID1) parameter list (SPC-4 6.4): header, CSCD
 * descriptors and segment descriptors, checked field by field. Every error
 * names the field with a pointer into the parameter list. Only what can be
 * checked without looking at a device is checked here.
 */
#include "scsi_xcopy.h"

int tcmud_xcopy_param_error(struct tcmud_cmd *cmd, uint16_t asc, unsigned int byte, int bit)
{
	tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST, asc);
	cmd->sense.sks_valid = true;
	/* C/D stays 0: the field is in the parameter list. */
	cmd->sense.sks[0] = TCMUD_SKS_SKSV;
	if (bit >= 0)
		cmd->sense.sks[0] |= TCMUD_SKS_BPV | (bit & 7);
	put_be16(&cmd->sense.sks[1], (uint16_t)byte);
	return TCMUD_STATUS_CHECK_CONDITION;
}

int tcmud_xcopy_length_error(struct tcmud_cmd *cmd)
{
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
}

int tcmud_xcopy_aborted(struct tcmud_cmd *cmd, uint16_t asc, int byte)
{
	tcmud_cmd_check_condition(cmd, TCMUD_SK_COPY_ABORTED, asc);
	if (byte >= 0) {
		/* Segment pointer (SPC-4 4.5.2.4.6) with SD 0: relative to the
		 * start of the parameter list. */
		cmd->sense.sks_valid = true;
		cmd->sense.sks[0] = TCMUD_SKS_SKSV;
		put_be16(&cmd->sense.sks[1], (uint16_t)byte);
	}
	return TCMUD_STATUS_CHECK_CONDITION;
}

static int invalid(struct tcmud_cmd *cmd, unsigned int byte, int bit)
{
	return tcmud_xcopy_param_error(cmd, TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST, byte, bit);
}

/* INVALID FIELD IN PARAMETER LIST at the highest bit of p[off] inside mask. */
static int check_reserved(struct tcmud_cmd *cmd, const uint8_t *p, size_t off, uint8_t mask)
{
	uint8_t bad = p[off] & mask;
	int bit = 7;

	if (!bad)
		return 0;
	while (!(bad & (1u << bit)))
		bit--;
	return invalid(cmd, (unsigned int)off, bit);
}

/* Bytes [from, to) of p are reserved. */
static int check_zero(struct tcmud_cmd *cmd, const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		int st = check_reserved(cmd, p, i, 0xff);

		if (st)
			return st;
	}
	return 0;
}

/* ---- header ----------------------------------------------------------------- */

#define HDR_FLAGS 1u
#define HDR_RESERVED_BITS 0xc0    /* byte 1: bits 7-6; STR, LIST ID USAGE, PRIORITY used */

static int check_header(struct tcmud_cmd *cmd, struct xcopy_list *l, uint32_t pll)
{
	const uint8_t *p = l->params;
	uint32_t inline_len = get_be32(&p[XCOPY_HDR_INLINE_LEN]);
	int st = check_reserved(cmd, p, HDR_FLAGS, HDR_RESERVED_BITS);

	if (st)
		return st;
	l->list_id = p[0];
	l->usage = (p[HDR_FLAGS] >> 3) & 3;
	if (l->usage == 1) /* reserved value */
		return invalid(cmd, HDR_FLAGS, 4);
	if (l->usage == XCOPY_USAGE_NONE && l->list_id != 0)
		return invalid(cmd, 0, -1);
	st = check_zero(cmd, p, 4, 8);
	if (st)
		return st;
	l->cscd_len = get_be16(&p[XCOPY_HDR_CSCD_LEN]);
	l->seg_len = get_be32(&p[XCOPY_HDR_SEG_LEN]);
	/* The sum first: a list too long for us is a length error even when
	 * it also has too many descriptors. */
	if ((uint64_t)l->cscd_len + l->seg_len > XCOPY_MAX_DESC_LIST_LEN)
		return tcmud_xcopy_length_error(cmd);
	if (XCOPY_HDR_LEN + (uint64_t)l->cscd_len + l->seg_len + inline_len > pll)
		return tcmud_xcopy_length_error(cmd);
	if (inline_len > XCOPY_MAX_INLINE)
		return invalid(cmd, XCOPY_HDR_INLINE_LEN, -1);
	return 0;
}

int tcmud_xcopy_parse_header(struct tcmud_cmd *cmd, struct xcopy_list *l)
{
	uint32_t pll = get_be32(&cmd->cdb[10]);
	int st = tcmud_sbc_check_buffer(cmd, 0, pll);

	l->nr_cscd = 0;
	l->nr_seg = 0;
	if (st)
		return st;
	if (pll < XCOPY_HDR_LEN)
		return tcmud_xcopy_length_error(cmd);
	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, 0, l->params, XCOPY_HDR_LEN);
	st = check_header(cmd, l, pll);
	if (st)
		return st;
	/* Bounded by XCOPY_MAX_DESC_LIST_LEN above; inside the buffer by pll. */
	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, XCOPY_HDR_LEN, &l->params[XCOPY_HDR_LEN],
			 (size_t)l->cscd_len + l->seg_len);
	return 0;
}

/* ---- CSCD descriptors ------------------------------------------------------ */

#define CSCD_DESIG_MAX 20u          /* bytes 8-27 */
#define CSCD_PDT_BLOCK 0x00

/* An identification descriptor CSCD descriptor (E4h) for a block device. */
static int parse_cscd_id(struct tcmud_cmd *cmd, struct xcopy_list *l, size_t off)
{
	const uint8_t *d = &l->params[off];
	struct xcopy_cscd *c = &l->cscd[l->nr_cscd];
	int st;

	/* Byte 1: LU ID TYPE (ignored for this descriptor since SPC-4), NUL
	 * (obsolete), PERIPHERAL DEVICE TYPE: only block devices. */
	if ((d[1] & 0x1f) != CSCD_PDT_BLOCK)
		return invalid(cmd, (unsigned int)off + 1, 4);
	if ((st = check_reserved(cmd, l->params, off + 4, 0xf0)) ||
	    (st = check_reserved(cmd, l->params, off + 5, 0xc0)) ||
	    (st = check_zero(cmd, l->params, off + 6, off + 7)))
		return st;
	if (d[7] > CSCD_DESIG_MAX)
		return invalid(cmd, (unsigned int)off + 7, -1);
	/* Past the designator up to the device type specific parameters. */
	st = check_zero(cmd, l->params, off + 8 + d[7], off + 28);
	if (st)
		return st;
	/* Block device parameters: PAD (bit 2, meaningless without inexact
	 * segments, which are refused) and DISK BLOCK LENGTH. */
	st = check_reserved(cmd, l->params, off + 28, (uint8_t)~0x04);
	if (st)
		return st;
	*c = (struct xcopy_cscd){.off = (uint16_t)off, .code_set = d[4] & 0x0f,
				 .association = (d[5] >> 4) & 3, .desig_type = d[5] & 0x0f,
				 .desig_len = d[7], .desig = &d[8],
				 .block_len = (uint32_t)d[29] << 16 | (uint32_t)d[30] << 8 | d[31]};
	l->nr_cscd++;
	return 0;
}

static int parse_cscds(struct tcmud_cmd *cmd, struct xcopy_list *l)
{
	size_t off = XCOPY_HDR_LEN, end = XCOPY_HDR_LEN + l->cscd_len;

	while (off < end) {
		int st;

		if (l->nr_cscd == XCOPY_MAX_CSCD)
			return tcmud_xcopy_param_error(cmd, ASC_TOO_MANY_TARGET_DESCRIPTORS,
						       XCOPY_HDR_CSCD_LEN, -1);
		if (l->params[off] != XCOPY_DESC_CSCD_ID)
			return tcmud_xcopy_param_error(cmd, ASC_UNSUPPORTED_TARGET_DESCRIPTOR,
						       (unsigned int)off, -1);
		if (end - off < XCOPY_CSCD_LEN) /* the list ends inside a descriptor */
			return invalid(cmd, XCOPY_HDR_CSCD_LEN, -1);
		st = parse_cscd_id(cmd, l, off);
		if (st)
			return st;
		off += XCOPY_CSCD_LEN;
	}
	return 0;
}

/* ---- segment descriptors --------------------------------------------------- */

#define B2B_DESC_LENGTH (XCOPY_B2B_LEN - 4)

static int parse_b2b(struct tcmud_cmd *cmd, struct xcopy_list *l, size_t off)
{
	const uint8_t *d = &l->params[off];
	int st;

	/* Byte 1: DC (bit 1) and CAT (bit 0). CAT only matters for inexact
	 * segments, which are refused, so it is accepted and has no effect. */
	st = check_reserved(cmd, l->params, off + 1, 0xfc);
	if (st)
		return st;
	if (get_be16(&d[2]) != B2B_DESC_LENGTH)
		return invalid(cmd, (unsigned int)off + 2, -1);
	st = check_zero(cmd, l->params, off + 8, off + 10);
	if (st)
		return st;
	l->seg[l->nr_seg] = (struct xcopy_segment){
		.off = (uint16_t)off, .src_id = get_be16(&d[4]), .dst_id = get_be16(&d[6]),
		.dc = d[1] & 0x02, .nr_blocks = get_be16(&d[10]),
		.src_lba = get_be64(&d[12]), .dst_lba = get_be64(&d[20])};
	l->nr_seg++;
	return 0;
}

static int parse_segments(struct tcmud_cmd *cmd, struct xcopy_list *l)
{
	size_t off = XCOPY_HDR_LEN + l->cscd_len, end = off + l->seg_len;

	while (off < end) {
		int st;

		if (l->nr_seg == XCOPY_MAX_SEGMENTS)
			return tcmud_xcopy_param_error(cmd, ASC_TOO_MANY_SEGMENT_DESCRIPTORS,
						       XCOPY_HDR_SEG_LEN, -1);
		if (l->params[off] != XCOPY_DESC_B2B)
			return tcmud_xcopy_param_error(cmd, ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR,
						       (unsigned int)off, -1);
		if (end - off < XCOPY_B2B_LEN)
			return invalid(cmd, XCOPY_HDR_SEG_LEN, -1);
		st = parse_b2b(cmd, l, off);
		if (st)
			return st;
		off += XCOPY_B2B_LEN;
	}
	return 0;
}

int tcmud_xcopy_parse_descriptors(struct tcmud_cmd *cmd, struct xcopy_list *l)
{
	int st = parse_cscds(cmd, l);

	return st ? st : parse_segments(cmd, l);
}
