/* SPDX-License-Identifier: Apache-2.0 */
/* T10 DIF: tuple generation and checking, interleaved buffers, error injection. */
#include "dif.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "crc16_t10.h"
#include "tcmud/handler.h"

_Static_assert(TCMUD_DIF_TUPLE_SIZE == TCMUD_PI_TUPLE_SIZE, "one tuple size");

/* Tuple fields, big-endian and unaligned. */
static inline uint16_t get_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

/* A position in an iovec array. */
struct iov_pos {
	const struct iovec *iov;
	size_t cnt;     /* iovecs left, *iov included */
	size_t off;     /* bytes of *iov already consumed */
};

/*
 * Take the next contiguous piece of at most len bytes: its start in *ptr,
 * its length returned (0 at the end of the array or for len 0).
 */
static size_t pos_next(struct iov_pos *p, size_t len, uint8_t **ptr)
{
	size_t n;

	while (p->cnt && p->off == p->iov->iov_len) {
		p->iov++;
		p->cnt--;
		p->off = 0;
	}
	if (!p->cnt)
		return 0;
	n = p->iov->iov_len - p->off;
	if (n > len)
		n = len;
	*ptr = (uint8_t *)p->iov->iov_base + p->off;
	p->off += n;
	return n;
}

/* Move past len bytes; false if the array ends first. */
static bool pos_skip(struct iov_pos *p, size_t len)
{
	uint8_t *ptr;

	while (len) {
		size_t n = pos_next(p, len, &ptr);

		if (!n)
			return false;
		len -= n;
	}
	return true;
}

/*
 * CRC of the next len bytes, one call per contiguous piece: a block inside
 * one iovec (the usual case) costs a single call, a split one chains the CRC
 * through the seed.
 */
static bool pos_crc(struct iov_pos *p, tcmud_crc16_t10_fn crc_fn, size_t len, uint16_t *crc)
{
	uint16_t c = 0;
	uint8_t *ptr;

	while (len) {
		size_t n = pos_next(p, len, &ptr);

		if (!n)
			return false;
		c = crc_fn(c, ptr, n);
		len -= n;
	}
	*crc = c;
	return true;
}

/* Copy the next len bytes of the array to buf; false if it ends first. */
static bool pos_read(struct iov_pos *p, uint8_t *buf, size_t len)
{
	uint8_t *ptr;

	while (len) {
		size_t n = pos_next(p, len, &ptr);

		if (!n)
			return false;
		memcpy(buf, ptr, n);
		buf += n;
		len -= n;
	}
	return true;
}

/* Copy len bytes of buf over the next bytes of the array. */
static bool pos_write(struct iov_pos *p, const uint8_t *buf, size_t len)
{
	uint8_t *ptr;

	while (len) {
		size_t n = pos_next(p, len, &ptr);

		if (!n)
			return false;
		memcpy(ptr, buf, n);
		buf += n;
		len -= n;
	}
	return true;
}

