/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protection information through the SCSI layer, against the rd handler
 * with pi=1/2/3 at 512 and 4096-byte blocks: PI generated on plain writes,
 * checked on plain reads, moved interleaved with RDPROTECT/WRPROTECT, the
 * check each PROTECT code performs, type 2's 32-byte CDBs and their tags,
 * escapes, corruption of what is stored, and READ CAPACITY(16).
 *
 * Expected tuples are computed here with a bitwise CRC, independently of
 * the library the daemon uses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scsi_fixture.h"
#include "scsi_internal.h"
#include "scsi_pi.h"

#define TUPLE 8
#define OP_READ10 0x28
#define OP_WRITE10 0x2a
#define OP_READ12 0xa8
#define OP_WRITE12 0xaa
#define OP_READ16 0x88
#define OP_WRITE16 0x8a
#define SA_READ32 0x0009
#define SA_WRITE32 0x000b
#define NUM_LBAS 8192

static const char *const pi_cfg[4] = {"", "pi=1", "pi=2", "pi=3"};

static const struct {
	uint8_t type;
	uint32_t bs;
} configs[] = {{1, 512}, {1, 4096}, {2, 512}, {2, 4096}, {3, 512}, {3, 4096}};
#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

/* The open fixture, freed by the teardown when a test fails half-way, so
 * that its storage does not outlive it and trouble the next test. */
static struct fix *current;

static struct fix *pi_fix(uint8_t type, uint32_t bs)
{
	struct fix *f = fix_new_cfg(NUM_LBAS, bs, pi_cfg[type], true);

	current = f;
	assert_int_equal(f->dev.hdev.pi_type, type);
	return f;
}

static void pi_free(struct fix *f)
{
	current = NULL;
	fix_free(f);
}

static int teardown(void **state)
{
	(void)state;
	if (current)
		pi_free(current);
	return 0;
}

/* ---- tuples, computed independently ------------------------------------ */

/* CRC-16/T10-DIF: polynomial 0x8BB7, initial 0, not reflected. */
static uint16_t crc_ref(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x8bb7 : crc << 1);
	}
	return crc;
}

static void tuple_set(uint8_t *t, uint16_t guard, uint16_t app, uint32_t ref)
{
	put16(t, guard);
	put16(t + 2, app);
	put32(t + 4, ref);
}

/* nr good tuples for data: app tag, ref tags from ref0 (counting up unless
 * type 3, where every block gets ref0). */
static uint8_t *tuples_for(const uint8_t *data, uint32_t nr, uint32_t bs, uint8_t type,
			   uint16_t app, uint32_t ref0)
{
	uint8_t *pi = malloc((size_t)nr * TUPLE);

	assert_non_null(pi);
	for (uint32_t i = 0; i < nr; i++)
		tuple_set(pi + (size_t)i * TUPLE, crc_ref(data + (size_t)i * bs, bs), app,
			  type == 3 ? ref0 : ref0 + i);
	return pi;
}

static uint8_t *pattern(uint32_t nr, uint32_t bs, uint32_t seed)
{
	uint8_t *p = malloc((size_t)nr * bs);

	assert_non_null(p);
	fill_pattern(p, (size_t)nr * bs, seed);
	return p;
}

/* An initiator buffer with each block followed by its tuple (split from k). */
static struct buf *interleave(const uint8_t *data, const uint8_t *pi, uint32_t nr,
			      uint32_t bs, size_t k)
{
	struct buf *b = buf_new((size_t)nr * (bs + TUPLE), 0, k);

	for (uint32_t i = 0; i < nr; i++) {
		memcpy(b->data + (size_t)i * (bs + TUPLE), data + (size_t)i * bs, bs);
		memcpy(b->data + (size_t)i * (bs + TUPLE) + bs, pi + (size_t)i * TUPLE, TUPLE);
	}
	return b;
}

static const uint8_t *block_in(const struct buf *b, uint32_t i, uint32_t bs)
{
	return b->data + (size_t)i * (bs + TUPLE);
}

static const uint8_t *tuple_in(const struct buf *b, uint32_t i, uint32_t bs)
{
	return block_in(b, i, bs) + bs;
}

/* ---- commands ---------------------------------------------------------- */

static size_t cdb_rw(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n, uint8_t protect)
{
	uint8_t flags = (uint8_t)(protect << 5);

	switch (op) {
	case OP_READ10:
	case OP_WRITE10:
		cdb10(c, op, (uint32_t)lba, (uint16_t)n, flags);
		return 10;
	case OP_READ12:
	case OP_WRITE12:
		cdb12(c, op, (uint32_t)lba, n, flags);
		return 12;
	default:
		cdb16(c, op, lba, n, flags);
		return 16;
	}
}

static void cdb32(uint8_t *c, uint16_t sa, uint64_t lba, uint32_t n, uint8_t protect,
		  uint32_t ref, uint16_t app, uint16_t mask)
{
	memset(c, 0, 32);
	c[0] = 0x7f;
	c[7] = 0x18;
	put16(&c[8], sa);
	c[10] = (uint8_t)(protect << 5);
	put64(&c[12], lba);
	put32(&c[20], ref);
	put16(&c[24], app);
	put16(&c[26], mask);
	put32(&c[28], n);
}

