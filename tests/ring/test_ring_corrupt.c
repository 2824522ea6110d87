/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ring engine against corrupt shared memory: every violation must mark the
 * ring broken with a reason, process nothing after it and write nothing.
 * The mapping sits between guard pages, so a stray access crashes the test.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "ring.h"

static const uint8_t read10[10] = { 0x28, 0, 0, 0, 0, 0x20, 0, 0, 1, 0 };

/* A ring with one command parsed and outstanding (its id in *good). */
static struct fk_env *setup(uint32_t cmdr_size, uint32_t start, uint16_t *good)
{
	struct fk_env *e = fk_env_new(cmdr_size, 32 * FK_BLOCK_SIZE, start);

	*good = fk_env_queue_nodata(e, 0x00);
	assert_int_equal(fk_env_next_cmd(e), *good);
	return e;
}

/* Queue a read with 'iovs' iovecs of 100 bytes; returns its CMD entry. */
static struct tcmu_cmd_entry *queue_victim(struct fk_env *e, uint32_t iovs)
{
	struct fk_cmd_desc d = { .cdb = read10, .cdb_len = 10, .in_len = 100 * iovs,
				 .split = iovs };
	int id = fk_queue_cmd(&e->fk, &d);

	assert_true(id > 0);
	return fk_entry(&e->fk, fk_cmd(&e->fk, (uint16_t)id)->entry_off);
}

/* A well-formed command after the bad entry: it must never be parsed. */
static void queue_follower(struct fk_env *e)
{
	fk_env_queue_nodata(e, 0x00);
}

static uint32_t entry_len(const struct tcmu_cmd_entry *v)
{
	return tcmu_hdr_get_len(v->hdr.len_op);
}

static void expect_broken(struct fk_env *e, uint16_t good, const char *needle)
{
	uint64_t cmds = e->r.cmds, tmrs = e->r.tmrs;
	uint8_t *snap = malloc(e->fk.size);
	struct tcmud_ring_rsp rsp = { 0 };

	assert_non_null(snap);
	memcpy(snap, e->fk.map, e->fk.size);
	assert_int_equal(fk_env_next(e), TCMUD_RING_BROKEN);
	assert_true(e->r.broken);
	assert_true(strlen(e->r.why) > 0);
	if (!strstr(e->r.why, needle))
		fail_msg("why \"%s\" does not mention \"%s\"", e->r.why, needle);
	assert_int_equal(e->r.cmds, cmds);
	assert_int_equal(e->r.tmrs, tmrs);
	assert_false(tcmud_ring_cmd_aborted(&e->r, good)); /* a bad TMR marks nothing */
	/* Broken stays broken: nothing further is parsed, completed or published. */
	assert_int_equal(fk_env_next(e), TCMUD_RING_BROKEN);
	assert_int_equal(tcmud_ring_complete(&e->r, good, &rsp), -EIO);
	assert_false(tcmud_ring_flush(&e->r));
	assert_int_equal(e->r.cmds, cmds);
	assert_int_equal(e->fk.doorbells, 0);
	assert_memory_equal(snap, e->fk.map, e->fk.size);
	free(snap);
	fk_env_free(e);
}

/* ------------------------------------------------------------ lengths */

static void test_zero_length_pad(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	v->hdr.len_op = TCMU_OP_PAD; /* an all-zero header */
	expect_broken(e, good, "PAD entry at ring offset 120: length 0 below the minimum 8");
}

static void test_zero_length_cmd(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	v->hdr.len_op = TCMU_OP_CMD;
	expect_broken(e, good, "length 0 below the minimum 112");
}

static void test_unaligned_length(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	v->hdr.len_op = (entry_len(v) + 4) | TCMU_OP_CMD;
	expect_broken(e, good, "not a multiple of 8");
}

static void test_cmd_shorter_than_response(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	v->hdr.len_op = 48 | TCMU_OP_CMD;
	expect_broken(e, good, "length 48 below the minimum 112");
}

static void test_length_past_ring_end(void **state)
{
	uint16_t good;
	/* good (120 bytes) at 752, the victim (128) fills 872..1000, the follower sits at 0. */
	struct fk_env *e = setup(1000, 752, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 0);

	(void)state;
	queue_follower(e);
	assert_int_equal(fk_cmd(&e->fk, (uint16_t)(good + 1))->entry_off, 872);
	assert_int_equal(e->fk.head, 120);
	v->hdr.len_op = 248 | TCMU_OP_CMD; /* reaches exactly cmd_head, but past the end */
	expect_broken(e, good, "CMD entry at ring offset 872: length 248 runs past the ring end 1000");
}

