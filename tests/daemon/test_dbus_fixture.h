/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A private dbus-daemon for the D-Bus tests, and calls that keep the GLib
 * main context (where the service under test runs) going while they wait.
 * Every wait has a deadline, so a broken service fails a test instead of
 * hanging it.
 */
#ifndef TCMUD_TEST_DBUS_FIXTURE_H
#define TCMUD_TEST_DBUS_FIXTURE_H

#include <gio/gio.h>
#include <stdbool.h>
#include <sys/types.h>

/* How long any single wait may take. */
#define TEST_DBUS_TIMEOUT_MS 10000

struct test_bus {
	char dir[256];        /* temporary directory: config and socket */
	char address[512];    /* unix:path=<dir>/bus */
	pid_t pid;
};

/* Start dbus-daemon with a permissive session-like policy listening on
 * <dir>/bus. extra_config is put inside <busconfig> (NULL for none); with
 * system_policy the default policy is the system bus's (deny unless a
 * policy file allows). Fails the test when the bus does not come up. */
void test_bus_start(struct test_bus *b, const char *extra_config, bool system_policy);
/* Stop it (SIGTERM, wait) and remove the directory. */
void test_bus_stop(struct test_bus *b);
/* Start a new dbus-daemon on the same socket after test_bus_kill(). */
void test_bus_restart(struct test_bus *b);
void test_bus_kill(struct test_bus *b);

/* A client connection of this process. */
GDBusConnection *test_bus_connect(const struct test_bus *b);

/* Call a method and iterate the main context until the reply comes. Returns
 * the reply (unref it), or NULL with *err set (may be NULL: then an error
 * fails the test). */
GVariant *test_call(GDBusConnection *c, const char *dest, const char *path, const char *iface,
		    const char *method, GVariant *args, const GVariantType *reply, GError **err);

/* Iterate the main context until cond(data) or the deadline; returns cond. */
bool test_wait(bool (*cond)(void *data), void *data);
/* Iterate the main context for ms milliseconds. */
void test_spin(unsigned int ms);

/* The object paths GetManagedObjects lists at /org/kernel/TCMUService1,
 * joined by ' ' in sorted order, e.g. "/org/kernel/TCMUService1/rd". */
char *test_managed_paths(GDBusConnection *c);

#endif
