// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the trust anchor on the ledger side (issue 12): the policy encoding and its rotation rule
 * (lib/policy.c), and the trust transactions in the ledger state (chain/trust.c). Plain TAP, one line per
 * test; `trust_test NAME` runs one test.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"

#define CHECK(cond) do { if (!(cond)) { printf("# %s:%d: %s\n", __FILE__, __LINE__, #cond); return 1; } } while (0)
#define CHECK_ERR(call, text) do { if (!(call)) { printf("# %s:%d: %s accepted\n", __FILE__, __LINE__, #call); \
	return 1; } if (!strstr(err.msg, text)) { printf("# %s:%d: \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, \
	err.msg, text); return 1; } } while (0)

/* m0, m1: manufacturers; c0..c4: checkers (c2 is RSA-3072, the rest P-256). */
static struct fwg_key *mkey[2], *ckey[5];
static struct fwg_pubkey mpub[2], cpub[5];
static uint8_t enc[FWG_POLICY_ENC_MAX], enc2[FWG_POLICY_ENC_MAX];

static struct fwg_key *keygen(int rsa, struct fwg_pubkey *pub)
{
	struct fwg_key *k = fwg_key_create(rsa ? FWGATE_KEY_RSA3072 : FWGATE_KEY_P256);

	if (!k || fwg_key_encode(k, pub))
		fatalx("keygen");
	return k;
}

/* A policy of manufacturer m and the checkers listed in cs (indexes into ckey), threshold q. */
static void policy(struct fwg_policy *p, int m, const char *cs, unsigned int q)
{
	memset(p, 0, sizeof(*p));
	p->manufacturer = mpub[m];
	for (; *cs; cs++)
		p->checkers[p->k++] = cpub[*cs - '0'];
	p->threshold = q;
}

static struct fwg_key *key_of(const uint8_t id[FWGATE_ID_LEN])
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (!memcmp(mpub[i].id, id, FWGATE_ID_LEN))
			return mkey[i];
	for (i = 0; i < 5; i++)
		if (!memcmp(cpub[i].id, id, FWGATE_ID_LEN))
			return ckey[i];
	return NULL;
}

/* Signs msg with each key named in who ("m0", "m1", "c3", ...: space separated) into set. */
static void sign_set(struct fwg_sigset *set, const void *msg, size_t len, const char *who)
{
	uint8_t tmp[FWG_TX_MAX];
	char buf[64], *w, *save;

	memset(set, 0, sizeof(*set));
	snprintf(buf, sizeof(buf), "%s", who);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		const struct fwg_pubkey *pub = w[0] == 'm' ? &mpub[w[1] - '0'] : &cpub[w[1] - '0'];
		struct fwg_sig *s = &set->sig[set->count++];
		size_t n = FWGATE_MAX_SIG_LEN;

		memcpy(s->key_id, pub->id, FWGATE_ID_LEN);
		if (fwg_sign(key_of(pub->id), msg, len, s->sig, &n))
			fatalx("sign");
		s->len = n;
	}
	/* The encoder sorts the set: ascending key ids. */
	if (set->count && !fwg_sigset_encode(set, tmp, sizeof(tmp)))
		fatalx("sigset");
}

/* -------------------------------------------------------------------------------------- policy encoding */

static int policy_roundtrips_in_canonical_order(void)
{
	struct fwg_policy p, q, r;
	struct fwg_policy_err err;
	uint8_t d1[32], d2[32];
	uint64_t epoch;
	size_t n, n2;
	unsigned int i;

	policy(&p, 0, "2013", 3);
	n = fwg_policy_encode(&p, 7, enc, sizeof(enc), &err);
	CHECK(n);
	CHECK(!memcmp(enc, FWGATE_MAGIC_POLICY, 8));
	CHECK(!fwg_policy_decode(enc, n, &q, &epoch, &err) && epoch == 7 && q.k == 4 && q.threshold == 3);
	for (i = 1; i < q.k; i++)
		CHECK(memcmp(q.checkers[i - 1].id, q.checkers[i].id, FWGATE_ID_LEN) < 0);
	CHECK(!memcmp(q.manufacturer.id, mpub[0].id, FWGATE_ID_LEN));
	/* The same keys in another order: the same bytes, the same digest. */
	policy(&r, 0, "3102", 3);
	n2 = fwg_policy_encode(&r, 7, enc2, sizeof(enc2), &err);
	CHECK(n2 == n && !memcmp(enc, enc2, n));
	CHECK(!fwg_policy_digest(&p, 7, d1, &err) && !fwg_policy_digest(&r, 7, d2, &err) && !memcmp(d1, d2, 32));
	fwg_sha256(enc, n, d2);
	CHECK(!memcmp(d1, d2, 32));
	/* Another epoch, another digest. */
	CHECK(!fwg_policy_digest(&p, 8, d2, &err) && memcmp(d1, d2, 32));
	/* A decoded policy re-encodes to the same bytes. */
	CHECK(fwg_policy_encode(&q, epoch, enc2, sizeof(enc2), &err) == n && !memcmp(enc, enc2, n));
	/* Too small a buffer: 0, and says so. */
	CHECK(!fwg_policy_encode(&p, 7, enc2, n - 1, &err) && strstr(err.msg, "buffer"));
	return 0;
}

