/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Staged rollouts (Documentation/fwgate/ledger.rst, "Rollouts"): the rules of a manufacturer's rollout plan
 * (FWG_TX_ROLLOUT) and of its advances (FWG_TX_ADVANCE), a device's stage, and a rollout's state as the
 * chain tells it (plan, advances, pause and resume). The node, fwgated, the audit and the fleet simulation
 * all decide with these functions, so they agree on which device may install.
 */
#ifndef FWG_ROLLOUT_H
#define FWG_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define FWG_ROLLOUT_PLAN_LEN	sizeof(struct fwgate_rollout_stmt)	/* 216 bytes */

/* A device's draw: be32 of the first 4 bytes of SHA-256("FWGSTG01" || o_id), mod FWGATE_ROLLOUT_SHARES. */
uint32_t fwg_rollout_draw(const uint8_t o_id[FWGATE_ID_LEN]);
/* The stage of a device under a well-formed plan: the first whose cumulative share is above its draw. */
unsigned int fwg_rollout_stage_of(const struct fwgate_rollout_stmt *p, const uint8_t o_id[FWGATE_ID_LEN]);
/* The plan digest an advance names: SHA-256 of the plan statement's 216 bytes. */
void fwg_rollout_digest(const struct fwgate_rollout_stmt *p, uint8_t out[FWGATE_ID_LEN]);

/*
 * The statement's own rules, checked by the decoder (the error names the field): a plan has 1 to 8 stages,
 * shares that rise strictly to 10000, opening times that do not go back (0: by an advance only), and zero
 * in every reserved field and in the stages past its count; an advance, a zero reserved field.
 */
int fwg_rollout_plan_ok(const struct fwgate_rollout_stmt *p, struct fwg_err *err);
int fwg_rollout_advance_ok(const struct fwgate_advance_stmt *a, struct fwg_err *err);

/* One update's rollout, as the verified chain says. */
struct fwg_rollout {
	uint8_t u_id[FWGATE_ID_LEN];
	int has_plan;
	struct fwgate_rollout_stmt plan;
	uint8_t digest[FWGATE_ID_LEN];
	uint64_t plan_height;
	int advanced;			/* the highest stage an advance opened, -1 for none */
	uint64_t advanced_height;
	int has_control;		/* a pause or resume seen: paused and control_seq hold */
	int paused;			/* the pause or resume with the highest seq is a pause */
	uint64_t control_seq;
	int withdrawn;			/* a withdrawal is final */
};

struct fwg_rollouts {
	struct fwg_rollout *r;
	size_t n, cap;
};

struct fwg_rollout *fwg_rollouts_find(const struct fwg_rollouts *rs, const uint8_t u_id[FWGATE_ID_LEN]);
/*
 * Whether a transaction the decoder accepted may follow the rollouts on the chain: at most one plan per
 * update (a second one is refused, FWG_ERR_REPLAY: a plan can not be replaced, only paused or withdrawn);
 * an advance names the update's plan by its digest, a stage the plan has, and a stage above every earlier
 * advance. Who signed is the state's business (chain/state.c). 0, or -1 with err set.
 */
int fwg_rollouts_check(const struct fwg_rollouts *rs, const struct fwg_tx *tx, struct fwg_err *err);
/*
 * Records a verified plan, advance, or control statement (withdraw, pause, resume: read from tx->msg by its
 * magic); other transactions are ignored. 0, or -ENOMEM.
 */
int fwg_rollouts_note(struct fwg_rollouts *rs, const struct fwg_tx *tx, uint64_t height);
void fwg_rollouts_free(struct fwg_rollouts *rs);

/*
 * The highest stage open at UNIX time @now, -1 if none: the stages an advance opened, each stage whose
 * opens_at has passed, stage 0 from the plan on when its opens_at is 0, and every stage before an open one.
 */
int fwg_rollout_open_through(const struct fwg_rollout *r, uint64_t now);

#endif
