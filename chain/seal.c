// SPDX-License-Identifier: GPL-2.0
/*
 * Sealed images. Layout:
 *
 *   magic "FWGSEAL1" | ephemeral P-256 point (65) | payload nonce (12) | be16 n
 *   n times: recipient key id (32) | wrapped content key (32) | its GCM tag (16)
 *   payload: AES-256-GCM ciphertext of the image | tag (16)
 *
 * A recipient's key-encryption key and nonce are HKDF-SHA256(ECDH(ephemeral, recipient), salt = ephemeral
 * point, info = "fwgate seal v1" || recipient key id), 44 bytes. The header (magic, point, nonce, n) is the
 * additional data of every GCM operation, so no part of it can be swapped.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "keys.h"
#include "seal.h"

#define INFO "fwgate seal v1"

static int gcm(int enc, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
	       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, aad_len) == 1;
	/* EVP lengths are ints: go in chunks. */
	while (ok && len) {
		size_t chunk = len > (1u << 30) ? 1u << 30 : len;

		ok = EVP_CipherUpdate(c, out, &n, in, chunk) == 1;
		in += chunk;
		out += chunk;
		len -= chunk;
	}
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* The 32-byte key-encryption key and 12-byte nonce for one recipient. */
static int kek(EVP_PKEY *priv, EVP_PKEY *peer, const uint8_t *eph, const uint8_t *id, uint8_t out[44])
{
	EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(priv, NULL);
	uint8_t secret[32], info[sizeof(INFO) - 1 + 32];
	size_t slen = sizeof(secret);
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kc = NULL;
	OSSL_PARAM params[5];
	int ok;

	ok = dc && EVP_PKEY_derive_init(dc) == 1 && EVP_PKEY_derive_set_peer(dc, peer) == 1 &&
	     EVP_PKEY_derive(dc, secret, &slen) == 1;
	EVP_PKEY_CTX_free(dc);
	memcpy(info, INFO, sizeof(INFO) - 1);
	memcpy(info + sizeof(INFO) - 1, id, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)eph, 65);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
	params[4] = OSSL_PARAM_construct_end();
	ok = ok && (kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) && (kc = EVP_KDF_CTX_new(kdf)) &&
	     EVP_KDF_derive(kc, out, 44, params) == 1;
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	OPENSSL_cleanse(secret, sizeof(secret));
	ERR_clear_error();
	return ok ? 0 : -1;
}

uint8_t *fwg_seal(const uint8_t *data, size_t len, EVP_PKEY *const *recipients, size_t n, size_t *out_len)
{
	size_t hdr = FWG_SEAL_HDR + n * FWG_SEAL_PER_RECIPIENT, i;
	uint8_t cek[32], k[44], *out, *p;
	struct fwg_pubkey eph_pub, rpub;
	EVP_PKEY *eph;
	int ok = 1;

	if (!n || n > FWG_SEAL_MAX_RECIPIENTS)
		return NULL;
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	out = malloc(hdr + len + 16);
	if (!eph || !out || fwg_key_encode(eph, &eph_pub) || RAND_bytes(cek, sizeof(cek)) != 1) {
		EVP_PKEY_free(eph);
		free(out);
		return NULL;
	}
	memcpy(out, FWG_SEAL_MAGIC, 8);
	memcpy(out + 8, eph_pub.data, 65);
	RAND_bytes(out + 73, 12);
	out[85] = n >> 8;
	out[86] = n;
	for (i = 0, p = out + FWG_SEAL_HDR; ok && i < n; i++, p += FWG_SEAL_PER_RECIPIENT) {
		ok = !fwg_key_encode(recipients[i], &rpub) && rpub.alg == FWGATE_KEY_P256 &&
		     !kek(eph, recipients[i], eph_pub.data, rpub.id, k) &&
		     !gcm(1, k, k + 32, out, FWG_SEAL_HDR, cek, 32, p + 32, p + 64);
		memcpy(p, rpub.id, 32);
	}
	ok = ok && !gcm(1, cek, out + 73, out, FWG_SEAL_HDR, data, len, out + hdr, out + hdr + len);
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_cleanse(k, sizeof(k));
	EVP_PKEY_free(eph);
	if (!ok) {
		free(out);
		return NULL;
	}
	*out_len = hdr + len + 16;
	return out;
}

