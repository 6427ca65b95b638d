// SPDX-License-Identifier: GPL-2.0
/*
 * The ledger state a transaction is checked against: the consortium from genesis, the certified devices,
 * the updates published, and every signed message already appended (replays are refused by the digest of
 * the signed statement, so a re-encoded ECDSA signature does not make a replay look new).
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "trust.h"
#include "rollout.h"

#define failk(err, k, ...) ({ (err)->kind = (k); snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); -1; })
#define fail(err, ...) failk(err, FWG_ERR_FORMAT, __VA_ARGS__)
#define fail_signer(err, ...) failk(err, FWG_ERR_SIGNER, __VA_ARGS__)
#define fail_ref(err, ...) failk(err, FWG_ERR_REFERENCE, __VA_ARGS__)

/* Open addressing over 32-byte digests; the digest's first bytes are already uniform. */
struct slot {
	uint8_t key[FWGATE_ID_LEN];
	uint64_t val;		/* height + 1, or an index + 1; 0 = free */
};

struct table {
	struct slot *s;
	size_t mask, used;
};

struct device {
	struct fwg_key *key;
	char o_type[FWGATE_NAME_LEN];
	uint8_t m_id[FWGATE_ID_LEN];	/* who certified it */
	uint64_t revoked;		/* the height + 1 of the block that revoked it, or 0 */
};

/* An image in the chain: what its chunks must add up to, and how many are in. */
struct blob {
	uint64_t size;
	uint32_t count, have;
};

struct fwg_state {
	struct fwg_genesis *genesis;
	struct fwg_key *member_key[FWG_MAX_MEMBERS];
	uint8_t member_left[FWG_MAX_MEMBERS];	/* by FWG_TX_MEMBER; genesis->members also holds who joined */
	struct fwg_trust *trust;		/* policy lines, revocations: chain/trust.c */
	struct table msgs;	/* SHA-256 of every signed statement appended */
	struct table ids;	/* T_id -> height */
	struct table updates;	/* U_id -> 1 */
	struct table published;	/* SHA-256(U_id || M_id) -> the update's size + 1 */
	struct table devices;	/* O_id -> index in dev */
	struct table installed;	/* SHA-256(O_id || U_id) -> the version of the device's installed ack + 1 */
	struct device *dev;
	size_t nr_dev, dev_cap;
	struct fwg_controls *controls;	/* per update: its manufacturer, type, withdrawal and pause */
	struct table blobs;	/* U_id -> index in blob */
	struct table chunks;	/* SHA-256(U_id || be32 index) -> height * FWG_BLOCK_MAX_TX + index in block */
	struct blob *blob;
	size_t nr_blob, blob_cap;
	struct fwg_rollouts rollouts;	/* plans and advances (chain/rollout.c) */
	uint32_t tx_index;	/* of the transaction being applied, in its block */
	uint64_t height;	/* blocks applied */
	uint8_t tip[FWGATE_ID_LEN];
	unsigned int threads;	/* verifying a block's signatures */
};

static uint64_t slot_hash(const uint8_t *k)
{
	uint64_t h;

	memcpy(&h, k, sizeof(h));
	return h;
}

static struct slot *lookup(const struct table *t, const uint8_t *key)
{
	size_t i;

	if (!t->s)
		return NULL;
	for (i = slot_hash(key) & t->mask;; i = (i + 1) & t->mask) {
		if (!t->s[i].val)
			return NULL;
		if (!memcmp(t->s[i].key, key, FWGATE_ID_LEN))
			return &t->s[i];
	}
}

