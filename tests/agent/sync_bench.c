// SPDX-License-Identifier: GPL-2.0
/*
 * sync_1m_tx_s and device_store_kib (tests/agent/bench): fwgated's chain sync (agent/sync.c), on the host,
 * catching up with a long chain from a local fwgate-node, into an empty local store.
 *
 * The chain is a fleet's: a consortium (one manufacturer, three checkers, device types "headunit" and
 * "router", q = 2 of 3), a certificate for every device of the fleet, then rounds of one update per type,
 * its verdicts (two approvals; a rejection by the third checker every fourth round), and an ack from every
 * device of the type. This device is a headunit of the fleet: its certificate, the headunit updates, their
 * verdicts and its own acks are what the sync keeps; the other ~99.99% of the transactions are only hashed.
 *
 *   sync_bench gen DIR N            build an N-transaction chain: DIR/chain (be32 length + block, ...),
 *                                   DIR/policy (this device's trust policy), DIR/genesis (block 0's hash)
 *   sync_bench load DIR ENDPOINTS   put its blocks into etcd, under fwgate-node's key layout
 *   sync_bench run DIR NODE STORE   sync from NODE into the empty store directory STORE; prints
 *                                   "sync_1m_tx_s" and "device_store_kib" lines, details on stderr
 */
#include <endian.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <curl/curl.h>

#include "etcd.h"
#include "files.h"
#include "ledger.h"
#include "log.h"
#include "nl.h"
#include "sync.h"

#define MAX_DEVICES	48000		/* the fleet: half headunits, half routers */
#define CHECKERS	3
#define BLOCK_TX	4096		/* fwgate-node's default --max-batch */
#define BLOCK_BYTES	(FWG_BLOCK_MAX - 65536)
#define TX_SLOT		256		/* an ack or a certificate, signed with P-256, fits */
#define PREFIX		"fwgate/"

static const char *const types[2] = { "headunit", "router" };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ building the chain */

static struct {
	struct fwg_key *mkey, *ckey[CHECKERS];
	struct fwg_pubkey mpub, cpub[CHECKERS];
	struct fwg_key **dkey;
	struct fwg_pubkey *dpub;
	unsigned int devices;

	/* the block being filled */
	FILE *out;
	struct fwg_block_hdr hdr;
	uint8_t *arena;
	size_t used;
	const uint8_t *tx[FWG_BLOCK_MAX_TX];
	uint32_t len[FWG_BLOCK_MAX_TX];
	uint32_t nr;
	uint64_t total;
} g;

static void flush(void)
{
	uint8_t be[4];
	size_t blen;
	uint8_t *b;

	if (!g.nr)
		return;
	b = fwg_block_encode(&g.hdr, g.tx, g.len, g.nr, &blen);
	if (!b)
		fatalx("block %" PRIu64 ": can not encode", g.hdr.height);
	be[0] = blen >> 24; be[1] = blen >> 16; be[2] = blen >> 8; be[3] = blen;
	if (fwrite(be, 1, 4, g.out) != 4 || fwrite(b, 1, blen, g.out) != blen)
		fatal("write");
	fwg_block_hash(&g.hdr, g.hdr.prev);
	g.hdr.height++;
	g.hdr.time_ms += 5000;
	g.nr = 0;
	g.used = 0;
	free(b);
}

static void emit(const uint8_t *tx, size_t len)
{
	if (!len)
		fatalx("a transaction could not be signed or encoded");
	if (g.nr == BLOCK_TX || g.used + len > BLOCK_BYTES)
		flush();
	memcpy(g.arena + g.used, tx, len);
	g.tx[g.nr] = g.arena + g.used;
	g.len[g.nr++] = len;
	g.used += len;
	g.total++;
}

/* Runs fn(i, arg) for i in [0, n) on every core. */
struct job {
	void (*fn)(size_t i, void *arg);
	void *arg;
	size_t n, first, step;
};

static void *job_run(void *p)
{
	struct job *j = p;
	size_t i;

	for (i = j->first; i < j->n; i += j->step)
		j->fn(i, j->arg);
	return NULL;
}

static void parallel(size_t n, void (*fn)(size_t i, void *arg), void *arg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i, t = cores > 0 && cores < 64 ? cores : 2;
	pthread_t thr[64];
	struct job j[64];

	for (i = 0; i < t; i++) {
		j[i] = (struct job){ .fn = fn, .arg = arg, .n = n, .first = i, .step = t };
		pthread_create(&thr[i], NULL, job_run, &j[i]);
	}
	for (i = 0; i < t; i++)
		pthread_join(thr[i], NULL);
}

