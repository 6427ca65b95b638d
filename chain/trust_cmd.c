// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate's trust commands (issue 12; Documentation/fwgate/tools.rst, "Trust"): policy encodings, policy
 * lines, rotations, revocations and membership. A multi-signed transaction is made by one signer
 * ("propose", "publish", "member add|remove"), passed from signer to signer as a file, each adding their
 * signature offline ("sign"), and submitted once it has them all ("submit"). The file is the transaction
 * itself at every step. Private keys come from 0600 files, or from stdin with --key -.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "client.h"
#include "cmd.h"
#include "cmdutil.h"
#include "crypto.h"
#include "exit.h"
#include "files.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "trust_cmd.h"

struct topts {
	const char *key, *type, *out, *node, *from, *current, *next, *device, *name, *role, *member_key;
	const char *manufacturer;
	const char *checkers[FWGATE_MAX_CHECKERS];
	unsigned int nr_checkers, threshold, reason;
	unsigned long long epoch;
	uint8_t genesis[FWGATE_ID_LEN];
	const uint8_t *pin;
	int json;
};

static void __attribute__((noreturn)) usage(const char *cmd, const char *args)
{
	usagex("usage: fwgate %s %s", cmd, args);
}

static int topts_parse(int argc, char **argv, struct topts *o)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "type", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "node", required_argument, NULL, 'n' },
		{ "genesis", required_argument, NULL, 'G' },
		{ "from", required_argument, NULL, 'f' },
		{ "current", required_argument, NULL, 'C' },
		{ "next", required_argument, NULL, 'X' },
		{ "manufacturer", required_argument, NULL, 'm' },
		{ "checker", required_argument, NULL, 'c' },
		{ "threshold", required_argument, NULL, 'q' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "device", required_argument, NULL, 'd' },
		{ "reason", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'N' },
		{ "role", required_argument, NULL, 'R' },
		{ "member-key", required_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:t:o:n:m:c:q:d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->key = optarg; break;
		case 't': o->type = optarg; break;
		case 'o': o->out = optarg; break;
		case 'n': o->node = optarg; break;
		case 'f': o->from = optarg; break;
		case 'C': o->current = optarg; break;
		case 'X': o->next = optarg; break;
		case 'm': o->manufacturer = optarg; break;
		case 'd': o->device = optarg; break;
		case 'N': o->name = optarg; break;
		case 'R': o->role = optarg; break;
		case 'M': o->member_key = optarg; break;
		case 'J': o->json = 1; break;
		case 'G':
			fwg_genesis_arg(optarg, o->genesis);
			o->pin = o->genesis;
			break;
		case 'c':
			fwg_cmd_push(o->checkers, &o->nr_checkers, FWGATE_MAX_CHECKERS, optarg,
				     "--checker: at most %d");
			break;
		case 'q':
			o->threshold = fwg_cmd_positive("--threshold", optarg);
			break;
		case 'e':
			o->epoch = fwg_cmd_positive("--epoch", optarg);
			break;
		case 'r':
			/* 0 unspecified, 1 key compromised, 2 lost or stolen, 3 decommissioned, or another. */
			o->reason = fwg_cmd_number("--reason", optarg, 0, UINT32_MAX);
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* A private key from a 0600 file, or from stdin with "-" (a pipe from a secret store). */
static struct fwg_key *load_key(const char *path)
{
	static uint8_t buf[16384];
	struct fwg_key *key;
	size_t n = 0;
	ssize_t r;

	if (strcmp(path, "-"))
		return fwg_key_load_private(path);
	while (n < sizeof(buf) - 1 && (r = read(0, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
	key = fwg_key_parse(buf, n, 1, "stdin");
	memset(buf, 0, sizeof(buf));
	return key;
}

static void hex_of(const uint8_t *id, char out[2 * FWGATE_ID_LEN + 1])
{
	fwg_hex(id, FWGATE_ID_LEN, out);
}

/* Reads and decodes a policy encoding file; exits naming the field on a bad one. */
static uint8_t *read_policy(const char *path, struct fwg_policy *p, uint64_t *epoch, size_t *len)
{
	struct fwg_policy_err err;
	uint8_t *buf;

	if (fwg_read_file(path, &buf, len, FWG_POLICY_ENC_MAX))
		exit(1);
	if (fwg_policy_decode(buf, *len, p, epoch, &err))
		fatalx("%s: %s", path, err.msg);
	return buf;
}

/* The verified chain from a node, into a new state. */
static struct fwg_state *follow(const struct topts *o)
{
	struct fwg_state *st = fwg_state_new();
	struct fwg_err err;

	if (!st)
		fatalx("out of memory");
	if (fwg_node_follow_pinned(o->node, o->pin, st, NULL, NULL, &err))
		exit(fwg_follow_failed(&err));
	return st;
}

/* ------------------------------------------------------------------------------------ policy */

static int show_policy(const uint8_t *enc, size_t len, const struct fwg_policy *p, uint64_t epoch, int json,
		       const struct fwg_policy_epoch *on_chain)
{
	char hex[2 * FWGATE_ID_LEN + 1];
	uint8_t d[FWGATE_ID_LEN];
	struct json_object *j, *cs;
	unsigned int i;

	fwg_sha256(enc, len, d);
	if (json) {
		j = json_object_new_object();
		json_object_object_add(j, "digest", fwg_cmd_json_id(d));
		json_object_object_add(j, "epoch", json_object_new_uint64(epoch));
		json_object_object_add(j, "threshold", json_object_new_int(p->threshold));
		json_object_object_add(j, "manufacturer", fwg_cmd_json_id(p->manufacturer.id));
		cs = json_object_new_array();
		for (i = 0; i < p->k; i++)
			json_object_array_add(cs, fwg_cmd_json_id(p->checkers[i].id));
		json_object_object_add(j, "checkers", cs);
		if (on_chain) {
			json_object_object_add(j, "type", json_object_new_string(on_chain->o_type));
			json_object_object_add(j, "height", json_object_new_uint64(on_chain->height));
		}
		fwg_cmd_print_json(j);
		return 0;
	}
	hex_of(d, hex);
	printf("digest       %s\nepoch        %llu\n", hex, (unsigned long long)epoch);
	if (on_chain)
		printf("type         %.31s\nblock        %llu\n", on_chain->o_type,
		       (unsigned long long)on_chain->height);
	printf("threshold    %u of %u\n", p->threshold, p->k);
	hex_of(p->manufacturer.id, hex);
	printf("manufacturer %s\n", hex);
	for (i = 0; i < p->k; i++) {
		hex_of(p->checkers[i].id, hex);
		printf("checker      %s\n", hex);
	}
	return 0;
}

static int policy_create(int argc, char **argv)
{
	static const char args[] = FWG_POLICY_CREATE;
	static uint8_t enc[FWG_POLICY_ENC_MAX];
	struct fwg_policy_err err;
	struct fwg_policy p = {};
	struct topts o;
	unsigned int i;
	uint8_t *text;
	size_t n;

	if (topts_parse(argc, argv, &o) || optind != argc)
		usage("policy", args);
	fwg_cmd_need(o.out, "out");
	if (o.from) {
		if (fwg_read_file(o.from, &text, &n, 65536) || fwg_policy_parse(o.from, (char *)text, n, &p))
			return 1;
		free(text);
	} else {
		fwg_cmd_need(o.manufacturer, "manufacturer");
		if (!o.nr_checkers)
			usagex("missing --checker");
		if (fwg_pubkey_load(o.manufacturer, &p.manufacturer))
			return 1;
		p.k = o.nr_checkers;
		for (i = 0; i < p.k; i++)
			if (fwg_pubkey_load(o.checkers[i], &p.checkers[i]))
				return 1;
		p.threshold = o.threshold ? o.threshold : p.k / 2 + 1;
	}
	n = fwg_policy_encode(&p, o.epoch ? o.epoch : 1, enc, sizeof(enc), &err);
	if (!n)
		fatalx("%s", err.msg);
	if (fwg_write_file(o.out, enc, n, 0644))
		return 1;
	return show_policy(enc, n, &p, o.epoch ? o.epoch : 1, 0, NULL) ? 1 : 0;
}

static int policy_show(int argc, char **argv)
{
	static const char args[] = FWG_POLICY_SHOW;
	struct fwg_policy_epoch pe;
	struct fwg_policy_err err;
	struct fwg_pubkey m;
	struct fwg_policy p;
	struct fwg_state *st;
	struct topts o;
	uint64_t epoch;
	uint8_t *enc;
	size_t len;
	int ret;

	if (topts_parse(argc, argv, &o) || optind + !o.node != argc)
		usage("policy", args);
	if (!o.node) {
		enc = read_policy(argv[optind], &p, &epoch, &len);
		ret = show_policy(enc, len, &p, epoch, o.json, NULL);
		free(enc);
		return ret;
	}
	fwg_cmd_need(o.type, "type");
	if (o.manufacturer && fwg_pubkey_load(o.manufacturer, &m))
		return 1;
	st = follow(&o);
	if (fwg_state_line(st, o.type, o.manufacturer ? m.id : NULL, 0, &pe))
		fatalx("--type: device type \"%s\" has no policy line on the chain%s (fwgate policy publish)", o.type,
		       o.manufacturer ? " with this manufacturer" : "");
	if (fwg_policy_decode(pe.enc, pe.enc_len, &p, &epoch, &err))
		fatalx("the chain's policy: %s", err.msg);
	ret = show_policy(pe.enc, pe.enc_len, &p, epoch, o.json, &pe);
	if (!ret && o.out && fwg_write_file(o.out, pe.enc, pe.enc_len, 0644))
		ret = 1;
	fwg_state_free(st);
	return ret;
}

/* ------------------------------------------------------------------------------------ signing */

/* Signs msg with key into set (sorted); refuses a key that signed already. */
static void add_signature(struct fwg_sigset *set, struct fwg_key *key, const void *msg, size_t len)
{
	switch (fwg_sigset_add(set, key, msg, len)) {
	case -EINVAL:
		fatalx("--key: can not encode its public half");
	case -EEXIST:
		fatalx("--key: this key signed the transaction already");
	case -ENOSPC:
		fatalx("the transaction has %d signatures, the most it holds", FWG_SIGSET_MAX);
	case -EIO:
		fatalx("--key: signing failed");
	}
}

/* Writes a multi-signed transaction with one more signature, by the key of --key. */
static int write_signed(const char *path, uint8_t type, const void *stmt, size_t stmt_len, const uint8_t *payload,
			size_t payload_len, struct fwg_sigset *set, const char *key_path)
{
	static uint8_t buf[FWG_TX_MAX];
	struct fwg_key *key = load_key(key_path);
	size_t n;

	if (!key)
		return 1;
	add_signature(set, key, stmt, stmt_len);
	fwg_key_free(key);
	n = fwg_tx_encode_multi(type, stmt, stmt_len, payload, payload_len, set, buf, sizeof(buf));
	if (!n)
		fatalx("%s: the transaction does not fit %d bytes", path, FWG_TX_MAX);
	if (fwg_write_file(path, buf, n, 0644))
		return 1;
	printf("%s: %s, %u signature%s\n", path, fwg_tx_type_name(type), set->count, set->count == 1 ? "" : "s");
	return 0;
}

/* `fwgate policy|rotate|member sign --key K.key TX`: one more signature, in place. */
static int sign_tx(int argc, char **argv, const char *group, unsigned int type)
{
	struct fwg_err err;
	struct fwg_tx tx;
	struct topts o;
	uint8_t *buf;
	size_t len;
	int ret;

	if (topts_parse(argc, argv, &o) || optind != argc - 1)
		usage(group, FWG_SIGN);
	fwg_cmd_need(o.key, "key");
	if (fwg_read_file(argv[optind], &buf, &len, FWG_TX_MAX))
		return 1;
	if (fwg_tx_decode(buf, len, &tx, &err))
		fatalx("%s: %s", argv[optind], err.msg);
	if (tx.type != type)
		fatalx("%s: a %s transaction, not a %s one", argv[optind], fwg_tx_type_name(tx.type),
		       fwg_tx_type_name(type));
	ret = write_signed(argv[optind], tx.type, tx.msg, tx.msg_len, tx.payload, tx.payload_len, tx.sigs, o.key);
	fwg_tx_release(&tx);
	free(buf);
	return ret;
}

static int submit_files(int argc, char **argv, const char *cmd)
{
	struct topts o;
	uint8_t *buf;
	size_t len;
	int i, rc, ret = 0;

	if (topts_parse(argc, argv, &o) || optind == argc)
		usage(cmd, FWG_SUBMIT);
	fwg_cmd_need(o.node, "node");
	for (i = optind; i < argc; i++) {
		if (fwg_read_file(argv[i], &buf, &len, FWG_TX_MAX))
			return 1;
		rc = fwg_cmd_submit(o.node, argv[i], buf, len);
		free(buf);
		if (rc == FWG_EXIT_UNREACHABLE)
			return rc;
		if (rc)
			ret = 1;
	}
	return ret;
}

static int policy_publish(int argc, char **argv)
{
	static const char args[] = FWG_POLICY_PUBLISH;
	static struct fwg_sigset set;
	struct fwg_line_stmt ls = {};
	struct fwg_policy p;
	struct topts o;
	uint64_t epoch;
	uint8_t *enc;
	size_t len;
	int ret;

	if (topts_parse(argc, argv, &o) || optind != argc - 1)
		usage("policy", args);
	fwg_cmd_need(o.type, "type");
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.out, "out");
	if (strlen(o.type) >= FWGATE_NAME_LEN)
		usagex("--type: \"%s\" is longer than %d bytes", o.type, FWGATE_NAME_LEN - 1);
	enc = read_policy(argv[optind], &p, &epoch, &len);
	if (epoch != 1)
		fatalx("%s: epoch %llu; a line starts with its epoch-1 policy", argv[optind],
		       (unsigned long long)epoch);
	memcpy(ls.magic, FWG_MAGIC_LINE, sizeof(ls.magic));
	strcpy(ls.o_type, o.type);
	fwg_sha256(enc, len, ls.digest);
	ret = write_signed(o.out, FWG_TX_POLICY, &ls, sizeof(ls), enc, len, &set, o.key);
	free(enc);
	return ret;
}

static int policy_sign(int argc, char **argv)
{
	return sign_tx(argc, argv, "policy", FWG_TX_POLICY);
}

static int policy_submit(int argc, char **argv)
{
	return submit_files(argc, argv, "policy");
}

/* ------------------------------------------------------------------------------------ rotate */

static int rotate_propose(int argc, char **argv)
{
	static const char args[] = FWG_ROTATE_PROPOSE;
	static struct fwg_sigset set;
	struct fwgate_rotate_stmt stmt;
	struct fwg_policy_epoch pe;
	struct fwg_policy_err err;
	struct fwg_policy cur, next;
	struct fwg_state *st = NULL;
	struct fwg_pubkey m;
	struct topts o;
	uint64_t cur_epoch, next_epoch;
	uint8_t *cenc = NULL, *nenc;
	size_t clen, nlen;
	int ret;

	if (topts_parse(argc, argv, &o) || optind != argc || (!o.current == !o.node))
		usage("rotate", args);
	fwg_cmd_need(o.next, "next");
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.out, "out");
	if (o.current) {
		cenc = read_policy(o.current, &cur, &cur_epoch, &clen);
	} else {
		fwg_cmd_need(o.type, "type");
		if (o.manufacturer && fwg_pubkey_load(o.manufacturer, &m))
			return 1;
		st = follow(&o);
		if (fwg_state_line(st, o.type, o.manufacturer ? m.id : NULL, 0, &pe))
			fatalx("--type: device type \"%s\" has no policy line on the chain", o.type);
		if (fwg_policy_decode(pe.enc, pe.enc_len, &cur, &cur_epoch, &err))
			fatalx("the chain's policy: %s", err.msg);
	}
	nenc = read_policy(o.next, &next, &next_epoch, &nlen);
	if (fwg_rotation_stmt(&cur, cur_epoch, nenc, nlen, time(NULL), &stmt, &err))
		fatalx("%s: %s", o.next, err.msg);
	ret = write_signed(o.out, FWG_TX_ROTATE, &stmt, sizeof(stmt), nenc, nlen, &set, o.key);
	fwg_state_free(st);
	free(cenc);
	free(nenc);
	return ret;
}

static int rotate_sign(int argc, char **argv)
{
	return sign_tx(argc, argv, "rotate", FWG_TX_ROTATE);
}

static int rotate_submit(int argc, char **argv)
{
	return submit_files(argc, argv, "rotate");
}

/* The signatures a rotation has, and whose are still missing, against the policy in force. */
static int rotate_show(int argc, char **argv)
{
	static const char args[] = FWG_ROTATE_SHOW;
	char hex[2 * FWGATE_ID_LEN + 1];
	struct fwg_policy_err perr;
	struct fwg_policy cur, next;
	struct fwg_err err;
	struct fwg_tx tx;
	struct topts o;
	uint64_t epoch;
	uint8_t *buf, *cenc;
	unsigned int i;
	size_t len, clen;

	if (topts_parse(argc, argv, &o) || optind != argc - 1)
		usage("rotate", args);
	if (fwg_read_file(argv[optind], &buf, &len, FWG_TX_MAX))
		return 1;
	if (fwg_tx_decode(buf, len, &tx, &err) || tx.type != FWG_TX_ROTATE)
		fatalx("%s: %s", argv[optind], tx.type != FWG_TX_ROTATE ? "not a rotate transaction" : err.msg);
	if (fwg_policy_decode(tx.payload, tx.payload_len, &next, &epoch, &perr))
		fatalx("%s: %s", argv[optind], perr.msg);
	hex_of(tx.s.rotate.prev, hex);
	printf("from         %s epoch %llu\n", hex, (unsigned long long)be64toh(tx.s.rotate.prev_epoch));
	hex_of(tx.s.rotate.next, hex);
	printf("to           %s epoch %llu, %u of %u checkers\n", hex, (unsigned long long)epoch, next.threshold,
	       next.k);
	for (i = 0; i < tx.sigs->count; i++) {
		hex_of(tx.sigs->sig[i].key_id, hex);
		printf("signed by    %s\n", hex);
	}
	if (o.current) {
		cenc = read_policy(o.current, &cur, &epoch, &clen);
		if (fwg_rotation_check(&cur, epoch, &tx.s.rotate, tx.payload, tx.payload_len, tx.sigs, &next, &perr))
			printf("not yet      %s\n", perr.msg);
		else
			printf("complete     the rotation rule holds\n");
		free(cenc);
	}
	fwg_tx_release(&tx);
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------------------------ revoke, member */

int fwg_revoke_cmd(int argc, char **argv)
{
	static const char args[] = FWG_REVOKE_ARGS;
	static uint8_t buf[FWG_TX_MAX];
	struct fwgate_revoke_stmt v = {};
	struct fwg_pubkey pub;
	struct fwg_key *key;
	struct topts o;
	size_t n;

	if (topts_parse(argc, argv, &o) || optind != argc)
		usage("revoke", args);
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.device, "device");
	if (!o.node && !o.out)
		usagex("missing --node or --out");
	memcpy(v.magic, FWGATE_MAGIC_REVOKE, FWGATE_MAGIC_LEN);
	if (fwg_unhex(o.device, v.o_id, FWGATE_ID_LEN)) {
		if (fwg_pubkey_load(o.device, &pub))
			usagex("--device: \"%s\" is neither 64 hex digits nor a public key file", o.device);
		memcpy(v.o_id, pub.id, FWGATE_ID_LEN);
	}
	v.reason = htobe32(o.reason);
	v.time = htobe64(time(NULL));
	key = load_key(o.key);
	if (!key || fwg_key_encode(key, &pub))
		return 1;
	memcpy(v.m_id, pub.id, FWGATE_ID_LEN);
	n = fwg_tx_sign(key, FWG_TX_REVOKE, &v, sizeof(v), NULL, 0, NULL, 0, buf, sizeof(buf));
	fwg_key_free(key);
	if (!n)
		fatalx("revoke: signing failed");
	return fwg_cmd_emit(o.node, o.out, buf, n);
}

static unsigned int role_arg(const char *role)
{
	if (!role)
		usagex("missing --role");
	if (!strcmp(role, "manufacturer"))
		return FWG_ROLE_MANUFACTURER;
	if (!strcmp(role, "checker"))
		return FWG_ROLE_CHECKER;
	if (!strcmp(role, "operator"))
		return FWG_ROLE_OPERATOR;
	usagex("--role: \"%s\" is not manufacturer, checker or operator", role);
}

static int member_change(int argc, char **argv, int action)
{
	static const char add_args[] = FWG_MEMBER_ADD;
	static const char remove_args[] = FWG_MEMBER_REMOVE;
	static struct fwg_sigset set;
	struct fwg_member_stmt ms = {};
	struct fwg_pubkey pub = {};
	struct topts o;
	int ret;

	if (topts_parse(argc, argv, &o) || optind != argc)
		usage("member", action == FWG_MEMBER_JOIN ? add_args : remove_args);
	fwg_cmd_need(o.member_key, "member-key");
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.out, "out");
	memcpy(ms.magic, FWG_MAGIC_MEMBER, sizeof(ms.magic));
	ms.action = action;
	ms.role = role_arg(o.role);
	ms.issued = htobe64(time(NULL));
	if (action == FWG_MEMBER_JOIN) {
		fwg_cmd_need(o.name, "name");
		if (!*o.name || strlen(o.name) >= FWGATE_NAME_LEN)
			usagex("--name: \"%s\" is not 1 to %d bytes", o.name, FWGATE_NAME_LEN - 1);
		strcpy(ms.name, o.name);
		if (fwg_pubkey_load(o.member_key, &pub))
			return 1;
		ms.alg = pub.alg;
		memcpy(ms.key_id, pub.id, FWGATE_ID_LEN);
	} else if (fwg_unhex(o.member_key, ms.key_id, FWGATE_ID_LEN)) {
		if (fwg_pubkey_load(o.member_key, &pub))
			usagex("--member-key: \"%s\" is neither 64 hex digits nor a public key file", o.member_key);
		memcpy(ms.key_id, pub.id, FWGATE_ID_LEN);
		pub.len = 0;
	}
	ret = write_signed(o.out, FWG_TX_MEMBER, &ms, sizeof(ms), pub.data, action == FWG_MEMBER_JOIN ? pub.len : 0,
			   &set, o.key);
	return ret;
}

static int member_add(int argc, char **argv)
{
	return member_change(argc, argv, FWG_MEMBER_JOIN);
}

static int member_remove(int argc, char **argv)
{
	return member_change(argc, argv, FWG_MEMBER_LEAVE);
}

static int member_sign(int argc, char **argv)
{
	return sign_tx(argc, argv, "member", FWG_TX_MEMBER);
}

static int member_submit(int argc, char **argv)
{
	return submit_files(argc, argv, "member");
}

/* ------------------------------------------------------------------------------------ dispatch */

struct sub {
	const char *name;
	int (*fn)(int argc, char **argv);
};

/* argv[0] is the group ("policy"), argv[1] the subcommand; the subcommand sees itself as argv[0]. */
static int dispatch(const char *group, const struct sub *subs, size_t n, const char *list, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		usagex("usage: fwgate %s %s ...", group, list);
	for (i = 0; i < n; i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		/* As lib/cmd.c does one level up: "fwgate policy create --version" is the version. */
		if (argc == 3 && !strcmp(argv[2], "--version"))
			fwg_print_version("fwgate");
		return subs[i].fn(argc - 1, argv + 1);
	}
	usagex("fwgate %s: \"%s\" is not one of %s", group, argv[1], list);
}

int fwg_policy_cmd(int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "create", policy_create }, { "show", policy_show }, { "publish", policy_publish },
		{ "sign", policy_sign }, { "submit", policy_submit },
	};

	return dispatch("policy", subs, sizeof(subs) / sizeof(subs[0]), "create|show|publish|sign|submit", argc, argv);
}

int fwg_rotate_cmd(int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "propose", rotate_propose }, { "sign", rotate_sign }, { "submit", rotate_submit },
		{ "show", rotate_show },
	};

	return dispatch("rotate", subs, sizeof(subs) / sizeof(subs[0]), "propose|sign|submit|show", argc, argv);
}

int fwg_member_cmd(int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "add", member_add }, { "remove", member_remove }, { "sign", member_sign },
		{ "submit", member_submit },
	};

	return dispatch("member", subs, sizeof(subs) / sizeof(subs[0]), "add|remove|sign|submit", argc, argv);
}
