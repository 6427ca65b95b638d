// SPDX-License-Identifier: GPL-2.0
/*
 * The "fwgate" generic netlink family: policy provisioning and locking,
 * approval bundles, dumps of updates and targets, and the "events" group.
 * Documentation/netlink/specs/fwgate.yaml describes it; the policies, the ops
 * and the family are generated from it (netlink-gen.c).
 *
 * Every refusal takes one path, refuse(): the sender's extack names the
 * attribute, last_error keeps the message, and a refused bundle also counts in
 * approvals_refused and is announced on "events".
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "fwgate.h"
#include "netlink-gen.h"
#include "compat.h"

static void notify_approval_accepted(const struct fwgate_update *u,
				     const struct fwgate_bundle_result *res);
static void notify_approval_refused(int err, const char *reason);

void fwgate_refuse_str(struct fwgate_request *req, const char *why)
{
	if (!req)
		return;
	compat_set_err_msg_str(req->extack, why);
	req->msg = why;
}

/* The one way a request is refused; returns @err. */
static int refuse(struct fwgate_request *req, u8 cmd, int err, const char *fallback)
{
	const char *why = req->msg ?: fallback;

	fwgate_set_error(err, why);
	if (cmd == FWGATE_CMD_BUNDLE_SUBMIT) {
		atomic64_inc(&fwgate_counters.approvals_refused);
		notify_approval_refused(err, why);
	}
	return err;
}

/*
 * Refuses an attribute sent to an operation that takes none. 6.2+ gives such
 * split ops no policy and leaves their attributes unparsed, so the check is
 * ours (before, the core's reject-all policy refused them first).
 */
static int refuse_attrs(struct fwgate_request *req, const struct nlmsghdr *nlh)
{
	if (!nlmsg_attrlen(nlh, GENL_HDRLEN))
		return 0;
	fwgate_refuse(req, nlmsg_attrdata(nlh, GENL_HDRLEN), "this operation takes no attribute");
	return -EINVAL;
}

/* ---------------------------------------------------------------- policy */

static int key_from_nl(const struct nlattr *nest, struct fwgate_key *key,
		       struct fwgate_request *req)
{
	struct nlattr *tb[FWGATE_A_KEY_MAX + 1];
	int err;

	err = nla_parse_nested(tb, FWGATE_A_KEY_MAX, nest, fwgate_key_nl_policy, req->extack);
	if (err)
		return err;
	if (fwgate_require(req, nest, tb, FWGATE_A_KEY_ALG, "key without an algorithm") ||
	    fwgate_require(req, nest, tb, FWGATE_A_KEY_DATA, "key without data"))
		return -EINVAL;
	if (nla_len(tb[FWGATE_A_KEY_DATA]) > FWGATE_MAX_KEY_LEN) {
		fwgate_refuse(req, tb[FWGATE_A_KEY_DATA],
			      "key data longer than FWGATE_MAX_KEY_LEN");
		return -EINVAL;
	}
	key->alg = nla_get_u32(tb[FWGATE_A_KEY_ALG]);
	key->len = nla_len(tb[FWGATE_A_KEY_DATA]);
	memcpy(key->data, nla_data(tb[FWGATE_A_KEY_DATA]), key->len);
	if (tb[FWGATE_A_KEY_ID])
		memcpy(key->id, nla_data(tb[FWGATE_A_KEY_ID]), FWGATE_ID_LEN);
	return 0;
}

static int policy_set(struct genl_info *info, struct fwgate_request *req)
{
	struct nlattr **tb = info->attrs;
	struct fwgate_policy *p;
	struct nlattr *pos;
	int rem, err;

	if (fwgate_require(req, NULL, tb, FWGATE_A_OTYPE, "policy without otype") ||
	    fwgate_require(req, NULL, tb, FWGATE_A_DEVICE_ID, "policy without device-id") ||
	    fwgate_require(req, NULL, tb, FWGATE_A_THRESHOLD, "policy without threshold") ||
	    fwgate_require(req, NULL, tb, FWGATE_A_MANUFACTURER, "policy without manufacturer") ||
	    fwgate_require(req, NULL, tb, FWGATE_A_CHECKER, "policy without a checker"))
		return -EINVAL;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	nla_strscpy(p->otype, info->attrs[FWGATE_A_OTYPE], sizeof(p->otype));
	memcpy(p->device_id, nla_data(info->attrs[FWGATE_A_DEVICE_ID]), FWGATE_ID_LEN);
	p->threshold = nla_get_u32(info->attrs[FWGATE_A_THRESHOLD]);
	p->epoch = tb[FWGATE_A_EPOCH] ? nla_get_u64(tb[FWGATE_A_EPOCH]) : 1;

	err = key_from_nl(info->attrs[FWGATE_A_MANUFACTURER], &p->manufacturer, req);
	if (err)
		goto err_free;
	nlmsg_for_each_attr(pos, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(pos) != FWGATE_A_CHECKER)
			continue;
		if (p->k == FWGATE_MAX_CHECKERS) {
			fwgate_refuse(req, pos, "more than FWGATE_MAX_CHECKERS checkers");
			err = -EINVAL;
			goto err_free;
		}
		err = key_from_nl(pos, &p->checkers[p->k], req);
		if (err)
			goto err_free;
		req->checker[p->k++] = pos;
	}
	return fwgate_policy_replace(p, req);

