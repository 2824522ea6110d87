/* SPDX-License-Identifier: Apache-2.0 */
#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tcmu_abi.h"

#include "handler_registry.h"
#include "log.h"

/*
 * UIO ignores the file offset of reads and writes. Giving the end of the
 * mapping keeps a regular file standing in for /dev/uioN (the tests'
 * fixtures) intact: plain read() and write() would move through the file and
 * overwrite the ring with the doorbell.
 */
static off_t uio_event_offset(const struct tcmud_device *dev)
{
	return (off_t)dev->map_size;
}

/* Tell the kernel that completions are waiting: any 4-byte write to the uio fd. */
static void ring_doorbell(void *ctx)
{
	struct tcmud_device *dev = ctx;
	uint32_t one = 1;
	if (pwrite(dev->fd, &one, sizeof(one), uio_event_offset(dev)) != (ssize_t)sizeof(one))
		log_debug("%s: doorbell write failed: %s", dev->id.dev, strerror(errno));
}

static void complete_cmd(struct tcmud_device *dev, struct tcmud_cmd *cmd)
{
	uint8_t sense[TCMU_SENSE_BUFFERSIZE];
	struct tcmud_ring_rsp rsp = {.status = cmd->status};

	if (cmd->status == TCMUD_STATUS_CHECK_CONDITION) {
		/* Every refusal is visible with --log-level debug; initiators probe a lot. */
		log_debug("%s: cmd_id %u opcode 0x%02x: CHECK CONDITION, sense key 0x%x, "
			  "ASC/ASCQ 0x%02x/0x%02x", dev->id.dev, cmd->tag, cmd->cdb[0],
			  cmd->sense.key, cmd->sense.asc_ascq >> 8, cmd->sense.asc_ascq & 0xff);
		rsp.sense = sense;
		rsp.sense_len = tcmud_sense_format(&cmd->sense, dev->scsi.mode.d_sense, sense,
						   sizeof(sense));
	}
	/* With CHECK CONDITION the kernel sends no data unless READ_LEN is set. */
	if (cmd->status == TCMUD_STATUS_GOOD && cmd->read_len_valid &&
	    cmd->read_len < cmd->data_len) {
		/* The kernel sends the whole buffer when it cannot take READ_LEN, and
		 * ignores a read_len of 0: data-area pages are reused, so never let it
		 * send bytes of an earlier command. */
		if ((dev->ring.mb_flags & TCMU_MAILBOX_FLAG_CAP_READ_LEN) && cmd->read_len) {
			rsp.read_len_valid = true;
			rsp.read_len = (uint32_t)cmd->read_len;
		} else {
			tcmud_iov_zero_from(cmd->iov, cmd->iov_cnt, cmd->read_len);
		}
	}
	int rc = tcmud_ring_complete(&dev->ring, (uint16_t)cmd->tag, &rsp);
	if (rc)
		log_warn("%s: completion of cmd_id %u dropped: %s", dev->id.dev, cmd->tag,
			 strerror(-rc));
}

static void log_tmr(const struct tcmud_device *dev, const struct tcmud_ring_tmr *tmr)
{
	log_info("%s: task management function %u named %u commands, %u of them still "
		 "outstanding (they complete as TASK ABORTED)", dev->id.dev, tmr->type,
		 tmr->cmd_cnt, tmr->aborted);
}

/* Drain the ring: run every queued command, then publish and ring once. */
static void drain_ring(struct tcmud_device *dev)
{
	struct tcmud_ring_tmr tmr;

	pthread_mutex_lock(&dev->lock);
	for (;;) {
		enum tcmud_ring_event ev =
			tcmud_ring_next(&dev->ring, &dev->cmd, dev->iov_buf, dev->iov_cap, &tmr);
		if (ev == TCMUD_RING_EMPTY)
			break;
		if (ev == TCMUD_RING_BROKEN) {
			log_error("%s: corrupt command ring, device no longer served "
				  "(its commands will time out): %s", dev->id.dev, dev->ring.why);
			atomic_store(&dev->failed, true);
			break;
		}
		if (ev == TCMUD_RING_TMR) {
			log_tmr(dev, &tmr);
			continue;
		}
		/* Service time: off the ring to completion written (the batch's
		 * doorbell comes later). */
		uint64_t start = tcmud_stats_now_ns();
		tcmud_scsi_execute(&dev->scsi, &dev->cmd);
		complete_cmd(dev, &dev->cmd);
		tcmud_dev_stats_record(&dev->stats, &dev->cmd, tcmud_stats_now_ns() - start);
	}
	tcmud_ring_flush(&dev->ring);
	pthread_mutex_unlock(&dev->lock);
}

