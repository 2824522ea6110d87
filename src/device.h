/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One served TCMU device: its UIO mapping, its ring, its SCSI state and the
 * thread that drains the ring.
 */
#ifndef TCMUD_DEVICE_H
#define TCMUD_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "configfs.h"
#include "dev_stats.h"
#include "ring.h"
#include "scsi.h"
#include "uio_name.h"

struct tcmud_device {
	struct tcmud_uio_name id;
	unsigned int minor;             /* /dev/uio<minor> */
	int nl_reply_supported;         /* attrib/nl_reply_supported at open */

	int fd;
	uint8_t *map;
	size_t map_size;
	struct tcmud_ring ring;

	struct tcmud_scsi_dev scsi;
	char cfgstring[TCMUD_NAME_MAX]; /* backs scsi.hdev.cfgstring */
	char unit_serial[256];          /* backs scsi.hdev.unit_serial: "" if unset */
	struct tcmud_paths paths;       /* where its configfs attributes are */

	/* Commands run to completion one at a time on the device thread, so one
	 * command structure and one iovec array serve them all. */
	struct tcmud_cmd cmd;
	struct iovec *iov_buf;
	size_t iov_cap;

	pthread_t thread;
	bool thread_started;
	int wake_fd;                    /* eventfd: asks the thread to stop */
	pthread_mutex_t lock;           /* held while draining, taken for reconfig */
	atomic_bool failed;             /* ring broken or device gone */
	/* Recorded by the device thread per command, read by any thread. */
	struct tcmud_dev_stats stats;
	bool handler_open;
	bool scsi_ready;                /* tcmud_scsi_dev_init() done */
};

struct tcmud_device_params {
	const struct tcmud_paths *paths;
	unsigned int minor;
	const struct tcmud_uio_name *id;
	const struct tcmud_handler *handler;
	bool recover;                   /* block_dev, reset_ring, resume from cmd_tail */
};

/*
 * Open, map and start serving a device. Returns 0 and *out, or -errno with a
 * reason in why (the caller logs it and reports it to the kernel).
 */
int tcmud_device_open(const struct tcmud_device_params *p, struct tcmud_device **out,
		      char *why, size_t why_len);

/* Stop the thread, close the handler, unmap and close. */
void tcmud_device_close(struct tcmud_device *dev, enum tcmud_close_reason reason);

/* Apply a RECONFIG from the kernel. 0 or -errno (reason in why). */
int tcmud_device_reconfig(struct tcmud_device *dev, const struct tcmud_reconfig *rc,
			  char *why, size_t why_len);

#endif
