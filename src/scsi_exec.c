/* SPDX-License-Identifier: Apache-2.0 */
/* Command dispatch and the response helpers shared by the SPC/SBC emulation. */
#include <string.h>

#include "scsi_internal.h"

typedef int (*scsi_fn)(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

/* Every opcode the daemon serves, in one place. Unlisted ones are refused. */
static const scsi_fn opcode_table[256] = {
	[0x00] = tcmud_spc_test_unit_ready,
	[0x03] = tcmud_spc_request_sense,
	[0x08] = tcmud_sbc_read,                /* READ(6) */
	[0x0a] = tcmud_sbc_write,               /* WRITE(6) */
	[0x12] = tcmud_spc_inquiry,
	[0x1a] = tcmud_spc_mode_sense,          /* MODE SENSE(6) */
	[0x25] = tcmud_sbc_read_capacity10,
	[0x28] = tcmud_sbc_read,                /* READ(10) */
	[0x2a] = tcmud_sbc_write,               /* WRITE(10) */
	[0x35] = tcmud_sbc_sync_cache,          /* SYNCHRONIZE CACHE(10) */
	[0x5a] = tcmud_spc_mode_sense,          /* MODE SENSE(10) */
	[0x88] = tcmud_sbc_read,                /* READ(16) */
	[0x8a] = tcmud_sbc_write,               /* WRITE(16) */
	[0x91] = tcmud_sbc_sync_cache,          /* SYNCHRONIZE CACHE(16) */
	[0x9e] = tcmud_sbc_service_action_in16, /* READ CAPACITY(16) */
	[0xa0] = tcmud_spc_report_luns,
	[0xa8] = tcmud_sbc_read,                /* READ(12) */
	[0xaa] = tcmud_sbc_write,               /* WRITE(12) */
};

#define CONTROL_NACA 0x04

int tcmud_scsi_invalid_field(struct tcmud_cmd *cmd, unsigned int byte, int bit)
{
	tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
				  TCMUD_ASC_INVALID_FIELD_IN_CDB);
	cmd->sense.sks_valid = true;
	cmd->sense.sks[0] = TCMUD_SKS_SKSV | TCMUD_SKS_CD;
	if (bit >= 0)
		cmd->sense.sks[0] |= TCMUD_SKS_BPV | (bit & 7);
	put_be16(&cmd->sense.sks[1], (uint16_t)byte);
	return TCMUD_STATUS_CHECK_CONDITION;
}

int tcmud_scsi_no_data(struct tcmud_cmd *cmd)
{
	/* An initiator may give a buffer to a command that returns no data; the
	 * kernel sends it back on GOOD, so report 0 bytes and let it be cleared. */
	if (cmd->data_len) {
		cmd->read_len_valid = true;
		cmd->read_len = 0;
	}
	return TCMUD_STATUS_GOOD;
}

int tcmud_scsi_data_in(struct tcmud_cmd *cmd, const void *buf, size_t len,
		       size_t alloc_len)
{
	size_t n = len < alloc_len ? len : alloc_len;
	size_t done = tcmud_iov_from_buf(cmd->iov, cmd->iov_cnt, 0, buf, n);

	/* Bytes past done are stale data-area contents: never let them out. */
	if (done < cmd->data_len) {
		cmd->read_len_valid = true;
		cmd->read_len = done;
	}
	return TCMUD_STATUS_GOOD;
}

static void reset_response(struct tcmud_cmd *cmd)
{
	cmd->status = TCMUD_STATUS_GOOD;
	cmd->read_len_valid = false;
	cmd->read_len = 0;
	memset(&cmd->sense, 0, sizeof(cmd->sense));
}

/* Offset of the CONTROL byte: the last byte, or byte 1 of a variable-length CDB. */
static size_t control_offset(const struct tcmud_cmd *cmd, size_t cdb_len)
{
	return cmd->cdb[0] == 0x7f ? 1 : cdb_len - 1;
}

static int invalid_opcode(struct tcmud_cmd *cmd)
{
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_INVALID_OPCODE);
}

static int dispatch(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	size_t len = tcmud_cdb_length(cmd->cdb, cmd->cdb_len);
	scsi_fn fn = cmd->cdb_len ? opcode_table[cmd->cdb[0]] : NULL;
	size_t ctl;

	if (!fn || len == 0 || len > cmd->cdb_len)
		return invalid_opcode(cmd);
	ctl = control_offset(cmd, len);
	if (cmd->cdb[ctl] & CONTROL_NACA)
		return tcmud_scsi_invalid_field(cmd, (unsigned int)ctl, 2);
	return fn(dev, cmd);
}

int tcmud_scsi_execute(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const struct tcmud_handler *h = dev->handler;
	int ret;

	reset_response(cmd);
	if (h && h->handle_cdb) {
		ret = h->handle_cdb(&dev->hdev, cmd);
		if (ret != TCMUD_NOT_HANDLED) {
			cmd->status = (uint8_t)ret;
			return cmd->status;
		}
	}
	cmd->status = (uint8_t)dispatch(dev, cmd);
	return cmd->status;
}
