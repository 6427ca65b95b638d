// SPDX-License-Identifier: GPL-2.0
/* fwgated's stage gating (agent/gate.h). */
#include <endian.h>
#include <stdio.h>

#include "gate.h"

int fwg_rollout_gate(const struct fwg_rollouts *rs, const uint8_t u_id[FWGATE_ID_LEN],
		     const uint8_t o_id[FWGATE_ID_LEN], uint64_t now, struct fwg_gate *g)
{
	const struct fwg_rollout *r = fwg_rollouts_find(rs, u_id);

	*g = (struct fwg_gate){ .verdict = FWG_GATE_OPEN, .open_through = -1 };
	if (!r)
		return g->verdict;
	if (r->has_plan) {
		g->planned = 1;
		g->draw = fwg_rollout_draw(o_id);
		g->stage = fwg_rollout_stage_of(&r->plan, o_id);
		g->stages = be32toh(r->plan.stages);
		g->open_through = fwg_rollout_open_through(r, now);
		if ((int)g->stage > g->open_through)
			g->verdict = FWG_GATE_STAGED;
	}
	/* A pause holds every stage, planned or not; a withdrawal holds for ever. */
	if (r->has_control && r->paused)
		g->verdict = FWG_GATE_PAUSED;
	if (r->withdrawn)
		g->verdict = FWG_GATE_WITHDRAWN;
	return g->verdict;
}

const char *fwg_gate_name(int verdict)
{
	static const char *const names[] = {
		[FWG_GATE_OPEN] = "open",
		[FWG_GATE_STAGED] = "staged",
		[FWG_GATE_PAUSED] = "paused",
		[FWG_GATE_WITHDRAWN] = "withdrawn",
	};

	return verdict >= 0 && verdict <= FWG_GATE_WITHDRAWN ? names[verdict] : "unknown";
}

const char *fwg_gate_describe(const struct fwg_gate *g, char *buf, size_t len)
{
	if (!g->planned)
		snprintf(buf, len, "no rollout plan: every device at once");
	else if (g->open_through < 0)
		snprintf(buf, len, "stage %u of %u (draw %u), no stage open yet", g->stage, g->stages, g->draw);
	else if (!g->open_through)
		snprintf(buf, len, "stage %u of %u (draw %u), stage 0 open", g->stage, g->stages, g->draw);
	else
		snprintf(buf, len, "stage %u of %u (draw %u), stages 0-%d open", g->stage, g->stages, g->draw,
			 g->open_through);
	return buf;
}
