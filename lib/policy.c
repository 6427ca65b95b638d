// SPDX-License-Identifier: GPL-2.0
/* Trust policies: canonical encoding, strict decoding, digest, and the rotation rule (lib/policy.h). */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "policy.h"
#include "wire.h"

static int refuse(struct fwg_policy_err *err, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return ret;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(((const struct fwg_pubkey *)a)->id, ((const struct fwg_pubkey *)b)->id, FWGATE_ID_LEN);
}

/* A key's shape as policy-set checks it: a known algorithm whose encoding the crypto backend decodes. */
static int key_shape_ok(const struct fwg_pubkey *k)
{
	struct fwg_key *key;

	if (k->alg != FWGATE_KEY_P256 && k->alg != FWGATE_KEY_RSA3072)
		return 0;
	if (!k->len || k->len > FWGATE_MAX_KEY_LEN || (k->alg == FWGATE_KEY_P256 && k->len != 65))
		return 0;
	key = fwg_pubkey_decode(k->alg, k->data, k->len);
	fwg_key_free(key);
	return key != NULL;
}

/* The rules shared by encoder and decoder, on a policy whose checkers are sorted and ids computed. */
static int policy_check(const struct fwg_policy *p, uint64_t epoch, struct fwg_policy_err *err)
{
	unsigned int i;

	if (!epoch)
		return refuse(err, -EINVAL, "policy.epoch: 0; the first policy's epoch is 1");
	if (!p->k || p->k > FWGATE_MAX_CHECKERS)
		return refuse(err, -EINVAL, "policy.checkers: k = %u, not 1 to %d", p->k, FWGATE_MAX_CHECKERS);
	if (p->threshold < p->k / 2 + 1 || p->threshold > p->k)
		return refuse(err, -EINVAL, "policy.threshold: %u, not between floor(k/2)+1 = %u and k = %u",
			      p->threshold, p->k / 2 + 1, p->k);
	if (!key_shape_ok(&p->manufacturer))
		return refuse(err, -EINVAL, "policy.manufacturer: not a P-256 point on the curve or an RSA-3072 "
			      "DER key");
	for (i = 0; i < p->k; i++) {
		if (!key_shape_ok(&p->checkers[i]))
			return refuse(err, -EINVAL, "policy.checkers[%u]: not a P-256 point on the curve or an "
				      "RSA-3072 DER key", i);
		if (i && id_cmp(&p->checkers[i - 1], &p->checkers[i]) >= 0)
			return refuse(err, -EINVAL, "policy.checkers[%u]: key id not above the previous one's "
				      "(ascending order, each key once)", i);
		if (!memcmp(p->checkers[i].id, p->manufacturer.id, FWGATE_ID_LEN))
			return refuse(err, -EINVAL, "policy.checkers[%u]: the manufacturer can not be its own "
				      "checker", i);
	}
	return 0;
}

static void put_key(struct fwg_wr *w, const struct fwg_pubkey *k)
{
	struct fwgate_policy_key pk = { .alg = k->alg, .len = htobe16(k->len) };

	fwg_put(w, &pk, sizeof(pk));
	fwg_put(w, k->data, k->len);
}

size_t fwg_policy_encode(const struct fwg_policy *p, uint64_t epoch, uint8_t *buf, size_t len,
			 struct fwg_policy_err *err)
{
	struct fwgate_policy_hdr h = {};
	struct fwg_policy *s;
	struct fwg_wr w = { buf, len, 0 };
	unsigned int i;

	s = malloc(sizeof(*s));
	if (!s) {
		refuse(err, -ENOMEM, "policy: out of memory");
		return 0;
	}
	*s = *p;
	if (s->k <= FWGATE_MAX_CHECKERS) {
		fwg_sha256(s->manufacturer.data, s->manufacturer.len <= FWGATE_MAX_KEY_LEN ? s->manufacturer.len : 0,
			   s->manufacturer.id);
		for (i = 0; i < s->k; i++)
			fwg_sha256(s->checkers[i].data,
				   s->checkers[i].len <= FWGATE_MAX_KEY_LEN ? s->checkers[i].len : 0,
				   s->checkers[i].id);
		qsort(s->checkers, s->k, sizeof(s->checkers[0]), id_cmp);
	}
	if (policy_check(s, epoch, err)) {
		free(s);
		return 0;
	}
	memcpy(h.magic, FWGATE_MAGIC_POLICY, FWGATE_MAGIC_LEN);
	h.epoch = htobe64(epoch);
	h.threshold = htobe32(s->threshold);
	h.checkers = htobe32(s->k);
	fwg_put(&w, &h, sizeof(h));
	put_key(&w, &s->manufacturer);
	for (i = 0; i < s->k; i++)
		put_key(&w, &s->checkers[i]);
	free(s);
	if (w.off > len) {
		refuse(err, -ENOSPC, "policy: %zu bytes, more than the %zu-byte buffer", w.off, len);
		return 0;
	}
	return w.off;
}

