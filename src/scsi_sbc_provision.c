/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logical block provisioning: WRITE SAME(10)/(16)/(32) and the helpers the
 * provisioning and medium commands share; the command table for WRITE SAME,
 * UNMAP, GET LBA STATUS, FORMAT UNIT and SANITIZE.
 *
 * Block Limits, as this file implements them: a NUMBER OF LOGICAL BLOCKS of
 * 0 means "to the last LBA" unless the page reports WSNZ=1 (then it is
 * refused), MAXIMUM WRITE SAME LENGTH TCMUD_MAX_WRITE_SAME_LEN; no anchored
 * state (ANC_SUP=0).
 */
#include <string.h>

#include "scsi_sbc_prov.h"
#include "scsi_vpd.h"

#define WS_ANCHOR 0x10
#define WS_UNMAP 0x08
#define WS_NDOB 0x01
#define OP_WRITE_SAME10 0x41
#define OP_WRITE_SAME16 0x93
#define OP_VARIABLE_LENGTH 0x7f
#define SA_WRITE_SAME32 0x000d
#define PI_TYPE3 3

/* ---- shared helpers ---------------------------------------------------- */

int tcmud_param_invalid_field(struct tcmud_cmd *cmd, unsigned int byte, int bit)
{
	tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
				  TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST);
	cmd->sense.sks_valid = true;
	cmd->sense.sks[0] = TCMUD_SKS_SKSV; /* C/D 0: the parameter list */
	if (bit >= 0)
		cmd->sense.sks[0] |= TCMUD_SKS_BPV | (bit & 7);
	put_be16(&cmd->sense.sks[1], (uint16_t)byte);
	return TCMUD_STATUS_CHECK_CONDITION;
}

int tcmud_param_length_error(struct tcmud_cmd *cmd)
{
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
}

int tcmud_top_bit(uint8_t v)
{
	int bit = 7;

	while (bit > 0 && !(v & (1u << bit)))
		bit--;
	return bit;
}

bool tcmud_prov_thin(const struct tcmud_scsi_dev *dev)
{
	return dev->handler && dev->handler->unmap;
}

int tcmud_prov_unmap(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		     uint64_t nr)
{
	/* A handler never sees more than one UNMAP command could ask for. */
	while (nr) {
		uint64_t n = nr < TCMUD_MAX_UNMAP_LBA_COUNT ? nr : TCMUD_MAX_UNMAP_LBA_COUNT;
		int st = tcmud_handler_status(cmd, dev->handler->unmap(&dev->hdev, cmd, lba, n));

		if (st != TCMUD_STATUS_GOOD)
			return st;
		lba += n;
		nr -= n;
	}
	return TCMUD_STATUS_GOOD;
}

/* Block i of a chunk gets reference tag ref + i (types 1 and 2). */
static void set_ref_tags(uint8_t *buf, size_t per, uint32_t bs, uint32_t n, uint32_t ref)
{
	for (uint32_t i = 0; i < n; i++)
		put_be32(buf + (size_t)i * per + bs + 4, ref + i);
}

