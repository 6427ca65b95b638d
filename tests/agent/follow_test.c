// SPDX-License-Identifier: GPL-2.0
/*
 * fwgated's following of the chain's policy rotations (agent/follow.c), with real rotation transactions
 * (chain/tx.c's encoder, lib/policy.c's statements and signatures) and, in place of fwgate.ko, lib/policy.c's
 * rotation rule, which the kernel's mirrors; and the monitor's check of the worker's rotation message.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "follow.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "proto.h"

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

TEST_HARNESS_MAIN
