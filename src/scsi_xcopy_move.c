/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EXTENDED COPY's block-to-block segments against the devices they name:
 * the checks made before anything moves (block sizes, ranges, write
 * protection), then the data, chunk by chunk, read from the source and
 * written to the destination through the data path READ and WRITE use.
 */
#include "scsi_xcopy.h"

/* ---- checking the segments against the devices ---------------------------- */

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Bytes segment i moves. */
static uint64_t segment_bytes(const struct xcopy_run *r, size_t i)
{
	const struct xcopy_segment *s = &r->list->seg[i];
	uint32_t bs = s->dc ? r->dst[i]->hdev.block_size : r->src[i]->hdev.block_size;

	return (uint64_t)s->nr_blocks * bs;
}

/* A DISK BLOCK LENGTH that is given must be the device's. */
static int check_block_len(struct xcopy_run *r, uint16_t id, const struct tcmud_scsi_dev *dev)
{
	const struct xcopy_cscd *c;

	if (id == XCOPY_CSCD_ID_SELF)
		return 0;
	c = &r->list->cscd[id];
	if (c->block_len && c->block_len != dev->hdev.block_size)
		return tcmud_xcopy_param_error(r->cmd, TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST,
					       c->off + 29u, -1);
	return 0;
}

static int check_segment(struct xcopy_run *r, size_t i)
{
	const struct xcopy_segment *s = &r->list->seg[i];
	uint32_t sbs = r->src[i]->hdev.block_size, dbs = r->dst[i]->hdev.block_size;
	uint64_t bytes = segment_bytes(r, i);
	int st;

	if ((st = check_block_len(r, s->src_id, r->src[i])) ||
	    (st = check_block_len(r, s->dst_id, r->dst[i])))
		return st;
	/* Whole blocks on both sides: residues (CAT, PAD) are not supported. */
	if (bytes % sbs || bytes % dbs)
		return tcmud_xcopy_aborted(r->cmd, ASC_UNEXPECTED_INEXACT_SEGMENT, s->off + 10);
	if (bytes > XCOPY_MAX_SEGMENT_BYTES)
		return tcmud_xcopy_param_error(r->cmd, TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST,
					       s->off + 10u, -1);
	/* COPY ABORTED, as initiators (and libiscsi) expect of a copy target's
	 * error. Its own LBA OUT OF RANGE would travel as forwarded sense data,
	 * which struct tcmud_sense cannot carry: the pointer names the field. */
	if (!tcmud_sbc_range_fits(r->src[i], s->src_lba, bytes / sbs))
		return tcmud_xcopy_aborted(r->cmd, TCMUD_ASC_NO_ADDITIONAL_SENSE, s->off + 12);
	if (!tcmud_sbc_range_fits(r->dst[i], s->dst_lba, bytes / dbs))
		return tcmud_xcopy_aborted(r->cmd, TCMUD_ASC_NO_ADDITIONAL_SENSE, s->off + 20);
	return 0;
}

int tcmud_xcopy_check_segments(struct xcopy_run *r)
{
	for (size_t i = 0; i < r->list->nr_seg; i++) {
		int st = check_segment(r, i);

		if (st)
			return st;
	}
	/* A copy modifies its destinations: DATA PROTECT before anything moves. */
	for (size_t i = 0; i < r->list->nr_seg; i++) {
		int st = tcmud_sbc_check_writable(r->dst[i], r->cmd);

		if (st)
			return st;
	}
	return 0;
}

/* ---- moving the data --------------------------------------------------------- */

/* A CSCD's error as the copy's: COPY ABORTED with its ASC and INFORMATION. */
static int cscd_failed(struct xcopy_run *r, const struct xcopy_segment *s, int st)
{
	struct tcmud_sense *sense = &r->cmd->sense;

	if (st != TCMUD_STATUS_CHECK_CONDITION)
		return st;
	sense->key = TCMUD_SK_COPY_ABORTED;
	sense->sks_valid = true;
	sense->sks[0] = TCMUD_SKS_SKSV;
	put_be16(&sense->sks[1], s->off);
	return st;
}

/* Bytes per chunk: whole blocks of both devices, about TCMUD_CHUNK_BYTES. */
static uint64_t chunk_bytes(uint32_t sbs, uint32_t dbs)
{
	uint64_t unit = (uint64_t)sbs / gcd64(sbs, dbs) * dbs;

	return unit >= TCMUD_CHUNK_BYTES ? unit : TCMUD_CHUNK_BYTES / unit * unit;
}

/* One chunk: off bytes into the segment, n bytes, through buf. */
static int copy_chunk(struct xcopy_run *r, size_t i, uint64_t off, uint64_t n, void *buf)
{
	const struct xcopy_segment *s = &r->list->seg[i];
	uint32_t sbs = r->src[i]->hdev.block_size, dbs = r->dst[i]->hdev.block_size;
	struct iovec iov = {.iov_base = buf, .iov_len = (size_t)n};
	struct tcmud_blocks rb = {.lba = s->src_lba + off / sbs, .nr_blocks = (uint32_t)(n / sbs),
				  .iov = &iov, .iov_cnt = 1};
	struct tcmud_blocks wb = {.lba = s->dst_lba + off / dbs, .nr_blocks = (uint32_t)(n / dbs),
				  .iov = &iov, .iov_cnt = 1};
	int st = tcmud_sbc_read_blocks(r->src[i], r->cmd, &rb);

	if (st == TCMUD_STATUS_GOOD)
		st = tcmud_sbc_write_blocks(r->dst[i], r->cmd, &wb);
	if (st == TCMUD_STATUS_GOOD)
		r->bytes_done += n;
	return st;
}

/* Same device, destination after an overlapping source: copy from the end,
 * so that the result is as if the whole source had been read first. */
static bool backwards(const struct xcopy_run *r, size_t i, uint64_t blocks)
{
	const struct xcopy_segment *s = &r->list->seg[i];

	return r->src[i] == r->dst[i] && s->dst_lba > s->src_lba &&
	       s->dst_lba - s->src_lba < blocks;
}

static int copy_segment(struct xcopy_run *r, size_t i)
{
	uint32_t sbs = r->src[i]->hdev.block_size, dbs = r->dst[i]->hdev.block_size;
	uint64_t bytes = segment_bytes(r, i), chunk = chunk_bytes(sbs, dbs);
	bool back = backwards(r, i, bytes / sbs);
	void *buf;

	if (bytes == 0)
		return TCMUD_STATUS_GOOD;
	if (chunk > bytes)
		chunk = bytes;
	/* The source's scratch: its lock is held (by dispatch, or by us). */
	buf = tcmud_scratch(r->src[i], TCMUD_SCRATCH_DATA, (size_t)chunk);
	if (!buf)
		return tcmud_scsi_internal_failure(r->cmd);
	for (uint64_t done = 0; done < bytes;) {
		uint64_t n = bytes - done < chunk ? bytes - done : chunk;
		int st = copy_chunk(r, i, back ? bytes - done - n : done, n, buf);

		if (st != TCMUD_STATUS_GOOD)
			return cscd_failed(r, &r->list->seg[i], st);
		done += n;
	}
	return TCMUD_STATUS_GOOD;
}

int tcmud_xcopy_copy_segments(struct xcopy_run *r)
{
	for (size_t i = 0; i < r->list->nr_seg; i++) {
		int st = copy_segment(r, i);

		if (st != TCMUD_STATUS_GOOD)
			return st;
		r->segments_done++;
	}
	return TCMUD_STATUS_GOOD;
}
