/* SPDX-License-Identifier: Apache-2.0 */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcmu_abi.h"

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fixture: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static void mkdir_p(const char *dir)
{
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			die("mkdir", tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		die("mkdir", tmp);
}

static void mkdir_parent(const char *path)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir_p(dir);
	}
}

void fixture_write(const char *path, const char *content)
{
	mkdir_parent(path);
	FILE *fp = fopen(path, "w");
	if (!fp)
		die("open", path);
	fputs(content, fp);
	fclose(fp);
}

void fixture_read(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		die("open", path);
	size_t n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

void fixture_path(const struct fixture *f, char *buf, size_t len, const char *fmt, ...)
{
	char rel[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(buf, len, "%s/%s", f->root, rel);
}

void fixture_init(struct fixture *f)
{
	snprintf(f->root, sizeof(f->root), "/tmp/tcmud-fixture-XXXXXX");
	if (!mkdtemp(f->root))
		die("mkdtemp", f->root);
	snprintf(f->sysfs, sizeof(f->sysfs), "%s/sys", f->root);
	snprintf(f->configfs, sizeof(f->configfs), "%s/config", f->root);
	snprintf(f->dev, sizeof(f->dev), "%s/dev", f->root);
	mkdir_p(f->sysfs);
	mkdir_p(f->configfs);
	mkdir_p(f->dev);
	/* The rd handler keeps device storage there: never the real /dev/shm. */
	char shm[sizeof(f->root) + 8];
	snprintf(shm, sizeof(shm), "%s/shm", f->root);
	mkdir_p(shm);
	if (setenv("TCMUD_RD_SHM_DIR", shm, 1))
		die("setenv", shm);
	f->paths.sysfs = f->sysfs;
	f->paths.configfs = f->configfs;
	f->paths.dev = f->dev;
}

void fixture_cleanup(struct fixture *f)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		fprintf(stderr, "fixture: cannot remove %s\n", f->root);
}

/* Built under a temporary name and renamed into place: a device thread may
 * still map the file being replaced, and truncating it would SIGBUS that thread. */
static void write_mailbox(const char *path, uint16_t version)
{
	char tmp[1100];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, FIXTURE_MAP_SIZE))
		die("create", tmp);
	struct tcmu_mailbox mb = {0};
	mb.version = version;
	mb.flags = TCMU_MAILBOX_FLAG_CAP_OOOC | TCMU_MAILBOX_FLAG_CAP_READ_LEN |
		   TCMU_MAILBOX_FLAG_CAP_TMR;
	mb.cmdr_off = 128;
	mb.cmdr_size = FIXTURE_RING_SIZE;
	if (pwrite(fd, &mb, sizeof(mb), 0) != (ssize_t)sizeof(mb))
		die("write", tmp);
	close(fd);
	if (rename(tmp, path))
		die("rename", path);
}

void fixture_add_uio(struct fixture *f, unsigned int minor, const char *name,
		     uint16_t mb_version)
{
	char path[1024], text[64];
	fixture_path(f, path, sizeof(path), "sys/class/uio/uio%u/name", minor);
	fixture_write(path, name);
	fixture_path(f, path, sizeof(path), "sys/class/uio/uio%u/maps/map0/size", minor);
	snprintf(text, sizeof(text), "0x%016x\n", FIXTURE_MAP_SIZE);
	fixture_write(path, text);
	fixture_path(f, path, sizeof(path), "dev/uio%u", minor);
	write_mailbox(path, mb_version);
}

void fixture_add_cfgfs_dev(struct fixture *f, unsigned int hba, const char *dev,
			   uint64_t size, unsigned int block_size, const char *serial)
{
	char path[1024], text[256];
	const char *base = "config/target/core";
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/attrib/dev_size", base, hba, dev);
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)size);
	fixture_write(path, text);
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/attrib/hw_block_size", base, hba, dev);
	snprintf(text, sizeof(text), "%u\n", block_size);
	fixture_write(path, text);
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/attrib/hw_max_sectors", base, hba, dev);
	fixture_write(path, "128\n");
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/attrib/emulate_write_cache", base, hba,
		     dev);
	fixture_write(path, "1\n");
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/attrib/nl_reply_supported", base, hba,
		     dev);
	fixture_write(path, "0\n");
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/wwn/vpd_unit_serial", base, hba, dev);
	snprintf(text, sizeof(text), "T10 VPD Unit Serial Number: %s\n", serial);
	fixture_write(path, text);
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/action/block_dev", base, hba, dev);
	fixture_write(path, "");
	fixture_path(f, path, sizeof(path), "%s/user_%u/%s/action/reset_ring", base, hba, dev);
	fixture_write(path, "");
}

int fixture_daemon_init(struct fixture *f, const char *handler_dir, struct tcmud_options *o,
			struct tcmud_daemon *d)
{
	char *argv[] = {"test", "--no-netlink", "--handler-dir", (char *)handler_dir,
			"--sysfs-root", f->sysfs, "--configfs-root", f->configfs,
			"--dev-root", f->dev, NULL};

	memcpy(f->argv, argv, sizeof(argv));
	if (tcmud_options_parse(o, 10, f->argv) != TCMUD_OPTIONS_RUN) {
		fprintf(stderr, "fixture: the options were refused\n");
		return -1;
	}
	if (tcmud_daemon_init(d, o)) {
		fprintf(stderr, "fixture: tcmud_daemon_init failed\n");
		return -1;
	}
	return 0;
}