static int policy_rejects_threshold_below_majority(void)
{
	struct fwg_policy p;
	struct fwg_policy_err err;

	policy(&p, 0, "0123", 2);
	CHECK_ERR(!fwg_policy_encode(&p, 1, enc, sizeof(enc), &err), "policy.threshold: 2, not between floor(k/2)+1 = 3");
	policy(&p, 0, "012", 4);
	CHECK_ERR(!fwg_policy_encode(&p, 1, enc, sizeof(enc), &err), "policy.threshold: 4");
	policy(&p, 0, "", 0);
	CHECK_ERR(!fwg_policy_encode(&p, 1, enc, sizeof(enc), &err), "policy.checkers: k = 0");
	policy(&p, 0, "01", 2);
	CHECK_ERR(!fwg_policy_encode(&p, 0, enc, sizeof(enc), &err), "policy.epoch: 0");
	return 0;
}

/* Each malformed shape of an encoding refused, naming its field. */
static int policy_decode_rejects_malformed(void)
{
	struct fwg_policy p, q;
	struct fwg_policy_err err;
	struct fwgate_policy_hdr *h = (void *)enc2;
	uint64_t epoch;
	size_t n, first;

	policy(&p, 0, "01", 2);
	n = fwg_policy_encode(&p, 1, enc, sizeof(enc), &err);
	CHECK(n && !fwg_policy_decode(enc, n, &q, &epoch, &err));
	first = sizeof(struct fwgate_policy_hdr) + 4 + mpub[0].len;	/* the first checker's key */
#define MUTATE(stmt, text) do { memcpy(enc2, enc, n); stmt; \
	CHECK_ERR(fwg_policy_decode(enc2, n, &q, &epoch, &err), text); } while (0)
	MUTATE(enc2[0] = 'X', "policy.magic");
	MUTATE(h->checkers = htobe32(0), "policy.checkers: k = 0");
	MUTATE(h->checkers = htobe32(FWGATE_MAX_CHECKERS + 1), "policy.checkers: k = 17");
	MUTATE(h->checkers = htobe32(3), "policy.checkers[2]: truncated");
	MUTATE(h->threshold = htobe32(1), "policy.threshold: 1");
	MUTATE(h->threshold = htobe32(3), "policy.threshold: 3");
	MUTATE(h->epoch = 0, "policy.epoch: 0");
	MUTATE(enc2[sizeof(*h) + 1] = 1, "policy.manufacturer.reserved");
	MUTATE(enc2[sizeof(*h)] = 9, "policy.manufacturer: not a P-256");
	MUTATE(enc2[sizeof(*h) + 3] = 0, "policy.manufacturer.len: 0");
	MUTATE(enc2[first + 4 + 10] ^= 1, "policy.checkers[0]: not a P-256");
	CHECK_ERR(fwg_policy_decode(enc, n - 1, &q, &epoch, &err), "policy.checkers[1].len");
	CHECK_ERR(fwg_policy_decode(enc, 5, &q, &epoch, &err), "shorter than its");
	memcpy(enc2, enc, n);
	enc2[n] = 0;
	CHECK_ERR(fwg_policy_decode(enc2, n + 1, &q, &epoch, &err), "1 trailing bytes");
	/* The two checkers swapped: out of order. */
	{
		size_t klen = 4 + 65, a = first, b = first + klen;
		uint8_t tmp[69];

		memcpy(enc2, enc, n);
		memcpy(tmp, enc2 + a, klen);
		memmove(enc2 + a, enc2 + b, klen);
		memcpy(enc2 + b, tmp, klen);
		CHECK_ERR(fwg_policy_decode(enc2, n, &q, &epoch, &err), "policy.checkers[1]: key id not above");
		/* The same checker twice. */
		memcpy(enc2, enc, n);
		memcpy(enc2 + b, enc2 + a, klen);
		CHECK_ERR(fwg_policy_decode(enc2, n, &q, &epoch, &err), "policy.checkers[1]: key id not above");
	}
	/* The manufacturer as its own checker. */
	policy(&p, 0, "0", 1);
	p.checkers[0] = mpub[0];
	CHECK_ERR(!fwg_policy_encode(&p, 1, enc, sizeof(enc), &err), "manufacturer can not be its own checker");
#undef MUTATE
	return 0;
}

/* -------------------------------------------------------------------------------------- rotation rule */

struct rot {
	struct fwgate_rotate_stmt stmt;
	size_t len;
	struct fwg_sigset set;
	struct fwg_policy next;
};

