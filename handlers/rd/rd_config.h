/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rd cfgstring: dev_config after "rd/", options "key=value" separated by
 * ';' (blanks around keys and values are ignored):
 *
 *   size=<n>[K|M|G|T]  bytes; optional, must equal the device size
 *   pi=0|1|2|3         T10 protection information type (0: none)
 *   nullio=1           store nothing: writes are discarded, reads return zeros
 *   ro=1               read only
 *   persist=0|1        keep the blocks in /dev/shm across restarts (default 1)
 */
#ifndef TCMUD_RD_CONFIG_H
#define TCMUD_RD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd_config {
	bool has_size;
	uint64_t size;
	uint8_t pi_type;
	bool nullio;
	bool read_only;
	bool persist;
};

/* Parse a cfgstring (NULL or "" for the defaults; a leading "rd/" is
 * tolerated) over the defaults of rd_config_set_defaults(). 0, or -EINVAL with a reason naming the option in why. */
int rd_config_parse(const char *cfgstring, struct rd_config *cfg, char *why, size_t why_len);

/* Options (the same syntax, without size=) that every later parse starts
 * from, the cfgstring's own options overriding them: the daemon-wide
 * setting rd.defaults. 0, or -EINVAL with the reason; the old defaults stay
 * then. */
int rd_config_set_defaults(const char *options, char *why, size_t why_len);

/* "<digits>[K|M|G|T]" (binary multiples); false if malformed or too big. */
bool rd_parse_size(const char *s, size_t len, uint64_t *out);

/* Formats why and returns -EINVAL; why may be NULL. */
int rd_refuse(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
