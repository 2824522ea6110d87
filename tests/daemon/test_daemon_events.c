/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control plane against a fixture tree: discovery at start with
 * recovery, netlink events for our devices and for others', reconfiguration
 * and refusals. Uses the real rd handler module.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "daemon.h"
#include "fixture.h"
#include "tcmu_abi.h"

struct ctx {
	struct fixture f;
	struct tcmud_options opts;
	struct tcmud_daemon d;
};

static int setup(void **state)
{
	static struct ctx c;
	memset(&c, 0, sizeof(c));
	fixture_init(&c.f);
	if (fixture_daemon_init(&c.f, HANDLER_DIR, &c.opts, &c.d))
		return -1;
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	tcmud_daemon_fini(&c->d);
	fixture_cleanup(&c->f);
	return 0;
}

static struct tcmud_nl_event event(int cmd, unsigned int minor, const char *name)
{
	struct tcmud_nl_event ev = {.cmd = cmd, .device = name, .has_minor = true,
				    .minor = minor, .has_dev_id = true, .dev_id = 7};
	return ev;
}

static void scan_serves_ours_recovers_and_leaves_others(void **state)
{
	struct ctx *c = *state;
	char path[1024], text[16];
	fixture_add_uio(&c->f, 0, "tcm-user/0/rd0/rd/\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "rd0", 8 << 20, 512, "serial0");
	fixture_add_uio(&c->f, 1, "tcm-user/0/q0/qcow/img\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "q0", 8 << 20, 512, "serial1");

	tcmud_daemon_scan(&c->d);
	struct tcmud_device *dev = tcmud_daemon_find(&c->d, 0);
	assert_non_null(dev);
	assert_null(tcmud_daemon_find(&c->d, 1));
	assert_int_equal(dev->scsi.hdev.num_lbas, (8 << 20) / 512);
	assert_int_equal(dev->scsi.hdev.block_size, 512);
	/* Recovery: ring reset, device blocked and unblocked again. */
	fixture_path(&c->f, path, sizeof(path), "config/target/core/user_0/rd0/action/reset_ring");
	fixture_read(path, text, sizeof(text));
	assert_string_equal(text, "1");
	fixture_path(&c->f, path, sizeof(path), "config/target/core/user_0/rd0/action/block_dev");
	fixture_read(path, text, sizeof(text));
	assert_string_equal(text, "0");
	/* The other daemon's device was not touched. */
	fixture_path(&c->f, path, sizeof(path), "config/target/core/user_0/q0/action/block_dev");
	fixture_read(path, text, sizeof(text));
	assert_string_equal(text, "");
	/* A second scan does not open it twice. */
	tcmud_daemon_scan(&c->d);
	assert_int_equal(c->d.ndevs, 1);
}

static void added_and_removed_events(void **state)
{
	struct ctx *c = *state;
	bool reply = true;
	fixture_add_uio(&c->f, 4, "tcm-user/2/disk/rd/size=4M\n", 2);
	fixture_add_cfgfs_dev(&c->f, 2, "disk", 4 << 20, 4096, "s");

	struct tcmud_nl_event ev = event(TCMU_CMD_ADDED_DEVICE, 4, "tcm-user/2/disk/rd/size=4M");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_non_null(tcmud_daemon_find(&c->d, 4));
	assert_false(reply); /* no netlink reply support: the kernel is not waiting */

	/* The same event again (scan and netlink race): still served once. */
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_int_equal(c->d.ndevs, 1);

	ev = event(TCMU_CMD_REMOVED_DEVICE, 4, "tcm-user/2/disk/rd/size=4M");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_null(tcmud_daemon_find(&c->d, 4));
	/* Removing what we do not serve is not an error and changes nothing. */
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_false(reply);
}

static void refusals_are_reported(void **state)
{
	struct ctx *c = *state;
	bool reply;
	/* Wrong mailbox version. */
	fixture_add_uio(&c->f, 5, "tcm-user/0/v1/rd\n", 1);
	fixture_add_cfgfs_dev(&c->f, 0, "v1", 1 << 20, 512, "s");
	struct tcmud_nl_event ev = event(TCMU_CMD_ADDED_DEVICE, 5, "tcm-user/0/v1/rd");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -EPROTO);
	assert_null(tcmud_daemon_find(&c->d, 5));
	/* A cfgstring the handler does not accept. */
	fixture_add_uio(&c->f, 6, "tcm-user/0/bogus/rd/colour=blue\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "bogus", 1 << 20, 512, "s");
	ev = event(TCMU_CMD_ADDED_DEVICE, 6, "tcm-user/0/bogus/rd/colour=blue");
	assert_true(tcmud_daemon_event(&c->d, &ev, &reply) < 0);
	assert_null(tcmud_daemon_find(&c->d, 6));
	/* No configfs entry for the device. */
	fixture_add_uio(&c->f, 7, "tcm-user/0/ghost/rd\n", 2);
	ev = event(TCMU_CMD_ADDED_DEVICE, 7, "tcm-user/0/ghost/rd");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -ENOENT);
	/* A malformed name and an event without a minor. */
	ev = event(TCMU_CMD_ADDED_DEVICE, 8, "not-a-tcmu-name");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -EINVAL);
	ev.has_minor = false;
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -EINVAL);
	/* Another handler's device is left alone, without a reply. */
	ev = event(TCMU_CMD_ADDED_DEVICE, 9, "tcm-user/0/x/glfs/vol@host/img");
	reply = true;
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_false(reply);
	assert_int_equal(c->d.ndevs, 0);
}

