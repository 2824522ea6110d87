/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the rd handler keeps across restarts: its object in the shm
 * directory, found again by identity, checked against the configuration,
 * laid out as documented, deleted with the device and only then.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "rd_fixture.h"

#define PAGE 4096u

static void test_object_names(void **state)
{
	struct rd_identity plain = {0, "rd0", ""}, null_serial = {0, "rd0", NULL};
	struct rd_identity odd = {3, "my disk%", "a"};
	char long_a[300], long_b[300], name[NAME_MAX + 1], other[NAME_MAX + 1];

	rd_shm_object_name(&plain, name, sizeof(name));
	/* FNV-1a 64 of "" and of "a" are well known. */
	assert_string_equal(name, "tcmud-rd.0.rd0.cbf29ce484222325");
	rd_shm_object_name(&null_serial, other, sizeof(other));
	assert_string_equal(name, other);
	rd_shm_object_name(&odd, name, sizeof(name));
	assert_string_equal(name, "tcmud-rd.3.my%20disk%25.af63dc4c8601ec8c");
	/* Long names are cut and made unique again by a hash of the whole. */
	memset(long_a, 'x', sizeof(long_a) - 1);
	long_a[sizeof(long_a) - 1] = '\0';
	memcpy(long_b, long_a, sizeof(long_b));
	long_b[sizeof(long_b) - 2] = 'y';
	rd_shm_object_name(&(struct rd_identity){0, long_a, "s"}, name, sizeof(name));
	rd_shm_object_name(&(struct rd_identity){0, long_b, "s"}, other, sizeof(other));
	assert_true(strlen(name) < 200);
	assert_non_null(strchr(name, '~'));
	assert_string_not_equal(name, other);
}

static void test_persists_across_close(void **state)
{
	struct rdt d;
	char path[PATH_MAX];
	uint64_t used;

	rdt_open_ok(&d, "rd0", "serial-1", 8192, 512, "pi=1");
	rdt_path(&d, path, sizeof(path));
	rdt_write_ok(&d, 0, 64, 1, true);
	rdt_write_ok(&d, 5000, 3, 2, true);
	assert_int_equal(rdt_unmap(&d, 16, 16), TCMUD_STATUS_GOOD);
	used = rd_store_mem_used();
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);
	assert_true(path_exists(path));
	assert_int_equal(rd_store_mem_used(), 0);

	rdt_open_ok(&d, "rd0", "serial-1", 8192, 512, "pi=1");
	assert_int_equal(rd_store_mem_used(), used);
	rdt_check(&d, 0, 16, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 16, 16, EXPECT_ZERO, 0, -1);
	rdt_check(&d, 32, 32, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 5000, 3, EXPECT_PATTERN, 2, 2);
	rdt_status(&d, 0, 16, true);
	rdt_status(&d, 16, 16, false);
	rdt_status(&d, 32, 32, true);
	rdt_status(&d, 64, 5000 - 64, false);
	/* A daemon that fails to bring the device up keeps its data too. */
	rdt_close(&d, TCMUD_CLOSE_FAILED);
	assert_true(path_exists(path));
	rdt_open_ok(&d, "rd0", "serial-1", 8192, 512, "pi=1");
	rdt_check(&d, 5000, 3, EXPECT_PATTERN, 2, 2);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
	assert_false(path_exists(path));
	assert_int_equal(rd_store_mem_used(), 0);
}

