/* SPDX-License-Identifier: Apache-2.0 */
/*
 * T10 DIF: generate/verify round trips, every check and escape, and the
 * interleaved-buffer helpers, with data split across odd iovec boundaries.
 * Every iovec piece is its own allocation, so reading past one is an ASan or
 * valgrind error rather than a silent read of the neighbour.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc16_t10.h"
#include "dif.h"

#define TUPLE TCMUD_DIF_TUPLE_SIZE

/* CRC-16/T10-DIF from its definition, independent of the library. */
static uint16_t ref_crc(const uint8_t *p, size_t len)
{
	uint16_t crc = 0;

	while (len--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int k = 0; k < 8; k++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x8BB7) : (uint16_t)(crc << 1);
	}
	return crc;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set_be32(uint8_t *p, uint32_t v)
{
	set_be16(p, (uint16_t)(v >> 16));
	set_be16(p + 2, (uint16_t)v);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static void fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)(rng_state >> 24);
	}
}

/* ---- scatter lists with each piece in its own allocation ---------------- */

struct sg {
	struct iovec *iov;
	size_t cnt;
};

/* Piece lengths, cycled; 0 is an empty iovec with a NULL base. */
static const size_t odd_pattern[] = {1, 7, 0, 509, 3, 4099, 13, 2, 0, 600};
static const size_t tiny_pattern[] = {1, 2, 3, 0, 5};
static const size_t whole_pattern[] = {SIZE_MAX};

/* Pieces sg_make() cuts: until len is covered and the pattern ends, so a
 * cut may leave empty iovecs at the end too. */
static size_t sg_count(size_t len, const size_t *pattern, size_t npat)
{
	size_t i, off = 0;

	for (i = 0; off < len || i % npat; i++)
		off += pattern[i % npat] < len - off ? pattern[i % npat] : len - off;
	return i;
}

/* A copy of flat[0, len) as iovecs cut by pattern. */
static struct sg sg_make(const uint8_t *flat, size_t len, const size_t *pattern, size_t npat)
{
	struct sg s = {calloc(sg_count(len, pattern, npat) + 1, sizeof(struct iovec)), 0};
	size_t off = 0;

	assert_non_null(s.iov);
	for (size_t i = 0; off < len || i % npat; i++) {
		size_t n = pattern[i % npat];

		if (n > len - off)
			n = len - off;
		s.iov[s.cnt].iov_base = n ? malloc(n) : NULL;
		s.iov[s.cnt].iov_len = n;
		if (n) {
			assert_non_null(s.iov[s.cnt].iov_base);
			memcpy(s.iov[s.cnt].iov_base, flat + off, n);
		}
		s.cnt++;
		off += n;
	}
	return s;
}

static void sg_to_flat(const struct sg *s, uint8_t *flat)
{
	for (size_t i = 0; i < s->cnt; i++) {
		if (s->iov[i].iov_len)
			memcpy(flat, s->iov[i].iov_base, s->iov[i].iov_len);
		flat += s->iov[i].iov_len;
	}
}

static void sg_free(struct sg *s)
{
	for (size_t i = 0; i < s->cnt; i++)
		free(s->iov[i].iov_base);
	free(s->iov);
}

#define SG(flat, len, pat) sg_make(flat, len, pat, sizeof(pat) / sizeof(pat[0]))

/* ---- a command's worth of blocks ---------------------------------------- */

#define NR 8
#define LBA_WRAP 0x12345FFFDull   /* the low 32 bits wrap inside the command */
#define REF2 0xFFFFFFFEu          /* type 2 initial ref tag, wraps too */
#define REF3 0xA5A5A5A5u

static const uint8_t types[] = {1, 2, 3};
static const uint32_t sizes[] = {512, 4096};

static void ctx_for(struct tcmud_dif_ctx *ctx, uint8_t type, uint32_t bs)
{
	assert_int_equal(tcmud_dif_ctx_init(ctx, type, bs, LBA_WRAP, type == 2 ? REF2 : REF3,
					    0x1234, 0xffff, TCMUD_DIF_CHECK_ALL), 0);
}

static uint32_t want_ref(uint8_t type, uint32_t i)
{
	return type == 1 ? (uint32_t)(LBA_WRAP + i) : type == 2 ? REF2 + i : REF3;
}

