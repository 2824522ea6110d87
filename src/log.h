/* SPDX-License-Identifier: Apache-2.0 */
/* Levelled logging to stderr (systemd's journal picks it up). */
#ifndef TCMUD_LOG_H
#define TCMUD_LOG_H

#include "tcmud/handler.h"

void tcmud_log_set_level(enum tcmud_log_level level);
enum tcmud_log_level tcmud_log_get_level(void);
/* "error", "warn", "info" or "debug". */
const char *tcmud_log_level_name(enum tcmud_log_level level);
/* Parse "error", "warn", "info", "debug" (or 0-3). Returns -1 if unknown. */
int tcmud_log_parse_level(const char *s);

#define log_error(...) tcmud_log(TCMUD_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) tcmud_log(TCMUD_LOG_WARN, __VA_ARGS__)
#define log_info(...) tcmud_log(TCMUD_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                   \
	do {                                                             \
		if (tcmud_log_get_level() >= TCMUD_LOG_DEBUG)            \
			tcmud_log(TCMUD_LOG_DEBUG, __VA_ARGS__);         \
	} while (0)

#endif
