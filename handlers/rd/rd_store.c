/* SPDX-License-Identifier: Apache-2.0 */
/* Opening, resizing and closing an rd store (see rd_store.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rd_config.h"
#include "rd_mem.h"
#include "rd_store_internal.h"

uint64_t rd_store_mem_used(void)
{
	return rd_mem_used();
}

uint64_t rd_store_mem_limit(void)
{
	return rd_mem_limit();
}

void rd_store_set_mem_limit(uint64_t bytes)
{
	rd_mem_set_limit(bytes);
}

uint64_t rd_store_num_lbas(const struct rd_store *s)
{
	return s->num_lbas;
}

uint64_t rd_store_bytes(const struct rd_store *s)
{
	return rd_region_bytes(&s->data) + rd_region_bytes(&s->pi);
}

const char *rd_store_path(const struct rd_store *s)
{
	return s->obj.path;
}

static const char *where(const struct rd_store *s)
{
	return s->obj.in_dir ? s->obj.path : "a memfd (not persistent)";
}

static uint64_t pi_len(const struct rd_store *s, uint64_t num_lbas)
{
	return s->pi_type ? num_lbas * RD_PI_TUPLE_SIZE : 0;
}

/* The end of the last region in use, whole pages. */
static uint64_t file_size(const struct rd_store *s, uint64_t num_lbas)
{
	if (s->pi_type)
		return RD_PI_OFFSET + (rd_pages_for(pi_len(s, num_lbas)) << RD_PAGE_SHIFT);
	return RD_DATA_OFFSET + (rd_pages_for(num_lbas * s->block_size) << RD_PAGE_SHIFT);
}

/* Map len bytes of the region (whole pages); a smaller size keeps the
 * mapping it has. 0 or -errno. */
static int region_map(const struct rd_store *s, struct rd_region *r, uint64_t len)
{
	size_t want = (size_t)(rd_pages_for(len) << RD_PAGE_SHIFT);
	void *p;

	if (want <= r->map_len)
		return 0;
	p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_SHARED, s->obj.fd,
		 (off_t)r->file_offset);
	if (p == MAP_FAILED)
		return -errno;
	/* A core dump would read (and so allocate) every hole of the device. */
	madvise(p, want, MADV_DONTDUMP);
	if (r->map)
		munmap(r->map, r->map_len);
	r->map = p;
	r->map_len = want;
	return 0;
}

static void region_unmap(struct rd_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	r->map = NULL;
	r->map_len = 0;
}

/* Mark the pages of [start, end) of the object that hold data, from the file
 * system's own map of the sparse file. */
static int region_scan(struct rd_store *s, struct rd_region *r)
{
	off_t start = (off_t)r->file_offset;
	off_t end = start + (off_t)(rd_pages_for(r->len) << RD_PAGE_SHIFT);

	for (off_t pos = start; pos < end;) {
		off_t data = lseek(s->obj.fd, pos, SEEK_DATA), hole;
		uint64_t first, last;

		if (data < 0 || data >= end)
			break; /* ENXIO: no data after pos */
		hole = lseek(s->obj.fd, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		first = (uint64_t)(data - start) >> RD_PAGE_SHIFT;
		last = rd_pages_for((uint64_t)(hole - start));
		if (rd_pagemap_prepare(&r->pages, first, last - first))
			return -ENOMEM;
		rd_pagemap_set(&r->pages, first, last - first);
		pos = hole;
	}
	return 0;
}

static int region_init(struct rd_region *r, uint64_t file_offset, uint64_t len,
		       uint8_t hole_byte)
{
	*r = (struct rd_region){.file_offset = file_offset, .len = len, .hole_byte = hole_byte};
	return rd_pagemap_init(&r->pages, rd_pages_for(len));
}

static void store_free(struct rd_store *s)
{
	region_unmap(&s->data);
	region_unmap(&s->pi);
	rd_pagemap_fini(&s->data.pages);
	rd_pagemap_fini(&s->pi.pages);
	free(s->name);
	free(s);
}

/* Whatever an object from a bigger device holds past the current end goes:
 * data pages after the data region, PI pages after the PI region (truncated
 * away), bytes after the end in the last page of each. */
static void trim_beyond_end(struct rd_store *s)
{
	uint64_t data_end = RD_DATA_OFFSET + (rd_pages_for(s->data.len) << RD_PAGE_SHIFT);

	fallocate(s->obj.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)data_end,
		  (off_t)(RD_PI_OFFSET - data_end));
	rd_region_deallocate(s, &s->data, s->data.len,
			     (rd_pages_for(s->data.len) << RD_PAGE_SHIFT) - s->data.len);
	rd_region_deallocate(s, &s->pi, s->pi.len,
			     (rd_pages_for(s->pi.len) << RD_PAGE_SHIFT) - s->pi.len);
}

