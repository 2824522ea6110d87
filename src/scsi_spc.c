/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SPC emulation: INQUIRY (standard data here, the VPD pages in scsi_vpd.c),
 * TEST UNIT READY, REQUEST SENSE, REPORT LUNS. Responses are built in stack
 * buffers and copied out with tcmud_scsi_data_in(), which truncates them to
 * the allocation length and reports the length sent.
 */
#include "scsi_vpd.h"

/* ---- INQUIRY ----------------------------------------------------------- */

#define INQ_STD_LEN 96

#define INQ_PROTECT 0x01   /* byte 5: the medium has protection information */
#define INQ_3PC 0x08       /* byte 5: EXTENDED COPY is served */

static const uint16_t inq_versions[] = {
	0x00a0, /* SAM-5 */
	0x0460, /* SPC-4 */
	0x04c0, /* SBC-3: initiators (libiscsi) key SBC-3 features on it */
};

static size_t inquiry_standard(const struct tcmud_scsi_dev *dev, uint8_t *b)
{
	b[0] = 0x00;               /* connected, direct access block device */
	b[2] = 0x06;               /* VERSION: SPC-4 (initiators check for <= 6) */
	b[3] = 0x10 | 0x02;        /* HISUP, RESPONSE DATA FORMAT 2 */
	b[4] = INQ_STD_LEN - 5;    /* ADDITIONAL LENGTH */
	if (dev->hdev.pi_type)
		b[5] |= INQ_PROTECT;
	if (tcmud_vpd_xcopy_served()) /* looked up at run time */
		b[5] |= INQ_3PC;
	b[7] = 0x02;               /* CMDQUE */
	tcmud_put_ascii(&b[8], dev->ident.vendor, 8);
	tcmud_put_ascii(&b[16], dev->ident.product, 16);
	tcmud_put_ascii(&b[32], dev->ident.revision, 4);
	for (size_t i = 0; i < sizeof(inq_versions) / sizeof(inq_versions[0]); i++)
		put_be16(&b[58 + 2 * i], inq_versions[i]);
	/* Bytes 36-57 and 74-95 stay zero: no vendor specific data. */
	return INQ_STD_LEN;
}

static int tcmud_spc_inquiry(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	size_t alloc = get_be16(&cdb[3]);
	uint8_t buf[TCMUD_INQ_BUF_LEN] = {0};
	size_t len;

	if (dev->refresh_ident)
		dev->refresh_ident(dev, dev->refresh_ctx);
	/* CMDDT (byte 1 bit 1, obsolete) is refused by dispatch: not in usage. */
	if (!(cdb[1] & 0x01)) {
		if (cdb[2] != 0) /* a PAGE CODE needs EVPD */
			return tcmud_scsi_invalid_field(cmd, 2, -1);
		return tcmud_scsi_data_in(cmd, buf, inquiry_standard(dev, buf), alloc);
	}
	len = tcmud_vpd_page(dev, cdb[2], buf);
	if (len == 0)
		return tcmud_scsi_invalid_field(cmd, 2, -1);
	return tcmud_scsi_data_in(cmd, buf, len, alloc);
}

/* ---- TEST UNIT READY, REQUEST SENSE, REPORT LUNS ----------------------- */

static int tcmud_spc_test_unit_ready(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	return tcmud_scsi_no_data(cmd);
}

/* Nothing is ever pending here (deferred errors and UAs are the kernel's). */
static int tcmud_spc_request_sense(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const struct tcmud_sense none = {.key = TCMUD_SK_NO_SENSE};
	uint8_t buf[32];
	size_t n = tcmud_sense_format(&none, cmd->cdb[1] & 0x01, buf, sizeof(buf));

	return tcmud_scsi_data_in(cmd, buf, n, cmd->cdb[4]);
}

/* Only LUN 0 (the kernel answers this itself for TCMU devices). */
static int tcmud_spc_report_luns(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t buf[16] = {0};

	if (cmd->cdb[2] > 0x02) /* SELECT REPORT */
		return tcmud_scsi_invalid_field(cmd, 2, -1);
	put_be32(&buf[0], 8); /* LUN LIST LENGTH: one LUN, number 0 */
	return tcmud_scsi_data_in(cmd, buf, sizeof(buf), get_be32(&cmd->cdb[6]));
}

/* ---- the table --------------------------------------------------------- */

const struct tcmud_scsi_cmd_desc tcmud_cmds_spc[] = {
	{.name = "TEST UNIT READY", .opcode = 0x00, .cdb_len = 6,
	 .usage = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, .fn = tcmud_spc_test_unit_ready},
	{.name = "REQUEST SENSE", .opcode = 0x03, .cdb_len = 6,
	 .usage = {0x03, 0x01, 0x00, 0x00, 0xff, 0x00}, .fn = tcmud_spc_request_sense},
	{.name = "INQUIRY", .opcode = 0x12, .cdb_len = 6,
	 .usage = {0x12, 0x01, 0xff, 0xff, 0xff, 0x00}, .fn = tcmud_spc_inquiry},
	{.name = "REPORT LUNS", .opcode = 0xa0, .cdb_len = 12,
	 .usage = {0xa0, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00},
	 .fn = tcmud_spc_report_luns},
	{0},
};
