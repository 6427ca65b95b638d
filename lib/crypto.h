/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cryptographic primitives fwgate's shared code is written against. Two backends implement them and
 * struct fwg_key: lib/crypto_openssl.c for the tools, and lib/mbed/crypto_mbedtls.c for the device agent,
 * whose memory budget OpenSSL alone would exceed (Documentation/fwgate/fwgated.rst). A program links one.
 */
#ifndef FWG_CRYPTO_H
#define FWG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct fwg_key;

/*
 * Streaming SHA-256. The context is the backend's own, plain memory: it lives on the stack, copies by
 * assignment and needs no freeing.
 */
struct fwg_sha256_ctx {
	uint64_t opaque[16];
};

void fwg_sha256_init(struct fwg_sha256_ctx *c);
void fwg_sha256_update(struct fwg_sha256_ctx *c, const void *data, size_t len);
void fwg_sha256_final(struct fwg_sha256_ctx *c, uint8_t out[32]);

/* From the kernel's CSPRNG: 0 or -1. */
int fwg_random(void *buf, size_t len);

/* AES-256-GCM with a 12-byte nonce and a 16-byte tag. */
int fwg_gcm_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
		    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);

/*
 * Streaming decryption: each update turns len bytes of any size into len plain bytes at @out, before the
 * tag is checked; final checks it, in constant time. Both return 0 or -EBADMSG.
 */
struct fwg_gcm;

struct fwg_gcm *fwg_gcm_decrypt_new(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
				    size_t aad_len);
int fwg_gcm_decrypt_update(struct fwg_gcm *g, const uint8_t *in, size_t len, uint8_t *out);
int fwg_gcm_decrypt_final(struct fwg_gcm *g, const uint8_t tag[16]);
void fwg_gcm_free(struct fwg_gcm *g);

/* The x coordinate of @priv times the uncompressed P-256 point @peer, which is checked to be on the curve. */
int fwg_ecdh_p256(struct fwg_key *priv, const uint8_t peer[65], uint8_t secret[32]);
int fwg_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		    size_t info_len, uint8_t *out, size_t out_len);

/*
 * The backend's half of fwg_key_load_private() and fwg_key_load_public() (lib/keys.c reads the file): a PEM
 * or DER key of @len bytes at @buf, which has a NUL at buf[len]. @path is for messages.
 */
struct fwg_key *fwg_key_parse(const uint8_t *buf, size_t len, int private, const char *path);

#endif
