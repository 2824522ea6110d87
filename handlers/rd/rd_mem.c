/* SPDX-License-Identifier: Apache-2.0 */
/* Process-wide memory accounting of the rd handler (see rd_mem.h). */
#include "rd_mem.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "tcmud/handler.h"

#define REFUSAL_LOG_INTERVAL_NS (10LL * 1000000000LL)

static _Atomic uint64_t mem_used;
static _Atomic uint64_t mem_limit;
/* The highest tenth of the ceiling reported so far (0 = none). */
static _Atomic unsigned logged_tenth;
static _Atomic int64_t last_refusal_log_ns = INT64_MIN;

const char *rd_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

static unsigned tenth_of(uint64_t used, uint64_t limit)
{
	if (used >= limit)
		return 10;
	return (unsigned)(used / (limit / 10 ? limit / 10 : 1));
}

/* Log each tenth of the ceiling on the way up, once. Falling back by more
 * than a tenth re-arms it, so a use that hovers at a boundary stays quiet. */
static void note_usage(uint64_t used)
{
	uint64_t limit = atomic_load(&mem_limit);
	unsigned tenth, last;
	char u[32], l[32];

	if (limit == 0)
		return;
	tenth = tenth_of(used, limit);
	last = atomic_load(&logged_tenth);
	while (tenth > last) {
		if (!atomic_compare_exchange_weak(&logged_tenth, &last, tenth))
			continue;
		rd_fmt_bytes(u, sizeof(u), used);
		rd_fmt_bytes(l, sizeof(l), limit);
		if (tenth == 10)
			tcmud_log(TCMUD_LOG_WARN, "rd: memory in use (%s) reached the ceiling "
				  "mem_limit=%s; writes to unallocated blocks fail until blocks "
				  "are unmapped or devices removed", u, l);
		else
			tcmud_log(tenth >= 8 ? TCMUD_LOG_WARN : TCMUD_LOG_INFO,
				  "rd: memory in use reached %u0%% of mem_limit (%s of %s)",
				  tenth, u, l);
		return;
	}
	while (tenth + 1 < last &&
	       !atomic_compare_exchange_weak(&logged_tenth, &last, tenth + 1))
		;
}

bool rd_mem_reserve(uint64_t bytes)
{
	uint64_t used = atomic_load(&mem_used);
	uint64_t limit;

	do {
		limit = atomic_load(&mem_limit);
		if (limit && (used > limit || bytes > limit - used))
			return false;
	} while (!atomic_compare_exchange_weak(&mem_used, &used, used + bytes));
	note_usage(used + bytes);
	return true;
}

void rd_mem_add(uint64_t bytes)
{
	note_usage(atomic_fetch_add(&mem_used, bytes) + bytes);
}

void rd_mem_release(uint64_t bytes)
{
	note_usage(atomic_fetch_sub(&mem_used, bytes) - bytes);
}

uint64_t rd_mem_used(void)
{
	return atomic_load(&mem_used);
}

uint64_t rd_mem_limit(void)
{
	return atomic_load(&mem_limit);
}

void rd_mem_set_limit(uint64_t bytes)
{
	atomic_store(&mem_limit, bytes);
	atomic_store(&logged_tenth, 0);
	note_usage(atomic_load(&mem_used));
}

bool rd_mem_full(void)
{
	uint64_t limit = atomic_load(&mem_limit);

	return limit && atomic_load(&mem_used) >= limit;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void rd_mem_log_refusal(const char *dev, const char *reason, uint64_t needed)
{
	int64_t now = now_ns(), last = atomic_load(&last_refusal_log_ns);
	char n[32], u[32];

	if (last != INT64_MIN && now - last < REFUSAL_LOG_INTERVAL_NS)
		return;
	if (!atomic_compare_exchange_strong(&last_refusal_log_ns, &last, now))
		return;
	tcmud_log(TCMUD_LOG_WARN, "%s: rd: write refused with SPACE ALLOCATION FAILED: %s "
		  "(it needed %s more; rd memory in use %s); further refusals are not "
		  "logged for 10 s", dev, reason, rd_fmt_bytes(n, sizeof(n), needed),
		  rd_fmt_bytes(u, sizeof(u), atomic_load(&mem_used)));
}
