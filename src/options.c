/* SPDX-License-Identifier: Apache-2.0 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#ifndef TCMUD_HANDLER_DIR
#define TCMUD_HANDLER_DIR "/usr/local/lib/tcmud"
#endif
#ifndef TCMUD_VERSION
#define TCMUD_VERSION "unknown"
#endif
#ifndef TCMUD_CONFIG_FILE
#define TCMUD_CONFIG_FILE "/etc/tcmud/tcmud.conf"
#endif
#define DEFAULT_CONFIG TCMUD_CONFIG_FILE

static void set_defaults(struct tcmud_options *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->handler_dir, sizeof(o->handler_dir), "%s", TCMUD_HANDLER_DIR);
	snprintf(o->sysfs_root, sizeof(o->sysfs_root), "/sys");
	snprintf(o->configfs_root, sizeof(o->configfs_root), "/sys/kernel/config");
	snprintf(o->dev_root, sizeof(o->dev_root), "/dev");
	o->log_level = TCMUD_LOG_INFO;
	o->netlink = true;
	o->kern_reply = true;
	o->recover = true;
	snprintf(o->dbus, sizeof(o->dbus), "system");
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int set_path(char *dst, size_t len, const char *v)
{
	if (!v[0] || strlen(v) >= len)
		return -EINVAL;
	snprintf(dst, len, "%s", v);
	return 0;
}

/* "system", "session", "none", or an address GDBus can connect to. */
static int set_dbus(struct tcmud_options *o, const char *v)
{
	bool named = !strcmp(v, "system") || !strcmp(v, "session") || !strcmp(v, "none");
	if (!v[0] || strlen(v) >= sizeof(o->dbus) ||
	    (!named && !g_dbus_is_supported_address(v, NULL)))
		return -EINVAL;
	snprintf(o->dbus, sizeof(o->dbus), "%s", v);
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int copy_part(char *dst, size_t len, const char *v)
{
	if (strlen(v) >= len)
		return -EINVAL;
	snprintf(dst, len, "%s", v);
	return 0;
}

/* "SUBTYPE.KEY=VALUE" (blanks around each part ignored); the handler checks
 * the key and the value once it is loaded. */
static int add_handler_setting(struct tcmud_options *o, const char *v)
{
	if (o->nr_handler_settings == TCMUD_MAX_HANDLER_SETTINGS)
		return -ENOSPC;
	char buf[512];
	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", v);
	char *eq = strchr(buf, '=');
	if (!eq)
		return -EINVAL;
	*eq = '\0';
	char *dot = strchr(buf, '.');
	if (!dot)
		return -EINVAL;
	*dot = '\0';
	const char *subtype = trim(buf), *key = trim(dot + 1), *value = trim(eq + 1);
	struct tcmud_handler_setting *hs = &o->handler_settings[o->nr_handler_settings];
	if (!subtype[0] || !key[0] || strchr(subtype, '/') ||
	    copy_part(hs->subtype, sizeof(hs->subtype), subtype) ||
	    copy_part(hs->key, sizeof(hs->key), key) ||
	    copy_part(hs->value, sizeof(hs->value), value))
		return -EINVAL;
	o->nr_handler_settings++;
	return 0;
}

int tcmud_options_set(struct tcmud_options *o, const char *key, const char *value)
{
	if (!strcmp(key, "handler_dir"))
		return set_path(o->handler_dir, sizeof(o->handler_dir), value);
	if (!strcmp(key, "sysfs_root"))
		return set_path(o->sysfs_root, sizeof(o->sysfs_root), value);
	if (!strcmp(key, "configfs_root"))
		return set_path(o->configfs_root, sizeof(o->configfs_root), value);
	if (!strcmp(key, "dev_root"))
		return set_path(o->dev_root, sizeof(o->dev_root), value);
	if (!strcmp(key, "log_level")) {
		int l = tcmud_log_parse_level(value);
		if (l < 0)
			return -EINVAL;
		o->log_level = (enum tcmud_log_level)l;
		return 0;
	}
	if (!strcmp(key, "netlink"))
		return parse_bool(value, &o->netlink);
	if (!strcmp(key, "kernel_reply"))
		return parse_bool(value, &o->kern_reply);
	if (!strcmp(key, "recover"))
		return parse_bool(value, &o->recover);
	if (!strcmp(key, "handler_option"))
		return add_handler_setting(o, value);
	if (!strcmp(key, "dbus"))
		return set_dbus(o, value);
	return -ENOENT;
}

/* "key = value" lines; '#' starts a comment. A missing default file is fine. */
static int load_config_file(struct tcmud_options *o, const char *path, bool must_exist)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		log_error("cannot open config file %s: %s", path, strerror(errno));
		return -1;
	}
	o->config_loaded = true;
	char line[2048];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (eq)
			*eq = '\0';
		if (!eq) {
			log_error("%s:%d: '%s' is not 'key = value'", path, lineno, s);
			rc = -1;
			continue;
		}
		char *key = trim(s), *value = trim(eq + 1);
		int set = tcmud_options_set(o, key, value);
		if (set == -ENOENT) {
			log_error("%s:%d: unknown setting '%s'", path, lineno, key);
			rc = -1;
		} else if (set) {
			log_error("%s:%d: invalid value '%s' for %s", path, lineno, value, key);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: tcmud [OPTION]...\n"
		"Serve LIO TCMU (target_core_user) devices from userspace.\n"
		"With no options it runs in the foreground with built-in defaults and logs to stderr.\n\n"
		"  -c, --config FILE        configuration file (default " DEFAULT_CONFIG ", if present)\n"
		"  -H, --handler-dir DIR    handler modules (default " TCMUD_HANDLER_DIR ")\n"
		"  -l, --log-level LEVEL    error, warn, info (default) or debug\n"
		"  -o, --handler-option SUBTYPE.KEY=VALUE\n"
		"                           a daemon-wide handler setting, e.g. rd.mem_limit=4G\n"
		"                           (repeatable)\n"
		"      --sysfs-root DIR     where sysfs is mounted (default /sys)\n"
		"      --configfs-root DIR  where configfs is mounted (default /sys/kernel/config)\n"
		"      --dev-root DIR       where the uio device nodes are (default /dev)\n"
		"      --no-netlink         do not listen for TCM-USER netlink events\n"
		"      --no-kernel-reply    do not ask the kernel to wait for netlink replies\n"
		"      --no-recover         do not block/reset the ring of devices found at start\n"
		"      --dbus BUS           publish org.kernel.TCMUService1 (for targetcli) on\n"
		"                           system (default), session, none, or an address\n"
		"                           such as unix:path=/run/dbus/system_bus_socket\n"
		"  -h, --help               show this help and exit\n"
		"  -V, --version            show the version and exit\n");
}

