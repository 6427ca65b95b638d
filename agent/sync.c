// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "http.h"
#include "keys.h"
#include "log.h"
#include "policy.h"
#include "control.h"
#include "sync.h"

/* Blocks are committed to the store at least this often while a long sync runs. */
#define COMMIT_EVERY	4096
/* Keys of the policies rotations lead to (agent/follow.h), kept from the block that carries the rotation on. */
#define MAX_KNOWN	(4 * (1 + FWGATE_MAX_CHECKERS))

struct fwg_sync {
	struct fwg_policy policy;
	uint8_t device_id[FWGATE_ID_LEN];
	uint8_t pin[FWGATE_ID_LEN];
	int pinned;
	struct fwg_store store;
	struct fwg_store_head head;	/* verified, maybe ahead of the store's */
	fwg_sync_tx_fn fn;
	void *arg;
	struct fwg_tx tx;		/* scratch: struct fwg_tx is large */
	struct fwg_pubkey known[MAX_KNOWN];
	uint8_t known_m[MAX_KNOWN];	/* 1: a manufacturer key */
	unsigned int nr_known;
	uint8_t (*ours)[FWGATE_ID_LEN];	/* u_id of the updates for this device: their rollouts are relevant */
	size_t nr_ours, cap_ours;

	/* one run */
	struct fwg_sync_result *r;
	struct fwg_block_stream blocks;
	uint64_t uncommitted;
	int failed;
	const struct fwg_http_res *res;	/* of the request being read */
};

static int fail(struct fwg_sync *s, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct fwg_sync *s, int status, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->r->msg, sizeof(s->r->msg), fmt, ap);
	va_end(ap);
	s->r->status = status;
	s->failed = 1;
	return -1;
}

static const struct fwg_pubkey *checker_key(const struct fwg_sync *s, const uint8_t *id)
{
	unsigned int i;

	for (i = 0; i < s->policy.k; i++)
		if (!memcmp(s->policy.checkers[i].id, id, FWGATE_ID_LEN))
			return &s->policy.checkers[i];
	for (i = 0; i < s->nr_known; i++)
		if (!s->known_m[i] && !memcmp(s->known[i].id, id, FWGATE_ID_LEN))
			return &s->known[i];
	return NULL;
}

static const struct fwg_pubkey *manufacturer_key(const struct fwg_sync *s, const uint8_t *id)
{
	unsigned int i;

	if (!memcmp(s->policy.manufacturer.id, id, FWGATE_ID_LEN))
		return &s->policy.manufacturer;
	for (i = 0; i < s->nr_known; i++)
		if (s->known_m[i] && !memcmp(s->known[i].id, id, FWGATE_ID_LEN))
			return &s->known[i];
	return NULL;
}

static void know(struct fwg_sync *s, const struct fwg_pubkey *k, int m)
{
	unsigned int i;

	for (i = 0; i < s->nr_known; i++)
		if (s->known_m[i] == m && !memcmp(s->known[i].id, k->id, FWGATE_ID_LEN))
			return;
	if (s->nr_known < MAX_KNOWN) {
		s->known[s->nr_known] = *k;
		s->known_m[s->nr_known++] = m;
	}
}

/*
 * A rotation names the next policy's keys: from its block on, their updates and verdicts are kept, so that
 * they are there when the kernel puts that policy in force. Whether it does is the kernel's decision; a key
 * kept for nothing only costs a few records.
 */
static void learn(struct fwg_sync *s, const uint8_t *raw, size_t len)
{
	struct fwg_policy_err pe;
	struct fwg_policy next;
	struct fwg_err e;
	uint64_t epoch;
	uint32_t i;

	if (fwg_tx_decode(raw, len, &s->tx, &e))
		return;
	if (!fwg_policy_decode(s->tx.payload, s->tx.payload_len, &next, &epoch, &pe)) {
		know(s, &next.manufacturer, 1);
		for (i = 0; i < next.k; i++)
			know(s, &next.checkers[i], 0);
	}
	fwg_tx_release(&s->tx);
}

