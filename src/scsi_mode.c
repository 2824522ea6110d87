/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MODE SENSE(6)/(10) and MODE SELECT(6)/(10) (SPC-4 6.11-6.14): the mode
 * parameter header, the block descriptor, and the choice of pages; the pages
 * themselves are in scsi_mode_pages.c.
 *
 * No page is saveable: PC 3 (saved values) and SP=1 are refused. A MODE
 * SELECT is checked completely before anything changes. SAM wants a UNIT
 * ATTENTION (MODE PARAMETERS CHANGED) for the other I_T nexuses after a
 * change; TCMU does not tell us the nexus of a command, so none is raised.
 */
#include "scsi_mode.h"

#define OP_MODE_SELECT_6 0x15
#define OP_MODE_SENSE_6 0x1a
#define OP_MODE_SELECT_10 0x55
#define OP_MODE_SENSE_10 0x5a

#define PAGE_ALL 0x3f
#define SUBPAGE_ALL 0xff

#define DSP_WP 0x80        /* DEVICE-SPECIFIC PARAMETER: write protected */
#define DSP_DPOFUA 0x10    /* DEVICE-SPECIFIC PARAMETER: DPO and FUA supported */
#define HDR10_LONGLBA 0x01

#define SHORT_DESC_LEN 8
#define LONG_DESC_LEN 16

/* Header + long block descriptor + every page. */
#define MODE_BUF_LEN (8 + LONG_DESC_LEN + TCMUD_MODE_PAGES_MAX)

/* ---- MODE SENSE -------------------------------------------------------- */

struct sense_req {
	bool ten;     /* MODE SENSE(10) */
	bool dbd;     /* no block descriptor */
	bool llbaa;   /* long LBA block descriptor allowed */
	uint8_t pc;   /* page control */
	uint8_t page;
	uint8_t subpage;
	size_t alloc;
};

static struct sense_req parse_sense(const uint8_t *cdb)
{
	struct sense_req r = {
		.ten = cdb[0] == OP_MODE_SENSE_10,
		.dbd = cdb[1] & 0x08,
		.pc = cdb[2] >> 6,
		.page = cdb[2] & 0x3f,
		.subpage = cdb[3],
	};

	r.llbaa = r.ten && (cdb[1] & 0x10);
	r.alloc = r.ten ? get_be16(&cdb[7]) : cdb[4];
	return r;
}

/* Checks PC, page and subpage; returns 0 or the CHECK CONDITION status. */
static int check_sense_page(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			    const struct sense_req *r)
{
	if (r->pc == TCMUD_MODE_PC_SAVED)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_SAVING_PARAMS_NOT_SUPPORTED);
	if (r->page == PAGE_ALL) {
		/* All pages (subpage 0 only), or all pages and subpages. */
		if (r->subpage != 0 && r->subpage != SUBPAGE_ALL)
			return tcmud_scsi_invalid_field(cmd, 3, -1);
		return 0;
	}
	if (!tcmud_mode_page_code_known(dev, r->page))
		return tcmud_scsi_invalid_field(cmd, 2, 5);
	if (r->subpage != SUBPAGE_ALL && !tcmud_mode_page_find(dev, r->page, r->subpage))
		return tcmud_scsi_invalid_field(cmd, 3, -1);
	return 0;
}

static bool page_wanted(const struct sense_req *r, const struct tcmud_mode_page *pg)
{
	if (r->page != PAGE_ALL && r->page != pg->page)
		return false;
	return r->subpage == SUBPAGE_ALL || r->subpage == pg->subpage;
}

static size_t put_pages(const struct tcmud_scsi_dev *dev, const struct sense_req *r,
			uint8_t *p)
{
	size_t n, len = 0;
	const struct tcmud_mode_page *pages = tcmud_mode_pages(&n);

	for (size_t i = 0; i < n; i++)
		if (page_wanted(r, &pages[i]) && tcmud_mode_page_find(dev, pages[i].page,
								       pages[i].subpage))
			len += tcmud_mode_page_build(dev, &pages[i], r->pc, &p[len]);
	return len;
}

/* The block descriptor; all zeros for PC 1: neither field is changeable. */
static size_t put_block_desc(const struct tcmud_scsi_dev *dev, const struct sense_req *r,
			     uint8_t *d)
{
	bool chg = r->pc == TCMUD_MODE_PC_CHANGEABLE;
	uint64_t blocks = chg ? 0 : dev->hdev.num_lbas;
	uint32_t bs = chg ? 0 : dev->hdev.block_size;

	if (r->llbaa) {
		put_be64(&d[0], blocks);
		put_be32(&d[12], bs);
		return LONG_DESC_LEN;
	}
	/* Capped: the initiator needs READ CAPACITY(16) for the real number. */
	put_be32(&d[0], blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)blocks);
	put_be32(&d[4], bs & 0xffffff); /* byte 4 reserved, 5-7 LOGICAL BLOCK LENGTH */
	return SHORT_DESC_LEN;
}