/* Plain write of pattern(seed) with the CDB type 2 allows for it. */
static void plain_write(struct fix *f, uint64_t lba, uint32_t nr, uint32_t seed)
{
	write_blocks(f, lba, nr, seed, 2);
}

/* READ with RDPROTECT 3 (no checks): the data and the stored tuples. On a
 * type 2 device through READ(32). */
static struct buf *read_raw(struct fix *f, uint64_t lba, uint32_t nr, size_t k)
{
	uint32_t bs = f->dev.hdev.block_size;
	struct buf *b = buf_new((size_t)nr * (bs + TUPLE), 0xcc, k);
	uint8_t c[32];
	size_t len = 32;

	if (f->dev.hdev.pi_type == 2)
		cdb32(c, SA_READ32, lba, nr, 3, 0, 0, 0);
	else
		len = cdb_rw(c, OP_READ16, lba, nr, 3);
	assert_good(f, exec(f, c, len, b));
	assert_false(f->cmd.read_len_valid);
	return b;
}

/* Store one block and its tuple straight through the handler. */
static void store_raw(struct fix *f, uint64_t lba, const uint8_t *data, const uint8_t *tuple)
{
	struct iovec iov = {(void *)data, f->dev.hdev.block_size};
	struct tcmud_cmd cmd = {0};
	uint8_t t[TUPLE];
	struct tcmud_io io = {.cmd = &cmd, .lba = lba, .nr_blocks = 1, .iov = &iov,
			      .iov_cnt = 1, .pi = t};

	memcpy(t, tuple, TUPLE);
	assert_int_equal(tcmud_handler.write(&f->dev.hdev, &io), TCMUD_STATUS_GOOD);
}

/* ABORTED COMMAND, a PI check failed, with the LBA in INFORMATION. */
static void assert_pi_failed(struct fix *f, int ret, uint16_t asc, uint64_t lba)
{
	assert_sense(f, ret, TCMUD_SK_ABORTED_COMMAND, asc);
	assert_true(f->cmd.sense.info_valid);
	assert_true(f->cmd.sense.info == lba);
}

/* The ref tag a plain write gives block lba. */
static uint32_t generated_ref(uint8_t type, uint64_t lba)
{
	return type == 3 ? 0xffffffffu : (uint32_t)lba;
}

/* ---- generation -------------------------------------------------------- */

/* A plain write generates guard = CRC, app 0, ref per type; a plain read
 * returns the data and passes. */
static void test_generate_on_write(void **state)
{
	for (size_t ci = 0; ci < NR_CONFIGS; ci++) {
		uint8_t type = configs[ci].type;
		uint32_t bs = configs[ci].bs;
		struct fix *f = pi_fix(type, bs);
		uint8_t *data = pattern(9, bs, 100 + (uint32_t)ci);
		struct buf *b;

		plain_write(f, 1000, 9, 100 + (uint32_t)ci);
		b = read_raw(f, 1000, 9, ci);
		for (uint32_t i = 0; i < 9; i++) {
			const uint8_t *t = tuple_in(b, i, bs);

			assert_memory_equal(block_in(b, i, bs), data + (size_t)i * bs, bs);
			assert_int_equal(be16(t), crc_ref(data + (size_t)i * bs, bs));
			assert_int_equal(be16(t + 2), 0);
			assert_int_equal(be32(t + 4), generated_ref(type, 1000 + i));
		}
		buf_free(b);
		/* The plain read checks what was generated and passes. */
		assert_blocks_pattern(f, 1000, 9, 100 + (uint32_t)ci);
		free(data);
		pi_free(f);
	}
}

/* Blocks never written read as zeros with 0xFF tuples, plainly and with
 * every RDPROTECT: the escape disables every check. */
static void test_never_written(void **state)
{
	for (size_t ci = 0; ci < NR_CONFIGS; ci++) {
		uint32_t bs = configs[ci].bs;
		struct fix *f = pi_fix(configs[ci].type, bs);
		struct buf *b = read_raw(f, 50, 3, 1);
		static const uint8_t ff[TUPLE] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

		for (uint32_t i = 0; i < 3; i++) {
			assert_true(all_zero(block_in(b, i, bs), bs));
			assert_memory_equal(tuple_in(b, i, bs), ff, TUPLE);
		}
		buf_free(b);
		assert_blocks_zero(f, 50, 3);
		pi_free(f);
	}
}

/* ---- WRPROTECT --------------------------------------------------------- */

enum corrupt { C_NONE, C_GUARD, C_APP, C_REF, C_DATA };

/* An interleaved buffer of nr good blocks for a 10/12/16-byte write (type
 * 1: ref = LBA; type 3: anything), block bad corrupted as asked. */
static struct buf *wr_buf(struct fix *f, uint64_t lba, uint32_t nr, uint32_t seed,
			  uint32_t bad, enum corrupt how, size_t k)
{
	uint32_t bs = f->dev.hdev.block_size;
	uint8_t type = f->dev.hdev.pi_type;
	uint8_t *data = pattern(nr, bs, seed);
	uint32_t ref0 = type == 3 ? 0x0badf00d : (uint32_t)lba;
	uint8_t *pi = tuples_for(data, nr, bs, type, 0x1234, ref0);
	struct buf *b;

	switch (how) {
	case C_GUARD:
		pi[(size_t)bad * TUPLE + 1] ^= 0x01;
		break;
	case C_APP:
		pi[(size_t)bad * TUPLE + 2] ^= 0x80;
		break;
	case C_REF:
		pi[(size_t)bad * TUPLE + 7] ^= 0x10;
		break;
	case C_DATA:
		data[(size_t)bad * bs + bs / 2] ^= 0x04;
		break;
	default:
		break;
	}
	b = interleave(data, pi, nr, bs, k);
	free(data);
	free(pi);
	return b;
}