static int insert(struct table *t, const uint8_t *key, uint64_t val)
{
	struct slot *s;
	size_t i;

	if (!t->s || (t->used + 1) * 4 > (t->mask + 1) * 3) {
		struct table n = { .mask = t->s ? 2 * t->mask + 1 : 1023 };

		n.s = calloc(n.mask + 1, sizeof(*n.s));
		if (!n.s)
			return -ENOMEM;
		for (i = 0; t->s && i <= t->mask; i++)
			if (t->s[i].val)
				insert(&n, t->s[i].key, t->s[i].val);
		free(t->s);
		*t = n;
	}
	for (i = slot_hash(key) & t->mask;; i = (i + 1) & t->mask) {
		s = &t->s[i];
		if (!s->val || !memcmp(s->key, key, FWGATE_ID_LEN))
			break;
	}
	if (!s->val)
		t->used++;
	memcpy(s->key, key, FWGATE_ID_LEN);
	s->val = val;
	return 0;
}

struct fwg_state *fwg_state_new(void)
{
	struct fwg_state *st = calloc(1, sizeof(struct fwg_state));

	if (st)
		st->trust = fwg_trust_new();
	if (st && !st->trust) {
		free(st);
		return NULL;
	}
	return st;
}

void fwg_state_free(struct fwg_state *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < FWG_MAX_MEMBERS; i++)
		fwg_key_free(st->member_key[i]);
	for (i = 0; i < st->nr_dev; i++)
		fwg_key_free(st->dev[i].key);
	free(st->dev);
	fwg_controls_free(st->controls);
	free(st->blob);
	free(st->blobs.s);
	free(st->chunks.s);
	free(st->published.s);
	free(st->msgs.s);
	free(st->ids.s);
	free(st->updates.s);
	free(st->devices.s);
	free(st->installed.s);
	fwg_rollouts_free(&st->rollouts);
	free(st->genesis);
	fwg_trust_free(st->trust);
	free(st);
}

const struct fwg_genesis *fwg_state_genesis(const struct fwg_state *st)
{
	return st->genesis;
}

uint64_t fwg_state_height(const struct fwg_state *st)
{
	return st->height;
}

const uint8_t *fwg_state_tip(const struct fwg_state *st)
{
	return st->tip;
}

static int member(const struct fwg_state *st, const uint8_t *id, unsigned int role)
{
	unsigned int i;

	for (i = 0; i < st->genesis->nr_members; i++)
		if ((st->genesis->members[i].role == role || !role) && !st->member_left[i] &&
		    !memcmp(st->genesis->members[i].key.id, id, FWGATE_ID_LEN))
			return i;
	return -1;
}

static const struct fwg_type_policy *type_policy(const struct fwg_state *st, const char *o_type)
{
	unsigned int i;

	for (i = 0; i < st->genesis->nr_types; i++)
		if (!strncmp(st->genesis->types[i].o_type, o_type, FWGATE_NAME_LEN))
			return &st->genesis->types[i];
	return NULL;
}

static void msg_digest(const struct fwg_tx *tx, uint8_t out[FWGATE_ID_LEN])
{
	fwg_sha256(tx->msg, tx->msg_len, out);
}

/* SHA-256(a || b): the key of a pair in a table. */
static void pair_key(const uint8_t *a, const void *b, size_t blen, uint8_t out[FWGATE_ID_LEN])
{
	uint8_t in[2 * FWGATE_ID_LEN];

	memcpy(in, a, FWGATE_ID_LEN);
	memcpy(in + FWGATE_ID_LEN, b, blen);
	fwg_sha256(in, FWGATE_ID_LEN + blen, out);
}

static void chunk_key(const struct fwg_blob_stmt *b, uint8_t out[FWGATE_ID_LEN])
{
	pair_key(b->u_id, &b->index, sizeof(b->index), out);
}

void fwg_tx_unique_key(const struct fwg_tx *tx, uint8_t out[FWGATE_ID_LEN])
{
	if (tx->type == FWG_TX_DEVCERT)
		fwg_sha256(tx->s.devcert.pubkey, sizeof(tx->s.devcert.pubkey), out);
	else if (tx->type == FWG_TX_BLOB)
		chunk_key(&tx->s.blob, out);
	else if (tx->type == FWG_TX_GENESIS)
		memset(out, 0, FWGATE_ID_LEN);
	else if (fwg_trust_unique_key(tx, out))
		msg_digest(tx, out);
}

