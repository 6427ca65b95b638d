/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device trust policy as the kernel seals it (include/uapi/linux/fwgate.h, struct fwgate_policy_hdr): its
 * canonical encoding, the strict decoder of untrusted encodings, its digest, and the rotation rule of struct
 * fwgate_rotate_stmt. Shared by the ledger (chain/trust.c), the fwgate CLI and fwgated; both crypto backends.
 * The policy is struct fwg_policy (lib/nl.h); the encoding leaves out its otype, device_id and locked fields.
 */
#ifndef FWG_POLICY_H
#define FWG_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

#include "nl.h"

/*
 * A signature set, for statements that several keys sign (rotation, membership, withdrawal by checkers):
 * after the statement, u8 count (1 to FWG_SIGSET_MAX), then count entries of key_id[32], be16 sig_len, sig;
 * entries in strictly ascending order of key_id, so a set has one encoding and no key signs twice. Every
 * signature is over the same statement bytes. The decoder (chain/tx.c) checks the shape only; who must sign
 * is the validator's business.
 */
#define FWG_SIGSET_MAX		40

struct fwg_sig {
	uint8_t key_id[FWGATE_ID_LEN];
	uint16_t len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
};

struct fwg_sigset {
	unsigned int count;
	struct fwg_sig sig[FWG_SIGSET_MAX];
};

/* The longest encoding: the header, then 1 + FWGATE_MAX_CHECKERS keys of the longest shape. */
#define FWG_POLICY_ENC_MAX \
	(sizeof(struct fwgate_policy_hdr) + (1 + FWGATE_MAX_CHECKERS) * \
	 (sizeof(struct fwgate_policy_key) + FWGATE_MAX_KEY_LEN))

/* Why a policy was refused: one line naming the field ("policy.checkers[2].len: ..."). */
struct fwg_policy_err {
	char msg[256];
};

/*
 * The canonical encoding of p at epoch: its checkers sorted by key id (p itself is left as it is). Returns
 * the length, or 0 with err set if p is not a valid policy (the decoder's rules) or buf is too small.
 */
size_t fwg_policy_encode(const struct fwg_policy *p, uint64_t epoch, uint8_t *buf, size_t len,
			 struct fwg_policy_err *err);
/*
 * Strict decoder: magic, epoch >= 1, 1 <= k <= FWGATE_MAX_CHECKERS, floor(k/2)+1 <= threshold <= k, every
 * key a P-256 point on the curve or an RSA-3072 DER key with reserved zero, checkers in strictly ascending
 * key-id order (so none twice), the manufacturer not among them, no trailing bytes. 0 or -EINVAL with err
 * naming the field. p's otype, device_id and locked are zeroed; each key's id is computed.
 */
int fwg_policy_decode(const uint8_t *buf, size_t len, struct fwg_policy *p, uint64_t *epoch,
		      struct fwg_policy_err *err);
/* The policy digest: SHA-256 of the encoding; 0 or -EINVAL (err set) for an invalid policy. */
int fwg_policy_digest(const struct fwg_policy *p, uint64_t epoch, uint8_t out[FWGATE_ID_LEN],
		      struct fwg_policy_err *err);
/* True if the policy holds a key with this id, as manufacturer or checker. */
int fwg_policy_has_key(const struct fwg_policy *p, const uint8_t id[FWGATE_ID_LEN]);

/*
 * The rotation rule (struct fwgate_rotate_stmt), from the policy in force (cur at cur_epoch) to the next
 * policy's encoding: stmt.prev and prev_epoch name cur, next_epoch is prev_epoch + 1 and the encoding's
 * epoch, stmt.next is the encoding's digest; sigs holds verifying signatures over the 96-byte statement by
 * cur's manufacturer, by at least cur's threshold of cur's checkers, and by every key of the next policy
 * that cur does not hold. Every signature in sigs must be by a key of cur or next and verify, so that a
 * recorded rotation carries no dead weight. 0 with *next filled, or -EINVAL / -EKEYREJECTED / -EPERM with
 * err naming the field.
 */
int fwg_rotation_check(const struct fwg_policy *cur, uint64_t cur_epoch, const struct fwgate_rotate_stmt *stmt,
		       const uint8_t *next_enc, size_t next_len, const struct fwg_sigset *sigs,
		       struct fwg_policy *next, struct fwg_policy_err *err);

/* Fills a rotation statement from cur to the next encoding (digests, epochs; issued as given). */
int fwg_rotation_stmt(const struct fwg_policy *cur, uint64_t cur_epoch, const uint8_t *next_enc, size_t next_len,
		      uint64_t issued, struct fwgate_rotate_stmt *stmt, struct fwg_policy_err *err);

#endif
