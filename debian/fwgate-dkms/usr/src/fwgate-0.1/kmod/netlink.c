// SPDX-License-Identifier: GPL-2.0
/*
 * The "fwgate" generic netlink family: policy provisioning and locking,
 * approval bundles, dumps of updates and targets, and the "events" group.
 * Documentation/netlink/specs/fwgate.yaml describes it.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "fwgate.h"

static const struct nla_policy key_policy[FWGATE_A_KEY_MAX + 1] = {
	[FWGATE_A_KEY_ALG]	= NLA_POLICY_RANGE(NLA_U32, FWGATE_KEY_RSA3072, FWGATE_KEY_P256),
	[FWGATE_A_KEY_DATA]	= { .type = NLA_BINARY, .len = FWGATE_MAX_KEY_LEN },
	[FWGATE_A_KEY_ID]	= NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
};

static const struct nla_policy verdict_policy[FWGATE_A_VERDICT_MAX + 1] = {
	[FWGATE_A_VERDICT_KIND]		= NLA_POLICY_RANGE(NLA_U32, FWGATE_VERDICT_APPROVE,
							   FWGATE_VERDICT_REJECT),
	[FWGATE_A_VERDICT_CHECKER]	= NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_VERDICT_REPORT]	= NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_VERDICT_SIGNATURE]	= { .type = NLA_BINARY, .len = FWGATE_MAX_SIG_LEN },
};

static const struct nla_policy fwgate_nl_policy[FWGATE_A_MAX + 1] = {
	[FWGATE_A_OTYPE]	= { .type = NLA_NUL_STRING, .len = FWGATE_NAME_LEN - 1 },
	[FWGATE_A_DEVICE_ID]	= NLA_POLICY_EXACT_LEN(FWGATE_ID_LEN),
	[FWGATE_A_THRESHOLD]	= { .type = NLA_U32 },
	[FWGATE_A_MANUFACTURER]	= NLA_POLICY_NESTED(key_policy),
	[FWGATE_A_CHECKERS]	= NLA_POLICY_NESTED_ARRAY(key_policy),
	[FWGATE_A_STATEMENT]	= NLA_POLICY_EXACT_LEN(sizeof(struct fwgate_update_stmt)),
	[FWGATE_A_SIGNATURE]	= { .type = NLA_BINARY, .len = FWGATE_MAX_SIG_LEN },
	[FWGATE_A_VERDICTS]	= NLA_POLICY_NESTED_ARRAY(verdict_policy),
};

static struct genl_family fwgate_family;

/* Keeps a refusal as last_error, with the message the sender got. */
static int refused(int err, struct netlink_ext_ack *extack, const char *what)
{
	if (err)
		fwgate_set_error(err, extack->_msg ?: what);
	return err;
}

/* ---------------------------------------------------------------- policy */

static int key_from_nl(const struct nlattr *attr, struct fwgate_key *key,
		       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FWGATE_A_KEY_MAX + 1];
	int err;

	err = nla_parse_nested(tb, FWGATE_A_KEY_MAX, attr, key_policy, extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, attr, tb, FWGATE_A_KEY_ALG) ||
	    NL_REQ_ATTR_CHECK(extack, attr, tb, FWGATE_A_KEY_DATA))
		return -EINVAL;
	key->alg = nla_get_u32(tb[FWGATE_A_KEY_ALG]);
	key->len = nla_len(tb[FWGATE_A_KEY_DATA]);
	memcpy(key->data, nla_data(tb[FWGATE_A_KEY_DATA]), key->len);
	if (tb[FWGATE_A_KEY_ID])
		memcpy(key->id, nla_data(tb[FWGATE_A_KEY_ID]), FWGATE_ID_LEN);
	return 0;
}

static int policy_set(struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct fwgate_policy *p;
	struct nlattr *pos;
	int rem, err;

	if (GENL_REQ_ATTR_CHECK(info, FWGATE_A_OTYPE) ||
	    GENL_REQ_ATTR_CHECK(info, FWGATE_A_DEVICE_ID) ||
	    GENL_REQ_ATTR_CHECK(info, FWGATE_A_THRESHOLD) ||
	    GENL_REQ_ATTR_CHECK(info, FWGATE_A_MANUFACTURER) ||
	    GENL_REQ_ATTR_CHECK(info, FWGATE_A_CHECKERS))
		return -EINVAL;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	nla_strscpy(p->otype, info->attrs[FWGATE_A_OTYPE], sizeof(p->otype));
	memcpy(p->device_id, nla_data(info->attrs[FWGATE_A_DEVICE_ID]), FWGATE_ID_LEN);
	p->threshold = nla_get_u32(info->attrs[FWGATE_A_THRESHOLD]);

	err = key_from_nl(info->attrs[FWGATE_A_MANUFACTURER], &p->manufacturer, extack);
	if (err)
		goto err_free;
	nla_for_each_nested(pos, info->attrs[FWGATE_A_CHECKERS], rem) {
		if (p->k == FWGATE_MAX_CHECKERS) {
			NL_SET_ERR_MSG_ATTR(extack, pos, "more than FWGATE_MAX_CHECKERS checkers");
			err = -EINVAL;
			goto err_free;
		}
		err = key_from_nl(pos, &p->checkers[p->k], extack);
		if (err)
			goto err_free;
		p->k++;
	}
	return fwgate_policy_replace(p, extack);

err_free:
	kfree_sensitive(p);
	return err;
}