/* An update statement meant for this device: its manufacturer, its type, all devices or this one. */
static int update_for_us(const struct fwg_sync *s, const struct fwgate_update_stmt *u)
{
	static const uint8_t zero[FWGATE_ID_LEN];

	return manufacturer_key(s, u->m_id) &&
	       !strncmp(u->o_type, s->policy.otype, FWGATE_NAME_LEN) &&
	       (!memcmp(u->o_id, zero, FWGATE_ID_LEN) || !memcmp(u->o_id, s->device_id, FWGATE_ID_LEN));
}

static int ours(const struct fwg_sync *s, const uint8_t *u_id)
{
	size_t i;

	for (i = 0; i < s->nr_ours; i++)
		if (!memcmp(s->ours[i], u_id, FWGATE_ID_LEN))
			return 1;
	return 0;
}

/* Remembers an update for this device (raw: its transaction) so that its rollout plan is relevant. */
static void note_ours(struct fwg_sync *s, const uint8_t *raw, size_t len)
{
	const uint8_t *u_id = raw + 2 + offsetof(struct fwgate_update_stmt, u_id);
	void *p;

	if (len < 2 + sizeof(struct fwgate_update_stmt) || raw[1] != FWG_TX_UPDATE || ours(s, u_id))
		return;
	if (s->nr_ours == s->cap_ours) {
		p = realloc(s->ours, (s->cap_ours ? 2 * s->cap_ours : 16) * FWGATE_ID_LEN);
		if (!p)
			return;
		s->ours = p;
		s->cap_ours = s->cap_ours ? 2 * s->cap_ours : 16;
	}
	memcpy(s->ours[s->nr_ours++], u_id, FWGATE_ID_LEN);
}

/*
 * Which key must have signed a relevant transaction: NULL for one that is not relevant, the device's
 * itself for its own acks (checked against the policy's id only), and &none for a peer's report naming
 * this device or its manufacturer, whose signer the node checked against its certificate.
 */
static const struct fwg_pubkey none;
/* A control transaction: a signature set, checked by fwg_ctl_verify(). */
static const struct fwg_pubkey control_signers;

static const struct fwg_pubkey *relevant(const struct fwg_sync *s, const uint8_t *raw, size_t len)
{
	struct fwgate_verdict_stmt v;
	struct fwgate_nack_stmt n;
	struct fwgate_advance_stmt adv;
	struct fwgate_ack_stmt a;
	uint8_t id[FWGATE_ID_LEN];

	raw += 2;
	len -= 2;
	switch (raw[-1]) {
	case FWG_TX_UPDATE:
		if (len < sizeof(v.update))
			return NULL;
		memcpy(&v.update, raw, sizeof(v.update));
		return update_for_us(s, &v.update) ? manufacturer_key(s, v.update.m_id) : NULL;
	case FWG_TX_APPROVE:
	case FWG_TX_REJECT:
		if (len < sizeof(v))
			return NULL;
		memcpy(&v, raw, sizeof(v));
		return update_for_us(s, &v.update) ? checker_key(s, v.checker_id) : NULL;
	case FWG_TX_ACK:
	case FWG_TX_RUNNING:
		if (len < sizeof(a))
			return NULL;
		memcpy(&a, raw, sizeof(a));
		return !memcmp(a.o_id, s->device_id, FWGATE_ID_LEN) ? &none : NULL;
	case FWG_TX_NACK:
		if (len < sizeof(n))
			return NULL;
		memcpy(&n, raw, sizeof(n));
		return !memcmp(n.o_id, s->device_id, FWGATE_ID_LEN) ||
		       !memcmp(n.culprit_id, s->device_id, FWGATE_ID_LEN) ||
		       !memcmp(n.culprit_id, s->policy.manufacturer.id, FWGATE_ID_LEN) ? &none : NULL;
	case FWG_TX_DEVCERT:
		if (len < sizeof(struct fwgate_devcert_stmt))
			return NULL;
		fwg_sha256(raw + offsetof(struct fwgate_devcert_stmt, pubkey), 65, id);
		return !memcmp(id, s->device_id, FWGATE_ID_LEN) ? &none : NULL;
	case FWG_TX_ROTATE:
		/* Checked by the nodes, and again by fwgate.ko before it takes effect. */
		return &none;
	case FWG_TX_CONTROL:
		return fwg_ctl_relevant(&s->policy, raw - 2, len + 2) ? &control_signers : NULL;
	case FWG_TX_ROLLOUT:
		/* The node took the plan from the update's manufacturer only: ours signs our updates' plans. */
		if (len < sizeof(struct fwgate_rollout_stmt))
			return NULL;
		return ours(s, raw + offsetof(struct fwgate_rollout_stmt, u_id)) ? &s->policy.manufacturer : NULL;
	case FWG_TX_ADVANCE:
		if (len < sizeof(adv))
			return NULL;
		memcpy(&adv, raw, sizeof(adv));
		return ours(s, adv.u_id) ? &s->policy.manufacturer : NULL;
	}
	return NULL;
}

