// SPDX-License-Identifier: GPL-2.0
/*
 * `fwgate rollout pause|resume|withdraw`: a control transaction (FWG_TX_CONTROL) signed by every --key given.
 * A withdrawal by checkers needs several of them: the first signs with --out, each next one adds its signature
 * with --sign TX, and whoever completes the quorum submits it with --node. The node checks who signed.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "cmd.h"
#include "cmdutil.h"
#include "control_cmd.h"
#include "exit.h"
#include "files.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"

struct control_opts {
	const char *update, *sign, *reason, *node, *out;
	const char *keys[FWGATE_MAX_CHECKERS + 1];
	unsigned int nr_keys;
	unsigned long long seq;
	int have_seq;
};

static void __attribute__((noreturn)) usage(const char *name)
{
	usagex("usage: fwgate rollout %s %s", name, FWG_CONTROL_ARGS);
}

static void parse(int argc, char **argv, struct control_opts *o)
{
	static const struct option longopts[] = {
		{ "update", required_argument, NULL, 'U' },
		{ "sign", required_argument, NULL, 'S' },
		{ "key", required_argument, NULL, 'k' },
		{ "seq", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'e' },
		{ "node", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "U:S:k:s:e:n:o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'U': o->update = optarg; break;
		case 'S': o->sign = optarg; break;
		case 'e': o->reason = optarg; break;
		case 'n': o->node = optarg; break;
		case 'o': o->out = optarg; break;
		case 'k':
			fwg_cmd_push(o->keys, &o->nr_keys, FWGATE_MAX_CHECKERS + 1, optarg, "--key: at most %d");
			break;
		case 's':
			o->seq = fwg_cmd_number("--seq", optarg, 0, ULLONG_MAX);
			o->have_seq = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || !o->nr_keys || !o->update == !o->sign)
		usage(argv[0]);
	if (o->sign && (o->have_seq || o->reason))
		usagex("--sign: the statement is signed already; --seq and --reason would change it");
}

/* --update: a signed update statement's file, or its U_id in hex. */
static void update_id(const char *arg, uint8_t u_id[FWGATE_ID_LEN])
{
	struct fwg_signed_stmt s;
	uint8_t *buf;
	size_t len;

	if (!fwg_unhex(arg, u_id, FWGATE_ID_LEN))
		return;
	if (fwg_read_file(arg, &buf, &len, FWG_TX_MAX))
		exit(1);
	if (fwg_stmt_parse(buf, len, &s))
		fatalx("--update: \"%s\" is neither 64 hex digits nor a signed update statement", arg);
	free(buf);
	memcpy(u_id, s.stmt.u_id, FWGATE_ID_LEN);
}

/* --sign: a control transaction of this kind, whose statement and signatures carry over. */
static void load_signed(const char *path, int kind, struct fwgate_control_stmt *s, struct fwg_sigset *set)
{
	struct fwg_err err;
	struct fwg_tx *tx = malloc(sizeof(*tx));
	uint8_t *buf;
	size_t len;

	if (!tx || fwg_read_file(path, &buf, &len, FWG_TX_MAX))
		exit(1);
	if (fwg_tx_decode(buf, len, tx, &err))
		fatalx("--sign: %s: %s", path, err.msg);
	if (tx->type != FWG_TX_CONTROL || fwg_control_kind(&tx->s.control) != kind)
		fatalx("--sign: %s is not a %s transaction", path, fwg_control_name(kind));
	*s = tx->s.control;
	if (fwg_control_sigs(tx, set))
		fatalx("--sign: %s: malformed signature set", path);
	fwg_tx_release(tx);
	free(tx);
	free(buf);
}

static void add_sig(struct fwg_sigset *set, const char *path, const struct fwgate_control_stmt *s)
{
	struct fwg_key *key = fwg_key_load_private(path);

	if (!key)
		exit(1);
	switch (fwg_sigset_add(set, key, s, sizeof(*s))) {
	case -EINVAL:
		exit(1);
	case -EEXIST:
		fatalx("--key: %s signed this statement already", path);
	case -ENOSPC:
		fatalx("--key: a signature set holds at most %d signatures", FWG_SIGSET_MAX);
	case -EIO:
		fatalx("--key: %s: signing failed", path);
	}
	fwg_key_free(key);
}

static int control_cmd(int argc, char **argv, int kind, const char *magic)
{
	static struct fwg_sigset set;
	static uint8_t buf[FWG_TX_MAX];
	struct fwgate_control_stmt s = {};
	struct control_opts o;
	unsigned int i;
	uint8_t *note;
	size_t n;

	parse(argc, argv, &o);
	memset(&set, 0, sizeof(set));
	if (o.sign) {
		load_signed(o.sign, kind, &s, &set);
	} else {
		memcpy(s.magic, magic, FWGATE_MAGIC_LEN);
		update_id(o.update, s.u_id);
		s.issued = htobe64(time(NULL));
		/* A pause or resume in force is the one with the highest seq: by default, the newest. */
		s.seq = htobe64(o.have_seq ? o.seq : kind == FWG_CONTROL_WITHDRAW ? 0 : (uint64_t)time(NULL));
		if (o.reason) {
			if (fwg_read_file(o.reason, &note, &n, 1 << 24))
				return 1;
			fwg_sha256(note, n, s.reason);
			free(note);
		}
	}
	for (i = 0; i < o.nr_keys; i++)
		add_sig(&set, o.keys[i], &s);
	n = fwg_control_encode(&s, &set, buf, sizeof(buf));
	if (!n)
		fatalx("the control transaction does not fit in %d bytes", FWG_TX_MAX);
	return fwg_cmd_emit(o.node, o.out, buf, n);
}

int fwg_rollout_pause_cmd(int argc, char **argv)
{
	return control_cmd(argc, argv, FWG_CONTROL_PAUSE, FWGATE_MAGIC_PAUSE);
}

int fwg_rollout_resume_cmd(int argc, char **argv)
{
	return control_cmd(argc, argv, FWG_CONTROL_RESUME, FWGATE_MAGIC_RESUME);
}

int fwg_rollout_withdraw_cmd(int argc, char **argv)
{
	return control_cmd(argc, argv, FWG_CONTROL_WITHDRAW, FWGATE_MAGIC_WITHDRAW);
}
