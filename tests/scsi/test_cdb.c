/* SPDX-License-Identifier: Apache-2.0 */
/* CDB lengths and READ/WRITE decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scsi.h"
#include "scsi_pi.h"

static void test_length_by_group(void **state)
{
	uint8_t cdb[16] = {0};
	static const struct {
		uint8_t op;
		size_t len;
	} cases[] = {
		{0x00, 6},  {0x12, 6},  {0x1f, 6},   /* group 0 */
		{0x25, 10}, {0x28, 10}, {0x3f, 10},  /* group 1 */
		{0x5a, 10}, {0x41, 10},              /* group 2 */
		{0x60, 0},  {0x7e, 0},               /* group 3, reserved */
		{0x88, 16}, {0x9e, 16}, {0x91, 16},  /* group 4 */
		{0xa0, 12}, {0xa8, 12}, {0xbf, 12},  /* group 5 */
		{0xc0, 0},  {0xdf, 0},  {0xe0, 0}, {0xff, 0}, /* vendor specific */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cdb[0] = cases[i].op;
		assert_int_equal(tcmud_cdb_length(cdb, sizeof(cdb)), cases[i].len);
	}
	cdb[0] = 0x28;
	assert_int_equal(tcmud_cdb_length(cdb, 0), 0);
}

static void test_length_variable(void **state)
{
	uint8_t cdb[TCMUD_MAX_CDB_LEN] = {0x7f};

	cdb[7] = 0x18; /* READ(32) */
	assert_int_equal(tcmud_cdb_length(cdb, sizeof(cdb)), 32);
	assert_int_equal(tcmud_cdb_length(cdb, 8), 32);
	assert_int_equal(tcmud_cdb_length(cdb, 7), 0); /* byte 7 not available */
	cdb[7] = 0;
	assert_int_equal(tcmud_cdb_length(cdb, sizeof(cdb)), 8);
	cdb[7] = 252;
	assert_int_equal(tcmud_cdb_length(cdb, sizeof(cdb)), 260);
	cdb[7] = 253; /* longer than any CDB may be */
	assert_int_equal(tcmud_cdb_length(cdb, sizeof(cdb)), 0);
}

static void test_decode_rw6(void **state)
{
	uint8_t cdb[6] = {0x08, 0xff, 0xff, 0xff, 0x00, 0x00};
	struct tcmud_cdb_rw rw;

	assert_int_equal(tcmud_cdb_decode_rw(cdb, 6, &rw), 0);
	assert_int_equal(rw.lba, 0x1fffff); /* 21 bits; the top 3 are reserved */
	assert_int_equal(rw.nr_blocks, 256); /* 0 means 256 */
	assert_false(rw.fua);
	assert_false(rw.dpo);
	assert_int_equal(rw.protect, 0);

	cdb[0] = 0x0a;
	cdb[1] = 0x01;
	cdb[2] = 0x02;
	cdb[3] = 0x03;
	cdb[4] = 1;
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 6, &rw), 0);
	assert_int_equal(rw.lba, 0x010203);
	assert_int_equal(rw.nr_blocks, 1);
	cdb[4] = 255;
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 6, &rw), 0);
	assert_int_equal(rw.nr_blocks, 255);
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 5, &rw), -EINVAL);
}

static void test_decode_rw10(void **state)
{
	uint8_t cdb[10] = {0x28, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0};
	struct tcmud_cdb_rw rw;

	assert_int_equal(tcmud_cdb_decode_rw(cdb, 10, &rw), 0);
	assert_int_equal(rw.lba, 0xffffffffULL);
	assert_int_equal(rw.nr_blocks, 0xffff);
	assert_int_equal(rw.protect, 7);
	assert_true(rw.dpo);
	assert_true(rw.fua);
	assert_int_equal(rw.group, 0x3f); /* six bits since SBC-4 */

	cdb[6] = 0xc5; /* the reserved bits above the group are not part of it */
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 10, &rw), 0);
	assert_int_equal(rw.group, 0x05);

	uint8_t w[10] = {0x2a, 0x08, 0x12, 0x34, 0x56, 0x78, 0x05, 0x00, 0x00, 0};
	assert_int_equal(tcmud_cdb_decode_rw(w, 10, &rw), 0);
	assert_int_equal(rw.lba, 0x12345678);
	assert_int_equal(rw.nr_blocks, 0); /* 0 is no transfer for 10 bytes and up */
	assert_true(rw.fua);
	assert_false(rw.dpo);
	assert_int_equal(rw.protect, 0);
	assert_int_equal(rw.group, 5);

	w[0] = 0x2f; /* VERIFY(10) has the same layout */
	w[1] = 0x40;
	assert_int_equal(tcmud_cdb_decode_rw(w, 10, &rw), 0);
	assert_int_equal(rw.protect, 2);
	assert_int_equal(tcmud_cdb_decode_rw(w, 9, &rw), -EINVAL);
}

static void test_decode_rw12(void **state)
{
	uint8_t cdb[12] = {0xaa, 0x10, 0xde, 0xad, 0xbe, 0xef,
			   0xff, 0xff, 0xff, 0xff, 0x13, 0};
	struct tcmud_cdb_rw rw;

	assert_int_equal(tcmud_cdb_decode_rw(cdb, 12, &rw), 0);
	assert_int_equal(rw.protect, 0);
	assert_int_equal(rw.lba, 0xdeadbeefULL);
	assert_int_equal(rw.nr_blocks, 0xffffffffU);
	assert_true(rw.dpo);
	assert_false(rw.fua);
	assert_int_equal(rw.group, 0x13);

	cdb[0] = 0xa8;
	cdb[1] = 0x60;
	memset(&cdb[6], 0, 4);
	cdb[9] = 7;
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 12, &rw), 0);
	assert_int_equal(rw.nr_blocks, 7);
	assert_int_equal(rw.protect, 3);
}

