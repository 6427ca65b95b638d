// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "files.h"
#include "keys.h"
#include "log.h"

#define MAX_WORDS 5

struct ctx {
	const char *name;
	int line;
	const char *text;	/* the line, for messages */
};

static int bad(const struct ctx *x, const char *what)
{
	log_warnx("%s:%d: %s: \"%.80s\"", x->name, x->line, what, x->text);
	return -1;
}

static int copy(const struct ctx *x, char *dst, size_t size, const char *src, const char *what)
{
	if (strlen(src) >= size)
		return bad(x, what);
	strcpy(dst, src);
	return 0;
}

static int url(const struct ctx *x, char *dst, const char *src)
{
	const char *p;

	if (strncmp(src, "http://", 7) && strncmp(src, "https://", 8))
		return bad(x, "a URL must start with http:// or https://");
	for (p = src; *p; p++)
		if (!isgraph((unsigned char)*p))
			return bad(x, "URL has a non-printable byte");
	return copy(x, dst, FWG_CONF_URL_LEN, src, "URL too long");
}

static int path(const struct ctx *x, char *dst, const char *src)
{
	if (src[0] != '/')
		return bad(x, "a path must be absolute");
	return copy(x, dst, FWG_CONF_PATH_LEN, src, "path too long");
}

static int name(const struct ctx *x, char *dst, const char *src)
{
	const char *p;

	for (p = src; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return bad(x, "names take [A-Za-z0-9_.-]");
	return copy(x, dst, FWGATE_NAME_LEN, src, "name longer than 31 bytes");
}

static int seconds(const struct ctx *x, unsigned int *dst, const char *src)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(src, &end, 10);
	if (errno || *end || !isdigit((unsigned char)src[0]) || v == 0 || v > 86400 * 365)
		return bad(x, "wants seconds, 1 to 31536000");
	*dst = v;
	return 0;
}

static int number32(const struct ctx *x, uint32_t *dst, const char *src, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(src, &end, 10);
	if (errno || *end || !isdigit((unsigned char)src[0]) || v == 0 || v > max)
		return bad(x, "a number out of range");
	*dst = v;
	return 0;
}

static int number(const struct ctx *x, uint16_t *dst, const char *src, unsigned long max)
{
	uint32_t v;

	if (number32(x, &v, src, max))
		return -1;
	*dst = v;
	return 0;
}

