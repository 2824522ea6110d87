/* SPDX-License-Identifier: Apache-2.0 */
/* Finding, creating and checking an rd device's storage object (see rd_shm.h). */
#include "rd_shm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rd_config.h"
#include "tcmud/handler.h"

#define HASH_HEX 16
/* Encoded names longer than this are cut and followed by a hash. */
#define NAME_KEEP 150

uint64_t rd_fnv1a64(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

const char *rd_shm_dir(void)
{
	const char *dir = getenv(RD_SHM_DIR_ENV);

	return dir && dir[0] ? dir : RD_SHM_DEFAULT_DIR;
}

static const char *serial_of(const struct rd_identity *id)
{
	return id->unit_serial ? id->unit_serial : "";
}

static bool keep_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* The device name as it appears in the object name. */
static void encode_name(const char *name, char *buf, size_t len)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p && n < NAME_KEEP; p++) {
		if (keep_char(*p))
			n += (size_t)snprintf(buf + n, len - n, "%c", *p);
		else
			n += (size_t)snprintf(buf + n, len - n, "%%%02X", *p);
	}
	if (n >= NAME_KEEP)
		snprintf(buf + NAME_KEEP, len - NAME_KEEP, "~%016" PRIx64,
			 rd_fnv1a64(name, strlen(name)));
}

/* "tcmud-rd.<hba>.<name>." */
static void object_prefix(const struct rd_identity *id, char *buf, size_t len)
{
	char name[NAME_KEEP + 4 + HASH_HEX + 1];

	encode_name(id->name ? id->name : "", name, sizeof(name));
	snprintf(buf, len, RD_SHM_PREFIX "%u.%s.", id->hba, name);
}

void rd_shm_object_name(const struct rd_identity *id, char *buf, size_t len)
{
	const char *serial = serial_of(id);
	char prefix[NAME_MAX + 1];

	object_prefix(id, prefix, sizeof(prefix));
	/* The prefix is bounded (the name is cut at NAME_KEEP bytes), so a
	 * NAME_MAX buffer always holds the whole name; the check is for the
	 * compiler, which cannot see that bound. */
	int n = snprintf(buf, len, "%s%016" PRIx64, prefix, rd_fnv1a64(serial, strlen(serial)));
	if (n < 0 || (size_t)n >= len)
		tcmud_log(TCMUD_LOG_ERROR, "rd: storage object name truncated to %s", buf);
}

void rd_header_init(struct rd_header *h, const struct rd_identity *id, uint32_t block_size,
		    uint8_t pi_type, uint64_t size)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, RD_MAGIC, sizeof(h->magic));
	h->layout_version = RD_LAYOUT_VERSION;
	h->block_size = block_size;
	h->pi_type = pi_type;
	h->page_size = (uint32_t)RD_PAGE_SIZE;
	h->size = size;
	h->data_offset = RD_DATA_OFFSET;
	h->pi_offset = RD_PI_OFFSET;
	h->hba = id->hba;
	snprintf(h->unit_serial, sizeof(h->unit_serial), "%s", serial_of(id));
	snprintf(h->name, sizeof(h->name), "%s", id->name ? id->name : "");
}

int rd_object_write_header(const struct rd_object *o, const struct rd_header *h)
{
	ssize_t n = pwrite(o->fd, h, sizeof(*h), 0);

	if (n == (ssize_t)sizeof(*h))
		return 0;
	return n < 0 ? -errno : -EIO;
}

static bool is_hash(const char *s)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == HASH_HEX;
}

/* Delete objects of the same hba and name but another serial: the device was
 * deleted (while no daemon ran) and created again, so their data is not its. */
static void remove_stale(const char *dir, const struct rd_identity *id, const char *ours)
{
	char prefix[NAME_MAX + 1];
	struct dirent *e;
	size_t plen;
	DIR *d = opendir(dir);

	if (!d)
		return;
	object_prefix(id, prefix, sizeof(prefix));
	plen = strlen(prefix);
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (strncmp(e->d_name, prefix, plen) != 0 || !is_hash(e->d_name + plen) ||
		    strcmp(e->d_name, ours) == 0)
			continue;
		/* Only our own regular files; anything else is not ours to delete. */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			tcmud_log(TCMUD_LOG_WARN, "%s: rd: deleted %s/%s: it belonged to an "
				  "earlier device of the same name with another unit serial",
				  id->name, dir, e->d_name);
		else
			tcmud_log(TCMUD_LOG_WARN, "%s: rd: cannot delete stale %s/%s: %s",
				  id->name, dir, e->d_name, strerror(errno));
	}
	closedir(d);
}

/*
 * targetcli (rtslib) enables a device before it writes its unit serial, so
 * the device's object was made under the empty serial. Once the serial is
 * set (seen at the next open) that object is still this device's: rename it
 * to the name with the serial and record the serial in its header, so it is
 * neither lost nor deleted as stale.
 */