static int store_setup(struct rd_store *s, char *why, size_t why_len)
{
	int ret;

	if (ftruncate(s->obj.fd, (off_t)file_size(s, s->num_lbas)) != 0) {
		ret = -errno;
		rd_refuse(why, why_len, "cannot size %s to %" PRIu64 " bytes: %s%s", where(s),
			  file_size(s, s->num_lbas), strerror(-ret), ret == -EFBIG ?
			  " (keep the rd storage on tmpfs)" : "");
		return ret;
	}
	ret = region_map(s, &s->data, s->data.len);
	if (ret == 0)
		ret = region_map(s, &s->pi, s->pi.len);
	if (ret) {
		char size[32];

		rd_refuse(why, why_len, "cannot allocate %" PRIu64 " bytes: mapping %s of %s "
			  "failed: %s", s->data.len, rd_fmt_bytes(size, sizeof(size), s->data.len),
			  where(s), strerror(-ret));
		return -ENOMEM;
	}
	if (!s->obj.created) {
		ret = region_scan(s, &s->data);
		if (ret == 0)
			ret = region_scan(s, &s->pi);
		if (ret) {
			rd_refuse(why, why_len, "out of memory reading %s", where(s));
			return ret;
		}
		trim_beyond_end(s);
	}
	if (s->header.size != s->data.len)
		rd_object_write_header(&s->obj, &s->header);
	return 0;
}

static int check_params(const struct rd_store_params *p, uint64_t *bytes, char *why,
			size_t why_len)
{
	uint32_t bs = p->block_size;

	if (!rd_block_size_ok(bs))
		return rd_refuse(why, why_len, "block size %" PRIu32 " is not supported "
				 "(a power of two from %u to %u)", bs, RD_MIN_BLOCK_SIZE,
				 RD_MAX_BLOCK_SIZE);
	if (p->num_lbas == 0 || p->num_lbas > UINT64_MAX / bs)
		return rd_refuse(why, why_len, "invalid device size (%" PRIu64 " blocks of %"
				 PRIu32 " bytes)", p->num_lbas, bs);
	*bytes = p->num_lbas * bs;
	if (*bytes > RD_MAX_BYTES) {
		rd_refuse(why, why_len, "cannot allocate %" PRIu64 " bytes: rd devices hold "
			  "at most %" PRIu64 " bytes", *bytes, RD_MAX_BYTES);
		return -ENOMEM;
	}
	return 0;
}

static void log_open(const struct rd_store *s)
{
	char mine[32], all[32], limit[32];

	tcmud_log(TCMUD_LOG_INFO, "%s: rd: %s %s: %" PRIu64 " blocks of %" PRIu32 " bytes, "
		  "pi type %u, %s in use; all rd devices %s (mem_limit %s)", s->name,
		  s->obj.created ? "new storage in" : "kept storage in", where(s), s->num_lbas,
		  s->block_size, s->pi_type, rd_fmt_bytes(mine, sizeof(mine), rd_store_bytes(s)),
		  rd_fmt_bytes(all, sizeof(all), rd_mem_used()),
		  rd_mem_limit() ? rd_fmt_bytes(limit, sizeof(limit), rd_mem_limit()) : "none");
}

int rd_store_open(struct rd_store **out, const struct rd_store_params *p, char *why,
		  size_t why_len)
{
	struct rd_identity id = {p->hba, p->name ? p->name : "", p->unit_serial};
	struct rd_store *s;
	uint64_t bytes = 0;
	int ret = check_params(p, &bytes, why, why_len);

	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(id.name))) {
		free(s);
		rd_refuse(why, why_len, "out of memory");
		return -ENOMEM;
	}
	s->block_size = p->block_size;
	s->pi_type = p->pi_type;
	s->num_lbas = p->num_lbas;
	s->obj.fd = -1;
	if (region_init(&s->data, RD_DATA_OFFSET, bytes, 0x00) ||
	    region_init(&s->pi, RD_PI_OFFSET, pi_len(s, s->num_lbas), 0xff)) {
		store_free(s);
		rd_refuse(why, why_len, "out of memory");
		return -ENOMEM;
	}
	rd_header_init(&s->header, &id, s->block_size, s->pi_type, bytes);
	ret = rd_object_open(&s->obj, &id, &s->header, p->persist, why, why_len);
	if (ret) {
		store_free(s);
		return ret;
	}
	if (s->obj.created && rd_mem_full()) {
		char used[32];

		rd_refuse(why, why_len, "rd memory in use (%s) has reached mem_limit; a new "
			  "device is refused", rd_fmt_bytes(used, sizeof(used), rd_mem_used()));
		ret = -ENOSPC;
	} else {
		ret = store_setup(s, why, why_len);
	}
	if (ret) {
		region_unmap(&s->data);
		region_unmap(&s->pi);
		rd_object_close(&s->obj, s->obj.created);
		store_free(s);
		return ret;
	}
	rd_mem_add(rd_store_bytes(s));
	log_open(s);
	*out = s;
	return 0;
}

