/* SPDX-License-Identifier: Apache-2.0 */
/* A sparse page bitmap (see rd_pagemap.h). */
#include "rd_pagemap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t leaves_for(uint64_t nr_pages)
{
	return (nr_pages + RD_PAGEMAP_LEAF_BITS - 1) >> RD_PAGEMAP_LEAF_SHIFT;
}

static uint64_t leaf_of(uint64_t page)
{
	return page >> RD_PAGEMAP_LEAF_SHIFT;
}

static uint64_t bit_in_leaf(uint64_t page)
{
	return page & (RD_PAGEMAP_LEAF_BITS - 1);
}

/* Bits [from, to) of a word, 0 <= from < to <= 64. */
static uint64_t word_mask(unsigned from, unsigned to)
{
	uint64_t high = to == 64 ? ~0ULL : (1ULL << to) - 1;

	return high & ~((1ULL << from) - 1);
}

int rd_pagemap_init(struct rd_pagemap *m, uint64_t nr_pages)
{
	*m = (struct rd_pagemap){0};
	return rd_pagemap_resize(m, nr_pages);
}

void rd_pagemap_fini(struct rd_pagemap *m)
{
	for (uint64_t i = 0; i < m->nr_leaves; i++)
		free(m->leaves[i]);
	free(m->leaves);
	*m = (struct rd_pagemap){0};
}

int rd_pagemap_resize(struct rd_pagemap *m, uint64_t nr_pages)
{
	uint64_t want = leaves_for(nr_pages);
	struct rd_pagemap_leaf **leaves;

	if (nr_pages < m->nr_pages) {
		rd_pagemap_clear(m, nr_pages, m->nr_pages - nr_pages);
		for (uint64_t i = want; i < m->nr_leaves; i++)
			free(m->leaves[i]);
	} else if (want > SIZE_MAX / sizeof(*leaves)) {
		return -ENOMEM;
	}
	if (want == 0) {
		free(m->leaves);
		leaves = NULL;
	} else {
		leaves = realloc(m->leaves, (size_t)want * sizeof(*leaves));
		if (!leaves) {
			if (want < m->nr_leaves) {
				/* Shrinking in place cannot fail: keep the old table. */
				m->nr_leaves = want;
				m->nr_pages = nr_pages;
				return 0;
			}
			return -ENOMEM;
		}
		for (uint64_t i = m->nr_leaves; i < want; i++)
			leaves[i] = NULL;
	}
	m->leaves = leaves;
	m->nr_leaves = want;
	m->nr_pages = nr_pages;
	return 0;
}

bool rd_pagemap_test(const struct rd_pagemap *m, uint64_t page)
{
	const struct rd_pagemap_leaf *leaf;
	uint64_t bit = bit_in_leaf(page);

	if (page >= m->nr_pages)
		return false;
	leaf = m->leaves[leaf_of(page)];
	return leaf && (leaf->words[bit / 64] >> (bit % 64) & 1);
}

int rd_pagemap_prepare(struct rd_pagemap *m, uint64_t first, uint64_t count)
{
	if (count == 0)
		return 0;
	for (uint64_t i = leaf_of(first); i <= leaf_of(first + count - 1); i++) {
		if (m->leaves[i])
			continue;
		m->leaves[i] = calloc(1, sizeof(*m->leaves[i]));
		if (!m->leaves[i])
			return -ENOMEM;
	}
	return 0;
}

/* Set or clear bits [first, first + count), all in one leaf. */
static uint64_t update_leaf(struct rd_pagemap *m, uint64_t first, uint64_t count, bool set)
{
	uint64_t li = leaf_of(first), bit = bit_in_leaf(first), end = bit + count;
	struct rd_pagemap_leaf *leaf = m->leaves[li];
	uint64_t changed = 0;

	if (!leaf)
		return 0; /* clearing bits that were never set */
	while (bit < end) {
		unsigned from = (unsigned)(bit % 64);
		unsigned to = end - (bit - from) >= 64 ? 64 : (unsigned)(end - (bit - from));
		uint64_t mask = word_mask(from, to);
		uint64_t *w = &leaf->words[bit / 64];
		uint64_t flip = set ? mask & ~*w : mask & *w;

		*w ^= flip;
		changed += (uint64_t)__builtin_popcountll(flip);
		bit += to - from;
	}
	if (set)
		leaf->nr_set += changed;
	else
		leaf->nr_set -= changed;
	if (leaf->nr_set == 0) {
		free(leaf);
		m->leaves[li] = NULL;
	}
	return changed;
}

static uint64_t update(struct rd_pagemap *m, uint64_t first, uint64_t count, bool set)
{
	uint64_t changed = 0;

	if (first >= m->nr_pages)
		return 0;
	if (count > m->nr_pages - first)
		count = m->nr_pages - first;
	while (count) {
		uint64_t n = RD_PAGEMAP_LEAF_BITS - bit_in_leaf(first);

		if (n > count)
			n = count;
		changed += update_leaf(m, first, n, set);
		first += n;
		count -= n;
	}
	if (set)
		atomic_fetch_add_explicit(&m->nr_set, changed, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&m->nr_set, changed, memory_order_relaxed);
	return changed;
}

uint64_t rd_pagemap_set(struct rd_pagemap *m, uint64_t first, uint64_t count)
{
	return update(m, first, count, true);
}

uint64_t rd_pagemap_clear(struct rd_pagemap *m, uint64_t first, uint64_t count)
{
	return update(m, first, count, false);
}

/* The first page in [from, end) whose bit equals value, or end. */
static uint64_t find_next(const struct rd_pagemap *m, uint64_t from, uint64_t end, bool value)
{
	while (from < end) {
		const struct rd_pagemap_leaf *leaf = m->leaves[leaf_of(from)];
		uint64_t leaf_end = (leaf_of(from) + 1) << RD_PAGEMAP_LEAF_SHIFT;

		if (!leaf) {
			if (!value)
				return from;
			from = leaf_end; /* a missing leaf has no bit set */
			continue;
		}
		for (; from < end && from < leaf_end; from = (from | 63) + 1) {
			uint64_t bit = bit_in_leaf(from);
			uint64_t w = leaf->words[bit / 64];
			uint64_t match = (value ? w : ~w) & ~((1ULL << (bit % 64)) - 1);

			if (match) {
				uint64_t found = (from & ~63ULL) + (uint64_t)__builtin_ctzll(match);

				return found < end ? found : end;
			}
		}
	}
	return end;
}

uint64_t rd_pagemap_run(const struct rd_pagemap *m, uint64_t first, uint64_t limit, bool *set)
{
	uint64_t end = m->nr_pages;

	if (first >= end) {
		*set = false;
		return limit;
	}
	if (limit < end - first)
		end = first + limit;
	*set = rd_pagemap_test(m, first);
	return find_next(m, first, end, !*set) - first;
}