struct blocks {
	struct tcmud_dif_ctx ctx;
	uint8_t *flat;
	struct sg sg;
	uint8_t pi[NR * TUPLE];
};

static void blocks_make(struct blocks *b, uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	ctx_for(&b->ctx, type, bs);
	b->flat = malloc((size_t)NR * bs);
	assert_non_null(b->flat);
	fill_random(b->flat, (size_t)NR * bs);
	b->sg = sg_make(b->flat, (size_t)NR * bs, pat, npat);
	assert_int_equal(tcmud_dif_generate(&b->ctx, b->sg.iov, b->sg.cnt, NR, b->pi), 0);
}

static void blocks_free(struct blocks *b)
{
	free(b->flat);
	sg_free(&b->sg);
}

static int blocks_verify(struct blocks *b, struct tcmud_dif_error *err)
{
	memset(err, 0x5a, sizeof(*err));
	return tcmud_dif_verify(&b->ctx, b->sg.iov, b->sg.cnt, NR, b->pi, err);
}

/* Runs fn for every type, block size and iovec layout. */
static void for_all(void (*fn)(uint8_t type, uint32_t bs, const size_t *pat, size_t npat))
{
	static const struct {
		const size_t *pat;
		size_t n;
	} layouts[] = {
		{whole_pattern, 1},
		{odd_pattern, sizeof(odd_pattern) / sizeof(odd_pattern[0])},
		{tiny_pattern, sizeof(tiny_pattern) / sizeof(tiny_pattern[0])},
	};

	for (size_t t = 0; t < sizeof(types); t++)
		for (size_t s = 0; s < 2; s++)
			for (size_t l = 0; l < 3; l++)
				fn(types[t], sizes[s], layouts[l].pat, layouts[l].n);
}

/* ---- generate / verify --------------------------------------------------- */

static void roundtrip_one(uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	struct tcmud_dif_error err;
	struct blocks b;

	blocks_make(&b, type, bs, pat, npat);
	for (uint32_t i = 0; i < NR; i++) {
		const uint8_t *t = b.pi + i * TUPLE;

		assert_int_equal(be16(t), ref_crc(b.flat + (size_t)i * bs, bs));
		assert_int_equal(be16(t + 2), 0x1234);
		assert_int_equal(be32(t + 4), want_ref(type, i));
	}
	assert_int_equal(blocks_verify(&b, &err), 0);
	assert_int_equal(tcmud_dif_verify(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi, NULL), 0);
	blocks_free(&b);
}

static void test_roundtrip(void **state)
{
	print_message("crc: %s\n", tcmud_crc16_t10_selected()->name);
	for_all(roundtrip_one);
}

/* One 512-byte block cut in two at every offset. */
static void test_split_block_every_offset(void **state)
{
	uint8_t data[512], pi[TUPLE];
	struct tcmud_dif_ctx ctx;
	struct tcmud_dif_error err;

	fill_random(data, sizeof(data));
	assert_int_equal(tcmud_dif_ctx_init(&ctx, 1, 512, 7, 0, 0, 0xffff, TCMUD_DIF_CHECK_ALL), 0);
	for (size_t cut = 0; cut <= 512; cut++) {
		uint8_t *a = malloc(cut + 1), *bb = malloc(512 - cut + 1);
		struct iovec iov[2] = {{a, cut}, {bb, 512 - cut}};

		memcpy(a, data, cut);
		memcpy(bb, data + cut, 512 - cut);
		assert_int_equal(tcmud_dif_generate(&ctx, iov, 2, 1, pi), 0);
		assert_int_equal(be16(pi), ref_crc(data, 512));
		assert_int_equal(tcmud_dif_verify(&ctx, iov, 2, 1, pi, &err), 0);
		free(a);
		free(bb);
	}
}

