/* SPDX-License-Identifier: Apache-2.0 */
#include "fake_kernel.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#define FK_ALIGN TCMU_OP_ALIGN_SIZE
#define FK_IOV_OFF offsetof(struct tcmu_cmd_entry, req.iov)

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static uint32_t *mb_word(const struct fake_kernel *fk, size_t off)
{
	return (uint32_t *)(void *)(fk->map + off);
}

static uint8_t *ring_at(const struct fake_kernel *fk, uint32_t off)
{
	return fk->map + FK_CMDR_OFF + off;
}

/* ------------------------------------------------------------ the region */

static void map_region(struct fake_kernel *fk, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	fk->size = size;
	fk->region_len = size + 2 * page;
	fk->region = mmap(NULL, fk->region_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fk->region != MAP_FAILED);
	assert_int_equal(mprotect(fk->region, page, PROT_NONE), 0);
	assert_int_equal(mprotect(fk->region + page + size, page, PROT_NONE), 0);
	fk->map = fk->region + page;
}

static void init_mailbox(struct fake_kernel *fk, uint32_t start)
{
	struct tcmu_mailbox *mb = fk_mailbox(fk);

	mb->version = TCMU_MAILBOX_VERSION;
	mb->flags = TCMU_MAILBOX_FLAG_CAP_OOOC | TCMU_MAILBOX_FLAG_CAP_READ_LEN |
		    TCMU_MAILBOX_FLAG_CAP_TMR | TCMU_MAILBOX_FLAG_CAP_KEEP_BUF;
	mb->cmdr_off = FK_CMDR_OFF;
	mb->cmdr_size = fk->cmdr_size;
	*mb_word(fk, offsetof(struct tcmu_mailbox, cmd_head)) = start;
	*mb_word(fk, offsetof(struct tcmu_mailbox, cmd_tail)) = start;
	fk->head = fk->last_cleaned = start;
}

void fk_init(struct fake_kernel *fk, uint32_t cmdr_size, size_t data_size, uint32_t start)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	memset(fk, 0, sizeof(*fk));
	fk->cmdr_size = cmdr_size;
	fk->data_off = FK_CMDR_OFF + (size_t)cmdr_size;
	/* A whole number of pages, so the mapping ends right at the guard page. */
	map_region(fk, round_up(fk->data_off + data_size, page));
	fk->nr_blocks = (uint32_t)((fk->size - fk->data_off) / FK_BLOCK_SIZE);
	fk->block_used = calloc(fk->nr_blocks ? fk->nr_blocks : 1, 1);
	fk->cmds = calloc(FK_NR_IDS, sizeof(*fk->cmds));
	fk->results = calloc(FK_NR_IDS, sizeof(*fk->results));
	assert_non_null(fk->block_used);
	assert_non_null(fk->cmds);
	assert_non_null(fk->results);
	fk->min_pad = UINT32_MAX;
	fk->reap_on_doorbell = true;
	init_mailbox(fk, start);
}

static void free_cmd(struct fake_kernel *fk, struct fk_cmd *c)
{
	for (uint32_t i = 0; i < c->nr_blocks; i++)
		fk->block_used[c->blocks[i]] = 0;
	free(c->blocks);
	free(c->iov);
	memset(c, 0, sizeof(*c));
}

void fk_fini(struct fake_kernel *fk)
{
	for (uint32_t id = 0; id < FK_NR_IDS; id++) {
		free_cmd(fk, &fk->cmds[id]);
		free(fk->results[id].data_in);
	}
	free(fk->cmds);
	free(fk->results);
	free(fk->block_used);
	munmap(fk->region, fk->region_len);
	memset(fk, 0, sizeof(*fk));
}

struct tcmu_mailbox *fk_mailbox(struct fake_kernel *fk)
{
	return (struct tcmu_mailbox *)(void *)fk->map;
}

struct tcmu_cmd_entry *fk_entry(struct fake_kernel *fk, uint32_t ring_off)
{
	return (struct tcmu_cmd_entry *)(void *)ring_at(fk, ring_off);
}

