// SPDX-License-Identifier: GPL-2.0
/* lib/crypto.h and the keys of lib/keys.h with OpenSSL 3: the backend of the tools, the node and the tests. */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* The low-level SHA-256 context is plain memory, as struct fwg_sha256_ctx promises; EVP's is allocated. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "keys.h"
#include "log.h"

struct fwg_key {
	EVP_PKEY *pkey;
};

struct fwg_gcm {
	EVP_CIPHER_CTX *c;
};

_Static_assert(sizeof(SHA256_CTX) <= sizeof(struct fwg_sha256_ctx), "struct fwg_sha256_ctx is too small");

static void log_ssl(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	log_warnx("%s: %s", what, e ? buf : "OpenSSL error");
	ERR_clear_error();
}

static struct fwg_key *key_wrap(EVP_PKEY *pkey)
{
	struct fwg_key *key;

	if (!pkey)
		return NULL;
	key = malloc(sizeof(*key));
	if (!key) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	key->pkey = pkey;
	return key;
}

void fwg_key_free(struct fwg_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

struct fwg_key *fwg_key_create(uint32_t alg)
{
	EVP_PKEY *pkey;

	if (alg == FWGATE_KEY_RSA3072)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (alg == FWGATE_KEY_P256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		return NULL;
	if (!pkey)
		log_ssl("key generation");
	return key_wrap(pkey);
}

int fwg_key_generate(uint32_t alg, const char *priv_path, const char *pub_path)
{
	struct fwg_key *key = fwg_key_create(alg);
	FILE *f;
	int fd, ok;

	if (!key)
		return -1;
	fd = open(priv_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		log_warn("%s", priv_path);
		fwg_key_free(key);
		return -1;
	}
	f = fdopen(fd, "w");
	ok = f && PEM_write_PrivateKey(f, key->pkey, NULL, NULL, 0, NULL, NULL);
	if (f)
		ok = !fclose(f) && ok;
	if (ok && pub_path) {
		f = fopen(pub_path, "w");
		ok = f && PEM_write_PUBKEY(f, key->pkey);
		if (f)
			ok = !fclose(f) && ok;
	}
	fwg_key_free(key);
	if (!ok)
		log_warnx("%s: can not write the key", priv_path);
	return ok ? 0 : -1;
}

struct fwg_key *fwg_key_parse(const uint8_t *buf, size_t len, int private, const char *path)
{
	const unsigned char *p = buf;
	EVP_PKEY *pkey = NULL;
	BIO *bio;

	if (memmem(buf, len, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(buf, len);
		if (bio)
			pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
					 PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		pkey = private ? d2i_AutoPrivateKey(NULL, &p, len) : d2i_PUBKEY(NULL, &p, len);
	}
	if (!pkey) {
		unsigned long e = ERR_get_error();
		const char *why = e ? ERR_reason_error_string(e) : NULL;

		log_warnx("%s: not a valid %s key: damaged, truncated or of another kind (OpenSSL: %s)", path,
			  private ? "private" : "public", why ? why : "no reason given");
		ERR_clear_error();
	}
	return key_wrap(pkey);
}

int fwg_key_encode(struct fwg_key *key, struct fwg_pubkey *out)
{
	EVP_PKEY *pkey = key->pkey;
	unsigned char *p = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) == 3072) {
		out->alg = FWGATE_KEY_RSA3072;
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[32];

		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL) ||
		    strcmp(group, "prime256v1")) {
			log_warnx("EC key is not on P-256");
			return -1;
		}
		out->alg = FWGATE_KEY_P256;
		EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					       "uncompressed");
	} else {
		log_warnx("key is neither RSA-3072 nor P-256");
		return -1;
	}
	/* RSA: PKCS#1 RSAPublicKey; EC: the encoded point. */
	n = i2d_PublicKey(pkey, &p);
	if (n <= 0 || n > FWGATE_MAX_KEY_LEN) {
		OPENSSL_free(p);
		log_ssl("public key encoding");
		return -1;
	}
	memcpy(out->data, p, n);
	out->len = n;
	OPENSSL_free(p);
	fwg_sha256(out->data, out->len, out->id);
	return 0;
}

int fwg_sign(struct fwg_key *key, const void *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		log_ssl("sign");
	return ok ? 0 : -1;
}

static EVP_PKEY *p256_point(const uint8_t *data, size_t len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)data, len),
		OSSL_PARAM_END
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* Decoding a P-256 point costs as much as a verification: callers that verify often keep the result. */
struct fwg_key *fwg_pubkey_decode(uint32_t alg, const uint8_t *data, size_t len)
{
	const unsigned char *p = data;
	struct fwg_pubkey again;
	EVP_PKEY *pkey = NULL;
	struct fwg_key *key;

