/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COMPARE AND WRITE, ORWRITE (16/32) and WRITE ATOMIC (16/32): the writes
 * that depend on what is stored or must land whole. Each runs under the
 * device's lock (tcmud_scsi_execute), so no other command of the device,
 * from any thread or transport, sees or changes its blocks half way.
 */
#include "scsi_sbc_verify.h"
#include "scsi_vpd.h"

#define CAW_NUMBER_BYTE 13
#define ORWRITE32_BMOP_BYTE 2
#define BMOP_OR 0

/* ---- COMPARE AND WRITE ------------------------------------------------- */

/*
 * The Data-Out Buffer must hold exactly the compare blocks followed by the
 * write blocks. Too short is the transport's mismatch (as for any write);
 * too long means NUMBER OF LOGICAL BLOCKS does not say what the initiator
 * meant (e.g. a length truncated to 8 bits), and guessing where the write
 * half starts would write the wrong data: refused as a field of the CDB.
 */
static int caw_check_buffer(struct tcmud_cmd *cmd, uint64_t bytes)
{
	if (cmd->data_len > bytes)
		return tcmud_scsi_invalid_field(cmd, CAW_NUMBER_BYTE, -1);
	return tcmud_sbc_check_buffer(cmd, 0, bytes);
}

int tcmud_sbc_compare_and_write(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct tcmud_xfer x;
	struct tcmud_blocks b;
	uint64_t half;
	int st;

	st = tcmud_xfer_begin(dev, cmd, &x);
	if (st)
		return st;
	if (x.nr_blocks > TCMUD_MAX_COMPARE_WRITE_LEN)
		return tcmud_scsi_invalid_field(cmd, CAW_NUMBER_BYTE, -1);
	st = tcmud_sbc_check_range(dev, cmd, x.lba, x.nr_blocks);
	if (!st)
		st = tcmud_sbc_check_writable(dev, cmd);
	if (st)
		return st;
	half = (uint64_t)x.nr_blocks * tcmud_xfer_per_block(dev, &x);
	st = caw_check_buffer(cmd, 2 * half);
	if (st)
		return st;
	/* 0 blocks: nothing read, compared or written, and not an error. */
	if (x.nr_blocks == 0)
		return tcmud_scsi_no_data(cmd);
	/* The compare half's PI here; the write half's is checked before it is
	 * written. On a miscompare nothing is written. */
	st = tcmud_xfer_check_pi(dev, cmd, &x, 0, x.nr_blocks, 0);
	if (!st)
		st = tcmud_xfer_compare(dev, cmd, &x, 0);
	if (st)
		return st;
	b = tcmud_xfer_blocks(&x, 0, x.nr_blocks, cmd->iov, cmd->iov_cnt, (size_t)half);
	return tcmud_sbc_write_blocks(dev, cmd, &b);
}

/* ---- ORWRITE ----------------------------------------------------------- */

/*
 * ORWRITE (32) adds to ORWRITE (16) only the ORWgeneration fields, which go
 * with BMOP values other than 000b (the plain OR). Like every 32-byte form
 * here it is served only with type 2 protection (tcmud_scsi_cmd_available),
 * so that one rule says which variable-length CDBs a device serves.
 */
static int orwrite32_check_bmop(struct tcmud_cmd *cmd)
{
	if ((cmd->cdb[ORWRITE32_BMOP_BYTE] & 0x07) != BMOP_OR)
		return tcmud_scsi_invalid_field(cmd, ORWRITE32_BMOP_BYTE, 2);
	return 0;
}

/*
 * OR the Data-Out blocks into the medium, a chunk at a time. The medium is
 * read and written without tuples: the result is new data whose PI is
 * generated as for a WRITE with WRPROTECT 000b (the initiator's tuples
 * protect its operand, not the result, and were checked before).
 */
