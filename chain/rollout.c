// SPDX-License-Identifier: GPL-2.0
/* Staged rollouts: plan and advance rules, a device's stage, a rollout's state (chain/rollout.h). */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout.h"

#define failk(err, k, ...) ({ (err)->kind = (k); snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); -1; })
#define fail(err, ...) failk(err, FWG_ERR_FORMAT, __VA_ARGS__)

uint32_t fwg_rollout_draw(const uint8_t o_id[FWGATE_ID_LEN])
{
	uint8_t in[FWGATE_MAGIC_LEN + FWGATE_ID_LEN], d[FWGATE_ID_LEN];

	memcpy(in, FWGATE_MAGIC_STAGE, FWGATE_MAGIC_LEN);
	memcpy(in + FWGATE_MAGIC_LEN, o_id, FWGATE_ID_LEN);
	fwg_sha256(in, sizeof(in), d);
	return ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]) % FWGATE_ROLLOUT_SHARES;
}

unsigned int fwg_rollout_stage_of(const struct fwgate_rollout_stmt *p, const uint8_t o_id[FWGATE_ID_LEN])
{
	uint32_t draw = fwg_rollout_draw(o_id), n = be32toh(p->stages);
	unsigned int i;

	for (i = 0; i + 1 < n && i + 1 < FWGATE_ROLLOUT_MAX_STAGES; i++)
		if (be32toh(p->stage[i].share) > draw)
			break;
	return i;
}

void fwg_rollout_digest(const struct fwgate_rollout_stmt *p, uint8_t out[FWGATE_ID_LEN])
{
	fwg_sha256(p, sizeof(*p), out);
}

int fwg_rollout_plan_ok(const struct fwgate_rollout_stmt *p, struct fwg_err *err)
{
	static const struct fwgate_rollout_stage zero;
	uint32_t n = be32toh(p->stages), share, prev = 0;
	uint64_t at, last_at = 0;
	unsigned int i;

	if (!n || n > FWGATE_ROLLOUT_MAX_STAGES)
		return fail(err, "rollout.stages: %u, not 1 to %d", n, FWGATE_ROLLOUT_MAX_STAGES);
	if (p->reserved)
		return fail(err, "rollout.reserved: not zero");
	for (i = 0; i < n; i++) {
		share = be32toh(p->stage[i].share);
		at = be64toh(p->stage[i].opens_at);
		if (p->stage[i].reserved)
			return fail(err, "rollout.stage[%u].reserved: not zero", i);
		if (share <= prev || share > FWGATE_ROLLOUT_SHARES)
			return fail(err, "rollout.stage[%u].share: %u, not above the previous stage's %u and at most %d",
				    i, share, prev, FWGATE_ROLLOUT_SHARES);
		if (at && at < last_at)
			return fail(err, "rollout.stage[%u].opens_at: %llu, before an earlier stage's %llu", i,
				    (unsigned long long)at, (unsigned long long)last_at);
		if (at)
			last_at = at;
		prev = share;
	}
	if (prev != FWGATE_ROLLOUT_SHARES)
		return fail(err, "rollout.stage[%u].share: %u, the last stage's must be %d (every device)", n - 1,
			    prev, FWGATE_ROLLOUT_SHARES);
	for (; i < FWGATE_ROLLOUT_MAX_STAGES; i++)
		if (memcmp(&p->stage[i], &zero, sizeof(zero)))
			return fail(err, "rollout.stage[%u]: not zero, past the plan's %u stages", i, n);
	return 0;
}

int fwg_rollout_advance_ok(const struct fwgate_advance_stmt *a, struct fwg_err *err)
{
	if (a->reserved)
		return fail(err, "advance.reserved: not zero");
	if (be32toh(a->stage) >= FWGATE_ROLLOUT_MAX_STAGES)
		return fail(err, "advance.stage: %u, not below %d", be32toh(a->stage), FWGATE_ROLLOUT_MAX_STAGES);
	return 0;
}

struct fwg_rollout *fwg_rollouts_find(const struct fwg_rollouts *rs, const uint8_t u_id[FWGATE_ID_LEN])
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!memcmp(rs->r[i].u_id, u_id, FWGATE_ID_LEN))
			return &rs->r[i];
	return NULL;
}

static struct fwg_rollout *get(struct fwg_rollouts *rs, const uint8_t u_id[FWGATE_ID_LEN])
{
	struct fwg_rollout *r = fwg_rollouts_find(rs, u_id);

	if (r)
		return r;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 8;

		r = realloc(rs->r, cap * sizeof(*r));
		if (!r)
			return NULL;
		rs->r = r;
		rs->cap = cap;
	}
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->u_id, u_id, FWGATE_ID_LEN);
	r->advanced = -1;
	return r;
}

