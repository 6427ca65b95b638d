// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "log.h"
#include "nl.h"
#include "policy.h"

struct fwg_nl {
	struct nl_sock *sk;
	int family;
	char error[256];
};

/* One request in flight: what its callbacks fill in. */
struct xfer {
	struct fwg_nl *nl;
	int done;
	int err;
	int (*parse)(struct nlattr **tb, struct nlmsghdr *nlh, void *arg);
	void *arg;
};

static void copy_extack(struct fwg_nl *nl, struct nlmsgerr *e)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);

	nl->error[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->error, sizeof(nl->error), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct xfer *x = arg;

	(void)who;
	x->err = e->error;
	x->done = 1;
	copy_extack(x->nl, e);
	return NL_STOP;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	struct xfer *x = arg;

	(void)msg;
	x->done = 1;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[FWGATE_A_MAX + 1];
	struct xfer *x = arg;
	int err;

	if (!x->parse)
		return NL_OK;
	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, FWGATE_A_MAX, NULL);
	if (!err)
		err = x->parse(tb, nlmsg_hdr(msg), x->arg);
	if (err) {
		x->err = -EPROTO;
		snprintf(x->nl->error, sizeof(x->nl->error), "malformed reply from the kernel");
	}
	return NL_OK;
}

static int transact(struct fwg_nl *nl, struct nl_msg *msg,
		    int (*parse)(struct nlattr **, struct nlmsghdr *, void *), void *arg)
{
	struct xfer x = { .nl = nl, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int err;

	nl->error[0] = '\0';
	cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &x);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &x);

	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !x.done)
		err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (x.err)
		err = x.err;
	else if (err < 0)
		err = -EIO;
	else
		err = 0;
	if (err && !nl->error[0])
		snprintf(nl->error, sizeof(nl->error), "%s", strerror(-err));
	return err;
}

static struct nl_msg *request(struct fwg_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags, cmd,
				FWGATE_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

struct fwg_nl *fwg_nl_open(int events)
{
	struct fwg_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, grp;

	if (!nl)
		return NULL;
	nl->sk = nl_socket_alloc();
	if (!nl->sk || genl_connect(nl->sk)) {
		log_warnx("netlink: can not open a generic netlink socket");
		goto err;
	}
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, FWGATE_FAMILY_NAME);
	if (nl->family < 0) {
		log_warnx("netlink: no \"%s\" family: is fwgate.ko loaded?", FWGATE_FAMILY_NAME);
		goto err;
	}
	if (events) {
		grp = genl_ctrl_resolve_grp(nl->sk, FWGATE_FAMILY_NAME, FWGATE_MCGRP_EVENTS);
		if (grp < 0 || nl_socket_add_membership(nl->sk, grp)) {
			log_warnx("netlink: can not join the \"%s\" group", FWGATE_MCGRP_EVENTS);
			goto err;
		}
	}
	return nl;
err:
	fwg_nl_close(nl);
	return NULL;
}

void fwg_nl_close(struct fwg_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const char *fwg_nl_error(const struct fwg_nl *nl)
{
	return nl->error;
}

int fwg_nl_fd(const struct fwg_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

/* ---------------------------------------------------------------- policy */

static int put_key(struct nl_msg *msg, int type, const struct fwg_pubkey *k)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || nla_put_u32(msg, FWGATE_A_KEY_ALG, k->alg) ||
	    nla_put(msg, FWGATE_A_KEY_DATA, k->len, k->data) ||
	    nla_put(msg, FWGATE_A_KEY_ID, FWGATE_ID_LEN, k->id))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int fwg_nl_policy_set(struct fwg_nl *nl, const struct fwg_policy *p)
{
	struct nl_msg *msg = request(nl, FWGATE_CMD_POLICY_SET, 0);
	uint32_t i;

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, FWGATE_A_OTYPE, p->otype) ||
	    nla_put(msg, FWGATE_A_DEVICE_ID, FWGATE_ID_LEN, p->device_id) ||
	    nla_put_u32(msg, FWGATE_A_THRESHOLD, p->threshold) ||
	    put_key(msg, FWGATE_A_MANUFACTURER, &p->manufacturer) ||
	    (p->epoch && nla_put_u64(msg, FWGATE_A_EPOCH, p->epoch)))
		goto err;
	for (i = 0; i < p->k; i++)
		if (put_key(msg, FWGATE_A_CHECKER, &p->checkers[i]))
			goto err;
	return transact(nl, msg, NULL, NULL);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int get_key(struct nlattr *attr, struct fwg_pubkey *k)
{
	struct nlattr *tb[FWGATE_A_KEY_MAX + 1];

	if (nla_parse_nested(tb, FWGATE_A_KEY_MAX, attr, NULL) || !tb[FWGATE_A_KEY_ALG] ||
	    !tb[FWGATE_A_KEY_DATA] || !tb[FWGATE_A_KEY_ID] ||
	    nla_len(tb[FWGATE_A_KEY_DATA]) > FWGATE_MAX_KEY_LEN)
		return -EPROTO;
	k->alg = nla_get_u32(tb[FWGATE_A_KEY_ALG]);
	k->len = nla_len(tb[FWGATE_A_KEY_DATA]);
	memcpy(k->data, nla_data(tb[FWGATE_A_KEY_DATA]), k->len);
	memcpy(k->id, nla_data(tb[FWGATE_A_KEY_ID]), FWGATE_ID_LEN);
	return 0;
}

