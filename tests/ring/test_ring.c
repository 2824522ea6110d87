/* SPDX-License-Identifier: Apache-2.0 */
/* The ring engine against the simulated kernel: the protocol when all goes well. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "ring.h"

#define RING_8M (8u * 1024 * 1024 - FK_CMDR_OFF)
#define CMD_ENTRY_MIN sizeof(struct tcmu_cmd_entry)

static const uint8_t write10[10] = { 0x2a, 0, 0, 0, 0, 0x10, 0, 0, 8, 0 };
static const uint8_t read10[10] = { 0x28, 0, 0, 0, 0, 0x20, 0, 0, 16, 0 };

static uint8_t pattern(uint32_t seed, size_t i)
{
	return (uint8_t)(seed * 131u + i * 7u + (i >> 8));
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(seed, i);
}

/* Fill a command's iovecs with the pattern, as a handler serving a read would. */
static void fill_iovs(const struct iovec *iov, size_t cnt, uint32_t seed)
{
	size_t done = 0;

	for (size_t i = 0; i < cnt; i++) {
		for (size_t j = 0; j < iov[i].iov_len; j++)
			((uint8_t *)iov[i].iov_base)[j] = pattern(seed, done + j);
		done += iov[i].iov_len;
	}
}

static bool iovs_hold(const struct iovec *iov, size_t cnt, uint32_t seed)
{
	size_t done = 0;

	for (size_t i = 0; i < cnt; i++) {
		for (size_t j = 0; j < iov[i].iov_len; j++)
			if (((uint8_t *)iov[i].iov_base)[j] != pattern(seed, done + j))
				return false;
		done += iov[i].iov_len;
	}
	return true;
}

static bool buf_holds(const uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(seed, i))
			return false;
	return true;
}

/* The engine's iovecs are the kernel's data blocks themselves (zero copy). */
static void assert_iovs_are_kernels(const struct fk_env *e, const struct iovec *iov,
				    const struct fk_iov *kiov, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++) {
		assert_ptr_equal(iov[i].iov_base, e->fk.map + kiov[i].off);
		assert_int_equal(iov[i].iov_len, kiov[i].len);
	}
}

/* ------------------------------------------------------------------ attach */

static void test_attach_reads_geometry(void **state)
{
	struct fk_env *e = fk_env_new(1000, 16 * FK_BLOCK_SIZE, 0);

	(void)state;
	assert_int_equal(e->r.cmdr_off, FK_CMDR_OFF);
	assert_int_equal(e->r.cmdr_size, 1000);
	assert_int_equal(e->r.data_off, FK_CMDR_OFF + 1000);
	assert_int_equal(e->r.mb_flags, 0xf);
	assert_int_equal(e->r.next, 0);
	assert_int_equal(e->r.tail, 0);
	assert_false(e->r.broken);
	assert_int_equal(tcmud_ring_iov_capacity(&e->r),
			 (e->fk.size - e->r.data_off) / 4096 + 1);
	assert_int_equal(fk_env_next(e), TCMUD_RING_EMPTY);
	fk_env_free(e);
}

static void attach_refused(struct fake_kernel *fk, size_t size, int err, const char *needle)
{
	struct tcmud_ring r;
	struct tcmud_cmd cmd;
	struct tcmud_ring_rsp rsp = { 0 };

	assert_int_equal(tcmud_ring_attach(&r, fk->map, size, fk_doorbell, fk), err);
	assert_true(r.broken);
	assert_non_null(strstr(r.why, needle));
	assert_int_equal(tcmud_ring_next(&r, &cmd, NULL, 0, NULL), TCMUD_RING_BROKEN);
	assert_int_equal(tcmud_ring_complete(&r, 1, &rsp), -EIO);
	assert_false(tcmud_ring_flush(&r));
}

static void test_attach_refuses_version_1(void **state)
{
	struct fake_kernel fk;

	(void)state;
	fk_init(&fk, 1000, FK_BLOCK_SIZE, 0);
	fk_mailbox(&fk)->version = 1;
	attach_refused(&fk, fk.size, -EPROTO, "mailbox version 1, expected 2");
	fk_fini(&fk);
}

static void test_attach_refuses_bad_geometry(void **state)
{
	struct fake_kernel fk;
	struct tcmu_mailbox *mb;

	(void)state;
	fk_init(&fk, 1000, FK_BLOCK_SIZE, 0);
	mb = fk_mailbox(&fk);
	attach_refused(&fk, 1000, -EINVAL, "past the mapping"); /* ring beyond size */
	attach_refused(&fk, 40, -EINVAL, "smaller than the mailbox");
	mb->cmdr_size = (uint32_t)fk.size; /* 128 + size > size */
	attach_refused(&fk, fk.size, -EINVAL, "past the mapping");
	mb->cmdr_size = 1000;
	mb->cmdr_off = 64;
	attach_refused(&fk, fk.size, -EINVAL, "cmdr_off 64");
	mb->cmdr_off = 132;
	attach_refused(&fk, fk.size, -EINVAL, "cmdr_off 132");
	mb->cmdr_off = FK_CMDR_OFF;
	mb->cmdr_size = 1004;
	attach_refused(&fk, fk.size, -EINVAL, "cmdr_size 1004");
	mb->cmdr_size = 0;
	attach_refused(&fk, fk.size, -EINVAL, "cmdr_size 0");
	mb->cmdr_size = 1000;
	mb->cmd_tail = 1000;
	attach_refused(&fk, fk.size, -EINVAL, "cmd_tail 1000");
	mb->cmd_tail = 0;
	fk_set_head(&fk, 12);
	attach_refused(&fk, fk.size, -EINVAL, "cmd_head 12");
	fk_fini(&fk);
}

/* ------------------------------------------------------------ data paths */

