/* SPDX-License-Identifier: Apache-2.0 */
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

enum align { LEFT, RIGHT };

static const struct column {
	const char *title;
	enum align align;
} columns[] = {
	{"DEVICE", LEFT},    {"HANDLER", LEFT},    {"SIZE", RIGHT},       {"BLOCK", RIGHT},
	{"PI", RIGHT},       {"MEMORY", RIGHT},    {"COMMANDS", RIGHT},   {"IOPS", RIGHT},
	{"READ MB/s", RIGHT},
	{"WRITE MB/s", RIGHT}, {"P50", RIGHT},     {"P99", RIGHT},        {"ERRORS", RIGHT},
	{"STATE", LEFT},
};
#define NCOLS G_N_ELEMENTS(columns)
#define CELL 260          /* a device name is up to 255 bytes */

typedef char line_cells[NCOLS][CELL];

void tcmudctl_format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t u = 0;

	while (u + 1 < G_N_ELEMENTS(units) && bytes >> (10 * (u + 1)))
		u++;
	uint64_t unit = UINT64_C(1) << (10 * u);
	if (bytes % unit == 0)
		snprintf(buf, len, "%" PRIu64 " %s", bytes / unit, units[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)unit, units[u]);
}

/* Three significant digits (more for values of 1000 and up). */
static void three_digits(char *buf, size_t len, double v, const char *unit)
{
	int decimals = v < 10 ? 2 : v < 100 ? 1 : 0;
	snprintf(buf, len, "%.*f%s", decimals, v, unit);
}

void tcmudctl_format_latency(char *buf, size_t len, double us)
{
	if (us < 1)
		snprintf(buf, len, "%.0fns", us * 1000);
	else if (us < 1000)
		three_digits(buf, len, us, "us");
	else if (us < 1000000)
		three_digits(buf, len, us / 1000, "ms");
	else
		three_digits(buf, len, us / 1000000, "s");
}

void tcmudctl_format_uptime(char *buf, size_t len, uint64_t s)
{
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	if (d)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h", d, h);
	else if (h)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m", h, m);
	else if (m)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", m, sec);
	else
		snprintf(buf, len, "%" PRIu64 "s", sec);
}

static void rate_cell(char *buf, double v, bool known)
{
	if (!known)
		snprintf(buf, CELL, "-");
	else
		snprintf(buf, CELL, v < 10 ? "%.1f" : "%.0f", v);
}

static void row_cells(const struct tcmudctl_device_row *row, line_cells cells)
{
	size_t c = 0;

	snprintf(cells[c++], CELL, "%s", row->name);
	snprintf(cells[c++], CELL, "%s", row->subtype);
	tcmudctl_format_size(cells[c++], CELL, row->size_bytes);
	snprintf(cells[c++], CELL, "%" PRIu32, row->block_size);
	snprintf(cells[c++], CELL, "%u", row->pi_type);
	tcmudctl_format_size(cells[c++], CELL, row->mem_used);
	snprintf(cells[c++], CELL, "%" PRIu64, row->commands);
	rate_cell(cells[c++], row->iops, row->has_rates);
	snprintf(cells[c], CELL, "-");
	snprintf(cells[c + 1], CELL, "-");
	if (row->has_rates) {
		snprintf(cells[c], CELL, "%.1f", row->read_bytes_per_s / 1e6);
		snprintf(cells[c + 1], CELL, "%.1f", row->write_bytes_per_s / 1e6);
	}
	c += 2;
	snprintf(cells[c], CELL, "-");
	snprintf(cells[c + 1], CELL, "-");
	if (row->has_latency) {
		tcmudctl_format_latency(cells[c], CELL, row->p50_us);
		tcmudctl_format_latency(cells[c + 1], CELL, row->p99_us);
	}
	c += 2;
	snprintf(cells[c++], CELL, "%" PRIu64, row->errors);
	snprintf(cells[c], CELL, "%s", row->failed ? "failed" : "serving");
}

static void append_line(GString *out, line_cells cells, const size_t width[NCOLS])
{
	for (size_t c = 0; c < NCOLS; c++) {
		int pad = (int)(width[c] - strlen(cells[c]));
		if (c)
			g_string_append(out, "  ");
		if (columns[c].align == RIGHT)
			g_string_append_printf(out, "%*s%s", pad, "", cells[c]);
		else if (c + 1 < NCOLS)
			g_string_append_printf(out, "%s%*s", cells[c], pad, "");
		else
			g_string_append(out, cells[c]); /* no trailing blanks */
	}
	g_string_append_c(out, '\n');
}

static void append_summary(GString *out, const struct tcmudctl_report *r)
{
	const char *version = "?";
	guint32 pid = 0;
	guint64 uptime = 0;
	char up[64];

	g_variant_lookup(r->daemon, "version", "&s", &version);
	g_variant_lookup(r->daemon, "pid", "u", &pid);
	g_variant_lookup(r->daemon, "uptime_s", "t", &uptime);
	tcmudctl_format_uptime(up, sizeof(up), uptime);
	g_string_append_printf(out, "tcmud %s, pid %" PRIu32 ", up %s, handlers:", version, pid,
			       up);
	GVariant *handlers = g_variant_lookup_value(r->daemon, "handlers", G_VARIANT_TYPE("as"));
	gsize n = handlers ? g_variant_n_children(handlers) : 0;
	for (gsize i = 0; i < n; i++) {
		const char *h;
		g_variant_get_child(handlers, i, "&s", &h);
		g_string_append_printf(out, "%s%s", i ? ", " : " ", h);
	}
	if (!n)
		g_string_append(out, " none");
	if (handlers)
		g_variant_unref(handlers);
	if (r->interval_s > 0)
		g_string_append_printf(out, "; rates over %g s", r->interval_s);
	g_string_append_c(out, '\n');
}

char *tcmudctl_format_table(const struct tcmudctl_report *r)
{
	GString *out = g_string_new(NULL);
	line_cells *cells = g_new0(line_cells, r->nrows + 1);
	size_t width[NCOLS];

	append_summary(out, r);
	if (!r->nrows) {
		g_string_append(out, "no devices served\n");
		g_free(cells);
		return g_string_free(out, FALSE);
	}
	for (size_t c = 0; c < NCOLS; c++)
		snprintf(cells[0][c], CELL, "%s", columns[c].title);
	for (size_t i = 0; i < r->nrows; i++)
		row_cells(&r->rows[i], cells[i + 1]);
	for (size_t c = 0; c < NCOLS; c++) {
		width[c] = 0;
		for (size_t i = 0; i <= r->nrows; i++)
			width[c] = MAX(width[c], strlen(cells[i][c]));
	}
	for (size_t i = 0; i <= r->nrows; i++)
		append_line(out, cells[i], width);
	g_free(cells);
	return g_string_free(out, FALSE);
}
