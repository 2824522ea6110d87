/* SPDX-License-Identifier: Apache-2.0 */
/* Per-device SCSI state: set-up, tear-down and the scratch buffers. */
#include <errno.h>
#include <stdlib.h>

#include "scsi_directory.h"
#include "scsi_internal.h"

int tcmud_scsi_dev_init(struct tcmud_scsi_dev *dev)
{
	int rc = pthread_mutex_init(&dev->lock, NULL);

	if (rc)
		return -rc;
	dev->mode = (struct tcmud_scsi_mode){.wce = dev->hdev.write_cache};
	for (int i = 0; i < TCMUD_SCRATCH_NR; i++) {
		dev->scratch.buf[i] = NULL;
		dev->scratch.cap[i] = 0;
	}
	/* Last: from here on a copy on another device may find and lock it. */
	rc = tcmud_dir_register(dev);
	if (rc)
		pthread_mutex_destroy(&dev->lock);
	return rc;
}

void tcmud_scsi_dev_fini(struct tcmud_scsi_dev *dev)
{
	/* First: waits for copies running on other devices to let go of it. */
	tcmud_dir_unregister(dev);
	for (int i = 0; i < TCMUD_SCRATCH_NR; i++) {
		free(dev->scratch.buf[i]);
		dev->scratch.buf[i] = NULL;
		dev->scratch.cap[i] = 0;
	}
	pthread_mutex_destroy(&dev->lock);
}

void *tcmud_scratch(struct tcmud_scsi_dev *dev, enum tcmud_scratch_slot slot, size_t bytes)
{
	struct tcmud_scsi_scratch *s = &dev->scratch;

	if (bytes > s->cap[slot]) {
		/* Grow geometrically so a workload settles after a few commands. */
		size_t cap = s->cap[slot] ? s->cap[slot] : 4096;
		void *p;

		while (cap < bytes)
			cap *= 2;
		p = realloc(s->buf[slot], cap);
		if (!p)
			return NULL;
		s->buf[slot] = p;
		s->cap[slot] = cap;
	}
	return s->buf[slot];
}

int tcmud_scsi_internal_failure(struct tcmud_cmd *cmd)
{
	return tcmud_cmd_check_condition(cmd, TCMUD_SK_HARDWARE_ERROR,
					 TCMUD_ASC_INTERNAL_TARGET_FAILURE);
}