/* WRPROTECT 1 stores the initiator's tuples as they are. */
static void test_wrprotect_stores_tuples(void **state)
{
	static const uint8_t ops[] = {OP_WRITE10, OP_WRITE12, OP_WRITE16};

	for (size_t ci = 0; ci < NR_CONFIGS; ci++) {
		uint32_t bs = configs[ci].bs;
		struct fix *f = pi_fix(configs[ci].type, bs);

		if (configs[ci].type == 2) { /* READ/WRITE(32) only: see below */
			pi_free(f);
			continue;
		}
		for (size_t o = 0; o < 3; o++) {
			uint64_t lba = 200 + o * 10;
			struct buf *w = wr_buf(f, lba, 5, 7 + (uint32_t)o, 0, C_NONE, o + ci);
			struct buf *r;
			uint8_t c[16];
			size_t len = cdb_rw(c, ops[o], lba, 5, 1);

			assert_good(f, exec(f, c, len, w));
			r = read_raw(f, lba, 5, 4);
			assert_memory_equal(r->data, w->data, w->len);
			buf_free(r);
			buf_free(w);
			assert_blocks_pattern(f, lba, 5, 7 + (uint32_t)o);
		}
		pi_free(f);
	}
}

/* A bad guard, ref or data under WRPROTECT 1: the exact sense and LBA, and
 * nothing written (not even the good blocks before the bad one). */
static void test_wrprotect_rejects(void **state)
{
	static const struct {
		enum corrupt how;
		uint16_t asc;
	} cases[] = {
		{C_GUARD, TCMUD_ASC_GUARD_CHECK_FAILED},
		{C_DATA, TCMUD_ASC_GUARD_CHECK_FAILED},
		{C_REF, TCMUD_ASC_REF_TAG_CHECK_FAILED},
	};

	for (size_t ci = 0; ci < NR_CONFIGS; ci++) {
		struct fix *f;

		if (configs[ci].type != 1)
			continue;
		f = pi_fix(1, configs[ci].bs);
		plain_write(f, 300, 6, 55);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct buf *w = wr_buf(f, 300, 6, 66, 4, cases[i].how, i);
			uint8_t c[16];

			memset(&spy, 0, sizeof(spy));
			cdb_rw(c, OP_WRITE16, 300, 6, 1);
			assert_pi_failed(f, exec(f, c, 16, w), cases[i].asc, 304);
			assert_int_equal(spy.writes, 0);
			buf_free(w);
		}
		assert_blocks_pattern(f, 300, 6, 55);
		pi_free(f);
	}
}

/* Which corruption each WRPROTECT code catches (SBC-4): 1 and 5 guard and
 * ref, 2 ref only, 3 nothing, 4 guard only. Type 1, so the ref is known. */
static void test_wrprotect_table(void **state)
{
	/* caught[protect][0] = guard, [1] = ref */
	static const bool caught[6][2] = {
		{false, false}, {true, true}, {false, true}, {false, false}, {true, false},
		{true, true},
	};
	struct fix *f = pi_fix(1, 512);

	for (uint8_t p = 1; p <= 5; p++)
		for (int which = 0; which < 2; which++) {
			struct buf *w = wr_buf(f, 400, 3, p, 1, which ? C_REF : C_GUARD, p);
			uint8_t c[16];
			int ret;

			cdb_rw(c, OP_WRITE10, 400, 3, p);
			ret = exec(f, c, 10, w);
			if (caught[p][which])
				assert_pi_failed(f, ret,
						 which ? TCMUD_ASC_REF_TAG_CHECK_FAILED
						       : TCMUD_ASC_GUARD_CHECK_FAILED,
						 401);
			else
				assert_good(f, ret);
			buf_free(w);
		}
	pi_free(f);
}

/* Type 3: the ref tag is never checked and the app tag alone is no escape. */
static void test_type3_tags(void **state)
{
	struct fix *f = pi_fix(3, 512);
	uint8_t *data = pattern(2, 512, 9);
	uint8_t *pi = tuples_for(data, 2, 512, 3, 0, 0x11111111);
	struct buf *w;
	uint8_t c[16];

	/* Any ref tag is fine. */
	w = interleave(data, pi, 2, 512, 0);
	cdb_rw(c, OP_WRITE16, 10, 2, 1);
	assert_good(f, exec(f, c, 16, w));
	buf_free(w);
	/* A bad guard with app 0xFFFF alone is still checked... */
	tuple_set(pi + TUPLE, 0xdead, 0xffff, 0x11111111);
	w = interleave(data, pi, 2, 512, 1);
	assert_pi_failed(f, exec(f, c, 16, w), TCMUD_ASC_GUARD_CHECK_FAILED, 11);
	buf_free(w);
	/* ...but app 0xFFFF with ref 0xFFFFFFFF escapes. */
	tuple_set(pi + TUPLE, 0xdead, 0xffff, 0xffffffff);
	w = interleave(data, pi, 2, 512, 2);
	assert_good(f, exec(f, c, 16, w));
	buf_free(w);
	free(data);
	free(pi);
	pi_free(f);
}