int fwg_rollouts_check(const struct fwg_rollouts *rs, const struct fwg_tx *tx, struct fwg_err *err)
{
	const struct fwg_rollout *r;
	uint32_t stage;

	if (tx->type == FWG_TX_ROLLOUT) {
		r = fwg_rollouts_find(rs, tx->s.rollout.u_id);
		if (r && r->has_plan)
			return failk(err, FWG_ERR_REPLAY, "rollout.u_id: the update has a rollout plan already (block "
				     "%llu); a plan is not replaced, it is paused or the update withdrawn",
				     (unsigned long long)r->plan_height);
		return 0;
	}
	if (tx->type != FWG_TX_ADVANCE)
		return 0;
	r = fwg_rollouts_find(rs, tx->s.advance.u_id);
	stage = be32toh(tx->s.advance.stage);
	if (!r || !r->has_plan)
		return failk(err, FWG_ERR_REFERENCE, "advance.u_id: the update has no rollout plan in the ledger");
	if (memcmp(r->digest, tx->s.advance.plan, FWGATE_ID_LEN))
		return failk(err, FWG_ERR_REFERENCE, "advance.plan: not the digest of the update's rollout plan");
	if (stage >= be32toh(r->plan.stages))
		return fail(err, "advance.stage: %u, the plan has %u stages", stage, be32toh(r->plan.stages));
	if ((int)stage <= r->advanced)
		return fail(err, "advance.stage: %u, not above stage %d that an earlier advance opened; advances only "
			    "go forward", stage, r->advanced);
	return 0;
}

static int note_control(struct fwg_rollouts *rs, const struct fwg_tx *tx)
{
	struct fwgate_control_stmt c;
	struct fwg_rollout *r;
	int pause;

	if (tx->msg_len != sizeof(c))
		return 0;
	memcpy(&c, tx->msg, sizeof(c));
	pause = !memcmp(c.magic, FWGATE_MAGIC_PAUSE, FWGATE_MAGIC_LEN);
	if (!pause && memcmp(c.magic, FWGATE_MAGIC_RESUME, FWGATE_MAGIC_LEN) &&
	    memcmp(c.magic, FWGATE_MAGIC_WITHDRAW, FWGATE_MAGIC_LEN))
		return 0;
	r = get(rs, c.u_id);
	if (!r)
		return -ENOMEM;
	if (!memcmp(c.magic, FWGATE_MAGIC_WITHDRAW, FWGATE_MAGIC_LEN)) {
		r->withdrawn = 1;
	} else if (!r->has_control || be64toh(c.seq) > r->control_seq) {
		r->has_control = 1;
		r->control_seq = be64toh(c.seq);
		r->paused = pause;
	}
	return 0;
}

int fwg_rollouts_note(struct fwg_rollouts *rs, const struct fwg_tx *tx, uint64_t height)
{
	struct fwg_rollout *r;

	switch (tx->type) {
	case FWG_TX_ROLLOUT:
		r = get(rs, tx->s.rollout.u_id);
		if (!r)
			return -ENOMEM;
		if (r->has_plan)
			return 0;
		r->has_plan = 1;
		r->plan = tx->s.rollout;
		fwg_rollout_digest(&r->plan, r->digest);
		r->plan_height = height;
		return 0;
	case FWG_TX_ADVANCE:
		r = fwg_rollouts_find(rs, tx->s.advance.u_id);
		/* What fwg_rollouts_check() asks, again: a reader of an unchecked chain never opens a stage past the plan. */
		if (r && r->has_plan && be32toh(tx->s.advance.stage) < be32toh(r->plan.stages) &&
		    (int)be32toh(tx->s.advance.stage) > r->advanced &&
		    !memcmp(r->digest, tx->s.advance.plan, FWGATE_ID_LEN)) {
			r->advanced = be32toh(tx->s.advance.stage);
			r->advanced_height = height;
		}
		return 0;
	case FWG_TX_CONTROL:
		return note_control(rs, tx);
	}
	return 0;
}

void fwg_rollouts_free(struct fwg_rollouts *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

int fwg_rollout_open_through(const struct fwg_rollout *r, uint64_t now)
{
	uint32_t n = be32toh(r->plan.stages);
	int open = r->advanced;
	unsigned int i;

	for (i = 0; i < n && i < FWGATE_ROLLOUT_MAX_STAGES; i++) {
		uint64_t at = be64toh(r->plan.stage[i].opens_at);

		if ((at && at <= now) || (!i && !at))
			open = (int)i > open ? (int)i : open;
	}
	return open;
}
