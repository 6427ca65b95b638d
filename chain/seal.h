/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Optional confidentiality of images (Documentation/fwgate/ledger.rst, "Sealed images"): the image is
 * encrypted once with a fresh AES-256-GCM key, and that key is wrapped for each recipient's P-256 key
 * (a device's, or a group key several devices hold) through ECDH with one ephemeral key, HKDF-SHA256 and
 * AES-256-GCM. Each recipient adds FWG_SEAL_PER_RECIPIENT bytes.
 */
#ifndef FWG_SEAL_H
#define FWG_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define FWG_SEAL_MAGIC		"FWGSEAL1"
#define FWG_SEAL_HDR		(8 + 65 + 12 + 2)
#define FWG_SEAL_PER_RECIPIENT	(32 + 32 + 16)	/* key id, wrapped key, tag */
#define FWG_SEAL_MAX_RECIPIENTS	65535

/* Seals len bytes for n P-256 public keys; returns a malloc'ed buffer of *out_len bytes, or NULL. */
uint8_t *fwg_seal(const uint8_t *data, size_t len, EVP_PKEY *const *recipients, size_t n, size_t *out_len);
/* Opens a sealed buffer with a recipient's private key; NULL if not a recipient, or anything was altered. */
uint8_t *fwg_unseal(const uint8_t *sealed, size_t len, EVP_PKEY *key, size_t *out_len);

#endif
