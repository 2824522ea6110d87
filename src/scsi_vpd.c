/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device identity and the INQUIRY vital product data pages (SPC-4 7.8,
 * SBC-4 6.6). Capabilities a page reports (COMPARE AND WRITE, WRITE SAME,
 * UNMAP, WRITE ATOMIC, WRITE LONG) are looked up in the command table at run
 * time, so INQUIRY never claims a command dispatch does not serve.
 *
 * Pages not implemented, on purpose: Referrals (0xB3; no LBA-dependent
 * referrals to report), Management Network Addresses, Mode Page Policy and
 * SCSI Ports (the target ports are the kernel's, and TCMU does not tell us
 * which port a command came through).
 */
#include <stdio.h>
#include <string.h>

#include "scsi_vpd.h"
#include "scsi_xcopy.h"

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

/* ---- what the device serves -------------------------------------------- */

#define OP_WRITE_LONG_10 0x3f
#define OP_WRITE_SAME_10 0x41
#define OP_UNMAP 0x42
#define OP_COMPARE_AND_WRITE 0x89
#define OP_WRITE_SAME_16 0x93
#define OP_WRITE_ATOMIC_16 0x9c
#define OP_SERVICE_ACTION_OUT_16 0x9f
#define SA_WRITE_LONG_16 0x11

#define WS_UNMAP 0x08      /* WRITE SAME byte 1: UNMAP */
#define WL_COR_DIS 0x80    /* WRITE LONG byte 1: COR_DIS */
#define WL_WR_UNCOR 0x40   /* WRITE LONG byte 1: WR_UNCOR */

const struct tcmud_scsi_cmd_desc *tcmud_vpd_served(uint8_t opcode, int sa)
{
	uint8_t cdb[32] = {opcode};
	int why;

	if (sa >= 0 && opcode == 0x7f)
		put_be16(&cdb[8], (uint16_t)sa);
	else if (sa >= 0)
		cdb[1] = (uint8_t)(sa & 0x1f);
	return tcmud_scsi_cmd_lookup(cdb, sizeof(cdb), &why);
}

/* Byte 1 of the served command's usage data has all of bits. */
static bool served_with(uint8_t opcode, int sa, uint8_t bits)
{
	const struct tcmud_scsi_cmd_desc *d = tcmud_vpd_served(opcode, sa);

	return d && (d->usage[1] & bits) == bits;
}

/* Thin provisioned: the handler can deallocate (READ CAPACITY(16) LBPME). */
static bool thin(const struct tcmud_scsi_dev *dev)
{
	return dev->handler && dev->handler->unmap;
}

static bool lbpu(const struct tcmud_scsi_dev *dev)
{
	return thin(dev) && tcmud_vpd_served(OP_UNMAP, -1);
}

uint32_t tcmud_vpd_max_atomic_len(const struct tcmud_scsi_dev *dev)
{
	uint32_t max = dev->hdev.max_sectors;

	/* SBC-4: never more than the MAXIMUM TRANSFER LENGTH. */
	return max && max < TCMUD_MAX_ATOMIC_LEN ? max : TCMUD_MAX_ATOMIC_LEN;
}

/* ---- page helpers ------------------------------------------------------ */

/* The page header: device type, page code, page length (bytes after 4). */
static size_t vpd_finish(uint8_t *b, uint8_t page, size_t len)
{
	b[0] = 0x00; /* connected, direct access block device */
	b[1] = page;
	put_be16(&b[2], (uint16_t)(len - 4));
	return len;
}

/* ---- 0x80 Unit Serial Number, 0x83 Device Identification --------------- */

static size_t vpd_unit_serial(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	size_t n = strlen(dev->ident.unit_serial);

	tcmud_put_ascii(&b[4], dev->ident.unit_serial, n);
	return vpd_finish(b, 0x80, 4 + n);
}

/* NAA IEEE Registered Extended: 8 bytes from ident.naa + an 8-byte extension. */
void tcmud_scsi_naa_designator(const struct tcmud_scsi_ident *id,
			       uint8_t out[TCMUD_NAA_DESIG_LEN])
{
	put_be64(&out[0], id->naa);
	put_be64(&out[8], fnv1a64(id->unit_serial));
}

static size_t desig_naa(const struct tcmud_scsi_dev *dev, uint8_t *d)
{
	d[0] = 0x01; /* PROTOCOL IDENTIFIER 0, CODE SET binary */
	d[1] = 0x03; /* PIV 0, ASSOCIATION logical unit, DESIGNATOR TYPE NAA */
	d[3] = TCMUD_NAA_DESIG_LEN;
	tcmud_scsi_naa_designator(&dev->ident, &d[4]);
	return 4 + TCMUD_NAA_DESIG_LEN;
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
	tcmud_put_ascii(&d[4], dev->ident.vendor, 8);
	tcmud_put_ascii(&d[12], dev->ident.unit_serial, n);
	return 4 + 8 + n;
}