static void guard_one(uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	static const uint32_t where[][2] = {{0, 0}, {3, 7}, {7, 4095 * 8 + 7}, {5, 511 * 8}};
	struct tcmud_dif_error err;
	struct blocks b;

	blocks_make(&b, type, bs, pat, npat);
	for (size_t w = 0; w < 4; w++) {
		uint32_t k = where[w][0], bit = where[w][1] % (bs * 8);
		size_t at = (size_t)k * bs + bit / 8;
		uint8_t *now = malloc((size_t)NR * bs);

		/* data: exactly the named bit flips */
		assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
							TCMUD_DIF_INJECT_DATA, k, bit), 0);
		sg_to_flat(&b.sg, now);
		assert_int_equal(now[at], b.flat[at] ^ (1u << bit % 8));
		now[at] = b.flat[at];
		assert_memory_equal(now, b.flat, (size_t)NR * bs);
		now[at] ^= (uint8_t)(1u << bit % 8);
		assert_int_equal(blocks_verify(&b, &err), -EIO);
		assert_int_equal(err.check, TCMUD_DIF_CHECK_GUARD);
		assert_int_equal(err.lba, LBA_WRAP + k);
		assert_int_equal(err.expected, ref_crc(now + (size_t)k * bs, bs));
		assert_int_equal(err.actual, be16(b.pi + k * TUPLE));
		assert_int_not_equal(err.expected, err.actual);
		/* without the guard check nothing else notices */
		b.ctx.checks = TCMUD_DIF_CHECK_APP | TCMUD_DIF_CHECK_REF;
		assert_int_equal(blocks_verify(&b, &err), 0);
		b.ctx.checks = TCMUD_DIF_CHECK_ALL;
		assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
							TCMUD_DIF_INJECT_DATA, k, bit), 0);
		assert_int_equal(blocks_verify(&b, &err), 0);

		/* the guard field itself */
		uint16_t good = be16(b.pi + k * TUPLE);

		assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
							TCMUD_DIF_INJECT_GUARD, k, bit % 16), 0);
		assert_int_equal(blocks_verify(&b, &err), -EIO);
		assert_int_equal(err.check, TCMUD_DIF_CHECK_GUARD);
		assert_int_equal(err.lba, LBA_WRAP + k);
		assert_int_equal(err.expected, good);
		assert_int_equal(err.actual, good ^ (1u << bit % 16));
		set_be16(b.pi + k * TUPLE, good);
		free(now);
	}
	blocks_free(&b);
}

static void test_guard(void **state)
{
	for_all(guard_one);
}

static void app_one(uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	struct tcmud_dif_error err;
	struct blocks b;

	blocks_make(&b, type, bs, pat, npat);
	b.ctx.app_mask = 0xff00;
	/* a masked-out bit is not compared */
	set_be16(b.pi + 2 * TUPLE + 2, 0x1299);
	assert_int_equal(blocks_verify(&b, &err), 0);
	/* a compared bit is */
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_APP, 6, 12), 0);
	assert_int_equal(blocks_verify(&b, &err), -EIO);
	assert_int_equal(err.check, TCMUD_DIF_CHECK_APP);
	assert_int_equal(err.lba, LBA_WRAP + 6);
	assert_int_equal(err.expected, 0x1234);
	assert_int_equal(err.actual, 0x0234);
	/* only when asked */
	b.ctx.checks = TCMUD_DIF_CHECK_GUARD | TCMUD_DIF_CHECK_REF;
	assert_int_equal(blocks_verify(&b, &err), 0);
	/* mask 0: never */
	b.ctx.checks = TCMUD_DIF_CHECK_ALL;
	b.ctx.app_mask = 0;
	assert_int_equal(blocks_verify(&b, &err), 0);
	blocks_free(&b);
}

static void test_app(void **state)
{
	for_all(app_one);
}

static void ref_one(uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	struct tcmud_dif_error err;
	struct blocks b;

	blocks_make(&b, type, bs, pat, npat);
	/* block 3 is past the 32-bit wrap for type 1 (and type 2) */
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_REF, 3, 31), 0);
	if (type == 3) {
		/* never checked, even if a hand-made context asks */
		assert_int_equal(b.ctx.checks, TCMUD_DIF_CHECK_GUARD | TCMUD_DIF_CHECK_APP);
		b.ctx.checks = TCMUD_DIF_CHECK_ALL;
		assert_int_equal(blocks_verify(&b, &err), 0);
	} else {
		assert_int_equal(blocks_verify(&b, &err), -EIO);
		assert_int_equal(err.check, TCMUD_DIF_CHECK_REF);
		assert_int_equal(err.lba, LBA_WRAP + 3);
		assert_int_equal(err.expected, want_ref(type, 3));
		assert_int_equal(err.actual, want_ref(type, 3) ^ 0x80000000u);
		b.ctx.checks = TCMUD_DIF_CHECK_GUARD | TCMUD_DIF_CHECK_APP;
		assert_int_equal(blocks_verify(&b, &err), 0);
	}
	blocks_free(&b);
}

