// SPDX-License-Identifier: GPL-2.0
/*
 * The device's trust anchor, fwgated's side: the policy cache and history under state-dir/policy/, the choice
 * of the policy to give fwgate.ko at a start, and the rotations carried from the chain to the kernel
 * (agent/anchor.h). The kernel decides every time: fwgated only finds and carries.
 */
#include <endian.h>
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
#include "follow.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "store.h"
#include "sysfs.h"
#include "anchor.h"

#define MAX_STARTS	64	/* cached policies tried as the start of a rebuild, newest first */

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

/* The chain's rotations, raw, as the worker's store holds them. */
struct rotations {
	struct rotation {
		uint8_t *raw;
		size_t len;
	} *r;
	size_t n, cap;
};

static int keep_rotation(const uint8_t *tx, size_t len, uint64_t height, const uint8_t *proof, size_t proof_len,
			 void *arg)
{
	struct rotations *rs = arg;
	struct rotation *r;

	(void)height;
	(void)proof;
	(void)proof_len;
	if (len < 2 || tx[1] != FWG_TX_ROTATE)
		return 0;
	/* What the worker follows, and no more: the store is the worker's to write. */
	if (rs->n == FWG_FOLLOW_MAX) {
		log_warnx("policy rebuild: the store holds more than %d rotations", FWG_FOLLOW_MAX);
		return -1;
	}
	if (rs->n == rs->cap) {
		r = realloc(rs->r, (rs->cap ? 2 * rs->cap : 16) * sizeof(*r));
		if (!r)
			return -1;
		rs->r = r;
		rs->cap = rs->cap ? 2 * rs->cap : 16;
	}
	r = &rs->r[rs->n];
	r->raw = malloc(len);
	if (!r->raw)
		return -1;
	memcpy(r->raw, tx, len);
	r->len = len;
	rs->n++;
	return 0;
}

static void rotations_free(struct rotations *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->r[i].raw);
	free(rs->r);
}

/*
 * From @cur, the rotations that lead on, each checked by the rotation rule as fwgate.ko checks it (the
 * manufacturer and a quorum of the checkers in force, every new key; lib/policy.h), until @epoch: 0 with @cur
 * the policy there and @tx_id the last rotation's id, or -1 when the chain of rotations breaks before.
 */
static int walk(struct fwg_policy *cur, const struct rotations *rs, uint64_t epoch, uint8_t tx_id[FWGATE_ID_LEN])
{
	struct fwg_policy_err e;
	struct fwg_policy next;
	struct fwg_err err;
	struct fwg_tx tx;
	size_t i;
	int ok;

	while (cur->epoch < epoch) {
		for (i = 0, ok = 0; i < rs->n && !ok; i++) {
			if (fwg_tx_decode(rs->r[i].raw, rs->r[i].len, &tx, &err))
				continue;
			if (tx.type != FWG_TX_ROTATE || be64toh(tx.s.rotate.prev_epoch) != cur->epoch ||
			    memcmp(tx.s.rotate.prev, cur->digest, FWGATE_ID_LEN)) {
				fwg_tx_release(&tx);
				continue;
			}
			ok = !fwg_rotation_check(cur, cur->epoch, &tx.s.rotate, tx.payload, tx.payload_len, tx.sigs,
						 &next, &e);
			fwg_tx_release(&tx);
			if (!ok) {
				log_warnx("policy rebuild: a rotation from epoch %" PRIu64 " in the store is refused: %s",
					  cur->epoch, e.msg);
				continue;
			}
			next.epoch = cur->epoch + 1;
			if (fwg_policy_digest(&next, next.epoch, next.digest, &e))
				return -1;
			memcpy(next.otype, cur->otype, sizeof(next.otype));
			memcpy(next.device_id, cur->device_id, sizeof(next.device_id));
			*cur = next;
			fwg_tx_id(rs->r[i].raw, rs->r[i].len, tx_id);
		}
		if (!ok)
			return -1;
	}
	return 0;
}

struct starts {
	struct fwg_trust_event ev[MAX_STARTS];
	unsigned int n;
};

static int add_start(const struct fwg_trust_event *ev, void *arg)
{
	struct starts *st = arg;

	if (st->n == MAX_STARTS)
		memmove(st->ev, st->ev + 1, --st->n * sizeof(st->ev[0]));
	st->ev[st->n++] = *ev;
	return 0;
}