enum unseal_state {
	UNSEAL_HEADER,
	UNSEAL_TABLE,
	UNSEAL_PAYLOAD,
	UNSEAL_DONE,
};

struct fwg_unseal_stream {
	fwg_unwrap_fn unwrap;		/* opens our entry of the recipient table */
	void *arg;
	uint8_t me[32];			/* the key's id */
	enum unseal_state state;
	int err;			/* sticky */
	uint8_t hdr[FWG_SEAL_HDR];
	uint8_t entry[FWG_SEAL_PER_RECIPIENT];
	size_t have;			/* bytes of hdr or entry gathered */
	unsigned int nr, seen;		/* recipients in the table, entries read */
	int found;
	/* The last 16 bytes seen may be the tag, so they are held back until more arrive or the end. */
	uint8_t tail[16];
	size_t tail_len;
	EVP_CIPHER_CTX *ctx;
	uint8_t out[16384];
};

static int key_unwrap(const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32], void *arg)
{
	return fwg_seal_unwrap(arg, hdr, entry, cek);
}

struct fwg_unseal_stream *fwg_unseal_stream_new_unwrap(const uint8_t me[32], fwg_unwrap_fn fn, void *arg)
{
	struct fwg_unseal_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = EVP_CIPHER_CTX_new();
	if (!s->ctx) {
		free(s);
		return NULL;
	}
	s->unwrap = fn;
	s->arg = arg;
	memcpy(s->me, me, 32);
	return s;
}

struct fwg_unseal_stream *fwg_unseal_stream_new(EVP_PKEY *key)
{
	struct fwg_pubkey me;

	if (!key || fwg_key_encode(key, &me))
		return NULL;
	return fwg_unseal_stream_new_unwrap(me.id, key_unwrap, key);
}

void fwg_unseal_stream_free(struct fwg_unseal_stream *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

uint64_t fwg_unseal_stream_overhead(const struct fwg_unseal_stream *s)
{
	if (s->state == UNSEAL_HEADER)
		return 0;
	return FWG_SEAL_HDR + (uint64_t)s->nr * FWG_SEAL_PER_RECIPIENT + 16;
}

static EVP_PKEY *ephemeral(const uint8_t *point)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, 65),
		OSSL_PARAM_END
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *eph = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &eph, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	return eph;
}

int fwg_seal_unwrap(EVP_PKEY *key, const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32])
{
	EVP_PKEY *eph = ephemeral(hdr + 8);
	uint8_t k[44], tag[16];
	int ok;

	memcpy(tag, entry + 64, sizeof(tag));
	ok = eph && !kek(key, eph, hdr + 8, entry, k) &&
	     !gcm(0, k, k + 32, hdr, FWG_SEAL_HDR, entry + 32, 32, cek, tag);
	OPENSSL_cleanse(k, sizeof(k));
	EVP_PKEY_free(eph);
	ERR_clear_error();
	return ok ? 0 : -EBADMSG;
}

/* Our entry of the recipient table: unwrap the content key and start the payload's decryption with it. */
static int unwrap(struct fwg_unseal_stream *s)
{
	uint8_t cek[32];
	int ok, n;

	ok = !s->unwrap(s->hdr, s->entry, cek, s->arg);
	ok = ok && EVP_DecryptInit_ex(s->ctx, EVP_aes_256_gcm(), NULL, cek, s->hdr + 73) == 1;
	ok = ok && EVP_DecryptUpdate(s->ctx, NULL, &n, s->hdr, FWG_SEAL_HDR) == 1;
	OPENSSL_cleanse(cek, sizeof(cek));
	ERR_clear_error();
	return ok ? 0 : -EBADMSG;
}

static int decrypt(struct fwg_unseal_stream *s, const uint8_t *in, size_t len,
		   int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg)
{
	int n, err;

	while (len) {
		size_t chunk = len > sizeof(s->out) ? sizeof(s->out) : len;

		if (EVP_DecryptUpdate(s->ctx, s->out, &n, in, chunk) != 1)
			return -EBADMSG;
		if (n && (err = sink(s->out, n, arg)))
			return err;
		in += chunk;
		len -= chunk;
	}
	return 0;
}

