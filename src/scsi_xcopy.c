/* SPDX-License-Identifier: Apache-2.0 */
/* EXTENDED COPY and RECEIVE COPY RESULTS. */
#include "scsi_internal.h"

const struct tcmud_scsi_cmd_desc tcmud_cmds_xcopy[] = {
	{0},
};