/* Types 1 and 2: app 0xFFFF escapes a block with a bad guard and ref. */
static void test_app_escape(void **state)
{
	struct fix *f = pi_fix(1, 4096);
	uint8_t *data = pattern(3, 4096, 21);
	uint8_t *pi = tuples_for(data, 3, 4096, 1, 0, 70);
	struct buf *w, *r;
	uint8_t c[16];

	tuple_set(pi + TUPLE, 0xbeef, 0xffff, 0x12345678);
	w = interleave(data, pi, 3, 4096, 3);
	cdb_rw(c, OP_WRITE12, 70, 3, 1);
	assert_good(f, exec(f, c, 12, w));
	/* Stored as sent; every read passes over the escaped block. */
	r = read_raw(f, 70, 3, 0);
	assert_memory_equal(r->data, w->data, w->len);
	buf_free(r);
	buf_free(w);
	cdb_rw(c, OP_READ12, 70, 3, 1);
	r = buf_new(3 * (4096 + TUPLE), 0, 5);
	assert_good(f, exec(f, c, 12, r));
	buf_free(r);
	assert_blocks_pattern(f, 70, 3, 21);
	free(data);
	free(pi);
	pi_free(f);
}

/* ---- reads of stored PI ------------------------------------------------ */

/* Corrupt what is stored for block lba: data, guard or ref. */
static void corrupt_stored(struct fix *f, uint64_t lba, enum corrupt how)
{
	uint32_t bs = f->dev.hdev.block_size;
	struct buf *r = read_raw(f, lba, 1, 0);
	uint8_t data[4096], t[TUPLE];

	memcpy(data, r->data, bs);
	memcpy(t, r->data + bs, TUPLE);
	buf_free(r);
	if (how == C_DATA)
		data[3] ^= 0x40;
	else if (how == C_GUARD)
		t[0] ^= 0x01;
	else if (how == C_REF)
		t[4] ^= 0x80;
	else if (how == C_APP)
		t[3] ^= 0x01;
	store_raw(f, lba, data, t);
}

/* A plain read checks the stored guard (and type 1's ref) and names the
 * first bad block. */
static void test_plain_read_detects(void **state)
{
	for (size_t ci = 0; ci < NR_CONFIGS; ci++) {
		uint8_t type = configs[ci].type;
		uint32_t bs = configs[ci].bs;
		struct fix *f = pi_fix(type, bs);
		struct buf *b = buf_new((size_t)8 * bs, 0, ci);
		uint8_t c[16];

		plain_write(f, 4000, 8, 3);
		corrupt_stored(f, 4006, C_GUARD);
		corrupt_stored(f, 4005, C_DATA);
		cdb_rw(c, OP_READ16, 4000, 8, 0);
		assert_pi_failed(f, exec(f, c, 16, b), TCMUD_ASC_GUARD_CHECK_FAILED, 4005);
		/* A bad ref: caught only where the ref tag is known (type 1). */
		corrupt_stored(f, 4001, C_REF);
		if (type == 1)
			assert_pi_failed(f, exec(f, c, 16, b), TCMUD_ASC_REF_TAG_CHECK_FAILED,
					 4001);
		else
			assert_pi_failed(f, exec(f, c, 16, b), TCMUD_ASC_GUARD_CHECK_FAILED, 4005);
		/* The app tag is nobody's business without a 32-byte CDB. */
		corrupt_stored(f, 4000, C_APP);
		cdb_rw(c, OP_READ10, 4000, 1, 0);
		assert_good(f, exec(f, c, 10, b));
		assert_read_len(f, bs);
		buf_free(b);
		pi_free(f);
	}
}

/* RDPROTECT: which stored corruption each code catches (same table as
 * WRPROTECT; 0 checks like 1), and the tuples come back interleaved. */
static void test_rdprotect_table(void **state)
{
	static const bool caught[6][2] = {
		{true, true}, {true, true}, {false, true}, {false, false}, {true, false},
		{true, true},
	};
	struct fix *f = pi_fix(1, 512);
	struct buf *b = buf_new(4 * (512 + TUPLE), 0, 3);
	uint8_t c[16];

	plain_write(f, 600, 4, 17);
	plain_write(f, 700, 4, 18);
	corrupt_stored(f, 602, C_GUARD);
	corrupt_stored(f, 703, C_REF);
	for (uint8_t p = 0; p <= 5; p++) {
		int ret;

		cdb_rw(c, OP_READ16, 600, 4, p);
		ret = exec(f, c, 16, b);
		if (caught[p][0])
			assert_pi_failed(f, ret, TCMUD_ASC_GUARD_CHECK_FAILED, 602);
		else
			assert_good(f, ret);
		cdb_rw(c, OP_READ16, 700, 4, p);
		ret = exec(f, c, 16, b);
		if (caught[p][1])
			assert_pi_failed(f, ret, TCMUD_ASC_REF_TAG_CHECK_FAILED, 703);
		else
			assert_good(f, ret);
	}
	buf_free(b);
	pi_free(f);
}

