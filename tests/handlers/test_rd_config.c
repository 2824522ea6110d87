/* SPDX-License-Identifier: Apache-2.0 */
/* The rd cfgstring: what is accepted, what each option sets, and a reason
 * naming the option for everything refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rd_config.h"
#include "tcmud/handler.h"

extern const struct tcmud_handler tcmud_handler;

static struct rd_config parse_ok(const char *s)
{
	struct rd_config cfg;
	char why[256] = "";

	if (rd_config_parse(s, &cfg, why, sizeof(why)) != 0)
		fail_msg("\"%s\" refused: %s", s, why);
	assert_int_equal(tcmud_handler.check_config(s, why, sizeof(why)), 0);
	return cfg;
}

/* Refused by check_config, with a reason that contains each of the words. */
static void refused(const char *s, const char *word1, const char *word2)
{
	char why[256] = "";

	assert_int_equal(tcmud_handler.check_config(s, why, sizeof(why)), -EINVAL);
	if (!strstr(why, word1) || (word2 && !strstr(why, word2)))
		fail_msg("\"%s\": the reason \"%s\" does not name \"%s\"%s%s", s, why, word1,
			 word2 ? " and " : "", word2 ? word2 : "");
}

static void test_defaults(void **state)
{
	struct rd_config cfg = parse_ok("");

	assert_false(cfg.has_size);
	assert_int_equal(cfg.pi_type, 0);
	assert_false(cfg.nullio);
	assert_false(cfg.read_only);
	assert_true(cfg.persist);
	cfg = parse_ok(NULL);
	assert_true(cfg.persist);
	cfg = parse_ok("rd/");
	assert_true(cfg.persist);
}

static void test_each_option(void **state)
{
	struct rd_config cfg = parse_ok("size=64M");

	assert_true(cfg.has_size);
	assert_int_equal(cfg.size, 64ULL << 20);
	for (unsigned t = 0; t <= 3; t++) {
		char s[8];

		snprintf(s, sizeof(s), "pi=%u", t);
		assert_int_equal(parse_ok(s).pi_type, t);
	}
	assert_true(parse_ok("ro=1").read_only);
	assert_false(parse_ok("ro=0").read_only);
	assert_false(parse_ok("persist=0").persist);
	assert_true(parse_ok("persist=1").persist);
	cfg = parse_ok("nullio=1");
	assert_true(cfg.nullio);
	assert_false(cfg.persist); /* nothing to keep */
	cfg = parse_ok("nullio=0");
	assert_false(cfg.nullio);
	assert_true(cfg.persist);
}

static void test_forms_and_blanks(void **state)
{
	struct rd_config cfg = parse_ok(" size = 1T ; pi=2;ro=1 ;; persist=0;\n");

	assert_int_equal(cfg.size, 1ULL << 40);
	assert_int_equal(cfg.pi_type, 2);
	assert_true(cfg.read_only);
	assert_false(cfg.persist);
	cfg = parse_ok("rd/nullio=1;persist=0;pi=3");
	assert_true(cfg.nullio);
	assert_int_equal(cfg.pi_type, 3);
	assert_int_equal(parse_ok("size=4k").size, 4096);
	assert_int_equal(parse_ok("size=67108864").size, 67108864);
	assert_int_equal(parse_ok(";size=2g").size, 2ULL << 30);
}

