/* SPDX-License-Identifier: Apache-2.0 */
#include "configfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tcmud_read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

int tcmud_read_u64(const char *path, uint64_t *value)
{
	char buf[64], *end;
	int rc = tcmud_read_text(path, buf, sizeof(buf));
	if (rc)
		return rc;
	if (!isdigit((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 0);
	if (errno || *end != '\0')
		return -EINVAL;
	*value = v;
	return 0;
}

int tcmud_write_text(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

int tcmud_cfgfs_dev_path(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			 const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/target/core/user_%u/%s/%s", p->configfs, hba, dev, rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int dev_read_u64(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			const char *rel, uint64_t *v)
{
	char path[1024];
	int rc = tcmud_cfgfs_dev_path(p, hba, dev, rel, path, sizeof(path));
	return rc ? rc : tcmud_read_u64(path, v);
}

/* The kernel's info file says "... Size: <bytes> ..."; used when attrib/dev_size is absent. */
static int dev_size_from_info(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			      uint64_t *v)
{
	char path[1024], info[1024];
	int rc = tcmud_cfgfs_dev_path(p, hba, dev, "info", path, sizeof(path));
	if (rc || (rc = tcmud_read_text(path, info, sizeof(info))))
		return rc;
	const char *s = strstr(info, "Size: ");
	if (!s || !isdigit((unsigned char)s[6]))
		return -EINVAL;
	*v = strtoull(s + 6, NULL, 10);
	return 0;
}

/* wwn/vpd_unit_serial reads "T10 VPD Unit Serial Number: <serial>". */
void tcmud_cfgfs_dev_unit_serial(const struct tcmud_paths *p, unsigned int hba, const char *dev,
				 char *serial, size_t len)
{
	char path[1024], text[512];
	serial[0] = '\0';
	if (tcmud_cfgfs_dev_path(p, hba, dev, "wwn/vpd_unit_serial", path, sizeof(path)) ||
	    tcmud_read_text(path, text, sizeof(text)))
		return;
	const char *colon = strrchr(text, ':');
	const char *s = colon ? colon + 1 : text;
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	if (n >= len)
		n = len - 1; /* longer than any T10 serial: keep what fits */
	memcpy(serial, s, n);
	serial[n] = '\0';
}

int tcmud_cfgfs_dev_facts(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			  struct tcmud_dev_facts *f, char *why, size_t why_len)
{
	uint64_t v;
	memset(f, 0, sizeof(*f));
	if (dev_read_u64(p, hba, dev, "attrib/dev_size", &f->dev_size) &&
	    dev_size_from_info(p, hba, dev, &f->dev_size)) {
		snprintf(why, why_len, "cannot read the device size from configfs");
		return -ENOENT;
	}
	if (dev_read_u64(p, hba, dev, "attrib/hw_block_size", &v) || v < 512 || v > 65536 ||
	    (v & (v - 1))) {
		snprintf(why, why_len, "missing or invalid attrib/hw_block_size");
		return -EINVAL;
	}
	f->block_size = (uint32_t)v;
	f->max_sectors = dev_read_u64(p, hba, dev, "attrib/hw_max_sectors", &v) || !v ||
				 v > UINT32_MAX ? 128 : (uint32_t)v;
	f->write_cache = !dev_read_u64(p, hba, dev, "attrib/emulate_write_cache", &v) && v;
	f->nl_reply_supported = tcmud_cfgfs_dev_nl_reply(p, hba, dev);
	tcmud_cfgfs_dev_unit_serial(p, hba, dev, f->unit_serial, sizeof(f->unit_serial));
	return 0;
}

int tcmud_cfgfs_dev_nl_reply(const struct tcmud_paths *p, unsigned int hba, const char *dev)
{
	char path[1024], text[32], *end;
	if (tcmud_cfgfs_dev_path(p, hba, dev, "attrib/nl_reply_supported", path, sizeof(path)) ||
	    tcmud_read_text(path, text, sizeof(text)))
		return TCMUD_NL_REPLY_UNKNOWN;
	long v = strtol(text, &end, 10);
	return end == text || *end || v < INT_MIN + 1 || v > INT_MAX ? TCMUD_NL_REPLY_UNKNOWN
								     : (int)v;
}

int tcmud_cfgfs_dev_action(const struct tcmud_paths *p, unsigned int hba, const char *dev,
			   const char *action, const char *value)
{
	char path[1024], rel[128];
	snprintf(rel, sizeof(rel), "action/%s", action);
	int rc = tcmud_cfgfs_dev_path(p, hba, dev, rel, path, sizeof(path));
	return rc ? rc : tcmud_write_text(path, value);
}
