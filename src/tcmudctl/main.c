/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcmudctl: ask a running tcmud about itself over D-Bus
 * (org.tcmud.Daemon1 on org.kernel.TCMUService1).
 */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "bus.h"
#include "json.h"
#include "report.h"
#include "table.h"

static int status(const struct tcmudctl_args *args)
{
	struct tcmudctl_bus_conn bus = {0};
	struct tcmudctl_report report;
	GVariant *first = NULL, *second;
	int rc = tcmudctl_bus_open(args, &bus, stderr);

	if (rc)
		return rc;
	second = tcmudctl_get_status(&bus, &rc, stderr);
	if (second && args->interval_s > 0) {
		first = second;
		g_usleep((gulong)(args->interval_s * G_USEC_PER_SEC));
		second = tcmudctl_get_status(&bus, &rc, stderr);
	}
	if (second) {
		tcmudctl_report_build(first, second, args->interval_s, &report);
		char *text = args->json ? tcmudctl_format_json(&report)
					: tcmudctl_format_table(&report);
		fputs(text, stdout);
		g_free(text);
		tcmudctl_report_free(&report);
		g_variant_unref(second);
		rc = fflush(stdout) ? TCMUDCTL_EXIT_FAILURE : 0;
	}
	if (first)
		g_variant_unref(first);
	tcmudctl_bus_close(&bus);
	return rc;
}

int main(int argc, char **argv)
{
	struct tcmudctl_args args;

	switch (tcmudctl_parse_args(argc, argv, &args, stdout, stderr)) {
	case TCMUDCTL_HELP:
		return 0;
	case TCMUDCTL_USAGE_ERROR:
		return TCMUDCTL_EXIT_USAGE;
	case TCMUDCTL_RUN:
		break;
	}
	return status(&args);
}
