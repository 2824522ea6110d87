/* SPDX-License-Identifier: Apache-2.0 */
/* Copies between flat buffers and iovec arrays (the transport's data buffers). */
#include <string.h>

#include "scsi.h"

uint64_t tcmud_iov_length(const struct iovec *iov, size_t cnt)
{
	uint64_t len = 0;

	for (size_t i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	return len;
}

/*
 * Find the iovec holding byte off: its index in *idx and the offset within it
 * in *skip. Returns false when off is at or beyond the end of the array.
 */
static bool iov_seek(const struct iovec *iov, size_t cnt, size_t off, size_t *idx,
		     size_t *skip)
{
	size_t i = 0;

	while (i < cnt && off >= iov[i].iov_len) {
		off -= iov[i].iov_len;
		i++;
	}
	*idx = i;
	*skip = off;
	return i < cnt;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

size_t tcmud_iov_from_buf(const struct iovec *iov, size_t cnt, size_t off,
			  const void *buf, size_t len)
{
	const uint8_t *src = buf;
	size_t i, skip, done = 0;

	if (!iov_seek(iov, cnt, off, &i, &skip))
		return 0;
	for (; i < cnt && done < len; i++, skip = 0) {
		size_t n = min_size(iov[i].iov_len - skip, len - done);

		if (n) /* an empty iovec may have a NULL base */
			memcpy((uint8_t *)iov[i].iov_base + skip, src + done, n);
		done += n;
	}
	return done;
}

size_t tcmud_iov_to_buf(const struct iovec *iov, size_t cnt, size_t off,
			void *buf, size_t len)
{
	uint8_t *dst = buf;
	size_t i, skip, done = 0;

	if (!iov_seek(iov, cnt, off, &i, &skip))
		return 0;
	for (; i < cnt && done < len; i++, skip = 0) {
		size_t n = min_size(iov[i].iov_len - skip, len - done);

		if (n)
			memcpy(dst + done, (const uint8_t *)iov[i].iov_base + skip, n);
		done += n;
	}
	return done;
}

void tcmud_iov_zero_from(const struct iovec *iov, size_t cnt, size_t off)
{
	size_t i, skip;

	if (!iov_seek(iov, cnt, off, &i, &skip))
		return;
	for (; i < cnt; i++, skip = 0)
		if (iov[i].iov_len > skip)
			memset((uint8_t *)iov[i].iov_base + skip, 0, iov[i].iov_len - skip);
}

size_t tcmud_iov_window(const struct iovec *iov, size_t cnt, size_t off, size_t len,
			struct iovec *dst, size_t dst_cap)
{
	size_t i, skip, n = 0;

	if (len == 0 || !iov_seek(iov, cnt, off, &i, &skip))
		return 0;
	for (; i < cnt && len; i++, skip = 0) {
		size_t take = min_size(iov[i].iov_len - skip, len);

		if (take == 0)
			continue;
		if (n == dst_cap)
			return 0;
		dst[n].iov_base = (uint8_t *)iov[i].iov_base + skip;
		dst[n].iov_len = take;
		n++;
		len -= take;
	}
	return len ? 0 : n;
}

size_t tcmud_iov_window_max(const struct iovec *iov, size_t cnt, size_t off, size_t len)
{
	size_t i, skip;

	(void)len;
	if (!iov_seek(iov, cnt, off, &i, &skip))
		return 0;
	return cnt - i;
}
