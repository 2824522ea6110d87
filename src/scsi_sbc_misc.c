/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PRE-FETCH(10)/(16), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL and
 * READ DEFECT DATA(10)/(12) for a non-removable RAM medium.
 */
#include <string.h>

#include "scsi_internal.h"

/* ---- PRE-FETCH --------------------------------------------------------- */

/*
 * The medium is RAM: there is no cache apart from it for blocks to be
 * brought into. SBC-4 answers a PRE-FETCH whose blocks do not fit in the
 * cache with GOOD (CONDITION MET only when all of them were placed in the
 * cache), IMMED or not; a cache of no capacity never holds them.
 */
static int sbc_prefetch(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool sixteen = cdb[0] == 0x90;
	uint64_t lba = sixteen ? get_be64(&cdb[2]) : get_be32(&cdb[2]);
	uint32_t nr = sixteen ? get_be32(&cdb[10]) : get_be16(&cdb[7]);
	int st;

	/* PREFETCH LENGTH 0: from lba to the last LBA, so lba must exist. */
	if (nr == 0 && lba >= dev->hdev.num_lbas)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_LBA_OUT_OF_RANGE);
	st = tcmud_sbc_check_range(dev, cmd, lba, nr);
	if (st)
		return st;
	return tcmud_scsi_no_data(cmd);
}

/* ---- START STOP UNIT --------------------------------------------------- */

#define SSU_START 0x01
#define SSU_LOEJ 0x02
#define SSU_NO_FLUSH 0x04

/* POWER CONDITION values (SBC-4) and the largest modifier each allows. */
static int max_pc_modifier(uint8_t pc)
{
	switch (pc) {
	case 0x0: /* START_VALID */
	case 0x1: /* ACTIVE */
	case 0x7: /* LU_CONTROL */
		return 0;
	case 0x2: /* IDLE: IDLE_A, IDLE_B, IDLE_C */
	case 0xa: /* FORCE_IDLE_0 */
		return 2;
	case 0x3: /* STANDBY: STANDBY_Z, STANDBY_Y */
	case 0xb: /* FORCE_STANDBY_0 */
		return 1;
	default:  /* reserved or obsolete */
		return -1;
	}
}

/*
 * A RAM medium has one power condition, active, and is always spinning:
 * the power conditions are accepted and change nothing. The unit has no
 * stopped state either: START=0 writes back the cache (unless NO_FLUSH) and
 * the medium stays ready. The medium is not removable, so it cannot be
 * ejected (LOEJ=1 with START=0); loading it is a no-op.
 */
static int sbc_start_stop(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t b4 = cmd->cdb[4];
	uint8_t pc = b4 >> 4;
	int max = max_pc_modifier(pc);

	if (max < 0)
		return tcmud_scsi_invalid_field(cmd, 4, 7);
	if ((cmd->cdb[3] & 0x0f) > max)
		return tcmud_scsi_invalid_field(cmd, 3, 3);
	if (pc != 0) /* START and LOEJ are ignored */
		return tcmud_scsi_no_data(cmd);
	if ((b4 & SSU_LOEJ) && !(b4 & SSU_START))
		return tcmud_scsi_invalid_field(cmd, 4, 1);
	if (!(b4 & SSU_START) && !(b4 & SSU_NO_FLUSH) && dev->handler &&
	    dev->handler->flush) {
		int st = tcmud_handler_status(cmd, dev->handler->flush(&dev->hdev, cmd));

		if (st != TCMUD_STATUS_GOOD)
			return st;
	}
	return tcmud_scsi_no_data(cmd);
}

/* ---- PREVENT ALLOW MEDIUM REMOVAL -------------------------------------- */

/* Nothing can be removed from a non-removable medium: PREVENT 00b and 01b
 * are accepted (10b and 11b are obsolete and refused by dispatch). */
static int sbc_prevent_allow(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	(void)dev;
	return tcmud_scsi_no_data(cmd);
}

/* ---- READ DEFECT DATA -------------------------------------------------- */

#define RDD_LISTS_AND_FORMAT 0x1f  /* REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT */
#define RDD_FORMAT_RESERVED 0x07

/*
 * A RAM medium has no defects: both lists are empty, and empty in any
 * address descriptor format, so the requested format is the one returned
 * and the lists asked for are reported valid (PLISTV/GLISTV).
 */
static int sbc_read_defect_data(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool twelve = cdb[0] == 0xb7;
	unsigned int req_byte = twelve ? 1 : 2;
	uint8_t req = cdb[req_byte] & RDD_LISTS_AND_FORMAT;
	uint32_t alloc = twelve ? get_be32(&cdb[6]) : get_be16(&cdb[7]);
	uint8_t buf[8] = {0};

	(void)dev;
	if ((req & 0x07) == RDD_FORMAT_RESERVED)
		return tcmud_scsi_invalid_field(cmd, req_byte, 2);
	/* Header: byte 1 PLISTV GLISTV FORMAT; (12) bytes 2-3 GENERATION CODE 0
	 * (not supported), 4-7 DEFECT LIST LENGTH; (10) bytes 2-3 the length. */
	buf[1] = req;
	return tcmud_scsi_data_in(cmd, buf, twelve ? 8 : 4, alloc);
}

/* ---- the table --------------------------------------------------------- */

const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_misc[] = {
	/* Byte 1 IMMED; 3 POWER CONDITION MODIFIER; 4 POWER CONDITION, NO_FLUSH, LOEJ, START. */
	{.name = "START STOP UNIT", .opcode = 0x1b, .cdb_len = 6,
	 .usage = {0x1b, 0x01, 0x00, 0x0f, 0xf7, 0x00}, .fn = sbc_start_stop},
	/* Byte 4: PREVENT (bit 1 obsolete). */
	{.name = "PREVENT ALLOW MEDIUM REMOVAL", .opcode = 0x1e, .cdb_len = 6,
	 .usage = {0x1e, 0x00, 0x00, 0x00, 0x01, 0x00}, .fn = sbc_prevent_allow},
	/* Byte 1 IMMED (bit 0 obsolete); 6 GROUP NUMBER; 7-8 PREFETCH LENGTH. */
	{.name = "PRE-FETCH(10)", .opcode = 0x34, .cdb_len = 10,
	 .usage = {0x34, 0x02, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0x00},
	 .fn = sbc_prefetch},
	/* Byte 2: REQ_PLIST REQ_GLIST DEFECT LIST FORMAT; 7-8 ALLOCATION LENGTH. */
	{.name = "READ DEFECT DATA(10)", .opcode = 0x37, .cdb_len = 10,
	 .usage = {0x37, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = sbc_read_defect_data},
	{.name = "PRE-FETCH(16)", .opcode = 0x90, .cdb_len = 16,
	 .usage = {0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, 0xff, 0xff, 0x3f, 0x00},
	 .fn = sbc_prefetch},
	/* Byte 1 as byte 2 of (10); 2-5 ADDRESS DESCRIPTOR INDEX; 6-9 ALLOCATION LENGTH. */
	{.name = "READ DEFECT DATA(12)", .opcode = 0xb7, .cdb_len = 12,
	 .usage = {0xb7, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00},
	 .fn = sbc_read_defect_data},
	{0},
};
