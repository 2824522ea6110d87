/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared fixture for SCSI-layer tests: a device served by the rd handler
 * (built into the test) behind a spy, data buffers split into iovecs at odd
 * boundaries with guard bytes, CDB builders and sense assertions.
 * Include once, after <cmocka.h>.
 */
#ifndef TCMUD_TEST_SCSI_FIXTURE_H
#define TCMUD_TEST_SCSI_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scsi.h"

extern const struct tcmud_handler tcmud_handler;

#define MiB (1024u * 1024u)
#define GUARD 64
#define GUARD_BYTE 0xa5
#define MAX_IOV 1024

/* ---- data buffers split into iovecs ------------------------------------ */

struct buf {
	uint8_t *data;
	size_t len;
	struct iovec iov[MAX_IOV];
	size_t cnt;
};

static const size_t split_sizes[] = {1, 7, 3, 511, 13, 1025, 4099, 65537, 2, 100000};
#define NR_SPLITS (sizeof(split_sizes) / sizeof(split_sizes[0]))

/* len bytes of fill, followed by a guard; split starting at pattern index k. */
static inline struct buf *buf_new(size_t len, uint8_t fill, size_t k)
{
	struct buf *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->data = malloc(len + GUARD);
	assert_non_null(b->data);
	b->len = len;
	memset(b->data, fill, len);
	memset(b->data + len, GUARD_BYTE, GUARD);
	for (size_t off = 0; off < len; k++) {
		size_t n = split_sizes[k % NR_SPLITS];

		if (n > len - off)
			n = len - off;
		assert_true(b->cnt < MAX_IOV);
		b->iov[b->cnt++] = (struct iovec){b->data + off, n};
		off += n;
	}
	return b;
}

/* Checks that nothing was written past the buffer and the iovecs are intact. */
static inline void buf_free(struct buf *b)
{
	size_t off = 0;

	for (size_t i = 0; i < GUARD; i++)
		assert_int_equal(b->data[b->len + i], GUARD_BYTE);
	for (size_t i = 0; i < b->cnt; i++) {
		assert_ptr_equal(b->iov[i].iov_base, b->data + off);
		off += b->iov[i].iov_len;
	}
	assert_int_equal(off, b->len);
	free(b->data);
	free(b);
}

static inline void fill_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static inline bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* ---- a spy around the rd handler --------------------------------------- */

static struct {
	unsigned reads, writes, flushes, cdbs;
	uint32_t last_blocks;
	bool last_fua, last_dpo;
} spy;

static inline void spy_check_io(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	/* The handler must see exactly the transfer, not the whole buffer. */
	assert_int_equal(tcmud_iov_length(io->iov, io->iov_cnt),
			 (uint64_t)io->nr_blocks * dev->block_size);
	spy.last_blocks = io->nr_blocks;
	spy.last_fua = io->fua;
	spy.last_dpo = io->dpo;
}

static inline int spy_read(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	spy.reads++;
	spy_check_io(dev, io);
	return tcmud_handler.read(dev, io);
}

static inline int spy_write(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	spy.writes++;
	spy_check_io(dev, io);
	return tcmud_handler.write(dev, io);
}

static inline int spy_flush(struct tcmud_hdev *dev, struct tcmud_cmd *cmd)
{
	spy.flushes++;
	return tcmud_handler.flush(dev, cmd);
}

/* Takes vendor opcode 0xC0 itself; everything else falls through. */
static inline int spy_handle_cdb(struct tcmud_hdev *dev, struct tcmud_cmd *cmd)
{
	spy.cdbs++;
	if (cmd->cdb[0] == 0xc0)
		return TCMUD_STATUS_GOOD;
	if (cmd->cdb[0] == 0xc1)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_HARDWARE_ERROR, 0x4400);
	return TCMUD_NOT_HANDLED;
}

static struct tcmud_handler spy_handler;

/* ---- device and command fixture ---------------------------------------- */

struct fix {
	struct tcmud_scsi_dev dev;
	struct tcmud_cmd cmd;
	bool opened;
};

