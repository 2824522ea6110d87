/* SPDX-License-Identifier: Apache-2.0 */
/*
 * org.kernel.TCMUService1: the connection to the bus, the name, and one
 * object per handler of the registry. Handlers registered by other
 * processes are in dbus_external.c.
 *
 * The connection is private (not GLib's shared bus singleton), because the
 * shared one raises SIGTERM in the process when the bus goes away, and the
 * data path must not stop with dbus-daemon.
 */
#include "dbus_service.h"

#include <stdio.h>
#include <string.h>

#include "dbus_internal.h"
#include "log.h"
#include "uio_name.h"

static void connect_bus(struct tcmud_dbus *s);

/* For log lines: "the system bus", "the bus at unix:path=/x". */
static const char *bus_desc(const struct tcmud_dbus *s, char *buf, size_t len)
{
	if (!strcmp(s->bus, "system") || !strcmp(s->bus, "session"))
		snprintf(buf, len, "the %s bus", s->bus);
	else
		snprintf(buf, len, "the bus at %s", s->bus);
	return buf;
}

char *dbus_handler_path(const char *subtype)
{
	char *path = g_strdup_printf("%s/%s", TCMUD_DBUS_PATH, subtype);
	if (g_variant_is_object_path(path) && !strchr(subtype, '/') &&
	    strcmp(path, TCMUD_DBUS_MANAGER_PATH) != 0)
		return path;
	g_free(path);
	return NULL;
}

bool tcmud_dbus_check_config(const struct tcmud_handler *h, const char *config, char *msg,
			     size_t msg_len)
{
	const char *slash = strchr(config, '/');
	char why[512] = "";

	if (!slash) {
		snprintf(msg, msg_len, "config '%s' has no '/' after the subtype: expected "
			 "'%s/<options>'", config, h->subtype);
		return false;
	}
	if ((size_t)(slash - config) != strlen(h->subtype) ||
	    strncmp(config, h->subtype, (size_t)(slash - config)) != 0) {
		snprintf(msg, msg_len, "config '%s' is for handler '%.*s', not '%s'", config,
			 (int)(slash - config), config, h->subtype);
		return false;
	}
	/* What the kernel's control file would do to such a dev_config. */
	if (strlen(config) >= TCMUD_NAME_MAX) {
		snprintf(msg, msg_len, "config is %zu bytes long; the kernel keeps only the "
			 "first %d", strlen(config), TCMUD_NAME_MAX - 1);
		return false;
	}
	if (strpbrk(config, ",\n")) {
		snprintf(msg, msg_len, "config '%s' contains a ',' or a newline, which end a "
			 "dev_config in the kernel's control file", config);
		return false;
	}
	if (tcmud_handler_check_config(h, slash + 1, why, sizeof(why))) {
		snprintf(msg, msg_len, "%s", why);
		return false;
	}
	snprintf(msg, msg_len, "success");
	return true;
}

static gboolean on_check_config(TcmudService *iface, GDBusMethodInvocation *inv,
				const char *config, gpointer data)
{
	const struct tcmud_handler *h = data;
	char msg[768];
	bool ok = tcmud_dbus_check_config(h, config, msg, sizeof(msg));

	log_debug("D-Bus: CheckConfig('%s') from %s: %s", config,
		  g_dbus_method_invocation_get_sender(inv), msg);
	tcmud_service_complete_check_config(iface, inv, ok, msg);
	return TRUE;
}

TcmudService *dbus_publish_handler(struct tcmud_dbus *s, const char *path, const char *cfg_desc,
				   GCallback on_check, gpointer user_data)
{
	GDBusObjectSkeleton *obj = g_dbus_object_skeleton_new(path);
	TcmudService *iface = tcmud_service_skeleton_new();

	tcmud_service_set_config_desc(iface, cfg_desc ? cfg_desc : "");
	g_signal_connect(iface, "handle-check-config", on_check, user_data);
	g_dbus_object_skeleton_add_interface(obj, G_DBUS_INTERFACE_SKELETON(iface));
	g_dbus_object_manager_server_export(s->manager, obj);
	g_object_unref(obj);
	return iface;
}

