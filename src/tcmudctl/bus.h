/* SPDX-License-Identifier: Apache-2.0 */
/* Asking tcmud for its status over D-Bus. */
#ifndef TCMUDCTL_BUS_H
#define TCMUDCTL_BUS_H

#include <gio/gio.h>

#include "args.h"

#define TCMUDCTL_BUS_NAME "org.kernel.TCMUService1"
#define TCMUDCTL_OBJECT_PATH "/org/tcmud/Daemon1"
#define TCMUDCTL_INTERFACE "org.tcmud.Daemon1"
#define TCMUDCTL_STATUS_TYPE "(a{sv}aa{sv})"

struct tcmudctl_bus_conn {
	GDBusConnection *conn;
	char *what;               /* "the system bus", "the bus at ADDRESS" */
};

/*
 * Connect to the bus args name. 0, or an exit status after printing why to
 * err.
 */
int tcmudctl_bus_open(const struct tcmudctl_args *args, struct tcmudctl_bus_conn *bus,
		      FILE *err);
void tcmudctl_bus_close(struct tcmudctl_bus_conn *bus);

/*
 * Call GetStatus. Returns the reply, of type TCMUDCTL_STATUS_TYPE, or NULL
 * with an exit status in *exit_status after printing why to err (a missing
 * owner of the bus name is TCMUDCTL_EXIT_NOT_RUNNING).
 */
GVariant *tcmudctl_get_status(const struct tcmudctl_bus_conn *bus, int *exit_status,
			      FILE *err);

#endif
