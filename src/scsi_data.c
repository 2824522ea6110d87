/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data path: the one way SBC commands move blocks between the handler
 * and a buffer, and the checks every data command shares (LBA range, write
 * protection, buffer size, PROTECT fields). On a device with protection
 * information it generates and checks tuples as scsi_pi.h describes; without
 * PI a transfer is a window into the buffer, zero copy, with no per-block work.
 */
#include "scsi_internal.h"
#include "scsi_pi.h"

#define OP_VARIABLE_LENGTH 0x7f

int tcmud_handler_status(struct tcmud_cmd *cmd, int st)
{
	/* A handler's status must be a SAM status; anything else is our failure. */
	if (st < 0 || st > 0xff)
		return tcmud_scsi_internal_failure(cmd);
	return st;
}

void tcmud_set_read_len(struct tcmud_cmd *cmd, uint64_t bytes)
{
	/* Bytes past a Data-In transfer are stale data-area contents. */
	if (bytes < cmd->data_len) {
		cmd->read_len_valid = true;
		cmd->read_len = bytes;
	}
}

int tcmud_sbc_check_range(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
			  uint64_t nr)
{
	if (tcmud_sbc_range_fits(dev, lba, nr))
		return 0;
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_LBA_OUT_OF_RANGE);
}

int tcmud_sbc_check_writable(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	if (dev->hdev.read_only)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_DATA_PROTECT,
						 TCMUD_ASC_WRITE_PROTECTED);
	if (dev->mode.swp)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_DATA_PROTECT,
						 TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	return 0;
}

int tcmud_sbc_check_buffer(struct tcmud_cmd *cmd, uint64_t off, uint64_t bytes)
{
	if (off <= cmd->data_len && bytes <= cmd->data_len - off)
		return 0;
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
}

uint64_t tcmud_blocks_buffer_bytes(const struct tcmud_scsi_dev *dev, const struct tcmud_blocks *b)
{
	return (uint64_t)b->nr_blocks * tcmud_buffer_block_bytes(dev, b->protect);
}

int tcmud_sbc_check_protect(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    uint8_t protect, unsigned int byte, int bit)
{
	uint8_t type = dev->hdev.pi_type;
	bool cdb32 = cmd->cdb[0] == OP_VARIABLE_LENGTH;

	/* The 32-byte forms exist only with type 2 protection: dispatch refuses
	 * them elsewhere (tcmud_scsi_cmd_available). */
	if (protect == 0)
		return 0;
	/* Without protection information only 0 is valid; 6 and 7 are reserved. */
	if (!type || protect > 5)
		return tcmud_scsi_invalid_field(cmd, byte, bit);
	/* Type 2 PI travels only with the 32-byte CDBs that carry its tags. */
	if (type == 2 && !cdb32)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	return 0;
}

/* The data of b as it lies in a buffer without PI: a window, zero copy. */
static int flat_window(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		       const struct tcmud_blocks *b, struct tcmud_io *io)
{
	uint64_t bytes = (uint64_t)b->nr_blocks * dev->hdev.block_size;
	size_t cap = tcmud_iov_window_max(b->iov, b->iov_cnt, b->off, bytes);
	struct iovec *win = tcmud_scratch(dev, TCMUD_SCRATCH_IOV, cap * sizeof(*win) + 1);

	if (!win)
		return tcmud_scsi_internal_failure(cmd);
	io->iov = win;
	io->iov_cnt = tcmud_iov_window(b->iov, b->iov_cnt, b->off, bytes, win, cap);
	if (io->iov_cnt == 0)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	return 0;
}

/*
 * Build the handler request for b: the data parts of the buffer (split out
 * of an interleaved one when protect != 0) and, on a device with PI, a tuple
 * buffer, filled from the buffer's tuples when pi_in. 0 or CHECK CONDITION.
 */
static int prepare_io(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		      const struct tcmud_blocks *b, struct tcmud_io *io, bool pi_in)
{
	*io = (struct tcmud_io){.cmd = cmd, .lba = b->lba, .nr_blocks = b->nr_blocks,
				.fua = b->fua, .dpo = b->dpo};
	if (!dev->hdev.pi_type) {
		/* Callers refuse PROTECT on such a device (tcmud_sbc_check_protect). */
		if (b->protect)
			return tcmud_scsi_internal_failure(cmd);
		return flat_window(dev, cmd, b, io);
	}
	io->pi = tcmud_scratch(dev, TCMUD_SCRATCH_PI, (size_t)b->nr_blocks * TCMUD_PI_TUPLE_SIZE);
	if (!io->pi)
		return tcmud_scsi_internal_failure(cmd);
	if (!b->protect)
		return flat_window(dev, cmd, b, io);
	return tcmud_pi_split(dev, cmd, b, TCMUD_SCRATCH_IOV, &io->iov, &io->iov_cnt,
			      pi_in ? io->pi : NULL);
}

