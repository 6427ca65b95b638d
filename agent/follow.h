/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The worker's half of the trust anchor (Documentation/fwgate/fwgated.rst, "Trust anchor"): the chain's
 * policy rotations, kept as the sync meets them, and handed to the monitor one by one in the order they
 * lead from the policy in force (each one's prev is the digest and epoch of the policy it replaces). The
 * monitor carries each to fwgate.ko, which checks it and re-seals; nothing here decides.
 */
#ifndef FWG_AGENT_FOLLOW_H
#define FWG_AGENT_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "nl.h"

#define FWG_FOLLOW_MAX	64	/* rotations kept; the chain refuses a fork, so one per epoch */

/* A FWG_TX_ROTATE transaction of the chain, raw, at @height. 0, or -1 when it is malformed or one too many. */
int fwg_follow_add(const uint8_t *raw, size_t len, uint64_t height);

/*
 * Asks @apply for every rotation that follows @cur, in order, until none does: @apply hands it to the
 * kernel and fills the policy then in force (0), or says why not (-errno and @msg). A refused rotation is
 * not asked again. Returns the number applied; @cur is the policy in force.
 */
typedef int (*fwg_follow_apply_fn)(const uint8_t *raw, size_t len, struct fwg_policy *out, char *msg,
				   size_t msg_len, void *arg);
int fwg_follow_run(struct fwg_policy *cur, fwg_follow_apply_fn apply, void *arg);

/* The rotations kept, for fwgatectl: each one's epochs, digests, height and whether it is in force. */
struct fwg_follow_info {
	uint64_t prev_epoch, next_epoch, height;
	uint8_t prev[FWGATE_ID_LEN], next[FWGATE_ID_LEN];
	int refused;
	char why[256];
};
unsigned int fwg_follow_list(struct fwg_follow_info *out, unsigned int max);
/* Forgets every rotation kept. */
void fwg_follow_reset(void);

#endif