static int rotation(struct fwg_policy *cur, uint64_t epoch, struct fwg_policy *next, const char *who, struct rot *r)
{
	struct fwg_policy_err err;

	r->len = fwg_policy_encode(next, epoch + 1, enc, sizeof(enc), &err);
	if (!r->len || fwg_rotation_stmt(cur, epoch, enc, r->len, 1000, &r->stmt, &err))
		return -1;
	sign_set(&r->set, &r->stmt, sizeof(r->stmt), who);
	return 0;
}

static int rotation_accepts_quorum_and_new_keys(void)
{
	struct fwg_policy cur, next;
	struct fwg_policy_err err;
	static struct rot r;

	/* A checker rotated out, one rotated in (c0 c1 c2 -> c1 c2 c3), q 2. */
	policy(&cur, 0, "012", 2);
	policy(&next, 0, "123", 2);
	CHECK(!rotation(&cur, 1, &next, "m0 c0 c1 c3", &r));
	CHECK(!fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err));
	CHECK(r.next.k == 3 && fwg_policy_has_key(&r.next, cpub[3].id) && !fwg_policy_has_key(&r.next, cpub[0].id));
	/* The manufacturer key rotated: both manufacturer keys sign. */
	policy(&next, 1, "012", 2);
	CHECK(!rotation(&cur, 5, &next, "m0 m1 c1 c2", &r));
	CHECK(!fwg_rotation_check(&cur, 5, &r.stmt, enc, r.len, &r.set, &r.next, &err));
	/* The threshold raised, no key changes: the current quorum suffices. */
	policy(&next, 0, "012", 3);
	CHECK(!rotation(&cur, 1, &next, "m0 c0 c2", &r));
	CHECK(!fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err));
	return 0;
}

static int rotation_refuses_without_quorum_or_new_keys(void)
{
	struct fwg_policy cur, next;
	struct fwg_policy_err err;
	static struct rot r;

	policy(&cur, 0, "012", 2);
	policy(&next, 0, "123", 2);
	/* One checker only. */
	CHECK(!rotation(&cur, 1, &next, "m0 c0 c3", &r));
	CHECK_ERR(fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err) == -EPERM,
		  "1 of the policy in force's checkers signed, its threshold is 2");
	/* No manufacturer. */
	CHECK(!rotation(&cur, 1, &next, "c0 c1 c3", &r));
	CHECK_ERR(fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err) == -EPERM,
		  "no signature by the manufacturer key");
	/* The new checker did not sign. */
	CHECK(!rotation(&cur, 1, &next, "m0 c0 c1", &r));
	CHECK_ERR(fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err) == -EPERM,
		  "new checkers[");
	/* The new manufacturer did not sign. */
	policy(&next, 1, "012", 2);
	CHECK(!rotation(&cur, 1, &next, "m0 c0 c1", &r));
	CHECK_ERR(fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err) == -EPERM,
		  "new manufacturer key did not sign");
	/* A new checker's signature does not count toward the old quorum. */
	policy(&next, 0, "123", 2);
	CHECK(!rotation(&cur, 1, &next, "m0 c1 c3", &r));
	CHECK_ERR(fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err) == -EPERM, "1 of");
	/* A stranger's signature, a bad signature. */
	CHECK(!rotation(&cur, 1, &next, "m0 c0 c1 c3 c4", &r));
	CHECK_ERR(fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err) == -EKEYREJECTED,
		  "not a key of the policy in force or of the next one");
	CHECK(!rotation(&cur, 1, &next, "m0 c0 c1 c3", &r));
	r.set.sig[1].sig[10] ^= 1;
	CHECK_ERR(fwg_rotation_check(&cur, 1, &r.stmt, enc, r.len, &r.set, &r.next, &err) == -EKEYREJECTED,
		  "rotate.sigs[1].sig: does not verify");
	return 0;
}

static int rotation_refuses_wrong_links_and_older_epochs(void)
{
	struct fwg_policy cur, next;
	struct fwg_policy_err err;
	static struct rot r;
	struct fwgate_rotate_stmt s;

	policy(&cur, 0, "012", 2);
	policy(&next, 0, "123", 2);
	CHECK(!rotation(&cur, 3, &next, "m0 c0 c1 c3", &r));
	/* Against another policy in force, or the same at another epoch. */
	CHECK_ERR(fwg_rotation_check(&cur, 4, &r.stmt, enc, r.len, &r.set, &r.next, &err), "rotate.prev: not the digest");
	policy(&cur, 0, "013", 2);
	CHECK_ERR(fwg_rotation_check(&cur, 3, &r.stmt, enc, r.len, &r.set, &r.next, &err), "rotate.prev: not the digest");
	policy(&cur, 0, "012", 2);
	s = r.stmt;
	s.prev_epoch = htobe64(2);
	CHECK_ERR(fwg_rotation_check(&cur, 3, &s, enc, r.len, &r.set, &r.next, &err), "rotate.prev_epoch: 2");
	s = r.stmt;
	s.next_epoch = htobe64(3);
	CHECK_ERR(fwg_rotation_check(&cur, 3, &s, enc, r.len, &r.set, &r.next, &err), "rotate.next_epoch: 3, not");
	s = r.stmt;
	s.next[0] ^= 1;
	CHECK_ERR(fwg_rotation_check(&cur, 3, &s, enc, r.len, &r.set, &r.next, &err), "rotate.next: not the SHA-256");
	s = r.stmt;
	s.magic[0] = 'X';
	CHECK_ERR(fwg_rotation_check(&cur, 3, &s, enc, r.len, &r.set, &r.next, &err), "rotate.magic");
	/* An encoding at an older epoch than the statement says. */
	CHECK(fwg_policy_encode(&next, 2, enc, sizeof(enc), &err));
	CHECK_ERR(fwg_rotation_stmt(&cur, 3, enc, r.len, 0, &s, &err), "policy.epoch: 2");
	r.stmt.next_epoch = htobe64(4);
	fwg_sha256(enc, r.len, r.stmt.next);
	CHECK_ERR(fwg_rotation_check(&cur, 3, &r.stmt, enc, r.len, &r.set, &r.next, &err), "policy.epoch: 2, but");
	return 0;
}