/* Decodes a relevant transaction and checks its signature. */
static int check(struct fwg_sync *s, const struct fwg_block *b, uint32_t i, const struct fwg_pubkey *key)
{
	uint64_t h = b->hdr.height;
	struct fwg_err e;
	int bad;

	if (fwg_tx_decode(b->tx[i], b->tx_len[i], &s->tx, &e))
		return fail(s, FWG_SYNC_INVALID, "block %" PRIu64 " tx %u: %s", h, i, e.msg);
	if (key == &control_signers)
		bad = fwg_ctl_verify(&s->policy, &s->tx);
	else
		bad = key != &none && fwg_verify(key, s->tx.msg, s->tx.msg_len, s->tx.sig, s->tx.sig_len);
	fwg_tx_release(&s->tx);
	if (bad)
		return fail(s, FWG_SYNC_INVALID, "block %" PRIu64 " tx %u: %s signature does not verify with the "
			    "policy's key", h, i, fwg_tx_type_name(b->tx[i][1]));
	return 0;
}

/* Stores a relevant transaction of a block that verified whole, with its proof, and hands it to the agent. */
static int take(struct fwg_sync *s, const struct fwg_block *b, uint32_t i, const uint8_t (*leaves)[FWGATE_ID_LEN])
{
	uint8_t proof[16 + FWG_PROOF_MAX_DEPTH * FWGATE_ID_LEN];
	uint64_t h = b->hdr.height;
	struct fwg_proof p;
	struct fwg_err e;
	size_t plen;
	int err = 0;

	if (fwg_merkle_proof(leaves, b->hdr.nr_tx, i, &p) ||
	    !(plen = fwg_proof_encode(&p, proof, sizeof(proof))) ||
	    fwg_store_append(&s->store, b->tx[i], b->tx_len[i], h, proof, plen))
		return fail(s, FWG_SYNC_LOCAL, "store: can not append block %" PRIu64 " tx %u", h, i);
	s->r->relevant++;
	if (!s->fn)
		return 0;
	if (fwg_tx_decode(b->tx[i], b->tx_len[i], &s->tx, &e))
		return fail(s, FWG_SYNC_INVALID, "block %" PRIu64 " tx %u: %s", h, i, e.msg);
	if (s->fn(&s->tx, b->tx[i], b->tx_len[i], b->tx_id[i], h, s->arg))
		err = fail(s, FWG_SYNC_LOCAL, "block %" PRIu64 " tx %u: refused by the agent", h, i);
	fwg_tx_release(&s->tx);
	return err;
}