static void test_refusals_name_the_option(void **state)
{
	refused("colour=blue", "colour=blue", "known keys");
	refused("size=64M;bogus", "bogus", "key=value");
	refused("=1", "=1", NULL);
	refused("size=12Q", "size=12Q", NULL);
	refused("size=", "size=", NULL);
	refused("size=0", "size=0", "zero");
	refused("size=M", "size=M", NULL);
	refused("size=64MM", "size=64MM", NULL);
	refused("size=16777216T", "size=16777216T", NULL); /* 2^64 */
	refused("size=99999999999999999999", "size=", NULL);
	refused("pi=4", "pi=4", "0, 1, 2 or 3");
	refused("pi=", "pi=", NULL);
	refused("pi=01", "pi=01", NULL);
	refused("pi=-1", "pi=-1", NULL);
	refused("ro=2", "ro=2", "0 or 1");
	refused("ro=yes", "ro=yes", NULL);
	refused("nullio=true", "nullio=true", NULL);
	refused("persist=", "persist=", NULL);
	refused("size=1M;size=1M", "size", "twice");
	refused("pi=1;ro=1;pi=1", "pi", "twice");
	refused("nullio=1;persist=1", "nullio", "persist");
	refused("persist=1;nullio=1", "nullio", "persist");
	refused("Size=1M", "Size=1M", NULL); /* keys are lower case */
	refused("sizes=1", "sizes=1", NULL);
	assert_int_equal(tcmud_handler.check_config("sizes=1", NULL, 0), -EINVAL);
}

static void test_parse_size(void **state)
{
	uint64_t v;

	assert_true(rd_parse_size("0", 1, &v));
	assert_int_equal(v, 0);
	assert_true(rd_parse_size("3K", 2, &v));
	assert_int_equal(v, 3072);
	assert_true(rd_parse_size("16777215T", 9, &v));
	assert_false(rd_parse_size("16777216T", 9, &v));
	assert_true(rd_parse_size("18446744073709551615", 20, &v));
	assert_int_equal(v, UINT64_MAX);
	assert_false(rd_parse_size("18446744073709551616", 20, &v));
	assert_false(rd_parse_size("", 0, &v));
	assert_false(rd_parse_size("1 K", 3, &v));
	assert_false(rd_parse_size("1KB", 3, &v));
}

static void test_handler_description(void **state)
{
	assert_string_equal(tcmud_handler.subtype, "rd");
	assert_int_equal(tcmud_handler.api_version, TCMUD_HANDLER_API_VERSION);
	assert_non_null(strstr(tcmud_handler.cfg_desc, "nullio"));
	assert_non_null(tcmud_handler.configure);
	assert_non_null(tcmud_handler.unmap);
	assert_non_null(tcmud_handler.lba_status);
}

/* rd.defaults: options every device starts from, its own winning. */
static void test_device_defaults(void **state)
{
	struct rd_config cfg;
	char why[256] = "";

	assert_int_equal(tcmud_handler.configure("defaults", "pi=1; persist=0", why,
						 sizeof(why)), 0);
	cfg = parse_ok("");
	assert_int_equal(cfg.pi_type, 1);
	assert_false(cfg.persist);
	cfg = parse_ok("pi=0;ro=1");
	assert_int_equal(cfg.pi_type, 0);
	assert_true(cfg.read_only);
	assert_false(cfg.persist);
	/* Given once as a default and once by the device is not "twice". */
	cfg = parse_ok("persist=1");
	assert_true(cfg.persist);

	/* Refused defaults say why and leave the previous ones in force. */
	assert_int_equal(tcmud_handler.configure("defaults", "size=1G", why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "size="));
	assert_int_equal(tcmud_handler.configure("defaults", "pi=7", why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "pi=7"));
	assert_int_equal(tcmud_handler.configure("defaults", "nullio=1;persist=1", why,
						 sizeof(why)), -EINVAL);
	assert_int_equal(parse_ok("").pi_type, 1);

	/* A nullio default keeps nothing unless persist is asked, which it
	 * cannot be. */
	assert_int_equal(tcmud_handler.configure("defaults", "nullio=1", why, sizeof(why)), 0);
	cfg = parse_ok("");
	assert_true(cfg.nullio);
	assert_false(cfg.persist);
	refused("persist=1", "nullio", "persist");

	assert_int_equal(tcmud_handler.configure("defaults", "", why, sizeof(why)), 0);
	cfg = parse_ok("");
	assert_int_equal(cfg.pi_type, 0);
	assert_true(cfg.persist);
	assert_false(cfg.nullio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_each_option),
		cmocka_unit_test(test_forms_and_blanks),
		cmocka_unit_test(test_refusals_name_the_option),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_handler_description),
		cmocka_unit_test(test_device_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
