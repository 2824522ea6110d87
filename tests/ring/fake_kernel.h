/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A simulated target_core_user producer for the ring engine's tests.
 *
 * It lays out a mapping the way Linux 6.1 does (mailbox, command ring of any
 * size, data area of 4 KiB blocks), queues CMD and TMR entries with the
 * kernel's sizes, PAD rule and full-ring rule, and reaps completions the way
 * tcmu_handle_completions() does. The mapping sits between two PROT_NONE
 * guard pages, so an access outside it crashes the test.
 *
 * The second half is a small harness wiring a fake kernel to a ring engine.
 */
#ifndef TCMUD_TEST_FAKE_KERNEL_H
#define TCMUD_TEST_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "ring.h"
#include "tcmu_abi.h"

#define FK_BLOCK_SIZE 4096
#define FK_CMDR_OFF 128
#define FK_NR_IDS 65536
#define FK_REAP_LOG 1024

/* One iovec of a queued command, as the kernel wrote it (offsets). */
struct fk_iov {
	uint64_t off;
	uint64_t len;
};

/* The kernel's view of one cmd_id. */
struct fk_cmd {
	bool inflight;
	bool is_read;             /* iov[0..iov_cnt) is Data-In */
	uint32_t entry_off;       /* ring offset of its CMD entry */
	uint32_t entry_len;
	uint32_t iov_cnt;
	uint32_t bidi_cnt;
	struct fk_iov *iov;       /* iov_cnt + bidi_cnt */
	uint32_t *blocks;
	uint32_t nr_blocks;
};

/* What the kernel saw when it reaped a command. */
struct fk_result {
	unsigned completions;     /* since the id was last queued */
	uint8_t status;
	uint8_t uflags;
	uint32_t read_len;
	uint8_t sense[TCMU_SENSE_BUFFERSIZE];
	uint8_t *data_in;         /* Data-In (or BIDI Data-In) as gathered */
	size_t data_in_len;
};

struct fake_kernel {
	uint8_t *region;          /* the whole mmap, guard pages included */
	size_t region_len;
	uint8_t *map;             /* what the engine is given */
	size_t size;
	uint32_t cmdr_size;
	size_t data_off;
	uint32_t head;            /* the kernel's cmd_head */
	uint32_t last_cleaned;    /* the kernel's cmdr_last_cleaned */

	uint8_t *block_used;
	uint32_t nr_blocks;
	uint32_t block_cursor;

	struct fk_cmd *cmds;      /* FK_NR_IDS */
	struct fk_result *results;

	bool reap_on_doorbell;    /* like the kernel: the doorbell reaps */
	uint64_t doorbells;
	uint64_t reaped;
	uint64_t pads;
	uint32_t min_pad;         /* shortest PAD written */
	uint64_t laps;            /* times cmd_head wrapped to 0 */
	uint16_t reap_log[FK_REAP_LOG]; /* cmd_ids in the order reaped */
	unsigned reap_log_n;
};

/* A command to queue. Data-Out and Data-In together make a BIDI command. */
struct fk_cmd_desc {
	const uint8_t *cdb;
	uint16_t cdb_len;         /* what the kernel copies (scsi_command_size) */
	const uint8_t *out;       /* Data-Out bytes, or NULL */
	size_t out_len;
	size_t in_len;            /* Data-In bytes (BIDI Data-In if out is set) */
	uint32_t split;           /* the first iov group in this many iovs (0 = 1) */
	uint32_t bidi_split;      /* the BIDI group likewise */
};

/* ring of cmdr_size bytes, at least data_size bytes of data area, head=tail=start */
void fk_init(struct fake_kernel *fk, uint32_t cmdr_size, size_t data_size, uint32_t start);
void fk_fini(struct fake_kernel *fk);

struct tcmu_mailbox *fk_mailbox(struct fake_kernel *fk);
void fk_set_head(struct fake_kernel *fk, uint32_t head); /* raw, for broken heads */

/* Returns the new cmd_id, -EAGAIN if ring or data area is full, -EINVAL if too big. */
int fk_queue_cmd(struct fake_kernel *fk, const struct fk_cmd_desc *d);
/* Returns 0 or -EAGAIN. */
int fk_queue_tmr(struct fake_kernel *fk, uint8_t type, const uint16_t *ids, uint32_t cnt);
/* Writes len raw bytes at cmd_head and advances it by 'advance'; returns the offset. */
uint32_t fk_queue_raw(struct fake_kernel *fk, const void *bytes, uint32_t len,
		      uint32_t advance);

struct tcmu_cmd_entry *fk_entry(struct fake_kernel *fk, uint32_t ring_off);
const struct fk_cmd *fk_cmd(const struct fake_kernel *fk, uint16_t id);
const struct fk_result *fk_result(const struct fake_kernel *fk, uint16_t id);
uint32_t fk_cmd_tail(const struct fake_kernel *fk);

/* Reap completions up to cmd_tail; returns how many CMDs. Fails the test on a bad id. */
unsigned fk_reap(struct fake_kernel *fk);
/* The doorbell callback: ctx is the fake_kernel. */
void fk_doorbell(void *ctx);

/* ------------------------------------------------------------ harness */

struct fk_env {
	struct fake_kernel fk;
	struct tcmud_ring r;
	struct tcmud_cmd cmd;
	struct tcmud_ring_tmr tmr;
	struct iovec *iov;
	size_t iov_cap;
};

/* A fake kernel and an engine attached to it (asserts the attach works). */
struct fk_env *fk_env_new(uint32_t cmdr_size, size_t data_size, uint32_t start);
void fk_env_free(struct fk_env *e);
enum tcmud_ring_event fk_env_next(struct fk_env *e);
/* Queue a command without data with the given 6..16 byte CDB; returns its id. */
uint16_t fk_env_queue_nodata(struct fk_env *e, uint8_t opcode);
/* Parse the next entry, asserting it is a CMD; returns its tag. */
uint16_t fk_env_next_cmd(struct fk_env *e);
/* Complete with just a status; asserts the engine accepted it. */
void fk_env_complete(struct fk_env *e, uint16_t id, uint8_t status);

#endif /* TCMUD_TEST_FAKE_KERNEL_H */