int tcmud_prov_write_same(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
			  uint64_t nr, const struct tcmud_same *s)
{
	uint32_t bs = dev->hdev.block_size;
	size_t per = bs + (s->tuple ? TCMUD_PI_TUPLE_SIZE : 0);
	uint64_t cap = TCMUD_CHUNK_BYTES / per ? TCMUD_CHUNK_BYTES / per : 1;
	uint32_t fill = (uint32_t)(nr < cap ? nr : cap);
	uint8_t *buf = tcmud_scratch(dev, TCMUD_SCRATCH_DATA, (size_t)fill * per + 1);

	if (!buf)
		return tcmud_scsi_internal_failure(cmd);
	for (uint32_t i = 0; i < fill; i++) {
		memcpy(buf + (size_t)i * per, s->block, bs);
		if (s->tuple)
			memcpy(buf + (size_t)i * per + bs, s->tuple, TCMUD_PI_TUPLE_SIZE);
	}
	for (uint64_t done = 0; done < nr;) {
		uint32_t n = (uint32_t)(nr - done < fill ? nr - done : fill);
		struct iovec iov = {.iov_base = buf, .iov_len = (size_t)n * per};
		struct tcmud_blocks b = {
			.lba = lba + done, .nr_blocks = n, .iov = &iov, .iov_cnt = 1,
			.protect = s->protect, .has_expected = s->has_expected,
			.exp_ref_tag = s->exp_ref_tag + (uint32_t)done,
			.exp_app_tag = s->exp_app_tag, .app_mask = s->app_mask,
		};
		int st;

		if (s->tuple && s->ref_increments)
			set_ref_tags(buf, per, bs, n, get_be32(s->tuple + 4) + (uint32_t)done);
		st = tcmud_sbc_write_blocks(dev, cmd, &b);
		if (st != TCMUD_STATUS_GOOD)
			return st;
		done += n;
	}
	return TCMUD_STATUS_GOOD;
}

int tcmud_prov_zero(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		    uint64_t nr, bool may_unmap)
{
	static const uint8_t escape[TCMUD_PI_TUPLE_SIZE] = {0xff, 0xff, 0xff, 0xff,
							     0xff, 0xff, 0xff, 0xff};
	struct tcmud_same s = {0};
	uint8_t *zero;

	if (may_unmap && tcmud_prov_thin(dev) && dev->hdev.unmap_zeroes)
		return tcmud_prov_unmap(dev, cmd, lba, nr);
	zero = tcmud_scratch(dev, TCMUD_SCRATCH_DATA2, dev->hdev.block_size);
	if (!zero)
		return tcmud_scsi_internal_failure(cmd);
	memset(zero, 0, dev->hdev.block_size);
	s.block = zero;
	if (dev->hdev.pi_type) {
		/* Stored as given: WRPROTECT 011b checks nothing. */
		s.tuple = escape;
		s.protect = 3;
	}
	return tcmud_prov_write_same(dev, cmd, lba, nr, &s);
}

/* ---- WRITE SAME -------------------------------------------------------- */

struct ws_req {
	uint64_t lba;
	uint64_t nr;
	uint8_t flags;            /* WRPROTECT, ANCHOR, UNMAP, NDOB */
	unsigned int flags_byte;  /* where they are in the CDB */
	unsigned int nr_byte;     /* NUMBER OF LOGICAL BLOCKS */
	struct tcmud_same same;
};

static void ws_decode(const uint8_t *cdb, struct ws_req *r)
{
	*r = (struct ws_req){0};
	if (cdb[0] == OP_WRITE_SAME10) {
		r->flags_byte = 1;
		r->lba = get_be32(&cdb[2]);
		r->nr_byte = 7;
		r->nr = get_be16(&cdb[7]);
	} else if (cdb[0] == OP_WRITE_SAME16) {
		r->flags_byte = 1;
		r->lba = get_be64(&cdb[2]);
		r->nr_byte = 10;
		r->nr = get_be32(&cdb[10]);
	} else {
		r->flags_byte = 10;
		r->lba = get_be64(&cdb[12]);
		r->same.has_expected = true;
		r->same.exp_ref_tag = get_be32(&cdb[20]);
		r->same.exp_app_tag = get_be16(&cdb[24]);
		r->same.app_mask = get_be16(&cdb[26]);
		r->nr_byte = 28;
		r->nr = get_be32(&cdb[28]);
	}
	r->flags = cdb[r->flags_byte];
	r->same.protect = r->flags >> 5;
}