/* -------------------------------------------------------------------------------------- ledger state */

static struct fwg_key *dkey;
static struct fwg_pubkey dpub;
static uint8_t buf[FWG_TX_MAX];
static const uint8_t chunks[FWGATE_ID_LEN] = { 0xcd };

static void name(char *dst, const char *src)
{
	memset(dst, 0, FWGATE_NAME_LEN);
	strcpy(dst, src);
}

/* Decodes, checks and applies one transaction; returns the refusal message, or NULL. */
static const char *submit(struct fwg_state *st, const uint8_t *tx, size_t len)
{
	static struct fwg_err err;
	struct fwg_tx t;

	if (!len)
		return "(not encoded)";
	if (fwg_tx_decode(tx, len, &t, &err))
		return err.msg;
	if (fwg_state_check(st, &t, &err)) {
		fwg_tx_release(&t);
		return err.msg;
	}
	if (fwg_state_apply(st, &t))
		fatalx("apply");
	fwg_tx_release(&t);
	return NULL;
}

static int refused_with(const char *msg, const char *want)
{
	if (!msg || !strstr(msg, want)) {
		printf("# got \"%s\", want \"%s\"\n", msg ? msg : "(accepted)", want);
		return 0;
	}
	return 1;
}

/* Genesis: manufacturer m0, checkers c0 c1 c2; device type "router": c0 c1 c2, q 2. Then the device. */
static struct fwg_state *genesis_state(void)
{
	static struct fwg_genesis g;
	struct fwg_state *st = fwg_state_new();
	struct fwgate_devcert_stmt c = {};
	size_t n;
	int i;

	memset(&g, 0, sizeof(g));
	g.time = 1;
	name(g.name, "test");
	g.nr_members = 4;
	g.members[0].role = FWG_ROLE_MANUFACTURER;
	name(g.members[0].name, "acme");
	g.members[0].key = mpub[0];
	for (i = 0; i < 3; i++) {
		g.members[1 + i].role = FWG_ROLE_CHECKER;
		snprintf(g.members[1 + i].name, FWGATE_NAME_LEN, "checker%d", i);
		g.members[1 + i].key = cpub[i];
		memcpy(g.types[0].checkers[i], cpub[i].id, FWGATE_ID_LEN);
	}
	g.nr_types = 1;
	name(g.types[0].o_type, "router");
	g.types[0].k = 3;
	g.types[0].q = 2;
	n = fwg_genesis_encode(&g, buf, sizeof(buf));
	if (submit(st, buf, n))
		fatalx("genesis refused");
	memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
	memcpy(c.m_id, mpub[0].id, FWGATE_ID_LEN);
	name(c.o_type, "router");
	memcpy(c.pubkey, dpub.data, 65);
	n = fwg_tx_sign(mkey[0], FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, buf, sizeof(buf));
	if (submit(st, buf, n))
		fatalx("devcert refused: %s", submit(st, buf, n));
	return st;
}

static size_t line_tx(int m, const char *cs, unsigned int q, const char *type, const char *who)
{
	static struct fwg_sigset set;
	struct fwg_line_stmt ls = {};
	struct fwg_policy_err err;
	struct fwg_policy p;
	size_t n;

	policy(&p, m, cs, q);
	n = fwg_policy_encode(&p, 1, enc, sizeof(enc), &err);
	memcpy(ls.magic, FWG_MAGIC_LINE, 8);
	name(ls.o_type, type);
	fwg_sha256(enc, n, ls.digest);
	sign_set(&set, &ls, sizeof(ls), who);
	return fwg_tx_encode_multi(FWG_TX_POLICY, &ls, sizeof(ls), enc, n, &set, buf, sizeof(buf));
}

