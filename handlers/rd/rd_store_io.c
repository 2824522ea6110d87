/* SPDX-License-Identifier: Apache-2.0 */
/* Reading, writing, unmapping and the provisioning status of an rd store. */
#include <errno.h>
#include <string.h>

#include "rd_iov.h"
#include "rd_mem.h"
#include "rd_store_internal.h"

/* Pages of a region that bytes [off, off + len) touch. */
static void page_span(uint64_t off, uint64_t len, uint64_t *first, uint64_t *count)
{
	*first = off >> RD_PAGE_SHIFT;
	*count = len ? rd_pages_for(off + len) - *first : 0;
}

/* Copy [off, off + len) of a region to the cursor; holes read as hole_byte. */
static void region_read(const struct rd_region *r, uint64_t off, uint64_t len,
			struct rd_iov_cursor *c)
{
	while (len) {
		uint64_t page = off >> RD_PAGE_SHIFT, n;
		bool set;

		n = rd_pagemap_run(&r->pages, page, rd_pages_for(off + len) - page, &set);
		n = ((page + n) << RD_PAGE_SHIFT) - off;
		if (n > len)
			n = len;
		if (set)
			rd_iov_copy_in(c, r->map + off, (size_t)n);
		else
			rd_iov_fill(c, r->hole_byte, (size_t)n);
		off += n;
		len -= n;
	}
}

void rd_store_read(struct rd_store *s, uint64_t lba, uint32_t nr_blocks,
		   const struct iovec *iov, size_t iov_cnt, uint8_t *pi)
{
	struct rd_iov_cursor c;

	rd_iov_init(&c, iov, iov_cnt);
	region_read(&s->data, lba * s->block_size, (uint64_t)nr_blocks * s->block_size, &c);
	if (pi && s->pi_type) {
		struct iovec flat = {pi, (size_t)nr_blocks * RD_PI_TUPLE_SIZE};

		rd_iov_init(&c, &flat, 1);
		region_read(&s->pi, lba * RD_PI_TUPLE_SIZE, flat.iov_len, &c);
	}
}

/* Allocate what a write of data pages [df, df + dn) and PI pages [pf, pf + pn)
 * needs, all or nothing. 0 or -errno. */
static int allocate(struct rd_store *s, uint64_t df, uint64_t dn, uint64_t pf, uint64_t pn)
{
	uint64_t need = rd_region_holes(&s->data, df, dn) + rd_region_holes(&s->pi, pf, pn);
	int ret;

	if (need == 0)
		return 0;
	if (!rd_mem_reserve(need << RD_PAGE_SHIFT)) {
		rd_mem_log_refusal(s->name, "the memory ceiling mem_limit is reached",
				   need << RD_PAGE_SHIFT);
		return -ENOSPC;
	}
	ret = rd_region_reserve(s, &s->data, df, dn);
	if (ret == 0) {
		ret = rd_region_reserve(s, &s->pi, pf, pn);
		if (ret)
			rd_region_unreserve(s, &s->data, df, dn);
	}
	if (ret) {
		rd_mem_release(need << RD_PAGE_SHIFT);
		rd_mem_log_refusal(s->name, ret == -ENOSPC ? "the shm file system is full" :
				   strerror(-ret), need << RD_PAGE_SHIFT);
		return ret == -ENOMEM ? -ENOMEM : -ENOSPC;
	}
	rd_region_fill(&s->data, df, dn);
	rd_region_fill(&s->pi, pf, pn);
	return 0;
}

int rd_store_write(struct rd_store *s, uint64_t lba, uint32_t nr_blocks,
		   const struct iovec *iov, size_t iov_cnt, const uint8_t *pi)
{
	uint64_t off = lba * s->block_size, len = (uint64_t)nr_blocks * s->block_size;
	uint64_t pi_off = lba * RD_PI_TUPLE_SIZE, pi_len = (uint64_t)nr_blocks * RD_PI_TUPLE_SIZE;
	uint64_t df, dn, pf = 0, pn = 0;
	struct rd_iov_cursor c;
	int ret;

	page_span(off, len, &df, &dn);
	if (pi && s->pi_type)
		page_span(pi_off, pi_len, &pf, &pn);
	ret = allocate(s, df, dn, pf, pn);
	if (ret)
		return ret;
	rd_iov_init(&c, iov, iov_cnt);
	rd_iov_copy_out(&c, s->data.map + off, (size_t)len);
	if (pi && s->pi_type)
		memcpy(s->pi.map + pi_off, pi, (size_t)pi_len);
	else if (s->pi_type)
		/* New data without tuples: whatever was stored no longer fits it. */
		rd_mem_release(rd_region_deallocate(s, &s->pi, pi_off, pi_len));
	return 0;
}

void rd_store_unmap(struct rd_store *s, uint64_t lba, uint64_t nr_blocks)
{
	uint64_t freed;

	freed = rd_region_deallocate(s, &s->data, lba * s->block_size, nr_blocks * s->block_size);
	if (s->pi_type)
		freed += rd_region_deallocate(s, &s->pi, lba * RD_PI_TUPLE_SIZE,
					      nr_blocks * RD_PI_TUPLE_SIZE);
	rd_mem_release(freed);
}

/* The first block after lba whose state differs from lba's, or num_lbas. */
static uint64_t next_change(const struct rd_store *s, uint64_t lba, bool mapped)
{
	const struct rd_pagemap *m = &s->data.pages;
	uint64_t ppb = s->block_size >> RD_PAGE_SHIFT; /* pages per block; 0 if smaller */
	uint64_t page = (lba * s->block_size) >> RD_PAGE_SHIFT, next;
	bool set;

	if (ppb <= 1 || !mapped) {
		/* Small blocks have the state of their page; a large unmapped
		 * run ends in the block that holds the next allocated page. */
		page += rd_pagemap_run(m, page, m->nr_pages - page, &set);
		next = (page << RD_PAGE_SHIFT) / s->block_size;
		return next < s->num_lbas ? next : s->num_lbas;
	}
	/* Large mapped blocks: the run ends at the first block with no page. */
	for (next = lba + 1; next < s->num_lbas; next++) {
		uint64_t n = rd_pagemap_run(m, next * ppb, m->nr_pages - next * ppb, &set);

		if (!set && n >= ppb)
			break;
		if (set && n / ppb > 1)
			next += n / ppb - 1; /* whole blocks allocated */
	}
	return next;
}

void rd_store_lba_status(const struct rd_store *s, uint64_t lba, uint64_t *nr_blocks,
			 bool *mapped)
{
	uint64_t ppb = s->block_size >> RD_PAGE_SHIFT;
	uint64_t page = (lba * s->block_size) >> RD_PAGE_SHIFT;
	bool set;

	if (ppb > 1) {
		/* Mapped if any page of the block is. */
		uint64_t n = rd_pagemap_run(&s->data.pages, page, ppb, &set);

		*mapped = set || n < ppb;
	} else {
		*mapped = rd_pagemap_test(&s->data.pages, page);
	}
	*nr_blocks = next_change(s, lba, *mapped) - lba;
}
