/* SPDX-License-Identifier: Apache-2.0 */
/* Finding the TCMU UIO devices that already exist, through sysfs. */
#ifndef TCMUD_DISCOVERY_H
#define TCMUD_DISCOVERY_H

#include "configfs.h"
#include "uio_name.h"

typedef void (*tcmud_discover_fn)(void *ctx, unsigned int minor,
				  const struct tcmud_uio_name *id);

/*
 * Call fn for every <sysfs>/class/uio/uio<N> whose name is a tcm-user name,
 * in minor order. Other UIO devices are skipped silently, malformed tcm-user
 * names with a warning. Returns how many were found, or -errno.
 */
int tcmud_discover(const struct tcmud_paths *p, tcmud_discover_fn fn, void *ctx);

#endif
