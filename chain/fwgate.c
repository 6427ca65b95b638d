// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate: the consortium members' tool. Manufacturers generate keys, provision devices and publish signed
 * update statements; checkers approve or reject them; with --node, each is also submitted to the ledger
 * (Documentation/fwgate/ledger.rst). Private keys are read only from 0600 files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <endian.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "audit.h"
#include "client.h"
#include "cmdutil.h"
#include "control_cmd.h"
#include "exit.h"
#include "cmd.h"
#include "files.h"
#include "keys.h"
#include "ledger.h"
#include "seal.h"
#include "log.h"
#include "nl.h"
#include "progress.h"
#include "trust_cmd.h"
#include "rollout_cmd.h"

#define OUT_MAX FWG_TX_MAX

struct opts {
	const char *key, *image, *type, *target, *device, *out, *report, *device_key, *manufacturer;
	const char *alg, *node, *name, *update, *culprit, *reason, *chunks;
	const char *checkers[FWGATE_MAX_CHECKERS];
	unsigned int nr_checkers;
	const char *types[FWG_MAX_TYPES];
	unsigned int nr_types;
	const char *urls[FWG_MAX_URLS];
	unsigned int nr_urls;
	const char *manufacturers[FWG_MAX_MEMBERS];
	unsigned int nr_manufacturers;
	const char **recipients;
	unsigned int nr_recipients;
	int quiet, json;
	const char *progress;
	uint8_t genesis[FWGATE_ID_LEN];
	const uint8_t *pin;		/* genesis when --genesis was given */
	unsigned long long version;
	unsigned int threshold;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "image", required_argument, NULL, 'i' },
		{ "type", required_argument, NULL, 't' },
		{ "target", required_argument, NULL, 'g' },
		{ "device", required_argument, NULL, 'd' },
		{ "device-key", required_argument, NULL, 'D' },
		{ "out", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, 'r' },
		{ "version", required_argument, NULL, 'v' },
		{ "threshold", required_argument, NULL, 'q' },
		{ "manufacturer", required_argument, NULL, 'm' },
		{ "checker", required_argument, NULL, 'c' },
		{ "alg", required_argument, NULL, 'a' },
		{ "node", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },
		{ "url", required_argument, NULL, 'u' },
		{ "update", required_argument, NULL, 'U' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "recipient", required_argument, NULL, 'R' },
		{ "culprit", required_argument, NULL, 'C' },
		{ "reason", required_argument, NULL, 'e' },
		{ "chunks", required_argument, NULL, 'H' },
		{ "genesis", required_argument, NULL, 'G' },
		{ "json", no_argument, NULL, 'J' },
		{ "progress", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "k:i:t:g:d:D:o:r:v:q:m:c:a:n:N:u:U:QR:C:e:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->key = optarg; break;
		case 'C': o->culprit = optarg; break;
		case 'e': o->reason = optarg; break;
		case 'i': o->image = optarg; break;
		case 'H': o->chunks = optarg; break;
		case 't':
			fwg_cmd_push(o->types, &o->nr_types, FWG_MAX_TYPES, optarg, "at most %d types");
			o->type = optarg;
			break;
		case 'n': o->node = optarg; break;
		case 'N': o->name = optarg; break;
		case 'U': o->update = optarg; break;
		case 'Q': o->quiet = 1; break;
		case 'J': o->json = 1; break;
		case 'P': o->progress = optarg; break;
		case 'G':
			fwg_genesis_arg(optarg, o->genesis);
			o->pin = o->genesis;
			break;
		case 'R':
			o->recipients = realloc(o->recipients, (o->nr_recipients + 1) * sizeof(*o->recipients));
			if (!o->recipients || o->nr_recipients == FWG_SEAL_MAX_RECIPIENTS)
				usagex("too many --recipient");
			o->recipients[o->nr_recipients++] = optarg;
			break;
		case 'u':
			fwg_cmd_push(o->urls, &o->nr_urls, FWG_MAX_URLS, optarg, "at most %d --url");
			break;
		case 'g': o->target = optarg; break;
		case 'd': o->device = optarg; break;
		case 'D': o->device_key = optarg; break;
		case 'o': o->out = optarg; break;
		case 'r': o->report = optarg; break;
		case 'm':
			fwg_cmd_push(o->manufacturers, &o->nr_manufacturers, FWG_MAX_MEMBERS, optarg,
				     "at most %d manufacturers");
			o->manufacturer = optarg;
			break;
		case 'a': o->alg = optarg; break;
		case 'c':
			fwg_cmd_push(o->checkers, &o->nr_checkers, FWGATE_MAX_CHECKERS, optarg,
				     "at most %d checkers");
			break;
		case 'v':
			o->version = fwg_cmd_positive("--version", optarg);
			break;
		case 'q':
			o->threshold = fwg_cmd_positive("--threshold", optarg);
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* The command table, for cmd_usage: set by main. */
static const struct fwg_cmd *commands_of;
static size_t nr_commands;

/* A usage error in command @name: its synopsis from the table, on stderr; exits FWG_EXIT_USAGE. */
static void __attribute__((noreturn)) cmd_usage(const char *name)
{
	size_t i;

	for (i = 0; i < nr_commands && strcmp(commands_of[i].name, name); i++)
		;
	usagex("usage: fwgate %s %s", name, i < nr_commands ? commands_of[i].args : "");
}

static void copy_name(char *dst, const char *src, const char *what)
{
	if (strlen(src) >= FWGATE_NAME_LEN)
		usagex("--%s: \"%s\" is longer than %d bytes", what, src, FWGATE_NAME_LEN - 1);
	memset(dst, 0, FWGATE_NAME_LEN);
	strcpy(dst, src);
}

static int cmd_keygen(int argc, char **argv)
{
	char priv[4096], pub[4096];
	struct opts o;
	uint32_t alg;

	if (parse_opts(argc, argv, &o) || optind != argc - 1)
		cmd_usage(argv[0]);
	alg = !o.alg || !strcmp(o.alg, "rsa3072") ? FWGATE_KEY_RSA3072 :
	      !strcmp(o.alg, "p256") ? FWGATE_KEY_P256 : 0;
	if (!alg)
		usagex("--alg: \"%s\" is neither rsa3072 nor p256", o.alg);
	snprintf(priv, sizeof(priv), "%s.key", argv[optind]);
	snprintf(pub, sizeof(pub), "%s.pub", argv[optind]);
	return fwg_key_generate(alg, priv, pub) ? 1 : 0;
}

static int write_out(const char *path, const void *buf, size_t len)
{
	return fwg_write_file(path, buf, len, 0644) ? 1 : 0;
}

static int cmd_publish(int argc, char **argv)
{
	struct fwg_signed_stmt s = {};
	struct fwg_pubkey pub;
	uint8_t buf[OUT_MAX], *chunks;
	uint64_t size;
	size_t sig_len = sizeof(s.sig), chunks_len, n;
	struct fwg_key *key;
	struct opts o;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.image, "image");
	fwg_cmd_need(o.type, "type");
	fwg_cmd_need(o.target, "target");
	fwg_cmd_need(o.out, "out");
	if (!o.version)
		usagex("missing --version");
	key = fwg_key_load_private(o.key);
	if (!key || fwg_key_encode(key, &pub))
		return 1;

	memcpy(s.stmt.magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
	memcpy(s.stmt.m_id, pub.id, FWGATE_ID_LEN);
	if (fwg_image_digests(o.image, s.stmt.u_id, &size, &chunks, &chunks_len))
		return 1;
	if (!size)
		fatalx("%s: empty image", o.image);
	fwg_chunks_digest(chunks, chunks_len, s.stmt.chunks);
	s.stmt.size = htobe64(size);
	s.stmt.version = htobe64(o.version);
	copy_name(s.stmt.o_type, o.type, "type");
	copy_name(s.stmt.target, o.target, "target");
	if (o.device && fwg_unhex(o.device, s.stmt.o_id, FWGATE_ID_LEN))
		usagex("--device: \"%s\" is not 64 hex digits", o.device);
	s.stmt.issued = htobe64(time(NULL));
	if (fwg_sign(key, &s.stmt, sizeof(s.stmt), s.sig, &sig_len))
		return 1;
	s.sig_len = sig_len;
	fwg_key_free(key);
	if (write_out(o.out, buf, fwg_stmt_encode(&s, buf, sizeof(buf))) ||
	    (o.chunks && write_out(o.chunks, chunks, chunks_len)))
		return 1;
	if (!o.node)
		return 0;
	n = fwg_tx_encode_signed(FWG_TX_UPDATE, &s.stmt, sizeof(s.stmt), s.sig, s.sig_len, o.urls, o.nr_urls,
				 chunks, chunks_len, buf, sizeof(buf));
	if (!n)
		fatalx("%s: its %zu-byte hash list and the statement do not fit a %d-byte transaction", o.image,
		       chunks_len, FWG_TX_MAX);
	free(chunks);
	return fwg_cmd_submit(o.node, NULL, buf, n);
}

/*
 * Puts an image in the chain as blob transactions, one chunk at a time (the image is never read whole), after
 * its update. A chunk the chain holds already (409) is skipped, so an interrupted upload can be run again.
 */
static int cmd_upload(int argc, char **argv)
{
	static uint8_t chunk[FWG_BLOB_CHUNK], buf[FWG_TX_MAX];
	uint8_t u_id[FWGATE_ID_LEN];
	unsigned int sent = 0, had = 0;
	struct fwg_progress pr;
	struct fwg_pubkey pub;
	char answer[1024], path[4096];
	uint32_t i, count, n;
	struct fwg_key *key;
	uint64_t size;
	struct opts o;
	size_t len;
	long code;
	FILE *f;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.image, "image");
	fwg_cmd_need(o.node, "node");
	key = fwg_key_load_private(o.key);
	if (!key || fwg_key_encode(key, &pub) || fwg_sha256_file(o.image, u_id, &size))
		return 1;
	count = fwg_blob_count(size);
	f = fopen(o.image, "rb");
	if (!f || !count)
		fatalx("%s: can not be read, or empty", o.image);
	if (fwg_progress_start(&pr, "upload", size, o.progress))
		usagex("upload: --progress \"%s\": not auto, bar, lines nor none", o.progress);
	for (i = 0; i < count; i++) {
		n = fwg_blob_chunk_len(size, i);
		if (fread(chunk, 1, n, f) != n)
			fatalx("%s: changed while being read", o.image);
		len = fwg_blob_sign(key, pub.id, u_id, size, i, chunk, buf, sizeof(buf));
		if (!len)
			fatalx("chunk %u: signing failed", i);
		snprintf(path, sizeof(path), "%s.%u", o.out ? o.out : "", i);
		if (o.out && write_out(path, buf, len))
			return 1;
		code = fwg_node_submit(o.node, buf, len, answer, sizeof(answer));
		fwg_progress_add(&pr, n);
		if (code == 409) {
			had++;
			continue;
		}
		if (code < 0) {
			log_warnx("%s/tx: chunk %u of %u: the node could not be reached", o.node, i, count);
			return FWG_EXIT_UNREACHABLE;
		}
		if (code != 200) {
			log_warnx("%s/tx: chunk %u of %u refused with HTTP %ld: %s", o.node, i, count, code, answer);
			return 1;
		}
		sent++;
	}
	fwg_progress_end(&pr);
	fclose(f);
	fwg_key_free(key);
	fwg_hex(u_id, FWGATE_ID_LEN, path);
	printf("image %s: %llu bytes in %u chunks, %u appended, %u already in the chain\n", path,
	       (unsigned long long)size, count, sent, had);
	return 0;
}