/* A buffer larger than data + PI: the residual counts the tuples too. */
static void test_rdprotect_residual(void **state)
{
	struct fix *f = pi_fix(1, 512);
	struct buf *b = buf_new(3 * (512 + TUPLE) + 100, 0xcc, 6);
	uint8_t c[16];

	plain_write(f, 10, 3, 5);
	cdb_rw(c, OP_READ10, 10, 3, 1);
	assert_good(f, exec(f, c, 10, b));
	assert_read_len(f, 3 * (512 + TUPLE));
	assert_int_equal(be32(b->data + 2 * (512 + TUPLE) + 512 + 4), 12);
	assert_int_equal(b->data[3 * (512 + TUPLE)], 0xcc);
	buf_free(b);
	pi_free(f);
}

/* A Data-Out buffer with room for the data but not the tuples is refused,
 * and nothing is written. */
static void test_wrprotect_short_buffer(void **state)
{
	struct fix *f = pi_fix(1, 512);
	struct buf *b = buf_new(2 * 512 + TUPLE, 0, 0);
	uint8_t c[16];

	cdb_rw(c, OP_WRITE10, 10, 2, 1);
	assert_sense(f, exec(f, c, 10, b), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	assert_int_equal(spy.writes, 0);
	/* A READ fills what the initiator expected: one block and its tuple
	 * (escape PI: never written), then the second block without its tuple. */
	cdb_rw(c, OP_READ10, 10, 2, 1);
	assert_good(f, exec(f, c, 10, b));
	assert_true(all_zero(b->data, 512));
	for (unsigned i = 0; i < TUPLE; i++)
		assert_int_equal(b->data[512 + i], 0xff);
	assert_true(all_zero(b->data + 512 + TUPLE, 512));
	buf_free(b);
	pi_free(f);
}

/* ---- PROTECT fields ---------------------------------------------------- */

/* 6 and 7 are reserved: INVALID FIELD IN CDB at the field, on every type. */
static void test_reserved_protect(void **state)
{
	static const uint8_t ops[] = {OP_READ10, OP_WRITE10, OP_READ12, OP_WRITE12,
				      OP_READ16, OP_WRITE16};

	for (uint8_t type = 1; type <= 3; type++) {
		struct fix *f = pi_fix(type, 512);
		struct buf *b = buf_new(520, 0, 0);
		uint8_t c[32];

		for (size_t o = 0; o < sizeof(ops); o++)
			for (uint8_t p = 6; p <= 7; p++) {
				size_t len = cdb_rw(c, ops[o], 0, 1, p);

				assert_invalid_field(f, exec(f, c, len, b), 1, 7);
			}
		if (type == 2) {
			cdb32(c, SA_READ32, 0, 1, 6, 0, 0, 0);
			assert_invalid_field(f, exec(f, c, 32, b), 10, 7);
			cdb32(c, SA_WRITE32, 0, 1, 7, 0, 0, 0);
			assert_invalid_field(f, exec(f, c, 32, b), 10, 7);
		}
		assert_int_equal(spy.reads + spy.writes, 0);
		buf_free(b);
		pi_free(f);
	}
}

/* Type 2: PI moves only with 32-byte CDBs; RDPROTECT/WRPROTECT in the short
 * forms is INVALID COMMAND OPERATION CODE, plain transfers work. */
static void test_type2_short_cdbs(void **state)
{
	static const uint8_t ops[] = {OP_READ10, OP_WRITE10, OP_READ12, OP_WRITE12,
				      OP_READ16, OP_WRITE16};
	struct fix *f = pi_fix(2, 512);
	struct buf *b = buf_new(520, 0, 0);
	uint8_t c[16];

	for (size_t o = 0; o < sizeof(ops); o++)
		for (uint8_t p = 1; p <= 5; p++) {
			size_t len = cdb_rw(c, ops[o], 0, 1, p);

			assert_sense(f, exec(f, c, len, b), TCMUD_SK_ILLEGAL_REQUEST,
				     TCMUD_ASC_INVALID_OPCODE);
		}
	assert_int_equal(spy.reads + spy.writes, 0);
	buf_free(b);
	plain_write(f, 5, 2, 8);
	assert_blocks_pattern(f, 5, 2, 8);
	pi_free(f);
}

/* READ(32)/WRITE(32) on types 1 and 3: INVALID COMMAND OPERATION CODE. */
static void test_rw32_other_types(void **state)
{
	for (uint8_t type = 1; type <= 3; type += 2) {
		struct fix *f = pi_fix(type, 512);
		struct buf *b = buf_new(520, 0, 0);
		uint8_t c[32];

		cdb32(c, SA_READ32, 0, 1, 1, 0, 0, 0);
		assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_INVALID_OPCODE);
		cdb32(c, SA_WRITE32, 0, 1, 0, 0, 0, 0);
		assert_sense(f, exec(f, c, 32, b), TCMUD_SK_ILLEGAL_REQUEST,
			     TCMUD_ASC_INVALID_OPCODE);
		assert_int_equal(spy.reads + spy.writes, 0);
		buf_free(b);
		pi_free(f);
	}
}

/* ---- type 2 and the 32-byte CDBs --------------------------------------- */