/* The CDB's own fields, before the device is looked at. */
static int ws_check_cdb(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			const struct ws_req *r)
{
	/* First: it refuses a 32-byte CDB outright unless the device has type 2. */
	int st = tcmud_sbc_check_protect(dev, cmd, r->same.protect, r->flags_byte, 7);

	if (st)
		return st;
	if (r->flags & WS_ANCHOR) /* no anchored state: ANC_SUP=0 */
		return tcmud_scsi_invalid_field(cmd, r->flags_byte, 4);
	/* Without a Data-Out Buffer there is no PI to check. */
	if ((r->flags & WS_NDOB) && r->same.protect)
		return tcmud_scsi_invalid_field(cmd, r->flags_byte, 7);
	return 0;
}

/* WSNZ as the Block Limits page reports it: the page is its one statement. */
static bool ws_wsnz(struct tcmud_scsi_dev *dev)
{
	uint8_t page[TCMUD_INQ_BUF_LEN] = {0};

	return tcmud_vpd_page(dev, 0xb0, page) > 4 && (page[4] & 0x01);
}

/* With WSNZ=0, 0 blocks means from lba to the last LBA, which must exist. */
static int ws_check_range(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, struct ws_req *r)
{
	uint64_t num_lbas = dev->hdev.num_lbas;
	int st;

	if (r->nr == 0) {
		if (ws_wsnz(dev))
			return tcmud_scsi_invalid_field(cmd, r->nr_byte, -1);
		if (r->lba >= num_lbas)
			return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
							 TCMUD_ASC_LBA_OUT_OF_RANGE);
		r->nr = num_lbas - r->lba;
	} else if ((st = tcmud_sbc_check_range(dev, cmd, r->lba, r->nr))) {
		return st;
	}
	if (r->nr > TCMUD_MAX_WRITE_SAME_LEN)
		return tcmud_scsi_invalid_field(cmd, r->nr_byte, -1);
	return 0;
}

/* The Data-Out Buffer is exactly one block (and its tuple), or empty with NDOB. */
static int ws_fetch_block(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			  struct ws_req *r)
{
	uint32_t bs = dev->hdev.block_size;
	uint64_t want = (r->flags & WS_NDOB) ? 0 : tcmud_buffer_block_bytes(dev, r->same.protect);
	uint8_t *blk;

	if (cmd->data_len != want)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	if (want == 0)
		return 0;
	blk = tcmud_scratch(dev, TCMUD_SCRATCH_DATA2, (size_t)want);
	if (!blk)
		return tcmud_scsi_internal_failure(cmd);
	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, 0, blk, (size_t)want);
	r->same.block = blk;
	if (r->same.protect) {
		r->same.tuple = blk + bs;
		/* Types 1 and 2: the sent ref tag is the first block's; the
		 * following blocks count up from it. Type 3 stores it as sent. */
		r->same.ref_increments = dev->hdev.pi_type != PI_TYPE3;
	}
	return 0;
}

/* Deallocating is only allowed when the blocks then read back as sent. */
static bool ws_can_unmap(const struct tcmud_scsi_dev *dev, const struct ws_req *r)
{
	uint32_t bs = dev->hdev.block_size;

	if (!(r->flags & WS_UNMAP) || !dev->hdev.unmap_zeroes)
		return false;
	if (r->flags & WS_NDOB)
		return true;
	for (uint32_t i = 0; i < bs; i++)
		if (r->same.block[i])
			return false;
	for (unsigned int i = 0; r->same.tuple && i < TCMUD_PI_TUPLE_SIZE; i++)
		if (r->same.tuple[i] != 0xff)
			return false;
	return true;
}

static int sbc_write_same(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct ws_req r;
	int st;

	ws_decode(cmd->cdb, &r);
	if ((st = ws_check_cdb(dev, cmd, &r)) || (st = ws_check_range(dev, cmd, &r)) ||
	    (st = tcmud_sbc_check_writable(dev, cmd)))
		return st;
	/* UNMAP=1 needs logical block provisioning (LBPWS/LBPWS10). */
	if ((r.flags & WS_UNMAP) && !tcmud_prov_thin(dev))
		return tcmud_scsi_invalid_field(cmd, r.flags_byte, 3);
	st = ws_fetch_block(dev, cmd, &r);
	if (st)
		return st;
	if (ws_can_unmap(dev, &r))
		return tcmud_prov_unmap(dev, cmd, r.lba, r.nr);
	if (r.flags & WS_NDOB) /* zeros, PI of 0xFF bytes */
		return tcmud_prov_zero(dev, cmd, r.lba, r.nr, false);
	return tcmud_prov_write_same(dev, cmd, r.lba, r.nr, &r.same);
}

