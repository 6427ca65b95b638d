/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's trust anchor, fwgated's side (Documentation/fwgate/fwgated.rst, "Trust anchor"). fwgate.ko
 * seals the policy's epoch and digest in the rollback state store at the first lock and refuses any other
 * policy afterwards; fwgated finds the policy of the sealed digest and gives it back at each boot, then
 * carries the chain's rotations to the kernel, which checks them and re-seals.
 *
 * fwgated keeps, under state-dir/policy/ (root, 0700):
 *  - one policy file per policy this device held, named by its digest (HEX.policy, the text of lib/files.h;
 *    the encoding leaves out the device's type and id, the file keeps them); a file is used only if its
 *    policy's digest at the sealed epoch is the sealed digest;
 *  - history: one line per policy put in force, "EPOCH DIGEST TIME HOW [TXID]", HOW "enrolled", "rotated" or
 *    "rebuilt" (fwg_trust_rebuild()).
 */
#ifndef FWG_AGENT_ANCHOR_H
#define FWG_AGENT_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "nl.h"

#define FWG_TRUST_DIR	"policy"

struct fwg_trust_event {
	uint64_t epoch;
	uint8_t digest[FWGATE_ID_LEN];
	uint64_t time;
	char how[16];			/* "enrolled", "rotated" or "rebuilt" */
	int has_tx;
	uint8_t tx[FWGATE_ID_LEN];	/* the rotation's transaction on the chain */
};

/*
 * At a start on a kernel that holds no policy: the policy to set. @p is the policy file's; it is what is set
 * (epoch 1) when the state store holds no anchor (enrolment). Under an anchor it is replaced by the sealed
 * policy from the cache, or rebuilt from the chain when the cache lost it; a policy file that is not the sealed policy is refused, loudly, and ignored. 0, or
 * -1 when the sealed policy can not be found (logged).
 */
int fwg_trust_choose(const struct fwg_conf *c, struct fwg_policy *p);
/*
 * The sealed policy (@epoch, @digest), rebuilt from the chain's rotations when the cache lost it: the
 * worker's store (state-dir/sync, agent/store.h) keeps every rotation the chain holds. From the newest
 * policy the cache still holds (by the history), else from the policy file @file at epoch 1, each rotation
 * that leads on is checked by the rotation rule as fwgate.ko checks it; the policy reached is used only if
 * its digest is @digest. It goes into the cache and the history ("rebuilt"). 0 with @out set, or -1.
 */
int fwg_trust_rebuild(const struct fwg_conf *c, const struct fwg_policy *file, uint64_t epoch,
		      const uint8_t digest[FWGATE_ID_LEN], struct fwg_policy *out);
/* Keeps the policy fwgate.ko holds in the cache, and in the history when it is not its last line. */
int fwg_trust_remember(const struct fwg_conf *c, const struct fwg_policy *p, const char *how,
		       const uint8_t *tx_id);
/*
 * Hands one FWG_TX_ROTATE transaction to fwgate.ko, then reads back the policy in force into @p and
 * remembers it. 0, or -errno with the kernel's (or the decoder's) reason in @msg.
 */
int fwg_trust_rotate(struct fwg_nl *nl, const struct fwg_conf *c, const uint8_t *tx, size_t len,
		     struct fwg_policy *p, char *msg, size_t msg_len);
/* Calls @fn for each line of the history, oldest first; 0, or -1 when there is none. */
int fwg_trust_history(const char *state_dir, int (*fn)(const struct fwg_trust_event *, void *), void *arg);

#endif