int fwg_trust_rebuild(const struct fwg_conf *c, const struct fwg_policy *file, uint64_t epoch,
		      const uint8_t digest[FWGATE_ID_LEN], struct fwg_policy *out)
{
	char dir[FWG_CONF_PATH_LEN + 100], hex[2 * FWGATE_ID_LEN + 1];
	struct rotations rs = {};
	uint8_t tx_id[FWGATE_ID_LEN];
	struct fwg_policy_err e;
	struct fwg_policy start, cur;
	struct starts st = {};
	int i, ret = -1;

	snprintf(dir, sizeof(dir), "%s/sync", c->state_dir);
	if (fwg_store_read(dir, keep_rotation, &rs)) {
		log_warnx("policy rebuild: %s: no readable store of the chain", dir);
		goto out;
	}
	fwg_trust_history(c->state_dir, add_start, &st);
	/* The newest policy the cache still holds, then older ones, then the enrolment input at epoch 1. */
	for (i = st.n; i >= 0; i--) {
		if (i < (int)st.n) {
			if (st.ev[i].epoch > epoch || cache_get(c, st.ev[i].epoch, st.ev[i].digest, &cur))
				continue;
			memcpy(cur.digest, st.ev[i].digest, FWGATE_ID_LEN);
		} else {
			cur = *file;
			cur.epoch = 1;
			if (fwg_policy_digest(&cur, 1, cur.digest, &e))
				continue;
		}
		memset(tx_id, 0, sizeof(tx_id));
		start = cur;
		if (walk(&cur, &rs, epoch, tx_id) || memcmp(cur.digest, digest, FWGATE_ID_LEN))
			continue;
		fwg_hex(digest, FWGATE_ID_LEN, hex);
		log_info("policy: the sealed one (epoch %" PRIu64 ", digest %.16s...) rebuilt from the chain's "
			 "rotations in %s, from epoch %" PRIu64, epoch, hex, dir, start.epoch);
		*out = cur;
		/*
		 * Whatever the cache holds under the sealed digest failed its check. The enrolment policy the chain
		 * started from goes back too: it tells the policy file's next edit from the enrolment input.
		 */
		cache_path(c->state_dir, digest, dir, sizeof(dir));
		unlink(dir);
		if ((i == (int)st.n && cache_put(c, &start)) || cache_put(c, out) ||
		    history_add(c, out, "rebuilt", epoch > start.epoch ? tx_id : NULL))
			log_warnx("policy: rebuilt but not kept in %s/" FWG_TRUST_DIR "/", c->state_dir);
		ret = 0;
		break;
	}
out:
	rotations_free(&rs);
	return ret;
}

int fwg_trust_choose(const struct fwg_conf *c, struct fwg_policy *p)
{
	char hex[2 * FWGATE_ID_LEN + 1], fhex[2 * FWGATE_ID_LEN + 1];
	uint8_t digest[FWGATE_ID_LEN], d[FWGATE_ID_LEN];
	struct fwg_policy_err e = { "" };
	struct fwg_policy sp, ep;
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
	if (cache_get(c, epoch, digest, &sp) && fwg_trust_rebuild(c, p, epoch, digest, &sp)) {
		log_warnx("the state store's sealed policy (epoch %" PRIu64 ", digest %s) is neither %s nor in "
			  "%s/" FWG_TRUST_DIR "/, and the chain's rotations in %s/sync/ do not lead to it from there "
			  "or from the enrolment policy: fwgate.ko refuses every other policy; restore that directory, "
			  "or the store and the enrolment policy", epoch, hex, c->policy, c->state_dir, c->state_dir);
		return -1;
	}
	/* The file is only the enrolment input: the first policy, or an edit. Only an edit is news. */
	if (fwg_policy_digest(p, 1, d, &e) || cache_get(c, 1, d, &ep) ||
	    strncmp(ep.otype, p->otype, FWGATE_NAME_LEN) || memcmp(ep.device_id, p->device_id, FWGATE_ID_LEN)) {
		fwg_hex(d, FWGATE_ID_LEN, fhex);
		log_warnx("policy %s: REFUSED: it is not the policy this device sealed (epoch %" PRIu64 ", digest "
			  "%.16s...) nor its enrolment policy (its digest at epoch 1: %.16s...); it is ignored and the "
			  "sealed policy stays in force. Only a rotation on the chain changes it", c->policy, epoch,
			  hex, fhex);
	}
	*p = sp;
	log_info("policy: the sealed one, epoch %" PRIu64 ", digest %.16s..., from %s/" FWG_TRUST_DIR "/", epoch,
		 hex, c->state_dir);
	return 0;
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