/*
 * Only logical unit designators: target port designators (relative target
 * port, target port group, SCSI name string) describe the kernel's ports,
 * and TCMU tells us neither the port nor the I_T nexus of a command.
 */
static size_t vpd_device_id(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	size_t len = 4;

	len += desig_naa(dev, &b[len]);
	len += desig_t10(dev, &b[len]);
	return vpd_finish(b, 0x83, len);
}

/* ---- 0x86 Extended INQUIRY Data ----------------------------------------- */

#define EXT_GRD_CHK 0x04
#define EXT_APP_CHK 0x02
#define EXT_REF_CHK 0x01
#define EXT_SPT_SHIFT 3

/*
 * SUPPORTED PROTECTION TYPES is the type the medium is formatted with (there
 * is no FORMAT UNIT to change it): 000b type 1, 010b type 2, 100b type 3.
 * The checks are those the data path makes: guard always, the reference tag
 * for types 1 and 2 (type 3's is application defined), the application tag
 * only for type 2, whose 32-byte CDBs carry an expected tag and mask.
 */
static uint8_t ext_inq_protection(uint8_t pi_type)
{
	switch (pi_type) {
	case 1:
		return 0x0 << EXT_SPT_SHIFT | EXT_GRD_CHK | EXT_REF_CHK;
	case 2:
		return 0x2 << EXT_SPT_SHIFT | EXT_GRD_CHK | EXT_APP_CHK | EXT_REF_CHK;
	case 3:
		return 0x4 << EXT_SPT_SHIFT | EXT_GRD_CHK;
	default:
		return 0;
	}
}

static size_t vpd_extended_inquiry(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	bool wu = served_with(OP_WRITE_LONG_10, -1, WL_WR_UNCOR) ||
		  served_with(OP_SERVICE_ACTION_OUT_16, SA_WRITE_LONG_16, WL_WR_UNCOR);
	bool crd = served_with(OP_WRITE_LONG_10, -1, WL_COR_DIS) ||
		   served_with(OP_SERVICE_ACTION_OUT_16, SA_WRITE_LONG_16, WL_COR_DIS);

	b[4] = ext_inq_protection(dev->hdev.pi_type);
	/* HEADSUP, ORDSUP, SIMPSUP: the kernel orders tasks by attribute, and
	 * each device runs its commands one at a time, in order. */
	b[5] = 0x07;
	/* WU_SUP, CRD_SUP as WRITE LONG serves them; V_SUP: WCE in the
	 * caching page is changeable, so there is a volatile cache to speak of. */
	b[6] = (uint8_t)((wu ? 0x08 : 0) | (crd ? 0x04 : 0) | 0x01);
	return vpd_finish(b, 0x86, 64);
}

/* ---- 0xB0 Block Limits ------------------------------------------------- */

_Static_assert(TCMUD_MAX_COMPARE_WRITE_LEN <= 0xff, "a one-byte field");

static void block_limits_unmap(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	uint32_t gran = dev->hdev.unmap_granularity;

	if (lbpu(dev)) {
		put_be32(&b[20], TCMUD_MAX_UNMAP_LBA_COUNT);
		put_be32(&b[24], TCMUD_MAX_UNMAP_DESCRIPTORS);
	}
	if (thin(dev)) {
		put_be32(&b[28], gran ? gran : 1); /* OPTIMAL UNMAP GRANULARITY */
		b[32] = 0x80; /* UGAVALID: granules are aligned to LBA 0 */
	}
}

static size_t vpd_block_limits(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	/* WSNZ 1: WRITE SAME with NUMBER OF LOGICAL BLOCKS 0 is refused. With 0
	 * allowed, libiscsi's UnmapUntilEnd tests expect blocks written with
	 * UNMAP=1 and 0xFF data to read back as zeros, which SBC forbids (an
	 * LBA is deallocated only if it then reads back as the data sent). */
	b[4] = 0x01;
	if (tcmud_vpd_served(OP_COMPARE_AND_WRITE, -1))
		b[5] = TCMUD_MAX_COMPARE_WRITE_LEN;
	put_be16(&b[6], 1);                      /* OPTIMAL TRANSFER LENGTH GRANULARITY */
	put_be32(&b[8], dev->hdev.max_sectors);  /* MAXIMUM TRANSFER LENGTH */
	put_be32(&b[12], dev->hdev.max_sectors); /* OPTIMAL TRANSFER LENGTH */
	block_limits_unmap(dev, b);
	if (tcmud_vpd_served(OP_WRITE_SAME_10, -1) || tcmud_vpd_served(OP_WRITE_SAME_16, -1))
		put_be64(&b[36], TCMUD_MAX_WRITE_SAME_LEN);
	if (tcmud_vpd_served(OP_WRITE_ATOMIC_16, -1)) {
		put_be32(&b[44], tcmud_vpd_max_atomic_len(dev));
		put_be32(&b[48], TCMUD_ATOMIC_ALIGNMENT);
		put_be32(&b[52], TCMUD_ATOMIC_GRANULARITY);
		/* No atomic boundaries: bytes 56-63 stay 0. */
	}
	return vpd_finish(b, 0xb0, 64);
}

