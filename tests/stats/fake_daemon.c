/* SPDX-License-Identifier: Apache-2.0 */
#include "fake_daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tcmud_device *fake_device(unsigned int hba, const char *name, unsigned int minor,
					const char *cfgstring, uint64_t num_lbas,
					uint32_t block_size)
{
	struct tcmud_device *dev = calloc(1, sizeof(*dev));
	if (!dev)
		abort();
	dev->id.hba = hba;
	snprintf(dev->id.dev, sizeof(dev->id.dev), "%s", name);
	snprintf(dev->id.subtype, sizeof(dev->id.subtype), "rd");
	snprintf(dev->id.cfgstring, sizeof(dev->id.cfgstring), "%s", cfgstring);
	snprintf(dev->cfgstring, sizeof(dev->cfgstring), "%s", cfgstring);
	dev->minor = minor;
	dev->fd = -1;
	dev->wake_fd = -1;
	dev->scsi.hdev.name = dev->id.dev;
	dev->scsi.hdev.cfgstring = dev->cfgstring;
	dev->scsi.hdev.num_lbas = num_lbas;
	dev->scsi.hdev.block_size = block_size;
	tcmud_dev_stats_init(&dev->stats);
	return dev;
}

/* A sixteenth of the device, so that each device reports its own figure. */
static uint64_t fake_mem_used(const struct tcmud_hdev *h)
{
	return h->num_lbas * h->block_size / 16;
}

void fake_daemon_init(struct fake_daemon *f)
{
	memset(f, 0, sizeof(*f));
	f->handler.api_version = TCMUD_HANDLER_API_VERSION;
	f->handler.subtype = "rd";
	f->handler.mem_used = fake_mem_used;
	f->d.registry.handlers[0] = &f->handler;
	f->d.registry.count = 1;
	f->devs[0] = fake_device(0, "rd0", 0, "", (64u << 20) / 512, 512);
	f->devs[0]->scsi.hdev.write_cache = true;
	f->devs[1] = fake_device(1, "pi4k", 3, "pi=1;ro=1", (4ull << 40) / 4096, 4096);
	f->devs[1]->scsi.hdev.pi_type = 1;
	f->devs[1]->scsi.hdev.read_only = true;
	f->devs[0]->scsi.handler = &f->handler;
	f->devs[1]->scsi.handler = &f->handler;
	f->d.devs = f->devs;
	f->d.ndevs = 2;
	f->d.cap = 2;
}

void fake_daemon_fini(struct fake_daemon *f)
{
	for (size_t i = 0; i < 2; i++)
		free(f->devs[i]);
}

void fake_record(struct tcmud_device *dev, uint8_t opcode, uint8_t status, uint64_t bytes,
		 uint64_t latency_ns, uint8_t key, uint16_t asc_ascq)
{
	struct tcmud_cmd c = {.cdb = {opcode}, .cdb_len = 10, .status = status,
			      .data_len = bytes};
	c.sense.key = key;
	c.sense.asc_ascq = asc_ascq;
	tcmud_dev_stats_record(&dev->stats, &c, latency_ns);
}
