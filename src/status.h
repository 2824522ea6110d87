/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's status as a GVariant, what org.tcmud.Daemon1.GetStatus()
 * returns: (a{sv}aa{sv}), daemon facts and one dictionary per served device.
 *
 * Daemon: version s, pid u, uptime_s t, handlers as.
 * Device: name s, hba u (the N of core/user_N), subtype s, uio s ("uio0"),
 * cfgstring s, size_bytes t, block_size u, num_lbas t, pi_type y,
 * read_only b, write_cache b, mem_used t (bytes the handler holds for it),
 * failed b (ring broken or uio gone), commands t,
 * reads t, writes t, other t, bytes_read t, bytes_written t, errors t,
 * sense a{su} (CHECK CONDITIONs by "SK/ASC/ASCQ" in hex, e.g. "05/24/00",
 * and "other" for triples beyond the per-device table), latency_us a{sd}
 * (p50, p90, p99, p999, max, since the device was opened; all 0 before its
 * first command), timestamp_ns t (CLOCK_MONOTONIC of the counters' snapshot).
 *
 * Rates are left to the caller: two calls, differences of the counters over
 * the difference of timestamp_ns.
 */
#ifndef TCMUD_STATUS_H
#define TCMUD_STATUS_H

#include <glib.h>

#include "daemon.h"

#define TCMUD_STATUS_TYPE "(a{sv}aa{sv})"

/*
 * Build the status of d; call it on the thread that owns d's device table
 * (the control plane). Returns a floating reference, as g_variant_new() does.
 */
GVariant *tcmud_status_variant(const struct tcmud_daemon *d);

#endif