struct signed_txs {
	uint8_t (*buf)[TX_SLOT];
	uint32_t *len;
	const struct fwgate_update_stmt *u;	/* acks: the update they acknowledge */
	unsigned int type, round;
};

/* Device i: half are headunits (even), half routers (odd); device 0 is the one that syncs. */
static void make_device(size_t i, void *arg)
{
	struct signed_txs *s = arg;
	struct fwgate_devcert_stmt c = {};

	g.dkey[i] = fwg_key_create(FWGATE_KEY_P256);
	if (!g.dkey[i] || fwg_key_encode(g.dkey[i], &g.dpub[i]))
		fatalx("device key");
	memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
	memcpy(c.m_id, g.mpub.id, FWGATE_ID_LEN);
	strcpy(c.o_type, types[i % 2]);
	memcpy(c.pubkey, g.dpub[i].data, sizeof(c.pubkey));
	s->len[i] = fwg_tx_sign(g.mkey, FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, s->buf[i], TX_SLOT);
}

/* Ack i of a round: from device 2i + type, the devices of that type in order. */
static void make_ack(size_t i, void *arg)
{
	struct signed_txs *s = arg;
	struct fwgate_ack_stmt a = {};
	size_t d = 2 * i + s->type;

	memcpy(a.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
	memcpy(a.u_id, s->u->u_id, FWGATE_ID_LEN);
	memcpy(a.o_id, g.dpub[d].id, FWGATE_ID_LEN);
	a.version = s->u->version;
	strcpy(a.target, i % 3 ? "rootfs_b" : "rootfs_a");
	a.time = htobe64(1700000000 + s->round * 86400 + i % 86400);
	s->len[i] = fwg_tx_sign(g.dkey[d], FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, s->buf[i], TX_SLOT);
}

static void verdict(const struct fwgate_update_stmt *u, unsigned int c, int approve)
{
	struct fwgate_verdict_stmt v = {};
	uint8_t buf[1024];

	memcpy(v.magic, approve ? FWGATE_MAGIC_APPROVE : FWGATE_MAGIC_REJECT, FWGATE_MAGIC_LEN);
	memcpy(v.checker_id, g.cpub[c].id, FWGATE_ID_LEN);
	fwg_sha256(u->u_id, FWGATE_ID_LEN, v.report);
	v.report[0] ^= c + 1;	/* stands for the digest of each checker's report */
	v.update = *u;
	emit(buf, fwg_tx_sign(g.ckey[c], approve ? FWG_TX_APPROVE : FWG_TX_REJECT, &v, sizeof(v), NULL, 0, NULL, 0, buf,
			      sizeof(buf)));
}

static void build(const char *dir, uint64_t total)
{
	static struct fwg_genesis gen;
	static uint8_t gbuf[FWG_TX_MAX];
	struct fwg_policy p = {};
	struct signed_txs s = {};
	char path[4096], tmp[4096], text[8192];
	uint64_t left;
	unsigned int i, t, round;
	size_t n;
	double t0 = now();

	/* Per round: 2 updates, up to 6 verdicts and an ack from every device. */
	g.devices = total / 21 < MAX_DEVICES ? total / 21 : MAX_DEVICES;
	g.devices &= ~1u;
	if (g.devices < 2)
		fatalx("N: too small");
	g.mkey = fwg_key_create(FWGATE_KEY_P256);
	fwg_key_encode(g.mkey, &g.mpub);
	gen.time = 1700000000;
	strcpy(gen.name, "bench-fleet");
	gen.members[gen.nr_members++] = (struct fwg_member){ .role = FWG_ROLE_MANUFACTURER, .name = "acme",
							     .key = g.mpub };
	for (i = 0; i < CHECKERS; i++) {
		g.ckey[i] = fwg_key_create(FWGATE_KEY_P256);
		fwg_key_encode(g.ckey[i], &g.cpub[i]);
		gen.members[gen.nr_members] = (struct fwg_member){ .role = FWG_ROLE_CHECKER, .key = g.cpub[i] };
		snprintf(gen.members[gen.nr_members++].name, FWGATE_NAME_LEN, "checker%u", i + 1);
	}
	for (t = 0; t < 2; t++) {
		strcpy(gen.types[t].o_type, types[t]);
		gen.types[t].k = CHECKERS;
		gen.types[t].q = 2;
		for (i = 0; i < CHECKERS; i++)
			memcpy(gen.types[t].checkers[i], g.cpub[i].id, FWGATE_ID_LEN);
	}
	gen.nr_types = 2;

	snprintf(tmp, sizeof(tmp), "%s/chain.tmp", dir);
	g.out = fopen(tmp, "w");
	g.arena = malloc(FWG_BLOCK_MAX);
	g.dkey = calloc(g.devices, sizeof(*g.dkey));
	g.dpub = calloc(g.devices, sizeof(*g.dpub));
	s.buf = malloc((size_t)g.devices * sizeof(*s.buf));
	s.len = calloc(g.devices, sizeof(*s.len));
	if (!g.out || !g.arena || !g.dkey || !g.dpub || !s.buf || !s.len)
		fatal("%s", tmp);
	g.hdr.time_ms = 1700000000000ULL;

	/* Block 0 holds the genesis alone, as fwgate-node --genesis writes it. */
	emit(gbuf, fwg_genesis_encode(&gen, gbuf, sizeof(gbuf)));
	flush();

	parallel(g.devices, make_device, &s);
	for (i = 0; i < g.devices; i++)
		emit(s.buf[i], s.len[i]);
	flush();

	left = total - g.total;
	for (round = 0; left; round++) {
		for (t = 0; t < 2 && g.total < total; t++) {
			static const uint8_t chunks[16 * FWGATE_ID_LEN];	/* a 16 MiB image's */
			struct fwgate_update_stmt u = {};
			uint8_t buf[2048];
			char seed[64];

			memcpy(u.magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
			memcpy(u.m_id, g.mpub.id, FWGATE_ID_LEN);
			n = snprintf(seed, sizeof(seed), "%s firmware %u", types[t], round + 1);
			fwg_sha256(seed, n, u.u_id);
			u.version = htobe64(round + 1);
			u.size = htobe64(16 << 20);
			fwg_chunks_digest(chunks, sizeof(chunks), u.chunks);
			strcpy(u.o_type, types[t]);
			strcpy(u.target, "rootfs");
			u.issued = htobe64(1700000000 + round * 86400);
			emit(buf, fwg_tx_sign(g.mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), buf, sizeof(buf)));
			verdict(&u, 0, 1);
			verdict(&u, 1, 1);
			if (round % 4 == 3)
				verdict(&u, 2, 0);

			left = total - g.total;
			n = g.devices / 2 < left ? g.devices / 2 : left;
			s.u = &u;
			s.type = t;
			s.round = round;
			parallel(n, make_ack, &s);
			for (i = 0; i < n; i++)
				emit(s.buf[i], s.len[i]);
			left = total - g.total;
		}
		if (left)
			flush();
	}
	flush();
	if (fclose(g.out))
		fatal("%s", tmp);

	p.threshold = 2;
	p.k = CHECKERS;
	strcpy(p.otype, types[0]);
	memcpy(p.device_id, g.dpub[0].id, FWGATE_ID_LEN);
	p.manufacturer = g.mpub;
	memcpy(p.checkers, g.cpub, sizeof(g.cpub));
	snprintf(path, sizeof(path), "%s/policy", dir);
	if (fwg_policy_format(&p, text, sizeof(text)) < 0 || fwg_write_file(path, text, strlen(text), 0644))
		fatalx("%s: can not write", path);
	snprintf(path, sizeof(path), "%s/chain", dir);
	if (rename(tmp, path))
		fatal("%s", path);
	fprintf(stderr, "# sync_bench: built %" PRIu64 " transactions (%u devices certified, %u rounds) in %"
		PRIu64 " blocks, %.1f s\n", g.total, g.devices, round, g.hdr.height, now() - t0);
}

/* ------------------------------------------------------------------ reading it back */

struct chain {
	uint8_t *buf;
	size_t len, off;
};

static void chain_open(struct chain *c, const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/chain", dir);
	if (fwg_read_file(path, &c->buf, &c->len, (size_t)1 << 34))
		fatalx("%s: can not read", path);
	c->off = 0;
}

static const uint8_t *chain_next(struct chain *c, size_t *len)
{
	const uint8_t *p = c->buf + c->off;

	if (c->off + 4 > c->len)
		return NULL;
	*len = (size_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	if (c->off + 4 + *len > c->len)
		fatalx("chain: a truncated block");
	c->off += 4 + *len;
	return p + 4;
}

static void load(const char *dir, const char *endpoints)
{
	struct etcd *e = etcd_open(endpoints);
	uint8_t head[8 + FWGATE_ID_LEN];
	struct etcd_kv kv[2];
	char key[64], hkey[64];
	const uint8_t *b;
	struct chain c;
	uint64_t h = 0;
	size_t len;
	double t0 = now();
	int i;

	if (!e)
		fatalx("etcd: %s", endpoints);
	chain_open(&c, dir);
	snprintf(hkey, sizeof(hkey), "%shead", PREFIX);
	for (; (b = chain_next(&c, &len)); h++) {
		snprintf(key, sizeof(key), "%sb/%016" PRIx64, PREFIX, h);
		for (i = 0; i < 8; i++)
			head[i] = h >> (56 - 8 * i);
		fwg_sha256(b, FWG_BLOCK_HDR_LEN, head + 8);
		kv[0] = (struct etcd_kv){ .key = key, .value = (uint8_t *)b, .len = len };
		kv[1] = (struct etcd_kv){ .key = hkey, .value = head, .len = sizeof(head) };
		if (etcd_put_if_absent(e, key, kv, 2) != 1)
			fatalx("etcd: can not put block %" PRIu64 " (there already, or etcd refused it)", h);
	}
	fprintf(stderr, "# sync_bench: %" PRIu64 " blocks, %zu bytes put into etcd in %.1f s\n", h, c.len,
		now() - t0);
	etcd_close(e);
	free(c.buf);
}

/* ------------------------------------------------------------------ the benchmark */

static int on_tx(const struct fwg_tx *tx, const uint8_t *raw, size_t len, const uint8_t id[FWGATE_ID_LEN],
		 uint64_t height, void *arg)
{
	unsigned int *seen = arg;

	(void)raw;
	(void)len;
	(void)id;
	(void)height;
	seen[tx->type < __FWG_TX_MAX ? tx->type : 0]++;
	return 0;
}

static void run(const char *dir, const char *node, const char *store)
{
	unsigned int seen[__FWG_TX_MAX] = {};
	struct fwg_sync_result r;
	struct fwg_policy p;
	struct fwg_sync *s;
	struct fwg_block b;
	struct fwg_err e;
	struct rusage ru;
	struct chain c;
	char path[4096];
	const uint8_t *blk;
	uint8_t *text;
	FILE *f;
	size_t len;
	double t0, secs;
	int ret;

	snprintf(path, sizeof(path), "%s/policy", dir);
	if (fwg_read_file(path, &text, &len, 65536) || fwg_policy_parse(path, (char *)text, len, &p))
		fatalx("%s: can not read", path);
	free(text);
	/* The configuration pins the genesis, as a provisioned device's does: block 0 only, not the chain. */
	snprintf(path, sizeof(path), "%s/chain", dir);
	c.buf = malloc(FWG_BLOCK_MAX + 4);
	f = fopen(path, "r");
	if (!c.buf || !f)
		fatal("%s", path);
	c.len = fread(c.buf, 1, FWG_BLOCK_MAX + 4, f);
	fclose(f);
	c.off = 0;
	if (!(blk = chain_next(&c, &len)) || fwg_block_decode(blk, len, &b, &e))
		fatalx("%s: no block 0", path);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s = fwg_sync_new(&p, p.device_id, b.hash, store, on_tx, seen);
	fwg_block_release(&b);
	free(c.buf);
	if (!s)
		fatalx("%s: can not open the store", store);
	if (fwg_sync_head(s)->next)
		fatalx("%s: the store is not empty", store);

	t0 = now();
	ret = fwg_sync_run(s, node, &r);
	secs = now() - t0;
	if (ret)
		fatalx("sync from %s failed after %.1f s: %s", node, secs, r.msg);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "# sync_bench: %" PRIu64 " blocks, %" PRIu64 " transactions in %.2f s (%.0f tx/s); %" PRIu64
		" relevant kept (devcert %u, update %u, approve %u, reject %u, ack %u); max RSS %ld KiB\n",
		r.blocks, r.txs, secs, r.txs / secs, r.relevant, seen[FWG_TX_DEVCERT], seen[FWG_TX_UPDATE],
		seen[FWG_TX_APPROVE], seen[FWG_TX_REJECT], seen[FWG_TX_ACK], ru.ru_maxrss);
	printf("sync_1m_tx_s %.2f s\n", secs * 1e6 / r.txs);
	printf("device_store_kib %.1f KiB\n", fwg_sync_store_size(s) / 1024.0);
	fprintf(stderr, "# sync_bench: sync_1m_tx_s is scaled to 1,000,000 transactions from %" PRIu64 "\n",
		r.txs);
	fwg_sync_free(s);
}

int main(int argc, char **argv)
{
	log_init("sync_bench", 0);
	if (argc == 4 && !strcmp(argv[1], "gen"))
		build(argv[2], strtoull(argv[3], NULL, 10));
	else if (argc == 4 && !strcmp(argv[1], "load"))
		load(argv[2], argv[3]);
	else if (argc == 5 && !strcmp(argv[1], "run"))
		run(argv[2], argv[3], argv[4]);
	else
		fatalx("usage: sync_bench gen DIR N | load DIR ETCD-ENDPOINTS | run DIR NODE STORE-DIR");
	return 0;
}
