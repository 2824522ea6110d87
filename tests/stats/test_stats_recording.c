/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device thread records every command it completes: a device opened by
 * the control plane from a fixture tree (the real rd module) gets commands
 * written into its ring the way the kernel writes them, and its counters, as
 * GetStatus reports them, must match what was sent.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "fixture.h"
#include "status.h"
#include "tcmu_abi.h"

struct ctx {
	struct fixture f;
	struct tcmud_options opts;
	struct tcmud_daemon d;
	uint8_t *map;
	uint32_t head;
	uint16_t next_id;
	uint64_t data_next;     /* next free byte of the data area */
};

static int setup_failed(const char *why)
{
	fprintf(stderr, "setup: %s\n", why);
	return -1;
}

static int setup(void **state)
{
	static struct ctx c;
	memset(&c, 0, sizeof(c));
	fixture_init(&c.f);
	if (fixture_daemon_init(&c.f, HANDLER_DIR, &c.opts, &c.d))
		return -1;
	fixture_add_uio(&c.f, 0, "tcm-user/0/rd0/rd/\n", 2);
	fixture_add_cfgfs_dev(&c.f, 0, "rd0", 8 << 20, 512, "serial0");
	tcmud_daemon_scan(&c.d);
	if (!tcmud_daemon_find(&c.d, 0))
		return setup_failed("the fixture's rd0 is not served");
	/* The kernel's side of the same mapping. */
	char path[1024];
	fixture_path(&c.f, path, sizeof(path), "dev/uio0");
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return setup_failed("cannot open the fixture's uio0");
	c.map = mmap(NULL, FIXTURE_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (c.map == MAP_FAILED)
		return setup_failed("cannot map the fixture's uio0");
	c.data_next = ((struct tcmu_mailbox *)c.map)->cmdr_off + FIXTURE_RING_SIZE;
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	tcmud_daemon_fini(&c->d);
	munmap(c->map, FIXTURE_MAP_SIZE);
	fixture_cleanup(&c->f);
	return 0;
}

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* Write a CMD entry as target_core_user does (one iovec for the data, the
 * CDB after the iovecs) and publish it with a store-release of cmd_head. */
static struct tcmu_cmd_entry *queue(struct ctx *c, const uint8_t *cdb, size_t cdb_len,
				    uint32_t data_len)
{
	struct tcmu_mailbox *mb = (struct tcmu_mailbox *)c->map;
	uint32_t iov_cnt = data_len ? 1 : 0;
	size_t req_end = offsetof(struct tcmu_cmd_entry, req.iov) + iov_cnt * sizeof(struct iovec);
	size_t base = ALIGN8(req_end > sizeof(struct tcmu_cmd_entry) ? req_end
								     : sizeof(struct tcmu_cmd_entry));
	size_t len = ALIGN8(base + cdb_len);
	struct tcmu_cmd_entry *e = (void *)(c->map + mb->cmdr_off + c->head);

	memset(e, 0, len);
	e->hdr.len_op = (uint32_t)len | TCMU_OP_CMD;
	e->hdr.cmd_id = ++c->next_id;
	e->req.iov_cnt = iov_cnt;
	e->req.cdb_off = mb->cmdr_off + c->head + base;
	if (iov_cnt) {
		e->req.iov[0].iov_base = (void *)(uintptr_t)c->data_next;
		e->req.iov[0].iov_len = data_len;
		c->data_next += data_len;
	}
	memcpy((uint8_t *)e + base, cdb, cdb_len);
	c->head += (uint32_t)len;
	__atomic_store_n(&mb->cmd_head, c->head, __ATOMIC_RELEASE);
	return e;
}

static void rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t blocks)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(blocks >> 8);
	cdb[8] = (uint8_t)blocks;
}

/* The device thread completes everything queued: cmd_tail reaches cmd_head. */
static void wait_completed(struct ctx *c)
{
	struct tcmu_mailbox *mb = (struct tcmu_mailbox *)c->map;
	for (int i = 0; i < 10000; i++) {
		if (__atomic_load_n(&mb->cmd_tail, __ATOMIC_ACQUIRE) == c->head)
			return;
		usleep(1000);
	}
	fail_msg("the device thread did not complete the commands (tail %u, head %u)",
		 mb->cmd_tail, c->head);
}

static uint64_t u64(GVariant *dict, const char *key)
{
	guint64 v;
	if (!g_variant_lookup(dict, key, "t", &v))
		fail_msg("no %s of type t", key);
	return v;
}

