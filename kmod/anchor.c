// SPDX-License-Identifier: GPL-2.0
/*
 * The trust anchor: the policy's digest, the SHA-256 of its canonical
 * encoding, sealed with its epoch in the rollback state store at the first
 * lock. From then on a policy that is not the sealed one is refused, at the
 * lock and at policy-set, and only policy-rotate (rotate.c) moves the seal.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/sha2.h>

#include "fwgate.h"

#define fwgate_enc_sha256(data, len, out)	sha256(data, len, out)
#include "policy-encoding.h"

/* The key as the encoder sees it. */
static void enc_key(struct fwgate_enc_key *e, const struct fwgate_key *k)
{
	e->alg = k->alg;
	e->len = k->len;
	e->data = k->data;
	memcpy(e->id, k->id, FWGATE_ID_LEN);
}

int fwgate_policy_digest(struct fwgate_policy *p)
{
	struct fwgate_enc_policy *e;
	size_t len;
	u8 *buf;
	u32 i;

	e = kmalloc(sizeof(*e), GFP_KERNEL);
	buf = kmalloc(FWGATE_MAX_POLICY_LEN, GFP_KERNEL);
	if (!e || !buf) {
		kfree(e);
		kfree(buf);
		return -ENOMEM;
	}
	e->epoch = p->epoch;
	e->threshold = p->threshold;
	e->k = p->k;
	enc_key(&e->key[0], &p->manufacturer);
	for (i = 0; i < p->k; i++)
		enc_key(&e->key[i + 1], &p->checkers[i]);
	len = fwgate_policy_encode(e, buf);
	sha256(buf, len, p->digest);
	kfree(buf);
	kfree(e);
	return 0;
}

/*
 * The refusal names the sealed anchor; its message outlives the request on
 * kernels whose extack only points at a string, and its last byte stays NUL
 * so that a concurrent refusal garbles at most the text.
 */
static char anchor_msg[97];

static int anchor_refuse(struct fwgate_request *req, u64 epoch, const u8 *digest)
{
	snprintf(anchor_msg, sizeof(anchor_msg) - 1,
		 "not the sealed policy: epoch %llu, digest %*phN...", epoch, 8, digest);
	fwgate_refuse_str(req, anchor_msg);
	fwgate_set_error(-EPERM, anchor_msg);
	return -EPERM;
}

int fwgate_anchor_check(const struct fwgate_policy *p, struct fwgate_request *req)
{
	u8 digest[FWGATE_ID_LEN];
	u64 epoch;

	lockdep_assert_held(&fwgate_mutex);
	if (!fwgate_state_sealed(&epoch, digest))
		return 0;
	if (epoch == p->epoch && !memcmp(digest, p->digest, FWGATE_ID_LEN))
		return 0;
	return anchor_refuse(req, epoch, digest);
}

int fwgate_anchor_lock(const struct fwgate_policy *p, struct fwgate_request *req)
{
	u8 digest[FWGATE_ID_LEN];
	u64 epoch;
	int err;

	lockdep_assert_held(&fwgate_mutex);
	if (fwgate_state_sealed(&epoch, digest))
		return fwgate_anchor_check(p, req);
	err = fwgate_state_seal(p->epoch, p->digest);
	if (err) {
		fwgate_refuse(req, NULL, "lock: sealing the policy into the state store failed");
		return err == -ENOMEM ? err : -EIO;
	}
	return 0;
}
