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
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

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
		    append(batch, n) == 1) {
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

struct conn {
	uint8_t *body;
	size_t len;
	int too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type, const char *fmt,
			     ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type, const char *fmt,
			     ...)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", type);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

#define TEXT "text/plain; charset=utf-8"
#define JSON "application/json"

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
	while (node.syncs < want) {
		node.moved = 1;
		pthread_cond_signal(&node.qcond);
		if (pthread_cond_timedwait(&node.done, &node.qlock, &ts)) {
			err = node.syncs < want ? -1 : 0;
			break;
		}
	}
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
	struct req *r;
	int bad;

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
	while (!r->done)
		pthread_cond_wait(&r->cond, &node.qlock);
	pthread_mutex_unlock(&node.qlock);
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
	return reply(c, 200, JSON, "{\"height\":%" PRIu64 ",\"hash\":\"%s\",\"time_ms\":%" PRIu64 "}\n", n - 1,
		     hex, t);
}

/*
 * A copy of block h, malloc'ed: from memory, or read back from etcd for a block this node does not keep,
 * which must have the hash the node verified. NULL if there is no such block or etcd did not answer.
 */
static uint8_t *block_copy(uint64_t h, size_t *len)
{
	uint8_t hash[FWGATE_ID_LEN], *p = NULL;
	struct etcd_kv *kvs = NULL;
	char key[256];
	size_t n = 0;

	pthread_rwlock_rdlock(&node.lock);
	if (h < node.nr_blocks && node.blocks[h].data) {
		*len = node.blocks[h].len;
		p = malloc(*len);
		if (p)
			memcpy(p, node.blocks[h].data, *len);
	}
	if (h < node.nr_blocks)
		memcpy(hash, node.blocks[h].hash, FWGATE_ID_LEN);
	if (p || h >= node.nr_blocks) {
		pthread_rwlock_unlock(&node.lock);
		return p;
	}
	pthread_rwlock_unlock(&node.lock);
	block_key(h, key, sizeof(key));
	pthread_mutex_lock(&node.reader_lock);
	if (etcd_range(node.reader, key, NULL, 1, &kvs, &n))
		n = 0;
	pthread_mutex_unlock(&node.reader_lock);
	if (n == 1 && kvs[0].len >= FWG_BLOCK_HDR_LEN) {
		uint8_t got[FWGATE_ID_LEN];

		/* The header commits to the transactions through the Merkle root, which the decoder checks. */
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

struct stream {
	uint64_t next, end;	/* blocks [next, end); end = UINT64_MAX to follow */
	uint8_t *cur;
	size_t len, off;
};

/* Streams blocks as be32 length + block; with follow, waits for new ones. */
static ssize_t stream_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = arg;
	uint8_t *blk;
	size_t n;

	(void)pos;
	while (!s->cur || s->off == s->len) {
		free(s->cur);
		s->cur = NULL;
		if (s->next >= s->end)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&node.qlock);
		while (s->next >= node.nr_blocks)
			pthread_cond_wait(&node.done, &node.qlock);
		pthread_mutex_unlock(&node.qlock);
		blk = block_copy(s->next, &n);
		if (!blk || !(s->cur = malloc(4 + n))) {
			free(blk);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		s->len = 4 + n;
		s->cur[0] = n >> 24;
		s->cur[1] = n >> 16;
		s->cur[2] = n >> 8;
		s->cur[3] = n;
		memcpy(s->cur + 4, blk, n);
		free(blk);
		s->off = 0;
		s->next++;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->cur + s->off, n);
	s->off += n;
	return n;
}

static void stream_free(void *arg)
{
	struct stream *s = arg;

	free(s->cur);
	free(s);
}

static enum MHD_Result blocks(struct MHD_Connection *c)
{
	const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
	const char *follow = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
	struct MHD_Response *resp;
	struct stream *s;
	enum MHD_Result ret;
	char *end;

	s = calloc(1, sizeof(*s));
	s->next = from ? strtoull(from, &end, 10) : 0;
	if (from && *end) {
		free(s);
		return reply(c, 400, TEXT, "from: \"%s\" is not a block height\n", from);
	}
	pthread_rwlock_rdlock(&node.lock);
	s->end = follow && !strcmp(follow, "1") ? UINT64_MAX : node.nr_blocks;
	pthread_rwlock_unlock(&node.lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, stream_read, s, stream_free);
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result tx_get(struct MHD_Connection *c, const char *hexid)
{
	char hex[2 * FWGATE_ID_LEN + 1], root[2 * FWGATE_ID_LEN + 1], bhash[2 * FWGATE_ID_LEN + 1];
	uint8_t id[FWGATE_ID_LEN], pbuf[16 + FWG_PROOF_MAX_DEPTH * FWGATE_ID_LEN];
	char *txhex = NULL, *proofhex = NULL;
	uint8_t (*leaves)[FWGATE_ID_LEN] = NULL;
	struct fwg_proof p;
	struct fwg_block b;
	struct fwg_err err;
	enum MHD_Result ret;
	uint8_t *blk = NULL;
	uint64_t h;
	uint32_t i;
	size_t plen, blen;

	if (fwg_unhex(hexid, id, FWGATE_ID_LEN))
		return reply(c, 400, TEXT, "transaction id: \"%s\" is not 64 hex digits\n", hexid);
	pthread_rwlock_rdlock(&node.lock);
	if (fwg_state_find(node.state, id, &h)) {
		pthread_rwlock_unlock(&node.lock);
		catch_up();
		pthread_rwlock_rdlock(&node.lock);
	}
	if (fwg_state_find(node.state, id, &h)) {
		pthread_rwlock_unlock(&node.lock);
		return reply(c, 404, TEXT, "transaction %s: not in the chain\n", hexid);
	}
	pthread_rwlock_unlock(&node.lock);
	blk = block_copy(h, &blen);
	if (!blk || fwg_block_decode(blk, blen, &b, &err)) {
		free(blk);
		return reply(c, 503, TEXT, "transaction %s: its block %" PRIu64 " can not be read now\n", hexid, h);
	}
	leaves = malloc((b.hdr.nr_tx ? b.hdr.nr_tx : 1) * sizeof(*leaves));
	for (i = 0; i < b.hdr.nr_tx; i++)
		fwg_merkle_leaf(b.tx_id[i], leaves[i]);
	for (i = 0; i < b.hdr.nr_tx; i++)
		if (!memcmp(b.tx_id[i], id, FWGATE_ID_LEN))
			break;
	fwg_merkle_proof((const uint8_t (*)[FWGATE_ID_LEN])leaves, b.hdr.nr_tx, i, &p);
	plen = fwg_proof_encode(&p, pbuf, sizeof(pbuf));
	txhex = malloc(2 * b.tx_len[i] + 1);
	proofhex = malloc(2 * plen + 1);
	fwg_hex(b.tx[i], b.tx_len[i], txhex);
	fwg_hex(pbuf, plen, proofhex);
	fwg_hex(b.hdr.merkle, FWGATE_ID_LEN, root);
	fwg_hex(b.hash, FWGATE_ID_LEN, bhash);
	fwg_hex(id, FWGATE_ID_LEN, hex);
	ret = reply(c, 200, JSON,
		    "{\"id\":\"%s\",\"height\":%" PRIu64 ",\"index\":%u,\"block\":\"%s\",\"merkle_root\":\"%s\","
		    "\"proof\":\"%s\",\"tx\":\"%s\"}\n", hex, h, i, bhash, root, proofhex, txhex);
	fwg_block_release(&b);
	free(blk);
	free(leaves);
	free(txhex);
	free(proofhex);
	return ret;
}

/* A single "bytes=a-" or "bytes=a-b" range of a size-byte blob, into [*a, *b]; -1 if not satisfiable. */
static int parse_range(const char *range, uint64_t size, unsigned long long *a, unsigned long long *b)
{
	int n = 0;

	*a = 0;
	*b = size ? size - 1 : 0;
	if (!range)
		return 0;
	if (sscanf(range, "bytes=%llu-%n", a, &n) != 1 || !n || *a >= size ||
	    (range[n] && (sscanf(range + n, "%llu", b) != 1 || *b < *a)))
		return -1;
	if (*b >= size)
		*b = size - 1;
	return 0;
}

/* Queues resp (the whole blob, or the range [a, b] of it) with its headers. */
static enum MHD_Result send_blob(struct MHD_Connection *c, struct MHD_Response *resp, const char *range,
				 unsigned long long a, unsigned long long b, uint64_t size)
{
	enum MHD_Result ret;
	char cr[128];

	if (!resp)
		return reply(c, 500, TEXT, "out of memory\n");
	if (range) {
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", a, b, (unsigned long long)size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	ret = MHD_queue_response(c, range ? 206 : 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result unsatisfiable(struct MHD_Connection *c, uint64_t size)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	char cr[64];

	snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
	MHD_add_response_header(resp, "Content-Range", cr);
	ret = MHD_queue_response(c, 416, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* An in-chain image streamed from its chunks, one block read at a time. */
struct chain_blob {
	uint8_t u_id[FWGATE_ID_LEN];
	uint64_t pos, end;		/* bytes of the image still to send: [pos, end) */
	uint8_t *blk;			/* the block holding the current chunk */
	uint64_t blk_height;
	struct fwg_block b;
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
	size_t len;
	int ret;

	pthread_rwlock_rdlock(&node.lock);
	ret = fwg_state_blob_chunk(node.state, cb->u_id, i, &h, &txi);
	pthread_rwlock_unlock(&node.lock);
	if (ret)
		return -1;
	if (!cb->blk || cb->blk_height != h) {
		if (cb->blk)
			fwg_block_release(&cb->b);
		free(cb->blk);
		cb->blk = block_copy(h, &len);
		if (!cb->blk || fwg_block_decode(cb->blk, len, &cb->b, &err)) {
			free(cb->blk);
			cb->blk = NULL;
			return -1;
		}
		cb->blk_height = h;
	}
	if (txi >= cb->b.hdr.nr_tx || fwg_tx_decode(cb->b.tx[txi], cb->b.tx_len[txi], &tx, &err))
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
	uint32_t i = cb->pos / FWG_BLOB_CHUNK, off = cb->pos % FWG_BLOB_CHUNK;
	size_t n = FWG_BLOB_CHUNK - off;

	(void)pos;
	if (cb->pos >= cb->end)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (cb->chunk != i && chain_blob_chunk(cb, i)) {
		log_warnx("in-chain image: chunk %u can not be read back", i);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (n > max)
		n = max;
	if (n > cb->end - cb->pos)
		n = cb->end - cb->pos;
	memcpy(buf, cb->data + off, n);
	cb->pos += n;
	return n;
}

static void chain_blob_free(void *arg)
{
	struct chain_blob *cb = arg;

	if (cb->blk)
		fwg_block_release(&cb->b);
	free(cb->blk);
	free(cb);
}

/*
 * A blob by its SHA-256, with a single byte range if asked: reassembled from the chain when every chunk of
 * the image is in it, else from the blobs directory.
 */
static enum MHD_Result blob(struct MHD_Connection *c, const char *hexid)
{
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
	unsigned long long a, b;
	uint8_t id[FWGATE_ID_LEN];
	struct chain_blob *cb;
	uint32_t count, have;
	uint64_t size;
	char path[4096];
	struct stat st;
	int fd, in_chain;

	if (fwg_unhex(hexid, id, FWGATE_ID_LEN) || strspn(hexid, "0123456789abcdef") != 64)
		return reply(c, 400, TEXT, "blob digest: \"%s\" is not 64 lower-case hex digits\n", hexid);
	pthread_rwlock_rdlock(&node.lock);
	in_chain = !fwg_state_blob(node.state, id, &size, &count, &have) && have == count;
	pthread_rwlock_unlock(&node.lock);
	if (in_chain) {
		if (parse_range(range, size, &a, &b))
			return unsatisfiable(c, size);
		cb = calloc(1, sizeof(*cb));
		if (!cb)
			return reply(c, 500, TEXT, "out of memory\n");
		memcpy(cb->u_id, id, FWGATE_ID_LEN);
		cb->pos = a;
		cb->end = b + 1;
		cb->chunk = UINT32_MAX;
		return send_blob(c, MHD_create_response_from_callback(b - a + 1, 65536, chain_blob_read, cb,
								      chain_blob_free), range, a, b, size);
	}
	if (!node.blobs)
		return reply(c, 404, TEXT, "blob %s: not in the chain (%s), and this node has no blobs directory\n",
			     hexid, have ? "some chunks missing" : "no chunk");
	snprintf(path, sizeof(path), "%s/%s", node.blobs, hexid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return reply(c, 404, TEXT, "blob %s: not here\n", hexid);
	}
	if (parse_range(range, st.st_size, &a, &b)) {
		close(fd);
		return unsatisfiable(c, st.st_size);
	}
	return send_blob(c, MHD_create_response_from_fd_at_offset64(b - a + 1, fd, a), range, a, b, st.st_size);
}

/*
 * Prometheus' text format: every metric with # HELP and # TYPE, histogram bounds as Prometheus writes them
 * (le="0.01"), fwgate_build_info, and the head's age, which an alert compares with the heartbeat.
 */
static enum MHD_Result metrics(struct MHD_Connection *c)
{
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
#undef META
#undef OUT
	if (off >= sizeof(buf))
		return reply(c, 500, TEXT, "metrics: more than %zu bytes\n", sizeof(buf));
	return reply(c, 200, "text/plain; version=0.0.4", "%s", buf);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *data, size_t *size, void **ctx)
{
	struct conn *cn = *ctx;

	(void)cls;
	(void)version;
	if (!strcmp(method, "POST")) {
		if (strcmp(url, "/tx"))
			return reply(c, 404, TEXT, "%s: no such resource; POST /tx\n", url);
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
	if (strcmp(method, "GET"))
		return reply(c, 405, TEXT, "%s: only GET and POST\n", method);
	if (!strcmp(url, "/head"))
		return head(c);
	if (!strcmp(url, "/blocks"))
		return blocks(c);
	if (!strncmp(url, "/tx/", 4))
		return tx_get(c, url + 4);
	if (!strncmp(url, "/blob/", 6))
		return blob(c, url + 6);
	if (!strcmp(url, "/metrics"))
		return metrics(c);
	return reply(c, 404, TEXT, "%s: no such resource (/head, /blocks?from=H, /tx/ID, /blob/DIGEST, "
		     "/metrics, POST /tx)\n", url);
}

static void completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
	struct conn *cn = *ctx;

	(void)cls;
	(void)c;
	(void)t;
	if (cn) {
		free(cn->body);
		free(cn);
		*ctx = NULL;
	}
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
	if (fwg_tx_decode(r.tx, r.len, &tx, &err)) {
		log_warnx("%s: %s", path, err.msg);
		return -1;
	}
	if (tx.type != FWG_TX_GENESIS) {
		fwg_tx_release(&tx);
		log_warnx("%s: not a genesis transaction", path);
		return -1;
	}
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

static void usage(void)
{
	fprintf(stderr,
		"usage: fwgate-node --etcd URL[,URL...] [--listen ADDR:PORT] [--prefix P] [--genesis FILE]\n"
		"                   [--blobs DIR] [--batch-ms N] [--max-batch N] [--heartbeat S] [--poll-ms N]\n"
		"                   [--no-verify-peers] [-v]\n");
	exit(1);
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
		{ "verify-peers", no_argument, &node.verify_peers, 1 },
		{ "no-verify-peers", no_argument, &node.verify_peers, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *etcd = NULL, *listen = "127.0.0.1:8470", *genesis = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	pthread_rwlockattr_t attr;
	struct MHD_Daemon *d;
	pthread_t thr;
	char host[64];
	int c, verbose = 0, port;
	sigset_t set;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': etcd = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': node.prefix = optarg; break;
		case 'g': genesis = optarg; break;
		case 'b': node.blobs = optarg; break;
		case 'B': node.batch_ms = atoi(optarg); break;
		case 'M': node.max_batch = atoi(optarg); break;
		case 'H': node.heartbeat_ms = atoi(optarg) * 1000; break;
		case 'P': node.poll_ms = atoi(optarg); break;
		case 'v': verbose++; break;
		case 0: break;
		default: usage();
		}
	}
	log_init("fwgate-node", verbose);
	if (!etcd || optind != argc)
		usage();
	if (sscanf(listen, "%63[^:]:%d", host, &port) != 2 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    port <= 0 || port > 65535)
		fatalx("--listen: \"%s\" is not IPv4-ADDRESS:PORT", listen);
	if (!node.max_batch || node.max_batch > FWG_BLOCK_MAX_TX)
		fatalx("--max-batch: not 1 to %d", FWG_BLOCK_MAX_TX);
	if (!node.poll_ms || node.poll_ms > 60000 || !node.heartbeat_ms)
		fatalx("--poll-ms: not 1 to 60000, or --heartbeat: zero");
	sa.sin_port = htons(port);
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
	pthread_mutex_init(&node.reader_lock, NULL);
	node.etcd = etcd_open(etcd);
	node.reader = etcd_open(etcd);
	if (!node.state || !node.etcd || !node.reader)
		fatalx("out of memory or no etcd endpoint");
	/* Large blocks from other nodes are verified on every core; this node's own are verified already. */
	if (node.verify_peers)
		fwg_state_set_threads(node.state, sysconf(_SC_NPROCESSORS_ONLN));
	if (genesis ? bootstrap(genesis) : sync_chain() < 0)
		fatalx("can not read the chain from etcd at %s", etcd);
	log_info("chain has %zu blocks", node.nr_blocks);

	pthread_create(&thr, NULL, appender, NULL);
	pthread_create(&thr, NULL, watcher, etcd_open(etcd));
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_LIMIT, 2000,
			     MHD_OPTION_CONNECTION_TIMEOUT, 120, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
			     MHD_OPTION_END);
	if (!d)
		fatal("listen on %s", listen);
	log_info("listening on %s", listen);

	sigwait(&set, &c);
	MHD_stop_daemon(d);
	return 0;
}
