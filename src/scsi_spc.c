/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SPC emulation: INQUIRY (standard data and VPD pages), TEST UNIT READY,
 * REQUEST SENSE, MODE SENSE(6)/(10), REPORT LUNS, and the device identity.
 * Responses are built in stack buffers and copied out with
 * tcmud_scsi_data_in(), which truncates them and reports the length.
 */
#include <stdio.h>
#include <string.h>

#include "scsi_internal.h"

/* ---- identity ---------------------------------------------------------- */

/* IEEE company id LIO uses in its NAA designators (0x001405, Datera). */
#define NAA_COMPANY_ID 0x001405ULL
#define NAA_HASH_MASK 0xfffffffffULL /* 36 bits of vendor specific id */

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* configfs values end in a newline; it is not part of the serial. */
static void strip_trailing_space(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

void tcmud_scsi_ident_init(struct tcmud_scsi_ident *id, const char *unit_serial)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->vendor, sizeof(id->vendor), "%s", "TCMUD");
	snprintf(id->product, sizeof(id->product), "%s", "USER");
	snprintf(id->revision, sizeof(id->revision), "%s", "0001");
	snprintf(id->unit_serial, sizeof(id->unit_serial), "%s",
		 unit_serial ? unit_serial : "");
	strip_trailing_space(id->unit_serial);
	id->naa = 0x6ULL << 60 | NAA_COMPANY_ID << 36 |
		  (fnv1a64(id->unit_serial) & NAA_HASH_MASK);
}

/* ---- INQUIRY ----------------------------------------------------------- */

#define INQ_STD_LEN 96
#define INQ_BUF_LEN 512

/* Copy an ASCII field, space padded; anything outside 0x20-0x7e becomes '_'. */
static void put_ascii(uint8_t *dst, const char *src, size_t width)
{
	size_t i = 0;

	for (; i < width && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e) ? (uint8_t)src[i] : '_';
	for (; i < width; i++)
		dst[i] = ' ';
}

static size_t inquiry_standard(const struct tcmud_scsi_dev *dev, uint8_t *b)
{
	static const uint16_t versions[] = {
		0x00a0, /* SAM-5 */
		0x0460, /* SPC-4 */
		0x04c0, /* SBC-3 */
	};

	b[0] = 0x00;               /* connected, direct access block device */
	b[2] = 0x06;               /* SPC-4 */
	b[3] = 0x10 | 0x02;        /* HISUP, RESPONSE DATA FORMAT 2 */
	b[4] = INQ_STD_LEN - 5;    /* ADDITIONAL LENGTH */
	b[7] = 0x02;               /* CMDQUE */
	put_ascii(&b[8], dev->ident.vendor, 8);
	put_ascii(&b[16], dev->ident.product, 16);
	put_ascii(&b[32], dev->ident.revision, 4);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		put_be16(&b[58 + 2 * i], versions[i]);
	return INQ_STD_LEN;
}

/* The page header: device type, page code, page length (bytes after 4). */
static size_t vpd_finish(uint8_t *b, uint8_t page, size_t len)
{
	b[0] = 0x00;
	b[1] = page;
	put_be16(&b[2], (uint16_t)(len - 4));
	return len;
}

static size_t vpd_supported(const struct tcmud_scsi_dev *dev, uint8_t *b);

static size_t vpd_unit_serial(const struct tcmud_scsi_dev *dev, uint8_t *b)
{
	size_t n = strlen(dev->ident.unit_serial);

	put_ascii(&b[4], dev->ident.unit_serial, n);
	return vpd_finish(b, 0x80, 4 + n);
}

/* NAA IEEE Registered Extended: 8 bytes from ident.naa + an 8-byte extension. */
static size_t desig_naa(const struct tcmud_scsi_dev *dev, uint8_t *d)
{
	d[0] = 0x01; /* PROTOCOL IDENTIFIER 0, CODE SET binary */
	d[1] = 0x03; /* PIV 0, ASSOCIATION logical unit, DESIGNATOR TYPE NAA */
	d[3] = 16;
	put_be64(&d[4], dev->ident.naa);
	put_be64(&d[12], fnv1a64(dev->ident.unit_serial));
	return 4 + 16;
}

