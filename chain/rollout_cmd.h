/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgate rollout: the manufacturer's staged rollouts (Documentation/fwgate/tools.rst, "rollout"). Its
 * subcommands are one table in chain/rollout_cmd.c; a subcommand that lives in another file (pause, resume,
 * withdraw) is declared here and takes one line of that table.
 */
#ifndef FWG_ROLLOUT_CMD_H
#define FWG_ROLLOUT_CMD_H

#define FWG_ROLLOUT_ARGS "plan|advance|status ... (fwgate rollout --help)"

/* `fwgate rollout SUBCOMMAND ...`; argv[0] is "rollout". */
int fwg_rollout_cmd(int argc, char **argv);

#endif
