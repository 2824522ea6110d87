/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SBC commands: READ CAPACITY(10)/(16), READ and WRITE 6/10/12/16/32,
 * SYNCHRONIZE CACHE(10)/(16). Everything is checked here (protection
 * fields, LBA range, buffer size) before the handler sees a request.
 */
#include "scsi_internal.h"
#include "scsi_pi.h"

static uint64_t last_lba(const struct tcmud_hdev *h)
{
	return h->num_lbas ? h->num_lbas - 1 : 0;
}

/* ---- READ CAPACITY ----------------------------------------------------- */

/*
 * PMI 0 with a non-zero LOGICAL BLOCK ADDRESS: SBC-2 requires INVALID FIELD
 * IN CDB. Both fields are obsolete since SBC-3, but initiators that still
 * set them expect the old answer (the kernel's target does the same).
 */
static int check_pmi(struct tcmud_cmd *cmd, unsigned int lba_byte, unsigned int lba_len,
		     unsigned int pmi_byte)
{
	if (cmd->cdb[pmi_byte] & 0x01)
		return 0;
	for (unsigned int i = lba_byte; i < lba_byte + lba_len; i++)
		if (cmd->cdb[i])
			return tcmud_scsi_invalid_field(cmd, lba_byte, -1);
	return 0;
}

static int tcmud_sbc_read_capacity10(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint64_t last = last_lba(&dev->hdev);
	uint8_t buf[8];
	int st = check_pmi(cmd, 2, 4, 8);

	if (st)
		return st;
	/* 0xFFFFFFFF tells the initiator to use READ CAPACITY(16). */
	put_be32(&buf[0], last > UINT32_MAX ? UINT32_MAX : (uint32_t)last);
	put_be32(&buf[4], dev->hdev.block_size);
	return tcmud_scsi_data_in(cmd, buf, sizeof(buf), sizeof(buf));
}

#define RC16_PROT_EN 0x01
#define RC16_LBPME 0x80
#define RC16_LBPRZ 0x40

static int tcmud_sbc_read_capacity16(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const struct tcmud_hdev *h = &dev->hdev;
	uint8_t buf[32] = {0};
	int st = check_pmi(cmd, 2, 8, 14);

	if (st)
		return st;
	put_be64(&buf[0], last_lba(h));
	put_be32(&buf[8], h->block_size);
	/* Byte 12: P_TYPE (3-1, the type minus one) and PROT_EN. Byte 13:
	 * P_I_EXPONENT and LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, both 0. */
	if (h->pi_type)
		buf[12] = (uint8_t)((h->pi_type - 1) << 1 | RC16_PROT_EN);
	/* Byte 14: LBPME with thin provisioning and then LBPRZ when unmapped
	 * blocks read as zeros (a fully provisioned device has no unmapped
	 * blocks to describe); LOWEST ALIGNED LOGICAL BLOCK ADDRESS 0. */
	if (dev->handler && dev->handler->unmap) {
		buf[14] |= RC16_LBPME;
		if (h->unmap_zeroes)
			buf[14] |= RC16_LBPRZ;
	}
	return tcmud_scsi_data_in(cmd, buf, sizeof(buf), get_be32(&cmd->cdb[10]));
}

/* ---- READ / WRITE ------------------------------------------------------ */

#define OP_VARIABLE_LENGTH 0x7f

/* Byte and bit of the RDPROTECT/WRPROTECT field: byte 1 bits 7-5, or byte 10 of a 32-byte CDB. */
static unsigned int protect_byte(const struct tcmud_cmd *cmd)
{
	return cmd->cdb[0] == OP_VARIABLE_LENGTH ? 10 : 1;
}

/*
 * A READ whose buffer is shorter than its CDB asks for: the initiator's
 * expected transfer length was smaller, and the kernel, which passed the
 * short buffer, reports the overflow residual itself. Fill the buffer (as
 * the kernel's own backends do): whole blocks directly, a last partial block
 * through a scratch copy.
 */