static void test_write_round_trip_zero_copy(void **state)
{
	struct fk_env *e = fk_env_new(4104, 64 * FK_BLOCK_SIZE, 0);
	uint8_t out[3 * FK_BLOCK_SIZE + 100];
	struct fk_cmd_desc d = { .cdb = write10, .cdb_len = 10, .out = out,
				 .out_len = sizeof(out), .split = 3 };
	int id;

	(void)state;
	fill(out, sizeof(out), 7);
	id = fk_queue_cmd(&e->fk, &d);
	assert_int_equal(id, 1);
	assert_int_equal(fk_env_next(e), TCMUD_RING_CMD);
	assert_int_equal(e->cmd.tag, 1);
	assert_int_equal(e->cmd.cdb_len, 10);
	assert_memory_equal(e->cmd.cdb, write10, 10);
	assert_int_equal(e->cmd.iov_cnt, 3);
	assert_ptr_equal(e->cmd.iov, e->iov);
	assert_null(e->cmd.bidi_iov);
	assert_int_equal(e->cmd.bidi_iov_cnt, 0);
	assert_int_equal(e->cmd.data_len, sizeof(out));
	assert_int_equal(e->cmd.status, 0);
	assert_false(e->cmd.read_len_valid);
	assert_iovs_are_kernels(e, e->cmd.iov, fk_cmd(&e->fk, 1)->iov, 3);
	assert_true(iovs_hold(e->cmd.iov, 3, 7));
	assert_int_equal(e->r.outstanding, 1);

	fk_env_complete(e, 1, TCMUD_STATUS_GOOD);
	assert_int_equal(e->fk.doorbells, 0); /* nothing published before the flush */
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.doorbells, 1);
	assert_int_equal(fk_result(&e->fk, 1)->completions, 1);
	assert_int_equal(fk_result(&e->fk, 1)->status, TCMUD_STATUS_GOOD);
	assert_int_equal(fk_result(&e->fk, 1)->uflags, 0);
	assert_false(fk_cmd(&e->fk, 1)->inflight);
	assert_int_equal(fk_cmd_tail(&e->fk), e->fk.head);
	assert_int_equal(e->r.outstanding, 0);
	fk_env_free(e);
}