static void test_decode_rw16(void **state)
{
	uint8_t cdb[16] = {0x88, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			   0xff, 0xff, 0xff, 0xff, 0xe1, 0};
	struct tcmud_cdb_rw rw;

	assert_int_equal(tcmud_cdb_decode_rw(cdb, 16, &rw), 0);
	assert_true(rw.lba == UINT64_MAX);
	assert_int_equal(rw.nr_blocks, 0xffffffffU);
	assert_true(rw.fua);
	assert_true(rw.dpo);
	assert_int_equal(rw.group, 0x21);

	uint8_t w[16] = {0x8a, 0xa0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
			 0x00, 0x00, 0x01, 0x00, 0x00, 0};
	assert_int_equal(tcmud_cdb_decode_rw(w, 16, &rw), 0);
	assert_true(rw.lba == 0x0102030405060708ULL);
	assert_int_equal(rw.nr_blocks, 256);
	assert_int_equal(rw.protect, 5);
	assert_false(rw.fua);
	assert_int_equal(tcmud_cdb_decode_rw(w, 15, &rw), -EINVAL);
}

static void test_decode_rw32(void **state)
{
	uint8_t cdb[32] = {0x7f, 0, 0, 0, 0, 0, 0x2a, 0x18, 0x00, 0x09, 0x38};
	struct tcmud_cdb_rw rw;

	cdb[12] = 0x80;  /* LBA 0x8000000000000001 */
	cdb[19] = 0x01;
	cdb[31] = 0x20;  /* TRANSFER LENGTH 32 */
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 32, &rw), 0);
	assert_true(rw.lba == 0x8000000000000001ULL);
	assert_int_equal(rw.nr_blocks, 32);
	assert_int_equal(rw.protect, 1);
	assert_true(rw.dpo);
	assert_true(rw.fua);
	assert_int_equal(rw.group, 0x2a);

	static const uint16_t sas[] = {0x0a, 0x0b, 0x0c}; /* VERIFY, WRITE, WRITE AND VERIFY */

	for (size_t i = 0; i < 3; i++) {
		cdb[9] = (uint8_t)sas[i];
		cdb[10] = 0xa0;
		assert_int_equal(tcmud_cdb_decode_rw(cdb, 32, &rw), 0);
		assert_int_equal(rw.protect, 5);
		assert_false(rw.fua);
		assert_int_equal(rw.nr_blocks, 32);
	}
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 31, &rw), -EINVAL);
	cdb[9] = 0x0d; /* not a read/write service action */
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 32, &rw), -EINVAL);
	cdb[9] = 0x09;
	cdb[8] = 0x01; /* 0x0109: the high byte counts too */
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 32, &rw), -EINVAL);
}

/* The expected tags of a 32-byte CDB: bytes 20-23, 24-25 and 26-27. */
static void test_decode_pi_tags(void **state)
{
	static const uint8_t tags[8] = {0x12, 0x34, 0x56, 0x78, 0xab, 0xcd, 0xf0, 0x0f};
	uint8_t cdb[32] = {0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x09};
	struct tcmud_blocks b;

	memcpy(&cdb[20], tags, sizeof(tags));
	memset(&b, 0x55, sizeof(b));
	tcmud_cdb_decode_pi_tags(cdb, 32, &b);
	assert_true(b.has_expected);
	assert_int_equal(b.exp_ref_tag, 0x12345678);
	assert_int_equal(b.exp_app_tag, 0xabcd);
	assert_int_equal(b.app_mask, 0xf00f);

	cdb[9] = 0x0b; /* WRITE(32) */
	tcmud_cdb_decode_pi_tags(cdb, 32, &b);
	assert_true(b.has_expected);
	assert_int_equal(b.exp_ref_tag, 0x12345678);

	/* Anything else has no expected tags, and none are left behind. */
	tcmud_cdb_decode_pi_tags(cdb, 31, &b);
	assert_false(b.has_expected);
	assert_int_equal(b.exp_ref_tag, 0);
	assert_int_equal(b.exp_app_tag, 0);
	assert_int_equal(b.app_mask, 0);
	memset(&b, 0x55, sizeof(b));
	cdb[9] = 0x0d;
	tcmud_cdb_decode_pi_tags(cdb, 32, &b);
	assert_false(b.has_expected);

	uint8_t r16[32] = {0x88};

	memset(&b, 0x55, sizeof(b));
	r16[20] = 0xff;
	tcmud_cdb_decode_pi_tags(r16, 16, &b);
	assert_false(b.has_expected);
	assert_int_equal(b.exp_ref_tag, 0);
	tcmud_cdb_decode_pi_tags(r16, 32, &b); /* a long buffer does not make it 32-byte */
	assert_false(b.has_expected);
}

static void test_decode_refuses_others(void **state)
{
	uint8_t cdb[16] = {0x12};
	struct tcmud_cdb_rw rw;

	assert_int_equal(tcmud_cdb_decode_rw(cdb, 6, &rw), -EINVAL);
	cdb[0] = 0x9e;
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 16, &rw), -EINVAL);
	cdb[0] = 0x28;
	assert_int_equal(tcmud_cdb_decode_rw(cdb, 0, &rw), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length_by_group),
		cmocka_unit_test(test_length_variable),
		cmocka_unit_test(test_decode_rw6),
		cmocka_unit_test(test_decode_rw10),
		cmocka_unit_test(test_decode_rw12),
		cmocka_unit_test(test_decode_rw16),
		cmocka_unit_test(test_decode_rw32),
		cmocka_unit_test(test_decode_pi_tags),
		cmocka_unit_test(test_decode_refuses_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
