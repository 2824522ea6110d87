/* SPDX-License-Identifier: Apache-2.0 */
/* What dbus_service.c (the bus, the name, tcmud's own handlers) and
 * dbus_external.c (handlers registered by other processes) share. */
#ifndef TCMUD_DBUS_INTERNAL_H
#define TCMUD_DBUS_INTERNAL_H

#include <gio/gio.h>
#include <stdbool.h>

#include "dbus_service.h"
#include "tcmud_dbus_generated.h"

struct tcmud_dbus {
	char *bus;                          /* the setting: system, session or an address */
	const struct tcmud_registry *reg;
	GDBusObjectManagerServer *manager;  /* TCMUD_DBUS_PATH: one object per handler */
	TcmudHandlerManager *handler_manager;
	bool handler_manager_exported;
	GCancellable *cancel;               /* every call in flight; cancelled by stop */
	GDBusConnection *conn;              /* NULL while not connected */
	gulong closed_id;
	guint own_id;
	enum tcmud_dbus_name_state name;
	guint retry_id;
	char *last_failure;                 /* logged once, until the next success */
	GPtrArray *externals;               /* struct dbus_external *, by RegisterHandler */
	GPtrArray *exports;                 /* struct dbus_export *, by tcmud_dbus_export */
};

/* TCMUD_DBUS_PATH "/" subtype, or NULL (logged by the caller) when the
 * subtype cannot be a D-Bus object path element. g_free() it. */
char *dbus_handler_path(const char *subtype);

/* Publish an object with org.kernel.TCMUService1 (ConfigDesc, CheckConfig
 * answered by on_check(user_data)) on the manager. Returns its interface
 * (a reference for the caller). */
TcmudService *dbus_publish_handler(struct tcmud_dbus *s, const char *path, const char *cfg_desc,
				   GCallback on_check, gpointer user_data);

/* Answer RegisterHandler/UnregisterHandler from now on. */
void dbus_external_init(struct tcmud_dbus *s);
/* Forget every external handler (the connection is gone or tcmud stops);
 * registrations still waiting are answered with why. */
void dbus_external_drop_all(struct tcmud_dbus *s, const char *why);

#endif