/* ---- the table --------------------------------------------------------- */

#define RECOMMENDED_TIMEOUT_MEDIUM 600 /* whole-medium commands, seconds */

const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_prov[] = {
	/* FMTPINFO LONGLIST FMTDATA CMPLST DEFECT LIST FORMAT; byte 4 FFMT. */
	{.name = "FORMAT UNIT", .opcode = 0x04, .cdb_len = 6,
	 .usage = {0x04, 0xff, 0x00, 0x00, 0x03, 0x00}, .fn = tcmud_sbc_format_unit,
	 .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	/* Byte 1: WRPROTECT ANCHOR UNMAP (bits 2-1 obsolete, 0 reserved). */
	{.name = "WRITE SAME(10)", .opcode = OP_WRITE_SAME10, .cdb_len = 10,
	 .usage = {OP_WRITE_SAME10, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0x00},
	 .fn = sbc_write_same, .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	/* Byte 1: ANCHOR; byte 6: GROUP NUMBER. */
	{.name = "UNMAP", .opcode = 0x42, .cdb_len = 10,
	 .usage = {0x42, 0x01, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_unmap, .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	/* Byte 1: IMMED, AUSE and the service action. */
	{.name = "SANITIZE OVERWRITE", .opcode = 0x48, .has_sa = true, .sa = 0x01,
	 .cdb_len = 10, .usage = {0x48, 0xa1, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_sanitize, .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	{.name = "SANITIZE BLOCK ERASE", .opcode = 0x48, .has_sa = true, .sa = 0x02,
	 .cdb_len = 10, .usage = {0x48, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_sanitize, .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	{.name = "SANITIZE CRYPTOGRAPHIC ERASE", .opcode = 0x48, .has_sa = true, .sa = 0x03,
	 .cdb_len = 10, .usage = {0x48, 0xa3, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_sanitize, .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	{.name = "SANITIZE EXIT FAILURE MODE", .opcode = 0x48, .has_sa = true, .sa = 0x1f,
	 .cdb_len = 10, .usage = {0x48, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_sanitize},
	/* Byte 1: WRPROTECT ANCHOR UNMAP NDOB. */
	{.name = "WRITE SAME(16)", .opcode = OP_WRITE_SAME16, .cdb_len = 16,
	 .usage = {OP_WRITE_SAME16, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, 0xff, 0xff, 0x3f, 0x00},
	 .fn = sbc_write_same, .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	/* STARTING LOGICAL BLOCK ADDRESS, ALLOCATION LENGTH; no REPORT TYPE. */
	{.name = "GET LBA STATUS", .opcode = 0x9e, .has_sa = true, .sa = 0x12, .cdb_len = 16,
	 .usage = {0x9e, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, 0xff, 0xff, 0x00, 0x00},
	 .fn = tcmud_sbc_get_lba_status},
	/* Variable length: CONTROL in byte 1, the service action in bytes 8-9. */
	{.name = "WRITE SAME(32)", .opcode = OP_VARIABLE_LENGTH, .has_sa = true,
	 .sa = SA_WRITE_SAME32, .cdb_len = 32,
	 .usage = {OP_VARIABLE_LENGTH, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x18,
		   0x00, SA_WRITE_SAME32, 0xf9, 0x00, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	 .fn = sbc_write_same, .recommended_timeout = RECOMMENDED_TIMEOUT_MEDIUM},
	{0},
};
