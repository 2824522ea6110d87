/* SPDX-License-Identifier: Apache-2.0 */
#include "discovery.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* "uio<N>" -> N; -1 for anything else. */
static long uio_minor(const char *name)
{
	if (strncmp(name, "uio", 3) != 0 || name[3] < '0' || name[3] > '9')
		return -1;
	char *end;
	long v = strtol(name + 3, &end, 10);
	return *end || v < 0 || v > 0xfffff ? -1 : v;
}

static int only_uio(const struct dirent *d)
{
	return uio_minor(d->d_name) >= 0;
}

static int by_minor(const struct dirent **a, const struct dirent **b)
{
	long x = uio_minor((*a)->d_name), y = uio_minor((*b)->d_name);
	return (x > y) - (x < y);
}

static int visit(const struct tcmud_paths *p, const char *entry, tcmud_discover_fn fn,
		 void *ctx)
{
	char path[1024], name[1024];
	struct tcmud_uio_name id;

	snprintf(path, sizeof(path), "%s/class/uio/%s/name", p->sysfs, entry);
	if (tcmud_read_text(path, name, sizeof(name)))
		return 0;
	if (strncmp(name, "tcm-user/", 9) != 0)
		return 0;
	int rc = tcmud_uio_name_parse(name, &id);
	if (rc) {
		log_warn("%s: malformed tcm-user name '%s' (%s); skipped", entry, name,
			 strerror(-rc));
		return 0;
	}
	fn(ctx, (unsigned int)uio_minor(entry), &id);
	return 1;
}

int tcmud_discover(const struct tcmud_paths *p, tcmud_discover_fn fn, void *ctx)
{
	char dir[1024];
	struct dirent **names;

	snprintf(dir, sizeof(dir), "%s/class/uio", p->sysfs);
	int n = scandir(dir, &names, only_uio, by_minor);
	if (n < 0) {
		/* No uio class at all: the uio module is not loaded, nothing to serve. */
		return errno == ENOENT ? 0 : -errno;
	}
	int found = 0;
	for (int i = 0; i < n; i++) {
		found += visit(p, names[i]->d_name, fn, ctx);
		free(names[i]);
	}
	free(names);
	return found;
}