static void adopt_unserialed(const char *dir, const struct rd_identity *id, const char *ours)
{
	struct rd_identity bare = *id;
	char from[NAME_MAX + 1], serial[RD_SERIAL_LEN] = "";
	struct stat st;
	int dfd, fd;

	if (!serial_of(id)[0])
		return;
	bare.unit_serial = "";
	rd_shm_object_name(&bare, from, sizeof(from));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (fstatat(dfd, ours, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fstatat(dfd, from, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid())
		goto out;
	fd = openat(dfd, from, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	snprintf(serial, sizeof(serial), "%s", serial_of(id));
	if (pwrite(fd, serial, sizeof(serial), offsetof(struct rd_header, unit_serial)) ==
		    (ssize_t)sizeof(serial) &&
	    renameat(dfd, from, dfd, ours) == 0)
		tcmud_log(TCMUD_LOG_INFO, "%s: rd: %s/%s holds this device's blocks from before "
			  "its unit serial was set; now %s", id->name, dir, from, ours);
	else
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: cannot take over %s/%s as %s: %s", id->name,
			  dir, from, ours, strerror(errno));
	close(fd);
out:
	close(dfd);
}

static bool dir_usable(const char *dir, int *err)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		*err = errno;
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		*err = ENOTDIR;
		return false;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		*err = errno;
		return false;
	}
	return true;
}

static int open_memfd(struct rd_object *o, const struct rd_identity *id, char *why,
		      size_t why_len)
{
	char name[64];

	snprintf(name, sizeof(name), "tcmud-rd:%s", id->name ? id->name : "");
	o->fd = memfd_create(name, MFD_CLOEXEC);
	if (o->fd < 0) {
		int err = errno;

		rd_refuse(why, why_len, "cannot create a memfd: %s", strerror(err));
		return -err;
	}
	o->in_dir = false;
	o->created = true;
	o->path[0] = '\0';
	return 0;
}

/* Refuse to touch an object that does not agree with want; say how to discard it. */
static int check_header(const struct rd_object *o, const struct rd_header *want,
			char *why, size_t why_len)
{
	struct rd_header have;
	ssize_t n = pread(o->fd, &have, sizeof(have), 0);

	if (n < 0) {
		int err = errno;

		rd_refuse(why, why_len, "cannot read %s: %s", o->path, strerror(err));
		return -err;
	}
	if (n != (ssize_t)sizeof(have) || memcmp(have.magic, want->magic, sizeof(have.magic)) ||
	    have.layout_version != want->layout_version || have.page_size != want->page_size ||
	    have.data_offset != want->data_offset || have.pi_offset != want->pi_offset) {
		rd_refuse(why, why_len, "%s is not an rd object of layout version %u; refusing "
			  "to use it. To discard it, delete that file and enable the device "
			  "again", o->path, RD_LAYOUT_VERSION);
		return -EEXIST;
	}
	have.unit_serial[sizeof(have.unit_serial) - 1] = '\0';
	if (have.block_size != want->block_size || have.pi_type != want->pi_type ||
	    strcmp(have.unit_serial, want->unit_serial) != 0) {
		rd_refuse(why, why_len, "%s holds this device's blocks with block size %u and "
			  "pi type %u, but the device now has block size %u and pi type %u; "
			  "refusing to open it so that the data is kept. To discard the data, "
			  "delete that file and enable the device again", o->path,
			  have.block_size, have.pi_type, want->block_size, want->pi_type);
		return -EEXIST;
	}
	return 0;
}

static int open_in_dir(struct rd_object *o, const char *dir, const char *file,
		       const struct rd_header *want, char *why, size_t why_len)
{
	struct stat st;
	int ret;

	if ((size_t)snprintf(o->path, sizeof(o->path), "%s/%s", dir, file) >= sizeof(o->path))
		return rd_refuse(why, why_len, "the path %s/%s is too long", dir, file);
	/* O_NOFOLLOW and the owner check: the directory is world-writable. */
	o->fd = open(o->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (o->fd < 0) {
		int err = errno;

		rd_refuse(why, why_len, "cannot open %s: %s", o->path, strerror(err));
		return -err;
	}
	o->in_dir = true;
	if (fstat(o->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		rd_refuse(why, why_len, "%s is not a regular file of this user; refusing to "
			  "use it", o->path);
		ret = -EPERM;
	} else if (st.st_size == 0) {
		o->created = true;
		ret = rd_object_write_header(o, want);
		if (ret)
			rd_refuse(why, why_len, "cannot write %s: %s", o->path, strerror(-ret));
	} else {
		o->created = false;
		ret = check_header(o, want, why, why_len);
	}
	if (ret) {
		close(o->fd);
		o->fd = -1;
	}
	return ret;
}

int rd_object_open(struct rd_object *o, const struct rd_identity *id,
		   const struct rd_header *want, bool persist, char *why, size_t why_len)
{
	const char *dir = rd_shm_dir();
	char file[NAME_MAX + 1];
	int err, ret;

	*o = (struct rd_object){.fd = -1};
	if (!persist)
		ret = open_memfd(o, id, why, why_len);
	else if (!dir_usable(dir, &err)) {
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: %s is not usable (%s); keeping the blocks in "
			  "process memory: they will not survive a restart", id->name, dir,
			  strerror(err));
		ret = open_memfd(o, id, why, why_len);
	} else {
		rd_shm_object_name(id, file, sizeof(file));
		adopt_unserialed(dir, id, file);
		remove_stale(dir, id, file);
		return open_in_dir(o, dir, file, want, why, why_len);
	}
	if (ret == 0 && (ret = rd_object_write_header(o, want)) != 0) {
		rd_refuse(why, why_len, "cannot write to a memfd: %s", strerror(-ret));
		rd_object_close(o, false);
	}
	return ret;
}

void rd_object_close(struct rd_object *o, bool remove)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (remove && o->in_dir && unlink(o->path) != 0 && errno != ENOENT)
		tcmud_log(TCMUD_LOG_WARN, "rd: cannot delete %s: %s", o->path, strerror(errno));
}
