/* SPDX-License-Identifier: Apache-2.0 */
/* What the rd store's files share: the store itself and page operations. */
#ifndef TCMUD_RD_STORE_INTERNAL_H
#define TCMUD_RD_STORE_INTERNAL_H

#include "rd_layout.h"
#include "rd_pagemap.h"
#include "rd_shm.h"
#include "rd_store.h"

/* The data or the PI part of the object, mapped whole (MAP_SHARED). */
struct rd_region {
	uint64_t file_offset;           /* RD_DATA_OFFSET or RD_PI_OFFSET */
	uint64_t len;                   /* bytes in use */
	uint8_t hole_byte;              /* what a hole reads as: 0x00 or 0xFF */
	uint8_t *map;                   /* NULL while nothing is mapped */
	size_t map_len;
	struct rd_pagemap pages;        /* which pages hold memory */
};

struct rd_store {
	char *name;
	struct rd_object obj;
	struct rd_header header;
	uint32_t block_size;
	uint8_t pi_type;
	uint64_t num_lbas;
	struct rd_region data;
	struct rd_region pi;            /* len 0 without PI */
	bool punch_failed;              /* already logged */
};

static inline uint64_t rd_pages_for(uint64_t bytes)
{
	return (bytes + RD_PAGE_SIZE - 1) >> RD_PAGE_SHIFT;
}

/* Bytes held by a region. */
static inline uint64_t rd_region_bytes(const struct rd_region *r)
{
	return atomic_load_explicit(&r->pages.nr_set, memory_order_relaxed) << RD_PAGE_SHIFT;
}

/* Pages in [first, first + count) that are holes. */
uint64_t rd_region_holes(const struct rd_region *r, uint64_t first, uint64_t count);

/* Make sure the holes in [first, first + count) can be filled: pagemap
 * leaves and file space (fallocate). Changes nothing the region reads as.
 * 0, or -errno after giving back whatever it allocated. */
int rd_region_reserve(struct rd_store *s, struct rd_region *r, uint64_t first, uint64_t count);
/* Undo rd_region_reserve() of holes that were not filled. */
void rd_region_unreserve(struct rd_store *s, struct rd_region *r, uint64_t first,
			 uint64_t count);
/* Turn reserved holes in [first, first + count) into pages that read as
 * holes did (0xFF for PI), and mark them allocated. */
void rd_region_fill(struct rd_region *r, uint64_t first, uint64_t count);

/* Give back the pages wholly inside [off, off + len) and set the rest of the
 * range to hole_byte (a page that is then all hole_byte is given back too).
 * Returns the bytes given back. */
uint64_t rd_region_deallocate(struct rd_store *s, struct rd_region *r, uint64_t off,
			      uint64_t len);

#endif
