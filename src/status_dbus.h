/* SPDX-License-Identifier: Apache-2.0 */
/* org.tcmud.Daemon1 at /org/tcmud/Daemon1: GetStatus() for tcmudctl. */
#ifndef TCMUD_STATUS_DBUS_H
#define TCMUD_STATUS_DBUS_H

#include "daemon.h"
#include "dbus_service.h"

#define TCMUD_STATUS_DBUS_PATH "/org/tcmud/Daemon1"

/* Answer GetStatus with tcmud_status_variant(d) on every connection of s;
 * d must outlive s. */
void tcmud_status_dbus_export(struct tcmud_dbus *s, const struct tcmud_daemon *d);

#endif