static void test_ref(void **state)
{
	for_all(ref_one);
}

/* With several bad blocks the first is reported, whatever its check. */
static void test_first_failure(void **state)
{
	struct tcmud_dif_error err;
	struct blocks b;

	blocks_make(&b, 1, 512, odd_pattern, sizeof(odd_pattern) / sizeof(odd_pattern[0]));
	tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi, TCMUD_DIF_INJECT_DATA, 6, 9);
	tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi, TCMUD_DIF_INJECT_REF, 4, 0);
	assert_int_equal(blocks_verify(&b, &err), -EIO);
	assert_int_equal(err.check, TCMUD_DIF_CHECK_REF);
	assert_int_equal(err.lba, LBA_WRAP + 4);
	/* guard before app before ref within one block */
	tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi, TCMUD_DIF_INJECT_APP, 1, 0);
	tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi, TCMUD_DIF_INJECT_REF, 1, 0);
	assert_int_equal(blocks_verify(&b, &err), -EIO);
	assert_int_equal(err.check, TCMUD_DIF_CHECK_APP);
	assert_int_equal(err.lba, LBA_WRAP + 1);
	tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi, TCMUD_DIF_INJECT_DATA, 1, 0);
	assert_int_equal(blocks_verify(&b, &err), -EIO);
	assert_int_equal(err.check, TCMUD_DIF_CHECK_GUARD);
	assert_int_equal(err.lba, LBA_WRAP + 1);
	blocks_free(&b);
}

static void escape_one(uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	struct tcmud_dif_error err;
	struct blocks b;
	uint8_t *t;

	blocks_make(&b, type, bs, pat, npat);
	t = b.pi + 5 * TUPLE;
	/* block 5: bad data, app tag 0xFFFF, ref tag wrong but not 0xFFFFFFFF */
	tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi, TCMUD_DIF_INJECT_DATA, 5, 100);
	set_be16(t + 2, TCMUD_DIF_APP_ESCAPE);
	set_be32(t + 4, want_ref(type, 5) + 1);
	if (type == 3) {
		/* type 3 needs both escapes: the guard is still checked */
		assert_int_equal(blocks_verify(&b, &err), -EIO);
		assert_int_equal(err.check, TCMUD_DIF_CHECK_GUARD);
		assert_int_equal(err.lba, LBA_WRAP + 5);
		set_be32(t + 4, TCMUD_DIF_REF_ESCAPE);
		assert_int_equal(blocks_verify(&b, &err), 0);
		/* ref escape alone is not an escape either */
		set_be16(t + 2, 0x1234);
		assert_int_equal(blocks_verify(&b, &err), -EIO);
		assert_int_equal(err.check, TCMUD_DIF_CHECK_GUARD);
	} else {
		assert_int_equal(blocks_verify(&b, &err), 0);
		set_be16(t + 2, 0x1234);
		assert_int_equal(blocks_verify(&b, &err), -EIO);
		assert_int_equal(err.lba, LBA_WRAP + 5);
	}
	blocks_free(&b);
}

static void test_escapes(void **state)
{
	for_all(escape_one);
}

/* A freshly unmapped block (all 0xFF PI) passes for every type. */
static void test_unwritten_pi(void **state)
{
	for (size_t t = 0; t < sizeof(types); t++) {
		struct tcmud_dif_error err;
		struct blocks b;

		blocks_make(&b, types[t], 512, whole_pattern, 1);
		memset(b.pi, 0xff, sizeof(b.pi));
		assert_int_equal(blocks_verify(&b, &err), 0);
		blocks_free(&b);
	}
}

