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

#include <pthread.h>
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

/* Mode parameters an initiator may change with MODE SELECT. */
struct tcmud_scsi_mode {
	bool wce;                               /* caching page: write cache enabled */
	bool d_sense;                           /* control page: descriptor-format sense */
	bool swp;                               /* control page: software write protect */
};

/* Per-device scratch buffers, grown on demand, reused between commands. */
enum tcmud_scratch_slot {
	TCMUD_SCRATCH_PI,       /* PI tuples exchanged with the handler */
	TCMUD_SCRATCH_PI2,      /* a second set (PI received from the initiator) */
	TCMUD_SCRATCH_IOV,      /* iovec windows into the command's buffer */
	TCMUD_SCRATCH_IOV2,
	TCMUD_SCRATCH_DATA,     /* block data read for a compare or a copy */
	TCMUD_SCRATCH_DATA2,
	TCMUD_SCRATCH_NR
};

struct tcmud_scsi_scratch {
	void *buf[TCMUD_SCRATCH_NR];
	size_t cap[TCMUD_SCRATCH_NR];
};

/* Per-device SCSI state, owned by the device (one per LUN). */
struct tcmud_scsi_dev {
	struct tcmud_hdev hdev;                 /* what the handler sees */
	const struct tcmud_handler *handler;
	struct tcmud_scsi_ident ident;
	struct tcmud_scsi_mode mode;
	/*
	 * Held for the whole execution of each command: commands on one device
	 * are atomic against each other whatever transport or thread brings them
	 * (COMPARE AND WRITE, EXTENDED COPY from another device), and the
	 * scratch buffers are the holder's.
	 */
	pthread_mutex_t lock;
	struct tcmud_scsi_scratch scratch;
	/*
	 * Optional, set by the transport: bring ident up to date (targetcli
	 * sets the unit serial after the device is enabled, so the one known at
	 * open may be a fallback). Called with lock held before INQUIRY answers.
	 */
	void (*refresh_ident)(struct tcmud_scsi_dev *dev, void *ctx);
	void *refresh_ctx;
};

/*
 * Set up the SCSI state once hdev, handler and ident are filled and the
 * handler is open (mode defaults come from hdev). 0 or -errno.
 */
int tcmud_scsi_dev_init(struct tcmud_scsi_dev *dev);
void tcmud_scsi_dev_fini(struct tcmud_scsi_dev *dev);

/* Fill ident from a unit serial (NAA derived deterministically from it). */
void tcmud_scsi_ident_init(struct tcmud_scsi_ident *id, const char *unit_serial);

/* The NAA IEEE Registered Extended designator of VPD page 0x83: its bytes
 * (without the 4-byte descriptor header) for id. EXTENDED COPY matches
 * copy targets against it. */
#define TCMUD_NAA_DESIG_LEN 16
void tcmud_scsi_naa_designator(const struct tcmud_scsi_ident *id,
			       uint8_t out[TCMUD_NAA_DESIG_LEN]);

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
/*
 * Describe bytes [off, off + len) of an iovec array as a new array in dst
 * (zero copy). Returns the number of entries, or 0 when the source is
 * shorter than off + len or dst has fewer than needed (len 0 gives 0 too).
 */
size_t tcmud_iov_window(const struct iovec *iov, size_t cnt, size_t off, size_t len,
			struct iovec *dst, size_t dst_cap);
/* Entries tcmud_iov_window() may need for len bytes at off (an upper bound). */
size_t tcmud_iov_window_max(const struct iovec *iov, size_t cnt, size_t off, size_t len);

#endif /* TCMUD_SCSI_H */
