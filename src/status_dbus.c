/* SPDX-License-Identifier: Apache-2.0 */
#include "status_dbus.h"

#include "status.h"
#include "tcmud_dbus_generated.h"

static gboolean on_get_status(TcmudStatusService *iface, GDBusMethodInvocation *inv,
			      gpointer data)
{
	const struct tcmud_daemon *d = data;
	GVariant *status = g_variant_ref_sink(tcmud_status_variant(d));
	GVariant *daemon = g_variant_get_child_value(status, 0);
	GVariant *devices = g_variant_get_child_value(status, 1);

	tcmud_status_service_complete_get_status(iface, inv, daemon, devices);
	g_variant_unref(daemon);
	g_variant_unref(devices);
	g_variant_unref(status);
	return TRUE;
}

void tcmud_status_dbus_export(struct tcmud_dbus *s, const struct tcmud_daemon *d)
{
	TcmudStatusService *iface;

	if (!s)
		return;
	iface = tcmud_status_service_skeleton_new();
	g_signal_connect(iface, "handle-get-status", G_CALLBACK(on_get_status), (gpointer)d);
	tcmud_dbus_export(s, G_DBUS_INTERFACE_SKELETON(iface), TCMUD_STATUS_DBUS_PATH);
	g_object_unref(iface);
}