/*
 * The rd handler keeps its pages in files under TCMUD_RD_SHM_DIR: give each
 * test process a private directory so tests running in parallel never share
 * a device's storage. Removed again when the last fixture is freed.
 */
static char fix_shm_dir[64];
static unsigned fix_count;

static inline void fix_shm_dir_enter(void)
{
	if (fix_count++ || getenv("TCMUD_RD_SHM_DIR"))
		return;
	snprintf(fix_shm_dir, sizeof(fix_shm_dir), "/tmp/tcmud-test-XXXXXX");
	assert_non_null(mkdtemp(fix_shm_dir));
	assert_int_equal(setenv("TCMUD_RD_SHM_DIR", fix_shm_dir, 1), 0);
}

static inline void fix_shm_dir_leave(void)
{
	if (--fix_count || !fix_shm_dir[0])
		return;
	unsetenv("TCMUD_RD_SHM_DIR");
	rmdir(fix_shm_dir); /* fails, and so shows the leak, if a file remains */
	fix_shm_dir[0] = '\0';
}

/*
 * A device with the spy handler and the given rd cfgstring (the string must
 * outlive the fixture); opened only when open is true.
 */
static inline struct fix *fix_new_cfg(uint64_t num_lbas, uint32_t bs, const char *cfgstring,
				      bool open)
{
	struct fix *f = calloc(1, sizeof(*f));
	char why[256] = "";

	assert_non_null(f);
	fix_shm_dir_enter();
	memset(&spy, 0, sizeof(spy));
	spy_handler = tcmud_handler;
	spy_handler.read = spy_read;
	spy_handler.write = spy_write;
	spy_handler.flush = spy_flush;
	f->dev.handler = &spy_handler;
	f->dev.hdev = (struct tcmud_hdev){.name = "rd0", .cfgstring = cfgstring,
					  .num_lbas = num_lbas, .block_size = bs,
					  .max_sectors = 128, .write_cache = true};
	tcmud_scsi_ident_init(&f->dev.ident, "serial-1234");
	f->dev.hdev.unit_serial = f->dev.ident.unit_serial;
	if (open) {
		int rc = tcmud_handler.open(&f->dev.hdev, why, sizeof(why));

		if (rc)
			print_error("rd open: %s\n", why);
		assert_int_equal(rc, 0);
		f->opened = true;
	}
	assert_int_equal(tcmud_scsi_dev_init(&f->dev), 0);
	return f;
}

/* A device with the spy handler; opened only when open is true. */
static inline struct fix *fix_new(uint64_t num_lbas, uint32_t bs, bool open)
{
	return fix_new_cfg(num_lbas, bs, "", open);
}

static inline void fix_free(struct fix *f)
{
	tcmud_scsi_dev_fini(&f->dev);
	if (f->opened)
		tcmud_handler.close(&f->dev.hdev, TCMUD_CLOSE_REMOVED);
	free(f);
	fix_shm_dir_leave();
}

static inline int exec(struct fix *f, const uint8_t *cdb, size_t cdb_len, struct buf *b)
{
	struct tcmud_cmd *c = &f->cmd;

	memset(c, 0, sizeof(*c));
	memcpy(c->cdb, cdb, cdb_len);
	c->cdb_len = (uint16_t)cdb_len;
	if (b) {
		c->iov = b->iov;
		c->iov_cnt = b->cnt;
		c->data_len = b->len;
	}
	return tcmud_scsi_execute(&f->dev, c);
}

static inline void assert_good(struct fix *f, int ret)
{
	assert_int_equal(ret, TCMUD_STATUS_GOOD);
	assert_int_equal(f->cmd.status, TCMUD_STATUS_GOOD);
}