/* T10 vendor ID based: the vendor id, then the unit serial. */
static size_t desig_t10(const struct tcmud_scsi_dev *dev, uint8_t *d)
{
	size_t n = strlen(dev->ident.unit_serial);

	if (n > 255 - 8) /* the DESIGNATOR LENGTH is one byte */
		n = 255 - 8;
	d[0] = 0x02; /* CODE SET ASCII */
	d[1] = 0x01; /* ASSOCIATION logical unit, DESIGNATOR TYPE T10 vendor id */
	d[3] = (uint8_t)(8 + n);
	put_ascii(&d[4], dev->ident.vendor, 8);
	put_ascii(&d[12], dev->ident.unit_serial, n);
	return 4 + 8 + n;
}

static size_t vpd_device_id(const struct tcmud_scsi_dev *dev, uint8_t *b)
{
	size_t len = 4;

	len += desig_naa(dev, &b[len]);
	len += desig_t10(dev, &b[len]);
	return vpd_finish(b, 0x83, len);
}

static size_t vpd_block_limits(const struct tcmud_scsi_dev *dev, uint8_t *b)
{
	put_be16(&b[6], 1);                     /* OPTIMAL TRANSFER LENGTH GRANULARITY */
	put_be32(&b[8], dev->hdev.max_sectors); /* MAXIMUM TRANSFER LENGTH */
	put_be32(&b[12], dev->hdev.max_sectors); /* OPTIMAL TRANSFER LENGTH */
	/* No UNMAP, WRITE SAME or COMPARE AND WRITE: their limits stay 0. */
	return vpd_finish(b, 0xb0, 64);
}

static size_t vpd_block_dev_chars(const struct tcmud_scsi_dev *dev, uint8_t *b)
{
	put_be16(&b[4], 1); /* MEDIUM ROTATION RATE: non-rotating medium */
	return vpd_finish(b, 0xb1, 64);
}

static const struct vpd_page {
	uint8_t code;
	size_t (*build)(const struct tcmud_scsi_dev *dev, uint8_t *b);
} vpd_pages[] = { /* ascending page codes, as page 0x00 must list them */
	{0x00, vpd_supported},
	{0x80, vpd_unit_serial},
	{0x83, vpd_device_id},
	{0xb0, vpd_block_limits},
	{0xb1, vpd_block_dev_chars},
};

#define NR_VPD_PAGES (sizeof(vpd_pages) / sizeof(vpd_pages[0]))

static size_t vpd_supported(const struct tcmud_scsi_dev *dev, uint8_t *b)
{
	for (size_t i = 0; i < NR_VPD_PAGES; i++)
		b[4 + i] = vpd_pages[i].code;
	return vpd_finish(b, 0x00, 4 + NR_VPD_PAGES);
}

static const struct vpd_page *find_vpd_page(uint8_t code)
{
	for (size_t i = 0; i < NR_VPD_PAGES; i++)
		if (vpd_pages[i].code == code)
			return &vpd_pages[i];
	return NULL;
}

int tcmud_spc_inquiry(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	size_t alloc = get_be16(&cdb[3]);
	uint8_t buf[INQ_BUF_LEN] = {0};
	const struct vpd_page *page;

	if (cdb[1] & 0x02) /* CMDDT is obsolete: refuse it */
		return tcmud_scsi_invalid_field(cmd, 1, 1);
	if (!(cdb[1] & 0x01)) {
		if (cdb[2] != 0) /* a PAGE CODE needs EVPD */
			return tcmud_scsi_invalid_field(cmd, 2, -1);
		return tcmud_scsi_data_in(cmd, buf, inquiry_standard(dev, buf), alloc);
	}
	page = find_vpd_page(cdb[2]);
	if (!page)
		return tcmud_scsi_invalid_field(cmd, 2, -1);
	return tcmud_scsi_data_in(cmd, buf, page->build(dev, buf), alloc);
}

/* ---- TEST UNIT READY, REQUEST SENSE, REPORT LUNS ----------------------- */

int tcmud_spc_test_unit_ready(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	return tcmud_scsi_no_data(cmd);
}

