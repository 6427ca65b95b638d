// SPDX-License-Identifier: GPL-2.0
/*
 * lib/crypto.h and the keys of lib/keys.h with mbedTLS 2.28: the backend of fwgated, linked statically, for
 * the agent's memory budget (Documentation/fwgate/fwgated.rst). It has what the agent uses, and key creation
 * and sealing for the tests; fwg_key_generate(), which writes key files, is the tools' (the OpenSSL backend).
 */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <mbedtls/aes.h>
#include <mbedtls/asn1.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/error.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "crypto.h"
#include "keys.h"
#include "log.h"

struct fwg_key {
	mbedtls_pk_context pk;
};

/*
 * mbedtls_gcm_update() takes whole blocks until the last call, but a stream's chunks end anywhere: the
 * plain bytes of a partial block come from the block's key stream at once, and its ciphertext is held
 * back until the block is whole (or final) and goes through the GHASH then.
 */
struct fwg_gcm {
	mbedtls_gcm_context gcm;
	mbedtls_aes_context aes;
	uint8_t nonce[12];
	uint32_t block;			/* the index of the block in progress */
	uint8_t part[16];		/* its ciphertext so far */
	size_t part_len;
};

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(struct fwg_sha256_ctx), "struct fwg_sha256_ctx is too small");

static void log_mbedtls(const char *what, int err)
{
	char buf[128];

	mbedtls_strerror(err, buf, sizeof(buf));
	log_warnx("%s: %s", what, buf);
}

int fwg_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * The RNG of RSA blinding, ECDSA and key generation. The kernel's CSPRNG directly, rather than a CTR_DRBG
 * seeded from it: no state to seed, or to duplicate in a forked process.
 */
static int rng(void *arg, unsigned char *buf, size_t len)
{
	(void)arg;
	return fwg_random(buf, len) ? MBEDTLS_ERR_ECP_RANDOM_FAILED : 0;
}

static struct fwg_key *key_new(mbedtls_pk_type_t type)
{
	struct fwg_key *key = malloc(sizeof(*key));

	if (!key)
		return NULL;
	mbedtls_pk_init(&key->pk);
	if (type != MBEDTLS_PK_NONE && mbedtls_pk_setup(&key->pk, mbedtls_pk_info_from_type(type))) {
		free(key);
		return NULL;
	}
	return key;
}

void fwg_key_free(struct fwg_key *key)
{
	if (!key)
		return;
	mbedtls_pk_free(&key->pk);
	free(key);
}

static int is_p256(const mbedtls_pk_context *pk)
{
	return mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY) && mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

struct fwg_key *fwg_key_create(uint32_t alg)
{
	struct fwg_key *key = key_new(alg == FWGATE_KEY_RSA3072 ? MBEDTLS_PK_RSA : MBEDTLS_PK_ECKEY);
	int err;

	if (!key || (alg != FWGATE_KEY_RSA3072 && alg != FWGATE_KEY_P256)) {
		fwg_key_free(key);
		return NULL;
	}
	if (alg == FWGATE_KEY_RSA3072)
		err = mbedtls_rsa_gen_key(mbedtls_pk_rsa(key->pk), rng, NULL, 3072, 65537);
	else
		err = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key->pk), rng, NULL);
	if (err) {
		log_mbedtls("key generation", err);
		fwg_key_free(key);
		return NULL;
	}
	return key;
}

struct fwg_key *fwg_key_parse(const uint8_t *buf, size_t len, int private, const char *path)
{
	struct fwg_key *key = key_new(MBEDTLS_PK_NONE);
	int err;

	if (!key)
		return NULL;
	/* PEM goes in with its terminating NUL; DER without. */
	if (memmem(buf, len, "-----BEGIN", 10))
		len++;
	err = private ? mbedtls_pk_parse_key(&key->pk, buf, len, NULL, 0) :
			mbedtls_pk_parse_public_key(&key->pk, buf, len);
	if (err) {
		char why[128];

		mbedtls_strerror(err, why, sizeof(why));
		log_warnx("%s: not a valid %s key: damaged, truncated or of another kind (mbed TLS: %s)", path,
			  private ? "private" : "public", why);
		fwg_key_free(key);
		return NULL;
	}
	return key;
}

/* RSA: PKCS#1 RSAPublicKey; EC: the uncompressed point. Both as OpenSSL's i2d_PublicKey() writes them. */
static int pubkey_write(const mbedtls_pk_context *pk, uint8_t *out, size_t *len)
{
	uint8_t buf[FWGATE_MAX_KEY_LEN + 64], *p = buf + sizeof(buf);
	int n;

	n = mbedtls_pk_write_pubkey(&p, buf, pk);
	if (n <= 0 || n > FWGATE_MAX_KEY_LEN)
		return -1;
	memcpy(out, p, n);
	*len = n;
	return 0;
}