static void publish_own_handlers(struct tcmud_dbus *s)
{
	for (size_t i = 0; i < s->reg->count; i++) {
		const struct tcmud_handler *h = s->reg->handlers[i];
		char *path = dbus_handler_path(h->subtype);
		if (!path) {
			log_warn("D-Bus: handler '%s' is not published: a subtype on D-Bus is "
				 "made of letters, digits and '_'", h->subtype);
			continue;
		}
		g_object_unref(dbus_publish_handler(s, path, h->cfg_desc,
						    G_CALLBACK(on_check_config), (gpointer)h));
		g_free(path);
	}
}

/* --- further interfaces ------------------------------------------------------- */

struct dbus_export {
	GDBusInterfaceSkeleton *iface;
	char *path;
};

static void export_free(gpointer data)
{
	struct dbus_export *x = data;
	g_object_unref(x->iface);
	g_free(x->path);
	g_free(x);
}

static void export_one(struct tcmud_dbus *s, struct dbus_export *x)
{
	GError *err = NULL;
	if (!g_dbus_interface_skeleton_export(x->iface, s->conn, x->path, &err)) {
		log_error("D-Bus: cannot export %s at %s: %s",
			  g_dbus_interface_skeleton_get_info(x->iface)->name, x->path, err->message);
		g_error_free(err);
	}
}

void tcmud_dbus_export(struct tcmud_dbus *s, GDBusInterfaceSkeleton *iface, const char *path)
{
	struct dbus_export *x;

	if (!s)
		return;
	if (!g_variant_is_object_path(path)) {
		log_error("D-Bus: '%s' is no object path; %s is not exported", path,
			  g_dbus_interface_skeleton_get_info(iface)->name);
		return;
	}
	x = g_new0(struct dbus_export, 1);
	x->iface = g_object_ref(iface);
	x->path = g_strdup(path);
	g_ptr_array_add(s->exports, x);
	if (s->conn)
		export_one(s, x);
}

static void unexport_all(struct tcmud_dbus *s)
{
	for (guint i = 0; i < s->exports->len; i++) {
		struct dbus_export *x = g_ptr_array_index(s->exports, i);
		if (g_dbus_interface_skeleton_has_connection(x->iface, s->conn))
			g_dbus_interface_skeleton_unexport_from_connection(x->iface, s->conn);
	}
}

/* --- the connection ---------------------------------------------------------- */

static gboolean on_retry(gpointer data)
{
	struct tcmud_dbus *s = data;
	s->retry_id = 0;
	connect_bus(s);
	return G_SOURCE_REMOVE;
}

/* Log a failure unless it is the one logged last; try again later. */
static void failed(struct tcmud_dbus *s, const char *what)
{
	char desc[1100];

	if (!s->last_failure || strcmp(s->last_failure, what) != 0)
		log_warn("D-Bus: %s: %s; devices are served without it, but targetcli does not "
			 "list tcmud's user: backstores until it works (trying again every %d ms)",
			 bus_desc(s, desc, sizeof(desc)), what, TCMUD_DBUS_RETRY_MS);
	g_free(s->last_failure);
	s->last_failure = g_strdup(what);
	if (!s->retry_id)
		s->retry_id = g_timeout_add(TCMUD_DBUS_RETRY_MS, on_retry, s);
}

/* Drop everything tied to the connection; registrations still waiting for
 * their handler's name are answered with why. */
static void disconnect(struct tcmud_dbus *s, const char *why)
{
	if (!s->conn)
		return;
	g_signal_handler_disconnect(s->conn, s->closed_id);
	/* No signals (InterfacesRemoved) on a dead connection. */
	if (g_dbus_connection_is_closed(s->conn))
		g_dbus_object_manager_server_set_connection(s->manager, NULL);
	dbus_external_drop_all(s, why);
	/* Release the name while the connection is up (GDBus skips that on a
	 * connection it knows is closed); unowning after closing races with the
	 * close and GDBus then warns that it cannot release the name. */
	if (s->own_id)
		g_bus_unown_name(s->own_id);
	s->own_id = 0;
	if (!g_dbus_connection_is_closed(s->conn))
		g_dbus_connection_close_sync(s->conn, NULL, NULL);
	g_dbus_object_manager_server_set_connection(s->manager, NULL);
	unexport_all(s);
	if (s->handler_manager_exported)
		g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(s->handler_manager));
	s->handler_manager_exported = false;
	s->name = TCMUD_DBUS_NAME_UNKNOWN;
	g_clear_object(&s->conn);
}

