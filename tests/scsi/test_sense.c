/* SPDX-License-Identifier: Apache-2.0 */
/* Sense data byte layouts, fixed (0x70) and descriptor (0x72). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scsi.h"

static void test_fixed_plain(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_ILLEGAL_REQUEST,
				.asc_ascq = TCMUD_ASC_INVALID_OPCODE};
	static const uint8_t want[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 10,
					 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0};
	uint8_t buf[96];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tcmud_sense_format(&s, false, buf, sizeof(buf)), 18);
	assert_memory_equal(buf, want, 18);
	assert_int_equal(buf[18], 0xee); /* nothing written past the sense */
}

static void test_fixed_info_and_sks(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_MEDIUM_ERROR, .asc_ascq = 0x1104,
				.info_valid = true, .info = 0xdeadbeef,
				.sks_valid = true, .sks = {0x4d, 0x01, 0x02}};
	static const uint8_t want[18] = {0xf0, 0, 0x03, 0xde, 0xad, 0xbe, 0xef, 10,
					 0, 0, 0, 0, 0x11, 0x04, 0, 0xcd, 0x01, 0x02};
	uint8_t buf[18];

	assert_int_equal(tcmud_sense_format(&s, false, buf, sizeof(buf)), 18);
	assert_memory_equal(buf, want, 18);
}

static void test_fixed_info_32bit_max(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_ILLEGAL_REQUEST,
				.asc_ascq = TCMUD_ASC_LBA_OUT_OF_RANGE,
				.info_valid = true, .info = 0xffffffffULL};
	uint8_t buf[96];

	assert_int_equal(tcmud_sense_format(&s, false, buf, sizeof(buf)), 18);
	assert_int_equal(buf[0], 0xf0);
	assert_int_equal(buf[3], 0xff);
	assert_int_equal(buf[6], 0xff);
}

static void test_info_over_32bit_forces_descriptor(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_ABORTED_COMMAND,
				.asc_ascq = TCMUD_ASC_GUARD_CHECK_FAILED,
				.info_valid = true, .info = 0x100000000ULL};
	static const uint8_t want[20] = {0x72, 0x0b, 0x10, 0x01, 0, 0, 0, 12,
					 0x00, 0x0a, 0x80, 0,
					 0, 0, 0, 0x01, 0, 0, 0, 0};
	uint8_t buf[96];

	assert_int_equal(tcmud_sense_format(&s, false, buf, sizeof(buf)), 20);
	assert_memory_equal(buf, want, 20);
}

static void test_descriptor_plain(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_UNIT_ATTENTION,
				.asc_ascq = TCMUD_ASC_CAPACITY_CHANGED};
	static const uint8_t want[8] = {0x72, 0x06, 0x2a, 0x09, 0, 0, 0, 0};
	uint8_t buf[96];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tcmud_sense_format(&s, true, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, want, 8);
	assert_int_equal(buf[8], 0xee);
}

static void test_descriptor_info_and_sks(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_ILLEGAL_REQUEST,
				.asc_ascq = TCMUD_ASC_INVALID_FIELD_IN_CDB,
				.info_valid = true, .info = 0x0102030405060708ULL,
				.sks_valid = true, .sks = {0x40, 0x00, 0x02}};
	static const uint8_t want[28] = {
		0x72, 0x05, 0x24, 0x00, 0, 0, 0, 20,
		0x00, 0x0a, 0x80, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x02, 0x06, 0, 0, 0xc0, 0x00, 0x02, 0,
	};
	uint8_t buf[96];

	assert_int_equal(tcmud_sense_format(&s, true, buf, sizeof(buf)), 28);
	assert_memory_equal(buf, want, 28);
}

static void test_descriptor_sks_only(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_ILLEGAL_REQUEST,
				.asc_ascq = TCMUD_ASC_INVALID_FIELD_IN_CDB,
				.sks_valid = true, .sks = {0x48, 0x00, 0x01}};
	static const uint8_t want[16] = {0x72, 0x05, 0x24, 0x00, 0, 0, 0, 8,
					 0x02, 0x06, 0, 0, 0xc8, 0x00, 0x01, 0};
	uint8_t buf[96];

	assert_int_equal(tcmud_sense_format(&s, true, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, want, 16);
}

static void test_truncated_to_buffer(void **state)
{
	struct tcmud_sense s = {.key = TCMUD_SK_NOT_READY, .asc_ascq = 0x0401};
	uint8_t buf[16];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tcmud_sense_format(&s, false, buf, 3), 3);
	assert_int_equal(buf[0], 0x70);
	assert_int_equal(buf[2], 0x02);
	assert_int_equal(buf[3], 0xee);
	assert_int_equal(tcmud_sense_format(&s, false, NULL, 0), 0);
}

static void test_key_masked(void **state)
{
	struct tcmud_sense s = {.key = 0xf5};
	uint8_t buf[18];

	tcmud_sense_format(&s, false, buf, sizeof(buf));
	assert_int_equal(buf[2], 0x05);
	tcmud_sense_format(&s, true, buf, sizeof(buf));
	assert_int_equal(buf[1], 0x05);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_plain),
		cmocka_unit_test(test_fixed_info_and_sks),
		cmocka_unit_test(test_fixed_info_32bit_max),
		cmocka_unit_test(test_info_over_32bit_forces_descriptor),
		cmocka_unit_test(test_descriptor_plain),
		cmocka_unit_test(test_descriptor_info_and_sks),
		cmocka_unit_test(test_descriptor_sks_only),
		cmocka_unit_test(test_truncated_to_buffer),
		cmocka_unit_test(test_key_masked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