static void reconfig_size_cache_and_config(void **state)
{
	struct ctx *c = *state;
	bool reply;
	fixture_add_uio(&c->f, 3, "tcm-user/0/r/rd\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "r", 1 << 20, 512, "s");
	struct tcmud_nl_event ev = event(TCMU_CMD_ADDED_DEVICE, 3, "tcm-user/0/r/rd");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	struct tcmud_device *dev = tcmud_daemon_find(&c->d, 3);
	assert_non_null(dev);

	ev = event(TCMU_CMD_RECONFIG_DEVICE, 3, NULL);
	ev.has_dev_size = true;
	ev.dev_size = 2 << 20;
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_int_equal(dev->scsi.hdev.num_lbas, (2 << 20) / 512);

	ev.dev_size = (2 << 20) + 100; /* not a whole number of blocks */
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -EINVAL);
	assert_int_equal(dev->scsi.hdev.num_lbas, (2 << 20) / 512);

	ev = event(TCMU_CMD_RECONFIG_DEVICE, 3, NULL);
	ev.has_write_cache = true;
	ev.write_cache = false;
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_false(dev->scsi.hdev.write_cache);

	ev = event(TCMU_CMD_RECONFIG_DEVICE, 3, NULL);
	ev.dev_cfg = "qcow/other.img\n";
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -EINVAL);
	ev.dev_cfg = "rd/colour=blue\n";
	assert_true(tcmud_daemon_event(&c->d, &ev, &reply) < 0);
	assert_string_equal(dev->scsi.hdev.cfgstring, "");
}

static void set_nl_reply(struct ctx *c, const char *dev, const char *value)
{
	char path[1024];
	fixture_path(&c->f, path, sizeof(path),
		     "config/target/core/user_0/%s/attrib/nl_reply_supported", dev);
	if (value)
		fixture_write(path, value);
	else
		remove(path);
}