int fwg_state_seen(const struct fwg_state *st, const struct fwg_tx *tx)
{
	uint8_t d[FWGATE_ID_LEN];

	if (tx->type == FWG_TX_GENESIS)
		return !!st->genesis;
	msg_digest(tx, d);
	return !!lookup(&st->msgs, d);
}

static int check_update(const struct fwg_state *st, const struct fwgate_update_stmt *u, const char *what,
			struct fwg_err *err)
{
	if (member(st, u->m_id, FWG_ROLE_MANUFACTURER) < 0)
		return fail_signer(err, "%s.m_id: not a manufacturer of the consortium", what);
	if (!type_policy(st, u->o_type))
		return fail_ref(err, "%s.o_type: \"%.31s\" is not a device type of the consortium", what, u->o_type);
	return fwg_trust_check_update(st, u, what, err);
}

/*
 * A chunk follows its update, from the update's manufacturer: only what a consortium member vouched for
 * takes room in the chain for ever, and a device can tell which update the bytes belong to.
 */
static int check_blob(const struct fwg_state *st, const struct fwg_blob_stmt *b, struct fwg_err *err)
{
	uint8_t k[FWGATE_ID_LEN];
	struct slot *s;

	if (member(st, b->m_id, FWG_ROLE_MANUFACTURER) < 0)
		return fail_signer(err, "blob.m_id: not a manufacturer of the consortium");
	pair_key(b->u_id, b->m_id, FWGATE_ID_LEN, k);
	s = lookup(&st->published, k);
	if (!s && lookup(&st->updates, b->u_id))
		return fail_signer(err, "blob.m_id: the update with this u_id was published by another manufacturer");
	if (!s)
		return fail_ref(err, "blob.u_id: no update with this image digest in the ledger");
	if (s->val - 1 != be64toh(b->size))
		return fail(err, "blob.size: %llu, but the update declares %llu bytes",
			    (unsigned long long)be64toh(b->size), (unsigned long long)(s->val - 1));
	chunk_key(b, k);
	if (lookup(&st->chunks, k))
		return failk(err, FWG_ERR_REPLAY, "blob: chunk %u of this image is already in the ledger",
			     be32toh(b->index));
	return 0;
}

/*
 * A running ack follows the same device's installed ack of the same update, in an earlier block or earlier
 * in the same one, and names the version that ack names: "running" means the image the kernel committed
 * booted, so an image never acknowledged as installed can not be running (Documentation/fwgate/ledger.rst).
 */
static int check_running(const struct fwg_state *st, const struct fwgate_ack_stmt *a, struct fwg_err *err)
{
	uint8_t k[FWGATE_ID_LEN];
	struct slot *s;

	pair_key(a->o_id, a->u_id, FWGATE_ID_LEN, k);
	s = lookup(&st->installed, k);
	if (!s)
		return fail_ref(err, "running.u_id: no installed ack of this update by this device precedes it");
	if (s->val - 1 != be64toh(a->version))
		return fail(err, "running.version: %llu, but the device's installed ack names version %llu",
			    (unsigned long long)be64toh(a->version), (unsigned long long)(s->val - 1));
	return 0;
}

/* A plan comes from the manufacturer who published its update; an advance from the one who signed the plan. */
static int check_rollout(const struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err)
{
	const struct fwgate_rollout_stmt *p = &tx->s.rollout;
	uint8_t k[FWGATE_ID_LEN];

	if (tx->type == FWG_TX_ROLLOUT) {
		if (member(st, p->m_id, FWG_ROLE_MANUFACTURER) < 0)
			return fail_signer(err, "rollout.m_id: not a manufacturer of the consortium");
		pair_key(p->u_id, p->m_id, FWGATE_ID_LEN, k);
		if (!lookup(&st->published, k))
			return lookup(&st->updates, p->u_id) ?
			       fail_signer(err, "rollout.m_id: the update with this u_id was published by another "
					   "manufacturer") :
			       fail_ref(err, "rollout.u_id: no update with this image digest in the ledger");
	}
	return fwg_rollouts_check(&st->rollouts, tx, err);
}