static void test_short_data(void **state)
{
	struct tcmud_dif_error err;
	struct blocks b;

	blocks_make(&b, 1, 512, odd_pattern, sizeof(odd_pattern) / sizeof(odd_pattern[0]));
	/* one block more than the data holds */
	uint8_t pi[(NR + 1) * TUPLE];

	memcpy(pi, b.pi, sizeof(b.pi));
	memset(pi + NR * TUPLE, 0, TUPLE);
	assert_int_equal(tcmud_dif_verify(&b.ctx, b.sg.iov, b.sg.cnt, NR + 1, pi, &err), -EINVAL);
	assert_int_equal(tcmud_dif_generate(&b.ctx, b.sg.iov, b.sg.cnt, NR + 1, pi), -EINVAL);
	assert_memory_equal(pi, b.pi, sizeof(b.pi)); /* the whole blocks were written */
	/* the same with the guard unchecked (data skipped, not summed) */
	b.ctx.checks = TCMUD_DIF_CHECK_REF;
	assert_int_equal(tcmud_dif_verify(&b.ctx, b.sg.iov, b.sg.cnt, NR + 1, pi, &err), -EINVAL);
	/* data longer than the blocks asked for is fine */
	b.ctx.checks = TCMUD_DIF_CHECK_ALL;
	assert_int_equal(tcmud_dif_verify(&b.ctx, b.sg.iov, b.sg.cnt, NR - 1, pi, &err), 0);
	/* nothing at all */
	assert_int_equal(tcmud_dif_verify(&b.ctx, NULL, 0, 1, pi, &err), -EINVAL);
	assert_int_equal(tcmud_dif_verify(&b.ctx, NULL, 0, 0, pi, &err), 0);
	blocks_free(&b);
}

static void test_ctx_init(void **state)
{
	struct tcmud_dif_ctx ctx;

	assert_int_equal(tcmud_dif_ctx_init(&ctx, 0, 512, 0, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(tcmud_dif_ctx_init(&ctx, 4, 512, 0, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(tcmud_dif_ctx_init(&ctx, 1, 0, 0, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(tcmud_dif_ctx_init(&ctx, 1, 520, 0x1FFFFFFFFull, 77, 5, 6, 0xff), 0);
	assert_int_equal(ctx.ref_tag, 0xFFFFFFFFu); /* type 1: from the LBA */
	assert_int_equal(ctx.checks, TCMUD_DIF_CHECK_ALL);
	assert_int_equal(ctx.app_tag, 5);
	assert_int_equal(ctx.app_mask, 6);
	assert_int_equal(ctx.block_size, 520);
	assert_int_equal(ctx.lba, 0x1FFFFFFFFull);
	assert_int_equal(tcmud_dif_ctx_init(&ctx, 2, 512, 9, 77, 0, 0, TCMUD_DIF_CHECK_REF), 0);
	assert_int_equal(ctx.ref_tag, 77);
	assert_int_equal(ctx.checks, TCMUD_DIF_CHECK_REF);
	assert_int_equal(tcmud_dif_ctx_init(&ctx, 3, 512, 9, 77, 0, 0, TCMUD_DIF_CHECK_ALL), 0);
	assert_int_equal(ctx.ref_tag, 77);
	assert_int_equal(ctx.checks, TCMUD_DIF_CHECK_GUARD | TCMUD_DIF_CHECK_APP);
}

static void test_inject_bounds(void **state)
{
	struct blocks b;

	blocks_make(&b, 1, 512, tiny_pattern, sizeof(tiny_pattern) / sizeof(tiny_pattern[0]));
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_DATA, NR, 0), -EINVAL);
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_DATA, 0, 512 * 8), -EINVAL);
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_GUARD, 0, 16), -EINVAL);
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_APP, 0, 16), -EINVAL);
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_REF, 0, 32), -EINVAL);
	/* data shorter than the block named */
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, 3, NR, b.pi,
						TCMUD_DIF_INJECT_DATA, 1, 0), -EINVAL);
	/* a tuple field needs the tuples; data does not */
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, NULL,
						TCMUD_DIF_INJECT_REF, 0, 0), -EINVAL);
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, NULL,
						TCMUD_DIF_INJECT_DATA, 0, 0), 0);
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, NULL,
						TCMUD_DIF_INJECT_DATA, 0, 0), 0);
	/* the last bit of the last block is in range */
	assert_int_equal(tcmud_dif_inject_error(&b.ctx, b.sg.iov, b.sg.cnt, NR, b.pi,
						TCMUD_DIF_INJECT_DATA, NR - 1, 512 * 8 - 1), 0);
	uint8_t last = b.flat[NR * 512 - 1];

	sg_to_flat(&b.sg, b.flat);
	assert_int_equal(b.flat[NR * 512 - 1], last ^ 0x80);
	blocks_free(&b);
}

