/* SPDX-License-Identifier: Apache-2.0 */
/* A fake sysfs / configfs / dev tree in a temporary directory. */
#ifndef TCMUD_TEST_FIXTURE_H
#define TCMUD_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "configfs.h"
#include "daemon.h"

struct fixture {
	char root[256];
	char sysfs[320], configfs[320], dev[320];
	struct tcmud_paths paths;
	/* The command line of fixture_daemon_init(), kept for the options. */
	char *argv[11];
};

#define FIXTURE_RING_SIZE (65536 - 128)
#define FIXTURE_MAP_SIZE (65536 + (1 << 20))

void fixture_init(struct fixture *f);
void fixture_cleanup(struct fixture *f);
/* Write a file, creating its parent directories. */
void fixture_write(const char *path, const char *content);
/* Read a file written by the code under test (trailing whitespace kept). */
void fixture_read(const char *path, char *buf, size_t len);
/* A uio device: class/uio/uio<minor>/{name,maps/map0/size} and dev/uio<minor>,
 * a regular file holding a mailbox of the given version and an empty ring. */
void fixture_add_uio(struct fixture *f, unsigned int minor, const char *name,
		     uint16_t mb_version);
/* configfs core/user_<hba>/<dev> with attrib/, wwn/, action/ and info. */
void fixture_add_cfgfs_dev(struct fixture *f, unsigned int hba, const char *dev,
			   uint64_t size, unsigned int block_size, const char *serial);
/* A daemon over the fixture's tree, without netlink, with the handler
 * modules of handler_dir: o as that command line gives it, then
 * tcmud_daemon_init(). 0, or -1 with the reason on stderr. */
int fixture_daemon_init(struct fixture *f, const char *handler_dir, struct tcmud_options *o,
			struct tcmud_daemon *d);
void fixture_path(const struct fixture *f, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