/* ---- 0xB1 Block Device Characteristics, 0xB2 Logical Block Provisioning */

static size_t vpd_block_dev_chars(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	put_be16(&b[4], 1); /* MEDIUM ROTATION RATE: non-rotating medium */
	/* WABEREQ and WACEREQ 01b: after a block or cryptographic erase, reads
	 * complete with GOOD (they return zeros). */
	b[7] = 0x50;
	/* VBULS: VERIFY with BYTCHK compares unmapped blocks like any other. */
	b[8] = 0x01;
	return vpd_finish(b, 0xb1, 64);
}

#define LBP_LBPU 0x80
#define LBP_LBPWS 0x40
#define LBP_LBPWS10 0x20
#define LBP_LBPRZ_ZEROS 0x04    /* LBPRZ field 001b: unmapped blocks read 0 */
#define LBP_TYPE_THIN 0x02

/*
 * Consistent with READ CAPACITY(16): LBPME is "the handler can unmap", LBPRZ
 * is that and hdev.unmap_zeroes. No thresholds (THRESHOLD EXPONENT 0), no
 * ANCHOR (ANC_SUP 0), no provisioning group descriptor (DP 0).
 */
static size_t vpd_lb_provisioning(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	if (thin(dev)) {
		if (lbpu(dev))
			b[5] |= LBP_LBPU;
		if (served_with(OP_WRITE_SAME_16, -1, WS_UNMAP))
			b[5] |= LBP_LBPWS;
		if (served_with(OP_WRITE_SAME_10, -1, WS_UNMAP))
			b[5] |= LBP_LBPWS10;
		if (dev->hdev.unmap_zeroes)
			b[5] |= LBP_LBPRZ_ZEROS;
		b[6] = LBP_TYPE_THIN;
	}
	return vpd_finish(b, 0xb2, 8);
}

/* ---- 0x8F Third-party Copy (built by the copy manager) ----------------- */

bool tcmud_vpd_xcopy_served(void)
{
	return tcmud_vpd_served(OP_EXTENDED_COPY, SA_XCOPY_LID1) ||
	       tcmud_vpd_served(OP_EXTENDED_COPY, 0x01 /* LID4 */);
}

static bool has_third_party_copy(const struct tcmud_scsi_dev *dev)
{
	return tcmud_vpd_xcopy_served();
}

static size_t vpd_third_party_copy(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	int n = tcmud_vpd_third_party_copy(dev, b, TCMUD_INQ_BUF_LEN);

	return n > 0 && (size_t)n <= TCMUD_INQ_BUF_LEN ? (size_t)n : 0;
}

/* ---- 0x00 Supported VPD Pages and the table ---------------------------- */

static size_t vpd_supported(struct tcmud_scsi_dev *dev, uint8_t *b);

static const struct vpd_page {
	uint8_t code;
	size_t (*build)(struct tcmud_scsi_dev *dev, uint8_t *b);
	bool (*present)(const struct tcmud_scsi_dev *dev); /* NULL: always */
} vpd_pages[] = { /* ascending page codes, as page 0x00 must list them */
	{0x00, vpd_supported, NULL},
	{0x80, vpd_unit_serial, NULL},
	{0x83, vpd_device_id, NULL},
	{0x86, vpd_extended_inquiry, NULL},
	{0x8f, vpd_third_party_copy, has_third_party_copy}, /* SPC-4: with 3PC */
	{0xb0, vpd_block_limits, NULL},
	{0xb1, vpd_block_dev_chars, NULL},
	{0xb2, vpd_lb_provisioning, NULL},
};

#define NR_VPD_PAGES (sizeof(vpd_pages) / sizeof(vpd_pages[0]))

static bool page_present(const struct tcmud_scsi_dev *dev, const struct vpd_page *p)
{
	return !p->present || p->present(dev);
}

static size_t vpd_supported(struct tcmud_scsi_dev *dev, uint8_t *b)
{
	size_t n = 0;

	for (size_t i = 0; i < NR_VPD_PAGES; i++)
		if (page_present(dev, &vpd_pages[i]))
			b[4 + n++] = vpd_pages[i].code;
	return vpd_finish(b, 0x00, 4 + n);
}

size_t tcmud_vpd_page(struct tcmud_scsi_dev *dev, uint8_t page, uint8_t *buf)
{
	for (size_t i = 0; i < NR_VPD_PAGES; i++)
		if (vpd_pages[i].code == page && page_present(dev, &vpd_pages[i]))
			return vpd_pages[i].build(dev, buf);
	return 0;
}