enum { OPT_SYSFS = 256, OPT_CONFIGFS, OPT_DEV, OPT_NO_NETLINK, OPT_NO_REPLY, OPT_NO_RECOVER,
       OPT_DBUS };

#define SHORT_OPTS "c:H:l:o:hV"

static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"handler-dir", required_argument, NULL, 'H'},
	{"log-level", required_argument, NULL, 'l'},
	{"handler-option", required_argument, NULL, 'o'},
	{"sysfs-root", required_argument, NULL, OPT_SYSFS},
	{"configfs-root", required_argument, NULL, OPT_CONFIGFS},
	{"dev-root", required_argument, NULL, OPT_DEV},
	{"no-netlink", no_argument, NULL, OPT_NO_NETLINK},
	{"no-kernel-reply", no_argument, NULL, OPT_NO_REPLY},
	{"no-recover", no_argument, NULL, OPT_NO_RECOVER},
	{"dbus", required_argument, NULL, OPT_DBUS},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static const char *option_key(int c)
{
	switch (c) {
	case 'H': return "handler_dir";
	case 'l': return "log_level";
	case 'o': return "handler_option";
	case OPT_SYSFS: return "sysfs_root";
	case OPT_CONFIGFS: return "configfs_root";
	case OPT_DEV: return "dev_root";
	case OPT_DBUS: return "dbus";
	default: return NULL;
	}
}

/* First pass: only --config, --help and --version, so the file applies before the rest. */
static enum tcmud_options_result first_pass(struct tcmud_options *o, int argc, char **argv,
					    bool *explicit_config)
{
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return TCMUD_OPTIONS_EXIT_OK;
		}
		if (c == 'V') {
			printf("tcmud %s (handler API %d)\n", TCMUD_VERSION, TCMUD_HANDLER_API_VERSION);
			return TCMUD_OPTIONS_EXIT_OK;
		}
		if (c == 'c') {
			snprintf(o->config_file, sizeof(o->config_file), "%s", optarg);
			*explicit_config = true;
		}
	}
	return TCMUD_OPTIONS_RUN;
}

enum tcmud_options_result tcmud_options_parse(struct tcmud_options *o, int argc, char **argv)
{
	bool explicit_config = false;
	set_defaults(o);
	o->argc = argc;
	o->argv = argv;
	snprintf(o->config_file, sizeof(o->config_file), "%s", DEFAULT_CONFIG);
	enum tcmud_options_result r = first_pass(o, argc, argv, &explicit_config);
	if (r != TCMUD_OPTIONS_RUN)
		return r;
	if (load_config_file(o, o->config_file, explicit_config))
		return TCMUD_OPTIONS_ERROR;

	int c;
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		const char *key = option_key(c);
		if (key) {
			int rc = tcmud_options_set(o, key, optarg);
			if (rc) {
				fprintf(stderr, "tcmud: invalid value '%s' for %s%s\n", optarg, key,
					c == OPT_DBUS ? " (expected system, session, none or a "
							"D-Bus address such as unix:path=/run/x)" :
					c != 'o' ? "" : rc == -ENOSPC ?
					" (too many handler options)" :
					" (expected SUBTYPE.KEY=VALUE)");
				return TCMUD_OPTIONS_ERROR;
			}
		} else if (c == OPT_NO_NETLINK) {
			o->netlink = false;
		} else if (c == OPT_NO_REPLY) {
			o->kern_reply = false;
		} else if (c == OPT_NO_RECOVER) {
			o->recover = false;
		} else if (c != 'c') {
			usage(stderr);
			return TCMUD_OPTIONS_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tcmud: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return TCMUD_OPTIONS_ERROR;
	}
	return TCMUD_OPTIONS_RUN;
}

struct tcmud_paths tcmud_options_paths(const struct tcmud_options *o)
{
	struct tcmud_paths p = {o->sysfs_root, o->configfs_root, o->dev_root};
	return p;
}
