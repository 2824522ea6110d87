/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcmud handler API.
 *
 * A handler is a backing store for SCSI block devices. The daemon owns the
 * transport (the TCMU ring today, other rings later) and the SCSI command
 * set: it decodes every CDB, emulates the SPC/SBC commands that depend only
 * on device facts (INQUIRY, READ CAPACITY, MODE SENSE, ...), checks LBA
 * ranges and transfer lengths, and calls the handler only for what touches
 * data. A handler module exports one symbol:
 *
 *     const struct tcmud_handler tcmud_handler = { .api_version = ..., ... };
 *
 * Every data buffer a handler sees is an iovec pointing straight into the
 * transport's shared memory (zero copy). Handlers are called from the
 * device's thread; one device is never entered by two threads at once.
 */
#ifndef TCMUD_HANDLER_H
#define TCMUD_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Version 2 added protection information (tcmud_io.pi, tcmud_hdev.pi_type),
 * thin provisioning (unmap, lba_status), daemon-wide handler settings
 * (configure) and the reason passed to close. Version 3 added mem_used.
 * Modules built for another version are refused at load.
 */
#define TCMUD_HANDLER_API_VERSION 3
#define TCMUD_HANDLER_SYMBOL "tcmud_handler"

/* The longest CDB the daemon accepts (variable-length CDBs included). */
#define TCMUD_MAX_CDB_LEN 260

/* SAM status codes. */
enum tcmud_sam_status {
	TCMUD_STATUS_GOOD = 0x00,
	TCMUD_STATUS_CHECK_CONDITION = 0x02,
	TCMUD_STATUS_CONDITION_MET = 0x04,
	TCMUD_STATUS_BUSY = 0x08,
	TCMUD_STATUS_RESERVATION_CONFLICT = 0x18,
	TCMUD_STATUS_TASK_SET_FULL = 0x28,
	TCMUD_STATUS_TASK_ABORTED = 0x40,
};

/* Sense keys. */
enum tcmud_sense_key {
	TCMUD_SK_NO_SENSE = 0x0,
	TCMUD_SK_RECOVERED_ERROR = 0x1,
	TCMUD_SK_NOT_READY = 0x2,
	TCMUD_SK_MEDIUM_ERROR = 0x3,
	TCMUD_SK_HARDWARE_ERROR = 0x4,
	TCMUD_SK_ILLEGAL_REQUEST = 0x5,
	TCMUD_SK_UNIT_ATTENTION = 0x6,
	TCMUD_SK_DATA_PROTECT = 0x7,
	TCMUD_SK_ABORTED_COMMAND = 0xb,
	TCMUD_SK_MISCOMPARE = 0xe,
};

/* Additional sense code and qualifier, as (ASC << 8) | ASCQ. */
enum tcmud_asc {
	TCMUD_ASC_NO_ADDITIONAL_SENSE = 0x0000,
	TCMUD_ASC_LU_COMM_FAILURE = 0x0800,
	TCMUD_ASC_WRITE_ERROR = 0x0c00,
	TCMUD_ASC_GUARD_CHECK_FAILED = 0x1001,
	TCMUD_ASC_APP_TAG_CHECK_FAILED = 0x1002,
	TCMUD_ASC_REF_TAG_CHECK_FAILED = 0x1003,
	TCMUD_ASC_READ_ERROR = 0x1100,
	TCMUD_ASC_MISCOMPARE_DURING_VERIFY = 0x1d00,
	TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR = 0x1a00,
	TCMUD_ASC_INVALID_OPCODE = 0x2000,
	TCMUD_ASC_LBA_OUT_OF_RANGE = 0x2100,
	TCMUD_ASC_INVALID_FIELD_IN_CDB = 0x2400,
	TCMUD_ASC_LUN_NOT_SUPPORTED = 0x2500,
	TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST = 0x2600,
	TCMUD_ASC_WRITE_PROTECTED = 0x2700,
	TCMUD_ASC_HARDWARE_WRITE_PROTECTED = 0x2701,
	TCMUD_ASC_SOFTWARE_WRITE_PROTECTED = 0x2702,
	TCMUD_ASC_SPACE_ALLOC_FAILED_WRITE_PROTECT = 0x2707,
	TCMUD_ASC_CAPACITY_CHANGED = 0x2a09,
	TCMUD_ASC_SAVING_PARAMS_NOT_SUPPORTED = 0x3900,
	TCMUD_ASC_INTERNAL_TARGET_FAILURE = 0x4400,
};

