/* SPDX-License-Identifier: Apache-2.0 */
#include "handler_registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int tcmud_handler_check_config(const struct tcmud_handler *h, const char *cfg, char *why,
			       size_t why_len)
{
	char reason[256] = "";
	int rc;

	if (!h->check_config)
		return 0;
	rc = h->check_config(cfg, reason, sizeof(reason));
	if (rc)
		snprintf(why, why_len, "handler '%s' refuses config '%s': %s", h->subtype, cfg,
			 reason[0] ? reason : strerror(-rc));
	return rc;
}

int tcmud_registry_add(struct tcmud_registry *reg, const struct tcmud_handler *h, void *dl)
{
	if (h->api_version != TCMUD_HANDLER_API_VERSION) {
		log_error("handler '%s' speaks API version %u, this daemon speaks %u; not loaded",
			  h->subtype ? h->subtype : "?", h->api_version, TCMUD_HANDLER_API_VERSION);
		return -EPROTO;
	}
	if (!h->subtype || !h->subtype[0] || strchr(h->subtype, '/') || !h->open ||
	    !h->read || !h->write) {
		log_error("handler '%s' lacks a subtype, open, read or write; not loaded",
			  h->subtype ? h->subtype : "?");
		return -EINVAL;
	}
	if (tcmud_registry_find(reg, h->subtype)) {
		log_warn("a handler for subtype '%s' is already loaded; ignoring another", h->subtype);
		return -EEXIST;
	}
	if (reg->count == TCMUD_MAX_HANDLERS)
		return -ENOSPC;
	reg->handlers[reg->count] = h;
	reg->dl[reg->count] = dl;
	reg->count++;
	return 0;
}

static int load_module(struct tcmud_registry *reg, const char *path)
{
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		log_error("cannot load handler %s: %s", path, dlerror());
		return -ENOEXEC;
	}
	const struct tcmud_handler *h = dlsym(dl, TCMUD_HANDLER_SYMBOL);
	if (!h) {
		log_error("%s has no symbol '%s'; not a tcmud handler", path, TCMUD_HANDLER_SYMBOL);
		dlclose(dl);
		return -ENOEXEC;
	}
	int rc = tcmud_registry_add(reg, h, dl);
	if (rc) {
		dlclose(dl);
		return rc;
	}
	log_info("loaded handler '%s' from %s", h->subtype, path);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_handler_file(const struct dirent *d)
{
	return fnmatch("handler_*.so", d->d_name, 0) == 0;
}

int tcmud_registry_load_dir(struct tcmud_registry *reg, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_handler_file, by_name);
	if (n < 0) {
		int err = errno;
		log_error("cannot read handler directory %s: %s", dir, strerror(err));
		return -err;
	}
	int loaded = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (load_module(reg, path) == 0)
			loaded++;
		free(names[i]);
	}
	free(names);
	return loaded;
}

const struct tcmud_handler *tcmud_registry_find(const struct tcmud_registry *reg,
						const char *subtype)
{
	for (size_t i = 0; i < reg->count; i++)
		if (strcmp(reg->handlers[i]->subtype, subtype) == 0)
			return reg->handlers[i];
	return NULL;
}

int tcmud_registry_configure(const struct tcmud_registry *reg,
			     const struct tcmud_handler_setting *s)
{
	const struct tcmud_handler *h = tcmud_registry_find(reg, s->subtype);
	char why[256] = "";

	if (!h) {
		log_error("handler option %s.%s: no handler for subtype '%s' is loaded",
			  s->subtype, s->key, s->subtype);
		return -ENOENT;
	}
	if (!h->configure) {
		log_error("handler option %s.%s: handler '%s' takes no settings", s->subtype,
			  s->key, s->subtype);
		return -EOPNOTSUPP;
	}
	int rc = h->configure(s->key, s->value, why, sizeof(why));
	if (rc) {
		log_error("handler option %s.%s=%s refused: %s", s->subtype, s->key, s->value,
			  why[0] ? why : strerror(rc < 0 ? -rc : rc));
		return rc < 0 ? rc : -EINVAL;
	}
	log_info("handler option %s.%s=%s applied", s->subtype, s->key, s->value);
	return 0;
}

int tcmud_registry_configure_all(const struct tcmud_registry *reg,
				 const struct tcmud_handler_setting *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = tcmud_registry_configure(reg, &s[i]);
		if (rc)
			return rc;
	}
	return 0;
}

void tcmud_registry_unload(struct tcmud_registry *reg)
{
	for (size_t i = 0; i < reg->count; i++)
		if (reg->dl[i])
			dlclose(reg->dl[i]);
	reg->count = 0;
}
