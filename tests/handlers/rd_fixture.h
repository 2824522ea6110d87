/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driving the rd handler's operations directly: a private shm directory per
 * test, devices, patterned writes through split iovecs, and reads checked
 * against the pattern.
 */
#ifndef TCMUD_TEST_RD_FIXTURE_H
#define TCMUD_TEST_RD_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rd_layout.h"
#include "rd_shm.h"
#include "rd_store.h"
#include "tcmud/handler.h"

extern const struct tcmud_handler tcmud_handler;

#define MAX_IOV 256

/* ---- a private shm directory -------------------------------------------- */

static char shm_dir[64];

/* A fresh directory in /dev/shm (tmpfs, like production), else in /tmp. */
static inline int dir_setup(void **state)
{
	(void)state;
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tcmud-rd-test-XXXXXX");
	if (!mkdtemp(shm_dir)) {
		snprintf(shm_dir, sizeof(shm_dir), "/tmp/tcmud-rd-test-XXXXXX");
		if (!mkdtemp(shm_dir))
			return -1;
	}
	return setenv(RD_SHM_DIR_ENV, shm_dir, 1);
}

static inline unsigned dir_entries(void)
{
	unsigned n = 0;
	struct dirent *e;
	DIR *d = opendir(shm_dir);

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Every test leaves the directory empty and gives back all memory. */
static inline int dir_teardown(void **state)
{
	struct dirent *e;
	unsigned left = dir_entries();
	uint64_t used = rd_store_mem_used();
	DIR *d = opendir(shm_dir);

	(void)state;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fprintf(stderr, "left behind: %s/%s\n", shm_dir, e->d_name);
		unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	rmdir(shm_dir);
	unsetenv(RD_SHM_DIR_ENV);
	rd_store_set_mem_limit(0);
	if (used)
		fprintf(stderr, "memory still accounted: %llu\n", (unsigned long long)used);
	return left || used ? -1 : 0;
}

/* ---- devices ------------------------------------------------------------ */

struct rdt {
	struct tcmud_hdev hdev;
	char name[64];
	char serial[64];
	char cfg[128];
	char why[512];
	struct tcmud_cmd cmd;
};

static inline void rdt_init(struct rdt *d, const char *name, const char *serial,
			    uint64_t num_lbas, uint32_t block_size, const char *cfg)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->serial, sizeof(d->serial), "%s", serial);
	snprintf(d->cfg, sizeof(d->cfg), "%s", cfg);
	d->hdev = (struct tcmud_hdev){.name = d->name, .unit_serial = d->serial,
				      .cfgstring = d->cfg, .num_lbas = num_lbas,
				      .block_size = block_size, .max_sectors = 128,
				      .write_cache = true};
}

/* Open with the hdev as it is; 0 or -errno, the reason in d->why. */
static inline int rdt_open(struct rdt *d)
{
	d->why[0] = '\0';
	return tcmud_handler.open(&d->hdev, d->why, sizeof(d->why));
}

static inline void rdt_open_ok(struct rdt *d, const char *name, const char *serial,
			       uint64_t num_lbas, uint32_t block_size, const char *cfg)
{
	int rc;

	rdt_init(d, name, serial, num_lbas, block_size, cfg);
	rc = rdt_open(d);
	if (rc)
		fprintf(stderr, "open %s: %s\n", name, d->why);
	assert_int_equal(rc, 0);
	assert_non_null(d->hdev.priv);
}

static inline void rdt_close(struct rdt *d, enum tcmud_close_reason reason)
{
	tcmud_handler.close(&d->hdev, reason);
	assert_null(d->hdev.priv);
}

/* Where the device's blocks are kept. */
static inline void rdt_path(const struct rdt *d, char *buf, size_t len)
{
	struct rd_identity id = {d->hdev.hba, d->name, d->serial};
	char file[NAME_MAX + 1];

	rd_shm_object_name(&id, file, sizeof(file));
	snprintf(buf, len, "%s/%s", shm_dir, file);
}

static inline bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Bytes of memory a file holds. */
static inline uint64_t file_bytes(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* ---- I/O ---------------------------------------------------------------- */

static inline uint8_t pattern_byte(uint32_t seed, uint64_t lba, size_t i)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ULL ^ (lba * 0xbf58476d1ce4e5b9ULL) ^ i;

	x ^= x >> 29;
	x *= 0x94d049bb133111ebULL;
	return (uint8_t)(x >> 32) | 1; /* never zero: zeros mean "a hole" in tests */
}

static inline void fill_blocks(uint8_t *p, uint64_t lba, uint32_t n, uint32_t bs, uint32_t seed)
{
	for (uint32_t b = 0; b < n; b++)
		for (size_t i = 0; i < bs; i++)
			p[(size_t)b * bs + i] = pattern_byte(seed, lba + b, i);
}

static inline void fill_tuples(uint8_t *pi, uint64_t lba, uint32_t n, uint32_t seed)
{
	for (uint32_t b = 0; b < n; b++)
		for (size_t i = 0; i < TCMUD_PI_TUPLE_SIZE; i++)
			pi[(size_t)b * TCMUD_PI_TUPLE_SIZE + i] =
				(uint8_t)(pattern_byte(seed, lba + b, 100000 + i) & 0x7f);
}

