/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command table: lookup by opcode and service action over the family
 * arrays, and REPORT SUPPORTED OPERATION CODES, which reports exactly the
 * entries dispatch serves.
 */
#include <pthread.h>
#include <string.h>

#include "scsi_internal.h"

#define OP_VARIABLE_LENGTH 0x7f
#define OP_MAINTENANCE_IN 0xa3
#define OP_UNMAP 0x42
#define SA_REPORT_SUPPORTED_OPCODES 0x0c

/* Default timeouts reported with RCTD: a RAM-speed device, generous margin. */
#define DEFAULT_NOMINAL_TIMEOUT 1
#define DEFAULT_RECOMMENDED_TIMEOUT 30

static int report_supported_opcodes(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

const struct tcmud_scsi_cmd_desc tcmud_cmds_report[] = {
	{.name = "REPORT SUPPORTED OPERATION CODES", .opcode = OP_MAINTENANCE_IN,
	 .has_sa = true, .sa = SA_REPORT_SUPPORTED_OPCODES, .cdb_len = 12,
	 .usage = {OP_MAINTENANCE_IN, 0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		   0x00, 0x00},
	 .fn = report_supported_opcodes},
	{0},
};

const struct tcmud_scsi_cmd_desc *const tcmud_scsi_families[] = {
	tcmud_cmds_spc,     tcmud_cmds_mode,      tcmud_cmds_sbc_rw, tcmud_cmds_sbc_verify,
	tcmud_cmds_sbc_prov, tcmud_cmds_sbc_misc, tcmud_cmds_xcopy,  tcmud_cmds_report,
	NULL,
};

/*
 * Commands without a service action are found in one step through by_opcode;
 * opcodes with service actions (all rare) are marked and searched linearly.
 */
static const struct tcmud_scsi_cmd_desc *by_opcode[256];
static bool opcode_has_sa[256];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
	for (size_t f = 0; tcmud_scsi_families[f]; f++)
		for (const struct tcmud_scsi_cmd_desc *d = tcmud_scsi_families[f]; d->name; d++) {
			if (d->has_sa)
				opcode_has_sa[d->opcode] = true;
			else if (!by_opcode[d->opcode])
				by_opcode[d->opcode] = d;
		}
}

static bool sa_of(const uint8_t *cdb, size_t cdb_len, uint16_t *sa)
{
	if (cdb[0] == OP_VARIABLE_LENGTH) {
		if (cdb_len < 10)
			return false;
		*sa = get_be16(&cdb[8]);
	} else {
		if (cdb_len < 2)
			return false;
		*sa = cdb[1] & 0x1f;
	}
	return true;
}

static const struct tcmud_scsi_cmd_desc *find_sa(uint8_t opcode, uint16_t sa)
{
	for (size_t f = 0; tcmud_scsi_families[f]; f++)
		for (const struct tcmud_scsi_cmd_desc *d = tcmud_scsi_families[f]; d->name; d++)
			if (d->has_sa && d->opcode == opcode && d->sa == sa)
				return d;
	return NULL;
}

const struct tcmud_scsi_cmd_desc *tcmud_scsi_cmd_lookup(const uint8_t *cdb, size_t cdb_len,
							int *why)
{
	uint16_t sa;

	pthread_once(&index_once, build_index);
	*why = 0;
	if (cdb_len == 0)
		return NULL;
	if (by_opcode[cdb[0]])
		return by_opcode[cdb[0]];
	if (!opcode_has_sa[cdb[0]])
		return NULL;
	*why = 1;
	if (!sa_of(cdb, cdb_len, &sa))
		return NULL;
	return find_sa(cdb[0], sa);
}

/*
 * Whether a listed command exists on this device. 32-byte CDBs exist only
 * for protection type 2 (SBC-4 4.22.2) and UNMAP only on a thin device
 * (LBPU); elsewhere they are unknown opcodes, and are not reported.
 */
bool tcmud_scsi_cmd_available(const struct tcmud_scsi_dev *dev,
			      const struct tcmud_scsi_cmd_desc *d)
{
	switch (d->opcode) {
	case OP_VARIABLE_LENGTH:
		return dev->hdev.pi_type == 2;
	case OP_UNMAP:
		return dev->handler && dev->handler->unmap;
	default:
		return true;
	}
}

/* ---- REPORT SUPPORTED OPERATION CODES ---------------------------------- */

