/* SPDX-License-Identifier: GPL-2.0 */
/* fwgate audit's trust sections (chain/trust_audit.c): policy history, revoked devices, membership changes. */
#ifndef FWG_TRUST_AUDIT_H
#define FWG_TRUST_AUDIT_H

#include <stdio.h>
#include <json-c/json.h>

#include "ledger.h"

struct fwg_trust_audit;

struct fwg_trust_audit *fwg_trust_audit_new(void);
void fwg_trust_audit_free(struct fwg_trust_audit *ta);
/* One verified transaction of block h, already applied to st; others than the trust kinds are ignored. */
int fwg_trust_audit_tx(struct fwg_trust_audit *ta, const struct fwg_state *st, const struct fwg_tx *tx,
		       const struct fwg_block_hdr *h);
void fwg_trust_audit_text(FILE *f, const struct fwg_trust_audit *ta);
/* Adds "policy_history", "revoked_devices" and "membership_changes" to o. */
void fwg_trust_audit_json(struct json_object *o, const struct fwg_trust_audit *ta);

#endif
