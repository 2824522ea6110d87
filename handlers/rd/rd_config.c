/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing of the rd cfgstring (see rd_config.h). */
#include "rd_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KNOWN_KEYS "size, pi, nullio, ro, persist"

int rd_refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trim blanks (and a trailing newline from configfs) around [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while (*len && is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_blank((*s)[*len - 1]))
		(*len)--;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -1;
	}
}

bool rd_parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	int shift = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t digit = (uint64_t)(s[i] - '0');

		if (v > UINT64_MAX / 10 || v * 10 > UINT64_MAX - digit)
			return false;
		v = v * 10 + digit;
	}
	if (i == 0)
		return false;
	if (i + 1 == len)
		shift = suffix_shift(s[i++]);
	if (i != len || shift < 0 || v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

/* A single digit in [0, max]. */
static bool parse_digit(const char *s, size_t len, unsigned max, unsigned *out)
{
	if (len != 1 || s[0] < '0' || s[0] > (char)('0' + max))
		return false;
	*out = (unsigned)(s[0] - '0');
	return true;
}

/* Which keys were given, to refuse duplicates. */
enum rd_key { KEY_SIZE, KEY_PI, KEY_NULLIO, KEY_RO, KEY_PERSIST, NR_KEYS };

static const char *const key_names[NR_KEYS] = {"size", "pi", "nullio", "ro", "persist"};

static int find_key(const char *key, size_t len)
{
	for (int k = 0; k < NR_KEYS; k++)
		if (strlen(key_names[k]) == len && strncmp(key, key_names[k], len) == 0)
			return k;
	return -1;
}

static int set_value(struct rd_config *cfg, enum rd_key key, const char *opt, size_t opt_len,
		     const char *val, size_t len, char *why, size_t why_len)
{
	unsigned digit;

	switch (key) {
	case KEY_SIZE:
		if (!rd_parse_size(val, len, &cfg->size))
			return rd_refuse(why, why_len, "invalid size in \"%.*s\" "
					 "(expected <bytes>[K|M|G|T])", (int)opt_len, opt);
		if (cfg->size == 0)
			return rd_refuse(why, why_len, "\"%.*s\": size must not be zero",
					 (int)opt_len, opt);
		cfg->has_size = true;
		return 0;
	case KEY_PI:
		if (!parse_digit(val, len, 3, &digit))
			return rd_refuse(why, why_len, "invalid value in \"%.*s\" "
					 "(pi= takes 0, 1, 2 or 3)", (int)opt_len, opt);
		cfg->pi_type = (uint8_t)digit;
		return 0;
	case KEY_NULLIO:
	case KEY_RO:
	case KEY_PERSIST:
		if (!parse_digit(val, len, 1, &digit))
			return rd_refuse(why, why_len, "invalid value in \"%.*s\" "
					 "(%s= takes 0 or 1)", (int)opt_len, opt, key_names[key]);
		if (key == KEY_NULLIO)
			cfg->nullio = digit;
		else if (key == KEY_RO)
			cfg->read_only = digit;
		else
			cfg->persist = digit;
		return 0;
	case NR_KEYS:
		break;
	}
	return -EINVAL;
}

static int parse_option(const char *opt, size_t len, struct rd_config *cfg, bool seen[NR_KEYS],
			char *why, size_t why_len)
{
	const char *eq, *key, *val;
	size_t key_len, val_len;
	int k;

	trim(&opt, &len);
	if (len == 0)
		return 0; /* empty option, e.g. a trailing ';' */
	eq = memchr(opt, '=', len);
	if (!eq)
		return rd_refuse(why, why_len, "option \"%.*s\" is not key=value (known keys: "
				 KNOWN_KEYS ")", (int)len, opt);
	key = opt;
	key_len = (size_t)(eq - opt);
	val = eq + 1;
	val_len = len - key_len - 1;
	trim(&key, &key_len);
	trim(&val, &val_len);
	k = find_key(key, key_len);
	if (k < 0)
		return rd_refuse(why, why_len, "unknown option \"%.*s\" (known keys: "
				 KNOWN_KEYS ")", (int)len, opt);
	if (seen[k])
		return rd_refuse(why, why_len, "option \"%s\" is given twice", key_names[k]);
	seen[k] = true;
	return set_value(cfg, (enum rd_key)k, opt, len, val, val_len, why, why_len);
}

static int check_combination(const struct rd_config *cfg, const bool seen[NR_KEYS],
			     char *why, size_t why_len)
{
	if (cfg->nullio && seen[KEY_PERSIST] && cfg->persist)
		return rd_refuse(why, why_len, "nullio=1 and persist=1 cannot be combined: "
				 "a nullio device stores nothing");
	return 0;
}

/* Options every device starts from before its own (rd.defaults). */
static struct rd_config defaults = {.persist = true};

/* Parse the options of p over *cfg; seen gets the keys p gives. */
static int parse_options(const char *p, struct rd_config *cfg, bool seen[NR_KEYS], char *why,
			 size_t why_len)
{
	int ret;

	for (;;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		ret = parse_option(p, len, cfg, seen, why, why_len);
		if (ret)
			return ret;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int rd_config_set_defaults(const char *options, char *why, size_t why_len)
{
	struct rd_config cfg = {.persist = true};
	bool seen[NR_KEYS] = {false};
	int ret = parse_options(options, &cfg, seen, why, why_len);

	if (ret)
		return ret;
	if (seen[KEY_SIZE])
		return rd_refuse(why, why_len, "size= is a property of one device, "
				 "it cannot be a default");
	ret = check_combination(&cfg, seen, why, why_len);
	if (ret)
		return ret;
	if (cfg.nullio && !seen[KEY_PERSIST])
		cfg.persist = false;
	defaults = cfg;
	return 0;
}

int rd_config_parse(const char *cfgstring, struct rd_config *cfg, char *why, size_t why_len)
{
	const char *p = cfgstring ? cfgstring : "";
	bool seen[NR_KEYS] = {false};
	int ret;

	*cfg = defaults;
	/* Tolerate the full dev_config form "rd/<options>". */
	if (strncmp(p, "rd/", 3) == 0)
		p += 3;
	ret = parse_options(p, cfg, seen, why, why_len);
	if (ret)
		return ret;
	if (cfg->nullio && !seen[KEY_PERSIST])
		cfg->persist = false; /* nothing to keep */
	return check_combination(cfg, seen, why, why_len);
}
