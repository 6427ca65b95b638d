/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgate rollout: the manufacturer's staged rollouts (Documentation/fwgate/tools.rst, "rollout"). Its
 * subcommands are one table in chain/rollout_cmd.c; a subcommand that lives in another file (pause, resume,
 * withdraw) is declared here and takes one line of that table.
 */
#ifndef FWG_ROLLOUT_CMD_H
#define FWG_ROLLOUT_CMD_H

#include <stdint.h>

#define FWG_ROLLOUT_ARGS "plan|advance|status ... (fwgate rollout --help)"

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

/* `fwgate rollout SUBCOMMAND ...`; argv[0] is "rollout". */
int fwg_rollout_cmd(int argc, char **argv);

#endif