/* The key the transaction's signature must verify with, as the state knows it; NULL if it knows none. */
static struct fwg_key *signer_key(const struct fwg_state *st, const struct fwg_tx *tx)
{
	struct slot *s;
	int m = -1;

	switch (tx->type) {
	case FWG_TX_UPDATE:
		m = member(st, tx->s.update.m_id, FWG_ROLE_MANUFACTURER);
		break;
	case FWG_TX_APPROVE:
	case FWG_TX_REJECT:
		m = member(st, tx->s.verdict.checker_id, FWG_ROLE_CHECKER);
		break;
	case FWG_TX_DEVCERT:
		m = member(st, tx->s.devcert.m_id, FWG_ROLE_MANUFACTURER);
		break;
	case FWG_TX_BLOB:
		m = member(st, tx->s.blob.m_id, FWG_ROLE_MANUFACTURER);
		break;
	case FWG_TX_REVOKE:
		m = member(st, tx->s.revoke.m_id, FWG_ROLE_MANUFACTURER);
		break;
	case FWG_TX_ROLLOUT:
		m = member(st, tx->s.rollout.m_id, FWG_ROLE_MANUFACTURER);
		break;
	case FWG_TX_ADVANCE: {
		const struct fwg_rollout *r = fwg_rollouts_find(&st->rollouts, tx->s.advance.u_id);

		m = r && r->has_plan ? member(st, r->plan.m_id, FWG_ROLE_MANUFACTURER) : -1;
		break;
	}
	case FWG_TX_ACK:
	case FWG_TX_RUNNING:
	case FWG_TX_NACK:
		s = lookup(&st->devices, tx->type == FWG_TX_NACK ? tx->s.nack.o_id : tx->s.ack.o_id);
		return s ? st->dev[s->val - 1].key : NULL;
	}
	return m < 0 ? NULL : st->member_key[m];
}

