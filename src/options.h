/* SPDX-License-Identifier: Apache-2.0 */
/* Command line and configuration file. */
#ifndef TCMUD_OPTIONS_H
#define TCMUD_OPTIONS_H

#include <stdbool.h>

#include "configfs.h"
#include "handler_registry.h"
#include "tcmud/handler.h"

#define TCMUD_MAX_HANDLER_SETTINGS 32

struct tcmud_options {
	char handler_dir[1024];
	char sysfs_root[1024];
	char configfs_root[1024];
	char dev_root[1024];
	char config_file[1024];
	bool config_loaded;     /* config_file existed and was read */
	/* The command line, kept to parse it again on a reload (it wins over
	 * the file then as at start). */
	int argc;
	char **argv;
	enum tcmud_log_level log_level;
	bool netlink;           /* listen for TCM-USER netlink events */
	bool kern_reply;        /* ask the kernel to wait for our *_DONE replies */
	bool recover;           /* block/reset/resume devices found at start */
	/* Where to publish org.kernel.TCMUService1: "system", "session",
	 * "none" or a D-Bus address such as "unix:path=/run/x". */
	char dbus[1024];
	/* --handler-option, config file first, in order; applied after the
	 * handlers are loaded. */
	struct tcmud_handler_setting handler_settings[TCMUD_MAX_HANDLER_SETTINGS];
	size_t nr_handler_settings;
};

enum tcmud_options_result {
	TCMUD_OPTIONS_RUN = 0,
	TCMUD_OPTIONS_EXIT_OK,   /* --help, --version */
	TCMUD_OPTIONS_ERROR,     /* message already printed */
};

/* Built-in defaults, then the config file (if any), then the command line. */
enum tcmud_options_result tcmud_options_parse(struct tcmud_options *o, int argc, char **argv);

/* Apply one "key = value" setting; used for the config file. 0 or -EINVAL.
 * Key "handler_option" adds a "SUBTYPE.KEY=VALUE" handler setting. */
int tcmud_options_set(struct tcmud_options *o, const char *key, const char *value);

struct tcmud_paths tcmud_options_paths(const struct tcmud_options *o);

#endif
