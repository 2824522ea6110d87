/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A latency histogram with log-linear buckets, in nanoseconds.
 *
 * Values below 8 ns have a bucket each; above, every power of two
 * [2^e, 2^(e+1)) is cut into 8 equal sub-buckets, so a bucket is never wider
 * than 1/8 of its lower bound, up to 2^34 ns (17.2 s). Longer values share one
 * overflow bucket; the maximum is kept exactly beside the buckets.
 *
 * Recording is lock free (relaxed atomic adds): any number of threads may
 * record while any other thread takes snapshots. A snapshot is not one
 * instant: a count recorded while it is copied may or may not be in it.
 */
#ifndef TCMUD_LATENCY_HIST_H
#define TCMUD_LATENCY_HIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TCMUD_LAT_SUB_BITS 3
#define TCMUD_LAT_SUB (1u << TCMUD_LAT_SUB_BITS)
/* The first power of two without buckets of its own: 2^34 ns. */
#define TCMUD_LAT_TOP_EXP 34
#define TCMUD_LAT_OVERFLOW ((TCMUD_LAT_TOP_EXP - TCMUD_LAT_SUB_BITS + 1) * TCMUD_LAT_SUB)
#define TCMUD_LAT_BUCKETS (TCMUD_LAT_OVERFLOW + 1)

struct tcmud_latency_hist {
	atomic_uint_fast64_t bucket[TCMUD_LAT_BUCKETS];
	atomic_uint_fast64_t max_ns;
};

struct tcmud_latency_snap {
	uint64_t bucket[TCMUD_LAT_BUCKETS];
	uint64_t count;           /* sum of the buckets */
	uint64_t max_ns;
};

/* The bucket a value falls into, and the bounds of a bucket (the overflow
 * bucket's upper bound is UINT64_MAX). */
size_t tcmud_latency_bucket(uint64_t ns);
uint64_t tcmud_latency_bucket_low(size_t idx);
uint64_t tcmud_latency_bucket_high(size_t idx);

void tcmud_latency_record(struct tcmud_latency_hist *h, uint64_t ns);
void tcmud_latency_snapshot(const struct tcmud_latency_hist *h, struct tcmud_latency_snap *out);

/*
 * The value at quantile q (0 < q <= 1) of a snapshot: the upper bound of the
 * bucket that holds the ceil(q * count)-th smallest value, never above the
 * maximum seen. So it never understates, and overstates by less than 1/8.
 * q >= 1 gives the maximum; an empty snapshot gives 0.
 */
uint64_t tcmud_latency_quantile(const struct tcmud_latency_snap *s, double q);

#endif
