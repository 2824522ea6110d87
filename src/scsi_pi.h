/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protection information (T10 DIF) in the SCSI data path: which checks a
 * PROTECT code performs, the tags a command expects, the sense a failed
 * check reports, and the interleaved buffers of RDPROTECT/WRPROTECT != 0.
 *
 * The rules (SBC-4 4.22 and the RDPROTECT/WRPROTECT/VRPROTECT tables):
 *  - PROTECT 0, 1, 5 check guard, application tag and reference tag;
 *    2 the two tags; 3 nothing; 4 the guard. A plain write (WRPROTECT 0)
 *    generates PI instead of checking any.
 *  - The reference tag is known for type 1 (low 32 bits of the LBA) and,
 *    for type 2, from the EXPECTED INITIAL LOGICAL BLOCK REFERENCE TAG of a
 *    32-byte CDB; type 3's is never checked. The application tag is known
 *    only from a 32-byte CDB (EXPECTED LOGICAL BLOCK APPLICATION TAG under
 *    its mask, as with ATO=1: the device never changes application tags).
 *  - Generated PI: guard = CRC, application tag 0 (from a 32-byte CDB: the
 *    expected tag under its mask), reference tag per type: type 1 the LBA,
 *    type 2 the expected initial tag of a 32-byte CDB or else the LBA,
 *    counting up per block; type 3 0xFFFFFFFF.
 *  - Escapes (application tag 0xFFFF; for type 3 also reference tag
 *    0xFFFFFFFF) disable every check of a block, so never-written blocks
 *    (0xFF tuples) read fine.
 *  - A failed check is ABORTED COMMAND with LOGICAL BLOCK GUARD /
 *    APPLICATION TAG / REFERENCE TAG CHECK FAILED (10/01, 10/02, 10/03) and
 *    the failing LBA in the INFORMATION field.
 */
#ifndef TCMUD_SCSI_PI_H
#define TCMUD_SCSI_PI_H

#include <stddef.h>
#include <stdint.h>

#include "dif.h"
#include "scsi_internal.h"

/*
 * From a 32-byte CDB (READ, VERIFY, WRITE, WRITE AND VERIFY (32): bytes
 * 20-27) set b's expected reference tag, application tag and mask and
 * has_expected; for any other CDB clear has_expected.
 */
void tcmud_cdb_decode_pi_tags(const uint8_t *cdb, size_t cdb_len, struct tcmud_blocks *b);

/* The TCMUD_DIF_CHECK_* that b's PROTECT code performs on this device
 * (for a write with protect 0 there is nothing to check: PI is generated). */
uint8_t tcmud_pi_checks(const struct tcmud_scsi_dev *dev, const struct tcmud_blocks *b);

/*
 * Check nr tuples in pi against the data of the blocks starting at block
 * index first of b, performing checks (TCMUD_DIF_CHECK_*). GOOD, or CHECK
 * CONDITION with the PI sense for the first failing block.
 */
int tcmud_pi_verify(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		    const struct tcmud_blocks *b, uint32_t first, const struct iovec *data,
		    size_t cnt, uint32_t nr, const uint8_t *pi, uint8_t checks);

/* Generate nr tuples into pi for the data of the blocks starting at block
 * index first of b (a write with WRPROTECT 0). GOOD or CHECK CONDITION. */
int tcmud_pi_generate(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		      const struct tcmud_blocks *b, uint32_t first, const struct iovec *data,
		      size_t cnt, uint32_t nr, uint8_t *pi);

/*
 * Describe the data parts of b's interleaved buffer (protect != 0) as
 * iovecs in scratch slot iov_slot (zero copy), copying the tuples to pi_out
 * unless it is NULL. GOOD, or CHECK CONDITION (buffer too short: INVALID
 * FIELD IN COMMAND INFORMATION UNIT; no memory: internal failure).
 */
int tcmud_pi_split(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		   const struct tcmud_blocks *b, enum tcmud_scratch_slot iov_slot,
		   struct iovec **iov, size_t *cnt, uint8_t *pi_out);

/*
 * Check the initiator's PI in b's interleaved Data-Out buffer as WRPROTECT
 * b->protect requires, without writing anything (for commands that compare
 * or verify before they write). GOOD when there is nothing to check
 * (protect 0, no PI, no blocks). Uses scratch slots IOV2 and PI2.
 */
int tcmud_sbc_check_pi_out(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			   const struct tcmud_blocks *b);

#endif /* TCMUD_SCSI_PI_H */
