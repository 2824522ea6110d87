/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing of TCMU UIO device names and dev_config strings.
 *
 * target_core_user names each UIO device "tcm-user/<hba>/<device>" or, when a
 * dev_config is set, "tcm-user/<hba>/<device>/<dev_config>". By convention
 * the first '/'-segment of dev_config names the handler ("rd", "rd/",
 * "rd/size=64M" all select "rd").
 */
#ifndef TCMUD_UIO_NAME_H
#define TCMUD_UIO_NAME_H

#include <stddef.h>

#define TCMUD_NAME_MAX 256   /* configfs names and TCMU_CONFIG_LEN */

struct tcmud_uio_name {
	unsigned int hba;                /* the N of core/user_N */
	char dev[TCMUD_NAME_MAX];        /* configfs device name */
	char subtype[TCMUD_NAME_MAX];    /* "" when there is no dev_config */
	char cfgstring[TCMUD_NAME_MAX];  /* dev_config after "<subtype>/" */
};

/*
 * Parse a UIO name (a trailing newline is ignored). Returns 0, or -EINVAL if
 * it is not a tcm-user name or is malformed, -ENAMETOOLONG if a part is too long.
 */
int tcmud_uio_name_parse(const char *name, struct tcmud_uio_name *out);

/*
 * Split a dev_config into subtype and cfgstring. Trailing whitespace (the
 * kernel keeps the '\n' of a write to attrib/dev_config) is dropped.
 * Returns 0, -EINVAL for an empty subtype, -ENAMETOOLONG.
 */
int tcmud_dev_config_split(const char *dev_config, char *subtype, size_t subtype_len,
			   char *cfgstring, size_t cfgstring_len);

#endif
