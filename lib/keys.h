/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keys and signatures in fwgate's formats (Documentation/fwgate/formats.rst): RSA-3072 keys encoded as DER
 * RSAPublicKey, P-256 keys as the uncompressed point, key ids as the SHA-256 of that encoding, signatures
 * over SHA-256 (PKCS#1 v1.5 or DER ECDSA). Private keys are read only from files of mode 0600.
 */
#ifndef FWG_KEYS_H
#define FWG_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

/* A public or private key, as the backend holds it (lib/crypto.h). */
struct fwg_key;

struct fwg_pubkey {
	uint32_t alg;			/* enum fwgate_key_alg */
	uint32_t len;
	uint8_t id[FWGATE_ID_LEN];
	uint8_t data[FWGATE_MAX_KEY_LEN];
};

/* Writes a new key pair as PEM files; only the OpenSSL backend, the tools', has it. */
int fwg_key_generate(uint32_t alg, const char *priv_path, const char *pub_path);
/* A new key pair in memory. */
struct fwg_key *fwg_key_create(uint32_t alg);
/* PEM or DER, PKCS#8 or the algorithm's own format. */
struct fwg_key *fwg_key_load_private(const char *path);
struct fwg_key *fwg_key_load_public(const char *path);
void fwg_key_free(struct fwg_key *key);
int fwg_key_encode(struct fwg_key *key, struct fwg_pubkey *out);
int fwg_pubkey_load(const char *path, struct fwg_pubkey *out);
/* @sig has room for *sig_len bytes, at least FWGATE_MAX_SIG_LEN; *sig_len becomes the signature's length. */
int fwg_sign(struct fwg_key *key, const void *msg, size_t len, uint8_t *sig, size_t *sig_len);
struct fwg_key *fwg_pubkey_decode(uint32_t alg, const uint8_t *data, size_t len);
int fwg_verify_pkey(struct fwg_key *key, const void *msg, size_t len, const uint8_t *sig, size_t sig_len);
int fwg_verify(const struct fwg_pubkey *key, const void *msg, size_t len, const uint8_t *sig,
	       size_t sig_len);
void fwg_sha256(const void *data, size_t len, uint8_t out[FWGATE_ID_LEN]);
int fwg_sha256_file(const char *path, uint8_t out[FWGATE_ID_LEN], uint64_t *size);

/*
 * An image's hash list (include/uapi/linux/fwgate.h): one SHA-256 per FWGATE_CHUNK_LEN chunk. Its length
 * for an image size; its digest, the update statement's chunks field; whether a list is the one a statement
 * names (0, -EINVAL for a wrong length, -EBADMSG for another digest).
 */
size_t fwg_chunks_len(uint64_t size);
void fwg_chunks_digest(const uint8_t *list, size_t len, uint8_t out[FWGATE_ID_LEN]);
int fwg_chunks_check(const uint8_t *list, size_t len, uint64_t size, const uint8_t digest[FWGATE_ID_LEN]);
/* One pass over an image file: its SHA-256 (the U_id), its size and its hash list, malloc'ed for the caller. */
int fwg_image_digests(const char *path, uint8_t u_id[FWGATE_ID_LEN], uint64_t *size, uint8_t **list,
		      size_t *len);
void fwg_hex(const uint8_t *id, size_t len, char *out);
int fwg_unhex(const char *hex, uint8_t *out, size_t len);

#endif
