// SPDX-License-Identifier: GPL-2.0
/*
 * fwgatectl's trust-anchor commands (Documentation/fwgate/fwgated.rst, "Enrolment" and "Trust anchor"):
 * enrol makes the device's own P-256 key on the device and prints only its public half, for the manufacturer
 * to certify (fwgate certify --device-key); policy show prints the policy fwgate.ko enforces, the anchor it
 * sealed and the rotations fwgated applied, from the kernel and from fwgated's policy cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "exit.h"
#include "files.h"
#include "fwgatectl_trust.h"
#include "jsonout.h"
#include "keys.h"
#include "log.h"
#include "nl.h"
#include "sysfs.h"
#include "anchor.h"

/* mkdir -p of @path's directory, each new level 0711 (the state directory's mode: fwgated's, root's). */
static int make_parent(const char *path)
{
	char dir[FWG_CONF_PATH_LEN], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = dirname(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0711) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0711) && errno != EEXIST ? -1 : 0;
}

/*
 * enrol [-c CONFIG] [--pubout FILE]: a new P-256 key pair at the configuration's device-key path (created
 * 0600, never over an existing key), its public key as PEM on stdout or in FILE, its id (the device's O_id)
 * on stderr. The private key is written once and never printed.
 */
int fwgctl_enrol(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pubout", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = "/etc/fwgate/fwgated.conf", *pubout = NULL;
	char pub[FWG_CONF_PATH_LEN + 16], hex[2 * FWGATE_ID_LEN + 1];
	struct fwg_pubkey pk;
	struct fwg_conf c;
	struct stat st;
	uint8_t *text;
	size_t len;
	int opt, tmp = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'p': pubout = optarg; break;
		default: usagex("usage: fwgatectl enrol [-c CONFIG] [--pubout FILE]");
		}
	}
	if (optind != argc)
		usagex("enrol: \"%s\": unexpected word; usage: fwgatectl enrol [-c CONFIG] [--pubout FILE]",
		       argv[optind]);
	if (fwg_conf_load(conf, &c))
		return FWG_EXIT_FAIL;
	if (!lstat(c.device_key, &st)) {
		log_warnx("enrol: device-key %s exists: this device is enrolled already; its key is never replaced "
			  "(a new identity is a new certificate: remove the key by hand, then enrol again)",
			  c.device_key);
		return FWG_EXIT_REFUSED;
	}
	if (make_parent(c.device_key)) {
		log_warn("enrol: device-key %s: its directory", c.device_key);
		return FWG_EXIT_FAIL;
	}
	if (!pubout) {
		snprintf(pub, sizeof(pub), "%s.pub.XXXXXX", c.device_key);
		tmp = mkstemp(pub);
		if (tmp < 0) {
			log_warn("enrol: %s", pub);
			return FWG_EXIT_FAIL;
		}
		close(tmp);
		unlink(pub);
		pubout = pub;
		tmp = 1;
	}
	if (fwg_key_generate(FWGATE_KEY_P256, c.device_key, pubout) || fwg_pubkey_load(pubout, &pk)) {
		if (tmp)
			unlink(pubout);
		return FWG_EXIT_FAIL;
	}
	if (tmp) {
		if (fwg_read_file(pubout, &text, &len, 1 << 16)) {
			unlink(pubout);
			return FWG_EXIT_FAIL;
		}
		unlink(pubout);
		fwrite(text, 1, len, stdout);
		free(text);
	}
	fwg_hex(pk.id, FWGATE_ID_LEN, hex);
	fprintf(stderr, "fwgatectl: enrolled: device-key %s (P-256, mode 0600); device id %s\n"
		"fwgatectl: the manufacturer certifies it with: fwgate certify --key M.key --type TYPE "
		"--device-key %s --node URL\n", c.device_key, hex, tmp ? "DEVICE.pub" : pubout);
	return 0;
}

static void print_id(const char *label, const uint8_t *id)
{
	char hex[2 * FWGATE_ID_LEN + 1];

	fwg_hex(id, FWGATE_ID_LEN, hex);
	printf("  %-14s %s\n", label, hex);
}

static int print_event(const struct fwg_trust_event *ev, void *arg)
{
	char hex[2 * FWGATE_ID_LEN + 1], when[32];
	time_t t = ev->time;
	struct tm tm;

	(void)arg;
	fwg_hex(ev->digest, FWGATE_ID_LEN, hex);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
	printf("  epoch %-4" PRIu64 " %s  %s UTC  %s", ev->epoch, hex, when, ev->how);
	if (ev->has_tx) {
		fwg_hex(ev->tx, FWGATE_ID_LEN, hex);
		printf(" (tx %.16s...)", hex);
	}
	printf("\n");
	return 0;
}

struct json_events {
	int n;
};

static int json_event(const struct fwg_trust_event *ev, void *arg)
{
	struct json_events *j = arg;

	printf("%s\n    {\"epoch\": %" PRIu64 ", \"time\": %" PRIu64, j->n++ ? "," : "", ev->epoch, ev->time);
	fwg_json_id(stdout, 0, "digest", ev->digest);
	fwg_json_kv(stdout, 0, "how", ev->how);
	if (ev->has_tx)
		fwg_json_id(stdout, 0, "tx", ev->tx);
	printf("}");
	return 0;
}

