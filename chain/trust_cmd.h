/* SPDX-License-Identifier: GPL-2.0 */
/* fwgate's trust commands (chain/trust_cmd.c): policy, rotate, revoke, member. argv[0] is the command. */
#ifndef FWG_TRUST_CMD_H
#define FWG_TRUST_CMD_H

#define FWG_KEY_ARG "--key K.key|-"

#define FWG_POLICY_CREATE "create {--manufacturer M.pub --checker C.pub... [--threshold Q] | --from POLICY} " \
	"[--epoch N] --out P.enc"
#define FWG_POLICY_SHOW "show [--json] {P.enc | --node URL [--genesis HASH] --type T [--manufacturer M.pub] " \
	"[--out P.enc]}"
#define FWG_POLICY_PUBLISH "publish --type T " FWG_KEY_ARG " --out LINE.tx P.enc"
#define FWG_ROTATE_PROPOSE "propose {--current CUR.enc | --node URL [--genesis HASH] --type T " \
	"[--manufacturer M.pub]} --next NEXT.enc " FWG_KEY_ARG " --out ROT.tx"
#define FWG_ROTATE_SHOW "show [--current CUR.enc] ROT.tx"
#define FWG_MEMBER_ADD "add --role R --name N --member-key NEW.pub " FWG_KEY_ARG " --out MB.tx"
#define FWG_MEMBER_REMOVE "remove --role R --member-key OLD.pub|ID " FWG_KEY_ARG " --out MB.tx"
#define FWG_SIGN "sign " FWG_KEY_ARG " TX"
#define FWG_SUBMIT "submit --node URL TX..."

/* `fwgate COMMAND --help` prints these: every subcommand's synopsis, one a line. */
#define FWG_POLICY_ARGS FWG_POLICY_CREATE "\n       fwgate policy " FWG_POLICY_SHOW \
	"\n       fwgate policy " FWG_POLICY_PUBLISH "\n       fwgate policy " FWG_SIGN \
	"\n       fwgate policy " FWG_SUBMIT
#define FWG_ROTATE_ARGS FWG_ROTATE_PROPOSE "\n       fwgate rotate " FWG_SIGN \
	"\n       fwgate rotate " FWG_ROTATE_SHOW "\n       fwgate rotate " FWG_SUBMIT
#define FWG_REVOKE_ARGS FWG_KEY_ARG " --device ID|D.pub [--reason R] [--node URL] [--out TX]"
#define FWG_MEMBER_ARGS FWG_MEMBER_ADD "\n       fwgate member " FWG_MEMBER_REMOVE \
	"\n       fwgate member " FWG_SIGN "\n       fwgate member " FWG_SUBMIT

int fwg_policy_cmd(int argc, char **argv);
int fwg_rotate_cmd(int argc, char **argv);
int fwg_revoke_cmd(int argc, char **argv);
int fwg_member_cmd(int argc, char **argv);

#endif
