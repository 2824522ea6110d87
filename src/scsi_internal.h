/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the SCSI layer: byte-order helpers, response helpers and the
 * command emulation entry points that scsi_exec.c dispatches to.
 */
#ifndef TCMUD_SCSI_INTERNAL_H
#define TCMUD_SCSI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "scsi.h"

/* Not in handler.h: the transport's data length disagrees with the CDB. */
#define TCMUD_ASC_INVALID_FIELD_IN_CMD_IU 0x0e03

/* Sense-key specific bytes of a field pointer (SPC-4 4.5.2.4.2). */
#define TCMUD_SKS_SKSV 0x80
#define TCMUD_SKS_CD 0x40   /* the field is in the CDB, not the parameter list */
#define TCMUD_SKS_BPV 0x08  /* the bit pointer is valid */

/* Big-endian field access. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* ---- the command table (scsi_cmds.c) ----------------------------------- */

typedef int (*tcmud_scsi_fn)(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

#define TCMUD_CDB_USAGE_MAX 32

/*
 * One command the daemon serves. Each command family lists its commands in
 * an array ending with an entry whose name is NULL; scsi_cmds.c dispatches
 * from those arrays and REPORT SUPPORTED OPERATION CODES reports them, so
 * what is reported is exactly what is served.
 *
 * usage is the CDB USAGE DATA of REPORT SUPPORTED OPERATION CODES: usage[0]
 * is the opcode, and in every other byte a set bit marks a bit the command
 * uses. Dispatch refuses a CDB with any other bit set (INVALID FIELD IN CDB
 * pointing at it), so the functions only check values, never reserved bits.
 * The CONTROL byte is checked by dispatch itself (NACA) and its usage is 0.
 */
struct tcmud_scsi_cmd_desc {
	const char *name;
	uint8_t opcode;
	bool has_sa;              /* service action: byte 1 bits 4-0, or bytes 8-9 of 0x7F */
	uint16_t sa;
	uint8_t cdb_len;
	uint8_t usage[TCMUD_CDB_USAGE_MAX];
	tcmud_scsi_fn fn;
	/* Timeouts for RCTD, in seconds; 0 means the table's default. */
	uint32_t nominal_timeout;
	uint32_t recommended_timeout;
};

/* The families (each defined next to its commands). */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_spc[];          /* scsi_spc.c */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_mode[];         /* scsi_mode.c */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_rw[];       /* scsi_sbc.c */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_verify[];   /* scsi_sbc_verify.c */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_prov[];     /* scsi_sbc_provision.c */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_misc[];     /* scsi_sbc_misc.c */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_xcopy[];        /* scsi_xcopy.c */
extern const struct tcmud_scsi_cmd_desc tcmud_cmds_report[];       /* scsi_cmds.c */

/* Every family, NULL-terminated. */
extern const struct tcmud_scsi_cmd_desc *const tcmud_scsi_families[];

/*
 * The descriptor serving cdb (at least cdb_len bytes), or NULL with *why set:
 * 0 for an unknown opcode, 1 for a known opcode with an unknown service action.
 */
const struct tcmud_scsi_cmd_desc *tcmud_scsi_cmd_lookup(const uint8_t *cdb, size_t cdb_len,
							int *why);

/* Whether the command exists on this device (some depend on PI type or thin provisioning). */
bool tcmud_scsi_cmd_available(const struct tcmud_scsi_dev *dev,
			      const struct tcmud_scsi_cmd_desc *d);

/* ---- limits the device reports (Block Limits VPD) and enforces --------- */

#define TCMUD_MAX_UNMAP_LBA_COUNT 0xffffffffu      /* per UNMAP command */
#define TCMUD_MAX_UNMAP_DESCRIPTORS 256u
#define TCMUD_MAX_WRITE_SAME_LEN 0xffffffffu       /* blocks per WRITE SAME */
#define TCMUD_MAX_COMPARE_WRITE_LEN 255u           /* blocks per COMPARE AND WRITE */
#define TCMUD_MAX_ATOMIC_LEN 0x10000u              /* blocks per WRITE ATOMIC */
#define TCMUD_ATOMIC_ALIGNMENT 1u
#define TCMUD_ATOMIC_GRANULARITY 1u
/* Commands that move no data through the ring (VERIFY BYTCHK=0, WRITE SAME,
 * PRE-FETCH, ...) still work in chunks of at most this many bytes. */
#define TCMUD_CHUNK_BYTES (1u << 20)

/* ---- the data path (scsi_data.c) --------------------------------------- */

/*
 * A range of blocks moved between the handler and a buffer laid out as the
 * initiator sees it: when protect is non-zero every block is followed by its
 * 8-byte PI tuple in the buffer.
 */
struct tcmud_blocks {
	uint64_t lba;
	uint32_t nr_blocks;
	const struct iovec *iov;  /* the buffer: the command's or a scratch one */
	size_t iov_cnt;
	size_t off;               /* where the transfer starts in iov */
	uint8_t protect;          /* RDPROTECT/WRPROTECT/VRPROTECT as in the CDB */
	bool fua, dpo;
	/* From a 32-byte CDB: expected initial reference tag and application
	 * tag with its mask. Otherwise (has_expected false) the reference tag
	 * follows the LBA and the application tag is not checked. */
	bool has_expected;
	uint32_t exp_ref_tag;
	uint16_t exp_app_tag;
	uint16_t app_mask;
};

/* Bytes one block occupies in an initiator's buffer: its data, and its
 * tuple when the command's PROTECT field is non-zero. */
static inline uint64_t tcmud_buffer_block_bytes(const struct tcmud_scsi_dev *dev, uint8_t protect)
{
	return (uint64_t)dev->hdev.block_size + (protect ? TCMUD_PI_TUPLE_SIZE : 0);
}

/* Bytes the transfer occupies in the buffer (with PI when protect != 0). */
uint64_t tcmud_blocks_buffer_bytes(const struct tcmud_scsi_dev *dev, const struct tcmud_blocks *b);

/*
 * Validate a PROTECT field for the device: 0 when acceptable; otherwise the
 * sense the SBC tables require (INVALID FIELD IN CDB at byte/bit of the
 * field, or INVALID OPCODE for a type 2 device and a non-32-byte CDB) is set
 * and CHECK CONDITION returned.
 */
int tcmud_sbc_check_protect(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    uint8_t protect, unsigned int byte, int bit);

/* Handler -> buffer, checking stored PI as the device type and RDPROTECT
 * require (ABORTED COMMAND 10/01..03 with the LBA on a mismatch). */
int tcmud_sbc_read_blocks(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			  const struct tcmud_blocks *b);
/* Like a read with VRPROTECT semantics, but only checks: nothing is returned
 * (VERIFY with BYTCHK 0). */
int tcmud_sbc_verify_blocks(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    const struct tcmud_blocks *b);
/* Buffer -> handler: PI checked per WRPROTECT, or generated when the buffer
 * has none and the device has PI. */
int tcmud_sbc_write_blocks(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			   const struct tcmud_blocks *b);

/* Whether [lba, lba + nr) fits the device (written so that it cannot overflow). */
static inline bool tcmud_sbc_range_fits(const struct tcmud_scsi_dev *dev, uint64_t lba,
					uint64_t nr)
{
	return lba <= dev->hdev.num_lbas && nr <= dev->hdev.num_lbas - lba;
}

/* LBA OUT OF RANGE unless [lba, lba + nr) fits the device. 0 if it fits. */
int tcmud_sbc_check_range(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
			  uint64_t nr);
/* DATA PROTECT when the device is write protected (read_only or SWP). */
int tcmud_sbc_check_writable(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
/* INVALID FIELD IN COMMAND INFORMATION UNIT when the transport's buffer
 * holds fewer than off + bytes bytes. */
int tcmud_sbc_check_buffer(struct tcmud_cmd *cmd, uint64_t off, uint64_t bytes);
/* A handler's return value as a SAM status (garbage becomes HARDWARE ERROR). */
int tcmud_handler_status(struct tcmud_cmd *cmd, int st);
/* Data-In of exactly bytes: read_len set when the buffer is larger. */
void tcmud_set_read_len(struct tcmud_cmd *cmd, uint64_t bytes);

/* A scratch buffer of at least bytes (contents undefined), or NULL. */
void *tcmud_scratch(struct tcmud_scsi_dev *dev, enum tcmud_scratch_slot slot, size_t bytes);
/* HARDWARE ERROR / INTERNAL TARGET FAILURE, e.g. for a failed allocation. */
int tcmud_scsi_internal_failure(struct tcmud_cmd *cmd);

/* Response helpers (scsi_exec.c). */

/* ILLEGAL REQUEST, INVALID FIELD IN CDB pointing at byte (and bit, or -1). */
int tcmud_scsi_invalid_field(struct tcmud_cmd *cmd, unsigned int byte, int bit);

/*
 * Return len bytes of buf as Data-In, truncated to alloc_len and to the
 * buffer; sets read_len when fewer bytes than the buffer holds were written.
 */
/* GOOD for a command that transfers no data (a stray buffer reads as zeros). */
int tcmud_scsi_no_data(struct tcmud_cmd *cmd);
int tcmud_scsi_data_in(struct tcmud_cmd *cmd, const void *buf, size_t len,
		       size_t alloc_len);

#endif /* TCMUD_SCSI_INTERNAL_H */
