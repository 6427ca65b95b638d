// SPDX-License-Identifier: GPL-2.0
/*
 * policy-rotate: the one way the trust policy changes once locked. A
 * rotation statement names the policy in force and the next one by their
 * digests and epochs; it takes effect when the manufacturer key in force, at
 * least the threshold of the checkers in force and every key the next policy
 * adds have signed it. The next policy is sealed in the state store before
 * it is put in force, so a failed write, or a power cut, leaves one of the
 * two sealed and in force, never neither.
 */
#include <linux/kernel.h>
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/sha2.h>
#include <net/genetlink.h>

#include "fwgate.h"
#include "netlink-gen.h"
#include "compat.h"

#define fwgate_enc_sha256(data, len, out)	sha256(data, len, out)
#include "policy-encoding.h"

/* Every key of both policies, once each. */
#define MAX_SIGNERS	(2 * (1 + FWGATE_MAX_CHECKERS))

struct signer {
	const u8 *id;
	const u8 *sig;
	u32 sig_len;
	const struct nlattr *attr;
};

struct rotation {
	struct fwgate_rotate_stmt stmt;
	struct fwgate_enc_policy enc;
	struct signer signer[MAX_SIGNERS];
	unsigned int n;
};

/* A refusal whose message is made by the decoder, pointing at @attr. */
static void refuse_at(struct fwgate_request *req, const struct nlattr *attr, const char *why)
{
	NL_SET_BAD_ATTR(req->extack, attr);
	fwgate_refuse_str(req, why);
}

static int signers_from_nl(struct genl_info *info, struct rotation *r,
			   struct fwgate_request *req)
{
	struct nlattr *tb[FWGATE_A_SIGNER_MAX + 1];
	struct nlattr *pos;
	unsigned int i;
	int rem, err;

	nlmsg_for_each_attr(pos, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(pos) != FWGATE_A_SIGNER)
			continue;
		if (r->n == MAX_SIGNERS) {
			fwgate_refuse(req, pos, "more than 2 * (1 + FWGATE_MAX_CHECKERS) signers");
			return -EINVAL;
		}
		err = nla_parse_nested(tb, FWGATE_A_SIGNER_MAX, pos, fwgate_signer_nl_policy,
				       req->extack);
		if (err)
			return err;
		if (fwgate_require(req, pos, tb, FWGATE_A_SIGNER_KEY_ID, "signer without key-id") ||
		    fwgate_require(req, pos, tb, FWGATE_A_SIGNER_SIGNATURE,
				   "signer without signature"))
			return -EINVAL;
		if (nla_len(tb[FWGATE_A_SIGNER_SIGNATURE]) > FWGATE_MAX_SIG_LEN) {
			fwgate_refuse(req, tb[FWGATE_A_SIGNER_SIGNATURE],
				      "signer signature longer than FWGATE_MAX_SIG_LEN");
			return -EINVAL;
		}
		r->signer[r->n] = (struct signer) {
			.id = nla_data(tb[FWGATE_A_SIGNER_KEY_ID]),
			.sig = nla_data(tb[FWGATE_A_SIGNER_SIGNATURE]),
			.sig_len = nla_len(tb[FWGATE_A_SIGNER_SIGNATURE]),
			.attr = pos,
		};
		for (i = 0; i < r->n; i++) {
			if (!memcmp(r->signer[i].id, r->signer[r->n].id, FWGATE_ID_LEN)) {
				fwgate_refuse(req, pos, "a key signs twice");
				return -EINVAL;
			}
		}
		r->n++;
	}
	return 0;
}

static void key_from_enc(struct fwgate_key *k, const struct fwgate_enc_key *e)
{
	k->alg = e->alg;
	k->len = e->len;
	memcpy(k->data, e->data, e->len);
	memcpy(k->id, e->id, FWGATE_ID_LEN);
}

/* The next policy: the encoding's keys and threshold, this device's type and id. */
static int next_from_encoding(struct rotation *r, const struct fwgate_policy *cur,
			      const struct nlattr *attr, struct fwgate_policy *next,
			      struct fwgate_request *req)
{
	const char *why;
	u32 i;
	int err;

