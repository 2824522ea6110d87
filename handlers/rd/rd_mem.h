/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory held by the rd devices of this process (data and PI pages), shared
 * by all device threads, and the daemon-wide ceiling (mem_limit). Crossing
 * each tenth of the ceiling is logged once; nothing else is logged here on
 * the I/O path.
 */
#ifndef TCMUD_RD_MEM_H
#define TCMUD_RD_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Take bytes if the ceiling allows it (or there is none). */
bool rd_mem_reserve(uint64_t bytes);
/* Take bytes whatever the ceiling: memory that is in use already. */
void rd_mem_add(uint64_t bytes);
void rd_mem_release(uint64_t bytes);

uint64_t rd_mem_used(void);
uint64_t rd_mem_limit(void);    /* 0: no ceiling */
void rd_mem_set_limit(uint64_t bytes);
/* Memory in use has reached the ceiling. */
bool rd_mem_full(void);

/* A warning that a write of dev was refused; at most one every few seconds. */
void rd_mem_log_refusal(const char *dev, const char *reason, uint64_t needed);

/* "1.5 GiB", "4.0 KiB", "512 B". */
const char *rd_fmt_bytes(char *buf, size_t len, uint64_t bytes);

#endif
