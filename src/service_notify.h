/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telling the service manager what the daemon is doing (sd_notify(3)):
 * READY once devices are served, RELOADING/READY around a configuration
 * reload, STOPPING at shutdown, and the watchdog keep-alive.
 * Every call does nothing when the daemon was not started by systemd
 * (no NOTIFY_SOCKET).
 */
#ifndef TCMUD_SERVICE_NOTIFY_H
#define TCMUD_SERVICE_NOTIFY_H

#include <stdint.h>

void tcmud_notify_ready(const char *status);
void tcmud_notify_reloading(void);
void tcmud_notify_stopping(void);
void tcmud_notify_watchdog(void);

/* The interval at which the watchdog keep-alive must be sent, in
 * milliseconds (half of WatchdogSec=), or 0 when no watchdog is asked for. */
uint64_t tcmud_notify_watchdog_interval_ms(void);

#endif