static int read_overflow(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			 struct tcmud_blocks *b)
{
	uint64_t per = tcmud_buffer_block_bytes(dev, b->protect);
	uint32_t whole = (uint32_t)(cmd->data_len / per);
	size_t rest = (size_t)(cmd->data_len % per);
	struct tcmud_blocks tail;
	struct iovec one;
	uint8_t *tmp;
	int st;

	b->nr_blocks = whole;
	st = whole ? tcmud_sbc_read_blocks(dev, cmd, b) : TCMUD_STATUS_GOOD;
	if (st || rest == 0)
		return st;
	tmp = tcmud_scratch(dev, TCMUD_SCRATCH_DATA, (size_t)per);
	if (!tmp)
		return tcmud_scsi_internal_failure(cmd);
	one = (struct iovec){tmp, (size_t)per};
	tail = *b;
	tail.lba = b->lba + whole;
	tail.nr_blocks = 1;
	tail.iov = &one;
	tail.iov_cnt = 1;
	tail.off = 0;
	tail.exp_ref_tag += whole; /* type 2: the tag of the block read */
	st = tcmud_sbc_read_blocks(dev, cmd, &tail);
	if (st == TCMUD_STATUS_GOOD)
		tcmud_iov_from_buf(cmd->iov, cmd->iov_cnt, (size_t)(whole * per), tmp, rest);
	return st;
}

static int sbc_rw(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, bool write)
{
	struct tcmud_cdb_rw rw;
	struct tcmud_blocks b;
	uint64_t bytes;
	int st;

	if (tcmud_cdb_decode_rw(cmd->cdb, cmd->cdb_len, &rw) < 0)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	st = tcmud_sbc_check_protect(dev, cmd, rw.protect, protect_byte(cmd), 7);
	if (st)
		return st;
	/* Checked even for a zero transfer length, as the kernel does. */
	st = tcmud_sbc_check_range(dev, cmd, rw.lba, rw.nr_blocks);
	if (st)
		return st;
	if (write && (st = tcmud_sbc_check_writable(dev, cmd)))
		return st;
	b = (struct tcmud_blocks){.lba = rw.lba, .nr_blocks = rw.nr_blocks, .iov = cmd->iov,
				  .iov_cnt = cmd->iov_cnt, .protect = rw.protect,
				  .fua = rw.fua, .dpo = rw.dpo};
	tcmud_cdb_decode_pi_tags(cmd->cdb, cmd->cdb_len, &b);
	bytes = tcmud_blocks_buffer_bytes(dev, &b);
	if (bytes == 0)
		return tcmud_scsi_no_data(cmd);
	if (!write && bytes > cmd->data_len)
		return read_overflow(dev, cmd, &b);
	st = tcmud_sbc_check_buffer(cmd, 0, bytes);
	if (st)
		return st;
	if (write)
		return tcmud_sbc_write_blocks(dev, cmd, &b);
	st = tcmud_sbc_read_blocks(dev, cmd, &b);
	if (st == TCMUD_STATUS_GOOD)
		tcmud_set_read_len(cmd, bytes);
	return st;
}

static int tcmud_sbc_read(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	return sbc_rw(dev, cmd, false);
}

static int tcmud_sbc_write(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	return sbc_rw(dev, cmd, true);
}

/* ---- SYNCHRONIZE CACHE ------------------------------------------------- */

static int tcmud_sbc_sync_cache(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool sixteen = cdb[0] == 0x91;
	uint64_t lba = sixteen ? get_be64(&cdb[2]) : get_be32(&cdb[2]);
	uint32_t nr = sixteen ? get_be32(&cdb[10]) : get_be16(&cdb[7]);

	/* NUMBER OF LOGICAL BLOCKS 0 means "to the end of the medium". */
	int st = tcmud_sbc_check_range(dev, cmd, lba, nr);

	if (st)
		return st;
	if (dev->handler && dev->handler->flush) {
		st = tcmud_handler_status(cmd, dev->handler->flush(&dev->hdev, cmd));
		if (st != TCMUD_STATUS_GOOD)
			return st;
	}
	return tcmud_scsi_no_data(cmd);
}

/* ---- the table --------------------------------------------------------- */

/*
 * Byte 1 of READ 10/12/16: RDPROTECT (7-5), DPO (4), FUA (3), RARC (2), and
 * bit 1, obsolete (FUA_NV), still set by initiators and ignored: all used.
 * Bit 0 (obsolete, once RELADR / linked commands) is refused. WRITE: bit 2 is
 * reserved. Group number: bits 5-0 of its byte.
 */
