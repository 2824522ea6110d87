/* SPDX-License-Identifier: Apache-2.0 */
#include "latency_hist.h"


size_t tcmud_latency_bucket(uint64_t ns)
{
	if (ns < TCMUD_LAT_SUB)
		return (size_t)ns;
	unsigned int e = 63u - (unsigned int)__builtin_clzll(ns);
	if (e >= TCMUD_LAT_TOP_EXP)
		return TCMUD_LAT_OVERFLOW;
	/* The top TCMUD_LAT_SUB_BITS + 1 bits: a leading 1 and the sub-bucket. */
	return (size_t)(e - TCMUD_LAT_SUB_BITS + 1) * TCMUD_LAT_SUB +
	       (size_t)((ns >> (e - TCMUD_LAT_SUB_BITS)) & (TCMUD_LAT_SUB - 1));
}

uint64_t tcmud_latency_bucket_low(size_t idx)
{
	if (idx < TCMUD_LAT_SUB)
		return idx;
	if (idx >= TCMUD_LAT_OVERFLOW)
		return UINT64_C(1) << TCMUD_LAT_TOP_EXP;
	size_t group = idx / TCMUD_LAT_SUB, sub = idx % TCMUD_LAT_SUB;
	return (uint64_t)(TCMUD_LAT_SUB + sub) << (group - 1);
}

uint64_t tcmud_latency_bucket_high(size_t idx)
{
	if (idx >= TCMUD_LAT_OVERFLOW)
		return UINT64_MAX;
	return tcmud_latency_bucket_low(idx + 1) - 1;
}

void tcmud_latency_record(struct tcmud_latency_hist *h, uint64_t ns)
{
	uint64_t cur = atomic_load_explicit(&h->max_ns, memory_order_relaxed);
	while (ns > cur && !atomic_compare_exchange_weak_explicit(&h->max_ns, &cur, ns,
								  memory_order_relaxed,
								  memory_order_relaxed))
		;
	/* Release after the maximum: a snapshot that sees this count sees a
	 * maximum at least this large (free on x86, where the add is locked). */
	atomic_fetch_add_explicit(&h->bucket[tcmud_latency_bucket(ns)], 1, memory_order_release);
}

void tcmud_latency_snapshot(const struct tcmud_latency_hist *h, struct tcmud_latency_snap *out)
{
	out->count = 0;
	for (size_t i = 0; i < TCMUD_LAT_BUCKETS; i++) {
		out->bucket[i] = atomic_load_explicit(&h->bucket[i], memory_order_acquire);
		out->count += out->bucket[i];
	}
	out->max_ns = atomic_load_explicit(&h->max_ns, memory_order_relaxed);
}

/* ceil(q * count), except that a product within rounding of a whole number
 * is that number (0.999 * 1000 lands just above 999). 0 <= q < 1. */
static uint64_t rank_of(double q, uint64_t count)
{
	double x = q * (double)count;
	uint64_t nearest = (uint64_t)(x + 0.5);
	double diff = x - (double)nearest;
	double tolerance = 1e-9 * (nearest > 1 ? (double)nearest : 1.0);
	uint64_t rank = diff <= tolerance && diff >= -tolerance ? nearest : (uint64_t)x + 1;

	if (rank < 1)
		return 1;
	return rank > count ? count : rank;
}

uint64_t tcmud_latency_quantile(const struct tcmud_latency_snap *s, double q)
{
	if (s->count == 0)
		return 0;
	if (!(q < 1.0))
		return s->max_ns;
	if (q < 0)
		q = 0;
	uint64_t rank = rank_of(q, s->count), seen = 0;
	for (size_t i = 0; i < TCMUD_LAT_BUCKETS; i++) {
		seen += s->bucket[i];
		if (seen < rank)
			continue;
		if (i == TCMUD_LAT_OVERFLOW)
			return s->max_ns;
		uint64_t high = tcmud_latency_bucket_high(i);
		return high < s->max_ns ? high : s->max_ns;
	}
	return s->max_ns;
}