int fwg_key_encode(struct fwg_key *key, struct fwg_pubkey *out)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	if (mbedtls_pk_get_type(&key->pk) == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(&key->pk) == 3072) {
		out->alg = FWGATE_KEY_RSA3072;
	} else if (mbedtls_pk_can_do(&key->pk, MBEDTLS_PK_ECKEY)) {
		if (!is_p256(&key->pk)) {
			log_warnx("EC key is not on P-256");
			return -1;
		}
		out->alg = FWGATE_KEY_P256;
	} else {
		log_warnx("key is neither RSA-3072 nor P-256");
		return -1;
	}
	if (pubkey_write(&key->pk, out->data, &len)) {
		log_warnx("public key encoding failed");
		return -1;
	}
	out->len = len;
	fwg_sha256(out->data, out->len, out->id);
	return 0;
}

int fwg_sign(struct fwg_key *key, const void *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	uint8_t hash[32], buf[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t n;
	int err;

	fwg_sha256(msg, len, hash);
	err = mbedtls_pk_sign(&key->pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), buf, &n, rng, NULL);
	if (err) {
		log_mbedtls("sign", err);
		return -1;
	}
	if (n > *sig_len) {
		log_warnx("sign: the signature is longer than %zu bytes", *sig_len);
		return -1;
	}
	memcpy(sig, buf, n);
	*sig_len = n;
	return 0;
}

static int rsa_pubkey_decode(mbedtls_rsa_context *rsa, const uint8_t *data, size_t len)
{
	unsigned char *p = (unsigned char *)data, *end = p + len;
	mbedtls_mpi n, e;
	size_t seq;
	int err;

	mbedtls_mpi_init(&n);
	mbedtls_mpi_init(&e);
	err = mbedtls_asn1_get_tag(&p, end, &seq, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
	      p + seq != end || mbedtls_asn1_get_mpi(&p, end, &n) || mbedtls_asn1_get_mpi(&p, end, &e) ||
	      p != end || mbedtls_rsa_import(rsa, &n, NULL, NULL, NULL, &e) || mbedtls_rsa_complete(rsa) ||
	      mbedtls_rsa_check_pubkey(rsa);
	mbedtls_mpi_free(&n);
	mbedtls_mpi_free(&e);
	return err ? -1 : 0;
}

static int p256_point_decode(mbedtls_ecp_keypair *ec, const uint8_t *data, size_t len)
{
	if (len != 65 || mbedtls_ecp_group_load(&ec->grp, MBEDTLS_ECP_DP_SECP256R1) ||
	    mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, data, len) || mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q))
		return -1;
	return 0;
}

/* Only the one encoding of each key, so that a key has one id whichever backend decoded it. */
struct fwg_key *fwg_pubkey_decode(uint32_t alg, const uint8_t *data, size_t len)
{
	struct fwg_key *key = key_new(alg == FWGATE_KEY_RSA3072 ? MBEDTLS_PK_RSA : MBEDTLS_PK_ECKEY);
	uint8_t again[FWGATE_MAX_KEY_LEN];
	size_t again_len;
	int err;

	if (!key)
		return NULL;
	if (alg == FWGATE_KEY_RSA3072)
		err = rsa_pubkey_decode(mbedtls_pk_rsa(key->pk), data, len) ||
		      mbedtls_pk_get_bitlen(&key->pk) != 3072;
	else if (alg == FWGATE_KEY_P256)
		err = p256_point_decode(mbedtls_pk_ec(key->pk), data, len);
	else
		err = -1;
	if (err || pubkey_write(&key->pk, again, &again_len) || again_len != len || memcmp(again, data, len)) {
		fwg_key_free(key);
		return NULL;
	}
	return key;
}

int fwg_verify_pkey(struct fwg_key *key, const void *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	uint8_t hash[32];

	fwg_sha256(msg, len, hash);
	return mbedtls_pk_verify(&key->pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, sig_len) ? -1 : 0;
}

void fwg_sha256_init(struct fwg_sha256_ctx *c)
{
	mbedtls_sha256_init((mbedtls_sha256_context *)c);
	mbedtls_sha256_starts_ret((mbedtls_sha256_context *)c, 0);
}

void fwg_sha256_update(struct fwg_sha256_ctx *c, const void *data, size_t len)
{
	mbedtls_sha256_update_ret((mbedtls_sha256_context *)c, data, len);
}

