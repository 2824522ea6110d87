/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The directory of the SCSI devices this process serves, so that a command
 * on one device (EXTENDED COPY) can find another by the designator it
 * reports in VPD page 0x83. It also keeps the per-device state a copy
 * manager needs between commands: the results of completed copies.
 *
 * Devices register in tcmud_scsi_dev_init() and leave in
 * tcmud_scsi_dev_fini(), before their resources go away. A device found
 * with tcmud_dir_get() stays valid until tcmud_dir_put(): leaving waits for
 * that, and a device that is leaving is never handed out.
 */
#ifndef TCMUD_SCSI_DIRECTORY_H
#define TCMUD_SCSI_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scsi.h"

/* Add dev (its ident may still change: designators are computed at lookup). 0 or -ENOMEM. */
int tcmud_dir_register(struct tcmud_scsi_dev *dev);
/* Remove dev, waiting until nobody holds it from tcmud_dir_get(). No-op if absent. */
void tcmud_dir_unregister(struct tcmud_scsi_dev *dev);

/*
 * A registered device, not leaving, whose NAA designator is desig (len
 * bytes); the first registered wins when several match. The device is held
 * until tcmud_dir_put(); *seq (may be NULL) gets its registration number.
 * NULL when none matches.
 */
struct tcmud_scsi_dev *tcmud_dir_get(const uint8_t *desig, size_t len, uint64_t *seq);
void tcmud_dir_put(struct tcmud_scsi_dev *dev);

/* dev's registration number (lower is older); false if dev is not registered. */
bool tcmud_dir_seq(const struct tcmud_scsi_dev *dev, uint64_t *seq);

/* ---- copy results kept per device and list identifier ------------------ */

#define TCMUD_COPY_SENSE_MAX 64
/* Results kept per device; storing more drops the oldest. */
#define TCMUD_COPY_RESULTS_MAX 8

struct tcmud_copy_result {
	uint8_t list_id;
	uint8_t status;            /* COPY MANAGER STATUS: 1 without errors, 2 with errors */
	bool status_held;          /* for RECEIVE COPY STATUS */
	bool details_held;         /* for RECEIVE COPY FAILURE DETAILS */
	uint16_t segments;         /* segment descriptors processed */
	uint64_t bytes;            /* bytes written to destinations */
	uint8_t cmd_status;        /* SAM status the EXTENDED COPY completed with */
	uint8_t sense_len;
	uint8_t sense[TCMUD_COPY_SENSE_MAX];
};

/* Keep r for dev, replacing a result with the same list id. No-op if dev is not registered. */
void tcmud_dir_result_store(const struct tcmud_scsi_dev *dev, const struct tcmud_copy_result *r);
/* A copy of dev's result for list_id; false if none is held. */
bool tcmud_dir_result_get(const struct tcmud_scsi_dev *dev, uint8_t list_id,
			  struct tcmud_copy_result *out);
/* Stop holding parts of a result; the result goes when nothing is held. */
void tcmud_dir_result_release(const struct tcmud_scsi_dev *dev, uint8_t list_id, bool status,
			      bool details);
/* Forget dev's result for list_id, if any. */
void tcmud_dir_result_discard(const struct tcmud_scsi_dev *dev, uint8_t list_id);

#endif /* TCMUD_SCSI_DIRECTORY_H */