/* ---- interleaved buffers ------------------------------------------------ */

#define PREFIX 5   /* bytes before the transfer in the buffer */

/* A buffer of PREFIX bytes, then nr blocks each followed by its tuple, then
 * extra bytes; data and pi are what the blocks hold. */
static uint8_t *interleave(const uint8_t *data, const uint8_t *pi, uint32_t bs, uint32_t nr,
			   size_t extra)
{
	size_t len = PREFIX + (size_t)nr * (bs + TUPLE) + extra;
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	memset(buf, 0xc3, len);
	for (uint32_t i = 0; i < nr; i++) {
		uint8_t *p = buf + PREFIX + (size_t)i * (bs + TUPLE);

		memcpy(p, data + (size_t)i * bs, bs);
		memcpy(p + bs, pi + (size_t)i * TUPLE, TUPLE);
	}
	return buf;
}

static void split_one(uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	size_t len = PREFIX + (size_t)NR * (bs + TUPLE) + 3;
	uint8_t pi[NR * TUPLE], got_pi[NR * TUPLE];
	struct tcmud_dif_error err;
	struct tcmud_dif_ctx ctx;
	uint8_t *data = malloc((size_t)NR * bs), *buf, *back = malloc((size_t)NR * bs);
	struct iovec *out;
	struct sg src;
	size_t n, cap;

	ctx_for(&ctx, type, bs);
	fill_random(data, (size_t)NR * bs);
	fill_random(pi, sizeof(pi));
	buf = interleave(data, pi, bs, NR, 3);
	src = sg_make(buf, len, pat, npat);
	cap = tcmud_dif_split_max_iov(src.cnt, NR);
	out = calloc(cap, sizeof(*out));
	assert_non_null(out);

	n = tcmud_dif_split(src.iov, src.cnt, PREFIX, bs, NR, out, cap, got_pi);
	assert_int_not_equal(n, 0);
	assert_true(n <= cap);
	assert_memory_equal(got_pi, pi, sizeof(pi));
	struct sg view = {out, n};

	sg_to_flat(&view, back);
	assert_memory_equal(back, data, (size_t)NR * bs);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(out[i].iov_len, 0);

	/* zero copy: the iovecs point into the source pieces */
	for (size_t i = 0; i < n; i++)
		memset(out[i].iov_base, 0x11, out[i].iov_len);
	sg_to_flat(&src, buf);
	for (uint32_t i = 0; i < NR; i++) {
		const uint8_t *p = buf + PREFIX + (size_t)i * (bs + TUPLE);

		for (uint32_t j = 0; j < bs; j++)
			assert_int_equal(p[j], 0x11);
		assert_memory_equal(p + bs, pi + i * TUPLE, TUPLE);
	}
	assert_int_equal(buf[PREFIX - 1], 0xc3);
	assert_int_equal(buf[len - 1], 0xc3);

	/* what a WRPROTECT write does: split, then verify the received PI */
	n = tcmud_dif_split(src.iov, src.cnt, PREFIX, bs, NR, out, cap, NULL);
	assert_int_not_equal(n, 0);
	assert_int_equal(tcmud_dif_generate(&ctx, out, n, NR, pi), 0);
	assert_int_equal(tcmud_dif_scatter_pi(src.iov, src.cnt, PREFIX, bs, NR, pi), 0);
	memset(got_pi, 0, sizeof(got_pi));
	n = tcmud_dif_split(src.iov, src.cnt, PREFIX, bs, NR, out, cap, got_pi);
	assert_int_equal(tcmud_dif_verify(&ctx, out, n, NR, got_pi, &err), 0);
	assert_memory_equal(got_pi, pi, sizeof(pi));

	free(out);
	sg_free(&src);
	free(buf);
	free(data);
	free(back);
}

static void test_split(void **state)
{
	for_all(split_one);
}