static void test_read_round_trip(void **state)
{
	struct fk_env *e = fk_env_new(4104, 64 * FK_BLOCK_SIZE, 0);
	struct fk_cmd_desc d = { .cdb = read10, .cdb_len = 10, .in_len = 8192 + 512, .split = 2 };
	const struct fk_result *res;

	(void)state;
	assert_int_equal(fk_queue_cmd(&e->fk, &d), 1);
	assert_int_equal(fk_env_next_cmd(e), 1);
	assert_int_equal(e->cmd.iov_cnt, 2);
	assert_int_equal(e->cmd.data_len, 8192 + 512);
	assert_iovs_are_kernels(e, e->cmd.iov, fk_cmd(&e->fk, 1)->iov, 2);
	fill_iovs(e->cmd.iov, e->cmd.iov_cnt, 99);
	fk_env_complete(e, 1, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	res = fk_result(&e->fk, 1);
	assert_int_equal(res->completions, 1);
	assert_int_equal(res->data_in_len, 8192 + 512);
	assert_true(buf_holds(res->data_in, res->data_in_len, 99));
	fk_env_free(e);
}

static void test_bidi_iovs_split(void **state)
{
	struct fk_env *e = fk_env_new(4104, 64 * FK_BLOCK_SIZE, 0);
	uint8_t out[5000];
	uint8_t cdb[16] = { 0x53 }; /* XDWRITEREAD(10) */
	struct fk_cmd_desc d = { .cdb = cdb, .cdb_len = 10, .out = out, .out_len = sizeof(out),
				 .in_len = 6000, .split = 2, .bidi_split = 3 };
	const struct fk_cmd *kc;
	const struct fk_result *res;

	(void)state;
	fill(out, sizeof(out), 3);
	assert_int_equal(fk_queue_cmd(&e->fk, &d), 1);
	assert_int_equal(fk_env_next_cmd(e), 1);
	kc = fk_cmd(&e->fk, 1);
	assert_int_equal(e->cmd.iov_cnt, 2);
	assert_int_equal(e->cmd.bidi_iov_cnt, 3);
	assert_ptr_equal(e->cmd.bidi_iov, e->iov + 2);
	assert_int_equal(e->cmd.data_len, 5000); /* Data-Out only */
	assert_iovs_are_kernels(e, e->cmd.iov, kc->iov, 2);
	assert_iovs_are_kernels(e, e->cmd.bidi_iov, kc->iov + 2, 3);
	assert_true(iovs_hold(e->cmd.iov, 2, 3));
	fill_iovs(e->cmd.bidi_iov, 3, 4);
	fk_env_complete(e, 1, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	res = fk_result(&e->fk, 1);
	assert_int_equal(res->data_in_len, 6000);
	assert_true(buf_holds(res->data_in, 6000, 4));
	fk_env_free(e);
}

struct cdb_case {
	uint8_t opcode;
	uint8_t byte7;
	uint16_t kernel_len;   /* what the kernel copies */
	uint16_t engine_len;   /* what the engine reports */
};

static void test_cdb_lengths(void **state)
{
	static const struct cdb_case cases[] = {
		{ 0x00, 0, 6, 6 },      /* TEST UNIT READY */
		{ 0x12, 0, 6, 6 },      /* INQUIRY */
		{ 0x28, 0, 10, 10 },    /* READ(10) */
		{ 0x5a, 0, 10, 10 },    /* MODE SENSE(10), group 2 */
		{ 0x88, 0, 16, 16 },    /* READ(16) */
		{ 0xa8, 0, 12, 12 },    /* READ(12) */
		{ 0x7f, 24, 32, 32 },   /* variable length, 32 bytes */
		{ 0x7f, 252, 260, 260 },/* the longest allowed */
		{ 0x7e, 8, 12, 16 },    /* extended CDB: 8 + byte 7 */
		{ 0xc5, 0, 10, 16 },    /* vendor specific: 16 bytes read */
		{ 0xe0, 0, 10, 16 },
		{ 0x60, 0, 12, 16 },    /* reserved group 3 */
	};
	struct fk_env *e = fk_env_new(4104, 4 * FK_BLOCK_SIZE, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t cdb[TCMUD_MAX_CDB_LEN];
		struct fk_cmd_desc d = { .cdb = cdb, .cdb_len = cases[i].kernel_len };
		int id;

		fill(cdb, sizeof(cdb), (uint32_t)i);
		cdb[0] = cases[i].opcode;
		cdb[7] = cases[i].byte7;
		id = fk_queue_cmd(&e->fk, &d);
		assert_true(id > 0);
		assert_int_equal(fk_env_next_cmd(e), id);
		assert_int_equal(e->cmd.cdb_len, cases[i].engine_len);
		assert_memory_equal(e->cmd.cdb, cdb, cases[i].kernel_len);
		for (size_t j = cases[i].kernel_len; j < cases[i].engine_len; j++)
			assert_int_equal(e->cmd.cdb[j], 0); /* the entry's zeroed CDB padding */
		fk_env_complete(e, (uint16_t)id, TCMUD_STATUS_GOOD);
		assert_true(tcmud_ring_flush(&e->r));
	}
	fk_env_free(e);
}

/* ------------------------------------------------------- responses */

static void test_sense_reaches_kernel(void **state)
{
	struct fk_env *e = fk_env_new(4104, 64 * FK_BLOCK_SIZE, 0);
	uint8_t sense[18] = { 0x70, 0, TCMUD_SK_ILLEGAL_REQUEST, 0, 0, 0, 0, 10,
			      0, 0, 0, 0, 0x24, 0x00 };
	uint8_t big[200];
	struct fk_cmd_desc d = { .cdb = read10, .cdb_len = 10, .in_len = 4 * 4096, .split = 4 };
	struct tcmud_ring_rsp rsp = { .status = TCMUD_STATUS_CHECK_CONDITION,
				      .sense = sense, .sense_len = sizeof(sense) };
	const struct fk_result *res;
	uint8_t zero[TCMU_SENSE_BUFFERSIZE] = { 0 };

	(void)state;
	/* Four iovs: the request bytes under the sense buffer are not zero. */
	assert_int_equal(fk_queue_cmd(&e->fk, &d), 1);
	assert_int_equal(fk_queue_cmd(&e->fk, &d), 2);
	assert_int_equal(fk_env_next_cmd(e), 1);
	assert_int_equal(fk_env_next_cmd(e), 2);
	assert_int_equal(tcmud_ring_complete(&e->r, 1, &rsp), 0);
	fill(big, sizeof(big), 11);
	rsp.sense = big;
	rsp.sense_len = sizeof(big); /* only 96 bytes fit */
	assert_int_equal(tcmud_ring_complete(&e->r, 2, &rsp), 0);
	assert_true(tcmud_ring_flush(&e->r));

	res = fk_result(&e->fk, 1);
	assert_int_equal(res->status, TCMUD_STATUS_CHECK_CONDITION);
	assert_memory_equal(res->sense, sense, sizeof(sense));
	assert_memory_equal(res->sense + sizeof(sense), zero, sizeof(zero) - sizeof(sense));
	res = fk_result(&e->fk, 2);
	assert_memory_equal(res->sense, big, TCMU_SENSE_BUFFERSIZE);
	fk_env_free(e);
}

static void test_unknown_op_flag(void **state)
{
	struct fk_env *e = fk_env_new(1000, FK_BLOCK_SIZE, 0);
	struct tcmud_ring_rsp rsp = { .status = TCMUD_STATUS_CHECK_CONDITION, .unknown_op = true };
	uint16_t id = fk_env_queue_nodata(e, 0xc1);

	(void)state;
	assert_int_equal(fk_env_next_cmd(e), id);
	assert_int_equal(tcmud_ring_complete(&e->r, id, &rsp), 0);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_result(&e->fk, id)->uflags, TCMU_UFLAG_UNKNOWN_OP);
	assert_int_equal(fk_result(&e->fk, id)->status, TCMUD_STATUS_CHECK_CONDITION);
	fk_env_free(e);
}

static void test_read_len_residual(void **state)
{
	struct fk_env *e = fk_env_new(4104, 16 * FK_BLOCK_SIZE, 0);
	struct fk_cmd_desc d = { .cdb = read10, .cdb_len = 10, .in_len = 8192 };
	struct tcmud_ring_rsp rsp = { .status = TCMUD_STATUS_GOOD, .read_len_valid = true,
				      .read_len = 3000 };
	const struct fk_result *res;

	(void)state;
	assert_int_equal(fk_queue_cmd(&e->fk, &d), 1);
	assert_int_equal(fk_queue_cmd(&e->fk, &d), 2);
	assert_int_equal(fk_env_next_cmd(e), 1);
	assert_int_equal(fk_env_next_cmd(e), 2);
	fill_iovs(e->iov, 1, 5); /* command 2's iov; command 1's was overwritten */
	assert_int_equal(tcmud_ring_complete(&e->r, 2, &rsp), 0);
	fk_env_complete(e, 1, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	res = fk_result(&e->fk, 2);
	assert_int_equal(res->uflags, TCMU_UFLAG_READ_LEN);
	assert_int_equal(res->read_len, 3000);
	assert_int_equal(res->data_in_len, 3000);
	assert_true(buf_holds(res->data_in, 3000, 5));
	res = fk_result(&e->fk, 1);
	assert_int_equal(res->uflags, 0);
	assert_int_equal(res->read_len, 0);
	assert_int_equal(res->data_in_len, 8192);
	fk_env_free(e);
}

/* ------------------------------------------------- ordering and doorbell */

static void assert_reap_order(const struct fake_kernel *fk, const uint16_t *ids, unsigned n)
{
	assert_true(fk->reap_log_n >= n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(fk->reap_log[(fk->reap_log_n - n + i) % FK_REAP_LOG], ids[i]);
}

static uint8_t status_for(uint16_t id)
{
	static const uint8_t st[] = { TCMUD_STATUS_GOOD, TCMUD_STATUS_CHECK_CONDITION,
				      TCMUD_STATUS_BUSY, TCMUD_STATUS_TASK_SET_FULL,
				      TCMUD_STATUS_RESERVATION_CONFLICT };

	return st[id % 5];
}

static void complete_in_order(struct fk_env *e, const uint16_t *ids, unsigned n)
{
	uint64_t bells = e->fk.doorbells;

	for (unsigned i = 0; i < n; i++) {
		uint8_t sense[18] = { 0x70, 0, (uint8_t)ids[i] };
		struct tcmud_ring_rsp rsp = { .status = status_for(ids[i]), .sense = sense,
					      .sense_len = sizeof(sense) };

		assert_int_equal(tcmud_ring_complete(&e->r, ids[i], &rsp), 0);
	}
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.doorbells, bells + 1);
	assert_reap_order(&e->fk, ids, n);
	for (unsigned i = 0; i < n; i++) {
		const struct fk_result *res = fk_result(&e->fk, ids[i]);

		assert_int_equal(res->completions, 1);
		assert_int_equal(res->status, status_for(ids[i]));
		assert_int_equal(res->sense[2], (uint8_t)ids[i]);
	}
}

static void shuffle(uint16_t *ids, unsigned n, uint64_t *rng)
{
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j;
		uint16_t t;

		*rng ^= *rng << 13;
		*rng ^= *rng >> 7;
		*rng ^= *rng << 17;
		j = (unsigned)(*rng % (i + 1));
		t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
}

static void test_out_of_order_completion(void **state)
{
	struct fk_env *e = fk_env_new(4104, FK_BLOCK_SIZE, 0);
	uint16_t ids[16];
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (unsigned round = 0; round < 8; round++) {
		for (unsigned i = 0; i < 16; i++)
			ids[i] = fk_env_queue_nodata(e, 0x00);
		for (unsigned i = 0; i < 16; i++)
			assert_int_equal(fk_env_next_cmd(e), ids[i]);
		if (round == 0) {
			for (unsigned i = 0; i < 8; i++) { /* reverse */
				uint16_t t = ids[i];

				ids[i] = ids[15 - i];
				ids[15 - i] = t;
			}
		} else {
			shuffle(ids, 16, &rng);
		}
		complete_in_order(e, ids, 16);
		assert_int_equal(e->r.outstanding, 0);
		assert_int_equal(fk_cmd_tail(&e->fk), e->fk.head);
	}
	fk_env_free(e);
}

static void test_one_doorbell_per_flush(void **state)
{
	struct fk_env *e = fk_env_new(4104, FK_BLOCK_SIZE, 0);
	uint16_t ids[10];

	(void)state;
	assert_false(tcmud_ring_flush(&e->r)); /* nothing ever happened */
	assert_int_equal(e->fk.doorbells, 0);
	for (unsigned i = 0; i < 10; i++)
		ids[i] = fk_env_queue_nodata(e, 0x00);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(fk_env_next_cmd(e), ids[i]);
	assert_false(tcmud_ring_flush(&e->r)); /* parsed, nothing completed */
	for (unsigned i = 0; i < 10; i++)
		fk_env_complete(e, ids[i], TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.doorbells, 1);
	assert_int_equal(e->r.doorbells, 1);
	assert_int_equal(e->fk.reaped, 10);
	assert_false(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.doorbells, 1);
	ids[0] = fk_env_queue_nodata(e, 0x00);
	assert_int_equal(fk_env_next_cmd(e), ids[0]);
	fk_env_complete(e, ids[0], TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.doorbells, 2);
	assert_int_equal(e->r.doorbells, 2);
	fk_env_free(e);
}

/* ------------------------------------------------------------ ring space */

static void test_full_ring(void **state)
{
	/* 120-byte entries in a 1000-byte ring: 8 fit, the 9th would need a PAD too. */
	struct fk_env *e = fk_env_new(1000, FK_BLOCK_SIZE, 0);
	uint8_t cdb[6] = { 0 };
	struct fk_cmd_desc d = { .cdb = cdb, .cdb_len = 6 };
	uint16_t ids[8];

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		ids[i] = (uint16_t)fk_queue_cmd(&e->fk, &d);
	assert_int_equal(fk_queue_cmd(&e->fk, &d), -EAGAIN);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(fk_env_next_cmd(e), ids[i]);
	assert_int_equal(fk_env_next(e), TCMUD_RING_EMPTY);
	assert_int_equal(fk_queue_cmd(&e->fk, &d), -EAGAIN); /* parsing frees nothing */

	complete_in_order(e, ids, 3);
	assert_int_equal(fk_cmd_tail(&e->fk), 360);
	/* 600 used: PAD 40 + 120 at 0 fit (399 free), a second one too, not a third. */
	ids[0] = (uint16_t)fk_queue_cmd(&e->fk, &d);
	ids[1] = (uint16_t)fk_queue_cmd(&e->fk, &d);
	assert_int_equal(fk_queue_cmd(&e->fk, &d), -EAGAIN);
	assert_int_equal(e->fk.pads, 1);
	assert_int_equal(e->fk.head, 240);
	assert_int_equal(fk_env_next_cmd(e), ids[0]);
	assert_int_equal(e->r.pads, 1);
	assert_int_equal(fk_env_next_cmd(e), ids[1]);
	assert_int_equal(fk_env_next(e), TCMUD_RING_EMPTY);

	/* Drain everything: the kernel gets the whole ring back. */
	for (unsigned i = 3; i < 8; i++)
		fk_env_complete(e, ids[i], TCMUD_STATUS_GOOD);
	fk_env_complete(e, ids[0], TCMUD_STATUS_GOOD);
	fk_env_complete(e, ids[1], TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_cmd_tail(&e->fk), 240);
	assert_int_equal(e->fk.last_cleaned, 240);
	/* From 240: six to 960, a PAD of 40 and a seventh; 119 bytes stay free. */
	for (unsigned i = 0; i < 7; i++)
		assert_true(fk_queue_cmd(&e->fk, &d) > 0);
	assert_int_equal(fk_queue_cmd(&e->fk, &d), -EAGAIN);
	assert_int_equal(e->fk.pads, 2);
	fk_env_free(e);
}

static void test_pad_of_8_bytes(void **state)
{
	/* Resume at 992 of a 1000-byte ring: the next entry needs an 8-byte PAD. */
	struct fk_env *e = fk_env_new(1000, FK_BLOCK_SIZE, 992);
	uint16_t id;

	(void)state;
	assert_int_equal(e->r.next, 992);
	id = fk_env_queue_nodata(e, 0x00);
	assert_int_equal(e->fk.min_pad, 8);
	assert_int_equal(fk_env_next_cmd(e), id);
	assert_int_equal(e->r.pads, 1);
	assert_int_equal(e->r.tail, 0); /* the PAD is released at once */
	assert_true(tcmud_ring_flush(&e->r)); /* even with the command outstanding */
	assert_int_equal(e->fk.last_cleaned, 0);
	assert_int_equal(fk_result(&e->fk, id)->completions, 0);
	fk_env_complete(e, id, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_result(&e->fk, id)->completions, 1);
	assert_int_equal(e->fk.last_cleaned, 120);
	fk_env_free(e);
}

static void test_resume_from_nonzero_tail(void **state)
{
	struct fk_env *e = fk_env_new(1000, FK_BLOCK_SIZE, 504);
	uint16_t ids[6];

	(void)state;
	assert_int_equal(e->r.next, 504);
	assert_int_equal(e->r.tail, 504);
	assert_int_equal(e->r.tail_published, 504);
	for (unsigned i = 0; i < 6; i++)
		ids[i] = fk_env_queue_nodata(e, 0x00);
	assert_int_equal(e->fk.pads, 1); /* 504 + 4 * 120 = 984: PAD 16 */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(fk_env_next_cmd(e), ids[i]);
	complete_in_order(e, ids, 6);
	assert_int_equal(fk_cmd_tail(&e->fk), 240);
	assert_int_equal(e->fk.last_cleaned, e->fk.head);
	fk_env_free(e);
}

/* ------------------------------------------------------------------- TMR */

/*
 * Marks are only ever on outstanding commands (aborted within inflight), and
 * inflight holds exactly the outstanding ones. Returns how many are marked.
 */
static unsigned assert_marks_within_inflight(const struct tcmud_ring *r)
{
	unsigned marked = 0, inflight = 0;

	for (size_t i = 0; i < TCMUD_RING_MAX_CMD_ID / 64; i++) {
		assert_int_equal(r->aborted[i] & ~r->inflight[i], 0);
		marked += (unsigned)__builtin_popcountll(r->aborted[i]);
		inflight += (unsigned)__builtin_popcountll(r->inflight[i]);
	}
	assert_int_equal(inflight, r->outstanding);
	return marked;
}

/* A handler that never noticed the abort completes a marked command late. */
static void complete_marked_late(struct fk_env *e, uint16_t id)
{
	uint8_t sense[18] = { 0x70, 0, TCMUD_SK_ILLEGAL_REQUEST, 0, 0, 0, 0, 10 };
	struct tcmud_ring_rsp rsp = { .status = TCMUD_STATUS_GOOD, .unknown_op = true,
				      .read_len_valid = true, .read_len = 512,
				      .sense = sense, .sense_len = sizeof(sense) };

	assert_true(tcmud_ring_cmd_aborted(&e->r, id));
	assert_int_equal(tcmud_ring_complete(&e->r, id, &rsp), 0);
	assert_false(tcmud_ring_cmd_aborted(&e->r, id));
}

/* The kernel reaped id once, as TASK ABORTED with no sense, READ_LEN or flags. */
static void assert_reaped_aborted(const struct fake_kernel *fk, uint16_t id)
{
	static const uint8_t zero[TCMU_SENSE_BUFFERSIZE];
	const struct fk_result *res = fk_result(fk, id);

	assert_false(fk_cmd(fk, id)->inflight);
	assert_int_equal(res->completions, 1);
	assert_int_equal(res->status, TCMUD_STATUS_TASK_ABORTED);
	assert_int_equal(res->uflags, 0);
	assert_int_equal(res->read_len, 0);
	assert_memory_equal(res->sense, zero, sizeof(zero));
}

/* Marked, not completed: the kernel still holds the command and saw nothing. */
static void assert_still_held(const struct fk_env *e, uint16_t id)
{
	assert_true(tcmud_ring_cmd_aborted(&e->r, id));
	assert_true(fk_cmd(&e->fk, id)->inflight);
	assert_int_equal(fk_result(&e->fk, id)->completions, 0);
}

/* Completing id again: -ENOENT, not a byte written, nothing to publish. */
static void assert_completion_dropped(struct fk_env *e, uint16_t id)
{
	uint8_t *before = malloc(e->fk.size);
	struct tcmud_ring_rsp rsp = { .status = TCMUD_STATUS_GOOD };

	assert_non_null(before);
	memcpy(before, e->fk.map, e->fk.size);
	assert_int_equal(tcmud_ring_complete(&e->r, id, &rsp), -ENOENT);
	assert_memory_equal(before, e->fk.map, e->fk.size);
	assert_false(tcmud_ring_flush(&e->r));
	free(before);
}

static void test_tmr_abort_task(void **state)
{
	struct fk_env *e = fk_env_new(4104, FK_BLOCK_SIZE, 0);
	uint16_t a = fk_env_queue_nodata(e, 0x00);
	uint16_t b = fk_env_queue_nodata(e, 0x00);
	uint16_t c = fk_env_queue_nodata(e, 0x00);

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		fk_env_next_cmd(e);
	assert_int_equal(fk_queue_tmr(&e->fk, TCMU_TMR_ABORT_TASK, &b, 1), 0);
	assert_int_equal(fk_env_next(e), TCMUD_RING_TMR);
	assert_int_equal(e->tmr.type, TCMU_TMR_ABORT_TASK);
	assert_int_equal(e->tmr.cmd_cnt, 1);
	assert_int_equal(e->tmr.aborted, 1);
	assert_int_equal(e->r.tmrs, 1);
	assert_int_equal(e->r.outstanding, 3); /* marked, not completed */
	assert_int_equal(assert_marks_within_inflight(&e->r), 1);
	assert_false(tcmud_ring_cmd_aborted(&e->r, a));
	assert_false(tcmud_ring_cmd_aborted(&e->r, c));
	assert_false(tcmud_ring_flush(&e->r)); /* the TMR wrote nothing */
	assert_still_held(e, b);

	/* a finishes: the kernel gets a, still nothing for b. */
	fk_env_complete(e, a, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_result(&e->fk, a)->completions, 1);
	assert_still_held(e, b);

	/* The handler finishes b late, unaware of the abort: it becomes TASK ABORTED. */
	complete_marked_late(e, b);
	assert_int_equal(assert_marks_within_inflight(&e->r), 0);
	assert_true(tcmud_ring_flush(&e->r));
	assert_reaped_aborted(&e->fk, b);
	assert_completion_dropped(e, b);
	assert_int_equal(fk_result(&e->fk, b)->completions, 1);

	fk_env_complete(e, c, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_result(&e->fk, c)->completions, 1);
	assert_int_equal(fk_result(&e->fk, c)->status, TCMUD_STATUS_GOOD);
	assert_int_equal(e->r.outstanding, 0);
	assert_int_equal(fk_cmd_tail(&e->fk), e->fk.head); /* TMR slot released too */
	fk_env_free(e);
}

static void test_tmr_lun_reset(void **state)
{
	static const unsigned late[] = { 4, 0, 2, 1 };
	struct fk_env *e = fk_env_new(4104, FK_BLOCK_SIZE, 0);
	uint16_t ids[5];

	(void)state;
	for (unsigned i = 0; i < 5; i++)
		ids[i] = fk_env_queue_nodata(e, 0x28);
	for (unsigned i = 0; i < 5; i++)
		fk_env_next_cmd(e);
	fk_env_complete(e, ids[3], TCMUD_STATUS_GOOD); /* done before the reset */
	assert_int_equal(fk_queue_tmr(&e->fk, TCMU_TMR_LUN_RESET, ids, 5), 0);
	assert_int_equal(fk_env_next(e), TCMUD_RING_TMR);
	assert_int_equal(e->tmr.type, TCMU_TMR_LUN_RESET);
	assert_int_equal(e->tmr.cmd_cnt, 5);
	assert_int_equal(e->tmr.aborted, 4);
	assert_int_equal(e->r.outstanding, 4);
	assert_int_equal(assert_marks_within_inflight(&e->r), 4);
	assert_true(tcmud_ring_flush(&e->r)); /* ids[3] only */
	assert_int_equal(e->fk.doorbells, 1);
	assert_int_equal(fk_result(&e->fk, ids[3])->completions, 1);
	assert_int_equal(fk_result(&e->fk, ids[3])->status, TCMUD_STATUS_GOOD);
	assert_false(tcmud_ring_cmd_aborted(&e->r, ids[3]));
	for (unsigned i = 0; i < 4; i++)
		assert_still_held(e, ids[late[i]]);

	for (unsigned i = 0; i < 4; i++)
		complete_marked_late(e, ids[late[i]]);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.doorbells, 2);
	for (unsigned i = 0; i < 4; i++)
		assert_reaped_aborted(&e->fk, ids[late[i]]);
	for (unsigned i = 0; i < 5; i++)
		assert_completion_dropped(e, ids[i]);
	assert_int_equal(fk_result(&e->fk, ids[0])->completions, 1);
	assert_int_equal(e->r.outstanding, 0);
	assert_int_equal(assert_marks_within_inflight(&e->r), 0);
	assert_int_equal(fk_cmd_tail(&e->fk), e->fk.head);
	fk_env_free(e);
}

static void test_tmr_marks_each_command_once(void **state)
{
	struct fk_env *e = fk_env_new(4104, FK_BLOCK_SIZE, 0);
	uint16_t a = fk_env_queue_nodata(e, 0x00);
	uint16_t b = fk_env_queue_nodata(e, 0x00);
	uint16_t named[4] = { a, b, a, 999 };

	(void)state;
	fk_env_next_cmd(e);
	fk_env_next_cmd(e);
	assert_int_equal(fk_queue_tmr(&e->fk, TCMU_TMR_ABORT_TASK_SET, named, 4), 0);
	assert_int_equal(fk_queue_tmr(&e->fk, TCMU_TMR_ABORT_TASK, &a, 1), 0);
	assert_int_equal(fk_env_next(e), TCMUD_RING_TMR);
	assert_int_equal(e->tmr.cmd_cnt, 4);
	assert_int_equal(e->tmr.aborted, 2);
	assert_int_equal(fk_env_next(e), TCMUD_RING_TMR);
	assert_int_equal(e->tmr.cmd_cnt, 1);
	assert_int_equal(e->tmr.aborted, 0); /* a was marked already */
	assert_int_equal(e->r.tmrs, 2);
	assert_int_equal(assert_marks_within_inflight(&e->r), 2);
	assert_false(tcmud_ring_cmd_aborted(&e->r, 999));
	complete_marked_late(e, b);
	complete_marked_late(e, a);
	assert_true(tcmud_ring_flush(&e->r));
	assert_reaped_aborted(&e->fk, a);
	assert_reaped_aborted(&e->fk, b);
	assert_int_equal(fk_cmd_tail(&e->fk), e->fk.head);
	fk_env_free(e);
}

static void test_tmr_names_nothing_outstanding(void **state)
{
	struct fk_env *e = fk_env_new(1000, FK_BLOCK_SIZE, 0);
	uint16_t a = fk_env_queue_nodata(e, 0x00);
	uint16_t named[3];
	struct tcmud_ring_rsp rsp = { 0 };

	(void)state;
	fk_env_next_cmd(e);
	fk_env_complete(e, a, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	named[0] = a;       /* completed already */
	named[1] = 77;      /* never sent */
	named[2] = 0;
	assert_int_equal(fk_queue_tmr(&e->fk, TCMU_TMR_ABORT_TASK_SET, named, 3), 0);
	assert_int_equal(fk_env_next(e), TCMUD_RING_TMR);
	assert_int_equal(e->tmr.cmd_cnt, 3);
	assert_int_equal(e->tmr.aborted, 0);
	assert_int_equal(assert_marks_within_inflight(&e->r), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_false(tcmud_ring_cmd_aborted(&e->r, named[i]));
	assert_int_equal(fk_env_next(e), TCMUD_RING_EMPTY);
	/* Nothing outstanding, yet the TMR's ring space goes back to the kernel. */
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.last_cleaned, e->fk.head);
	assert_int_equal(tcmud_ring_complete(&e->r, a, &rsp), -ENOENT);
	assert_int_equal(tcmud_ring_complete(&e->r, 77, &rsp), -ENOENT);
	assert_int_equal(fk_result(&e->fk, a)->completions, 1);
	fk_env_free(e);
}

static void test_tmr_aborted_id_held_until_completed(void **state)
{
	struct fk_env *e = fk_env_new(1000, FK_BLOCK_SIZE, 0);
	uint16_t a = fk_env_queue_nodata(e, 0x00);
	uint16_t other;

	(void)state;
	fk_env_next_cmd(e);
	assert_int_equal(fk_queue_tmr(&e->fk, TCMU_TMR_ABORT_TASK, &a, 1), 0);
	assert_int_equal(fk_env_next(e), TCMUD_RING_TMR);
	assert_int_equal(e->tmr.aborted, 1);
	assert_false(tcmud_ring_flush(&e->r));
	/* The kernel hands out the lowest free id, and a is not free. */
	other = fk_env_queue_nodata(e, 0x00);
	assert_int_not_equal(other, a);
	assert_int_equal(fk_env_next_cmd(e), other);
	assert_false(tcmud_ring_cmd_aborted(&e->r, other));
	assert_still_held(e, a);

	complete_marked_late(e, a);
	assert_true(tcmud_ring_flush(&e->r));
	assert_reaped_aborted(&e->fk, a);
	/* Only now is a free: the next command gets it, fresh and unmarked. */
	assert_int_equal(fk_env_queue_nodata(e, 0x00), a);
	assert_int_equal(fk_env_next_cmd(e), a);
	assert_false(tcmud_ring_cmd_aborted(&e->r, a));
	assert_int_equal(assert_marks_within_inflight(&e->r), 0);
	fk_env_complete(e, a, TCMUD_STATUS_GOOD);
	fk_env_complete(e, other, TCMUD_STATUS_GOOD);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_result(&e->fk, a)->status, TCMUD_STATUS_GOOD);
	assert_int_equal(fk_result(&e->fk, a)->completions, 1);
	assert_int_equal(fk_result(&e->fk, other)->status, TCMUD_STATUS_GOOD);
	assert_int_equal(fk_cmd_tail(&e->fk), e->fk.head);
	fk_env_free(e);
}

/* ------------------------------------------------------ many laps, random */

struct lap_state {
	struct fk_env *e;
	uint64_t rng;
	uint32_t max_iovs;
	uint32_t seed[FK_NR_IDS];      /* data pattern seed per id */
	uint8_t cdb[FK_NR_IDS][32];
	uint8_t cdb_len[FK_NR_IDS];
	bool aborted[FK_NR_IDS];       /* named by a TMR while outstanding, not completed */
	uint16_t outstanding[FK_NR_IDS];
	unsigned n_out;
	uint16_t queued[FK_NR_IDS];    /* queued, not yet parsed, in order */
	unsigned n_queued;
	uint32_t gen;
	uint64_t marks;                /* commands the TMRs should mark */
	uint64_t tmr_aborted;          /* commands the TMRs marked, as the engine said */
	uint64_t aborted_reaped;       /* TASK ABORTED completions the kernel reaped */
};

static uint32_t lap_rand(struct lap_state *s, uint32_t n)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (uint32_t)(s->rng % n);
}

