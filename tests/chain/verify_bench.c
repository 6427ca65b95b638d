// SPDX-License-Identifier: GPL-2.0
/*
 * chain_verify_tx_per_s: full verification (framing, Merkle roots, hash links, signatures, signers, replays)
 * of a chain of N transactions: genesis, 100 device certificates, one update, then device acks in blocks of
 * 4096. The chain is built once (signing takes longer than verifying) and kept in FILE.
 *
 *   verify_bench FILE N [THREADS]   (default 2: this machine's cores)
 */
#include <endian.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"
#include "log.h"

static const uint8_t chunks[FWGATE_ID_LEN];	/* the update's hash list: a one-chunk image */

#define DEVICES 100
#define PER_BLOCK 4096
#define ACK_MAX 200

static struct fwg_key *dkey[DEVICES];
static struct fwg_pubkey dpub[DEVICES];
static uint8_t (*acks)[ACK_MAX];
static uint32_t *ack_len;
static uint8_t u_id[FWGATE_ID_LEN];
static size_t nr_acks;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *sign_acks(void *arg)
{
	size_t i, half = (uintptr_t)arg;

	for (i = half; i < nr_acks; i += 2) {
		struct fwgate_ack_stmt a = {};
		unsigned int d = i % DEVICES;

		memcpy(a.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
		memcpy(a.u_id, u_id, FWGATE_ID_LEN);
		memcpy(a.o_id, dpub[d].id, FWGATE_ID_LEN);
		a.version = htobe64(1);
		strcpy(a.target, "fw");
		a.time = htobe64(i / DEVICES);
		ack_len[i] = fwg_tx_sign(dkey[d], FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, acks[i], ACK_MAX);
	}
	return NULL;
}

static void write_block(FILE *f, struct fwg_block_hdr *h, const uint8_t **tx, uint32_t *len, uint32_t n)
{
	uint8_t be[4];
	size_t blen;
	uint8_t *b = fwg_block_encode(h, tx, len, n, &blen);

	if (!b)
		fatalx("block too large");
	be[0] = blen >> 24; be[1] = blen >> 16; be[2] = blen >> 8; be[3] = blen;
	fwrite(be, 1, 4, f);
	fwrite(b, 1, blen, f);
	fwg_block_hash(h, h->prev);
	h->height++;
	free(b);
}

static void build(const char *path, size_t total)
{
	static struct fwg_genesis g;
	static uint8_t gen[FWG_TX_MAX], certs[DEVICES][600], upd[600];
	const uint8_t *tx[PER_BLOCK];
	uint32_t len[PER_BLOCK];
	struct fwg_block_hdr h = { .time_ms = 1 };
	struct fwgate_update_stmt u = {};
	struct fwg_pubkey mpub, cpub;
	struct fwg_key *mkey, *ckey;
	pthread_t t[2];
	size_t i, n;
	FILE *f;

	mkey = fwg_key_create(FWGATE_KEY_P256);
	ckey = fwg_key_create(FWGATE_KEY_P256);
	fwg_key_encode(mkey, &mpub);
	fwg_key_encode(ckey, &cpub);
	g.time = 1;
	strcpy(g.name, "bench");
	g.nr_members = 2;
	g.members[0] = (struct fwg_member){ .role = FWG_ROLE_MANUFACTURER, .name = "m", .key = mpub };
	g.members[1] = (struct fwg_member){ .role = FWG_ROLE_CHECKER, .name = "c", .key = cpub };
	g.nr_types = 1;
	strcpy(g.types[0].o_type, "router");
	g.types[0].k = g.types[0].q = 1;
	memcpy(g.types[0].checkers[0], cpub.id, FWGATE_ID_LEN);
	tx[0] = gen;
	len[0] = fwg_genesis_encode(&g, gen, sizeof(gen));
	for (i = 0; i < DEVICES; i++) {
		struct fwgate_devcert_stmt c = {};

		dkey[i] = fwg_key_create(FWGATE_KEY_P256);
		fwg_key_encode(dkey[i], &dpub[i]);
		memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
		memcpy(c.m_id, mpub.id, FWGATE_ID_LEN);
		strcpy(c.o_type, "router");
		memcpy(c.pubkey, dpub[i].data, 65);
		tx[1 + i] = certs[i];
		len[1 + i] = fwg_tx_sign(mkey, FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, certs[i], sizeof(certs[i]));
	}
	memcpy(u.magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
	memcpy(u.m_id, mpub.id, FWGATE_ID_LEN);
	memset(u.u_id, 0x5a, FWGATE_ID_LEN);
	memcpy(u_id, u.u_id, FWGATE_ID_LEN);
	u.version = htobe64(1);
	u.size = htobe64(4096);
	fwg_chunks_digest(chunks, sizeof(chunks), u.chunks);
	strcpy(u.o_type, "router");
	strcpy(u.target, "fw");
	tx[1 + DEVICES] = upd;
	len[1 + DEVICES] = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), upd, sizeof(upd));

	nr_acks = total > DEVICES + 2 ? total - DEVICES - 2 : 0;
	acks = malloc(nr_acks * sizeof(*acks) + 1);
	ack_len = malloc(nr_acks * sizeof(*ack_len) + 1);
	pthread_create(&t[0], NULL, sign_acks, (void *)0);
	pthread_create(&t[1], NULL, sign_acks, (void *)1);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);

	f = fopen(path, "w");
	if (!f)
		fatal("%s", path);
	write_block(f, &h, tx, len, DEVICES + 2);
	for (i = 0; i < nr_acks; i += n) {
		for (n = 0; n < PER_BLOCK && i + n < nr_acks; n++) {
			tx[n] = acks[i + n];
			len[n] = ack_len[i + n];
		}
		write_block(f, &h, tx, len, n);
	}
	if (fclose(f))
		fatal("%s", path);
	free(acks);
	free(ack_len);
}

int main(int argc, char **argv)
{
	struct fwg_state *st;
	struct fwg_err err;
	uint8_t *buf;
	size_t len, off, blen, total;
	double t0, secs;
	unsigned int threads;
	char path[4096];
	FILE *f;

	log_init("verify_bench", 0);
	if (argc < 3 || argc > 4)
		fatalx("usage: verify_bench FILE N [THREADS]");
	threads = argc == 4 ? atoi(argv[3]) : 2;
	total = strtoull(argv[2], NULL, 10);
	snprintf(path, sizeof(path), "%s.%zu", argv[1], total);
	f = fopen(path, "r");
	if (!f) {
		build(path, total);
		f = fopen(path, "r");
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len);
	if (!buf || fread(buf, 1, len, f) != len)
		fatalx("%s: can not read", path);
	fclose(f);

	st = fwg_state_new();
	fwg_state_set_threads(st, threads);
	t0 = now();
	for (off = 0; off + 4 <= len; off += 4 + blen) {
		blen = (size_t)buf[off] << 24 | buf[off + 1] << 16 | buf[off + 2] << 8 | buf[off + 3];
		if (fwg_state_add_block(st, buf + off + 4, blen, 1, &err))
			fatalx("chain does not verify: %s", err.msg);
	}
	secs = now() - t0;
	printf("chain_verify_tx_per_s %.0f tx/s\n", total / secs);
	printf("# %zu transactions in %llu blocks, %.1f s, %u threads\n", total,
	       (unsigned long long)fwg_state_height(st), secs, threads);
	fwg_state_free(st);
	free(buf);
	return 0;
}
