/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FORMAT UNIT and SANITIZE: the whole medium re-initialised.
 *
 * The device has no defect lists and its protection type comes from its
 * configuration, so FORMAT UNIT accepts exactly the formats that keep the
 * current type and empty lists, and re-initialises every block: zeros with
 * PI of 0xFF bytes (deallocated where the handler can). SANITIZE on a RAM
 * medium: BLOCK ERASE and CRYPTOGRAPHIC ERASE deallocate every block (or
 * write zeros on a fully provisioned device), OVERWRITE writes the pattern.
 * Both run to completion before status is returned, IMMED or not.
 */
#include <string.h>

#include "scsi_sbc_prov.h"

/* ---- FORMAT UNIT ------------------------------------------------------- */

#define FU_LONGLIST 0x20
#define FU_FMTDATA 0x10
#define FU_DLF_RESERVED 0x07
#define FU_FFMT_MAX 1          /* 00b and 01b: both fully initialise here */

/* Parameter list header, byte 1. */
#define FU_FOV 0x80
#define FU_DPRY 0x40
#define FU_DCRT 0x20
#define FU_STPF 0x10
#define FU_IP 0x08
#define FU_OBSOLETE 0x04

#define FU_SHORT_HEADER 4
#define FU_LONG_HEADER 8

/* The parameter list header; *pfu gets PROTECTION FIELD USAGE. */
static int format_header(struct tcmud_cmd *cmd, bool longlist, uint8_t *pfu)
{
	size_t len = longlist ? FU_LONG_HEADER : FU_SHORT_HEADER;
	uint8_t h[FU_LONG_HEADER] = {0};
	uint32_t defects;

	if (cmd->data_len < len) /* the header itself is cut off */
		return tcmud_param_length_error(cmd);
	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, 0, h, len);
	if (h[0] & 0xf8)
		return tcmud_param_invalid_field(cmd, 0, tcmud_top_bit(h[0] & 0xf8));
	*pfu = h[0] & 0x07;
	/* Without FOV the device's defaults apply and the option bits are 0. */
	if (!(h[1] & FU_FOV) && (h[1] & (FU_DPRY | FU_DCRT | FU_STPF | FU_IP)))
		return tcmud_param_invalid_field(cmd, 1, tcmud_top_bit(h[1] & 0x78));
	if (h[1] & (FU_IP | FU_OBSOLETE)) /* no initialization pattern support */
		return tcmud_param_invalid_field(cmd, 1, tcmud_top_bit(h[1] & 0x0c));
	if (longlist && h[2])
		return tcmud_param_invalid_field(cmd, 2, tcmud_top_bit(h[2]));
	/* P_I_INFORMATION and PROTECTION INTERVAL EXPONENT: one interval per block. */
	if (longlist && h[3])
		return tcmud_param_invalid_field(cmd, 3, tcmud_top_bit(h[3]));
	defects = longlist ? get_be32(&h[4]) : get_be16(&h[2]);
	if (defects) /* no defect lists to add to */
		return tcmud_param_invalid_field(cmd, longlist ? 4 : 2, -1);
	return 0;
}

/*
 * The protection type a FORMAT UNIT asks for (SBC-4 table "FMTPINFO and
 * PROTECTION FIELD USAGE"); it must be the device's, which only its
 * configuration can change.
 */
static int format_protection(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			     uint8_t fmtpinfo, uint8_t pfu)
{
	uint8_t type;

	if (fmtpinfo == 0 && pfu == 0)
		type = 0;
	else if (fmtpinfo == 0)
		return tcmud_param_invalid_field(cmd, 0, 2);
	else if (!dev->hdev.pi_type || fmtpinfo == 1) /* PROTECT=0, or 01b */
		return tcmud_scsi_invalid_field(cmd, 1, 7);
	else if (fmtpinfo == 2 && pfu == 0)
		type = 1;
	else if (fmtpinfo == 3 && pfu <= 1)
		type = pfu ? 3 : 2;
	else
		return tcmud_param_invalid_field(cmd, 0, 2);
	if (type != dev->hdev.pi_type)
		return tcmud_scsi_invalid_field(cmd, 1, 7);
	return 0;
}

int tcmud_sbc_format_unit(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t b1 = cmd->cdb[1];
	uint8_t pfu = 0;
	int st;

	if ((cmd->cdb[4] & 0x03) > FU_FFMT_MAX)
		return tcmud_scsi_invalid_field(cmd, 4, 1);
	/* Without FMTDATA, LONGLIST, CMPLST and DEFECT LIST FORMAT are ignored. */
	if (b1 & FU_FMTDATA) {
		if ((b1 & 0x07) == FU_DLF_RESERVED)
			return tcmud_scsi_invalid_field(cmd, 1, 2);
		st = format_header(cmd, b1 & FU_LONGLIST, &pfu);
		if (st)
			return st;
	}
	st = format_protection(dev, cmd, b1 >> 6, pfu);
	if (st)
		return st;
	st = tcmud_sbc_check_writable(dev, cmd);
	if (st)
		return st;
	return tcmud_prov_zero(dev, cmd, 0, dev->hdev.num_lbas, true);
}

