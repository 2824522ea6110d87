/* SPDX-License-Identifier: Apache-2.0 */
/*
 * T10 DIF protection information: generate and verify the 8-byte tuple that
 * protects each logical block, and move tuples in and out of the interleaved
 * buffers an initiator uses with RDPROTECT/WRPROTECT != 0.
 *
 * Tuple layout, big-endian:
 *     bytes 0-1  guard    CRC-16/T10-DIF of the block's data
 *     bytes 2-3  app tag  application tag
 *     bytes 4-7  ref tag  type 1: low 32 bits of the LBA
 *                         type 2: initial ref tag from the CDB + block index
 *                         type 3: application defined, never checked
 * Escapes: for types 1 and 2 an app tag of 0xFFFF disables every check of
 * the block; for type 3 the block is skipped only when the app tag is 0xFFFF
 * and the ref tag 0xFFFFFFFF.
 *
 * Data is an iovec array holding nr_blocks * block_size bytes without PI; a
 * block may be split across iovecs anywhere. PI is a flat array of nr_blocks
 * tuples. Nothing here allocates; a block contiguous in one iovec is summed
 * in place.
 */
#ifndef TCMUD_DIF_H
#define TCMUD_DIF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define TCMUD_DIF_TUPLE_SIZE 8

/* ctx->checks and tcmud_dif_error.check */
#define TCMUD_DIF_CHECK_GUARD 0x1
#define TCMUD_DIF_CHECK_APP 0x2
#define TCMUD_DIF_CHECK_REF 0x4
#define TCMUD_DIF_CHECK_ALL (TCMUD_DIF_CHECK_GUARD | TCMUD_DIF_CHECK_APP | TCMUD_DIF_CHECK_REF)

#define TCMUD_DIF_APP_ESCAPE 0xFFFF
#define TCMUD_DIF_REF_ESCAPE 0xFFFFFFFFu

/* What one command's PI is generated or checked against. */
struct tcmud_dif_ctx {
	uint8_t type;           /* 1, 2 or 3 */
	uint8_t checks;         /* TCMUD_DIF_CHECK_* that verify performs */
	uint16_t app_tag;       /* written by generate, expected by verify */
	uint16_t app_mask;      /* bits of app_tag that verify compares */
	uint32_t block_size;    /* data bytes per block, PI not included */
	uint32_t ref_tag;       /* ref tag of the first block */
	uint64_t lba;           /* LBA of the first block (for errors) */
};

/* The first block that failed verification. */
struct tcmud_dif_error {
	uint8_t check;          /* the TCMUD_DIF_CHECK_* that failed */
	uint64_t lba;
	uint64_t expected;      /* guard: CRC of the data; app: ctx->app_tag */
	uint64_t actual;        /* the value in the tuple */
};

/*
 * Fill ctx. ref_tag is used for type 2 (the CDB's EXPECTED INITIAL LOGICAL
 * BLOCK REFERENCE TAG) and type 3 (written to every block); for type 1 it is
 * ignored and the low 32 bits of lba are used. TCMUD_DIF_CHECK_REF is dropped
 * for type 3. Returns 0, or -EINVAL for a type other than 1-3 or a zero
 * block size.
 */
int tcmud_dif_ctx_init(struct tcmud_dif_ctx *ctx, uint8_t type, uint32_t block_size,
		       uint64_t lba, uint32_t ref_tag, uint16_t app_tag, uint16_t app_mask,
		       uint8_t checks);

/*
 * Write nr_blocks tuples to pi for the data: guard = CRC of each block,
 * ctx->app_tag, and the ref tag (incremented per block for types 1 and 2).
 * Returns 0, or -EINVAL when data holds fewer than nr_blocks blocks (the
 * tuples of the whole blocks before the end are written).
 */
int tcmud_dif_generate(const struct tcmud_dif_ctx *ctx, const struct iovec *data, size_t cnt,
		       uint32_t nr_blocks, uint8_t *pi);

/*
 * Check nr_blocks blocks against their tuples, only what ctx->checks asks
 * (the app tag as (actual & app_mask) == (app_tag & app_mask)), in the
 * order guard, app, ref. Returns 0; -EIO with err (if not NULL) describing
 * the first failing block; -EINVAL when data is shorter than nr_blocks.
 */
int tcmud_dif_verify(const struct tcmud_dif_ctx *ctx, const struct iovec *data, size_t cnt,
		     uint32_t nr_blocks, const uint8_t *pi, struct tcmud_dif_error *err);

/*
 * Interleaved buffers: each block's data is followed by its tuple, starting
 * at byte off of an iovec array.
 *
 * tcmud_dif_split() fills data_out with iovecs pointing at the data parts
 * (zero copy; pieces adjacent in memory are merged) and, if pi_out is not
 * NULL, copies the nr_blocks tuples to it. Returns the number of iovecs
 * used, or 0 when src holds fewer than nr_blocks blocks with tuples after
 * off (nothing is copied), or data_cap is too small (pi_out may be partly
 * written). tcmud_dif_split_max_iov() entries are always enough.
 */
size_t tcmud_dif_split(const struct iovec *src, size_t src_cnt, size_t src_off,
		       uint32_t block_size, uint32_t nr_blocks, struct iovec *data_out,
		       size_t data_cap, uint8_t *pi_out);

/* Each data iovec ends at a block's end or a source iovec's end. */
static inline size_t tcmud_dif_split_max_iov(size_t src_cnt, uint32_t nr_blocks)
{
	return src_cnt + nr_blocks;
}

/*
 * Write nr_blocks tuples from pi into the gaps after each block of an
 * interleaved buffer, leaving the data alone. Returns 0, or -EINVAL (nothing
 * written) when dst holds fewer than nr_blocks blocks with tuples after off.
 */
int tcmud_dif_scatter_pi(const struct iovec *dst, size_t cnt, size_t off,
			 uint32_t block_size, uint32_t nr_blocks, const uint8_t *pi);

/* Error injection for tests: what tcmud_dif_inject_error() corrupts. */
enum tcmud_dif_inject {
	TCMUD_DIF_INJECT_DATA,  /* bit < block_size * 8: bit % 8 of byte bit / 8 */
	TCMUD_DIF_INJECT_GUARD, /* bit < 16, 0 = least significant */
	TCMUD_DIF_INJECT_APP,   /* bit < 16 */
	TCMUD_DIF_INJECT_REF,   /* bit < 32 */
};

/*
 * Flip one bit of block `block`: in its data (through the iovecs) or in a
 * field of its tuple (pi may be NULL for data). Returns 0, or -EINVAL for a
 * block, bit or data length out of range.
 */
int tcmud_dif_inject_error(const struct tcmud_dif_ctx *ctx, const struct iovec *data,
			   size_t cnt, uint32_t nr_blocks, uint8_t *pi,
			   enum tcmud_dif_inject what, uint32_t block, uint32_t bit);

#endif /* TCMUD_DIF_H */
