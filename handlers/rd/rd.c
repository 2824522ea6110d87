/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rd: a RAM disk handler, in the spirit of the kernel's target_core_rd.
 *
 * The device is a table of fixed-size chunks of anonymous memory, mapped at
 * open (and on growth) so the kernel supplies zero pages lazily; the I/O path
 * only copies between the chunks and the command's iovecs.
 *
 * cfgstring: "" or options "key=value" separated by ';'. Known keys:
 *   size=<n>[K|M|G|T]  bytes; optional, must equal the device size
 *                      (accepted for dev_config "rd/size=64M").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tcmud/handler.h"

#define RD_CHUNK_SHIFT 20
#define RD_CHUNK_SIZE ((size_t)1 << RD_CHUNK_SHIFT) /* 1 MiB */
/* 64 TiB: beyond what a 47/48-bit user address space can map anyway. */
#define RD_MAX_BYTES (1ULL << 46)

struct rd_dev {
	uint8_t **chunks;
	size_t nr_chunks;
	uint64_t size; /* bytes; chunk bytes past it are always zero */
};

struct rd_config {
	bool has_size;
	uint64_t size;
};

/* ---- cfgstring --------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Trim blanks (and a trailing newline from configfs) around [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t' || **s == '\n')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
			(*s)[*len - 1] == '\n'))
		(*len)--;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -1;
	}
}

/* "<digits>[K|M|G|T]" of exactly len bytes; false if malformed or too big. */
static bool parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	int shift = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return false;
	if (i + 1 == len)
		shift = suffix_shift(s[i++]);
	if (i != len || shift < 0 || v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

static int parse_option(const char *opt, size_t len, struct rd_config *cfg,
			char *why, size_t why_len)
{
	const char *eq;

	trim(&opt, &len);
	if (len == 0)
		return 0; /* empty option, e.g. a trailing ';' */
	eq = memchr(opt, '=', len);
	if (!eq || (size_t)(eq - opt) != 4 || strncmp(opt, "size", 4) != 0)
		return refuse(why, why_len, "unknown option \"%.*s\" (known: size=)",
			      (int)len, opt);
	if (!parse_size(eq + 1, len - 5, &cfg->size))
		return refuse(why, why_len, "invalid size in \"%.*s\" "
			      "(expected <bytes>[K|M|G|T])", (int)len, opt);
	if (cfg->size == 0)
		return refuse(why, why_len, "\"%.*s\": size must not be zero",
			      (int)len, opt);
	cfg->has_size = true;
	return 0;
}

static int rd_parse_config(const char *cfgstring, struct rd_config *cfg,
			   char *why, size_t why_len)
{
	const char *p = cfgstring ? cfgstring : "";
	int ret;

	*cfg = (struct rd_config){0};
	/* Tolerate the full dev_config form "rd/<options>". */
	if (strncmp(p, "rd/", 3) == 0)
		p += 3;
	for (;;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		ret = parse_option(p, len, cfg, why, why_len);
		if (ret || !end)
			return ret;
		p = end + 1;
	}
}

static int rd_check_config(const char *cfgstring, char *why, size_t why_len)
{
	struct rd_config cfg;

	return rd_parse_config(cfgstring, &cfg, why, why_len);
}

/* ---- storage ----------------------------------------------------------- */

static uint64_t chunks_for(uint64_t size)
{
	/* Rounded up without overflowing for sizes close to 2^64. */
	return (size >> RD_CHUNK_SHIFT) + ((size & (RD_CHUNK_SIZE - 1)) != 0);
}

static uint8_t *chunk_map(void)
{
	/* Not calloc: glibc may serve it from a reused heap and memset it,
	 * committing memory the device never touched. */
	void *p = mmap(NULL, RD_CHUNK_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void chunks_unmap(struct rd_dev *rd, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		munmap(rd->chunks[i], RD_CHUNK_SIZE);
}

static int rd_grow_table(struct rd_dev *rd, uint64_t want)
{
	uint8_t **table;
	size_t i;

	if (want > SIZE_MAX / sizeof(*table))
		return -ENOMEM;
	table = realloc(rd->chunks, want * sizeof(*table));
	if (!table)
		return -ENOMEM;
	rd->chunks = table;
	for (i = rd->nr_chunks; i < want; i++) {
		table[i] = chunk_map();
		if (!table[i]) {
			chunks_unmap(rd, rd->nr_chunks, i);
			return -ENOMEM;
		}
	}
	rd->nr_chunks = (size_t)want;
	return 0;
}

/* Zero the last chunk from byte off on, dropping whole pages back to the OS. */
static void chunk_zero_tail(uint8_t *chunk, size_t off)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t page_end = (off + page - 1) / page * page;

	if (page_end > RD_CHUNK_SIZE)
		page_end = RD_CHUNK_SIZE;
	memset(chunk + off, 0, page_end - off);
	if (page_end < RD_CHUNK_SIZE &&
	    madvise(chunk + page_end, RD_CHUNK_SIZE - page_end, MADV_DONTNEED) != 0)
		memset(chunk + page_end, 0, RD_CHUNK_SIZE - page_end);
}

static void rd_shrink(struct rd_dev *rd, uint64_t size)
{
	size_t want = (size_t)chunks_for(size); /* no more than we have */
	size_t tail = (size_t)(size & (RD_CHUNK_SIZE - 1));

	chunks_unmap(rd, want, rd->nr_chunks);
	rd->nr_chunks = want;
	/* Keep "bytes past the end are zero", so a later growth reads zeros. */
	if (tail)
		chunk_zero_tail(rd->chunks[want - 1], tail);
}

static int rd_resize(struct rd_dev *rd, uint64_t size)
{
	int ret = 0;

	if (size > RD_MAX_BYTES)
		return -ENOMEM;
	if (chunks_for(size) > rd->nr_chunks)
		ret = rd_grow_table(rd, chunks_for(size));
	else if (size < rd->size)
		rd_shrink(rd, size);
	if (ret == 0)
		rd->size = size;
	return ret;
}

static void rd_free(struct rd_dev *rd)
{
	chunks_unmap(rd, 0, rd->nr_chunks);
	free(rd->chunks);
	free(rd);
}

/* ---- device lifecycle -------------------------------------------------- */

/* The device size in bytes, or 0 if it is zero or does not fit 64 bits. */
static uint64_t dev_bytes(uint64_t num_lbas, uint32_t block_size)
{
	if (block_size == 0 || num_lbas > UINT64_MAX / block_size)
		return 0;
	return num_lbas * block_size;
}

static int check_cfg_size(const struct rd_config *cfg, uint64_t bytes,
			  uint32_t block_size, char *why, size_t why_len)
{
	if (!cfg->has_size)
		return 0;
	if (cfg->size % block_size)
		return refuse(why, why_len, "size=%" PRIu64 " is not a multiple "
			      "of the block size %" PRIu32, cfg->size, block_size);
	if (cfg->size != bytes)
		return refuse(why, why_len, "size=%" PRIu64 " in the cfgstring "
			      "does not match the device size %" PRIu64,
			      cfg->size, bytes);
	return 0;
}

static int rd_open(struct tcmud_hdev *dev, char *why, size_t why_len)
{
	uint64_t bytes = dev_bytes(dev->num_lbas, dev->block_size);
	struct rd_config cfg;
	struct rd_dev *rd;
	int ret = rd_parse_config(dev->cfgstring, &cfg, why, why_len);

	if (ret)
		return ret;
	if (bytes == 0)
		return refuse(why, why_len, "invalid device size (%" PRIu64
			      " blocks of %" PRIu32 " bytes)", dev->num_lbas,
			      dev->block_size);
	ret = check_cfg_size(&cfg, bytes, dev->block_size, why, why_len);
	if (ret)
		return ret;
	rd = calloc(1, sizeof(*rd));
	if (!rd || rd_resize(rd, bytes) != 0) {
		if (rd)
			rd_free(rd);
		refuse(why, why_len, "cannot allocate %" PRIu64 " bytes", bytes);
		return -ENOMEM;
	}
	dev->priv = rd;
	return 0;
}

static void rd_close(struct tcmud_hdev *dev, enum tcmud_close_reason reason)
{
	(void)reason;
	if (dev->priv)
		rd_free(dev->priv);
	dev->priv = NULL;
}

/* Validates everything before changing anything. */
static int rd_reconfig(struct tcmud_hdev *dev, const struct tcmud_reconfig *rc)
{
	struct rd_dev *rd = dev->priv;
	uint64_t bytes = rd->size;
	char why[256];
	struct rd_config cfg;

	if (rc->size_changed) {
		bytes = dev_bytes(rc->new_num_lbas, dev->block_size);
		if (bytes == 0) {
			tcmud_log(TCMUD_LOG_WARN, "%s: rd: refusing resize to %" PRIu64
				  " blocks", dev->name, rc->new_num_lbas);
			return -EINVAL;
		}
	}
	/* A size= option is checked when the cfgstring itself changes; a plain
	 * resize leaves the creation-time option behind, which is fine. */
	if (rc->cfgstring_changed &&
	    (rd_parse_config(rc->new_cfgstring, &cfg, why, sizeof(why)) ||
	     check_cfg_size(&cfg, bytes, dev->block_size, why, sizeof(why)))) {
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: %s", dev->name, why);
		return -EINVAL;
	}
	/* A write-cache change needs nothing: RAM has no cache to flush. */
	return rd_resize(rd, bytes);
}

/* ---- I/O --------------------------------------------------------------- */

/* Copy len bytes between the device at byte off and the iovecs. */
static void rd_copy(struct rd_dev *rd, uint64_t off, uint64_t len,
		    const struct iovec *iov, size_t cnt, bool to_dev)
{
	for (size_t i = 0; i < cnt && len; i++) {
		uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len < len ? iov[i].iov_len : (size_t)len;

		len -= left;
		while (left) {
			size_t coff = (size_t)(off & (RD_CHUNK_SIZE - 1));
			size_t n = RD_CHUNK_SIZE - coff < left ? RD_CHUNK_SIZE - coff : left;
			uint8_t *c = rd->chunks[off >> RD_CHUNK_SHIFT] + coff;

			memcpy(to_dev ? c : p, to_dev ? p : c, n);
			p += n;
			off += n;
			left -= n;
		}
	}
}

static int rd_io(struct tcmud_hdev *dev, struct tcmud_io *io, bool to_dev)
{
	struct rd_dev *rd = dev->priv;
	uint64_t blocks = rd->size / dev->block_size;

	/* The SCSI layer checked this against num_lbas; a resize may race it. */
	if (io->lba > blocks || io->nr_blocks > blocks - io->lba)
		return tcmud_cmd_check_condition(io->cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_LBA_OUT_OF_RANGE);
	rd_copy(rd, io->lba * dev->block_size, (uint64_t)io->nr_blocks * dev->block_size,
		io->iov, io->iov_cnt, to_dev);
	return TCMUD_STATUS_GOOD;
}

static int rd_read(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	return rd_io(dev, io, false);
}

static int rd_write(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	return rd_io(dev, io, true);
}

static int rd_flush(struct tcmud_hdev *dev, struct tcmud_cmd *cmd)
{
	return TCMUD_STATUS_GOOD; /* nothing is volatile beyond the RAM itself */
}

__attribute__((visibility("default")))
const struct tcmud_handler tcmud_handler = {
	.api_version = TCMUD_HANDLER_API_VERSION,
	.subtype = "rd",
	.cfg_desc = "RAM disk; options 'key=value' separated by ';': "
		    "size=<bytes>[K|M|G|T] (optional, must match the device size)",
	.check_config = rd_check_config,
	.open = rd_open,
	.close = rd_close,
	.reconfig = rd_reconfig,
	.read = rd_read,
	.write = rd_write,
	.flush = rd_flush,
};
