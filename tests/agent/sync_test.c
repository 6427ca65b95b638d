// SPDX-License-Identifier: GPL-2.0
/*
 * fwgated's sync and local store (agent/sync.c, agent/store.c) on a real chain: the seed stream in
 * tests/fuzz/corpus/sync/with-blob-chunks (a node's GET /blocks?from=0: genesis, a device certificate, an
 * update, two approvals and a rejection, an ack, a nack, two blob chunks, and the device's trust policy).
 * What is relevant is kept with proofs that verify, replayed after a restart, and the rest only hashed; a
 * stream that was altered, reordered, or starts at another genesis is refused and keeps what verified, and
 * nothing of a block that did not; a store whose disk fills up commits nothing it lost. A node's error page
 * is an unreachable node, for the sync as for chain/client.c's fwg_node_follow().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "client.h"
#include "files.h"
#include "log.h"
#include "sync.h"

#define SEED "tests/fuzz/corpus/sync/with-blob-chunks"

struct seen {
	unsigned int n, types[16];
	uint64_t last_height;
};

static int count(const struct fwg_tx *tx, const uint8_t *raw, size_t len, const uint8_t id[FWGATE_ID_LEN],
		 uint64_t height, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->types[tx->type & 15]++;
	s->last_height = height;
	return 0;
}

static int proofs_ok;

static int check_proof(const uint8_t *tx, size_t len, uint64_t height, const uint8_t *proof, size_t plen,
		       void *arg)
{
	struct fwg_proof p;

	if (fwg_proof_decode(proof, plen, &p) || p.index >= p.size)
		return -1;
	proofs_ok++;
	return 0;
}

FIXTURE(sync) {
	char dir[64];
	uint8_t *buf;
	size_t len, plen;
	struct fwg_policy p;
};

FIXTURE_SETUP(sync)
{
	log_init("sync_test", -1);
	strcpy(self->dir, "/tmp/fwgate-sync.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, fwg_read_file(SEED, &self->buf, &self->len, 1 << 24));
	self->plen = (size_t)self->buf[0] << 8 | self->buf[1];
	ASSERT_EQ(0, fwg_policy_parse("seed", (const char *)self->buf + 2, self->plen, &self->p));
}

FIXTURE_TEARDOWN(sync)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	free(self->buf);
}

static const uint8_t *stream(FIXTURE_DATA(sync) *self, size_t *len)
{
	*len = self->len - 2 - self->plen;
	return self->buf + 2 + self->plen;
}

TEST_F(sync, keeps_what_is_relevant_with_proofs_and_replays_it)
{
	struct seen a = {}, b = {};
	struct fwg_sync_result r;
	struct fwg_sync *s;
	const uint8_t *st;
	size_t n;

	st = stream(self, &n);
	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, count, &a);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, fwg_sync_feed(s, st, n, &r)) TH_LOG("%s", r.msg);
	EXPECT_EQ(10, r.blocks);
	EXPECT_EQ(0, r.status);
	/* The first block this run verified, genesis here: no later than the tip (the withholding check). */
	EXPECT_NE(0, r.first_time_ms);
	EXPECT_GE(fwg_sync_head(s)->tip_time_ms, r.first_time_ms);
	/* devcert, update, approve x2, reject, ack, nack: not genesis, not the chunks. */
	EXPECT_EQ(7, r.relevant);
	EXPECT_EQ(7, a.n);
	EXPECT_EQ(1, a.types[FWG_TX_UPDATE]);
	EXPECT_EQ(2, a.types[FWG_TX_APPROVE]);
	EXPECT_EQ(1, a.types[FWG_TX_REJECT]);
	EXPECT_EQ(1, a.types[FWG_TX_ACK]);
	EXPECT_EQ(1, a.types[FWG_TX_NACK]);
	EXPECT_EQ(1, a.types[FWG_TX_DEVCERT]);
	EXPECT_EQ(10, fwg_sync_head(s)->next);
	EXPECT_GT(100000, fwg_sync_store_size(s));	/* the 100 kB image stayed out */
	fwg_sync_free(s);

	/* A restart replays the same transactions, and the stream again adds nothing. */
	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, count, &b);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(7, b.n);
	EXPECT_EQ(10, fwg_sync_head(s)->next);
	EXPECT_NE(0, fwg_sync_feed(s, st, n, &r));	/* block 0 again: not the next height */
	EXPECT_EQ(FWG_SYNC_INVALID, r.status);
	fwg_sync_free(s);

	struct fwg_store store;

	proofs_ok = 0;
	ASSERT_EQ(0, fwg_store_open(&store, self->dir, check_proof, NULL));
	EXPECT_EQ(7, proofs_ok);
	fwg_store_close(&store);
}

