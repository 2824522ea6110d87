/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A daemon structure with two served devices built by hand (no uio, no
 * thread, no handler module), for the status of a daemon without a kernel:
 *   rd0  user_0, uio0, handler rd, 64 MiB of 512-byte blocks, write cache on
 *   pi4k user_1, uio3, handler rd, 4 TiB of 4096-byte blocks, PI type 1,
 *        read only, cfgstring "pi=1;ro=1"
 */
#ifndef TCMUD_TEST_FAKE_DAEMON_H
#define TCMUD_TEST_FAKE_DAEMON_H

#include <stdint.h>

#include "daemon.h"

struct fake_daemon {
	struct tcmud_daemon d;
	struct tcmud_handler handler;
	struct tcmud_device *devs[2];
};

void fake_daemon_init(struct fake_daemon *f);
void fake_daemon_fini(struct fake_daemon *f);

/* Record one completed command on a device: opcode, status, bytes moved,
 * latency; with CHECK CONDITION, sense key and ASC/ASCQ. */
void fake_record(struct tcmud_device *dev, uint8_t opcode, uint8_t status, uint64_t bytes,
		 uint64_t latency_ns, uint8_t key, uint16_t asc_ascq);

#endif
