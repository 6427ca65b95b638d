/* SPDX-License-Identifier: GPL-2.0 */
/* fwgate's trust commands (chain/trust_cmd.c): policy, rotate, revoke, member. argv[0] is the command. */
#ifndef FWG_TRUST_CMD_H
#define FWG_TRUST_CMD_H

#define FWG_POLICY_ARGS "create|show|publish|sign|submit ... (fwgate policy SUBCOMMAND --help)"
#define FWG_ROTATE_ARGS "propose|sign|submit|show ..."
#define FWG_REVOKE_ARGS "--key M.key|- --device ID|D.pub [--reason R] [--node URL] [--out TX]"
#define FWG_MEMBER_ARGS "add|remove|sign|submit ..."

int fwg_policy_cmd(int argc, char **argv);
int fwg_rotate_cmd(int argc, char **argv);
int fwg_revoke_cmd(int argc, char **argv);
int fwg_member_cmd(int argc, char **argv);

#endif