/*
 * Sense data in structured form. The daemon formats it (fixed or descriptor)
 * when it completes the command.
 */
struct tcmud_sense {
	uint8_t key;
	uint16_t asc_ascq;
	bool info_valid;    /* INFORMATION field, e.g. the failing LBA */
	uint64_t info;
	bool sks_valid;     /* sense-key specific bytes (field pointer, ...) */
	uint8_t sks[3];
};

/*
 * One SCSI command, independent of the transport that carried it.
 * The transport fills the request part; the SCSI layer and the handler fill
 * the response part.
 */
struct tcmud_cmd {
	/* request */
	uint8_t cdb[TCMUD_MAX_CDB_LEN]; /* a private copy, never shared memory */
	uint16_t cdb_len;
	struct iovec *iov;              /* Data-Out (writes) or Data-In (reads) */
	size_t iov_cnt;
	struct iovec *bidi_iov;         /* Data-In of a bidirectional command */
	size_t bidi_iov_cnt;
	uint64_t data_len;              /* sum of iov[].iov_len */

	/* response */
	uint8_t status;                 /* enum tcmud_sam_status */
	bool read_len_valid;            /* set when fewer than data_len bytes were read */
	uint64_t read_len;
	struct tcmud_sense sense;

	/* transport bookkeeping, opaque to handlers */
	uint32_t tag;
};

/* Bytes of protection information per logical block (one T10 DIF tuple). */
#define TCMUD_PI_TUPLE_SIZE 8

/*
 * A decoded block I/O request handed to a handler's data operations.
 *
 * The daemon does all protection-information work (RDPROTECT/WRPROTECT,
 * generation, checking, interleaving with the initiator's buffer): the
 * handler only stores and returns tuples. When the device has PI
 * (tcmud_hdev.pi_type != 0), pi points at nr_blocks 8-byte tuples, in LBA
 * order: write stores them with the data, read fills them with what is
 * stored (0xFF bytes for a block never written or unmapped).
 */
struct tcmud_io {
	struct tcmud_cmd *cmd;
	uint64_t lba;
	uint32_t nr_blocks;
	struct iovec *iov;              /* exactly nr_blocks * block_size bytes */
	size_t iov_cnt;
	uint8_t *pi;                    /* nr_blocks * TCMUD_PI_TUPLE_SIZE, or NULL */
	bool fua;                       /* force unit access */
	bool dpo;
};

/* The handler's view of a device. The daemon owns everything but priv. */
struct tcmud_hdev {
	const char *name;               /* configfs device name, e.g. "rd0" */
	/* Identity: the configfs HBA (user_<hba>) and the T10 unit serial ("" if
	 * unset). Together with name they tell this device from any other. */
	unsigned int hba;
	const char *unit_serial;
	const char *cfgstring;          /* dev_config after "<subtype>/", maybe "" */
	uint64_t num_lbas;              /* capacity in blocks */
	uint32_t block_size;            /* hw_block_size */
	uint32_t max_sectors;           /* hw_max_sectors */
	bool write_cache;               /* emulate_write_cache */

	/* Set by the handler's open() from its configuration (all 0 before): */
	uint8_t pi_type;                /* T10 DIF type 1, 2 or 3; 0 for none */
	bool read_only;                 /* every write fails with DATA PROTECT */
	bool unmap_zeroes;              /* unmapped blocks read as zeros (LBPRZ) */
	uint32_t unmap_granularity;     /* blocks; optimal UNMAP granularity, 0 = 1 */

	void *priv;                     /* handler-owned */
};

/* Why a device is closed: removed from the kernel, or the daemon stopping. */
enum tcmud_close_reason {
	TCMUD_CLOSE_SHUTDOWN = 0,       /* the device lives on; keep what persists */
	TCMUD_CLOSE_REMOVED,            /* the device is gone; drop its storage */
	TCMUD_CLOSE_FAILED,             /* open failed after the handler's open */
};

/* What a RECONFIG changed; fields not flagged are unchanged. */
struct tcmud_reconfig {
	bool size_changed;
	uint64_t new_num_lbas;
	bool cfgstring_changed;
	const char *new_cfgstring;
	bool write_cache_changed;
	bool new_write_cache;
};

