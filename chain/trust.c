// SPDX-License-Identifier: GPL-2.0
/*
 * The trust transactions (issue 12; Documentation/fwgate/ledger.rst, "Trust"): a device type's policy line
 * (FWG_TX_POLICY, its epoch-1 policy, the genesis type policy with one manufacturer), its rotations
 * (FWG_TX_ROTATE, the rule of lib/policy.c, one per policy: no fork), device revocations (FWG_TX_REVOKE)
 * and ledger membership (FWG_TX_MEMBER, by a majority of the current members). Each refusal names its field.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust.h"
#include "wire.h"

#define failk(err, k, ...) ({ (err)->kind = (k); snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); -1; })
#define fail(err, ...) failk(err, FWG_ERR_FORMAT, __VA_ARGS__)
#define fail_signer(err, ...) failk(err, FWG_ERR_SIGNER, __VA_ARGS__)
#define fail_ref(err, ...) failk(err, FWG_ERR_REFERENCE, __VA_ARGS__)
#define fail_replay(err, ...) failk(err, FWG_ERR_REPLAY, __VA_ARGS__)

/* One epoch of a line: what a device sealed at that epoch names, its encoding, where the chain has it. */
struct epoch {
	uint8_t digest[FWGATE_ID_LEN];
	uint8_t m_id[FWGATE_ID_LEN];
	uint8_t *enc;
	size_t enc_len;
	uint64_t height;
	struct fwgate_rotate_stmt rotate;	/* the rotation that brought it; epoch 1: none */
	struct fwg_sigset *sigs;		/* its signatures, what the kernel's policy-rotate checks */
};

/* A device type's policy line with one manufacturer: its newest policy, and every epoch's digest. */
struct line {
	char o_type[FWGATE_NAME_LEN];
	struct fwg_policy cur;
	uint64_t epoch;			/* of cur; hist[epoch - 1] is cur's */
	struct epoch *hist;
};

struct revoked {
	uint8_t o_id[FWGATE_ID_LEN];
	uint64_t height;
};

struct fwg_trust {
	struct line *line;
	size_t nr_line;
	struct revoked *rev;
	size_t nr_rev;
};

struct fwg_trust *fwg_trust_new(void)
{
	return calloc(1, sizeof(struct fwg_trust));
}

void fwg_trust_free(struct fwg_trust *t)
{
	size_t i;

	if (!t)
		return;
	uint64_t e;

	for (i = 0; i < t->nr_line; i++) {
		for (e = 0; e < t->line[i].epoch; e++) {
			free(t->line[i].hist[e].enc);
			free(t->line[i].hist[e].sigs);
		}
		free(t->line[i].hist);
	}
	free(t->line);
	free(t->rev);
	free(t);
}

static int zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------------------------------ formats */

static int payload_policy(const struct fwg_tx *tx, const char *what, struct fwg_err *err)
{
	struct fwg_policy_err perr;
	struct fwg_policy *p = malloc(sizeof(*p));
	uint64_t epoch;
	int ret;

	if (!p)
		return fail(err, "%s: out of memory", what);
	ret = fwg_policy_decode(tx->payload, tx->payload_len, p, &epoch, &perr);
	free(p);
	if (ret)
		return fail(err, "%s.payload: %.220s", what, perr.msg);
	if (tx->type == FWG_TX_POLICY && epoch != 1)
		return fail(err, "policy.payload: epoch %llu; a line starts at epoch 1, later epochs come by rotation",
			    (unsigned long long)epoch);
	return 0;
}