/* Wait for the kernel's notification or a stop request. false: stop. */
static bool wait_for_work(struct tcmud_device *dev)
{
	struct pollfd pfd[2] = {{.fd = dev->wake_fd, .events = POLLIN},
				{.fd = dev->fd, .events = POLLIN}};
	/* A failed device no longer listens to its ring, only to the stop request. */
	nfds_t n = atomic_load(&dev->failed) ? 1 : 2;

	while (poll(pfd, n, -1) < 0)
		if (errno != EINTR)
			return false;
	if (pfd[0].revents)
		return false;
	if (n == 2 && (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL))) {
		/* Normal when the kernel removes the device without waiting for us. */
		log_info("%s: uio device is gone; waiting for the removal to finish",
			 dev->id.dev);
		atomic_store(&dev->failed, true);
		return true;
	}
	uint32_t count;
	if (n == 2 && pread(dev->fd, &count, sizeof(count), uio_event_offset(dev)) < 0 &&
	    errno != EAGAIN) {
		log_warn("%s: uio read failed (%s); device is going away", dev->id.dev,
			 strerror(errno));
		atomic_store(&dev->failed, true);
	}
	return true;
}

static void *device_thread(void *arg)
{
	struct tcmud_device *dev = arg;
	char name[16];

	/* Thread names hold 15 characters: keep the start of the device name. */
	snprintf(name, sizeof(name), "tcmud-%.9s", dev->id.dev);
	pthread_setname_np(pthread_self(), name);
	/* Events from before open are not replayed: look at the ring first. */
	drain_ring(dev);
	while (wait_for_work(dev))
		if (!atomic_load(&dev->failed))
			drain_ring(dev);
	return NULL;
}

/* Opening is what makes the device ours: the kernel lets one process at a time in. */
static int open_uio(struct tcmud_device *dev, const struct tcmud_paths *paths, char *why,
		    size_t why_len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/uio%u", paths->dev, dev->minor);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd >= 0)
		return 0;
	int err = errno;
	snprintf(why, why_len, "cannot open %s: %s%s", path, strerror(err),
		 err == EBUSY ? " (another process serves it)" : "");
	return -err;
}

static int map_uio(struct tcmud_device *dev, const struct tcmud_paths *paths, char *why,
		   size_t why_len)
{
	char path[1024];
	uint64_t size;

	snprintf(path, sizeof(path), "%s/class/uio/uio%u/maps/map0/size", paths->sysfs,
		 dev->minor);
	int rc = tcmud_read_u64(path, &size);
	if (rc || size == 0 || size > SIZE_MAX) {
		snprintf(why, why_len, "cannot read the mapping size from %s", path);
		return rc ? rc : -EINVAL;
	}
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		snprintf(why, why_len, "cannot map uio%u (%" PRIu64 " bytes): %s", dev->minor,
			 size, strerror(errno));
		return rc;
	}
	dev->map = map;
	dev->map_size = size;
	return 0;
}

static int attach_ring(struct tcmud_device *dev, char *why, size_t why_len)
{
	int rc = tcmud_ring_attach(&dev->ring, dev->map, dev->map_size, ring_doorbell, dev);
	if (rc) {
		snprintf(why, why_len, "%s", dev->ring.why);
		return rc;
	}
	dev->iov_cap = tcmud_ring_iov_capacity(&dev->ring);
	dev->iov_buf = calloc(dev->iov_cap, sizeof(*dev->iov_buf));
	if (!dev->iov_buf) {
		snprintf(why, why_len, "out of memory for %zu iovecs", dev->iov_cap);
		return -ENOMEM;
	}
	return 0;
}

/* INQUIRY reports the unit serial configfs has now: rtslib writes it after
 * the enable. (The handler keeps the one it was opened with.) */
