/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SBC commands: READ CAPACITY(10)/(16), READ and WRITE 6/10/12/16,
 * SYNCHRONIZE CACHE(10)/(16). Everything is checked here (protection
 * fields, LBA range, buffer size) before the handler sees a request.
 */
#include "scsi_internal.h"

#define SA_READ_CAPACITY_16 0x10

static bool lba_range_ok(const struct tcmud_hdev *h, uint64_t lba, uint64_t nr)
{
	/* Written so that lba + nr cannot overflow. */
	return lba <= h->num_lbas && nr <= h->num_lbas - lba;
}

static int lba_out_of_range(struct tcmud_cmd *cmd)
{
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_LBA_OUT_OF_RANGE);
}

static uint64_t last_lba(const struct tcmud_hdev *h)
{
	return h->num_lbas ? h->num_lbas - 1 : 0;
}

/* ---- READ CAPACITY ----------------------------------------------------- */

int tcmud_sbc_read_capacity10(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint64_t last = last_lba(&dev->hdev);
	uint8_t buf[8];

	/* 0xFFFFFFFF tells the initiator to use READ CAPACITY(16). */
	put_be32(&buf[0], last > UINT32_MAX ? UINT32_MAX : (uint32_t)last);
	put_be32(&buf[4], dev->hdev.block_size);
	return tcmud_scsi_data_in(cmd, buf, sizeof(buf), sizeof(buf));
}

static int read_capacity16(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t buf[32] = {0};

	put_be64(&buf[0], last_lba(&dev->hdev));
	put_be32(&buf[8], dev->hdev.block_size);
	/* Byte 12 P_TYPE/PROT_EN, 13 LBPPBE, 14-15 LBPME/LBPRZ: all 0. */
	return tcmud_scsi_data_in(cmd, buf, sizeof(buf), get_be32(&cmd->cdb[10]));
}

int tcmud_sbc_service_action_in16(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	if ((cmd->cdb[1] & 0x1f) == SA_READ_CAPACITY_16)
		return read_capacity16(dev, cmd);
	return tcmud_scsi_invalid_field(cmd, 1, 4);
}

/* ---- READ / WRITE ------------------------------------------------------ */

/* A handler's status must be a SAM status; anything else is our failure. */
static int handler_status(struct tcmud_cmd *cmd, int st)
{
	if (st < 0 || st > 0xff)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_HARDWARE_ERROR,
						 TCMUD_ASC_INTERNAL_TARGET_FAILURE);
	return st;
}

/*
 * The number of leading iovecs that hold len bytes (0 if the array is
 * shorter), and in *tail how many bytes of the last of them are used.
 */
static size_t iov_cover(const struct iovec *iov, size_t cnt, uint64_t len, size_t *tail)
{
	for (size_t i = 0; i < cnt; i++) {
		if (iov[i].iov_len >= len) {
			*tail = (size_t)len;
			return i + 1;
		}
		len -= iov[i].iov_len;
	}
	return 0;
}

/*
 * Call the handler with exactly bytes of the command's buffer. The last
 * iovec used is shortened for the call and restored after it, so the
 * handler never sees bytes beyond the transfer and nothing is allocated.
 */
static int call_handler(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			const struct tcmud_cdb_rw *rw, uint64_t bytes, bool write)
{
	const struct tcmud_handler *h = dev->handler;
	int (*op)(struct tcmud_hdev *, struct tcmud_io *) = NULL;
	struct tcmud_io io = {
		.cmd = cmd, .lba = rw->lba, .nr_blocks = rw->nr_blocks,
		.iov = cmd->iov, .fua = rw->fua, .dpo = rw->dpo, 
	};
	size_t tail, saved;
	int st;

	if (h)
		op = write ? h->write : h->read;
	io.iov_cnt = iov_cover(cmd->iov, cmd->iov_cnt, bytes, &tail);
	if (io.iov_cnt == 0) /* the transport's buffer is shorter than the CDB says */
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	if (!op)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	saved = cmd->iov[io.iov_cnt - 1].iov_len;
	cmd->iov[io.iov_cnt - 1].iov_len = tail;
	st = handler_status(cmd, op(&dev->hdev, &io));
	cmd->iov[io.iov_cnt - 1].iov_len = saved;
	return st;
}

/* A read returned fewer bytes than the buffer holds: say so (see data_in). */
static void set_read_len(struct tcmud_cmd *cmd, uint64_t bytes)
{
	if (bytes < cmd->data_len) {
		cmd->read_len_valid = true;
		cmd->read_len = bytes;
	}
}

static int sbc_rw(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, bool write)
{
	struct tcmud_cdb_rw rw;
	uint64_t bytes;
	int st;

	if (tcmud_cdb_decode_rw(cmd->cdb, cmd->cdb_len, &rw) < 0)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	/* No protection information on this device (SBC-3 4.22.2). */
	if (rw.protect)
		return tcmud_scsi_invalid_field(cmd, 1, 7);
	/* Checked even for a zero transfer length, as the kernel does. */
	if (!lba_range_ok(&dev->hdev, rw.lba, rw.nr_blocks))
		return lba_out_of_range(cmd);
	bytes = (uint64_t)rw.nr_blocks * dev->hdev.block_size;
	st = bytes ? call_handler(dev, cmd, &rw, bytes, write) : TCMUD_STATUS_GOOD;
	if (!write && st == TCMUD_STATUS_GOOD)
		set_read_len(cmd, bytes);
	return st;
}

int tcmud_sbc_read(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	return sbc_rw(dev, cmd, false);
}

int tcmud_sbc_write(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	return sbc_rw(dev, cmd, true);
}

/* ---- SYNCHRONIZE CACHE ------------------------------------------------- */

int tcmud_sbc_sync_cache(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool sixteen = cdb[0] == 0x91;
	uint64_t lba = sixteen ? get_be64(&cdb[2]) : get_be32(&cdb[2]);
	uint32_t nr = sixteen ? get_be32(&cdb[10]) : get_be16(&cdb[7]);

	/* NUMBER OF LOGICAL BLOCKS 0 means "to the end of the medium". */
	if (!lba_range_ok(&dev->hdev, lba, nr))
		return lba_out_of_range(cmd);
	if (dev->handler && dev->handler->flush) {
		int st = handler_status(cmd, dev->handler->flush(&dev->hdev, cmd));
		if (st != TCMUD_STATUS_GOOD)
			return st;
	}
	return tcmud_scsi_no_data(cmd);
}