static void test_length_past_cmd_head(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	v->hdr.len_op = (entry_len(v) + 8) | TCMU_OP_CMD;
	expect_broken(e, good, "runs past cmd_head");
}

static void test_unknown_op(void **state)
{
	static const uint8_t ops[] = { 3, 7 };

	(void)state;
	for (size_t i = 0; i < sizeof(ops); i++) {
		uint16_t good;
		struct fk_env *e = setup(4104, 0, &good);
		struct tcmu_cmd_entry *v = queue_victim(e, 1);
		char needle[32];

		queue_follower(e);
		v->hdr.len_op = entry_len(v) | ops[i];
		snprintf(needle, sizeof(needle), "unknown op %u", ops[i]);
		expect_broken(e, good, needle);
	}
}

/* ------------------------------------------------------------ CMD fields */

static void test_duplicate_cmd_id(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	v->hdr.cmd_id = good;
	expect_broken(e, good, "already outstanding");
}

static void test_iov_cnt_too_large_for_entry(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 2);

	(void)state;
	queue_follower(e);
	v->req.iov_cnt = 6; /* 48 + 6 * 16 > 128 */
	expect_broken(e, good, "iov_cnt 6 + iov_bidi_cnt 0 iovecs do not fit its length 128");
}

static void test_iov_count_overflow(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	v->req.iov_bidi_cnt = UINT32_MAX; /* 1 + 0xffffffff wraps to 0 in 32 bits */
	expect_broken(e, good, "do not fit");
}

static void test_iov_cnt_above_capacity(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);

	(void)state;
	queue_victim(e, 3);
	queue_follower(e);
	e->iov_cap = 2;
	expect_broken(e, good, "exceeds the iov capacity 2");
}

static void test_iov_dif_cnt(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	v->req.iov_dif_cnt = 1;
	expect_broken(e, good, "iov_dif_cnt 1");
}

static void set_iov(struct tcmu_cmd_entry *v, unsigned i, uint64_t base, uint64_t len)
{
	v->req.iov[i].iov_base = (void *)(uintptr_t)base;
	v->req.iov[i].iov_len = len;
}

static void test_iov_base_below_data_area(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 2);

	(void)state;
	queue_follower(e);
	set_iov(v, 1, FK_CMDR_OFF, 8); /* the ring itself */
	expect_broken(e, good, "iov[1] base 0x80 len 0x8 outside the data area");
}

static void test_iov_past_mapping_end(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 2);

	(void)state;
	queue_follower(e);
	set_iov(v, 0, e->fk.size - 16, 32);
	expect_broken(e, good, "iov[0]");
}

static void test_iov_base_beyond_mapping(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	set_iov(v, 0, e->fk.size + 4096, 0);
	expect_broken(e, good, "iov[0]");
}

static void test_iov_overflows_64_bits(void **state)
{
	static const uint64_t bad[][2] = {
		{ 0, 0 },                       /* filled in: data_off, 2^64 - data_off */
		{ UINT64_MAX, 1 },
		{ UINT64_MAX - 7, 16 },
	};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		uint16_t good;
		struct fk_env *e = setup(4104, 0, &good);
		struct tcmu_cmd_entry *v = queue_victim(e, 1);
		uint64_t base = i ? bad[i][0] : e->fk.data_off;
		uint64_t len = i ? bad[i][1] : 0 - (uint64_t)e->fk.data_off;

		queue_follower(e);
		set_iov(v, 0, base, len); /* base + len wraps around */
		expect_broken(e, good, "iov[0]");
	}
}

/* ------------------------------------------------------------------- CDB */

static void test_cdb_off_outside_mapping(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		uint16_t good;
		struct fk_env *e = setup(4104, 0, &good);
		struct tcmu_cmd_entry *v = queue_victim(e, 1);

		queue_follower(e);
		v->req.cdb_off = i ? UINT64_MAX : e->fk.size;
		expect_broken(e, good, "cdb_off");
	}
}

/* Point the victim's CDB at the last bytes of the mapping. */
static void cdb_at_end(struct fk_env *e, struct tcmu_cmd_entry *v, uint32_t from_end,
		       uint8_t opcode)
{
	e->fk.map[e->fk.size - from_end] = opcode;
	v->req.cdb_off = e->fk.size - from_end;
}

static void test_cdb16_crosses_mapping_end(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	cdb_at_end(e, v, 8, 0x88); /* READ(16) with 8 bytes left */
	expect_broken(e, good, "CDB length 16 runs past the mapping end");
}