/* A rotation of the line now at (cm, ccs, cq, epoch) to (m, cs, q), signed by who. */
static size_t rotate_tx(int cm, const char *ccs, unsigned int cq, uint64_t epoch, int m, const char *cs,
			unsigned int q, const char *who)
{
	struct fwg_policy cur, next;
	static struct rot r;

	policy(&cur, cm, ccs, cq);
	policy(&next, m, cs, q);
	if (rotation(&cur, epoch, &next, who, &r))
		return 0;
	return fwg_tx_encode_multi(FWG_TX_ROTATE, &r.stmt, sizeof(r.stmt), enc, r.len, &r.set, buf, sizeof(buf));
}

/* Statements made twice differ by their time: a second one is not a replay of the first. */
static uint64_t now = 1000;

/* c<i> or m<i> joins (action 1) or leaves (2), signed by who. */
static size_t member_tx(const char *key, int action, const char *who)
{
	const struct fwg_pubkey *pub = key[0] == 'm' ? &mpub[key[1] - '0'] : &cpub[key[1] - '0'];
	static struct fwg_sigset set;
	struct fwg_member_stmt ms = {};

	memcpy(ms.magic, FWG_MAGIC_MEMBER, 8);
	ms.action = action;
	ms.role = key[0] == 'm' ? FWG_ROLE_MANUFACTURER : FWG_ROLE_CHECKER;
	memcpy(ms.key_id, pub->id, FWGATE_ID_LEN);
	ms.issued = htobe64(now++);
	if (action == FWG_MEMBER_JOIN) {
		ms.alg = pub->alg;
		snprintf(ms.name, sizeof(ms.name), "new-%s", key);
	}
	sign_set(&set, &ms, sizeof(ms), who);
	return fwg_tx_encode_multi(FWG_TX_MEMBER, &ms, sizeof(ms), pub->data,
				   action == FWG_MEMBER_JOIN ? pub->len : 0, &set, buf, sizeof(buf));
}

static struct fwgate_update_stmt update(int m, uint64_t version)
{
	struct fwgate_update_stmt u = {};

	memcpy(u.magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
	memcpy(u.m_id, mpub[m].id, FWGATE_ID_LEN);
	memset(u.u_id, 0xab + version, FWGATE_ID_LEN);
	u.version = htobe64(version);
	u.size = htobe64(4096);
	name(u.o_type, "router");
	name(u.target, "fw");
	fwg_sha256(chunks, sizeof(chunks), u.chunks);
	{
		/* The statement's chunks field: the digest of the header and the one-chunk list. */
		uint8_t hl[sizeof(struct fwgate_chunks_hdr) + sizeof(chunks)];
		struct fwgate_chunks_hdr h = { .chunk_len = htobe32(FWGATE_CHUNK_LEN) };

		memcpy(h.magic, FWGATE_MAGIC_CHUNKS, FWGATE_MAGIC_LEN);
		memcpy(hl, &h, sizeof(h));
		memcpy(hl + sizeof(h), chunks, sizeof(chunks));
		fwg_sha256(hl, sizeof(hl), u.chunks);
	}
	return u;
}

static size_t update_tx(int m, uint64_t version)
{
	struct fwgate_update_stmt u = update(m, version);

	return fwg_tx_sign(mkey[m], FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), buf, sizeof(buf));
}

static size_t approve_tx(int c, int m, uint64_t version)
{
	struct fwgate_verdict_stmt v = {};

	memcpy(v.magic, FWGATE_MAGIC_APPROVE, FWGATE_MAGIC_LEN);
	memcpy(v.checker_id, cpub[c].id, FWGATE_ID_LEN);
	v.update = update(m, version);
	return fwg_tx_sign(ckey[c], FWG_TX_APPROVE, &v, sizeof(v), NULL, 0, NULL, 0, buf, sizeof(buf));
}

