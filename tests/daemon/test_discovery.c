/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "configfs.h"
#include "discovery.h"
#include "fixture.h"

struct seen {
	unsigned int minors[8];
	char devs[8][800];
	int n;
};

static void record(void *ctx, unsigned int minor, const struct tcmud_uio_name *id)
{
	struct seen *s = ctx;
	s->minors[s->n] = minor;
	snprintf(s->devs[s->n], sizeof(s->devs[0]), "%s:%s:%s", id->dev, id->subtype,
		 id->cfgstring);
	s->n++;
}

static void finds_tcm_user_devices_in_minor_order(void **state)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add_uio(&f, 10, "tcm-user/0/late/rd\n", 2);
	fixture_add_uio(&f, 2, "tcm-user/1/other/qcow/x.img\n", 2);
	fixture_add_uio(&f, 1, "uio_pci_generic\n", 2);
	fixture_add_uio(&f, 0, "tcm-user/0/rd0/rd/size=64M\n", 2);
	fixture_add_uio(&f, 3, "tcm-user/zz/bad\n", 2);

	struct seen s = {0};
	assert_int_equal(tcmud_discover(&f.paths, record, &s), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.minors[0], 0);
	assert_string_equal(s.devs[0], "rd0:rd:size=64M");
	assert_int_equal(s.minors[1], 2);
	assert_string_equal(s.devs[1], "other:qcow:x.img");
	assert_int_equal(s.minors[2], 10);
	assert_string_equal(s.devs[2], "late:rd:");
	fixture_cleanup(&f);
}

static void no_uio_class_means_nothing_to_serve(void **state)
{
	struct fixture f;
	fixture_init(&f);
	struct seen s = {0};
	assert_int_equal(tcmud_discover(&f.paths, record, &s), 0);
	assert_int_equal(s.n, 0);
	fixture_cleanup(&f);
}

static void reads_device_facts(void **state)
{
	struct fixture f;
	struct tcmud_dev_facts facts;
	char why[256];
	fixture_init(&f);
	fixture_add_cfgfs_dev(&f, 0, "rd0", 64 << 20, 4096, "abc-123");
	assert_int_equal(tcmud_cfgfs_dev_facts(&f.paths, 0, "rd0", &facts, why, sizeof(why)), 0);
	assert_int_equal(facts.dev_size, 64 << 20);
	assert_int_equal(facts.block_size, 4096);
	assert_int_equal(facts.max_sectors, 128);
	assert_true(facts.write_cache);
	assert_int_equal(facts.nl_reply_supported, 0);
	assert_string_equal(facts.unit_serial, "abc-123");
	fixture_cleanup(&f);
}

static void size_falls_back_to_info(void **state)
{
	struct fixture f;
	struct tcmud_dev_facts facts;
	char why[256], path[1024];
	fixture_init(&f);
	fixture_add_cfgfs_dev(&f, 0, "rd0", 1, 512, "s");
	fixture_path(&f, path, sizeof(path), "config/target/core/user_0/rd0/attrib/dev_size");
	remove(path);
	fixture_path(&f, path, sizeof(path), "config/target/core/user_0/rd0/info");
	fixture_write(path, "Status: ACTIVATED  Max Queue Depth: 0\n"
			    "Config: rd/ Size: 1048576 MaxDataAreaMB: 1024\n");
	assert_int_equal(tcmud_cfgfs_dev_facts(&f.paths, 0, "rd0", &facts, why, sizeof(why)), 0);
	assert_int_equal(facts.dev_size, 1048576);
	fixture_cleanup(&f);
}

static void refuses_bad_block_size_and_missing_size(void **state)
{
	struct fixture f;
	struct tcmud_dev_facts facts;
	char why[256] = "";
	fixture_init(&f);
	fixture_add_cfgfs_dev(&f, 0, "odd", 1 << 20, 1000, "s");
	assert_int_equal(tcmud_cfgfs_dev_facts(&f.paths, 0, "odd", &facts, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "hw_block_size"));
	assert_int_equal(tcmud_cfgfs_dev_facts(&f.paths, 0, "absent", &facts, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "size"));
	fixture_cleanup(&f);
}

static void reads_numbers_strictly(void **state)
{
	struct fixture f;
	char path[1024];
	uint64_t v;
	fixture_init(&f);
	fixture_path(&f, path, sizeof(path), "n");
	fixture_write(path, "0x0000000040800000\n");
	assert_int_equal(tcmud_read_u64(path, &v), 0);
	assert_int_equal(v, 0x40800000);
	fixture_write(path, "12abc\n");
	assert_int_equal(tcmud_read_u64(path, &v), -EINVAL);
	fixture_write(path, "-5\n");
	assert_int_equal(tcmud_read_u64(path, &v), -EINVAL);
	fixture_cleanup(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_tcm_user_devices_in_minor_order),
		cmocka_unit_test(no_uio_class_means_nothing_to_serve),
		cmocka_unit_test(reads_device_facts),
		cmocka_unit_test(size_falls_back_to_info),
		cmocka_unit_test(refuses_bad_block_size_and_missing_size),
		cmocka_unit_test(reads_numbers_strictly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
