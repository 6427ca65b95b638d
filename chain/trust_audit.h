/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgate audit's sections on who governs the fleet (chain/trust_audit.c): policy history, revoked devices,
 * membership changes, rollout plans and controls.
 */
#ifndef FWG_TRUST_AUDIT_H
#define FWG_TRUST_AUDIT_H

#include <json-c/json.h>

#include "grid.h"
#include "ledger.h"

#define FWG_TRUST_GRIDS	4

struct fwg_trust_audit;

struct fwg_trust_audit *fwg_trust_audit_new(void);
void fwg_trust_audit_free(struct fwg_trust_audit *ta);
/*
 * One verified transaction of block h, already applied to st; others than the trust, control, rollout and
 * advance kinds are ignored. 0, or -1 (out of memory, or a policy or signature set that does not decode).
 */
int fwg_trust_audit_tx(struct fwg_trust_audit *ta, const struct fwg_state *st, const struct fwg_tx *tx,
		       const struct fwg_block_hdr *h);
/*
 * The tables "policies" (Policy history), "revocations" (Revoked devices), "membership" (Membership changes)
 * and "controls" (Rollout plans and controls), in chain order; the caller frees them (fwg_grid_free).
 */
void fwg_trust_audit_grids(const struct fwg_trust_audit *ta, struct fwg_grid t[FWG_TRUST_GRIDS]);
/* Adds "policy_history", "revoked_devices", "membership_changes" and "rollout_controls" to o. */
void fwg_trust_audit_json(struct json_object *o, const struct fwg_trust_audit *ta);

#endif
