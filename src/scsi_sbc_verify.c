/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VERIFY and WRITE AND VERIFY (10/12/16/32), and the table of the verify
 * family (COMPARE AND WRITE, ORWRITE and WRITE ATOMIC are in scsi_sbc_caw.c).
 *
 * BYTCHK (SBC-4): 00b checks the medium (stored PI per VRPROTECT), no data
 * is transferred; 01b compares the Data-Out Buffer with the medium; 11b
 * (VERIFY only) compares one block of Data-Out with every block of the
 * range; 10b is reserved. A miscompare is MISCOMPARE / MISCOMPARE DURING
 * VERIFY OPERATION with the Data-Out offset of the first differing byte in
 * INFORMATION, as COMPARE AND WRITE reports it. Unmapped blocks compare as
 * what they read as (the Block Device Characteristics VBULS behaviour).
 */
#include "scsi_sbc_verify.h"

#define BYTCHK_NONE 0
#define BYTCHK_COMPARE 1
#define BYTCHK_RESERVED 2
#define BYTCHK_SAME 3
#define BYTCHK_BIT 2 /* the field's most significant bit, for field pointers */

static uint8_t bytchk_of(const struct tcmud_cmd *cmd, const struct tcmud_xfer *x)
{
	return (cmd->cdb[x->flags_byte] >> 1) & 3;
}

/* Check the stored blocks of x (and their PI as the PROTECT field asks). */
static int verify_medium(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			 const struct tcmud_xfer *x)
{
	/* No buffer: the data path reads through its own scratch, in chunks. */
	struct tcmud_blocks b = tcmud_xfer_blocks(x, 0, x->nr_blocks, NULL, 0, 0);

	return tcmud_sbc_verify_blocks(dev, cmd, &b);
}

/* Compare every block of x on the medium with the data of Data-Out block 0. */
static int compare_same(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			const struct tcmud_xfer *x, const uint8_t *want)
{
	uint32_t bs = dev->hdev.block_size;
	uint64_t per = tcmud_xfer_per_block(dev, x);
	uint32_t chunk = tcmud_xfer_chunk(per);

	for (uint32_t done = 0; done < x->nr_blocks;) {
		uint32_t nr = x->nr_blocks - done < chunk ? x->nr_blocks - done : chunk;
		int st;
		const uint8_t *buf = tcmud_xfer_read_chunk(dev, cmd, x, done, nr, &st);

		if (!buf)
			return st;
		for (uint32_t i = 0; i < nr; i++) {
			size_t d = tcmud_first_diff(buf + i * per, want, bs);

			/* The offset in the Data-Out Buffer the one block stands for. */
			if (d < bs)
				return tcmud_xfer_miscompare(cmd, (done + i) * per + d);
		}
		done += nr;
	}
	return TCMUD_STATUS_GOOD;
}

/* BYTCHK 11b: one block of Data-Out (with its tuple when VRPROTECT != 0). */
static int verify_same(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		       const struct tcmud_xfer *x)
{
	uint32_t bs = dev->hdev.block_size;
	uint8_t *want;
	int st = tcmud_sbc_check_buffer(cmd, 0, tcmud_xfer_per_block(dev, x));

	if (st)
		return st;
	/* Its tuple is the first block's: the reference tag counts from there. */
	st = tcmud_xfer_check_pi(dev, cmd, x, 0, 1, 0);
	if (st)
		return st;
	want = tcmud_scratch(dev, TCMUD_SCRATCH_DATA2, bs);
	if (!want)
		return tcmud_scsi_internal_failure(cmd);
	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, 0, want, bs);
	return compare_same(dev, cmd, x, want);
}

/* BYTCHK 01b: the whole range of Data-Out against the medium. */
static int verify_compare(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			  const struct tcmud_xfer *x)
{
	uint64_t bytes = (uint64_t)x->nr_blocks * tcmud_xfer_per_block(dev, x);
	int st = tcmud_sbc_check_buffer(cmd, 0, bytes);

	if (!st)
		st = tcmud_xfer_check_pi(dev, cmd, x, 0, x->nr_blocks, 0);
	if (!st)
		st = tcmud_xfer_compare(dev, cmd, x, 0);
	return st;
}

