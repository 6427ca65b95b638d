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

uint8_t *fwg_unseal(const uint8_t *sealed, size_t len, EVP_PKEY *key, size_t *out_len)
{
	struct fwg_pubkey me, eph_pub = { .alg = FWGATE_KEY_P256, .len = 65 };
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *ctx;
	uint8_t cek[32], k[44], *out = NULL;
	const uint8_t *p;
	size_t n, hdr, i, plen;

	if (len < FWG_SEAL_HDR + 16 || memcmp(sealed, FWG_SEAL_MAGIC, 8) || fwg_key_encode(key, &me))
		return NULL;
	n = (size_t)sealed[85] << 8 | sealed[86];
	hdr = FWG_SEAL_HDR + n * FWG_SEAL_PER_RECIPIENT;
	if (!n || len < hdr + 16)
		return NULL;
	for (i = 0, p = sealed + FWG_SEAL_HDR; i < n; i++, p += FWG_SEAL_PER_RECIPIENT)
		if (!memcmp(p, me.id, 32))
			break;
	if (i == n)
		return NULL;
	memcpy(eph_pub.data, sealed + 8, 65);
	{
		OSSL_PARAM params[] = {
			OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
			OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, eph_pub.data, 65),
			OSSL_PARAM_END
		};

		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
			EVP_PKEY_fromdata(ctx, &eph, EVP_PKEY_PUBLIC_KEY, params);
		EVP_PKEY_CTX_free(ctx);
	}
	plen = len - hdr - 16;
	if (eph && !kek(key, eph, sealed + 8, me.id, k) &&
	    !gcm(0, k, k + 32, sealed, FWG_SEAL_HDR, p + 32, 32, cek, (uint8_t *)p + 64)) {
		out = malloc(plen ? plen : 1);
		if (out && gcm(0, cek, sealed + 73, sealed, FWG_SEAL_HDR, sealed + hdr, plen, out,
			       (uint8_t *)sealed + hdr + plen)) {
			free(out);
			out = NULL;
		}
	}
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_cleanse(k, sizeof(k));
	EVP_PKEY_free(eph);
	ERR_clear_error();
	if (out)
		*out_len = plen;
	return out;
}