static int policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return refused(policy_set(info), info->extack, "policy refused: attribute missing");
}

static int policy_lock_doit(struct sk_buff *skb, struct genl_info *info)
{
	return refused(fwgate_policy_lock(info->extack), info->extack, "policy lock refused");
}

static int put_key(struct sk_buff *skb, int type, const struct fwgate_key *key)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest ||
	    nla_put_u32(skb, FWGATE_A_KEY_ALG, key->alg) ||
	    nla_put(skb, FWGATE_A_KEY_ID, FWGATE_ID_LEN, key->id) ||
	    nla_put(skb, FWGATE_A_KEY_DATA, key->len, key->data))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_policy(struct sk_buff *skb, const struct fwgate_policy *p)
{
	struct nlattr *nest;
	u32 i;

	if (nla_put_string(skb, FWGATE_A_OTYPE, p->otype) ||
	    nla_put(skb, FWGATE_A_DEVICE_ID, FWGATE_ID_LEN, p->device_id) ||
	    nla_put_u32(skb, FWGATE_A_THRESHOLD, p->threshold) ||
	    nla_put_u8(skb, FWGATE_A_LOCKED, fwgate_locked) ||
	    put_key(skb, FWGATE_A_MANUFACTURER, &p->manufacturer))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, FWGATE_A_CHECKERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < p->k; i++)
		if (put_key(skb, i + 1, &p->checkers[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int policy_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE + sizeof(struct fwgate_policy), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fwgate_family, 0, FWGATE_CMD_POLICY_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	mutex_lock(&fwgate_mutex);
	if (!fwgate_policy) {
		NL_SET_ERR_MSG(info->extack, "no trust policy is set");
		err = -ENOKEY;
	} else {
		err = put_policy(msg, fwgate_policy);
	}
	mutex_unlock(&fwgate_mutex);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/* --------------------------------------------------------------- updates */

static int put_update(struct sk_buff *skb, const struct fwgate_update *u,
		      const struct fwgate_bundle_result *res)
{
	struct nlattr *nest = nla_nest_start(skb, FWGATE_A_UPDATE);

	if (!nest ||
	    nla_put(skb, FWGATE_A_UPDATE_ID, FWGATE_ID_LEN, u->stmt.u_id) ||
	    nla_put_u64_64bit(skb, FWGATE_A_UPDATE_VERSION, be64_to_cpu(u->stmt.version),
			      FWGATE_A_UPDATE_PAD) ||
	    nla_put_u64_64bit(skb, FWGATE_A_UPDATE_SIZE, be64_to_cpu(u->stmt.size),
			      FWGATE_A_UPDATE_PAD) ||
	    nla_put_string(skb, FWGATE_A_UPDATE_TARGET, u->stmt.target) ||
	    nla_put_u32(skb, FWGATE_A_UPDATE_STATE, u->state) ||
	    nla_put_u32(skb, FWGATE_A_UPDATE_APPROVALS, hweight32(u->approved_by)) ||
	    nla_put_u32(skb, FWGATE_A_UPDATE_REJECTIONS, hweight32(u->rejected_by)))
		return -EMSGSIZE;
	if (res && (nla_put_u32(skb, FWGATE_A_UPDATE_ACCEPTED, res->accepted) ||
		    nla_put_u32(skb, FWGATE_A_UPDATE_IGNORED, res->ignored)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int verdicts_from_nl(const struct nlattr *list, struct fwgate_verdict *v,
			    unsigned int *nv, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FWGATE_A_VERDICT_MAX + 1];
	struct nlattr *pos;
	int rem, err;

	*nv = 0;
	if (!list)
		return 0;
	nla_for_each_nested(pos, list, rem) {
		if (*nv == FWGATE_MAX_VERDICTS) {
			NL_SET_ERR_MSG_ATTR(extack, pos, "more than FWGATE_MAX_VERDICTS verdicts");
			return -EINVAL;
		}
		err = nla_parse_nested(tb, FWGATE_A_VERDICT_MAX, pos, verdict_policy, extack);
		if (err)
			return err;
		if (NL_REQ_ATTR_CHECK(extack, pos, tb, FWGATE_A_VERDICT_KIND) ||
		    NL_REQ_ATTR_CHECK(extack, pos, tb, FWGATE_A_VERDICT_CHECKER) ||
		    NL_REQ_ATTR_CHECK(extack, pos, tb, FWGATE_A_VERDICT_REPORT) ||
		    NL_REQ_ATTR_CHECK(extack, pos, tb, FWGATE_A_VERDICT_SIGNATURE))
			return -EINVAL;
		v[*nv] = (struct fwgate_verdict) {
			.kind = nla_get_u32(tb[FWGATE_A_VERDICT_KIND]),
			.checker = nla_data(tb[FWGATE_A_VERDICT_CHECKER]),
			.report = nla_data(tb[FWGATE_A_VERDICT_REPORT]),
			.sig = nla_data(tb[FWGATE_A_VERDICT_SIGNATURE]),
			.sig_len = nla_len(tb[FWGATE_A_VERDICT_SIGNATURE]),
			.attr = pos,
		};
		(*nv)++;
	}
	return 0;
}

static int bundle_submit_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct fwgate_bundle_result res = {};
	const struct fwgate_update_stmt *stmt;
	struct fwgate_update *u = NULL;
	struct fwgate_verdict *v;
	struct sk_buff *msg;
	unsigned int nv;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FWGATE_A_STATEMENT) ||
	    GENL_REQ_ATTR_CHECK(info, FWGATE_A_SIGNATURE))
		return -EINVAL;
	stmt = nla_data(info->attrs[FWGATE_A_STATEMENT]);

	v = kcalloc(FWGATE_MAX_VERDICTS, sizeof(*v), GFP_KERNEL);
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!v || !msg) {
		err = -ENOMEM;
		goto out;
	}
	err = verdicts_from_nl(info->attrs[FWGATE_A_VERDICTS], v, &nv, extack);
	if (err)
		goto out_refused;

	mutex_lock(&fwgate_mutex);
	err = fwgate_bundle_submit(stmt, nla_data(info->attrs[FWGATE_A_SIGNATURE]),
				   nla_len(info->attrs[FWGATE_A_SIGNATURE]),
				   v, nv, &u, &res, extack);
	if (!err) {
		atomic64_add(res.accepted, &fwgate_counters.approvals_accepted);
		fwgate_notify_approval(u, &res, 0, NULL);
		hdr = genlmsg_put_reply(msg, info, &fwgate_family, 0,
					FWGATE_CMD_BUNDLE_SUBMIT);
		if (!hdr || put_update(msg, u, &res))
			err = -EMSGSIZE;
		else
			genlmsg_end(msg, hdr);
	}
	mutex_unlock(&fwgate_mutex);
	if (!err) {
		err = genlmsg_reply(msg, info);
		msg = NULL;
		goto out;
	}
out_refused:
	atomic64_inc(&fwgate_counters.approvals_refused);
	refused(err, extack, "bundle refused: attribute missing");
	fwgate_notify_approval(NULL, NULL, err, extack->_msg ?: "bundle refused: attribute missing");
out:
	nlmsg_free(msg);
	kfree(v);
	return err;
}

static int update_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fwgate_update *u;
	void *hdr;
	int err = 0;

	mutex_lock(&fwgate_mutex);
	for (; (u = fwgate_update_nth(cb->args[0])); cb->args[0]++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &fwgate_family, NLM_F_MULTI, FWGATE_CMD_UPDATE_GET);
		if (!hdr || put_update(skb, u, NULL)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&fwgate_mutex);
	/* A full skb ends this part of the dump; the next resumes at args[0]. */
	return err && skb->len ? skb->len : err;
}

