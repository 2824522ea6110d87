/* SPDX-License-Identifier: Apache-2.0 */
/* Sense data formatting, fixed (0x70) and descriptor (0x72) format (SPC-4 4.5). */
#include <string.h>

#include "scsi_internal.h"

#define FIXED_LEN 18
#define DESC_HDR_LEN 8
#define INFO_DESC_LEN 12
#define SKS_DESC_LEN 8
#define SENSE_MAX (DESC_HDR_LEN + INFO_DESC_LEN + SKS_DESC_LEN)

static size_t format_fixed(const struct tcmud_sense *s, uint8_t *b)
{
	b[0] = 0x70;
	if (s->info_valid) {
		b[0] |= 0x80; /* VALID: the INFORMATION field holds info */
		put_be32(&b[3], (uint32_t)s->info);
	}
	b[2] = s->key & 0x0f;
	b[7] = FIXED_LEN - 8; /* ADDITIONAL SENSE LENGTH */
	b[12] = (uint8_t)(s->asc_ascq >> 8);
	b[13] = (uint8_t)s->asc_ascq;
	if (s->sks_valid) {
		b[15] = s->sks[0] | TCMUD_SKS_SKSV;
		b[16] = s->sks[1];
		b[17] = s->sks[2];
	}
	return FIXED_LEN;
}

static size_t format_descriptor(const struct tcmud_sense *s, uint8_t *b)
{
	size_t len = DESC_HDR_LEN;

	b[0] = 0x72;
	b[1] = s->key & 0x0f;
	b[2] = (uint8_t)(s->asc_ascq >> 8);
	b[3] = (uint8_t)s->asc_ascq;
	if (s->info_valid) {
		b[len] = 0x00;                    /* Information descriptor */
		b[len + 1] = INFO_DESC_LEN - 2;
		b[len + 2] = 0x80;                /* VALID */
		put_be64(&b[len + 4], s->info);
		len += INFO_DESC_LEN;
	}
	if (s->sks_valid) {
		b[len] = 0x02;                    /* Sense key specific descriptor */
		b[len + 1] = SKS_DESC_LEN - 2;
		b[len + 4] = s->sks[0] | TCMUD_SKS_SKSV;
		b[len + 5] = s->sks[1];
		b[len + 6] = s->sks[2];
		len += SKS_DESC_LEN;
	}
	b[7] = (uint8_t)(len - DESC_HDR_LEN); /* ADDITIONAL SENSE LENGTH */
	return len;
}

size_t tcmud_sense_format(const struct tcmud_sense *sense, bool descriptor,
			  uint8_t *buf, size_t len)
{
	uint8_t tmp[SENSE_MAX] = {0};
	size_t n;

	/* Fixed format has only 32 bits of INFORMATION. */
	if (sense->info_valid && sense->info > UINT32_MAX)
		descriptor = true;
	n = descriptor ? format_descriptor(sense, tmp) : format_fixed(sense, tmp);
	if (n > len)
		n = len;
	if (n)
		memcpy(buf, tmp, n);
	return n;
}
