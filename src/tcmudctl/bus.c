/* SPDX-License-Identifier: Apache-2.0 */
#include "bus.h"

/* tcmud answers from its control-plane thread; a reply this late is a hang. */
#define CALL_TIMEOUT_MS 10000

int tcmudctl_bus_open(const struct tcmudctl_args *args, struct tcmudctl_bus_conn *bus,
		      FILE *err)
{
	GError *e = NULL;

	switch (args->bus) {
	case TCMUDCTL_BUS_SYSTEM:
		bus->what = g_strdup("the system bus");
		bus->conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &e);
		break;
	case TCMUDCTL_BUS_SESSION:
		bus->what = g_strdup("the session bus");
		bus->conn = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &e);
		break;
	case TCMUDCTL_BUS_ADDRESS:
		bus->what = g_strdup_printf("the bus at %s", args->address);
		bus->conn = g_dbus_connection_new_for_address_sync(
			args->address,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
				G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
			NULL, NULL, &e);
		break;
	}
	if (bus->conn)
		return 0;
	fprintf(err, "tcmudctl: cannot connect to %s: %s\n", bus->what, e->message);
	g_error_free(e);
	g_free(bus->what);
	bus->what = NULL;
	return TCMUDCTL_EXIT_FAILURE;
}

void tcmudctl_bus_close(struct tcmudctl_bus_conn *bus)
{
	g_clear_object(&bus->conn);
	g_free(bus->what);
	bus->what = NULL;
}

/* What went wrong, in the user's terms; returns the exit status. */
static int explain(const struct tcmudctl_bus_conn *bus, GError *e, FILE *err)
{
	if (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)) {
		fprintf(err, "tcmudctl: tcmud is not running on %s (%s has no owner)\n",
			bus->what, TCMUDCTL_BUS_NAME);
		return TCMUDCTL_EXIT_NOT_RUNNING;
	}
	g_dbus_error_strip_remote_error(e);
	if (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE))
		fprintf(err, "tcmudctl: the owner of %s on %s has no %s.GetStatus: it is "
			"not tcmud, or a tcmud without statistics (%s)\n", TCMUDCTL_BUS_NAME,
			bus->what, TCMUDCTL_INTERFACE, e->message);
	else if (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
		fprintf(err, "tcmudctl: %s refused the call to %s (%s); the bus policy may "
			"allow it to root only\n", bus->what, TCMUDCTL_BUS_NAME, e->message);
	else if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
		 g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
		 g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT))
		fprintf(err, "tcmudctl: tcmud on %s did not answer within %d s\n", bus->what,
			CALL_TIMEOUT_MS / 1000);
	else if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
		fprintf(err, "tcmudctl: unexpected reply from %s on %s: %s\n", TCMUDCTL_BUS_NAME,
			bus->what, e->message);
	else
		fprintf(err, "tcmudctl: GetStatus on %s failed: %s\n", bus->what, e->message);
	return TCMUDCTL_EXIT_FAILURE;
}

GVariant *tcmudctl_get_status(const struct tcmudctl_bus_conn *bus, int *exit_status,
			      FILE *err)
{
	GError *e = NULL;
	/* No auto-start: the bus could activate another TCMU daemon under this name. */
	GVariant *v = g_dbus_connection_call_sync(
		bus->conn, TCMUDCTL_BUS_NAME, TCMUDCTL_OBJECT_PATH, TCMUDCTL_INTERFACE,
		"GetStatus", NULL, G_VARIANT_TYPE(TCMUDCTL_STATUS_TYPE),
		G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, &e);
	if (v)
		return v;
	*exit_status = explain(bus, e, err);
	g_error_free(e);
	return NULL;
}