static inline void assert_sense(struct fix *f, int ret, uint8_t key, uint16_t asc)
{
	assert_int_equal(ret, TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(f->cmd.status, TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense.key, key);
	assert_int_equal(f->cmd.sense.asc_ascq, asc);
}

/* INVALID FIELD IN CDB with a field pointer to byte (and bit, or -1). */
static inline void assert_invalid_field(struct fix *f, int ret, unsigned byte, int bit)
{
	uint8_t sks0 = 0xc0 | (bit >= 0 ? 0x08 | bit : 0);

	assert_sense(f, ret, TCMUD_SK_ILLEGAL_REQUEST, TCMUD_ASC_INVALID_FIELD_IN_CDB);
	assert_true(f->cmd.sense.sks_valid);
	assert_int_equal(f->cmd.sense.sks[0], sks0);
	assert_int_equal(be16(&f->cmd.sense.sks[1]), byte);
}

static inline void assert_read_len(struct fix *f, uint64_t len)
{
	assert_true(f->cmd.read_len_valid);
	assert_int_equal(f->cmd.read_len, len);
}

/* ---- CDB builders ------------------------------------------------------ */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static inline void cdb6(uint8_t *c, uint8_t op, uint32_t lba, uint8_t n)
{
	memset(c, 0, 6);
	c[0] = op;
	c[1] = (uint8_t)((lba >> 16) & 0x1f);
	put16(&c[2], (uint16_t)lba);
	c[4] = n;
}

static inline void cdb10(uint8_t *c, uint8_t op, uint32_t lba, uint16_t n, uint8_t flags)
{
	memset(c, 0, 10);
	c[0] = op;
	c[1] = flags;
	put32(&c[2], lba);
	put16(&c[7], n);
}

static inline void cdb12(uint8_t *c, uint8_t op, uint32_t lba, uint32_t n, uint8_t flags)
{
	memset(c, 0, 12);
	c[0] = op;
	c[1] = flags;
	put32(&c[2], lba);
	put32(&c[6], n);
}

static inline void cdb16(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags)
{
	memset(c, 0, 16);
	c[0] = op;
	c[1] = flags;
	put64(&c[2], lba);
	put32(&c[10], n);
}

/* INQUIRY with EVPD/page and allocation length. */
static inline void cdb_inquiry(uint8_t *c, bool evpd, uint8_t page, uint16_t alloc)
{
	memset(c, 0, 6);
	c[0] = 0x12;
	c[1] = evpd ? 1 : 0;
	c[2] = page;
	put16(&c[3], alloc);
}

/* Run READ(16) of n blocks at lba into a fresh buffer (split from index k). */
static inline struct buf *read_blocks(struct fix *f, uint64_t lba, uint32_t n, size_t k)
{
	struct buf *b = buf_new((size_t)n * f->dev.hdev.block_size, 0xcc, k);
	uint8_t c[16];

	cdb16(c, 0x88, lba, n, 0);
	assert_good(f, exec(f, c, 16, b));
	assert_false(f->cmd.read_len_valid);
	return b;
}

static inline void write_blocks(struct fix *f, uint64_t lba, uint32_t n, uint32_t seed, size_t k)
{
	struct buf *b = buf_new((size_t)n * f->dev.hdev.block_size, 0, k);
	uint8_t c[10];

	fill_pattern(b->data, b->len, seed);
	cdb10(c, 0x2a, (uint32_t)lba, (uint16_t)n, 0);
	assert_good(f, exec(f, c, 10, b));
	buf_free(b);
}

static inline void assert_blocks_pattern(struct fix *f, uint64_t lba, uint32_t n, uint32_t seed)
{
	struct buf *b = read_blocks(f, lba, n, 3);
	uint8_t *want = malloc(b->len);

	assert_non_null(want);
	fill_pattern(want, b->len, seed);
	assert_memory_equal(b->data, want, b->len);
	free(want);
	buf_free(b);
}

static inline void assert_blocks_zero(struct fix *f, uint64_t lba, uint32_t n)
{
	struct buf *b = read_blocks(f, lba, n, 5);

	assert_true(all_zero(b->data, b->len));
	buf_free(b);
}

#endif /* TCMUD_TEST_SCSI_FIXTURE_H */
