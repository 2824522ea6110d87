/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The blocks of one rd device and their PI tuples, in pages of RD_PAGE_SIZE
 * that take memory only once written (see rd_layout.h for where they live
 * and rd_shm.h for the object that holds them). A never-written or unmapped
 * block reads as zeros, its PI tuple as 0xFF bytes.
 *
 * Callers check LBA ranges against rd_store_num_lbas(). One store is used by
 * one thread at a time; the memory accounting is shared by all stores.
 */
#ifndef TCMUD_RD_STORE_H
#define TCMUD_RD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "tcmud/handler.h"

struct rd_store;

struct rd_store_params {
	const char *name;               /* configfs device name */
	unsigned int hba;
	const char *unit_serial;        /* NULL is the same as "" */
	uint32_t block_size;            /* a power of two, 512 .. 65536 */
	uint64_t num_lbas;
	uint8_t pi_type;                /* 0: no PI table */
	bool persist;                   /* keep the blocks in the shm directory */
};

/* Open (or create) a device's storage. 0, or -errno with a reason in why:
 * -EEXIST for an object that belongs to another configuration, -ENOSPC when
 * memory in use has reached the ceiling and the device would be new. */
int rd_store_open(struct rd_store **out, const struct rd_store_params *p, char *why,
		  size_t why_len);
/* SHUTDOWN and FAILED keep a persistent object; REMOVED deletes it. */
void rd_store_close(struct rd_store *s, enum tcmud_close_reason reason);

/* Change the number of blocks; blocks beyond a smaller size are dropped.
 * 0, -EINVAL (zero) or -ENOMEM (too big or out of memory). */
int rd_store_resize(struct rd_store *s, uint64_t num_lbas);

/* Copy nr_blocks at lba to the iovecs, and their tuples to pi (if not NULL). */
void rd_store_read(struct rd_store *s, uint64_t lba, uint32_t nr_blocks,
		   const struct iovec *iov, size_t iov_cnt, uint8_t *pi);
/* Store nr_blocks at lba from the iovecs, with their tuples from pi; pi
 * NULL on a device with PI drops the blocks' tuples (they read as 0xFF).
 * 0, or -ENOSPC (memory ceiling, full shm filesystem) / -ENOMEM, and then
 * nothing was written. */
int rd_store_write(struct rd_store *s, uint64_t lba, uint32_t nr_blocks,
		   const struct iovec *iov, size_t iov_cnt, const uint8_t *pi);
/* Deallocate: whole pages are given back, partial ones zero-filled. */
void rd_store_unmap(struct rd_store *s, uint64_t lba, uint64_t nr_blocks);
/* The run of blocks from lba that are all mapped (some page of each block
 * holds memory) or all unmapped; lba < rd_store_num_lbas(). */
void rd_store_lba_status(const struct rd_store *s, uint64_t lba, uint64_t *nr_blocks,
			 bool *mapped);

uint64_t rd_store_num_lbas(const struct rd_store *s);
/* Memory this device holds, in bytes. */
uint64_t rd_store_bytes(const struct rd_store *s);
/* Where the blocks are: the object's path, or "" for a memfd. */
const char *rd_store_path(const struct rd_store *s);

/* Memory held by all rd devices of the process, and the ceiling (0: none). */
uint64_t rd_store_mem_used(void);
uint64_t rd_store_mem_limit(void);
void rd_store_set_mem_limit(uint64_t bytes);

#endif
