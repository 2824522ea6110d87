/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the provisioning and medium commands (scsi_sbc_provision.c,
 * scsi_sbc_unmap.c, scsi_sbc_format.c): parameter-list errors, one block
 * written over a range of blocks, deallocation, and the command functions
 * the table in scsi_sbc_provision.c dispatches to.
 */
#ifndef TCMUD_SCSI_SBC_PROV_H
#define TCMUD_SCSI_SBC_PROV_H

#include <stdbool.h>
#include <stdint.h>

#include "scsi_internal.h"

/* ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST pointing at byte (and
 * bit, or -1) of the parameter list. */
int tcmud_param_invalid_field(struct tcmud_cmd *cmd, unsigned int byte, int bit);
/* ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR. */
int tcmud_param_length_error(struct tcmud_cmd *cmd);
/* The highest bit set in v (v != 0), for a field pointer. */
int tcmud_top_bit(uint8_t v);

/* Thin provisioned: the handler can deallocate blocks (LBPME=1). */
bool tcmud_prov_thin(const struct tcmud_scsi_dev *dev);

/* One block written to every block of a range (WRITE SAME and friends). */
struct tcmud_same {
	const uint8_t *block;     /* block_size bytes of data */
	const uint8_t *tuple;     /* its PI tuple when protect != 0, else NULL */
	uint8_t protect;          /* WRPROTECT the data path checks the tuple by */
	bool ref_increments;      /* the ref tag goes up by one per block */
	bool has_expected;        /* from a 32-byte CDB, as in tcmud_blocks */
	uint32_t exp_ref_tag;
	uint16_t exp_app_tag;
	uint16_t app_mask;
};

/* Write s over [lba, lba + nr) through the data path, in chunks of at most
 * TCMUD_CHUNK_BYTES. Range and write protection are the caller's. */
int tcmud_prov_write_same(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
			  uint64_t nr, const struct tcmud_same *s);

/* Deallocate [lba, lba + nr) through the handler's unmap (thin devices). */
int tcmud_prov_unmap(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		     uint64_t nr);

/*
 * Make [lba, lba + nr) read as zeros with PI of 0xFF bytes: deallocated when
 * may_unmap and the device is thin with LBPRZ, written otherwise.
 */
int tcmud_prov_zero(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		    uint64_t nr, bool may_unmap);

/* Commands (scsi_sbc_unmap.c, scsi_sbc_format.c). */
int tcmud_sbc_unmap(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_get_lba_status(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_format_unit(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_sanitize(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

#endif /* TCMUD_SCSI_SBC_PROV_H */
