/* SPDX-License-Identifier: Apache-2.0 */
#include "args.h"

#include <getopt.h>
#include <math.h>
#include <string.h>

#include <gio/gio.h>

/* Longer than any sensible interval and short enough to notice a typo. */
#define MAX_INTERVAL_S 3600.0

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tcmudctl status [--json] [--bus system|session|ADDRESS] "
		"[--interval SECONDS]\n"
		"\n"
		"Show the devices tcmud serves, with their statistics. tcmud is asked\n"
		"twice, SECONDS apart, and rates are computed over that interval.\n"
		"\n"
		"  --json               the same data as JSON\n"
		"  --bus BUS            system (default), session, or a D-Bus address\n"
		"                       such as unix:path=/run/dbus/system_bus_socket\n"
		"  --interval SECONDS   between the two samples (default 1; 0: one sample,\n"
		"                       no rates)\n"
		"  -h, --help           this text\n"
		"\n"
		"Exit status: 0 on success, 1 on a failure, 2 on a usage error, 3 when\n"
		"tcmud is not running on the bus.\n");
}

static bool parse_interval(const char *s, double *out)
{
	char *end;
	double v = g_ascii_strtod(s, &end);
	if (end == s || *end || !isfinite(v) || v < 0 || v > MAX_INTERVAL_S)
		return false;
	*out = v;
	return true;
}

static bool parse_bus(const char *s, struct tcmudctl_args *args, FILE *err)
{
	GError *e = NULL;

	if (!strcmp(s, "system")) {
		args->bus = TCMUDCTL_BUS_SYSTEM;
	} else if (!strcmp(s, "session")) {
		args->bus = TCMUDCTL_BUS_SESSION;
	} else if (g_dbus_is_supported_address(s, &e)) {
		args->bus = TCMUDCTL_BUS_ADDRESS;
		args->address = s;
	} else {
		fprintf(err, "tcmudctl: --bus %s: not system, session or a D-Bus address (%s)\n",
			s, e->message);
		g_error_free(e);
		return false;
	}
	return true;
}

enum tcmudctl_parse_result tcmudctl_parse_args(int argc, char **argv,
					       struct tcmudctl_args *args, FILE *out,
					       FILE *err)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"bus", required_argument, NULL, 'b'},
		{"interval", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	*args = (struct tcmudctl_args){.bus = TCMUDCTL_BUS_SYSTEM, .interval_s = 1.0};
	/* Options may come before or after the command; errors are ours to print.
	 * optind 0 makes glibc's getopt start afresh (the tests parse many times). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			args->json = true;
			break;
		case 'b':
			if (!parse_bus(optarg, args, err))
				return TCMUDCTL_USAGE_ERROR;
			break;
		case 'i':
			if (!parse_interval(optarg, &args->interval_s)) {
				fprintf(err, "tcmudctl: --interval %s: not a number of seconds "
					"from 0 to %.0f\n", optarg, MAX_INTERVAL_S);
				return TCMUDCTL_USAGE_ERROR;
			}
			break;
		case 'h':
			usage(out);
			return TCMUDCTL_HELP;
		case ':':
			fprintf(err, "tcmudctl: %s needs a value\n", argv[optind - 1]);
			return TCMUDCTL_USAGE_ERROR;
		default:
			fprintf(err, "tcmudctl: unknown option %s (see tcmudctl --help)\n",
				argv[optind - 1]);
			return TCMUDCTL_USAGE_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(err, "tcmudctl: no command given (see tcmudctl --help)\n");
		return TCMUDCTL_USAGE_ERROR;
	}
	if (strcmp(argv[optind], "status")) {
		fprintf(err, "tcmudctl: unknown command '%s'; the only command is 'status'\n",
			argv[optind]);
		return TCMUDCTL_USAGE_ERROR;
	}
	if (optind + 1 < argc) {
		fprintf(err, "tcmudctl: unexpected argument '%s'\n", argv[optind + 1]);
		return TCMUDCTL_USAGE_ERROR;
	}
	return TCMUDCTL_RUN;
}
