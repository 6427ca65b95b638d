// SPDX-License-Identifier: GPL-2.0
/*
 * fwgated's worker: everything that talks to the network, unprivileged. One thread, one poll loop: sync
 * every sync-interval (or when fwgatectl asks), then act on what the chain says (hand quorums to the
 * kernel through the monitor, install the newest approved update of each group), submit queued
 * acknowledgements until they are seen in a verified block, answer fwgatectl.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "fetch.h"
#include "follow.h"
#include "gate.h"
#include "http.h"
#include "jsonout.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "control.h"
#include "sync.h"
#include "worker.h"

#define MAX_UPDATES	256
#define MAX_HISTORY	256
#define MAX_PENDING	64
#define MAX_COMMITTED	FWGATE_MAX_TARGETS
#define MAX_ATTEMPTS	3

struct upd {
	struct fwgate_update_stmt stmt;
	uint32_t sig_len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
	char **urls;
	unsigned int nr_urls;
	uint8_t *chunks;	/* the image's hash list, from the update transaction */
	size_t chunks_len;
	uint64_t height;
	struct fwg_verdict v[FWGATE_MAX_CHECKERS];
	uint64_t vheight[FWGATE_MAX_CHECKERS];
	unsigned int nv, approvals, rejections;
	int kernel;		/* 1: the kernel holds it approved; -errno: refused */
	int installed;		/* a target holds it */
	unsigned int attempts;
	int acked, nacked;	/* our own, seen in the chain */
	int running, fell_back;	/* our own running ack, our own nack health or boot, seen in the chain */
	int gate;		/* enum fwg_gate_verdict, as last logged */
	int nack_sent;
	uint32_t nack_reason;	/* wanted; asked again until queued */
	char last_error[256];
};

struct hist {
	uint8_t type;		/* FWG_TX_ACK, FWG_TX_RUNNING or FWG_TX_NACK */
	uint8_t id[FWGATE_ID_LEN];
	uint8_t u_id[FWGATE_ID_LEN];
	uint8_t o_id[FWGATE_ID_LEN];
	uint8_t culprit[FWGATE_ID_LEN];
	uint32_t reason;
	uint64_t height;
	int own;
};

struct pending {
	uint8_t id[FWGATE_ID_LEN];
	uint32_t len;
	uint8_t *tx;
	char last[160];
};

static struct worker {
	const struct fwg_conf *c;
	const struct fwg_policy *p;	/* &pol: the policy fwgate.ko enforces, rotations included */
	struct fwg_policy pol;
	int sock, ctl;
	struct fwg_sync *sync;
	struct fwg_rollouts rollouts;	/* plans, advances, pauses: agent/gate.c decides */

	struct upd *upd[MAX_UPDATES];
	unsigned int nr_upd;
	struct hist hist[MAX_HISTORY];
	unsigned int nr_hist;
	struct pending pend[MAX_PENDING];
	unsigned int nr_pend;
	struct fwg_msg_committed committed[MAX_COMMITTED];
	unsigned int nr_committed;
	int certified;

	/* status */
	int node;			/* index of the node last synced from, -1 */
	time_t last_sync, last_ok;
	char sync_msg[400];
	int frozen, forked, invalid, withheld;
	int installing;
	char alarm[400];
	uint64_t dl_done, dl_total;
	struct timespec dl_start;	/* CLOCK_MONOTONIC, for the rate fwgatectl shows */
	uint8_t dl_uid[FWGATE_ID_LEN];
	int synced_once;
	int sync_now;
	time_t next_retry;		/* of the pending acks' submission; 0: at the next turn of the loop */
} w;

static void hexs(const uint8_t *id, char out[17])
{
	fwg_hex(id, 8, out);
}

/* ------------------------------------------------------------------ monitor link */

static int send_msg(const void *m, size_t len)
{
	if (send(w.sock, m, len, MSG_NOSIGNAL) != (ssize_t)len) {
		log_warn("worker: monitor link");
		return -1;
	}
	return 0;
}

static void handle_async(const uint8_t *buf, size_t len);

/* Waits for a message of @type, handling the others as they come. */
static int wait_msg(uint32_t type, void *out, size_t len)
{
	static uint8_t buf[sizeof(struct fwg_msg_rotated) + sizeof(struct fwg_msg_submit) + 64];
	uint32_t t;
	ssize_t n;

	for (;;) {
		n = recv(w.sock, buf, sizeof(buf), 0);
		if (n <= 0) {
			log_warnx("worker: the monitor went away");
			exit(1);
		}
		if ((size_t)n < sizeof(t))
			continue;
		memcpy(&t, buf, sizeof(t));
		if (t == type) {
			memset(out, 0, len);
			memcpy(out, buf, (size_t)n < len ? (size_t)n : len);
			return 0;
		}
		handle_async(buf, n);
	}
}

/* ------------------------------------------------------------------ alarms */

