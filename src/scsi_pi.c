/* SPDX-License-Identifier: Apache-2.0 */
/* Protection information in the data path: checks, tags, sense (see scsi_pi.h). */
#include "scsi_pi.h"

#include <errno.h>

uint8_t tcmud_pi_checks(const struct tcmud_scsi_dev *dev, const struct tcmud_blocks *b)
{
	uint8_t checks;

	switch (b->protect) {
	case 0: /* a plain read or verify checks what is stored */
	case 1:
	case 5:
		checks = TCMUD_DIF_CHECK_ALL;
		break;
	case 2:
		checks = TCMUD_DIF_CHECK_APP | TCMUD_DIF_CHECK_REF;
		break;
	case 4:
		checks = TCMUD_DIF_CHECK_GUARD;
		break;
	default: /* 3, and reserved codes that never get this far */
		checks = 0;
		break;
	}
	/* Without a 32-byte CDB the device has no knowledge of the application
	 * tag, and of the reference tag only for type 1 (the LBA). */
	if (!b->has_expected) {
		checks &= (uint8_t)~TCMUD_DIF_CHECK_APP;
		if (dev->hdev.pi_type != 1)
			checks &= (uint8_t)~TCMUD_DIF_CHECK_REF;
	}
	return checks;
}

/* The reference tag of block index first of b (type 1: dif.c uses the LBA). */
static uint32_t first_ref_tag(const struct tcmud_scsi_dev *dev, const struct tcmud_blocks *b,
			      uint32_t first)
{
	if (dev->hdev.pi_type == 3)
		return TCMUD_DIF_REF_ESCAPE;
	if (dev->hdev.pi_type == 2 && b->has_expected)
		return b->exp_ref_tag + first; /* wraps like the tags themselves */
	return (uint32_t)(b->lba + first);
}

static int pi_ctx(const struct tcmud_scsi_dev *dev, const struct tcmud_blocks *b, uint32_t first,
		  uint8_t checks, struct tcmud_dif_ctx *ctx)
{
	/* Masked, the expected tag both checks and (generated) writes only the
	 * bits the initiator asked for; without a 32-byte CDB it is 0. */
	uint16_t mask = b->has_expected ? b->app_mask : 0;

	return tcmud_dif_ctx_init(ctx, dev->hdev.pi_type, dev->hdev.block_size, b->lba + first,
				  first_ref_tag(dev, b, first), b->exp_app_tag & mask, mask,
				  checks);
}

static int pi_failed(struct tcmud_cmd *cmd, const struct tcmud_dif_error *err)
{
	uint16_t asc = TCMUD_ASC_GUARD_CHECK_FAILED;

	if (err->check == TCMUD_DIF_CHECK_APP)
		asc = TCMUD_ASC_APP_TAG_CHECK_FAILED;
	else if (err->check == TCMUD_DIF_CHECK_REF)
		asc = TCMUD_ASC_REF_TAG_CHECK_FAILED;
	return tcmud_cmd_check_condition_info(cmd, TCMUD_SK_ABORTED_COMMAND, asc, err->lba);
}

int tcmud_pi_verify(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		    const struct tcmud_blocks *b, uint32_t first, const struct iovec *data,
		    size_t cnt, uint32_t nr, const uint8_t *pi, uint8_t checks)
{
	struct tcmud_dif_error err;
	struct tcmud_dif_ctx ctx;
	int rc;

	if (!checks) /* PROTECT 3: nothing to look at, not even escapes */
		return TCMUD_STATUS_GOOD;
	if (pi_ctx(dev, b, first, checks, &ctx))
		return tcmud_scsi_internal_failure(cmd);
	rc = tcmud_dif_verify(&ctx, data, cnt, nr, pi, &err);
	if (rc == -EIO)
		return pi_failed(cmd, &err);
	return rc ? tcmud_scsi_internal_failure(cmd) : TCMUD_STATUS_GOOD;
}

int tcmud_pi_generate(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		      const struct tcmud_blocks *b, uint32_t first, const struct iovec *data,
		      size_t cnt, uint32_t nr, uint8_t *pi)
{
	struct tcmud_dif_ctx ctx;

	if (pi_ctx(dev, b, first, 0, &ctx) || tcmud_dif_generate(&ctx, data, cnt, nr, pi))
		return tcmud_scsi_internal_failure(cmd);
	return TCMUD_STATUS_GOOD;
}

int tcmud_pi_split(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
		   const struct tcmud_blocks *b, enum tcmud_scratch_slot iov_slot,
		   struct iovec **iov, size_t *cnt, uint8_t *pi_out)
{
	size_t cap = tcmud_dif_split_max_iov(b->iov_cnt, b->nr_blocks);
	struct iovec *out = tcmud_scratch(dev, iov_slot, cap * sizeof(*out));

	if (!out)
		return tcmud_scsi_internal_failure(cmd);
	*iov = out;
	*cnt = tcmud_dif_split(b->iov, b->iov_cnt, b->off, dev->hdev.block_size, b->nr_blocks,
			       out, cap, pi_out);
	if (*cnt == 0) /* the buffer holds fewer blocks with tuples than asked */
		return tcmud_cmd_check_condition(cmd, TCMUD_SK_ILLEGAL_REQUEST,
						 TCMUD_ASC_INVALID_FIELD_IN_CMD_IU);
	return TCMUD_STATUS_GOOD;
}

int tcmud_sbc_check_pi_out(struct tcmud_scsi_dev *dev, struct tcmud_cmd *cmd,
			   const struct tcmud_blocks *b)
{
	uint8_t *pi;
	struct iovec *iov;
	size_t cnt;
	int st;

	if (!b->protect || !dev->hdev.pi_type || !b->nr_blocks)
		return TCMUD_STATUS_GOOD;
	pi = tcmud_scratch(dev, TCMUD_SCRATCH_PI2, (size_t)b->nr_blocks * TCMUD_PI_TUPLE_SIZE);
	if (!pi)
		return tcmud_scsi_internal_failure(cmd);
	st = tcmud_pi_split(dev, cmd, b, TCMUD_SCRATCH_IOV2, &iov, &cnt, pi);
	if (st)
		return st;
	return tcmud_pi_verify(dev, cmd, b, 0, iov, cnt, b->nr_blocks, pi, tcmud_pi_checks(dev, b));
}