static int parse_policy(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct fwg_policy *p = arg;
	struct nlattr *pos;
	int rem;

	if (!tb[FWGATE_A_OTYPE] || !tb[FWGATE_A_DEVICE_ID] || !tb[FWGATE_A_THRESHOLD] ||
	    !tb[FWGATE_A_MANUFACTURER] || !tb[FWGATE_A_CHECKER])
		return -EPROTO;
	memset(p, 0, sizeof(*p));
	nla_strlcpy(p->otype, tb[FWGATE_A_OTYPE], sizeof(p->otype));
	memcpy(p->device_id, nla_data(tb[FWGATE_A_DEVICE_ID]), FWGATE_ID_LEN);
	p->threshold = nla_get_u32(tb[FWGATE_A_THRESHOLD]);
	p->locked = tb[FWGATE_A_LOCKED] ? nla_get_u8(tb[FWGATE_A_LOCKED]) : 0;
	if (get_key(tb[FWGATE_A_MANUFACTURER], &p->manufacturer))
		return -EPROTO;
	if (tb[FWGATE_A_EPOCH])
		p->epoch = nla_get_u64(tb[FWGATE_A_EPOCH]);
	if (tb[FWGATE_A_SEALED_EPOCH])
		p->sealed_epoch = nla_get_u64(tb[FWGATE_A_SEALED_EPOCH]);
	if (tb[FWGATE_A_DIGEST] && nla_len(tb[FWGATE_A_DIGEST]) == FWGATE_ID_LEN)
		memcpy(p->digest, nla_data(tb[FWGATE_A_DIGEST]), FWGATE_ID_LEN);
	if (tb[FWGATE_A_SEALED_DIGEST] && nla_len(tb[FWGATE_A_SEALED_DIGEST]) == FWGATE_ID_LEN)
		memcpy(p->sealed_digest, nla_data(tb[FWGATE_A_SEALED_DIGEST]), FWGATE_ID_LEN);
	/* The checkers: every FWGATE_A_CHECKER, in order. */
	nlmsg_for_each_attr(pos, nlh, GENL_HDRLEN, rem) {
		if (nla_type(pos) != FWGATE_A_CHECKER)
			continue;
		if (p->k == FWGATE_MAX_CHECKERS || get_key(pos, &p->checkers[p->k]))
			return -EPROTO;
		p->k++;
	}
	return 0;
}

int fwg_nl_policy_get(struct fwg_nl *nl, struct fwg_policy *p)
{
	struct nl_msg *msg = request(nl, FWGATE_CMD_POLICY_GET, 0);

	return msg ? transact(nl, msg, parse_policy, p) : -ENOMEM;
}

int fwg_nl_policy_lock(struct fwg_nl *nl)
{
	struct nl_msg *msg = request(nl, FWGATE_CMD_POLICY_LOCK, 0);

	return msg ? transact(nl, msg, NULL, NULL) : -ENOMEM;
}

/* --------------------------------------------------------------- updates */

static int get_update(struct nlattr *attr, struct fwg_update_info *u)
{
	struct nlattr *tb[FWGATE_A_UPDATE_MAX + 1];

	memset(u, 0, sizeof(*u));
	if (!attr || nla_parse_nested(tb, FWGATE_A_UPDATE_MAX, attr, NULL) ||
	    !tb[FWGATE_A_UPDATE_ID] || nla_len(tb[FWGATE_A_UPDATE_ID]) != FWGATE_ID_LEN)
		return -EPROTO;
	memcpy(u->u_id, nla_data(tb[FWGATE_A_UPDATE_ID]), FWGATE_ID_LEN);
#define GET(field, attr, getter) if (tb[attr]) u->field = getter(tb[attr])
	GET(version, FWGATE_A_UPDATE_VERSION, nla_get_u64);
	GET(size, FWGATE_A_UPDATE_SIZE, nla_get_u64);
	GET(state, FWGATE_A_UPDATE_STATE, nla_get_u32);
	GET(approvals, FWGATE_A_UPDATE_APPROVALS, nla_get_u32);
	GET(rejections, FWGATE_A_UPDATE_REJECTIONS, nla_get_u32);
	GET(accepted, FWGATE_A_UPDATE_ACCEPTED, nla_get_u32);
	GET(ignored, FWGATE_A_UPDATE_IGNORED, nla_get_u32);
#undef GET
	if (tb[FWGATE_A_UPDATE_TARGET])
		nla_strlcpy(u->target, tb[FWGATE_A_UPDATE_TARGET], sizeof(u->target));
	return 0;
}

