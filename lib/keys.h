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
#include <openssl/evp.h>
#include <linux/fwgate.h>

struct fwg_pubkey {
	uint32_t alg;			/* enum fwgate_key_alg */
	uint32_t len;
	uint8_t id[FWGATE_ID_LEN];
	uint8_t data[FWGATE_MAX_KEY_LEN];
};

int fwg_key_generate(uint32_t alg, const char *priv_path, const char *pub_path);
EVP_PKEY *fwg_key_load_private(const char *path);
EVP_PKEY *fwg_key_load_public(const char *path);
int fwg_key_encode(EVP_PKEY *key, struct fwg_pubkey *out);
int fwg_pubkey_load(const char *path, struct fwg_pubkey *out);
int fwg_sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t *sig, size_t *sig_len);
EVP_PKEY *fwg_pubkey_decode(uint32_t alg, const uint8_t *data, size_t len);
int fwg_verify_pkey(EVP_PKEY *key, const void *msg, size_t len, const uint8_t *sig, size_t sig_len);
int fwg_verify(const struct fwg_pubkey *key, const void *msg, size_t len, const uint8_t *sig,
	       size_t sig_len);
void fwg_sha256(const void *data, size_t len, uint8_t out[FWGATE_ID_LEN]);
int fwg_sha256_file(const char *path, uint8_t out[FWGATE_ID_LEN], uint64_t *size);
void fwg_hex(const uint8_t *id, size_t len, char *out);
int fwg_unhex(const char *hex, uint8_t *out, size_t len);

#endif
