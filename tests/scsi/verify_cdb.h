/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CDB builders and checks for the verify family's tests (VERIFY, WRITE AND
 * VERIFY, COMPARE AND WRITE, ORWRITE, WRITE ATOMIC). Include after
 * scsi_fixture.h.
 */
#ifndef TCMUD_TEST_VERIFY_CDB_H
#define TCMUD_TEST_VERIFY_CDB_H

#include "scsi_internal.h"

#define OP_WRITE_VERIFY10 0x2e
#define OP_VERIFY10 0x2f
#define OP_COMPARE_AND_WRITE 0x89
#define OP_ORWRITE16 0x8b
#define OP_WRITE_VERIFY16 0x8e
#define OP_VERIFY16 0x8f
#define OP_WRITE_ATOMIC16 0x9c
#define OP_WRITE_VERIFY12 0xae
#define OP_VERIFY12 0xaf
#define OP_VARIABLE 0x7f
#define SA_VERIFY32 0x000a
#define SA_WRITE_VERIFY32 0x000c
#define SA_ORWRITE32 0x000e
#define SA_WRITE_ATOMIC32 0x000f

#define PROTECT(v) ((uint8_t)((v) << 5))
#define BYTCHK(v) ((uint8_t)((v) << 1))
#define DPO 0x10
#define FUA 0x08

/* VERIFY / WRITE AND VERIFY 10/12/16 and ORWRITE(16); returns the length. */
static inline size_t cdb_v(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags)
{
	switch (op) {
	case OP_VERIFY10:
	case OP_WRITE_VERIFY10:
		cdb10(c, op, (uint32_t)lba, (uint16_t)n, flags);
		return 10;
	case OP_VERIFY12:
	case OP_WRITE_VERIFY12:
		cdb12(c, op, (uint32_t)lba, n, flags);
		return 12;
	default:
		cdb16(c, op, lba, n, flags);
		return 16;
	}
}

/* A 32-byte CDB of the family: flags in byte 10, LBA 12-19, length 28-31. */
static inline size_t cdb_v32(uint8_t *c, uint16_t sa, uint64_t lba, uint32_t n, uint8_t flags)
{
	memset(c, 0, 32);
	c[0] = OP_VARIABLE;
	c[7] = 0x18;
	put16(&c[8], sa);
	c[10] = flags;
	put64(&c[12], lba);
	put32(&c[28], n);
	return 32;
}

static inline void cdb_caw(uint8_t *c, uint64_t lba, uint8_t n, uint8_t flags)
{
	cdb16(c, OP_COMPARE_AND_WRITE, lba, 0, flags);
	c[13] = n;
}

static inline void cdb_atomic16(uint8_t *c, uint64_t lba, uint16_t n, uint8_t flags)
{
	cdb16(c, OP_WRITE_ATOMIC16, lba, 0, flags);
	put16(&c[12], n);
}

/* MISCOMPARE DURING VERIFY OPERATION at Data-Out offset off. */
static inline void assert_miscompare(struct fix *f, int ret, uint64_t off)
{
	assert_sense(f, ret, TCMUD_SK_MISCOMPARE, TCMUD_ASC_MISCOMPARE_DURING_VERIFY);
	assert_true(f->cmd.sense.info_valid);
	assert_int_equal(f->cmd.sense.info, off);
}

/* A buffer of n blocks filled with the pattern of seed (split from k). */
static inline struct buf *pattern_buf(struct fix *f, uint32_t n, uint32_t seed, size_t k)
{
	struct buf *b = buf_new((size_t)n * f->dev.hdev.block_size, 0, k);

	fill_pattern(b->data, b->len, seed);
	return b;
}

#endif /* TCMUD_TEST_VERIFY_CDB_H */
