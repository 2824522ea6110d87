/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rd: a RAM disk handler, in the spirit of the kernel's target_core_rd.
 *
 * Blocks live in pages that are allocated on first write (rd_store.c), in a
 * shared-memory object that survives a restart of the daemon (rd_shm.c).
 * nullio=1 stores nothing, like the kernel's rd_nullio. This file turns the
 * handler operations into store calls and store errors into SCSI status.
 * The cfgstring is described in rd_config.h, the storage layout in
 * rd_layout.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rd_config.h"
#include "rd_layout.h"
#include "rd_mem.h"
#include "rd_store.h"
#include "tcmud/handler.h"

struct rd_dev {
	struct rd_config cfg;
	struct rd_store *store;         /* NULL with nullio */
	uint64_t num_lbas;
};

/* ---- daemon-wide settings and configuration ---------------------------- */

static int rd_configure(const char *key, const char *value, char *why, size_t why_len)
{
	uint64_t limit;
	char text[32];

	if (strcmp(key, "defaults") == 0) {
		int ret = rd_config_set_defaults(value, why, why_len);

		if (ret == 0)
			tcmud_log(TCMUD_LOG_INFO, "rd: device defaults \"%s\"", value);
		return ret;
	}
	if (strcmp(key, "mem_limit") != 0)
		return rd_refuse(why, why_len, "unknown setting \"%s\" (known: mem_limit, defaults)",
				 key);
	if (!rd_parse_size(value, strlen(value), &limit))
		return rd_refuse(why, why_len, "invalid mem_limit \"%s\" (expected "
				 "<bytes>[K|M|G|T], 0 for no limit)", value);
	rd_store_set_mem_limit(limit);
	tcmud_log(TCMUD_LOG_INFO, "rd: mem_limit %s", limit ?
		  rd_fmt_bytes(text, sizeof(text), limit) : "none");
	return 0;
}

static int rd_check_config(const char *cfgstring, char *why, size_t why_len)
{
	struct rd_config cfg;

	return rd_config_parse(cfgstring, &cfg, why, why_len);
}

/* A size= option must agree with the device. */
static int check_cfg_size(const struct rd_config *cfg, uint64_t num_lbas, uint32_t block_size,
			  char *why, size_t why_len)
{
	if (!cfg->has_size)
		return 0;
	if (cfg->size % block_size)
		return rd_refuse(why, why_len, "size=%" PRIu64 " is not a multiple of the "
				 "block size %" PRIu32, cfg->size, block_size);
	if (num_lbas > UINT64_MAX / block_size || cfg->size != num_lbas * block_size)
		return rd_refuse(why, why_len, "size=%" PRIu64 " in the cfgstring does not "
				 "match the device size %" PRIu64 " (%" PRIu64 " blocks of %"
				 PRIu32 " bytes)", cfg->size, num_lbas * block_size, num_lbas,
				 block_size);
	return 0;
}

/* ---- device lifecycle -------------------------------------------------- */

static int open_storage(struct tcmud_hdev *dev, struct rd_dev *rd, char *why, size_t why_len)
{
	struct rd_store_params p = {
		.name = dev->name, .hba = dev->hba, .unit_serial = dev->unit_serial,
		.block_size = dev->block_size, .num_lbas = dev->num_lbas,
		.pi_type = rd->cfg.pi_type, .persist = rd->cfg.persist,
	};

	return rd_store_open(&rd->store, &p, why, why_len);
}