static int parse_update(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	return get_update(tb[FWGATE_A_UPDATE], arg);
}

int fwg_nl_bundle_submit(struct fwg_nl *nl, const struct fwgate_update_stmt *stmt,
			 const uint8_t *sig, uint32_t sig_len, const struct fwg_verdict *v,
			 unsigned int nv, struct fwg_update_info *out)
{
	struct nl_msg *msg = request(nl, FWGATE_CMD_BUNDLE_SUBMIT, 0);
	struct nlattr *nest;
	unsigned int i;

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, FWGATE_A_STATEMENT, sizeof(*stmt), stmt) ||
	    nla_put(msg, FWGATE_A_SIGNATURE, sig_len, sig))
		goto err;
	for (i = 0; i < nv; i++) {
		nest = nla_nest_start(msg, FWGATE_A_VERDICT);
		if (!nest || nla_put_u32(msg, FWGATE_A_VERDICT_KIND, v[i].kind) ||
		    nla_put(msg, FWGATE_A_VERDICT_CHECKER, FWGATE_ID_LEN, v[i].checker) ||
		    nla_put(msg, FWGATE_A_VERDICT_REPORT, FWGATE_ID_LEN, v[i].report) ||
		    nla_put(msg, FWGATE_A_VERDICT_SIGNATURE, v[i].sig_len, v[i].sig))
			goto err;
		nla_nest_end(msg, nest);
	}
	return transact(nl, msg, parse_update, out);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* The update nest is there only when the kernel tracks the update. */
static int parse_control(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	memset(arg, 0, sizeof(struct fwg_update_info));
	return tb[FWGATE_A_UPDATE] ? get_update(tb[FWGATE_A_UPDATE], arg) : 0;
}

int fwg_nl_update_control(struct fwg_nl *nl, const struct fwgate_control_stmt *s,
			  const struct fwg_control_sig *sig, unsigned int n, struct fwg_update_info *out)
{
	struct nl_msg *msg = request(nl, FWGATE_CMD_UPDATE_CONTROL, 0);
	struct nlattr *nest;
	unsigned int i;

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, FWGATE_A_CONTROL, sizeof(*s), s))
		goto err;
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, FWGATE_A_CONTROL_SIG);
		if (!nest || nla_put(msg, FWGATE_A_CONTROL_SIG_SIGNER, FWGATE_ID_LEN, sig[i].signer) ||
		    nla_put(msg, FWGATE_A_CONTROL_SIG_SIGNATURE, sig[i].sig_len, sig[i].sig))
			goto err;
		nla_nest_end(msg, nest);
	}
	return transact(nl, msg, parse_control, out);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

struct each_update {
	int (*fn)(const struct fwg_update_info *, void *);
	void *arg;
};

static int parse_each_update(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct each_update *e = arg;
	struct fwg_update_info u;

	(void)nlh;
	return get_update(tb[FWGATE_A_UPDATE], &u) ?: e->fn(&u, e->arg);
}

int fwg_nl_updates(struct fwg_nl *nl, int (*fn)(const struct fwg_update_info *, void *), void *arg)
{
	struct nl_msg *msg = request(nl, FWGATE_CMD_UPDATE_GET, NLM_F_DUMP);
	struct each_update e = { fn, arg };

	return msg ? transact(nl, msg, parse_each_update, &e) : -ENOMEM;
}

/* --------------------------------------------------------------- targets */