/* One contiguous buffer: exactly one iovec per block, each block_size long. */
static void test_split_contiguous(void **state)
{
	uint8_t data[4 * 512], pi[4 * TUPLE];
	struct iovec out[4];
	uint8_t *buf;

	fill_random(data, sizeof(data));
	fill_random(pi, sizeof(pi));
	buf = interleave(data, pi, 512, 4, 0);
	struct iovec src = {buf, PREFIX + 4 * (512 + TUPLE)};

	assert_int_equal(tcmud_dif_split(&src, 1, PREFIX, 512, 4, out, 4, NULL), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_ptr_equal(out[i].iov_base, buf + PREFIX + i * (512 + TUPLE));
		assert_int_equal(out[i].iov_len, 512);
	}
	/* too few output slots */
	assert_int_equal(tcmud_dif_split(&src, 1, PREFIX, 512, 4, out, 3, NULL), 0);
	/* pieces contiguous in memory are merged: the data of a block whose
	 * source is cut in two still comes back as one iovec */
	struct iovec cut[2] = {{buf, PREFIX + 100}, {buf + PREFIX + 100, 4 * (512 + TUPLE) - 100}};

	assert_int_equal(tcmud_dif_split(cut, 2, PREFIX, 512, 4, out, 4, NULL), 4);
	assert_int_equal(out[0].iov_len, 512);
	free(buf);
}

static void test_split_short(void **state)
{
	uint8_t data[3 * 512], pi[3 * TUPLE], got[3 * TUPLE];
	struct iovec out[64];
	uint8_t *buf;
	struct sg src;
	size_t len = PREFIX + 3 * (512 + TUPLE);

	fill_random(data, sizeof(data));
	fill_random(pi, sizeof(pi));
	buf = interleave(data, pi, 512, 3, 0);
	src = SG(buf, len - 1, odd_pattern); /* the last tuple byte missing */
	memset(got, 0xee, sizeof(got));
	assert_int_equal(tcmud_dif_split(src.iov, src.cnt, PREFIX, 512, 3, out, 64, got), 0);
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0xee); /* refused before anything is copied */
	assert_int_not_equal(tcmud_dif_split(src.iov, src.cnt, PREFIX, 512, 2, out, 64, got), 0);
	assert_int_equal(tcmud_dif_split(src.iov, src.cnt, len + 10, 512, 1, out, 64, got), 0);
	assert_int_equal(tcmud_dif_split(NULL, 0, 0, 512, 1, out, 64, got), 0);
	assert_int_equal(tcmud_dif_scatter_pi(src.iov, src.cnt, PREFIX, 512, 3, pi), -EINVAL);
	assert_int_equal(tcmud_dif_scatter_pi(src.iov, src.cnt, len + 10, 512, 1, pi), -EINVAL);
	sg_free(&src);
	free(buf);
}

static void scatter_one(uint8_t type, uint32_t bs, const size_t *pat, size_t npat)
{
	size_t len = PREFIX + (size_t)NR * (bs + TUPLE) + 2;
	uint8_t *buf = malloc(len), *after = malloc(len);
	uint8_t pi[NR * TUPLE];
	struct sg dst;

	memset(buf, 0xee, len);
	fill_random(pi, sizeof(pi));
	dst = sg_make(buf, len, pat, npat);
	assert_int_equal(tcmud_dif_scatter_pi(dst.iov, dst.cnt, PREFIX, bs, NR, pi), 0);
	sg_to_flat(&dst, after);
	for (size_t i = 0; i < len; i++) {
		size_t rel = i - PREFIX, in = rel % (bs + TUPLE);

		if (i >= PREFIX && rel < (size_t)NR * (bs + TUPLE) && in >= bs)
			assert_int_equal(after[i], pi[rel / (bs + TUPLE) * TUPLE + in - bs]);
		else
			assert_int_equal(after[i], 0xee);
	}
	sg_free(&dst);
	free(buf);
	free(after);
}

static void test_scatter(void **state)
{
	for_all(scatter_one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_split_block_every_offset),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_app),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_first_failure),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_unwritten_pi),
		cmocka_unit_test(test_short_data),
		cmocka_unit_test(test_ctx_init),
		cmocka_unit_test(test_inject_bounds),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_contiguous),
		cmocka_unit_test(test_split_short),
		cmocka_unit_test(test_scatter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
