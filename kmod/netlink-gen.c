// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/fwgate.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

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
const struct nla_policy fwgate_control_sig_nl_policy[FWGATE_A_CONTROL_SIG_SIGNATURE + 1] = {
	[FWGATE_A_CONTROL_SIG_SIGNER] = NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_CONTROL_SIG_SIGNATURE] = { .type = NLA_BINARY, },
};

const struct nla_policy fwgate_key_nl_policy[FWGATE_A_KEY_ID + 1] = {
	[FWGATE_A_KEY_ALG] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
	[FWGATE_A_KEY_DATA] = { .type = NLA_BINARY, },
	[FWGATE_A_KEY_ID] = NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
};

const struct nla_policy fwgate_signer_nl_policy[FWGATE_A_SIGNER_SIGNATURE + 1] = {
	[FWGATE_A_SIGNER_KEY_ID] = NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_SIGNER_SIGNATURE] = { .type = NLA_BINARY, },
};

const struct nla_policy fwgate_verdict_nl_policy[FWGATE_A_VERDICT_SIGNATURE + 1] = {
	[FWGATE_A_VERDICT_KIND] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
	[FWGATE_A_VERDICT_CHECKER] = NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_VERDICT_REPORT] = NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_VERDICT_SIGNATURE] = { .type = NLA_BINARY, },
};

/* FWGATE_CMD_POLICY_SET - do */
static const struct nla_policy fwgate_policy_set_nl_policy[FWGATE_A_EPOCH + 1] = {
	[FWGATE_A_OTYPE] = { .type = NLA_NUL_STRING, .len = 31, },
	[FWGATE_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_THRESHOLD] = { .type = NLA_U32, },
	[FWGATE_A_MANUFACTURER] = NLA_POLICY_NESTED(fwgate_key_nl_policy),
	[FWGATE_A_CHECKER] = NLA_POLICY_NESTED(fwgate_key_nl_policy),
	[FWGATE_A_EPOCH] = { .type = NLA_U64, },
};

/* FWGATE_CMD_BUNDLE_SUBMIT - do */
static const struct nla_policy fwgate_bundle_submit_nl_policy[FWGATE_A_VERDICT + 1] = {
	[FWGATE_A_STATEMENT] = NLA_POLICY_EXACT_LEN(FWGATE_UPDATE_STMT_LEN),
	[FWGATE_A_SIGNATURE] = { .type = NLA_BINARY, },
	[FWGATE_A_VERDICT] = NLA_POLICY_NESTED(fwgate_verdict_nl_policy),
};

/* FWGATE_CMD_POLICY_ROTATE - do */
static const struct nla_policy fwgate_policy_rotate_nl_policy[FWGATE_A_SIGNER + 1] = {
	[FWGATE_A_ROTATE_STATEMENT] = NLA_POLICY_EXACT_LEN(FWGATE_ROTATE_STMT_LEN),
	[FWGATE_A_POLICY_ENCODING] = { .type = NLA_BINARY, },
	[FWGATE_A_SIGNER] = NLA_POLICY_NESTED(fwgate_signer_nl_policy),
};

/* FWGATE_CMD_UPDATE_CONTROL - do */
static const struct nla_policy fwgate_update_control_nl_policy[FWGATE_A_CONTROL_SIG + 1] = {
	[FWGATE_A_CONTROL] = NLA_POLICY_EXACT_LEN(FWGATE_CONTROL_STMT_LEN),
	[FWGATE_A_CONTROL_SIG] = NLA_POLICY_NESTED(fwgate_control_sig_nl_policy),
};

/* Ops table for fwgate */
static const struct genl_split_ops fwgate_nl_ops[] = {
	{
		.cmd	= FWGATE_CMD_POLICY_GET,
		.doit	= fwgate_nl_policy_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FWGATE_CMD_POLICY_SET,
		.doit		= fwgate_nl_policy_set_doit,
		.policy		= fwgate_policy_set_nl_policy,
		.maxattr	= FWGATE_A_EPOCH,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= FWGATE_CMD_POLICY_LOCK,
		.doit	= fwgate_nl_policy_lock_doit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FWGATE_CMD_BUNDLE_SUBMIT,
		.doit		= fwgate_nl_bundle_submit_doit,
		.policy		= fwgate_bundle_submit_nl_policy,
		.maxattr	= FWGATE_A_VERDICT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= FWGATE_CMD_UPDATE_GET,
		.start	= fwgate_nl_dump_start,
		.dumpit	= fwgate_nl_update_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= FWGATE_CMD_TARGET_GET,
		.start	= fwgate_nl_dump_start,
		.dumpit	= fwgate_nl_target_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= FWGATE_CMD_POLICY_ROTATE,
		.doit		= fwgate_nl_policy_rotate_doit,
		.policy		= fwgate_policy_rotate_nl_policy,
		.maxattr	= FWGATE_A_SIGNER,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FWGATE_CMD_UPDATE_CONTROL,
		.doit		= fwgate_nl_update_control_doit,
		.policy		= fwgate_update_control_nl_policy,
		.maxattr	= FWGATE_A_CONTROL_SIG,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group fwgate_nl_mcgrps[] = {
	[FWGATE_NLGRP_EVENTS] = { "events", .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

struct genl_family fwgate_nl_family __ro_after_init = {
	.name		= FWGATE_FAMILY_NAME,
	.version	= FWGATE_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= fwgate_nl_ops,
	.n_split_ops	= ARRAY_SIZE(fwgate_nl_ops),
	.mcgrps		= fwgate_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(fwgate_nl_mcgrps),
};
