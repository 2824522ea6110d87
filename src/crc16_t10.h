/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRC-16/T10-DIF, the guard of a T10 protection information tuple:
 * polynomial 0x8BB7, initial value 0, not reflected, no final XOR
 * ("123456789" -> 0xD0DB).
 *
 * The seed is the CRC of the bytes before buf, so a block split across
 * buffers is summed piece by piece:
 *     crc = tcmud_crc16_t10(0, a, la);
 *     crc = tcmud_crc16_t10(crc, b, lb);   == CRC of a followed by b
 *
 * Several implementations exist; tcmud_crc16_t10() uses the one chosen on
 * first use: ISA-L's runtime-dispatched code (PCLMULQDQ / VPCLMULQDQ when the
 * CPU has them), or the one named by the environment variable TCMUD_CRC.
 */
#ifndef TCMUD_CRC16_T10_H
#define TCMUD_CRC16_T10_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t (*tcmud_crc16_t10_fn)(uint16_t seed, const void *buf, size_t len);

struct tcmud_crc16_t10_impl {
	const char *name;
	const char *desc;
	tcmud_crc16_t10_fn fn;
};

/*
 * Every implementation, the default first:
 *   "isal"  ISA-L's crc16_t10dif(), dispatched on the CPU's features
 *   "base"  ISA-L's crc16_t10dif_base(), portable table-driven C
 */
extern const struct tcmud_crc16_t10_impl tcmud_crc16_t10_impls[];
extern const size_t tcmud_crc16_t10_nr_impls;

/* The implementation called name, or NULL. */
const struct tcmud_crc16_t10_impl *tcmud_crc16_t10_lookup(const char *name);

/*
 * The implementation TCMUD_CRC=<env> asks for: the default for NULL or "",
 * the named one, or the default (with a warning) for an unknown name.
 */
const struct tcmud_crc16_t10_impl *tcmud_crc16_t10_choose(const char *env);

/* The implementation in use (chosen from getenv("TCMUD_CRC") on first call). */
const struct tcmud_crc16_t10_impl *tcmud_crc16_t10_selected(void);

/* CRC of len bytes at buf, continuing from seed (0 for a new CRC). */
uint16_t tcmud_crc16_t10(uint16_t seed, const void *buf, size_t len);

#endif /* TCMUD_CRC16_T10_H */
