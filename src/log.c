/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static enum tcmud_log_level current_level = TCMUD_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
/* sd-daemon(3) priority prefixes, so the journal keeps the level. */
static const char *const level_prefix[] = {"<3>", "<4>", "<6>", "<7>"};

void tcmud_log_set_level(enum tcmud_log_level level)
{
	current_level = level;
}

enum tcmud_log_level tcmud_log_get_level(void)
{
	return current_level;
}

const char *tcmud_log_level_name(enum tcmud_log_level level)
{
	return level >= 0 && level < 4 ? level_names[level] : "?";
}

int tcmud_log_parse_level(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

void tcmud_log(enum tcmud_log_level level, const char *fmt, ...)
{
	if (level > current_level || level < 0)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One call per line so concurrent device threads never interleave.
	 * Under systemd (JOURNAL_STREAM set) a priority prefix keeps the level. */
	bool journal = getenv("JOURNAL_STREAM") != NULL;
	fprintf(stderr, "%s%s: %s\n", journal ? level_prefix[level] : "",
		level_names[level], line);
}
