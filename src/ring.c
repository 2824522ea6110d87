/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCMU command ring engine (see ring.h).
 *
 * Ownership of the ring, in ring order:
 *   [tail_published, tail)  completed, not yet published to the kernel
 *   [tail, next)            parsed; the CMD slots here belong to outstanding
 *                           commands (exactly r->outstanding of them)
 *   [next, cmd_head)        written by the kernel, not parsed yet
 *   [cmd_head, ...)         the kernel's free space
 * Every shared value is copied into a local once (shm_copy) and only the copy
 * is validated and used.
 *
 * r->inflight has a bit per outstanding cmd_id, r->aborted one per outstanding
 * cmd_id a TMR named; aborted is always a subset of inflight, as a marked
 * command stays outstanding until it is completed (with TASK ABORTED).
 */
#include "ring.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tcmu_abi.h"

#define ENTRY_ALIGN TCMU_OP_ALIGN_SIZE
#define HDR_SIZE sizeof(struct tcmu_cmd_entry_hdr)
#define CMD_MIN_SIZE sizeof(struct tcmu_cmd_entry) /* room for the response */
#define TMR_MIN_SIZE sizeof(struct tcmu_tmr_entry)
#define REQ_SIZE offsetof(struct tcmu_cmd_entry, req.iov) /* header + fixed req */
#define IOV_SIZE sizeof(struct iovec)
#define RSP_OFF offsetof(struct tcmu_cmd_entry, rsp)
#define RSP_SIZE (CMD_MIN_SIZE - RSP_OFF)
#define MB_MIN_SIZE (offsetof(struct tcmu_mailbox, cmd_tail) + sizeof(uint32_t))
#define DATA_BLOCK_SIZE 4096 /* the kernel's smallest data block (one page) */
#define VARLEN_CDB_HDR 8     /* bytes of a variable-length CDB before its tail */

_Static_assert(sizeof(struct iovec) == 16, "kernel iovec layout");
_Static_assert(REQ_SIZE == 48 && CMD_MIN_SIZE == 112, "tcmu_cmd_entry layout");
_Static_assert(TMR_MIN_SIZE == 32, "tcmu_tmr_entry layout");

/* One entry header, copied out of the ring and validated. */
struct entry_hdr {
	uint32_t off; /* ring offset */
	uint32_t len;
	uint8_t op;
	uint16_t cmd_id;
};

/* The fixed part of a CMD request, copied out of the ring. */
struct cmd_req {
	uint32_t iov_cnt;
	uint32_t bidi_cnt;
	uint32_t dif_cnt;
	uint64_t cdb_off;
};