static int parse_line(const struct ctx *x, char **w, int n, struct fwg_conf *c)
{
	const char *k = w[0];
	struct fwg_slot *s;
	unsigned int i;

#define ARGS(want) do { if (n != (want) + 1) return bad(x, "wrong number of values"); } while (0)
	if (!strcmp(k, "node")) {
		ARGS(1);
		if (c->nr_nodes == FWG_CONF_MAX_NODES)
			return bad(x, "too many nodes");
		return url(x, c->nodes[c->nr_nodes++], w[1]);
	}
	if (!strcmp(k, "mirror")) {
		ARGS(1);
		if (c->nr_mirrors == FWG_CONF_MAX_MIRRORS)
			return bad(x, "too many mirrors");
		return url(x, c->mirrors[c->nr_mirrors++], w[1]);
	}
	if (!strcmp(k, "ca-file")) {
		ARGS(1);
		return path(x, c->ca_file, w[1]);
	}
	if (!strcmp(k, "device-key")) {
		ARGS(1);
		return path(x, c->device_key, w[1]);
	}
	if (!strcmp(k, "policy")) {
		ARGS(1);
		return path(x, c->policy, w[1]);
	}
	if (!strcmp(k, "state-dir")) {
		ARGS(1);
		return path(x, c->state_dir, w[1]);
	}
	if (!strcmp(k, "state-device")) {
		ARGS(1);
		return copy(x, c->state_device, sizeof(c->state_device), w[1], "spec too long");
	}
	if (!strcmp(k, "slot")) {
		ARGS(3);
		if (c->nr_slots == FWG_CONF_MAX_SLOTS)
			return bad(x, "too many slots");
		s = &c->slots[c->nr_slots];
		if (name(x, s->group, w[1]) || name(x, s->name, w[2]) ||
		    copy(x, s->spec, sizeof(s->spec), w[3], "spec too long"))
			return -1;
		for (i = 0; i < c->nr_slots; i++)
			if (!strcmp(c->slots[i].name, s->name))
				return bad(x, "slot declared twice");
		c->nr_slots++;
		return 0;
	}
	if (!strcmp(k, "bootloader")) {
		if (n == 2 && !strcmp(w[1], "none")) {
			c->bootloader = FWG_BOOT_NONE;
			return 0;
		}
		if ((n == 2 || n == 3) && !strcmp(w[1], "uboot")) {
			c->bootloader = FWG_BOOT_UBOOT;
			return n == 3 ? path(x, c->bootloader_arg, w[2]) : 0;
		}
		if (n == 3 && !strcmp(w[1], "grub")) {
			c->bootloader = FWG_BOOT_GRUB;
			return path(x, c->bootloader_arg, w[2]);
		}
		if (n == 3 && !strcmp(w[1], "script")) {
			c->bootloader = FWG_BOOT_SCRIPT;
			return path(x, c->bootloader_arg, w[2]);
		}
		return bad(x, "bootloader wants none, uboot [FW_ENV_CONFIG], grub ENVFILE or script PATH");
	}
	if (!strcmp(k, "alarm-hook")) {
		ARGS(1);
		return path(x, c->alarm_hook, w[1]);
	}
	if (!strcmp(k, "sync-interval")) {
		ARGS(1);
		return seconds(x, &c->sync_interval_s, w[1]);
	}
	if (!strcmp(k, "freshness")) {
		ARGS(1);
		return seconds(x, &c->freshness_s, w[1]);
	}
	if (!strcmp(k, "retry-interval")) {
		ARGS(1);
		return seconds(x, &c->retry_s, w[1]);
	}
	if (!strcmp(k, "genesis")) {
		ARGS(1);
		if (strlen(w[1]) != 2 * FWGATE_ID_LEN || fwg_unhex(w[1], c->genesis, FWGATE_ID_LEN))
			return bad(x, "genesis wants the 64 hex digits of block 0's hash");
		c->has_genesis = 1;
		return 0;
	}
	if (!strcmp(k, "user")) {
		ARGS(1);
		return name(x, c->user, w[1]);
	}
	if (!strcmp(k, "health-check")) {
		ARGS(1);
		return path(x, c->health_check, w[1]);
	}
	if (!strcmp(k, "reboot")) {
		ARGS(1);
		return path(x, c->reboot, w[1]);
	}
	if (!strcmp(k, "control")) {
		ARGS(1);
		return path(x, c->control, w[1]);
	}
	if (!strcmp(k, "bpf")) {
		ARGS(1);
		if (strcmp(w[1], "auto") && strcmp(w[1], "yes") && strcmp(w[1], "no"))
			return bad(x, "bpf wants auto, yes or no");
		strcpy(c->bpf, w[1]);
		return 0;
	}
	if (!strcmp(k, "signed-modules")) {
		ARGS(1);
		if (strcmp(w[1], "yes") && strcmp(w[1], "no"))
			return bad(x, "signed-modules wants yes or no");
		c->signed_modules = !strcmp(w[1], "yes");
		return 0;
	}
	if (!strcmp(k, "filter")) {
		if (n < 2)
			return bad(x, "filter wants an interface, then up to 3 update ports");
		if (name(x, c->filter_if, w[1]))
			return -1;
		c->nr_filter_ports = 0;		/* the last filter line counts */
		for (i = 2; i < (unsigned int)n && i - 2 < FWG_CONF_MAX_FILTER_PORTS; i++)
			if (number(x, &c->filter_ports[c->nr_filter_ports++], w[i], 65535))
				return -1;
		return 0;
	}
	if (!strcmp(k, "relay-port")) {
		uint32_t port;

		if (n != 3 && n != 4)
			return bad(x, "relay-port wants PORT RATE [BURST] (packets per second per source)");
		if (number32(x, &port, w[1], 65535) || number32(x, &c->relay_rate, w[2], 10000000) ||
		    (n == 4 && number32(x, &c->relay_burst, w[3], 10000000)))
			return -1;
		c->relay_port = port;
		return 0;
	}
#undef ARGS
	return bad(x, "unknown keyword");
}

