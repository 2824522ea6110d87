/* SPDX-License-Identifier: Apache-2.0 */
/* tcmudctl status as text: a summary line and an aligned table of devices. */
#ifndef TCMUDCTL_TABLE_H
#define TCMUDCTL_TABLE_H

#include <stdint.h>

#include "report.h"

/* The whole text, newline terminated; g_free() it. */
char *tcmudctl_format_table(const struct tcmudctl_report *r);

/* Cell formats, into buf: "512 B", "64 MiB", "1.5 GiB"; "850ns", "12.3us",
 * "4.10ms", "2.50s"; "3d 4h", "2h 5m", "7m 30s", "12s". */
void tcmudctl_format_size(char *buf, size_t len, uint64_t bytes);
void tcmudctl_format_latency(char *buf, size_t len, double us);
void tcmudctl_format_uptime(char *buf, size_t len, uint64_t seconds);

#endif
