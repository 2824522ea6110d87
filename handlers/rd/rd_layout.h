/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layout of an rd device's storage object (a file in /dev/shm, or a
 * memfd). It is sparse: only pages that were written hold memory.
 *
 *   offset 0                 header (struct rd_header), one page
 *   offset RD_DATA_OFFSET    block N's data at RD_DATA_OFFSET + N * block_size
 *   offset RD_PI_OFFSET      block N's 8-byte PI tuple at RD_PI_OFFSET + N * 8
 *                            (only when the device has PI)
 *
 * Both regions start at fixed offsets, so a resize never moves anything:
 * the data region ends at most RD_MAX_BYTES after RD_DATA_OFFSET, where the
 * PI region begins. The whole file stays below 16 TiB, the largest file ext4
 * holds, so the object also works outside tmpfs (tests). The file's size is
 * the end of the last region in use, rounded up to RD_PAGE_SIZE. A page that
 * was never written (a hole) reads as zeros in the data region and as 0xFF
 * bytes (no PI) in the PI region.
 */
#ifndef TCMUD_RD_LAYOUT_H
#define TCMUD_RD_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define RD_LAYOUT_VERSION 1u
#define RD_MAGIC "tcmud-rd"                     /* 8 bytes, no NUL */

/* The unit of allocation, accounting, unmap and provisioning status. */
#define RD_PAGE_SHIFT 12
#define RD_PAGE_SIZE ((uint64_t)1 << RD_PAGE_SHIFT)  /* 4 KiB */

#define RD_DATA_OFFSET ((uint64_t)1 << 20)      /* 1 MiB */
#define RD_PI_OFFSET ((uint64_t)1 << 43)        /* 8 TiB */
#define RD_PI_TUPLE_SIZE 8u

/* The largest device: 8 TiB less 1 MiB. */
#define RD_MAX_BYTES (RD_PI_OFFSET - RD_DATA_OFFSET)

#define RD_MIN_BLOCK_SIZE 512u
#define RD_MAX_BLOCK_SIZE 65536u

/* Block sizes the store supports: powers of two from 512 to 64 KiB. */
static inline int rd_block_size_ok(uint32_t bs)
{
	return bs >= RD_MIN_BLOCK_SIZE && bs <= RD_MAX_BLOCK_SIZE && !(bs & (bs - 1));
}

#define RD_SERIAL_LEN 256
#define RD_NAME_LEN 256

/* At offset 0, in the host's byte order. Strings are NUL padded. */
struct rd_header {
	char magic[8];                  /*   0: RD_MAGIC */
	uint32_t layout_version;        /*   8: RD_LAYOUT_VERSION */
	uint32_t block_size;            /*  12: bytes */
	uint32_t pi_type;               /*  16: 0 (no PI table), 1, 2 or 3 */
	uint32_t page_size;             /*  20: RD_PAGE_SIZE */
	uint64_t size;                  /*  24: device size in bytes */
	uint64_t data_offset;           /*  32: RD_DATA_OFFSET */
	uint64_t pi_offset;             /*  40: RD_PI_OFFSET */
	uint32_t hba;                   /*  48: configfs user_<hba> */
	uint32_t reserved;              /*  52: 0 */
	char unit_serial[RD_SERIAL_LEN]; /* 56: T10 unit serial, "" if unset */
	char name[RD_NAME_LEN];         /* 312: configfs device name */
};

_Static_assert(offsetof(struct rd_header, size) == 24, "rd_header layout");
_Static_assert(offsetof(struct rd_header, unit_serial) == 56, "rd_header layout");
_Static_assert(sizeof(struct rd_header) == 568, "rd_header layout");
_Static_assert(RD_DATA_OFFSET + RD_MAX_BYTES <= RD_PI_OFFSET, "regions overlap");

#endif
