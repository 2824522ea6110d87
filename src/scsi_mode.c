/* SPDX-License-Identifier: Apache-2.0 */
/* MODE SENSE and MODE SELECT (the mode pages themselves live in scsi_spc.c for now). */
#include "scsi_internal.h"

const struct tcmud_scsi_cmd_desc tcmud_cmds_mode[] = {
	{.name = "MODE SENSE(6)", .opcode = 0x1a, .cdb_len = 6,
	 .usage = {0x1a, 0x08, 0xff, 0xff, 0xff, 0x00}, .fn = tcmud_spc_mode_sense},
	{.name = "MODE SENSE(10)", .opcode = 0x5a, .cdb_len = 10,
	 .usage = {0x5a, 0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = tcmud_spc_mode_sense},
	{0},
};
