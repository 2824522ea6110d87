/* SPDX-License-Identifier: Apache-2.0 */
/* A position in a command's iovecs, for copies in pieces of any size. */
#ifndef TCMUD_RD_IOV_H
#define TCMUD_RD_IOV_H

#include <stddef.h>
#include <sys/uio.h>

struct rd_iov_cursor {
	const struct iovec *iov;
	size_t cnt;
	size_t idx;     /* current iovec */
	size_t off;     /* bytes of it already used */
};

void rd_iov_init(struct rd_iov_cursor *c, const struct iovec *iov, size_t cnt);

/* Each moves the cursor by len bytes (fewer if the iovecs end first). */
void rd_iov_copy_out(struct rd_iov_cursor *c, void *dst, size_t len);      /* iovecs -> dst */
void rd_iov_copy_in(struct rd_iov_cursor *c, const void *src, size_t len); /* src -> iovecs */
void rd_iov_fill(struct rd_iov_cursor *c, int byte, size_t len);           /* byte -> iovecs */

#endif
