// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate-node: serves the ledger to devices and tools over HTTP, and appends the transactions it accepts to
 * the chain kept in etcd (Documentation/fwgate/ledger.rst).
 *
 * One appender thread owns every write: it reads the blocks other nodes appended, cuts a block from the
 * pending transactions, and writes it under etcd key <prefix>b/<height> only if that key does not exist yet,
 * so that concurrent nodes keep the chain linear. A submitter's HTTP request is answered 2xx only once the
 * block holding its transaction is committed by Raft (etcd said its put succeeded, or the node read it back),
 * so a crash loses nothing that was acknowledged; and a transaction is appended only if the chain read up to
 * the previous block does not hold it, so nothing is appended twice.
 *
 * Blocks stay in memory, except those holding chunks of in-chain images: the node keeps only their hash and
 * reads them back from etcd when a client asks, so that images never sit in its RAM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "admit.h"
#include "cache.h"
#include "cmd.h"
#include "exit.h"
#include "etcd.h"
#include "ledger.h"
#include "files.h"
#include "log.h"

#define RETRY_LIMIT_MS	30000	/* a transaction not appended by then gets a 503 */

struct req {
	uint8_t *tx;
	size_t len;
	uint8_t id[FWGATE_ID_LEN];
	uint8_t ukey[FWGATE_ID_LEN];		/* fwg_tx_unique_key() */
	uint64_t t0_ms;
	int done, status;
	int abandoned;				/* under qlock: the submitter answered 503 and left; finish() frees */
	uint64_t height;
	char why[256];
	pthread_cond_t cond;			/* under qlock: done became 1 */
	struct req *next;
};

struct block {
	uint8_t *data;				/* NULL: in etcd only (it holds image chunks) */
	size_t len;
	uint64_t time_ms;
	uint8_t hash[FWGATE_ID_LEN];
};

static struct {
	const char *prefix, *blobs;
	unsigned int batch_ms, heartbeat_ms, max_batch;
	unsigned int poll_ms;			/* reads of etcd when idle, in case a watch event was lost */
	int verify_peers;			/* verify signatures in the blocks other nodes append */
	struct etcd *etcd;
	struct etcd *reader;			/* blocks not kept in memory, for the HTTP threads */
	pthread_mutex_t reader_lock;
	uint8_t own[FWGATE_ID_LEN];		/* hash of the block this node last tried to append */

	pthread_rwlock_t lock;			/* state and blocks; written by the appender only */
	struct fwg_state *state;
	struct block *blocks;
	size_t nr_blocks, cap_blocks;

	pthread_mutex_t qlock;
	pthread_cond_t qcond, done;		/* new work for the appender; a block or a verdict */
	struct req *head, **tail;
	size_t nr_pending;
	uint64_t syncs;				/* reads of etcd completed */
	int moved;				/* the watch saw the head move */
	int halted;				/* etcd holds a block this node refused: it stays before it */
	char halt_why[320];

	/* Metrics, under qlock. */
	uint64_t accepted, refused[4], appended_blocks, appended_tx, conflicts, etcd_errors, included_ms;
	uint64_t blocks_refused, peer_blocks_verified;
	uint64_t latency_buckets[8];

	int stopping;				/* under qlock: SIGTERM came; waits end, new work is refused */
	struct MHD_Daemon *daemon;
	struct cache *cache;			/* blocks read back from etcd, answers that never change */
	uint64_t http_reads;			/* __atomic */
	char head_cc[64];			/* Cache-Control of the answers that follow the head */
} node = { .prefix = "fwgate/", .batch_ms = 5, .heartbeat_ms = 10000, .max_batch = 4096, .poll_ms = 500,
	    .verify_peers = 1 };

static const unsigned int latency_le_ms[8] = { 5, 10, 25, 50, 100, 250, 1000, 5000 };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const unsigned int err_status[] = {
	[FWG_ERR_FORMAT] = 400,
	[FWG_ERR_SIGNER] = 403,
	[FWG_ERR_REPLAY] = 409,
	[FWG_ERR_REFERENCE] = 422,
};

static void block_key(uint64_t h, char *key, size_t len)
{
	snprintf(key, len, "%sb/%016" PRIx64, node.prefix, h);
}

/* ------------------------------------------------------------------ the appender */

/*
 * Applies a block read from etcd; the appender holds no lock on entry. A block that does not verify halts
 * the node before it: the node serves the chain up to the block before, appends nothing more, and says
 * why in its log, its metrics and its answers to submitters, until an operator repairs the chain.
 */
static int apply_block(const uint8_t *data, size_t len)
{
	uint8_t hash[FWGATE_ID_LEN];
	struct fwg_block b;
	struct fwg_err err;
	struct block *nb;
	int ret, sigs;
	uint32_t i;

	pthread_rwlock_wrlock(&node.lock);
	if (node.nr_blocks == node.cap_blocks) {
		size_t cap = node.cap_blocks ? 2 * node.cap_blocks : 1024;

		nb = realloc(node.blocks, cap * sizeof(*nb));
		if (!nb) {
			pthread_rwlock_unlock(&node.lock);
			return -1;
		}
		node.blocks = nb;
		node.cap_blocks = cap;
	}
	/* This node verified the signatures of its own blocks when they were submitted. */
	if (len >= FWG_BLOCK_HDR_LEN)
		fwg_sha256(data, FWG_BLOCK_HDR_LEN, hash);
	sigs = node.verify_peers && (len < FWG_BLOCK_HDR_LEN || memcmp(hash, node.own, FWGATE_ID_LEN));
	ret = fwg_state_add_block(node.state, data, len, sigs, &err);
	if (!ret) {
		nb = &node.blocks[node.nr_blocks++];
		fwg_block_decode(data, len, &b, &err);
		for (i = 0; i < b.hdr.nr_tx && b.tx[i][1] != FWG_TX_BLOB; i++)
			;
		nb->data = i < b.hdr.nr_tx ? NULL : malloc(len);
		if (nb->data)
			memcpy(nb->data, data, len);
		nb->len = len;
		nb->time_ms = b.hdr.time_ms;
		memcpy(nb->hash, b.hash, FWGATE_ID_LEN);
		fwg_block_release(&b);
	}
	pthread_rwlock_unlock(&node.lock);
	pthread_mutex_lock(&node.qlock);
	if (ret) {
		node.halted = 1;
		node.blocks_refused++;
		snprintf(node.halt_why, sizeof(node.halt_why), "%s", err.msg);
	} else if (sigs) {
		node.peer_blocks_verified++;
	}
	pthread_mutex_unlock(&node.qlock);
	if (ret)
		log_warnx("etcd holds block %zu that does not verify%s; this node stays at block %zu, serves nothing "
			  "after it and appends nothing until the chain is repaired and it is restarted: %s",
			  node.nr_blocks, sigs ? "" : " (signatures not checked)",
			  node.nr_blocks ? node.nr_blocks - 1 : 0, err.msg);
	return ret;
}

/* Reads and applies every block appended since the last one applied. */
static int sync_chain(void)
{
	char start[256], end[256];
	struct etcd_kv *kvs;
	size_t n, i;
	int got = 0;

	/* The state may hold part of the refused block: only a restart can resume. */
	if (node.halted)
		return -1;
	snprintf(end, sizeof(end), "%sb0", node.prefix);
	do {
		block_key(node.nr_blocks, start, sizeof(start));
		if (etcd_range(node.etcd, start, end, 64, &kvs, &n)) {
			node.etcd_errors++;
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (apply_block(kvs[i].value, kvs[i].len)) {
				etcd_kvs_free(kvs, n);
				return -1;
			}
			got++;
		}
		etcd_kvs_free(kvs, n);
	} while (n == 64);
	pthread_mutex_lock(&node.qlock);
	node.syncs++;
	pthread_cond_broadcast(&node.done);
	pthread_mutex_unlock(&node.qlock);
	return got;
}

static void finish(struct req *r, int status, uint64_t height, const char *why)
{
	if (r->abandoned) {
		free(r->tx);
		free(r);
		return;
	}
	r->status = status;
	r->height = height;
	snprintf(r->why, sizeof(r->why), "%s", why);
	r->done = 1;
	pthread_cond_signal(&r->cond);
}

static int cmp_ukey(const void *a, const void *b)
{
	const struct req *const *x = a, *const *y = b;

	return memcmp((*x)->ukey, (*y)->ukey, FWGATE_ID_LEN);
}

/*
 * Settles what the chain now decides for each request of the batch: included (2xx), refused because of a
 * transaction appended since it was checked (a replay, 409, or a conflict), or still to append. Returns how
 * many are left, compacted at the front of the batch.
 */