/* --------------------------------------------------------------- targets */

static int put_target(struct sk_buff *skb, const struct fwgate_target *t, bool full)
{
	struct nlattr *nest = nla_nest_start(skb, FWGATE_A_TARGET);
	u8 id[FWGATE_ID_LEN] = {};
	u32 state = FWGATE_TARGET_UNKNOWN;
	u64 version = 0;

	if (!nest ||
	    nla_put_string(skb, FWGATE_A_TARGET_NAME, t->name) ||
	    nla_put_string(skb, FWGATE_A_TARGET_GROUP, t->group))
		return -EMSGSIZE;
	if (full) {
		fwgate_state_target_get(t->name, &state, &version, id);
		if (nla_put_string(skb, FWGATE_A_TARGET_SPEC, t->spec) ||
		    nla_put_u32(skb, FWGATE_A_TARGET_TYPE, t->type) ||
		    nla_put_u64_64bit(skb, FWGATE_A_TARGET_SIZE, t->size, FWGATE_A_TARGET_PAD) ||
		    nla_put_u64_64bit(skb, FWGATE_A_TARGET_FLOOR, fwgate_floor(t->group),
				      FWGATE_A_TARGET_PAD) ||
		    nla_put(skb, FWGATE_A_TARGET_LAST_ID, FWGATE_ID_LEN, id) ||
		    nla_put_u64_64bit(skb, FWGATE_A_TARGET_LAST_VERSION, version,
				      FWGATE_A_TARGET_PAD) ||
		    nla_put_u32(skb, FWGATE_A_TARGET_STATE, state))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int target_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fwgate_target *t;
	unsigned long i = 0;
	void *hdr;
	int err = 0;

	mutex_lock(&fwgate_mutex);
	list_for_each_entry(t, &fwgate_targets, node) {
		if (i++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &fwgate_family, NLM_F_MULTI, FWGATE_CMD_TARGET_GET);
		if (!hdr || put_target(skb, t, true)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	mutex_unlock(&fwgate_mutex);
	return err && skb->len ? skb->len : err;
}

/* ---------------------------------------------------------------- events */

static void notify(u8 cmd, u32 event, int err, const char *reason,
		   int (*fill)(struct sk_buff *, const void *), const void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &fwgate_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(msg, FWGATE_A_EVENT, event) ||
	    (err && nla_put_u32(msg, FWGATE_A_ERRNO, -err)) ||
	    (reason && nla_put_string(msg, FWGATE_A_REASON, reason)) ||
	    (fill && fill(msg, arg))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&fwgate_family, msg, 0, 0, GFP_KERNEL);
}

struct approval_event {
	const struct fwgate_update *u;
	const struct fwgate_bundle_result *res;
};

static int fill_approval(struct sk_buff *skb, const void *arg)
{
	const struct approval_event *e = arg;

	return put_update(skb, e->u, e->res);
}

void fwgate_notify_approval(const struct fwgate_update *u,
			    const struct fwgate_bundle_result *res,
			    int err, const char *reason)
{
	struct approval_event e = { u, res };

	notify(FWGATE_CMD_APPROVAL_NTF, err ? FWGATE_EVENT_APPROVAL_REFUSED :
	       FWGATE_EVENT_APPROVAL_ACCEPTED, err, reason,
	       u ? fill_approval : NULL, &e);
}

struct install_event {
	const struct fwgate_target *t;
	const u8 *u_id;
	u64 version;
};

static int fill_install(struct sk_buff *skb, const void *arg)
{
	const struct install_event *e = arg;
	struct nlattr *nest;

	if (e->t && put_target(skb, e->t, false))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, FWGATE_A_UPDATE);
	if (!nest ||
	    nla_put(skb, FWGATE_A_UPDATE_ID, FWGATE_ID_LEN, e->u_id) ||
	    nla_put_u64_64bit(skb, FWGATE_A_UPDATE_VERSION, e->version, FWGATE_A_UPDATE_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

void fwgate_notify_install(const struct fwgate_target *t, const u8 *u_id,
			   u64 version, int err, const char *reason)
{
	struct install_event e = { t, u_id, version };

	notify(FWGATE_CMD_INSTALL_NTF, err ? FWGATE_EVENT_INSTALL_REFUSED :
	       FWGATE_EVENT_INSTALL_COMMITTED, err, reason, fill_install, &e);
}

/* ---------------------------------------------------------------- family */

static const struct genl_ops fwgate_ops[] = {
	{
		.cmd	= FWGATE_CMD_POLICY_GET,
		.doit	= policy_get_doit,
	},
	{
		.cmd	= FWGATE_CMD_POLICY_SET,
		.doit	= policy_set_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= FWGATE_CMD_POLICY_LOCK,
		.doit	= policy_lock_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= FWGATE_CMD_BUNDLE_SUBMIT,
		.doit	= bundle_submit_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= FWGATE_CMD_UPDATE_GET,
		.dumpit	= update_get_dumpit,
	},
	{
		.cmd	= FWGATE_CMD_TARGET_GET,
		.dumpit	= target_get_dumpit,
	},
};

static const struct genl_multicast_group fwgate_mcgrps[] = {
	{ .name = FWGATE_MCGRP_EVENTS },
};

static struct genl_family fwgate_family __ro_after_init = {
	.name		= FWGATE_GENL_NAME,
	.version	= FWGATE_GENL_VERSION,
	.maxattr	= FWGATE_A_MAX,
	.policy		= fwgate_nl_policy,
	.module		= THIS_MODULE,
	.ops		= fwgate_ops,
	.n_ops		= ARRAY_SIZE(fwgate_ops),
	.resv_start_op	= FWGATE_CMD_MAX + 1,
	.mcgrps		= fwgate_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(fwgate_mcgrps),
	.netnsok	= false,
};

int fwgate_genl_init(void)
{
	return genl_register_family(&fwgate_family);
}

void fwgate_genl_exit(void)
{
	genl_unregister_family(&fwgate_family);
}
