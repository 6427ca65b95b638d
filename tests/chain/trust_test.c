// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the trust anchor on the ledger side (issue 12): the policy encoding and its rotation rule
 * (lib/policy.c), and the trust transactions in the ledger state (chain/trust.c). Plain TAP, one line per
 * test; `trust_test NAME` runs one test.
 */
#include <endian.h>
#include <errno.h>
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

/* Seeds of tests/fuzz/corpus/policy_enc: encodings with P-256 and RSA keys, k 1 and 5. */
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
		snprintf(path, sizeof(path), "%s/k%zu", dir, strlen(sets[i]));
		if (!n || fwg_write_file(path, enc, n, 0644))
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