static int read_stmt(const char *path, struct fwg_signed_stmt *s)
{
	uint8_t *buf;
	size_t len;
	int err;

	if (fwg_read_file(path, &buf, &len, OUT_MAX))
		return -1;
	err = fwg_stmt_parse(buf, len, s);
	free(buf);
	if (err)
		log_warnx("%s: not a signed update statement", path);
	return err;
}

static int verdict(int argc, char **argv, uint32_t kind)
{
	struct fwgate_verdict_stmt msg;
	struct fwg_signed_stmt s;
	struct fwg_verdict v = { .kind = kind };
	struct fwg_pubkey pub;
	uint8_t buf[OUT_MAX];
	uint64_t size;
	size_t sig_len = sizeof(v.sig);
	struct fwg_key *key;
	struct opts o;

	if (parse_opts(argc, argv, &o) || optind != argc - 1)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.out, "out");
	if (read_stmt(argv[optind], &s))
		return 1;
	key = fwg_key_load_private(o.key);
	if (!key || fwg_key_encode(key, &pub))
		return 1;
	memcpy(v.checker, pub.id, FWGATE_ID_LEN);
	if (o.report && fwg_sha256_file(o.report, v.report, &size))
		return 1;
	fwg_verdict_message(&v, &s.stmt, &msg);
	if (fwg_sign(key, &msg, sizeof(msg), v.sig, &sig_len))
		return 1;
	v.sig_len = sig_len;
	fwg_key_free(key);
	if (write_out(o.out, buf, fwg_verdict_encode(&v, buf, sizeof(buf))))
		return 1;
	if (!o.node)
		return 0;
	return fwg_cmd_submit(o.node, NULL, buf,
			      fwg_tx_encode_signed(kind == FWGATE_VERDICT_APPROVE ? FWG_TX_APPROVE : FWG_TX_REJECT,
						   &msg, sizeof(msg), v.sig, v.sig_len, NULL, 0, NULL, 0, buf,
						   sizeof(buf)));
}

