/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-16/T10-DIF: the implementations and the choice between them. */
#include "crc16_t10.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>

#include "log.h"

/*
 * ISA-L's seed is the previous CRC as is (no reflection or final XOR to
 * undo), which is exactly the chaining contract of crc16_t10.h; the tests
 * check it at every split offset.
 */
static uint16_t crc_isal(uint16_t seed, const void *buf, size_t len)
{
	return crc16_t10dif(seed, buf, len);
}

static uint16_t crc_base(uint16_t seed, const void *buf, size_t len)
{
	/* The prototype lacks const; the function only reads buf. */
	return crc16_t10dif_base(seed, (uint8_t *)(uintptr_t)buf, len);
}

const struct tcmud_crc16_t10_impl tcmud_crc16_t10_impls[] = {
	{"isal", "ISA-L, dispatched on CPU features", crc_isal},
	{"base", "ISA-L portable table", crc_base},
};
const size_t tcmud_crc16_t10_nr_impls =
	sizeof(tcmud_crc16_t10_impls) / sizeof(tcmud_crc16_t10_impls[0]);

const struct tcmud_crc16_t10_impl *tcmud_crc16_t10_lookup(const char *name)
{
	for (size_t i = 0; i < tcmud_crc16_t10_nr_impls; i++)
		if (strcmp(tcmud_crc16_t10_impls[i].name, name) == 0)
			return &tcmud_crc16_t10_impls[i];
	return NULL;
}

const struct tcmud_crc16_t10_impl *tcmud_crc16_t10_choose(const char *env)
{
	const struct tcmud_crc16_t10_impl *impl;

	if (!env || !*env)
		return &tcmud_crc16_t10_impls[0];
	impl = tcmud_crc16_t10_lookup(env);
	if (!impl) {
		log_warn("TCMUD_CRC=%s: no such CRC implementation, using %s", env,
			 tcmud_crc16_t10_impls[0].name);
		return &tcmud_crc16_t10_impls[0];
	}
	return impl;
}

/*
 * Chosen lazily rather than in a constructor so that the debug line is
 * logged after the daemon has set its log level. Device threads may race on
 * the first call; the compare-exchange keeps one choice and one log line.
 */
static _Atomic(const struct tcmud_crc16_t10_impl *) selected;

static const struct tcmud_crc16_t10_impl *select_impl(void)
{
	const struct tcmud_crc16_t10_impl *want = tcmud_crc16_t10_choose(getenv("TCMUD_CRC"));
	const struct tcmud_crc16_t10_impl *none = NULL;

	if (!atomic_compare_exchange_strong_explicit(&selected, &none, want,
						     memory_order_acq_rel,
						     memory_order_acquire))
		return none; /* another thread chose first */
	log_debug("CRC-16/T10-DIF: using %s (%s)", want->name, want->desc);
	return want;
}

const struct tcmud_crc16_t10_impl *tcmud_crc16_t10_selected(void)
{
	const struct tcmud_crc16_t10_impl *impl =
		atomic_load_explicit(&selected, memory_order_acquire);

	return impl ? impl : select_impl();
}

uint16_t tcmud_crc16_t10(uint16_t seed, const void *buf, size_t len)
{
	return tcmud_crc16_t10_selected()->fn(seed, buf, len);
}
