// SPDX-License-Identifier: GPL-2.0
/*
 * fwgated's following of the chain's policy rotations (agent/follow.c), with real rotation transactions
 * (chain/tx.c's encoder, lib/policy.c's statements and signatures) and, in place of fwgate.ko, lib/policy.c's
 * rotation rule, which the kernel's mirrors; the monitor's check of the worker's rotation message; and the
 * monitor's rebuild of a lost policy cache from the rotations in the worker's store (agent/anchor.c), on
 * disk, with agent/store.c writing the store as the sync does.
 */
#define _GNU_SOURCE	/* nftw */
#include <endian.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "anchor.h"
#include "follow.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "proto.h"
#include "store.h"

/* m0, m1: manufacturers; c0..c3: checkers. P-256 keys, made once. */
static struct fwg_key *mkey[2], *ckey[4];
static struct fwg_pubkey mpub[2], cpub[4];

static void keys(void)
{
	int i;

	if (mkey[0])
		return;
	for (i = 0; i < 2; i++)
		if (!(mkey[i] = fwg_key_create(FWGATE_KEY_P256)) || fwg_key_encode(mkey[i], &mpub[i]))
			abort();
	for (i = 0; i < 4; i++)
		if (!(ckey[i] = fwg_key_create(FWGATE_KEY_P256)) || fwg_key_encode(ckey[i], &cpub[i]))
			abort();
}

/* A policy of manufacturer m and the checkers in cs ("012"), threshold q, at epoch, its digest filled. */
static void policy(struct fwg_policy *p, int m, const char *cs, unsigned int q, uint64_t epoch)
{
	struct fwg_policy_err e;

	memset(p, 0, sizeof(*p));
	p->manufacturer = mpub[m];
	for (; *cs; cs++)
		p->checkers[p->k++] = cpub[*cs - '0'];
	p->threshold = q;
	p->epoch = epoch;
	if (fwg_policy_digest(p, epoch, p->digest, &e))
		fatalx("policy: %s", e.msg);
}

static void sign_one(struct fwg_sigset *set, struct fwg_key *k, const struct fwg_pubkey *pub, const void *msg,
		     size_t len)
{
	struct fwg_sig *s = &set->sig[set->count++];
	size_t n = FWGATE_MAX_SIG_LEN;

	memcpy(s->key_id, pub->id, FWGATE_ID_LEN);
	if (fwg_sign(k, msg, len, s->sig, &n))
		abort();
	s->len = n;
}

/*
 * The rotation transaction from cur to next, signed by the manufacturers in ms ("01") and checkers in cs;
 * its length.
 */
static size_t rotation(const struct fwg_policy *cur, const struct fwg_policy *next, const char *ms, const char *cs,
		       uint8_t *buf, size_t len)
{
	static uint8_t enc[FWG_POLICY_ENC_MAX];
	static struct fwg_sigset set;
	struct fwgate_rotate_stmt st;
	struct fwg_policy_err e;
	size_t n;

	n = fwg_policy_encode(next, next->epoch, enc, sizeof(enc), &e);
	if (!n || fwg_rotation_stmt(cur, cur->epoch, enc, n, 1700000000, &st, &e))
		fatalx("rotation: %s", e.msg);
	memset(&set, 0, sizeof(set));
	for (; *ms; ms++)
		sign_one(&set, mkey[*ms - '0'], &mpub[*ms - '0'], &st, sizeof(st));
	for (; *cs; cs++)
		sign_one(&set, ckey[*cs - '0'], &cpub[*cs - '0'], &st, sizeof(st));
	return fwg_tx_encode_multi(FWG_TX_ROTATE, &st, sizeof(st), enc, n, &set, buf, len);
}

/* The kernel, as far as this test needs it: the rotation rule from the policy in force, then re-sealed. */
static struct fwg_policy kernel;
static int calls, fail_next;