static void hook(const char *event, const char *detail)
{
	pid_t pid;

	if (!w.c->alarm_hook[0])
		return;
	pid = fork();
	if (pid == 0) {
		execl(w.c->alarm_hook, w.c->alarm_hook, event, detail, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		log_warn("alarm-hook %s", w.c->alarm_hook);
}

static void alarm_raise(int *flag, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void alarm_raise(int *flag, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w.alarm, sizeof(w.alarm), fmt, ap);
	va_end(ap);
	if (!*flag)
		log_warnx("ALARM %s: %s", event, w.alarm);
	if (!*flag)
		hook(event, w.alarm);
	*flag = 1;
}

static void check_freshness(void)
{
	const struct fwg_store_head *h = fwg_sync_head(w.sync);
	time_t now = time(NULL);
	uint64_t age = (uint64_t)now;

	/* A block stamped in this device's future (clocks differ by a little) is fresh. */
	if (h->next)
		age = (uint64_t)now * 1000 > h->tip_time_ms ? ((uint64_t)now * 1000 - h->tip_time_ms) / 1000 : 0;

	if (h->next && age <= w.c->freshness_s) {
		if (w.frozen)
			log_info("freshness: a new block at height %" PRIu64 ", the alarm clears", h->next - 1);
		w.frozen = 0;
		return;
	}
	alarm_raise(&w.frozen, "freeze", "no new block for %" PRIu64 " s (limit %u s); the newest verified is %"
		    PRIu64 ": the chain is frozen, or withheld from this device", age, w.c->freshness_s,
		    h->next ? h->next - 1 : 0);
}

/* ------------------------------------------------------------------ the chain's transactions */

static struct upd *upd_find(const uint8_t *u_id)
{
	unsigned int i;

	for (i = 0; i < w.nr_upd; i++)
		if (!memcmp(w.upd[i]->stmt.u_id, u_id, FWGATE_ID_LEN))
			return w.upd[i];
	return NULL;
}

static void add_update(const struct fwg_tx *tx, uint64_t height)
{
	struct upd *u;
	unsigned int i;
	char h16[17];

	if (upd_find(tx->s.update.u_id) || w.nr_upd == MAX_UPDATES)
		return;
	if (tx->chunks_len > FWG_MSG_CHUNKS_MAX) {
		hexs(tx->s.update.u_id, h16);
		log_warnx("update %s: a %" PRIu64 "-byte image is larger than an install can take; ignored", h16,
			  (uint64_t)be64toh(tx->s.update.size));
		return;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return;
	u->chunks = malloc(tx->chunks_len);
	if (!u->chunks) {
		free(u);
		return;
	}
	memcpy(u->chunks, tx->chunks, tx->chunks_len);
	u->chunks_len = tx->chunks_len;
	u->stmt = tx->s.update;
	u->sig_len = tx->sig_len;
	memcpy(u->sig, tx->sig, tx->sig_len);
	u->height = height;
	u->urls = calloc(tx->nr_urls + 1, sizeof(char *));
	for (i = 0; u->urls && i < tx->nr_urls; i++)
		if ((u->urls[u->nr_urls] = strdup(tx->urls[i])))
			u->nr_urls++;
	w.upd[w.nr_upd++] = u;
}

static void add_verdict(const struct fwg_tx *tx, uint64_t height)
{
	const struct fwgate_verdict_stmt *v = &tx->s.verdict;
	struct upd *u = upd_find(v->update.u_id);
	struct fwg_verdict *out;
	unsigned int i;

	/* The verdict judges the exact statement the manufacturer signed, or nothing. */
	if (!u || memcmp(&u->stmt, &v->update, sizeof(u->stmt)))
		return;
	for (i = 0; i < u->nv; i++)
		if (!memcmp(u->v[i].checker, v->checker_id, FWGATE_ID_LEN))
			return;
	if (u->nv == FWGATE_MAX_CHECKERS)
		return;
	out = &u->v[u->nv];
	out->kind = tx->type == FWG_TX_APPROVE ? FWGATE_VERDICT_APPROVE : FWGATE_VERDICT_REJECT;
	memcpy(out->checker, v->checker_id, FWGATE_ID_LEN);
	memcpy(out->report, v->report, FWGATE_ID_LEN);
	out->sig_len = tx->sig_len;
	memcpy(out->sig, tx->sig, tx->sig_len);
	u->vheight[u->nv++] = height;
	if (tx->type == FWG_TX_APPROVE)
		u->approvals++;
	else
		u->rejections++;
}

static void included(const uint8_t *id)
{
	struct fwg_msg_id m = { .type = FWG_MSG_INCLUDED };
	unsigned int i;

	for (i = 0; i < w.nr_pend; i++) {
		if (memcmp(w.pend[i].id, id, FWGATE_ID_LEN))
			continue;
		free(w.pend[i].tx);
		w.pend[i] = w.pend[--w.nr_pend];
		break;
	}
	memcpy(m.id, id, FWGATE_ID_LEN);
	send_msg(&m, sizeof(m));
}

static void add_report(const struct fwg_tx *tx, const uint8_t *id, uint64_t height)
{
	int own = !memcmp(tx->type == FWG_TX_NACK ? tx->s.nack.o_id : tx->s.ack.o_id, w.p->device_id,
			  FWGATE_ID_LEN);
	struct hist *h;
	struct upd *u;
	unsigned int i;

	for (i = 0; i < w.nr_hist; i++)
		if (!memcmp(w.hist[i].id, id, FWGATE_ID_LEN))
			return;
	if (w.nr_hist == MAX_HISTORY)
		memmove(w.hist, w.hist + 1, --w.nr_hist * sizeof(w.hist[0]));
	h = &w.hist[w.nr_hist++];
	memset(h, 0, sizeof(*h));
	h->type = tx->type;
	memcpy(h->id, id, FWGATE_ID_LEN);
	h->height = height;
	h->own = own;
	if (tx->type != FWG_TX_NACK) {
		memcpy(h->u_id, tx->s.ack.u_id, FWGATE_ID_LEN);
		memcpy(h->o_id, tx->s.ack.o_id, FWGATE_ID_LEN);
	} else {
		memcpy(h->u_id, tx->s.nack.u_id, FWGATE_ID_LEN);
		memcpy(h->o_id, tx->s.nack.o_id, FWGATE_ID_LEN);
		memcpy(h->culprit, tx->s.nack.culprit_id, FWGATE_ID_LEN);
		h->reason = be32toh(tx->s.nack.reason);
	}
	if (!own)
		return;
	u = upd_find(h->u_id);
	if (u && tx->type == FWG_TX_ACK)
		u->acked = 1;
	if (u && tx->type == FWG_TX_NACK)
		u->nacked = 1;
	if (u && tx->type == FWG_TX_RUNNING)
		u->running = 1;
	if (u && tx->type == FWG_TX_NACK && (h->reason == FWGATE_NACK_HEALTH || h->reason == FWGATE_NACK_BOOT))
		u->fell_back = 1;
	included(id);
}

static int on_tx(const struct fwg_tx *tx, const uint8_t *raw, size_t len, const uint8_t id[FWGATE_ID_LEN],
		 uint64_t height, void *arg)
{
	(void)arg;
	switch (tx->type) {
	case FWG_TX_UPDATE:
		add_update(tx, height);
		break;
	case FWG_TX_APPROVE:
	case FWG_TX_REJECT:
		add_verdict(tx, height);
		break;
	case FWG_TX_ACK:
	case FWG_TX_RUNNING:
	case FWG_TX_NACK:
		add_report(tx, id, height);
		break;
	case FWG_TX_DEVCERT:
		w.certified = 1;
		break;
	case FWG_TX_ROTATE:
		fwg_follow_add(raw, len, height);
		break;
	case FWG_TX_CONTROL:
		fwg_ctl_add(tx);
		/* Pauses and withdrawals also hold the rollout gate (and fwgatectl's view of it). */
		return fwg_rollouts_note(&w.rollouts, tx, height) ? -1 : 0;
	default:
		return fwg_rollouts_note(&w.rollouts, tx, height) ? -1 : 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ acknowledgements */

static int own_ack_pending(const uint8_t *u_id, int nack)
{
	unsigned int i;

	for (i = 0; i < w.nr_pend; i++) {
		const uint8_t *tx = w.pend[i].tx;

		/* Queued transactions are ours: version, type, then the statement; u_id follows the magic. */
		if (w.pend[i].len > 2 + 8 + FWGATE_ID_LEN && tx[1] == (nack ? FWG_TX_NACK : FWG_TX_ACK) &&
		    !memcmp(tx + 2 + 8, u_id, FWGATE_ID_LEN))
			return 1;
	}
	return 0;
}

static void ask_sign(int nack, uint32_t reason, const uint8_t *u_id, const uint8_t *culprit, uint64_t version,
		     const char *target)
{
	struct fwg_msg_sign m = { .type = FWG_MSG_SIGN, .nack = nack, .reason = reason, .version = version };

	memcpy(m.u_id, u_id, FWGATE_ID_LEN);
	if (culprit)
		memcpy(m.culprit, culprit, FWGATE_ID_LEN);
	snprintf(m.target, sizeof(m.target), "%s", target ? target : "");
	send_msg(&m, sizeof(m));
}

static void nack(struct upd *u, uint32_t reason)
{
	u->nack_reason = reason;
	if (u->nacked || u->nack_sent || own_ack_pending(u->stmt.u_id, 1))
		return;
	u->nack_sent = 1;
	ask_sign(1, reason, u->stmt.u_id, u->stmt.m_id, be64toh(u->stmt.version), u->stmt.target);
}

/*
 * Acks each update a target holds, once: not if the chain or the queue has our ack already; and asks again
 * for the nacks the monitor could not queue.
 */
static void reconcile_acks(void)
{
	unsigned int i;
	struct upd *u;

	if (!w.synced_once)
		return;
	for (i = 0; i < w.nr_upd; i++)
		if (w.upd[i]->nack_reason)
			nack(w.upd[i], w.upd[i]->nack_reason);
	for (i = 0; i < w.nr_committed; i++) {
		struct fwg_msg_committed *m = &w.committed[i];

		u = upd_find(m->u_id);
		if (u)
			u->installed = 1;
		if ((u && u->acked) || own_ack_pending(m->u_id, 0))
			continue;
		if (!u) {
			char hex[17];

			hexs(m->u_id, hex);
			log_debug("target %s holds %s, an update this chain does not have: no ack", m->target, hex);
			continue;
		}
		ask_sign(0, 0, m->u_id, NULL, m->version, m->target);
		/* The SUBMIT that answers it makes it pending; until then, do not ask twice. */
		u->acked = -1;
	}
}

static void submit_pending(void)
{
	unsigned int i, n;
	char ans[256];
	long code = -1;

	for (i = 0; i < w.nr_pend; i++) {
		struct pending *p = &w.pend[i];

		for (n = 0; n < w.c->nr_nodes; n++) {
			code = fwg_node_submit(w.c->nodes[(w.node + n + w.c->nr_nodes) % w.c->nr_nodes], p->tx,
					       p->len, ans, sizeof(ans));
			if (code == 200 || code == 409)
				break;
		}
		snprintf(p->last, sizeof(p->last), "%ld %.150s", code, ans);
		if (code != 200 && code != 409)
			log_warnx("ack: %.150s (HTTP %ld); kept, retried", ans, code);
	}
}

/* ------------------------------------------------------------------ sync */

static void cross_check(int used)
{
	const struct fwg_store_head *h = fwg_sync_head(w.sync);
	struct fwg_sync_result r;
	struct fwg_head other;
	uint64_t before;
	char msg[256];
	int j;

	if (w.c->nr_nodes < 2)
		return;
	j = (used + 1 + rand() % (w.c->nr_nodes - 1)) % w.c->nr_nodes;
	if (fwg_node_head(w.c->nodes[j], &other, msg, sizeof(msg))) {
		log_debug("cross-check: %s", msg);
		return;
	}
	if (other.height + 1 == h->next) {
		if (memcmp(other.hash, h->tip, FWGATE_ID_LEN))
			alarm_raise(&w.forked, "fork", "%s and %s disagree on block %" PRIu64, w.c->nodes[used],
				    w.c->nodes[j], other.height);
		return;
	}
	if (other.height + 1 < h->next)
		return;		/* lagging behind: not a fault */
	before = h->next;
	/* It has more: what it has must follow what we verified, or one of them forks. */
	if (fwg_sync_run(w.sync, w.c->nodes[j], &r) && r.status == FWG_SYNC_INVALID) {
		alarm_raise(&w.forked, "fork", "%s: %s", w.c->nodes[j], r.msg);
		return;
	}
	/*
	 * Blocks appended after our sync from the first node began are a race, not withholding: it withheld
	 * them only if the first of them was already old then (a margin for clock differences). The other
	 * node's head is no measure: on a live chain it is always new.
	 */
	if (h->next > before && r.blocks && r.first_time_ms / 1000 + 5 < (uint64_t)w.last_sync)
		alarm_raise(&w.withheld, "withheld", "%s withheld blocks %" PRIu64 " to %" PRIu64 " that %s has",
			    w.c->nodes[used], before, h->next - 1, w.c->nodes[j]);
}

static void do_sync(void)
{
	unsigned int i, n = w.c->nr_nodes;
	struct fwg_sync_result r = { 0 };
	int start = rand() % n, k;

	w.last_sync = time(NULL);
	for (i = 0; i < n; i++) {
		k = (start + i) % n;
		if (!fwg_sync_run(w.sync, w.c->nodes[k], &r)) {
			w.node = k;
			w.last_ok = w.last_sync;
			snprintf(w.sync_msg, sizeof(w.sync_msg), "%s: %" PRIu64 " blocks, %" PRIu64 " transactions, %"
				 PRIu64 " relevant", w.c->nodes[k], r.blocks, r.txs, r.relevant);
			log_debug("sync: %s", w.sync_msg);
			w.synced_once = 1;
			cross_check(k);
			break;
		}
		snprintf(w.sync_msg, sizeof(w.sync_msg), "%s", r.msg);
		if (r.status == FWG_SYNC_INVALID) {
			alarm_raise(&w.invalid, "invalid", "%s served a block that does not verify: %s",
				    w.c->nodes[k], r.msg);
		} else {
			log_warnx("sync: %s%s", r.msg, i + 1 < n ? "; trying another node" : "");
		}
		if (r.status == FWG_SYNC_LOCAL)
			break;
	}
	check_freshness();
}

/* ------------------------------------------------------------------ install */

static int sink_write(const void *buf, size_t len, void *arg)
{
	struct {
		uint32_t type;
		uint8_t data[FWG_MSG_DATA_MAX];
	} *m = arg;
	const uint8_t *p = buf;
	size_t n;

	while (len) {
		n = len < FWG_MSG_DATA_MAX ? len : FWG_MSG_DATA_MAX;
		m->type = FWG_MSG_DATA;
		memcpy(m->data, p, n);
		if (send_msg(m, sizeof(m->type) + n))
			return -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

static void serve_ctl(void);

/* Downloads take long: fwgatectl is answered meanwhile. */
static void progress(uint64_t done, uint64_t total, void *arg)
{
	struct pollfd p = { .fd = w.ctl, .events = POLLIN };

	(void)arg;
	w.dl_done = done;
	w.dl_total = total;
	if (w.ctl >= 0 && poll(&p, 1, 0) == 1)
		serve_ctl();
}

/* Sealed images: the monitor, which holds the device key, opens our entry of the recipient table. */
static int unwrap(const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32], void *arg)
{
	struct fwg_msg_unwrap m = { .type = FWG_MSG_UNWRAP };
	struct fwg_msg_unwrapped r;

	(void)arg;
	memcpy(m.hdr, hdr, sizeof(m.hdr));
	memcpy(m.entry, entry, sizeof(m.entry));
	if (send_msg(&m, sizeof(m)))
		return -EPIPE;
	wait_msg(FWG_MSG_UNWRAP_DONE, &r, sizeof(r));
	if (r.err)
		return r.err;
	memcpy(cek, r.cek, 32);
	explicit_bzero(&r, sizeof(r));
	return 0;
}

/* Failures that say nothing about the update (contention, a device or policy missing for now, memory): try again. */
static int transient(int err)
{
	switch (err) {
	case -EAGAIN:
	case -EBUSY:
	case -EINTR:
	case -EIO:
	case -ENOBUFS:
	case -ENODEV:
	case -ENOKEY:
	case -ENOMEM:
		return 1;
	}
	return 0;
}

/*
 * The nack reason when the kernel refused an install for the update itself, 0 otherwise. Not -EBADMSG from
 * commit: the worker has checked the digest of the bytes it streamed, so the kernel's refusal then comes from
 * this device (a write or state store failure, a lost approval; Documentation/fwgate/kernel.rst).
 */
static uint32_t blame(int err)
{
	switch (err) {
	case -ESTALE:
		return FWGATE_NACK_ROLLBACK;
	case -EKEYREJECTED:
		return FWGATE_NACK_BAD_SIGNATURE;
	case -EXDEV:
	case -EFBIG:
	/* The download was the U_id's image, but not the one its hash list names: the manufacturer's doing. */
	case -EILSEQ:
		return FWGATE_NACK_REFUSED;
	}
	return 0;
}

static int gave_up(const struct upd *u)
{
	return u->attempts >= MAX_ATTEMPTS || u->nack_reason;
}

static void install(struct upd *u)
{
	static struct fwg_msg_begin b;
	struct fwg_msg_end e = { .type = FWG_MSG_END };
	const char *urls[FWG_MAX_URLS + FWG_CONF_MAX_MIRRORS + FWG_CONF_MAX_NODES];
	char extra[FWG_CONF_MAX_MIRRORS + FWG_CONF_MAX_NODES][FWG_CONF_URL_LEN + 80];
	struct fwg_fetch_req req = { 0 };
	struct fwg_fetch_sink sink;
	struct fwg_fetch_result res;
	struct fwg_msg_result r;
	unsigned int i, n = 0, x = 0;
	char hex[65], h16[17];
	void *buf;
	int err;

	fwg_hex(u->stmt.u_id, FWGATE_ID_LEN, hex);
	hexs(u->stmt.u_id, h16);
	u->attempts++;
	/* Before BEGIN: once the install is open, only END closes it. */
	buf = malloc(sizeof(uint32_t) + FWG_MSG_DATA_MAX);
	if (!buf) {
		snprintf(u->last_error, sizeof(u->last_error), "out of memory");
		return;
	}
	b.type = FWG_MSG_BEGIN;
	b.stmt = u->stmt;
	b.chunks_len = u->chunks_len;
	memcpy(b.chunks, u->chunks, u->chunks_len);
	send_msg(&b, sizeof(b));
	wait_msg(FWG_MSG_BEGIN_DONE, &r, sizeof(r));
	if (r.err) {
		free(buf);
		snprintf(u->last_error, sizeof(u->last_error), "%s", r.msg);
		log_warnx("update %s version %" PRIu64 ": the kernel refuses it: %s", h16, be64toh(u->stmt.version),
			  r.msg);
		/* The manufacturer is to blame only when the kernel judged the update; else a few more tries. */
		if (blame(r.err))
			nack(u, blame(r.err));
		return;
	}
	log_info("update %s version %" PRIu64 ": installing to %s", h16, be64toh(u->stmt.version), r.slot);

	for (i = 0; i < u->nr_urls; i++)
		urls[n++] = u->urls[i];
	for (i = 0; i < w.c->nr_mirrors; i++) {
		snprintf(extra[x], sizeof(extra[x]), "%s/%s", w.c->mirrors[i], hex);
		urls[n++] = extra[x++];
	}
	for (i = 0; i < w.c->nr_nodes; i++) {
		snprintf(extra[x], sizeof(extra[x]), "%s/blob/%s", w.c->nodes[(w.node + i) % w.c->nr_nodes], hex);
		urls[n++] = extra[x++];
	}
	req.urls = urls;
	req.nr_urls = n;
	memcpy(req.u_id, u->stmt.u_id, FWGATE_ID_LEN);
	req.size = be64toh(u->stmt.size);
	req.progress = progress;
	memcpy(req.device_id, w.p->device_id, FWGATE_ID_LEN);
	req.unwrap = unwrap;
	req.retries = 3;
	req.timeout_s = 30;
	sink.write = sink_write;
	sink.arg = buf;
	memcpy(w.dl_uid, u->stmt.u_id, FWGATE_ID_LEN);
	w.dl_done = 0;
	w.dl_total = req.size;
	clock_gettime(CLOCK_MONOTONIC, &w.dl_start);
	w.installing = 1;
	err = fwg_fetch(&req, &sink, &res);
	w.installing = 0;
	free(buf);
	memcpy(e.u_id, u->stmt.u_id, FWGATE_ID_LEN);
	if (err) {
		e.abort = 1;
		snprintf(u->last_error, sizeof(u->last_error), "%s", res.msg);
		if (res.bad_url >= 0) {
			e.reason = FWGATE_NACK_DIGEST_MISMATCH;
			log_warnx("update %s: %s served bad bytes: %s", h16, res.bad_url_text, res.msg);
		}
	}
	send_msg(&e, sizeof(e));
	wait_msg(FWG_MSG_END_DONE, &r, sizeof(r));
	w.dl_total = 0;
	if (!e.abort && r.err) {
		snprintf(u->last_error, sizeof(u->last_error), "%s", r.msg);
		log_warnx("update %s: commit refused: %s", h16, r.msg);
		e.reason = blame(r.err);
	}
	if (e.reason)
		nack(u, e.reason);
	if (!e.abort && !r.err) {
		u->installed = 1;
		u->last_error[0] = '\0';
		log_info("update %s version %" PRIu64 ": committed on %s", h16, be64toh(u->stmt.version), r.slot);
	}
}

/* Whether a checker is one of the policy in force: after a rotation, only their verdicts count. */
static int trusted(const uint8_t *checker)
{
	uint32_t i;

	for (i = 0; i < w.p->k; i++)
		if (!memcmp(w.p->checkers[i].id, checker, FWGATE_ID_LEN))
			return 1;
	return 0;
}

static int hand_control(const struct fwg_msg_control *m, void *arg)
{
	struct fwg_msg_result r;

	(void)arg;
	if (send_msg(m, sizeof(*m)))
		return -EPIPE;
	wait_msg(FWG_MSG_CONTROL_DONE, &r, sizeof(r));
	return r.err;
}

/* Controls to the kernel; a nack, once, of each withdrawn update that no target of ours holds. */
static void controls(void)
{
	unsigned int i;
	struct upd *u;

	fwg_ctl_feed(hand_control, NULL);
	if (!w.synced_once)
		return;
	for (i = 0; i < w.nr_upd; i++) {
		u = w.upd[i];
		if (fwg_ctl_withdrawn(u->stmt.u_id) && !u->installed && !u->acked)
			nack(u, FWGATE_NACK_WITHDRAWN);
	}
}

static int approved(const struct upd *u)
{
	unsigned int i, a = 0, r = 0;

	for (i = 0; i < u->nv; i++)
		if (trusted(u->v[i].checker))
			u->v[i].kind == FWGATE_VERDICT_APPROVE ? a++ : r++;
	return a >= w.p->threshold && r < w.p->k / 2 + 1;
}

static int apply_rotation(const uint8_t *raw, size_t len, struct fwg_policy *out, char *msg, size_t msg_len,
			  void *arg)
{
	static struct fwg_msg_rotate r;
	static struct fwg_msg_rotated d;

	(void)arg;
	if (len > sizeof(r.tx)) {
		snprintf(msg, msg_len, "a %zu-byte transaction", len);
		return -EMSGSIZE;
	}
	r.type = FWG_MSG_ROTATE;
	r.len = len;
	memcpy(r.tx, raw, len);
	send_msg(&r, offsetof(struct fwg_msg_rotate, tx) + len);
	wait_msg(FWG_MSG_ROTATE_DONE, &d, sizeof(d));
	snprintf(msg, msg_len, "%s", d.msg);
	if (!d.err)
		*out = d.p;
	return d.err;
}

/*
 * The chain's rotations from the policy in force, through the monitor to the kernel. After one, every
 * update not installed is judged again: its bundle goes to the kernel with the new policy's verdicts only.
 */
static void follow(void)
{
	unsigned int i;

	if (!fwg_follow_run(&w.pol, apply_rotation, NULL))
		return;
	for (i = 0; i < w.nr_upd; i++)
		if (!w.upd[i]->installed && w.upd[i]->kernel != -ESTALE)
			w.upd[i]->kernel = 0;
}

/* Whether the rollout lets this device install @u now; says so in the log when that changes. */
static int gate_open(struct upd *u)
{
	struct fwg_gate g;
	char h16[17], why[96];

	fwg_rollout_gate(&w.rollouts, u->stmt.u_id, w.p->device_id, time(NULL), &g);
	if (g.verdict != u->gate) {
		hexs(u->stmt.u_id, h16);
		log_info("update %s version %" PRIu64 ": rollout %s, %s", h16, be64toh(u->stmt.version),
			 fwg_gate_name(g.verdict), fwg_gate_describe(&g, why, sizeof(why)));
		u->gate = g.verdict;
	}
	return g.verdict == FWG_GATE_OPEN;
}

/* Hands new quorums to the kernel, then installs the newest approved update of each group. */
static void act(void)
{
	struct fwg_msg_bundle *b;
	struct fwg_msg_result r;
	unsigned int i, j;
	struct upd *u, *best;
	uint64_t have;

	follow();
	b = malloc(sizeof(*b));
	if (!b)
		return;
	for (i = 0; i < w.nr_upd; i++) {
		u = w.upd[i];
		if (u->kernel || !approved(u))
			continue;
		memset(b, 0, sizeof(*b));
		b->type = FWG_MSG_BUNDLE;
		b->stmt = u->stmt;
		b->sig_len = u->sig_len;
		memcpy(b->sig, u->sig, u->sig_len);
		for (j = 0; j < u->nv; j++)
			if (trusted(u->v[j].checker))
				b->v[b->nv++] = u->v[j];
		send_msg(b, sizeof(*b));
		wait_msg(FWG_MSG_BUNDLE_DONE, &r, sizeof(r));
		if (r.err == -ESTALE) {
			/* Older than what a target holds: superseded, not a fault. */
			u->kernel = r.err;
			snprintf(u->last_error, sizeof(u->last_error), "superseded: at or below the rollback floor");
		} else if (transient(r.err)) {
			snprintf(u->last_error, sizeof(u->last_error), "%s", r.msg);
			log_warnx("update version %" PRIu64 ": bundle not recorded, tried again at the next round: %s",
				  be64toh(u->stmt.version), r.msg);
		} else if (r.err) {
			u->kernel = r.err;
			snprintf(u->last_error, sizeof(u->last_error), "%s", r.msg);
			log_warnx("update version %" PRIu64 ": the kernel refuses its bundle: %s",
				  be64toh(u->stmt.version), r.msg);
			/* The kernel verified a signature the chain's node accepted: someone signed badly. */
			if (r.err == -EKEYREJECTED)
				nack(u, FWGATE_NACK_BAD_SIGNATURE);
		} else {
			u->kernel = r.state == FWGATE_UPDATE_APPROVED ? 1 : -EACCES;
			u->last_error[0] = '\0';
		}
	}
	free(b);
	reconcile_acks();
	controls();
	for (i = 0; i < w.nr_upd; i++) {
		const char *group = w.upd[i]->stmt.target;

		/* Each group once a round: its first update stands for it. */
		for (j = 0; j < i; j++)
			if (!strncmp(w.upd[j]->stmt.target, group, FWGATE_NAME_LEN))
				break;
		if (j < i)
			continue;
		best = NULL;
		have = 0;
		for (j = 0; j < w.nr_upd; j++) {
			u = w.upd[j];
			if (strncmp(u->stmt.target, group, FWGATE_NAME_LEN))
				continue;
			if (u->installed && be64toh(u->stmt.version) > have)
				have = be64toh(u->stmt.version);
			if (u->kernel == 1 && !u->installed && !gave_up(u) && !fwg_ctl_withdrawn(u->stmt.u_id) &&
			    !fwg_ctl_paused(u->stmt.u_id) && gate_open(u) &&
			    (!best || be64toh(u->stmt.version) > be64toh(best->stmt.version)))
				best = u;
		}
		if (best && be64toh(best->stmt.version) > have)
			install(best);
	}
}

/* ------------------------------------------------------------------ messages from the monitor */

static void handle_async(const uint8_t *buf, size_t len)
{
	const struct fwg_msg_submit *s = (const void *)buf;
	const struct fwg_msg_committed *c = (const void *)buf;
	uint32_t type;
	unsigned int i;
	struct upd *u;

	memcpy(&type, buf, sizeof(type));
	switch (type) {
	case FWG_MSG_SUBMIT:
		if (len < offsetof(struct fwg_msg_submit, tx) || s->len > sizeof(s->tx) ||
		    len < offsetof(struct fwg_msg_submit, tx) + s->len)
			return;
		for (i = 0; i < w.nr_hist; i++)
			if (!memcmp(w.hist[i].id, s->id, FWGATE_ID_LEN)) {
				included(s->id);	/* in the chain already */
				return;
			}
		for (i = 0; i < w.nr_pend; i++)
			if (!memcmp(w.pend[i].id, s->id, FWGATE_ID_LEN))
				return;
		if (w.nr_pend == MAX_PENDING)
			return;		/* stays in the monitor's queue, sent again at the next start */
		w.pend[w.nr_pend].tx = malloc(s->len);
		if (!w.pend[w.nr_pend].tx)
			return;
		memcpy(w.pend[w.nr_pend].id, s->id, FWGATE_ID_LEN);
		memcpy(w.pend[w.nr_pend].tx, s->tx, s->len);
		w.pend[w.nr_pend].len = s->len;
		w.pend[w.nr_pend].last[0] = '\0';
		w.nr_pend++;
		if (s->len > 2 + 8 + FWGATE_ID_LEN && s->tx[1] == FWG_TX_ACK && (u = upd_find(s->tx + 10)) &&
		    u->acked < 0)
			u->acked = 0;
		/* Sent by the main loop, once for all the SUBMITs that arrive together (the queue at a start). */
		w.next_retry = 0;
		break;
	case FWG_MSG_SIGN_FAILED:
		/* Nothing queued: the next round asks again, so that no acknowledgement is dropped. */
		if (len < sizeof(struct fwg_msg_sign) || !(u = upd_find(((const struct fwg_msg_sign *)buf)->u_id)))
			return;
		if (((const struct fwg_msg_sign *)buf)->nack)
			u->nack_sent = 0;
		else if (u->acked < 0)
			u->acked = 0;
		break;
	case FWG_MSG_COMMITTED:
		if (len < sizeof(*c))
			return;
		for (i = 0; i < w.nr_committed; i++)
			if (!strncmp(w.committed[i].target, c->target, FWGATE_NAME_LEN))
				break;
		if (i == MAX_COMMITTED)
			return;
		w.committed[i] = *c;
		if (i == w.nr_committed)
			w.nr_committed++;
		reconcile_acks();
		break;
	}
}

/* ------------------------------------------------------------------ fwgatectl */

static const char *update_state(const struct upd *u)
{
	/* The two phases of the acknowledgement (Documentation/fwgate/fwgated.rst, "Boot and fallback"). */
	if (u->installed && u->fell_back)
		return "fell-back";
	if (u->installed && u->running)
		return "running";
	if (u->installed)
		return "installed";
	if (u->rejections >= w.p->k / 2 + 1)
		return "rejected";
	if (u->kernel < 0 || gave_up(u))
		return "failed";
	if (approved(u) && u->gate != FWG_GATE_OPEN)
		return fwg_gate_name(u->gate);
	if (approved(u))
		return w.dl_total && !memcmp(w.dl_uid, u->stmt.u_id, FWGATE_ID_LEN) ? "installing" : "approved";
	return "pending";
}

/* The running download's (and install's: one stream) percent, bytes per second and seconds left. */
struct dl_rate {
	unsigned int percent;
	double rate;
	long eta_s;
};

static struct dl_rate dl_rate(void)
{
	struct dl_rate r = { .percent = w.dl_total ? (unsigned int)(100 * w.dl_done / w.dl_total) : 0 };
	struct timespec now;
	double t;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (now.tv_sec - w.dl_start.tv_sec) + (now.tv_nsec - w.dl_start.tv_nsec) / 1e9;
	r.rate = t > 0 ? w.dl_done / t : 0;
	r.eta_s = r.rate > 0 && w.dl_total > w.dl_done ? (long)((w.dl_total - w.dl_done) / r.rate + 0.5) : -1;
	return r;
}

/* The chain's rotations fwgate.ko refused: the policy stays, and the administrator should know why. */
static void ctl_rotations(FILE *f)
{
	static struct fwg_follow_info r[FWG_FOLLOW_MAX];
	unsigned int i, n = fwg_follow_list(r, FWG_FOLLOW_MAX);

	for (i = 0; i < n; i++)
		if (r[i].refused)
			fprintf(f, "rotation   to epoch %" PRIu64 " (block %" PRIu64 ") REFUSED by fwgate.ko: %s\n",
				r[i].next_epoch, r[i].height, r[i].why);
}

static void ctl_status(FILE *f)
{
	const struct fwg_store_head *h = fwg_sync_head(w.sync);
	time_t now = time(NULL);
	char tip[65];

	fwg_hex(h->tip, FWGATE_ID_LEN, tip);
	fprintf(f, "device     %s\n", w.certified ? "certified on the chain" : "no certificate seen on the chain");
	fprintf(f, "node       %s\n", w.node >= 0 ? w.c->nodes[w.node] : "(none yet)");
	fprintf(f, "head       %" PRIu64 " %s\n", h->next ? h->next - 1 : 0, h->next ? tip : "(empty)");
	fprintf(f, "head age   %" PRIu64 " s (limit %u s)\n",
		h->next ? (uint64_t)now - h->tip_time_ms / 1000 : 0, w.c->freshness_s);
	fprintf(f, "last sync  %lld s ago: %s\n", w.last_sync ? (long long)(now - w.last_sync) : -1LL,
		w.sync_msg[0] ? w.sync_msg : "-");
	fprintf(f, "alarm      %s%s%s%s%s\n", w.frozen ? "FREEZE " : "", w.forked ? "FORK " : "",
		w.invalid ? "INVALID-NODE " : "", w.withheld ? "WITHHELD " : "",
		w.frozen || w.forked || w.invalid || w.withheld ? w.alarm : "none");
	fprintf(f, "store      %" PRIu64 " bytes\n", fwg_sync_store_size(w.sync));
	fprintf(f, "updates    %u\n", w.nr_upd);
	fprintf(f, "acks       %u waiting for inclusion\n", w.nr_pend);
	fprintf(f, "policy     epoch %" PRIu64 "\n", w.p->epoch);
	ctl_rotations(f);
	if (w.dl_total) {
		struct dl_rate r = dl_rate();

		fprintf(f, "download   %" PRIu64 " / %" PRIu64 " bytes (%u%%, %.2f MiB/s, %ld s left)\n", w.dl_done,
			w.dl_total, r.percent, r.rate / 1048576, r.eta_s);
	}
}

/* The device's own stage in the update's rollout, under the update's line; nothing without plan or pause. */
static void ctl_rollout(FILE *f, const struct upd *u)
{
	struct fwg_gate g;
	char why[96];

	fwg_rollout_gate(&w.rollouts, u->stmt.u_id, w.p->device_id, time(NULL), &g);
	if (g.planned || g.verdict != FWG_GATE_OPEN)
		fprintf(f, "    rollout %s: %s\n", fwg_gate_name(g.verdict), fwg_gate_describe(&g, why, sizeof(why)));
}

static void ctl_rollout_json(FILE *f, const struct upd *u)
{
	struct fwg_gate g;

	fwg_rollout_gate(&w.rollouts, u->stmt.u_id, w.p->device_id, time(NULL), &g);
	fprintf(f, ", \"rollout\": {\"gate\": \"%s\", \"planned\": %s", fwg_gate_name(g.verdict),
		g.planned ? "true" : "false");
	if (g.planned)
		fprintf(f, ", \"stage\": %u, \"stages\": %u, \"draw\": %u, \"open_through\": %d", g.stage, g.stages,
			g.draw, g.open_through);
	fprintf(f, "}");
}

static void ctl_updates(FILE *f, int verdicts)
{
	unsigned int i, j;
	char h[17], c[17];

	fprintf(f, "%-16s %8s %-12s %4s %4s %-10s %s\n", "update", "version", "target", "ok", "no", "state",
		"block");
	for (i = 0; i < w.nr_upd; i++) {
		struct upd *u = w.upd[i];

		hexs(u->stmt.u_id, h);
		fprintf(f, "%-16s %8" PRIu64 " %-12.31s %4u %4u %-10s %" PRIu64 "%s%s\n", h, be64toh(u->stmt.version),
			u->stmt.target, u->approvals, u->rejections, update_state(u), u->height,
			u->last_error[0] ? "  " : "", u->last_error);
		ctl_rollout(f, u);
		for (j = 0; verdicts && j < u->nv; j++) {
			hexs(u->v[j].checker, c);
			fprintf(f, "    %s by checker %s in block %" PRIu64 "\n",
				u->v[j].kind == FWGATE_VERDICT_APPROVE ? "approved" : "rejected", c, u->vheight[j]);
		}
	}
}

static void ctl_history(FILE *f)
{
	unsigned int i;
	char u[17], id[17], o[17], c[17];

	for (i = 0; i < w.nr_hist; i++) {
		struct hist *h = &w.hist[i];

		hexs(h->u_id, u);
		hexs(h->id, id);
		hexs(h->o_id, o);
		hexs(h->culprit, c);
		if (h->type != FWG_TX_NACK)
			fprintf(f, "block %-8" PRIu64 " %s %s update %s%s%s\n", h->height,
				h->type == FWG_TX_ACK ? "ack " : "running", id, u, h->own ? "" : " by ", h->own ? "" : o);
		else
			fprintf(f, "block %-8" PRIu64 " nack %s update %s naming %s reason %u%s%s\n", h->height, id, u,
				c, h->reason, h->own ? "" : " by ", h->own ? "" : o);
	}
	for (i = 0; i < w.nr_pend; i++) {
		hexs(w.pend[i].id, id);
		fprintf(f, "pending     %s %s\n", id, w.pend[i].last);
	}
}

/* The same views as one JSON object each (Documentation/fwgate/control.rst), ids in full. */
static void ctl_status_json(FILE *f)
{
	const struct fwg_store_head *h = fwg_sync_head(w.sync);
	const char *alarms[4];
	time_t now = time(NULL);
	unsigned int i, n = 0;

	if (w.frozen)
		alarms[n++] = "freeze";
	if (w.forked)
		alarms[n++] = "fork";
	if (w.invalid)
		alarms[n++] = "invalid-node";
	if (w.withheld)
		alarms[n++] = "withheld";
	fprintf(f, "{\"version\": %d, \"certified\": %s", FWG_CONTROL_VERSION, w.certified ? "true" : "false");
	fwg_json_kv(f, 0, "node", w.node >= 0 ? w.c->nodes[w.node] : "");
	fprintf(f, ", \"height\": %" PRIu64, h->next ? h->next - 1 : 0);
	if (h->next)
		fwg_json_id(f, 0, "head", h->tip);
	fprintf(f, ", \"head_age_s\": %" PRIu64 ", \"freshness_s\": %u",
		h->next ? (uint64_t)now - h->tip_time_ms / 1000 : 0, w.c->freshness_s);
	fprintf(f, ", \"last_sync_s\": %lld", w.last_sync ? (long long)(now - w.last_sync) : -1LL);
	fwg_json_kv(f, 0, "sync", w.sync_msg);
	fprintf(f, ", \"alarms\": [");
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", alarms[i]);
	fprintf(f, "]");
	fwg_json_kv(f, 0, "alarm", n ? w.alarm : "");
	fprintf(f, ", \"store_bytes\": %" PRIu64 ", \"updates\": %u, \"acks_waiting\": %u",
		fwg_sync_store_size(w.sync), w.nr_upd, w.nr_pend);
	if (w.dl_total) {
		struct dl_rate r = dl_rate();

		fprintf(f, ", \"download\": {\"done\": %" PRIu64 ", \"total\": %" PRIu64 ", \"percent\": %u, "
			"\"rate\": %.0f, \"eta_s\": %ld}", w.dl_done, w.dl_total, r.percent, r.rate, r.eta_s);
	}
	fprintf(f, "}\n");
}

static void ctl_updates_json(FILE *f, int verdicts)
{
	char target[FWGATE_NAME_LEN + 1];
	unsigned int i, j;

	fprintf(f, "{\"version\": %d, \"updates\": [", FWG_CONTROL_VERSION);
	for (i = 0; i < w.nr_upd; i++) {
		struct upd *u = w.upd[i];

		snprintf(target, sizeof(target), "%.*s", FWGATE_NAME_LEN, u->stmt.target);
		fprintf(f, "%s\n  {\"version\": %" PRIu64, i ? "," : "", be64toh(u->stmt.version));
		fwg_json_id(f, 0, "u_id", u->stmt.u_id);
		fwg_json_kv(f, 0, "target", target);
		fprintf(f, ", \"approvals\": %u, \"rejections\": %u", u->approvals, u->rejections);
		fwg_json_kv(f, 0, "state", update_state(u));
		fprintf(f, ", \"height\": %" PRIu64, u->height);
		fwg_json_kv(f, 0, "error", u->last_error);
		ctl_rollout_json(f, u);
		if (verdicts) {
			fprintf(f, ", \"verdicts\": [");
			for (j = 0; j < u->nv; j++) {
				fprintf(f, "%s{\"verdict\": \"%s\"", j ? ", " : "",
					u->v[j].kind == FWGATE_VERDICT_APPROVE ? "approve" : "reject");
				fwg_json_id(f, 0, "checker", u->v[j].checker);
				fprintf(f, ", \"height\": %" PRIu64 "}", u->vheight[j]);
			}
			fprintf(f, "]");
		}
		fprintf(f, "}");
	}
	fprintf(f, "\n]}\n");
}

static void ctl_history_json(FILE *f)
{
	unsigned int i;

	fprintf(f, "{\"version\": %d, \"history\": [", FWG_CONTROL_VERSION);
	for (i = 0; i < w.nr_hist; i++) {
		struct hist *h = &w.hist[i];

		fprintf(f, "%s\n  {\"type\": \"%s\", \"height\": %" PRIu64, i ? "," : "",
			fwg_tx_type_name(h->type), h->height);
		fwg_json_id(f, 0, "id", h->id);
		fwg_json_id(f, 0, "u_id", h->u_id);
		fprintf(f, ", \"own\": %s", h->own ? "true" : "false");
		if (!h->own)
			fwg_json_id(f, 0, "by", h->o_id);
		if (h->type == FWG_TX_NACK) {
			fwg_json_id(f, 0, "culprit", h->culprit);
			fprintf(f, ", \"reason\": %u", h->reason);
		}
		fprintf(f, "}");
	}
	fprintf(f, "\n], \"pending\": [");
	for (i = 0; i < w.nr_pend; i++) {
		fprintf(f, "%s\n  {", i ? "," : "");
		fwg_json_id(f, 0, "id", w.pend[i].id);
		fwg_json_kv(f, 0, "last", w.pend[i].last);
		fprintf(f, "}");
	}
	fprintf(f, "\n]}\n");
}

static void serve_ctl(void)
{
	char line[64] = "";
	struct pollfd pfd;
	ssize_t n;
	FILE *f;
	int fd;

	fd = accept4(w.ctl, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 2000) == 1 && (n = read(fd, line, sizeof(line) - 1)) > 0)
		line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	if (!strcmp(line, "version")) {
		fprintf(f, "fwgated-control %d\n", FWG_CONTROL_VERSION);
	} else if (!strcmp(line, "status")) {
		ctl_status(f);
	} else if (!strcmp(line, "json status")) {
		ctl_status_json(f);
	} else if (!strcmp(line, "updates")) {
		ctl_updates(f, 0);
	} else if (!strcmp(line, "json updates")) {
		ctl_updates_json(f, 0);
	} else if (!strcmp(line, "approvals")) {
		ctl_updates(f, 1);
	} else if (!strcmp(line, "json approvals")) {
		ctl_updates_json(f, 1);
	} else if (!strcmp(line, "history")) {
		ctl_history(f);
	} else if (!strcmp(line, "json history")) {
		ctl_history_json(f);
	} else if (!strncmp(line, "json ", 5)) {
		fprintf(f, "{\"error\": \"unknown request\", \"request\": ");
		fwg_json_str(f, line + 5);
		fprintf(f, "}\n");
	} else if (!strcmp(line, "sync") && w.installing) {
		fprintf(f, "busy: an install is running; the sync follows it\n");
	} else if (!strcmp(line, "sync")) {
		fflush(f);
		do_sync();
		act();
		fprintf(f, "%s\n", w.sync_msg);
	} else {
		fprintf(f, "error: unknown request \"%.40s\" (version, status, updates, approvals, history, sync; "
			"json before the first four)\n", line);
	}
	fclose(f);
}

int fwg_worker_main(const struct fwg_conf *c, const struct fwg_policy *p, int sock, int ctl)
{
	char dir[FWG_CONF_PATH_LEN + 8];
	struct pollfd pfd[2];
	time_t next_sync = 0, now;
	int timeout;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.pol = *p;
	w.p = &w.pol;
	w.sock = sock;
	w.ctl = ctl;
	w.node = -1;
	signal(SIGCHLD, SIG_IGN);	/* alarm hooks are not waited for */
	srand(time(NULL) ^ getpid());
	fwg_http_set_ca_file(c->ca_file);
	snprintf(dir, sizeof(dir), "%s/sync", c->state_dir);
	w.sync = fwg_sync_new(p, p->device_id, c->has_genesis ? c->genesis : NULL, dir, on_tx, NULL);
	if (!w.sync) {
		log_warnx("worker: can not open the local store %s", dir);
		return 1;
	}
	log_info("worker: store %s at height %" PRIu64 ", %u updates known", dir, fwg_sync_head(w.sync)->next,
		 w.nr_upd);
	for (;;) {
		now = time(NULL);
		if (now >= next_sync) {
			do_sync();
			act();
			next_sync = time(NULL) + c->sync_interval_s;
		}
		if (w.nr_pend && now >= w.next_retry) {
			submit_pending();
			w.next_retry = now + c->retry_s;
		}
		timeout = (int)(next_sync - time(NULL));
		if (w.nr_pend && w.next_retry - time(NULL) < timeout)
			timeout = (int)(w.next_retry - time(NULL));
		pfd[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		if (poll(pfd, ctl >= 0 ? 2 : 1, timeout > 0 ? timeout * 1000 : 0) < 0 && errno != EINTR)
			return 1;
		if (pfd[0].revents & (POLLHUP | POLLERR)) {
			log_info("worker: the monitor went away");
			return 0;
		}
		if (pfd[0].revents & POLLIN) {
			static uint8_t buf[sizeof(struct fwg_msg_submit) + 64];
			ssize_t n;

			/* All that is waiting, so that a burst of SUBMITs is sent in one go. */
			while ((n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				if (n > 4)
					handle_async(buf, n);
			if (n == 0)
				return 0;
		}
		if (ctl >= 0 && pfd[1].revents & POLLIN)
			serve_ctl();
	}
}