err_free:
	kfree_sensitive(p);
	return err;
}

int fwgate_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fwgate_request req = { .extack = info->extack, .attrs = info->attrs };
	int err = policy_set(info, &req);

	return err ? refuse(&req, FWGATE_CMD_POLICY_SET, err, "policy refused") : 0;
}

int fwgate_nl_policy_lock_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fwgate_request req = { .extack = info->extack, .attrs = info->attrs };
	int err = refuse_attrs(&req, info->nlhdr) ?: fwgate_policy_lock(&req);

	return err ? refuse(&req, FWGATE_CMD_POLICY_LOCK, err, "policy lock refused") : 0;
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
	u8 sealed_digest[FWGATE_ID_LEN];
	u64 sealed_epoch;
	u32 i;

	fwgate_state_sealed(&sealed_epoch, sealed_digest);
	if (nla_put_u64_64bit(skb, FWGATE_A_EPOCH, p->epoch, FWGATE_A_PAD) ||
	    nla_put(skb, FWGATE_A_DIGEST, FWGATE_ID_LEN, p->digest) ||
	    nla_put_u64_64bit(skb, FWGATE_A_SEALED_EPOCH, sealed_epoch, FWGATE_A_PAD) ||
	    nla_put(skb, FWGATE_A_SEALED_DIGEST, FWGATE_ID_LEN, sealed_digest) ||
	    nla_put_string(skb, FWGATE_A_OTYPE, p->otype) ||
	    nla_put(skb, FWGATE_A_DEVICE_ID, FWGATE_ID_LEN, p->device_id) ||
	    nla_put_u32(skb, FWGATE_A_THRESHOLD, p->threshold) ||
	    nla_put_u8(skb, FWGATE_A_LOCKED, fwgate_locked) ||
	    put_key(skb, FWGATE_A_MANUFACTURER, &p->manufacturer))
		return -EMSGSIZE;
	for (i = 0; i < p->k; i++)
		if (put_key(skb, FWGATE_A_CHECKER, &p->checkers[i]))
			return -EMSGSIZE;
	return 0;
}

