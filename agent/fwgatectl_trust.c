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
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "exit.h"
#include "files.h"
#include "fwgatectl_trust.h"
#include "keys.h"
#include "log.h"

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
