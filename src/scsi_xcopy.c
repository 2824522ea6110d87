/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EXTENDED COPY (LID1): block-to-block copies between devices this process
 * serves, the device that received the command included.
 *
 * The command runs in phases so that nothing is written unless the whole
 * list can be carried out: parse the list; find the devices its segments
 * name (held in the directory so they cannot go away); lock them; check
 * every segment's ranges, block sizes and the destinations' write
 * protection; then move the data, chunk by chunk, through the same data
 * path READ and WRITE use (PI is checked and generated there).
 *
 * Locking: dispatch holds the receiving device's lock for the whole command.
 * Other devices are only ever try-locked, with back-off and a time budget,
 * so two copies crossing each other cannot deadlock: the one received by
 * the more recently registered device gives up first (COPY ABORTED, COPY
 * TARGET DEVICE NOT REACHABLE, nothing written) and the other proceeds.
 */
#include <string.h>
#include <time.h>

#include "scsi_directory.h"
#include "scsi_xcopy.h"

/*
 * Time budgets for the lock of another device, in microseconds: long enough
 * for any single command there to finish, far below the initiator's and the
 * kernel's command timeouts.
 */
#define LOCK_BUDGET_SENIOR_US 5000000L
#define LOCK_BUDGET_JUNIOR_US 250000L
#define LOCK_BACKOFF_MIN_US 50L
#define LOCK_BACKOFF_MAX_US 5000L

/* ---- finding the devices --------------------------------------------------- */

#define DESIG_CODE_SET_BINARY 1
#define DESIG_ASSOC_LU 0
#define DESIG_TYPE_NAA 3

static struct tcmud_scsi_dev *lookup(struct xcopy_run *r, const struct xcopy_cscd *c)
{
	uint8_t own[TCMUD_NAA_DESIG_LEN];
	struct tcmud_scsi_dev *dev;

	/* The only designator we report that fits a CSCD descriptor. */
	if (c->code_set != DESIG_CODE_SET_BINARY || c->association != DESIG_ASSOC_LU ||
	    c->desig_type != DESIG_TYPE_NAA || c->desig_len != TCMUD_NAA_DESIG_LEN)
		return NULL;
	/* The receiving device first: it is locked already, and wins over
	 * another device that happens to report the same designator. */
	tcmud_scsi_naa_designator(&r->self->ident, own);
	if (memcmp(own, c->desig, TCMUD_NAA_DESIG_LEN) == 0)
		return r->self;
	if (r->nr_held == XCOPY_MAX_DEVS)
		return NULL;
	dev = tcmud_dir_get(c->desig, c->desig_len, &r->held_seq[r->nr_held]);
	if (dev)
		r->held[r->nr_held++] = dev;
	return dev;
}

/* The device a segment's CSCD DESCRIPTOR ID names; field: its offset. */
static int resolve_id(struct xcopy_run *r, const struct xcopy_segment *s, uint16_t id,
		      unsigned int field, struct tcmud_scsi_dev **out)
{
	const struct xcopy_cscd *c;

	if (id == XCOPY_CSCD_ID_SELF) {
		*out = r->self;
		return 0;
	}
	if (id >= r->list->nr_cscd)
		return tcmud_xcopy_aborted(r->cmd, ASC_COPY_TARGET_NOT_REACHABLE,
					   (int)(s->off + field));
	c = &r->list->cscd[id];
	if (!r->cscd_dev[id])
		r->cscd_dev[id] = lookup(r, c);
	if (!r->cscd_dev[id])
		return tcmud_xcopy_aborted(r->cmd, ASC_COPY_TARGET_NOT_REACHABLE, c->off + 8);
	*out = r->cscd_dev[id];
	return 0;
}

static int resolve(struct xcopy_run *r)
{
	for (size_t i = 0; i < r->list->nr_seg; i++) {
		const struct xcopy_segment *s = &r->list->seg[i];
		int st = resolve_id(r, s, s->src_id, 4, &r->src[i]);

		if (!st)
			st = resolve_id(r, s, s->dst_id, 6, &r->dst[i]);
		if (st)
			return st;
	}
	return 0;
}

/* ---- locking --------------------------------------------------------------- */

static void sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000L, .tv_nsec = (us % 1000000L) * 1000L};

	nanosleep(&ts, NULL);
}

/* Try to lock dev for at most budget_us. */
static bool lock_within(struct tcmud_scsi_dev *dev, long budget_us)
{
	long waited = 0, backoff = LOCK_BACKOFF_MIN_US;

	while (pthread_mutex_trylock(&dev->lock) != 0) {
		if (waited >= budget_us)
			return false;
		sleep_us(backoff);
		waited += backoff;
		if (backoff < LOCK_BACKOFF_MAX_US)
			backoff *= 2;
	}
	return true;
}

/* Earlier registered devices wait longer, so one of two crossing copies wins. */
static long lock_budget(const struct xcopy_run *r, size_t i)
{
	uint64_t self_seq;

	if (tcmud_dir_seq(r->self, &self_seq) && self_seq < r->held_seq[i])
		return LOCK_BUDGET_SENIOR_US;
	return LOCK_BUDGET_JUNIOR_US;
}

/* Whether held[i] also appears earlier in held[] (one lock per device). */
static bool held_before(const struct xcopy_run *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (r->held[j] == r->held[i])
			return true;
	return false;
}