void rd_store_close(struct rd_store *s, enum tcmud_close_reason reason)
{
	uint64_t held = rd_store_bytes(s);
	/* A device that failed to come up leaves nothing new behind. */
	bool remove = reason == TCMUD_CLOSE_REMOVED ||
		      (reason == TCMUD_CLOSE_FAILED && s->obj.created && held == 0);
	char size[32], all[32];

	region_unmap(&s->data);
	region_unmap(&s->pi);
	rd_object_close(&s->obj, remove);
	rd_mem_release(held);
	rd_fmt_bytes(size, sizeof(size), held);
	rd_fmt_bytes(all, sizeof(all), rd_mem_used());
	if (!s->obj.in_dir)
		tcmud_log(TCMUD_LOG_INFO, "%s: rd: closed; freed %s (all rd devices now %s)",
			  s->name, size, all);
	else if (remove)
		tcmud_log(TCMUD_LOG_INFO, "%s: rd: %s; deleted %s and freed %s (all rd "
			  "devices now %s)", s->name, reason == TCMUD_CLOSE_REMOVED ?
			  "removed" : "failed to come up", s->obj.path, size, all);
	else
		tcmud_log(TCMUD_LOG_INFO, "%s: rd: closed; %s stay in %s (all rd devices now %s)",
			  s->name, size, s->obj.path, all);
	store_free(s);
}

/* Grow: file, pagemaps and mappings first, so a failure changes nothing. */
static int grow(struct rd_store *s, uint64_t num_lbas, uint64_t bytes)
{
	uint64_t old_pages = s->data.pages.nr_pages, old_pi_pages = s->pi.pages.nr_pages;
	int ret = rd_pagemap_resize(&s->data.pages, rd_pages_for(bytes));

	if (ret == 0)
		ret = rd_pagemap_resize(&s->pi.pages, rd_pages_for(pi_len(s, num_lbas)));
	if (ret == 0 && ftruncate(s->obj.fd, (off_t)file_size(s, num_lbas)) != 0)
		ret = -errno;
	if (ret == 0)
		ret = region_map(s, &s->data, bytes);
	if (ret == 0)
		ret = region_map(s, &s->pi, pi_len(s, num_lbas));
	if (ret) {
		/* A bigger file or mapping is harmless; the pagemaps were only grown. */
		rd_pagemap_resize(&s->data.pages, old_pages);
		rd_pagemap_resize(&s->pi.pages, old_pi_pages);
		return ret == -ENOMEM || ret == -EFBIG ? -ENOMEM : ret;
	}
	return 0;
}

/* Shrink: give back everything past the new end; the mappings stay. */
static void shrink(struct rd_store *s, uint64_t num_lbas, uint64_t bytes)
{
	uint64_t freed;

	freed = rd_region_deallocate(s, &s->data, bytes, s->data.map_len - bytes);
	freed += rd_region_deallocate(s, &s->pi, pi_len(s, num_lbas),
				      s->pi.map_len - pi_len(s, num_lbas));
	rd_pagemap_resize(&s->data.pages, rd_pages_for(bytes));
	rd_pagemap_resize(&s->pi.pages, rd_pages_for(pi_len(s, num_lbas)));
	ftruncate(s->obj.fd, (off_t)file_size(s, num_lbas));
	rd_mem_release(freed);
}

int rd_store_resize(struct rd_store *s, uint64_t num_lbas)
{
	uint64_t bytes;
	int ret;

	if (num_lbas == 0 || num_lbas > UINT64_MAX / s->block_size)
		return -EINVAL;
	bytes = num_lbas * s->block_size;
	if (bytes > RD_MAX_BYTES)
		return -ENOMEM;
	if (num_lbas > s->num_lbas) {
		ret = grow(s, num_lbas, bytes);
		if (ret)
			return ret;
	} else if (num_lbas < s->num_lbas) {
		shrink(s, num_lbas, bytes);
	}
	s->num_lbas = num_lbas;
	s->data.len = bytes;
	s->pi.len = pi_len(s, num_lbas);
	s->header.size = bytes;
	if (rd_object_write_header(&s->obj, &s->header) != 0)
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: cannot record the new size in %s",
			  s->name, where(s));
	return 0;
}
