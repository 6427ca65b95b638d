// SPDX-License-Identifier: GPL-2.0
/*
 * The device's trust anchor, fwgated's side: the policy cache and history under state-dir/policy/, the choice
 * of the policy to give fwgate.ko at a start, and the rotations carried from the chain to the kernel
 * (agent/anchor.h). The kernel decides every time: fwgated only finds and carries.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "sysfs.h"
#include "anchor.h"

static void dir_path(const char *state_dir, char *out, size_t len)
{
	snprintf(out, len, "%s/" FWG_TRUST_DIR, state_dir);
}

static void cache_path(const char *state_dir, const uint8_t digest[FWGATE_ID_LEN], char *out, size_t len)
{
	char hex[2 * FWGATE_ID_LEN + 1];

	fwg_hex(digest, FWGATE_ID_LEN, hex);
	snprintf(out, len, "%s/" FWG_TRUST_DIR "/%s.policy", state_dir, hex);
}

/* The sealed anchor, from sysfs: it is there with or without a policy. 0, or -1 when the kernel has none. */
static int sealed(uint64_t *epoch, uint8_t digest[FWGATE_ID_LEN])
{
	char buf[128];
	char *end;

	if (fwg_sysfs_read("policy/sealed_epoch", buf, sizeof(buf)))
		return -1;
	*epoch = strtoull(buf, &end, 10);
	if (end == buf || *end || !*epoch)
		return -1;
	if (fwg_sysfs_read("policy/sealed_digest", buf, sizeof(buf)) || fwg_unhex(buf, digest, FWGATE_ID_LEN))
		return -1;
	return 0;
}

/* The cached policy of @digest at @epoch, checked by its digest: 0, or -1 when there is none that matches. */
static int cache_get(const struct fwg_conf *c, uint64_t epoch, const uint8_t digest[FWGATE_ID_LEN],
		     struct fwg_policy *p)
{
	char path[FWG_CONF_PATH_LEN + 100];
	uint8_t d[FWGATE_ID_LEN], *text;
	struct fwg_policy_err e;
	size_t len;
	int err;

	cache_path(c->state_dir, digest, path, sizeof(path));
	if (access(path, R_OK))
		return -1;
	if (fwg_read_file(path, &text, &len, 1 << 20))
		return -1;
	err = fwg_policy_parse(path, (const char *)text, len, p);
	free(text);
	if (err)
		return -1;
	p->epoch = epoch;
	if (fwg_policy_digest(p, epoch, d, &e) || memcmp(d, digest, FWGATE_ID_LEN)) {
		log_warnx("%s: not the policy of its name at epoch %" PRIu64 " (%s); ignored", path, epoch,
			  e.msg[0] ? e.msg : "another digest");
		return -1;
	}
	return 0;
}

int fwg_trust_choose(const struct fwg_conf *c, struct fwg_policy *p)
{
	char hex[2 * FWGATE_ID_LEN + 1], fhex[2 * FWGATE_ID_LEN + 1];
	uint8_t digest[FWGATE_ID_LEN], d[FWGATE_ID_LEN];
	struct fwg_policy_err e = { "" };
	struct fwg_policy sp;
	uint64_t epoch;

	if (sealed(&epoch, digest)) {
		/* Enrolment: the policy file is the device's first policy, sealed at the lock. */
		p->epoch = 1;
		return 0;
	}
	fwg_hex(digest, FWGATE_ID_LEN, hex);
	if (!fwg_policy_digest(p, epoch, d, &e) && !memcmp(d, digest, FWGATE_ID_LEN)) {
		p->epoch = epoch;
		return 0;
	}
	if (cache_get(c, epoch, digest, &sp)) {
		log_warnx("the state store's sealed policy (epoch %" PRIu64 ", digest %s) is neither %s nor in "
			  "%s/" FWG_TRUST_DIR "/: fwgate.ko refuses every other policy; restore that directory",
			  epoch, hex, c->policy, c->state_dir);
		return -1;
	}
	/* The file is only the enrolment input: the first policy, or an edit. Only an edit is news. */
	if (fwg_policy_digest(p, 1, d, &e) || cache_get(c, 1, d, &sp) ||
	    strncmp(sp.otype, p->otype, FWGATE_NAME_LEN) || memcmp(sp.device_id, p->device_id, FWGATE_ID_LEN)) {
		fwg_hex(d, FWGATE_ID_LEN, fhex);
		log_warnx("policy %s: REFUSED: it is not the policy this device sealed (epoch %" PRIu64 ", digest "
			  "%.16s...) nor its enrolment policy (its digest at epoch 1: %.16s...); it is ignored and the "
			  "sealed policy stays in force. Only a rotation on the chain changes it", c->policy, epoch,
			  hex, fhex);
	}
	if (cache_get(c, epoch, digest, p))
		return -1;
	log_info("policy: the sealed one, epoch %" PRIu64 ", digest %.16s..., from %s/" FWG_TRUST_DIR "/", epoch,
		 hex, c->state_dir);
	return 0;
}