static void lap_make_cdb(struct lap_state *s, uint8_t *cdb, uint16_t *len)
{
	static const uint8_t ops[] = { 0x00, 0x28, 0x2a, 0x88, 0xa8, 0x7f };

	memset(cdb, 0, 32);
	cdb[0] = ops[lap_rand(s, sizeof(ops))];
	for (unsigned i = 1; i < 32; i++)
		cdb[i] = (uint8_t)lap_rand(s, 256);
	*len = cdb[0] < 0x20 ? 6 : cdb[0] < 0x80 ? 10 : cdb[0] < 0xa0 ? 16 : 12;
	if (cdb[0] == 0x7f) {
		cdb[7] = 24;
		*len = 32;
	}
}

/* Queue one random command; false when the kernel has no room. */
static bool lap_queue_cmd(struct lap_state *s)
{
	uint8_t cdb[32], out[64 * 512];
	uint16_t cdb_len;
	uint32_t iovs = lap_rand(s, s->max_iovs + 1);
	uint32_t per_iov = 1 + lap_rand(s, 512);
	uint32_t dir = iovs ? lap_rand(s, 3) : 0;  /* 0 write, 1 read, 2 bidi */
	uint32_t out_iovs = dir == 2 ? (iovs + 1) / 2 : iovs;
	struct fk_cmd_desc d = { .cdb = cdb, .split = out_iovs, .bidi_split = iovs - out_iovs };
	int id;

	lap_make_cdb(s, cdb, &cdb_len);
	d.cdb_len = cdb_len;
	fill(out, (size_t)out_iovs * per_iov, ++s->gen);
	if (dir != 1 && iovs) {
		d.out = out;
		d.out_len = (size_t)out_iovs * per_iov;
	}
	if (dir == 1)
		d.in_len = (size_t)iovs * per_iov;
	if (dir == 2)
		d.in_len = (size_t)(iovs - out_iovs) * per_iov;
	id = fk_queue_cmd(&s->e->fk, &d);
	if (id == -EAGAIN)
		return false;
	assert_true(id > 0);
	s->seed[id] = s->gen;
	memcpy(s->cdb[id], cdb, 32);
	s->cdb_len[id] = (uint8_t)cdb_len;
	s->queued[s->n_queued++] = (uint16_t)id;
	return true;
}