static int sbc_verify(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct tcmud_xfer x;
	uint8_t bytchk;
	int st;

	st = tcmud_xfer_begin(dev, cmd, &x);
	if (st)
		return st;
	bytchk = bytchk_of(cmd, &x);
	if (bytchk == BYTCHK_RESERVED)
		return tcmud_scsi_invalid_field(cmd, x.flags_byte, BYTCHK_BIT);
	/* Checked even for a verification length of 0, as for READ. */
	st = tcmud_sbc_check_range(dev, cmd, x.lba, x.nr_blocks);
	if (st)
		return st;
	if (x.nr_blocks == 0)
		return tcmud_scsi_no_data(cmd);
	if (bytchk == BYTCHK_COMPARE)
		st = verify_compare(dev, cmd, &x);
	else if (bytchk == BYTCHK_SAME)
		st = verify_same(dev, cmd, &x);
	else
		st = verify_medium(dev, cmd, &x);
	return st ? st : TCMUD_STATUS_GOOD;
}

static int sbc_write_verify(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct tcmud_xfer x;
	struct tcmud_blocks b;
	uint8_t bytchk;
	int st;

	st = tcmud_xfer_begin(dev, cmd, &x);
	if (st)
		return st;
	/* Only 00b and 01b are defined for WRITE AND VERIFY. */
	bytchk = bytchk_of(cmd, &x);
	if (bytchk > BYTCHK_COMPARE)
		return tcmud_scsi_invalid_field(cmd, x.flags_byte, BYTCHK_BIT);
	st = tcmud_sbc_check_range(dev, cmd, x.lba, x.nr_blocks);
	if (!st)
		st = tcmud_sbc_check_writable(dev, cmd);
	if (st)
		return st;
	if (x.nr_blocks == 0)
		return tcmud_scsi_no_data(cmd);
	st = tcmud_sbc_check_buffer(cmd, 0, (uint64_t)x.nr_blocks * tcmud_xfer_per_block(dev, &x));
	if (st)
		return st;
	b = tcmud_xfer_blocks(&x, 0, x.nr_blocks, cmd->iov, cmd->iov_cnt, 0);
	st = tcmud_sbc_write_blocks(dev, cmd, &b);
	if (st)
		return st;
	/* The verify: what the write stored, checked as WRPROTECT asks of a
	 * verify, then (BYTCHK 01b) compared with what was sent. */
	st = bytchk == BYTCHK_COMPARE ? tcmud_xfer_compare(dev, cmd, &x, 0)
				      : verify_medium(dev, cmd, &x);
	return st ? st : TCMUD_STATUS_GOOD;
}

/*
 * The table. Byte 1 (byte 10 of the 32-byte forms): PROTECT (7-5), DPO (4),
 * FUA (3, not in VERIFY and WRITE AND VERIFY), BYTCHK (2-1, VERIFY and WRITE
 * AND VERIFY). COMPARE AND WRITE and ORWRITE also take bit 1, obsolete
 * (FUA_NV), still set by initiators and ignored, as WRITE does; bit 0
 * (obsolete RELADR, or reserved) is refused everywhere. GROUP NUMBER: bits
 * 5-0; bit 7 of that byte is MMC's.
 * WRITE AND VERIFY's BYTCHK values 10b/11b and VERIFY's 10b are refused by
 * the functions, as are the values of fields the device does not support
 * (BMOP, ATOMIC BOUNDARY).
 */
#define LBA4 0xff, 0xff, 0xff, 0xff
#define LBA8 LBA4, LBA4
#define PI_TAGS LBA4, 0xff, 0xff, 0xff, 0xff /* ref tag, app tag, app tag mask */
#define HDR32 TCMUD_OP_VARIABLE_LENGTH, 0x00 /* opcode, CONTROL */
#define SA32(sa) 0xff, (uint8_t)((sa) >> 8), (uint8_t)(sa)

