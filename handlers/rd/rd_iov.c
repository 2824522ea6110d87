/* SPDX-License-Identifier: Apache-2.0 */
/* Copies between flat memory and a command's iovecs (see rd_iov.h). */
#include "rd_iov.h"

#include <stdint.h>
#include <string.h>

void rd_iov_init(struct rd_iov_cursor *c, const struct iovec *iov, size_t cnt)
{
	*c = (struct rd_iov_cursor){.iov = iov, .cnt = cnt};
}

/* Bytes left in the current iovec, skipping empty ones; 0 at the end. */
static size_t piece(struct rd_iov_cursor *c)
{
	while (c->idx < c->cnt && c->off == c->iov[c->idx].iov_len) {
		c->idx++;
		c->off = 0;
	}
	return c->idx < c->cnt ? c->iov[c->idx].iov_len - c->off : 0;
}

enum op { COPY_OUT, COPY_IN, FILL };

static void walk(struct rd_iov_cursor *c, enum op op, uint8_t *mem, int byte, size_t len)
{
	size_t n;

	while (len && (n = piece(c)) != 0) {
		uint8_t *p = (uint8_t *)c->iov[c->idx].iov_base + c->off;

		if (n > len)
			n = len;
		if (op == COPY_OUT)
			memcpy(mem, p, n);
		else if (op == COPY_IN)
			memcpy(p, mem, n);
		else
			memset(p, byte, n);
		if (mem)
			mem += n;
		c->off += n;
		len -= n;
	}
}

void rd_iov_copy_out(struct rd_iov_cursor *c, void *dst, size_t len)
{
	walk(c, COPY_OUT, dst, 0, len);
}

void rd_iov_copy_in(struct rd_iov_cursor *c, const void *src, size_t len)
{
	/* walk() only reads through mem for COPY_IN. */
	walk(c, COPY_IN, (uint8_t *)(uintptr_t)src, 0, len);
}

void rd_iov_fill(struct rd_iov_cursor *c, int byte, size_t len)
{
	walk(c, FILL, NULL, byte, len);
}