int fwg_trust_tx_ok(const struct fwg_tx *tx, struct fwg_err *err)
{
	const struct fwg_member_stmt *m = &tx->s.member;
	uint8_t d[FWGATE_ID_LEN];
	struct fwg_key *key;

	switch (tx->type) {
	case FWG_TX_POLICY:
		if (!tx->s.line.o_type[0] || !fwg_name_ok(tx->s.line.o_type))
			return fail(err, "policy.o_type: not 1-31 printable bytes, NUL-padded");
		fwg_sha256(tx->payload, tx->payload_len, d);
		if (memcmp(d, tx->s.line.digest, FWGATE_ID_LEN))
			return fail(err, "policy.digest: not the SHA-256 of the policy encoding that follows");
		return payload_policy(tx, "policy", err);
	case FWG_TX_ROTATE:
		fwg_sha256(tx->payload, tx->payload_len, d);
		if (memcmp(d, tx->s.rotate.next, FWGATE_ID_LEN))
			return fail(err, "rotate.next: not the SHA-256 of the policy encoding that follows");
		if (be64toh(tx->s.rotate.next_epoch) != be64toh(tx->s.rotate.prev_epoch) + 1)
			return fail(err, "rotate.next_epoch: %llu, not prev_epoch + 1",
				    (unsigned long long)be64toh(tx->s.rotate.next_epoch));
		return payload_policy(tx, "rotate", err);
	case FWG_TX_REVOKE:
		if (tx->s.revoke.reserved)
			return fail(err, "revoke.reserved: not zero");
		return 0;
	case FWG_TX_MEMBER:
		if (m->action != FWG_MEMBER_JOIN && m->action != FWG_MEMBER_LEAVE)
			return fail(err, "member.action: %u, not 1 (join) or 2 (leave)", m->action);
		if (m->role < FWG_ROLE_MANUFACTURER || m->role > FWG_ROLE_OPERATOR)
			return fail(err, "member.role: %u is not 1, 2 or 3", m->role);
		if (m->reserved)
			return fail(err, "member.reserved: not zero");
		if (m->action == FWG_MEMBER_LEAVE) {
			if (m->alg || !zero(m->name, sizeof(m->name)) || tx->payload_len)
				return fail(err, "member.alg: a leave carries no key, no name and no payload");
			return 0;
		}
		if (!m->name[0] || !fwg_name_ok(m->name))
			return fail(err, "member.name: not 1-31 printable bytes, NUL-padded");
		key = (m->alg == FWGATE_KEY_P256 || m->alg == FWGATE_KEY_RSA3072) && tx->payload_len &&
		      tx->payload_len <= FWGATE_MAX_KEY_LEN ?
		      fwg_pubkey_decode(m->alg, tx->payload, tx->payload_len) : NULL;
		if (!key)
			return fail(err, "member.payload: not an RSA-3072 key (DER) or a P-256 point on the curve of "
				    "algorithm %u", m->alg);
		fwg_key_free(key);
		fwg_sha256(tx->payload, tx->payload_len, d);
		if (memcmp(d, m->key_id, FWGATE_ID_LEN))
			return fail(err, "member.key_id: not the SHA-256 of the key that follows");
		return 0;
	}
	return fail(err, "%s: not a trust transaction", fwg_tx_type_name(tx->type));
}