TEST_F(sync, refuses_an_altered_block_and_keeps_the_ones_before)
{
	struct fwg_sync_result r;
	struct seen a = {};
	struct fwg_sync *s;
	const uint8_t *st;
	uint8_t *bad;
	size_t n, off = 0;
	int i;

	st = stream(self, &n);
	bad = malloc(n);
	memcpy(bad, st, n);
	/* Flip a byte inside block 3's transactions. */
	for (i = 0; i < 3; i++)
		off += 4 + ((size_t)bad[off] << 24 | bad[off + 1] << 16 | bad[off + 2] << 8 | bad[off + 3]);
	bad[off + 4 + 120] ^= 1;
	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, count, &a);
	ASSERT_NE(NULL, s);
	EXPECT_NE(0, fwg_sync_feed(s, bad, n, &r));
	EXPECT_EQ(FWG_SYNC_INVALID, r.status);
	EXPECT_NE(NULL, strstr(r.msg, "block 3")) TH_LOG("%s", r.msg);
	EXPECT_EQ(3, fwg_sync_head(s)->next);
	fwg_sync_free(s);
	free(bad);
}

TEST_F(sync, refuses_another_genesis_than_the_pinned_one)
{
	uint8_t pin[FWGATE_ID_LEN] = { 1 };
	struct fwg_sync_result r;
	struct fwg_sync *s;
	const uint8_t *st;
	size_t n;

	st = stream(self, &n);
	s = fwg_sync_new(&self->p, self->p.device_id, pin, self->dir, NULL, NULL);
	ASSERT_NE(NULL, s);
	EXPECT_NE(0, fwg_sync_feed(s, st, n, &r));
	EXPECT_NE(NULL, strstr(r.msg, "genesis")) TH_LOG("%s", r.msg);
	EXPECT_EQ(0, fwg_sync_head(s)->next);
	fwg_sync_free(s);
}

TEST_F(sync, ignores_what_another_device_type_would_keep)
{
	struct fwg_sync_result r;
	struct fwg_sync *s;
	const uint8_t *st;
	size_t n;

	st = stream(self, &n);
	strcpy(self->p.otype, "other");
	memset(self->p.device_id, 0x55, FWGATE_ID_LEN);
	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, NULL, NULL);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, fwg_sync_feed(s, st, n, &r)) TH_LOG("%s", r.msg);
	/* Only the nack naming its manufacturer still concerns it. */
	EXPECT_EQ(1, r.relevant);
	fwg_sync_free(s);
}

/* Where block @k of a stream starts (its be32 length), and its length. */
static const uint8_t *nth_block(const uint8_t *st, int k, size_t *len)
{
	for (;;) {
		*len = (size_t)st[0] << 24 | st[1] << 16 | st[2] << 8 | st[3];
		if (!k--)
			return st;
		st += 4 + *len;
	}
}