static int check_signed(struct fwg_state *st, const struct fwg_tx *tx, int check_sig, struct fwg_err *err)
{
	const char *what = fwg_tx_type_name(tx->type);
	const struct fwg_type_policy *tp;
	uint8_t d[FWGATE_ID_LEN];
	struct fwg_key *key = NULL;
	struct slot *s;
	unsigned int i;
	uint64_t epoch;
	int m;

	if (fwg_state_seen(st, tx))
		return failk(err, FWG_ERR_REPLAY, "%s: replay, this signed statement is already in the ledger", what);
	if (fwg_trust_check_device(st, tx, err))
		return -1;
	switch (tx->type) {
	case FWG_TX_UPDATE:
		if (check_update(st, &tx->s.update, what, err))
			return -1;
		break;
	case FWG_TX_APPROVE:
	case FWG_TX_REJECT:
		m = member(st, tx->s.verdict.checker_id, FWG_ROLE_CHECKER);
		if (m < 0)
			return fail_signer(err, "%s.checker_id: not a checker of the consortium", what);
		fwg_sha256(&tx->s.verdict.update, sizeof(tx->s.verdict.update), d);
		if (!lookup(&st->msgs, d))
			return fail_ref(err, "%s.update: this update statement is not in the ledger", what);
		m = fwg_trust_line_checker(st, tx->s.verdict.update.o_type, tx->s.verdict.update.m_id,
					   tx->s.verdict.checker_id, &epoch);
		if (!m)
			return fail_signer(err, "%s.checker_id: not among the checkers of device type \"%.31s\"'s "
					   "policy in force (epoch %llu)", what, tx->s.verdict.update.o_type,
					   (unsigned long long)epoch);
		tp = m > 0 ? NULL : type_policy(st, tx->s.verdict.update.o_type);
		for (i = 0; tp && i < tp->k; i++)
			if (!memcmp(tp->checkers[i], tx->s.verdict.checker_id, FWGATE_ID_LEN))
				break;
		if (m < 0 && (!tp || i == tp->k))
			return fail_signer(err, "%s.checker_id: not among the checkers of device type \"%.31s\"", what,
				    tx->s.verdict.update.o_type);
		break;
	case FWG_TX_ACK:
	case FWG_TX_RUNNING:
	case FWG_TX_NACK:
		s = lookup(&st->devices, tx->type == FWG_TX_NACK ? tx->s.nack.o_id : tx->s.ack.o_id);
		if (!s)
			return fail_signer(err, "%s.o_id: no device certificate in the ledger for this device", what);
		if (!lookup(&st->updates, tx->type == FWG_TX_NACK ? tx->s.nack.u_id : tx->s.ack.u_id))
			return fail_ref(err, "%s.u_id: no update with this image digest in the ledger", what);
		if (tx->type == FWG_TX_RUNNING && check_running(st, &tx->s.ack, err))
			return -1;
		break;
	case FWG_TX_DEVCERT:
		m = member(st, tx->s.devcert.m_id, FWG_ROLE_MANUFACTURER);
		if (m < 0)
			return fail_signer(err, "devcert.m_id: not a manufacturer of the consortium");
		if (!type_policy(st, tx->s.devcert.o_type))
			return fail_ref(err, "devcert.o_type: \"%.31s\" is not a device type of the consortium",
				    tx->s.devcert.o_type);
		fwg_sha256(tx->s.devcert.pubkey, sizeof(tx->s.devcert.pubkey), d);
		if (lookup(&st->devices, d))
			return failk(err, FWG_ERR_REPLAY, "devcert.pubkey: this device is already certified");
		break;
	case FWG_TX_BLOB:
		if (check_blob(st, &tx->s.blob, err))
			return -1;
		break;
	case FWG_TX_POLICY:
	case FWG_TX_ROTATE:
	case FWG_TX_MEMBER:
		return fwg_trust_check(st, tx, check_sig, err);	/* multi-signed: it verifies each signature */
	case FWG_TX_REVOKE:
		if (fwg_trust_check(st, tx, check_sig, err))
			return -1;
		break;
	case FWG_TX_CONTROL:
		return fwg_controls_check(st->controls, st, tx, check_sig, err);
	case FWG_TX_ROLLOUT:
	case FWG_TX_ADVANCE:
		if (check_rollout(st, tx, err))
			return -1;
		break;
	}
	key = signer_key(st, tx);
	if (check_sig && (!key || fwg_verify_pkey(key, tx->msg, tx->msg_len, tx->sig, tx->sig_len)))
		return fail_signer(err, "%s.signature: does not verify with the signer's registered key", what);
	return 0;
}

static int check(struct fwg_state *st, const struct fwg_tx *tx, int check_sig, struct fwg_err *err)
{
	if (tx->type == FWG_TX_GENESIS)
		return st->genesis ? failk(err, FWG_ERR_REPLAY, "genesis: the ledger has one already") : 0;
	if (!st->genesis)
		return fail_ref(err, "%s: the ledger has no genesis yet", fwg_tx_type_name(tx->type));
	return check_signed(st, tx, check_sig, err);
}

int fwg_state_check(struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err)
{
	return check(st, tx, 1, err);
}

int fwg_state_recheck(struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err)
{
	return check(st, tx, 0, err);
}

static int apply_genesis(struct fwg_state *st, const struct fwg_tx *tx)
{
	unsigned int i;

	st->genesis = malloc(sizeof(*st->genesis));
	if (!st->genesis)
		return -ENOMEM;
	memcpy(st->genesis, tx->genesis, sizeof(*st->genesis));
	for (i = 0; i < st->genesis->nr_members; i++) {
		const struct fwg_pubkey *k = &st->genesis->members[i].key;

		st->member_key[i] = fwg_pubkey_decode(k->alg, k->data, k->len);
	}
	return 0;
}

