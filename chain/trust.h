/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trust transactions' rules (chain/trust.c, issue 12): policy lines, their rotations, device revocations
 * and ledger membership, between the transaction codec (chain/tx.c), the ledger state (chain/state.c) and
 * nothing else. Documentation/fwgate/ledger.rst, "Trust", says what each rule is for.
 */
#ifndef FWG_TRUST_H
#define FWG_TRUST_H

#include "ledger.h"

struct fwg_trust;

/* tx.c: the fields of a decoded policy, rotate, revoke or member transaction, its payload included. */
int fwg_trust_tx_ok(const struct fwg_tx *tx, struct fwg_err *err);

/* state.c: the trust part of the state. */
struct fwg_trust *fwg_trust_new(void);
void fwg_trust_free(struct fwg_trust *t);
/* Whether a policy, rotate, member or revoke transaction may follow the state (signatures included). */
int fwg_trust_check(struct fwg_state *st, const struct fwg_tx *tx, int check_sig, struct fwg_err *err);
int fwg_trust_apply(struct fwg_state *st, const struct fwg_tx *tx);
/* Two transactions with the same key can not both be appended: one line per policy, one rotation per policy. */
int fwg_trust_unique_key(const struct fwg_tx *tx, uint8_t out[FWGATE_ID_LEN]);
/* The height + 1 of the block that revoked a device, or 0. */
uint64_t fwg_trust_revoked(const struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN]);
/* Refuses an ack, a nack or a running ack by a revoked device; 0 for every other transaction. */
int fwg_trust_check_device(const struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err);
/*
 * Whether a checker's verdict on an update of (o_type, m_id) counts: 1 if the checker is in the newest
 * policy of that type's line with that manufacturer, 0 if not (*epoch says which), -1 if no line has
 * them (the genesis type policy judges).
 */
int fwg_trust_line_checker(const struct fwg_state *st, const char *o_type, const uint8_t m_id[FWGATE_ID_LEN],
			   const uint8_t checker[FWGATE_ID_LEN], uint64_t *epoch);
/* Refuses an update by a manufacturer key rotated out of its type's line. */
int fwg_trust_check_update(const struct fwg_state *st, const struct fwgate_update_stmt *u, const char *what,
			   struct fwg_err *err);

/* state.c, for trust.c: members (genesis and joined; those that left are not found), devices. */
struct fwg_trust *fwg_state_trust(const struct fwg_state *st);
/* The index of the current member with this key id and role (0: any role), or -1. */
int fwg_state_member(const struct fwg_state *st, const uint8_t id[FWGATE_ID_LEN], unsigned int role);
struct fwg_key *fwg_state_member_key(const struct fwg_state *st, unsigned int i);
unsigned int fwg_state_nr_members(const struct fwg_state *st);	/* current ones */
int fwg_state_member_join(struct fwg_state *st, const struct fwg_member *m);
void fwg_state_member_leave(struct fwg_state *st, unsigned int i);
/* A device's revocation: the height + 1 of the block that revoked it, or 0; recording it. */
uint64_t fwg_state_device_revoked(const struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN]);
void fwg_state_device_revoke(struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN]);
/* The manufacturer that certified a device; 0 or -ENOENT. */
int fwg_state_device_maker(const struct fwg_state *st, const uint8_t o_id[FWGATE_ID_LEN],
			   uint8_t m_id[FWGATE_ID_LEN]);

#endif
