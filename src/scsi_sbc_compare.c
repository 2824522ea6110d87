/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the verify family shares: decoding its CDBs, reading the medium in
 * chunks and comparing it with the Data-Out Buffer, checking the initiator's
 * protection information without writing.
 */
#include <string.h>

#include "scsi_pi.h"
#include "scsi_sbc_verify.h"

#define OP_COMPARE_AND_WRITE 0x89
#define OP_WRITE_ATOMIC_16 0x9c
#define SA_ORWRITE_32 0x000e

/* Byte 1 (or 10 of a 32-byte CDB): PROTECT (7-5), DPO (4), FUA (3). */
static void decode_flags(const uint8_t *cdb, unsigned int byte, struct tcmud_xfer *x)
{
	x->flags_byte = byte;
	x->protect = cdb[byte] >> 5;
	x->dpo = cdb[byte] & 0x10;
	x->fua = cdb[byte] & 0x08;
}

static void decode_32(const uint8_t *cdb, struct tcmud_xfer *x)
{
	decode_flags(cdb, 10, x);
	x->lba = get_be64(&cdb[12]);
	x->nr_blocks = get_be32(&cdb[28]);
	/* ORWRITE (32) has ORWgeneration fields where the others have PI tags. */
	if (get_be16(&cdb[8]) != SA_ORWRITE_32) {
		x->has_expected = true;
		x->exp_ref_tag = get_be32(&cdb[20]);
		x->exp_app_tag = get_be16(&cdb[24]);
		x->app_mask = get_be16(&cdb[26]);
	}
}

/* Decode cmd's CDB (one of the family's opcodes). 0, or -1 for another opcode. */
static int xfer_decode(const struct tcmud_cmd *cmd, struct tcmud_xfer *x)
{
	const uint8_t *cdb = cmd->cdb;

	*x = (struct tcmud_xfer){0};
	switch (cdb[0]) {
	case 0x2e: /* WRITE AND VERIFY (10) */
	case 0x2f: /* VERIFY (10) */
		decode_flags(cdb, 1, x);
		x->lba = get_be32(&cdb[2]);
		x->nr_blocks = get_be16(&cdb[7]);
		return 0;
	case 0xae: /* WRITE AND VERIFY (12) */
	case 0xaf: /* VERIFY (12) */
		decode_flags(cdb, 1, x);
		x->lba = get_be32(&cdb[2]);
		x->nr_blocks = get_be32(&cdb[6]);
		return 0;
	case 0x8b: /* ORWRITE (16) */
	case 0x8e: /* WRITE AND VERIFY (16) */
	case 0x8f: /* VERIFY (16) */
		decode_flags(cdb, 1, x);
		x->lba = get_be64(&cdb[2]);
		x->nr_blocks = get_be32(&cdb[10]);
		return 0;
	case OP_COMPARE_AND_WRITE:
		decode_flags(cdb, 1, x);
		x->lba = get_be64(&cdb[2]);
		x->nr_blocks = cdb[13];
		return 0;
	case OP_WRITE_ATOMIC_16:
		decode_flags(cdb, 1, x);
		x->lba = get_be64(&cdb[2]);
		x->nr_blocks = get_be16(&cdb[12]);
		return 0;
	case TCMUD_OP_VARIABLE_LENGTH:
		if (cmd->cdb_len < 32)
			return -1;
		decode_32(cdb, x);
		return 0;
	default:
		return -1;
	}
}

int tcmud_xfer_begin(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, struct tcmud_xfer *x)
{
	/* Dispatch only sends the family's opcodes here. */
	if (xfer_decode(cmd, x))
		return tcmud_scsi_internal_failure(cmd);
	return tcmud_sbc_check_protect(dev, cmd, x->protect, x->flags_byte, 7);
}

struct tcmud_blocks tcmud_xfer_blocks(const struct tcmud_xfer *x, uint32_t first, uint32_t nr,
				      const struct iovec *iov, size_t cnt, size_t off)
{
	return (struct tcmud_blocks){
		.lba = x->lba + first, .nr_blocks = nr, .iov = iov, .iov_cnt = cnt, .off = off,
		.protect = x->protect, .fua = x->fua, .dpo = x->dpo,
		.has_expected = x->has_expected,
		/* The expected tag of block `first`: tags count up and wrap. */
		.exp_ref_tag = x->exp_ref_tag + first,
		.exp_app_tag = x->exp_app_tag, .app_mask = x->app_mask};
}

uint32_t tcmud_xfer_chunk(uint64_t per_block)
{
	uint64_t n = per_block ? TCMUD_CHUNK_BYTES / per_block : 0;

	return n ? (uint32_t)n : 1;
}

int tcmud_xfer_miscompare(struct tcmud_cmd *cmd, uint64_t off)
{
	return tcmud_cmd_check_condition_info(cmd, TCMUD_SK_MISCOMPARE,
					      TCMUD_ASC_MISCOMPARE_DURING_VERIFY, off);
}

uint8_t *tcmud_xfer_read_chunk(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			       const struct tcmud_xfer *x, uint32_t first, uint32_t nr, int *st)
{
	size_t bytes = (size_t)nr * tcmud_xfer_per_block(dev, x);
	uint8_t *buf = tcmud_scratch(dev, TCMUD_SCRATCH_DATA, bytes);
	struct iovec iov = {buf, bytes};
	/* DPO and FUA go to the read too: COMPARE AND WRITE's FUA reads the medium. */
	struct tcmud_blocks b = tcmud_xfer_blocks(x, first, nr, &iov, 1, 0);

	if (!buf) {
		*st = tcmud_scsi_internal_failure(cmd);
		return NULL;
	}
	*st = tcmud_sbc_read_blocks(dev, cmd, &b);
	return *st == TCMUD_STATUS_GOOD ? buf : NULL;
}