/* Appends one line to the history, fsynced; the directory is made on the way. */
static int history_add(const struct fwg_conf *c, const struct fwg_policy *p, const char *how,
		       const uint8_t *tx_id)
{
	char path[FWG_CONF_PATH_LEN + 32], line[256], hex[2 * FWGATE_ID_LEN + 1], txh[2 * FWGATE_ID_LEN + 1];
	int fd, n, ok;

	dir_path(c->state_dir, path, sizeof(path));
	strcat(path, "/history");
	fwg_hex(p->digest, FWGATE_ID_LEN, hex);
	if (tx_id)
		fwg_hex(tx_id, FWGATE_ID_LEN, txh);
	n = snprintf(line, sizeof(line), "%" PRIu64 " %s %lld %s%s%s\n", p->epoch, hex, (long long)time(NULL), how,
		     tx_id ? " " : "", tx_id ? txh : "");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	ok = write(fd, line, n) == n && !fsync(fd);
	ok = !close(fd) && ok;
	if (!ok)
		log_warn("%s", path);
	return ok ? 0 : -1;
}

static int last_line(const struct fwg_trust_event *ev, void *arg)
{
	*(struct fwg_trust_event *)arg = *ev;
	return 0;
}

/* @p into the cache under its digest, unless it is there already: 0 or -1. */
static int cache_put(const struct fwg_conf *c, const struct fwg_policy *p)
{
	char path[FWG_CONF_PATH_LEN + 100], text[32768];
	int n;

	mkdir(c->state_dir, 0711);
	dir_path(c->state_dir, path, sizeof(path));
	if (mkdir(path, 0700) && errno != EEXIST) {
		log_warn("%s", path);
		return -1;
	}
	cache_path(c->state_dir, p->digest, path, sizeof(path));
	n = fwg_policy_format(p, text, sizeof(text));
	return n < 0 || (access(path, F_OK) && fwg_write_file(path, text, n, 0600)) ? -1 : 0;
}

int fwg_trust_remember(const struct fwg_conf *c, const struct fwg_policy *p, const char *how,
		       const uint8_t *tx_id)
{
	struct fwg_trust_event last = {};

	if (cache_put(c, p))
		return -1;
	if (!fwg_trust_history(c->state_dir, last_line, &last) && last.epoch == p->epoch &&
	    !memcmp(last.digest, p->digest, FWGATE_ID_LEN))
		return 0;
	return history_add(c, p, how, tx_id);
}

int fwg_trust_rotate(struct fwg_nl *nl, const struct fwg_conf *c, const uint8_t *raw, size_t len,
		     struct fwg_policy *p, char *msg, size_t msg_len)
{
	uint8_t id[FWGATE_ID_LEN];
	struct fwg_policy kp;
	struct fwg_err e;
	struct fwg_tx tx;
	int err;

	if (fwg_tx_decode(raw, len, &tx, &e) || tx.type != FWG_TX_ROTATE) {
		snprintf(msg, msg_len, "not a rotation transaction: %s", tx.type != FWG_TX_ROTATE ? "type" : e.msg);
		if (tx.type == FWG_TX_ROTATE)
			fwg_tx_release(&tx);
		return -EINVAL;
	}
	/*
	 * The next policy goes into the cache before the kernel seals it: a power cut between the seal and a
	 * cache written after it would leave an anchor whose policy fwgated does not hold, and it would not start.
	 * The cache is checked by digest, so a rotation the kernel then refuses leaves a harmless file.
	 */
	if (!fwg_nl_policy_get(nl, &kp)) {
		struct fwg_policy np;
		struct fwg_policy_err pe;
		uint64_t epoch;

		if (!fwg_policy_decode(tx.payload, tx.payload_len, &np, &epoch, &pe) &&
		    !fwg_policy_digest(&np, epoch, np.digest, &pe)) {
			memcpy(np.otype, kp.otype, sizeof(np.otype));
			memcpy(np.device_id, kp.device_id, sizeof(np.device_id));
			np.epoch = epoch;
			if (cache_put(c, &np))
				log_warnx("the next policy (epoch %" PRIu64 ") could not be cached before the rotation",
					  epoch);
		}
	}
	err = fwg_nl_policy_rotate(nl, &tx.s.rotate, tx.payload, tx.payload_len, tx.sigs);
	fwg_tx_release(&tx);
	if (err) {
		snprintf(msg, msg_len, "%s (%s)", fwg_nl_error(nl), strerror(-err));
		return err;
	}
	err = fwg_nl_policy_get(nl, &kp);
	if (err) {
		snprintf(msg, msg_len, "rotated, but the policy can not be read back: %s", fwg_nl_error(nl));
		return err;
	}
	*p = kp;
	fwg_tx_id(raw, len, id);
	fwg_trust_remember(c, p, "rotated", id);
	msg[0] = '\0';
	return 0;
}

int fwg_trust_history(const char *state_dir, int (*fn)(const struct fwg_trust_event *, void *), void *arg)
{
	char path[FWG_CONF_PATH_LEN + 32], line[512], hex[2 * FWGATE_ID_LEN + 1], txh[2 * FWGATE_ID_LEN + 1];
	struct fwg_trust_event ev;
	long long t;
	FILE *f;
	int n;

	dir_path(state_dir, path, sizeof(path));
	strcat(path, "/history");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		memset(&ev, 0, sizeof(ev));
		n = sscanf(line, "%" SCNu64 " %64s %lld %15s %64s", &ev.epoch, hex, &t, ev.how, txh);
		if (n < 4 || fwg_unhex(hex, ev.digest, FWGATE_ID_LEN))
			continue;
		ev.time = t;
		ev.has_tx = n == 5 && !fwg_unhex(txh, ev.tx, FWGATE_ID_LEN);
		if (fn(&ev, arg))
			break;
	}
	fclose(f);
	return 0;
}
