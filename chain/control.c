// SPDX-License-Identifier: GPL-2.0
/*
 * Control transactions (FWG_TX_CONTROL, Documentation/fwgate/ledger.rst): a withdrawal of an update, or the
 * pause or resume of its rollout, as a struct fwgate_control_stmt followed by a signature set. The decoder
 * checks the shape; the nodes' rules (who must sign, seq order, a withdrawal is final) are checked against
 * what the chain says of each update, kept here.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

#define failk(err, k, ...) ({ (err)->kind = (k); snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); -1; })

/* What the chain says of one update, for its controls. */
struct ctl {
	uint8_t u_id[FWGATE_ID_LEN];
	uint8_t m_id[FWGATE_ID_LEN];
	char o_type[FWGATE_NAME_LEN];
	uint64_t seq;		/* of the pause or resume in force, 0 if none */
	uint8_t paused, withdrawn;
	uint8_t used;
};

/* Open addressing over U_ids, which are uniform already. */
struct fwg_controls {
	struct ctl *slot;
	size_t mask, used;
};

int fwg_control_kind(const struct fwgate_control_stmt *s)
{
	if (!memcmp(s->magic, FWGATE_MAGIC_WITHDRAW, FWGATE_MAGIC_LEN))
		return FWG_CONTROL_WITHDRAW;
	if (!memcmp(s->magic, FWGATE_MAGIC_PAUSE, FWGATE_MAGIC_LEN))
		return FWG_CONTROL_PAUSE;
	if (!memcmp(s->magic, FWGATE_MAGIC_RESUME, FWGATE_MAGIC_LEN))
		return FWG_CONTROL_RESUME;
	return 0;
}

const char *fwg_control_name(int kind)
{
	switch (kind) {
	case FWG_CONTROL_WITHDRAW:
		return "withdraw";
	case FWG_CONTROL_PAUSE:
		return "pause";
	case FWG_CONTROL_RESUME:
		return "resume";
	}
	return "unknown";
}

int fwg_control_decode(const uint8_t *buf, size_t len, size_t *off, struct fwg_tx *tx, struct fwg_err *err)
{
	struct fwg_sigset *set;
	size_t start = *off;
	int ret;

	if (!fwg_control_kind(&tx->s.control))
		return failk(err, FWG_ERR_FORMAT, "control.magic: not %s, %s or %s", FWGATE_MAGIC_WITHDRAW,
			     FWGATE_MAGIC_PAUSE, FWGATE_MAGIC_RESUME);
	set = malloc(sizeof(*set));
	if (!set)
		return failk(err, FWG_ERR_FORMAT, "control: out of memory");
	ret = fwg_sigset_decode(buf, len, off, set, "control.sigs", err);
	free(set);
	if (ret)
		return -1;
	tx->sigset = buf + start;
	tx->sigset_len = *off - start;
	return 0;
}

size_t fwg_control_encode(const struct fwgate_control_stmt *s, struct fwg_sigset *set, uint8_t *buf, size_t len)
{
	size_t n;

	if (!fwg_control_kind(s) || len < 2 + sizeof(*s))
		return 0;
	buf[0] = FWG_TX_VERSION;
	buf[1] = FWG_TX_CONTROL;
	memcpy(buf + 2, s, sizeof(*s));
	n = fwg_sigset_encode(set, buf + 2 + sizeof(*s), len - 2 - sizeof(*s));
	return n && 2 + sizeof(*s) + n <= FWG_TX_MAX ? 2 + sizeof(*s) + n : 0;
}

int fwg_control_sigs(const struct fwg_tx *tx, struct fwg_sigset *set)
{
	struct fwg_err err;
	size_t off = 0;

	if (tx->type != FWG_TX_CONTROL || !tx->sigset)
		return -EINVAL;
	return fwg_sigset_decode(tx->sigset, tx->sigset_len, &off, set, "control.sigs", &err) ? -EINVAL : 0;
}

/* ------------------------------------------------------------------ what the chain says */

static struct ctl *lookup(const struct fwg_controls *c, const uint8_t *u_id)
{
	uint64_t h;
	size_t i;

	if (!c || !c->slot)
		return NULL;
	memcpy(&h, u_id, sizeof(h));
	for (i = h & c->mask;; i = (i + 1) & c->mask) {
		if (!c->slot[i].used)
			return NULL;
		if (!memcmp(c->slot[i].u_id, u_id, FWGATE_ID_LEN))
			return &c->slot[i];
	}
}

static struct ctl *insert(struct fwg_controls *c, const uint8_t *u_id)
{
	struct ctl *s;
	uint64_t h;
	size_t i;

	if (!c->slot || (c->used + 1) * 4 > (c->mask + 1) * 3) {
		struct fwg_controls n = { .mask = c->slot ? 2 * c->mask + 1 : 255 };

		n.slot = calloc(n.mask + 1, sizeof(*n.slot));
		if (!n.slot)
			return NULL;
		for (i = 0; c->slot && i <= c->mask; i++)
			if (c->slot[i].used)
				*insert(&n, c->slot[i].u_id) = c->slot[i];
		free(c->slot);
		*c = n;
	}
	memcpy(&h, u_id, sizeof(h));
	for (i = h & c->mask;; i = (i + 1) & c->mask) {
		s = &c->slot[i];
		if (!s->used || !memcmp(s->u_id, u_id, FWGATE_ID_LEN))
			break;
	}
	if (!s->used) {
		c->used++;
		memset(s, 0, sizeof(*s));
		s->used = 1;
		memcpy(s->u_id, u_id, FWGATE_ID_LEN);
	}
	return s;
}