static void refresh_ident(struct tcmud_scsi_dev *s, void *ctx)
{
	struct tcmud_device *dev = ctx;
	char serial[sizeof(s->ident.unit_serial)];

	tcmud_cfgfs_dev_unit_serial(&dev->paths, dev->id.hba, dev->id.dev, serial,
				    sizeof(serial));
	if (!serial[0] || strcmp(serial, s->ident.unit_serial) == 0)
		return;
	log_info("%s: unit serial is now '%s' (was '%s')", dev->id.dev, serial,
		 s->ident.unit_serial);
	tcmud_scsi_ident_init(&s->ident, serial);
}

static int init_scsi(struct tcmud_device *dev, const struct tcmud_dev_facts *f,
		     const struct tcmud_handler *h, char *why, size_t why_len)
{
	struct tcmud_scsi_dev *s = &dev->scsi;

	if (f->dev_size == 0 || f->dev_size % f->block_size) {
		snprintf(why, why_len, "size %" PRIu64 " is not a positive multiple of the %u-byte "
			 "block", f->dev_size, f->block_size);
		return -EINVAL;
	}
	snprintf(dev->cfgstring, sizeof(dev->cfgstring), "%s", dev->id.cfgstring);
	s->handler = h;
	s->hdev.name = dev->id.dev;
	s->hdev.hba = dev->id.hba;
	/* The handler gets the serial as configfs has it ("" while unset: rtslib
	 * writes it after the enable); INQUIRY falls back to the name. */
	snprintf(dev->unit_serial, sizeof(dev->unit_serial), "%s", f->unit_serial);
	s->hdev.unit_serial = dev->unit_serial;
	s->hdev.cfgstring = dev->cfgstring;
	s->hdev.block_size = f->block_size;
	s->hdev.num_lbas = f->dev_size / f->block_size;
	s->hdev.max_sectors = f->max_sectors;
	s->hdev.write_cache = f->write_cache;
	tcmud_scsi_ident_init(&s->ident, f->unit_serial[0] ? f->unit_serial : dev->id.dev);
	s->refresh_ident = refresh_ident;
	s->refresh_ctx = dev;
	int rc = h->open(&s->hdev, why, why_len);
	if (rc)
		return rc;
	dev->handler_open = true;
	rc = tcmud_scsi_dev_init(s);
	if (rc) {
		snprintf(why, why_len, "SCSI state: %s", strerror(-rc));
		return rc;
	}
	dev->scsi_ready = true;
	return 0;
}

static int start_thread(struct tcmud_device *dev, char *why, size_t why_len)
{
	dev->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (dev->wake_fd < 0) {
		snprintf(why, why_len, "eventfd: %s", strerror(errno));
		return -errno;
	}
	int rc = pthread_create(&dev->thread, NULL, device_thread, dev);
	if (rc) {
		snprintf(why, why_len, "cannot start the device thread: %s", strerror(rc));
		return -rc;
	}
	dev->thread_started = true;
	return 0;
}

/* Recovery as the kernel allows: hold new commands, fail held ones as BUSY
 * (the initiator retries them), and restart the ring at 0. */
static bool block_and_reset(const struct tcmud_device_params *p)
{
	const struct tcmud_uio_name *id = p->id;
	int rc = tcmud_cfgfs_dev_action(p->paths, id->hba, id->dev, "block_dev", "1");
	if (rc) {
		log_warn("%s: cannot block the device for recovery (%s); resuming from cmd_tail",
			 id->dev, strerror(-rc));
		return false;
	}
	rc = tcmud_cfgfs_dev_action(p->paths, id->hba, id->dev, "reset_ring", "1");
	if (rc)
		log_warn("%s: cannot reset the ring (%s); resuming from cmd_tail", id->dev,
			 strerror(-rc));
	return true;
}

static void unblock(const struct tcmud_device_params *p)
{
	int rc = tcmud_cfgfs_dev_action(p->paths, p->id->hba, p->id->dev, "block_dev", "0");
	if (rc)
		log_error("%s: cannot unblock the device: %s", p->id->dev, strerror(-rc));
}

