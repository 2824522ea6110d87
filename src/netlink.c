/* SPDX-License-Identifier: Apache-2.0 */
#include "netlink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tcmu_abi.h"
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "log.h"

#define TCMU_FAMILY "TCM-USER"
#define TCMU_GROUP "config"
#define TCMU_NL_VERSION 2

struct tcmud_nl {
	struct nl_sock *events;   /* multicast listener */
	struct nl_sock *cmds;     /* requests to the kernel, acknowledged */
	struct nl_cb *cb;         /* the event socket's callbacks */
	int family;
	bool kern_reply;          /* the kernel waits for our replies */
	bool withdrawn;           /* ...for new events no longer: we are stopping */
	tcmud_nl_event_fn fn;
	void *ctx;
};

static struct nla_policy tcmu_policy[TCMU_ATTR_MAX + 1] = {
	[TCMU_ATTR_DEVICE] = {.type = NLA_STRING},
	[TCMU_ATTR_MINOR] = {.type = NLA_U32},
	[TCMU_ATTR_DEV_CFG] = {.type = NLA_STRING},
	[TCMU_ATTR_DEV_SIZE] = {.type = NLA_U64},
	[TCMU_ATTR_WRITECACHE] = {.type = NLA_U8},
	[TCMU_ATTR_CMD_STATUS] = {.type = NLA_S32},
	[TCMU_ATTR_DEVICE_ID] = {.type = NLA_U32},
	[TCMU_ATTR_SUPP_KERN_CMD_REPLY] = {.type = NLA_U8},
};

static int errno_from_nl(int nlerr)
{
	switch (-nlerr) {
	case NLE_PERM: return -EPERM;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NOMEM: return -ENOMEM;
	default: return -EIO;
	}
}

/* Send one genl command carrying attributes added by put(), and wait for the ack. */
static int send_cmd(struct tcmud_nl *nl, uint8_t cmd, int status, uint32_t dev_id,
		    int kern_reply)
{
	struct nl_msg *msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	int rc = -EMSGSIZE;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, 0, cmd, TCMU_NL_VERSION))
		goto out;
	if (cmd == TCMU_CMD_SET_FEATURES) {
		if (nla_put_u8(msg, TCMU_ATTR_SUPP_KERN_CMD_REPLY, (uint8_t)kern_reply) < 0)
			goto out;
	} else if (nla_put_s32(msg, TCMU_ATTR_CMD_STATUS, status) < 0 ||
		   nla_put_u32(msg, TCMU_ATTR_DEVICE_ID, dev_id) < 0) {
		goto out;
	}
	rc = nl_send_sync(nl->cmds, msg); /* frees msg */
	return rc < 0 ? errno_from_nl(rc) : 0;
out:
	nlmsg_free(msg);
	return rc;
}

static uint8_t done_cmd_for(int cmd)
{
	switch (cmd) {
	case TCMU_CMD_ADDED_DEVICE: return TCMU_CMD_ADDED_DEVICE_DONE;
	case TCMU_CMD_REMOVED_DEVICE: return TCMU_CMD_REMOVED_DEVICE_DONE;
	default: return TCMU_CMD_RECONFIG_DEVICE_DONE;
	}
}

static void parse_event(struct nlattr **a, struct tcmud_nl_event *ev)
{
	ev->device = a[TCMU_ATTR_DEVICE] ? nla_get_string(a[TCMU_ATTR_DEVICE]) : NULL;
	if ((ev->has_minor = a[TCMU_ATTR_MINOR] != NULL))
		ev->minor = nla_get_u32(a[TCMU_ATTR_MINOR]);
	if ((ev->has_dev_id = a[TCMU_ATTR_DEVICE_ID] != NULL))
		ev->dev_id = nla_get_u32(a[TCMU_ATTR_DEVICE_ID]);
	ev->dev_cfg = a[TCMU_ATTR_DEV_CFG] ? nla_get_string(a[TCMU_ATTR_DEV_CFG]) : NULL;
	if ((ev->has_dev_size = a[TCMU_ATTR_DEV_SIZE] != NULL))
		ev->dev_size = nla_get_u64(a[TCMU_ATTR_DEV_SIZE]);
	if ((ev->has_write_cache = a[TCMU_ATTR_WRITECACHE] != NULL))
		ev->write_cache = nla_get_u8(a[TCMU_ATTR_WRITECACHE]) != 0;
}