#define RD_FLAGS 0xfe
#define WR_FLAGS 0xfa
#define GROUP 0x3f

/* 32-byte CDB: CONTROL in byte 1, ADDITIONAL CDB LENGTH in 7, the service
 * action (literally, as REPORT SUPPORTED OPERATION CODES reports it) in 8-9,
 * flags in 10, LBA 12-19, expected tags 20-27, transfer length 28-31. */
#define RW32_USAGE(sa, flags)                                                        \
	{OP_VARIABLE_LENGTH, 0x00, 0x00, 0x00, 0x00, 0x00, GROUP, 0xff, 0x00, (sa), (flags), \
	 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,       \
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_rw[] = {
	{.name = "READ(6)", .opcode = 0x08, .cdb_len = 6,
	 .usage = {0x08, 0x1f, 0xff, 0xff, 0xff, 0x00}, .fn = tcmud_sbc_read},
	{.name = "WRITE(6)", .opcode = 0x0a, .cdb_len = 6,
	 .usage = {0x0a, 0x1f, 0xff, 0xff, 0xff, 0x00}, .fn = tcmud_sbc_write},
	{.name = "READ CAPACITY(10)", .opcode = 0x25, .cdb_len = 10,
	 .usage = {0x25, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00},
	 .fn = tcmud_sbc_read_capacity10},
	{.name = "READ(10)", .opcode = 0x28, .cdb_len = 10,
	 .usage = {0x28, RD_FLAGS, 0xff, 0xff, 0xff, 0xff, GROUP, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_read},
	{.name = "WRITE(10)", .opcode = 0x2a, .cdb_len = 10,
	 .usage = {0x2a, WR_FLAGS, 0xff, 0xff, 0xff, 0xff, GROUP, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_write},
	{.name = "SYNCHRONIZE CACHE(10)", .opcode = 0x35, .cdb_len = 10,
	 .usage = {0x35, 0x02, 0xff, 0xff, 0xff, 0xff, GROUP, 0xff, 0xff, 0x00},
	 .fn = tcmud_sbc_sync_cache},
	{.name = "READ(32)", .opcode = OP_VARIABLE_LENGTH, .has_sa = true, .sa = 0x0009,
	 .cdb_len = 32, .usage = RW32_USAGE(0x09, RD_FLAGS), .fn = tcmud_sbc_read},
	{.name = "WRITE(32)", .opcode = OP_VARIABLE_LENGTH, .has_sa = true, .sa = 0x000b,
	 .cdb_len = 32, .usage = RW32_USAGE(0x0b, WR_FLAGS), .fn = tcmud_sbc_write},
	{.name = "READ(16)", .opcode = 0x88, .cdb_len = 16,
	 .usage = {0x88, RD_FLAGS, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, GROUP, 0x00},
	 .fn = tcmud_sbc_read},
	{.name = "WRITE(16)", .opcode = 0x8a, .cdb_len = 16,
	 .usage = {0x8a, WR_FLAGS, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, GROUP, 0x00},
	 .fn = tcmud_sbc_write},
	{.name = "SYNCHRONIZE CACHE(16)", .opcode = 0x91, .cdb_len = 16,
	 .usage = {0x91, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, GROUP, 0x00},
	 .fn = tcmud_sbc_sync_cache},
	/* The service action in byte 1 literally, like the 32-byte CDBs' (SPC-4). */
	{.name = "READ CAPACITY(16)", .opcode = 0x9e, .has_sa = true, .sa = 0x10,
	 .cdb_len = 16,
	 .usage = {0x9e, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0xff, 0xff, 0x01, 0x00},
	 .fn = tcmud_sbc_read_capacity16},
	{.name = "READ(12)", .opcode = 0xa8, .cdb_len = 12,
	 .usage = {0xa8, RD_FLAGS, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, GROUP, 0x00},
	 .fn = tcmud_sbc_read},
	{.name = "WRITE(12)", .opcode = 0xaa, .cdb_len = 12,
	 .usage = {0xaa, WR_FLAGS, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, GROUP, 0x00},
	 .fn = tcmud_sbc_write},
	{0},
};
