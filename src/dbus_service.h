/* SPDX-License-Identifier: Apache-2.0 */
/*
 * org.kernel.TCMUService1 on D-Bus: how targetcli/rtslib learn which
 * "user:<subtype>" backstores exist and check a cfgstring before creating a
 * device, and how another process (tcmu-runner's libtcmu) adds a subtype it
 * serves itself.
 *
 * Everything runs on the GLib main context of the thread that calls
 * tcmud_dbus_start() (the daemon's main thread). The data path never depends
 * on it: without a bus, devices are served as before, and tcmud reconnects
 * when the bus comes (back).
 */
#ifndef TCMUD_DBUS_SERVICE_H
#define TCMUD_DBUS_SERVICE_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stddef.h>

#include "handler_registry.h"

#define TCMUD_DBUS_NAME "org.kernel.TCMUService1"
#define TCMUD_DBUS_PATH "/org/kernel/TCMUService1"
#define TCMUD_DBUS_MANAGER_PATH TCMUD_DBUS_PATH "/HandlerManager1"
/* An external handler for subtype S owns this name + "." + S and serves
 * CheckConfig at TCMUD_DBUS_MANAGER_PATH "/" S. */
#define TCMUD_DBUS_EXTERNAL_PREFIX TCMUD_DBUS_NAME ".HandlerManager1"

/* How often to try the bus again after a failed connection or a lost one. */
#define TCMUD_DBUS_RETRY_MS 2000

struct tcmud_dbus;

/*
 * Publish the handlers of reg on the bus named by `bus`: "system",
 * "session" or a D-Bus address ("unix:path=/run/x"). The connection is made
 * in the background; failures are logged and retried. reg must outlive the
 * service. Returns NULL when bus is "none" (nothing is published).
 */
struct tcmud_dbus *tcmud_dbus_start(const char *bus, const struct tcmud_registry *reg);

/* Release the name, unpublish everything, close the connection. NULL is fine. */
void tcmud_dbus_stop(struct tcmud_dbus *s);

/* What became of tcmud's request for org.kernel.TCMUService1. */
enum tcmud_dbus_name_state {
	TCMUD_DBUS_NAME_UNKNOWN = 0,   /* not connected, or no answer yet */
	TCMUD_DBUS_NAME_OWNED,
	TCMUD_DBUS_NAME_QUEUED,        /* another process holds it; ours when it leaves */
	TCMUD_DBUS_NAME_REFUSED,       /* the bus policy does not let tcmud own it */
};

enum tcmud_dbus_name_state tcmud_dbus_name_state(const struct tcmud_dbus *s);

/* tcmud owns org.kernel.TCMUService1 right now. */
bool tcmud_dbus_has_name(const struct tcmud_dbus *s);

/*
 * Export a further interface (one of tcmud's own, beyond what targetcli
 * uses) at path on the bus connection: at once if connected, and again on
 * every reconnection, until tcmud_dbus_stop(). Takes a reference to iface.
 * Exported before the name is requested, so clients never see the name
 * without it. A path that is no object path, or an interface already
 * exported there, is logged and left out.
 */
void tcmud_dbus_export(struct tcmud_dbus *s, GDBusInterfaceSkeleton *iface, const char *path);

/* A process registered subtype over D-Bus and serves its devices itself. */
bool tcmud_dbus_is_external(const struct tcmud_dbus *s, const char *subtype);

/*
 * The answer to CheckConfig("<subtype>/<cfgstring>") for one of tcmud's own
 * handlers: true with "success", or false with the reason in msg (a config
 * for another subtype, without the '/', one the kernel cannot take, or one
 * the handler refuses).
 */
bool tcmud_dbus_check_config(const struct tcmud_handler *h, const char *config, char *msg,
			     size_t msg_len);

#endif
