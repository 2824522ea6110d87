/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-device command statistics: counts, bytes, CHECK CONDITIONs by sense,
 * and a latency histogram.
 *
 * The thread that completes a command records it with relaxed atomic adds (no
 * lock, nothing shared but the device's own cache lines); any thread may take
 * a snapshot at any time without stopping it. Each counter in a snapshot is
 * exact, but the counters are read one after another, so under load a
 * snapshot may hold a command in one counter and not yet in another.
 *
 * Rates (IOPS, bytes per second) are not kept here: a reader takes two
 * snapshots and divides the differences by the difference of their
 * timestamps, so the daemon keeps no state per reader.
 */
#ifndef TCMUD_DEV_STATS_H
#define TCMUD_DEV_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "latency_hist.h"
#include "tcmud/handler.h"

/* Distinct (sense key, ASC, ASCQ) triples counted one by one per device;
 * further triples are counted together. */
#define TCMUD_STATS_SENSE_SLOTS 16

enum tcmud_io_class {
	TCMUD_IO_OTHER = 0,
	TCMUD_IO_READ,          /* READ 6/10/12/16/32 */
	TCMUD_IO_WRITE,         /* WRITE, WRITE AND VERIFY, WRITE ATOMIC, ORWRITE,
				   COMPARE AND WRITE: commands carrying blocks to store */
};

struct tcmud_stats_sense_slot {
	_Atomic uint32_t key;   /* 0: free; else TCMUD_STATS_SENSE_USED | triple */
	_Atomic uint64_t count;
};

struct tcmud_dev_stats {
	_Atomic uint64_t cmds[3];       /* by enum tcmud_io_class */
	_Atomic uint64_t bytes_read;
	_Atomic uint64_t bytes_written;
	_Atomic uint64_t errors;
	struct tcmud_stats_sense_slot sense[TCMUD_STATS_SENSE_SLOTS];
	_Atomic uint64_t sense_overflow;
	struct tcmud_latency_hist latency;
};

struct tcmud_stats_sense_count {
	uint8_t key, asc, ascq;
	uint64_t count;
};

struct tcmud_dev_stats_snapshot {
	uint64_t timestamp_ns;          /* CLOCK_MONOTONIC when it was taken */
	uint64_t commands;              /* reads + writes + other */
	uint64_t reads, writes, other;
	uint64_t bytes_read, bytes_written;
	uint64_t errors;
	struct tcmud_stats_sense_count sense[TCMUD_STATS_SENSE_SLOTS];
	size_t nsense;
	uint64_t sense_overflow;        /* CHECK CONDITIONs with a triple not in sense[] */
	struct tcmud_latency_snap latency;
};

/* The clock of latencies and timestamps. */
static inline uint64_t tcmud_stats_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Read, write or other, from the CDB's opcode (and the service action of a
 * 32-byte CDB). A CDB too short to tell is other. */
enum tcmud_io_class tcmud_cdb_io_class(const uint8_t *cdb, size_t cdb_len);

/* All counters zero. */
void tcmud_dev_stats_init(struct tcmud_dev_stats *s);

/*
 * Record one completed command from its CDB, status, sense and transfer:
 * bytes count for reads and writes that ended GOOD (a read's read_len when
 * it was short); errors are the commands that ended with a status other than
 * GOOD or CONDITION MET; CHECK CONDITIONs are counted by sense as well.
 */
void tcmud_dev_stats_record(struct tcmud_dev_stats *s, const struct tcmud_cmd *cmd,
			    uint64_t latency_ns);

void tcmud_dev_stats_snapshot(const struct tcmud_dev_stats *s,
			      struct tcmud_dev_stats_snapshot *out);

#endif