/* Nothing is ever pending here (deferred errors and UAs are the kernel's). */
int tcmud_spc_request_sense(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	const struct tcmud_sense none = {.key = TCMUD_SK_NO_SENSE};
	uint8_t buf[32];
	size_t n = tcmud_sense_format(&none, cmd->cdb[1] & 0x01, buf, sizeof(buf));

	return tcmud_scsi_data_in(cmd, buf, n, cmd->cdb[4]);
}

/* Only LUN 0 (the kernel answers this itself for TCMU devices). */
int tcmud_spc_report_luns(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	uint8_t buf[16] = {0};

	if (cmd->cdb[2] > 0x02) /* SELECT REPORT */
		return tcmud_scsi_invalid_field(cmd, 2, -1);
	put_be32(&buf[0], 8); /* LUN LIST LENGTH: one LUN, number 0 */
	return tcmud_scsi_data_in(cmd, buf, sizeof(buf), get_be32(&cmd->cdb[6]));
}

/* ---- MODE SENSE -------------------------------------------------------- */

#define PC_CHANGEABLE 1
#define PC_SAVED 3
#define MODE_BUF_LEN 256

struct mode_req {
	bool ten;     /* MODE SENSE(10) */
	bool dbd;     /* no block descriptor */
	bool llbaa;   /* long LBA block descriptor */
	uint8_t pc;   /* page control */
	uint8_t page;
	uint8_t subpage;
	size_t alloc;
};

/* Mode pages: code, length; nothing is changeable, so PC 1 returns zeros. */
static size_t page_rw_recovery(const struct tcmud_scsi_dev *dev, uint8_t pc, uint8_t *p)
{
	p[0] = 0x01;
	p[1] = 0x0a;
	return 12;
}

static size_t page_caching(const struct tcmud_scsi_dev *dev, uint8_t pc, uint8_t *p)
{
	p[0] = 0x08;
	p[1] = 0x12;
	if (pc == PC_CHANGEABLE)
		return 20;
	if (dev->hdev.write_cache)
		p[2] = 0x04; /* WCE */
	p[12] = 0x20;        /* DRA: no read ahead */
	return 20;
}

/* Values as the kernel's own backstores report them by default. */
static size_t page_control(const struct tcmud_scsi_dev *dev, uint8_t pc, uint8_t *p)
{
	p[0] = 0x0a;
	p[1] = 0x0a;
	if (pc == PC_CHANGEABLE)
		return 12;
	p[2] = 0x02;                 /* GLTSD */
	if (dev->mode.d_sense)
		p[2] |= 0x04;        /* D_SENSE */
	p[3] = 0x10;                 /* QUEUE ALGORITHM MODIFIER: unrestricted */
	p[5] = 0x40;                 /* TAS: LIO's emulate_tas default */
	put_be16(&p[8], 0xffff);     /* BUSY TIMEOUT PERIOD: unlimited */
	put_be16(&p[10], 30);        /* EXTENDED SELF-TEST COMPLETION TIME */
	return 12;
}

static size_t page_iec(const struct tcmud_scsi_dev *dev, uint8_t pc, uint8_t *p)
{
	p[0] = 0x1c;
	p[1] = 0x0a;
	return 12;
}

static const struct mode_page {
	uint8_t code;
	size_t (*build)(const struct tcmud_scsi_dev *dev, uint8_t pc, uint8_t *p);
} mode_pages[] = {
	{0x01, page_rw_recovery},
	{0x08, page_caching},
	{0x0a, page_control},
	{0x1c, page_iec},
};

#define NR_MODE_PAGES (sizeof(mode_pages) / sizeof(mode_pages[0]))
#define PAGE_ALL 0x3f

static struct mode_req parse_mode_sense(const uint8_t *cdb)
{
	struct mode_req r = {
		.ten = cdb[0] == 0x5a,
		.dbd = cdb[1] & 0x08,
		.pc = cdb[2] >> 6,
		.page = cdb[2] & 0x3f,
		.subpage = cdb[3],
	};

	r.llbaa = r.ten && (cdb[1] & 0x10);
	r.alloc = r.ten ? get_be16(&cdb[7]) : cdb[4];
	return r;
}