static int cmd_approve(int argc, char **argv)
{
	return verdict(argc, argv, FWGATE_VERDICT_APPROVE);
}

static int cmd_reject(int argc, char **argv)
{
	return verdict(argc, argv, FWGATE_VERDICT_REJECT);
}

static int cmd_provision(int argc, char **argv)
{
	struct fwg_policy p = {};
	struct fwg_pubkey dev;
	char text[16384];
	struct opts o;
	unsigned int i;
	int n;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.manufacturer, "manufacturer");
	fwg_cmd_need(o.type, "type");
	fwg_cmd_need(o.device_key, "device-key");
	fwg_cmd_need(o.out, "out");
	if (!o.nr_checkers)
		usagex("missing --checker");
	p.k = o.nr_checkers;
	p.threshold = o.threshold ? o.threshold : p.k / 2 + 1;
	if (p.threshold < p.k / 2 + 1 || p.threshold > p.k)
		usagex("--threshold: %u is not between floor(k/2)+1 = %u and k = %u", p.threshold,
		       p.k / 2 + 1, p.k);
	copy_name(p.otype, o.type, "type");
	if (fwg_pubkey_load(o.manufacturer, &p.manufacturer) || fwg_pubkey_load(o.device_key, &dev))
		return 1;
	memcpy(p.device_id, dev.id, FWGATE_ID_LEN);
	for (i = 0; i < p.k; i++)
		if (fwg_pubkey_load(o.checkers[i], &p.checkers[i]))
			return 1;
	n = fwg_policy_format(&p, text, sizeof(text));
	if (n < 0)
		fatalx("policy too large");
	return write_out(o.out, text, n);
}