/* Returned by handle_cdb() for commands it leaves to the daemon. */
#define TCMUD_NOT_HANDLED (-1)

struct tcmud_handler {
	uint32_t api_version;           /* TCMUD_HANDLER_API_VERSION */
	const char *subtype;            /* "rd": serves dev_config "rd/..." */
	const char *cfg_desc;           /* one line describing the cfgstring */

	/* A daemon-wide setting for this handler ("mem_limit", "1G"), from the
	 * command line or configuration. 0, or -errno with a reason. Optional:
	 * NULL refuses every setting. */
	int (*configure)(const char *key, const char *value, char *why, size_t why_len);

	/* Validate a cfgstring: dev_config without the leading "<subtype>/"
	 * ("" for "rd" and "rd/"). 0, or -errno with a reason in why. Optional. */
	int (*check_config)(const char *cfgstring, char *why, size_t why_len);

	/* Bring a device up / down. open returns 0 or -errno (reason in why). */
	int (*open)(struct tcmud_hdev *dev, char *why, size_t why_len);
	void (*close)(struct tcmud_hdev *dev, enum tcmud_close_reason reason);

	/* Apply a RECONFIG. 0 or -errno. Optional: NULL refuses every change. */
	int (*reconfig)(struct tcmud_hdev *dev, const struct tcmud_reconfig *rc);

	/* Data operations: return a SAM status; CHECK CONDITION with io->cmd->sense. */
	int (*read)(struct tcmud_hdev *dev, struct tcmud_io *io);
	int (*write)(struct tcmud_hdev *dev, struct tcmud_io *io);
	int (*flush)(struct tcmud_hdev *dev, struct tcmud_cmd *cmd); /* optional */

	/* Thin provisioning (optional; without unmap the device is fully
	 * provisioned). unmap deallocates nr_blocks at lba: afterwards they read
	 * as zeros when dev->unmap_zeroes, and their PI as 0xFF bytes. Returns a
	 * SAM status like the data operations. */
	int (*unmap)(struct tcmud_hdev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		     uint64_t nr_blocks);
	/* The provisioning status of the run of blocks starting at lba: *mapped
	 * and, in *nr_blocks, how many blocks (>= 1) share it. 0 or -errno. */
	int (*lba_status)(struct tcmud_hdev *dev, uint64_t lba, uint64_t *nr_blocks,
			  bool *mapped);

	/* Sees every CDB first. Optional; TCMUD_NOT_HANDLED falls through. */
	int (*handle_cdb)(struct tcmud_hdev *dev, struct tcmud_cmd *cmd);

	/* Bytes of memory the device holds now, for the status view. Optional.
	 * Called from the control thread while the device's thread serves
	 * commands: it must only read what it may read concurrently. */
	uint64_t (*mem_used)(const struct tcmud_hdev *dev);
};

/* Set CHECK CONDITION with the given sense; returns the status to return. */
static inline int tcmud_cmd_check_condition(struct tcmud_cmd *cmd, uint8_t key,
					    uint16_t asc_ascq)
{
	cmd->status = TCMUD_STATUS_CHECK_CONDITION;
	cmd->sense.key = key;
	cmd->sense.asc_ascq = asc_ascq;
	cmd->sense.info_valid = false;
	cmd->sense.sks_valid = false;
	return TCMUD_STATUS_CHECK_CONDITION;
}

/* Same, with the INFORMATION field set (e.g. the failing LBA). */
static inline int tcmud_cmd_check_condition_info(struct tcmud_cmd *cmd, uint8_t key,
						 uint16_t asc_ascq, uint64_t info)
{
	tcmud_cmd_check_condition(cmd, key, asc_ascq);
	cmd->sense.info_valid = true;
	cmd->sense.info = info;
	return TCMUD_STATUS_CHECK_CONDITION;
}

/* Logging from handlers goes to the daemon's log. */
enum tcmud_log_level {
	TCMUD_LOG_ERROR = 0,
	TCMUD_LOG_WARN,
	TCMUD_LOG_INFO,
	TCMUD_LOG_DEBUG,
};

void tcmud_log(enum tcmud_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* TCMUD_HANDLER_H */