const struct fk_cmd *fk_cmd(const struct fake_kernel *fk, uint16_t id)
{
	return &fk->cmds[id];
}

const struct fk_result *fk_result(const struct fake_kernel *fk, uint16_t id)
{
	return &fk->results[id];
}

uint32_t fk_cmd_tail(const struct fake_kernel *fk)
{
	return __atomic_load_n(mb_word(fk, offsetof(struct tcmu_mailbox, cmd_tail)),
			       __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------- ring and head */

static void publish_head(struct fake_kernel *fk, uint32_t head)
{
	if (head < fk->head)
		fk->laps++;
	fk->head = head;
	__atomic_store_n(mb_word(fk, offsetof(struct tcmu_mailbox, cmd_head)), head,
			 __ATOMIC_RELEASE);
}

void fk_set_head(struct fake_kernel *fk, uint32_t head)
{
	__atomic_store_n(mb_word(fk, offsetof(struct tcmu_mailbox, cmd_head)), head,
			 __ATOMIC_RELEASE);
}

static uint32_t head_to_end(const struct fake_kernel *fk)
{
	return fk->cmdr_size - fk->head;
}

/* is_ring_space_avail(): one byte stays free; a wrap needs the PAD too. */
static bool ring_has_room(const struct fake_kernel *fk, size_t size)
{
	size_t used = fk->head >= fk->last_cleaned ? fk->head - fk->last_cleaned :
			fk->cmdr_size - fk->last_cleaned + fk->head;
	size_t space = fk->cmdr_size - used - 1;
	size_t needed = head_to_end(fk) >= size ? size : size + head_to_end(fk);

	return space >= needed;
}

/* ring_insert_padding() */
static void insert_padding(struct fake_kernel *fk, size_t size)
{
	struct tcmu_cmd_entry_hdr *hdr;
	uint32_t pad = head_to_end(fk);

	if (pad >= size)
		return;
	hdr = (struct tcmu_cmd_entry_hdr *)(void *)ring_at(fk, fk->head);
	hdr->len_op = pad | TCMU_OP_PAD;
	hdr->cmd_id = 0;
	hdr->kflags = 0;
	hdr->uflags = 0;
	fk->pads++;
	if (pad < fk->min_pad)
		fk->min_pad = pad;
	publish_head(fk, 0);
}

static void advance_head(struct fake_kernel *fk, size_t len)
{
	publish_head(fk, (uint32_t)((fk->head + len) % fk->cmdr_size));
}

uint32_t fk_queue_raw(struct fake_kernel *fk, const void *bytes, uint32_t len,
		      uint32_t advance)
{
	uint32_t off = fk->head;

	assert_true(len <= head_to_end(fk));
	memcpy(ring_at(fk, off), bytes, len);
	advance_head(fk, advance);
	return off;
}

/* ------------------------------------------------------------- data area */

/* Next-fit search for n contiguous free blocks; returns the first or -1. */
static int64_t alloc_run(struct fake_kernel *fk, uint32_t n)
{
	for (uint32_t tried = 0; tried < fk->nr_blocks; tried++) {
		uint32_t first = (fk->block_cursor + tried) % fk->nr_blocks;
		uint32_t k = 0;

		if (first + n > fk->nr_blocks)
			continue;
		while (k < n && !fk->block_used[first + k])
			k++;
		if (k < n)
			continue;
		memset(fk->block_used + first, 1, n);
		fk->block_cursor = (first + n) % fk->nr_blocks;
		return first;
	}
	return -1;
}

static uint32_t iov_pieces(size_t len, uint32_t split)
{
	if (!len)
		return 0;
	if (!split)
		split = 1;
	return split > len ? (uint32_t)len : split;
}

/* Allocate blocks for one group of iovs: len bytes in n pieces. */
static bool alloc_group(struct fake_kernel *fk, struct fk_cmd *c, struct fk_iov *iov,
			size_t len, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		size_t piece = len / n + (i < len % n ? 1 : 0);
		uint32_t blocks = (uint32_t)round_up(piece, FK_BLOCK_SIZE) / FK_BLOCK_SIZE;
		int64_t first = alloc_run(fk, blocks);

		if (first < 0)
			return false;
		for (uint32_t b = 0; b < blocks; b++)
			c->blocks[c->nr_blocks++] = (uint32_t)first + b;
		iov[i].off = fk->data_off + (uint64_t)first * FK_BLOCK_SIZE;
		iov[i].len = piece;
	}
	return true;
}

static uint32_t group_blocks(size_t len, uint32_t n)
{
	return n ? (uint32_t)(round_up(len / n + 1, FK_BLOCK_SIZE) / FK_BLOCK_SIZE) * n : 0;
}

static bool alloc_data(struct fake_kernel *fk, struct fk_cmd *c, const struct fk_cmd_desc *d)
{
	bool bidi = d->out && d->in_len;
	size_t len1 = d->out ? d->out_len : d->in_len;
	uint32_t n1 = iov_pieces(len1, d->split);
	uint32_t n2 = bidi ? iov_pieces(d->in_len, d->bidi_split) : 0;

	c->is_read = !d->out;
	c->iov_cnt = n1;
	c->bidi_cnt = n2;
	c->iov = calloc(n1 + n2 + 1, sizeof(*c->iov));
	c->blocks = calloc(group_blocks(len1, n1) + group_blocks(d->in_len, n2) + 1,
			   sizeof(*c->blocks));
	assert_non_null(c->iov);
	assert_non_null(c->blocks);
	return alloc_group(fk, c, c->iov, len1, n1) &&
	       alloc_group(fk, c, c->iov + n1, bidi ? d->in_len : 0, n2);
}

/* scatter_data_area(): Data-Out goes into the blocks. */
static void scatter_out(struct fake_kernel *fk, const struct fk_cmd *c, const uint8_t *out)
{
	size_t done = 0;

	if (!out)
		return;
	for (uint32_t i = 0; i < c->iov_cnt; i++) {
		memcpy(fk->map + c->iov[i].off, out + done, c->iov[i].len);
		done += c->iov[i].len;
	}
}

/* --------------------------------------------------------------- queueing */

static int alloc_cmd_id(const struct fake_kernel *fk)
{
	/* xa_alloc(XA_LIMIT(1, 0xffff)): the lowest free id. */
	for (uint32_t id = 1; id < FK_NR_IDS; id++)
		if (!fk->cmds[id].inflight)
			return (int)id;
	return -EAGAIN;
}

static size_t cmd_entry_size(uint32_t iovs, uint16_t cdb_len)
{
	size_t base = FK_IOV_OFF + (size_t)iovs * sizeof(struct iovec);

	if (base < sizeof(struct tcmu_cmd_entry))
		base = sizeof(struct tcmu_cmd_entry);
	return base + round_up(cdb_len, FK_ALIGN);
}

static void write_cmd_entry(struct fake_kernel *fk, uint16_t id, const struct fk_cmd_desc *d,
			    size_t size)
{
	struct fk_cmd *c = &fk->cmds[id];
	struct tcmu_cmd_entry *e = fk_entry(fk, fk->head);
	size_t base = size - round_up(d->cdb_len, FK_ALIGN);

	memset(e, 0, size);
	e->hdr.len_op = (uint32_t)size | TCMU_OP_CMD;
	e->hdr.cmd_id = id;
	e->req.iov_cnt = c->iov_cnt;
	e->req.iov_bidi_cnt = c->bidi_cnt;
	for (uint32_t i = 0; i < c->iov_cnt + c->bidi_cnt; i++) {
		e->req.iov[i].iov_base = (void *)(uintptr_t)c->iov[i].off;
		e->req.iov[i].iov_len = c->iov[i].len;
	}
	/* All offsets relative to the start of the mapping. */
	e->req.cdb_off = FK_CMDR_OFF + fk->head + base;
	memcpy(ring_at(fk, fk->head) + base, d->cdb, d->cdb_len);
	c->entry_off = fk->head;
	c->entry_len = (uint32_t)size;
}

int fk_queue_cmd(struct fake_kernel *fk, const struct fk_cmd_desc *d)
{
	struct fk_cmd c = { 0 };
	int id = alloc_cmd_id(fk);
	size_t size;

	if (id < 0)
		return id;
	if (!alloc_data(fk, &c, d)) {
		free_cmd(fk, &c);
		return -EAGAIN;
	}
	size = cmd_entry_size(c.iov_cnt + c.bidi_cnt, d->cdb_len);
	if (size > fk->cmdr_size / 2 || !ring_has_room(fk, size)) {
		free_cmd(fk, &c);
		return size > fk->cmdr_size / 2 ? -EINVAL : -EAGAIN;
	}
	c.inflight = true;
	fk->cmds[id] = c;
	free(fk->results[id].data_in);
	memset(&fk->results[id], 0, sizeof(fk->results[id]));
	insert_padding(fk, size);
	write_cmd_entry(fk, (uint16_t)id, d, size);
	scatter_out(fk, &fk->cmds[id], d->out);
	advance_head(fk, size);
	return id;
}

int fk_queue_tmr(struct fake_kernel *fk, uint8_t type, const uint16_t *ids, uint32_t cnt)
{
	size_t size = round_up(sizeof(struct tcmu_tmr_entry) + cnt * sizeof(uint16_t), FK_ALIGN);
	struct tcmu_tmr_entry *e;

	if (!ring_has_room(fk, size))
		return -EAGAIN;
	insert_padding(fk, size);
	e = (struct tcmu_tmr_entry *)(void *)ring_at(fk, fk->head);
	memset(e, 0, size);
	e->hdr.len_op = (uint32_t)size | TCMU_OP_TMR;
	e->tmr_type = type;
	e->cmd_cnt = cnt;
	if (cnt)
		memcpy(ring_at(fk, fk->head) + offsetof(struct tcmu_tmr_entry, cmd_ids), ids,
		       cnt * sizeof(uint16_t));
	advance_head(fk, size);
	return 0;
}

/* ---------------------------------------------------------------- reaping */

/* gather_data_area(): copy the Data-In the initiator would get. */
static void gather_in(struct fake_kernel *fk, const struct fk_cmd *c, struct fk_result *res)
{
	const struct fk_iov *iov = c->is_read ? c->iov : c->iov + c->iov_cnt;
	uint32_t n = c->is_read ? c->iov_cnt : c->bidi_cnt;
	size_t total = 0, done = 0;

	for (uint32_t i = 0; i < n; i++)
		total += iov[i].len;
	if (c->is_read && (res->uflags & TCMU_UFLAG_READ_LEN) && res->read_len &&
	    res->read_len < total)
		total = res->read_len;
	res->data_in = malloc(total + 1);
	assert_non_null(res->data_in);
	for (uint32_t i = 0; i < n && done < total; i++) {
		size_t part = iov[i].len < total - done ? iov[i].len : total - done;

		memcpy(res->data_in + done, fk->map + iov[i].off, part);
		done += part;
	}
	res->data_in_len = total;
}

/* tcmu_handle_completion() for the CMD entry e, whose current cmd_id is id. */
static void complete_one(struct fake_kernel *fk, const struct tcmu_cmd_entry *e, uint16_t id)
{
	struct fk_cmd *c = &fk->cmds[id];
	struct fk_result *res = &fk->results[id];

	if (!c->inflight)
		fail_msg("kernel: cmd_id %u not found (unknown or duplicate), ring is broken", id);
	res->completions++;
	res->status = e->rsp.scsi_status;
	res->uflags = e->hdr.uflags;
	res->read_len = e->rsp.read_len;
	memcpy(res->sense, e->rsp.sense_buffer, sizeof(res->sense));
	free(res->data_in);
	res->data_in = NULL;
	if (!(res->uflags & TCMU_UFLAG_UNKNOWN_OP))
		gather_in(fk, c, res);
	free_cmd(fk, c);
	fk->reap_log[fk->reap_log_n++ % FK_REAP_LOG] = id;
	fk->reaped++;
}

static void check_tail(const struct fake_kernel *fk, uint32_t tail)
{
	uint32_t used = (fk->head - fk->last_cleaned + fk->cmdr_size) % fk->cmdr_size;
	uint32_t moved = (tail - fk->last_cleaned + fk->cmdr_size) % fk->cmdr_size;

	if (tail >= fk->cmdr_size || tail % FK_ALIGN || moved > used)
		fail_msg("kernel: cmd_tail %u outside the used ring [%u, %u)", tail,
			 fk->last_cleaned, fk->head);
}

unsigned fk_reap(struct fake_kernel *fk)
{
	uint32_t tail = fk_cmd_tail(fk);
	unsigned n = 0;

	check_tail(fk, tail);
	while (fk->last_cleaned != tail) {
		const struct tcmu_cmd_entry *e = fk_entry(fk, fk->last_cleaned);
		uint32_t len = tcmu_hdr_get_len(e->hdr.len_op);
		uint8_t op = tcmu_hdr_get_op(e->hdr.len_op);

		if (!len)
			fail_msg("kernel: zero-length entry at ring offset %u", fk->last_cleaned);
		if (op == TCMU_OP_CMD) {
			complete_one(fk, e, e->hdr.cmd_id);
			n++;
		} else if (op != TCMU_OP_PAD && op != TCMU_OP_TMR) {
			fail_msg("kernel: op %u at ring offset %u", op, fk->last_cleaned);
		}
		fk->last_cleaned = (fk->last_cleaned + len) % fk->cmdr_size;
	}
	return n;
}

void fk_doorbell(void *ctx)
{
	struct fake_kernel *fk = ctx;

	fk->doorbells++;
	if (fk->reap_on_doorbell)
		fk_reap(fk);
}

/* ---------------------------------------------------------------- harness */

struct fk_env *fk_env_new(uint32_t cmdr_size, size_t data_size, uint32_t start)
{
	struct fk_env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	fk_init(&e->fk, cmdr_size, data_size, start);
	assert_int_equal(tcmud_ring_attach(&e->r, e->fk.map, e->fk.size, fk_doorbell, &e->fk), 0);
	e->iov_cap = tcmud_ring_iov_capacity(&e->r);
	e->iov = calloc(e->iov_cap, sizeof(*e->iov));
	assert_non_null(e->iov);
	return e;
}

void fk_env_free(struct fk_env *e)
{
	fk_fini(&e->fk);
	free(e->iov);
	free(e);
}

enum tcmud_ring_event fk_env_next(struct fk_env *e)
{
	return tcmud_ring_next(&e->r, &e->cmd, e->iov, e->iov_cap, &e->tmr);
}

uint16_t fk_env_queue_nodata(struct fk_env *e, uint8_t opcode)
{
	/* scsi_command_size_tbl[] of the kernel, by opcode group */
	static const uint16_t group_len[8] = { 6, 10, 10, 12, 16, 12, 10, 10 };
	uint8_t cdb[16] = { opcode };
	struct fk_cmd_desc d = { .cdb = cdb, .cdb_len = group_len[opcode >> 5] };
	int id;

	id = fk_queue_cmd(&e->fk, &d);
	assert_true(id > 0);
	return (uint16_t)id;
}

uint16_t fk_env_next_cmd(struct fk_env *e)
{
	assert_int_equal(fk_env_next(e), TCMUD_RING_CMD);
	return (uint16_t)e->cmd.tag;
}

void fk_env_complete(struct fk_env *e, uint16_t id, uint8_t status)
{
	struct tcmud_ring_rsp rsp = { .status = status };

	assert_int_equal(tcmud_ring_complete(&e->r, id, &rsp), 0);
}