/*
 * What the engine must do with an id named by a TMR queued now: the commands
 * the kernel holds (queued or outstanding) come before the TMR in the ring, so
 * they are outstanding when it is parsed and get marked, once. Any other id is
 * ignored, even if a command queued after the TMR gets it.
 */
static void lap_expect_mark(struct lap_state *s, uint16_t id)
{
	if (!fk_cmd(&s->e->fk, id)->inflight || s->aborted[id])
		return;
	s->aborted[id] = true;
	s->marks++;
}

/* Queue a TMR naming a few queued and outstanding commands and random ids. */
static void lap_queue_tmr(struct lap_state *s)
{
	uint16_t ids[8];
	uint32_t n = 0;

	for (unsigned i = 0; i < s->n_queued && n < 4; i++)
		if (lap_rand(s, 4) == 0)
			ids[n++] = s->queued[i];
	for (unsigned i = 0; i < s->n_out && n < 6; i++)
		if (lap_rand(s, 8) == 0)
			ids[n++] = s->outstanding[i];
	while (n < 8 && lap_rand(s, 2))
		ids[n++] = (uint16_t)lap_rand(s, 64);
	if (fk_queue_tmr(&s->e->fk, TCMU_TMR_ABORT_TASK, ids, n) != 0)
		return;
	for (uint32_t i = 0; i < n; i++)
		lap_expect_mark(s, ids[i]);
}