static int rd_open(struct tcmud_hdev *dev, char *why, size_t why_len)
{
	struct rd_dev *rd = calloc(1, sizeof(*rd));
	uint32_t bs = dev->block_size;
	int ret;

	if (!rd) {
		rd_refuse(why, why_len, "out of memory");
		return -ENOMEM;
	}
	ret = rd_config_parse(dev->cfgstring, &rd->cfg, why, why_len);
	if (ret == 0 && !rd_block_size_ok(bs))
		ret = rd_refuse(why, why_len, "block size %" PRIu32 " is not supported (a power "
				"of two from %u to %u)", bs, RD_MIN_BLOCK_SIZE, RD_MAX_BLOCK_SIZE);
	if (ret == 0 && (dev->num_lbas == 0 || dev->num_lbas > UINT64_MAX / bs))
		ret = rd_refuse(why, why_len, "invalid device size (%" PRIu64 " blocks of %"
				PRIu32 " bytes)", dev->num_lbas, bs);
	if (ret == 0)
		ret = check_cfg_size(&rd->cfg, dev->num_lbas, bs, why, why_len);
	if (ret == 0 && !rd->cfg.nullio)
		ret = open_storage(dev, rd, why, why_len);
	if (ret) {
		free(rd);
		return ret;
	}
	rd->num_lbas = dev->num_lbas;
	dev->pi_type = rd->cfg.pi_type;
	dev->read_only = rd->cfg.read_only;
	dev->unmap_zeroes = true;
	dev->unmap_granularity = bs < RD_PAGE_SIZE ? (uint32_t)(RD_PAGE_SIZE / bs) : 1;
	dev->priv = rd;
	if (rd->cfg.nullio)
		tcmud_log(TCMUD_LOG_INFO, "%s: rd: nullio: writes are discarded, reads "
			  "return zeros", dev->name);
	return 0;
}

static void rd_close(struct tcmud_hdev *dev, enum tcmud_close_reason reason)
{
	struct rd_dev *rd = dev->priv;

	if (!rd)
		return;
	if (rd->store)
		rd_store_close(rd->store, reason);
	free(rd);
	dev->priv = NULL;
}

static uint64_t rd_dev_mem_used(const struct tcmud_hdev *dev)
{
	const struct rd_dev *rd = dev->priv;

	return rd && rd->store ? rd_store_bytes(rd->store) : 0;
}

/* What a live device cannot change. */
static int check_live_change(const struct rd_config *old, const struct rd_config *cfg,
			     char *why, size_t why_len)
{
	if (cfg->pi_type != old->pi_type)
		return rd_refuse(why, why_len, "pi=%u cannot change to pi=%u on a live device",
				 old->pi_type, cfg->pi_type);
	if (cfg->nullio != old->nullio)
		return rd_refuse(why, why_len, "nullio cannot change on a live device");
	if (cfg->persist != old->persist)
		return rd_refuse(why, why_len, "persist cannot change on a live device");
	return 0;
}

/* Validates everything before changing anything. */
static int rd_reconfig(struct tcmud_hdev *dev, const struct tcmud_reconfig *rc)
{
	struct rd_dev *rd = dev->priv;
	uint64_t num_lbas = rc->size_changed ? rc->new_num_lbas : rd->num_lbas;
	struct rd_config cfg = rd->cfg;
	char why[256];
	int ret = 0;

	if (num_lbas == 0 || num_lbas > UINT64_MAX / dev->block_size) {
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: refusing resize to %" PRIu64 " blocks",
			  dev->name, num_lbas);
		return -EINVAL;
	}
	/* A size= option is checked when the cfgstring itself changes; a plain
	 * resize leaves the creation-time option behind, which is fine. */
	if (rc->cfgstring_changed &&
	    (rd_config_parse(rc->new_cfgstring, &cfg, why, sizeof(why)) ||
	     check_live_change(&rd->cfg, &cfg, why, sizeof(why)) ||
	     check_cfg_size(&cfg, num_lbas, dev->block_size, why, sizeof(why)))) {
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: %s", dev->name, why);
		return -EINVAL;
	}
	if (rd->store && num_lbas != rd->num_lbas)
		ret = rd_store_resize(rd->store, num_lbas);
	if (ret) {
		tcmud_log(TCMUD_LOG_WARN, "%s: rd: cannot resize to %" PRIu64 " blocks: %s",
			  dev->name, num_lbas, strerror(-ret));
		return ret;
	}
	rd->num_lbas = num_lbas;
	rd->cfg = cfg;
	dev->read_only = cfg.read_only;
	/* A write-cache change needs nothing: RAM has no cache to flush. */
	return 0;
}

/* ---- I/O --------------------------------------------------------------- */

/* The SCSI layer checked the range against num_lbas; a resize may race it. */
static bool in_range(const struct rd_dev *rd, uint64_t lba, uint64_t nr_blocks)
{
	return lba <= rd->num_lbas && nr_blocks <= rd->num_lbas - lba;
}

