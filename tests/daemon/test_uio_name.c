/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "uio_name.h"

static void parses_name_with_options(void **state)
{
	struct tcmud_uio_name n;
	assert_int_equal(tcmud_uio_name_parse("tcm-user/3/rd0/rd/size=64M\n", &n), 0);
	assert_int_equal(n.hba, 3);
	assert_string_equal(n.dev, "rd0");
	assert_string_equal(n.subtype, "rd");
	assert_string_equal(n.cfgstring, "size=64M");
}

static void rd_rd_slash_and_options_select_rd(void **state)
{
	const char *names[] = {"tcm-user/0/d/rd", "tcm-user/0/d/rd/", "tcm-user/0/d/rd/a=b/c"};
	const char *cfgs[] = {"", "", "a=b/c"};
	for (int i = 0; i < 3; i++) {
		struct tcmud_uio_name n;
		assert_int_equal(tcmud_uio_name_parse(names[i], &n), 0);
		assert_string_equal(n.subtype, "rd");
		assert_string_equal(n.cfgstring, cfgs[i]);
	}
}

static void name_without_dev_config_has_no_subtype(void **state)
{
	struct tcmud_uio_name n;
	assert_int_equal(tcmud_uio_name_parse("tcm-user/0/plain", &n), 0);
	assert_string_equal(n.dev, "plain");
	assert_string_equal(n.subtype, "");
}

static void rejects_malformed_names(void **state)
{
	struct tcmud_uio_name n;
	const char *bad[] = {"", "uio_pci_generic", "tcm-user/", "tcm-user/x/rd0/rd",
			     "tcm-user/0/", "tcm-user/0//rd", "tcm-user/0/d//x",
			     "tcm-user/99999999999/d/rd", "tcm-user/-1/d/rd"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tcmud_uio_name_parse(bad[i], &n), -EINVAL);
}

static void rejects_overlong_parts(void **state)
{
	char name[700] = "tcm-user/0/";
	memset(name + strlen(name), 'a', 300);
	strcat(name, "/rd");
	struct tcmud_uio_name n;
	assert_int_equal(tcmud_uio_name_parse(name, &n), -ENAMETOOLONG);
}

static void dev_config_split_drops_trailing_newline(void **state)
{
	char sub[16], cfg[32];
	assert_int_equal(tcmud_dev_config_split("rd/size=1G\n", sub, sizeof(sub), cfg,
						sizeof(cfg)), 0);
	assert_string_equal(sub, "rd");
	assert_string_equal(cfg, "size=1G");
	assert_int_equal(tcmud_dev_config_split("/x", sub, sizeof(sub), cfg, sizeof(cfg)),
			 -EINVAL);
	assert_int_equal(tcmud_dev_config_split("averyveryverylongsubtype/x", sub, sizeof(sub),
						cfg, sizeof(cfg)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_name_with_options),
		cmocka_unit_test(rd_rd_slash_and_options_select_rd),
		cmocka_unit_test(name_without_dev_config_has_no_subtype),
		cmocka_unit_test(rejects_malformed_names),
		cmocka_unit_test(rejects_overlong_parts),
		cmocka_unit_test(dev_config_split_drops_trailing_newline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