/* Each group a device updates needs two slots, A and B: the one not running takes the update. */
static int check_slots(const char *file, const struct fwg_conf *c)
{
	unsigned int i, j, n;

	int err = 0;

	for (i = 0; i < c->nr_slots; i++) {
		for (j = 0, n = 0; j < c->nr_slots; j++)
			n += !strcmp(c->slots[i].group, c->slots[j].group);
		for (j = 0; j < i && strcmp(c->slots[i].group, c->slots[j].group); j++)
			;
		if (n != 2 && j == i) {
			log_warnx("%s: group %s has %u slot%s; A/B updates need exactly 2", file,
				  c->slots[i].group, n, n == 1 ? "" : "s");
			err = -1;
		}
	}
	return err;
}

int fwg_conf_parse(const char *file, const char *text, size_t len, struct fwg_conf *c)
{
	char line[1024], words_buf[1024], *w[MAX_WORDS + 1], *save, *tok;
	struct ctx x = { .name = file, .text = line };
	size_t off = 0, n;
	int words, err = 0;

	memset(c, 0, sizeof(*c));
	c->sync_interval_s = 30;
	c->freshness_s = 300;
	c->retry_s = 10;
	strcpy(c->state_dir, "/var/lib/fwgate");
	strcpy(c->policy, "/etc/fwgate/policy");
	strcpy(c->device_key, "/etc/fwgate/device.key");
	strcpy(c->user, "fwgate");
	strcpy(c->control, "/run/fwgate/fwgated.sock");
	strcpy(c->reboot, "/sbin/reboot");
	strcpy(c->bpf, "auto");

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);

		n = nl ? (size_t)(nl - (text + off)) : len - off;
		x.line++;
		if (n >= sizeof(line)) {
			log_warnx("%s:%d: line longer than %zu bytes", file, x.line, sizeof(line) - 1);
			off += n + 1;
			err = -1;
			continue;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		if (strlen(line) != n) {
			err = bad(&x, "NUL byte in line");
			continue;
		}
		/* Split a copy: messages quote the line whole. */
		strcpy(words_buf, line);
		words = 0;
		for (tok = strtok_r(words_buf, " \t\r", &save); tok;
		     tok = strtok_r(NULL, " \t\r", &save)) {
			if (tok[0] == '#')
				break;
			if (words == MAX_WORDS)
				break;
			w[words++] = tok;
		}
		if (tok && tok[0] != '#')
			err = bad(&x, "too many values");
		else if (words && parse_line(&x, w, words, c))
			err = -1;
	}
	if (!c->nr_nodes) {
		log_warnx("%s: no node: fwgated needs at least one", file);
		err = -1;
	}
	if (!c->nr_slots) {
		log_warnx("%s: no slot: declare the A/B slots fwgated may write", file);
		err = -1;
	}
	return check_slots(file, c) ? -1 : err;
}

int fwg_conf_load(const char *path, struct fwg_conf *c)
{
	uint8_t *text;
	size_t len;
	int err;

	if (fwg_read_file(path, &text, &len, 1 << 20))
		return -1;
	err = fwg_conf_parse(path, (const char *)text, len, c);
	free(text);
	return err;
}

int fwg_conf_check_files(const struct fwg_conf *c)
{
	struct stat st;
	int err = 0;

	if (stat(c->device_key, &st)) {
		log_warn("device-key %s", c->device_key);
		err = -1;
	} else if (st.st_mode & 077) {
		log_warnx("device-key %s: mode %03o, must be 0600", c->device_key, st.st_mode & 0777);
		err = -1;
	}
	if (stat(c->policy, &st)) {
		log_warn("policy %s", c->policy);
		err = -1;
	}
	if (c->ca_file[0] && stat(c->ca_file, &st)) {
		log_warn("ca-file %s", c->ca_file);
		err = -1;
	}
	if (c->alarm_hook[0] && (stat(c->alarm_hook, &st) || !(st.st_mode & 0111))) {
		log_warnx("alarm-hook %s: not an executable file", c->alarm_hook);
		err = -1;
	}
	if (c->bootloader == FWG_BOOT_SCRIPT &&
	    (stat(c->bootloader_arg, &st) || !(st.st_mode & 0111))) {
		log_warnx("bootloader script %s: not an executable file", c->bootloader_arg);
		err = -1;
	}
	return err;
}
