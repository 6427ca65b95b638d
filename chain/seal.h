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

struct fwg_key;

#define FWG_SEAL_MAGIC		"FWGSEAL1"
#define FWG_SEAL_HDR		(8 + 65 + 12 + 2)
#define FWG_SEAL_PER_RECIPIENT	(32 + 32 + 16)	/* key id, wrapped key, tag */
#define FWG_SEAL_MAX_RECIPIENTS	65535

/* Seals len bytes for n P-256 public keys; returns a malloc'ed buffer of *out_len bytes, or NULL. */
uint8_t *fwg_seal(const uint8_t *data, size_t len, struct fwg_key *const *recipients, size_t n, size_t *out_len);
/* Opens a sealed buffer with a recipient's private key; NULL if not a recipient, or anything was altered. */
uint8_t *fwg_unseal(const uint8_t *sealed, size_t len, struct fwg_key *key, size_t *out_len);

/*
 * The streaming opener fwg_unseal() is built on, for images too large to hold: feed the sealed bytes in
 * chunks of any size and the plain bytes come out through @sink, in order, as they are decrypted. Memory
 * is one fixed-size object whatever the image or the recipient count.
 *
 * Plain bytes reach the sink before the GCM tag at the end is checked: nothing may act on them (commit an
 * install) before fwg_unseal_stream_final() returns 0. fwgate's installs are safe there because the kernel
 * commits only an image whose SHA-256 is the approved U_id.
 *
 * Errors, sticky once returned: -EBADMSG for a malformed, truncated or altered image, -ENOKEY when the
 * recipient table has no entry for the key, -ENOMEM, or the sink's own nonzero return.
 */
struct fwg_unseal_stream;

struct fwg_unseal_stream *fwg_unseal_stream_new(struct fwg_key *key);

/*
 * The same, for a process that does not hold the key (fwgated's worker): @fn opens this recipient's entry
 * (key id @me) of the table, given the 87-byte header and the 80-byte entry, into the 32-byte content key.
 */
typedef int (*fwg_unwrap_fn)(const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32], void *arg);
struct fwg_unseal_stream *fwg_unseal_stream_new_unwrap(const uint8_t me[32], fwg_unwrap_fn fn, void *arg);
/* Opens one recipient entry with that recipient's private key: 0, or -EBADMSG. */
int fwg_seal_unwrap(struct fwg_key *key, const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32]);
int fwg_unseal_stream_feed(struct fwg_unseal_stream *s, const uint8_t *in, size_t len,
			   int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg);
int fwg_unseal_stream_final(struct fwg_unseal_stream *s);
/* Header, recipient table and tag: sealed size minus plain size. 0 until the recipient count is read. */
uint64_t fwg_unseal_stream_overhead(const struct fwg_unseal_stream *s);
void fwg_unseal_stream_free(struct fwg_unseal_stream *s);

#endif