#define RSOC_RCTD 0x80
#define RSOC_CTDP 0x02
#define RSOC_SERVACTV 0x01
#define RSOC_TIMEOUTS_LEN 12
#define RSOC_SUPPORTED 0x03
#define RSOC_NOT_SUPPORTED 0x01

/* Fits all commands of all families with timeouts descriptors. */
#define RSOC_BUF_MAX 4096

static void put_timeouts(uint8_t *p, const struct tcmud_scsi_cmd_desc *d)
{
	memset(p, 0, RSOC_TIMEOUTS_LEN);
	put_be16(&p[0], RSOC_TIMEOUTS_LEN - 2);
	put_be32(&p[4], d->nominal_timeout ? d->nominal_timeout : DEFAULT_NOMINAL_TIMEOUT);
	put_be32(&p[8], d->recommended_timeout ? d->recommended_timeout
					       : DEFAULT_RECOMMENDED_TIMEOUT);
}

static int rsoc_all(const struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, bool rctd,
		    uint32_t alloc)
{
	uint8_t local[RSOC_BUF_MAX];
	size_t n = 4;

	memset(local, 0, sizeof(local));
	for (size_t f = 0; tcmud_scsi_families[f]; f++)
		for (const struct tcmud_scsi_cmd_desc *d = tcmud_scsi_families[f]; d->name; d++) {
			size_t need = 8 + (rctd ? RSOC_TIMEOUTS_LEN : 0);

			if (!tcmud_scsi_cmd_available(dev, d))
				continue;
			if (n + need > sizeof(local))
				return tcmud_scsi_internal_failure(cmd);
			local[n] = d->opcode;
			put_be16(&local[n + 2], d->has_sa ? d->sa : 0);
			local[n + 5] = (uint8_t)((rctd ? RSOC_CTDP : 0) |
						 (d->has_sa ? RSOC_SERVACTV : 0));
			put_be16(&local[n + 6], d->cdb_len);
			n += 8;
			if (rctd) {
				put_timeouts(&local[n], d);
				n += RSOC_TIMEOUTS_LEN;
			}
		}
	put_be32(&local[0], (uint32_t)(n - 4));
	return tcmud_scsi_data_in(cmd, local, n, alloc);
}

static int rsoc_one(const struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		    const struct tcmud_scsi_cmd_desc *d, bool rctd, uint32_t alloc)
{
	uint8_t buf[4 + TCMUD_CDB_USAGE_MAX + RSOC_TIMEOUTS_LEN] = {0};
	size_t n = 4;

	if (!d || !tcmud_scsi_cmd_available(dev, d)) {
		buf[1] = RSOC_NOT_SUPPORTED;
		return tcmud_scsi_data_in(cmd, buf, n, alloc);
	}
	buf[1] = (uint8_t)((rctd ? 0x80 : 0) | RSOC_SUPPORTED);
	put_be16(&buf[2], d->cdb_len);
	memcpy(&buf[4], d->usage, d->cdb_len);
	n += d->cdb_len;
	if (rctd) {
		put_timeouts(&buf[n], d);
		n += RSOC_TIMEOUTS_LEN;
	}
	return tcmud_scsi_data_in(cmd, buf, n, alloc);
}

static int report_supported_opcodes(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool rctd = cdb[2] & RSOC_RCTD;
	uint8_t options = cdb[2] & 0x07;
	uint8_t opcode = cdb[3];
	uint16_t sa = get_be16(&cdb[4]);
	uint32_t alloc = get_be32(&cdb[6]);
	const struct tcmud_scsi_cmd_desc *d;

	pthread_once(&index_once, build_index);
	switch (options) {
	case 0: /* all commands */
		return rsoc_all(dev, cmd, rctd, alloc);
	case 1: /* one opcode that has no service actions */
		if (opcode_has_sa[opcode])
			return tcmud_scsi_invalid_field(cmd, 2, 2);
		return rsoc_one(dev, cmd, by_opcode[opcode], rctd, alloc);
	case 2: /* one opcode and service action */
		if (!opcode_has_sa[opcode])
			return tcmud_scsi_invalid_field(cmd, 2, 2);
		return rsoc_one(dev, cmd, find_sa(opcode, sa), rctd, alloc);
	case 3: /* either: the service action only counts where there are some */
		d = opcode_has_sa[opcode] ? find_sa(opcode, sa) : by_opcode[opcode];
		return rsoc_one(dev, cmd, d, rctd, alloc);
	default:
		return tcmud_scsi_invalid_field(cmd, 2, 2);
	}
}
