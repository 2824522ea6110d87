/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCMU command ring engine.
 *
 * A pure module over one shared memory region (mailbox + command ring + data
 * area, as target_core_user maps it) and a doorbell callback. It makes no
 * system calls, so tests drive it with a simulated kernel producer.
 *
 * Everything read from the region is untrusted: every entry length, op,
 * cmd_id, iov, iov count and cdb_off is checked against the mapping before
 * use, and each value is read once (copied out, then validated). A bad entry
 * marks the ring broken; the caller stops serving the device. Nothing outside
 * the mapping is ever read or written.
 *
 * Completion uses the kernel's out-of-order protocol: the response for any
 * outstanding command is written into the CMD slot at cmd_tail with that
 * command's cmd_id, and cmd_tail advances by the slot's length. PAD and TMR
 * entries between tail and the parse position are skipped automatically.
 */
#ifndef TCMUD_RING_H
#define TCMUD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "tcmud/handler.h"

typedef void (*tcmud_doorbell_fn)(void *ctx);

#define TCMUD_RING_MAX_CMD_ID 65536

struct tcmud_ring {
	uint8_t *base;            /* start of the mapping */
	size_t size;              /* length of the mapping */
	uint32_t cmdr_off;        /* validated copies of the mailbox geometry */
	uint32_t cmdr_size;
	size_t data_off;          /* first byte of the data area */
	uint16_t mb_flags;        /* TCMU_MAILBOX_FLAG_CAP_* */

	uint32_t next;            /* ring offset of the next entry to parse */
	uint32_t tail;            /* ring offset of the next slot to complete into */
	uint32_t tail_published;  /* cmd_tail value last stored in the mailbox */
	uint32_t outstanding;     /* parsed CMD entries not yet completed */

	tcmud_doorbell_fn doorbell;
	void *doorbell_ctx;

	bool broken;
	char why[192];            /* why the ring is broken */

	uint64_t inflight[TCMUD_RING_MAX_CMD_ID / 64]; /* bit per outstanding cmd_id */
	uint64_t aborted[TCMUD_RING_MAX_CMD_ID / 64];  /* outstanding, named by a TMR */

	/* counters */
	uint64_t cmds;
	uint64_t tmrs;
	uint64_t pads;
	uint64_t doorbells;
};

/* What tcmud_ring_next() found. */
enum tcmud_ring_event {
	TCMUD_RING_BROKEN = -1,   /* corrupt entry: r->why says what */
	TCMUD_RING_EMPTY = 0,     /* nothing between next and cmd_head */
	TCMUD_RING_CMD = 1,       /* *cmd filled; complete it with cmd->tag */
	TCMUD_RING_TMR = 2,       /* *tmr filled; named commands were marked aborted */
};

struct tcmud_ring_tmr {
	uint8_t type;             /* TCMU_TMR_* */
	uint32_t cmd_cnt;         /* how many cmd_ids it named */
	uint32_t aborted;         /* how many outstanding ones it newly marked aborted
				     (one already marked is not counted again) */
};

/* The reply the engine writes for one command. */
struct tcmud_ring_rsp {
	uint8_t status;
	bool unknown_op;          /* TCMU_UFLAG_UNKNOWN_OP */
	bool read_len_valid;      /* TCMU_UFLAG_READ_LEN, with read_len */
	uint32_t read_len;
	const uint8_t *sense;     /* formatted sense, copied up to 96 bytes */
	size_t sense_len;
};

/*
 * Attach to a mapping. Checks the mailbox version (must be 2) and that the
 * ring geometry lies inside the mapping. Starts parsing and completing at the
 * mailbox's cmd_tail (so a restarted daemon resumes where the kernel expects).
 * Returns 0, -EPROTO (wrong version) or -EINVAL (bad geometry); r->why tells.
 */
int tcmud_ring_attach(struct tcmud_ring *r, void *base, size_t size,
		      tcmud_doorbell_fn doorbell, void *ctx);

/*
 * Parse the next entry. For a CMD, fills cmd (cdb copied, iovs translated to
 * pointers into the mapping and stored in iov_buf, which holds iov_cap
 * entries; cmd->tag = cmd_id). PAD entries are skipped. A TMR entry marks
 * every named command that is still outstanding as aborted (see
 * tcmud_ring_cmd_aborted()) and completes none of them: until the caller
 * completes it, a marked command keeps its cmd_id and its data buffers, which
 * the kernel frees and reuses only once it sees the completion. Ids that are
 * not outstanding are ignored. The TMR is reported through tmr (may be NULL);
 * its slot needs no reply and goes back to the kernel like a PAD's.
 */
enum tcmud_ring_event tcmud_ring_next(struct tcmud_ring *r, struct tcmud_cmd *cmd,
				      struct iovec *iov_buf, size_t iov_cap,
				      struct tcmud_ring_tmr *tmr);

/*
 * Complete an outstanding command, in any order; rsp NULL means GOOD. For a
 * command marked aborted by a TMR the reply is TASK ABORTED without sense,
 * READ_LEN or UNKNOWN_OP, whatever rsp says, and the mark is cleared. The
 * handler must not touch the command's data buffers afterwards: the kernel
 * frees them and may hand out the cmd_id again.
 * Returns 0, -ENOENT if cmd_id is not outstanding (never sent, or already
 * completed: the reply is dropped so the kernel never sees a duplicate), -EIO
 * if the ring is broken.
 */
int tcmud_ring_complete(struct tcmud_ring *r, uint16_t cmd_id,
			const struct tcmud_ring_rsp *rsp);

/*
 * Whether outstanding cmd_id is marked aborted by a TMR, so that a handler
 * still working on it may stop early (it completes it all the same). False for
 * ids that are not outstanding.
 */
bool tcmud_ring_cmd_aborted(const struct tcmud_ring *r, uint16_t cmd_id);

/*
 * Publish cmd_tail (store-release) and ring the doorbell once, if anything was
 * completed or skipped since the last flush. Returns true if it rang. On a
 * broken ring this still publishes the completions made before the break.
 */
bool tcmud_ring_flush(struct tcmud_ring *r);

/* The number of iovecs the largest valid command on this mapping can carry. */
size_t tcmud_ring_iov_capacity(const struct tcmud_ring *r);

#endif /* TCMUD_RING_H */
