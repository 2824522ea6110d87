/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The directory of served SCSI devices: registration, lookup by NAA
 * designator with a hold that keeps a device from being torn down, and the
 * per-device table of copy results. One mutex guards it all; nothing slow
 * ever runs under it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_directory.h"
#include "scsi_internal.h"

struct result_slot {
	bool used;
	uint64_t stamp;            /* when stored: the oldest goes first */
	struct tcmud_copy_result r;
};

struct entry {
	struct tcmud_scsi_dev *dev;
	uint64_t seq;
	unsigned int holds;        /* tcmud_dir_get() without tcmud_dir_put() */
	bool leaving;
	struct result_slot results[TCMUD_COPY_RESULTS_MAX];
	struct entry *next;
};

static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dir_released = PTHREAD_COND_INITIALIZER;
static struct entry *dir_head;
static uint64_t dir_next_seq;
static uint64_t dir_next_stamp;

/* ---- registration -------------------------------------------------------- */

/* The entry of dev; called with dir_lock held. */
static struct entry *find_entry(const struct tcmud_scsi_dev *dev)
{
	for (struct entry *e = dir_head; e; e = e->next)
		if (e->dev == dev)
			return e;
	return NULL;
}

int tcmud_dir_register(struct tcmud_scsi_dev *dev)
{
	struct entry *e = calloc(1, sizeof(*e));
	struct entry **tail;

	if (!e)
		return -ENOMEM;
	e->dev = dev;
	pthread_mutex_lock(&dir_lock);
	e->seq = dir_next_seq++;
	/* Appended, so that the list stays in registration order. */
	for (tail = &dir_head; *tail; tail = &(*tail)->next)
		;
	*tail = e;
	pthread_mutex_unlock(&dir_lock);
	return 0;
}

void tcmud_dir_unregister(struct tcmud_scsi_dev *dev)
{
	struct entry **pp, *e;

	pthread_mutex_lock(&dir_lock);
	e = find_entry(dev);
	if (e) {
		e->leaving = true;  /* no new holds from here on */
		while (e->holds)
			pthread_cond_wait(&dir_released, &dir_lock);
		for (pp = &dir_head; *pp != e; pp = &(*pp)->next)
			;
		*pp = e->next;
	}
	pthread_mutex_unlock(&dir_lock);
	free(e);
}

struct tcmud_scsi_dev *tcmud_dir_get(const uint8_t *desig, size_t len, uint64_t *seq)
{
	struct tcmud_scsi_dev *dev = NULL;
	uint8_t d[TCMUD_NAA_DESIG_LEN];

	if (len != TCMUD_NAA_DESIG_LEN)
		return NULL;
	pthread_mutex_lock(&dir_lock);
	for (struct entry *e = dir_head; e && !dev; e = e->next) {
		if (e->leaving)
			continue;
		tcmud_scsi_naa_designator(&e->dev->ident, d);
		if (memcmp(d, desig, len) == 0) {
			e->holds++;
			dev = e->dev;
			if (seq)
				*seq = e->seq;
		}
	}
	pthread_mutex_unlock(&dir_lock);
	return dev;
}

void tcmud_dir_put(struct tcmud_scsi_dev *dev)
{
	struct entry *e;

	pthread_mutex_lock(&dir_lock);
	e = find_entry(dev);
	if (e && e->holds && --e->holds == 0)
		pthread_cond_broadcast(&dir_released);
	pthread_mutex_unlock(&dir_lock);
}

bool tcmud_dir_seq(const struct tcmud_scsi_dev *dev, uint64_t *seq)
{
	struct entry *e;

	pthread_mutex_lock(&dir_lock);
	e = find_entry(dev);
	if (e)
		*seq = e->seq;
	pthread_mutex_unlock(&dir_lock);
	return e != NULL;
}

/* ---- copy results -------------------------------------------------------- */

/* dev's slot for list_id, or NULL; called with dir_lock held. */
static struct result_slot *find_result(struct entry *e, uint8_t list_id)
{
	for (size_t i = 0; i < TCMUD_COPY_RESULTS_MAX; i++)
		if (e->results[i].used && e->results[i].r.list_id == list_id)
			return &e->results[i];
	return NULL;
}

/* The result of list_id on dev, if dev is registered and has one; called
 * with dir_lock held. */
static struct result_slot *find_dev_result(const struct tcmud_scsi_dev *dev, uint8_t list_id)
{
	struct entry *e = find_entry(dev);

	return e ? find_result(e, list_id) : NULL;
}

/* A free slot, else the oldest; called with dir_lock held. */
static struct result_slot *free_result(struct entry *e)
{
	struct result_slot *oldest = &e->results[0];

	for (size_t i = 0; i < TCMUD_COPY_RESULTS_MAX; i++) {
		if (!e->results[i].used)
			return &e->results[i];
		if (e->results[i].stamp < oldest->stamp)
			oldest = &e->results[i];
	}
	return oldest;
}

void tcmud_dir_result_store(const struct tcmud_scsi_dev *dev, const struct tcmud_copy_result *r)
{
	struct result_slot *s;
	struct entry *e;

	pthread_mutex_lock(&dir_lock);
	e = find_entry(dev);
	if (e) {
		s = find_result(e, r->list_id);
		if (!s)
			s = free_result(e);
		s->used = true;
		s->stamp = dir_next_stamp++;
		s->r = *r;
	}
	pthread_mutex_unlock(&dir_lock);
}

bool tcmud_dir_result_get(const struct tcmud_scsi_dev *dev, uint8_t list_id,
			  struct tcmud_copy_result *out)
{
	struct result_slot *s;

	pthread_mutex_lock(&dir_lock);
	s = find_dev_result(dev, list_id);
	if (s)
		*out = s->r;
	pthread_mutex_unlock(&dir_lock);
	return s != NULL;
}

void tcmud_dir_result_release(const struct tcmud_scsi_dev *dev, uint8_t list_id, bool status,
			      bool details)
{
	struct result_slot *s;

	pthread_mutex_lock(&dir_lock);
	s = find_dev_result(dev, list_id);
	if (s) {
		if (status)
			s->r.status_held = false;
		if (details)
			s->r.details_held = false;
		if (!s->r.status_held && !s->r.details_held)
			s->used = false;
	}
	pthread_mutex_unlock(&dir_lock);
}

void tcmud_dir_result_discard(const struct tcmud_scsi_dev *dev, uint8_t list_id)
{
	tcmud_dir_result_release(dev, list_id, true, true);
}
