/* SPDX-License-Identifier: Apache-2.0 */
/* Command dispatch and the response helpers shared by the SPC/SBC emulation. */
#include <pthread.h>
#include <string.h>

#include "scsi_internal.h"

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

/* The first bit set in cdb outside the command's usage data, as byte/bit. */
static bool find_reserved_bit(const struct tcmud_scsi_cmd_desc *d, const uint8_t *cdb,
			      size_t ctl, unsigned int *byte, int *bit)
{
	for (size_t i = 1; i < d->cdb_len && i < TCMUD_CDB_USAGE_MAX; i++) {
		uint8_t bad = i == ctl ? 0 : (uint8_t)(cdb[i] & ~d->usage[i]);

		if (bad) {
			*byte = (unsigned int)i;
			*bit = 7;
			while (!(bad & (1u << *bit)))
				(*bit)--;
			return true;
		}
	}
	return false;
}

#define VARIABLE_LENGTH_ADDITIONAL 7   /* byte holding ADDITIONAL CDB LENGTH */

static int dispatch(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	size_t len = tcmud_cdb_length(cmd->cdb, cmd->cdb_len);
	const struct tcmud_scsi_cmd_desc *d;
	unsigned int byte;
	int why, bit;
	size_t ctl;

	if (len == 0 || len > cmd->cdb_len)
		return invalid_opcode(cmd);
	d = tcmud_scsi_cmd_lookup(cmd->cdb, len, &why);
	if (!d) {
		if (why == 0)
			return invalid_opcode(cmd);
		/* A known opcode with a service action we do not serve. */
		if (cmd->cdb[0] == 0x7f)
			return tcmud_scsi_invalid_field(cmd, 8, -1);
		return tcmud_scsi_invalid_field(cmd, 1, 4);
	}
	if (!tcmud_scsi_cmd_available(dev, d))
		return invalid_opcode(cmd);
	if (len != d->cdb_len) /* only variable-length CDBs can disagree */
		return tcmud_scsi_invalid_field(cmd, VARIABLE_LENGTH_ADDITIONAL, -1);
	ctl = control_offset(cmd, len);
	if (cmd->cdb[ctl] & CONTROL_NACA)
		return tcmud_scsi_invalid_field(cmd, (unsigned int)ctl, 2);
	if (find_reserved_bit(d, cmd->cdb, ctl, &byte, &bit))
		return tcmud_scsi_invalid_field(cmd, byte, bit);
	return d->fn(dev, cmd);
}

int tcmud_scsi_execute(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const struct tcmud_handler *h = dev->handler;
	int ret = TCMUD_NOT_HANDLED;

	reset_response(cmd);
	pthread_mutex_lock(&dev->lock);
	if (h && h->handle_cdb)
		ret = h->handle_cdb(&dev->hdev, cmd);
	if (ret == TCMUD_NOT_HANDLED)
		ret = dispatch(dev, cmd);
	cmd->status = (uint8_t)ret;
	pthread_mutex_unlock(&dev->lock);
	return cmd->status;
}
