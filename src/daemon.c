/* SPDX-License-Identifier: Apache-2.0 */
#include "daemon.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "tcmu_abi.h"

#include "dbus_service.h"
#include "service_notify.h"
#include "status_dbus.h"
#include "discovery.h"
#include "log.h"

/* How often to look for the TCM-USER family while target_core_user is not loaded. */
#define NETLINK_RETRY_MS 2000

struct tcmud_device *tcmud_daemon_find(const struct tcmud_daemon *d, unsigned int minor)
{
	for (size_t i = 0; i < d->ndevs; i++)
		if (d->devs[i]->minor == minor)
			return d->devs[i];
	return NULL;
}

static int remember(struct tcmud_daemon *d, struct tcmud_device *dev)
{
	if (d->ndevs == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 8;
		struct tcmud_device **n = realloc(d->devs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		d->devs = n;
		d->cap = cap;
	}
	d->devs[d->ndevs++] = dev;
	return 0;
}

static void forget(struct tcmud_daemon *d, struct tcmud_device *dev)
{
	for (size_t i = 0; i < d->ndevs; i++) {
		if (d->devs[i] == dev) {
			d->devs[i] = d->devs[--d->ndevs];
			return;
		}
	}
}

static bool same_device(const struct tcmud_uio_name *a, const struct tcmud_uio_name *b)
{
	return a->hba == b->hba && strcmp(a->dev, b->dev) == 0;
}

static void remove_device(struct tcmud_daemon *d, struct tcmud_device *dev,
			  enum tcmud_close_reason reason);

/* Start serving a device. 0, -errno, or 1 when the device is not ours. */
static int add_device(struct tcmud_daemon *d, unsigned int minor,
		      const struct tcmud_uio_name *id, bool recover)
{
	struct tcmud_device *old = tcmud_daemon_find(d, minor);
	if (old && same_device(&old->id, id) && !atomic_load(&old->failed))
		return 0;
	if (old) {
		/* uio minors are reused: what we hold is a removed or dead device.
		 * A failed device that is still there keeps its storage. */
		bool same = same_device(&old->id, id);
		log_info("uio%u is now %s; letting go of %s", minor, id->dev, old->id.dev);
		remove_device(d, old, same ? TCMUD_CLOSE_SHUTDOWN : TCMUD_CLOSE_REMOVED);
	}
	if (!id->subtype[0]) {
		log_error("uio%u (%s): no dev_config, so no handler can serve it", minor, id->dev);
		return -EINVAL;
	}
	const struct tcmud_handler *h = tcmud_registry_find(&d->registry, id->subtype);
	if (!h) {
		if (tcmud_dbus_is_external(d->dbus, id->subtype))
			log_info("uio%u (%s): subtype '%s' is served by the process that "
				 "registered it over D-Bus; left to it", minor, id->dev, id->subtype);
		else
			log_info("uio%u (%s): no handler for subtype '%s'; left alone", minor,
				 id->dev, id->subtype);
		return 1;
	}
	struct tcmud_device_params p = {&d->paths, minor, id, h, recover};
	struct tcmud_device *dev;
	char why[512] = "";
	int rc = tcmud_device_open(&p, &dev, why, sizeof(why));
	if (rc) {
		log_error("uio%u (%s): refused: %s", minor, id->dev, why);
		return rc;
	}
	rc = remember(d, dev);
	if (rc)
		tcmud_device_close(dev, TCMUD_CLOSE_FAILED);
	return rc;
}

static void remove_device(struct tcmud_daemon *d, struct tcmud_device *dev,
			  enum tcmud_close_reason reason)
{
	log_info("%s: released uio%u", dev->id.dev, dev->minor);
	forget(d, dev);
	tcmud_device_close(dev, reason);
}

static void on_discovered(void *ctx, unsigned int minor, const struct tcmud_uio_name *id)
{
	struct tcmud_daemon *d = ctx;
	add_device(d, minor, id, d->opts->recover);
}

/* Let go of devices whose uio is gone or now belongs to another device. */
static void prune_vanished(struct tcmud_daemon *d)
{
	for (size_t i = d->ndevs; i-- > 0;) {
		struct tcmud_device *dev = d->devs[i];
		char path[1024], name[1024];
		struct tcmud_uio_name id;
		snprintf(path, sizeof(path), "%s/class/uio/uio%u/name", d->paths.sysfs, dev->minor);
		if (tcmud_read_text(path, name, sizeof(name)) ||
		    tcmud_uio_name_parse(name, &id) || !same_device(&id, &dev->id)) {
			log_info("%s: uio%u is gone", dev->id.dev, dev->minor);
			remove_device(d, dev, TCMUD_CLOSE_REMOVED);
		}
	}
}

void tcmud_daemon_scan(struct tcmud_daemon *d)
{
	prune_vanished(d);
	int n = tcmud_discover(&d->paths, on_discovered, d);
	if (n < 0)
		log_error("cannot scan %s/class/uio: %s", d->paths.sysfs, strerror(-n));
	else
		log_info("found %d tcm-user device(s), serving %zu", n, d->ndevs);
}

/*
 * Does the kernel wait for our reply about this device? It does when reply
 * support is on (we asked for it) and the device's nl_reply_supported is
 * positive. When that cannot be read, assume it waits: a reply that matches
 * nothing costs a kernel log line, a missing one hangs a configfs write.
 */
static bool kernel_waits(const struct tcmud_daemon *d, int nl_reply_supported)
{
	if (!d->kern_reply)
		return false;
	return nl_reply_supported == TCMUD_NL_REPLY_UNKNOWN || nl_reply_supported > 0;
}

static int nl_reply_now(const struct tcmud_daemon *d, const struct tcmud_uio_name *id)
{
	return tcmud_cfgfs_dev_nl_reply(&d->paths, id->hba, id->dev);
}

/* A device we do not hold but whose subtype we serve (we refused it). */
static bool handled_subtype(const struct tcmud_daemon *d, const char *uio_name,
			    struct tcmud_uio_name *id)
{
	return uio_name && tcmud_uio_name_parse(uio_name, id) == 0 &&
	       tcmud_registry_find(&d->registry, id->subtype) != NULL;
}

static int on_added(struct tcmud_daemon *d, const struct tcmud_nl_event *ev, bool *reply)
{
	struct tcmud_uio_name id;
	int rc = tcmud_uio_name_parse(ev->device, &id);
	if (rc) {
		/* No daemon can serve a name it cannot parse: refuse rather than hang. */
		log_error("netlink: ADDED_DEVICE with a malformed name '%s'; refused", ev->device);
		*reply = kernel_waits(d, TCMUD_NL_REPLY_UNKNOWN);
		return rc;
	}
	rc = add_device(d, ev->minor, &id, false);
	if (rc == 1)
		return 0; /* not ours: whoever serves it replies */
	/* A device we opened read the attribute moments ago; a refused one may not have. */
	struct tcmud_device *dev = rc ? NULL : tcmud_daemon_find(d, ev->minor);
	*reply = kernel_waits(d, dev ? dev->nl_reply_supported : nl_reply_now(d, &id));
	return rc;
}

/*
 * Never touch configfs while a device is being removed: the rmdir that sent
 * the event holds its directory locked until we reply, so a lookup there
 * would wait forever. What we read at open tells whether the kernel waits.
 */
static int on_removed(struct tcmud_daemon *d, const struct tcmud_nl_event *ev, bool *reply)
{
	struct tcmud_device *dev = tcmud_daemon_find(d, ev->minor);
	struct tcmud_uio_name id;
	if (!dev) {
		if (handled_subtype(d, ev->device, &id)) {
			*reply = kernel_waits(d, TCMUD_NL_REPLY_UNKNOWN);
			log_info("%s: removed (it was not being served)", id.dev);
		} else {
			log_debug("netlink: REMOVED_DEVICE for uio%u, which is not ours", ev->minor);
		}
		return 0;
	}
	*reply = kernel_waits(d, dev->nl_reply_supported);
	remove_device(d, dev, TCMUD_CLOSE_REMOVED);
	return 0;
}

/* Turn a RECONFIG event into a reconfig request; 0 or -errno with why. */
static int build_reconfig(const struct tcmud_device *dev, const struct tcmud_nl_event *ev,
			  struct tcmud_reconfig *rc, char *cfg, size_t cfg_len, char *why,
			  size_t why_len)
{
	uint32_t bs = dev->scsi.hdev.block_size;
	memset(rc, 0, sizeof(*rc));
	if (ev->has_dev_size) {
		if (ev->dev_size == 0 || ev->dev_size % bs) {
			snprintf(why, why_len, "size %" PRIu64 " is not a positive multiple of "
				 "the %u-byte block", ev->dev_size, bs);
			return -EINVAL;
		}
		rc->size_changed = true;
		rc->new_num_lbas = ev->dev_size / bs;
	}
	if (ev->has_write_cache) {
		rc->write_cache_changed = true;
		rc->new_write_cache = ev->write_cache;
	}
	if (ev->dev_cfg) {
		char subtype[TCMUD_NAME_MAX];
		if (tcmud_dev_config_split(ev->dev_cfg, subtype, sizeof(subtype), cfg, cfg_len) ||
		    strcmp(subtype, dev->id.subtype) != 0) {
			snprintf(why, why_len, "dev_config '%s' changes the handler; remove and "
				 "re-create the device instead", ev->dev_cfg);
			return -EINVAL;
		}
		rc->cfgstring_changed = true;
		rc->new_cfgstring = cfg;
	}
	return 0;
}

static int on_reconfig(struct tcmud_daemon *d, const struct tcmud_nl_event *ev, bool *reply)
{
	struct tcmud_device *dev = tcmud_daemon_find(d, ev->minor);
	struct tcmud_uio_name id;
	if (!dev) {
		if (!handled_subtype(d, ev->device, &id)) {
			log_debug("netlink: RECONFIG_DEVICE for uio%u, which is not ours", ev->minor);
			return 0;
		}
		log_error("%s: reconfiguration refused: the device is not being served", id.dev);
		*reply = kernel_waits(d, nl_reply_now(d, &id));
		return -ENODEV;
	}
	*reply = kernel_waits(d, nl_reply_now(d, &dev->id));
	struct tcmud_reconfig rc;
	char cfg[TCMUD_NAME_MAX], why[512] = "";
	int ret = build_reconfig(dev, ev, &rc, cfg, sizeof(cfg), why, sizeof(why));
	if (!ret)
		ret = tcmud_device_reconfig(dev, &rc, why, sizeof(why));
	if (ret)
		log_error("%s: reconfiguration refused: %s", dev->id.dev, why);
	else
		log_info("%s: reconfigured (%" PRIu64 " blocks, write cache %s, config '%s')",
			 dev->id.dev, dev->scsi.hdev.num_lbas,
			 dev->scsi.hdev.write_cache ? "on" : "off", dev->cfgstring);
	return ret;
}

int tcmud_daemon_event(void *ctx, const struct tcmud_nl_event *ev, bool *reply)
{
	struct tcmud_daemon *d = ctx;
	*reply = false;
	if (!ev->has_minor || (ev->cmd == TCMU_CMD_ADDED_DEVICE && !ev->device)) {
		log_error("netlink: event %d without %s; ignored", ev->cmd,
			  ev->has_minor ? "a device name" : "a minor number");
		return -EINVAL;
	}
	switch (ev->cmd) {
	case TCMU_CMD_ADDED_DEVICE:
		return on_added(d, ev, reply);
	case TCMU_CMD_REMOVED_DEVICE:
		return on_removed(d, ev, reply);
	default:
		return on_reconfig(d, ev, reply);
	}
}

static void try_netlink(struct tcmud_daemon *d, bool quiet)
{
	int rc = tcmud_nl_open(&d->nl, d->opts->kern_reply, tcmud_daemon_event, d);
	if (rc == 0) {
		d->kern_reply = tcmud_nl_kern_reply(d->nl);
		return;
	}
	d->nl = NULL;
	if (!quiet)
		log_warn("netlink: %s (%s); retrying every %d ms",
			 rc == -ENOENT ? "the TCM-USER family is not registered, "
					 "target_core_user is not loaded yet" :
					 "cannot listen to TCM-USER events",
			 strerror(-rc), NETLINK_RETRY_MS);
}

int tcmud_daemon_init(struct tcmud_daemon *d, const struct tcmud_options *opts)
{
	memset(d, 0, sizeof(*d));
	d->opts = opts;
	d->paths = tcmud_options_paths(opts);
	int n = tcmud_registry_load_dir(&d->registry, opts->handler_dir);
	if (n <= 0) {
		log_error("no handler could be loaded from %s; nothing to serve",
			  opts->handler_dir);
		return -ENOENT;
	}
	/* Handler settings apply before any device opens; the registry logs why
	 * a setting is refused. */
	if (tcmud_registry_configure_all(&d->registry, opts->handler_settings,
					 opts->nr_handler_settings))
		return -EINVAL;
	memcpy(d->settings, opts->handler_settings, sizeof(d->settings));
	d->nr_settings = opts->nr_handler_settings;
	return 0;
}

void tcmud_daemon_fini(struct tcmud_daemon *d)
{
	/* Stop the kernel from waiting on us first, then answer what it already
	 * waits for, and only then close the devices. */
	if (d->nl) {
		tcmud_nl_withdraw(d->nl);
		tcmud_nl_dispatch(d->nl);
	}
	while (d->ndevs)
		remove_device(d, d->devs[d->ndevs - 1], TCMUD_CLOSE_SHUTDOWN);
	free(d->devs);
	d->devs = NULL;
	tcmud_nl_close(d->nl);
	d->nl = NULL;
	d->kern_reply = false;
	tcmud_registry_unload(&d->registry);
}

static int open_signalfd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any device thread (or GLib worker thread) starts, so
	 * every thread inherits it. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The GLib main loop of the main thread and the sources tcmud adds to it. */
struct main_loop {
	struct tcmud_daemon *d;
	GMainLoop *loop;
	guint signal_watch;
	guint nl_watch;          /* the netlink socket, once it is open */
	guint nl_retry;          /* looking for the TCM-USER family meanwhile */
	guint ready_check;       /* until READY=1 is sent */
	gint64 ready_deadline;
	guint watchdog;          /* WATCHDOG=1 at half of WatchdogSec= */
};

#define READY_CHECK_MS 20
#define READY_DBUS_WAIT_MS 5000

/* READY=1 for the service manager, with what is served. */
static void report_ready(struct main_loop *m)
{
	char status[128];

	snprintf(status, sizeof(status), "serving %zu device%s%s", m->d->ndevs,
		 m->d->ndevs == 1 ? "" : "s",
		 m->d->nl || !m->d->opts->netlink ? "" : "; waiting for target_core_user");
	tcmud_notify_ready(status);
}

/* Ready once devices found at start are served (done before the loop runs)
 * and the D-Bus name is settled, so that targetcli works as soon as the
 * service is up; a bus that does not answer within READY_DBUS_WAIT_MS does
 * not hold the data path back. */
static gboolean on_ready_check(gpointer data)
{
	struct main_loop *m = data;
	bool settled = !m->d->dbus ||
		       tcmud_dbus_name_state(m->d->dbus) != TCMUD_DBUS_NAME_UNKNOWN;

	if (!settled && g_get_monotonic_time() < m->ready_deadline)
		return G_SOURCE_CONTINUE;
	if (!settled)
		log_warn("D-Bus: no answer from the bus yet; reporting ready without it");
	report_ready(m);
	m->ready_check = 0;
	return G_SOURCE_REMOVE;
}

static gboolean on_watchdog(gpointer data)
{
	(void)data;
	tcmud_notify_watchdog();
	return G_SOURCE_CONTINUE;
}

/* SIGHUP reloads the configuration and rescans sysfs; SIGTERM and SIGINT stop. */
static gboolean on_signal(gint fd, GIOCondition cond, gpointer data)
{
	struct main_loop *m = data;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return G_SOURCE_CONTINUE;
	if (si.ssi_signo == SIGHUP) {
		log_info("SIGHUP: reloading the configuration, rescanning devices");
		tcmud_notify_reloading();
		tcmud_daemon_reload(m->d);
		tcmud_daemon_scan(m->d);
		report_ready(m);
		return G_SOURCE_CONTINUE;
	}
	log_info("%s: stopping", strsignal((int)si.ssi_signo));
	tcmud_notify_stopping();
	g_main_loop_quit(m->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_netlink(gint fd, GIOCondition cond, gpointer data)
{
	struct main_loop *m = data;
	if (tcmud_nl_dispatch(m->d->nl) == -ENOBUFS)
		tcmud_daemon_scan(m->d);
	return G_SOURCE_CONTINUE;
}

/* Events first: the kernel may be waiting for our reply, so the netlink
 * socket is dispatched before signals and D-Bus whenever both are ready. */
static void watch_netlink(struct main_loop *m)
{
	m->nl_watch = g_unix_fd_add_full(G_PRIORITY_HIGH, tcmud_nl_fd(m->d->nl),
					 G_IO_IN | G_IO_ERR | G_IO_HUP, on_netlink, m, NULL);
}

static gboolean on_netlink_retry(gpointer data)
{
	struct main_loop *m = data;
	try_netlink(m->d, true);
	if (!m->d->nl)
		return G_SOURCE_CONTINUE;
	m->nl_retry = 0;
	watch_netlink(m);
	/* target_core_user appeared: pick up what exists */
	tcmud_daemon_scan(m->d);
	return G_SOURCE_REMOVE;
}

static void main_loop_start(struct main_loop *m, struct tcmud_daemon *d, int sfd)
{
	memset(m, 0, sizeof(*m));
	m->d = d;
	m->loop = g_main_loop_new(NULL, FALSE);
	m->signal_watch = g_unix_fd_add(sfd, G_IO_IN, on_signal, m);
	if (d->nl)
		watch_netlink(m);
	else if (d->opts->netlink)
		m->nl_retry = g_timeout_add(NETLINK_RETRY_MS, on_netlink_retry, m);
	m->ready_deadline = g_get_monotonic_time() + READY_DBUS_WAIT_MS * G_TIME_SPAN_MILLISECOND;
	m->ready_check = g_timeout_add(READY_CHECK_MS, on_ready_check, m);
	uint64_t wd_ms = tcmud_notify_watchdog_interval_ms();
	if (wd_ms)
		m->watchdog = g_timeout_add((guint)wd_ms, on_watchdog, m);
}

/* Detach tcmud's sources; the netlink socket itself is closed by fini. */
static void main_loop_end(struct main_loop *m)
{
	if (m->nl_watch)
		g_source_remove(m->nl_watch);
	if (m->nl_retry)
		g_source_remove(m->nl_retry);
	if (m->ready_check)
		g_source_remove(m->ready_check);
	if (m->watchdog)
		g_source_remove(m->watchdog);
	g_source_remove(m->signal_watch);
	g_main_loop_unref(m->loop);
}

int tcmud_daemon_run(const struct tcmud_options *opts)
{
	struct tcmud_daemon d;
	struct main_loop m;
	int sfd = open_signalfd();
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}
	if (tcmud_daemon_init(&d, opts)) {
		close(sfd);
		return 1;
	}
	/* Listen first, then scan, so no device added in between is missed. */
	if (opts->netlink)
		try_netlink(&d, false);
	/* D-Bus connects in the background; devices never wait for it. */
	d.dbus = tcmud_dbus_start(opts->dbus, &d.registry);
	tcmud_status_dbus_export(d.dbus, &d);
	tcmud_daemon_scan(&d);
	main_loop_start(&m, &d, sfd);
	g_main_loop_run(m.loop);
	main_loop_end(&m);
	/* Leave the bus first, so nobody asks a stopping daemon about handlers. */
	tcmud_dbus_stop(d.dbus);
	d.dbus = NULL;
	tcmud_daemon_fini(&d);
	close(sfd);
	return 0;
}