/* Whether iov holds at least need bytes after off. */
static bool iov_holds(const struct iovec *iov, size_t cnt, size_t off, uint64_t need)
{
	uint64_t len = 0;

	for (size_t i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	return len >= off && len - off >= need;
}

int tcmud_dif_ctx_init(struct tcmud_dif_ctx *ctx, uint8_t type, uint32_t block_size,
		       uint64_t lba, uint32_t ref_tag, uint16_t app_tag, uint16_t app_mask,
		       uint8_t checks)
{
	if (type < 1 || type > 3 || block_size == 0)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->type = type;
	ctx->block_size = block_size;
	ctx->lba = lba;
	ctx->ref_tag = type == 1 ? (uint32_t)lba : ref_tag;
	ctx->app_tag = app_tag;
	ctx->app_mask = app_mask;
	ctx->checks = checks & TCMUD_DIF_CHECK_ALL;
	if (type == 3)
		ctx->checks &= (uint8_t)~TCMUD_DIF_CHECK_REF;
	return 0;
}

/* The ref tag of block i: it counts up for types 1 and 2 (wrapping at 2^32). */
static uint32_t block_ref_tag(const struct tcmud_dif_ctx *ctx, uint32_t i)
{
	return ctx->type == 3 ? ctx->ref_tag : ctx->ref_tag + i;
}

int tcmud_dif_generate(const struct tcmud_dif_ctx *ctx, const struct iovec *data, size_t cnt,
		       uint32_t nr_blocks, uint8_t *pi)
{
	tcmud_crc16_t10_fn crc_fn = tcmud_crc16_t10_selected()->fn;
	struct iov_pos pos = {data, cnt, 0};

	for (uint32_t i = 0; i < nr_blocks; i++, pi += TCMUD_DIF_TUPLE_SIZE) {
		uint16_t guard;

		if (!pos_crc(&pos, crc_fn, ctx->block_size, &guard))
			return -EINVAL;
		put_be16(pi, guard);
		put_be16(pi + 2, ctx->app_tag);
		put_be32(pi + 4, block_ref_tag(ctx, i));
	}
	return 0;
}

static bool escaped(uint8_t type, uint16_t app, uint32_t ref)
{
	if (app != TCMUD_DIF_APP_ESCAPE)
		return false;
	return type != 3 || ref == TCMUD_DIF_REF_ESCAPE;
}

static int dif_fail(struct tcmud_dif_error *err, uint8_t check, uint64_t lba,
		    uint64_t expected, uint64_t actual)
{
	if (err) {
		err->check = check;
		err->lba = lba;
		err->expected = expected;
		err->actual = actual;
	}
	return -EIO;
}

int tcmud_dif_verify(const struct tcmud_dif_ctx *ctx, const struct iovec *data, size_t cnt,
		     uint32_t nr_blocks, const uint8_t *pi, struct tcmud_dif_error *err)
{
	tcmud_crc16_t10_fn crc_fn = tcmud_crc16_t10_selected()->fn;
	struct iov_pos pos = {data, cnt, 0};
	uint8_t checks = ctx->checks;
	uint16_t want_app = ctx->app_tag & ctx->app_mask;

	if (ctx->type == 3)
		checks &= (uint8_t)~TCMUD_DIF_CHECK_REF;
	for (uint32_t i = 0; i < nr_blocks; i++, pi += TCMUD_DIF_TUPLE_SIZE) {
		uint16_t guard = get_be16(pi), app = get_be16(pi + 2), crc;
		uint32_t ref = get_be32(pi + 4);
		bool skip = escaped(ctx->type, app, ref);

		/* An escaped or unguarded block's data is skipped, not summed. */
		if (skip || !(checks & TCMUD_DIF_CHECK_GUARD)) {
			if (!pos_skip(&pos, ctx->block_size))
				return -EINVAL;
			if (skip)
				continue;
		} else {
			if (!pos_crc(&pos, crc_fn, ctx->block_size, &crc))
				return -EINVAL;
			if (crc != guard)
				return dif_fail(err, TCMUD_DIF_CHECK_GUARD, ctx->lba + i, crc, guard);
		}
		if ((checks & TCMUD_DIF_CHECK_APP) && (app & ctx->app_mask) != want_app)
			return dif_fail(err, TCMUD_DIF_CHECK_APP, ctx->lba + i, ctx->app_tag, app);
		if ((checks & TCMUD_DIF_CHECK_REF) && ref != block_ref_tag(ctx, i))
			return dif_fail(err, TCMUD_DIF_CHECK_REF, ctx->lba + i,
					block_ref_tag(ctx, i), ref);
	}
	return 0;
}

size_t tcmud_dif_split(const struct iovec *src, size_t src_cnt, size_t src_off,
		       uint32_t block_size, uint32_t nr_blocks, struct iovec *data_out,
		       size_t data_cap, uint8_t *pi_out)
{
	struct iov_pos pos = {src, src_cnt, 0};
	size_t n_out = 0;

	if (!iov_holds(src, src_cnt, src_off,
		       (uint64_t)nr_blocks * ((uint64_t)block_size + TCMUD_DIF_TUPLE_SIZE)))
		return 0;
	pos_skip(&pos, src_off);
	for (uint32_t i = 0; i < nr_blocks; i++) {
		size_t left = block_size;
		uint8_t *ptr;

		while (left) {
			size_t n = pos_next(&pos, left, &ptr);
			struct iovec *last = n_out ? &data_out[n_out - 1] : NULL;

			if (!n) /* cannot happen after iov_holds(); never spin */
				return 0;
			if (last && (uint8_t *)last->iov_base + last->iov_len == ptr) {
				last->iov_len += n;
			} else {
				if (n_out == data_cap)
					return 0;
				data_out[n_out].iov_base = ptr;
				data_out[n_out].iov_len = n;
				n_out++;
			}
			left -= n;
		}
		if (pi_out)
			pos_read(&pos, pi_out + (size_t)i * TCMUD_DIF_TUPLE_SIZE,
				 TCMUD_DIF_TUPLE_SIZE);
		else
			pos_skip(&pos, TCMUD_DIF_TUPLE_SIZE);
	}
	return n_out;
}

int tcmud_dif_scatter_pi(const struct iovec *dst, size_t cnt, size_t off,
			 uint32_t block_size, uint32_t nr_blocks, const uint8_t *pi)
{
	struct iov_pos pos = {dst, cnt, 0};

	if (!iov_holds(dst, cnt, off,
		       (uint64_t)nr_blocks * ((uint64_t)block_size + TCMUD_DIF_TUPLE_SIZE)))
		return -EINVAL;
	pos_skip(&pos, off);
	for (uint32_t i = 0; i < nr_blocks; i++, pi += TCMUD_DIF_TUPLE_SIZE) {
		pos_skip(&pos, block_size);
		pos_write(&pos, pi, TCMUD_DIF_TUPLE_SIZE);
	}
	return 0;
}

int tcmud_dif_inject_error(const struct tcmud_dif_ctx *ctx, const struct iovec *data,
			   size_t cnt, uint32_t nr_blocks, uint8_t *pi,
			   enum tcmud_dif_inject what, uint32_t block, uint32_t bit)
{
	struct iov_pos pos = {data, cnt, 0};
	uint8_t *tuple, *byte;

	if (block >= nr_blocks)
		return -EINVAL;
	tuple = pi ? pi + (size_t)block * TCMUD_DIF_TUPLE_SIZE : NULL;
	if (what != TCMUD_DIF_INJECT_DATA && !tuple)
		return -EINVAL;
	switch (what) {
	case TCMUD_DIF_INJECT_DATA:
		if (bit / 8 >= ctx->block_size ||
		    !pos_skip(&pos, (size_t)block * ctx->block_size + bit / 8) ||
		    !pos_next(&pos, 1, &byte))
			return -EINVAL;
		break;
	case TCMUD_DIF_INJECT_GUARD: /* big-endian: bit 0 is in the field's last byte */
		if (bit >= 16)
			return -EINVAL;
		byte = tuple + 1 - bit / 8;
		break;
	case TCMUD_DIF_INJECT_APP:
		if (bit >= 16)
			return -EINVAL;
		byte = tuple + 3 - bit / 8;
		break;
	case TCMUD_DIF_INJECT_REF:
		if (bit >= 32)
			return -EINVAL;
		byte = tuple + 7 - bit / 8;
		break;
	default:
		return -EINVAL;
	}
	*byte ^= (uint8_t)(1u << (bit % 8));
	return 0;
}