/* WRITE(32) with WRPROTECT 1: ref tags from the expected initial tag, not
 * the LBA; the app tag under the mask. */
static void test_type2_write32_checks(void **state)
{
	for (uint32_t bs = 512; bs <= 4096; bs *= 8) {
		struct fix *f = pi_fix(2, bs);
		uint8_t *data = pattern(4, bs, 31);
		uint8_t *pi = tuples_for(data, 4, bs, 2, 0x1234, 0x00abc000);
		struct buf *w = interleave(data, pi, 4, bs, 1), *r;
		uint8_t c[32];

		/* The wrong initial tag: ref check fails at the first block. */
		cdb32(c, SA_WRITE32, 900, 4, 1, 0x00abc001, 0, 0);
		assert_pi_failed(f, exec(f, c, 32, w), TCMUD_ASC_REF_TAG_CHECK_FAILED, 900);
		/* The app tag: compared under the mask only. */
		cdb32(c, SA_WRITE32, 900, 4, 1, 0x00abc000, 0x1299, 0xff00);
		assert_good(f, exec(f, c, 32, w));
		cdb32(c, SA_WRITE32, 900, 4, 1, 0x00abc000, 0x1299, 0xffff);
		assert_pi_failed(f, exec(f, c, 32, w), TCMUD_ASC_APP_TAG_CHECK_FAILED, 900);
		/* WRPROTECT 4 checks the guard only. */
		cdb32(c, SA_WRITE32, 900, 4, 4, 0, 0x5555, 0xffff);
		assert_good(f, exec(f, c, 32, w));
		r = read_raw(f, 900, 4, 2);
		assert_memory_equal(r->data, w->data, w->len);
		buf_free(r);
		buf_free(w);
		free(data);
		free(pi);
		pi_free(f);
	}
}

/* Reads of type 2 PI: READ(32) checks the ref tag from its expected initial
 * tag and the app tag under its mask; READ(10) knows neither. */
static void test_type2_read32_checks(void **state)
{
	struct fix *f = pi_fix(2, 512);
	uint8_t *data = pattern(4, 512, 41);
	uint8_t *pi = tuples_for(data, 4, 512, 2, 0xa5c3, 7000);
	struct buf *w = interleave(data, pi, 4, 512, 0);
	struct buf *b = buf_new(4 * 512, 0, 2);
	uint8_t c[32];

	cdb32(c, SA_WRITE32, 20, 4, 1, 7000, 0, 0);
	assert_good(f, exec(f, c, 32, w));
	buf_free(w);
	cdb32(c, SA_READ32, 20, 4, 0, 7000, 0xa5c3, 0xffff);
	assert_good(f, exec(f, c, 32, b));
	cdb32(c, SA_READ32, 20, 4, 0, 20, 0, 0); /* the LBA is not the tag */
	assert_pi_failed(f, exec(f, c, 32, b), TCMUD_ASC_REF_TAG_CHECK_FAILED, 20);
	cdb32(c, SA_READ32, 21, 3, 0, 7001, 0x00c3, 0x00ff);
	assert_good(f, exec(f, c, 32, b));
	cdb32(c, SA_READ32, 21, 3, 0, 7001, 0x00c3, 0x0fff);
	assert_pi_failed(f, exec(f, c, 32, b), TCMUD_ASC_APP_TAG_CHECK_FAILED, 21);
	cdb32(c, SA_READ32, 21, 3, 3, 0, 0, 0xffff); /* RDPROTECT 3: nothing checked */
	w = buf_new(3 * (512 + TUPLE), 0, 1);
	assert_good(f, exec(f, c, 32, w));
	assert_int_equal(be32(tuple_in(w, 2, 512) + 4), 7003);
	buf_free(w);
	/* READ(10): no knowledge of either tag; the guard is still checked. */
	cdb10(c, OP_READ10, 20, 4, 0);
	assert_good(f, exec(f, c, 10, b));
	assert_memory_equal(b->data, data, 4 * 512);
	corrupt_stored(f, 22, C_GUARD);
	assert_pi_failed(f, exec(f, c, 10, b), TCMUD_ASC_GUARD_CHECK_FAILED, 22);
	buf_free(b);
	free(data);
	free(pi);
	pi_free(f);
}

/* A plain WRITE(32) generates ref tags from the expected initial tag and
 * the app tag under the mask; a plain WRITE(10) on type 2 uses the LBA. */
static void test_type2_generate(void **state)
{
	struct fix *f = pi_fix(2, 4096);
	struct buf *w = buf_new(3 * 4096, 0, 4), *r;
	uint8_t c[32];

	fill_pattern(w->data, w->len, 77);
	cdb32(c, SA_WRITE32, 60, 3, 0, 0xfffffffe, 0xabcd, 0xff0f);
	assert_good(f, exec(f, c, 32, w));
	r = read_raw(f, 60, 3, 1);
	for (uint32_t i = 0; i < 3; i++) {
		const uint8_t *t = tuple_in(r, i, 4096);

		assert_int_equal(be16(t), crc_ref(w->data + (size_t)i * 4096, 4096));
		assert_int_equal(be16(t + 2), 0xab0d);
		assert_int_equal(be32(t + 4), (uint32_t)(0xfffffffe + i)); /* wraps */
	}
	buf_free(r);
	buf_free(w);
	plain_write(f, 70, 2, 78);
	r = read_raw(f, 70, 2, 1);
	assert_int_equal(be32(tuple_in(r, 1, 4096) + 4), 71);
	buf_free(r);
	pi_free(f);
}