static int apply(const uint8_t *raw, size_t len, struct fwg_policy *out, char *msg, size_t msg_len, void *arg)
{
	struct fwg_policy_err e = { "" };
	struct fwg_policy next;
	struct fwg_err err;
	struct fwg_tx tx;
	uint64_t epoch;
	int rc;

	(void)arg;
	calls++;
	if (fail_next) {
		rc = fail_next;
		fail_next = 0;
		snprintf(msg, msg_len, "injected");
		return rc;
	}
	if (fwg_tx_decode(raw, len, &tx, &err))
		return -EINVAL;
	epoch = be64toh(tx.s.rotate.next_epoch);
	rc = fwg_rotation_check(&kernel, kernel.epoch, &tx.s.rotate, tx.payload, tx.payload_len, tx.sigs, &next, &e);
	fwg_tx_release(&tx);
	if (rc) {
		snprintf(msg, msg_len, "%s", e.msg);
		return rc;
	}
	next.epoch = epoch;
	fwg_policy_digest(&next, epoch, next.digest, &e);
	kernel = next;
	*out = next;
	return 0;
}

static uint8_t tx12[FWG_TX_MAX], tx23[FWG_TX_MAX], txbad[FWG_TX_MAX];
static size_t len12, len23, lenbad;
static struct fwg_policy p1, p2, p3, pbad;

/*
 * Epoch 1: m0 with c0 c1 c2, q 2. Epoch 2: c2 leaves, c3 joins. Epoch 3: m1 replaces m0. Each rotation signed
 * by the manufacturer in force, a quorum of the checkers in force and every new key. txbad: a rotation from
 * epoch 1 (to a threshold of 3) that only m0 and c0 signed, fewer than the threshold in force.
 */
static void setup_chain(void)
{
	keys();
	policy(&p1, 0, "012", 2, 1);
	policy(&p2, 0, "013", 2, 2);
	policy(&p3, 1, "013", 2, 3);
	policy(&pbad, 0, "012", 3, 2);
	len12 = rotation(&p1, &p2, "0", "013", tx12, sizeof(tx12));
	len23 = rotation(&p2, &p3, "01", "01", tx23, sizeof(tx23));
	lenbad = rotation(&p1, &pbad, "0", "0", txbad, sizeof(txbad));
	if (!len12 || !len23 || !lenbad)
		fatalx("encode: %zu %zu %zu", len12, len23, lenbad);
}

static unsigned int reset(void)
{
	struct fwg_follow_info info[FWG_FOLLOW_MAX];

	fwg_follow_reset();
	kernel = p1;
	calls = fail_next = 0;
	return fwg_follow_list(info, FWG_FOLLOW_MAX);
}