	err = fwgate_policy_decode(nla_data(attr), nla_len(attr), &r->enc, &why);
	if (err) {
		refuse_at(req, attr, why);
		return err;
	}
	memcpy(next->otype, cur->otype, sizeof(next->otype));
	memcpy(next->device_id, cur->device_id, sizeof(next->device_id));
	next->epoch = r->enc.epoch;
	next->threshold = r->enc.threshold;
	next->k = r->enc.k;
	key_from_enc(&next->manufacturer, &r->enc.key[0]);
	for (i = 0; i < next->k; i++)
		key_from_enc(&next->checkers[i], &r->enc.key[i + 1]);
	/* The key shapes policy-set checks, and this kernel's algorithms. */
	err = fwgate_key_check(&next->manufacturer, attr, req);
	for (i = 0; !err && i < next->k; i++)
		err = fwgate_key_check(&next->checkers[i], attr, req);
	if (err)
		return err;
	sha256(nla_data(attr), nla_len(attr), next->digest);
	return 0;
}

static const struct fwgate_key *policy_key(const struct fwgate_policy *p, const u8 *id)
{
	int idx;

	if (!memcmp(p->manufacturer.id, id, FWGATE_ID_LEN))
		return &p->manufacturer;
	idx = fwgate_checker_index(p, id);
	return idx < 0 ? NULL : &p->checkers[idx];
}

static bool signed_by(const struct rotation *r, const u8 *id)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (!memcmp(r->signer[i].id, id, FWGATE_ID_LEN))
			return true;
	return false;
}

/* Each signature must verify; then the signers must be the ones the rules ask for. */
static int signatures_check(const struct rotation *r, const struct fwgate_policy *cur,
			    const struct fwgate_policy *next, struct fwgate_request *req)
{
	const struct fwgate_key *key;
	const struct signer *s;
	u32 checkers = 0;
	unsigned int i;
	int idx, err;

	for (i = 0; i < r->n; i++) {
		s = &r->signer[i];
		key = policy_key(cur, s->id) ?: policy_key(next, s->id);
		if (!key) {
			fwgate_refuse(req, s->attr,
				      "signer's key is in neither the policy in force nor the next");
			return -EINVAL;
		}
		err = fwgate_sig_verify(key, &r->stmt, sizeof(r->stmt), s->sig, s->sig_len);
		if (err == -EINVAL) {
			fwgate_refuse(req, s->attr,
				      "signature length does not fit the signer's key");
			return err;
		}
		if (err) {
			fwgate_refuse(req, s->attr, "a signer's signature does not verify");
			return -EKEYREJECTED;
		}
		idx = fwgate_checker_index(cur, s->id);
		if (idx >= 0)
			checkers |= BIT(idx);
	}
	if (!signed_by(r, cur->manufacturer.id)) {
		fwgate_refuse(req, NULL, "rotation not signed by the manufacturer key in force");
		return -EKEYREJECTED;
	}
	if (hweight32(checkers) < cur->threshold) {
		fwgate_refuse(req, NULL,
			      "rotation signed by fewer than the threshold of checkers in force");
		return -EKEYREJECTED;
	}
	if (!policy_key(cur, next->manufacturer.id) && !signed_by(r, next->manufacturer.id)) {
		fwgate_refuse(req, NULL, "rotation not signed by the next manufacturer key");
		return -EKEYREJECTED;
	}
	for (i = 0; i < next->k; i++) {
		if (!policy_key(cur, next->checkers[i].id) &&
		    !signed_by(r, next->checkers[i].id)) {
			fwgate_refuse(req, NULL,
				      "rotation not signed by a checker key the next policy adds");
			return -EKEYREJECTED;
		}
	}
	return 0;
}

/* The statement against the policy in force, before anything is decoded. */
static int stmt_check(const struct fwgate_rotate_stmt *s, const struct fwgate_policy *cur,
		      const struct nlattr *attr, struct fwgate_request *req)
{
	u64 prev_epoch = be64_to_cpu(s->prev_epoch);
	u64 next_epoch = be64_to_cpu(s->next_epoch);

	if (memcmp(s->magic, FWGATE_MAGIC_ROTATE, FWGATE_MAGIC_LEN)) {
		fwgate_refuse(req, attr, "rotation magic is not " FWGATE_MAGIC_ROTATE);
		return -EINVAL;
	}
	if (next_epoch <= cur->epoch) {
		fwgate_refuse(req, attr, "rotation next_epoch is not above the epoch in force");
		return -ESTALE;
	}
	if (prev_epoch != cur->epoch) {
		fwgate_refuse(req, attr, "rotation prev_epoch is not the epoch in force");
		return -EINVAL;
	}
	if (memcmp(s->prev, cur->digest, FWGATE_ID_LEN)) {
		fwgate_refuse(req, attr, "rotation prev is not the digest of the policy in force");
		return -EINVAL;
	}
	if (next_epoch != prev_epoch + 1) {
		fwgate_refuse(req, attr, "rotation next_epoch is not prev_epoch + 1");
		return -EINVAL;
	}
	return 0;
}

