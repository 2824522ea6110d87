/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRC-16/T10-DIF: every implementation against known vectors and against a
 * bitwise reference written here from the definition, chaining through the
 * seed at every split offset, and the choice of implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc16_t10.h"

/* The definition: poly 0x8BB7, MSB first, init = seed, no final XOR. */
static uint16_t ref_crc(uint16_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int k = 0; k < 8; k++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x8BB7) : (uint16_t)(crc << 1);
	}
	return crc;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint8_t rnd8(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

static void fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = rnd8();
}

static void test_reference_itself(void **state)
{
	assert_int_equal(ref_crc(0, (const uint8_t *)"123456789", 9), 0xD0DB);
}

static void test_check_value(void **state)
{
	for (size_t i = 0; i < tcmud_crc16_t10_nr_impls; i++) {
		const struct tcmud_crc16_t10_impl *impl = &tcmud_crc16_t10_impls[i];

		print_message("impl %s: %s\n", impl->name, impl->desc);
		assert_int_equal(impl->fn(0, "123456789", 9), 0xD0DB);
	}
}

/* Fixed vectors: a zero block sums to 0 (no init or XOR); the rest from the
 * reference, which the check value above anchors. */
static void test_known_blocks(void **state)
{
	static uint8_t zero[4096], ones[4096], ramp[4096];

	memset(ones, 0xff, sizeof(ones));
	for (size_t i = 0; i < sizeof(ramp); i++)
		ramp[i] = (uint8_t)i;
	for (size_t i = 0; i < tcmud_crc16_t10_nr_impls; i++) {
		tcmud_crc16_t10_fn fn = tcmud_crc16_t10_impls[i].fn;

		assert_int_equal(fn(0, zero, 512), 0);
		assert_int_equal(fn(0, zero, 4096), 0);
		assert_int_equal(fn(0, ones, 512), ref_crc(0, ones, 512));
		assert_int_equal(fn(0, ones, 4096), ref_crc(0, ones, 4096));
		assert_int_equal(fn(0, ramp, 512), ref_crc(0, ramp, 512));
		assert_int_equal(fn(0, ramp, 4096), ref_crc(0, ramp, 4096));
		assert_int_equal(fn(0, "A", 1), ref_crc(0, (const uint8_t *)"A", 1));
	}
}

/* Every length up to 300 and some large odd ones, at every alignment mod 16,
 * with zero and non-zero seeds. */
static void test_random_lengths(void **state)
{
	static const size_t big[] = {511, 512, 513, 1023, 4095, 4096, 4097, 65536, 65537 + 16};
	size_t cap = 65537 + 32 + 16;
	uint8_t *buf = malloc(cap);

	assert_non_null(buf);
	fill_random(buf, cap);
	for (size_t i = 0; i < tcmud_crc16_t10_nr_impls; i++) {
		tcmud_crc16_t10_fn fn = tcmud_crc16_t10_impls[i].fn;

		for (size_t len = 0; len <= 300; len++)
			for (size_t align = 0; align < 16; align++) {
				uint16_t seed = (uint16_t)(len * 7919 + align);

				assert_int_equal(fn(0, buf + align, len), ref_crc(0, buf + align, len));
				assert_int_equal(fn(seed, buf + align, len),
						 ref_crc(seed, buf + align, len));
			}
		for (size_t j = 0; j < sizeof(big) / sizeof(big[0]); j++)
			for (size_t align = 0; align < 16; align += 5)
				assert_int_equal(fn(0x1d0f, buf + align, big[j]),
						 ref_crc(0x1d0f, buf + align, big[j]));
	}
	free(buf);
}

static void test_empty_returns_seed(void **state)
{
	for (size_t i = 0; i < tcmud_crc16_t10_nr_impls; i++) {
		assert_int_equal(tcmud_crc16_t10_impls[i].fn(0, "", 0), 0);
		assert_int_equal(tcmud_crc16_t10_impls[i].fn(0xbeef, "", 0), 0xbeef);
	}
}

/* A block split at any offset sums to the same CRC when the first part's CRC
 * seeds the second: the contract dif.c relies on for split iovecs. */
static void chain_every_offset(size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	fill_random(buf, len);
	for (size_t i = 0; i < tcmud_crc16_t10_nr_impls; i++) {
		tcmud_crc16_t10_fn fn = tcmud_crc16_t10_impls[i].fn;
		uint16_t whole = fn(0, buf, len);

		assert_int_equal(whole, ref_crc(0, buf, len));
		for (size_t s = 0; s <= len; s++)
			assert_int_equal(fn(fn(0, buf, s), buf + s, len - s), whole);
		/* three pieces, the middle one short and at odd places */
		for (size_t s = 0; s + 7 <= len; s += 13) {
			uint16_t c = fn(0, buf, s);

			c = fn(c, buf + s, 7);
			assert_int_equal(fn(c, buf + s + 7, len - s - 7), whole);
		}
		/* one byte at a time */
		uint16_t c = 0;

		for (size_t s = 0; s < len; s++)
			c = fn(c, buf + s, 1);
		assert_int_equal(c, whole);
	}
	free(buf);
}

static void test_chain_512(void **state)
{
	chain_every_offset(512);
}

static void test_chain_4096(void **state)
{
	chain_every_offset(4096);
}

static void test_choose(void **state)
{
	const struct tcmud_crc16_t10_impl *dflt = &tcmud_crc16_t10_impls[0];

	assert_string_equal(dflt->name, "isal");
	assert_ptr_equal(tcmud_crc16_t10_lookup("base"), &tcmud_crc16_t10_impls[1]);
	assert_null(tcmud_crc16_t10_lookup("nope"));
	assert_ptr_equal(tcmud_crc16_t10_choose(NULL), dflt);
	assert_ptr_equal(tcmud_crc16_t10_choose(""), dflt);
	assert_ptr_equal(tcmud_crc16_t10_choose("base"), tcmud_crc16_t10_lookup("base"));
	assert_ptr_equal(tcmud_crc16_t10_choose("isal"), dflt);
	assert_ptr_equal(tcmud_crc16_t10_choose("nope"), dflt); /* with a warning */
}

/* The selection follows TCMUD_CRC (ctest runs this test with and without
 * it), is made once, and tcmud_crc16_t10() goes through it. */
static void test_selected(void **state)
{
	const struct tcmud_crc16_t10_impl *impl = tcmud_crc16_t10_selected();
	uint8_t buf[777];

	assert_ptr_equal(impl, tcmud_crc16_t10_choose(getenv("TCMUD_CRC")));
	print_message("selected: %s\n", impl->name);
	fill_random(buf, sizeof(buf));
	assert_int_equal(tcmud_crc16_t10(0x55aa, buf, sizeof(buf)), ref_crc(0x55aa, buf, sizeof(buf)));
	assert_int_equal(tcmud_crc16_t10(0, "123456789", 9), 0xD0DB);
	setenv("TCMUD_CRC", impl == &tcmud_crc16_t10_impls[0] ? "base" : "isal", 1);
	assert_ptr_equal(tcmud_crc16_t10_selected(), impl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_itself),
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_known_blocks),
		cmocka_unit_test(test_random_lengths),
		cmocka_unit_test(test_empty_returns_seed),
		cmocka_unit_test(test_chain_512),
		cmocka_unit_test(test_chain_4096),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_selected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
