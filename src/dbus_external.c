/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Handlers of other processes, the way tcmu-runner's libtcmu registers
 * them: the process owns org.kernel.TCMUService1.HandlerManager1.<subtype>,
 * serves CheckConfig at /org/kernel/TCMUService1/HandlerManager1/<subtype>
 * and calls RegisterHandler(subtype, cfg_desc). The call is answered once
 * that name is seen on the bus; from then on the subtype is published like
 * tcmud's own, with CheckConfig forwarded to the process, until the name
 * leaves the bus or UnregisterHandler. tcmud never opens such devices: the
 * registry does not know the subtype, so the daemon leaves them alone.
 */
#include <stdio.h>
#include <string.h>

#include "dbus_internal.h"
#include "log.h"

/* targetcli waits 25 s for CheckConfig; answer before it gives up. */
#define FORWARD_TIMEOUT_MS 20000
#define SUBTYPE_MAX 64

struct dbus_external {
	struct tcmud_dbus *s;
	char *subtype;
	char *cfg_desc;
	char *bus_name;                 /* TCMUD_DBUS_EXTERNAL_PREFIX "." subtype */
	char *path;                     /* its object in tcmud's object manager */
	char *owner;                    /* unique name of the process, once seen */
	guint watch_id;
	GDBusMethodInvocation *pending; /* RegisterHandler, until the name is seen */
	TcmudService *iface;            /* once published */
};

static struct dbus_external *find(const struct tcmud_dbus *s, const char *subtype)
{
	for (guint i = 0; s && i < s->externals->len; i++) {
		struct dbus_external *e = g_ptr_array_index(s->externals, i);
		if (!strcmp(e->subtype, subtype))
			return e;
	}
	return NULL;
}

bool tcmud_dbus_is_external(const struct tcmud_dbus *s, const char *subtype)
{
	return find(s, subtype) != NULL;
}

static void answer(GDBusMethodInvocation *inv, bool ok, const char *msg)
{
	g_dbus_method_invocation_return_value(inv, g_variant_new("(bs)", ok, msg));
}

/* Stop watching, unpublish, free. Nothing is called back for e afterwards. */
static void forget(struct dbus_external *e, const char *why)
{
	struct tcmud_dbus *s = e->s;

	if (e->watch_id)
		g_bus_unwatch_name(e->watch_id);
	if (e->pending)
		answer(e->pending, false, why);
	if (e->iface) {
		/* A CheckConfig already queued must not reach e once it is freed. */
		g_signal_handlers_disconnect_by_data(e->iface, e);
		g_object_unref(e->iface);
		g_dbus_object_manager_server_unexport(s->manager, e->path);
	}
	g_ptr_array_remove(s->externals, e);
	g_free(e->subtype);
	g_free(e->cfg_desc);
	g_free(e->bus_name);
	g_free(e->path);
	g_free(e->owner);
	g_free(e);
}

void dbus_external_drop_all(struct tcmud_dbus *s, const char *why)
{
	while (s->externals->len)
		forget(g_ptr_array_index(s->externals, s->externals->len - 1), why);
}

struct forward {
	GDBusMethodInvocation *inv;
	char *subtype;
};

static void on_forwarded(GObject *src, GAsyncResult *res, gpointer data)
{
	struct forward *f = data;
	GError *err = NULL;
	GVariant *v = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);

	if (v) {
		g_dbus_method_invocation_return_value(f->inv, v);
		g_variant_unref(v);
	} else {
		char *msg = g_strdup_printf("handler '%s' (another process) did not check the "
					    "config: %s", f->subtype, err->message);
		log_warn("D-Bus: %s", msg);
		answer(f->inv, false, msg);
		g_free(msg);
		g_error_free(err);
	}
	g_free(f->subtype);
	g_free(f);
}

/* CheckConfig of an external handler: asked of its process, answered as it
 * answers, with the whole "<subtype>/<options>" string, as tcmu-runner does. */