int tcmud_sbc_read_blocks(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			  const struct tcmud_blocks *b)
{
	struct tcmud_io io;
	int st;

	if (b->nr_blocks == 0)
		return TCMUD_STATUS_GOOD;
	if (!dev->handler || !dev->handler->read)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	st = prepare_io(dev, cmd, b, &io, false);
	if (st)
		return st;
	st = tcmud_handler_status(cmd, dev->handler->read(&dev->hdev, &io));
	if (st != TCMUD_STATUS_GOOD || !io.pi)
		return st;
	if (b->protect && tcmud_dif_scatter_pi(b->iov, b->iov_cnt, b->off, dev->hdev.block_size,
					       b->nr_blocks, io.pi))
		return tcmud_scsi_internal_failure(cmd);
	return tcmud_pi_verify(dev, cmd, b, 0, io.iov, io.iov_cnt, b->nr_blocks, io.pi,
			       tcmud_pi_checks(dev, b));
}

/* Read and check one chunk of a verify into scratch memory. */
static int verify_chunk(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			const struct tcmud_blocks *b, uint32_t first, uint32_t nr, void *data,
			uint8_t *pi)
{
	struct iovec iov = {data, (size_t)nr * dev->hdev.block_size};
	struct tcmud_io io = {.cmd = cmd, .lba = b->lba + first, .nr_blocks = nr, .iov = &iov,
			      .iov_cnt = 1, .pi = pi, .fua = b->fua, .dpo = b->dpo};
	int st = tcmud_handler_status(cmd, dev->handler->read(&dev->hdev, &io));

	if (st != TCMUD_STATUS_GOOD)
		return st;
	return tcmud_pi_verify(dev, cmd, b, first, &iov, 1, nr, pi, tcmud_pi_checks(dev, b));
}

int tcmud_sbc_verify_blocks(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    const struct tcmud_blocks *b)
{
	uint32_t bs = dev->hdev.block_size;
	uint32_t chunk = bs < TCMUD_CHUNK_BYTES ? TCMUD_CHUNK_BYTES / bs : 1;
	void *data;
	uint8_t *pi;

	/* Without PI there is nothing to check on a RAM medium. */
	if (!dev->hdev.pi_type || b->nr_blocks == 0)
		return TCMUD_STATUS_GOOD;
	if (!dev->handler || !dev->handler->read)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	if (chunk > b->nr_blocks)
		chunk = b->nr_blocks;
	data = tcmud_scratch(dev, TCMUD_SCRATCH_DATA2, (size_t)chunk * bs);
	pi = tcmud_scratch(dev, TCMUD_SCRATCH_PI, (size_t)chunk * TCMUD_PI_TUPLE_SIZE);
	if (!data || !pi)
		return tcmud_scsi_internal_failure(cmd);
	for (uint32_t done = 0; done < b->nr_blocks;) {
		uint32_t nr = b->nr_blocks - done < chunk ? b->nr_blocks - done : chunk;
		int st = verify_chunk(dev, cmd, b, done, nr, data, pi);

		if (st)
			return st;
		done += nr;
	}
	return TCMUD_STATUS_GOOD;
}

int tcmud_sbc_write_blocks(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			   const struct tcmud_blocks *b)
{
	struct tcmud_io io;
	int st = tcmud_sbc_check_writable(dev, cmd);

	if (st || b->nr_blocks == 0)
		return st ? st : TCMUD_STATUS_GOOD;
	if (!dev->handler || !dev->handler->write)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	st = prepare_io(dev, cmd, b, &io, true);
	if (st)
		return st;
	/* The initiator's PI is checked (or ours generated) before anything is written. */
	if (io.pi && b->protect)
		st = tcmud_pi_verify(dev, cmd, b, 0, io.iov, io.iov_cnt, b->nr_blocks, io.pi,
				     tcmud_pi_checks(dev, b));
	else if (io.pi)
		st = tcmud_pi_generate(dev, cmd, b, 0, io.iov, io.iov_cnt, b->nr_blocks, io.pi);
	if (st)
		return st;
	return tcmud_handler_status(cmd, dev->handler->write(&dev->hdev, &io));
}