/* kill -9 right after the writes: everything written is there. */
static void test_survives_kill(void **state)
{
	struct rdt d;
	int status, ready[2];
	char byte;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* No cmocka here: a failed check must not resume the tests. */
		uint8_t buf[8 * 512], pi[8 * 8];

		rdt_init(&d, "rd0", "serial-1", 8192, 512, "pi=1");
		if (tcmud_handler.open(&d.hdev, d.why, sizeof(d.why)) != 0)
			_exit(2);
		fill_blocks(buf, 96, 8, 512, 7);
		fill_tuples(pi, 96, 8, 7);
		if (rdt_io(&d, true, 96, 8, buf, pi) != TCMUD_STATUS_GOOD)
			_exit(3);
		/* Killed from outside, like kill -9: nothing of ours runs after. */
		if (write(ready[1], "k", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	rdt_open_ok(&d, "rd0", "serial-1", 8192, 512, "pi=1");
	rdt_check(&d, 96, 8, EXPECT_PATTERN, 7, 7);
	rdt_check(&d, 0, 96, EXPECT_ZERO, 0, -1);
	assert_int_equal(rd_store_mem_used(), 2 * PAGE);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_changed_configuration_is_refused(void **state)
{
	struct rdt d;
	char path[PATH_MAX];
	uint64_t bytes;

	rdt_open_ok(&d, "rd0", "serial-1", 8192, 512, "");
	rdt_path(&d, path, sizeof(path));
	rdt_write_ok(&d, 0, 8, 1, false);
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);
	bytes = file_bytes(path);

	rdt_init(&d, "rd0", "serial-1", 1024, 4096, "");
	assert_int_equal(rdt_open(&d), -EEXIST);
	assert_null(d.hdev.priv);
	assert_non_null(strstr(d.why, path));
	assert_non_null(strstr(d.why, "block size 512"));
	assert_non_null(strstr(d.why, "delete"));
	rdt_init(&d, "rd0", "serial-1", 8192, 512, "pi=1");
	assert_int_equal(rdt_open(&d), -EEXIST);
	assert_non_null(strstr(d.why, "pi type 0"));
	assert_int_equal(rd_store_mem_used(), 0);
	/* Nothing was touched. */
	assert_int_equal(file_bytes(path), bytes);
	rdt_open_ok(&d, "rd0", "serial-1", 8192, 512, "");
	rdt_check(&d, 0, 8, EXPECT_PATTERN, 1, -2);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

static void test_foreign_file_is_refused(void **state)
{
	static const char junk[] = "not an rd object, just some bytes of no interest";
	struct rdt d;
	char path[PATH_MAX], back[sizeof(junk)];
	int fd;

	rdt_init(&d, "rd0", "serial-1", 8192, 512, "");
	rdt_path(&d, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	assert_int_equal(rdt_open(&d), -EEXIST);
	assert_non_null(strstr(d.why, "not an rd object"));
	assert_int_equal(pread(fd, back, sizeof(back), 0), sizeof(back));
	assert_memory_equal(back, junk, sizeof(junk));
	close(fd);
	assert_int_equal(unlink(path), 0);
}

/* A device deleted and created again (another serial) does not get the old
 * device's blocks; devices that only look alike keep theirs. */
static void test_stale_object_is_deleted(void **state)
{
	struct rdt old, similar, other_hba, fresh;
	char old_path[PATH_MAX], similar_path[PATH_MAX], other_path[PATH_MAX];

	rdt_open_ok(&old, "rd0", "serial-1", 1024, 512, "");
	rdt_write_ok(&old, 0, 8, 1, false);
	rdt_path(&old, old_path, sizeof(old_path));
	rdt_close(&old, TCMUD_CLOSE_SHUTDOWN);
	rdt_open_ok(&similar, "rd0.x", "serial-1", 1024, 512, "");
	rdt_path(&similar, similar_path, sizeof(similar_path));
	rdt_close(&similar, TCMUD_CLOSE_SHUTDOWN);
	rdt_init(&other_hba, "rd0", "serial-1", 1024, 512, "");
	other_hba.hdev.hba = 1;
	assert_int_equal(rdt_open(&other_hba), 0);
	rdt_path(&other_hba, other_path, sizeof(other_path));
	rdt_close(&other_hba, TCMUD_CLOSE_SHUTDOWN);

	rdt_open_ok(&fresh, "rd0", "serial-2", 1024, 512, "");
	assert_false(path_exists(old_path));
	assert_true(path_exists(similar_path));
	assert_true(path_exists(other_path));
	rdt_check(&fresh, 0, 8, EXPECT_ZERO, 0, -2);
	rdt_close(&fresh, TCMUD_CLOSE_REMOVED);
	assert_int_equal(unlink(similar_path), 0);
	assert_int_equal(unlink(other_path), 0);
}

/* targetcli enables a device before it sets the unit serial: the blocks
 * written then are the device's once the serial is known (the next open),
 * and a device with another serial still does not get them. */
static void test_serial_set_after_enable(void **state)
{
	struct rdt d;
	char bare_path[PATH_MAX], path[PATH_MAX];

	rdt_open_ok(&d, "rd0", "", 1024, 512, "pi=1");
	rdt_path(&d, bare_path, sizeof(bare_path));
	rdt_write_ok(&d, 0, 8, 3, true);
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);

	rdt_open_ok(&d, "rd0", "uuid-1", 1024, 512, "pi=1");
	rdt_path(&d, path, sizeof(path));
	assert_string_not_equal(path, bare_path);
	assert_false(path_exists(bare_path));
	rdt_check(&d, 0, 8, EXPECT_PATTERN, 3, 3);
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);
	/* Taken over for good: the serial is in the header now. */
	rdt_open_ok(&d, "rd0", "uuid-1", 1024, 512, "pi=1");
	rdt_check(&d, 0, 8, EXPECT_PATTERN, 3, 3);
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);
	rdt_open_ok(&d, "rd0", "uuid-2", 1024, 512, "pi=1");
	assert_false(path_exists(path));
	rdt_check(&d, 0, 8, EXPECT_ZERO, 0, -2);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

/* A device that never came up leaves nothing behind. */
static void test_failed_open_leaves_nothing(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "serial-1", 1024, 512, "");
	rdt_close(&d, TCMUD_CLOSE_FAILED);
	assert_int_equal(dir_entries(), 0);
}

static void test_persist_0_keeps_nothing(void **state)
{
	struct rdt d;

	rdt_open_ok(&d, "rd0", "serial-1", 1024, 512, "persist=0;pi=1");
	assert_int_equal(dir_entries(), 0);
	rdt_write_ok(&d, 0, 64, 1, true);
	rdt_check(&d, 0, 64, EXPECT_PATTERN, 1, 1);
	assert_int_equal(rdt_unmap(&d, 0, 64), TCMUD_STATUS_GOOD);
	assert_int_equal(rd_store_mem_used(), 0);
	rdt_write_ok(&d, 0, 64, 1, true);
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);
	assert_int_equal(dir_entries(), 0);
	rdt_open_ok(&d, "rd0", "serial-1", 1024, 512, "persist=0;pi=1");
	rdt_check(&d, 0, 64, EXPECT_ZERO, 0, -1);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

/* Without a usable directory the blocks stay in memory, with a warning. */
static void test_unusable_directory_falls_back(void **state)
{
	struct rdt d;

	assert_int_equal(setenv(RD_SHM_DIR_ENV, "/nonexistent/tcmud", 1), 0);
	rdt_open_ok(&d, "rd0", "serial-1", 1024, 512, "");
	rdt_write_ok(&d, 3, 5, 1, false);
	rdt_check(&d, 3, 5, EXPECT_PATTERN, 1, -2);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
	assert_int_equal(setenv(RD_SHM_DIR_ENV, shm_dir, 1), 0);
}

static uint64_t read_u64(int fd, uint64_t off)
{
	uint64_t v;

	assert_int_equal(pread(fd, &v, sizeof(v), (off_t)off), sizeof(v));
	return v;
}

/* The layout docs/configuration.md gives, so a test can corrupt a block or
 * its tuple with dd. */
static void layout_as_documented(uint32_t bs)
{
	const uint64_t lba = 1234;
	struct rdt d;
	char path[PATH_MAX], magic[8];
	uint8_t *want = malloc(bs), *got = malloc(bs), tuple[8], stored[8];
	uint32_t u32;
	int fd;

	rdt_open_ok(&d, "rd0", "serial-1", 4096, bs, "pi=1");
	rdt_path(&d, path, sizeof(path));
	rdt_write_ok(&d, lba, 1, 9, true);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* Header. */
	assert_int_equal(pread(fd, magic, 8, 0), 8);
	assert_memory_equal(magic, "tcmud-rd", 8);
	assert_int_equal(pread(fd, &u32, 4, 8), 4);
	assert_int_equal(u32, RD_LAYOUT_VERSION);
	assert_int_equal(pread(fd, &u32, 4, 12), 4);
	assert_int_equal(u32, bs);
	assert_int_equal(pread(fd, &u32, 4, 16), 4);
	assert_int_equal(u32, 1);
	assert_int_equal(read_u64(fd, 24), 4096ULL * bs);
	assert_int_equal(read_u64(fd, 32), 1048576);
	assert_int_equal(read_u64(fd, 40), 8ULL << 40);
	/* Block lba's data and tuple. */
	fill_blocks(want, lba, 1, bs, 9);
	fill_tuples(tuple, lba, 1, 9);
	assert_int_equal(pread(fd, got, bs, (off_t)(1048576 + lba * bs)), bs);
	assert_memory_equal(got, want, bs);
	assert_int_equal(pread(fd, stored, 8, (off_t)((8ULL << 40) + lba * 8)), 8);
	assert_memory_equal(stored, tuple, 8);
	/* Corrupt both behind the handler's back, the way dd would. */
	want[17] ^= 0xff;
	tuple[2] ^= 0xff;
	assert_int_equal(pwrite(fd, &want[17], 1, (off_t)(1048576 + lba * bs + 17)), 1);
	assert_int_equal(pwrite(fd, &tuple[2], 1, (off_t)((8ULL << 40) + lba * 8 + 2)), 1);
	close(fd);
	{
		struct iovec iov = {got, bs};
		struct tcmud_io io = {.cmd = &d.cmd, .lba = lba, .nr_blocks = 1, .iov = &iov,
				      .iov_cnt = 1, .pi = stored};

		assert_int_equal(tcmud_handler.read(&d.hdev, &io), TCMUD_STATUS_GOOD);
	}
	assert_memory_equal(got, want, bs);
	assert_memory_equal(stored, tuple, 8);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
	free(want);
	free(got);
}

static void test_layout_512(void **state)
{
	layout_as_documented(512);
}

static void test_layout_4096(void **state)
{
	layout_as_documented(4096);
}

/* The device shrank while no daemon ran: what is past its end goes. */
static void test_shrunk_while_stopped(void **state)
{
	struct rdt d;
	char path[PATH_MAX];

	rdt_open_ok(&d, "rd0", "serial-1", 8192, 512, "pi=1");
	rdt_path(&d, path, sizeof(path));
	rdt_write_ok(&d, 96, 8, 1, true);       /* one page */
	rdt_write_ok(&d, 4090, 4, 2, true);     /* across the new end */
	rdt_write_ok(&d, 8000, 8, 3, true);
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);

	rdt_open_ok(&d, "rd0", "serial-1", 4092, 512, "pi=1");
	/* The data pages of 96 and 4090, and PI pages 0 and 7. */
	assert_int_equal(rd_store_mem_used(), 4 * PAGE);
	assert_int_equal(file_bytes(path), 5 * PAGE);
	assert_int_equal(rdt_resize(&d, 8192), 0);
	rdt_check(&d, 96, 8, EXPECT_PATTERN, 1, 1);
	rdt_check(&d, 4090, 2, EXPECT_PATTERN, 2, 2);
	rdt_check(&d, 4092, 8192 - 4092, EXPECT_ZERO, 0, -1);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

/* A block bigger than a page is mapped if any page of it holds memory. */
static void test_partly_allocated_large_block(void **state)
{
	struct rdt d;
	char path[PATH_MAX];
	uint8_t byte = 0x42, buf[16384];
	int fd;

	rdt_open_ok(&d, "rd0", "serial-1", 64, 16384, "");
	rdt_path(&d, path, sizeof(path));
	rdt_close(&d, TCMUD_CLOSE_SHUTDOWN);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* The third page of block 5. */
	assert_int_equal(pwrite(fd, &byte, 1, 1048576 + 5 * 16384 + 2 * 4096 + 7), 1);
	close(fd);
	rdt_open_ok(&d, "rd0", "serial-1", 64, 16384, "");
	rdt_status(&d, 0, 5, false);
	rdt_status(&d, 5, 1, true);
	rdt_status(&d, 6, 58, false);
	assert_int_equal(rd_store_mem_used(), PAGE);
	{
		struct iovec iov = {buf, sizeof(buf)};
		struct tcmud_io io = {.cmd = &d.cmd, .lba = 5, .nr_blocks = 1, .iov = &iov,
				      .iov_cnt = 1};

		assert_int_equal(tcmud_handler.read(&d.hdev, &io), TCMUD_STATUS_GOOD);
	}
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i == 2 * 4096 + 7 ? 0x42 : 0);
	rdt_close(&d, TCMUD_CLOSE_REMOVED);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, dir_setup, dir_teardown)
	const struct CMUnitTest tests[] = {
		T(test_object_names),
		T(test_persists_across_close),
		T(test_survives_kill),
		T(test_changed_configuration_is_refused),
		T(test_foreign_file_is_refused),
		T(test_stale_object_is_deleted),
		T(test_serial_set_after_enable),
		T(test_failed_open_leaves_nothing),
		T(test_persist_0_keeps_nothing),
		T(test_unusable_directory_falls_back),
		T(test_layout_512),
		T(test_layout_4096),
		T(test_shrunk_while_stopped),
		T(test_partly_allocated_large_block),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
