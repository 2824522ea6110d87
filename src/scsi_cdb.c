/* SPDX-License-Identifier: Apache-2.0 */
/* CDB lengths and the decoding of the READ/WRITE/VERIFY family. */
#include <errno.h>

#include "scsi_internal.h"
#include "scsi_pi.h"

#define OP_VARIABLE_LENGTH 0x7f

/* Service actions of the variable-length (0x7F) CDB (SBC-4). */
#define SA_READ_32 0x0009
#define SA_VERIFY_32 0x000a
#define SA_WRITE_32 0x000b
#define SA_WRITE_VERIFY_32 0x000c

/* GROUP NUMBER: six bits since SBC-4 (five in SBC-3). */
#define GROUP_MASK 0x3f

size_t tcmud_cdb_length(const uint8_t *cdb, size_t avail)
{
	if (avail == 0)
		return 0;
	switch (cdb[0] >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 4:
		return 16;
	case 5:
		return 12;
	case 3:
		if (cdb[0] != OP_VARIABLE_LENGTH || avail < 8)
			return 0;
		/* ADDITIONAL CDB LENGTH counts the bytes after byte 7. */
		if (8u + cdb[7] > TCMUD_MAX_CDB_LEN)
			return 0;
		return 8u + cdb[7];
	default: /* groups 6 and 7: vendor specific */
		return 0;
	}
}

static void decode_rw6(const uint8_t *cdb, struct tcmud_cdb_rw *rw)
{
	rw->lba = (uint32_t)(cdb[1] & 0x1f) << 16 | get_be16(&cdb[2]);
	rw->nr_blocks = cdb[4] ? cdb[4] : 256;
}

/* Byte 1 of the 10/12/16-byte forms: PROTECT(7-5) DPO(4) FUA(3). */
static void decode_flags(uint8_t byte, struct tcmud_cdb_rw *rw)
{
	rw->protect = byte >> 5;
	rw->dpo = byte & 0x10;
	rw->fua = byte & 0x08;
}

static void decode_rw10(const uint8_t *cdb, struct tcmud_cdb_rw *rw)
{
	decode_flags(cdb[1], rw);
	rw->lba = get_be32(&cdb[2]);
	rw->group = cdb[6] & GROUP_MASK;
	rw->nr_blocks = get_be16(&cdb[7]);
}

static void decode_rw12(const uint8_t *cdb, struct tcmud_cdb_rw *rw)
{
	decode_flags(cdb[1], rw);
	rw->lba = get_be32(&cdb[2]);
	rw->nr_blocks = get_be32(&cdb[6]);
	rw->group = cdb[10] & GROUP_MASK;
}

static void decode_rw16(const uint8_t *cdb, struct tcmud_cdb_rw *rw)
{
	decode_flags(cdb[1], rw);
	rw->lba = get_be64(&cdb[2]);
	rw->nr_blocks = get_be32(&cdb[10]);
	rw->group = cdb[14] & GROUP_MASK;
}

/* A 32-byte CDB of the READ/WRITE/VERIFY family (they share one layout). */
static bool is_rw32(const uint8_t *cdb, size_t cdb_len)
{
	if (cdb_len < 32 || cdb[0] != OP_VARIABLE_LENGTH)
		return false;
	switch (get_be16(&cdb[8])) {
	case SA_READ_32:
	case SA_VERIFY_32:
	case SA_WRITE_32:
	case SA_WRITE_VERIFY_32:
		return true;
	default:
		return false;
	}
}

static int decode_rw32(const uint8_t *cdb, size_t cdb_len, struct tcmud_cdb_rw *rw)
{
	if (!is_rw32(cdb, cdb_len))
		return -EINVAL;
	rw->group = cdb[6] & GROUP_MASK;
	decode_flags(cdb[10], rw);
	rw->lba = get_be64(&cdb[12]);
	rw->nr_blocks = get_be32(&cdb[28]);
	return 0;
}

/* The CDB size of the opcodes decoded here, 0 for any other opcode. */
static size_t rw_cdb_size(uint8_t opcode)
{
	switch (opcode) {
	case 0x08: /* READ(6) */
	case 0x0a: /* WRITE(6) */
		return 6;
	case 0x28: /* READ(10) */
	case 0x2a: /* WRITE(10) */
	case 0x2e: /* WRITE AND VERIFY(10) */
	case 0x2f: /* VERIFY(10) */
		return 10;
	case 0xa8: /* READ(12) */
	case 0xaa: /* WRITE(12) */
	case 0xae: /* WRITE AND VERIFY(12) */
	case 0xaf: /* VERIFY(12) */
		return 12;
	case 0x88: /* READ(16) */
	case 0x8a: /* WRITE(16) */
	case 0x8e: /* WRITE AND VERIFY(16) */
	case 0x8f: /* VERIFY(16) */
		return 16;
	case OP_VARIABLE_LENGTH:
		return 32;
	default:
		return 0;
	}
}

int tcmud_cdb_decode_rw(const uint8_t *cdb, size_t cdb_len, struct tcmud_cdb_rw *rw)
{
	size_t need = cdb_len ? rw_cdb_size(cdb[0]) : 0;

	if (need == 0 || cdb_len < need)
		return -EINVAL;
	*rw = (struct tcmud_cdb_rw){0};
	switch (need) {
	case 6:
		decode_rw6(cdb, rw);
		return 0;
	case 10:
		decode_rw10(cdb, rw);
		return 0;
	case 12:
		decode_rw12(cdb, rw);
		return 0;
	case 16:
		decode_rw16(cdb, rw);
		return 0;
	default:
		return decode_rw32(cdb, cdb_len, rw);
	}
}

void tcmud_cdb_decode_pi_tags(const uint8_t *cdb, size_t cdb_len, struct tcmud_blocks *b)
{
	b->has_expected = is_rw32(cdb, cdb_len);
	if (!b->has_expected) {
		b->exp_ref_tag = 0;
		b->exp_app_tag = 0;
		b->app_mask = 0;
		return;
	}
	b->exp_ref_tag = get_be32(&cdb[20]);
	b->exp_app_tag = get_be16(&cdb[24]);
	b->app_mask = get_be16(&cdb[26]);
}
