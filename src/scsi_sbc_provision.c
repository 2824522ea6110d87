/* SPDX-License-Identifier: Apache-2.0 */
/* WRITE SAME, UNMAP, GET LBA STATUS, FORMAT UNIT, SANITIZE. */
#include "scsi_internal.h"

const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_prov[] = {
	{0},
};