const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_verify[] = {
	{.name = "WRITE AND VERIFY(10)", .opcode = 0x2e, .cdb_len = 10,
	 .usage = {0x2e, 0xf6, LBA4, 0x3f, 0xff, 0xff, 0x00}, .fn = sbc_write_verify},
	{.name = "VERIFY(10)", .opcode = 0x2f, .cdb_len = 10,
	 .usage = {0x2f, 0xf6, LBA4, 0x3f, 0xff, 0xff, 0x00}, .fn = sbc_verify},
	{.name = "COMPARE AND WRITE", .opcode = 0x89, .cdb_len = 16,
	 .usage = {0x89, 0xfa, LBA8, 0x00, 0x00, 0x00, 0xff, 0x3f, 0x00},
	 .fn = tcmud_sbc_compare_and_write},
	{.name = "ORWRITE(16)", .opcode = 0x8b, .cdb_len = 16,
	 .usage = {0x8b, 0xfa, LBA8, LBA4, 0x3f, 0x00}, .fn = tcmud_sbc_orwrite},
	{.name = "WRITE AND VERIFY(16)", .opcode = 0x8e, .cdb_len = 16,
	 .usage = {0x8e, 0xf6, LBA8, LBA4, 0x3f, 0x00}, .fn = sbc_write_verify},
	{.name = "VERIFY(16)", .opcode = 0x8f, .cdb_len = 16,
	 .usage = {0x8f, 0xf6, LBA8, LBA4, 0x3f, 0x00}, .fn = sbc_verify},
	{.name = "WRITE ATOMIC(16)", .opcode = 0x9c, .cdb_len = 16,
	 /* bytes 10-11 ATOMIC BOUNDARY, 12-13 TRANSFER LENGTH */
	 .usage = {0x9c, 0xf8, LBA8, 0xff, 0xff, 0xff, 0xff, 0x3f, 0x00},
	 .fn = tcmud_sbc_write_atomic},
	{.name = "WRITE AND VERIFY(12)", .opcode = 0xae, .cdb_len = 12,
	 .usage = {0xae, 0xf6, LBA4, LBA4, 0x3f, 0x00}, .fn = sbc_write_verify},
	{.name = "VERIFY(12)", .opcode = 0xaf, .cdb_len = 12,
	 .usage = {0xaf, 0xf6, LBA4, LBA4, 0x3f, 0x00}, .fn = sbc_verify},
	/* 32-byte forms, served only with type 2 protection: byte 6 GROUP
	 * NUMBER, 7 ADDITIONAL CDB LENGTH, 8-9 SERVICE ACTION, 12-19 LBA, 28-31
	 * the length. */
	{.name = "VERIFY(32)", .opcode = 0x7f, .has_sa = true, .sa = 0x000a, .cdb_len = 32,
	 .usage = {HDR32, 0x00, 0x00, 0x00, 0x00, 0x3f, SA32(0x000a), 0xf6, 0x00, LBA8,
		   PI_TAGS, LBA4},
	 .fn = sbc_verify},
	{.name = "WRITE AND VERIFY(32)", .opcode = 0x7f, .has_sa = true, .sa = 0x000c,
	 .cdb_len = 32,
	 .usage = {HDR32, 0x00, 0x00, 0x00, 0x00, 0x3f, SA32(0x000c), 0xf6, 0x00, LBA8,
		   PI_TAGS, LBA4},
	 .fn = sbc_write_verify},
	/* Byte 2 BMOP (2-0), byte 3 PREVIOUS GENERATION PROCESSING (3-0), 20-23
	 * EXPECTED ORWGENERATION, 24-27 NEW ORWGENERATION. */
	{.name = "ORWRITE(32)", .opcode = 0x7f, .has_sa = true, .sa = 0x000e, .cdb_len = 32,
	 .usage = {HDR32, 0x07, 0x0f, 0x00, 0x00, 0x3f, SA32(0x000e), 0xfa, 0x00, LBA8,
		   LBA4, LBA4, LBA4},
	 .fn = tcmud_sbc_orwrite},
	/* Bytes 4-5 ATOMIC BOUNDARY. */
	{.name = "WRITE ATOMIC(32)", .opcode = 0x7f, .has_sa = true, .sa = 0x000f, .cdb_len = 32,
	 .usage = {HDR32, 0x00, 0x00, 0xff, 0xff, 0x3f, SA32(0x000f), 0xf8, 0x00, LBA8,
		   PI_TAGS, LBA4},
	 .fn = tcmud_sbc_write_atomic},
	{0},
};
