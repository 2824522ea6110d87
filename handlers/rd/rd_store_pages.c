/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocating and giving back the pages of a region. The pagemap, not the
 * mapping, says which pages exist, so looking at a hole never allocates it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "rd_store_internal.h"

static uint64_t page_offset(const struct rd_region *r, uint64_t page)
{
	return r->file_offset + (page << RD_PAGE_SHIFT);
}

uint64_t rd_region_holes(const struct rd_region *r, uint64_t first, uint64_t count)
{
	uint64_t holes = 0, n;
	bool set;

	for (uint64_t p = first; p < first + count; p += n) {
		n = rd_pagemap_run(&r->pages, p, first + count - p, &set);
		if (!set)
			holes += n;
	}
	return holes;
}

/* Punch out every hole run in [first, first + count): space that
 * rd_region_reserve() allocated but nobody filled. */
void rd_region_unreserve(struct rd_store *s, struct rd_region *r, uint64_t first,
			 uint64_t count)
{
	uint64_t n;
	bool set;

	for (uint64_t p = first; p < first + count; p += n) {
		n = rd_pagemap_run(&r->pages, p, first + count - p, &set);
		if (!set)
			fallocate(s->obj.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)page_offset(r, p), (off_t)(n << RD_PAGE_SHIFT));
	}
}

int rd_region_reserve(struct rd_store *s, struct rd_region *r, uint64_t first, uint64_t count)
{
	uint64_t n;
	bool set;
	int ret = rd_pagemap_prepare(&r->pages, first, count);

	if (ret)
		return ret;
	/* One fallocate per run of holes: a full tmpfs says ENOSPC here
	 * rather than with a SIGBUS when the mapping is first written. */
	for (uint64_t p = first; p < first + count; p += n) {
		n = rd_pagemap_run(&r->pages, p, first + count - p, &set);
		if (set)
			continue;
		if (fallocate(s->obj.fd, 0, (off_t)page_offset(r, p),
			      (off_t)(n << RD_PAGE_SHIFT)) != 0) {
			ret = errno == EOPNOTSUPP ? 0 : -errno;
			if (ret == 0)
				continue; /* no fallocate here: pages come on first touch */
			rd_region_unreserve(s, r, first, p + n - first);
			return ret;
		}
	}
	return 0;
}

void rd_region_fill(struct rd_region *r, uint64_t first, uint64_t count)
{
	uint64_t n;
	bool set;

	for (uint64_t p = first; p < first + count; p += n) {
		n = rd_pagemap_run(&r->pages, p, first + count - p, &set);
		if (set)
			continue;
		/* Fresh file pages are zeros; PI holes read as 0xFF. */
		if (r->hole_byte)
			memset(r->map + (p << RD_PAGE_SHIFT), r->hole_byte,
			       (size_t)(n << RD_PAGE_SHIFT));
		rd_pagemap_set(&r->pages, p, n);
	}
}

/* Give pages back to the file system; where that fails, fill them instead. */
static uint64_t give_back(struct rd_store *s, struct rd_region *r, uint64_t page, uint64_t n)
{
	if (fallocate(s->obj.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)page_offset(r, page), (off_t)(n << RD_PAGE_SHIFT)) == 0)
		return rd_pagemap_clear(&r->pages, page, n) << RD_PAGE_SHIFT;
	if (!s->punch_failed)
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: cannot punch holes in %s (%s); unmapped "
			  "blocks are overwritten instead and keep their memory", s->name,
			  s->obj.in_dir ? s->obj.path : "the memfd", strerror(errno));
	s->punch_failed = true;
	memset(r->map + (page << RD_PAGE_SHIFT), r->hole_byte, (size_t)(n << RD_PAGE_SHIFT));
	return 0;
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t byte)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != byte)
			return false;
	return true;
}

/* Set [from, to) of one page to hole_byte; give the page back if that is all it holds. */
static uint64_t clear_partial(struct rd_store *s, struct rd_region *r, uint64_t page,
			      uint64_t from, uint64_t to)
{
	uint8_t *start = r->map + (page << RD_PAGE_SHIFT);

	if (!rd_pagemap_test(&r->pages, page))
		return 0;
	memset(r->map + from, r->hole_byte, (size_t)(to - from));
	if (!all_bytes(start, RD_PAGE_SIZE, r->hole_byte))
		return 0;
	return give_back(s, r, page, 1);
}

uint64_t rd_region_deallocate(struct rd_store *s, struct rd_region *r, uint64_t off,
			      uint64_t len)
{
	uint64_t end = off + len, freed = 0, n;
	uint64_t head = off >> RD_PAGE_SHIFT, tail = end >> RD_PAGE_SHIFT;
	uint64_t first_whole = rd_pages_for(off), end_whole = tail;
	bool set;

	if (len == 0)
		return 0;
	for (uint64_t p = first_whole; p < end_whole; p += n) {
		n = rd_pagemap_run(&r->pages, p, end_whole - p, &set);
		if (set)
			freed += give_back(s, r, p, n);
	}
	if (off & (RD_PAGE_SIZE - 1)) {
		uint64_t head_end = (head + 1) << RD_PAGE_SHIFT;

		freed += clear_partial(s, r, head, off, end < head_end ? end : head_end);
	}
	if ((end & (RD_PAGE_SIZE - 1)) && (tail != head || !(off & (RD_PAGE_SIZE - 1))))
		freed += clear_partial(s, r, tail, tail << RD_PAGE_SHIFT, end);
	return freed;
}
