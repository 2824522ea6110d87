/* SPDX-License-Identifier: Apache-2.0 */
/* VERIFY, WRITE AND VERIFY, COMPARE AND WRITE, ORWRITE, WRITE ATOMIC. */
#include "scsi_internal.h"

const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_verify[] = {
	{0},
};