__attribute__((format(printf, 2, 3)))
static void ring_fail(struct tcmud_ring *r, const char *fmt, ...)
{
	va_list ap;

	if (r->broken)
		return; /* keep the first reason */
	r->broken = true;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/*
 * Copy from shared memory into private memory. The compiler barrier keeps the
 * compiler from re-reading the shared source later instead of using the copy.
 */
static void shm_copy(void *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static uint32_t *mb_word(const struct tcmud_ring *r, size_t off)
{
	return (uint32_t *)(void *)(r->base + off);
}

static uint8_t *ring_ptr(const struct tcmud_ring *r, uint32_t off)
{
	return r->base + r->cmdr_off + off;
}

/* Bytes from ring offset 'from' forward to 'to'. */
static uint32_t ring_dist(const struct tcmud_ring *r, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : r->cmdr_size - from + to;
}

/* off + len, wrapping; the caller guarantees len <= cmdr_size - off. */
static uint32_t ring_advance(const struct tcmud_ring *r, uint32_t off, uint32_t len)
{
	uint32_t end = off + len;

	return end == r->cmdr_size ? 0 : end;
}

static bool bit_test(const uint64_t *map, uint16_t id)
{
	return (map[id / 64] >> (id % 64)) & 1;
}

static void bit_set(uint64_t *map, uint16_t id)
{
	map[id / 64] |= UINT64_C(1) << (id % 64);
}

static void bit_clear(uint64_t *map, uint16_t id)
{
	map[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

static const char *op_name(uint8_t op)
{
	switch (op) {
	case TCMU_OP_PAD:
		return "PAD";
	case TCMU_OP_CMD:
		return "CMD";
	default:
		return "TMR";
	}
}

/* ------------------------------------------------------------------ attach */

static int check_mailbox(struct tcmud_ring *r, const struct tcmu_mailbox *mb)
{
	uint64_t ring_end = (uint64_t)mb->cmdr_off + mb->cmdr_size;

	if (mb->version != TCMU_MAILBOX_VERSION) {
		ring_fail(r, "mailbox version %u, expected %u", mb->version,
			  TCMU_MAILBOX_VERSION);
		return -EPROTO;
	}
	if (mb->cmdr_off < MB_MIN_SIZE || mb->cmdr_off % ENTRY_ALIGN) {
		ring_fail(r, "mailbox cmdr_off %u: below %zu or not 8-aligned",
			  mb->cmdr_off, MB_MIN_SIZE);
		return -EINVAL;
	}
	if (mb->cmdr_size < ENTRY_ALIGN || mb->cmdr_size % ENTRY_ALIGN) {
		ring_fail(r, "mailbox cmdr_size %u: below 8 or not a multiple of 8",
			  mb->cmdr_size);
		return -EINVAL;
	}
	if (ring_end > r->size) {
		ring_fail(r, "ring [%u, %llu) ends past the mapping of %zu bytes",
			  mb->cmdr_off, (unsigned long long)ring_end, r->size);
		return -EINVAL;
	}
	return 0;
}

static int check_ring_offsets(struct tcmud_ring *r, const struct tcmu_mailbox *mb)
{
	if (mb->cmd_tail >= mb->cmdr_size || mb->cmd_tail % ENTRY_ALIGN) {
		ring_fail(r, "mailbox cmd_tail %u: not an 8-aligned offset below cmdr_size %u",
			  mb->cmd_tail, mb->cmdr_size);
		return -EINVAL;
	}
	if (mb->cmd_head >= mb->cmdr_size || mb->cmd_head % ENTRY_ALIGN) {
		ring_fail(r, "mailbox cmd_head %u: not an 8-aligned offset below cmdr_size %u",
			  mb->cmd_head, mb->cmdr_size);
		return -EINVAL;
	}
	return 0;
}

int tcmud_ring_attach(struct tcmud_ring *r, void *base, size_t size,
		      tcmud_doorbell_fn doorbell, void *ctx)
{
	struct tcmu_mailbox mb;
	int err;

	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = size;
	r->doorbell = doorbell;
	r->doorbell_ctx = ctx;
	/* cmd_head and cmd_tail are accessed atomically: they must be aligned. */
	if (!base || (uintptr_t)base % ENTRY_ALIGN || size < MB_MIN_SIZE) {
		ring_fail(r, "mapping %p of %zu bytes: not 8-aligned or smaller than the mailbox",
			  base, size);
		return -EINVAL;
	}
	memset(&mb, 0, sizeof(mb));
	shm_copy(&mb, r->base, MB_MIN_SIZE);
	err = check_mailbox(r, &mb);
	if (!err)
		err = check_ring_offsets(r, &mb);
	if (err)
		return err;
	r->cmdr_off = mb.cmdr_off;
	r->cmdr_size = mb.cmdr_size;
	r->data_off = (size_t)mb.cmdr_off + mb.cmdr_size;
	r->mb_flags = mb.flags;
	r->next = r->tail = r->tail_published = mb.cmd_tail;
	return 0;
}

/* -------------------------------------------------------------- entries */

/*
 * The loops over entries stop only when the position reaches their limit, so
 * an entry must move the position forward. Already implied by the minimum
 * lengths; checked on its own so that no change there can make a loop spin.
 */
static bool entry_advances(struct tcmud_ring *r, const struct entry_hdr *h)
{
	if (h->len)
		return true;
	ring_fail(r, "%s entry at ring offset %u: zero length, the ring cannot advance",
		  op_name(h->op), h->off);
	return false;
}

/*
 * Read and validate the entry header at ring offset 'off'. 'limit' is how far
 * the entry may reach (up to cmd_head when parsing, up to the parse position
 * when re-reading a slot at the tail); 'bound' names that limit in r->why.
 */
static bool read_hdr(struct tcmud_ring *r, uint32_t off, uint32_t limit,
		     const char *bound, struct entry_hdr *h)
{
	struct tcmu_cmd_entry_hdr raw;
	uint32_t min;

	shm_copy(&raw, ring_ptr(r, off), HDR_SIZE);
	h->off = off;
	h->len = tcmu_hdr_get_len(raw.len_op);
	h->op = tcmu_hdr_get_op(raw.len_op);
	h->cmd_id = raw.cmd_id;
	if (h->op > TCMU_OP_TMR) {
		/* The op shares its bits with the length: an unaligned length lands here. */
		ring_fail(r, "entry at ring offset %u: len_op %#x has unknown op %u "
			  "or a length that is not a multiple of 8", off, raw.len_op, h->op);
		return false;
	}
	min = h->op == TCMU_OP_CMD ? CMD_MIN_SIZE :
	      h->op == TCMU_OP_TMR ? TMR_MIN_SIZE : HDR_SIZE;
	if (h->len < min) {
		ring_fail(r, "%s entry at ring offset %u: length %u below the minimum %u",
			  op_name(h->op), off, h->len, min);
		return false;
	}
	if (h->len > r->cmdr_size - off) {
		ring_fail(r, "%s entry at ring offset %u: length %u runs past the ring end %u",
			  op_name(h->op), off, h->len, r->cmdr_size);
		return false;
	}
	if (h->len > limit) {
		ring_fail(r, "%s entry at ring offset %u: length %u runs past %s (%u bytes away)",
			  op_name(h->op), off, h->len, bound, limit);
		return false;
	}
	return entry_advances(r, h);
}

/* PAD and TMR entries need no reply: the tail moves over them right away. */
static void consume_entry(struct tcmud_ring *r, const struct entry_hdr *h)
{
	uint32_t end = ring_advance(r, h->off, h->len);

	if (r->tail == h->off)
		r->tail = end;
	r->next = end;
}

/*
 * Move the tail over PAD/TMR slots. Returns 1 with the CMD slot at the tail
 * in *h, 0 when the tail reached the parse position, -1 if the ring broke.
 * The caller uses *h as read here: the header is not fetched again.
 */
static int tail_to_cmd_slot(struct tcmud_ring *r, struct entry_hdr *h)
{
	while (r->tail != r->next) {
		if (!read_hdr(r, r->tail, ring_dist(r, r->tail, r->next),
			      "the parse position", h))
			return -1;
		if (h->op == TCMU_OP_CMD)
			return 1;
		r->tail = ring_advance(r, h->off, h->len);
	}
	return 0;
}

/* ------------------------------------------------------------- completion */

static uint8_t rsp_uflags(const struct tcmud_ring_rsp *rsp)
{
	uint8_t uflags = 0;

	if (rsp->unknown_op)
		uflags |= TCMU_UFLAG_UNKNOWN_OP;
	if (rsp->read_len_valid)
		uflags |= TCMU_UFLAG_READ_LEN;
	return uflags;
}

/* Write the response into the CMD slot at ring offset 'off'; len_op stays. */
static void write_rsp(struct tcmud_ring *r, uint32_t off, uint16_t cmd_id,
		      const struct tcmud_ring_rsp *rsp)
{
	uint8_t body[RSP_SIZE];
	uint8_t *e = ring_ptr(r, off);
	uint8_t uflags = rsp_uflags(rsp);
	uint32_t read_len = rsp->read_len_valid ? rsp->read_len : 0;
	size_t sense_len = rsp->sense ? rsp->sense_len : 0;

	if (sense_len > TCMU_SENSE_BUFFERSIZE)
		sense_len = TCMU_SENSE_BUFFERSIZE;
	memset(body, 0, sizeof(body));
	body[offsetof(struct tcmu_cmd_entry, rsp.scsi_status) - RSP_OFF] = rsp->status;
	memcpy(body + offsetof(struct tcmu_cmd_entry, rsp.read_len) - RSP_OFF,
	       &read_len, sizeof(read_len));
	if (sense_len)
		memcpy(body + offsetof(struct tcmu_cmd_entry, rsp.sense_buffer) - RSP_OFF,
		       rsp->sense, sense_len);
	memcpy(e + RSP_OFF, body, sizeof(body));
	/* Out-of-order completion: the kernel looks up the id written here. */
	memcpy(e + offsetof(struct tcmu_cmd_entry_hdr, cmd_id), &cmd_id, sizeof(cmd_id));
	memcpy(e + offsetof(struct tcmu_cmd_entry_hdr, uflags), &uflags, sizeof(uflags));
}

/* Complete outstanding cmd_id into the CMD slot at the tail. */
static int complete_at_tail(struct tcmud_ring *r, uint16_t cmd_id,
			    const struct tcmud_ring_rsp *rsp)
{
	struct entry_hdr h;
	uint32_t start = r->tail;
	int found = tail_to_cmd_slot(r, &h);

	if (found <= 0) {
		if (!found)
			ring_fail(r, "no CMD slot left between cmd_tail %u and the parse position "
				  "for cmd_id %u (%u outstanding)", r->tail, cmd_id,
				  r->outstanding);
		/* A flush after the break publishes only slots known to be good. */
		r->tail = start;
		return -EIO;
	}
	write_rsp(r, h.off, cmd_id, rsp);
	r->tail = ring_advance(r, h.off, h.len);
	bit_clear(r->inflight, cmd_id);
	bit_clear(r->aborted, cmd_id);
	r->outstanding--;
	/* Release the PAD/TMR slots behind it even if nothing else completes. */
	start = r->tail;
	if (tail_to_cmd_slot(r, &h) < 0) {
		r->tail = start;
		return -EIO;
	}
	return 0;
}

int tcmud_ring_complete(struct tcmud_ring *r, uint16_t cmd_id,
			const struct tcmud_ring_rsp *rsp)
{
	static const struct tcmud_ring_rsp good;
	static const struct tcmud_ring_rsp aborted = { .status = TCMUD_STATUS_TASK_ABORTED };

	if (r->broken)
		return -EIO;
	if (!bit_test(r->inflight, cmd_id))
		return -ENOENT;
	if (bit_test(r->aborted, cmd_id))
		rsp = &aborted;
	return complete_at_tail(r, cmd_id, rsp ? rsp : &good);
}

bool tcmud_ring_cmd_aborted(const struct tcmud_ring *r, uint16_t cmd_id)
{
	return bit_test(r->aborted, cmd_id);
}

bool tcmud_ring_flush(struct tcmud_ring *r)
{
	/* Even on a broken ring: the tail only ever moved over slots that were
	 * checked, so completions made before the break still reach the kernel. */
	if (r->tail == r->tail_published)
		return false;
	__atomic_store_n(mb_word(r, offsetof(struct tcmu_mailbox, cmd_tail)), r->tail,
			 __ATOMIC_RELEASE);
	r->tail_published = r->tail;
	r->doorbells++;
	if (r->doorbell)
		r->doorbell(r->doorbell_ctx);
	return true;
}

/*
 * Legitimate kernels never use more than one iovec per data block, and a data
 * block is at least one 4 KiB page; the +1 covers a partial block at the end
 * of a data area that is not a whole number of pages.
 */
size_t tcmud_ring_iov_capacity(const struct tcmud_ring *r)
{
	return (r->size - r->data_off) / DATA_BLOCK_SIZE + 1;
}

/* ------------------------------------------------------------------- CMD */

static bool check_iov_counts(struct tcmud_ring *r, const struct entry_hdr *h,
			     const struct cmd_req *q, size_t iov_cap)
{
	uint64_t iovs = (uint64_t)q->iov_cnt + q->bidi_cnt;

	if (q->dif_cnt) {
		ring_fail(r, "CMD entry at ring offset %u (cmd_id %u): iov_dif_cnt %u, expected 0",
			  h->off, h->cmd_id, q->dif_cnt);
		return false;
	}
	if (iovs > (h->len - REQ_SIZE) / IOV_SIZE) {
		ring_fail(r, "CMD entry at ring offset %u (cmd_id %u): iov_cnt %u + iov_bidi_cnt %u "
			  "iovecs do not fit its length %u", h->off, h->cmd_id, q->iov_cnt,
			  q->bidi_cnt, h->len);
		return false;
	}
	if (iovs > iov_cap) {
		ring_fail(r, "CMD entry at ring offset %u (cmd_id %u): iov_cnt %u + iov_bidi_cnt %u "
			  "exceeds the iov capacity %zu", h->off, h->cmd_id, q->iov_cnt,
			  q->bidi_cnt, iov_cap);
		return false;
	}
	return true;
}

static bool read_req(struct tcmud_ring *r, const struct entry_hdr *h,
		     size_t iov_cap, struct cmd_req *q)
{
	uint8_t raw[REQ_SIZE];

	shm_copy(raw, ring_ptr(r, h->off), sizeof(raw));
	memcpy(&q->iov_cnt, raw + offsetof(struct tcmu_cmd_entry, req.iov_cnt), 4);
	memcpy(&q->bidi_cnt, raw + offsetof(struct tcmu_cmd_entry, req.iov_bidi_cnt), 4);
	memcpy(&q->dif_cnt, raw + offsetof(struct tcmu_cmd_entry, req.iov_dif_cnt), 4);
	memcpy(&q->cdb_off, raw + offsetof(struct tcmu_cmd_entry, req.cdb_off), 8);
	return check_iov_counts(r, h, q, iov_cap);
}

/* Translate iov[i] of the entry (an offset into the mapping) into a pointer. */
static bool read_iov(struct tcmud_ring *r, const struct entry_hdr *h, uint32_t i,
		     struct iovec *out)
{
	uint64_t raw[2]; /* iov_base (an offset), iov_len */

	shm_copy(raw, ring_ptr(r, h->off) + REQ_SIZE + (size_t)i * IOV_SIZE, sizeof(raw));
	if (raw[0] < r->data_off || raw[0] > r->size || raw[1] > r->size - raw[0]) {
		ring_fail(r, "CMD entry at ring offset %u (cmd_id %u): iov[%u] base %#llx len %#llx "
			  "outside the data area [%#zx, %#zx)", h->off, h->cmd_id, i,
			  (unsigned long long)raw[0], (unsigned long long)raw[1],
			  r->data_off, r->size);
		return false;
	}
	out->iov_base = r->base + raw[0];
	out->iov_len = raw[1];
	return true;
}

static bool read_iovs(struct tcmud_ring *r, const struct entry_hdr *h,
		      const struct cmd_req *q, struct iovec *iov_buf,
		      struct tcmud_cmd *cmd)
{
	uint32_t total = q->iov_cnt + q->bidi_cnt; /* bounded by read_req */

	for (uint32_t i = 0; i < total; i++) {
		if (!read_iov(r, h, i, &iov_buf[i]))
			return false;
		if (i < q->iov_cnt)
			cmd->data_len += iov_buf[i].iov_len;
	}
	cmd->iov = q->iov_cnt ? iov_buf : NULL;
	cmd->iov_cnt = q->iov_cnt;
	cmd->bidi_iov = q->bidi_cnt ? iov_buf + q->iov_cnt : NULL;
	cmd->bidi_iov_cnt = q->bidi_cnt;
	return true;
}

/*
 * CDB length from the opcode group; 0 means variable length (8 + byte 7).
 * Group 3 apart from 0x7e/0x7f is reserved and groups 6/7 are vendor
 * specific: they have no defined length. The kernel copies 12 resp. 10 bytes
 * but reserves a multiple of 8 bytes (16) for them in the entry, so 16 bytes
 * are read; the SCSI layer then answers INVALID COMMAND OPERATION CODE.
 */
static uint32_t cdb_group_len(uint8_t opcode)
{
	switch (opcode >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 3:
		return opcode == 0x7e || opcode == 0x7f ? 0 : 16;
	case 4:
		return 16;
	case 5:
		return 12;
	default:
		return 16;
	}
}

static bool cdb_fits(struct tcmud_ring *r, const struct entry_hdr *h,
		     uint64_t cdb_off, uint32_t len)
{
	if (len <= r->size - cdb_off)
		return true;
	ring_fail(r, "CMD entry at ring offset %u (cmd_id %u): cdb_off %#llx + CDB length %u "
		  "runs past the mapping end %#zx", h->off, h->cmd_id,
		  (unsigned long long)cdb_off, len, r->size);
	return false;
}

/*
 * Copy the CDB in stages (opcode, then the variable-length header, then the
 * rest) so that no byte is fetched twice: the length is computed from the
 * private copy only.
 */
static bool read_cdb(struct tcmud_ring *r, const struct entry_hdr *h,
		     uint64_t cdb_off, struct tcmud_cmd *cmd)
{
	uint32_t have = 1, len;

	if (cdb_off >= r->size) {
		ring_fail(r, "CMD entry at ring offset %u (cmd_id %u): cdb_off %#llx outside the "
			  "mapping of %#zx bytes", h->off, h->cmd_id,
			  (unsigned long long)cdb_off, r->size);
		return false;
	}
	shm_copy(cmd->cdb, r->base + cdb_off, 1);
	len = cdb_group_len(cmd->cdb[0]);
	if (!len) {
		if (!cdb_fits(r, h, cdb_off, VARLEN_CDB_HDR))
			return false;
		shm_copy(cmd->cdb + 1, r->base + cdb_off + 1, VARLEN_CDB_HDR - 1);
		have = VARLEN_CDB_HDR;
		len = VARLEN_CDB_HDR + cmd->cdb[7];
		if (len > TCMUD_MAX_CDB_LEN) {
			ring_fail(r, "CMD entry at ring offset %u (cmd_id %u): variable-length CDB "
				  "of %u bytes exceeds %u", h->off, h->cmd_id, len,
				  TCMUD_MAX_CDB_LEN);
			return false;
		}
	}
	if (!cdb_fits(r, h, cdb_off, len))
		return false;
	shm_copy(cmd->cdb + have, r->base + cdb_off + have, len - have);
	cmd->cdb_len = (uint16_t)len;
	return true;
}

static enum tcmud_ring_event parse_cmd(struct tcmud_ring *r, const struct entry_hdr *h,
				       struct tcmud_cmd *cmd, struct iovec *iov_buf,
				       size_t iov_cap)
{
	struct cmd_req q;

	if (bit_test(r->inflight, h->cmd_id)) {
		ring_fail(r, "CMD entry at ring offset %u: cmd_id %u already outstanding",
			  h->off, h->cmd_id);
		return TCMUD_RING_BROKEN;
	}
	if (!read_req(r, h, iov_cap, &q))
		return TCMUD_RING_BROKEN;
	memset(cmd, 0, sizeof(*cmd)); /* also zeroes the response fields */
	if (!read_iovs(r, h, &q, iov_buf, cmd) || !read_cdb(r, h, q.cdb_off, cmd))
		return TCMUD_RING_BROKEN;
	cmd->tag = h->cmd_id;
	bit_set(r->inflight, h->cmd_id);
	r->outstanding++;
	r->cmds++;
	r->next = ring_advance(r, h->off, h->len);
	return TCMUD_RING_CMD;
}

/* ------------------------------------------------------------------- TMR */

/*
 * Mark outstanding cmd_id aborted; true if it was not marked yet. It is not
 * completed here: its cmd_id and data blocks stay ours until the caller is
 * done with them and completes it.
 */
static bool mark_aborted(struct tcmud_ring *r, uint16_t cmd_id)
{
	if (!bit_test(r->inflight, cmd_id) || bit_test(r->aborted, cmd_id))
		return false;
	bit_set(r->aborted, cmd_id);
	return true;
}

static enum tcmud_ring_event parse_tmr(struct tcmud_ring *r, const struct entry_hdr *h,
				       struct tcmud_ring_tmr *tmr)
{
	uint8_t raw[TMR_MIN_SIZE];
	const uint8_t *ids = ring_ptr(r, h->off) + offsetof(struct tcmu_tmr_entry, cmd_ids);
	uint32_t cnt, marked = 0;

	shm_copy(raw, ring_ptr(r, h->off), sizeof(raw));
	memcpy(&cnt, raw + offsetof(struct tcmu_tmr_entry, cmd_cnt), sizeof(cnt));
	if ((uint64_t)cnt * sizeof(uint16_t) > h->len - TMR_MIN_SIZE) {
		ring_fail(r, "TMR entry at ring offset %u: cmd_cnt %u does not fit length %u",
			  h->off, cnt, h->len);
		return TCMUD_RING_BROKEN;
	}
	for (uint32_t i = 0; i < cnt; i++) {
		uint16_t id;

		shm_copy(&id, ids + (size_t)i * sizeof(id), sizeof(id));
		marked += mark_aborted(r, id);
	}
	consume_entry(r, h);
	r->tmrs++;
	if (tmr) {
		tmr->type = raw[offsetof(struct tcmu_tmr_entry, tmr_type)];
		tmr->cmd_cnt = cnt;
		tmr->aborted = marked;
	}
	return TCMUD_RING_TMR;
}

/* ------------------------------------------------------------------ next */

/* Load cmd_head (acquire: the entries before it are then visible) and check it. */
static bool load_head(struct tcmud_ring *r, uint32_t *head)
{
	uint32_t h = __atomic_load_n(mb_word(r, offsetof(struct tcmu_mailbox, cmd_head)),
				     __ATOMIC_ACQUIRE);

	if (h >= r->cmdr_size || h % ENTRY_ALIGN) {
		ring_fail(r, "mailbox cmd_head %u: not an 8-aligned offset below cmdr_size %u",
			  h, r->cmdr_size);
		return false;
	}
	/* The kernel only writes between cmd_head and cmd_tail: never behind us. */
	if (ring_dist(r, r->tail_published, h) < ring_dist(r, r->tail_published, r->next)) {
		ring_fail(r, "mailbox cmd_head %u moved back between cmd_tail %u and the parse "
			  "position %u", h, r->tail_published, r->next);
		return false;
	}
	*head = h;
	return true;
}

enum tcmud_ring_event tcmud_ring_next(struct tcmud_ring *r, struct tcmud_cmd *cmd,
				      struct iovec *iov_buf, size_t iov_cap,
				      struct tcmud_ring_tmr *tmr)
{
	struct entry_hdr h;
	uint32_t head;

	if (r->broken || !load_head(r, &head))
		return TCMUD_RING_BROKEN;
	while (r->next != head) {
		if (!read_hdr(r, r->next, ring_dist(r, r->next, head), "cmd_head", &h))
			return TCMUD_RING_BROKEN;
		if (h.op == TCMU_OP_CMD)
			return parse_cmd(r, &h, cmd, iov_buf, iov_cap);
		if (h.op == TCMU_OP_TMR)
			return parse_tmr(r, &h, tmr);
		consume_entry(r, &h);
		r->pads++;
	}
	return TCMUD_RING_EMPTY;
}
