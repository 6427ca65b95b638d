/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `fwgate rollout pause|resume|withdraw` (Documentation/fwgate/tools.rst): sign a control statement
 * (struct fwgate_control_stmt) with one or more keys, or add signatures to one signed before, and submit it.
 */
#ifndef FWG_CONTROL_CMD_H
#define FWG_CONTROL_CMD_H

#define FWG_CONTROL_ARGS \
	"(--update U.stmt|U_ID | --sign TX) --key K.key... [--seq N] [--reason FILE] [--node URL] [--out TX]"

/* argv[0] is "pause", "resume" or "withdraw". */
int fwg_rollout_pause_cmd(int argc, char **argv);
int fwg_rollout_resume_cmd(int argc, char **argv);
int fwg_rollout_withdraw_cmd(int argc, char **argv);

#endif