static gboolean on_check_config(TcmudService *iface, GDBusMethodInvocation *inv,
				const char *config, gpointer data)
{
	struct dbus_external *e = data;
	struct forward *f = g_new0(struct forward, 1);
	char *path = g_strdup_printf("%s/%s", TCMUD_DBUS_MANAGER_PATH, e->subtype);

	f->inv = inv;
	f->subtype = g_strdup(e->subtype);
	g_dbus_connection_call(g_dbus_method_invocation_get_connection(inv), e->bus_name, path,
			       TCMUD_DBUS_NAME, "CheckConfig", g_variant_new("(s)", config),
			       G_VARIANT_TYPE("(bs)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
			       FORWARD_TIMEOUT_MS, NULL, on_forwarded, f);
	g_free(path);
	return TRUE;
}

static void on_appeared(GDBusConnection *conn, const char *name, const char *owner,
			gpointer data)
{
	struct dbus_external *e = data;

	g_free(e->owner);
	e->owner = g_strdup(owner);
	if (e->iface)
		return;
	e->iface = dbus_publish_handler(e->s, e->path, e->cfg_desc, G_CALLBACK(on_check_config),
					e);
	log_info("D-Bus: handler '%s' registered by %s (%s); its devices are left to that "
		 "process", e->subtype, name, owner);
	if (e->pending) {
		answer(e->pending, true, "succeeded");
		e->pending = NULL;
	}
}

static void on_vanished(GDBusConnection *conn, const char *name, gpointer data)
{
	struct dbus_external *e = data;
	char *why;

	if (e->pending) {
		why = g_strdup_printf("Cannot find handler bus name: %s", name);
		log_warn("D-Bus: RegisterHandler('%s') refused: %s", e->subtype, why);
	} else {
		why = g_strdup("gone");
		log_info("D-Bus: handler '%s' unpublished: %s left the bus", e->subtype, name);
	}
	forget(e, why);
	g_free(why);
}

/* A subtype is a bus name element and an object path element: letters,
 * digits and '_', not starting with a digit. */
static bool valid_subtype(const char *subtype)
{
	size_t n = strlen(subtype);

	if (n == 0 || n > SUBTYPE_MAX || g_ascii_isdigit(subtype[0]) ||
	    !strcmp(subtype, "HandlerManager1"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(subtype[i]) && subtype[i] != '_')
			return false;
	return true;
}

static gboolean on_register(TcmudHandlerManager *hm, GDBusMethodInvocation *inv,
			    const char *subtype, const char *cfg_desc, gpointer data)
{
	struct tcmud_dbus *s = data;
	const char *sender = g_dbus_method_invocation_get_sender(inv);
	struct dbus_external *e;
	char msg[256];

	if (!valid_subtype(subtype)) {
		snprintf(msg, sizeof(msg), "subtype '%.64s' is not valid: up to %d letters, "
			 "digits and '_', not starting with a digit", subtype, SUBTYPE_MAX);
	} else if (tcmud_registry_find(s->reg, subtype)) {
		snprintf(msg, sizeof(msg), "subtype '%s' is served by tcmud's own handler",
			 subtype);
	} else if ((e = find(s, subtype))) {
		snprintf(msg, sizeof(msg), "subtype '%s' is already registered by %s", subtype,
			 e->owner ? e->owner : "another process");
	} else {
		e = g_new0(struct dbus_external, 1);
		e->s = s;
		e->subtype = g_strdup(subtype);
		e->cfg_desc = g_strdup(cfg_desc);
		e->bus_name = g_strdup_printf("%s.%s", TCMUD_DBUS_EXTERNAL_PREFIX, subtype);
		e->path = dbus_handler_path(subtype);
		e->pending = inv;
		g_ptr_array_add(s->externals, e);
		log_info("D-Bus: %s registers handler '%s'; waiting for %s", sender, subtype,
			 e->bus_name);
		/* The answer comes with the first news about the name. */
		e->watch_id = g_bus_watch_name_on_connection(
			g_dbus_method_invocation_get_connection(inv), e->bus_name,
			G_BUS_NAME_WATCHER_FLAGS_NONE, on_appeared, on_vanished, e, NULL);
		return TRUE;
	}
	log_warn("D-Bus: RegisterHandler('%.64s') from %s refused: %s", subtype, sender, msg);
	tcmud_handler_manager_complete_register_handler(hm, inv, false, msg);
	return TRUE;
}

static gboolean on_unregister(TcmudHandlerManager *hm, GDBusMethodInvocation *inv,
			      const char *subtype, gpointer data)
{
	struct tcmud_dbus *s = data;
	struct dbus_external *e = find(s, subtype);
	char msg[256];

	if (!e) {
		if (tcmud_registry_find(s->reg, subtype))
			snprintf(msg, sizeof(msg), "subtype '%s' is served by tcmud's own "
				 "handler, which cannot be unregistered", subtype);
		else
			snprintf(msg, sizeof(msg), "no handler '%.64s' is registered", subtype);
		tcmud_handler_manager_complete_unregister_handler(hm, inv, false, msg);
		return TRUE;
	}
	log_info("D-Bus: handler '%s' unregistered by %s", subtype,
		 g_dbus_method_invocation_get_sender(inv));
	forget(e, "unregistered before its name appeared");
	tcmud_handler_manager_complete_unregister_handler(hm, inv, true, "succeeded");
	return TRUE;
}

void dbus_external_init(struct tcmud_dbus *s)
{
	g_signal_connect(s->handler_manager, "handle-register-handler", G_CALLBACK(on_register),
			 s);
	g_signal_connect(s->handler_manager, "handle-unregister-handler",
			 G_CALLBACK(on_unregister), s);
}
