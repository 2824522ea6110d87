/* SPDX-License-Identifier: Apache-2.0 */
/* Reloading the configuration of a running daemon (SIGHUP). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

/* Settings that shape what was set up at start: the new value is noted and
 * left for the next start. */
static void note_start_only(const struct tcmud_options *cur, const struct tcmud_options *new)
{
	const struct {
		const char *key;
		bool changed;
	} s[] = {
		{"handler_dir", strcmp(cur->handler_dir, new->handler_dir) != 0},
		{"dbus", strcmp(cur->dbus, new->dbus) != 0},
		{"sysfs_root", strcmp(cur->sysfs_root, new->sysfs_root) != 0},
		{"configfs_root", strcmp(cur->configfs_root, new->configfs_root) != 0},
		{"dev_root", strcmp(cur->dev_root, new->dev_root) != 0},
		{"netlink", cur->netlink != new->netlink},
		{"kernel_reply", cur->kern_reply != new->kern_reply},
		{"recover", cur->recover != new->recover},
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].changed)
			log_warn("reload: %s changed; it takes effect when tcmud starts again",
				 s[i].key);
}

/* All of the new handler settings, or (after a refusal) the previous ones
 * again: a handler applies each setting as it accepts it. */
static int apply_handler_settings(struct tcmud_daemon *d, const struct tcmud_options *new)
{
	if (tcmud_registry_configure_all(&d->registry, new->handler_settings,
					 new->nr_handler_settings)) {
		log_error("reload: a handler setting was refused (see above); "
			  "restoring the previous ones");
		tcmud_registry_configure_all(&d->registry, d->settings, d->nr_settings);
		return -EINVAL;
	}
	memcpy(d->settings, new->handler_settings, sizeof(d->settings));
	d->nr_settings = new->nr_handler_settings;
	return 0;
}

int tcmud_daemon_reload(struct tcmud_daemon *d)
{
	char *no_args[] = {"tcmud", NULL};
	int argc = d->opts->argv ? d->opts->argc : 1;
	char **argv = d->opts->argv ? d->opts->argv : no_args;
	struct tcmud_options *new = calloc(1, sizeof(*new));
	int rc = -EINVAL;

	if (!new)
		return -ENOMEM;
	if (tcmud_options_parse(new, argc, argv) != TCMUD_OPTIONS_RUN) {
		log_error("reload: %s is not valid (see above); the previous settings stay",
			  d->opts->config_file);
		goto out;
	}
	if (apply_handler_settings(d, new))
		goto out;
	tcmud_log_set_level(new->log_level);
	note_start_only(d->opts, new);
	log_info("reload: %s%s applied: log level %s, %zu handler setting%s", new->config_file,
		 new->config_loaded ? "" : " (absent)", tcmud_log_level_name(new->log_level),
		 new->nr_handler_settings, new->nr_handler_settings == 1 ? "" : "s");
	rc = 0;
out:
	free(new);
	return rc;
}