int fwgate_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fwgate_request req = { .extack = info->extack };
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = refuse_attrs(&req, info->nlhdr);
	if (err)
		return err;
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE + sizeof(struct fwgate_policy), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fwgate_nl_family, 0, FWGATE_CMD_POLICY_GET);
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
	bool paused;
	u64 seq;

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
	fwgate_control_get(u->stmt.u_id, &paused, &seq);
	if (nla_put_u8(skb, FWGATE_A_UPDATE_PAUSED, paused) ||
	    nla_put_u64_64bit(skb, FWGATE_A_UPDATE_CONTROL_SEQ, seq, FWGATE_A_UPDATE_PAD))
		return -EMSGSIZE;
	if (res && (nla_put_u32(skb, FWGATE_A_UPDATE_ACCEPTED, res->accepted) ||
		    nla_put_u32(skb, FWGATE_A_UPDATE_IGNORED, res->ignored)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int verdicts_from_nl(struct genl_info *info, struct fwgate_verdict *v,
			    unsigned int *nv, struct fwgate_request *req)
{
	struct nlattr *tb[FWGATE_A_VERDICT_MAX + 1];
	struct nlattr *pos;
	int rem, err;

	*nv = 0;
	nlmsg_for_each_attr(pos, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(pos) != FWGATE_A_VERDICT)
			continue;
		if (*nv == FWGATE_MAX_VERDICTS) {
			fwgate_refuse(req, pos, "more than FWGATE_MAX_VERDICTS verdicts");
			return -EINVAL;
		}
		err = nla_parse_nested(tb, FWGATE_A_VERDICT_MAX, pos, fwgate_verdict_nl_policy,
				       req->extack);
		if (err)
			return err;
		if (fwgate_require(req, pos, tb, FWGATE_A_VERDICT_KIND, "verdict without kind") ||
		    fwgate_require(req, pos, tb, FWGATE_A_VERDICT_CHECKER,
				   "verdict without checker") ||
		    fwgate_require(req, pos, tb, FWGATE_A_VERDICT_REPORT,
				   "verdict without report") ||
		    fwgate_require(req, pos, tb, FWGATE_A_VERDICT_SIGNATURE,
				   "verdict without signature"))
			return -EINVAL;
		if (nla_len(tb[FWGATE_A_VERDICT_SIGNATURE]) > FWGATE_MAX_SIG_LEN) {
			fwgate_refuse(req, tb[FWGATE_A_VERDICT_SIGNATURE],
				      "verdict signature longer than FWGATE_MAX_SIG_LEN");
			return -EINVAL;
		}
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

static int bundle_submit(struct genl_info *info, struct fwgate_request *req,
			 struct fwgate_verdict *v, struct sk_buff *msg)
{
	struct fwgate_bundle_result res = {};
	const struct nlattr *sig;
	struct fwgate_update *u;
	unsigned int nv;
	void *hdr;
	int err;

	if (fwgate_require(req, NULL, info->attrs, FWGATE_A_STATEMENT,
			   "bundle without statement") ||
	    fwgate_require(req, NULL, info->attrs, FWGATE_A_SIGNATURE,
			   "bundle without signature"))
		return -EINVAL;
	sig = info->attrs[FWGATE_A_SIGNATURE];
	if (nla_len(sig) > FWGATE_MAX_SIG_LEN) {
		fwgate_refuse(req, sig, "manufacturer signature longer than FWGATE_MAX_SIG_LEN");
		return -EINVAL;
	}
	err = verdicts_from_nl(info, v, &nv, req);
	if (err)
		return err;

	mutex_lock(&fwgate_mutex);
	err = fwgate_bundle_submit(nla_data(info->attrs[FWGATE_A_STATEMENT]), nla_data(sig),
				   nla_len(sig), v, nv, &u, &res, req);
	if (!err) {
		atomic64_add(res.accepted, &fwgate_counters.approvals_accepted);
		notify_approval_accepted(u, &res);
		hdr = genlmsg_put_reply(msg, info, &fwgate_nl_family, 0,
					FWGATE_CMD_BUNDLE_SUBMIT);
		if (!hdr || put_update(msg, u, &res))
			err = -EMSGSIZE;
		else
			genlmsg_end(msg, hdr);
	}
	mutex_unlock(&fwgate_mutex);
	return err;
}

int fwgate_nl_bundle_submit_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fwgate_request req = { .extack = info->extack, .attrs = info->attrs };
	struct fwgate_verdict *v;
	struct sk_buff *msg;
	int err;

	v = kcalloc(FWGATE_MAX_VERDICTS, sizeof(*v), GFP_KERNEL);
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (v && msg)
		err = bundle_submit(info, &req, v, msg);
	else
		err = -ENOMEM;
	kfree(v);
	if (err) {
		nlmsg_free(msg);
		return refuse(&req, FWGATE_CMD_BUNDLE_SUBMIT, err, "bundle refused");
	}
	return genlmsg_reply(msg, info);
}

/* -------------------------------------------------------------- controls */

static int control_sigs_from_nl(struct genl_info *info, struct fwgate_control_sig *sig,
				unsigned int *n, struct fwgate_request *req)
{
	struct nlattr *tb[FWGATE_A_CONTROL_SIG_MAX + 1];
	struct nlattr *pos;
	int rem, err;

	*n = 0;
	nlmsg_for_each_attr(pos, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(pos) != FWGATE_A_CONTROL_SIG)
			continue;
		if (*n == FWGATE_MAX_CHECKERS + 1) {
			fwgate_refuse(req, pos,
				      "more than FWGATE_MAX_CHECKERS + 1 control signatures");
			return -EINVAL;
		}
		err = nla_parse_nested(tb, FWGATE_A_CONTROL_SIG_MAX, pos,
				       fwgate_control_sig_nl_policy, req->extack);
		if (err)
			return err;
		if (fwgate_require(req, pos, tb, FWGATE_A_CONTROL_SIG_SIGNER,
				   "control signature without signer") ||
		    fwgate_require(req, pos, tb, FWGATE_A_CONTROL_SIG_SIGNATURE,
				   "control signature without signature"))
			return -EINVAL;
		if (nla_len(tb[FWGATE_A_CONTROL_SIG_SIGNATURE]) > FWGATE_MAX_SIG_LEN) {
			fwgate_refuse(req, tb[FWGATE_A_CONTROL_SIG_SIGNATURE],
				      "control signature longer than FWGATE_MAX_SIG_LEN");
			return -EINVAL;
		}
		sig[*n] = (struct fwgate_control_sig) {
			.signer = nla_data(tb[FWGATE_A_CONTROL_SIG_SIGNER]),
			.sig = nla_data(tb[FWGATE_A_CONTROL_SIG_SIGNATURE]),
			.sig_len = nla_len(tb[FWGATE_A_CONTROL_SIG_SIGNATURE]),
			.attr = pos,
		};
		(*n)++;
	}
	if (!*n) {
		fwgate_refuse(req, NULL, "control without a signature");
		return -EINVAL;
	}
	return 0;
}

static int update_control(struct genl_info *info, struct fwgate_request *req,
			  struct fwgate_control_sig *sig, struct sk_buff *msg)
{
	struct fwgate_update *u;
	unsigned int n;
	void *hdr;
	int err;

	if (fwgate_require(req, NULL, info->attrs, FWGATE_A_CONTROL, "control without statement"))
		return -EINVAL;
	err = control_sigs_from_nl(info, sig, &n, req);
	if (err)
		return err;

	mutex_lock(&fwgate_mutex);
	err = fwgate_control_submit(nla_data(info->attrs[FWGATE_A_CONTROL]), sig, n, &u, req);
	if (!err) {
		hdr = genlmsg_put_reply(msg, info, &fwgate_nl_family, 0, FWGATE_CMD_UPDATE_CONTROL);
		if (!hdr || (u && put_update(msg, u, NULL)))
			err = -EMSGSIZE;
		else
			genlmsg_end(msg, hdr);
	}
	mutex_unlock(&fwgate_mutex);
	return err;
}

int fwgate_nl_update_control_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fwgate_request req = { .extack = info->extack, .attrs = info->attrs };
	struct fwgate_control_sig *sig;
	struct sk_buff *msg;
	int err;

	sig = kcalloc(FWGATE_MAX_CHECKERS + 1, sizeof(*sig), GFP_KERNEL);
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (sig && msg)
		err = update_control(info, &req, sig, msg);
	else
		err = -ENOMEM;
	kfree(sig);
	if (err) {
		nlmsg_free(msg);
		return refuse(&req, FWGATE_CMD_UPDATE_CONTROL, err, "control refused");
	}
	return genlmsg_reply(msg, info);
}