static void lap_check_cmd(struct lap_state *s)
{
	struct fk_env *e = s->e;
	uint16_t id = (uint16_t)e->cmd.tag;
	const struct fk_cmd *kc = fk_cmd(&e->fk, id);

	assert_int_equal(id, s->queued[0]);
	memmove(s->queued, s->queued + 1, --s->n_queued * sizeof(s->queued[0]));
	assert_false(tcmud_ring_cmd_aborted(&e->r, id)); /* a fresh command */
	assert_int_equal(e->cmd.cdb_len, s->cdb_len[id]);
	assert_memory_equal(e->cmd.cdb, s->cdb[id], s->cdb_len[id]);
	assert_int_equal(e->cmd.iov_cnt, kc->iov_cnt);
	assert_int_equal(e->cmd.bidi_iov_cnt, kc->bidi_cnt);
	assert_iovs_are_kernels(e, e->iov, kc->iov, kc->iov_cnt + kc->bidi_cnt);
	if (!kc->is_read)
		assert_true(iovs_hold(e->cmd.iov, e->cmd.iov_cnt, s->seed[id]));
	s->outstanding[s->n_out++] = id;
}

static void lap_drain(struct lap_state *s)
{
	for (;;) {
		enum tcmud_ring_event ev = fk_env_next(s->e);

		assert_int_not_equal(ev, TCMUD_RING_BROKEN);
		if (ev == TCMUD_RING_EMPTY)
			return;
		if (ev == TCMUD_RING_CMD)
			lap_check_cmd(s);
		else
			s->tmr_aborted += s->e->tmr.aborted;
	}
}