static size_t settle(struct req **batch, size_t n)
{
	struct fwg_tx tx;
	struct fwg_err err;
	uint64_t h, now = now_ms();
	size_t i, left = 0;

	pthread_mutex_lock(&node.qlock);
	for (i = 0; i < n; i++) {
		struct req *r = batch[i];

		if (!fwg_state_find(node.state, r->id, &h)) {
			finish(r, 200, h, "");
			node.accepted++;
			node.included_ms += now - r->t0_ms;
			for (h = 0; h < 8 && now - r->t0_ms > latency_le_ms[h]; h++)
				;
			if (h < 8)
				node.latency_buckets[h]++;
			continue;
		}
		if (!fwg_tx_decode(r->tx, r->len, &tx, &err) && fwg_state_recheck(node.state, &tx, &err)) {
			finish(r, err_status[err.kind], 0, err.msg);
			node.refused[err.kind]++;
			fwg_tx_release(&tx);
			continue;
		}
		fwg_tx_release(&tx);
		if (now - r->t0_ms > RETRY_LIMIT_MS) {
			finish(r, 503, 0, "not appended in time; submit again");
			continue;
		}
		batch[left++] = r;
	}
	pthread_mutex_unlock(&node.qlock);
	return left;
}

/*
 * Within one batch, a second copy of a signed statement is a replay of the first; so is a second
 * certificate of one device key or a second copy of one image chunk, which could not both be appended.
 */
static size_t dedupe(struct req **batch, size_t n, struct req **out)
{
	size_t i, m = 0;

	qsort(batch, n, sizeof(*batch), cmp_ukey);
	pthread_mutex_lock(&node.qlock);
	for (i = 0; i < n; i++) {
		if (m && !memcmp(out[m - 1]->ukey, batch[i]->ukey, FWGATE_ID_LEN)) {
			finish(batch[i], 409, 0, "replay: this statement, or one for the same device key or image "
			       "chunk, is already being appended");
			node.refused[FWG_ERR_REPLAY]++;
			continue;
		}
		out[m++] = batch[i];
	}
	pthread_mutex_unlock(&node.qlock);
	return m;
}

/*
 * A trust transaction (policy, rotate, revoke, member) changes what the transactions after it may be: a
 * revocation refuses the device's acks, a rotation a removed checker's verdicts, a leave the member's
 * statements. Each was checked against the chain before the batch, not after the others, so a trust
 * transaction goes in a block of its own and the rest of the batch waits for the next block (settle()
 * checks it again then). How many requests at the front of the batch go in the next block:
 */
static size_t trust_prefix(struct req **batch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (batch[i]->len > 1 && batch[i]->tx[1] >= FWG_TX_POLICY && batch[i]->tx[1] <= FWG_TX_MEMBER)
			return i ? i : 1;
	return n;
}

/* A halted node appends nothing: every request waiting gets a 503 that says why. */
static size_t halt_batch(struct req **batch, size_t n)
{
	char why[256];
	size_t i;

	pthread_mutex_lock(&node.qlock);
	snprintf(why, sizeof(why), "this node halted: etcd holds a block it refuses (%.150s); submit to another "
		 "node", node.halt_why);
	for (i = 0; i < n; i++)
		finish(batch[i], 503, 0, why);
	pthread_mutex_unlock(&node.qlock);
	return 0;
}

/*
 * Writes a block of the batch at the next height; 1 if etcd put it, 0 if another node took the height, -1 if
 * the outcome is unknown. etcd answers "succeeded" only once Raft committed the put, so a block it put is
 * applied from this buffer rather than read back: the node knows its bytes, and the read would cost etcd
 * and the node a second copy of every block this node appends.
 */
static int append(struct req **batch, size_t n)
{
	const uint8_t **tx = malloc((n ? n : 1) * sizeof(*tx));
	uint32_t *len = malloc((n ? n : 1) * sizeof(*len));
	struct fwg_block_hdr h = { .height = node.nr_blocks, .time_ms = now_ms() };
	struct etcd_kv puts[2];
	char bkey[256], hkey[256];
	uint8_t head[8 + FWGATE_ID_LEN];
	uint8_t *blk;
	size_t i, blen;
	int ret;

	for (i = 0; i < n; i++) {
		tx[i] = batch[i]->tx;
		len[i] = batch[i]->len;
	}
	memcpy(h.prev, fwg_state_tip(node.state), FWGATE_ID_LEN);
	blk = fwg_block_encode(&h, tx, len, n, &blen);
	free(tx);
	free(len);
	if (!blk)
		return -1;
	block_key(h.height, bkey, sizeof(bkey));
	snprintf(hkey, sizeof(hkey), "%shead", node.prefix);
	head[0] = h.height >> 56; head[1] = h.height >> 48; head[2] = h.height >> 40; head[3] = h.height >> 32;
	head[4] = h.height >> 24; head[5] = h.height >> 16; head[6] = h.height >> 8; head[7] = h.height;
	fwg_block_hash(&h, head + 8);
	memcpy(node.own, head + 8, FWGATE_ID_LEN);
	puts[0] = (struct etcd_kv){ .key = bkey, .value = blk, .len = blen };
	puts[1] = (struct etcd_kv){ .key = hkey, .value = head, .len = sizeof(head) };
	ret = etcd_put_if_absent(node.etcd, bkey, puts, 2);
	if (ret == 1 && apply_block(blk, blen))
		ret = -1;
	free(blk);
	pthread_mutex_lock(&node.qlock);
	if (ret == 1) {
		node.appended_blocks++;
		node.appended_tx += n;
	} else if (ret == 0) {
		node.conflicts++;
	} else {
		node.etcd_errors++;
	}
	pthread_mutex_unlock(&node.qlock);
	if (ret < 0)
		usleep(100000);
	return ret;
}

/* etcd tells that the head moved: the appender reads the new blocks now rather than at its next poll. */
static void head_moved(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&node.qlock);
	node.moved = 1;
	pthread_cond_signal(&node.qcond);
	pthread_mutex_unlock(&node.qlock);
}

static void *watcher(void *arg)
{
	struct etcd *e = arg;
	char key[256];

	snprintf(key, sizeof(key), "%shead", node.prefix);
	for (;;) {
		etcd_watch(e, key, head_moved, NULL);
		usleep(200000);
	}
	return NULL;
}

static void *appender(void *arg)
{
	struct req **batch = calloc(FWG_BLOCK_MAX_TX, sizeof(*batch));
	struct req **uniq = calloc(FWG_BLOCK_MAX_TX, sizeof(*uniq));
	size_t n = 0, bytes = 0, i;
	struct timespec ts;

	(void)arg;
	for (;;) {
		uint64_t last = node.nr_blocks ? node.blocks[node.nr_blocks - 1].time_ms : 0;

		/* Take what is queued, waiting a little so that blocks hold many transactions. */
		pthread_mutex_lock(&node.qlock);
		if (!node.head && !n && !node.moved) {
			/* Until the next poll, or the next heartbeat if that comes first. */
			uint64_t wait = node.poll_ms, t = now_ms(), due = last + node.heartbeat_ms;

			if (node.halted)
				wait = node.poll_ms;
			else if (last && due <= t)
				wait = 0;
			else if (last && due - t < wait)
				wait = due - t;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += wait * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (wait)
				pthread_cond_timedwait(&node.qcond, &node.qlock, &ts);
		}
		node.moved = 0;
		if (node.head && node.nr_pending < node.max_batch && node.batch_ms) {
			pthread_mutex_unlock(&node.qlock);
			usleep(node.batch_ms * 1000);
			pthread_mutex_lock(&node.qlock);
		}
		while (node.head && n < node.max_batch && n < FWG_BLOCK_MAX_TX &&
		       bytes + node.head->len + 4 < FWG_BLOCK_MAX - 4096) {
			struct req *r = node.head;

			node.head = r->next;
			if (!node.head)
				node.tail = &node.head;
			node.nr_pending--;
			bytes += r->len + 4;
			batch[n++] = r;
		}
		pthread_mutex_unlock(&node.qlock);

		if (sync_chain() < 0)
			usleep(100000);
		n = node.halted ? halt_batch(batch, n) : settle(batch, n);
		n = dedupe(batch, n, uniq);
		memcpy(batch, uniq, n * sizeof(*batch));
		last = node.nr_blocks ? node.blocks[node.nr_blocks - 1].time_ms : 0;
		/* Another node's clock may be ahead of ours: compare without subtracting. */
		if (!node.halted && (n || (node.nr_blocks && now_ms() >= last + node.heartbeat_ms)) &&
		    append(batch, trust_prefix(batch, n)) == 1) {
			n = settle(batch, n);
		} else if (n) {
			sync_chain();
			n = settle(batch, n);
		}
		for (bytes = 0, i = 0; i < n; i++)
			bytes += batch[i]->len + 4;
	}
	return NULL;
}

