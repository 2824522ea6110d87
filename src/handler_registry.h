/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Handler modules: every handler_*.so in the handler directory is loaded at
 * start and registered under its subtype.
 */
#ifndef TCMUD_HANDLER_REGISTRY_H
#define TCMUD_HANDLER_REGISTRY_H

#include <stddef.h>

#include "tcmud/handler.h"

#define TCMUD_MAX_HANDLERS 32

/* A daemon-wide handler setting: --handler-option SUBTYPE.KEY=VALUE. */
struct tcmud_handler_setting {
	char subtype[32];
	char key[64];
	char value[256];
};

struct tcmud_registry {
	const struct tcmud_handler *handlers[TCMUD_MAX_HANDLERS];
	void *dl[TCMUD_MAX_HANDLERS];
	size_t count;
};

/* Load the handler modules in dir. Returns how many were registered, or -errno. */
int tcmud_registry_load_dir(struct tcmud_registry *reg, const char *dir);

/* Register one handler (modules and tests). 0, -EEXIST, -EPROTO (API version), -ENOSPC. */
int tcmud_registry_add(struct tcmud_registry *reg, const struct tcmud_handler *h, void *dl);

/* Hand one setting to the configure op of its subtype's handler. 0, or
 * -errno after logging why: -ENOENT (no such handler), -EOPNOTSUPP (it takes
 * no settings), or the handler's own refusal. */
int tcmud_registry_configure(const struct tcmud_registry *reg,
			     const struct tcmud_handler_setting *s);

/* The same for n settings in order, stopping at the first refusal. */
int tcmud_registry_configure_all(const struct tcmud_registry *reg,
				 const struct tcmud_handler_setting *s, size_t n);

/* The handler's own validation of a cfgstring (the part after "subtype/"):
 * 0, or -errno with "handler 'S' refuses config 'C': reason" in why. Used
 * for devices as they open or are reconfigured, and for D-Bus CheckConfig. */
int tcmud_handler_check_config(const struct tcmud_handler *h, const char *cfg, char *why,
			       size_t why_len);

const struct tcmud_handler *tcmud_registry_find(const struct tcmud_registry *reg,
						const char *subtype);

void tcmud_registry_unload(struct tcmud_registry *reg);

#endif