static int out_of_range(struct tcmud_cmd *cmd)
{
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_LBA_OUT_OF_RANGE);
}

static void fill_iov(const struct iovec *iov, size_t cnt, int byte)
{
	for (size_t i = 0; i < cnt; i++)
		memset(iov[i].iov_base, byte, iov[i].iov_len);
}

static int rd_read(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	struct rd_dev *rd = dev->priv;
	uint8_t *pi = dev->pi_type ? io->pi : NULL;

	if (!in_range(rd, io->lba, io->nr_blocks))
		return out_of_range(io->cmd);
	if (rd->store) {
		rd_store_read(rd->store, io->lba, io->nr_blocks, io->iov, io->iov_cnt, pi);
		return TCMUD_STATUS_GOOD;
	}
	fill_iov(io->iov, io->iov_cnt, 0);
	if (pi)
		memset(pi, 0xff, (size_t)io->nr_blocks * TCMUD_PI_TUPLE_SIZE);
	return TCMUD_STATUS_GOOD;
}

static int rd_write(struct tcmud_hdev *dev, struct tcmud_io *io)
{
	struct rd_dev *rd = dev->priv;
	int ret;

	if (!in_range(rd, io->lba, io->nr_blocks))
		return out_of_range(io->cmd);
	if (rd->cfg.read_only)
		return tcmud_cmd_check_condition(io->cmd, TCMUD_SK_DATA_PROTECT,
						 TCMUD_ASC_WRITE_PROTECTED);
	if (!rd->store)
		return TCMUD_STATUS_GOOD; /* nullio */
	ret = rd_store_write(rd->store, io->lba, io->nr_blocks, io->iov, io->iov_cnt,
			     dev->pi_type ? io->pi : NULL);
	if (ret)
		/* Memory ceiling, full tmpfs, no memory: the thin-provisioning answer. */
		return tcmud_cmd_check_condition(io->cmd, TCMUD_SK_DATA_PROTECT,
						 TCMUD_ASC_SPACE_ALLOC_FAILED_WRITE_PROTECT);
	return TCMUD_STATUS_GOOD;
}

static int rd_flush(struct tcmud_hdev *dev, struct tcmud_cmd *cmd)
{
	return TCMUD_STATUS_GOOD; /* nothing is volatile beyond the RAM itself */
}

static int rd_unmap(struct tcmud_hdev *dev, struct tcmud_cmd *cmd, uint64_t lba,
		    uint64_t nr_blocks)
{
	struct rd_dev *rd = dev->priv;

	if (!in_range(rd, lba, nr_blocks))
		return out_of_range(cmd);
	if (rd->cfg.read_only)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_DATA_PROTECT,
						 TCMUD_ASC_WRITE_PROTECTED);
	if (rd->store && nr_blocks)
		rd_store_unmap(rd->store, lba, nr_blocks);
	return TCMUD_STATUS_GOOD;
}

static int rd_lba_status(struct tcmud_hdev *dev, uint64_t lba, uint64_t *nr_blocks,
			 bool *mapped)
{
	struct rd_dev *rd = dev->priv;

	if (lba >= rd->num_lbas)
		return -ERANGE;
	if (rd->store) {
		rd_store_lba_status(rd->store, lba, nr_blocks, mapped);
	} else {
		*mapped = false; /* nullio holds nothing */
		*nr_blocks = rd->num_lbas - lba;
	}
	return 0;
}

__attribute__((visibility("default")))
const struct tcmud_handler tcmud_handler = {
	.api_version = TCMUD_HANDLER_API_VERSION,
	.subtype = "rd",
	.cfg_desc = "RAM disk; options 'key=value' separated by ';': size=<bytes>[K|M|G|T] "
		    "(must match the device size), pi=0|1|2|3, nullio=1, ro=1, persist=0|1",
	.configure = rd_configure,
	.check_config = rd_check_config,
	.open = rd_open,
	.close = rd_close,
	.reconfig = rd_reconfig,
	.read = rd_read,
	.write = rd_write,
	.flush = rd_flush,
	.unmap = rd_unmap,
	.lba_status = rd_lba_status,
	.mem_used = rd_dev_mem_used,
};