static size_t ack_tx(int m, uint64_t version)
{
	struct fwgate_update_stmt u = update(m, version);
	struct fwgate_ack_stmt a = {};

	memcpy(a.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
	memcpy(a.u_id, u.u_id, FWGATE_ID_LEN);
	memcpy(a.o_id, dpub.id, FWGATE_ID_LEN);
	a.version = u.version;
	name(a.target, "fw");
	a.time = htobe64(version);
	return fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
}

static size_t revoke_tx(int m)
{
	struct fwgate_revoke_stmt v = {};

	memcpy(v.magic, FWGATE_MAGIC_REVOKE, FWGATE_MAGIC_LEN);
	memcpy(v.m_id, mpub[m].id, FWGATE_ID_LEN);
	memcpy(v.o_id, dpub.id, FWGATE_ID_LEN);
	v.reason = htobe32(2);
	v.time = htobe64(now++);
	return fwg_tx_sign(mkey[m], FWG_TX_REVOKE, &v, sizeof(v), NULL, 0, NULL, 0, buf, sizeof(buf));
}

static int line_starts_with_the_genesis_policy_signed_by_all(void)
{
	struct fwg_state *st = genesis_state();

	CHECK(refused_with(submit(st, buf, line_tx(0, "012", 2, "switch", "m0 c0 c1 c2")), "policy.o_type: \"switch\""));
	CHECK(refused_with(submit(st, buf, line_tx(0, "012", 3, "router", "m0 c0 c1 c2")),
			   "not the genesis policy of device type \"router\""));
	CHECK(refused_with(submit(st, buf, line_tx(0, "01", 2, "router", "m0 c0 c1")), "not the genesis policy"));
	CHECK(refused_with(submit(st, buf, line_tx(0, "012", 2, "router", "m0 c0 c1")), "policy.sigs.count: 3"));
	CHECK(refused_with(submit(st, buf, line_tx(0, "012", 2, "router", "m0 c0 c1 c3")), "not a key of the policy"));
	CHECK(refused_with(submit(st, buf, line_tx(1, "012", 2, "router", "m1 c0 c1 c2")), "not a manufacturer member"));
	CHECK(!submit(st, buf, line_tx(0, "012", 2, "router", "m0 c0 c1 c2")));
	CHECK(refused_with(submit(st, buf, line_tx(0, "012", 2, "router", "m0 c0 c1 c2")), "replay"));
	/* A bad signature, and a payload that is not what the statement names. */
	fwg_state_free(st);
	st = genesis_state();
	{
		size_t n = line_tx(0, "012", 2, "router", "m0 c0 c1 c2");
		struct fwg_err err;
		struct fwg_tx t;

		buf[n - 5] ^= 1;	/* inside the last signature */
		CHECK(refused_with(submit(st, buf, n), ".sig: does not verify"));
		buf[n - 5] ^= 1;
		buf[2 + sizeof(struct fwg_line_stmt) + 2 + 20] ^= 1;	/* inside the encoding */
		CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "policy.digest: not the SHA-256"));
	}
	fwg_state_free(st);
	return 0;
}