/* ------------------------------------------------------------------ HTTP */

/*
 * What a shared HTTP cache may do with each answer (Documentation/fwgate/ledger.rst, "Serving a fleet"):
 * blocks, transactions with their proofs and images never change once in the chain, so they carry a strong
 * ETag and may be kept for good; the head and the blocks after a height change, so they may be kept for
 * --head-max-age seconds; every error and the streams that follow the head must not be kept.
 */
#define IMMUTABLE	"public, max-age=31536000, immutable"
#define NO_STORE	"no-store"
#define TEXT		"text/plain; charset=utf-8"
#define JSON		"application/json"
#define BIN		"application/octet-stream"

struct conn {
	uint8_t *body;
	size_t len;
	int too_big;
};

/* The answer's text, with Cache-Control cc, and Allow when allow is not NULL. */
static enum MHD_Result vreply(struct MHD_Connection *c, unsigned int status, const char *type, const char *cc,
			      const char *allow, const char *fmt, va_list ap)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;
	int n;

	n = vasprintf(&text, fmt, ap);
	if (n < 0)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", cc);
	if (allow)
		MHD_add_response_header(resp, "Allow", allow);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_cc(struct MHD_Connection *c, unsigned int status, const char *type, const char *cc,
				const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum MHD_Result reply_cc(struct MHD_Connection *c, unsigned int status, const char *type, const char *cc,
				const char *fmt, ...)
{
	enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	ret = vreply(c, status, type, cc, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

/* RFC 9110 15.5.6: a 405 lists the methods the resource has. */
static enum MHD_Result not_allowed(struct MHD_Connection *c, const char *allow, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result not_allowed(struct MHD_Connection *c, const char *allow, const char *fmt, ...)
{
	enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	ret = vreply(c, 405, TEXT, NO_STORE, allow, fmt, ap);
	va_end(ap);
	return ret;
}

#define reply(c, status, type, ...) reply_cc(c, status, type, NO_STORE, __VA_ARGS__)

static void immutable(struct MHD_Response *resp, const char *etag)
{
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", IMMUTABLE);
}

/* RFC 9110 13.1.2: If-None-Match is "*" or lists etag (weak comparison: a W/ prefix does not matter). */
static int none_match(struct MHD_Connection *c, const char *etag)
{
	const char *p = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	size_t n = strlen(etag);

	while (p && *p) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return 1;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (!strncmp(p, etag, n) && strchr(" \t,", p[n]))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static enum MHD_Result not_modified(struct MHD_Connection *c, const char *etag)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	immutable(resp, etag);
	ret = MHD_queue_response(c, 304, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A 64-digit hex id, in either case as on every route; its canonical lower-case form into hex. */
static int parse_id(const char *s, uint8_t id[FWGATE_ID_LEN], char hex[2 * FWGATE_ID_LEN + 1])
{
	if (strlen(s) != 2 * FWGATE_ID_LEN || strspn(s, "0123456789abcdefABCDEF") != 2 * FWGATE_ID_LEN ||
	    fwg_unhex(s, id, FWGATE_ID_LEN))
		return -1;
	fwg_hex(id, FWGATE_ID_LEN, hex);
	return 0;
}

/* A block height: decimal digits only (no sign, no space) and no overflow. */
static int parse_height(const char *s, uint64_t *h)
{
	char *end;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
		return -1;
	errno = 0;
	*h = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/*
 * A client may submit to this node a transaction that refers to one another node appended a moment ago:
 * before refusing it for a missing reference, wait for a read of etcd that started after the request.
 * Returns -1 when that read did not finish in time (a node starting up or under load): the node can not
 * know yet, so it must not refuse for good.
 */
static int catch_up(void)
{
	struct timespec ts;
	uint64_t want;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	pthread_mutex_lock(&node.qlock);
	want = node.syncs + 2;
	while (node.syncs < want && !node.stopping) {
		node.moved = 1;
		pthread_cond_signal(&node.qcond);
		if (pthread_cond_timedwait(&node.done, &node.qlock, &ts)) {
			err = node.syncs < want ? -1 : 0;
			break;
		}
	}
	if (node.stopping)
		err = -1;
	pthread_mutex_unlock(&node.qlock);
	return err;
}

static int check_tx(const struct req *r, const struct fwg_tx *tx, const char *hex, struct fwg_err *err)
{
	uint64_t h;
	int bad;

	pthread_rwlock_rdlock(&node.lock);
	if (!fwg_state_find(node.state, r->id, &h)) {
		err->kind = FWG_ERR_REPLAY;
		snprintf(err->msg, sizeof(err->msg), "duplicate: transaction %s is already in block %" PRIu64, hex,
			 h);
		bad = 1;
	} else {
		bad = fwg_state_check(node.state, tx, err);
	}
	pthread_rwlock_unlock(&node.lock);
	return bad;
}

static enum MHD_Result submit(struct MHD_Connection *c, struct conn *cn)
{
	char hex[2 * FWGATE_ID_LEN + 1];
	struct fwg_err err;
	struct fwg_tx tx;
	struct timespec ts;
	struct req *r;
	int bad, abandoned = 0;

	if (cn->too_big)
		return reply(c, 413, TEXT, "transaction: more than %d bytes\n", FWG_TX_MAX);
	pthread_mutex_lock(&node.qlock);
	bad = node.halted;
	pthread_mutex_unlock(&node.qlock);
	if (bad)
		return reply(c, 503, TEXT, "this node halted: etcd holds a block it refuses; submit to another node\n");
	if (fwg_tx_decode(cn->body, cn->len, &tx, &err)) {
		pthread_mutex_lock(&node.qlock);
		node.refused[FWG_ERR_FORMAT]++;
		pthread_mutex_unlock(&node.qlock);
		return reply(c, 400, TEXT, "%s\n", err.msg);
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		fwg_tx_release(&tx);
		return reply(c, 500, TEXT, "out of memory\n");
	}
	r->tx = cn->body;
	r->len = cn->len;
	r->t0_ms = now_ms();
	fwg_tx_id(r->tx, r->len, r->id);
	fwg_hex(r->id, FWGATE_ID_LEN, hex);
	fwg_tx_unique_key(&tx, r->ukey);
	bad = check_tx(r, &tx, hex, &err);
	if (bad && (err.kind == FWG_ERR_REFERENCE || err.kind == FWG_ERR_SIGNER)) {
		if (catch_up()) {
			fwg_tx_release(&tx);
			free(r);
			return reply(c, 503, TEXT, "catching up with the chain; submit again\n");
		}
		bad = check_tx(r, &tx, hex, &err);
	}
	fwg_tx_release(&tx);
	if (bad) {
		free(r);
		pthread_mutex_lock(&node.qlock);
		node.refused[err.kind]++;
		pthread_mutex_unlock(&node.qlock);
		return reply(c, err_status[err.kind], TEXT, "%s\n", err.msg);
	}

	cn->body = NULL;
	pthread_cond_init(&r->cond, NULL);
	pthread_mutex_lock(&node.qlock);
	*node.tail = r;
	node.tail = &r->next;
	node.nr_pending++;
	pthread_cond_signal(&node.qcond);
	/* A node shutting down answers at once; the appender frees what it still holds (finish()). */
	while (!r->done && !node.stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec++;
		pthread_cond_timedwait(&r->cond, &node.qlock, &ts);
	}
	abandoned = r->abandoned = !r->done;
	pthread_mutex_unlock(&node.qlock);
	if (abandoned)
		return reply(c, 503, TEXT, "this node is shutting down; submit again (to another node)\n");
	pthread_cond_destroy(&r->cond);
	if (r->status == 200)
		bad = reply(c, 200, JSON, "{\"id\":\"%s\",\"height\":%" PRIu64 "}\n", hex, r->height);
	else
		bad = reply(c, r->status, TEXT, "%s\n", r->why);
	free(r->tx);
	free(r);
	return bad;
}

static enum MHD_Result head(struct MHD_Connection *c)
{
	char hex[2 * FWGATE_ID_LEN + 1];
	uint64_t n, t;

	pthread_rwlock_rdlock(&node.lock);
	n = node.nr_blocks;
	fwg_hex(fwg_state_tip(node.state), FWGATE_ID_LEN, hex);
	t = n ? node.blocks[n - 1].time_ms : 0;
	pthread_rwlock_unlock(&node.lock);
	if (!n)
		return reply(c, 503, TEXT, "the chain has no genesis block yet\n");
	return reply_cc(c, 200, JSON, node.head_cc, "{\"height\":%" PRIu64 ",\"hash\":\"%s\",\"time_ms\":%" PRIu64
			"}\n", n - 1, hex, t);
}

/* ------------------------------------------------------------------ blocks for readers */

/*
 * A block decoded for the HTTP threads. Blocks kept in memory are decoded in place for each reader; blocks
 * this node does not keep (those holding image chunks) are read back from etcd once, checked against the
 * hash the node verified, and shared through the cache until it evicts them.
 */
struct blk {
	int refs;		/* __atomic */
	int own;		/* data is this struct's, not node.blocks[].data */
	size_t len;
	const uint8_t *data;
	struct fwg_block b;
};

static void blk_put(struct blk *k)
{
	if (!k || __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL))
		return;
	fwg_block_release(&k->b);
	if (k->own)
		free((void *)k->data);
	free(k);
}

static void blk_drop(void *obj)
{
	blk_put(obj);
}

static void blk_take(void *obj, void *arg)
{
	struct blk *k = obj;

	__atomic_add_fetch(&k->refs, 1, __ATOMIC_ACQ_REL);
	*(struct blk **)arg = k;
}

static void blk_free_cb(void *cls)
{
	blk_put(cls);
}

/* decode: split the transactions into k->b (hashing each), else only the bytes are wanted. */
static struct blk *blk_new(const uint8_t *data, size_t len, int own, int decode)
{
	struct blk *k = calloc(1, sizeof(*k));
	struct fwg_err err;

	if (!k || (decode && fwg_block_decode(data, len, &k->b, &err))) {
		free(k);
		if (own)
			free((void *)data);
		return NULL;
	}
	k->refs = 1;
	k->own = own;
	k->data = data;
	k->len = len;
	return k;
}

/* Block h read back from etcd, if it has the hash the node verified; malloc'ed. */
static uint8_t *block_from_etcd(uint64_t h, const uint8_t hash[FWGATE_ID_LEN], size_t *len)
{
	struct etcd_kv *kvs = NULL;
	uint8_t got[FWGATE_ID_LEN], *p = NULL;
	char key[256];
	size_t n = 0;

	block_key(h, key, sizeof(key));
	if (etcd_range(node.reader, key, NULL, 1, &kvs, &n))
		n = 0;
	/* The header commits to the transactions through the Merkle root, which the decoder checks. */
	if (n == 1 && kvs[0].len >= FWG_BLOCK_HDR_LEN) {
		fwg_sha256(kvs[0].value, FWG_BLOCK_HDR_LEN, got);
		if (!memcmp(got, hash, FWGATE_ID_LEN)) {
			p = kvs[0].value;
			*len = kvs[0].len;
			kvs[0].value = NULL;
		}
	}
	if (!p)
		log_warnx("block %" PRIu64 ": not in etcd or not the block this node verified", h);
	etcd_kvs_free(kvs, n);
	return p;
}

/*
 * Block h with a reference, or NULL if there is no such block or etcd did not answer; with decode, its
 * transactions split in k->b. Blocks read back from etcd are always decoded, once, as the cache keeps them.
 */
static struct blk *blk_get(uint64_t h, int decode)
{
	uint8_t hash[FWGATE_ID_LEN], *data;
	struct blk *k = NULL;
	char key[CACHE_KEY_LEN];
	size_t len = 0;
	int mem = 0, have;

	pthread_rwlock_rdlock(&node.lock);
	have = h < node.nr_blocks;
	if (have) {
		mem = node.blocks[h].data != NULL;
		data = node.blocks[h].data;
		len = node.blocks[h].len;
		memcpy(hash, node.blocks[h].hash, FWGATE_ID_LEN);
	}
	pthread_rwlock_unlock(&node.lock);
	if (!have)
		return NULL;
	/* node.blocks[h].data never moves nor is freed once the block is applied. */
	if (mem)
		return blk_new(data, len, 0, decode);
	snprintf(key, sizeof(key), "b%" PRIu64, h);
	if (cache_use(node.cache, key, blk_take, &k))
		return k;
	/* One read of etcd at a time: readers that missed together wait for the first, then hit. */
	pthread_mutex_lock(&node.reader_lock);
	if (!cache_use(node.cache, key, blk_take, &k)) {
		data = block_from_etcd(h, hash, &len);
		k = data ? blk_new(data, len, 1, 1) : NULL;
		if (k) {
			__atomic_add_fetch(&k->refs, 1, __ATOMIC_ACQ_REL);
			cache_put(node.cache, key, k, len + k->b.hdr.nr_tx * (FWGATE_ID_LEN + 16) + 256, blk_drop);
		}
	}
	pthread_mutex_unlock(&node.reader_lock);
	return k;
}

/* 1 if the client closed its end (or the socket failed), so that a stream waiting for it can end. */
static int peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char b;

	if (fd < 0 || poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
		return 1;
	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

struct stream {
	uint64_t next, end;	/* blocks [next, end); end = UINT64_MAX to follow */
	int fd;			/* the client's socket, watched while the stream waits */
	uint8_t len[4];		/* be32 length of the current block */
	struct blk *cur;
	size_t off;		/* into len + the block */
};

/*
 * Streams blocks as be32 length + block; with follow, waits for new ones. A wait ends when the client goes
 * away or the node stops, so that a stream asked for a height that never comes holds no thread for good.
 */
static ssize_t stream_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = arg;
	struct timespec ts;
	size_t n, done = 0;
	int gone = 0;

	(void)pos;
	while (!s->cur || s->off == 4 + s->cur->len) {
		blk_put(s->cur);
		s->cur = NULL;
		if (s->next >= s->end)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&node.qlock);
		while (s->next >= node.nr_blocks && !node.stopping && !gone) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec++;
			/* Woken by each read of etcd, or after a second: either way, is the client still there? */
			pthread_cond_timedwait(&node.done, &node.qlock, &ts);
			gone = peer_gone(s->fd);
		}
		gone |= node.stopping;
		pthread_mutex_unlock(&node.qlock);
		if (gone)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		s->cur = blk_get(s->next, 0);
		if (!s->cur)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		n = s->cur->len;
		s->len[0] = n >> 24;
		s->len[1] = n >> 16;
		s->len[2] = n >> 8;
		s->len[3] = n;
		s->off = 0;
		s->next++;
	}
	while (done < max && s->off < 4 + s->cur->len) {
		if (s->off < 4) {
			buf[done++] = s->len[s->off++];
			continue;
		}
		n = 4 + s->cur->len - s->off;
		if (n > max - done)
			n = max - done;
		memcpy(buf + done, s->cur->data + s->off - 4, n);
		s->off += n;
		done += n;
	}
	return done;
}

static void stream_free(void *arg)
{
	struct stream *s = arg;

	blk_put(s->cur);
	free(s);
}

/*
 * GET /blocks?from=A[&to=B][&follow=1]: blocks A to B, or to the head at the time of the request, or, with
 * follow, on as they are appended. A range that ends at or below the head never changes: it is immutable.
 */
static enum MHD_Result blocks(struct MHD_Connection *c)
{
	const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
	const char *to = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to");
	const char *follow = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	char etag[2 * FWGATE_ID_LEN + 32], hex[2 * FWGATE_ID_LEN + 1];
	struct MHD_Response *resp;
	uint64_t a = 0, b = UINT64_MAX;
	struct stream *s;
	enum MHD_Result ret;
	int fixed = 0;

	if (from && parse_height(from, &a))
		return reply(c, 400, TEXT, "from: \"%s\" is not a block height (decimal digits)\n", from);
	if (to && (parse_height(to, &b) || b < a))
		return reply(c, 400, TEXT, "to: \"%s\" is not a block height at or above from\n", to);
	if (follow && strcmp(follow, "1"))
		return reply(c, 400, TEXT, "follow: \"%s\" is not 1\n", follow);
	if (follow && to)
		return reply(c, 400, TEXT, "follow and to: one or the other\n");
	s = calloc(1, sizeof(*s));
	if (!s)
		return reply(c, 500, TEXT, "out of memory\n");
	s->next = a;
	s->fd = ci ? ci->connect_fd : -1;
	pthread_rwlock_rdlock(&node.lock);
	if (follow) {
		s->end = UINT64_MAX;
	} else {
		s->end = b < node.nr_blocks ? b + 1 : node.nr_blocks;
		fixed = to && b < node.nr_blocks;
		if (fixed)
			fwg_hex(node.blocks[b].hash, FWGATE_ID_LEN, hex);
	}
	pthread_rwlock_unlock(&node.lock);
	if (fixed) {
		snprintf(etag, sizeof(etag), "\"%" PRIu64 "-%s\"", a, hex);
		if (none_match(c, etag)) {
			free(s);
			return not_modified(c, etag);
		}
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, stream_read, s, stream_free);
	if (!resp) {
		free(s);
		return reply(c, 500, TEXT, "out of memory\n");
	}
	MHD_add_response_header(resp, "Content-Type", BIN);
	if (fixed)
		immutable(resp, etag);
	else
		MHD_add_response_header(resp, "Cache-Control", follow ? NO_STORE : node.head_cc);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* GET /block/H: block H alone, the bytes that hash (its header) to the ETag. */
static enum MHD_Result block_one(struct MHD_Connection *c, const char *hs)
{
	char etag[2 * FWGATE_ID_LEN + 3], hex[2 * FWGATE_ID_LEN + 1];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct blk *k;
	uint64_t h;
	int have;

	if (parse_height(hs, &h))
		return reply(c, 400, TEXT, "block height: \"%s\" is not decimal digits\n", hs);
	pthread_rwlock_rdlock(&node.lock);
	have = h < node.nr_blocks;
	if (have)
		fwg_hex(node.blocks[h].hash, FWGATE_ID_LEN, hex);
	pthread_rwlock_unlock(&node.lock);
	if (!have)
		return reply(c, 404, TEXT, "block %" PRIu64 ": not in the chain yet\n", h);
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	if (none_match(c, etag))
		return not_modified(c, etag);
	k = blk_get(h, 0);
	if (!k)
		return reply(c, 503, TEXT, "block %" PRIu64 ": can not be read now\n", h);
	resp = MHD_create_response_from_buffer_with_free_callback_cls(k->len, (void *)k->data, blk_free_cb,
								      k);
	if (!resp) {
		blk_put(k);
		return reply(c, 500, TEXT, "out of memory\n");
	}
	MHD_add_response_header(resp, "Content-Type", BIN);
	immutable(resp, etag);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct queued {
	struct MHD_Connection *c;
	enum MHD_Result ret;
};

static void queue_cached(void *obj, void *arg)
{
	struct queued *q = arg;

	q->ret = MHD_queue_response(q->c, 200, obj);
}

static void response_drop(void *obj)
{
	MHD_destroy_response(obj);
}

/* The answer to GET /tx/ID, with its Merkle proof; NULL if its block can not be read. */
static char *tx_json(const uint8_t id[FWGATE_ID_LEN], const char *hex, uint64_t h, size_t *len)
{
	char root[2 * FWGATE_ID_LEN + 1], bhash[2 * FWGATE_ID_LEN + 1];
	uint8_t pbuf[16 + FWG_PROOF_MAX_DEPTH * FWGATE_ID_LEN];
	uint8_t (*leaves)[FWGATE_ID_LEN] = NULL;
	char *txhex = NULL, *proofhex = NULL, *out = NULL;
	struct fwg_proof p;
	struct blk *k;
	size_t plen;
	uint32_t i;
	int n;

	k = blk_get(h, 1);
	if (!k)
		return NULL;
	for (i = 0; i < k->b.hdr.nr_tx && memcmp(k->b.tx_id[i], id, FWGATE_ID_LEN); i++)
		;
	leaves = malloc((k->b.hdr.nr_tx ? k->b.hdr.nr_tx : 1) * sizeof(*leaves));
	if (i == k->b.hdr.nr_tx || !leaves)
		goto out;
	for (n = 0; (uint32_t)n < k->b.hdr.nr_tx; n++)
		fwg_merkle_leaf(k->b.tx_id[n], leaves[n]);
	fwg_merkle_proof((const uint8_t (*)[FWGATE_ID_LEN])leaves, k->b.hdr.nr_tx, i, &p);
	plen = fwg_proof_encode(&p, pbuf, sizeof(pbuf));
	txhex = malloc(2 * k->b.tx_len[i] + 1);
	proofhex = malloc(2 * plen + 1);
	if (!txhex || !proofhex)
		goto out;
	fwg_hex(k->b.tx[i], k->b.tx_len[i], txhex);
	fwg_hex(pbuf, plen, proofhex);
	fwg_hex(k->b.hdr.merkle, FWGATE_ID_LEN, root);
	fwg_hex(k->b.hash, FWGATE_ID_LEN, bhash);
	n = asprintf(&out, "{\"id\":\"%s\",\"height\":%" PRIu64 ",\"index\":%u,\"block\":\"%s\",\"merkle_root\":"
		     "\"%s\",\"proof\":\"%s\",\"tx\":\"%s\"}\n", hex, h, i, bhash, root, proofhex, txhex);
	if (n < 0)
		out = NULL;
	else
		*len = n;
out:
	blk_put(k);
	free(leaves);
	free(txhex);
	free(proofhex);
	return out;
}

static enum MHD_Result tx_get(struct MHD_Connection *c, const char *hexid)
{
	char hex[2 * FWGATE_ID_LEN + 1], etag[2 * FWGATE_ID_LEN + 3], key[CACHE_KEY_LEN];
	struct queued q = { .c = c };
	uint8_t id[FWGATE_ID_LEN];
	struct MHD_Response *resp;
	char *body;
	uint64_t h;
	size_t len = 0;
	int found;

	if (parse_id(hexid, id, hex))
		return reply(c, 400, TEXT, "transaction id: \"%s\" is not 64 hex digits\n", hexid);
	pthread_rwlock_rdlock(&node.lock);
	found = !fwg_state_find(node.state, id, &h);
	pthread_rwlock_unlock(&node.lock);
	if (!found) {
		catch_up();
		pthread_rwlock_rdlock(&node.lock);
		found = !fwg_state_find(node.state, id, &h);
		pthread_rwlock_unlock(&node.lock);
	}
	if (!found)
		return reply(c, 404, TEXT, "transaction %s: not in the chain\n", hex);
	/* A transaction is in one block of a linear chain, for good: its answer never changes. */
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	if (none_match(c, etag))
		return not_modified(c, etag);
	snprintf(key, sizeof(key), "t%s", hex);
	if (cache_use(node.cache, key, queue_cached, &q))
		return q.ret;
	body = tx_json(id, hex, h, &len);
	if (!body)
		return reply(c, 503, TEXT, "transaction %s: its block %" PRIu64 " can not be read now\n", hex, h);
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return reply(c, 500, TEXT, "out of memory\n");
	}
	MHD_add_response_header(resp, "Content-Type", JSON);
	immutable(resp, etag);
	q.ret = MHD_queue_response(c, 200, resp);
	cache_put(node.cache, key, resp, len + 512, response_drop);
	return q.ret;
}

/*
 * The one range of a Range header this node serves (RFC 9110 14.1.2, 14.2): "bytes=first-last",
 * "bytes=first-" or "bytes=-suffix", the unit in any case. 1: send [*a, *b] as 206; 0: send the whole (no
 * Range, another unit, a malformed or multi-range set, which a server may ignore); -1: 416, not satisfiable.
 */
static int parse_range(const char *range, uint64_t size, uint64_t *a, uint64_t *b)
{
	unsigned long long x, y = ULLONG_MAX;
	const char *p;
	char *end;

	*a = 0;
	*b = size ? size - 1 : 0;
	if (!range || strncasecmp(range, "bytes=", 6))
		return 0;
	p = range + 6;
	p += strspn(p, " \t");
	if (*p == '-') {
		if (!isdigit((unsigned char)p[1]))
			return 0;
		x = strtoull(p + 1, &end, 10);
		if (end[strspn(end, " \t")])
			return 0;
		if (!x || !size)
			return -1;
		*a = x >= size ? 0 : size - x;
		return 1;
	}
	if (!isdigit((unsigned char)*p))
		return 0;
	x = strtoull(p, &end, 10);
	if (*end != '-')
		return 0;
	p = end + 1;
	if (isdigit((unsigned char)*p)) {
		y = strtoull(p, &end, 10);
		if (y < x)
			return 0;
		p = end;
	}
	if (p[strspn(p, " \t")])
		return 0;
	if (x >= size)
		return -1;
	*a = x;
	*b = y >= size ? size - 1 : y;
	return 1;
}

/* Queues resp (the whole blob, or the range [a, b] of it) with its headers. */
static enum MHD_Result send_blob(struct MHD_Connection *c, struct MHD_Response *resp, int ranged, uint64_t a,
				 uint64_t b, uint64_t size, const char *etag)
{
	enum MHD_Result ret;
	char cr[128];

	if (!resp)
		return reply(c, 500, TEXT, "out of memory\n");
	if (ranged) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, a, b, size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	MHD_add_response_header(resp, "Content-Type", BIN);
	immutable(resp, etag);
	ret = MHD_queue_response(c, ranged ? 206 : 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result unsatisfiable(struct MHD_Connection *c, uint64_t size)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	char cr[64];

	if (!resp)
		return MHD_NO;
	snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
	MHD_add_response_header(resp, "Content-Range", cr);
	MHD_add_response_header(resp, "Cache-Control", NO_STORE);
	ret = MHD_queue_response(c, 416, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* An in-chain image streamed from its chunks, from the blocks the cache shares. */
struct chain_blob {
	uint8_t u_id[FWGATE_ID_LEN];
	uint64_t pos, end;		/* bytes of the image still to send: [pos, end) */
	struct blk *blk;		/* the block holding the current chunk */
	uint64_t blk_height;
	uint32_t chunk;			/* index of the current chunk; UINT32_MAX: none */
	const uint8_t *data;		/* its bytes, inside blk */
};

/* Makes chunk i the current one; 0, or -1 if its block can not be read or is not what the state says. */
static int chain_blob_chunk(struct chain_blob *cb, uint32_t i)
{
	struct fwg_err err;
	struct fwg_tx tx;
	uint32_t txi;
	uint64_t h;
	int ret;

	pthread_rwlock_rdlock(&node.lock);
	ret = fwg_state_blob_chunk(node.state, cb->u_id, i, &h, &txi);
	pthread_rwlock_unlock(&node.lock);
	if (ret)
		return -1;
	if (!cb->blk || cb->blk_height != h) {
		blk_put(cb->blk);
		cb->blk = blk_get(h, 1);
		if (!cb->blk)
			return -1;
		cb->blk_height = h;
	}
	if (txi >= cb->blk->b.hdr.nr_tx || fwg_tx_decode(cb->blk->b.tx[txi], cb->blk->b.tx_len[txi], &tx, &err))
		return -1;
	ret = tx.type == FWG_TX_BLOB && !memcmp(tx.s.blob.u_id, cb->u_id, FWGATE_ID_LEN) &&
	      be32toh(tx.s.blob.index) == i ? 0 : -1;
	cb->data = tx.chunk;
	cb->chunk = i;
	fwg_tx_release(&tx);
	return ret;
}

static ssize_t chain_blob_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct chain_blob *cb = arg;
	size_t done = 0;

	(void)pos;
	if (cb->pos >= cb->end)
		return MHD_CONTENT_READER_END_OF_STREAM;
	while (done < max && cb->pos < cb->end) {
		uint32_t i = cb->pos / FWG_BLOB_CHUNK, off = cb->pos % FWG_BLOB_CHUNK;
		size_t n = FWG_BLOB_CHUNK - off;

		if (cb->chunk != i && chain_blob_chunk(cb, i)) {
			log_warnx("in-chain image: chunk %u can not be read back", i);
			return done ? (ssize_t)done : MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (n > max - done)
			n = max - done;
		if (n > cb->end - cb->pos)
			n = cb->end - cb->pos;
		memcpy(buf + done, cb->data + off, n);
		cb->pos += n;
		done += n;
	}
	return done;
}

static void chain_blob_free(void *arg)
{
	struct chain_blob *cb = arg;

	blk_put(cb->blk);
	free(cb);
}

/*
 * A blob by its SHA-256, with a single byte range if asked: reassembled from the chain when every chunk of
 * the image is in it, else from the blobs directory.
 */
static enum MHD_Result blob(struct MHD_Connection *c, const char *hexid)
{
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
	const char *if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Range");
	char hex[2 * FWGATE_ID_LEN + 1], etag[2 * FWGATE_ID_LEN + 3], path[4096];
	uint8_t id[FWGATE_ID_LEN];
	struct chain_blob *cb;
	uint32_t count, have;
	uint64_t size, a, b;
	struct stat st;
	int fd, in_chain, ranged;

	if (parse_id(hexid, id, hex))
		return reply(c, 400, TEXT, "blob digest: \"%s\" is not 64 hex digits\n", hexid);
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	/* RFC 9110 13.1.5: a Range under an If-Range that does not match is ignored (we send no dates). */
	if (if_range && strcmp(if_range, etag))
		range = NULL;
	pthread_rwlock_rdlock(&node.lock);
	in_chain = !fwg_state_blob(node.state, id, &size, &count, &have) && have == count;
	pthread_rwlock_unlock(&node.lock);
	if (in_chain) {
		if (none_match(c, etag))
			return not_modified(c, etag);
		ranged = parse_range(range, size, &a, &b);
		if (ranged < 0)
			return unsatisfiable(c, size);
		cb = calloc(1, sizeof(*cb));
		if (!cb)
			return reply(c, 500, TEXT, "out of memory\n");
		memcpy(cb->u_id, id, FWGATE_ID_LEN);
		cb->pos = a;
		cb->end = b + 1;
		cb->chunk = UINT32_MAX;
		return send_blob(c, MHD_create_response_from_callback(b - a + 1, 256 * 1024, chain_blob_read, cb,
								      chain_blob_free), ranged, a, b, size, etag);
	}
	if (!node.blobs)
		return reply(c, 404, TEXT, "blob %s: not in the chain (%s), and this node has no blobs directory\n",
			     hex, have ? "some chunks missing" : "no chunk");
	snprintf(path, sizeof(path), "%s/%s", node.blobs, hex);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return reply(c, 404, TEXT, "blob %s: not here\n", hex);
	}
	if (none_match(c, etag)) {
		close(fd);
		return not_modified(c, etag);
	}
	ranged = parse_range(range, st.st_size, &a, &b);
	if (ranged < 0) {
		close(fd);
		return unsatisfiable(c, st.st_size);
	}
	return send_blob(c, MHD_create_response_from_fd_at_offset64(st.st_size ? b - a + 1 : 0, fd, a), ranged, a,
			 b, st.st_size, etag);
}

/*
 * Prometheus' text format: every metric with # HELP and # TYPE, histogram bounds as Prometheus writes them
 * (le="0.01"), fwgate_build_info, and the head's age, which an alert compares with the heartbeat.
 */
static enum MHD_Result metrics(struct MHD_Connection *c)
{
	const union MHD_DaemonInfo *ci;
	struct cache_stats cs;
	char buf[8192];
	size_t off = 0;
	unsigned int i;
	uint64_t cum = 0, head_ms = 0, now = now_ms();

#define OUT(...) (off += snprintf(buf + off, off < sizeof(buf) ? sizeof(buf) - off : 0, __VA_ARGS__))
#define META(name, type, help) OUT("# HELP " name " " help "\n# TYPE " name " " type "\n")
	META("fwgate_build_info", "gauge", "The fwgate-node build: its version, always 1.");
	OUT("fwgate_build_info{version=\"%s\"} 1\n", FWGATE_VERSION);
	pthread_rwlock_rdlock(&node.lock);
	if (node.nr_blocks)
		head_ms = node.blocks[node.nr_blocks - 1].time_ms;
	pthread_rwlock_unlock(&node.lock);
	META("fwgate_head_age_seconds", "gauge",
	     "Seconds since the time of the newest block this node holds (heartbeats included).");
	OUT("fwgate_head_age_seconds %.3f\n", head_ms && now > head_ms ? (now - head_ms) / 1000.0 : 0.0);
	META("fwgate_head_timestamp_seconds", "gauge", "The newest block's time, UNIX seconds; 0 before genesis.");
	OUT("fwgate_head_timestamp_seconds %.3f\n", head_ms / 1000.0);

	pthread_mutex_lock(&node.qlock);
	META("fwgate_tx_accepted_total", "counter", "Transactions accepted from submitters.");
	OUT("fwgate_tx_accepted_total %" PRIu64 "\n", node.accepted);
	META("fwgate_tx_refused_total", "counter", "Transactions refused, by reason.");
	OUT("fwgate_tx_refused_total{reason=\"format\"} %" PRIu64 "\n", node.refused[FWG_ERR_FORMAT]);
	OUT("fwgate_tx_refused_total{reason=\"signer\"} %" PRIu64 "\n", node.refused[FWG_ERR_SIGNER]);
	OUT("fwgate_tx_refused_total{reason=\"replay\"} %" PRIu64 "\n", node.refused[FWG_ERR_REPLAY]);
	OUT("fwgate_tx_refused_total{reason=\"reference\"} %" PRIu64 "\n", node.refused[FWG_ERR_REFERENCE]);
	META("fwgate_blocks_appended_total", "counter", "Blocks this node appended to the chain.");
	OUT("fwgate_blocks_appended_total %" PRIu64 "\n", node.appended_blocks);
	META("fwgate_tx_appended_total", "counter", "Transactions in the blocks this node appended.");
	OUT("fwgate_tx_appended_total %" PRIu64 "\n", node.appended_tx);
	META("fwgate_append_conflicts_total", "counter", "Appends lost to another node that wrote the same height.");
	OUT("fwgate_append_conflicts_total %" PRIu64 "\n", node.conflicts);
	META("fwgate_etcd_errors_total", "counter", "Failed etcd requests.");
	OUT("fwgate_etcd_errors_total %" PRIu64 "\n", node.etcd_errors);
	META("fwgate_pending_tx", "gauge", "Accepted transactions not yet in a block.");
	OUT("fwgate_pending_tx %zu\n", node.nr_pending);
	META("fwgate_chain_blocks", "gauge", "Blocks in the chain, genesis included.");
	OUT("fwgate_chain_blocks %zu\n", node.nr_blocks);
	META("fwgate_peer_blocks_verified_total", "counter", "Blocks appended by other nodes that this node verified.");
	OUT("fwgate_peer_blocks_verified_total %" PRIu64 "\n", node.peer_blocks_verified);
	META("fwgate_blocks_refused_total", "counter", "Blocks read from etcd that did not verify.");
	OUT("fwgate_blocks_refused_total %" PRIu64 "\n", node.blocks_refused);
	META("fwgate_chain_halted", "gauge", "1 when the node stopped appending over a chain that does not verify.");
	OUT("fwgate_chain_halted %d\n", node.halted);
	META("fwgate_inclusion_seconds", "histogram", "Seconds from a transaction's submission to its block's commit.");
	for (i = 0; i < 8; i++) {
		cum += node.latency_buckets[i];
		OUT("fwgate_inclusion_seconds_bucket{le=\"%g\"} %" PRIu64 "\n", latency_le_ms[i] / 1000.0, cum);
	}
	OUT("fwgate_inclusion_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", node.accepted);
	OUT("fwgate_inclusion_seconds_sum %.3f\nfwgate_inclusion_seconds_count %" PRIu64 "\n",
	    node.included_ms / 1000.0, node.accepted);
	pthread_mutex_unlock(&node.qlock);
	cache_get_stats(node.cache, &cs);
	ci = MHD_get_daemon_info(node.daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	META("fwgate_http_reads_total", "counter", "Read requests served (blocks, transactions, images, head).");
	OUT("fwgate_http_reads_total %" PRIu64 "\n", __atomic_load_n(&node.http_reads, __ATOMIC_RELAXED));
	META("fwgate_http_connections", "gauge", "HTTP connections open now.");
	OUT("fwgate_http_connections %u\n", ci ? ci->num_connections : 0);
	META("fwgate_http_connections_closed_for_others_total", "counter",
	     "Idle connections closed to admit new ones when the node was nearly full.");
	OUT("fwgate_http_connections_closed_for_others_total %" PRIu64 "\n", fwg_admit_evictions());
	META("fwgate_cache_hits_total", "counter", "Reads the block and answer cache served.");
	OUT("fwgate_cache_hits_total %" PRIu64 "\n", cs.hits);
	META("fwgate_cache_misses_total", "counter", "Reads the cache sent on to etcd.");
	OUT("fwgate_cache_misses_total %" PRIu64 "\n", cs.misses);
	META("fwgate_cache_evictions_total", "counter", "Entries the cache dropped to stay within its budget.");
	OUT("fwgate_cache_evictions_total %" PRIu64 "\n", cs.evictions);
	META("fwgate_cache_bytes", "gauge", "Bytes the cache holds.");
	OUT("fwgate_cache_bytes %zu\n", cs.bytes);
	META("fwgate_cache_budget_bytes", "gauge", "The cache's budget (--cache-mib).");
	OUT("fwgate_cache_budget_bytes %zu\n", cs.budget);
#undef META
#undef OUT
	if (off >= sizeof(buf))
		return reply(c, 500, TEXT, "metrics: more than %zu bytes\n", sizeof(buf));
	return reply(c, 200, "text/plain; version=0.0.4", "%s", buf);
}

/* A resource that GET and HEAD read: another method on it is 405, not 404. */
static int route_known(const char *url)
{
	return !strcmp(url, "/head") || !strcmp(url, "/blocks") || !strcmp(url, "/metrics") ||
	       !strncmp(url, "/block/", 7) || !strncmp(url, "/tx/", 4) || !strncmp(url, "/blob/", 6);
}

static struct conn first_call;		/* *ctx of a GET or HEAD after its first call */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *data, size_t *size, void **ctx)
{
	struct conn *cn = *ctx;

	(void)cls;
	(void)version;
	if (!cn)
		fwg_admit_busy(c, 1);
	if (!strcmp(method, "POST") && !strcmp(url, "/tx")) {
		if (!cn) {
			*ctx = calloc(1, sizeof(struct conn));
			return *ctx ? MHD_YES : MHD_NO;
		}
		if (*size) {
			if (cn->len + *size > FWG_TX_MAX) {
				cn->too_big = 1;
			} else {
				uint8_t *p = realloc(cn->body, cn->len + *size);

				if (!p)
					return MHD_NO;
				memcpy(p + cn->len, data, *size);
				cn->body = p;
				cn->len += *size;
			}
			*size = 0;
			return MHD_YES;
		}
		return submit(c, cn);
	}
	/*
	 * libmicrohttpd 0.9 closes the connection after an answer queued in the first call for a request: answer
	 * in the second, so that clients keep their connections.
	 */
	if (!cn) {
		*ctx = &first_call;
		return MHD_YES;
	}
	/* A body sent with any other request is read and dropped: the library answers only once it is read. */
	if (*size) {
		*size = 0;
		return MHD_YES;
	}
	/* HEAD is GET without the body, which the HTTP library leaves out (RFC 9110 9.3.2). */
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		if (!strcmp(url, "/tx"))
			return not_allowed(c, "POST", "%s %s: only POST\n", method, url);
		if (route_known(url))
			return not_allowed(c, "GET, HEAD", "%s %s: only GET and HEAD\n", method, url);
		return reply(c, 404, TEXT, "%s: no such resource\n", url);
	}
	__atomic_add_fetch(&node.http_reads, 1, __ATOMIC_RELAXED);
	if (!strcmp(url, "/head"))
		return head(c);
	if (!strcmp(url, "/blocks"))
		return blocks(c);
	if (!strncmp(url, "/block/", 7))
		return block_one(c, url + 7);
	if (!strncmp(url, "/tx/", 4))
		return tx_get(c, url + 4);
	if (!strncmp(url, "/blob/", 6))
		return blob(c, url + 6);
	if (!strcmp(url, "/metrics"))
		return metrics(c);
	if (!strcmp(url, "/tx"))
		return not_allowed(c, "POST", "%s %s: only POST\n", method, url);
	return reply(c, 404, TEXT, "%s: no such resource (/head, /blocks?from=H, /block/H, /tx/ID, /blob/DIGEST, "
		     "/metrics, POST /tx)\n", url);
}

static void completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
	struct conn *cn = *ctx;

	(void)cls;
	(void)t;
	fwg_admit_busy(c, 0);
	if (cn && cn != &first_call) {
		free(cn->body);
		free(cn);
	}
	*ctx = NULL;
}

/* ------------------------------------------------------------------ startup */

/* Appends block 0 with the genesis transaction unless the chain has one; every node may try at once. */
static int bootstrap(const char *path)
{
	struct fwg_err err;
	struct fwg_tx tx;
	struct req r = {};
	struct req *batch[1] = { &r };
	size_t len;
	int tries;

	if (fwg_read_file(path, &r.tx, &len, FWG_TX_MAX))
		return -1;
	r.len = len;
	/* A genesis file the node can not use is the operator's to fix, not etcd's: say so, and stop. */
	if (fwg_tx_decode(r.tx, r.len, &tx, &err))
		fatalx("%s: %s", path, err.msg);
	if (tx.type != FWG_TX_GENESIS)
		fatalx("%s: a %s transaction, not a genesis", path, fwg_tx_type_name(tx.type));
	fwg_tx_release(&tx);
	for (tries = 0; tries < 50 && !node.nr_blocks; tries++) {
		if (sync_chain() < 0) {
			usleep(200000);
			continue;
		}
		if (!node.nr_blocks)
			append(batch, 1);
	}
	free(r.tx);
	if (!node.nr_blocks)
		log_warnx("could not append or read the genesis block");
	return node.nr_blocks ? 0 : -1;
}

/* On stdout with exit 0 for --help, on stderr with FWG_EXIT_USAGE after a usage error. */
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: fwgate-node --etcd URL[,URL...] [--listen ADDR:PORT|[ADDR6]:PORT] [--prefix P] [--genesis FILE]\n"
		"                   [--blobs DIR] [--batch-ms N] [--max-batch N] [--heartbeat S] [--poll-ms N]\n"
		"                   [--max-connections N] [--cache-mib N] [--head-max-age S]\n"
		"                   [--etcd-cacert FILE] [--etcd-cert FILE --etcd-key FILE] [--no-verify-peers] [-v]\n"
		"       fwgate-node --help | --version\n");
	exit(status);
}

/* "192.0.2.1:8470" or "[2001:db8::1]:8470" into sa; 0, or -1 if it is neither. */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1], extra;
	unsigned int port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if (sscanf(s, "[%46[0-9a-fA-F:.]]:%u%c", host, &port, &extra) != 2 ||
		    inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	} else {
		if (sscanf(s, "%15[0-9.]:%u%c", host, &port, &extra) != 2 || inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	}
	return port && port <= 65535 ? 0 : -1;
}

/* Every connection holds a file: raise the soft limit to the hard one, and hold no more than it allows. */
static unsigned int fit_file_limit(unsigned int want)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return want;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The rest: etcd connections, the listening socket, blob files being sent, logs. */
	room = rl.rlim_cur > 128 ? rl.rlim_cur - 64 : 64;
	if (rl.rlim_cur != RLIM_INFINITY && room < want) {
		log_warnx("--max-connections %u: the file limit is %llu; holding at most %llu connections", want,
			  (unsigned long long)rl.rlim_cur, (unsigned long long)room);
		return room;
	}
	return want;
}

/* A client that holds a request open can not hold the node: after this long, exit all the same. */
static void *stop_deadline(void *arg)
{
	(void)arg;
	sleep(5);
	log_warnx("stopping: requests still running after 5 s; exiting without them");
	_exit(0);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "etcd", required_argument, NULL, 'e' },
		{ "listen", required_argument, NULL, 'l' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "genesis", required_argument, NULL, 'g' },
		{ "blobs", required_argument, NULL, 'b' },
		{ "batch-ms", required_argument, NULL, 'B' },
		{ "max-batch", required_argument, NULL, 'M' },
		{ "heartbeat", required_argument, NULL, 'H' },
		{ "poll-ms", required_argument, NULL, 'P' },
		{ "max-connections", required_argument, NULL, 'C' },
		{ "cache-mib", required_argument, NULL, 'c' },
		{ "head-max-age", required_argument, NULL, 'A' },
		{ "etcd-cacert", required_argument, NULL, '1' },
		{ "etcd-cert", required_argument, NULL, '2' },
		{ "etcd-key", required_argument, NULL, '3' },
		{ "verify-peers", no_argument, &node.verify_peers, 1 },
		{ "no-verify-peers", no_argument, &node.verify_peers, 0 },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *etcd = NULL, *listen = "127.0.0.1:8470", *genesis = NULL;
	const char *cacert = NULL, *cert = NULL, *key = NULL;
	unsigned int max_conn = 2000, cache_mib = 256, head_age = 1;
	struct sockaddr_storage sa;
	pthread_rwlockattr_t attr;
	struct MHD_Daemon *d;
	pthread_t thr;
	int c, verbose = 0;
	sigset_t set;

	/* The options' errors name the program; -v sets the verbosity once they are read. */
	log_init("fwgate-node", 0);
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': etcd = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': node.prefix = optarg; break;
		case 'g': genesis = optarg; break;
		case 'b': node.blobs = optarg; break;
		case 'B': node.batch_ms = fwg_cmd_number("--batch-ms", optarg, 0, 60000); break;
		case 'M': node.max_batch = fwg_cmd_number("--max-batch", optarg, 1, FWG_BLOCK_MAX_TX); break;
		case 'H': node.heartbeat_ms = fwg_cmd_number("--heartbeat", optarg, 1, 86400) * 1000; break;
		case 'P': node.poll_ms = fwg_cmd_number("--poll-ms", optarg, 1, 60000); break;
		case 'C': max_conn = fwg_cmd_number("--max-connections", optarg, 1, 1000000); break;
		case 'c': cache_mib = fwg_cmd_number("--cache-mib", optarg, 0, 1 << 20); break;
		case 'A': head_age = fwg_cmd_number("--head-max-age", optarg, 0, 86400); break;
		case '1': cacert = optarg; break;
		case '2': cert = optarg; break;
		case '3': key = optarg; break;
		case 'v': verbose++; break;
		case 'h': usage(FWG_EXIT_OK); break;
		case 'V': fwg_print_version("fwgate-node"); break;
		case 0: break;
		default: usage(FWG_EXIT_USAGE);
		}
	}
	log_init("fwgate-node", verbose);
	if (optind != argc) {
		fprintf(stderr, "fwgate-node: \"%s\": unexpected argument\n", argv[optind]);
		usage(FWG_EXIT_USAGE);
	}
	if (!etcd) {
		fprintf(stderr, "fwgate-node: missing --etcd\n");
		usage(FWG_EXIT_USAGE);
	}
	if (parse_listen(listen, &sa))
		usagex("--listen: \"%s\" is not IPV4-ADDRESS:PORT nor [IPV6-ADDRESS]:PORT", listen);
	if (!cert != !key)
		usagex("--etcd-cert and --etcd-key: both or neither");
	if (head_age)
		snprintf(node.head_cc, sizeof(node.head_cc), "public, max-age=%u", head_age);
	else
		snprintf(node.head_cc, sizeof(node.head_cc), "no-cache");
	max_conn = fit_file_limit(max_conn);
	signal(SIGPIPE, SIG_IGN);
	/* Every thread inherits the mask, so that SIGINT and SIGTERM reach the sigwait below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&node.lock, &attr);
	pthread_mutex_init(&node.qlock, NULL);
	pthread_cond_init(&node.qcond, NULL);
	pthread_cond_init(&node.done, NULL);
	node.tail = &node.head;
	node.state = fwg_state_new();
	node.cache = cache_new((size_t)cache_mib << 20);
	pthread_mutex_init(&node.reader_lock, NULL);
	if (etcd_set_tls(cacert, cert, key))
		fatalx("--etcd-cacert, --etcd-cert, --etcd-key: a file can not be read");
	node.etcd = etcd_open(etcd);
	node.reader = etcd_open(etcd);
	if (!node.state || !node.cache || !node.etcd || !node.reader)
		fatalx("out of memory or no etcd endpoint");
	/* Large blocks from other nodes are verified on every core; this node's own are verified already. */
	if (node.verify_peers)
		fwg_state_set_threads(node.state, sysconf(_SC_NPROCESSORS_ONLN));
	if (genesis ? bootstrap(genesis) : sync_chain() < 0)
		fatalx("can not read the chain from etcd at %s", etcd);
	log_info("chain has %zu blocks", node.nr_blocks);

	pthread_create(&thr, NULL, appender, NULL);
	pthread_create(&thr, NULL, watcher, etcd_open(etcd));
	/*
	 * A thread per connection, as submitters and streams wait for blocks; poll(), not select(), so that
	 * connections past file 1,024 are served; a small stack, as idle connections are most of them.
	 */
	fwg_admit_init(max_conn);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			     MHD_USE_ITC | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_LIMIT, max_conn,
			     MHD_OPTION_NOTIFY_CONNECTION, fwg_admit_notify, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 120, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
			     MHD_OPTION_THREAD_STACK_SIZE, (size_t)256 * 1024, MHD_OPTION_END);
	if (!d)
		fatal("listen on %s", listen);
	node.daemon = d;
	log_info("listening on %s, at most %u connections", listen, max_conn);

	sigwait(&set, &c);
	log_info("signal %d: stopping", c);
	pthread_mutex_lock(&node.qlock);
	node.stopping = 1;
	pthread_cond_broadcast(&node.done);
	pthread_mutex_unlock(&node.qlock);
	pthread_create(&thr, NULL, stop_deadline, NULL);
	MHD_stop_daemon(d);
	log_info("stopped");
	return 0;
}
