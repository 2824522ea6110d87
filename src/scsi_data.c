/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data path: the one way SBC commands move blocks between the handler
 * and a buffer, and the checks every data command shares (LBA range, write
 * protection, buffer size).
 */
#include "scsi_internal.h"

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
	const struct tcmud_hdev *h = &dev->hdev;

	/* Written so that lba + nr cannot overflow. */
	if (lba <= h->num_lbas && nr <= h->num_lbas - lba)
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
	uint64_t per_block = dev->hdev.block_size + (b->protect ? TCMUD_PI_TUPLE_SIZE : 0);

	return (uint64_t)b->nr_blocks * per_block;
}

int tcmud_sbc_check_protect(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    uint8_t protect, unsigned int byte, int bit)
{
	/* Without protection information only 0 is valid (SBC-4 4.22.2). */
	if (protect && !dev->hdev.pi_type)
		return tcmud_scsi_invalid_field(cmd, byte, bit);
	if (protect > 5)
		return tcmud_scsi_invalid_field(cmd, byte, bit);
	return 0;
}

/*
 * Build the handler request for b: the data window of the buffer and, on a
 * device with PI, a tuple buffer. Returns 0 or a CHECK CONDITION status.
 */
static int prepare_io(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		      const struct tcmud_blocks *b, struct tcmud_io *io)
{
	uint64_t bytes = (uint64_t)b->nr_blocks * dev->hdev.block_size;
	size_t cap = tcmud_iov_window_max(b->iov, b->iov_cnt, b->off, bytes);
	struct iovec *win = tcmud_scratch(dev, TCMUD_SCRATCH_IOV, cap * sizeof(*win) + 1);

	*io = (struct tcmud_io){.cmd = cmd, .lba = b->lba, .nr_blocks = b->nr_blocks,
				.fua = b->fua, .dpo = b->dpo};
	if (!win)
		return tcmud_scsi_internal_failure(cmd);
	/* TODO(pi): interleaved buffers (protect != 0) are split here. */
	io->iov = win;
	io->iov_cnt = tcmud_iov_window(b->iov, b->iov_cnt, b->off, bytes, win, cap);
	if (io->iov_cnt == 0)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	if (dev->hdev.pi_type) {
		io->pi = tcmud_scratch(dev, TCMUD_SCRATCH_PI,
				       (size_t)b->nr_blocks * TCMUD_PI_TUPLE_SIZE);
		if (!io->pi)
			return tcmud_scsi_internal_failure(cmd);
	}
	return 0;
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
	st = prepare_io(dev, cmd, b, &io);
	if (st)
		return st;
	return tcmud_handler_status(cmd, dev->handler->read(&dev->hdev, &io));
}

int tcmud_sbc_verify_blocks(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    const struct tcmud_blocks *b)
{
	/* Without PI there is nothing to check on a RAM medium. */
	(void)dev;
	(void)cmd;
	(void)b;
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
	st = prepare_io(dev, cmd, b, &io);
	if (st)
		return st;
	return tcmud_handler_status(cmd, dev->handler->write(&dev->hdev, &io));
}
