/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rd handler's storage through its operations: holes, round trips at
 * several block sizes, PI tuples, unmap, provisioning status, the memory
 * ceiling, nullio, resize and live reconfiguration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rd_fixture.h"

#define MiB (1024u * 1024u)
#define PAGE 4096u

static void assert_sense(struct rdt *d, int status, uint8_t key, uint16_t asc)
{
	assert_int_equal(status, TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(d->cmd.status, TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(d->cmd.sense.key, key);
	assert_int_equal(d->cmd.sense.asc_ascq, asc);
}

static void test_holes_read_zero_and_cost_nothing(void **state)
{
	struct rdt d;
	char path[PATH_MAX];
	uint64_t header_bytes;

	rdt_open_ok(&d, "rd0", "s0", 64 * MiB / 512, 512, "");
	rdt_path(&d, path, sizeof(path));
	assert_true(path_exists(path));
	header_bytes = file_bytes(path);
	assert_true(header_bytes <= PAGE);
	/* The whole device reads as zeros, and reading allocates nothing. */
	for (uint64_t lba = 0; lba < d.hdev.num_lbas; lba += 2048)
		rdt_check(&d, lba, 2048, EXPECT_ZERO, 0, -2);
	assert_int_equal(file_bytes(path), header_bytes);
	assert_int_equal(rd_store_mem_used(), 0);
	rdt_status(&d, 0, d.hdev.num_lbas, false);
	assert_true(d.hdev.unmap_zeroes);
	assert_int_equal(d.hdev.unmap_granularity, 8);
	assert_int_equal(d.hdev.pi_type, 0);
	assert_false(d.hdev.read_only);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
	assert_false(path_exists(path));
}

static void test_pi_holes_read_ff(void **state)
{
	struct rdt d;
	char path[PATH_MAX];
	uint64_t header_bytes;

	rdt_open_ok(&d, "rd0", "s0", 8 * MiB / 512, 512, "pi=1");
	assert_int_equal(d.hdev.pi_type, 1);
	rdt_path(&d, path, sizeof(path));
	header_bytes = file_bytes(path);
	rdt_check(&d, 0, 1000, EXPECT_ZERO, 0, -1);
	rdt_check(&d, d.hdev.num_lbas - 7, 7, EXPECT_ZERO, 0, -1);
	assert_int_equal(file_bytes(path), header_bytes);
	assert_int_equal(rd_store_mem_used(), 0);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

/* Writes at odd places, checked with their neighbours. */
static void roundtrip(uint32_t bs, const char *cfg, bool pi)
{
	uint64_t lbas = 16 * MiB / bs;
	int no_pi = pi ? -1 : -2;
	struct rdt d;

	rdt_open_ok(&d, "rd0", "s0", lbas, bs, cfg);
	rdt_write_ok(&d, 1, 1, 1, pi);                       /* inside a page */
	rdt_write_ok(&d, 13, 40, 2, pi);                     /* across pages */
	rdt_write_ok(&d, lbas - 3, 3, 3, pi);                /* the end */
	rdt_write_ok(&d, lbas / 2, (uint32_t)(1 * MiB / bs), 4, pi); /* a big one */
	rdt_check(&d, 0, 1, EXPECT_ZERO, 0, no_pi);
	rdt_check(&d, 1, 1, EXPECT_PATTERN, 1, pi ? 1 : -2);
	rdt_check(&d, 2, 11, EXPECT_ZERO, 0, no_pi);
	rdt_check(&d, 13, 40, EXPECT_PATTERN, 2, pi ? 2 : -2);
	rdt_check(&d, 53, 10, EXPECT_ZERO, 0, no_pi);
	rdt_check(&d, lbas - 3, 3, EXPECT_PATTERN, 3, pi ? 3 : -2);
	rdt_check(&d, lbas / 2, (uint32_t)(1 * MiB / bs), EXPECT_PATTERN, 4, pi ? 4 : -2);
	/* Overwrite part of a run. */
	rdt_write_ok(&d, 20, 2, 5, pi);
	rdt_check(&d, 13, 7, EXPECT_PATTERN, 2, pi ? 2 : -2);
	rdt_check(&d, 20, 2, EXPECT_PATTERN, 5, pi ? 5 : -2);
	rdt_check(&d, 22, 31, EXPECT_PATTERN, 2, pi ? 2 : -2);
	assert_true(rd_store_mem_used() > 0);
	assert_true(rd_store_mem_used() % PAGE == 0);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
	assert_int_equal(rd_store_mem_used(), 0);
}

static void test_roundtrip_512(void **state)
{
	roundtrip(512, "", false);
}

static void test_roundtrip_4096(void **state)
{
	roundtrip(4096, "", false);
}

static void test_roundtrip_other_block_sizes(void **state)
{
	roundtrip(1024, "", false);
	roundtrip(65536, "", false);
}

static void test_roundtrip_pi(void **state)
{
	roundtrip(512, "pi=1", true);
	roundtrip(4096, "pi=2", true);
	roundtrip(8192, "pi=3", true);
}

/* The memory a write takes is exactly the pages it touches. */
static void test_accounting_counts_pages(void **state)
{
	struct rdt d;
	char path[PATH_MAX];

	rdt_open_ok(&d, "rd0", "s0", 8 * MiB / 512, 512, "pi=1");
	rdt_path(&d, path, sizeof(path));
	rdt_write_ok(&d, 0, 1, 1, true);      /* one data page, one PI page */
	assert_int_equal(rd_store_mem_used(), 2 * PAGE);
	rdt_write_ok(&d, 7, 2, 1, true);      /* blocks 7 and 8: one more data page */
	assert_int_equal(rd_store_mem_used(), 3 * PAGE);
	rdt_write_ok(&d, 600, 1, 1, true);    /* tuple 600 is in the second PI page */
	assert_int_equal(rd_store_mem_used(), 5 * PAGE);
	assert_int_equal(file_bytes(path), 6 * PAGE); /* and the header */
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

/* Data written without tuples on a PI device drops the old tuples. */
static void test_write_without_tuples(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "s0", 8 * MiB / 512, 512, "pi=1");
	rdt_write_ok(&d, 0, 16, 1, true);
	rdt_write_ok(&d, 4, 2, 2, false);
	rdt_check(&d, 0, 4, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 4, 2, EXPECT_PATTERN, 2, -1);
	rdt_check(&d, 6, 10, EXPECT_PATTERN, 1, 1);
	/* Not even a PI page for data written without tuples. */
	rdt_write_ok(&d, 8192, 1, 3, false);
	rdt_check(&d, 8192, 1, EXPECT_PATTERN, 3, -1);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_unmap_whole_pages(void **state)
{
	struct rdt d;
	char path[PATH_MAX];
	uint64_t before;

	rdt_open_ok(&d, "rd0", "s0", 8 * MiB / 512, 512, "pi=1");
	rdt_path(&d, path, sizeof(path));
	rdt_write_ok(&d, 0, 1024, 1, true);     /* 128 data pages, 2 PI pages */
	assert_int_equal(rd_store_mem_used(), 130 * PAGE);
	before = file_bytes(path);
	assert_int_equal(rdt_unmap(&d, 64, 512), TCMUD_STATUS_GOOD); /* pages 8..71 */
	assert_int_equal(rd_store_mem_used(), 66 * PAGE);
	assert_int_equal(file_bytes(path), before - 64 * PAGE);
	rdt_check(&d, 0, 64, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 64, 512, EXPECT_ZERO, 0, -1);
	rdt_check(&d, 576, 448, EXPECT_PATTERN, 1, 1);
	rdt_status(&d, 0, 64, true);
	rdt_status(&d, 64, 512, false);
	rdt_status(&d, 576, 448, true);
	/* Unmapping it all gives back the PI pages too. */
	assert_int_equal(rdt_unmap(&d, 0, d.hdev.num_lbas), TCMUD_STATUS_GOOD);
	assert_int_equal(rd_store_mem_used(), 0);
	assert_true(file_bytes(path) <= PAGE);
	rdt_check(&d, 0, 1024, EXPECT_ZERO, 0, -1);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_unmap_partial_pages(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "s0", 8 * MiB / 512, 512, "pi=1");
	rdt_write_ok(&d, 0, 16, 1, true);       /* data pages 0 and 1 */
	/* Blocks 3..9: the ends of both pages are zero-filled, the pages stay. */
	assert_int_equal(rdt_unmap(&d, 3, 7), TCMUD_STATUS_GOOD);
	rdt_check(&d, 0, 3, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 3, 7, EXPECT_ZERO, 0, -1);
	rdt_check(&d, 10, 6, EXPECT_PATTERN, 1, 1);
	rdt_status(&d, 0, 16, true);
	assert_int_equal(rd_store_mem_used(), 3 * PAGE);
	/* The last written blocks of page 1 go: it holds only zeros, so it is
	 * given back whole. */
	assert_int_equal(rdt_unmap(&d, 10, 6), TCMUD_STATUS_GOOD);
	rdt_status(&d, 0, 8, true);
	rdt_status(&d, 8, d.hdev.num_lbas - 8, false);
	assert_int_equal(rd_store_mem_used(), 2 * PAGE);
	/* Block by block, page 0 empties too; the PI page goes with its tuples. */
	for (uint64_t lba = 0; lba < 3; lba++)
		assert_int_equal(rdt_unmap(&d, lba, 1), TCMUD_STATUS_GOOD);
	assert_int_equal(rd_store_mem_used(), 0);
	rdt_check(&d, 0, 16, EXPECT_ZERO, 0, -1);
	/* Unmapping holes, or nothing, is fine. */
	assert_int_equal(rdt_unmap(&d, 100, 1), TCMUD_STATUS_GOOD);
	assert_int_equal(rdt_unmap(&d, 100, 0), TCMUD_STATUS_GOOD);
	assert_int_equal(rd_store_mem_used(), 0);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_unmap_out_of_range(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "s0", 1024, 512, "");
	assert_sense(&d, rdt_unmap(&d, 1000, 25), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_sense(&d, rdt_unmap(&d, UINT64_MAX, 2), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_int_equal(rdt_unmap(&d, 1000, 24), TCMUD_STATUS_GOOD);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_lba_status_runs(void **state)
{
	uint64_t n;
	bool mapped;
	struct rdt d;
	/* 2 GiB: the page map spans several leaves. */
	uint64_t lbas = 2048ULL * MiB / 512;

	rdt_open_ok(&d, "rd0", "s0", lbas, 512, "");
	rdt_write_ok(&d, 8, 16, 1, false);                  /* pages 1, 2 */
	rdt_write_ok(&d, 27, 1, 1, false);                  /* page 3 */
	rdt_write_ok(&d, lbas - 1, 1, 1, false);            /* the last page */
	rdt_write_ok(&d, 300000, 1, 1, false);              /* page 37500, in leaf 1 */
	rdt_status(&d, 0, 8, false);
	rdt_status(&d, 3, 5, false);                        /* from inside a run */
	rdt_status(&d, 8, 24, true);                        /* pages 1..3 */
	rdt_status(&d, 30, 2, true);
	rdt_status(&d, 32, 300000 - 32, false);
	rdt_status(&d, 299992, 8, false);
	rdt_status(&d, 300000, 8, true);
	rdt_status(&d, 300003, 5, true);
	rdt_status(&d, 300008, lbas - 8 - 300008, false);
	rdt_status(&d, lbas - 8, 8, true);
	rdt_status(&d, lbas - 1, 1, true);
	assert_int_equal(tcmud_handler.lba_status(&d.hdev, lbas, &n, &mapped), -ERANGE);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

/* Blocks bigger than a page are mapped if any of their pages is. */
static void test_lba_status_large_blocks(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "s0", 1024, 16384, "");
	rdt_write_ok(&d, 2, 3, 1, false);
	rdt_write_ok(&d, 7, 1, 1, false);
	rdt_status(&d, 0, 2, false);
	rdt_status(&d, 2, 3, true);
	rdt_status(&d, 3, 2, true);
	rdt_status(&d, 5, 2, false);
	rdt_status(&d, 7, 1, true);
	rdt_status(&d, 8, 1016, false);
	/* Unmapping blocks 2 and 4 leaves block 3 mapped between holes. */
	assert_int_equal(d.hdev.unmap_granularity, 1);
	assert_int_equal(rdt_unmap(&d, 2, 1), TCMUD_STATUS_GOOD);
	assert_int_equal(rdt_unmap(&d, 4, 1), TCMUD_STATUS_GOOD);
	rdt_status(&d, 2, 1, false);
	rdt_status(&d, 3, 1, true);
	rdt_status(&d, 4, 3, false);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_io_out_of_range(void **state)
{
	struct rdt d;
	uint8_t buf[1024];
	struct iovec iov = {buf, sizeof(buf)};
	struct tcmud_io io = {.cmd = &d.cmd, .lba = 1023, .nr_blocks = 2, .iov = &iov,
			      .iov_cnt = 1};

	rdt_open_ok(&d, "rd0", "s0", 1024, 512, "");
	assert_sense(&d, tcmud_handler.read(&d.hdev, &io), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_sense(&d, tcmud_handler.write(&d.hdev, &io), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	assert_int_equal(rd_store_mem_used(), 0);
	assert_int_equal(tcmud_handler.flush(&d.hdev, &d.cmd), TCMUD_STATUS_GOOD);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_mem_limit(void **state)
{
	struct rdt a, b, c;
	char why[256];

	assert_int_equal(tcmud_handler.configure("mem_limit", "64K", why, sizeof(why)), 0);
	assert_int_equal(rd_store_mem_limit(), 64 * 1024);
	rdt_open_ok(&a, "rd0", "s0", 8 * MiB / 512, 512, "");
	rdt_write_ok(&a, 0, 120, 1, false);                 /* 15 pages */
	/* Two more pages do not fit: nothing of the write is stored. */
	assert_sense(&a, rdt_write(&a, 120, 16, 2, false), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SPACE_ALLOC_FAILED_WRITE_PROTECT);
	rdt_check(&a, 120, 16, EXPECT_ZERO, 0, -2);
	assert_int_equal(rd_store_mem_used(), 15 * PAGE);
	/* Overwrites need no memory; one more page fits exactly. */
	rdt_write_ok(&a, 0, 120, 3, false);
	rdt_write_ok(&a, 120, 8, 2, false);
	assert_int_equal(rd_store_mem_used(), 64 * 1024);
	assert_sense(&a, rdt_write(&a, 4096, 1, 2, false), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_SPACE_ALLOC_FAILED_WRITE_PROTECT);
	/* A new device is refused while the ceiling is reached... */
	rdt_init(&b, "rd1", "s1", 1024, 512, "");
	assert_int_equal(rdt_open(&b), -ENOSPC);
	assert_non_null(strstr(b.why, "mem_limit"));
	assert_int_equal(dir_entries(), 1);                 /* and leaves nothing */
	/* ...but a nullio device costs nothing. */
	rdt_open_ok(&c, "rd2", "s2", 1024, 512, "nullio=1");
	rdt_close(&c, TCMUD_CLOSE_REMOVED);
	/* Unmapping makes room again. */
	assert_int_equal(rdt_unmap(&a, 0, 64), TCMUD_STATUS_GOOD);
	rdt_write_ok(&a, 4096, 1, 2, false);
	rdt_open_ok(&b, "rd1", "s1", 1024, 512, "");
	rdt_close(&b, TCMUD_CLOSE_REMOVED);
	/* 0 lifts the ceiling. */
	assert_int_equal(tcmud_handler.configure("mem_limit", "0", why, sizeof(why)), 0);
	rdt_write_ok(&a, 8000, 100, 2, false);
	rdt_close(&a, TCMUD_CLOSE_REMOVED);
}

/* A device whose storage exists already is not new: it opens at the ceiling. */
static void test_mem_limit_keeps_existing_devices(void **state)
{
	struct rdt a, b;
	char why[256];

	rdt_open_ok(&a, "rd0", "s0", 1024, 512, "");
	rdt_write_ok(&a, 0, 64, 1, false);
	rdt_close(&a, TCMUD_CLOSE_SHUTDOWN);
	rdt_open_ok(&b, "rd1", "s1", 1024, 512, "");
	rdt_write_ok(&b, 0, 64, 1, false);
	assert_int_equal(tcmud_handler.configure("mem_limit", "32K", why, sizeof(why)), 0);
	rdt_open_ok(&a, "rd0", "s0", 1024, 512, "");
	assert_int_equal(rd_store_mem_used(), 16 * PAGE);
	rdt_check(&a, 0, 64, EXPECT_PATTERN, 1, -2);
	rdt_close(&a, TCMUD_CLOSE_REMOVED);
	rdt_close(&b, TCMUD_CLOSE_REMOVED);
}

static void test_configure_refusals(void **state)
{
	char why[256];

	assert_int_equal(tcmud_handler.configure("mem_limit", "1G", why, sizeof(why)), 0);
	assert_int_equal(rd_store_mem_limit(), 1ULL << 30);
	assert_int_equal(tcmud_handler.configure("mem_limit", "1048576", why, sizeof(why)), 0);
	assert_int_equal(rd_store_mem_limit(), 1ULL << 20);
	assert_int_equal(tcmud_handler.configure("mem_limit", "2t", why, sizeof(why)), 0);
	assert_int_equal(rd_store_mem_limit(), 2ULL << 40);
	assert_int_equal(tcmud_handler.configure("mem_limit", "12Q", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "12Q"));
	assert_int_equal(tcmud_handler.configure("mem_limit", "", why, sizeof(why)), -EINVAL);
	assert_int_equal(tcmud_handler.configure("mem_limit", "-1", why, sizeof(why)), -EINVAL);
	assert_int_equal(tcmud_handler.configure("colour", "blue", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "colour"));
	assert_int_equal(rd_store_mem_limit(), 2ULL << 40); /* refusals change nothing */
	assert_int_equal(tcmud_handler.configure("mem_limit", "0", why, sizeof(why)), 0);
	assert_int_equal(rd_store_mem_limit(), 0);
}

static void test_nullio(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "s0", 1ULL << 40, 512, "nullio=1;pi=1"); /* 512 TiB */
	assert_int_equal(dir_entries(), 0);
	rdt_write_ok(&d, 5, 8, 1, true);
	rdt_check(&d, 5, 8, EXPECT_ZERO, 0, -1);
	rdt_status(&d, 0, 1ULL << 40, false);
	rdt_status(&d, 17, (1ULL << 40) - 17, false);
	assert_int_equal(rdt_unmap(&d, 0, 8), TCMUD_STATUS_GOOD);
	assert_int_equal(rd_store_mem_used(), 0);
	assert_int_equal(rdt_resize(&d, 2048), 0);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_read_only(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "s0", 1024, 512, "ro=1");
	assert_true(d.hdev.read_only);
	assert_sense(&d, rdt_write(&d, 0, 1, 1, false), TCMUD_SK_DATA_PROTECT,
		     TCMUD_ASC_WRITE_PROTECTED);
	assert_sense(&d, rdt_unmap(&d, 0, 1), TCMUD_SK_DATA_PROTECT, TCMUD_ASC_WRITE_PROTECTED);
	/* ro can change on a live device. */
	assert_int_equal(rdt_reconfig_cfg(&d, "ro=0"), 0);
	assert_false(d.hdev.read_only);
	rdt_write_ok(&d, 0, 1, 1, false);
	assert_int_equal(rdt_reconfig_cfg(&d, "ro=1;size=512K"), 0);
	assert_true(d.hdev.read_only);
	rdt_check(&d, 0, 1, EXPECT_PATTERN, 1, -2);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_reconfig_refusals(void **state)
{
	struct rdt d;
	struct tcmud_reconfig wc = {.write_cache_changed = true, .new_write_cache = false};

	rdt_open_ok(&d, "rd0", "s0", 2048, 512, "pi=1");
	rdt_write_ok(&d, 0, 8, 1, true);
	assert_int_equal(rdt_reconfig_cfg(&d, "pi=2"), -EINVAL);
	assert_int_equal(rdt_reconfig_cfg(&d, ""), -EINVAL);            /* pi=0 */
	assert_int_equal(rdt_reconfig_cfg(&d, "pi=1;nullio=1"), -EINVAL);
	assert_int_equal(rdt_reconfig_cfg(&d, "pi=1;persist=0"), -EINVAL);
	assert_int_equal(rdt_reconfig_cfg(&d, "pi=1;size=2M"), -EINVAL);
	assert_int_equal(rdt_reconfig_cfg(&d, "pi=1;colour=blue"), -EINVAL);
	assert_int_equal(rdt_reconfig_cfg(&d, "pi=1;size=1M"), 0);
	assert_int_equal(tcmud_handler.reconfig(&d.hdev, &wc), 0);
	assert_false(d.hdev.read_only);
	rdt_check(&d, 0, 8, EXPECT_PATTERN, 1, 1);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_resize(void **state)
{
	struct rdt d;
	char path[PATH_MAX];

	rdt_open_ok(&d, "rd0", "s0", 8192, 512, "pi=1");     /* 4 MiB */
	rdt_path(&d, path, sizeof(path));
	rdt_write_ok(&d, 2900, 200, 1, true);                /* across 3072 */
	rdt_write_ok(&d, 8000, 192, 2, true);
	assert_int_equal(rdt_resize(&d, 3071), 0);           /* inside a page */
	assert_int_equal(rd_store_mem_used(), 22 * PAGE + 1 * PAGE);
	rdt_check(&d, 2900, 171, EXPECT_PATTERN, 1, 1);
	rdt_status(&d, 3064, 7, true);
	assert_sense(&d, rdt_write(&d, 3071, 1, 1, false), TCMUD_SK_ILLEGAL_REQUEST,
		     TCMUD_ASC_LBA_OUT_OF_RANGE);
	/* Growing again shows zeros where blocks were cut, also in the page
	 * that was cut in the middle. */
	assert_int_equal(rdt_resize(&d, 16384), 0);
	rdt_check(&d, 2900, 171, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 3071, 16384 - 3071, EXPECT_ZERO, 0, -1);
	rdt_write_ok(&d, 16383, 1, 3, true);
	rdt_check(&d, 16383, 1, EXPECT_PATTERN, 3, 3);
	assert_int_equal(rdt_resize(&d, 0), -EINVAL);
	assert_int_equal(rdt_resize(&d, UINT64_MAX / 512), -ENOMEM);
	assert_int_equal(rdt_resize(&d, UINT64_MAX), -EINVAL);
	rdt_check(&d, 16383, 1, EXPECT_PATTERN, 3, 3);
	/* The size is recorded for the next start. */
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);
	rdt_open_ok(&d, "rd0", "s0", 16384, 512, "pi=1");
	rdt_check(&d, 2900, 171, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 16383, 1, EXPECT_PATTERN, 3, 3);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
	assert_false(path_exists(path));
}

static void test_block_sizes(void **state)
{
	static const uint32_t bad[] = {0, 256, 520, 1000, 4097, 131072};
	struct rdt d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rdt_init(&d, "rd0", "s0", 1024, bad[i], "");
		assert_int_equal(rdt_open(&d), -EINVAL);
		assert_non_null(strstr(d.why, "block size"));
		assert_null(d.hdev.priv);
	}
	for (uint32_t bs = 512; bs <= 65536; bs *= 2) {
		rdt_open_ok(&d, "rd0", "s0", 64, bs, "");
		rdt_write_ok(&d, 63, 1, bs, false);
		rdt_check(&d, 63, 1, EXPECT_PATTERN, bs, -2);
		assert_int_equal(d.hdev.unmap_granularity, bs < 4096 ? 4096 / bs : 1);
		rdt_close(&d, TCMUD_CLOSE_REMOVED);
	}
	assert_int_equal(dir_entries(), 0);
}

static void test_open_refusals(void **state)
{
	struct rdt d;

	rdt_init(&d, "rd0", "s0", 131072, 512, "size=1M");
	assert_int_equal(rdt_open(&d), -EINVAL);
	assert_non_null(strstr(d.why, "1048576"));
	assert_non_null(strstr(d.why, "67108864"));
	rdt_init(&d, "rd0", "s0", 131072, 512, "pi=7");
	assert_int_equal(rdt_open(&d), -EINVAL);
	assert_non_null(strstr(d.why, "pi=7"));
	rdt_init(&d, "rd0", "s0", 0, 512, "");
	assert_int_equal(rdt_open(&d), -EINVAL);
	rdt_init(&d, "rd0", "s0", UINT64_MAX / 512, 512, "");
	assert_int_equal(rdt_open(&d), -ENOMEM);
	assert_non_null(strstr(d.why, "cannot allocate"));
	rdt_init(&d, "rd0", "s0", RD_MAX_BYTES / 512 + 1, 512, "");
	assert_int_equal(rdt_open(&d), -ENOMEM);
	assert_non_null(strstr(d.why, "at most"));
	assert_int_equal(dir_entries(), 0);
}

/* The largest device opens, and costs nothing until written. */
static void test_largest_device(void **state)
{
	const uint64_t lbas = RD_MAX_BYTES / 512;
	struct rdt d;
	int rc;

	rdt_init(&d, "rd0", "s0", lbas, 512, "pi=1");
	rc = rdt_open(&d);
	if (rc == -ENOMEM && strstr(d.why, "mapping")) {
		/* An address space that cannot map 8 TiB (valgrind's): refused
		 * cleanly, and nothing left behind. */
		assert_int_equal(dir_entries(), 0);
		skip();
	}
	assert_int_equal(rc, 0);
	rdt_write_ok(&d, lbas - 1, 1, 1, true);
	rdt_check(&d, lbas - 1, 1, EXPECT_PATTERN, 1, 1);
	rdt_status(&d, 0, lbas - 8, false);
	assert_int_equal(rd_store_mem_used(), 2 * PAGE);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, dir_setup, dir_teardown)
	const struct CMUnitTest tests[] = {
		T(test_holes_read_zero_and_cost_nothing),
		T(test_pi_holes_read_ff),
		T(test_roundtrip_512),
		T(test_roundtrip_4096),
		T(test_roundtrip_other_block_sizes),
		T(test_roundtrip_pi),
		T(test_accounting_counts_pages),
		T(test_write_without_tuples),
		T(test_unmap_whole_pages),
		T(test_unmap_partial_pages),
		T(test_unmap_out_of_range),
		T(test_lba_status_runs),
		T(test_lba_status_large_blocks),
		T(test_io_out_of_range),
		T(test_mem_limit),
		T(test_mem_limit_keeps_existing_devices),
		T(test_configure_refusals),
		T(test_nullio),
		T(test_read_only),
		T(test_reconfig_refusals),
		T(test_resize),
		T(test_block_sizes),
		T(test_open_refusals),
		T(test_largest_device),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