/* After a drain the engine's marks are exactly the expected ones. */
static void lap_check_marks(const struct lap_state *s)
{
	unsigned marked = 0;

	assert_int_equal(s->tmr_aborted, s->marks);
	assert_int_equal(s->e->r.outstanding, s->n_out);
	for (unsigned i = 0; i < s->n_out; i++) {
		uint16_t id = s->outstanding[i];

		assert_int_equal(tcmud_ring_cmd_aborted(&s->e->r, id), s->aborted[id]);
		marked += s->aborted[id];
	}
	assert_int_equal(assert_marks_within_inflight(&s->e->r), marked);
}

/* Complete id with its status, sense and a READ_LEN, aborted or not. */
static void lap_complete_one(struct lap_state *s, uint16_t id)
{
	uint8_t sense[18] = { 0x70, 0, (uint8_t)id };
	struct tcmud_ring_rsp rsp = { .status = status_for(id), .sense = sense,
				      .sense_len = sizeof(sense), .read_len_valid = true,
				      .read_len = id };

	assert_int_equal(tcmud_ring_complete(&s->e->r, id, &rsp), 0);
	assert_false(tcmud_ring_cmd_aborted(&s->e->r, id));
}

/* What the kernel reaped for id: its own reply, or TASK ABORTED if marked. */
static void lap_check_reaped(struct lap_state *s, uint16_t id)
{
	const struct fk_result *res = fk_result(&s->e->fk, id);

	if (s->aborted[id]) {
		assert_reaped_aborted(&s->e->fk, id);
		s->aborted[id] = false;
		s->aborted_reaped++;
		return;
	}
	assert_int_equal(res->completions, 1);
	assert_int_equal(res->status, status_for(id));
	assert_int_equal(res->uflags, TCMU_UFLAG_READ_LEN);
	assert_int_equal(res->read_len, id);
	assert_int_equal(res->sense[0], 0x70);
	assert_int_equal(res->sense[2], (uint8_t)id);
}