int fwg_trust_unique_key(const struct fwg_tx *tx, uint8_t out[FWGATE_ID_LEN])
{
	switch (tx->type) {
	case FWG_TX_POLICY:
		memcpy(out, tx->s.line.digest, FWGATE_ID_LEN);
		return 0;
	case FWG_TX_ROTATE:
		memcpy(out, tx->s.rotate.prev, FWGATE_ID_LEN);
		return 0;
	case FWG_TX_REVOKE:
		memcpy(out, tx->s.revoke.o_id, FWGATE_ID_LEN);
		return 0;
	case FWG_TX_MEMBER:
		memcpy(out, tx->s.member.key_id, FWGATE_ID_LEN);
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------------------------------ lookups */

static struct line *line_by_digest(const struct fwg_trust *t, const uint8_t digest[FWGATE_ID_LEN], uint64_t *epoch)
{
	size_t i;
	uint64_t e;

	for (i = 0; i < t->nr_line; i++)
		for (e = 0; e < t->line[i].epoch; e++)
			if (!memcmp(t->line[i].hist[e].digest, digest, FWGATE_ID_LEN)) {
				*epoch = e + 1;
				return &t->line[i];
			}
	return NULL;
}

static struct line *line_by_maker(const struct fwg_trust *t, const char *o_type, const uint8_t m_id[FWGATE_ID_LEN])
{
	size_t i;

	for (i = 0; i < t->nr_line; i++)
		if (!strncmp(t->line[i].o_type, o_type, FWGATE_NAME_LEN) &&
		    !memcmp(t->line[i].cur.manufacturer.id, m_id, FWGATE_ID_LEN))
			return &t->line[i];
	return NULL;
}

/* On every ack and nack: the device table's own slot, not a walk of the revocations. */
uint64_t fwg_trust_revoked(const struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN])
{
	return fwg_state_device_revoked(st, o_id);
}

int fwg_trust_check_device(const struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err)
{
	const uint8_t *o_id;
	uint64_t h;

	if (tx->type != FWG_TX_ACK && tx->type != FWG_TX_NACK && tx->type != FWG_TX_RUNNING)
		return 0;
	/* A running ack is an ack statement under another magic. */
	o_id = tx->type == FWG_TX_NACK ? tx->s.nack.o_id : tx->s.ack.o_id;
	h = fwg_trust_revoked(st, o_id);
	if (h)
		return fail_signer(err, "%s.o_id: this device was revoked by its manufacturer (block %llu); its acks "
				   "and nacks are refused", fwg_tx_type_name(tx->type), (unsigned long long)h - 1);
	return 0;
}

int fwg_trust_line_checker(const struct fwg_state *st, const char *o_type, const uint8_t m_id[FWGATE_ID_LEN],
			   const uint8_t checker[FWGATE_ID_LEN], uint64_t *epoch)
{
	const struct line *l = line_by_maker(fwg_state_trust(st), o_type, m_id);
	unsigned int i;

	if (!l)
		return -1;
	*epoch = l->epoch;
	for (i = 0; i < l->cur.k; i++)
		if (!memcmp(l->cur.checkers[i].id, checker, FWGATE_ID_LEN))
			return 1;
	return 0;
}

int fwg_trust_check_update(const struct fwg_state *st, const struct fwgate_update_stmt *u, const char *what,
			   struct fwg_err *err)
{
	const struct fwg_trust *t = fwg_state_trust(st);
	uint64_t e;
	size_t i;

	if (line_by_maker(t, u->o_type, u->m_id))
		return 0;
	for (i = 0; i < t->nr_line; i++) {
		const struct line *l = &t->line[i];

		if (strncmp(l->o_type, u->o_type, FWGATE_NAME_LEN))
			continue;
		for (e = 0; e < l->epoch; e++)
			if (!memcmp(l->hist[e].m_id, u->m_id, FWGATE_ID_LEN))
				return fail_signer(err, "%s.m_id: this manufacturer key was rotated out of the "
						   "policy of device type \"%.31s\" (now at epoch %llu)", what, u->o_type,
						   (unsigned long long)l->epoch);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ checks */

/* The key a signature-set entry names: a current member, else one of extra (keys not yet members). */
static int verify_entry(const struct fwg_state *st, const struct fwg_sig *s, const void *msg, size_t len,
			const struct fwg_pubkey *extra, unsigned int nr_extra)
{
	int m = fwg_state_member(st, s->key_id, 0);
	unsigned int i;

	if (m >= 0)
		return fwg_verify_pkey(fwg_state_member_key(st, m), msg, len, s->sig, s->len);
	for (i = 0; i < nr_extra; i++)
		if (!memcmp(extra[i].id, s->key_id, FWGATE_ID_LEN))
			return fwg_verify(&extra[i], msg, len, s->sig, s->len);
	return -ENOKEY;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, FWGATE_ID_LEN);
}

/* The genesis policy of o_type with manufacturer m: the same checkers (as a set) and threshold. */
static int is_genesis_policy(const struct fwg_type_policy *tp, const struct fwg_policy *p)
{
	uint8_t ids[FWGATE_MAX_CHECKERS][FWGATE_ID_LEN];
	unsigned int i;

	if (tp->k != p->k || tp->q != p->threshold)
		return 0;
	memcpy(ids, tp->checkers, tp->k * FWGATE_ID_LEN);
	qsort(ids, tp->k, FWGATE_ID_LEN, id_cmp);
	for (i = 0; i < p->k; i++)	/* p's checkers are sorted: the decoder says so */
		if (memcmp(ids[i], p->checkers[i].id, FWGATE_ID_LEN))
			return 0;
	return 1;
}

static const struct fwg_type_policy *type_policy(const struct fwg_state *st, const char *o_type)
{
	const struct fwg_genesis *g = fwg_state_genesis(st);
	unsigned int i;

	for (i = 0; i < g->nr_types; i++)
		if (!strncmp(g->types[i].o_type, o_type, FWGATE_NAME_LEN))
			return &g->types[i];
	return NULL;
}

/* The keys of a policy must be current members in their role: a rotation brings in no stranger. */
static int keys_are_members(const struct fwg_state *st, const struct fwg_policy *p, const char *what,
			    struct fwg_err *err)
{
	unsigned int i;

	if (fwg_state_member(st, p->manufacturer.id, FWG_ROLE_MANUFACTURER) < 0)
		return fail_signer(err, "%s.payload: its manufacturer key is not a manufacturer member of the "
				   "consortium (fwgate member add first)", what);
	for (i = 0; i < p->k; i++)
		if (fwg_state_member(st, p->checkers[i].id, FWG_ROLE_CHECKER) < 0)
			return fail_signer(err, "%s.payload: checkers[%u] is not a checker member of the consortium "
					   "(fwgate member add first)", what, i);
	return 0;
}

static int check_line(struct fwg_state *st, const struct fwg_tx *tx, int check_sig, struct fwg_err *err)
{
	const struct fwg_trust *t = fwg_state_trust(st);
	const struct fwg_type_policy *tp = type_policy(st, tx->s.line.o_type);
	struct fwg_policy_err perr;
	struct fwg_policy *p;
	struct line *l;
	uint64_t epoch;
	unsigned int i;
	int ret = -1;

	if (!tp)
		return fail_ref(err, "policy.o_type: \"%.31s\" is not a device type of the consortium",
				tx->s.line.o_type);
	l = line_by_digest(t, tx->s.line.digest, &epoch);
	if (l)
		return fail_replay(err, "policy.digest: this policy is already on the chain (device type \"%.31s\", "
				   "epoch %llu)", l->o_type, (unsigned long long)epoch);
	p = malloc(sizeof(*p));
	if (!p)
		return fail(err, "policy: out of memory");
	if (fwg_policy_decode(tx->payload, tx->payload_len, p, &epoch, &perr)) {
		fail(err, "policy.payload: %.220s", perr.msg);
		goto out;
	}
	if (line_by_maker(t, tx->s.line.o_type, p->manufacturer.id)) {
		fail_replay(err, "policy.o_type: device type \"%.31s\" has a line with this manufacturer already",
			    tx->s.line.o_type);
		goto out;
	}
	if (keys_are_members(st, p, "policy", err))
		goto out;
	if (!is_genesis_policy(tp, p)) {
		fail(err, "policy.payload: not the genesis policy of device type \"%.31s\" (its %u checkers, threshold "
		     "%u) with this manufacturer", tx->s.line.o_type, tp->k, tp->q);
		goto out;
	}
	/* Every key of the policy signs, and nobody else. */
	if (tx->sigs->count != 1 + p->k) {
		fail_signer(err, "policy.sigs.count: %u, the policy's %u keys each sign once", tx->sigs->count,
			    1 + p->k);
		goto out;
	}
	for (i = 0; i < tx->sigs->count; i++) {
		const struct fwg_sig *s = &tx->sigs->sig[i];

		if (!fwg_policy_has_key(p, s->key_id)) {
			fail_signer(err, "policy.sigs[%u].key_id: not a key of the policy", i);
			goto out;
		}
		if (check_sig && verify_entry(st, s, tx->msg, tx->msg_len, NULL, 0)) {
			fail_signer(err, "policy.sigs[%u].sig: does not verify with its key", i);
			goto out;
		}
	}
	ret = 0;
out:
	free(p);
	return ret;
}

static int check_rotate(struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err)
{
	const struct fwg_trust *t = fwg_state_trust(st);
	const struct fwgate_rotate_stmt *r = &tx->s.rotate;
	struct fwg_policy_err perr;
	struct fwg_policy *next;
	struct line *l, *other;
	uint64_t epoch;
	int ret = -1;

	l = line_by_digest(t, r->prev, &epoch);
	if (!l)
		return fail_ref(err, "rotate.prev: no policy on the chain has this digest (publish the line first: "
				"fwgate policy publish)");
	if (epoch != l->epoch)
		return fail_replay(err, "rotate.prev: epoch %llu of device type \"%.31s\"'s line was rotated already; "
				   "its newest policy is at epoch %llu (one rotation per policy, no fork)",
				   (unsigned long long)epoch, l->o_type, (unsigned long long)l->epoch);
	next = malloc(sizeof(*next));
	if (!next)
		return fail(err, "rotate: out of memory");
	/* The rule verifies every signature: a rotation is rare, and a recheck costs what a check does. */
	if (fwg_rotation_check(&l->cur, l->epoch, r, tx->payload, tx->payload_len, tx->sigs, next, &perr)) {
		fail_signer(err, "%.250s", perr.msg);
		goto out;
	}
	if (keys_are_members(st, next, "rotate", err))
		goto out;
	other = line_by_maker(t, l->o_type, next->manufacturer.id);
	if (other && other != l) {
		fail_replay(err, "rotate.payload: device type \"%.31s\" has another line with this manufacturer key",
			    l->o_type);
		goto out;
	}
	ret = 0;
out:
	free(next);
	return ret;
}

static int check_revoke(struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err)
{
	const struct fwgate_revoke_stmt *v = &tx->s.revoke;
	const struct fwg_trust *t = fwg_state_trust(st);
	uint8_t maker[FWGATE_ID_LEN];
	uint64_t h, e;
	size_t i;

	if (fwg_state_member(st, v->m_id, FWG_ROLE_MANUFACTURER) < 0)
		return fail_signer(err, "revoke.m_id: not a manufacturer of the consortium");
	if (fwg_state_device_maker(st, v->o_id, maker))
		return fail_ref(err, "revoke.o_id: no device certificate in the ledger for this device");
	h = fwg_trust_revoked(st, v->o_id);
	if (h)
		return fail_replay(err, "revoke.o_id: this device was revoked already, in block %llu",
				   (unsigned long long)h - 1);
	if (!memcmp(maker, v->m_id, FWGATE_ID_LEN))
		return 0;
	/* Or the key that replaced the certifying one by rotation, in a line that had it. */
	for (i = 0; i < t->nr_line; i++) {
		if (memcmp(t->line[i].cur.manufacturer.id, v->m_id, FWGATE_ID_LEN))
			continue;
		for (e = 0; e < t->line[i].epoch; e++)
			if (!memcmp(t->line[i].hist[e].m_id, maker, FWGATE_ID_LEN))
				return 0;
	}
	return fail_signer(err, "revoke.m_id: not the manufacturer that certified this device, nor its key's "
			   "successor by rotation");
}

static int check_member(struct fwg_state *st, const struct fwg_tx *tx, int check_sig, struct fwg_err *err)
{
	const struct fwg_member_stmt *m = &tx->s.member;
	const struct fwg_trust *t = fwg_state_trust(st);
	const struct fwg_genesis *g = fwg_state_genesis(st);
	struct fwg_pubkey joining = {};
	unsigned int i, members = fwg_state_nr_members(st), approvals = 0;
	size_t l;
	int idx = fwg_state_member(st, m->key_id, 0);

	if (m->action == FWG_MEMBER_JOIN) {
		if (idx >= 0)
			return fail_replay(err, "member.key_id: already a member (\"%.31s\")", g->members[idx].name);
		if (g->nr_members >= FWG_MAX_MEMBERS)
			return fail(err, "member: the ledger has recorded %d members, the most it holds",
				    FWG_MAX_MEMBERS);
		joining.alg = m->alg;
		joining.len = tx->payload_len;
		memcpy(joining.data, tx->payload, tx->payload_len);
		memcpy(joining.id, m->key_id, FWGATE_ID_LEN);
		if (!fwg_sigset_find(tx->sigs, m->key_id))
			return fail_signer(err, "member.sigs: the joining key did not sign (nobody joins with a "
					   "key they do not hold)");
	} else {
		if (idx < 0 || g->members[idx].role != m->role)
			return fail_ref(err, "member.key_id: not a current member of role %u", m->role);
		if (members == 1)
			return fail(err, "member.key_id: the last member can not leave");
		for (l = 0; l < t->nr_line; l++)
			if (fwg_policy_has_key(&t->line[l].cur, m->key_id))
				return fail_ref(err, "member.key_id: still in the policy of device type \"%.31s\" "
						"(epoch %llu); rotate it out first", t->line[l].o_type,
						(unsigned long long)t->line[l].epoch);
	}
	for (i = 0; i < tx->sigs->count; i++) {
		const struct fwg_sig *s = &tx->sigs->sig[i];
		int ret = verify_entry(st, s, tx->msg, tx->msg_len, &joining, m->action == FWG_MEMBER_JOIN);

		if (ret == -ENOKEY)
			return fail_signer(err, "member.sigs[%u].key_id: not a current member%s", i,
					   m->action == FWG_MEMBER_JOIN ? " nor the joining key" : "");
		if (check_sig && ret)
			return fail_signer(err, "member.sigs[%u].sig: does not verify with its key", i);
		if (fwg_state_member(st, s->key_id, 0) >= 0)
			approvals++;
	}
	if (2 * approvals <= members)
		return fail_signer(err, "member.sigs: %u of the %u current members signed; more than half must",
				   approvals, members);
	return 0;
}

int fwg_trust_check(struct fwg_state *st, const struct fwg_tx *tx, int check_sig, struct fwg_err *err)
{
	switch (tx->type) {
	case FWG_TX_POLICY:
		return check_line(st, tx, check_sig, err);
	case FWG_TX_ROTATE:
		return check_rotate(st, tx, err);
	case FWG_TX_REVOKE:
		return check_revoke(st, tx, err);
	case FWG_TX_MEMBER:
		return check_member(st, tx, check_sig, err);
	}
	return fail(err, "%s: not a trust transaction", fwg_tx_type_name(tx->type));
}

/* ------------------------------------------------------------------------------------------ apply */

static int line_push(struct line *l, const struct fwg_tx *tx, const uint8_t digest[FWGATE_ID_LEN], uint64_t height)
{
	struct epoch *h = realloc(l->hist, (l->epoch + 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	l->hist = h;
	h += l->epoch;
	memset(h, 0, sizeof(*h));
	h->enc = malloc(tx->payload_len);
	if (!h->enc)
		return -ENOMEM;
	if (tx->type == FWG_TX_ROTATE) {
		h->rotate = tx->s.rotate;
		h->sigs = malloc(sizeof(*h->sigs));
		if (!h->sigs) {
			free(h->enc);
			return -ENOMEM;
		}
		*h->sigs = *tx->sigs;
	}
	memcpy(h->enc, tx->payload, tx->payload_len);
	h->enc_len = tx->payload_len;
	h->height = height;
	memcpy(h->digest, digest, FWGATE_ID_LEN);
	memcpy(h->m_id, l->cur.manufacturer.id, FWGATE_ID_LEN);
	l->epoch++;
	return 0;
}

static void epoch_out(const struct line *l, uint64_t e, struct fwg_policy_epoch *out)
{
	const struct epoch *h = &l->hist[e - 1];

	memcpy(out->o_type, l->o_type, FWGATE_NAME_LEN);
	out->epoch = e;
	out->newest = l->epoch;
	memcpy(out->digest, h->digest, FWGATE_ID_LEN);
	memcpy(out->m_id, h->m_id, FWGATE_ID_LEN);
	out->enc = h->enc;
	out->enc_len = h->enc_len;
	out->height = h->height;
	out->rotate = e > 1 ? &h->rotate : NULL;
	out->sigs = h->sigs;
}

int fwg_state_policy(const struct fwg_state *st, const uint8_t digest[FWGATE_ID_LEN], int next,
		     struct fwg_policy_epoch *out)
{
	const struct line *l = line_by_digest(fwg_state_trust(st), digest, &out->epoch);

	if (!l || out->epoch + !!next > l->epoch)
		return -ENOENT;
	epoch_out(l, out->epoch + !!next, out);
	return 0;
}

int fwg_state_line(const struct fwg_state *st, const char *o_type, const uint8_t *m_id, size_t index,
		   struct fwg_policy_epoch *out)
{
	const struct fwg_trust *t = fwg_state_trust(st);
	size_t i;

	for (i = 0; i < t->nr_line; i++) {
		const struct line *l = &t->line[i];

		if ((o_type && strncmp(l->o_type, o_type, FWGATE_NAME_LEN)) ||
		    (m_id && memcmp(l->cur.manufacturer.id, m_id, FWGATE_ID_LEN)))
			continue;
		if (index--)
			continue;
		epoch_out(l, l->epoch, out);
		return 0;
	}
	return -ENOENT;
}

size_t fwg_state_revoked(const struct fwg_state *st, size_t index, uint8_t o_id[FWGATE_ID_LEN], uint64_t *height)
{
	const struct fwg_trust *t = fwg_state_trust(st);

	if (index >= t->nr_rev)
		return 0;
	memcpy(o_id, t->rev[index].o_id, FWGATE_ID_LEN);
	*height = t->rev[index].height;
	return t->nr_rev;
}

int fwg_trust_apply(struct fwg_state *st, const struct fwg_tx *tx)
{
	struct fwg_trust *t = fwg_state_trust(st);
	struct fwg_policy_err perr;
	struct fwg_member mb = {};
	struct line *l;
	uint64_t epoch;
	void *p;
	int idx;

	switch (tx->type) {
	case FWG_TX_POLICY:
		p = realloc(t->line, (t->nr_line + 1) * sizeof(*t->line));
		if (!p)
			return -ENOMEM;
		t->line = p;
		l = &t->line[t->nr_line];
		memset(l, 0, sizeof(*l));
		memcpy(l->o_type, tx->s.line.o_type, FWGATE_NAME_LEN);
		if (fwg_policy_decode(tx->payload, tx->payload_len, &l->cur, &epoch, &perr) ||
		    line_push(l, tx, tx->s.line.digest, fwg_state_height(st)))
			return -EINVAL;
		t->nr_line++;
		return 0;
	case FWG_TX_ROTATE:
		l = line_by_digest(t, tx->s.rotate.prev, &epoch);
		if (!l || fwg_policy_decode(tx->payload, tx->payload_len, &l->cur, &epoch, &perr))
			return -EINVAL;
		return line_push(l, tx, tx->s.rotate.next, fwg_state_height(st));
	case FWG_TX_REVOKE:
		p = realloc(t->rev, (t->nr_rev + 1) * sizeof(*t->rev));
		if (!p)
			return -ENOMEM;
		t->rev = p;
		memcpy(t->rev[t->nr_rev].o_id, tx->s.revoke.o_id, FWGATE_ID_LEN);
		t->rev[t->nr_rev++].height = fwg_state_height(st);
		fwg_state_device_revoke(st, tx->s.revoke.o_id);
		return 0;
	case FWG_TX_MEMBER:
		if (tx->s.member.action == FWG_MEMBER_LEAVE) {
			idx = fwg_state_member(st, tx->s.member.key_id, 0);
			if (idx >= 0)
				fwg_state_member_leave(st, idx);
			return 0;
		}
		mb.role = tx->s.member.role;
		memcpy(mb.name, tx->s.member.name, FWGATE_NAME_LEN);
		mb.key.alg = tx->s.member.alg;
		mb.key.len = tx->payload_len;
		memcpy(mb.key.data, tx->payload, tx->payload_len);
		memcpy(mb.key.id, tx->s.member.key_id, FWGATE_ID_LEN);
		return fwg_state_member_join(st, &mb);
	}
	return 0;
}