static int cmd_show(int argc, char **argv)
{
	char hex[2 * FWGATE_ID_LEN + 1];
	struct fwg_signed_stmt s;

	if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
		if (argc > 1)
			log_warnx("show: \"%s\": %s", argv[argc > 2 ? 2 : 1],
				  argc > 2 ? "one word too many" : "unknown option");
		cmd_usage(argv[0]);
	}
	if (read_stmt(argv[1], &s))
		return 1;
	fwg_hex(s.stmt.u_id, FWGATE_ID_LEN, hex);
	printf("update %s\n", hex);
	printf("  version %llu, %llu bytes, type %s, target %s\n",
	       (unsigned long long)be64toh(s.stmt.version), (unsigned long long)be64toh(s.stmt.size),
	       s.stmt.o_type, s.stmt.target);
	fwg_hex(s.stmt.m_id, FWGATE_ID_LEN, hex);
	printf("  manufacturer %s\n", hex);
	fwg_hex(s.stmt.chunks, FWGATE_ID_LEN, hex);
	printf("  hash list %s\n", hex);
	return 0;
}

/* A member's name: its key file's name without directory and extension. */
static void member_name(char *dst, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strcspn(base, ".");

	if (n >= FWGATE_NAME_LEN)
		n = FWGATE_NAME_LEN - 1;
	memset(dst, 0, FWGATE_NAME_LEN);
	memcpy(dst, base, n);
}

static int cmd_genesis(int argc, char **argv)
{
	static struct fwg_genesis g;
	static uint8_t buf[FWG_TX_MAX];
	unsigned int i, j, q;
	struct opts o;
	size_t n;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.name, "name");
	fwg_cmd_need(o.out, "out");
	if (!o.nr_manufacturers || !o.nr_checkers || !o.nr_types)
		usagex("missing --manufacturer, --checker or --type");
	if (o.nr_manufacturers + o.nr_checkers > FWG_MAX_MEMBERS)
		usagex("at most %d members", FWG_MAX_MEMBERS);
	q = o.threshold ? o.threshold : o.nr_checkers / 2 + 1;
	if (q < o.nr_checkers / 2 + 1 || q > o.nr_checkers)
		usagex("--threshold: %u is not between floor(k/2)+1 = %u and k = %u", q, o.nr_checkers / 2 + 1,
		       o.nr_checkers);
	g.time = time(NULL);
	copy_name(g.name, o.name, "name");
	for (i = 0; i < o.nr_manufacturers + o.nr_checkers; i++) {
		const char *path = i < o.nr_manufacturers ? o.manufacturers[i] : o.checkers[i - o.nr_manufacturers];

		g.members[i].role = i < o.nr_manufacturers ? FWG_ROLE_MANUFACTURER : FWG_ROLE_CHECKER;
		member_name(g.members[i].name, path);
		if (fwg_pubkey_load(path, &g.members[i].key))
			return 1;
	}
	g.nr_members = i;
	for (i = 0; i < o.nr_types; i++) {
		copy_name(g.types[i].o_type, o.types[i], "type");
		g.types[i].k = o.nr_checkers;
		g.types[i].q = q;
		for (j = 0; j < o.nr_checkers; j++)
			memcpy(g.types[i].checkers[j], g.members[o.nr_manufacturers + j].key.id, FWGATE_ID_LEN);
	}
	g.nr_types = o.nr_types;
	n = fwg_genesis_encode(&g, buf, sizeof(buf));
	if (!n)
		fatalx("genesis too large");
	return write_out(o.out, buf, n);
}

/* Signs stmt, writes the transaction to --out if given and submits it to --node if given. */
static int emit(const struct opts *o, struct fwg_key *key, uint8_t type, const void *stmt, size_t len)
{
	static uint8_t buf[FWG_TX_MAX];
	size_t n = fwg_tx_sign(key, type, stmt, len, NULL, 0, NULL, 0, buf, sizeof(buf));

	fwg_key_free(key);
	if (!n)
		return 1;
	return fwg_cmd_emit(o->node, o->out, buf, n);
}

static int cmd_certify(int argc, char **argv)
{
	struct fwgate_devcert_stmt c = {};
	struct fwg_pubkey mpub, dev;
	struct fwg_key *key;
	struct opts o;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.type, "type");
	fwg_cmd_need(o.device_key, "device-key");
	key = fwg_key_load_private(o.key);
	if (!key || fwg_key_encode(key, &mpub) || fwg_pubkey_load(o.device_key, &dev))
		return 1;
	if (dev.alg != FWGATE_KEY_P256)
		fatalx("--device-key: %s is not a P-256 key", o.device_key);
	memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
	memcpy(c.m_id, mpub.id, FWGATE_ID_LEN);
	copy_name(c.o_type, o.type, "type");
	memcpy(c.pubkey, dev.data, sizeof(c.pubkey));
	return emit(&o, key, FWG_TX_DEVCERT, &c, sizeof(c));
}

