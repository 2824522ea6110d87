/* SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include <string.h>

static uint64_t u64_of(GVariant *dict, const char *key)
{
	guint64 v = 0;
	return g_variant_lookup(dict, key, "t", &v) ? v : 0;
}

static const char *str_of(GVariant *dict, const char *key)
{
	const char *s;
	return g_variant_lookup(dict, key, "&s", &s) ? s : "?";
}

/* A device is the same in both samples if name and uio match (names are
 * unique per HBA only, uio minors are reused after a removal). */
static GVariant *find_device(GVariant *sample, GVariant *dev)
{
	const char *name = str_of(dev, "name"), *uio = str_of(dev, "uio");
	GVariant *devs = g_variant_get_child_value(sample, 1);
	GVariant *found = NULL;

	for (gsize i = 0; !found && i < g_variant_n_children(devs); i++) {
		GVariant *d = g_variant_get_child_value(devs, i);
		if (!strcmp(str_of(d, "name"), name) && !strcmp(str_of(d, "uio"), uio))
			found = d;
		else
			g_variant_unref(d);
	}
	g_variant_unref(devs);
	return found;
}

static double rate(uint64_t before, uint64_t after, double seconds)
{
	return (double)(after - before) / seconds;
}

static void add_rates(struct tcmudctl_device_row *row, GVariant *before)
{
	uint64_t t0 = u64_of(before, "timestamp_ns"), t1 = u64_of(row->dict, "timestamp_ns");
	uint64_t c0 = u64_of(before, "commands");
	uint64_t r0 = u64_of(before, "bytes_read"), r1 = u64_of(row->dict, "bytes_read");
	uint64_t w0 = u64_of(before, "bytes_written"), w1 = u64_of(row->dict, "bytes_written");

	/* Counters that went back belong to a device opened again in between. */
	if (t1 <= t0 || row->commands < c0 || r1 < r0 || w1 < w0)
		return;
	double seconds = (double)(t1 - t0) / 1e9;
	row->has_rates = true;
	row->iops = rate(c0, row->commands, seconds);
	row->read_bytes_per_s = rate(r0, r1, seconds);
	row->write_bytes_per_s = rate(w0, w1, seconds);
}

static void fill_row(struct tcmudctl_device_row *row, GVariant *dict, GVariant *first)
{
	guint32 block_size = 0;
	guchar pi_type = 0;
	gboolean failed = FALSE;
	GVariant *lat;

	row->dict = dict;
	row->name = str_of(dict, "name");
	row->subtype = str_of(dict, "subtype");
	row->size_bytes = u64_of(dict, "size_bytes");
	row->mem_used = u64_of(dict, "mem_used");
	g_variant_lookup(dict, "block_size", "u", &block_size);
	g_variant_lookup(dict, "pi_type", "y", &pi_type);
	g_variant_lookup(dict, "failed", "b", &failed);
	row->block_size = block_size;
	row->pi_type = pi_type;
	row->failed = failed;
	row->commands = u64_of(dict, "commands");
	row->errors = u64_of(dict, "errors");
	lat = g_variant_lookup_value(dict, "latency_us", G_VARIANT_TYPE("a{sd}"));
	if (lat) {
		row->has_latency = row->commands > 0 &&
				   g_variant_lookup(lat, "p50", "d", &row->p50_us) &&
				   g_variant_lookup(lat, "p99", "d", &row->p99_us);
		g_variant_unref(lat);
	}
	GVariant *before = first ? find_device(first, dict) : NULL;
	if (before) {
		add_rates(row, before);
		g_variant_unref(before);
	}
}

void tcmudctl_report_build(GVariant *first, GVariant *second, double interval_s,
			   struct tcmudctl_report *out)
{
	GVariant *devs = g_variant_get_child_value(second, 1);

	*out = (struct tcmudctl_report){.interval_s = interval_s};
	out->daemon = g_variant_get_child_value(second, 0);
	out->nrows = g_variant_n_children(devs);
	out->rows = g_new0(struct tcmudctl_device_row, out->nrows ? out->nrows : 1);
	for (size_t i = 0; i < out->nrows; i++)
		fill_row(&out->rows[i], g_variant_get_child_value(devs, i), first);
	g_variant_unref(devs);
}

void tcmudctl_report_free(struct tcmudctl_report *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		g_variant_unref(r->rows[i].dict);
	g_free(r->rows);
	g_clear_pointer(&r->daemon, g_variant_unref);
	r->rows = NULL;
	r->nrows = 0;
}