TEST_F(sync, keeps_nothing_of_a_block_whose_later_transaction_fails)
{
	const uint8_t *txs[2], *st, *b2, *b3;
	uint8_t *raw, *blk, *bad, *sig;
	struct fwg_block_hdr hdr;
	struct fwg_sync_result r;
	struct fwg_block b, b1;
	size_t n, l2, l3, blen;
	struct seen a = {};
	struct fwg_store store;
	struct fwg_sync *s;
	uint32_t lens[2];
	struct fwg_err e;
	struct fwg_tx tx;

	/* Block 2 rebuilt with block 3's approval after its update, the approval's signature altered. */
	st = stream(self, &n);
	b2 = nth_block(st, 2, &l2);
	b3 = nth_block(st, 3, &l3);
	ASSERT_EQ(0, fwg_block_decode(b2 + 4, l2, &b, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, fwg_block_decode(b3 + 4, l3, &b1, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(FWG_TX_UPDATE, b.tx[0][1]);
	ASSERT_EQ(FWG_TX_APPROVE, b1.tx[0][1]);
	raw = malloc(b1.tx_len[0]);
	memcpy(raw, b1.tx[0], b1.tx_len[0]);
	ASSERT_EQ(0, fwg_tx_decode(raw, b1.tx_len[0], &tx, &e)) TH_LOG("%s", e.msg);
	sig = memmem(raw, b1.tx_len[0], tx.sig, tx.sig_len);
	ASSERT_NE(NULL, sig);
	sig[tx.sig_len / 2] ^= 1;
	fwg_tx_release(&tx);
	txs[0] = b.tx[0];
	lens[0] = b.tx_len[0];
	txs[1] = raw;
	lens[1] = b1.tx_len[0];
	hdr = b.hdr;
	blk = fwg_block_encode(&hdr, txs, lens, 2, &blen);
	ASSERT_NE(NULL, blk);
	bad = malloc(b2 - st + 4 + blen);
	memcpy(bad, st, b2 - st);
	bad[b2 - st] = blen >> 24;
	bad[b2 - st + 1] = blen >> 16;
	bad[b2 - st + 2] = blen >> 8;
	bad[b2 - st + 3] = blen;
	memcpy(bad + (b2 - st) + 4, blk, blen);

	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, count, &a);
	ASSERT_NE(NULL, s);
	EXPECT_NE(0, fwg_sync_feed(s, bad, b2 - st + 4 + blen, &r));
	EXPECT_EQ(FWG_SYNC_INVALID, r.status);
	EXPECT_NE(NULL, strstr(r.msg, "block 2 tx 1")) TH_LOG("%s", r.msg);
	EXPECT_EQ(2, fwg_sync_head(s)->next);
	/* The update verified, but its block did not: the agent never saw it, the store does not keep it. */
	EXPECT_EQ(0, a.types[FWG_TX_UPDATE]);
	EXPECT_EQ(1, a.n);
	fwg_sync_free(s);
	proofs_ok = 0;
	ASSERT_EQ(0, fwg_store_open(&store, self->dir, check_proof, NULL));
	EXPECT_EQ(1, proofs_ok);
	EXPECT_EQ(store.head.log_len, store.log_len);
	fwg_store_close(&store);

	/* The real block 2 is taken after it. */
	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, count, &a);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, fwg_sync_feed(s, b2, n - (b2 - st), &r)) TH_LOG("%s", r.msg);
	EXPECT_EQ(10, fwg_sync_head(s)->next);
	fwg_sync_free(s);
	fwg_block_release(&b);
	fwg_block_release(&b1);
	free(blk);
	free(bad);
	free(raw);
}