static int rotation_follows_the_newest_policy_without_fork(void)
{
	struct fwg_state *st = genesis_state();

	CHECK(!submit(st, buf, line_tx(0, "012", 2, "router", "m0 c0 c1 c2")));
	/* c3 is no member yet: the rotation to it is refused, nothing changes. */
	CHECK(refused_with(submit(st, buf, rotate_tx(0, "012", 2, 1, 0, "123", 2, "m0 c0 c1 c3")),
			   "is not a checker member of the consortium"));
	CHECK(!submit(st, buf, member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3")));
	/* Without the quorum; without the new key; from an epoch that is not the newest. */
	CHECK(refused_with(submit(st, buf, rotate_tx(0, "012", 2, 1, 0, "123", 2, "m0 c0 c3")),
			   "1 of the policy in force's checkers signed, its threshold is 2"));
	CHECK(refused_with(submit(st, buf, rotate_tx(0, "012", 2, 1, 0, "123", 2, "m0 c0 c1")), "new checkers["));
	CHECK(refused_with(submit(st, buf, rotate_tx(0, "012", 2, 2, 0, "123", 2, "m0 c0 c1 c3")),
			   "rotate.prev: no policy on the chain has this digest"));
	/* c0 rotated out, c3 in. */
	CHECK(!submit(st, buf, rotate_tx(0, "012", 2, 1, 0, "123", 2, "m0 c0 c1 c3")));
	/* What fwgated looks up: the encoding of a sealed digest, and the rotation that follows it. */
	{
		struct fwg_policy_epoch pe;
		struct fwg_policy_err perr;
		struct fwg_policy p1;
		uint8_t d1[FWGATE_ID_LEN], d2[FWGATE_ID_LEN];

		policy(&p1, 0, "012", 2);
		CHECK(!fwg_policy_digest(&p1, 1, d1, &perr));
		CHECK(!fwg_state_policy(st, d1, 0, &pe) && pe.epoch == 1 && pe.newest == 2 && !pe.rotate && !pe.sigs);
		CHECK(!strcmp(pe.o_type, "router"));
		CHECK(!fwg_state_policy(st, d1, 1, &pe) && pe.epoch == 2 && pe.rotate && pe.sigs && pe.sigs->count == 4);
		CHECK(!memcmp(pe.rotate->prev, d1, FWGATE_ID_LEN) && !memcmp(pe.rotate->next, pe.digest, FWGATE_ID_LEN));
		fwg_sha256(pe.enc, pe.enc_len, d2);
		CHECK(!memcmp(d2, pe.digest, FWGATE_ID_LEN));
		CHECK(fwg_state_policy(st, pe.digest, 1, &pe) == -ENOENT);
		CHECK(!fwg_state_line(st, "router", mpub[0].id, 0, &pe) && pe.epoch == 2);
		CHECK(fwg_state_line(st, "switch", NULL, 0, &pe) == -ENOENT);
	}
	/* The same prev again, to another next: a fork, refused. */
	CHECK(refused_with(submit(st, buf, rotate_tx(0, "012", 2, 1, 0, "124", 2, "m0 c0 c1")),
			   "epoch 1 of device type \"router\"'s line was rotated already; its newest policy is at epoch 2"));
	/* Verdicts are judged by the policy in force: c0's no longer counts, c3's does. */
	CHECK(!submit(st, buf, update_tx(0, 7)));
	CHECK(refused_with(submit(st, buf, approve_tx(0, 0, 7)), "not among the checkers of device type \"router\"'s "
			   "policy in force (epoch 2)"));
	CHECK(!submit(st, buf, approve_tx(3, 0, 7)));
	CHECK(!submit(st, buf, approve_tx(1, 0, 7)));
	/* c0 is out of every policy now: it may leave; c1 may not (it is in the router's policy). */
	CHECK(refused_with(submit(st, buf, member_tx("c1", FWG_MEMBER_LEAVE, "m0 c1 c2")), "rotate it out first"));
	CHECK(!submit(st, buf, member_tx("c0", FWG_MEMBER_LEAVE, "m0 c1 c2")));
	fwg_state_free(st);
	return 0;
}

static int manufacturer_rotation_refuses_the_old_key(void)
{
	struct fwg_state *st = genesis_state();

	CHECK(!submit(st, buf, line_tx(0, "012", 2, "router", "m0 c0 c1 c2")));
	CHECK(!submit(st, buf, update_tx(0, 7)));
	CHECK(!submit(st, buf, member_tx("m1", FWG_MEMBER_JOIN, "m0 c0 c2 m1")));
	CHECK(refused_with(submit(st, buf, rotate_tx(0, "012", 2, 1, 1, "012", 2, "m0 c0 c1")),
			   "new manufacturer key did not sign"));
	CHECK(!submit(st, buf, rotate_tx(0, "012", 2, 1, 1, "012", 2, "m0 m1 c0 c1")));
	CHECK(refused_with(submit(st, buf, update_tx(0, 8)), "update.m_id: this manufacturer key was rotated out"));
	CHECK(!submit(st, buf, update_tx(1, 8)));
	CHECK(!submit(st, buf, approve_tx(2, 1, 8)));
	/* The new key revokes a device the old one certified. */
	CHECK(!submit(st, buf, revoke_tx(1)));
	fwg_state_free(st);
	return 0;
}

static int revoked_device_acks_refused(void)
{
	struct fwg_state *st = genesis_state();

	CHECK(!submit(st, buf, update_tx(0, 7)));
	CHECK(!submit(st, buf, update_tx(0, 8)));
	CHECK(!submit(st, buf, ack_tx(0, 7)));
	CHECK(!submit(st, buf, member_tx("m1", FWG_MEMBER_JOIN, "m0 c0 c2 m1")));
	CHECK(refused_with(submit(st, buf, revoke_tx(1)), "revoke.m_id: not the manufacturer that certified"));
	CHECK(!submit(st, buf, revoke_tx(0)));
	CHECK(refused_with(submit(st, buf, revoke_tx(0)), "revoked already"));
	CHECK(refused_with(submit(st, buf, ack_tx(0, 8)), "ack.o_id: this device was revoked by its manufacturer"));
	fwg_state_free(st);
	return 0;
}

static int member_change_needs_a_majority(void)
{
	struct fwg_state *st = genesis_state();

	/* 4 members: 2 signatures are not more than half; the joining key's does not count. */
	CHECK(refused_with(submit(st, buf, member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c3")), "2 of the 4 current members"));
	CHECK(refused_with(submit(st, buf, member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1")), "the joining key did not sign"));
	CHECK(refused_with(submit(st, buf, member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3 c4")),
			   "key_id: not a current member nor the joining key"));
	CHECK(!submit(st, buf, member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3")));
	CHECK(refused_with(submit(st, buf, member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3")), "already a member"));
	/* 5 members now: 3 sign a leave. */
	CHECK(refused_with(submit(st, buf, member_tx("c3", FWG_MEMBER_LEAVE, "m0 c0")), "2 of the 5"));
	CHECK(!submit(st, buf, member_tx("c3", FWG_MEMBER_LEAVE, "m0 c0 c1")));
	CHECK(refused_with(submit(st, buf, member_tx("c3", FWG_MEMBER_LEAVE, "m0 c0 c1")), "not a current member"));
	/* A member that left signs nothing any more. */
	CHECK(refused_with(submit(st, buf, member_tx("c4", FWG_MEMBER_JOIN, "m0 c0 c3 c4")), "not a current member"));
	fwg_state_free(st);
	return 0;
}

/* Every trust kind encodes, decodes and re-encodes to the same bytes; malformed ones are refused by name. */
static int trust_tx_roundtrip_and_malformed(void)
{
	static uint8_t out[FWG_TX_MAX];
	struct fwg_err err;
	struct fwg_tx t;
	size_t n, i;

	for (i = 0; i < 4; i++) {
		n = i == 0 ? line_tx(0, "012", 2, "router", "m0 c0 c1 c2") :
		    i == 1 ? rotate_tx(0, "012", 2, 1, 0, "123", 2, "m0 c0 c1 c3") :
		    i == 2 ? member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3") : member_tx("c2", FWG_MEMBER_LEAVE, "m0 c0 c1");
		CHECK(n && !fwg_tx_decode(buf, n, &t, &err));
		CHECK(fwg_tx_encode_multi(t.type, t.msg, t.msg_len, t.payload, t.payload_len, t.sigs, out, sizeof(out)) == n);
		CHECK(!memcmp(out, buf, n));
		fwg_tx_release(&t);
		CHECK(fwg_tx_decode(buf, n - 1, &t, &err) && strstr(err.msg, ".sigs["));
		buf[n] = 0;
		CHECK(fwg_tx_decode(buf, n + 1, &t, &err) && strstr(err.msg, "1 trailing bytes"));
	}
	n = revoke_tx(0);
	CHECK(!fwg_tx_decode(buf, n, &t, &err));
	buf[2 + offsetof(struct fwgate_revoke_stmt, reserved)] = 1;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "revoke.reserved"));
	n = member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3");
	buf[2 + offsetof(struct fwg_member_stmt, action)] = 3;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "member.action: 3"));
	n = member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3");
	buf[2 + offsetof(struct fwg_member_stmt, key_id)] ^= 1;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "member.key_id: not the SHA-256"));
	n = rotate_tx(0, "012", 2, 1, 0, "123", 2, "m0 c0 c1 c3");
	buf[2 + offsetof(struct fwgate_rotate_stmt, next)] ^= 1;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "rotate.next: not the SHA-256"));
	return 0;
}

/* Seeds of tests/fuzz/corpus: policy_enc/ (encodings, k 1 to 5) and tx/ (one of each trust kind). */
static int write_corpus(const char *dir)
{
	static const char *const sets[] = { "0", "012", "01234" };
	struct fwg_policy_err err;
	struct fwg_policy p;
	char path[512];
	unsigned int i;
	size_t n;

	for (i = 0; i < 3; i++) {
		policy(&p, i & 1, sets[i], strlen(sets[i]) / 2 + 1);
		n = fwg_policy_encode(&p, i + 1, enc, sizeof(enc), &err);
		snprintf(path, sizeof(path), "%s/policy_enc/k%zu", dir, strlen(sets[i]));
		if (!n || fwg_write_file(path, enc, n, 0644))
			return 1;
	}
	for (i = 0; i < 5; i++) {
		n = i == 0 ? line_tx(0, "012", 2, "router", "m0 c0 c1 c2") :
		    i == 1 ? rotate_tx(0, "012", 2, 1, 0, "123", 2, "m0 c0 c1 c3") :
		    i == 2 ? member_tx("c3", FWG_MEMBER_JOIN, "m0 c0 c1 c3") :
		    i == 3 ? member_tx("c2", FWG_MEMBER_LEAVE, "m0 c0 c1") : revoke_tx(0);
		snprintf(path, sizeof(path), "%s/tx/trust-%s", dir, fwg_tx_type_name(buf[1]));
		if (i == 3)
			snprintf(path, sizeof(path), "%s/tx/trust-member-leave", dir);
		if (!n || fwg_write_file(path, buf, n, 0644))
			return 1;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "policy.roundtrips_in_canonical_order", policy_roundtrips_in_canonical_order },
	{ "policy.rejects_threshold_below_majority", policy_rejects_threshold_below_majority },
	{ "policy.decode_rejects_malformed", policy_decode_rejects_malformed },
	{ "rotation.accepts_quorum_and_new_keys", rotation_accepts_quorum_and_new_keys },
	{ "rotation.refuses_without_quorum_or_new_keys", rotation_refuses_without_quorum_or_new_keys },
	{ "rotation.refuses_wrong_links_and_older_epochs", rotation_refuses_wrong_links_and_older_epochs },
	{ "tx.trust_kinds_roundtrip_and_refuse_malformed", trust_tx_roundtrip_and_malformed },
	{ "state.line_starts_with_the_genesis_policy_signed_by_all", line_starts_with_the_genesis_policy_signed_by_all },
	{ "state.rotation_follows_the_newest_policy_without_fork", rotation_follows_the_newest_policy_without_fork },
	{ "state.manufacturer_rotation_refuses_the_old_key", manufacturer_rotation_refuses_the_old_key },
	{ "state.revoked_device_acks_refused", revoked_device_acks_refused },
	{ "state.member_change_needs_a_majority", member_change_needs_a_majority },
};

int main(int argc, char **argv)
{
	size_t i, nr = sizeof(tests) / sizeof(tests[0]);
	int failed = 0, n = 0;

	log_init("trust_test", 0);
	for (i = 0; i < 2; i++)
		mkey[i] = keygen(0, &mpub[i]);
	for (i = 0; i < 5; i++)
		ckey[i] = keygen(i == 2, &cpub[i]);
	dkey = keygen(0, &dpub);
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	printf("TAP version 13\n1..%zu\n", argc > 1 ? (size_t)1 : nr);
	for (i = 0; i < nr; i++) {
		int err;

		if (argc > 1 && strcmp(argv[1], tests[i].name))
			continue;
		err = tests[i].fn();
		printf("%sok %d - %s\n", err ? "not " : "", ++n, tests[i].name);
		failed |= err;
	}
	return failed;
}