static int commit(struct fwg_sync *s)
{
	if (fwg_store_commit(&s->store, &s->head))
		return fail(s, FWG_SYNC_LOCAL, "store: can not commit the head");
	s->uncommitted = 0;
	return 0;
}

/* Verifies one block after the head, keeps what is relevant, moves the head. */
static int add_block(const uint8_t *buf, size_t len, void *arg)
{
	struct fwg_sync *s = arg;
	uint8_t (*leaves)[FWGATE_ID_LEN] = NULL;
	uint64_t mark = s->store.log_len;
	unsigned int known = s->nr_known;
	const struct fwg_pubkey *key;
	struct fwg_block b;
	struct fwg_err e;
	uint32_t i;
	int err = 0;

	if (fwg_block_decode(buf, len, &b, &e))
		return fail(s, FWG_SYNC_INVALID, "block %" PRIu64 ": %s", s->head.next, e.msg);
	if (b.hdr.height != s->head.next) {
		err = fail(s, FWG_SYNC_INVALID, "block.height: %" PRIu64 ", expected %" PRIu64, b.hdr.height,
			   s->head.next);
		goto out;
	}
	if (memcmp(b.hdr.prev, s->head.tip, FWGATE_ID_LEN)) {
		err = fail(s, FWG_SYNC_INVALID, "block %" PRIu64 ": prev is not the hash of block %" PRIu64
			   " (a fork or a rewritten chain)", b.hdr.height, b.hdr.height - 1);
		goto out;
	}
	if (!b.hdr.height) {
		if (s->pinned && memcmp(b.hash, s->pin, FWGATE_ID_LEN)) {
			err = fail(s, FWG_SYNC_INVALID, "block 0: its hash is not the configured genesis");
			goto out;
		}
		if (!b.hdr.nr_tx || b.tx_len[0] < 2 || b.tx[0][1] != FWG_TX_GENESIS) {
			err = fail(s, FWG_SYNC_INVALID, "block 0: does not start with a genesis transaction");
			goto out;
		}
		memcpy(s->head.genesis, b.hash, FWGATE_ID_LEN);
	}
	for (i = 0; i < b.hdr.nr_tx; i++)
		if (b.tx_len[i] >= 2 && b.tx[i][1] == FWG_TX_ROTATE)
			learn(s, b.tx[i], b.tx_len[i]);
	/*
	 * Every relevant transaction must verify before any is stored or handed to the agent: the agent takes
	 * them as included (an ack leaves the monitor's queue), and a block that fails is not.
	 */
	for (i = 0; i < b.hdr.nr_tx && !err; i++) {
		if (b.tx_len[i] < 2 || !(key = relevant(s, b.tx[i], b.tx_len[i])))
			continue;
		err = check(s, &b, i, key);
		if (!err)
			note_ours(s, b.tx[i], b.tx_len[i]);
		if (!err && !leaves) {
			leaves = malloc((size_t)b.hdr.nr_tx * FWGATE_ID_LEN);
			if (!leaves) {
				err = fail(s, FWG_SYNC_LOCAL, "out of memory");
				break;
			}
			for (uint32_t j = 0; j < b.hdr.nr_tx; j++)
				fwg_merkle_leaf(b.tx_id[j], leaves[j]);
		}
	}
	for (i = 0; i < b.hdr.nr_tx && leaves && !err; i++)
		if (b.tx_len[i] >= 2 && relevant(s, b.tx[i], b.tx_len[i]))
			err = take(s, &b, i, (const uint8_t (*)[FWGATE_ID_LEN])leaves);
	/* The head does not move past this block: neither may the log. */
	if (err && s->store.log_len != mark)
		fwg_store_rewind(&s->store, mark);
	if (err)
		s->nr_known = known;
	if (!err) {
		s->head.next++;
		memcpy(s->head.tip, b.hash, FWGATE_ID_LEN);
		s->head.tip_time_ms = b.hdr.time_ms;
		if (!s->r->blocks++)
			s->r->first_time_ms = b.hdr.time_ms;
		s->r->txs += b.hdr.nr_tx;
		if (++s->uncommitted >= COMMIT_EVERY || leaves)
			err = commit(s);
	}
out:
	free(leaves);
	fwg_block_release(&b);
	return err;
}