static void commands_are_recorded(void **state)
{
	struct ctx *c = *state;
	uint8_t cdb[10];
	static const uint8_t tur[6] = {0x00};
	static const uint8_t bogus[6] = {0x02}; /* no such command */
	struct tcmu_cmd_entry *e[5];
	guint32 n;

	e[0] = queue(c, tur, sizeof(tur), 0);
	rw10(cdb, 0x2a, 8, 2);
	e[1] = queue(c, cdb, sizeof(cdb), 1024);
	rw10(cdb, 0x28, 0, 8);
	e[2] = queue(c, cdb, sizeof(cdb), 4096);
	rw10(cdb, 0x28, (8 << 20) / 512, 1); /* one past the last LBA */
	e[3] = queue(c, cdb, sizeof(cdb), 512);
	e[4] = queue(c, bogus, sizeof(bogus), 0);
	wait_completed(c);
	assert_int_equal(e[0]->rsp.scsi_status, TCMUD_STATUS_GOOD);
	assert_int_equal(e[1]->rsp.scsi_status, TCMUD_STATUS_GOOD);
	assert_int_equal(e[2]->rsp.scsi_status, TCMUD_STATUS_GOOD);
	assert_int_equal(e[3]->rsp.scsi_status, TCMUD_STATUS_CHECK_CONDITION);
	assert_int_equal(e[4]->rsp.scsi_status, TCMUD_STATUS_CHECK_CONDITION);

	GVariant *st = g_variant_ref_sink(tcmud_status_variant(&c->d));
	GVariant *devs = g_variant_get_child_value(st, 1);
	assert_int_equal(g_variant_n_children(devs), 1);
	GVariant *d = g_variant_get_child_value(devs, 0);
	assert_int_equal(u64(d, "commands"), 5);
	assert_int_equal(u64(d, "reads"), 2);
	assert_int_equal(u64(d, "writes"), 1);
	assert_int_equal(u64(d, "other"), 2);
	assert_int_equal(u64(d, "bytes_read"), 4096);
	assert_int_equal(u64(d, "bytes_written"), 1024);
	assert_int_equal(u64(d, "errors"), 2);
	GVariant *sense = g_variant_lookup_value(d, "sense", G_VARIANT_TYPE("a{su}"));
	assert_non_null(sense);
	assert_int_equal(g_variant_n_children(sense), 2);
	assert_true(g_variant_lookup(sense, "05/21/00", "u", &n)); /* LBA OUT OF RANGE */
	assert_int_equal(n, 1);
	assert_true(g_variant_lookup(sense, "05/20/00", "u", &n)); /* INVALID COMMAND OPCODE */
	assert_int_equal(n, 1);
	GVariant *lat = g_variant_lookup_value(d, "latency_us", G_VARIANT_TYPE("a{sd}"));
	double max, p50;
	assert_true(g_variant_lookup(lat, "max", "d", &max));
	assert_true(g_variant_lookup(lat, "p50", "d", &p50));
	/* Commands were timed: something above 0, far below the test's wait. */
	assert_true(max > 0 && max < 10e6);
	assert_true(p50 > 0 && p50 <= max);
	g_variant_unref(lat);
	g_variant_unref(sense);
	g_variant_unref(d);
	g_variant_unref(devs);
	g_variant_unref(st);
}

/* INQUIRY VPD 0x80 through the ring; the serial it reports. */
static void inquiry_serial(struct ctx *c, char *out, size_t len)
{
	static const uint8_t inq80[6] = {0x12, 0x01, 0x80, 0x00, 0xff, 0x00};
	uint64_t at = c->data_next;
	struct tcmu_cmd_entry *e = queue(c, inq80, sizeof(inq80), 255);
	const uint8_t *page = c->map + at;

	wait_completed(c);
	assert_int_equal(e->rsp.scsi_status, TCMUD_STATUS_GOOD);
	assert_int_equal(page[1], 0x80);
	assert_true(page[3] < len);
	memcpy(out, &page[4], page[3]);
	out[page[3]] = '\0';
}

/* targetcli writes the unit serial after the enable: INQUIRY reports the one
 * configfs has when it is asked, not the one known at open. */
static void inquiry_follows_the_unit_serial(void **state)
{
	struct ctx *c = *state;
	char serial[128], path[1024];

	inquiry_serial(c, serial, sizeof(serial));
	assert_string_equal(serial, "serial0");
	fixture_path(&c->f, path, sizeof(path), "config/target/core/user_0/rd0/wwn/vpd_unit_serial");
	fixture_write(path, "T10 VPD Unit Serial Number: 3f2a-uuid\n");
	inquiry_serial(c, serial, sizeof(serial));
	assert_string_equal(serial, "3f2a-uuid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commands_are_recorded),
		cmocka_unit_test(inquiry_follows_the_unit_serial),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