static int get_key(const uint8_t *buf, size_t len, size_t *off, struct fwg_pubkey *k, const char *field,
		   struct fwg_policy_err *err)
{
	struct fwgate_policy_key pk;

	if (len - *off < sizeof(pk))
		return refuse(err, -EINVAL, "%s: truncated", field);
	memcpy(&pk, buf + *off, sizeof(pk));
	*off += sizeof(pk);
	if (pk.reserved)
		return refuse(err, -EINVAL, "%s.reserved: %u, not zero", field, pk.reserved);
	k->alg = pk.alg;
	k->len = be16toh(pk.len);
	if (!k->len || k->len > FWGATE_MAX_KEY_LEN || k->len > len - *off)
		return refuse(err, -EINVAL, "%s.len: %u, zero, above %d or beyond the encoding", field, k->len,
			      FWGATE_MAX_KEY_LEN);
	memcpy(k->data, buf + *off, k->len);
	*off += k->len;
	fwg_sha256(k->data, k->len, k->id);
	return 0;
}

int fwg_policy_decode(const uint8_t *buf, size_t len, struct fwg_policy *p, uint64_t *epoch,
		      struct fwg_policy_err *err)
{
	struct fwgate_policy_hdr h;
	char field[32];
	size_t off = sizeof(h);
	uint32_t k;
	unsigned int i;
	int ret;

	memset(p, 0, sizeof(*p));
	if (len < sizeof(h))
		return refuse(err, -EINVAL, "policy: %zu bytes, shorter than its %zu-byte header", len, sizeof(h));
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, FWGATE_MAGIC_POLICY, FWGATE_MAGIC_LEN))
		return refuse(err, -EINVAL, "policy.magic: not %s", FWGATE_MAGIC_POLICY);
	*epoch = be64toh(h.epoch);
	k = be32toh(h.checkers);
	if (!k || k > FWGATE_MAX_CHECKERS)
		return refuse(err, -EINVAL, "policy.checkers: k = %u, not 1 to %d", k, FWGATE_MAX_CHECKERS);
	p->k = k;
	p->threshold = be32toh(h.threshold);
	ret = get_key(buf, len, &off, &p->manufacturer, "policy.manufacturer", err);
	for (i = 0; !ret && i < k; i++) {
		snprintf(field, sizeof(field), "policy.checkers[%u]", i);
		ret = get_key(buf, len, &off, &p->checkers[i], field, err);
	}
	if (ret)
		return ret;
	if (off != len)
		return refuse(err, -EINVAL, "policy: %zu trailing bytes", len - off);
	return policy_check(p, *epoch, err);
}

int fwg_policy_digest(const struct fwg_policy *p, uint64_t epoch, uint8_t out[FWGATE_ID_LEN],
		      struct fwg_policy_err *err)
{
	uint8_t *buf = malloc(FWG_POLICY_ENC_MAX);
	size_t n;

	if (!buf)
		return refuse(err, -ENOMEM, "policy: out of memory");
	n = fwg_policy_encode(p, epoch, buf, FWG_POLICY_ENC_MAX, err);
	if (n)
		fwg_sha256(buf, n, out);
	free(buf);
	return n ? 0 : -EINVAL;
}

static const struct fwg_pubkey *policy_key(const struct fwg_policy *p, const uint8_t id[FWGATE_ID_LEN])
{
	unsigned int i;

	if (!memcmp(p->manufacturer.id, id, FWGATE_ID_LEN))
		return &p->manufacturer;
	for (i = 0; i < p->k && i < FWGATE_MAX_CHECKERS; i++)
		if (!memcmp(p->checkers[i].id, id, FWGATE_ID_LEN))
			return &p->checkers[i];
	return NULL;
}

static int signed_by(const struct fwg_sigset *sigs, const uint8_t id[FWGATE_ID_LEN])
{
	unsigned int i;

	for (i = 0; i < sigs->count; i++)
		if (!memcmp(sigs->sig[i].key_id, id, FWGATE_ID_LEN))
			return 1;
	return 0;
}

int fwg_policy_has_key(const struct fwg_policy *p, const uint8_t id[FWGATE_ID_LEN])
{
	return policy_key(p, id) != NULL;
}

int fwg_rotation_stmt(const struct fwg_policy *cur, uint64_t cur_epoch, const uint8_t *next_enc, size_t next_len,
		      uint64_t issued, struct fwgate_rotate_stmt *stmt, struct fwg_policy_err *err)
{
	struct fwg_policy *next = malloc(sizeof(*next));
	uint64_t next_epoch;
	int ret;

	if (!next)
		return refuse(err, -ENOMEM, "policy: out of memory");
	memset(stmt, 0, sizeof(*stmt));
	ret = fwg_policy_decode(next_enc, next_len, next, &next_epoch, err);
	free(next);
	if (!ret && next_epoch != cur_epoch + 1)
		ret = refuse(err, -EINVAL, "policy.epoch: %llu, the policy in force is at %llu and the next one "
			     "must be at %llu", (unsigned long long)next_epoch, (unsigned long long)cur_epoch,
			     (unsigned long long)cur_epoch + 1);
	if (!ret)
		ret = fwg_policy_digest(cur, cur_epoch, stmt->prev, err);
	if (ret)
		return ret;
	memcpy(stmt->magic, FWGATE_MAGIC_ROTATE, FWGATE_MAGIC_LEN);
	stmt->prev_epoch = htobe64(cur_epoch);
	fwg_sha256(next_enc, next_len, stmt->next);
	stmt->next_epoch = htobe64(next_epoch);
	stmt->issued = htobe64(issued);
	return 0;
}

