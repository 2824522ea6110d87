/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which pages of a region hold memory: one bit per page, in leaves of
 * RD_PAGEMAP_LEAF_BITS bits that exist only where a bit was ever set, so a
 * huge device that was barely written costs almost nothing. Lookup is O(1):
 * page -> leaf -> word -> bit.
 */
#ifndef TCMUD_RD_PAGEMAP_H
#define TCMUD_RD_PAGEMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RD_PAGEMAP_LEAF_SHIFT 15
#define RD_PAGEMAP_LEAF_BITS ((uint64_t)1 << RD_PAGEMAP_LEAF_SHIFT)
#define RD_PAGEMAP_LEAF_WORDS (RD_PAGEMAP_LEAF_BITS / 64)

struct rd_pagemap_leaf {
	uint64_t nr_set;
	uint64_t words[RD_PAGEMAP_LEAF_WORDS];
};

struct rd_pagemap {
	struct rd_pagemap_leaf **leaves;
	uint64_t nr_leaves;
	uint64_t nr_pages;
	/* Changed by the device's thread only; atomic so that the status view
	 * may read it from another thread at any time. */
	_Atomic uint64_t nr_set;
};

/* An empty map of nr_pages pages. 0 or -ENOMEM. */
int rd_pagemap_init(struct rd_pagemap *m, uint64_t nr_pages);
void rd_pagemap_fini(struct rd_pagemap *m);

/* Grow or shrink; bits beyond a smaller size are dropped. 0 or -ENOMEM. */
int rd_pagemap_resize(struct rd_pagemap *m, uint64_t nr_pages);

bool rd_pagemap_test(const struct rd_pagemap *m, uint64_t page);

/* Allocate the leaves for [first, first + count), so that setting bits there
 * cannot fail. 0 or -ENOMEM. */
int rd_pagemap_prepare(struct rd_pagemap *m, uint64_t first, uint64_t count);

/* Set or clear [first, first + count). Setting needs rd_pagemap_prepare()
 * first. Return how many bits changed. */
uint64_t rd_pagemap_set(struct rd_pagemap *m, uint64_t first, uint64_t count);
uint64_t rd_pagemap_clear(struct rd_pagemap *m, uint64_t first, uint64_t count);

/* The length (>= 1) of the run of pages that share page first's state,
 * looking no further than first + limit (limit >= 1). *set gets the state. */
uint64_t rd_pagemap_run(const struct rd_pagemap *m, uint64_t first, uint64_t limit, bool *set);

#endif