static int lock_devices(struct xcopy_run *r)
{
	for (size_t i = 0; i < r->nr_held; i++) {
		if (held_before(r, i))
			continue;
		if (!lock_within(r->held[i], lock_budget(r, i)))
			return tcmud_xcopy_aborted(r->cmd, ASC_COPY_TARGET_NOT_REACHABLE, -1);
		r->locked[i] = true;
	}
	return 0;
}

static void release_devices(struct xcopy_run *r)
{
	for (size_t i = 0; i < r->nr_held; i++) {
		if (r->locked[i])
			pthread_mutex_unlock(&r->held[i]->lock);
		tcmud_dir_put(r->held[i]);
	}
	r->nr_held = 0;
}

/* ---- results ------------------------------------------------------------------ */

/* Kept for RECEIVE COPY RESULTS when the list asks for it (LIST ID USAGE 00b). */
static void keep_results(struct xcopy_run *r, int st)
{
	struct tcmud_copy_result res = {
		.list_id = r->list->list_id, .status = st == TCMUD_STATUS_GOOD ? 1 : 2,
		.status_held = true, .details_held = st != TCMUD_STATUS_GOOD,
		.segments = r->segments_done, .bytes = r->bytes_done, .cmd_status = (uint8_t)st};

	if (r->list->usage != XCOPY_USAGE_HOLD)
		return;
	if (st == TCMUD_STATUS_CHECK_CONDITION)
		res.sense_len = (uint8_t)tcmud_sense_format(&r->cmd->sense, r->self->mode.d_sense,
							    res.sense, sizeof(res.sense));
	tcmud_dir_result_store(r->self, &res);
}

/* ---- the command ------------------------------------------------------------- */

static int run_list(struct xcopy_run *r)
{
	int st = resolve(r);

	if (!st)
		st = lock_devices(r);
	if (!st)
		st = tcmud_xcopy_check_segments(r);
	if (st) /* nothing moved: no results are kept for it */
		return st;
	st = tcmud_xcopy_copy_segments(r);
	keep_results(r, st);
	return st;
}

static int extended_copy(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct xcopy_list list;
	struct xcopy_run run = {.self = dev, .cmd = cmd, .list = &list};
	int st;

	/* A PARAMETER LIST LENGTH of zero is not an error: nothing to do. */
	if (get_be32(&cmd->cdb[10]) == 0)
		return TCMUD_STATUS_GOOD;
	st = tcmud_xcopy_parse_header(cmd, &list);
	if (st)
		return st;
	/* A new list with this identifier ends whatever was kept for the last. */
	if (list.usage != XCOPY_USAGE_NONE)
		tcmud_dir_result_discard(dev, list.list_id);
	st = tcmud_xcopy_parse_descriptors(cmd, &list);
	if (st)
		return st;
	st = run_list(&run);
	release_devices(&run);
	return st;
}

/* ---- the table --------------------------------------------------------------- */

/*
 * CDB usage: byte 1 the service action, bytes 10-13 the PARAMETER LIST
 * LENGTH or ALLOCATION LENGTH, byte 2 the LIST IDENTIFIER where there is
 * one; everything else is reserved.
 */
const struct tcmud_scsi_cmd_desc tcmud_cmds_xcopy[] = {
	{.name = "EXTENDED COPY(LID1)", .opcode = OP_EXTENDED_COPY, .has_sa = true,
	 .sa = SA_XCOPY_LID1, .cdb_len = 16,
	 .usage = {OP_EXTENDED_COPY, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x00,
		   0x00},
	 .fn = extended_copy, .recommended_timeout = 60},
	{.name = "RECEIVE COPY STATUS(LID1)", .opcode = OP_RECEIVE_COPY_RESULTS, .has_sa = true,
	 .sa = SA_RCR_COPY_STATUS, .cdb_len = 16,
	 .usage = {OP_RECEIVE_COPY_RESULTS, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
		   0xff, 0x00, 0x00},
	 .fn = tcmud_xcopy_rcr_status},
	{.name = "RECEIVE COPY DATA(LID1)", .opcode = OP_RECEIVE_COPY_RESULTS, .has_sa = true,
	 .sa = SA_RCR_RECEIVE_DATA, .cdb_len = 16,
	 .usage = {OP_RECEIVE_COPY_RESULTS, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
		   0xff, 0x00, 0x00},
	 .fn = tcmud_xcopy_rcr_data},
	/* No list identifier: byte 2 is reserved. */
	{.name = "RECEIVE COPY OPERATING PARAMETERS", .opcode = OP_RECEIVE_COPY_RESULTS,
	 .has_sa = true, .sa = SA_RCR_OPERATING_PARAMETERS, .cdb_len = 16,
	 .usage = {OP_RECEIVE_COPY_RESULTS, 0x1f, 0x00, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
		   0xff, 0x00, 0x00},
	 .fn = tcmud_xcopy_rcr_op_params},
	{.name = "RECEIVE COPY FAILURE DETAILS(LID1)", .opcode = OP_RECEIVE_COPY_RESULTS,
	 .has_sa = true, .sa = SA_RCR_FAILURE_DETAILS, .cdb_len = 16,
	 .usage = {OP_RECEIVE_COPY_RESULTS, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
		   0xff, 0x00, 0x00},
	 .fn = tcmud_xcopy_rcr_failure},
	{0},
};