static int apply_devcert(struct fwg_state *st, const struct fwg_tx *tx)
{
	uint8_t id[FWGATE_ID_LEN];
	struct device *d;

	if (st->nr_dev == st->dev_cap) {
		size_t cap = st->dev_cap ? 2 * st->dev_cap : 64;

		d = realloc(st->dev, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		st->dev = d;
		st->dev_cap = cap;
	}
	d = &st->dev[st->nr_dev];
	memset(d, 0, sizeof(*d));
	d->key = fwg_pubkey_decode(FWGATE_KEY_P256, tx->s.devcert.pubkey, sizeof(tx->s.devcert.pubkey));
	memcpy(d->o_type, tx->s.devcert.o_type, FWGATE_NAME_LEN);
	memcpy(d->m_id, tx->s.devcert.m_id, FWGATE_ID_LEN);
	fwg_sha256(tx->s.devcert.pubkey, sizeof(tx->s.devcert.pubkey), id);
	st->nr_dev++;
	return insert(&st->devices, id, st->nr_dev);
}

static int apply_blob(struct fwg_state *st, const struct fwg_tx *tx)
{
	uint8_t k[FWGATE_ID_LEN];
	struct slot *s = lookup(&st->blobs, tx->s.blob.u_id);
	struct blob *b;

	if (!s) {
		if (st->nr_blob == st->blob_cap) {
			size_t cap = st->blob_cap ? 2 * st->blob_cap : 16;

			b = realloc(st->blob, cap * sizeof(*b));
			if (!b)
				return -ENOMEM;
			st->blob = b;
			st->blob_cap = cap;
		}
		st->blob[st->nr_blob++] = (struct blob){ be64toh(tx->s.blob.size), be32toh(tx->s.blob.count), 0 };
		if (insert(&st->blobs, tx->s.blob.u_id, st->nr_blob))
			return -ENOMEM;
		s = lookup(&st->blobs, tx->s.blob.u_id);
	}
	st->blob[s->val - 1].have++;
	chunk_key(&tx->s.blob, k);
	return insert(&st->chunks, k, st->height * FWG_BLOCK_MAX_TX + st->tx_index + 1);
}

int fwg_state_blob(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], uint64_t *size,
		   uint32_t *count, uint32_t *have)
{
	struct slot *s = lookup(&st->blobs, u_id);

	if (!s)
		return -ENOENT;
	*size = st->blob[s->val - 1].size;
	*count = st->blob[s->val - 1].count;
	*have = st->blob[s->val - 1].have;
	return 0;
}

int fwg_state_blob_chunk(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], uint32_t index,
			 uint64_t *height, uint32_t *tx_index)
{
	uint8_t k[FWGATE_ID_LEN];
	uint32_t be = htobe32(index);
	struct slot *s;

	pair_key(u_id, &be, sizeof(be), k);
	s = lookup(&st->chunks, k);
	if (!s)
		return -ENOENT;
	*height = (s->val - 1) / FWG_BLOCK_MAX_TX;
	*tx_index = (s->val - 1) % FWG_BLOCK_MAX_TX;
	return 0;
}

int fwg_state_apply(struct fwg_state *st, const struct fwg_tx *tx)
{
	uint8_t d[FWGATE_ID_LEN];
	int err;

	if (tx->type == FWG_TX_GENESIS)
		return apply_genesis(st, tx);
	msg_digest(tx, d);
	err = insert(&st->msgs, d, st->height + 1);
	if (!err && tx->type >= FWG_TX_POLICY && tx->type <= FWG_TX_MEMBER)
		err = fwg_trust_apply(st, tx);
	if (!err && tx->type == FWG_TX_UPDATE) {
		err = insert(&st->updates, tx->s.update.u_id, 1);
		pair_key(tx->s.update.u_id, tx->s.update.m_id, FWGATE_ID_LEN, d);
		if (!err)
			err = insert(&st->published, d, be64toh(tx->s.update.size) + 1);
		if (!err)
			err = fwg_controls_note_update(&st->controls, &tx->s.update);
	}
	if (!err && tx->type == FWG_TX_CONTROL)
		err = fwg_controls_apply(st->controls, tx);
	if (!err && tx->type == FWG_TX_BLOB)
		err = apply_blob(st, tx);
	if (!err && tx->type == FWG_TX_DEVCERT)
		err = apply_devcert(st, tx);
	if (!err && tx->type == FWG_TX_ACK) {
		pair_key(tx->s.ack.o_id, tx->s.ack.u_id, FWGATE_ID_LEN, d);
		/* 0 marks a free slot: version 2^64 - 1, which no update can exceed, is kept as 2^64 - 2. */
		err = insert(&st->installed, d, be64toh(tx->s.ack.version) + (be64toh(tx->s.ack.version) != UINT64_MAX));
	}
	if (!err && (tx->type == FWG_TX_ROLLOUT || tx->type == FWG_TX_ADVANCE))
		err = fwg_rollouts_note(&st->rollouts, tx, st->height);
	return err;
}