/* ---- SANITIZE ---------------------------------------------------------- */

#define SAN_OVERWRITE 0x01
#define SAN_BLOCK_ERASE 0x02
#define SAN_CRYPTO_ERASE 0x03
#define SAN_EXIT_FAILURE_MODE 0x1f

#define OVW_HEADER_LEN 4
#define OVW_INVERT 0x80
#define OVW_TEST 0x60
#define OVW_COUNT 0x1f

/* Fill one block with the pattern, repeated from the block's start. */
static void fill_pattern_block(uint8_t *blk, uint32_t bs, const uint8_t *pat, size_t len,
			       bool invert)
{
	for (uint32_t i = 0; i < bs; i++)
		blk[i] = (uint8_t)(invert ? ~pat[i % len] : pat[i % len]);
}

/* The OVERWRITE parameter list: the block to write, built in *blk. */
static int overwrite_params(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    uint16_t param_len, uint8_t **blk)
{
	uint32_t bs = dev->hdev.block_size;
	uint8_t h[OVW_HEADER_LEN];
	uint8_t *buf;
	uint16_t ipl;
	int st = tcmud_sbc_check_buffer(cmd, 0, param_len);

	if (st)
		return st;
	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, 0, h, sizeof(h));
	if (h[0] & OVW_TEST) /* no test mode */
		return tcmud_param_invalid_field(cmd, 0, tcmud_top_bit(h[0] & OVW_TEST));
	if (!(h[0] & OVW_COUNT))
		return tcmud_param_invalid_field(cmd, 0, 4);
	if (h[1])
		return tcmud_param_invalid_field(cmd, 1, tcmud_top_bit(h[1]));
	ipl = get_be16(&h[2]);
	if (ipl == 0 || ipl > bs)
		return tcmud_param_invalid_field(cmd, 2, -1);
	if ((uint32_t)ipl + OVW_HEADER_LEN > param_len) /* the pattern is cut off */
		return tcmud_param_length_error(cmd);
	/* The pattern and, after it, the block built from it. */
	buf = tcmud_scratch(dev, TCMUD_SCRATCH_DATA2, (size_t)ipl + bs);
	if (!buf)
		return tcmud_scsi_internal_failure(cmd);
	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, OVW_HEADER_LEN, buf, ipl);
	/* A RAM medium keeps only the last pass; with INVERT every second pass
	 * is inverted, so the last one is when the count is even. */
	fill_pattern_block(buf + ipl, bs, buf, ipl,
			   (h[0] & OVW_INVERT) && (h[0] & OVW_COUNT) % 2 == 0);
	*blk = buf + ipl;
	return 0;
}

static int sanitize_overwrite(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			      uint16_t param_len)
{
	static const uint8_t escape[TCMUD_PI_TUPLE_SIZE] = {0xff, 0xff, 0xff, 0xff,
							     0xff, 0xff, 0xff, 0xff};
	struct tcmud_same s = {0};
	uint8_t *blk = NULL;
	int st = overwrite_params(dev, cmd, param_len, &blk);

	if (st)
		return st;
	st = tcmud_sbc_check_writable(dev, cmd);
	if (st)
		return st;
	s.block = blk;
	if (dev->hdev.pi_type) { /* PI of 0xFF bytes, stored unchecked */
		s.tuple = escape;
		s.protect = 3;
	}
	return tcmud_prov_write_same(dev, cmd, 0, dev->hdev.num_lbas, &s);
}

/* BLOCK ERASE and CRYPTOGRAPHIC ERASE: nothing of the old data stays. */
static int sanitize_erase(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	int st = tcmud_sbc_check_writable(dev, cmd);

	if (st)
		return st;
	if (tcmud_prov_thin(dev))
		return tcmud_prov_unmap(dev, cmd, 0, dev->hdev.num_lbas);
	return tcmud_prov_zero(dev, cmd, 0, dev->hdev.num_lbas, false);
}

int tcmud_sbc_sanitize(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t sa = cmd->cdb[1] & 0x1f;
	uint16_t param_len = get_be16(&cmd->cdb[7]);

	/* IMMED and AUSE are accepted: the operation completes before status
	 * and never fails, so there is no failure mode to leave. */
	switch (sa) {
	case SAN_OVERWRITE:
		if (param_len <= OVW_HEADER_LEN || param_len > dev->hdev.block_size + 4u)
			return tcmud_scsi_invalid_field(cmd, 7, -1);
		return sanitize_overwrite(dev, cmd, param_len);
	case SAN_BLOCK_ERASE:
	case SAN_CRYPTO_ERASE:
		if (param_len)
			return tcmud_scsi_invalid_field(cmd, 7, -1);
		return sanitize_erase(dev, cmd);
	case SAN_EXIT_FAILURE_MODE:
		if (param_len)
			return tcmud_scsi_invalid_field(cmd, 7, -1);
		return tcmud_scsi_no_data(cmd);
	default: /* the table only dispatches the four above */
		return tcmud_scsi_invalid_field(cmd, 1, 4);
	}
}
