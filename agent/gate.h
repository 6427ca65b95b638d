/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated's stage gating (Documentation/fwgate/fwgated.rst, "Staged rollouts"): whether this device may
 * install an approved update now, from the rollout plan, advances, pauses and withdrawals the chain holds
 * (chain/rollout.h). An update without a plan installs as soon as it is approved, as before plans existed.
 * The fleet simulation (tests/chain/rollout_fleet.c) decides with the same function.
 */
#ifndef FWG_AGENT_GATE_H
#define FWG_AGENT_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "rollout.h"

enum fwg_gate_verdict {
	FWG_GATE_OPEN,		/* no plan, or the device's stage is open */
	FWG_GATE_STAGED,	/* the device's stage is not open yet */
	FWG_GATE_PAUSED,	/* the manufacturer paused the rollout: no install in any stage */
	FWG_GATE_WITHDRAWN,	/* the update was withdrawn: never installed */
};

struct fwg_gate {
	int verdict;		/* enum fwg_gate_verdict */
	int planned;		/* the update has a plan: the fields below hold */
	uint32_t draw;
	unsigned int stage, stages;
	int open_through;	/* the highest open stage, -1 none */
};

/* Decides for device @o_id and update @u_id at UNIX time @now; fills @g, returns its verdict. */
int fwg_rollout_gate(const struct fwg_rollouts *rs, const uint8_t u_id[FWGATE_ID_LEN],
		     const uint8_t o_id[FWGATE_ID_LEN], uint64_t now, struct fwg_gate *g);
/* "open", "staged", "paused", "withdrawn". */
const char *fwg_gate_name(int verdict);
/* One line for the log and fwgatectl: "stage 2 of 3 (draw 4711), stages 0-1 open". */
const char *fwg_gate_describe(const struct fwg_gate *g, char *buf, size_t len);

#endif