/* Both dumps: they take no attribute. */
int fwgate_nl_dump_start(struct netlink_callback *cb)
{
	struct fwgate_request req = { .extack = cb->extack };

	return refuse_attrs(&req, cb->nlh);
}

/*
 * Dumps resume at an index into a list that may change between their parts;
 * fwgate_dump_seq flags a dump that spans a change NLM_F_DUMP_INTR.
 */
int fwgate_nl_update_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fwgate_update *u;
	void *hdr;

	mutex_lock(&fwgate_mutex);
	cb->seq = fwgate_dump_seq;
	for (; (u = fwgate_update_nth(cb->args[0])); cb->args[0]++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &fwgate_nl_family, NLM_F_MULTI, FWGATE_CMD_UPDATE_GET);
		if (!hdr)
			goto full;
		genl_dump_check_consistent(cb, hdr);
		if (put_update(skb, u, NULL)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&fwgate_mutex);
	return skb->len;

full:
	mutex_unlock(&fwgate_mutex);
	/* A full skb ends this part of the dump; the next resumes at args[0]. */
	return skb->len ?: -EMSGSIZE;
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

int fwgate_nl_target_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fwgate_target *t;
	unsigned long i = 0;
	void *hdr;

	mutex_lock(&fwgate_mutex);
	cb->seq = fwgate_dump_seq;
	list_for_each_entry(t, &fwgate_targets, node) {
		if (i++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &fwgate_nl_family, NLM_F_MULTI, FWGATE_CMD_TARGET_GET);
		if (!hdr)
			goto full;
		genl_dump_check_consistent(cb, hdr);
		if (put_target(skb, t, true)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	mutex_unlock(&fwgate_mutex);
	return skb->len;

full:
	mutex_unlock(&fwgate_mutex);
	return skb->len ?: -EMSGSIZE;
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
	hdr = genlmsg_put(msg, 0, 0, &fwgate_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(msg, FWGATE_A_EVENT, event) ||
	    (err && nla_put_u32(msg, FWGATE_A_ERRNO, -err)) ||
	    (reason && nla_put_string(msg, FWGATE_A_REASON, reason)) ||
	    (fill && fill(msg, arg))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&fwgate_nl_family, msg, 0, FWGATE_NLGRP_EVENTS, GFP_KERNEL);
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

static void notify_approval_accepted(const struct fwgate_update *u,
				     const struct fwgate_bundle_result *res)
{
	struct approval_event e = { u, res };

	notify(FWGATE_CMD_APPROVAL_NTF, FWGATE_EVENT_APPROVAL_ACCEPTED, 0, NULL, fill_approval, &e);
}

static void notify_approval_refused(int err, const char *reason)
{
	notify(FWGATE_CMD_APPROVAL_NTF, FWGATE_EVENT_APPROVAL_REFUSED, err, reason, NULL, NULL);
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

int fwgate_genl_init(void)
{
	return genl_register_family(&fwgate_nl_family);
}

void fwgate_genl_exit(void)
{
	genl_unregister_family(&fwgate_nl_family);
}
