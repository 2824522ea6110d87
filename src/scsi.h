/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SCSI layer: CDB decoding, SPC/SBC emulation, sense formatting.
 *
 * Transport independent: a transport (the TCMU ring, later the Xen PV SCSI
 * ring) builds a struct tcmud_cmd, calls tcmud_scsi_execute(), and turns the
 * result into its own completion format (tcmud_sense_format() for sense).
 */
#ifndef TCMUD_SCSI_H
#define TCMUD_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcmud/handler.h"

/* Device identity the SPC emulation reports (INQUIRY, VPD 0x80/0x83). */
struct tcmud_scsi_ident {
	char vendor[9];           /* T10 vendor id, space padded on output */
	char product[17];
	char revision[5];
	char unit_serial[256];    /* wwn/vpd_unit_serial from configfs */
	uint64_t naa;             /* NAA 6 designator derived from the serial */
};

/* Per-device SCSI state, owned by the device (one per LUN). */
struct tcmud_scsi_dev {
	struct tcmud_hdev hdev;                 /* what the handler sees */
	const struct tcmud_handler *handler;
	struct tcmud_scsi_ident ident;
	bool d_sense;                           /* report descriptor-format sense */
};

/* Fill ident from a unit serial (NAA derived deterministically from it). */
void tcmud_scsi_ident_init(struct tcmud_scsi_ident *id, const char *unit_serial);

/*
 * Execute one command against a device. Always fills cmd->status (and
 * cmd->sense on CHECK CONDITION, cmd->read_len when a Data-In transfer was
 * shorter than the buffer). Returns cmd->status. Never fails otherwise.
 */
int tcmud_scsi_execute(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd);

/*
 * CDB length from the opcode's group code (and, for variable-length CDBs,
 * the ADDITIONAL CDB LENGTH byte, which needs the first 8 bytes). Returns 0
 * for an opcode group with no defined length.
 */
size_t tcmud_cdb_length(const uint8_t *cdb, size_t avail);

/* A decoded READ/WRITE/VERIFY-family CDB. */
struct tcmud_cdb_rw {
	uint64_t lba;
	uint32_t nr_blocks;      /* transfer length in blocks (6-byte: 0 means 256) */
	bool fua;
	bool dpo;
	uint8_t protect;         /* RDPROTECT/WRPROTECT/VRPROTECT */
	uint8_t group;
};

/*
 * Decode the LBA / transfer length / flags of READ and WRITE 6/10/12/16
 * (and 32 for the variable-length service actions). Returns 0 or -EINVAL
 * for an opcode it does not decode.
 */
int tcmud_cdb_decode_rw(const uint8_t *cdb, size_t cdb_len, struct tcmud_cdb_rw *rw);

/*
 * Format sense data. descriptor selects descriptor format (0x72); fixed
 * format (0x70) is used otherwise, except that an INFORMATION value that does
 * not fit 32 bits forces descriptor format. Returns the number of bytes
 * written (<= len).
 */
size_t tcmud_sense_format(const struct tcmud_sense *sense, bool descriptor,
			  uint8_t *buf, size_t len);

/* Bytes in an iovec array. */
uint64_t tcmud_iov_length(const struct iovec *iov, size_t cnt);

/* Copy between a flat buffer and an iovec array, starting at byte off. */
size_t tcmud_iov_from_buf(const struct iovec *iov, size_t cnt, size_t off,
			  const void *buf, size_t len);
size_t tcmud_iov_to_buf(const struct iovec *iov, size_t cnt, size_t off,
			void *buf, size_t len);
/* Set bytes [off, end) of the iovec array to zero. */
void tcmud_iov_zero_from(const struct iovec *iov, size_t cnt, size_t off);

#endif /* TCMUD_SCSI_H */
