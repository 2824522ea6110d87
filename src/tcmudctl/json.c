/* SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

#include <json-glib/json-glib.h>

/* A double, or JSON null when unknown (json-glib writes an empty maybe as null). */
static GVariant *maybe_double(bool known, double v)
{
	return g_variant_new_maybe(G_VARIANT_TYPE_DOUBLE, known ? g_variant_new_double(v) : NULL);
}

static GVariant *device_object(const struct tcmudctl_device_row *row)
{
	GVariantBuilder b;
	GVariantIter it;
	const char *key;
	GVariant *value;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_iter_init(&it, row->dict);
	while (g_variant_iter_next(&it, "{&sv}", &key, &value)) {
		g_variant_builder_add(&b, "{sv}", key, value);
		g_variant_unref(value);
	}
	g_variant_builder_add(&b, "{sv}", "iops", maybe_double(row->has_rates, row->iops));
	g_variant_builder_add(&b, "{sv}", "read_bytes_per_s",
			      maybe_double(row->has_rates, row->read_bytes_per_s));
	g_variant_builder_add(&b, "{sv}", "write_bytes_per_s",
			      maybe_double(row->has_rates, row->write_bytes_per_s));
	return g_variant_builder_end(&b);
}

char *tcmudctl_format_json(const struct tcmudctl_report *r)
{
	GVariantBuilder doc, devs;

	g_variant_builder_init(&devs, G_VARIANT_TYPE("aa{sv}"));
	for (size_t i = 0; i < r->nrows; i++)
		g_variant_builder_add_value(&devs, device_object(&r->rows[i]));
	g_variant_builder_init(&doc, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&doc, "{sv}", "daemon", r->daemon);
	g_variant_builder_add(&doc, "{sv}", "interval_s", g_variant_new_double(r->interval_s));
	g_variant_builder_add(&doc, "{sv}", "devices", g_variant_builder_end(&devs));
	GVariant *v = g_variant_ref_sink(g_variant_builder_end(&doc));

	JsonNode *node = json_gvariant_serialize(v);
	JsonGenerator *gen = json_generator_new();
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, node);
	char *text = json_generator_to_data(gen, NULL);
	char *out = g_strconcat(text, "\n", NULL);
	g_free(text);
	g_object_unref(gen);
	json_node_unref(node);
	g_variant_unref(v);
	return out;
}
