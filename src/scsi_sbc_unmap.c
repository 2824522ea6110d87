/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UNMAP and GET LBA STATUS(16), over the handler's unmap and lba_status.
 *
 * A device whose handler has no unmap is fully provisioned (LBPME=0, LBPU=0):
 * UNMAP is then not supported and answered as an unknown command, while GET
 * LBA STATUS reports every block mapped.
 */
#include <string.h>

#include "scsi_sbc_prov.h"

/* ---- UNMAP ------------------------------------------------------------- */

#define UNMAP_HEADER_LEN 8
#define UNMAP_DESC_LEN 16

struct unmap_desc {
	uint64_t lba;
	uint32_t nr;
};

/* Header checks; *count is the number of complete block descriptors. */
static int unmap_header(struct tcmud_cmd *cmd, uint16_t param_len, uint32_t *count)
{
	uint8_t hdr[UNMAP_HEADER_LEN];
	uint16_t bd_len;

	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, 0, hdr, sizeof(hdr));
	bd_len = get_be16(&hdr[2]);
	/* The UNMAP DATA LENGTH (bytes 0-1) is informational; what counts is
	 * how many descriptors the list announces and holds. */
	for (unsigned int i = 4; i < UNMAP_HEADER_LEN; i++)
		if (hdr[i])
			return tcmud_param_invalid_field(cmd, i, tcmud_top_bit(hdr[i]));
	/* A descriptor announced but cut off by the parameter list length. */
	if (bd_len > param_len - UNMAP_HEADER_LEN)
		return tcmud_param_length_error(cmd);
	/* An incomplete last descriptor is ignored (SBC-4). */
	*count = bd_len / UNMAP_DESC_LEN;
	if (*count > TCMUD_MAX_UNMAP_DESCRIPTORS)
		return tcmud_param_invalid_field(cmd, 2, -1);
	return 0;
}

static int unmap_read_desc(struct tcmud_cmd *cmd, uint32_t i, struct unmap_desc *d)
{
	size_t off = UNMAP_HEADER_LEN + (size_t)i * UNMAP_DESC_LEN;
	uint8_t raw[UNMAP_DESC_LEN];

	tcmud_iov_to_buf(cmd->iov, cmd->iov_cnt, off, raw, sizeof(raw));
	d->lba = get_be64(&raw[0]);
	d->nr = get_be32(&raw[8]);
	for (unsigned int b = 12; b < UNMAP_DESC_LEN; b++)
		if (raw[b])
			return tcmud_param_invalid_field(cmd, (unsigned int)off + b,
							 tcmud_top_bit(raw[b]));
	return 0;
}

/* Every descriptor is checked before any block is deallocated. */
static int unmap_validate(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint32_t count)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < count; i++) {
		struct unmap_desc d;
		int st = unmap_read_desc(cmd, i, &d);

		if (st)
			return st;
		total += d.nr;
		if (total > TCMUD_MAX_UNMAP_LBA_COUNT)
			return tcmud_param_invalid_field(cmd, UNMAP_HEADER_LEN +
							 i * UNMAP_DESC_LEN + 8, -1);
		st = tcmud_sbc_check_range(dev, cmd, d.lba, d.nr);
		if (st)
			return st;
	}
	return 0;
}

int tcmud_sbc_unmap(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint16_t param_len = get_be16(&cmd->cdb[7]);
	uint32_t count = 0;
	int st;

	/* Write protection first, as for every command that would modify the
	 * medium, even on a device that cannot deallocate. */
	st = tcmud_sbc_check_writable(dev, cmd);
	if (st)
		return st;
	if (!tcmud_prov_thin(dev)) /* LBPU=0: the command is not supported */
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_OPCODE);
	if (cmd->cdb[1] & 0x01) /* ANCHOR: no anchored state (ANC_SUP=0) */
		return tcmud_scsi_invalid_field(cmd, 1, 0);
	if (param_len == 0) /* no parameter list: not an error */
		return TCMUD_STATUS_GOOD;
	if (param_len < UNMAP_HEADER_LEN)
		return tcmud_param_length_error(cmd);
	if ((st = tcmud_sbc_check_buffer(cmd, 0, param_len)) ||
	    (st = unmap_header(cmd, param_len, &count)) ||
	    (st = unmap_validate(dev, cmd, count)))
		return st;
	for (uint32_t i = 0; i < count; i++) {
		struct unmap_desc d;

		(void)unmap_read_desc(cmd, i, &d); /* validated above */
		if (d.nr && (st = tcmud_prov_unmap(dev, cmd, d.lba, d.nr)))
			return st;
	}
	return TCMUD_STATUS_GOOD;
}