static int rotation_apply(struct genl_info *info, struct rotation *r, struct fwgate_policy *next,
			  struct fwgate_request *req)
{
	const struct nlattr *stmt_attr, *enc_attr;
	struct fwgate_policy *cur;
	int err;

	if (fwgate_require(req, NULL, info->attrs, FWGATE_A_ROTATE_STATEMENT,
			   "rotation without rotate-statement") ||
	    fwgate_require(req, NULL, info->attrs, FWGATE_A_POLICY_ENCODING,
			   "rotation without policy-encoding") ||
	    fwgate_require(req, NULL, info->attrs, FWGATE_A_SIGNER, "rotation without a signer"))
		return -EINVAL;
	stmt_attr = info->attrs[FWGATE_A_ROTATE_STATEMENT];
	enc_attr = info->attrs[FWGATE_A_POLICY_ENCODING];
	if (nla_len(enc_attr) > FWGATE_MAX_POLICY_LEN) {
		fwgate_refuse(req, enc_attr, "policy-encoding longer than FWGATE_MAX_POLICY_LEN");
		return -EINVAL;
	}
	memcpy(&r->stmt, nla_data(stmt_attr), sizeof(r->stmt));
	err = signers_from_nl(info, r, req);
	if (err)
		return err;

	mutex_lock(&fwgate_mutex);
	cur = fwgate_policy;
	if (!cur) {
		fwgate_refuse(req, NULL, "no trust policy is set");
		err = -ENOKEY;
		goto out;
	}
	if (!fwgate_state_attached()) {
		fwgate_refuse(req, NULL,
			      "no rollback state store declared to seal the next policy");
		err = -ENODEV;
		goto out;
	}
	/* Before the lock the policy in force may be anyone's: rotate only from the sealed one. */
	err = fwgate_anchor_check(cur, req) ?:
	      stmt_check(&r->stmt, cur, stmt_attr, req) ?:
	      next_from_encoding(r, cur, enc_attr, next, req);
	if (err)
		goto out;
	if (next->epoch != be64_to_cpu(r->stmt.next_epoch)) {
		fwgate_refuse(req, enc_attr,
			      "policy-encoding epoch is not the rotation's next_epoch");
		err = -EINVAL;
		goto out;
	}
	if (memcmp(r->stmt.next, next->digest, FWGATE_ID_LEN)) {
		fwgate_refuse(req, stmt_attr,
			      "rotation next is not the SHA-256 of policy-encoding");
		err = -EBADMSG;
		goto out;
	}
	err = signatures_check(r, cur, next, req);
	if (err)
		goto out;
	err = fwgate_state_seal(next->epoch, next->digest);
	if (err) {
		fwgate_refuse(req, NULL,
			      "sealing the next policy failed: the policy in force stays");
		err = err == -ENOMEM ? err : -EIO;
		goto out;
	}
	fwgate_policy = next;
	fwgate_updates_rejudge(cur, next);
	pr_info("policy rotated to epoch %llu: k=%u, q=%u\n", next->epoch, next->k,
		next->threshold);
	mutex_unlock(&fwgate_mutex);
	kfree_sensitive(cur);
	return 0;

out:
	mutex_unlock(&fwgate_mutex);
	return err;
}

int fwgate_nl_policy_rotate_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fwgate_request req = { .extack = info->extack, .attrs = info->attrs };
	struct fwgate_policy *next;
	struct rotation *r;
	const char *why;
	int err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	next = kzalloc(sizeof(*next), GFP_KERNEL);
	err = r && next ? rotation_apply(info, r, next, &req) : -ENOMEM;
	kfree(r);
	if (!err)
		return 0;
	kfree_sensitive(next);
	why = req.msg ?: "policy rotation refused";
	fwgate_set_error(err, why);
	return err;
}