/* A negative ack of the update, naming its culprit by key id (hex) or public key file. */
static int nack(const struct opts *o, struct fwg_key *key, const struct fwg_pubkey *dev, const uint8_t *u_id)
{
	struct fwgate_nack_stmt n = {};
	struct fwg_pubkey culprit;
	int r = o->reason ? fwg_nack_reason_parse(o->reason) : FWGATE_NACK_REFUSED;
	char names[256];
	unsigned int i;
	size_t len = 0;

	if (r < 0) {
		for (i = 0; i < FWG_NR_NACK_REASONS; i++)
			len += snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "", fwg_nack_reason_name(i));
		usagex("--reason: \"%s\" is none of %s", o->reason, names);
	}
	memcpy(n.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
	memcpy(n.u_id, u_id, FWGATE_ID_LEN);
	memcpy(n.o_id, dev->id, FWGATE_ID_LEN);
	if (fwg_unhex(o->culprit, n.culprit_id, FWGATE_ID_LEN)) {
		if (fwg_pubkey_load(o->culprit, &culprit))
			usagex("--culprit: \"%s\" is neither 64 hex digits nor a public key file", o->culprit);
		memcpy(n.culprit_id, culprit.id, FWGATE_ID_LEN);
	}
	n.reason = htobe32(r);
	n.time = htobe64(time(NULL));
	return emit(o, key, FWG_TX_NACK, &n, sizeof(n));
}

/* An ack, or with --culprit a nack; @nack: a nack only (fwgate nack), whose culprit must be named. */
static int ack_or_nack(int argc, char **argv, int nack_only)
{
	struct fwgate_ack_stmt a = {};
	struct fwg_signed_stmt s;
	struct fwg_pubkey dev;
	struct fwg_key *key;
	struct opts o;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.update, "update");
	if (nack_only)
		fwg_cmd_need(o.culprit, "culprit");
	if (read_stmt(o.update, &s))
		return 1;
	key = fwg_key_load_private(o.key);
	if (!key || fwg_key_encode(key, &dev))
		return 1;
	if (o.culprit)
		return nack(&o, key, &dev, s.stmt.u_id);
	if (o.reason)
		fatalx("--reason: only a nack has one; name its culprit with --culprit");
	memcpy(a.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
	memcpy(a.u_id, s.stmt.u_id, FWGATE_ID_LEN);
	memcpy(a.o_id, dev.id, FWGATE_ID_LEN);
	a.version = s.stmt.version;
	memcpy(a.target, s.stmt.target, FWGATE_NAME_LEN);
	a.time = htobe64(time(NULL));
	return emit(&o, key, FWG_TX_ACK, &a, sizeof(a));
}

static int cmd_ack(int argc, char **argv)
{
	return ack_or_nack(argc, argv, 0);
}

static int cmd_nack(int argc, char **argv)
{
	return ack_or_nack(argc, argv, 1);
}

static int cmd_submit(int argc, char **argv)
{
	struct opts o;
	uint8_t *buf;
	size_t len;
	int i, rc, err = 0;

	if (parse_opts(argc, argv, &o) || optind == argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.node, "node");
	for (i = optind; i < argc; i++) {
		if (fwg_read_file(argv[i], &buf, &len, 2 * FWG_TX_MAX))
			return 1;
		rc = fwg_cmd_submit(o.node, NULL, buf, len);
		err = err ? err : rc;
		free(buf);
	}
	return err;
}

struct chain_print {
	int quiet;
	uint64_t nr_tx;
	struct json_object *blocks;	/* --json: the blocks, printed once the chain verified */
};

/* One block's line and its transactions', or its JSON object. */
static int print_block(const uint8_t *data, size_t len, void *arg)
{
	char hex[2 * FWGATE_ID_LEN + 1];
	struct chain_print *pr = arg;
	struct json_object *jb = NULL, *jtxs = NULL, *jt;
	const char *reason;
	struct fwg_block b;
	struct fwg_err err;
	uint32_t i;

	if (fwg_block_decode(data, len, &b, &err))
		return 0;
	pr->nr_tx += b.hdr.nr_tx;
	fwg_hex(b.hash, FWGATE_ID_LEN, hex);
	if (pr->blocks) {
		jb = json_object_new_object();
		jtxs = json_object_new_array();
		json_object_object_add(jb, "height", json_object_new_uint64(b.hdr.height));
		json_object_object_add(jb, "hash", json_object_new_string(hex));
		json_object_object_add(jb, "time_ms", json_object_new_uint64(b.hdr.time_ms));
		json_object_object_add(jb, "nr_tx", json_object_new_int(b.hdr.nr_tx));
		json_object_object_add(jb, "tx", jtxs);
		json_object_array_add(pr->blocks, jb);
	} else if (pr->quiet < 2) {
		printf("block %llu %s time %llu.%03llu, %u tx\n", (unsigned long long)b.hdr.height, hex,
		       (unsigned long long)b.hdr.time_ms / 1000, (unsigned long long)b.hdr.time_ms % 1000,
		       b.hdr.nr_tx);
	}
	for (i = 0; i < b.hdr.nr_tx && !pr->quiet; i++) {
		struct fwg_tx tx;
		uint32_t j, first;

		/* A run of chunks of one image: one line naming the image, not one per 60 KB. */
		if (b.tx[i][1] == FWG_TX_BLOB && !fwg_tx_decode(b.tx[i], b.tx_len[i], &tx, &err)) {
			struct fwg_blob_stmt s = tx.s.blob, t;

			first = be32toh(s.index);
			for (j = i + 1; j < b.hdr.nr_tx && b.tx[j][1] == FWG_TX_BLOB &&
			     !fwg_tx_decode(b.tx[j], b.tx_len[j], &tx, &err); j++) {
				t = tx.s.blob;
				if (memcmp(t.u_id, s.u_id, FWGATE_ID_LEN) || be32toh(t.index) != first + j - i)
					break;
			}
			fwg_hex(s.u_id, FWGATE_ID_LEN, hex);
			if (jtxs) {
				jt = json_object_new_object();
				json_object_object_add(jt, "type", json_object_new_string("blob"));
				json_object_object_add(jt, "u_id", json_object_new_string(hex));
				json_object_object_add(jt, "first", json_object_new_int64(first));
				json_object_object_add(jt, "last", json_object_new_int64(first + j - i - 1));
				json_object_object_add(jt, "count", json_object_new_int64(be32toh(s.count)));
				json_object_array_add(jtxs, jt);
			} else {
				printf("  %-8s %s chunks %u-%u of %u\n", "blob", hex, first, first + j - i - 1,
				       be32toh(s.count));
			}
			i = j - 1;
			continue;
		}
		/* A nack says why; the audit tells the rest. */
		reason = NULL;
		if (b.tx[i][1] == FWG_TX_NACK && !fwg_tx_decode(b.tx[i], b.tx_len[i], &tx, &err)) {
			reason = fwg_nack_reason_name(be32toh(tx.s.nack.reason));
			fwg_tx_release(&tx);
		}
		if (jtxs) {
			jt = json_object_new_object();
			json_object_object_add(jt, "type", json_object_new_string(fwg_tx_type_name(b.tx[i][1])));
			json_object_object_add(jt, "id", fwg_cmd_json_id(b.tx_id[i]));
			if (reason)
				json_object_object_add(jt, "reason", json_object_new_string(reason));
			json_object_array_add(jtxs, jt);
		} else {
			fwg_hex(b.tx_id[i], FWGATE_ID_LEN, hex);
			printf("  %-8s %s%s%s\n", fwg_tx_type_name(b.tx[i][1]), hex, reason ? " reason " : "",
			       reason ? reason : "");
		}
	}
	fwg_block_release(&b);
	return 0;
}

