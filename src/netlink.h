/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCM-USER generic netlink family: device events from the kernel and our
 * *_DONE replies to them.
 */
#ifndef TCMUD_NETLINK_H
#define TCMUD_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

struct tcmud_nl_event {
	int cmd;                  /* TCMU_CMD_ADDED_DEVICE, _REMOVED_, _RECONFIG_ */
	const char *device;       /* TCMU_ATTR_DEVICE: the uio name (NULL if absent) */
	bool has_minor;
	uint32_t minor;
	bool has_dev_id;
	uint32_t dev_id;          /* TCMU_ATTR_DEVICE_ID, echoed in the reply */
	const char *dev_cfg;      /* RECONFIG: new dev_config */
	bool has_dev_size;
	uint64_t dev_size;        /* RECONFIG: new size in bytes */
	bool has_write_cache;
	bool write_cache;         /* RECONFIG: new emulate_write_cache */
};

/*
 * Called for each event. Returns the status for the *_DONE reply (0 or
 * -errno) and sets *reply when the kernel waits for one from us.
 */
typedef int (*tcmud_nl_event_fn)(void *ctx, const struct tcmud_nl_event *ev, bool *reply);

struct tcmud_nl;

/*
 * Resolve the family, join its "config" group and, if kern_reply, ask the
 * kernel to wait for replies. Returns 0, -ENOENT when the family is not
 * registered (target_core_user not loaded), or another -errno.
 */
int tcmud_nl_open(struct tcmud_nl **out, bool kern_reply, tcmud_nl_event_fn fn, void *ctx);

/* True when the kernel was told to wait for our replies. */
bool tcmud_nl_kern_reply(const struct tcmud_nl *nl);

int tcmud_nl_fd(const struct tcmud_nl *nl);

/* Receive and dispatch what is pending. 0, or -ENOBUFS when events were lost
 * (the caller rescans), or -EIO. */
int tcmud_nl_dispatch(struct tcmud_nl *nl);

/*
 * Tell the kernel to stop waiting for our replies to new events, so enables do
 * not wait for a stopped daemon. Events already queued (the kernel waits for
 * those) are still answered by tcmud_nl_dispatch().
 */
void tcmud_nl_withdraw(struct tcmud_nl *nl);

/* Withdraw (if not done yet) and close. */
void tcmud_nl_close(struct tcmud_nl *nl);

#endif
