/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading and writing the small text files of sysfs and configfs.
 * All roots are settable so that tests can point them at a fixture tree.
 */
#ifndef TCMUD_CONFIGFS_H
#define TCMUD_CONFIGFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcmud_paths {
	const char *sysfs;      /* "/sys" */
	const char *configfs;   /* "/sys/kernel/config" */
	const char *dev;        /* "/dev" */
};

/* Read a whole small file; trailing whitespace is stripped. 0 or -errno. */
int tcmud_read_text(const char *path, char *buf, size_t len);
/* Parse an unsigned number (decimal or 0x hex) from a small file. */
int tcmud_read_u64(const char *path, uint64_t *value);
/* Write a string to a file in one write(). 0 or -errno. */
int tcmud_write_text(const char *path, const char *value);

/* <configfs>/target/core/user_<hba>/<dev>/<rel> */
int tcmud_cfgfs_dev_path(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			 const char *rel, char *buf, size_t len);

/* What the daemon needs to know about a TCMU device from configfs. */
struct tcmud_dev_facts {
	uint64_t dev_size;          /* bytes */
	uint32_t block_size;        /* attrib/hw_block_size */
	uint32_t max_sectors;       /* attrib/hw_max_sectors */
	bool write_cache;           /* attrib/emulate_write_cache */
	int nl_reply_supported;     /* attrib/nl_reply_supported, or TCMUD_NL_REPLY_UNKNOWN */
	char unit_serial[256];      /* wwn/vpd_unit_serial, prefix stripped */
};

/*
 * Read the facts. Size and block size are required (-errno and a reason in
 * why when missing or invalid); the rest fall back to defaults.
 */
int tcmud_cfgfs_dev_facts(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			  struct tcmud_dev_facts *f, char *why, size_t why_len);

/* wwn/vpd_unit_serial without its prefix; "" when unset or unreadable. */
void tcmud_cfgfs_dev_unit_serial(const struct tcmud_paths *p, unsigned int hba, const char *dev,
				 char *serial, size_t len);

/* attrib/nl_reply_supported: > 0 when the kernel waits for netlink replies about
 * the device (if reply support is on); TCMUD_NL_REPLY_UNKNOWN when unreadable. */
#define TCMUD_NL_REPLY_UNKNOWN INT_MIN
int tcmud_cfgfs_dev_nl_reply(const struct tcmud_paths *p, unsigned int hba, const char *dev);

/* Write an action file (action/block_dev, action/reset_ring). */
int tcmud_cfgfs_dev_action(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			   const char *action, const char *value);

#endif