static int get_target(struct nlattr *attr, struct fwg_target_info *t)
{
	struct nlattr *tb[FWGATE_A_TARGET_MAX + 1];

	memset(t, 0, sizeof(*t));
	if (!attr || nla_parse_nested(tb, FWGATE_A_TARGET_MAX, attr, NULL) ||
	    !tb[FWGATE_A_TARGET_NAME])
		return -EPROTO;
	nla_strlcpy(t->name, tb[FWGATE_A_TARGET_NAME], sizeof(t->name));
	if (tb[FWGATE_A_TARGET_GROUP])
		nla_strlcpy(t->group, tb[FWGATE_A_TARGET_GROUP], sizeof(t->group));
	if (tb[FWGATE_A_TARGET_SPEC])
		nla_strlcpy(t->spec, tb[FWGATE_A_TARGET_SPEC], sizeof(t->spec));
	if (tb[FWGATE_A_TARGET_LAST_ID] && nla_len(tb[FWGATE_A_TARGET_LAST_ID]) == FWGATE_ID_LEN)
		memcpy(t->last_id, nla_data(tb[FWGATE_A_TARGET_LAST_ID]), FWGATE_ID_LEN);
#define GET(field, attr, getter) if (tb[attr]) t->field = getter(tb[attr])
	GET(type, FWGATE_A_TARGET_TYPE, nla_get_u32);
	GET(size, FWGATE_A_TARGET_SIZE, nla_get_u64);
	GET(floor, FWGATE_A_TARGET_FLOOR, nla_get_u64);
	GET(last_version, FWGATE_A_TARGET_LAST_VERSION, nla_get_u64);
	GET(state, FWGATE_A_TARGET_STATE, nla_get_u32);
#undef GET
	return 0;
}

struct each_target {
	int (*fn)(const struct fwg_target_info *, void *);
	void *arg;
};

static int parse_each_target(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct each_target *e = arg;
	struct fwg_target_info t;

	(void)nlh;
	return get_target(tb[FWGATE_A_TARGET], &t) ?: e->fn(&t, e->arg);
}

int fwg_nl_targets(struct fwg_nl *nl, int (*fn)(const struct fwg_target_info *, void *), void *arg)
{
	struct nl_msg *msg = request(nl, FWGATE_CMD_TARGET_GET, NLM_F_DUMP);
	struct each_target e = { fn, arg };

	return msg ? transact(nl, msg, parse_each_target, &e) : -ENOMEM;
}

/* ---------------------------------------------------------------- events */

/* Events are not replies: they carry no sequence number of ours. */
static int skip_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[FWGATE_A_MAX + 1];
	struct fwg_event *ev = arg;

	memset(ev, 0, sizeof(*ev));
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, FWGATE_A_MAX, NULL) || !tb[FWGATE_A_EVENT])
		return NL_SKIP;
	ev->cmd = genlmsg_hdr(nlmsg_hdr(msg))->cmd;
	ev->event = nla_get_u32(tb[FWGATE_A_EVENT]);
	if (tb[FWGATE_A_ERRNO])
		ev->err = nla_get_u32(tb[FWGATE_A_ERRNO]);
	if (tb[FWGATE_A_REASON])
		nla_strlcpy(ev->reason, tb[FWGATE_A_REASON], sizeof(ev->reason));
	if (tb[FWGATE_A_UPDATE])
		get_update(tb[FWGATE_A_UPDATE], &ev->update);
	if (tb[FWGATE_A_TARGET])
		get_target(tb[FWGATE_A_TARGET], &ev->target);
	return NL_STOP;
}

int fwg_nl_event(struct fwg_nl *nl, struct fwg_event *ev)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);
	int err;

	if (!cb)
		return -ENOMEM;
	ev->event = 0;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, ev);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, skip_seq_check, NULL);
	do
		err = nl_recvmsgs(nl->sk, cb);
	while (err >= 0 && !ev->event);
	nl_cb_put(cb);
	if (err < 0)
		snprintf(nl->error, sizeof(nl->error), "%s", nl_geterror(err));
	return err < 0 ? -EIO : 0;
}

int fwg_nl_policy_rotate(struct fwg_nl *nl, const struct fwgate_rotate_stmt *stmt, const uint8_t *enc, size_t len,
			 const struct fwg_sigset *sigs)
{
	/* Up to FWG_SIGSET_MAX signatures of 384 bytes and a 10 KiB encoding: more than nlmsg_alloc()'s page. */
	struct nl_msg *msg = nlmsg_alloc_size(4096 + len + sigs->count * (FWGATE_ID_LEN + FWGATE_MAX_SIG_LEN + 16));
	struct nlattr *nest;
	unsigned int i;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, 0, FWGATE_CMD_POLICY_ROTATE,
			 FWGATE_FAMILY_VERSION) ||
	    nla_put(msg, FWGATE_A_ROTATE_STATEMENT, sizeof(*stmt), stmt) ||
	    nla_put(msg, FWGATE_A_POLICY_ENCODING, len, enc))
		goto err;
	for (i = 0; i < sigs->count; i++) {
		nest = nla_nest_start(msg, FWGATE_A_SIGNER);
		if (!nest || nla_put(msg, FWGATE_A_SIGNER_KEY_ID, FWGATE_ID_LEN, sigs->sig[i].key_id) ||
		    nla_put(msg, FWGATE_A_SIGNER_SIGNATURE, sigs->sig[i].len, sigs->sig[i].sig))
			goto err;
		nla_nest_end(msg, nest);
	}
	return transact(nl, msg, NULL, NULL);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}