static int cmd_log(int argc, char **argv)
{
	struct chain_print pr = {};
	char hex[2 * FWGATE_ID_LEN + 1];
	struct json_object *j;
	struct fwg_state *st;
	struct fwg_err err;
	struct opts o;
	int ret;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.node, "node");
	st = fwg_state_new();
	fwg_state_set_threads(st, sysconf(_SC_NPROCESSORS_ONLN));
	pr.quiet = o.quiet;
	if (o.json)
		pr.blocks = json_object_new_array();
	if (fwg_node_follow_pinned(o.node, o.pin, st, print_block, &pr, &err)) {
		ret = fwg_follow_failed(&err);
		json_object_put(pr.blocks);
		fwg_state_free(st);
		return ret;
	}
	fwg_hex(fwg_state_tip(st), FWGATE_ID_LEN, hex);
	if (o.json) {
		j = json_object_new_object();
		json_object_object_add(j, "verified", json_object_new_boolean(1));
		json_object_object_add(j, "pinned", json_object_new_boolean(!!o.pin));
		json_object_object_add(j, "blocks", json_object_new_uint64(fwg_state_height(st)));
		json_object_object_add(j, "transactions", json_object_new_uint64(pr.nr_tx));
		json_object_object_add(j, "head", json_object_new_string(hex));
		json_object_object_add(j, "chain", pr.blocks);
		fwg_cmd_print_json(j);
	} else {
		printf("chain verifies: %llu blocks, %llu transactions, head %s\n",
		       (unsigned long long)fwg_state_height(st), (unsigned long long)pr.nr_tx, hex);
	}
	fwg_state_free(st);
	return 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* Hex of up to max bytes into a fresh buffer; *len set. */
static uint8_t *unhex_alloc(const char *hex, size_t max, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *out;

	if (strlen(hex) % 2 || n > max || !(out = malloc(n ? n : 1)))
		return NULL;
	if (n && fwg_unhex(hex, out, n)) {
		free(out);
		return NULL;
	}
	*len = n;
	return out;
}

/*
 * Fetches a transaction and its inclusion proof from a node, checks the proof against the block's Merkle
 * root, and that this block is the one the verified chain holds at that height.
 */