static void show_json(const struct fwg_policy *p, const char *state_dir)
{
	struct json_events j = {};
	uint32_t i;

	printf("{\"version\": 1, \"epoch\": %" PRIu64 ", \"sealed_epoch\": %" PRIu64, p->epoch, p->sealed_epoch);
	fwg_json_id(stdout, 0, "digest", p->digest);
	fwg_json_id(stdout, 0, "sealed_digest", p->sealed_digest);
	printf(", \"sealed\": %s, \"locked\": %s, \"threshold\": %u, \"k\": %u",
	       p->sealed_epoch == p->epoch && !memcmp(p->digest, p->sealed_digest, FWGATE_ID_LEN) ? "true" : "false",
	       p->locked ? "true" : "false", p->threshold, p->k);
	fwg_json_kv(stdout, 0, "type", p->otype);
	fwg_json_id(stdout, 0, "device", p->device_id);
	fwg_json_id(stdout, 0, "manufacturer", p->manufacturer.id);
	printf(", \"checkers\": [");
	for (i = 0; i < p->k; i++) {
		char hex[2 * FWGATE_ID_LEN + 1];

		fwg_hex(p->checkers[i].id, FWGATE_ID_LEN, hex);
		printf("%s", i ? ", " : "");
		fwg_json_str(stdout, hex);
	}
	printf("],\n  \"history\": [");
	fwg_trust_history(state_dir, json_event, &j);
	printf("\n  ]}\n");
}

/*
 * policy [show] [-c CONFIG] [--json]: the policy fwgate.ko enforces, its epoch and digest, the anchor sealed
 * in the state store, and the history fwgated kept of the policies put in force (enrolment, rotations).
 */
int fwgctl_policy_show(int argc, char **argv, int json)
{
	const char *conf = "/etc/fwgate/fwgated.conf";
	char hex[2 * FWGATE_ID_LEN + 1];
	struct fwg_policy p;
	struct fwg_conf c;
	struct fwg_nl *nl;
	int i, err;
	uint32_t k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "show") && i == 1)
			continue;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			conf = argv[++i];
		else
			usagex("policy: \"%s\": %s; usage: fwgatectl policy [show] [-c CONFIG] [--json]", argv[i],
			       argv[i][0] == '-' ? "unknown option" : "unexpected word");
	}
	/* The history is fwgated's: without its configuration, the default state directory. */
	if (access(conf, R_OK) || fwg_conf_load(conf, &c)) {
		memset(&c, 0, sizeof(c));
		strcpy(c.state_dir, "/var/lib/fwgate");
	}
	nl = fwg_nl_open(0);
	if (!nl)
		return FWG_EXIT_UNREACHABLE;
	err = fwg_nl_policy_get(nl, &p);
	if (err && err != -ENOKEY) {
		log_warnx("policy: %s (%s)", fwg_nl_error(nl), strerror(-err));
		fwg_nl_close(nl);
		return FWG_EXIT_REFUSED;
	}
	fwg_nl_close(nl);
	if (err) {
		/* Before fwgated gives it back at a boot, the anchor is in the store: sysfs shows it. */
		char se[32] = "0", sd[2 * FWGATE_ID_LEN + 8] = "";

		fwg_sysfs_read("policy/sealed_epoch", se, sizeof(se));
		fwg_sysfs_read("policy/sealed_digest", sd, sizeof(sd));
		if (json) {
			printf("{\"version\": 1, \"epoch\": null, \"sealed_epoch\": %llu", strtoull(se, NULL, 10));
			if (strtoull(se, NULL, 10))
				fwg_json_kv(stdout, 0, "sealed_digest", sd);
			printf("}\n");
		} else if (strtoull(se, NULL, 10)) {
			printf("policy: none in fwgate.ko; the state store's sealed policy: epoch %s, digest %s\n", se, sd);
		} else {
			printf("policy: none in fwgate.ko\n");
		}
		return 0;
	}
	if (json) {
		show_json(&p, c.state_dir);
		return 0;
	}
	fwg_hex(p.digest, FWGATE_ID_LEN, hex);
	printf("policy: epoch %" PRIu64 ", digest %s, %s\n", p.epoch, hex, p.locked ? "locked" : "UNLOCKED");
	if (!p.sealed_epoch)
		printf("  sealed         no anchor in the state store yet (sealed at the first lock)\n");
	else if (p.sealed_epoch == p.epoch && !memcmp(p.digest, p.sealed_digest, FWGATE_ID_LEN))
		printf("  sealed         yes, epoch %" PRIu64 "\n", p.sealed_epoch);
	else
		printf("  sealed         epoch %" PRIu64 ", another digest: NOT the policy in force\n",
		       p.sealed_epoch);
	if (p.sealed_epoch)
		print_id("sealed digest", p.sealed_digest);
	printf("  type           %s, q=%u of k=%u\n", p.otype, p.threshold, p.k);
	print_id("device", p.device_id);
	print_id("manufacturer", p.manufacturer.id);
	for (k = 0; k < p.k; k++)
		print_id("checker", p.checkers[k].id);
	printf("history (%s/" FWG_TRUST_DIR "/history):\n", c.state_dir);
	if (fwg_trust_history(c.state_dir, print_event, NULL))
		printf("  none kept\n");
	return 0;
}
