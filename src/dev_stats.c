/* SPDX-License-Identifier: Apache-2.0 */
#include "dev_stats.h"

#include <string.h>

#define OP_VARIABLE_LENGTH 0x7f
/* Marks a used sense slot, so that the triple 00/00/00 is a valid key. */
#define SENSE_USED (UINT32_C(1) << 24)

enum tcmud_io_class tcmud_cdb_io_class(const uint8_t *cdb, size_t cdb_len)
{
	if (cdb_len == 0)
		return TCMUD_IO_OTHER;
	switch (cdb[0]) {
	case 0x08: /* READ(6) */
	case 0x28: /* READ(10) */
	case 0xa8: /* READ(12) */
	case 0x88: /* READ(16) */
		return TCMUD_IO_READ;
	case 0x0a: /* WRITE(6) */
	case 0x2a: /* WRITE(10) */
	case 0xaa: /* WRITE(12) */
	case 0x8a: /* WRITE(16) */
	case 0x2e: /* WRITE AND VERIFY(10) */
	case 0xae: /* WRITE AND VERIFY(12) */
	case 0x8e: /* WRITE AND VERIFY(16) */
	case 0x8b: /* ORWRITE(16) */
	case 0x89: /* COMPARE AND WRITE */
	case 0x9c: /* WRITE ATOMIC(16) */
		return TCMUD_IO_WRITE;
	case OP_VARIABLE_LENGTH:
		break;
	default:
		return TCMUD_IO_OTHER;
	}
	if (cdb_len < 10)
		return TCMUD_IO_OTHER;
	switch ((uint16_t)(cdb[8] << 8 | cdb[9])) {
	case 0x0009: /* READ(32) */
		return TCMUD_IO_READ;
	case 0x000b: /* WRITE(32) */
	case 0x000c: /* WRITE AND VERIFY(32) */
	case 0x000e: /* ORWRITE(32) */
	case 0x000f: /* WRITE ATOMIC(32) */
		return TCMUD_IO_WRITE;
	default:
		return TCMUD_IO_OTHER;
	}
}

void tcmud_dev_stats_init(struct tcmud_dev_stats *s)
{
	/* All-zero bytes are zero atomics on every platform we build for. */
	memset(s, 0, sizeof(*s));
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Slots are taken once and never given back, so a key read is final. */
static void count_sense(struct tcmud_dev_stats *s, const struct tcmud_sense *sense)
{
	uint32_t key = SENSE_USED | (uint32_t)sense->key << 16 | sense->asc_ascq;

	for (size_t i = 0; i < TCMUD_STATS_SENSE_SLOTS; i++) {
		struct tcmud_stats_sense_slot *slot = &s->sense[i];
		uint32_t cur = atomic_load_explicit(&slot->key, memory_order_relaxed);
		if (cur == 0 && atomic_compare_exchange_strong_explicit(
					&slot->key, &cur, key, memory_order_relaxed,
					memory_order_relaxed))
			cur = key;
		if (cur == key) {
			count(&slot->count, 1);
			return;
		}
	}
	count(&s->sense_overflow, 1);
}

void tcmud_dev_stats_record(struct tcmud_dev_stats *s, const struct tcmud_cmd *cmd,
			    uint64_t latency_ns)
{
	enum tcmud_io_class cls = tcmud_cdb_io_class(cmd->cdb, cmd->cdb_len);

	count(&s->cmds[cls], 1);
	if (cmd->status == TCMUD_STATUS_GOOD) {
		if (cls == TCMUD_IO_READ)
			count(&s->bytes_read, cmd->read_len_valid && cmd->read_len < cmd->data_len
						      ? cmd->read_len : cmd->data_len);
		else if (cls == TCMUD_IO_WRITE)
			count(&s->bytes_written, cmd->data_len);
	} else if (cmd->status != TCMUD_STATUS_CONDITION_MET) {
		count(&s->errors, 1);
		if (cmd->status == TCMUD_STATUS_CHECK_CONDITION)
			count_sense(s, &cmd->sense);
	}
	tcmud_latency_record(&s->latency, latency_ns);
}

static uint64_t load(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void tcmud_dev_stats_snapshot(const struct tcmud_dev_stats *s,
			      struct tcmud_dev_stats_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	out->timestamp_ns = tcmud_stats_now_ns();
	out->reads = load(&s->cmds[TCMUD_IO_READ]);
	out->writes = load(&s->cmds[TCMUD_IO_WRITE]);
	out->other = load(&s->cmds[TCMUD_IO_OTHER]);
	out->commands = out->reads + out->writes + out->other;
	out->bytes_read = load(&s->bytes_read);
	out->bytes_written = load(&s->bytes_written);
	out->errors = load(&s->errors);
	for (size_t i = 0; i < TCMUD_STATS_SENSE_SLOTS; i++) {
		uint32_t key = atomic_load_explicit(&s->sense[i].key, memory_order_relaxed);
		uint64_t n = load(&s->sense[i].count);
		/* A slot just taken may not be counted yet. */
		if (key == 0 || n == 0)
			continue;
		out->sense[out->nsense++] = (struct tcmud_stats_sense_count){
			.key = (uint8_t)(key >> 16), .asc = (uint8_t)(key >> 8),
			.ascq = (uint8_t)key, .count = n};
	}
	out->sense_overflow = load(&s->sense_overflow);
	tcmud_latency_snapshot(&s->latency, &out->latency);
}