static void test_vendor_cdb_crosses_mapping_end(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	cdb_at_end(e, v, 12, 0xc0); /* vendor specific: 16 bytes are read */
	expect_broken(e, good, "CDB length 16 runs past the mapping end");
}

static void test_cdb6_at_mapping_end_is_fine(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	cdb_at_end(e, v, 6, 0x00); /* exactly fits: the boundary is not off by one */
	assert_int_equal(fk_env_next(e), TCMUD_RING_CMD);
	assert_int_equal(e->cmd.cdb_len, 6);
	assert_false(e->r.broken);
	fk_env_free(e);
}

static void test_varlen_cdb_too_long(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	e->fk.map[v->req.cdb_off] = 0x7f;
	e->fk.map[v->req.cdb_off + 7] = 253; /* 8 + 253 > 260 */
	expect_broken(e, good, "variable-length CDB of 261 bytes exceeds 260");
}

static void test_varlen_header_crosses_mapping_end(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	cdb_at_end(e, v, 4, 0x7f); /* byte 7 itself lies outside */
	expect_broken(e, good, "CDB length 8 runs past the mapping end");
}

static void test_varlen_tail_crosses_mapping_end(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_cmd_entry *v = queue_victim(e, 1);

	(void)state;
	queue_follower(e);
	cdb_at_end(e, v, 16, 0x7f);
	e->fk.map[e->fk.size - 16 + 7] = 24; /* 32 bytes, 16 left */
	expect_broken(e, good, "CDB length 32 runs past the mapping end");
}

/* ------------------------------------------------------------------- TMR */

static struct tcmu_tmr_entry *queue_tmr_victim(struct fk_env *e, uint16_t named)
{
	uint32_t off = e->fk.head;

	assert_int_equal(fk_queue_tmr(&e->fk, TCMU_TMR_ABORT_TASK, &named, 1), 0);
	return (struct tcmu_tmr_entry *)(void *)fk_entry(&e->fk, off);
}

static void test_tmr_cmd_cnt_overflows_entry(void **state)
{
	static const uint32_t counts[] = { 5, 0x80000000u, UINT32_MAX };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		uint16_t good;
		struct fk_env *e = setup(4104, 0, &good);
		struct tcmu_tmr_entry *t = queue_tmr_victim(e, good);
		char needle[48];

		queue_follower(e);
		t->cmd_cnt = counts[i]; /* a 40-byte entry holds 4 ids */
		snprintf(needle, sizeof(needle), "cmd_cnt %u does not fit length 40", counts[i]);
		expect_broken(e, good, needle);
	}
}

static void test_zero_length_tmr(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_tmr_entry *t = queue_tmr_victim(e, good);

	(void)state;
	queue_follower(e);
	t->hdr.len_op = TCMU_OP_TMR;
	expect_broken(e, good, "TMR entry at ring offset 120: length 0 below the minimum 32");
}

static void test_tmr_shorter_than_header(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmu_tmr_entry *t = queue_tmr_victim(e, good);

	(void)state;
	queue_follower(e);
	t->hdr.len_op = 16 | TCMU_OP_TMR;
	expect_broken(e, good, "TMR entry at ring offset 120: length 16 below the minimum 32");
}

/* -------------------------------------------------------------- cmd_head */