static void replies_only_when_the_kernel_waits(void **state)
{
	struct ctx *c = *state;
	bool reply;
	c->d.kern_reply = true; /* as after a successful SET_FEATURES */
	fixture_add_uio(&c->f, 0, "tcm-user/0/a/rd\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "a", 1 << 20, 512, "s");

	/* nl_reply_supported 0: the kernel does not wait, so no reply. */
	struct tcmud_nl_event ev = event(TCMU_CMD_ADDED_DEVICE, 0, "tcm-user/0/a/rd");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_false(reply);
	/* 1: it waits. */
	set_nl_reply(c, "a", "1\n");
	ev = event(TCMU_CMD_RECONFIG_DEVICE, 0, "tcm-user/0/a/rd");
	ev.has_write_cache = true;
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_true(reply);
	/* -1 (turned off by the administrator): no reply. */
	set_nl_reply(c, "a", "-1\n");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_false(reply);
	/* Unreadable: assume it waits, since a missing reply would hang it. */
	set_nl_reply(c, "a", NULL);
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_true(reply);
	/* Without reply support nothing is ever sent. */
	c->d.kern_reply = false;
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_false(reply);
}

static void refused_devices_still_get_replies(void **state)
{
	struct ctx *c = *state;
	bool reply;
	c->d.kern_reply = true;
	fixture_add_uio(&c->f, 2, "tcm-user/0/r/rd/colour=blue\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "r", 1 << 20, 512, "s");
	set_nl_reply(c, "r", "1\n");
	struct tcmud_nl_event ev = event(TCMU_CMD_ADDED_DEVICE, 2, "tcm-user/0/r/rd/colour=blue");
	assert_true(tcmud_daemon_event(&c->d, &ev, &reply) < 0);
	assert_true(reply);
	/* Later events for it must be answered too, or the configfs write hangs. */
	ev.cmd = TCMU_CMD_RECONFIG_DEVICE;
	ev.has_dev_size = true;
	ev.dev_size = 2 << 20;
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -ENODEV);
	assert_true(reply);
	ev = event(TCMU_CMD_REMOVED_DEVICE, 2, "tcm-user/0/r/rd/colour=blue");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_true(reply);
	/* A name nobody can serve is refused rather than left hanging. */
	ev = event(TCMU_CMD_ADDED_DEVICE, 3, "tcm-user/0/nocfg");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -EINVAL);
	assert_true(reply);
	ev = event(TCMU_CMD_ADDED_DEVICE, 3, "garbage");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), -EINVAL);
	assert_true(reply);
	/* Another handler's device: its daemon answers, not us. */
	ev = event(TCMU_CMD_REMOVED_DEVICE, 4, "tcm-user/0/g/glfs/vol");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_false(reply);
}

static void reused_minor_and_vanished_devices(void **state)
{
	struct ctx *c = *state;
	bool reply;
	char path[1024];
	fixture_add_uio(&c->f, 0, "tcm-user/0/old/rd\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "old", 1 << 20, 512, "s");
	tcmud_daemon_scan(&c->d);
	assert_string_equal(tcmud_daemon_find(&c->d, 0)->id.dev, "old");

	/* The REMOVED event was lost; the kernel gives minor 0 to a new device. */
	fixture_add_uio(&c->f, 0, "tcm-user/0/new/rd\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "new", 2 << 20, 512, "s");
	struct tcmud_nl_event ev = event(TCMU_CMD_ADDED_DEVICE, 0, "tcm-user/0/new/rd");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	struct tcmud_device *dev = tcmud_daemon_find(&c->d, 0);
	assert_string_equal(dev->id.dev, "new");
	assert_int_equal(dev->scsi.hdev.num_lbas, (2 << 20) / 512);
	assert_int_equal(c->d.ndevs, 1);

	/* A rescan lets go of a device whose uio disappeared. */
	fixture_path(&c->f, path, sizeof(path), "sys/class/uio/uio0/name");
	remove(path);
	tcmud_daemon_scan(&c->d);
	assert_int_equal(c->d.ndevs, 0);
}

/* The rmdir that sends REMOVED holds the device's configfs directory until we
 * reply: handling it must not read configfs. A FIFO in place of the attribute
 * makes any read block, so a regression hangs the test (ctest times it out). */
static void removal_does_not_read_configfs(void **state)
{
	struct ctx *c = *state;
	bool reply;
	char path[1024];
	c->d.kern_reply = true;
	fixture_add_uio(&c->f, 1, "tcm-user/0/gone/rd\n", 2);
	fixture_add_cfgfs_dev(&c->f, 0, "gone", 1 << 20, 512, "s");
	set_nl_reply(c, "gone", "1\n");
	struct tcmud_nl_event ev = event(TCMU_CMD_ADDED_DEVICE, 1, "tcm-user/0/gone/rd");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_true(reply);

	set_nl_reply(c, "gone", NULL);
	fixture_path(&c->f, path, sizeof(path),
		     "config/target/core/user_0/gone/attrib/nl_reply_supported");
	assert_int_equal(mkfifo(path, 0600), 0);
	ev = event(TCMU_CMD_REMOVED_DEVICE, 1, "tcm-user/0/gone/rd");
	assert_int_equal(tcmud_daemon_event(&c->d, &ev, &reply), 0);
	assert_true(reply); /* from the value read at open */
	assert_null(tcmud_daemon_find(&c->d, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scan_serves_ours_recovers_and_leaves_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(added_and_removed_events, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_are_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(reconfig_size_cache_and_config, setup, teardown),
		cmocka_unit_test_setup_teardown(replies_only_when_the_kernel_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_devices_still_get_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_minor_and_vanished_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(removal_does_not_read_configfs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