/* ---- GET LBA STATUS ---------------------------------------------------- */

#define GLS_HEADER_LEN 8
#define GLS_DESC_LEN 16
/* Descriptors per command and handler calls per command: bounded work
 * however fragmented the device; the initiator asks again from where the
 * last descriptor ends. */
#define GLS_MAX_DESC 128u
#define GLS_MAX_CALLS 65536u
#define GLS_MAPPED 0x0
#define GLS_DEALLOCATED 0x1

struct gls_walk {
	struct tcmud_scsi_dev *dev;
	unsigned int calls;
};

/* The run of blocks at lba sharing one status, clipped to the device. */
static int gls_run(struct gls_walk *w, uint64_t lba, uint64_t *len, bool *mapped)
{
	const struct tcmud_handler *h = w->dev->handler;
	uint64_t left = w->dev->hdev.num_lbas - lba;
	uint64_t nr = 0;

	w->calls++;
	if (!h || !h->lba_status) {
		*mapped = true;
		*len = left;
		return 0;
	}
	if (h->lba_status(&w->dev->hdev, lba, &nr, mapped) < 0 || nr == 0)
		return -1;
	*len = nr < left ? nr : left;
	return 0;
}

/* One descriptor from lba: runs of the same status joined, up to 32 bits. */
static int gls_descriptor(struct gls_walk *w, uint64_t lba, uint8_t *d, uint64_t *len)
{
	uint64_t num_lbas = w->dev->hdev.num_lbas;
	uint64_t n, more;
	bool mapped, next;

	if (gls_run(w, lba, &n, &mapped))
		return -1;
	while (n < UINT32_MAX && lba + n < num_lbas && w->calls < GLS_MAX_CALLS) {
		if (gls_run(w, lba + n, &more, &next))
			return -1;
		if (next != mapped)
			break;
		n += more;
	}
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	memset(d, 0, GLS_DESC_LEN);
	put_be64(&d[0], lba);
	put_be32(&d[8], (uint32_t)n);
	d[12] = mapped ? GLS_MAPPED : GLS_DEALLOCATED;
	*len = n;
	return 0;
}

int tcmud_sbc_get_lba_status(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t buf[GLS_HEADER_LEN + GLS_MAX_DESC * GLS_DESC_LEN];
	uint64_t lba = get_be64(&cmd->cdb[2]);
	uint32_t alloc = get_be32(&cmd->cdb[10]);
	struct gls_walk w = {.dev = dev};
	uint32_t max = 1, n = 0;

	if (lba >= dev->hdev.num_lbas)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_LBA_OUT_OF_RANGE);
	/* As many descriptors as the allocation length holds (at least one,
	 * so a short allocation length still sees the truncated first). */
	if (alloc >= GLS_HEADER_LEN + 2 * GLS_DESC_LEN)
		max = (alloc - GLS_HEADER_LEN) / GLS_DESC_LEN;
	if (max > GLS_MAX_DESC)
		max = GLS_MAX_DESC;
	memset(buf, 0, GLS_HEADER_LEN);
	while (n < max && lba < dev->hdev.num_lbas && w.calls < GLS_MAX_CALLS) {
		uint64_t len;

		if (gls_descriptor(&w, lba, &buf[GLS_HEADER_LEN + n * GLS_DESC_LEN], &len))
			return tcmud_scsi_internal_failure(cmd);
		lba += len;
		n++;
	}
	/* PARAMETER DATA LENGTH: the bytes after itself. */
	put_be32(&buf[0], 4 + n * GLS_DESC_LEN);
	return tcmud_scsi_data_in(cmd, buf, GLS_HEADER_LEN + n * GLS_DESC_LEN, alloc);
}
