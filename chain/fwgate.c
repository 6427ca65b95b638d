// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate: the consortium members' tool. Manufacturers generate keys, provision devices and publish signed
 * update statements; checkers approve or reject them. Private keys are read only from 0600 files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <endian.h>

#include "files.h"
#include "keys.h"
#include "log.h"
#include "nl.h"

#define OUT_MAX 4096

struct opts {
	const char *key, *image, *type, *target, *device, *out, *report, *device_key, *manufacturer;
	const char *alg;
	const char *checkers[FWGATE_MAX_CHECKERS];
	unsigned int nr_checkers;
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
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "k:i:t:g:d:D:o:r:v:q:m:c:a:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->key = optarg; break;
		case 'i': o->image = optarg; break;
		case 't': o->type = optarg; break;
		case 'g': o->target = optarg; break;
		case 'd': o->device = optarg; break;
		case 'D': o->device_key = optarg; break;
		case 'o': o->out = optarg; break;
		case 'r': o->report = optarg; break;
		case 'm': o->manufacturer = optarg; break;
		case 'a': o->alg = optarg; break;
		case 'c':
			if (o->nr_checkers == FWGATE_MAX_CHECKERS)
				fatalx("at most %d checkers", FWGATE_MAX_CHECKERS);
			o->checkers[o->nr_checkers++] = optarg;
			break;
		case 'v':
			o->version = strtoull(optarg, &end, 10);
			if (*end || !o->version)
				fatalx("--version: \"%s\" is not a positive integer", optarg);
			break;
		case 'q':
			o->threshold = strtoul(optarg, &end, 10);
			if (*end || !o->threshold)
				fatalx("--threshold: \"%s\" is not a positive integer", optarg);
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static void need(const char *val, const char *name)
{
	if (!val)
		fatalx("missing --%s", name);
}

static void copy_name(char *dst, const char *src, const char *what)
{
	if (strlen(src) >= FWGATE_NAME_LEN)
		fatalx("--%s: \"%s\" is longer than %d bytes", what, src, FWGATE_NAME_LEN - 1);
	memset(dst, 0, FWGATE_NAME_LEN);
	strcpy(dst, src);
}

static int cmd_keygen(int argc, char **argv)
{
	char priv[4096], pub[4096];
	struct opts o;
	uint32_t alg;

	if (parse_opts(argc, argv, &o) || optind != argc - 1)
		fatalx("usage: fwgate keygen [--alg rsa3072|p256] NAME");
	alg = !o.alg || !strcmp(o.alg, "rsa3072") ? FWGATE_KEY_RSA3072 :
	      !strcmp(o.alg, "p256") ? FWGATE_KEY_P256 : 0;
	if (!alg)
		fatalx("--alg: \"%s\" is neither rsa3072 nor p256", o.alg);
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
	uint8_t buf[OUT_MAX];
	uint64_t size;
	size_t sig_len = sizeof(s.sig);
	EVP_PKEY *key;
	struct opts o;

	if (parse_opts(argc, argv, &o) || optind != argc)
		fatalx("usage: fwgate publish --key M.key --image IMG --version V --type T --target G "
		       "[--device ID] --out U.stmt");
	need(o.key, "key");
	need(o.image, "image");
	need(o.type, "type");
	need(o.target, "target");
	need(o.out, "out");
	if (!o.version)
		fatalx("missing --version");
	key = fwg_key_load_private(o.key);
	if (!key || fwg_key_encode(key, &pub))
		return 1;

	memcpy(s.stmt.magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
	memcpy(s.stmt.m_id, pub.id, FWGATE_ID_LEN);
	if (fwg_sha256_file(o.image, s.stmt.u_id, &size))
		return 1;
	s.stmt.size = htobe64(size);
	s.stmt.version = htobe64(o.version);
	copy_name(s.stmt.o_type, o.type, "type");
	copy_name(s.stmt.target, o.target, "target");
	if (o.device && fwg_unhex(o.device, s.stmt.o_id, FWGATE_ID_LEN))
		fatalx("--device: \"%s\" is not 64 hex digits", o.device);
	s.stmt.issued = htobe64(time(NULL));
	if (fwg_sign(key, &s.stmt, sizeof(s.stmt), s.sig, &sig_len))
		return 1;
	s.sig_len = sig_len;
	EVP_PKEY_free(key);
	return write_out(o.out, buf, fwg_stmt_encode(&s, buf, sizeof(buf)));
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
	EVP_PKEY *key;
	struct opts o;

	if (parse_opts(argc, argv, &o) || optind != argc - 1)
		fatalx("usage: fwgate approve|reject --key C.key [--report FILE] --out C.verdict U.stmt");
	need(o.key, "key");
	need(o.out, "out");
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
	EVP_PKEY_free(key);
	return write_out(o.out, buf, fwg_verdict_encode(&v, buf, sizeof(buf)));
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
		fatalx("usage: fwgate provision --manufacturer M.pub --checker C.pub... --threshold Q "
		       "--type T --device-key D.pub --out POLICY");
	need(o.manufacturer, "manufacturer");
	need(o.type, "type");
	need(o.device_key, "device-key");
	need(o.out, "out");
	if (!o.nr_checkers)
		fatalx("missing --checker");
	p.k = o.nr_checkers;
	p.threshold = o.threshold ? o.threshold : p.k / 2 + 1;
	if (p.threshold < p.k / 2 + 1 || p.threshold > p.k)
		fatalx("--threshold: %u is not between floor(k/2)+1 = %u and k = %u", p.threshold,
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

	if (argc != 2)
		fatalx("usage: fwgate show U.stmt");
	if (read_stmt(argv[1], &s))
		return 1;
	fwg_hex(s.stmt.u_id, FWGATE_ID_LEN, hex);
	printf("update %s\n", hex);
	printf("  version %llu, %llu bytes, type %s, target %s\n",
	       (unsigned long long)be64toh(s.stmt.version), (unsigned long long)be64toh(s.stmt.size),
	       s.stmt.o_type, s.stmt.target);
	fwg_hex(s.stmt.m_id, FWGATE_ID_LEN, hex);
	printf("  manufacturer %s\n", hex);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "keygen", cmd_keygen, "generate a key pair NAME.key (0600) and NAME.pub" },
	{ "provision", cmd_provision, "write a device's trust-policy file" },
	{ "publish", cmd_publish, "sign an update statement for an image (manufacturer)" },
	{ "approve", cmd_approve, "sign an approval of an update statement (checker)" },
	{ "reject", cmd_reject, "sign a rejection of an update statement (checker)" },
	{ "show", cmd_show, "print an update statement" },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: fwgate COMMAND [ARGS]\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %-10s %s\n", commands[i].name, commands[i].help);
	exit(1);
}

int main(int argc, char **argv)
{
	size_t i;

	log_init("fwgate", 0);
	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	usage();
}