TEST(follow_applies_rotations_in_chain_order_whatever_the_order_seen)
{
	struct fwg_policy cur;

	setup_chain();
	ASSERT_EQ(0U, reset());
	/* The store replays in chain order, but a sync may hand the newer one first: the order is the epochs'. */
	ASSERT_EQ(0, fwg_follow_add(tx23, len23, 20));
	ASSERT_EQ(0, fwg_follow_add(tx12, len12, 10));
	ASSERT_EQ(0, fwg_follow_add(tx12, len12, 10));	/* seen again: kept once */
	cur = p1;
	EXPECT_EQ(2, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(3ULL, (unsigned long long)cur.epoch);
	EXPECT_EQ(0, memcmp(cur.digest, p3.digest, FWGATE_ID_LEN));
	EXPECT_EQ(0, memcmp(cur.manufacturer.id, mpub[1].id, FWGATE_ID_LEN));
	EXPECT_EQ(2, calls);
	/* Nothing follows epoch 3: nothing more is asked. */
	EXPECT_EQ(0, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(2, calls);
}

TEST(follow_starts_from_the_policy_in_force)
{
	struct fwg_policy cur;

	setup_chain();
	reset();
	cur = p2;
	kernel = p2;
	ASSERT_EQ(0, fwg_follow_add(tx12, len12, 10));
	ASSERT_EQ(0, fwg_follow_add(tx23, len23, 20));
	/* The device sealed epoch 2 already: the rotation from epoch 1 is history, not asked. */
	EXPECT_EQ(1, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(1, calls);
	EXPECT_EQ(3ULL, (unsigned long long)cur.epoch);
}

TEST(follow_refused_rotation_is_not_asked_again_and_the_policy_stays)
{
	struct fwg_follow_info info[FWG_FOLLOW_MAX];
	struct fwg_policy cur;

	setup_chain();
	reset();
	cur = p1;
	ASSERT_EQ(0, fwg_follow_add(txbad, lenbad, 5));
	EXPECT_EQ(0, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(1, calls);
	EXPECT_EQ(1ULL, (unsigned long long)cur.epoch);
	EXPECT_EQ(0, memcmp(cur.digest, p1.digest, FWGATE_ID_LEN));
	ASSERT_EQ(1U, fwg_follow_list(info, FWG_FOLLOW_MAX));
	EXPECT_NE(0, info[0].refused);
	EXPECT_NE(NULL, strstr(info[0].why, "threshold")) TH_LOG("why: %s", info[0].why);
	EXPECT_EQ(0, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(1, calls);
	/* The good rotation of epoch 1 still applies after the refused one. */
	ASSERT_EQ(0, fwg_follow_add(tx12, len12, 10));
	EXPECT_EQ(1, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(2ULL, (unsigned long long)cur.epoch);
}

TEST(follow_retries_a_rotation_the_state_store_failed_to_seal)
{
	struct fwg_policy cur;

	setup_chain();
	reset();
	cur = p1;
	ASSERT_EQ(0, fwg_follow_add(tx12, len12, 10));
	fail_next = -EIO;
	EXPECT_EQ(0, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(1ULL, (unsigned long long)cur.epoch);
	EXPECT_EQ(1, fwg_follow_run(&cur, apply, NULL));
	EXPECT_EQ(2ULL, (unsigned long long)cur.epoch);
}

TEST(follow_refuses_other_transactions)
{
	uint8_t junk[64] = { FWG_TX_VERSION, FWG_TX_ROTATE };

	setup_chain();
	reset();
	EXPECT_EQ(-1, fwg_follow_add(junk, sizeof(junk), 1));
	EXPECT_EQ(-1, fwg_follow_add(tx12, len12 - 1, 1));
}

TEST(proto_rotate_message_lengths_are_checked)
{
	static struct fwg_msg_rotate r = { .type = FWG_MSG_ROTATE };

	r.len = 100;
	EXPECT_EQ(FWG_MSG_ROTATE, fwg_msg_check(&r, offsetof(struct fwg_msg_rotate, tx) + 100));
	EXPECT_EQ(-1, fwg_msg_check(&r, offsetof(struct fwg_msg_rotate, tx) + 99));
	EXPECT_EQ(-1, fwg_msg_check(&r, offsetof(struct fwg_msg_rotate, tx) + 101));
	r.len = sizeof(r.tx) + 1;
	EXPECT_EQ(-1, fwg_msg_check(&r, sizeof(r)));
	EXPECT_EQ(-1, fwg_msg_check(&r, 6));
}

/* ------------------------------------------------------------------ a lost policy cache, rebuilt */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A state directory whose worker's store holds @txs (NULL-terminated), one per block from height 1. */
FIXTURE(cache) {
	char dir[64];
	struct fwg_conf c;
	struct fwg_policy file;		/* the enrolment input: p1, with the device's type and id */
};

FIXTURE_SETUP(cache)
{
	setup_chain();
	snprintf(self->dir, sizeof(self->dir), "/tmp/fwgate-rebuild.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	memset(&self->c, 0, sizeof(self->c));
	snprintf(self->c.state_dir, sizeof(self->c.state_dir), "%s", self->dir);
	snprintf(self->c.policy, sizeof(self->c.policy), "%s/policy.conf", self->dir);
	self->file = p1;
	snprintf(self->file.otype, sizeof(self->file.otype), "router");
	memset(self->file.device_id, 0x5a, FWGATE_ID_LEN);
}

FIXTURE_TEARDOWN(cache)
{
	nftw(self->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static int store_with(const char *state_dir, const uint8_t *const *txs, const size_t *lens)
{
	struct fwg_store_head h = {};
	struct fwg_store s;
	char dir[128];
	uint64_t i;

	snprintf(dir, sizeof(dir), "%s/sync", state_dir);
	if (fwg_store_open(&s, dir, NULL, NULL))
		return -1;
	for (i = 0; txs[i]; i++)
		if (fwg_store_append(&s, txs[i], lens[i], i + 1, NULL, 0))
			return -1;
	h.next = i + 1;
	i = fwg_store_commit(&s, &h);
	fwg_store_close(&s);
	return i ? -1 : 0;
}

static int cached(const char *state_dir, const struct fwg_policy *p)
{
	char path[256], hex[2 * FWGATE_ID_LEN + 1];

	fwg_hex(p->digest, FWGATE_ID_LEN, hex);
	snprintf(path, sizeof(path), "%s/" FWG_TRUST_DIR "/%s.policy", state_dir, hex);
	return !access(path, R_OK);
}

static int last_event(const struct fwg_trust_event *ev, void *arg)
{
	*(struct fwg_trust_event *)arg = *ev;
	return 0;
}

TEST_F(cache, rebuilds_the_sealed_policy_from_the_rotations_in_the_store)
{
	const uint8_t *txs[] = { tx12, tx23, NULL };
	const size_t lens[] = { len12, len23 };
	struct fwg_trust_event ev = {};
	uint8_t id[FWGATE_ID_LEN];
	struct fwg_policy out;

	char path[256], hex[2 * FWGATE_ID_LEN + 1];
	struct stat sb;
	FILE *f;

	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	/* What is left under the sealed digest does not hash to it: replaced. */
	snprintf(path, sizeof(path), "%s/" FWG_TRUST_DIR, self->dir);
	ASSERT_EQ(0, mkdir(path, 0700));
	fwg_hex(p3.digest, FWGATE_ID_LEN, hex);
	snprintf(path, sizeof(path), "%s/" FWG_TRUST_DIR "/%s.policy", self->dir, hex);
	ASSERT_NE(NULL, f = fopen(path, "w"));
	fputs("tampered\n", f);
	fclose(f);
	ASSERT_EQ(0, fwg_trust_rebuild(&self->c, &self->file, 3, p3.digest, &out));
	ASSERT_EQ(0, stat(path, &sb));
	EXPECT_LT(100, sb.st_size);
	EXPECT_EQ(3ULL, (unsigned long long)out.epoch);
	EXPECT_EQ(0, memcmp(out.digest, p3.digest, FWGATE_ID_LEN));
	EXPECT_EQ(0, memcmp(out.manufacturer.id, mpub[1].id, FWGATE_ID_LEN));
	/* The device's type and id come from the enrolment input: the encoding leaves them out. */
	EXPECT_STREQ("router", out.otype);
	EXPECT_EQ(0, memcmp(out.device_id, self->file.device_id, FWGATE_ID_LEN));
	/* Kept: the next start finds it in the cache, and the history says how it came. */
	EXPECT_TRUE(cached(self->dir, &p3));
	/* And the enrolment policy it started from, which tells the enrolment input from an edit of it. */
	EXPECT_TRUE(cached(self->dir, &p1));
	ASSERT_EQ(0, fwg_trust_history(self->dir, last_event, &ev));
	EXPECT_STREQ("rebuilt", ev.how);
	EXPECT_EQ(3ULL, (unsigned long long)ev.epoch);
	fwg_tx_id(tx23, len23, id);
	EXPECT_TRUE(ev.has_tx && !memcmp(ev.tx, id, FWGATE_ID_LEN));
}

TEST_F(cache, rebuild_reads_the_store_and_leaves_it_as_the_worker_wrote_it)
{
	const uint8_t *txs[] = { tx12, NULL };
	const size_t lens[] = { len12 };
	struct fwg_policy out;
	struct stat before, after;
	char log[128];
	FILE *f;

	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	/* The worker's append in progress: bytes past its head, which opening the store would cut. */
	snprintf(log, sizeof(log), "%s/sync/tx.log", self->dir);
	ASSERT_NE(NULL, f = fopen(log, "a"));
	fputs("a torn append", f);
	fclose(f);
	ASSERT_EQ(0, stat(log, &before));
	EXPECT_EQ(0, fwg_trust_rebuild(&self->c, &self->file, 2, p2.digest, &out));
	EXPECT_EQ(2ULL, (unsigned long long)out.epoch);
	ASSERT_EQ(0, stat(log, &after));
	EXPECT_EQ(before.st_size, after.st_size);
}

TEST_F(cache, rebuild_starts_from_the_newest_policy_the_cache_still_holds)
{
	const uint8_t *txs[] = { tx23, NULL };
	const size_t lens[] = { len23 };
	struct fwg_policy cached2 = p2, out;

	/* The cache went back to an older copy: epoch 2 is there, the sealed epoch 3 is not. */
	memcpy(cached2.otype, self->file.otype, sizeof(cached2.otype));
	memcpy(cached2.device_id, self->file.device_id, FWGATE_ID_LEN);
	ASSERT_EQ(0, fwg_trust_remember(&self->c, &cached2, "rotated", NULL));
	/* The store lacks the rotation from epoch 1: only the cached epoch 2 leads to the sealed policy. */
	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	ASSERT_EQ(0, fwg_trust_rebuild(&self->c, &self->file, 3, p3.digest, &out));
	EXPECT_EQ(0, memcmp(out.digest, p3.digest, FWGATE_ID_LEN));
	EXPECT_TRUE(cached(self->dir, &p3));
}

TEST_F(cache, rebuild_refuses_a_rotation_without_the_quorum_even_to_the_sealed_digest)
{
	const uint8_t *txs[] = { txbad, NULL };
	const size_t lens[] = { lenbad };
	struct fwg_policy out;

	/* A worker that wrote the store could put anything there: every step is checked, not only the end. */
	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &self->file, 2, pbad.digest, &out));
	EXPECT_FALSE(cached(self->dir, &pbad));
}

TEST_F(cache, rebuild_uses_no_policy_but_the_sealed_one)
{
	const uint8_t *txs[] = { tx12, tx23, NULL };
	const size_t lens[] = { len12, len23 };
	struct fwg_policy out;

	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	/* The rotations lead to p2 at epoch 2, but the kernel sealed another digest there: nothing is used. */
	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &self->file, 2, pbad.digest, &out));
	EXPECT_FALSE(cached(self->dir, &p2));
	/* An epoch the chain has not reached. */
	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &self->file, 4, p3.digest, &out));
	EXPECT_FALSE(cached(self->dir, &p3));
}

TEST_F(cache, rebuild_needs_the_enrolment_policy_or_a_cached_one)
{
	const uint8_t *txs[] = { tx12, tx23, NULL };
	const size_t lens[] = { len12, len23 };
	struct fwg_policy edited = self->file, out;

	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	/* A policy file edited to another threshold is not where the chain of rotations starts. */
	edited.threshold = 3;
	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &edited, 3, p3.digest, &out));
}

TEST_F(cache, rebuild_keeps_no_more_rotations_than_fwgated_follows)
{
	const uint8_t *txs[FWG_FOLLOW_MAX + 3];
	size_t lens[FWG_FOLLOW_MAX + 2];
	struct fwg_policy out;
	int i;

	/* A store the worker filled with rotations (a real chain has one per epoch): refused, not kept. */
	for (i = 0; i < FWG_FOLLOW_MAX + 2; i++) {
		txs[i] = i ? tx23 : tx12;
		lens[i] = i ? len23 : len12;
	}
	txs[i] = NULL;
	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &self->file, 3, p3.digest, &out));
}