static int cmd_proof(int argc, char **argv)
{
	uint8_t id[FWGATE_ID_LEN], leaf[FWGATE_ID_LEN], root[FWGATE_ID_LEN], bhash[FWGATE_ID_LEN];
	struct fwg_state *st = NULL;
	struct fwg_http_body r = {};
	struct fwg_err err;
	uint8_t *tx = NULL, *pbuf = NULL;
	struct json_object *j = NULL;
	struct fwg_proof p;
	char url[2048];
	size_t txlen, plen;
	struct opts o;
	CURL *curl;
	CURLcode cc;
	long height;
	int ret = FWG_EXIT_VERIFY;

	if (parse_opts(argc, argv, &o) || optind != argc - 1)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.node, "node");
	if (strlen(argv[optind]) != 2 * FWGATE_ID_LEN || fwg_unhex(argv[optind], id, FWGATE_ID_LEN))
		usagex("proof: \"%s\" is not a transaction id (64 hex digits)", argv[optind]);
	snprintf(url, sizeof(url), "%s/tx/%s", o.node, argv[optind]);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fwg_http_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK && r.p)
		j = json_tokener_parse(r.p);
	curl_easy_cleanup(curl);
	if (!j) {
		free(r.p);
		if (cc == CURLE_HTTP_RETURNED_ERROR) {
			log_warnx("%s: no such transaction", url);
			return FWG_EXIT_FAIL;
		}
		log_warnx("%s: %s", url, cc != CURLE_OK ? curl_easy_strerror(cc) : "the answer is not JSON");
		return cc != CURLE_OK ? FWG_EXIT_UNREACHABLE : FWG_EXIT_VERIFY;
	}
	height = json_object_get_int64(json_object_object_get(j, "height"));
	tx = unhex_alloc(jstr(j, "tx"), FWG_TX_MAX, &txlen);
	pbuf = unhex_alloc(jstr(j, "proof"), 16 + FWG_PROOF_MAX_DEPTH * FWGATE_ID_LEN, &plen);
	if (!tx || !pbuf || fwg_proof_decode(pbuf, plen, &p) || fwg_unhex(jstr(j, "merkle_root"), root, 32) ||
	    fwg_unhex(jstr(j, "block"), bhash, 32)) {
		log_warnx("%s: malformed answer", url);
		goto out;
	}
	fwg_tx_id(tx, txlen, leaf);
	if (memcmp(leaf, id, FWGATE_ID_LEN)) {
		log_warnx("the node served a transaction with another id");
		goto out;
	}
	fwg_merkle_leaf(id, leaf);
	if (fwg_merkle_verify(&p, leaf, root)) {
		log_warnx("the inclusion proof does not verify");
		goto out;
	}
	/* The block: read and verify the chain up to it, then compare. */
	st = fwg_state_new();
	fwg_state_set_threads(st, sysconf(_SC_NPROCESSORS_ONLN));
	if (fwg_node_follow_pinned(o.node, o.pin, st, NULL, NULL, &err)) {
		ret = fwg_follow_failed(&err);
		goto out;
	}
	if (height < 0 || fwg_state_height(st) <= (uint64_t)height) {
		log_warnx("the verified chain is shorter than the block the node names (%ld)", height);
		goto out;
	}
	{
		uint64_t h;

		if (fwg_state_find(st, id, &h) || h != (uint64_t)height) {
			log_warnx("the verified chain does not hold this transaction at that height");
			goto out;
		}
	}
	if (o.json) {
		struct json_object *jo = json_object_new_object();

		json_object_object_add(jo, "tx", json_object_new_string(argv[optind]));
		json_object_object_add(jo, "height", json_object_new_int64(height));
		json_object_object_add(jo, "index", json_object_new_int64(p.index));
		json_object_object_add(jo, "size", json_object_new_int64(p.size));
		json_object_object_add(jo, "block", json_object_new_string(jstr(j, "block")));
		json_object_object_add(jo, "pinned", json_object_new_boolean(!!o.pin));
		json_object_object_add(jo, "verified", json_object_new_boolean(1));
		fwg_cmd_print_json(jo);
	} else {
		printf("transaction %s: in block %ld at index %u of %u, proof verifies\n", argv[optind], height,
		       p.index, p.size);
	}
	ret = FWG_EXIT_OK;
out:
	if (st)
		fwg_state_free(st);
	json_object_put(j);
	free(r.p);
	free(tx);
	free(pbuf);
	return ret;
}

#define IMAGE_MAX (1ull << 32)

static int cmd_seal(int argc, char **argv)
{
	uint8_t *img, *out;
	struct fwg_key **keys;
	size_t len, olen;
	unsigned int i;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.image, "image");
	fwg_cmd_need(o.out, "out");
	if (!o.nr_recipients)
		usagex("missing --recipient");
	keys = calloc(o.nr_recipients, sizeof(*keys));
	for (i = 0; i < o.nr_recipients; i++)
		if (!keys || !(keys[i] = fwg_key_load_public(o.recipients[i])))
			return 1;
	if (fwg_read_file(o.image, &img, &len, IMAGE_MAX))
		return 1;
	out = fwg_seal(img, len, keys, o.nr_recipients, &olen);
	if (!out)
		fatalx("sealing failed (every recipient must be a P-256 key)");
	err = write_out(o.out, out, olen);
	for (i = 0; i < o.nr_recipients; i++)
		fwg_key_free(keys[i]);
	free(keys);
	free(img);
	free(out);
	return err;
}

static int cmd_unseal(int argc, char **argv)
{
	uint8_t *sealed, *img;
	size_t len, ilen;
	struct fwg_key *key;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, &o) || optind != argc)
		cmd_usage(argv[0]);
	fwg_cmd_need(o.key, "key");
	fwg_cmd_need(o.image, "image");
	fwg_cmd_need(o.out, "out");
	key = fwg_key_load_private(o.key);
	if (!key || fwg_read_file(o.image, &sealed, &len, IMAGE_MAX + 65536))
		return 1;
	img = fwg_unseal(sealed, len, key, &ilen);
	fwg_key_free(key);
	free(sealed);
	if (!img)
		fatalx("%s: not sealed for this key, or altered", o.image);
	err = fwg_write_file(o.out, img, ilen, 0600) ? 1 : 0;
	free(img);
	return err;
}

