/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `fwgate rollout plan|advance|status` (Documentation/fwgate/tools.rst, "fwgate rollout"): the manufacturer's
 * staged rollouts. fwgate.c's table of `fwgate rollout` commands names them, with pause, resume and withdraw
 * from chain/control_cmd.c.
 */
#ifndef FWG_ROLLOUT_CMD_H
#define FWG_ROLLOUT_CMD_H

#include <stdint.h>

#define FWG_ROLLOUT_PLAN_ARGS	"--key M.key --update U.stmt --stage PERCENT[@WHEN]... [--node URL] [--out PLAN]"
#define FWG_ROLLOUT_ADVANCE_ARGS "--key M.key --update U.stmt --stage N --node URL [--out ADVANCE]"
#define FWG_ROLLOUT_STATUS_ARGS	"--node URL [--genesis HASH] [--update U.stmt] [--json]"

struct json_object;
struct fwg_coverage;
struct fwg_inv;
struct fwg_rollout;

/* Coverage counts as JSON: devices, running, installed, fell_back, refused, silent (no word yet). */
struct json_object *fwg_coverage_json(const struct fwg_coverage *c);
/* A rollout as JSON: plan digest and block, state, open stages at @now, and each stage's coverage. */
struct json_object *fwg_rollout_json(const struct fwg_inv *inv, const struct fwg_rollout *r, uint64_t now);
/* "rolling out", "paused" or "withdrawn". */
const char *fwg_rollout_state(const struct fwg_rollout *r);

/* argv[0] is "plan", "advance" or "status". */
int fwg_rollout_plan_cmd(int argc, char **argv);
int fwg_rollout_advance_cmd(int argc, char **argv);
int fwg_rollout_status_cmd(int argc, char **argv);

#endif
