/* SPDX-License-Identifier: Apache-2.0 */
/* PRE-FETCH, START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL. */
#include "scsi_internal.h"

const struct tcmud_scsi_cmd_desc tcmud_cmds_sbc_misc[] = {
	{0},
};