static int on_message(struct nl_msg *msg, void *arg)
{
	struct tcmud_nl *nl = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *a[TCMU_ATTR_MAX + 1];
	struct tcmud_nl_event ev = {.cmd = gh->cmd};

	if (gh->cmd != TCMU_CMD_ADDED_DEVICE && gh->cmd != TCMU_CMD_REMOVED_DEVICE &&
	    gh->cmd != TCMU_CMD_RECONFIG_DEVICE) {
		log_debug("netlink: ignoring TCM-USER command %u", gh->cmd);
		return NL_OK;
	}
	int rc = genlmsg_parse(nlh, 0, a, TCMU_ATTR_MAX, tcmu_policy);
	if (rc < 0) {
		log_error("netlink: malformed TCM-USER event %u: %s", gh->cmd, nl_geterror(rc));
		return NL_OK;
	}
	parse_event(a, &ev);
	bool reply = false;
	int status = nl->fn(nl->ctx, &ev, &reply);
	if (!reply)
		return NL_OK;
	if (!nl->kern_reply || !ev.has_dev_id) {
		log_debug("netlink: no reply for event %u: the kernel is not waiting", ev.cmd);
		return NL_OK;
	}
	rc = send_cmd(nl, done_cmd_for(ev.cmd), status, ev.dev_id, 0);
	if (rc)
		log_error("netlink: reply %u (status %d) for device id %u failed: %s",
			  done_cmd_for(ev.cmd), status, ev.dev_id, strerror(-rc));
	return NL_OK;
}

static int join_group(struct tcmud_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->events, TCMU_FAMILY, TCMU_GROUP);
	if (grp < 0)
		return errno_from_nl(grp);
	nl_socket_disable_seq_check(nl->events);
	nl_socket_modify_cb(nl->events, NL_CB_VALID, NL_CB_CUSTOM, on_message, nl);
	nl->cb = nl_socket_get_cb(nl->events);
	int rc = nl_socket_add_membership(nl->events, grp);
	if (rc < 0)
		return errno_from_nl(rc);
	nl_socket_set_nonblocking(nl->events);
	return 0;
}

static int connect_sockets(struct tcmud_nl *nl)
{
	nl->events = nl_socket_alloc();
	nl->cmds = nl_socket_alloc();
	if (!nl->events || !nl->cmds)
		return -ENOMEM;
	int rc = genl_connect(nl->events);
	if (rc >= 0)
		rc = genl_connect(nl->cmds);
	if (rc < 0)
		return errno_from_nl(rc);
	nl->family = genl_ctrl_resolve(nl->cmds, TCMU_FAMILY);
	if (nl->family < 0)
		return -ENOENT;
	return join_group(nl);
}

static void free_sockets(struct tcmud_nl *nl)
{
	if (nl->cb)
		nl_cb_put(nl->cb);
	if (nl->events)
		nl_socket_free(nl->events);
	if (nl->cmds)
		nl_socket_free(nl->cmds);
	free(nl);
}

int tcmud_nl_open(struct tcmud_nl **out, bool kern_reply, tcmud_nl_event_fn fn, void *ctx)
{
	struct tcmud_nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->fn = fn;
	nl->ctx = ctx;
	int rc = connect_sockets(nl);
	if (rc) {
		free_sockets(nl);
		return rc;
	}
	if (kern_reply) {
		rc = send_cmd(nl, TCMU_CMD_SET_FEATURES, 0, 0, 1);
		if (rc)
			log_warn("netlink: the kernel refused SET_FEATURES (%s); it will not wait "
				 "for replies", strerror(-rc));
		nl->kern_reply = rc == 0;
	}
	log_info("netlink: listening to %s events%s", TCMU_FAMILY,
		 nl->kern_reply ? ", the kernel waits for our replies" : "");
	*out = nl;
	return 0;
}

bool tcmud_nl_kern_reply(const struct tcmud_nl *nl)
{
	return nl->kern_reply;
}

int tcmud_nl_fd(const struct tcmud_nl *nl)
{
	return nl_socket_get_fd(nl->events);
}

int tcmud_nl_dispatch(struct tcmud_nl *nl)
{
	int rc;
	/* Non-blocking: > 0 messages handled, 0 nothing left, < 0 error. */
	while ((rc = nl_recvmsgs_report(nl->events, nl->cb)) > 0)
		;
	if (rc == 0 || rc == -NLE_AGAIN)
		return 0;
	if (rc == -NLE_NOMEM) {
		/* ENOBUFS: the socket overran and events were lost. */
		log_warn("netlink: events were lost (receive buffer overrun)");
		return -ENOBUFS;
	}
	log_error("netlink: receive failed: %s", nl_geterror(rc));
	return -EIO;
}

void tcmud_nl_withdraw(struct tcmud_nl *nl)
{
	if (!nl || !nl->kern_reply || nl->withdrawn)
		return;
	nl->withdrawn = true;
	if (send_cmd(nl, TCMU_CMD_SET_FEATURES, 0, 0, 0))
		log_warn("netlink: could not withdraw the reply request; device enables may "
			 "wait for a daemon");
}

void tcmud_nl_close(struct tcmud_nl *nl)
{
	if (!nl)
		return;
	tcmud_nl_withdraw(nl);
	free_sockets(nl);
}
