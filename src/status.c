/* SPDX-License-Identifier: Apache-2.0 */
#include "status.h"

#include <stdio.h>
#include <unistd.h>

#include "dev_stats.h"

#ifndef TCMUD_VERSION
#define TCMUD_VERSION "unknown"
#endif

/* Taken when the program starts (the daemon's uptime is its process's); a
 * constructor, so that it needs nothing from the control plane. */
static uint64_t started_ns;

__attribute__((constructor)) static void note_start(void)
{
	started_ns = tcmud_stats_now_ns();
}

static GVariant *daemon_facts(const struct tcmud_daemon *d)
{
	GVariantBuilder b, handlers;

	g_variant_builder_init(&handlers, G_VARIANT_TYPE_STRING_ARRAY);
	for (size_t i = 0; i < d->registry.count; i++)
		g_variant_builder_add(&handlers, "s", d->registry.handlers[i]->subtype);

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "version", g_variant_new_string(TCMUD_VERSION));
	g_variant_builder_add(&b, "{sv}", "pid", g_variant_new_uint32((guint32)getpid()));
	g_variant_builder_add(&b, "{sv}", "uptime_s",
			      g_variant_new_uint64((tcmud_stats_now_ns() - started_ns) / 1000000000u));
	g_variant_builder_add(&b, "{sv}", "handlers", g_variant_builder_end(&handlers));
	return g_variant_builder_end(&b);
}

static GVariant *sense_counts(const struct tcmud_dev_stats_snapshot *s)
{
	GVariantBuilder b;
	char key[16];

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{su}"));
	for (size_t i = 0; i < s->nsense; i++) {
		const struct tcmud_stats_sense_count *c = &s->sense[i];
		snprintf(key, sizeof(key), "%02x/%02x/%02x", c->key, c->asc, c->ascq);
		g_variant_builder_add(&b, "{su}", key,
				      (guint32)MIN(c->count, (uint64_t)G_MAXUINT32));
	}
	if (s->sense_overflow)
		g_variant_builder_add(&b, "{su}", "other",
				      (guint32)MIN(s->sense_overflow, (uint64_t)G_MAXUINT32));
	return g_variant_builder_end(&b);
}

static GVariant *latencies(const struct tcmud_latency_snap *l)
{
	static const struct {
		const char *key;
		double q;
	} points[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}, {"max", 1.0}};
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sd}"));
	for (size_t i = 0; i < G_N_ELEMENTS(points); i++)
		g_variant_builder_add(&b, "{sd}", points[i].key,
				      (double)tcmud_latency_quantile(l, points[i].q) / 1000.0);
	return g_variant_builder_end(&b);
}

static void add(GVariantBuilder *b, const char *key, GVariant *value)
{
	g_variant_builder_add(b, "{sv}", key, value);
}

static GVariant *device_status(const struct tcmud_device *dev)
{
	struct tcmud_dev_stats_snapshot snap, *s = &snap;
	const struct tcmud_hdev *h = &dev->scsi.hdev;
	GVariantBuilder b;
	char uio[32];

	tcmud_dev_stats_snapshot(&dev->stats, s);
	snprintf(uio, sizeof(uio), "uio%u", dev->minor);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	add(&b, "name", g_variant_new_string(dev->id.dev));
	add(&b, "hba", g_variant_new_uint32(dev->id.hba));
	add(&b, "subtype", g_variant_new_string(dev->id.subtype));
	add(&b, "uio", g_variant_new_string(uio));
	add(&b, "cfgstring", g_variant_new_string(dev->cfgstring));
	add(&b, "size_bytes", g_variant_new_uint64(h->num_lbas * h->block_size));
	add(&b, "block_size", g_variant_new_uint32(h->block_size));
	add(&b, "num_lbas", g_variant_new_uint64(h->num_lbas));
	add(&b, "pi_type", g_variant_new_byte(h->pi_type));
	add(&b, "read_only", g_variant_new_boolean(h->read_only));
	add(&b, "write_cache", g_variant_new_boolean(h->write_cache));
	/* Memory the handler holds for the device (0 when it does not say). */
	add(&b, "mem_used", g_variant_new_uint64(dev->scsi.handler && dev->scsi.handler->mem_used ?
						 dev->scsi.handler->mem_used(h) : 0));
	add(&b, "failed", g_variant_new_boolean(atomic_load(&dev->failed)));
	add(&b, "commands", g_variant_new_uint64(s->commands));
	add(&b, "reads", g_variant_new_uint64(s->reads));
	add(&b, "writes", g_variant_new_uint64(s->writes));
	add(&b, "other", g_variant_new_uint64(s->other));
	add(&b, "bytes_read", g_variant_new_uint64(s->bytes_read));
	add(&b, "bytes_written", g_variant_new_uint64(s->bytes_written));
	add(&b, "errors", g_variant_new_uint64(s->errors));
	add(&b, "sense", sense_counts(s));
	add(&b, "latency_us", latencies(&s->latency));
	add(&b, "timestamp_ns", g_variant_new_uint64(s->timestamp_ns));
	return g_variant_builder_end(&b);
}

GVariant *tcmud_status_variant(const struct tcmud_daemon *d)
{
	GVariantBuilder devs;

	g_variant_builder_init(&devs, G_VARIANT_TYPE("aa{sv}"));
	for (size_t i = 0; i < d->ndevs; i++)
		g_variant_builder_add_value(&devs, device_status(d->devs[i]));
	return g_variant_new("(@a{sv}@aa{sv})", daemon_facts(d), g_variant_builder_end(&devs));
}
