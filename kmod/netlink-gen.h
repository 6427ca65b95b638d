/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/fwgate.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_FWGATE_GEN_H
#define _LINUX_FWGATE_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/fwgate_netlink.h>
#include <compat.h>
#include <linux/fwgate.h>
#include <linux/fwgate.h>
#include <linux/fwgate.h>
#include <linux/fwgate.h>
#include <linux/fwgate.h>
#include <linux/fwgate.h>
#include <linux/fwgate.h>
#include <linux/fwgate.h>

/* Common nested types */
extern const struct nla_policy fwgate_control_sig_nl_policy[FWGATE_A_CONTROL_SIG_SIGNATURE + 1];
extern const struct nla_policy fwgate_key_nl_policy[FWGATE_A_KEY_ID + 1];
extern const struct nla_policy fwgate_signer_nl_policy[FWGATE_A_SIGNER_SIGNATURE + 1];
extern const struct nla_policy fwgate_verdict_nl_policy[FWGATE_A_VERDICT_SIGNATURE + 1];

int fwgate_nl_dump_start(struct netlink_callback *cb);

int fwgate_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info);
int fwgate_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info);
int fwgate_nl_policy_lock_doit(struct sk_buff *skb, struct genl_info *info);
int fwgate_nl_bundle_submit_doit(struct sk_buff *skb, struct genl_info *info);
int fwgate_nl_update_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int fwgate_nl_target_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int fwgate_nl_policy_rotate_doit(struct sk_buff *skb, struct genl_info *info);
int fwgate_nl_update_control_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	FWGATE_NLGRP_EVENTS,
};

extern struct genl_family fwgate_nl_family;

#endif /* _LINUX_FWGATE_GEN_H */