	if (alg == FWGATE_KEY_RSA3072) {
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
		if (pkey && (EVP_PKEY_get_bits(pkey) != 3072 || p != data + len)) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	} else if (alg == FWGATE_KEY_P256) {
		pkey = p256_point(data, len);
	}
	ERR_clear_error();
	key = key_wrap(pkey);
	/*
	 * One encoding per key, as in the mbedTLS backend: DER that OpenSSL reads leniently (found by fuzz_key)
	 * would give one key two ids, and the agent would refuse what the node took.
	 */
	if (key && (fwg_key_encode(key, &again) || again.len != len || memcmp(again.data, data, len))) {
		fwg_key_free(key);
		key = NULL;
	}
	return key;
}

int fwg_verify_pkey(struct fwg_key *key, const void *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

void fwg_sha256_init(struct fwg_sha256_ctx *c)
{
	SHA256_Init((SHA256_CTX *)c);
}

void fwg_sha256_update(struct fwg_sha256_ctx *c, const void *data, size_t len)
{
	SHA256_Update((SHA256_CTX *)c, data, len);
}

void fwg_sha256_final(struct fwg_sha256_ctx *c, uint8_t out[32])
{
	SHA256_Final(out, (SHA256_CTX *)c);
}

int fwg_random(void *buf, size_t len)
{
	return RAND_bytes(buf, len) == 1 ? 0 : -1;
}

/* EVP lengths are ints: go in chunks. */
static int cipher_update(EVP_CIPHER_CTX *c, const uint8_t *in, size_t len, uint8_t *out)
{
	int n;

	while (len) {
		size_t chunk = len > (1u << 30) ? 1u << 30 : len;

		if (EVP_CipherUpdate(c, out, &n, in, chunk) != 1)
			return -1;
		in += chunk;
		out += chunk;
		len -= chunk;
	}
	return 0;
}

static EVP_CIPHER_CTX *gcm_new(int enc, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
			       size_t aad_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	if (c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, aad, aad_len) == 1)
		return c;
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	return NULL;
}

int fwg_gcm_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
		    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = gcm_new(1, key, nonce, aad, aad_len);
	int n, ok;

	ok = c && !cipher_update(c, in, len, out) && EVP_CipherFinal_ex(c, out + len, &n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	return ok ? 0 : -1;
}

struct fwg_gcm *fwg_gcm_decrypt_new(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
				    size_t aad_len)
{
	struct fwg_gcm *g = malloc(sizeof(*g));

	if (!g)
		return NULL;
	g->c = gcm_new(0, key, nonce, aad, aad_len);
	if (!g->c) {
		free(g);
		return NULL;
	}
	return g;
}

int fwg_gcm_decrypt_update(struct fwg_gcm *g, const uint8_t *in, size_t len, uint8_t *out)
{
	if (!cipher_update(g->c, in, len, out))
		return 0;
	ERR_clear_error();
	return -EBADMSG;
}

int fwg_gcm_decrypt_final(struct fwg_gcm *g, const uint8_t tag[16])
{
	uint8_t none[16];
	int n, ok;

	ok = EVP_CIPHER_CTX_ctrl(g->c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) == 1 &&
	     EVP_DecryptFinal_ex(g->c, none, &n) == 1;
	ERR_clear_error();
	return ok ? 0 : -EBADMSG;
}

void fwg_gcm_free(struct fwg_gcm *g)
{
	if (!g)
		return;
	EVP_CIPHER_CTX_free(g->c);
	free(g);
}

int fwg_ecdh_p256(struct fwg_key *priv, const uint8_t peer[65], uint8_t secret[32])
{
	EVP_PKEY *pub = p256_point(peer, 65);
	EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(priv->pkey, NULL);
	size_t len = 32;
	int ok;

	ok = pub && dc && EVP_PKEY_derive_init(dc) == 1 && EVP_PKEY_derive_set_peer(dc, pub) == 1 &&
	     EVP_PKEY_derive(dc, secret, &len) == 1 && len == 32;
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(pub);
	ERR_clear_error();
	return ok ? 0 : -1;
}

int fwg_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		    size_t info_len, uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
		OSSL_PARAM_END
	};
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int ok;

	ok = kc && EVP_KDF_derive(kc, out, out_len, params) == 1;
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	ERR_clear_error();
	return ok ? 0 : -1;
}
