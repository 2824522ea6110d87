/* SPDX-License-Identifier: Apache-2.0 */
/* The command line of tcmudctl. */
#ifndef TCMUDCTL_ARGS_H
#define TCMUDCTL_ARGS_H

#include <stdbool.h>
#include <stdio.h>

enum tcmudctl_bus {
	TCMUDCTL_BUS_SYSTEM,
	TCMUDCTL_BUS_SESSION,
	TCMUDCTL_BUS_ADDRESS,
};

struct tcmudctl_args {
	bool json;
	enum tcmudctl_bus bus;
	const char *address;      /* TCMUDCTL_BUS_ADDRESS: a D-Bus address */
	double interval_s;        /* between the two samples; 0: one sample, no rates */
};

enum tcmudctl_parse_result {
	TCMUDCTL_RUN,
	TCMUDCTL_HELP,            /* usage printed to out: exit 0 */
	TCMUDCTL_USAGE_ERROR,     /* reason printed to err: exit 2 */
};

/* Exit statuses. */
#define TCMUDCTL_EXIT_FAILURE 1
#define TCMUDCTL_EXIT_USAGE 2
#define TCMUDCTL_EXIT_NOT_RUNNING 3 /* as LSB status: the program is not running */

enum tcmudctl_parse_result tcmudctl_parse_args(int argc, char **argv,
					       struct tcmudctl_args *args, FILE *out,
					       FILE *err);

#endif