/* `fwgate rollout COMMAND`: one table, each command in the file of its feature. */
static const struct fwg_cmd rollout_commands[] = {
	{ "pause", fwg_rollout_pause_cmd, "pause an update's rollout: devices do not begin it (manufacturer)",
	  FWG_CONTROL_ARGS },
	{ "resume", fwg_rollout_resume_cmd, "resume a paused rollout (manufacturer)", FWG_CONTROL_ARGS },
	{ "withdraw", fwg_rollout_withdraw_cmd,
	  "withdraw an update for good (manufacturer, or the threshold of its type's checkers)", FWG_CONTROL_ARGS },
	{ "plan", fwg_rollout_plan_cmd, "sign a staged rollout plan for a published update (manufacturer)",
	  FWG_ROLLOUT_PLAN_ARGS },
	{ "advance", fwg_rollout_advance_cmd,
	  "open a stage of the update's plan, and every stage before it (manufacturer)", FWG_ROLLOUT_ADVANCE_ARGS },
	{ "status", fwg_rollout_status_cmd, "where each rollout stands: stages open, paused, coverage per stage",
	  FWG_ROLLOUT_STATUS_ARGS },
};

static int cmd_rollout(int argc, char **argv)
{
	return fwg_cmd_main("fwgate rollout", rollout_commands,
			    sizeof(rollout_commands) / sizeof(rollout_commands[0]), argc, argv, NULL);
}

static const struct fwg_cmd commands[] = {
	{ "keygen", cmd_keygen, "generate a key pair NAME.key (0600) and NAME.pub", "[--alg rsa3072|p256] NAME" },
	{ "provision", cmd_provision, "write a device's trust-policy file",
	  "--manufacturer M.pub --checker C.pub... --threshold Q --type T --device-key D.pub --out POLICY" },
	{ "publish", cmd_publish, "sign an update statement for an image (manufacturer)",
	  "--key M.key --image IMG --version V --type T --target G [--device ID] [--url MIRROR]... [--node URL] "
	  "[--chunks HASHLIST] --out U.stmt" },
	{ "approve", cmd_approve, "sign an approval of an update statement (checker)",
	  "--key C.key [--report FILE] [--node URL] --out C.verdict U.stmt" },
	{ "reject", cmd_reject, "sign a rejection of an update statement (checker)",
	  "--key C.key [--report FILE] [--node URL] --out C.verdict U.stmt" },
	{ "upload", cmd_upload, "put a published image in the chain as signed chunks (manufacturer)",
	  "--key M.key --image IMG --node URL [--out PREFIX] [--progress auto|bar|lines|none]" },
	{ "show", cmd_show, "print an update statement", "U.stmt" },
	{ "genesis", cmd_genesis, "write the consortium's genesis transaction",
	  "--name CONSORTIUM --manufacturer M.pub... --checker C.pub... --type T... [--threshold Q] --out GENESIS" },
	{ "certify", cmd_certify, "sign a device certificate, submit it with --node (manufacturer)",
	  "--key M.key --type T --device-key D.pub [--node URL] [--out CERT]" },
	{ "ack", cmd_ack, "sign a device's install ack, or with --culprit a nack (device, tests)",
	  "--key D.key --update U.stmt [--culprit ID|KEY.pub [--reason R]] [--node URL] [--out ACK]" },
	{ "nack", cmd_nack, "sign a device's negative ack naming its culprit and reason (device, tests)",
	  "--key D.key --update U.stmt --culprit ID|KEY.pub [--reason R] [--node URL] [--out NACK]" },
	{ "submit", cmd_submit, "submit transaction files to a node", "--node URL TX..." },
	{ "log", cmd_log, "read the chain from a node, verify it and print it",
	  "--node URL [--genesis HASH] [--quiet] [--json]" },
	{ "proof", cmd_proof, "check a transaction's inclusion proof against the verified chain",
	  "--node URL [--genesis HASH] [--json] TX_ID" },
	{ "audit", fwg_audit_cmd, "verify the chain and report who vetted, installed and blamed what",
	  FWG_AUDIT_ARGS },
	{ "seal", cmd_seal, "encrypt an image once, its key wrapped for each recipient's P-256 key",
	  "--image IMG --recipient D.pub... --out SEALED" },
	{ "unseal", cmd_unseal, "decrypt a sealed image with a recipient's key", "--key D.key --image SEALED --out IMG" },
	{ "policy", fwg_policy_cmd, "encode, show and publish a trust policy (its line on the chain)", FWG_POLICY_ARGS },
	{ "rotate", fwg_rotate_cmd, "propose, sign and submit a policy rotation", FWG_ROTATE_ARGS },
	{ "revoke", fwg_revoke_cmd, "revoke a device certificate (manufacturer)", FWG_REVOKE_ARGS },
	{ "member", fwg_member_cmd, "propose, sign and submit a ledger member joining or leaving", FWG_MEMBER_ARGS },
	/* "COMMAND": cmd_rollout() dispatches further, so each subcommand answers --help with its own usage. */
	{ "rollout", cmd_rollout, "plan, advance, pause, resume, withdraw or show an update's rollout",
	  "COMMAND [ARGS] (fwgate rollout --help lists them)" },
};

int main(int argc, char **argv)
{
	log_init("fwgate", 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	commands_of = commands;
	nr_commands = sizeof(commands) / sizeof(commands[0]);
	return fwg_cmd_main("fwgate", commands, nr_commands, argc, argv, NULL);
}