/* A block after @prev_block (a stream's last) holding one control transaction, signed with junk as @key_id. */
static uint8_t *control_block(const uint8_t *prev_block, size_t prev_len, const uint8_t *key_id, size_t *out)
{
	static struct fwg_sigset set;
	struct fwgate_control_stmt c = {};
	uint8_t tx[2048], *blk, *framed;
	struct fwg_block_hdr hdr = {};
	const uint8_t *txs[1] = { tx };
	struct fwg_block prev;
	struct fwg_err e;
	uint32_t len;
	size_t blen;

	if (fwg_block_decode(prev_block, prev_len, &prev, &e))
		return NULL;
	memcpy(c.magic, FWGATE_MAGIC_WITHDRAW, FWGATE_MAGIC_LEN);
	memset(c.u_id, 0xab, FWGATE_ID_LEN);
	set.count = 1;
	memcpy(set.sig[0].key_id, key_id, FWGATE_ID_LEN);
	set.sig[0].len = 384;
	memset(set.sig[0].sig, 0x55, 384);
	len = fwg_control_encode(&c, &set, tx, sizeof(tx));
	hdr.height = prev.hdr.height + 1;
	memcpy(hdr.prev, prev.hash, FWGATE_ID_LEN);
	hdr.time_ms = prev.hdr.time_ms + 1;
	fwg_block_release(&prev);
	blk = len ? fwg_block_encode(&hdr, txs, &len, 1, &blen) : NULL;
	if (!blk)
		return NULL;
	framed = malloc(4 + blen);
	framed[0] = blen >> 24;
	framed[1] = blen >> 16;
	framed[2] = blen >> 8;
	framed[3] = blen;
	memcpy(framed + 4, blk, blen);
	free(blk);
	*out = 4 + blen;
	return framed;
}

TEST_F(sync, ignores_controls_of_other_keys_and_refuses_a_forged_one_of_its_manufacturer)
{
	static const uint8_t stranger[FWGATE_ID_LEN] = { 0x77 };
	const uint8_t *st, *last;
	struct fwg_sync_result r;
	uint8_t *b10, *b11;
	size_t n, l9, l10, l11;
	struct seen a = {};
	struct fwg_sync *s;

	st = stream(self, &n);
	last = nth_block(st, 9, &l9);
	b10 = control_block(last + 4, l9, stranger, &l10);
	ASSERT_NE(NULL, b10);
	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, count, &a);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, fwg_sync_feed(s, st, n, &r)) TH_LOG("%s", r.msg);
	/* Signed by a key the policy does not hold: only hashed, as another device type's would be. */
	EXPECT_EQ(0, fwg_sync_feed(s, b10, l10, &r)) TH_LOG("%s", r.msg);
	EXPECT_EQ(11, fwg_sync_head(s)->next);
	EXPECT_EQ(0, a.types[FWG_TX_CONTROL]);
	/* Claimed by the policy's manufacturer with a signature that does not verify: a bad block. */
	b11 = control_block(b10 + 4, l10 - 4, self->p.manufacturer.id, &l11);
	ASSERT_NE(NULL, b11);
	EXPECT_NE(0, fwg_sync_feed(s, b11, l11, &r));
	EXPECT_EQ(FWG_SYNC_INVALID, r.status);
	EXPECT_NE(NULL, strstr(r.msg, "block 11 tx 0")) TH_LOG("%s", r.msg);
	EXPECT_EQ(11, fwg_sync_head(s)->next);
	EXPECT_EQ(0, a.types[FWG_TX_CONTROL]);
	fwg_sync_free(s);
	free(b10);
	free(b11);
}

static int records;

static int count_record(const uint8_t *tx, size_t len, uint64_t height, const uint8_t *proof, size_t plen,
			void *arg)
{
	records++;
	return 0;
}

TEST_F(sync, store_cuts_a_failed_append_and_commits_nothing_until_recovered)
{
	struct fwg_store_head h = { .next = 1 };
	uint8_t rec[1000] = { 1, 2 };
	struct fwg_store store;
	struct rlimit lim;

	ASSERT_EQ(0, fwg_store_open(&store, self->dir, NULL, NULL));
	ASSERT_EQ(0, fwg_store_append(&store, rec, 100, 0, NULL, 0));
	ASSERT_EQ(0, fwg_store_commit(&store, &h));

	/* The disk fills up mid-record: the flush writes part of it. */
	signal(SIGXFSZ, SIG_IGN);
	ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &lim));
	lim.rlim_cur = store.log_len + 200;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	ASSERT_EQ(0, fwg_store_append(&store, rec, sizeof(rec), 1, NULL, 0));	/* buffered */
	h.next = 2;
	EXPECT_NE(0, fwg_store_commit(&store, &h));
	EXPECT_EQ(1, store.head.next);
	EXPECT_EQ(store.head.log_len, store.log_len);
	/* Nothing more goes in, nor is committed, even with room again. */
	lim.rlim_cur = lim.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	EXPECT_NE(0, fwg_store_append(&store, rec, 100, 1, NULL, 0));
	EXPECT_NE(0, fwg_store_commit(&store, &h));
	EXPECT_EQ(1, store.head.next);

	ASSERT_EQ(0, fwg_store_recover(&store));
	ASSERT_EQ(0, fwg_store_append(&store, rec, 100, 1, NULL, 0));
	ASSERT_EQ(0, fwg_store_commit(&store, &h));
	fwg_store_close(&store);

	records = 0;
	ASSERT_EQ(0, fwg_store_open(&store, self->dir, count_record, NULL));
	EXPECT_EQ(2, records);
	EXPECT_EQ(2, store.head.next);
	fwg_store_close(&store);
}