TEST_F(cache, rebuild_follows_no_link_and_waits_on_no_fifo_in_the_store)
{
	const uint8_t *txs[] = { tx12, tx23, NULL };
	const size_t lens[] = { len12, len23 };
	char log[128], copy[128];
	struct fwg_policy out;

	ASSERT_EQ(0, store_with(self->dir, txs, lens));
	snprintf(log, sizeof(log), "%s/sync/tx.log", self->dir);
	snprintf(copy, sizeof(copy), "%s/tx.log.real", self->dir);
	ASSERT_EQ(0, rename(log, copy));
	/* The worker may put a link to a file only root may read, or a FIFO to hang the monitor's start. */
	ASSERT_EQ(0, symlink(copy, log));
	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &self->file, 3, p3.digest, &out));
	ASSERT_EQ(0, unlink(log));
	ASSERT_EQ(0, mkfifo(log, 0600));
	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &self->file, 3, p3.digest, &out));
	/* The same bytes in place: rebuilt. */
	ASSERT_EQ(0, unlink(log));
	ASSERT_EQ(0, rename(copy, log));
	EXPECT_EQ(0, fwg_trust_rebuild(&self->c, &self->file, 3, p3.digest, &out));
}

TEST_F(cache, rebuild_without_a_store_fails)
{
	struct fwg_policy out;

	EXPECT_EQ(-1, fwg_trust_rebuild(&self->c, &self->file, 2, p2.digest, &out));
	EXPECT_FALSE(cached(self->dir, &p2));
}

TEST_HARNESS_MAIN
