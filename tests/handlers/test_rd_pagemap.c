/* SPDX-License-Identifier: Apache-2.0 */
/* The rd page map against a plain bit array, across leaf and word edges. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rd_pagemap.h"

#define PAGES (3 * RD_PAGEMAP_LEAF_BITS + 100)

static uint8_t model[PAGES];

static uint64_t model_count(void)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < PAGES; i++)
		n += model[i];
	return n;
}

static void check_against_model(const struct rd_pagemap *m, uint64_t nr_pages)
{
	uint64_t n;
	bool set;

	for (uint64_t p = 0; p < nr_pages; p += n) {
		uint64_t want = 1;

		while (p + want < nr_pages && model[p + want] == model[p])
			want++;
		n = rd_pagemap_run(m, p, nr_pages - p, &set);
		assert_int_equal(set, model[p]);
		assert_int_equal(n, want);
		assert_int_equal(rd_pagemap_test(m, p), model[p]);
		/* A run from inside a run ends at the same place. */
		if (want > 2) {
			assert_int_equal(rd_pagemap_run(m, p + 1, nr_pages - p - 1, &set),
					 want - 1);
			/* ...unless the limit comes first. */
			assert_int_equal(rd_pagemap_run(m, p, 2, &set), 2);
		}
	}
	assert_int_equal(m->nr_set, model_count());
}

static void set_range(struct rd_pagemap *m, uint64_t first, uint64_t count, bool value)
{
	uint64_t changed = 0;

	for (uint64_t i = first; i < first + count; i++) {
		changed += model[i] != value;
		model[i] = value;
	}
	if (value) {
		assert_int_equal(rd_pagemap_prepare(m, first, count), 0);
		assert_int_equal(rd_pagemap_set(m, first, count), changed);
	} else {
		assert_int_equal(rd_pagemap_clear(m, first, count), changed);
	}
}

static void test_ranges(void **state)
{
	struct rd_pagemap m;
	const uint64_t L = RD_PAGEMAP_LEAF_BITS;

	memset(model, 0, sizeof(model));
	assert_int_equal(rd_pagemap_init(&m, PAGES), 0);
	check_against_model(&m, PAGES);
	set_range(&m, 0, 1, true);
	set_range(&m, 63, 2, true);
	set_range(&m, 100, 1000, true);
	set_range(&m, L - 5, 10, true);              /* across a leaf */
	set_range(&m, 2 * L, L, true);               /* a whole leaf */
	set_range(&m, PAGES - 1, 1, true);
	check_against_model(&m, PAGES);
	set_range(&m, 500, 64, false);
	set_range(&m, 2 * L + 1, L - 2, false);
	set_range(&m, 100, 1000, true);              /* partly set already */
	check_against_model(&m, PAGES);
	/* Clearing a leaf completely frees it. */
	set_range(&m, 2 * L, L, false);
	assert_null(m.leaves[2]);
	check_against_model(&m, PAGES);
	/* Shrinking drops bits; growing brings zeros. */
	assert_int_equal(rd_pagemap_resize(&m, L + 3), 0);
	memset(model + L + 3, 0, PAGES - L - 3);
	check_against_model(&m, L + 3);
	assert_int_equal(rd_pagemap_resize(&m, PAGES), 0);
	check_against_model(&m, PAGES);
	/* Past the end: nothing set, nothing changes. */
	assert_false(rd_pagemap_test(&m, PAGES));
	assert_int_equal(rd_pagemap_clear(&m, PAGES, 10), 0);
	rd_pagemap_fini(&m);
}

static void test_empty_and_huge(void **state)
{
	struct rd_pagemap m;
	bool set;

	assert_int_equal(rd_pagemap_init(&m, 0), 0);
	assert_int_equal(m.nr_leaves, 0);
	rd_pagemap_fini(&m);
	/* 8 TiB of 4 KiB pages: only the leaf table, a few MiB. */
	assert_int_equal(rd_pagemap_init(&m, 1ULL << 31), 0);
	assert_int_equal(rd_pagemap_run(&m, 0, 1ULL << 31, &set), 1ULL << 31);
	assert_false(set);
	assert_int_equal(rd_pagemap_prepare(&m, (1ULL << 31) - 1, 1), 0);
	assert_int_equal(rd_pagemap_set(&m, (1ULL << 31) - 1, 1), 1);
	assert_int_equal(rd_pagemap_run(&m, 5, (1ULL << 31) - 5, &set), (1ULL << 31) - 6);
	rd_pagemap_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_empty_and_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
