/* SPDX-License-Identifier: Apache-2.0 */
#include "service_notify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"

static void notify(const char *state)
{
	/* unset_environment=0: a reload sends READY=1 again later. */
	int rc = sd_notify(0, state);

	if (rc < 0)
		log_warn("cannot notify the service manager (%s): %s", state, strerror(-rc));
}

void tcmud_notify_ready(const char *status)
{
	char msg[512];

	if (!status) {
		notify("READY=1");
		return;
	}
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify(msg);
}

void tcmud_notify_reloading(void)
{
	notify("RELOADING=1");
}

void tcmud_notify_stopping(void)
{
	notify("STOPPING=1");
}

void tcmud_notify_watchdog(void)
{
	notify("WATCHDOG=1");
}

uint64_t tcmud_notify_watchdog_interval_ms(void)
{
	uint64_t usec = 0;

	/* > 0 only when WATCHDOG_USEC is set for this very process. */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2000;
}