/*
 * A handler holding only blocks [WIN_BASE, WIN_BASE + WIN_BLOCKS) of a
 * device too large to back with memory (rd maps its whole size, which some
 * tools cannot); every request in the tests stays inside the window.
 */
#define WIN_BASE (1ULL << 32)
#define WIN_BLOCKS 16
static uint8_t win_data[WIN_BLOCKS * 512];
static uint8_t win_pi[WIN_BLOCKS * TUPLE];

static size_t win_off(const struct tcmud_io *io)
{
	assert_true(io->lba >= WIN_BASE && io->lba - WIN_BASE + io->nr_blocks <= WIN_BLOCKS);
	return (size_t)(io->lba - WIN_BASE);
}

static int win_read(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	size_t i = win_off(io);

	(void)dev;
	tcmud_iov_from_buf(io->iov, io->iov_cnt, 0, win_data + i * 512, io->nr_blocks * 512u);
	memcpy(io->pi, win_pi + i * TUPLE, io->nr_blocks * (size_t)TUPLE);
	return TCMUD_STATUS_GOOD;
}

static int win_write(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	size_t i = win_off(io);

	(void)dev;
	tcmud_iov_to_buf(io->iov, io->iov_cnt, 0, win_data + i * 512, io->nr_blocks * 512u);
	memcpy(win_pi + i * TUPLE, io->pi, io->nr_blocks * (size_t)TUPLE);
	return TCMUD_STATUS_GOOD;
}

static const struct tcmud_handler win_handler = {
	.api_version = TCMUD_HANDLER_API_VERSION, .subtype = "win",
	.read = win_read, .write = win_write,
};

/* Type 1 past LBA 2^32: the reference tag is the LBA's low 32 bits. */
static void test_type1_high_lba(void **state)
{
	uint64_t lba = WIN_BASE + 3;
	struct fix *f = fix_new(WIN_BASE + WIN_BLOCKS, 512, false);
	struct buf *r, *w;
	uint8_t c[16];

	f->dev.handler = &win_handler;
	f->dev.hdev.pi_type = 1;
	memset(win_pi, 0xff, sizeof(win_pi));
	w = buf_new(2 * 512, 0, 1);
	fill_pattern(w->data, w->len, 91);
	cdb16(c, OP_WRITE16, lba, 2, 0);
	assert_good(f, exec(f, c, 16, w));
	buf_free(w);
	r = read_raw(f, lba, 2, 0);
	assert_int_equal(be32(tuple_in(r, 0, 512) + 4), 3);
	assert_int_equal(be32(tuple_in(r, 1, 512) + 4), 4);
	buf_free(r);
	w = wr_buf(f, lba, 2, 92, 0, C_NONE, 2);
	cdb_rw(c, OP_WRITE16, lba, 2, 1);
	assert_good(f, exec(f, c, 16, w));
	buf_free(w);
	/* A ref tag of 2^32 + 4 does not fit; 4 + 2^31 is just wrong. */
	w = wr_buf(f, lba, 2, 93, 1, C_NONE, 3);
	put32(w->data + 2 * 512 + TUPLE + 4, 0x80000004);
	assert_pi_failed(f, exec(f, c, 16, w), TCMUD_ASC_REF_TAG_CHECK_FAILED, lba + 1);
	buf_free(w);
	assert_blocks_pattern(f, lba, 2, 92);
	fix_free(f);
}

/* ---- write protection, READ CAPACITY, primitives ----------------------- */

/* A write-protected PI device refuses before it looks at the PI. */
static void test_write_protected_first(void **state)
{
	struct fix *f = pi_fix(1, 512);
	struct buf *w = wr_buf(f, 5, 2, 1, 0, C_GUARD, 0);
	uint8_t c[16];

	f->dev.mode.swp = true;
	cdb_rw(c, OP_WRITE16, 5, 2, 1);
	assert_sense(f, exec(f, c, 16, w), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SOFTWARE_WRITE_PROTECTED);
	assert_int_equal(spy.writes, 0);
	buf_free(w);
	pi_free(f);
}

static void test_read_capacity16_pi(void **state)
{
	static const uint8_t byte12[4] = {0x00, 0x01, 0x03, 0x05};

	for (uint8_t type = 1; type <= 3; type++) {
		struct fix *f = pi_fix(type, 4096);
		struct buf *b = buf_new(32, 0xcc, 0);
		uint8_t c[16] = {0x9e, 0x10};

		put32(&c[10], 32);
		assert_good(f, exec(f, c, 16, b));
		assert_int_equal(b->data[12], byte12[type]);
		assert_int_equal(b->data[13], 0); /* P_I_EXPONENT, LBPPBE */
		assert_int_equal(be32(&b->data[8]), 4096);
		buf_free(b);
		pi_free(f);
	}
}