static uint8_t device_specific(const struct tcmud_scsi_dev *dev)
{
	bool wp = dev->hdev.read_only || dev->mode.swp;

	return (uint8_t)((wp ? DSP_WP : 0) | DSP_DPOFUA);
}

static int tcmud_spc_mode_sense(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct sense_req r = parse_sense(cmd->cdb);
	uint8_t buf[MODE_BUF_LEN] = {0};
	size_t hdr = r.ten ? 8 : 4;
	size_t bd = 0, len;
	int ret = check_sense_page(dev, cmd, &r);

	if (ret)
		return ret;
	if (!r.dbd)
		bd = put_block_desc(dev, &r, &buf[hdr]);
	len = hdr + bd + put_pages(dev, &r, &buf[hdr + bd]);
	if (r.ten) {
		put_be16(&buf[0], (uint16_t)(len - 2)); /* MODE DATA LENGTH */
		buf[3] = device_specific(dev);
		buf[4] = bd == LONG_DESC_LEN ? HDR10_LONGLBA : 0;
		put_be16(&buf[6], (uint16_t)bd);
	} else {
		buf[0] = (uint8_t)(len - 1);            /* fits: see scsi_mode_pages.c */
		buf[2] = device_specific(dev);
		buf[3] = (uint8_t)bd;
	}
	return tcmud_scsi_data_in(cmd, buf, len, r.alloc);
}

/* ---- MODE SELECT ------------------------------------------------------- */

/* ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST at byte (and bit, or -1). */
static int invalid_param(struct tcmud_cmd *cmd, size_t byte, int bit)
{
	tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
				  TCMUD_ASC_INVALID_FIELD_IN_PARAM_LIST);
	cmd->sense.sks_valid = true;
	cmd->sense.sks[0] = TCMUD_SKS_SKSV; /* C/D 0: in the parameter list */
	if (bit >= 0)
		cmd->sense.sks[0] |= TCMUD_SKS_BPV | (bit & 7);
	put_be16(&cmd->sense.sks[1], (uint16_t)byte);
	return TCMUD_STATUS_CHECK_CONDITION;
}

/* A header, block descriptor or page cut short by PARAMETER LIST LENGTH. */
static int truncated(struct tcmud_cmd *cmd)
{
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
					 TCMUD_ASC_PARAMETER_LIST_LENGTH_ERROR);
}

/* The parameter list as read so far. */
struct select_list {
	struct tcmud_cmd *cmd;
	size_t len;             /* PARAMETER LIST LENGTH (checked against the buffer) */
	bool ten;
};

/* Copy n bytes of the list at off; false when the list is shorter. */
static bool list_read(const struct select_list *l, size_t off, void *dst, size_t n)
{
	if (off > l->len || n > l->len - off)
		return false;
	return tcmud_iov_to_buf(l->cmd->iov, l->cmd->iov_cnt, off, dst, n) == n;
}

/*
 * The block descriptor: the block length must be the current one and the
 * number of blocks 0 (no change) or the current number; there is no way to
 * reformat or resize through MODE SELECT.
 */
static int check_block_desc(struct tcmud_scsi_dev *dev, const struct select_list *l,
			    size_t off, bool longlba)
{
	const struct tcmud_hdev *h = &dev->hdev;
	uint8_t d[LONG_DESC_LEN];
	uint64_t blocks, cur = h->num_lbas;
	size_t bs_off = longlba ? 12 : 5, rsv_off = longlba ? 8 : 4;
	size_t rsv_len = longlba ? 4 : 1;

	if (!list_read(l, off, d, longlba ? LONG_DESC_LEN : SHORT_DESC_LEN))
		return truncated(l->cmd);
	for (size_t i = rsv_off; i < rsv_off + rsv_len; i++)
		if (d[i])
			return invalid_param(l->cmd, off + i, -1);
	blocks = longlba ? get_be64(d) : get_be32(d);
	if (!longlba && cur > UINT32_MAX)
		cur = UINT32_MAX;
	if (blocks != 0 && blocks != cur)
		return invalid_param(l->cmd, off, -1);
	if ((longlba ? get_be32(&d[12]) : get_be32(&d[4]) & 0xffffff) != h->block_size)
		return invalid_param(l->cmd, off + bs_off, -1);
	return 0;
}

/*
 * The mode parameter header. MODE DATA LENGTH is reserved in MODE SELECT,
 * and so is DPOFUA in the DEVICE-SPECIFIC PARAMETER, whose WP is ignored
 * (SBC-4 6.5.2); initiators commonly send back what MODE SENSE returned, so
 * neither byte is checked. Sets *off past the header and block descriptor.
 */
