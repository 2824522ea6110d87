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

/* SPC emulation (scsi_spc.c). */
int tcmud_spc_inquiry(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_spc_test_unit_ready(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_spc_request_sense(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_spc_mode_sense(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_spc_report_luns(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

/* SBC emulation and data commands (scsi_sbc.c). */
int tcmud_sbc_read_capacity10(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_service_action_in16(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_read(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_write(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);
int tcmud_sbc_sync_cache(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

#endif /* TCMUD_SCSI_INTERNAL_H */