/* ------------------------------------------------------------------ for chain/trust.c */

struct fwg_trust *fwg_state_trust(const struct fwg_state *st)
{
	return st->trust;
}

int fwg_state_member(const struct fwg_state *st, const uint8_t id[FWGATE_ID_LEN], unsigned int role)
{
	return member(st, id, role);
}

struct fwg_key *fwg_state_member_key(const struct fwg_state *st, unsigned int i)
{
	return i < FWG_MAX_MEMBERS ? st->member_key[i] : NULL;
}

unsigned int fwg_state_nr_members(const struct fwg_state *st)
{
	unsigned int i, n = 0;

	for (i = 0; st->genesis && i < st->genesis->nr_members; i++)
		n += !st->member_left[i];
	return n;
}

int fwg_state_member_active(const struct fwg_state *st, unsigned int i)
{
	return st->genesis && i < st->genesis->nr_members && !st->member_left[i];
}

int fwg_state_member_join(struct fwg_state *st, const struct fwg_member *m)
{
	unsigned int i = st->genesis->nr_members;

	if (i >= FWG_MAX_MEMBERS)
		return -ENOSPC;
	st->member_key[i] = fwg_pubkey_decode(m->key.alg, m->key.data, m->key.len);
	if (!st->member_key[i])
		return -EINVAL;
	st->genesis->members[i] = *m;
	st->genesis->nr_members++;
	return 0;
}

void fwg_state_member_leave(struct fwg_state *st, unsigned int i)
{
	if (i < FWG_MAX_MEMBERS)
		st->member_left[i] = 1;
}

uint64_t fwg_state_device_revoked(const struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN])
{
	struct slot *s = lookup(&st->devices, o_id);

	return s ? st->dev[s->val - 1].revoked : 0;
}

void fwg_state_device_revoke(struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN])
{
	struct slot *s = lookup(&st->devices, o_id);

	if (s)
		st->dev[s->val - 1].revoked = st->height + 1;
}

int fwg_state_device_maker(const struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN],
			   uint8_t m_id[FWGATE_ID_LEN])
{
	struct slot *s = lookup(&st->devices, o_id);

	if (!s)
		return -ENOENT;
	memcpy(m_id, st->dev[s->val - 1].m_id, FWGATE_ID_LEN);
	return 0;
}

int fwg_state_control(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], struct fwg_control_info *out)
{
	return fwg_controls_get(st->controls, u_id, out);
}

struct fwg_key *fwg_state_member_key_by_id(const struct fwg_state *st, const uint8_t *id, unsigned int role)
{
	int m = member(st, id, role);

	return m < 0 ? NULL : st->member_key[m];
}

const struct fwg_type_policy *fwg_state_type(const struct fwg_state *st, const char *o_type)
{
	return type_policy(st, o_type);
}

void fwg_state_add_id(struct fwg_state *st, const uint8_t id[FWGATE_ID_LEN], uint64_t height)
{
	insert(&st->ids, id, height + 1);
}

int fwg_state_find(const struct fwg_state *st, const uint8_t id[FWGATE_ID_LEN], uint64_t *height)
{
	struct slot *s = lookup(&st->ids, id);

	if (!s)
		return -ENOENT;
	*height = s->val - 1;
	return 0;
}

void fwg_state_set_threads(struct fwg_state *st, unsigned int threads)
{
	st->threads = threads;
}