static void on_closed(GDBusConnection *conn, gboolean remote_vanished, GError *error,
		      gpointer data)
{
	struct tcmud_dbus *s = data;
	char what[512];

	snprintf(what, sizeof(what), "the connection was lost (%s)",
		 error ? error->message : "closed");
	disconnect(s, "tcmud lost its connection to the bus");
	failed(s, what);
}

/* The pid of the process that holds the name we wait for, for the log. */
static void on_owner_pid(GObject *src, GAsyncResult *res, gpointer data)
{
	GVariant *v = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, NULL);
	guint32 pid = 0;
	char comm[64] = "?", path[64];

	if (v) {
		g_variant_get(v, "(u)", &pid);
		g_variant_unref(v);
		snprintf(path, sizeof(path), "/proc/%u/comm", pid);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
	}
	log_warn("D-Bus: %s is owned by another process (pid %u, %s); tcmud takes it when "
		 "that process lets go; until then targetcli sees that process's handlers",
		 TCMUD_DBUS_NAME, pid, comm);
}

static void on_owner(GObject *src, GAsyncResult *res, gpointer data)
{
	GDBusConnection *conn = G_DBUS_CONNECTION(src);
	GError *err = NULL;
	GVariant *v = g_dbus_connection_call_finish(conn, res, &err);
	struct tcmud_dbus *s;
	const char *owner;

	if (!v && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err); /* the service stopped: data is gone */
		return;
	}
	s = data;
	if (!v) {
		/* Only "no owner" means the policy refused the name; anything else
		 * (a connection closing) is no news. */
		if (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)) {
			s->name = TCMUD_DBUS_NAME_REFUSED;
			log_error("D-Bus: the bus does not let tcmud own %s; install "
				  "org.kernel.TCMUService1.conf into the bus's system.d "
				  "directory (docs/configuration.md); devices are served "
				  "without it", TCMUD_DBUS_NAME);
		}
		g_error_free(err);
		return;
	}
	g_variant_get(v, "(&s)", &owner);
	if (g_strcmp0(owner, g_dbus_connection_get_unique_name(conn)) != 0) {
		s->name = TCMUD_DBUS_NAME_QUEUED;
		g_dbus_connection_call(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
				       g_variant_new("(s)", owner), G_VARIANT_TYPE("(u)"),
				       G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_owner_pid, NULL);
	}
	g_variant_unref(v);
}

static void on_name_acquired(GDBusConnection *conn, const char *name, gpointer data)
{
	struct tcmud_dbus *s = data;
	char desc[1100];
	GString *list = g_string_new(NULL);

	s->name = TCMUD_DBUS_NAME_OWNED;
	for (size_t i = 0; i < s->reg->count; i++) {
		char *path = dbus_handler_path(s->reg->handlers[i]->subtype);
		if (path)
			g_string_append_printf(list, "%s%s", list->len ? ", " : "",
					       s->reg->handlers[i]->subtype);
		g_free(path);
	}
	log_info("D-Bus: %s acquired on %s; handlers published: %s", name,
		 bus_desc(s, desc, sizeof(desc)), list->str);
	g_string_free(list, TRUE);
}

static void on_name_lost(GDBusConnection *conn, const char *name, gpointer data)
{
	struct tcmud_dbus *s = data;

	/* A closed connection is handled (and logged) by on_closed. */
	if (!conn || g_dbus_connection_is_closed(conn))
		return;
	/* Not getting it at all is reported by on_owner. */
	if (s->name == TCMUD_DBUS_NAME_OWNED) {
		s->name = TCMUD_DBUS_NAME_UNKNOWN;
		log_warn("D-Bus: lost the name %s", name);
	}
}

/* Sent right after the request for the name, so the bus answers it after
 * that request: either the name is ours, or another process holds it (we
 * wait in the bus's queue, and GDBus says nothing), or it has no owner (the
 * policy refused it to us). */
static void check_owner(struct tcmud_dbus *s)
{
	g_dbus_connection_call(s->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetNameOwner",
			       g_variant_new("(s)", TCMUD_DBUS_NAME), G_VARIANT_TYPE("(s)"),
			       G_DBUS_CALL_FLAGS_NONE, -1, s->cancel, on_owner, s);
}