/* Copies up to @want - s->have bytes into @field; true once it is complete. */
static int gather(struct fwg_unseal_stream *s, uint8_t *field, size_t want, const uint8_t **in, size_t *len)
{
	size_t n = want - s->have < *len ? want - s->have : *len;

	memcpy(field + s->have, *in, n);
	s->have += n;
	*in += n;
	*len -= n;
	if (s->have < want)
		return 0;
	s->have = 0;
	return 1;
}

static int feed(struct fwg_unseal_stream *s, const uint8_t *in, size_t len,
		int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg)
{
	size_t excess, k;
	int err;

	while (len && s->state == UNSEAL_HEADER) {
		if (!gather(s, s->hdr, FWG_SEAL_HDR, &in, &len))
			return 0;
		if (memcmp(s->hdr, FWG_SEAL_MAGIC, 8))
			return -EBADMSG;
		s->nr = s->hdr[85] << 8 | s->hdr[86];
		if (!s->nr)
			return -EBADMSG;
		s->state = UNSEAL_TABLE;
	}
	while (len && s->state == UNSEAL_TABLE) {
		if (!gather(s, s->entry, FWG_SEAL_PER_RECIPIENT, &in, &len))
			return 0;
		/* The first entry naming us is the one fwg_seal() wrote; any later copy is ignored. */
		if (!s->found && !memcmp(s->entry, s->me, 32)) {
			err = unwrap(s);
			if (err)
				return err;
			s->found = 1;
		}
		if (++s->seen < s->nr)
			continue;
		if (!s->found)
			return -ENOKEY;
		s->state = UNSEAL_PAYLOAD;
	}
	if (!len)
		return 0;
	if (s->tail_len + len <= sizeof(s->tail)) {
		memcpy(s->tail + s->tail_len, in, len);
		s->tail_len += len;
		return 0;
	}
	/* Decrypt all but the last 16 bytes seen: the held-back ones first, then the new ones. */
	excess = s->tail_len + len - sizeof(s->tail);
	k = excess < s->tail_len ? excess : s->tail_len;
	err = decrypt(s, s->tail, k, sink, arg);
	if (err)
		return err;
	memmove(s->tail, s->tail + k, s->tail_len - k);
	s->tail_len -= k;
	excess -= k;
	err = decrypt(s, in, excess, sink, arg);
	if (err)
		return err;
	memcpy(s->tail + s->tail_len, in + excess, len - excess);
	s->tail_len += len - excess;
	return 0;
}

int fwg_unseal_stream_feed(struct fwg_unseal_stream *s, const uint8_t *in, size_t len,
			   int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg)
{
	if (!s->err && s->state == UNSEAL_DONE)
		s->err = -EBADMSG;
	if (!s->err)
		s->err = feed(s, in, len, sink, arg);
	return s->err;
}

int fwg_unseal_stream_final(struct fwg_unseal_stream *s)
{
	int n;

	if (s->err)
		return s->err;
	if (s->state != UNSEAL_PAYLOAD || s->tail_len != sizeof(s->tail) ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, 16, s->tail) != 1 ||
	    EVP_DecryptFinal_ex(s->ctx, s->out, &n) != 1)
		s->err = -EBADMSG;
	else
		s->state = UNSEAL_DONE;
	ERR_clear_error();
	return s->err;
}

struct plain_buf {
	uint8_t *p;
	size_t len;
};

static int append(const uint8_t *buf, size_t len, void *arg)
{
	struct plain_buf *b = arg;

	memcpy(b->p + b->len, buf, len);
	b->len += len;
	return 0;
}

uint8_t *fwg_unseal(const uint8_t *sealed, size_t len, EVP_PKEY *key, size_t *out_len)
{
	struct fwg_unseal_stream *s = fwg_unseal_stream_new(key);
	/* The plain image is shorter than the sealed one. */
	struct plain_buf b = { malloc(len ? len : 1), 0 };
	int ok;

	ok = s && b.p && !fwg_unseal_stream_feed(s, sealed, len, append, &b) && !fwg_unseal_stream_final(s);
	fwg_unseal_stream_free(s);
	if (!ok) {
		if (b.p)
			OPENSSL_cleanse(b.p, b.len);
		free(b.p);
		return NULL;
	}
	*out_len = b.len;
	return b.p;
}