/* Complete a random part of the outstanding commands, in random order. */
static void lap_complete(struct lap_state *s)
{
	unsigned want = s->n_out ? lap_rand(s, s->n_out + 1) : 0, k = 0;
	uint16_t done[FK_REAP_LOG];
	unsigned n_done = 0;

	shuffle(s->outstanding, s->n_out, &s->rng);
	for (unsigned i = 0; i < s->n_out; i++) {
		uint16_t id = s->outstanding[i];

		if (!want || n_done == FK_REAP_LOG) {
			s->outstanding[k++] = id;
			continue;
		}
		lap_complete_one(s, id);
		done[n_done++] = id;
		want--;
	}
	s->n_out = k;
	tcmud_ring_flush(&s->e->r);
	for (unsigned i = 0; i < n_done; i++)
		lap_check_reaped(s, done[i]);
}

static void run_laps(uint32_t cmdr_size, uint32_t blocks, uint32_t max_iovs, uint64_t laps)
{
	struct lap_state *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->e = fk_env_new(cmdr_size, (size_t)blocks * FK_BLOCK_SIZE, 0);
	s->rng = 0x2545f4914f6cdd1dull ^ cmdr_size;
	s->max_iovs = max_iovs;
	while (s->e->fk.laps < laps) {
		unsigned batch = 1 + lap_rand(s, 48);

		for (unsigned i = 0; i < batch && lap_queue_cmd(s); i++)
			if (lap_rand(s, 16) == 0)
				lap_queue_tmr(s);
		lap_drain(s);
		lap_check_marks(s);
		lap_complete(s);
		assert_int_equal(s->e->r.outstanding, s->n_out);
		assert_marks_within_inflight(&s->e->r);
	}
	assert_true(s->e->r.pads > 0);
	assert_int_equal(s->e->r.pads, s->e->fk.pads);
	assert_true(s->e->r.tmrs > 0);
	assert_true(s->tmr_aborted > 0);
	assert_true(s->aborted_reaped > 0);
	if (cmdr_size < 8192)
		assert_true(s->e->fk.min_pad < CMD_ENTRY_MIN);
	fk_env_free(s->e);
	free(s);
}

static void test_laps_ring_1000(void **state)
{
	(void)state;
	run_laps(1000, 64, 6, 300);
}

static void test_laps_ring_4104(void **state)
{
	(void)state;
	run_laps(4104, 256, 16, 200);
}

static void test_laps_ring_8m(void **state)
{
	(void)state;
	run_laps(RING_8M, 4096, 64, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_reads_geometry),
		cmocka_unit_test(test_attach_refuses_version_1),
		cmocka_unit_test(test_attach_refuses_bad_geometry),
		cmocka_unit_test(test_write_round_trip_zero_copy),
		cmocka_unit_test(test_read_round_trip),
		cmocka_unit_test(test_bidi_iovs_split),
		cmocka_unit_test(test_cdb_lengths),
		cmocka_unit_test(test_sense_reaches_kernel),
		cmocka_unit_test(test_unknown_op_flag),
		cmocka_unit_test(test_read_len_residual),
		cmocka_unit_test(test_out_of_order_completion),
		cmocka_unit_test(test_one_doorbell_per_flush),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_pad_of_8_bytes),
		cmocka_unit_test(test_resume_from_nonzero_tail),
		cmocka_unit_test(test_tmr_abort_task),
		cmocka_unit_test(test_tmr_lun_reset),
		cmocka_unit_test(test_tmr_marks_each_command_once),
		cmocka_unit_test(test_tmr_names_nothing_outstanding),
		cmocka_unit_test(test_tmr_aborted_id_held_until_completed),
		cmocka_unit_test(test_laps_ring_1000),
		cmocka_unit_test(test_laps_ring_4104),
		cmocka_unit_test(test_laps_ring_8m),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