/*
 * Compare chunk's nr blocks (read at block index first) with the cursor,
 * user data only. 0, or 1 with *off set to the Data-Out offset of the first
 * difference.
 */
static int compare_chunk(const struct tcmud_scsi_dev *dev, const struct tcmud_xfer *x,
			 struct tcmud_iov_cursor *cur, const uint8_t *chunk, uint32_t first,
			 uint32_t nr, uint64_t *off)
{
	uint32_t bs = dev->hdev.block_size;
	uint64_t per = tcmud_xfer_per_block(dev, x);
	size_t diff;

	if (!x->protect) {
		/* The blocks lie back to back on both sides: one comparison. */
		if (tcmud_cursor_equal(cur, chunk, (size_t)nr * bs, &diff))
			return 0;
		*off = (uint64_t)first * bs + diff;
		return 1;
	}
	for (uint32_t i = 0; i < nr; i++) {
		if (!tcmud_cursor_equal(cur, chunk + i * per, bs, &diff)) {
			*off = (uint64_t)(first + i) * per + diff;
			return 1;
		}
		tcmud_cursor_skip(cur, TCMUD_PI_TUPLE_SIZE);
	}
	return 0;
}

int tcmud_xfer_compare(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		       const struct tcmud_xfer *x, size_t off)
{
	uint32_t chunk = tcmud_xfer_chunk(tcmud_xfer_per_block(dev, x));
	struct tcmud_iov_cursor cur;
	uint64_t mis;

	tcmud_cursor_init(&cur, cmd->iov, cmd->iov_cnt, off);
	for (uint32_t done = 0; done < x->nr_blocks;) {
		uint32_t nr = x->nr_blocks - done < chunk ? x->nr_blocks - done : chunk;
		int st;
		const uint8_t *buf = tcmud_xfer_read_chunk(dev, cmd, x, done, nr, &st);

		if (!buf)
			return st;
		if (compare_chunk(dev, x, &cur, buf, done, nr, &mis))
			return tcmud_xfer_miscompare(cmd, mis);
		done += nr;
	}
	return TCMUD_STATUS_GOOD;
}

int tcmud_xfer_check_pi(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			const struct tcmud_xfer *x, uint32_t first, uint32_t nr, size_t off)
{
	uint64_t per = tcmud_xfer_per_block(dev, x);
	uint32_t chunk = tcmud_xfer_chunk(per);

	if (!x->protect)
		return TCMUD_STATUS_GOOD;
	/* In chunks, so the scratch tuples and iovecs stay bounded. */
	for (uint32_t done = 0; done < nr;) {
		uint32_t n = nr - done < chunk ? nr - done : chunk;
		struct tcmud_blocks b = tcmud_xfer_blocks(x, first + done, n, cmd->iov,
							  cmd->iov_cnt, off + done * per);
		int st = tcmud_sbc_check_pi_out(dev, cmd, &b);

		if (st)
			return st;
		done += n;
	}
	return TCMUD_STATUS_GOOD;
}

/* ---- a cursor over an iovec array -------------------------------------- */

void tcmud_cursor_init(struct tcmud_iov_cursor *c, const struct iovec *iov, size_t cnt,
		       size_t off)
{
	*c = (struct tcmud_iov_cursor){.iov = iov, .cnt = cnt};
	tcmud_cursor_skip(c, off);
}

/* The next contiguous piece of at most len bytes, moving past it; 0 at the end. */
static size_t cursor_next(struct tcmud_iov_cursor *c, const uint8_t **p, size_t len)
{
	size_t n;

	while (c->idx < c->cnt && c->pos == c->iov[c->idx].iov_len) {
		c->idx++;
		c->pos = 0;
	}
	if (c->idx == c->cnt || len == 0)
		return 0;
	n = c->iov[c->idx].iov_len - c->pos;
	if (n > len)
		n = len;
	*p = (const uint8_t *)c->iov[c->idx].iov_base + c->pos;
	c->pos += n;
	return n;
}

bool tcmud_cursor_equal(struct tcmud_iov_cursor *c, const uint8_t *want, size_t len,
			size_t *diff)
{
	size_t done = 0;

	while (done < len) {
		const uint8_t *p;
		size_t n = cursor_next(c, &p, len - done);

		if (n == 0)
			break;
		if (memcmp(p, want + done, n) != 0) {
			*diff = done + tcmud_first_diff(p, want + done, n);
			return false;
		}
		done += n;
	}
	*diff = done;
	return done == len;
}

void tcmud_cursor_or(struct tcmud_iov_cursor *c, uint8_t *dst, size_t len)
{
	size_t done = 0;

	while (done < len) {
		const uint8_t *p;
		size_t n = cursor_next(c, &p, len - done);

		if (n == 0)
			return;
		for (size_t i = 0; i < n; i++)
			dst[done + i] |= p[i];
		done += n;
	}
}

void tcmud_cursor_skip(struct tcmud_iov_cursor *c, size_t len)
{
	const uint8_t *p;

	while (len) {
		size_t n = cursor_next(c, &p, len);

		if (n == 0)
			return;
		len -= n;
	}
}
