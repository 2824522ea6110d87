/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the verify family (scsi_sbc_verify.c, scsi_sbc_compare.c,
 * scsi_sbc_caw.c): the decoded CDB these commands share, reads of the medium
 * compared with the Data-Out Buffer, and the checks of the initiator's PI.
 */
#ifndef TCMUD_SCSI_SBC_VERIFY_H
#define TCMUD_SCSI_SBC_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scsi_internal.h"

#define TCMUD_OP_VARIABLE_LENGTH 0x7f

/*
 * The fields of a VERIFY, WRITE AND VERIFY, COMPARE AND WRITE, ORWRITE or
 * WRITE ATOMIC CDB that locate and protect its blocks.
 */
struct tcmud_xfer {
	uint64_t lba;
	uint32_t nr_blocks;
	uint8_t protect;            /* VRPROTECT, WRPROTECT or ORPROTECT */
	bool dpo, fua;
	unsigned int flags_byte;    /* the byte holding PROTECT (1, or 10 of a 32-byte CDB) */
	/* 32-byte VERIFY, WRITE AND VERIFY and WRITE ATOMIC carry PI tags. */
	bool has_expected;
	uint32_t exp_ref_tag;
	uint16_t exp_app_tag, app_mask;
};

/* What every command of the family does first: decode the CDB and check its
 * PROTECT field for the device. 0, or the CHECK CONDITION status. */
int tcmud_xfer_begin(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, struct tcmud_xfer *x);

/* Bytes one block takes in the initiator's buffer (data, plus a tuple with PROTECT). */
static inline uint64_t tcmud_xfer_per_block(const struct tcmud_scsi_dev *dev,
					    const struct tcmud_xfer *x)
{
	return tcmud_buffer_block_bytes(dev, x->protect);
}

/* Blocks [first, first + nr) of x as a data path request over iov from byte off. */
struct tcmud_blocks tcmud_xfer_blocks(const struct tcmud_xfer *x, uint32_t first, uint32_t nr,
				      const struct iovec *iov, size_t cnt, size_t off);

/* Blocks per pass when a range is worked through a scratch buffer (>= 1). */
uint32_t tcmud_xfer_chunk(uint64_t per_block);

/*
 * Read blocks [first, first + nr) of x from the medium into the DATA scratch
 * buffer, laid out as the initiator sees them (each block followed by its
 * tuple when x->protect), checking stored PI as the PROTECT field asks.
 * nr must not exceed tcmud_xfer_chunk(). Returns the buffer, or NULL with
 * *st set to the CHECK CONDITION.
 */
uint8_t *tcmud_xfer_read_chunk(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			       const struct tcmud_xfer *x, uint32_t first, uint32_t nr, int *st);

/*
 * Compare the user data of all blocks of x on the medium with the Data-Out
 * Buffer laid out from byte off (tuples are not compared: the initiator's
 * are checked by tcmud_xfer_check_pi, the medium's by the read). GOOD, or
 * MISCOMPARE / MISCOMPARE DURING VERIFY OPERATION with the offset of the
 * first differing byte from the start of the Data-Out Buffer in INFORMATION,
 * or the read's failure.
 */
int tcmud_xfer_compare(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		       const struct tcmud_xfer *x, size_t off);

/*
 * Check, without storing anything, the tuples the initiator sent for blocks
 * [first, first + nr) of x at byte off of the Data-Out Buffer, as the PROTECT
 * field asks. GOOD (also when x->protect is 0), or ABORTED COMMAND with the
 * failing check and LBA.
 */
int tcmud_xfer_check_pi(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			const struct tcmud_xfer *x, uint32_t first, uint32_t nr, size_t off);

/* Index of the first byte where a and b differ (len when they do not). */
static inline size_t tcmud_first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i = 0;

	while (i < len && a[i] == b[i])
		i++;
	return i;
}

/* MISCOMPARE DURING VERIFY OPERATION at byte offset off of the Data-Out Buffer. */
int tcmud_xfer_miscompare(struct tcmud_cmd *cmd, uint64_t off);

/* Walks an iovec array as one byte stream. */
struct tcmud_iov_cursor {
	const struct iovec *iov;
	size_t cnt;
	size_t idx;                 /* current entry */
	size_t pos;                 /* bytes of it already passed */
};

void tcmud_cursor_init(struct tcmud_iov_cursor *c, const struct iovec *iov, size_t cnt,
		       size_t off);
/* Compare the next len bytes with want and move past them. true when equal;
 * otherwise *diff is the index of the first differing byte (or of the end of
 * the buffer when it is shorter). */
bool tcmud_cursor_equal(struct tcmud_iov_cursor *c, const uint8_t *want, size_t len,
			size_t *diff);
/* OR the next len bytes into dst and move past them. Bytes the buffer lacks
 * leave dst unchanged. */
void tcmud_cursor_or(struct tcmud_iov_cursor *c, uint8_t *dst, size_t len);
void tcmud_cursor_skip(struct tcmud_iov_cursor *c, size_t len);

/* Commands in scsi_sbc_caw.c. */
int tcmud_sbc_compare_and_write(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_orwrite(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_write_atomic(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

#endif /* TCMUD_SCSI_SBC_VERIFY_H */
