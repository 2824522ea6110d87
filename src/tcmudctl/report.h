/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What tcmudctl status shows: the facts of the second GetStatus sample and,
 * per device, the rates between the two samples.
 */
#ifndef TCMUDCTL_REPORT_H
#define TCMUDCTL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

struct tcmudctl_device_row {
	GVariant *dict;               /* the device's a{sv} in the second sample */
	const char *name;             /* borrowed from dict */
	const char *subtype;
	uint64_t size_bytes;
	uint32_t block_size;
	uint8_t pi_type;
	uint64_t mem_used;            /* bytes the handler holds for the device */
	bool failed;
	uint64_t commands;
	uint64_t errors;
	bool has_latency;             /* commands were timed */
	double p50_us, p99_us;
	bool has_rates;               /* the device is in both samples, counters grew */
	double iops, read_bytes_per_s, write_bytes_per_s;
};

struct tcmudctl_report {
	GVariant *daemon;             /* a{sv} of the second sample */
	double interval_s;            /* asked for; the rates use the samples' timestamps */
	struct tcmudctl_device_row *rows;
	size_t nrows;
};

/*
 * Build a report from two GetStatus replies of type (a{sv}aa{sv}); first
 * may be NULL (no rates). Values missing from a dictionary or of another
 * type read as 0 or "?". Free with tcmudctl_report_free().
 */
void tcmudctl_report_build(GVariant *first, GVariant *second, double interval_s,
			   struct tcmudctl_report *out);
void tcmudctl_report_free(struct tcmudctl_report *r);

#endif