void fwg_controls_free(struct fwg_controls *c)
{
	if (c)
		free(c->slot);
	free(c);
}

int fwg_controls_note_update(struct fwg_controls **cp, const struct fwgate_update_stmt *u)
{
	struct ctl *s;

	if (!*cp)
		*cp = calloc(1, sizeof(**cp));
	if (!*cp)
		return -ENOMEM;
	s = insert(*cp, u->u_id);
	if (!s)
		return -ENOMEM;
	memcpy(s->m_id, u->m_id, FWGATE_ID_LEN);
	memcpy(s->o_type, u->o_type, FWGATE_NAME_LEN);
	return 0;
}

int fwg_controls_check(const struct fwg_controls *c, const struct fwg_state *st, const struct fwg_tx *tx,
		       int check_sig, struct fwg_err *err)
{
	const struct fwgate_control_stmt *s = &tx->s.control;
	int kind = fwg_control_kind(s), manufacturer = 0;
	const struct fwg_type_policy *tp;
	unsigned int i, j, checkers = 0;
	const struct ctl *r = lookup(c, s->u_id);
	struct fwg_sigset *set;
	struct fwg_key *key;
	int ret = -1;

	if (!r)
		return failk(err, FWG_ERR_REFERENCE, "control.u_id: no update with this image digest in the ledger");
	if (r->withdrawn)
		return failk(err, FWG_ERR_REPLAY, kind == FWG_CONTROL_WITHDRAW ?
			     "control.u_id: the update is already withdrawn" :
			     "control.u_id: the update is withdrawn, and a withdrawal is final");
	if (kind != FWG_CONTROL_WITHDRAW && be64toh(s->seq) <= r->seq)
		return failk(err, FWG_ERR_REPLAY,
			     "control.seq: %llu is not above %llu, the seq of this update's last pause or resume",
			     (unsigned long long)be64toh(s->seq), (unsigned long long)r->seq);
	tp = fwg_state_type(st, r->o_type);
	set = malloc(sizeof(*set));
	if (!set || fwg_control_sigs(tx, set)) {
		failk(err, FWG_ERR_FORMAT, "control.sigs: out of memory or malformed");
		goto out;
	}
	for (i = 0; i < set->count; i++) {
		const struct fwg_sig *sg = &set->sig[i];

		if (!memcmp(sg->key_id, r->m_id, FWGATE_ID_LEN)) {
			key = fwg_state_member_key_by_id(st, sg->key_id, FWG_ROLE_MANUFACTURER);
			manufacturer = 1;
		} else {
			for (j = 0; tp && j < tp->k; j++)
				if (!memcmp(tp->checkers[j], sg->key_id, FWGATE_ID_LEN))
					break;
			if (kind != FWG_CONTROL_WITHDRAW || !tp || j == tp->k) {
				failk(err, FWG_ERR_SIGNER, kind == FWG_CONTROL_WITHDRAW ?
				      "control.sigs[%u].key_id: neither the update's manufacturer nor a checker of "
				      "device type \"%.31s\"" :
				      "control.sigs[%u].key_id: not the update's manufacturer, who alone signs a "
				      "pause or resume of \"%.31s\"", i, r->o_type);
				goto out;
			}
			key = fwg_state_member_key_by_id(st, sg->key_id, FWG_ROLE_CHECKER);
			checkers++;
		}
		if (check_sig && (!key || fwg_verify_pkey(key, tx->msg, tx->msg_len, sg->sig, sg->len))) {
			failk(err, FWG_ERR_SIGNER, "control.sigs[%u].sig: does not verify with the signer's registered key",
			      i);
			goto out;
		}
	}
	if (kind != FWG_CONTROL_WITHDRAW && !manufacturer) {
		failk(err, FWG_ERR_SIGNER, "control.sigs: a %s is signed by the update's manufacturer",
		      fwg_control_name(kind));
		goto out;
	}
	if (kind == FWG_CONTROL_WITHDRAW && !manufacturer && (!tp || checkers < tp->q)) {
		failk(err, FWG_ERR_SIGNER, "control.sigs: %u checkers of \"%.31s\" signed, below its threshold %u, "
		      "and not the update's manufacturer", checkers, r->o_type, tp ? tp->q : 0);
		goto out;
	}
	ret = 0;
out:
	free(set);
	return ret;
}

int fwg_controls_apply(struct fwg_controls *c, const struct fwg_tx *tx)
{
	const struct fwgate_control_stmt *s = &tx->s.control;
	struct ctl *r = (struct ctl *)lookup(c, s->u_id);
	int kind = fwg_control_kind(s);

	if (!r)
		return -ENOENT;
	if (kind == FWG_CONTROL_WITHDRAW) {
		r->withdrawn = 1;
	} else {
		r->seq = be64toh(s->seq);
		r->paused = kind == FWG_CONTROL_PAUSE;
	}
	return 0;
}

int fwg_controls_get(const struct fwg_controls *c, const uint8_t u_id[FWGATE_ID_LEN], struct fwg_control_info *out)
{
	const struct ctl *r = lookup(c, u_id);

	if (!r)
		return -ENOENT;
	out->withdrawn = r->withdrawn;
	out->paused = r->paused;
	out->seq = r->seq;
	return 0;
}