static int check_header(struct tcmud_scsi_dev *dev, const struct select_list *l,
			size_t *off)
{
	uint8_t h[8];
	size_t hdr = l->ten ? 8 : 4, bd_len, bd_field = l->ten ? 6 : 3;
	bool longlba = false;
	int st;

	if (!list_read(l, 0, h, hdr))
		return truncated(l->cmd);
	if (h[l->ten ? 2 : 1]) /* MEDIUM TYPE: 00h for a block device */
		return invalid_param(l->cmd, l->ten ? 2 : 1, -1);
	if (l->ten) {
		if (h[4] & ~HDR10_LONGLBA)
			return invalid_param(l->cmd, 4, tcmud_mode_highest_bit(h[4] & ~HDR10_LONGLBA));
		if (h[5])
			return invalid_param(l->cmd, 5, -1);
		longlba = h[4] & HDR10_LONGLBA;
	}
	bd_len = l->ten ? get_be16(&h[6]) : h[3];
	if (bd_len != 0 && bd_len != (longlba ? LONG_DESC_LEN : SHORT_DESC_LEN))
		return invalid_param(l->cmd, bd_field, -1);
	if (bd_len && (st = check_block_desc(dev, l, hdr, longlba)))
		return st;
	*off = hdr + bd_len;
	return 0;
}

/* The page at off: known, its length exactly ours, only changeable bits
 * changed. Sets *len to its length. */
static int select_page(struct tcmud_scsi_dev *dev, const struct select_list *l, size_t off,
		       struct tcmud_scsi_mode *next, size_t *len)
{
	uint8_t p[TCMUD_MODE_PAGE_MAX];
	const struct tcmud_mode_page *pg;
	unsigned int byte;
	bool spf;
	int bit;

	if (!list_read(l, off, p, 2))
		return truncated(l->cmd);
	spf = p[0] & 0x40;
	if (spf && !list_read(l, off, p, 4))
		return truncated(l->cmd);
	*len = spf ? get_be16(&p[2]) + 4u : p[1] + 2u;
	if (*len > l->len - off)
		return truncated(l->cmd);
	if (!tcmud_mode_page_code_known(dev, p[0] & 0x3f))
		return invalid_param(l->cmd, off, 5);
	pg = tcmud_mode_page_find(dev, p[0] & 0x3f, spf ? p[1] : 0);
	if (spf && p[1] == 0) /* subpage 0 goes in the page_0 format */
		return invalid_param(l->cmd, off, 6);
	if (!pg)
		return invalid_param(l->cmd, off + 1, -1);
	if (*len != pg->len)
		return invalid_param(l->cmd, off + (spf ? 2 : 1), -1);
	if (!list_read(l, off, p, pg->len))
		return truncated(l->cmd);
	if (tcmud_mode_page_select(dev, pg, p, next, &byte, &bit))
		return invalid_param(l->cmd, off + byte, bit);
	return 0;
}

static int mode_select(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool ten = cdb[0] == OP_MODE_SELECT_10;
	struct select_list l = {.cmd = cmd, .len = ten ? get_be16(&cdb[7]) : cdb[4], .ten = ten};
	struct tcmud_scsi_mode next = dev->mode;
	size_t off, page_len;
	int st;

	if (cdb[1] & 0x01) /* SP: there are no saved pages */
		return tcmud_scsi_invalid_field(cmd, 1, 0);
	if (cdb[1] & 0x02) { /* RTD: revert to defaults, no parameter list */
		if (l.len)
			return tcmud_scsi_invalid_field(cmd, ten ? 7 : 4, -1);
		dev->mode = tcmud_mode_defaults(dev);
		return TCMUD_STATUS_GOOD;
	}
	if (!(cdb[1] & 0x10)) /* PF: only the SPC page format is understood */
		return tcmud_scsi_invalid_field(cmd, 1, 4);
	if (l.len == 0)
		return TCMUD_STATUS_GOOD;
	if ((st = tcmud_sbc_check_buffer(cmd, 0, l.len)))
		return st;
	if ((st = check_header(dev, &l, &off)))
		return st;
	for (; off < l.len; off += page_len)
		if ((st = select_page(dev, &l, off, &next, &page_len)))
			return st;
	dev->mode = next; /* all or nothing */
	return TCMUD_STATUS_GOOD;
}

/* ---- the table --------------------------------------------------------- */

/* Byte 1: PF (4), RTD (1), SP (0) in MODE SELECT; LLBAA (4), DBD (3) in
 * MODE SENSE. Byte 2 of MODE SENSE: PC (7-6), PAGE CODE (5-0). */
const struct tcmud_scsi_cmd_desc tcmud_cmds_mode[] = {
	{.name = "MODE SELECT(6)", .opcode = OP_MODE_SELECT_6, .cdb_len = 6,
	 .usage = {OP_MODE_SELECT_6, 0x13, 0x00, 0x00, 0xff, 0x00}, .fn = mode_select},
	{.name = "MODE SENSE(6)", .opcode = OP_MODE_SENSE_6, .cdb_len = 6,
	 .usage = {OP_MODE_SENSE_6, 0x08, 0xff, 0xff, 0xff, 0x00}, .fn = tcmud_spc_mode_sense},
	{.name = "MODE SELECT(10)", .opcode = OP_MODE_SELECT_10, .cdb_len = 10,
	 .usage = {OP_MODE_SELECT_10, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = mode_select},
	{.name = "MODE SENSE(10)", .opcode = OP_MODE_SENSE_10, .cdb_len = 10,
	 .usage = {OP_MODE_SENSE_10, 0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00},
	 .fn = tcmud_spc_mode_sense},
	{0},
};