/* The node's stream, cut into blocks that are verified as each completes. */
static int stream(const void *buf, size_t n, void *arg)
{
	struct fwg_sync *s = arg;

	switch (fwg_block_stream_feed(&s->blocks, buf, n)) {
	case 0:
		return 0;
	case -EMSGSIZE:
		return fail(s, FWG_SYNC_INVALID, "%s", s->blocks.msg);
	case -ENOMEM:
		return fail(s, FWG_SYNC_LOCAL, "out of memory");
	}
	return -1;	/* add_block() failed, and said why */
}

static int begin(struct fwg_sync *s, struct fwg_sync_result *r)
{
	memset(r, 0, sizeof(*r));
	s->r = r;
	s->failed = 0;
	s->blocks = (struct fwg_block_stream){ .fn = add_block, .arg = s };
	s->uncommitted = 0;
	s->head = s->store.head;
	if (s->store.failed && fwg_store_recover(&s->store))
		return fail(s, FWG_SYNC_LOCAL, "store: can not recover from a failed write");
	return 0;
}

static int end_run(struct fwg_sync *s)
{
	/* The stream buffer lives for one run: a device spends most of its time between syncs. */
	fwg_block_stream_end(&s->blocks);
	/* Blocks verified before a failure are good: keep them. */
	if (s->head.next != s->store.head.next && fwg_store_commit(&s->store, &s->head) && !s->failed)
		fail(s, FWG_SYNC_LOCAL, "store: can not commit the head");
	return s->failed ? -1 : 0;
}

int fwg_sync_feed(struct fwg_sync *s, const uint8_t *data, size_t len, struct fwg_sync_result *r)
{
	if (begin(s, r))
		return -1;
	stream(data, len, s);
	return end_run(s);
}

/* Only a 200's body is blocks: a node's error page is no reason to call it a liar. */
static int stream_ok(const void *buf, size_t n, void *arg)
{
	struct fwg_sync *s = arg;

	return s->res->status == 200 ? stream(buf, n, s) : 0;
}

int fwg_sync_run(struct fwg_sync *s, const char *node, struct fwg_sync_result *r)
{
	char url[FWG_MAX_URL_LEN + 64], why[64];
	struct fwg_http_req req = { .url = url, .body_fn = stream_ok, .arg = s,
				    .connect_timeout_s = 10, .low_speed_limit = 1, .low_speed_time_s = 30 };
	struct fwg_http_res res;
	int rc;

	if (begin(s, r))
		return -1;
	s->res = &res;
	snprintf(url, sizeof(url), "%s/blocks?from=%" PRIu64, node, s->head.next);
	rc = fwg_http_request(&req, &res);
	if (end_run(s))
		return -1;
	snprintf(why, sizeof(why), "HTTP %d", res.status);
	if (rc || res.status != 200 || s->blocks.len)
		return fail(s, FWG_SYNC_UNREACHABLE, "%s: %s", url,
			    rc ? res.err : res.status != 200 ? why : "stream ends mid-block");
	if (!s->head.next)
		return fail(s, FWG_SYNC_UNREACHABLE, "%s: the node has no block yet", url);
	return 0;
}