static int or_into_medium(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			  const struct tcmud_xfer *x)
{
	struct tcmud_xfer plain = *x;
	uint32_t bs = dev->hdev.block_size;
	uint32_t chunk = tcmud_xfer_chunk(bs);
	struct tcmud_iov_cursor cur;

	plain.protect = 0;
	tcmud_cursor_init(&cur, cmd->iov, cmd->iov_cnt, 0);
	for (uint32_t done = 0; done < x->nr_blocks;) {
		uint32_t nr = x->nr_blocks - done < chunk ? x->nr_blocks - done : chunk;
		int st;
		uint8_t *buf = tcmud_xfer_read_chunk(dev, cmd, &plain, done, nr, &st);
		struct iovec iov = {buf, (size_t)nr * bs};
		struct tcmud_blocks b = tcmud_xfer_blocks(&plain, done, nr, &iov, 1, 0);

		if (!buf)
			return st;
		for (uint32_t i = 0; i < nr; i++) {
			tcmud_cursor_or(&cur, buf + (size_t)i * bs, bs);
			if (x->protect)
				tcmud_cursor_skip(&cur, TCMUD_PI_TUPLE_SIZE);
		}
		st = tcmud_sbc_write_blocks(dev, cmd, &b);
		if (st)
			return st;
		done += nr;
	}
	return TCMUD_STATUS_GOOD;
}

int tcmud_sbc_orwrite(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct tcmud_xfer x;
	int st;

	st = tcmud_xfer_begin(dev, cmd, &x);
	if (!st && cmd->cdb[0] == TCMUD_OP_VARIABLE_LENGTH)
		st = orwrite32_check_bmop(cmd);
	if (st)
		return st;
	st = tcmud_sbc_check_range(dev, cmd, x.lba, x.nr_blocks);
	if (!st)
		st = tcmud_sbc_check_writable(dev, cmd);
	if (st)
		return st;
	if (x.nr_blocks == 0)
		return tcmud_scsi_no_data(cmd);
	st = tcmud_sbc_check_buffer(cmd, 0, (uint64_t)x.nr_blocks * tcmud_xfer_per_block(dev, &x));
	/* All of the initiator's PI before the first block changes. */
	if (!st)
		st = tcmud_xfer_check_pi(dev, cmd, &x, 0, x.nr_blocks, 0);
	if (!st)
		st = or_into_medium(dev, cmd, &x);
	return st;
}

/* ---- WRITE ATOMIC ------------------------------------------------------ */

/*
 * The atomic limits Block Limits reports (the maximum never exceeds the
 * MAXIMUM TRANSFER LENGTH); the fields are bytes of (16) or (32).
 */
static int atomic_check_limits(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			       const struct tcmud_xfer *x)
{
	bool cdb32 = cmd->cdb[0] == TCMUD_OP_VARIABLE_LENGTH;
	unsigned int boundary_byte = cdb32 ? 4 : 10;
	unsigned int length_byte = cdb32 ? 28 : 12;
	unsigned int lba_byte = cdb32 ? 12 : 2;

	/* MAXIMUM ATOMIC BOUNDARY SIZE is 0: a write is atomic as a whole. */
	if (get_be16(&cmd->cdb[boundary_byte]))
		return tcmud_scsi_invalid_field(cmd, boundary_byte, -1);
	if (x->nr_blocks > tcmud_vpd_max_atomic_len(dev) || x->nr_blocks % TCMUD_ATOMIC_GRANULARITY)
		return tcmud_scsi_invalid_field(cmd, length_byte, -1);
	if (x->lba % TCMUD_ATOMIC_ALIGNMENT)
		return tcmud_scsi_invalid_field(cmd, lba_byte, -1);
	return 0;
}

/*
 * All or nothing: every check (range, protection, the whole buffer's PI)
 * happens before the one handler write, and nothing else of the device runs
 * meanwhile.
 */
int tcmud_sbc_write_atomic(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct tcmud_xfer x;
	struct tcmud_blocks b;
	int st;

	st = tcmud_xfer_begin(dev, cmd, &x);
	/* The range before the limits: a write past the end is LBA OUT OF RANGE
	 * whatever its length (libiscsi's WriteAtomic16.BeyondEol relies on it). */
	if (!st)
		st = tcmud_sbc_check_range(dev, cmd, x.lba, x.nr_blocks);
	if (!st)
		st = atomic_check_limits(dev, cmd, &x);
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
	return tcmud_sbc_write_blocks(dev, cmd, &b);
}