static void connected(struct tcmud_dbus *s, GDBusConnection *conn)
{
	GError *err = NULL;
	char desc[1100];

	s->conn = conn;
	g_dbus_connection_set_exit_on_close(conn, FALSE);
	s->closed_id = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), s);
	if (g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(s->handler_manager), conn,
					     TCMUD_DBUS_MANAGER_PATH, &err)) {
		s->handler_manager_exported = true;
	} else {
		log_error("D-Bus: cannot export %s: %s", TCMUD_DBUS_MANAGER_PATH, err->message);
		g_clear_error(&err);
	}
	g_dbus_object_manager_server_set_connection(s->manager, conn);
	for (guint i = 0; i < s->exports->len; i++)
		export_one(s, g_ptr_array_index(s->exports, i));
	/* Queued behind another owner rather than refused: the name comes to
	 * tcmud when, say, a tcmu-runner that held it stops. */
	s->own_id = g_bus_own_name_on_connection(conn, TCMUD_DBUS_NAME,
						 G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired,
						 on_name_lost, s, NULL);
	check_owner(s);
	if (s->last_failure)
		log_info("D-Bus: connected to %s", bus_desc(s, desc, sizeof(desc)));
	else
		log_debug("D-Bus: connected to %s as %s", bus_desc(s, desc, sizeof(desc)),
			  g_dbus_connection_get_unique_name(conn));
	g_free(s->last_failure);
	s->last_failure = NULL;
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	GError *err = NULL;
	GDBusConnection *conn = g_dbus_connection_new_for_address_finish(res, &err);
	struct tcmud_dbus *s;

	if (!conn && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err); /* the service stopped: data is gone */
		return;
	}
	s = data;
	if (!conn) {
		failed(s, err->message);
		g_error_free(err);
		return;
	}
	connected(s, conn);
}

static char *bus_address(const char *bus, GError **err)
{
	if (!strcmp(bus, "system"))
		return g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, err);
	if (!strcmp(bus, "session"))
		return g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, NULL, err);
	return g_strdup(bus);
}

static void connect_bus(struct tcmud_dbus *s)
{
	GError *err = NULL;
	char *address = bus_address(s->bus, &err);

	if (!address) {
		failed(s, err->message);
		g_error_free(err);
		return;
	}
	g_dbus_connection_new_for_address(address,
					  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
					  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
					  NULL, s->cancel, on_connected, s);
	g_free(address);
}

/* --- the service --------------------------------------------------------------- */

struct tcmud_dbus *tcmud_dbus_start(const char *bus, const struct tcmud_registry *reg)
{
	if (!strcmp(bus, "none")) {
		log_info("D-Bus: off (dbus = none); targetcli cannot list tcmud's handlers");
		return NULL;
	}
	struct tcmud_dbus *s = g_new0(struct tcmud_dbus, 1);
	s->bus = g_strdup(bus);
	s->reg = reg;
	s->cancel = g_cancellable_new();
	s->externals = g_ptr_array_new();
	s->exports = g_ptr_array_new_with_free_func(export_free);
	s->manager = g_dbus_object_manager_server_new(TCMUD_DBUS_PATH);
	s->handler_manager = tcmud_handler_manager_skeleton_new();
	publish_own_handlers(s);
	dbus_external_init(s);
	connect_bus(s);
	return s;
}

void tcmud_dbus_stop(struct tcmud_dbus *s)
{
	if (!s)
		return;
	/* Callbacks of calls in flight see G_IO_ERROR_CANCELLED and leave s alone. */
	g_cancellable_cancel(s->cancel);
	if (s->retry_id)
		g_source_remove(s->retry_id);
	disconnect(s, "tcmud is stopping");
	g_ptr_array_unref(s->externals);
	g_ptr_array_unref(s->exports);
	g_object_unref(s->handler_manager);
	g_object_unref(s->manager);
	g_object_unref(s->cancel);
	g_free(s->last_failure);
	g_free(s->bus);
	g_free(s);
}

enum tcmud_dbus_name_state tcmud_dbus_name_state(const struct tcmud_dbus *s)
{
	return s ? s->name : TCMUD_DBUS_NAME_UNKNOWN;
}

bool tcmud_dbus_has_name(const struct tcmud_dbus *s)
{
	return tcmud_dbus_name_state(s) == TCMUD_DBUS_NAME_OWNED;
}
