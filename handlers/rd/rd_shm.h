/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The object that holds an rd device's blocks: a file in the shm directory
 * (/dev/shm, or $TCMUD_RD_SHM_DIR), named from the device's identity so that
 * it is found again after a restart:
 *
 *     tcmud-rd.<hba>.<name>.<16 hex digits: FNV-1a 64 of the unit serial>
 *
 * <name> keeps [A-Za-z0-9._-] and writes any other byte as %XX; a very long
 * name is cut and followed by '~' and the FNV-1a 64 of the whole name.
 * Without a usable directory, or with persist=0, the object is a memfd that
 * lives as long as the device is open.
 */
#ifndef TCMUD_RD_SHM_H
#define TCMUD_RD_SHM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rd_layout.h"

#define RD_SHM_DEFAULT_DIR "/dev/shm"
#define RD_SHM_DIR_ENV "TCMUD_RD_SHM_DIR"
#define RD_SHM_PREFIX "tcmud-rd."

struct rd_identity {
	unsigned int hba;
	const char *name;
	const char *unit_serial;        /* NULL is the same as "" */
};

struct rd_object {
	int fd;
	bool in_dir;                    /* a file at path, not a memfd */
	bool created;                   /* new (or empty) when opened */
	char path[PATH_MAX];            /* "" for a memfd */
};

uint64_t rd_fnv1a64(const void *data, size_t len);

/* The shm directory: $TCMUD_RD_SHM_DIR, or /dev/shm. */
const char *rd_shm_dir(void);

/* The object's file name for id (no directory). */
void rd_shm_object_name(const struct rd_identity *id, char *buf, size_t len);

/*
 * Open the object of a device whose header would be want (block size, PI
 * type, identity). An existing object must agree with want, else -EEXIST and
 * nothing is touched; a new one gets want as its header. With persist, stale
 * objects of the same hba and name (another serial: a device that was
 * deleted and created again) are deleted first. 0 or -errno with why.
 */
int rd_object_open(struct rd_object *o, const struct rd_identity *id,
		   const struct rd_header *want, bool persist, char *why, size_t why_len);

/* Rewrite the header (after a resize). 0 or -errno. */
int rd_object_write_header(const struct rd_object *o, const struct rd_header *h);

/* Close; with remove, delete the file too. */
void rd_object_close(struct rd_object *o, bool remove);

/* A header for a device. */
void rd_header_init(struct rd_header *h, const struct rd_identity *id, uint32_t block_size,
		    uint8_t pi_type, uint64_t size);

#endif