static void test_cmd_head_garbage(void **state)
{
	struct {
		uint32_t head;
		const char *needle;
	} cases[] = {
		{ 4104, "cmd_head 4104: not an 8-aligned offset below cmdr_size 4104" },
		{ 0xffffffffu, "cmd_head 4294967295" },
		{ 244, "cmd_head 244: not an 8-aligned" },
		{ 0, "cmd_head 0 moved back" },   /* behind the parse position 120 */
		{ 64, "cmd_head 64 moved back" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t good;
		struct fk_env *e = setup(4104, 0, &good);

		queue_victim(e, 1);
		fk_set_head(&e->fk, cases[i].head);
		expect_broken(e, good, cases[i].needle);
	}
}

/* ------------------------------------------- slots changed after parsing */

static void test_slot_rewritten_before_completion(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmud_ring_rsp rsp = { 0 };

	(void)state;
	fk_entry(&e->fk, 0)->hdr.len_op = TCMU_OP_CMD; /* length 0 */
	assert_int_equal(tcmud_ring_complete(&e->r, good, &rsp), -EIO);
	assert_true(e->r.broken);
	assert_non_null(strstr(e->r.why, "CMD entry at ring offset 0: length 0"));
	assert_false(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_cmd_tail(&e->fk), 0);
	fk_env_free(e);
}

/* Behind the tail slot: the tail walks over PAD/TMR slots and must not spin. */
static void test_slot_turned_into_zero_length_pad(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmud_ring_rsp rsp = { 0 };

	(void)state;
	fk_entry(&e->fk, 0)->hdr.len_op = TCMU_OP_PAD; /* length 0 */
	assert_int_equal(tcmud_ring_complete(&e->r, good, &rsp), -EIO);
	assert_true(e->r.broken);
	assert_non_null(strstr(e->r.why, "PAD entry at ring offset 0: length 0 below the minimum 8"));
	assert_false(tcmud_ring_flush(&e->r));
	assert_int_equal(fk_cmd_tail(&e->fk), 0);
	fk_env_free(e);
}

static void test_slot_turned_into_pad(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	struct tcmud_ring_rsp rsp = { 0 };
	struct tcmu_cmd_entry *slot = fk_entry(&e->fk, 0);

	(void)state;
	slot->hdr.len_op = tcmu_hdr_get_len(slot->hdr.len_op) | TCMU_OP_PAD;
	assert_int_equal(tcmud_ring_complete(&e->r, good, &rsp), -EIO);
	assert_non_null(strstr(e->r.why, "no CMD slot left"));
	assert_false(tcmud_ring_flush(&e->r));
	fk_env_free(e);
}

/* Completions made before the break still reach the kernel; nothing after. */
static void test_completions_before_break_are_published(void **state)
{
	uint16_t good;
	struct fk_env *e = setup(4104, 0, &good);
	uint16_t bad = fk_env_queue_nodata(e, 0x00);

	(void)state;
	e->fk.reap_on_doorbell = false;
	fk_env_complete(e, good, 0x02);
	fk_entry(&e->fk, fk_cmd(&e->fk, bad)->entry_off)->hdr.len_op = 0x7 | 64; /* op 7 */
	assert_int_equal(fk_env_next(e), TCMUD_RING_BROKEN);
	assert_true(tcmud_ring_flush(&e->r));
	assert_int_equal(e->fk.doorbells, 1);
	assert_int_equal(fk_reap(&e->fk), 1);
	assert_int_equal(fk_result(&e->fk, good)->completions, 1);
	assert_int_equal(fk_result(&e->fk, good)->status, 0x02);
	assert_int_equal(fk_result(&e->fk, bad)->completions, 0);
	assert_false(tcmud_ring_flush(&e->r));
	fk_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completions_before_break_are_published),
		cmocka_unit_test(test_zero_length_pad),
		cmocka_unit_test(test_zero_length_cmd),
		cmocka_unit_test(test_unaligned_length),
		cmocka_unit_test(test_cmd_shorter_than_response),
		cmocka_unit_test(test_length_past_ring_end),
		cmocka_unit_test(test_length_past_cmd_head),
		cmocka_unit_test(test_unknown_op),
		cmocka_unit_test(test_duplicate_cmd_id),
		cmocka_unit_test(test_iov_cnt_too_large_for_entry),
		cmocka_unit_test(test_iov_count_overflow),
		cmocka_unit_test(test_iov_cnt_above_capacity),
		cmocka_unit_test(test_iov_dif_cnt),
		cmocka_unit_test(test_iov_base_below_data_area),
		cmocka_unit_test(test_iov_past_mapping_end),
		cmocka_unit_test(test_iov_base_beyond_mapping),
		cmocka_unit_test(test_iov_overflows_64_bits),
		cmocka_unit_test(test_cdb_off_outside_mapping),
		cmocka_unit_test(test_cdb16_crosses_mapping_end),
		cmocka_unit_test(test_vendor_cdb_crosses_mapping_end),
		cmocka_unit_test(test_cdb6_at_mapping_end_is_fine),
		cmocka_unit_test(test_varlen_cdb_too_long),
		cmocka_unit_test(test_varlen_header_crosses_mapping_end),
		cmocka_unit_test(test_varlen_tail_crosses_mapping_end),
		cmocka_unit_test(test_tmr_cmd_cnt_overflows_entry),
		cmocka_unit_test(test_zero_length_tmr),
		cmocka_unit_test(test_tmr_shorter_than_header),
		cmocka_unit_test(test_cmd_head_garbage),
		cmocka_unit_test(test_slot_rewritten_before_completion),
		cmocka_unit_test(test_slot_turned_into_zero_length_pad),
		cmocka_unit_test(test_slot_turned_into_pad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