/* Checks the page/subpage; returns 0 or the CHECK CONDITION status. */
static int check_mode_page(struct tcmud_cmd *cmd, const struct mode_req *r)
{
	if (r->pc == PC_SAVED)
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_SAVING_PARAMS_NOT_SUPPORTED);
	/* No subpages: only "all pages" may also ask for all subpages. */
	if (r->subpage != 0 && !(r->page == PAGE_ALL && r->subpage == 0xff))
		return tcmud_scsi_invalid_field(cmd, 3, -1);
	if (r->page == PAGE_ALL)
		return 0;
	for (size_t i = 0; i < NR_MODE_PAGES; i++)
		if (mode_pages[i].code == r->page)
			return 0;
	return tcmud_scsi_invalid_field(cmd, 2, 5);
}

/* The block descriptor; all zeros (nothing changeable) for PC 1. */
static size_t put_block_desc(const struct tcmud_scsi_dev *dev, const struct mode_req *r,
			     uint8_t *d)
{
	uint64_t blocks = r->pc == PC_CHANGEABLE ? 0 : dev->hdev.num_lbas;
	uint32_t bs = r->pc == PC_CHANGEABLE ? 0 : dev->hdev.block_size;

	if (r->llbaa) {
		put_be64(&d[0], blocks);
		put_be32(&d[12], bs);
		return 16;
	}
	put_be32(&d[0], blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)blocks);
	put_be32(&d[4], bs & 0xffffff); /* byte 4 reserved, 5-7 LOGICAL BLOCK LENGTH */
	return 8;
}

static size_t put_mode_pages(const struct tcmud_scsi_dev *dev, const struct mode_req *r,
			     uint8_t *p)
{
	size_t len = 0;

	for (size_t i = 0; i < NR_MODE_PAGES; i++)
		if (r->page == PAGE_ALL || r->page == mode_pages[i].code)
			len += mode_pages[i].build(dev, r->pc, &p[len]);
	return len;
}

int tcmud_spc_mode_sense(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd)
{
	struct mode_req r = parse_mode_sense(cmd->cdb);
	uint8_t buf[MODE_BUF_LEN] = {0};
	size_t hdr = r.ten ? 8 : 4;
	size_t bd = 0, len;
	int ret = check_mode_page(cmd, &r);

	if (ret)
		return ret;
	if (!r.dbd)
		bd = put_block_desc(dev, &r, &buf[hdr]);
	len = hdr + bd + put_mode_pages(dev, &r, &buf[hdr + bd]);
	if (r.ten) {
		put_be16(&buf[0], (uint16_t)(len - 2)); /* MODE DATA LENGTH */
		buf[3] = 0x10;                          /* DPOFUA */
		buf[4] = r.llbaa && bd ? 0x01 : 0x00;   /* LONGLBA */
		put_be16(&buf[6], (uint16_t)bd);
	} else {
		buf[0] = (uint8_t)(len - 1);
		buf[2] = 0x10;
		buf[3] = (uint8_t)bd;
	}
	return tcmud_scsi_data_in(cmd, buf, len, r.alloc);
}

/* ---- the table --------------------------------------------------------- */

const struct tcmud_scsi_cmd_desc tcmud_cmds_spc[] = {
	{.name = "TEST UNIT READY", .opcode = 0x00, .cdb_len = 6,
	 .usage = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, .fn = tcmud_spc_test_unit_ready},
	{.name = "REQUEST SENSE", .opcode = 0x03, .cdb_len = 6,
	 .usage = {0x03, 0x01, 0x00, 0x00, 0xff, 0x00}, .fn = tcmud_spc_request_sense},
	{.name = "INQUIRY", .opcode = 0x12, .cdb_len = 6,
	 .usage = {0x12, 0x01, 0xff, 0xff, 0xff, 0x00}, .fn = tcmud_spc_inquiry},
	{.name = "REPORT LUNS", .opcode = 0xa0, .cdb_len = 12,
	 .usage = {0xa0, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00},
	 .fn = tcmud_spc_report_luns},
	{0},
};