/* The VERIFY (BYTCHK 0) primitive reads in chunks and checks per VRPROTECT. */
static void test_verify_blocks(void **state)
{
	struct fix *f = pi_fix(1, 512);
	struct tcmud_blocks b = {.lba = 100, .nr_blocks = 3000};
	struct tcmud_cmd *cmd = &f->cmd;

	plain_write(f, 100, 3000 - 1000, 1);
	plain_write(f, 2100, 1000, 2);
	memset(cmd, 0, sizeof(*cmd));
	assert_int_equal(tcmud_sbc_verify_blocks(&f->dev, cmd, &b), TCMUD_STATUS_GOOD);
	assert_true(spy.reads >= 2); /* more than one chunk */
	corrupt_stored(f, 2900, C_GUARD);
	assert_int_equal(tcmud_sbc_verify_blocks(&f->dev, cmd, &b),
			 TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(cmd->sense.asc_ascq, TCMUD_ASC_GUARD_CHECK_FAILED);
	assert_true(cmd->sense.info == 2900);
	b.protect = 2; /* VRPROTECT 2 does not look at the guard */
	memset(cmd, 0, sizeof(*cmd));
	assert_int_equal(tcmud_sbc_verify_blocks(&f->dev, cmd, &b), TCMUD_STATUS_GOOD);
	corrupt_stored(f, 150, C_REF);
	assert_int_equal(tcmud_sbc_verify_blocks(&f->dev, cmd, &b),
			 TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(cmd->sense.asc_ascq, TCMUD_ASC_REF_TAG_CHECK_FAILED);
	assert_true(cmd->sense.info == 150);
	b.protect = 3;
	memset(cmd, 0, sizeof(*cmd));
	assert_int_equal(tcmud_sbc_verify_blocks(&f->dev, cmd, &b), TCMUD_STATUS_GOOD);
	pi_free(f);
}

/* The Data-Out check primitive: WRPROTECT's checks, nothing written. */
static void test_check_pi_out(void **state)
{
	struct fix *f = pi_fix(1, 512);
	struct buf *w = wr_buf(f, 40, 5, 3, 2, C_REF, 7);
	struct tcmud_blocks b = {.lba = 40, .nr_blocks = 5, .iov = w->iov, .iov_cnt = w->cnt,
				 .protect = 1};
	struct tcmud_cmd *cmd = &f->cmd;

	memset(cmd, 0, sizeof(*cmd));
	assert_int_equal(tcmud_sbc_check_pi_out(&f->dev, cmd, &b), TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(cmd->sense.key, TCMUD_SK_ABORTED_COMMAND);
	assert_int_equal(cmd->sense.asc_ascq, TCMUD_ASC_REF_TAG_CHECK_FAILED);
	assert_true(cmd->sense.info == 42);
	b.protect = 4;
	memset(cmd, 0, sizeof(*cmd));
	assert_int_equal(tcmud_sbc_check_pi_out(&f->dev, cmd, &b), TCMUD_STATUS_GOOD);
	b.protect = 0;
	assert_int_equal(tcmud_sbc_check_pi_out(&f->dev, cmd, &b), TCMUD_STATUS_GOOD);
	/* Blocks after an offset into the buffer: the second half. */
	b.protect = 1;
	b.lba = 42;
	b.nr_blocks = 3;
	b.off = 2 * (512 + TUPLE);
	assert_int_equal(tcmud_sbc_check_pi_out(&f->dev, cmd, &b), TCMUD_STATUS_CHECK_CONDITION);
	assert_true(cmd->sense.info == 42);
	b.lba = 43;
	b.nr_blocks = 2;
	b.off = 3 * (512 + TUPLE);
	memset(cmd, 0, sizeof(*cmd));
	assert_int_equal(tcmud_sbc_check_pi_out(&f->dev, cmd, &b), TCMUD_STATUS_GOOD);
	assert_int_equal(spy.writes, 0);
	buf_free(w);
	pi_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_generate_on_write, teardown),
		cmocka_unit_test_teardown(test_never_written, teardown),
		cmocka_unit_test_teardown(test_wrprotect_stores_tuples, teardown),
		cmocka_unit_test_teardown(test_wrprotect_rejects, teardown),
		cmocka_unit_test_teardown(test_wrprotect_table, teardown),
		cmocka_unit_test_teardown(test_type3_tags, teardown),
		cmocka_unit_test_teardown(test_app_escape, teardown),
		cmocka_unit_test_teardown(test_plain_read_detects, teardown),
		cmocka_unit_test_teardown(test_rdprotect_table, teardown),
		cmocka_unit_test_teardown(test_rdprotect_residual, teardown),
		cmocka_unit_test_teardown(test_wrprotect_short_buffer, teardown),
		cmocka_unit_test_teardown(test_reserved_protect, teardown),
		cmocka_unit_test_teardown(test_type2_short_cdbs, teardown),
		cmocka_unit_test_teardown(test_rw32_other_types, teardown),
		cmocka_unit_test_teardown(test_type2_write32_checks, teardown),
		cmocka_unit_test_teardown(test_type2_read32_checks, teardown),
		cmocka_unit_test_teardown(test_type2_generate, teardown),
		cmocka_unit_test_teardown(test_type1_high_lba, teardown),
		cmocka_unit_test_teardown(test_write_protected_first, teardown),
		cmocka_unit_test_teardown(test_read_capacity16_pi, teardown),
		cmocka_unit_test_teardown(test_verify_blocks, teardown),
		cmocka_unit_test_teardown(test_check_pi_out, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
