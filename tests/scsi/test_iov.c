/* SPDX-License-Identifier: Apache-2.0 */
/* Copies between flat buffers and iovec arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scsi.h"

/* 3 + 0 + 5 + 1 + 7 = 16 bytes over five iovecs, one of them empty. */
struct split {
	uint8_t mem[16 + 4];   /* 4 guard bytes */
	struct iovec iov[5];
};

static void split_init(struct split *s, uint8_t fill)
{
	static const size_t lens[5] = {3, 0, 5, 1, 7};
	size_t off = 0;

	memset(s->mem, fill, 16);
	memset(s->mem + 16, 0xa5, 4);
	for (size_t i = 0; i < 5; i++) {
		s->iov[i].iov_base = lens[i] ? s->mem + off : NULL;
		s->iov[i].iov_len = lens[i];
		off += lens[i];
	}
}

static void assert_guard(const struct split *s)
{
	for (size_t i = 16; i < 20; i++)
		assert_int_equal(s->mem[i], 0xa5);
}

static void test_length(void **state)
{
	struct split s;

	split_init(&s, 0);
	assert_int_equal(tcmud_iov_length(s.iov, 5), 16);
	assert_int_equal(tcmud_iov_length(s.iov, 2), 3);
	assert_int_equal(tcmud_iov_length(NULL, 0), 0);
}

static void test_from_buf_offsets(void **state)
{
	uint8_t src[16];
	struct split s;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(0x10 + i);
	for (size_t off = 0; off <= 16; off++) {
		split_init(&s, 0xee);
		assert_int_equal(tcmud_iov_from_buf(s.iov, 5, off, src, 16), 16 - off);
		for (size_t i = 0; i < off; i++)
			assert_int_equal(s.mem[i], 0xee);
		assert_memory_equal(s.mem + off, src, 16 - off);
		assert_guard(&s);
	}
	split_init(&s, 0xee);
	assert_int_equal(tcmud_iov_from_buf(s.iov, 5, 2, src, 4), 4); /* 2+4 crosses two */
	assert_memory_equal(s.mem + 2, src, 4);
	assert_int_equal(s.mem[1], 0xee);
	assert_int_equal(s.mem[6], 0xee);
	assert_int_equal(tcmud_iov_from_buf(s.iov, 5, 100, src, 4), 0);
}

static void test_to_buf_offsets(void **state)
{
	uint8_t dst[20];
	struct split s;

	split_init(&s, 0);
	for (size_t i = 0; i < 16; i++)
		s.mem[i] = (uint8_t)i;
	for (size_t off = 0; off <= 16; off++) {
		memset(dst, 0xee, sizeof(dst));
		assert_int_equal(tcmud_iov_to_buf(s.iov, 5, off, dst, sizeof(dst)), 16 - off);
		assert_memory_equal(dst, s.mem + off, 16 - off);
		assert_int_equal(dst[16 - off], 0xee);
	}
	memset(dst, 0xee, sizeof(dst));
	assert_int_equal(tcmud_iov_to_buf(s.iov, 5, 7, dst, 3), 3); /* 7..9 */
	assert_int_equal(dst[0], 7);
	assert_int_equal(dst[2], 9);
	assert_int_equal(dst[3], 0xee);
}

static void test_zero_from(void **state)
{
	struct split s;

	for (size_t off = 0; off <= 17; off++) {
		split_init(&s, 0x77);
		tcmud_iov_zero_from(s.iov, 5, off);
		for (size_t i = 0; i < 16; i++)
			assert_int_equal(s.mem[i], i < off ? 0x77 : 0);
		assert_guard(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_from_buf_offsets),
		cmocka_unit_test(test_to_buf_offsets),
		cmocka_unit_test(test_zero_from),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