/* Hands the stored transactions out again, as the sync that met them did. */
static int replay(const uint8_t *raw, size_t len, uint64_t height, const uint8_t *proof, size_t plen, void *arg)
{
	uint8_t id[FWGATE_ID_LEN];
	struct fwg_sync *s = arg;
	struct fwg_err e;
	int err;

	(void)proof;
	(void)plen;
	if (fwg_tx_decode(raw, len, &s->tx, &e)) {
		log_warnx("store: a record of block %" PRIu64 ": %s", height, e.msg);
		return -1;
	}
	note_ours(s, raw, len);
	fwg_tx_id(raw, len, id);
	err = s->fn ? s->fn(&s->tx, raw, len, id, height, s->arg) : 0;
	fwg_tx_release(&s->tx);
	return err;
}

struct fwg_sync *fwg_sync_new(const struct fwg_policy *p, const uint8_t device_id[FWGATE_ID_LEN],
			      const uint8_t *genesis, const char *dir, fwg_sync_tx_fn fn, void *arg)
{
	struct fwg_sync *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->policy = *p;
	memcpy(s->device_id, device_id, FWGATE_ID_LEN);
	if (genesis) {
		memcpy(s->pin, genesis, FWGATE_ID_LEN);
		s->pinned = 1;
	}
	s->fn = fn;
	s->arg = arg;
	if (fwg_store_open(&s->store, dir, replay, s))
		goto fail;
	if (s->pinned && s->store.head.next && memcmp(s->store.head.genesis, s->pin, FWGATE_ID_LEN)) {
		log_warnx("store %s: holds a chain with another genesis than the configured one", dir);
		fwg_store_close(&s->store);
		goto fail;
	}
	s->head = s->store.head;
	return s;
fail:
	free(s->ours);
	free(s);
	return NULL;
}

void fwg_sync_free(struct fwg_sync *s)
{
	if (!s)
		return;
	fwg_store_close(&s->store);
	free(s->ours);
	free(s);
}

const struct fwg_store_head *fwg_sync_head(const struct fwg_sync *s)
{
	return &s->store.head;
}

uint64_t fwg_sync_store_size(const struct fwg_sync *s)
{
	return fwg_store_size(&s->store);
}

int fwg_head_parse(const char *a, struct fwg_head *h)
{
	char hex[65];
	const char *p;

	if (!(p = strstr(a, "\"height\":")) || sscanf(p, "\"height\":%" SCNu64, &h->height) != 1 ||
	    !(p = strstr(a, "\"hash\":\"")) || sscanf(p, "\"hash\":\"%64[0-9a-f]\"", hex) != 1 ||
	    fwg_unhex(hex, h->hash, FWGATE_ID_LEN) || !(p = strstr(a, "\"time_ms\":")) ||
	    sscanf(p, "\"time_ms\":%" SCNu64, &h->time_ms) != 1)
		return -1;
	return 0;
}

/* A head is some 120 bytes of JSON: a longer answer is no head. */
struct head_answer {
	char text[512];
	size_t len;
};

static int collect_head(const void *buf, size_t n, void *arg)
{
	struct head_answer *a = arg;

	if (n >= sizeof(a->text) - a->len)
		return -1;
	memcpy(a->text + a->len, buf, n);
	a->len += n;
	a->text[a->len] = '\0';
	return 0;
}

int fwg_node_head(const char *node, struct fwg_head *h, char *msg, size_t len)
{
	struct head_answer a = { .len = 0 };
	char url[FWG_MAX_URL_LEN + 16];
	struct fwg_http_req req = { .url = url, .body_fn = collect_head, .arg = &a, .timeout_s = 10 };
	struct fwg_http_res res;
	int rc;

	snprintf(url, sizeof(url), "%s/head", node);
	rc = fwg_http_request(&req, &res);
	if (res.status && res.status != 200)
		snprintf(msg, len, "%s: HTTP %d", url, res.status);
	else if (rc)
		snprintf(msg, len, "%s: %s", url, rc == -ECANCELED ? "not a head: too long" : res.err);
	else if (fwg_head_parse(a.text, h))
		snprintf(msg, len, "%s: not a head: \"%.80s\"", url, a.text);
	else
		return 0;
	return -1;
}
