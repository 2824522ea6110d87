/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control plane: handlers, the table of served devices, discovery at
 * start, netlink events after, signals, the D-Bus service. Runs a GLib main
 * loop on the main thread; each device has its own thread for commands.
 */
#ifndef TCMUD_DAEMON_H
#define TCMUD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "configfs.h"
#include "dbus_service.h"
#include "device.h"
#include "handler_registry.h"
#include "netlink.h"
#include "options.h"

struct tcmud_daemon {
	const struct tcmud_options *opts;
	struct tcmud_paths paths;
	struct tcmud_registry registry;
	struct tcmud_nl *nl;
	bool kern_reply;            /* the kernel was asked to wait for our replies */
	struct tcmud_dbus *dbus;    /* org.kernel.TCMUService1; NULL without D-Bus */
	struct tcmud_device **devs;
	size_t ndevs, cap;
	/* The handler settings in force: those of opts, then of each reload. */
	struct tcmud_handler_setting settings[TCMUD_MAX_HANDLER_SETTINGS];
	size_t nr_settings;
};

/* Run until SIGTERM/SIGINT. Returns the process exit status. */
int tcmud_daemon_run(const struct tcmud_options *opts);

/* The pieces of run(), exposed for tests. */
int tcmud_daemon_init(struct tcmud_daemon *d, const struct tcmud_options *opts);
/* Serve every tcm-user device in sysfs that has a handler and is not served yet.
 * Devices found this way are recovered (block, reset ring) unless --no-recover. */
void tcmud_daemon_scan(struct tcmud_daemon *d);
int tcmud_daemon_event(void *ctx, const struct tcmud_nl_event *ev, bool *reply);
struct tcmud_device *tcmud_daemon_find(const struct tcmud_daemon *d, unsigned int minor);
void tcmud_daemon_fini(struct tcmud_daemon *d);

/*
 * Read the configuration file (and the command line, which still wins) again
 * and apply what can change while devices are served: the log level and the
 * handler settings. Settings read only at start are logged as needing a
 * restart. On any error, logged with the file and line, every setting in
 * force stays. 0 or -EINVAL.
 */
int tcmud_daemon_reload(struct tcmud_daemon *d);

#endif