static int open_steps(struct tcmud_device *dev, const struct tcmud_device_params *p,
		      char *why, size_t why_len)
{
	struct tcmud_dev_facts facts;
	dev->paths = *p->paths;
	int rc = tcmud_cfgfs_dev_facts(p->paths, p->id->hba, p->id->dev, &facts, why, why_len);
	if (rc)
		return rc;
	dev->nl_reply_supported = facts.nl_reply_supported;
	rc = tcmud_handler_check_config(p->handler, p->id->cfgstring, why, why_len);
	if (rc)
		return rc;
	/* Only a device we hold open may be reset: another instance may serve it. */
	rc = open_uio(dev, p->paths, why, why_len);
	if (rc)
		return rc;
	bool blocked = p->recover && block_and_reset(p);
	rc = map_uio(dev, p->paths, why, why_len);
	if (!rc)
		rc = attach_ring(dev, why, why_len);
	if (!rc)
		rc = init_scsi(dev, &facts, p->handler, why, why_len);
	if (!rc)
		rc = start_thread(dev, why, why_len);
	if (blocked)
		unblock(p);
	return rc;
}

int tcmud_device_open(const struct tcmud_device_params *p, struct tcmud_device **out,
		      char *why, size_t why_len)
{
	struct tcmud_device *dev = calloc(1, sizeof(*dev));
	if (!dev) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	dev->id = *p->id;
	dev->minor = p->minor;
	dev->fd = -1;
	dev->wake_fd = -1;
	pthread_mutex_init(&dev->lock, NULL);
	tcmud_dev_stats_init(&dev->stats);

	int rc = open_steps(dev, p, why, why_len);
	if (rc) {
		tcmud_device_close(dev, TCMUD_CLOSE_FAILED);
		return rc;
	}
	log_info("%s: serving uio%u with handler '%s' (%" PRIu64 " blocks of %u bytes, "
		 "ring %u bytes at %u, data area %zu bytes)", dev->id.dev, dev->minor,
		 p->handler->subtype, dev->scsi.hdev.num_lbas, dev->scsi.hdev.block_size,
		 dev->ring.cmdr_size, dev->ring.cmdr_off, dev->map_size - dev->ring.data_off);
	*out = dev;
	return 0;
}

void tcmud_device_close(struct tcmud_device *dev, enum tcmud_close_reason reason)
{
	if (dev->thread_started) {
		uint64_t one = 1;
		if (write(dev->wake_fd, &one, sizeof(one)) < 0)
			log_error("%s: cannot wake the device thread: %s", dev->id.dev,
				  strerror(errno));
		pthread_join(dev->thread, NULL);
	}
	if (dev->scsi_ready)
		tcmud_scsi_dev_fini(&dev->scsi);
	if (dev->handler_open)
		dev->scsi.handler->close(&dev->scsi.hdev, reason);
	if (dev->map)
		munmap(dev->map, dev->map_size);
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->wake_fd >= 0)
		close(dev->wake_fd);
	free(dev->iov_buf);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

static void apply_reconfig(struct tcmud_device *dev, const struct tcmud_reconfig *rc)
{
	struct tcmud_hdev *h = &dev->scsi.hdev;
	if (rc->size_changed)
		h->num_lbas = rc->new_num_lbas;
	if (rc->cfgstring_changed)
		snprintf(dev->cfgstring, sizeof(dev->cfgstring), "%s", rc->new_cfgstring);
	if (rc->write_cache_changed) {
		h->write_cache = rc->new_write_cache;
		dev->scsi.mode.wce = rc->new_write_cache;
	}
}

int tcmud_device_reconfig(struct tcmud_device *dev, const struct tcmud_reconfig *rc,
			  char *why, size_t why_len)
{
	const struct tcmud_handler *h = dev->scsi.handler;
	int ret = 0;

	if (rc->cfgstring_changed)
		ret = tcmud_handler_check_config(h, rc->new_cfgstring, why, why_len);
	if (ret)
		return ret;
	/* dev->lock keeps the ring idle; scsi.lock also keeps out commands that
	 * reach this device from elsewhere (EXTENDED COPY on another device). */
	pthread_mutex_lock(&dev->lock);
	pthread_mutex_lock(&dev->scsi.lock);
	if (h->reconfig)
		ret = h->reconfig(&dev->scsi.hdev, rc);
	else if (rc->size_changed || rc->cfgstring_changed)
		ret = -EOPNOTSUPP;
	if (ret)
		snprintf(why, why_len, "handler '%s' refused the change: %s", h->subtype,
			 strerror(-ret));
	else
		apply_reconfig(dev, rc);
	pthread_mutex_unlock(&dev->scsi.lock);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