void fwg_sha256_final(struct fwg_sha256_ctx *c, uint8_t out[32])
{
	mbedtls_sha256_finish_ret((mbedtls_sha256_context *)c, out);
}

int fwg_gcm_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
		    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	mbedtls_gcm_context gcm;
	int err;

	mbedtls_gcm_init(&gcm);
	err = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) ||
	      mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad, aad_len, in, out, 16, tag);
	mbedtls_gcm_free(&gcm);
	return err ? -1 : 0;
}

struct fwg_gcm *fwg_gcm_decrypt_new(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
				    size_t aad_len)
{
	struct fwg_gcm *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	mbedtls_gcm_init(&g->gcm);
	mbedtls_aes_init(&g->aes);
	memcpy(g->nonce, nonce, sizeof(g->nonce));
	if (mbedtls_gcm_setkey(&g->gcm, MBEDTLS_CIPHER_ID_AES, key, 256) ||
	    mbedtls_gcm_starts(&g->gcm, MBEDTLS_GCM_DECRYPT, nonce, 12, aad, aad_len) ||
	    mbedtls_aes_setkey_enc(&g->aes, key, 256)) {
		fwg_gcm_free(g);
		return NULL;
	}
	return g;
}

/* GCM's counter block for block i of the payload: nonce || be32(i + 2), J0 + 1 being the first. */
static void key_stream(struct fwg_gcm *g, uint8_t out[16])
{
	uint8_t ctr[16];
	uint32_t i = g->block + 2;

	memcpy(ctr, g->nonce, 12);
	ctr[12] = i >> 24;
	ctr[13] = i >> 16;
	ctr[14] = i >> 8;
	ctr[15] = i;
	mbedtls_aes_crypt_ecb(&g->aes, MBEDTLS_AES_ENCRYPT, ctr, out);
}

int fwg_gcm_decrypt_update(struct fwg_gcm *g, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t ks[16], whole[16];
	size_t i, n;
	int err = 0;

	while (len && !err) {
		if (!g->part_len && len >= 16) {
			n = len & ~(size_t)15;
			err = mbedtls_gcm_update(&g->gcm, n, in, out);
			g->block += n / 16;
		} else {
			n = 16 - g->part_len < len ? 16 - g->part_len : len;
			key_stream(g, ks);
			for (i = 0; i < n; i++)
				out[i] = in[i] ^ ks[g->part_len + i];
			memcpy(g->part + g->part_len, in, n);
			g->part_len += n;
			if (g->part_len == 16) {
				err = mbedtls_gcm_update(&g->gcm, 16, g->part, whole);
				g->part_len = 0;
				g->block++;
			}
		}
		in += n;
		out += n;
		len -= n;
	}
	explicit_bzero(ks, sizeof(ks));
	explicit_bzero(whole, sizeof(whole));
	return err ? -EBADMSG : 0;
}

int fwg_gcm_decrypt_final(struct fwg_gcm *g, const uint8_t tag[16])
{
	uint8_t plain[16], mine[16], diff = 0;
	int err, i;

	err = (g->part_len && mbedtls_gcm_update(&g->gcm, g->part_len, g->part, plain)) ||
	      mbedtls_gcm_finish(&g->gcm, mine, sizeof(mine));
	g->part_len = 0;
	for (i = 0; i < 16; i++)
		diff |= mine[i] ^ tag[i];
	explicit_bzero(plain, sizeof(plain));
	return err || diff ? -EBADMSG : 0;
}

void fwg_gcm_free(struct fwg_gcm *g)
{
	if (!g)
		return;
	mbedtls_gcm_free(&g->gcm);
	mbedtls_aes_free(&g->aes);
	explicit_bzero(g, sizeof(*g));
	free(g);
}

int fwg_ecdh_p256(struct fwg_key *priv, const uint8_t peer[65], uint8_t secret[32])
{
	mbedtls_ecp_keypair *me;
	mbedtls_ecp_point q;
	mbedtls_mpi z;
	int err;

	if (!is_p256(&priv->pk))
		return -1;
	me = mbedtls_pk_ec(priv->pk);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&z);
	err = mbedtls_ecp_point_read_binary(&me->grp, &q, peer, 65) || mbedtls_ecp_check_pubkey(&me->grp, &q) ||
	      mbedtls_ecdh_compute_shared(&me->grp, &z, &q, &me->d, rng, NULL) ||
	      mbedtls_mpi_write_binary(&z, secret, 32);
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&z);
	return err ? -1 : 0;
}

int fwg_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		    size_t info_len, uint8_t *out, size_t out_len)
{
	return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len, ikm, ikm_len, info,
			    info_len, out, out_len) ? -1 : 0;
}