int fwg_rotation_check(const struct fwg_policy *cur, uint64_t cur_epoch, const struct fwgate_rotate_stmt *stmt,
		       const uint8_t *next_enc, size_t next_len, const struct fwg_sigset *sigs,
		       struct fwg_policy *next, struct fwg_policy_err *err)
{
	uint8_t d[FWGATE_ID_LEN];
	const struct fwg_pubkey *k;
	uint64_t next_epoch;
	unsigned int i, approvals = 0;
	char hex[17];
	int ret;

	if (memcmp(stmt->magic, FWGATE_MAGIC_ROTATE, FWGATE_MAGIC_LEN))
		return refuse(err, -EINVAL, "rotate.magic: not %s", FWGATE_MAGIC_ROTATE);
	ret = fwg_policy_digest(cur, cur_epoch, d, err);
	if (ret)
		return ret;
	if (memcmp(stmt->prev, d, FWGATE_ID_LEN)) {
		fwg_hex(d, 8, hex);
		return refuse(err, -EINVAL, "rotate.prev: not the digest of the policy in force (%s..., epoch %llu)",
			      hex, (unsigned long long)cur_epoch);
	}
	if (be64toh(stmt->prev_epoch) != cur_epoch)
		return refuse(err, -EINVAL, "rotate.prev_epoch: %llu, the policy in force is at epoch %llu",
			      (unsigned long long)be64toh(stmt->prev_epoch), (unsigned long long)cur_epoch);
	if (be64toh(stmt->next_epoch) != cur_epoch + 1)
		return refuse(err, -EINVAL, "rotate.next_epoch: %llu, not prev_epoch + 1 = %llu (no rollback, no "
			      "skipped epoch)", (unsigned long long)be64toh(stmt->next_epoch),
			      (unsigned long long)cur_epoch + 1);
	ret = fwg_policy_decode(next_enc, next_len, next, &next_epoch, err);
	if (ret)
		return ret;
	if (next_epoch != cur_epoch + 1)
		return refuse(err, -EINVAL, "policy.epoch: %llu, but the rotation's next_epoch is %llu",
			      (unsigned long long)next_epoch, (unsigned long long)cur_epoch + 1);
	fwg_sha256(next_enc, next_len, d);
	if (memcmp(stmt->next, d, FWGATE_ID_LEN))
		return refuse(err, -EINVAL, "rotate.next: not the SHA-256 of the next policy's encoding");
	if (!sigs->count || sigs->count > FWG_SIGSET_MAX)
		return refuse(err, -EINVAL, "rotate.sigs.count: %u, not 1 to %d", sigs->count, FWG_SIGSET_MAX);
	for (i = 0; i < sigs->count; i++) {
		const struct fwg_sig *s = &sigs->sig[i];

		/* Each key counts once: the set's own order says so. */
		if (i && memcmp(sigs->sig[i - 1].key_id, s->key_id, FWGATE_ID_LEN) >= 0)
			return refuse(err, -EINVAL, "rotate.sigs[%u].key_id: not above the previous entry's", i);
		k = policy_key(cur, s->key_id);
		if (!k)
			k = policy_key(next, s->key_id);
		if (!k)
			return refuse(err, -EKEYREJECTED, "rotate.sigs[%u].key_id: not a key of the policy in force "
				      "or of the next one", i);
		if (fwg_verify(k, stmt, sizeof(*stmt), s->sig, s->len))
			return refuse(err, -EKEYREJECTED, "rotate.sigs[%u].sig: does not verify with its key", i);
		if (k != &cur->manufacturer && policy_key(cur, s->key_id))
			approvals++;
	}
	if (!signed_by(sigs, cur->manufacturer.id))
		return refuse(err, -EPERM, "rotate.sigs: no signature by the manufacturer key of the policy in force");
	if (approvals < cur->threshold)
		return refuse(err, -EPERM, "rotate.sigs: %u of the policy in force's checkers signed, its threshold "
			      "is %u", approvals, cur->threshold);
	if (!policy_key(cur, next->manufacturer.id) && !signed_by(sigs, next->manufacturer.id))
		return refuse(err, -EPERM, "rotate.sigs: the next policy's new manufacturer key did not sign (nobody "
			      "rotates to a key they do not hold)");
	for (i = 0; i < next->k; i++)
		if (!policy_key(cur, next->checkers[i].id) && !signed_by(sigs, next->checkers[i].id))
			return refuse(err, -EPERM, "rotate.sigs: the next policy's new checkers[%u] did not sign "
				      "(nobody rotates to a key they do not hold)", i);
	return 0;
}