struct preverify {
	const struct fwg_state *st;
	const struct fwg_block *b;
	uint8_t *ok;
	unsigned int first, step;
};

/*
 * Verifies the signatures of every step-th transaction of a block, with the keys known before the block.
 * Signer keys never change once registered, so a signature that verifies here verifies in the sequential
 * pass; a transaction whose signer the block itself registers is left to that pass.
 */
static void *preverify(void *arg)
{
	struct preverify *p = arg;
	struct fwg_tx *tx = malloc(sizeof(*tx));
	struct fwg_err err;
	struct fwg_key *key;
	uint32_t i;

	for (i = p->first; tx && i < p->b->hdr.nr_tx; i += p->step) {
		if (fwg_tx_decode(p->b->tx[i], p->b->tx_len[i], tx, &err))
			continue;
		if (tx->type != FWG_TX_GENESIS) {
			key = signer_key(p->st, tx);
			p->ok[i] = key && !fwg_verify_pkey(key, tx->msg, tx->msg_len, tx->sig, tx->sig_len);
		}
		fwg_tx_release(tx);
	}
	free(tx);
	return NULL;
}

static uint8_t *preverify_block(const struct fwg_state *st, const struct fwg_block *b)
{
	struct preverify p[16];
	pthread_t t[16];
	unsigned int i, n = st->threads < 16 ? st->threads : 16;
	uint8_t *ok;

	if (n < 2 || b->hdr.nr_tx < 64 || !st->genesis)
		return NULL;
	ok = calloc(b->hdr.nr_tx, 1);
	if (!ok)
		return NULL;
	for (i = 0; i < n; i++) {
		p[i] = (struct preverify){ st, b, ok, i, n };
		if (pthread_create(&t[i], NULL, preverify, &p[i]))
			break;
	}
	while (i--)
		pthread_join(t[i], NULL);
	return ok;
}

int fwg_state_add_block(struct fwg_state *st, const uint8_t *buf, size_t len, int check_sigs,
			struct fwg_err *err)
{
	uint8_t *verified = NULL;
	struct fwg_block b;
	struct fwg_tx tx;
	uint32_t i;
	int ret = -1;

	if (fwg_block_decode(buf, len, &b, err))
		return -1;
	if (b.hdr.height != st->height) {
		fail(err, "block.height: %llu, expected %llu", (unsigned long long)b.hdr.height,
		     (unsigned long long)st->height);
		goto out;
	}
	if (memcmp(b.hdr.prev, st->tip, FWGATE_ID_LEN)) {
		fail(err, "block %llu: prev is not the hash of block %llu", (unsigned long long)b.hdr.height,
		     (unsigned long long)b.hdr.height - 1);
		goto out;
	}
	if (!b.hdr.height && (!b.hdr.nr_tx || b.tx[0][1] != FWG_TX_GENESIS)) {
		fail(err, "block 0: does not start with the genesis transaction");
		goto out;
	}
	if (check_sigs)
		verified = preverify_block(st, &b);
	for (i = 0; i < b.hdr.nr_tx; i++) {
		struct fwg_err e;

		if (fwg_tx_decode(b.tx[i], b.tx_len[i], &tx, &e) ||
		    check(st, &tx, check_sigs && !(verified && verified[i]), &e)) {
			fwg_tx_release(&tx);
			fail(err, "block %llu tx %u: %.200s", (unsigned long long)b.hdr.height, i, e.msg);
			goto out;
		}
		st->tx_index = i;
		ret = fwg_state_apply(st, &tx);
		st->tx_index = 0;
		fwg_tx_release(&tx);
		if (ret) {
			fail(err, "block %llu tx %u: out of memory", (unsigned long long)b.hdr.height, i);
			goto out;
		}
		fwg_state_add_id(st, b.tx_id[i], b.hdr.height);
		ret = -1;
	}
	memcpy(st->tip, b.hash, FWGATE_ID_LEN);
	st->height++;
	ret = 0;
out:
	free(verified);
	fwg_block_release(&b);
	return ret;
}