/* A node that answers one request with @answer, on a port the kernel picks; its pid. */
static pid_t one_answer(const char *answer, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char req[4096];
	int fd, c;
	pid_t pid;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen))
		return -1;
	*port = ntohs(a.sin_port);
	pid = fork();
	if (!pid) {
		c = accept(fd, NULL, NULL);
		if (c >= 0 && read(c, req, sizeof(req)) > 0 && write(c, answer, strlen(answer)) > 0)
			shutdown(c, SHUT_WR);
		_exit(0);
	}
	close(fd);
	return pid;
}

TEST_F(sync, takes_a_node_error_page_for_unreachable_not_for_a_bad_block)
{
	const char *page = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 22\r\n\r\n"
			   "<h1>etcd is down</h1>\n";
	struct fwg_sync_result r;
	struct fwg_sync *s;
	char node[64];
	int port;
	pid_t pid;

	s = fwg_sync_new(&self->p, self->p.device_id, NULL, self->dir, NULL, NULL);
	ASSERT_NE(NULL, s);
	pid = one_answer(page, &port);
	ASSERT_LT(0, pid);
	snprintf(node, sizeof(node), "http://127.0.0.1:%d", port);
	EXPECT_NE(0, fwg_sync_run(s, node, &r));
	EXPECT_EQ(FWG_SYNC_UNREACHABLE, r.status);
	EXPECT_NE(NULL, strstr(r.msg, "HTTP 500")) TH_LOG("%s", r.msg);
	EXPECT_EQ(0, fwg_sync_head(s)->next);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fwg_sync_free(s);
}

/* chain/client.c's fwg_node_follow(), which the checker and fwgate audit read the chain with. */
TEST(follow_takes_a_node_error_page_for_http_not_for_a_bad_chain)
{
	const char *page = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 22\r\n\r\n"
			   "<h1>etcd is down</h1>\n";
	struct fwg_state *st = fwg_state_new();
	struct fwg_err err;
	char node[64];
	int port;
	pid_t pid;

	ASSERT_NE(NULL, st);
	pid = one_answer(page, &port);
	ASSERT_LT(0, pid);
	snprintf(node, sizeof(node), "http://127.0.0.1:%d", port);
	EXPECT_NE(0, fwg_node_follow(node, 0, st, NULL, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "HTTP 500")) TH_LOG("%s", err.msg);
	EXPECT_EQ(0, fwg_state_height(st));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fwg_state_free(st);
}

TEST(head_parses_a_node_answer)
{
	struct fwg_head h;

	ASSERT_EQ(0, fwg_head_parse("{\"height\":12,\"hash\":\"0101010101010101010101010101010101010101010101"
				    "010101010101010101\",\"time_ms\":1795795516853}", &h));
	EXPECT_EQ(12, h.height);
	EXPECT_EQ(1795795516853ULL, h.time_ms);
	EXPECT_EQ(1, h.hash[31]);
	EXPECT_NE(0, fwg_head_parse("{\"height\":12}", &h));
	EXPECT_NE(0, fwg_head_parse("{\"height\":1,\"hash\":\"zz\",\"time_ms\":1}", &h));
}

TEST_HARNESS_MAIN