/* Split [p, p + len) into iovecs of uneven sizes. */
static inline size_t split(uint8_t *p, size_t len, struct iovec *iov)
{
	static const size_t sizes[] = {1, 511, 7, 4099, 3, 65537, 13, 1025};
	size_t cnt = 0, off = 0;

	for (size_t k = 0; off < len; k++) {
		size_t n = sizes[k % 8];

		if (n > len - off || cnt == MAX_IOV - 1)
			n = len - off;
		iov[cnt++] = (struct iovec){p + off, n};
		off += n;
	}
	return cnt;
}

static inline int rdt_io(struct rdt *d, bool write, uint64_t lba, uint32_t n, uint8_t *buf,
			 uint8_t *pi)
{
	struct iovec iov[MAX_IOV];
	struct tcmud_io io = {.cmd = &d->cmd, .lba = lba, .nr_blocks = n, .iov = iov, .pi = pi};

	memset(&d->cmd, 0, sizeof(d->cmd));
	io.iov_cnt = split(buf, (size_t)n * d->hdev.block_size, iov);
	return write ? tcmud_handler.write(&d->hdev, &io) : tcmud_handler.read(&d->hdev, &io);
}

/* Write n blocks of pattern seed (and their tuples when with_pi); the status. */
static inline int rdt_write(struct rdt *d, uint64_t lba, uint32_t n, uint32_t seed, bool with_pi)
{
	size_t len = (size_t)n * d->hdev.block_size;
	uint8_t *buf = malloc(len), *pi = with_pi ? malloc((size_t)n * 8) : NULL;
	int st;

	assert_non_null(buf);
	fill_blocks(buf, lba, n, d->hdev.block_size, seed);
	if (pi)
		fill_tuples(pi, lba, n, seed);
	st = rdt_io(d, true, lba, n, buf, pi);
	free(buf);
	free(pi);
	return st;
}

static inline void rdt_write_ok(struct rdt *d, uint64_t lba, uint32_t n, uint32_t seed,
				bool with_pi)
{
	assert_int_equal(rdt_write(d, lba, n, seed, with_pi), TCMUD_STATUS_GOOD);
}

enum expect { EXPECT_PATTERN, EXPECT_ZERO };

/* Read n blocks and check them (seed's pattern, or zeros); with pi_seed >= 0
 * their tuples too (-1: tuples must read 0xFF, -2: tuples not read). */
static inline void rdt_check(struct rdt *d, uint64_t lba, uint32_t n, enum expect what,
			     uint32_t seed, int pi_seed)
{
	size_t len = (size_t)n * d->hdev.block_size;
	uint8_t *buf = malloc(len), *want = malloc(len);
	uint8_t *pi = pi_seed == -2 ? NULL : malloc((size_t)n * 8);
	uint8_t *want_pi = pi ? malloc((size_t)n * 8) : NULL;

	assert_non_null(buf);
	assert_non_null(want);
	memset(buf, 0xa5, len);
	if (pi)
		memset(pi, 0x5a, (size_t)n * 8);
	assert_int_equal(rdt_io(d, false, lba, n, buf, pi), TCMUD_STATUS_GOOD);
	if (what == EXPECT_PATTERN)
		fill_blocks(want, lba, n, d->hdev.block_size, seed);
	else
		memset(want, 0, len);
	assert_memory_equal(buf, want, len);
	if (pi) {
		if (pi_seed >= 0)
			fill_tuples(want_pi, lba, n, (uint32_t)pi_seed);
		else
			memset(want_pi, 0xff, (size_t)n * 8);
		assert_memory_equal(pi, want_pi, (size_t)n * 8);
	}
	free(buf);
	free(want);
	free(pi);
	free(want_pi);
}

static inline int rdt_unmap(struct rdt *d, uint64_t lba, uint64_t n)
{
	memset(&d->cmd, 0, sizeof(d->cmd));
	return tcmud_handler.unmap(&d->hdev, &d->cmd, lba, n);
}

static inline void rdt_status(struct rdt *d, uint64_t lba, uint64_t want_n, bool want_mapped)
{
	uint64_t n = 0;
	bool mapped = !want_mapped;

	assert_int_equal(tcmud_handler.lba_status(&d->hdev, lba, &n, &mapped), 0);
	assert_int_equal(mapped, want_mapped);
	assert_int_equal(n, want_n);
}

static inline int rdt_resize(struct rdt *d, uint64_t num_lbas)
{
	struct tcmud_reconfig rc = {.size_changed = true, .new_num_lbas = num_lbas};
	int ret = tcmud_handler.reconfig(&d->hdev, &rc);

	if (ret == 0)
		d->hdev.num_lbas = num_lbas; /* the daemon's part */
	return ret;
}

static inline int rdt_reconfig_cfg(struct rdt *d, const char *cfg)
{
	struct tcmud_reconfig rc = {.cfgstring_changed = true, .new_cfgstring = cfg};

	return tcmud_handler.reconfig(&d->hdev, &rc);
}

#endif
