/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcmudctl status --json: {"daemon": {...}, "interval_s": N, "devices":
 * [{...}]}, each device with every field of GetStatus and its rates,
 * "iops", "read_bytes_per_s" and "write_bytes_per_s" (null without a
 * previous sample).
 */
#ifndef TCMUDCTL_JSON_H
#define TCMUDCTL_JSON_H

#include "report.h"

/* The JSON document, newline terminated; g_free() it. */
char *tcmudctl_format_json(const struct tcmudctl_report *r);

#endif
