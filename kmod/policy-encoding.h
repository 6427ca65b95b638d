/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A trust policy's canonical encoding (struct fwgate_policy_hdr of
 * include/uapi/linux/fwgate.h): the strict decoder that policy-rotate runs
 * on the next policy, and the encoder whose SHA-256 is a policy's digest.
 * Plain C with no kernel dependency, so that tests/fuzz/fuzz_policy_encoding.c
 * fuzzes the very code the kernel runs. The includer defines u8, u16, u32,
 * u64, includes <linux/fwgate.h> and <string.h> (or the kernel's), and
 * provides fwgate_enc_sha256(data, len, out).
 *
 * The decoder checks the encoding's structure and its order; the shape of
 * each key (a 3072-bit RSAPublicKey, a P-256 point) is fwgate_key_check()'s.
 */
#ifndef _FWGATE_POLICY_ENCODING_H
#define _FWGATE_POLICY_ENCODING_H

#define FWGATE_POLICY_HDR_LEN	24	/* sizeof(struct fwgate_policy_hdr) */
#define FWGATE_POLICY_KEY_LEN	4	/* sizeof(struct fwgate_policy_key) */

/**
 * struct fwgate_enc_key - one key of a decoded policy
 * @alg: an &enum fwgate_key_alg
 * @len: the length of @data
 * @data: the key's encoding, in the decoded buffer
 * @id: SHA-256 of @data
 */
struct fwgate_enc_key {
	u32 alg;
	u32 len;
	const u8 *data;
	u8 id[FWGATE_ID_LEN];
};

/**
 * struct fwgate_enc_policy - a policy as its encoding holds it
 * @epoch: the policy's epoch
 * @threshold: q
 * @k: the number of checker keys
 * @key: the manufacturer's key, then the k checker keys
 */
struct fwgate_enc_policy {
	u64 epoch;
	u32 threshold;
	u32 k;
	struct fwgate_enc_key key[1 + FWGATE_MAX_CHECKERS];
};

static inline u64 enc_get_be(const u8 *p, unsigned int n)
{
	u64 v = 0;

	while (n--)
		v = (v << 8) | *p++;
	return v;
}

static inline void enc_put_be(u8 *p, u64 v, unsigned int n)
{
	while (n--) {
		p[n] = v & 0xff;
		v >>= 8;
	}
}

/**
 * fwgate_policy_decode() - decode a policy's encoding strictly
 * @buf: the encoding
 * @len: its length
 * @out: the policy; its keys point into @buf
 * @why: set to what is wrong, naming the field, on a refusal
 *
 * Return: 0, or -EINVAL for anything but a canonical encoding: a wrong
 * magic, epoch 0, k of 0 or above %FWGATE_MAX_CHECKERS, q below
 * floor(k/2)+1 or above k, a key header with a nonzero reserved byte, an
 * unknown algorithm or a length of 0 or above %FWGATE_MAX_KEY_LEN, a
 * truncated key, trailing bytes, checker keys not in strictly ascending
 * order of id, or the manufacturer's key among the checkers.
 */
static inline int fwgate_policy_decode(const u8 *buf, size_t len, struct fwgate_enc_policy *out,
				       const char **why)
{
	const u8 *p = buf, *end = buf + len;
	struct fwgate_enc_key *key;
	u32 i;

	if (len < FWGATE_POLICY_HDR_LEN) {
		*why = "policy encoding: shorter than its header";
		return -EINVAL;
	}
	if (memcmp(p, FWGATE_MAGIC_POLICY, FWGATE_MAGIC_LEN)) {
		*why = "policy encoding: magic is not " FWGATE_MAGIC_POLICY;
		return -EINVAL;
	}
	out->epoch = enc_get_be(p + 8, 8);
	out->threshold = enc_get_be(p + 16, 4);
	out->k = enc_get_be(p + 20, 4);
	p += FWGATE_POLICY_HDR_LEN;
	if (!out->epoch) {
		*why = "policy encoding: epoch is 0";
		return -EINVAL;
	}
	if (out->k == 0 || out->k > FWGATE_MAX_CHECKERS) {
		*why = "policy encoding: checkers is not 1 to FWGATE_MAX_CHECKERS";
		return -EINVAL;
	}
	if (out->threshold < out->k / 2 + 1) {
		*why = "policy encoding: threshold below floor(k/2)+1";
		return -EINVAL;
	}
	if (out->threshold > out->k) {
		*why = "policy encoding: threshold above checkers";
		return -EINVAL;
	}
	for (i = 0; i <= out->k; i++) {
		key = &out->key[i];
		if (end - p < FWGATE_POLICY_KEY_LEN) {
			*why = "policy encoding: a key header is truncated";
			return -EINVAL;
		}
		key->alg = p[0];
		key->len = enc_get_be(p + 2, 2);
		if (p[1]) {
			*why = "policy encoding: a key's reserved byte is not zero";
			return -EINVAL;
		}
		if (key->alg != FWGATE_KEY_RSA3072 && key->alg != FWGATE_KEY_P256) {
			*why = "policy encoding: a key's alg is unknown";
			return -EINVAL;
		}
		if (key->len == 0 || key->len > FWGATE_MAX_KEY_LEN) {
			*why = "policy encoding: a key's len is 0 or above FWGATE_MAX_KEY_LEN";
			return -EINVAL;
		}
		p += FWGATE_POLICY_KEY_LEN;
		if ((size_t)(end - p) < key->len) {
			*why = "policy encoding: a key is truncated";
			return -EINVAL;
		}
		key->data = p;
		p += key->len;
		fwgate_enc_sha256(key->data, key->len, key->id);
	}
	if (p != end) {
		*why = "policy encoding: trailing bytes after the last key";
		return -EINVAL;
	}
	for (i = 2; i <= out->k; i++) {
		if (memcmp(out->key[i - 1].id, out->key[i].id, FWGATE_ID_LEN) >= 0) {
			*why = "policy encoding: checker key ids not ascending, or repeated";
			return -EINVAL;
		}
	}
	for (i = 1; i <= out->k; i++) {
		if (!memcmp(out->key[0].id, out->key[i].id, FWGATE_ID_LEN)) {
			*why = "policy encoding: the manufacturer key is also a checker";
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * fwgate_policy_encode() - write a policy's canonical encoding
 * @in: the policy; its checker keys in any order, their ids set
 * @buf: the output, at least %FWGATE_MAX_POLICY_LEN bytes
 *
 * Return: the encoding's length.
 */
static inline size_t fwgate_policy_encode(const struct fwgate_enc_policy *in, u8 *buf)
{
	u8 order[1 + FWGATE_MAX_CHECKERS];
	const struct fwgate_enc_key *key;
	u8 *p = buf;
	u32 i, j;
	u8 t;

	/* Checkers by ascending id: an insertion sort of at most 16 indices. */
	order[0] = 0;
	for (i = 1; i <= in->k; i++) {
		order[i] = i;
		for (j = i; j > 1 && memcmp(in->key[order[j - 1]].id,
					    in->key[order[j]].id, FWGATE_ID_LEN) > 0; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
	memcpy(p, FWGATE_MAGIC_POLICY, FWGATE_MAGIC_LEN);
	enc_put_be(p + 8, in->epoch, 8);
	enc_put_be(p + 16, in->threshold, 4);
	enc_put_be(p + 20, in->k, 4);
	p += FWGATE_POLICY_HDR_LEN;
	for (i = 0; i <= in->k; i++) {
		key = &in->key[order[i]];
		p[0] = key->alg;
		p[1] = 0;
		enc_put_be(p + 2, key->len, 2);
		p += FWGATE_POLICY_KEY_LEN;
		memcpy(p, key->data, key->len);
		p += key->len;
	}
	return p - buf;
}

#endif /* _FWGATE_POLICY_ENCODING_H */
