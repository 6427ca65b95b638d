// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ledger formats and state (chain/ledger.h): encoding, Merkle proofs, signatures and the
 * refusals of bad transactions. Plain TAP, one line per test; `ledger_test NAME` runs one test.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"
#include "files.h"
#include "seal.h"
#include "log.h"

static struct fwg_key *mkey, *ckey[3], *dkey, *other;
static struct fwg_pubkey mpub, cpub[3], dpub, opub;
static uint8_t buf[FWG_TX_MAX];

#define CHECK(cond) do { if (!(cond)) { printf("# %s:%d: %s\n", __FILE__, __LINE__, #cond); return 1; } } while (0)

static struct fwg_key *keygen(int rsa, struct fwg_pubkey *pub)
{
	struct fwg_key *k = fwg_key_create(rsa ? FWGATE_KEY_RSA3072 : FWGATE_KEY_P256);

	if (!k || (pub && fwg_key_encode(k, pub)))
		fatalx("keygen");
	return k;
}

static void name(char *dst, const char *src)
{
	memset(dst, 0, FWGATE_NAME_LEN);
	strcpy(dst, src);
}

static size_t genesis(uint8_t *out, size_t len, unsigned int q)
{
	static struct fwg_genesis g;
	int i;

	memset(&g, 0, sizeof(g));
	g.time = 1;
	name(g.name, "test");
	g.nr_members = 5;
	g.members[4].role = FWG_ROLE_MANUFACTURER;
	name(g.members[4].name, "globex");
	g.members[4].key = opub;
	g.members[0].role = FWG_ROLE_MANUFACTURER;
	name(g.members[0].name, "acme");
	g.members[0].key = mpub;
	for (i = 0; i < 3; i++) {
		g.members[1 + i].role = FWG_ROLE_CHECKER;
		snprintf(g.members[1 + i].name, FWGATE_NAME_LEN, "checker%d", i);
		g.members[1 + i].key = cpub[i];
	}
	g.nr_types = 1;
	name(g.types[0].o_type, "router");
	g.types[0].k = 2;
	g.types[0].q = q;
	memcpy(g.types[0].checkers[0], cpub[0].id, FWGATE_ID_LEN);
	memcpy(g.types[0].checkers[1], cpub[1].id, FWGATE_ID_LEN);
	return fwg_genesis_encode(&g, out, len);
}

/* The hash list of the updates here: their images are at most one chunk. */
static const uint8_t chunks[FWGATE_ID_LEN] = { 0xcd, 0xcd, 0xcd };

static struct fwgate_update_stmt update(void)
{
	struct fwgate_update_stmt u = {};

	memcpy(u.magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
	memcpy(u.m_id, mpub.id, FWGATE_ID_LEN);
	memset(u.u_id, 0xab, FWGATE_ID_LEN);
	u.version = htobe64(7);
	u.size = htobe64(4096);
	name(u.o_type, "router");
	name(u.target, "fw");
	fwg_chunks_digest(chunks, sizeof(chunks), u.chunks);
	return u;
}

static struct fwgate_devcert_stmt devcert(void)
{
	struct fwgate_devcert_stmt c = {};

	memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
	memcpy(c.m_id, mpub.id, FWGATE_ID_LEN);
	name(c.o_type, "router");
	memcpy(c.pubkey, dpub.data, 65);
	return c;
}

static struct fwgate_ack_stmt ack(uint64_t t)
{
	struct fwgate_ack_stmt a = {};

	memcpy(a.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
	memset(a.u_id, 0xab, FWGATE_ID_LEN);
	memcpy(a.o_id, dpub.id, FWGATE_ID_LEN);
	a.version = htobe64(7);
	name(a.target, "fw");
	a.time = htobe64(t);
	return a;
}

static struct fwgate_verdict_stmt verdict(int i, const char *magic)
{
	struct fwgate_verdict_stmt v = {};

	memcpy(v.magic, magic, FWGATE_MAGIC_LEN);
	memcpy(v.checker_id, cpub[i].id, FWGATE_ID_LEN);
	memset(v.report, 0x11, FWGATE_ID_LEN);
	v.update = update();
	return v;
}

/* Decodes, checks and applies one transaction; returns the refusal message, or NULL. */
static const char *submit(struct fwg_state *st, const uint8_t *tx, size_t len)
{
	static struct fwg_err err;
	struct fwg_tx t;

	if (fwg_tx_decode(tx, len, &t, &err))
		return err.msg;
	if (fwg_state_check(st, &t, &err)) {
		fwg_tx_release(&t);
		return err.msg;
	}
	fwg_state_apply(st, &t);
	fwg_tx_release(&t);
	return NULL;
}

static int refused_with(const char *msg, const char *want)
{
	if (!msg || !strstr(msg, want)) {
		printf("# got \"%s\", want \"%s\"\n", msg ? msg : "(accepted)", want);
		return 0;
	}
	return 1;
}

/* A state with genesis, the device's certificate and the update. */
static struct fwg_state *ready_state(void)
{
	struct fwg_state *st = fwg_state_new();
	struct fwgate_devcert_stmt c = devcert();
	struct fwgate_update_stmt u = update();
	size_t n;

	n = genesis(buf, sizeof(buf), 2);
	if (submit(st, buf, n))
		fatalx("genesis refused");
	n = fwg_tx_sign(mkey, FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, buf, sizeof(buf));
	if (submit(st, buf, n))
		fatalx("devcert refused");
	n = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), buf, sizeof(buf));
	if (submit(st, buf, n))
		fatalx("update refused");
	return st;
}

static int tx_roundtrips_every_kind(void)
{
	struct fwgate_update_stmt u = update();
	struct fwgate_verdict_stmt v = verdict(0, FWGATE_MAGIC_APPROVE);
	struct fwgate_ack_stmt a = ack(1);
	const char *urls[] = { "https://mirror.example/fw.bin", "http://10.0.0.1/fw" };
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

	n = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), urls, 2, chunks, sizeof(chunks), buf, sizeof(buf));
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err));
	CHECK(t.type == FWG_TX_UPDATE && t.nr_urls == 2 && !strcmp(t.urls[1], urls[1]));
	CHECK(!memcmp(&t.s.update, &u, sizeof(u)) && t.msg_len == sizeof(u));
	CHECK(fwg_tx_encode_signed(t.type, t.msg, t.msg_len, t.sig, t.sig_len, urls, 2, t.chunks, t.chunks_len, buf + n, n) == n);
	CHECK(!memcmp(buf, buf + n, n));
	n = fwg_tx_sign(ckey[0], FWG_TX_APPROVE, &v, sizeof(v), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err) && t.type == FWG_TX_APPROVE);
	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err) && t.type == FWG_TX_ACK);
	n = genesis(buf, sizeof(buf), 2);
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err) && t.genesis && t.genesis->nr_members == 5);
	fwg_tx_release(&t);
	return 0;
}

static int tx_rejects_malformed(void)
{
	struct fwgate_ack_stmt a = ack(1);
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(fwg_tx_decode(buf, n - 1, &t, &err) && strstr(err.msg, "ack.sig_len"));
	buf[n] = 0;
	CHECK(fwg_tx_decode(buf, n + 1, &t, &err) && strstr(err.msg, "trailing"));
	CHECK(fwg_tx_decode(buf, 1, &t, &err) && strstr(err.msg, "header"));
	CHECK(fwg_tx_decode(buf, FWG_TX_MAX + 1, &t, &err) && strstr(err.msg, "more than"));
	buf[1] = FWG_TX_NACK;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "nack.magic"));
	buf[1] = 99;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "type: 99"));
	buf[1] = FWG_TX_ACK;
	buf[0] = 2;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "version"));
	/* Unsigned: the statement and a zero signature length. */
	n = fwg_tx_encode_signed(FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "unsigned"));
	memset(a.target, 'x', FWGATE_NAME_LEN);
	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "ack.target"));
	return 0;
}

/* Signature sets: one encoding (sorted, each key once), every malformed shape refused naming its field. */
static int sigset_roundtrips_and_rejects_malformed(void)
{
	static struct fwg_sigset set, got;
	struct fwg_err err;
	size_t n, off = 0;
	unsigned int i;

	set.count = 3;
	for (i = 0; i < 3; i++) {
		memset(set.sig[i].key_id, 0x30 - i, FWGATE_ID_LEN);	/* given out of order */
		set.sig[i].len = 70 + i;
		memset(set.sig[i].sig, i + 1, set.sig[i].len);
	}
	n = fwg_sigset_encode(&set, buf, sizeof(buf));
	CHECK(n == 1 + 3 * 34 + 70 + 71 + 72);
	CHECK(!fwg_sigset_decode(buf, n, &off, &got, "rotate.sigs", &err) && off == n && got.count == 3);
	CHECK(got.sig[0].key_id[0] == 0x2e && got.sig[2].key_id[0] == 0x30 && got.sig[0].len == 72);
	CHECK(fwg_sigset_find(&got, set.sig[1].key_id) && !fwg_sigset_find(&got, (uint8_t[32]){ 1 }));
	off = 0;
	CHECK(fwg_sigset_decode(buf, n - 1, &off, &got, "rotate.sigs", &err) && strstr(err.msg, "rotate.sigs[2]"));
	memset(buf + 1 + 34 + 72, 0x2e, FWGATE_ID_LEN);	/* the second key id now equals the first */
	off = 0;
	CHECK(fwg_sigset_decode(buf, n, &off, &got, "rotate.sigs", &err) && strstr(err.msg, "ascending"));
	buf[0] = 0;
	off = 0;
	CHECK(fwg_sigset_decode(buf, n, &off, &got, "rotate.sigs", &err) && strstr(err.msg, "rotate.sigs.count"));
	set.sig[1] = set.sig[0];
	CHECK(!fwg_sigset_encode(&set, buf, sizeof(buf)));
	return 0;
}

/* Fields the decoder must check beyond their length: each refusal names its field. */
static int tx_refuses_keys_off_the_curve_and_empty_images(void)
{
	struct fwgate_devcert_stmt c = devcert();
	struct fwgate_update_stmt u = update();
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

	/* y with its lowest bit flipped: (x, y') is on P-256 only if y' = p - y, which y +/- 1 is not. */
	c.pubkey[64] ^= 1;
	n = fwg_tx_sign(mkey, FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "devcert.pubkey: not an uncompressed P-256 point"));
	u.size = 0;
	n = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "update.size: zero"));
	/* A genesis whose first member's RSA key does not start with a DER SEQUENCE. */
	n = genesis(buf, sizeof(buf), 2);
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err));
	fwg_tx_release(&t);
	buf[2 + 8 + FWGATE_NAME_LEN + 1 + 1 + FWGATE_NAME_LEN + 1 + 2] ^= 0xff;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "genesis.members[0].key: does not decode"));
	return 0;
}

static int genesis_rejects_threshold_below_majority(void)
{
	struct fwg_err err;
	struct fwg_tx t;
	size_t n = genesis(buf, sizeof(buf), 1);

	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "genesis.types[0].q"));
	return 0;
}

/* Members are known by their keys: two may share a name, never a key. */
static int genesis_refuses_a_key_twice_not_a_name_twice(void)
{
	struct fwg_genesis g;
	struct fwg_err err;
	struct fwg_tx t;
	size_t n = genesis(buf, sizeof(buf), 2);

	CHECK(!fwg_tx_decode(buf, n, &t, &err));
	g = *t.genesis;
	fwg_tx_release(&t);
	name(g.members[4].name, "acme");
	n = fwg_genesis_encode(&g, buf, sizeof(buf));
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err));
	fwg_tx_release(&t);
	g.members[4].key = mpub;
	n = fwg_genesis_encode(&g, buf, sizeof(buf));
	CHECK(n && fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "genesis.members[4].key: same key as members[0]"));
	return 0;
}

/* A block is checked one transaction after the other: a reference may point to an earlier one, not a later one. */
static int block_references_point_back_never_forward(void)
{
	struct fwg_state *st = fwg_state_new();
	struct fwgate_devcert_stmt c = devcert();
	struct fwgate_update_stmt u = update();
	struct fwgate_ack_stmt a = ack(3);
	static uint8_t t[2][FWG_TX_MAX];
	const uint8_t *fwd[2] = { t[1], t[0] }, *back[2] = { t[0], t[1] };
	uint32_t len[2], rlen[2];
	struct fwg_block_hdr h = {};
	struct fwg_err err;
	uint8_t *b;
	size_t n;

	len[0] = genesis(t[0], sizeof(t[0]), 2);
	len[1] = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), t[1], sizeof(t[1]));
	b = fwg_block_encode(&h, back, len, 2, &n);
	CHECK(b && !fwg_state_add_block(st, b, n, 1, &err));
	free(b);
	/* t[0] the device's certificate, t[1] its ack of the update. */
	len[0] = fwg_tx_sign(mkey, FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, t[0], sizeof(t[0]));
	len[1] = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, t[1], sizeof(t[1]));
	h.height = 1;
	memcpy(h.prev, fwg_state_tip(st), FWGATE_ID_LEN);
	rlen[0] = len[1];
	rlen[1] = len[0];
	b = fwg_block_encode(&h, fwd, rlen, 2, &n);
	CHECK(b && fwg_state_add_block(st, b, n, 1, &err) && strstr(err.msg, "ack.o_id"));
	CHECK(fwg_state_height(st) == 1);
	free(b);
	b = fwg_block_encode(&h, back, len, 2, &n);
	CHECK(b && !fwg_state_add_block(st, b, n, 1, &err));
	CHECK(fwg_state_height(st) == 2);
	free(b);
	fwg_state_free(st);
	return 0;
}

static int merkle_proves_every_leaf(void)
{
	uint8_t leaves[70][FWGATE_ID_LEN], root[FWGATE_ID_LEN], bad[FWGATE_ID_LEN], enc[2048];
	struct fwg_proof p, q;
	size_t n, i;
	uint8_t id[FWGATE_ID_LEN];

	for (i = 0; i < 70; i++) {
		memset(id, (int)i, sizeof(id));
		fwg_merkle_leaf(id, leaves[i]);
	}
	for (n = 1; n <= 70; n++) {
		fwg_merkle_root((const uint8_t (*)[FWGATE_ID_LEN])leaves, n, root);
		for (i = 0; i < n; i++) {
			CHECK(!fwg_merkle_proof((const uint8_t (*)[FWGATE_ID_LEN])leaves, n, i, &p));
			CHECK(!fwg_merkle_verify(&p, leaves[i], root));
			CHECK(fwg_merkle_verify(&p, leaves[(i + 1) % 70], root));
			CHECK(!fwg_proof_decode(enc, fwg_proof_encode(&p, enc, sizeof(enc)), &q));
			CHECK(!fwg_merkle_verify(&q, leaves[i], root));
			if (n > 1) {
				q.index = (i + 1) % n;
				CHECK(fwg_merkle_verify(&q, leaves[i], root));
			}
		}
	}
	memcpy(bad, root, sizeof(bad));
	bad[0] ^= 1;
	CHECK(fwg_merkle_verify(&p, leaves[69], bad));
	return 0;
}

static int merkle_empty_root_is_sha256_of_nothing(void)
{
	/* RFC 9162: MTH({}) = SHA-256(). */
	static const char want[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	uint8_t root[FWGATE_ID_LEN];
	char hex[65];

	fwg_merkle_root(NULL, 0, root);
	fwg_hex(root, FWGATE_ID_LEN, hex);
	CHECK(!strcmp(hex, want));
	return 0;
}

static int block_roundtrips_and_detects_tampering(void)
{
	struct fwgate_ack_stmt a1 = ack(1), a2 = ack(2);
	static uint8_t t1[512], t2[512];
	const uint8_t *tx[2] = { t1, t2 };
	uint32_t len[2];
	struct fwg_block_hdr h = { .height = 5, .time_ms = 1234 };
	struct fwg_block b;
	struct fwg_err err;
	uint8_t *blk;
	size_t n;

	len[0] = fwg_tx_sign(dkey, FWG_TX_ACK, &a1, sizeof(a1), NULL, 0, NULL, 0, t1, sizeof(t1));
	len[1] = fwg_tx_sign(dkey, FWG_TX_ACK, &a2, sizeof(a2), NULL, 0, NULL, 0, t2, sizeof(t2));
	blk = fwg_block_encode(&h, tx, len, 2, &n);
	CHECK(blk && !fwg_block_decode(blk, n, &b, &err));
	CHECK(b.hdr.height == 5 && b.hdr.nr_tx == 2 && b.tx_len[1] == len[1]);
	CHECK(!memcmp(b.tx[1], t2, len[1]));
	fwg_block_release(&b);
	blk[n - 1] ^= 1;
	CHECK(fwg_block_decode(blk, n, &b, &err) && strstr(err.msg, "block.merkle"));
	blk[n - 1] ^= 1;
	CHECK(fwg_block_decode(blk, n - 1, &b, &err) && strstr(err.msg, "block.tx[1]"));
	blk[91] = 3;
	CHECK(fwg_block_decode(blk, n, &b, &err) && strstr(err.msg, "block.tx[2]"));
	free(blk);
	return 0;
}

static int state_accepts_the_whole_story(void)
{
	struct fwg_state *st = ready_state();
	struct fwgate_verdict_stmt v = verdict(0, FWGATE_MAGIC_APPROVE);
	struct fwgate_verdict_stmt r = verdict(1, FWGATE_MAGIC_REJECT);
	struct fwgate_ack_stmt a = ack(1);
	struct fwgate_nack_stmt na = {};
	size_t n;

	n = fwg_tx_sign(ckey[0], FWG_TX_APPROVE, &v, sizeof(v), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	n = fwg_tx_sign(ckey[1], FWG_TX_REJECT, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	memcpy(na.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
	memset(na.u_id, 0xab, FWGATE_ID_LEN);
	memcpy(na.o_id, dpub.id, FWGATE_ID_LEN);
	memcpy(na.culprit_id, mpub.id, FWGATE_ID_LEN);
	na.reason = htobe32(FWGATE_NACK_DIGEST_MISMATCH);
	n = fwg_tx_sign(dkey, FWG_TX_NACK, &na, sizeof(na), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	na.reserved = htobe32(1);
	n = fwg_tx_sign(dkey, FWG_TX_NACK, &na, sizeof(na), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "nack.reserved"));
	fwg_state_free(st);
	return 0;
}

static int state_running_ack_follows_the_installed_ack(void)
{
	struct fwg_state *st = ready_state();
	struct fwgate_ack_stmt a = ack(1), r = ack(2);
	struct fwgate_nack_stmt na = {};
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

	memcpy(r.magic, FWGATE_MAGIC_RUNNING, FWGATE_MAGIC_LEN);
	n = fwg_tx_sign(dkey, FWG_TX_RUNNING, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!fwg_tx_decode(buf, n, &t, &err) && t.type == FWG_TX_RUNNING && !memcmp(&t.s.ack, &r, sizeof(r)));
	CHECK(!strcmp(fwg_tx_type_name(FWG_TX_RUNNING), "running"));
	CHECK(refused_with(submit(st, buf, n), "running.u_id: no installed ack"));
	/* An installed ack's magic under the running type, and the other way round. */
	n = fwg_tx_sign(dkey, FWG_TX_RUNNING, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "running.magic"));
	n = fwg_tx_sign(dkey, FWG_TX_ACK, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "ack.magic"));
	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	r.version = htobe64(6);
	n = fwg_tx_sign(dkey, FWG_TX_RUNNING, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "running.version: 6, but the device's installed ack names version 7"));
	r.version = 0;
	n = fwg_tx_sign(dkey, FWG_TX_RUNNING, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "running.version: zero"));
	r.version = htobe64(7);
	n = fwg_tx_sign(other, FWG_TX_RUNNING, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "running.signature"));
	n = fwg_tx_sign(dkey, FWG_TX_RUNNING, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	CHECK(refused_with(submit(st, buf, n), "replay"));
	/* Another device's installed ack does not let this one claim it runs the image. */
	r = ack(3);
	memcpy(r.magic, FWGATE_MAGIC_RUNNING, FWGATE_MAGIC_LEN);
	memcpy(r.o_id, opub.id, FWGATE_ID_LEN);
	n = fwg_tx_sign(other, FWG_TX_RUNNING, &r, sizeof(r), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "running.o_id: no device certificate"));
	/* The fallback reasons are nack reasons the ledger takes; one past the last is not. */
	memcpy(na.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
	memset(na.u_id, 0xab, FWGATE_ID_LEN);
	memcpy(na.o_id, dpub.id, FWGATE_ID_LEN);
	memcpy(na.culprit_id, mpub.id, FWGATE_ID_LEN);
	na.reason = htobe32(FWGATE_NACK_HEALTH);
	n = fwg_tx_sign(dkey, FWG_TX_NACK, &na, sizeof(na), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	na.reason = htobe32(FWGATE_NACK_BOOT);
	n = fwg_tx_sign(dkey, FWG_TX_NACK, &na, sizeof(na), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	CHECK(!strcmp(fwg_nack_reason_name(FWGATE_NACK_HEALTH), "health") &&
	      !strcmp(fwg_nack_reason_name(FWGATE_NACK_BOOT), "boot"));
	na.reason = htobe32(FWGATE_NACK_WITHDRAWN + 1);
	n = fwg_tx_sign(dkey, FWG_TX_NACK, &na, sizeof(na), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "nack.reason: 8 is not a known reason"));
	fwg_state_free(st);
	return 0;
}

static int state_refuses_replay_and_wrong_signers(void)
{
	struct fwg_state *st = ready_state();
	struct fwgate_verdict_stmt v = verdict(2, FWGATE_MAGIC_APPROVE);
	struct fwgate_update_stmt u = update();
	struct fwgate_ack_stmt a = ack(1);
	size_t n;

	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	/* The same statement signed again (ECDSA is randomised): still a replay. */
	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "replay"));
	a = ack(2);
	n = fwg_tx_sign(other, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "ack.signature"));
	memset(a.o_id, 1, FWGATE_ID_LEN);
	n = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "ack.o_id"));
	/* checker2 is a consortium checker, but not one of the router type's k. */
	n = fwg_tx_sign(ckey[2], FWG_TX_APPROVE, &v, sizeof(v), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "not among the checkers"));
	u.version = htobe64(8);
	n = fwg_tx_sign(ckey[0], FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "update.signature"));
	memcpy(u.m_id, cpub[0].id, FWGATE_ID_LEN);
	n = fwg_tx_sign(ckey[0], FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "update.m_id"));
	/* The hash list travels whole, and it is the one the statement names. */
	u = update();
	u.version = htobe64(9);
	n = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks) - 1, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "update.chunks"));
	n = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, cpub[0].id, FWGATE_ID_LEN, buf, sizeof(buf));
	CHECK(refused_with(submit(st, buf, n), "update.chunks: the hash list's digest"));
	n = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), buf, sizeof(buf));
	CHECK(!submit(st, buf, n));
	n = genesis(buf, sizeof(buf), 2);
	CHECK(refused_with(submit(st, buf, n), "has one already"));
	fwg_state_free(st);
	return 0;
}

static int chain_verifies_and_finds_tx(void)
{
	struct fwg_state *st = fwg_state_new(), *re = fwg_state_new();
	struct fwgate_devcert_stmt c = devcert();
	struct fwgate_update_stmt u = update();
	struct fwgate_ack_stmt a = ack(9);
	static uint8_t t[3][FWG_TX_MAX];
	const uint8_t *tx[3] = { t[0], t[1], t[2] };
	uint8_t *b0, *b1, id[FWGATE_ID_LEN];
	struct fwg_block_hdr h = {};
	uint32_t len[3];
	struct fwg_err err;
	uint64_t height;
	size_t n0, n1;

	len[0] = genesis(t[0], sizeof(t[0]), 2);
	len[1] = fwg_tx_sign(mkey, FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, t[1], sizeof(t[1]));
	len[2] = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), t[2], sizeof(t[2]));
	b0 = fwg_block_encode(&h, tx, len, 3, &n0);
	CHECK(b0 && !fwg_state_add_block(st, b0, n0, 1, &err));
	h.height = 1;
	fwg_block_hash(&(struct fwg_block_hdr){}, h.prev);
	len[0] = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, t[0], sizeof(t[0]));
	b1 = fwg_block_encode(&h, tx, len, 1, &n1);
	CHECK(fwg_state_add_block(st, b1, n1, 1, &err) && strstr(err.msg, "prev"));
	free(b1);
	memcpy(h.prev, fwg_state_tip(st), FWGATE_ID_LEN);
	b1 = fwg_block_encode(&h, tx, len, 1, &n1);
	CHECK(!fwg_state_add_block(st, b1, n1, 1, &err));
	CHECK(fwg_state_height(st) == 2);
	fwg_tx_id(t[0], len[0], id);
	CHECK(!fwg_state_find(st, id, &height) && height == 1);
	/* Appending the same block again is a wrong height; replaying its ack in a new block, a replay. */
	CHECK(fwg_state_add_block(st, b1, n1, 1, &err) && strstr(err.msg, "height"));
	free(b1);
	h.height = 2;
	memcpy(h.prev, fwg_state_tip(st), FWGATE_ID_LEN);
	b1 = fwg_block_encode(&h, tx, len, 1, &n1);
	CHECK(fwg_state_add_block(st, b1, n1, 1, &err) && strstr(err.msg, "replay"));
	CHECK(!fwg_state_add_block(re, b0, n0, 0, &err));
	free(b0);
	free(b1);
	fwg_state_free(st);
	fwg_state_free(re);
	return 0;
}

/* Chunk index of a size-byte image whose bytes are i * 13 + seed. */
static size_t blob_tx(struct fwg_key *key, const uint8_t *m_id, const uint8_t *u_id, uint64_t size, uint32_t index,
		      uint8_t seed, uint8_t *out)
{
	static uint8_t chunk[FWG_BLOB_CHUNK];
	uint32_t i;

	for (i = 0; i < FWG_BLOB_CHUNK; i++)
		chunk[i] = i * 13 + seed;
	return fwg_blob_sign(key, m_id, u_id, size, index, chunk, out, FWG_TX_MAX);
}

static int blob_roundtrips_and_rejects_malformed(void)
{
	static uint8_t again[FWG_TX_MAX];
	uint8_t u_id[FWGATE_ID_LEN];
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

	memset(u_id, 0xcd, sizeof(u_id));
	CHECK(fwg_blob_count(130000) == 3 && fwg_blob_chunk_len(130000, 2) == 10000);
	CHECK(fwg_blob_chunk_len(130000, 3) == 0 && fwg_blob_count(0) == 0);
	CHECK(fwg_blob_count(120000) == 2 && fwg_blob_chunk_len(120000, 1) == FWG_BLOB_CHUNK);
	/* The largest chunk with the largest signature fits a transaction. */
	CHECK(2 + sizeof(struct fwg_blob_stmt) + 2 + FWGATE_MAX_SIG_LEN + FWG_BLOB_CHUNK <= FWG_TX_MAX);
	n = blob_tx(mkey, mpub.id, u_id, 130000, 2, 0, buf);
	CHECK(n == 2 + sizeof(struct fwg_blob_stmt) + 2 + 384 + 10000);
	CHECK(!fwg_tx_decode(buf, n, &t, &err) && t.type == FWG_TX_BLOB && t.chunk_len == 10000);
	CHECK(be32toh(t.s.blob.index) == 2 && be32toh(t.s.blob.count) == 3 && t.chunk == buf + n - 10000);
	CHECK(fwg_blob_encode(&t.s.blob, t.sig, t.sig_len, t.chunk, again, sizeof(again)) == n);
	CHECK(!memcmp(again, buf, n));
	/* A blob can not be encoded without its chunk. */
	CHECK(!fwg_tx_encode_signed(FWG_TX_BLOB, t.msg, t.msg_len, t.sig, t.sig_len, NULL, 0, NULL, 0, again, n));
	CHECK(fwg_tx_decode(buf, n - 1, &t, &err) && strstr(err.msg, "blob.chunk: 9999 bytes"));
	buf[n] = 0;
	CHECK(fwg_tx_decode(buf, n + 1, &t, &err) && strstr(err.msg, "trailing"));
	buf[n - 1] ^= 1;
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "blob.digest"));
	buf[n - 1] ^= 1;
	buf[2 + 84 + 3] = 4;		/* count */
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "blob.count: 4"));
	buf[2 + 84 + 3] = 3;
	buf[2 + 80 + 3] = 3;		/* index */
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "blob.index: 3"));
	buf[2 + 80 + 3] = 2;
	memset(buf + 2 + 72, 0, 8);	/* size */
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "blob.size"));
	return 0;
}

/* The update of ready_state(): u_id 0xab..., 4096 bytes, published by acme. */
static int state_blob_follows_its_update_and_manufacturer(void)
{
	struct fwg_state *st = ready_state();
	uint8_t u_id[FWGATE_ID_LEN], other_u[FWGATE_ID_LEN];
	size_t n;

	memset(u_id, 0xab, sizeof(u_id));
	memset(other_u, 0xac, sizeof(other_u));
	n = blob_tx(mkey, mpub.id, other_u, 4096, 0, 0, buf);
	CHECK(refused_with(submit(st, buf, n), "blob.u_id: no update"));
	n = blob_tx(other, opub.id, u_id, 4096, 0, 0, buf);
	CHECK(refused_with(submit(st, buf, n), "published by another manufacturer"));
	n = blob_tx(ckey[0], cpub[0].id, u_id, 4096, 0, 0, buf);
	CHECK(refused_with(submit(st, buf, n), "blob.m_id: not a manufacturer"));
	n = blob_tx(other, mpub.id, u_id, 4096, 0, 0, buf);
	CHECK(refused_with(submit(st, buf, n), "blob.signature"));
	n = blob_tx(mkey, mpub.id, u_id, 5000, 0, 0, buf);
	CHECK(refused_with(submit(st, buf, n), "blob.size: 5000, but the update declares 4096"));
	n = blob_tx(mkey, mpub.id, u_id, 4096, 0, 0, buf);
	CHECK(!submit(st, buf, n));
	CHECK(refused_with(submit(st, buf, n), "blob: replay"));
	/* Other bytes for a chunk the chain holds: refused as well, whatever they are. */
	n = blob_tx(mkey, mpub.id, u_id, 4096, 0, 1, buf);
	CHECK(refused_with(submit(st, buf, n), "chunk 0 of this image is already in the ledger"));
	fwg_state_free(st);
	return 0;
}

static int chain_indexes_image_chunks(void)
{
	struct fwg_state *st = fwg_state_new();
	struct fwgate_update_stmt u = update();
	static uint8_t t[3][FWG_TX_MAX];
	const uint8_t *tx[3] = { t[0], t[1], t[2] };
	struct fwg_block_hdr h = {};
	uint32_t len[3], count, have, txi;
	uint64_t size, height;
	struct fwg_err err;
	uint8_t *b;
	size_t n;

	u.size = htobe64(130000);
	len[0] = genesis(t[0], sizeof(t[0]), 2);
	len[1] = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), NULL, 0, chunks, sizeof(chunks), t[1], sizeof(t[1]));
	len[2] = blob_tx(mkey, mpub.id, u.u_id, 130000, 2, 0, t[2]);
	b = fwg_block_encode(&h, tx, len, 3, &n);
	CHECK(b && !fwg_state_add_block(st, b, n, 1, &err));
	free(b);
	CHECK(!fwg_state_blob(st, u.u_id, &size, &count, &have) && size == 130000 && count == 3 && have == 1);
	CHECK(!fwg_state_blob_chunk(st, u.u_id, 2, &height, &txi) && height == 0 && txi == 2);
	CHECK(fwg_state_blob_chunk(st, u.u_id, 1, &height, &txi));
	h.height = 1;
	memcpy(h.prev, fwg_state_tip(st), FWGATE_ID_LEN);
	len[0] = blob_tx(mkey, mpub.id, u.u_id, 130000, 0, 0, t[0]);
	len[1] = blob_tx(mkey, mpub.id, u.u_id, 130000, 1, 0, t[1]);
	b = fwg_block_encode(&h, tx, len, 2, &n);
	CHECK(b && !fwg_state_add_block(st, b, n, 1, &err));
	free(b);
	CHECK(!fwg_state_blob(st, u.u_id, &size, &count, &have) && have == 3);
	CHECK(!fwg_state_blob_chunk(st, u.u_id, 1, &height, &txi) && height == 1 && txi == 1);
	fwg_state_free(st);
	return 0;
}

static int seal_opens_for_each_recipient_only(void)
{
	struct fwg_key *r[3] = { dkey, other, keygen(0, NULL) };
	static uint8_t img[100000];
	uint8_t *s1, *s3, *out;
	size_t n1, n3, len;
	int i;

	for (i = 0; i < (int)sizeof(img); i++)
		img[i] = i * 7;
	s1 = fwg_seal(img, sizeof(img), r, 1, &n1);
	s3 = fwg_seal(img, sizeof(img), r, 3, &n3);
	CHECK(s1 && s3 && n3 - n1 == 2 * FWG_SEAL_PER_RECIPIENT);
	for (i = 0; i < 3; i++) {
		out = fwg_unseal(s3, n3, r[i], &len);
		CHECK(out && len == sizeof(img) && !memcmp(out, img, len));
		free(out);
	}
	CHECK(!fwg_unseal(s1, n1, r[1], &len));
	CHECK(!fwg_unseal(s3, n3, ckey[0], &len));
	s3[n3 - 100] ^= 1;
	CHECK(!fwg_unseal(s3, n3, r[0], &len));
	s3[n3 - 100] ^= 1;
	s3[80] ^= 1;	/* the payload nonce, in the header every GCM operation authenticates */
	CHECK(!fwg_unseal(s3, n3, r[2], &len));
	fwg_key_free(r[2]);
	free(s1);
	free(s3);
	return 0;
}

static void seed(const char *dir, const char *sub, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		fatal("%s", path);
}

static struct fwgate_control_stmt control(const char *magic, uint64_t seq, uint64_t issued)
{
	struct fwgate_control_stmt c = {};

	memcpy(c.magic, magic, FWGATE_MAGIC_LEN);
	memset(c.u_id, 0xab, FWGATE_ID_LEN);
	memset(c.reason, 0x22, FWGATE_ID_LEN);
	c.seq = htobe64(seq);
	c.issued = htobe64(issued);
	return c;
}

/* A control transaction signed by keys[i], each under the id ids[i] (normally its own). */
static size_t control_tx(const struct fwgate_control_stmt *c, struct fwg_key *const *keys,
			 const struct fwg_pubkey *const *ids, unsigned int n)
{
	static struct fwg_sigset set;
	size_t len;
	unsigned int i;

	memset(&set, 0, sizeof(set));
	set.count = n;
	for (i = 0; i < n; i++) {
		len = sizeof(set.sig[i].sig);
		if (fwg_sign(keys[i], c, sizeof(*c), set.sig[i].sig, &len))
			fatalx("sign");
		set.sig[i].len = len;
		memcpy(set.sig[i].key_id, ids[i]->id, FWGATE_ID_LEN);
	}
	return fwg_control_encode(c, &set, buf, sizeof(buf));
}

static int control_roundtrips_and_rejects_malformed(void)
{
	struct fwgate_control_stmt c = control(FWGATE_MAGIC_WITHDRAW, 0, 1);
	static struct fwg_sigset set;
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

	n = control_tx(&c, (struct fwg_key *[]){ ckey[1], ckey[0] }, (const struct fwg_pubkey *[]){ &cpub[1], &cpub[0] }, 2);
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err));
	CHECK(t.type == FWG_TX_CONTROL && !memcmp(&t.s.control, &c, sizeof(c)) && t.msg_len == sizeof(c));
	CHECK(!fwg_control_sigs(&t, &set) && set.count == 2 && fwg_sigset_find(&set, cpub[0].id));
	CHECK(!strcmp(fwg_tx_type_name(FWG_TX_CONTROL), "control"));
	CHECK(fwg_control_encode(&t.s.control, &set, buf + n, n) == n && !memcmp(buf, buf + n, n));
	CHECK(fwg_tx_decode(buf, n - 1, &t, &err) && strstr(err.msg, "control.sigs[1]"));
	buf[n] = 0;
	CHECK(fwg_tx_decode(buf, n + 1, &t, &err) && strstr(err.msg, "trailing"));
	CHECK(fwg_tx_decode(buf, 2 + sizeof(c), &t, &err) && strstr(err.msg, "control.sigs.count"));
	memcpy(buf + 2, FWGATE_MAGIC_APPROVE, FWGATE_MAGIC_LEN);
	CHECK(fwg_tx_decode(buf, n, &t, &err) && strstr(err.msg, "control.magic"));
	/* A control can not travel with a single signature, as other kinds do. */
	CHECK(!fwg_tx_sign(mkey, FWG_TX_CONTROL, &c, sizeof(c), NULL, 0, NULL, 0, buf, sizeof(buf)));
	return 0;
}

static int control_follows_the_nodes_rules(void)
{
	struct fwg_state *st = ready_state();
	struct fwg_control_info ci;
	struct fwgate_control_stmt c;
	int ok = 1;
	size_t n;

#define M (struct fwg_key *[]){ mkey }, (const struct fwg_pubkey *[]){ &mpub }, 1
	c = control(FWGATE_MAGIC_WITHDRAW, 0, 1);
	memset(c.u_id, 0xee, FWGATE_ID_LEN);
	n = control_tx(&c, M);
	ok &= refused_with(submit(st, buf, n), "control.u_id: no update");
	c = control(FWGATE_MAGIC_PAUSE, 1, 1);
	n = control_tx(&c, (struct fwg_key *[]){ ckey[0] }, (const struct fwg_pubkey *[]){ &cpub[0] }, 1);
	ok &= refused_with(submit(st, buf, n), "control.sigs[0].key_id: not the update's manufacturer");
	n = control_tx(&c, (struct fwg_key *[]){ mkey, ckey[0] }, (const struct fwg_pubkey *[]){ &mpub, &cpub[0] }, 2);
	ok &= refused_with(submit(st, buf, n), "key_id: not the update's manufacturer");
	c = control(FWGATE_MAGIC_PAUSE, 0, 1);
	n = control_tx(&c, M);
	ok &= refused_with(submit(st, buf, n), "control.seq: 0 is not above 0");
	c = control(FWGATE_MAGIC_PAUSE, 1, 1);
	n = control_tx(&c, M);
	CHECK(!submit(st, buf, n));
	CHECK(!fwg_state_control(st, c.u_id, &ci) && ci.paused && ci.seq == 1 && !ci.withdrawn);
	ok &= refused_with(submit(st, buf, n), "replay");
	c = control(FWGATE_MAGIC_RESUME, 1, 2);
	n = control_tx(&c, M);
	ok &= refused_with(submit(st, buf, n), "control.seq: 1 is not above 1");
	c = control(FWGATE_MAGIC_RESUME, 2, 2);
	n = control_tx(&c, M);
	CHECK(!submit(st, buf, n));
	CHECK(!fwg_state_control(st, c.u_id, &ci) && !ci.paused && ci.seq == 2);

	c = control(FWGATE_MAGIC_WITHDRAW, 0, 3);
	n = control_tx(&c, (struct fwg_key *[]){ ckey[0] }, (const struct fwg_pubkey *[]){ &cpub[0] }, 1);
	ok &= refused_with(submit(st, buf, n), "1 checkers of \"router\" signed, below its threshold 2");
	n = control_tx(&c, (struct fwg_key *[]){ ckey[0], ckey[2] }, (const struct fwg_pubkey *[]){ &cpub[0], &cpub[2] }, 2);
	ok &= refused_with(submit(st, buf, n), "neither the update's manufacturer nor a checker of device type");
	n = control_tx(&c, (struct fwg_key *[]){ other }, (const struct fwg_pubkey *[]){ &opub }, 1);
	ok &= refused_with(submit(st, buf, n), "control.sigs[0].key_id: neither");
	n = control_tx(&c, (struct fwg_key *[]){ other }, (const struct fwg_pubkey *[]){ &mpub }, 1);
	ok &= refused_with(submit(st, buf, n), "control.sigs[0].sig: does not verify");
	CHECK(!fwg_state_control(st, c.u_id, &ci) && !ci.withdrawn);
	n = control_tx(&c, (struct fwg_key *[]){ ckey[0], ckey[1] }, (const struct fwg_pubkey *[]){ &cpub[0], &cpub[1] }, 2);
	CHECK(!submit(st, buf, n));
	CHECK(!fwg_state_control(st, c.u_id, &ci) && ci.withdrawn);
	c = control(FWGATE_MAGIC_WITHDRAW, 0, 4);
	n = control_tx(&c, M);
	ok &= refused_with(submit(st, buf, n), "control.u_id: the update is already withdrawn");
	c = control(FWGATE_MAGIC_RESUME, 3, 4);
	n = control_tx(&c, M);
	ok &= refused_with(submit(st, buf, n), "a withdrawal is final");
#undef M
	fwg_state_free(st);
	return !ok;
}

/* Writes the fuzzers' seed corpus: one transaction of each kind, a block and a proof. */
static int write_corpus(const char *dir)
{
	struct fwgate_update_stmt u = update();
	struct fwgate_verdict_stmt v = verdict(0, FWGATE_MAGIC_APPROVE), r = verdict(1, FWGATE_MAGIC_REJECT);
	struct fwgate_devcert_stmt c = devcert();
	struct fwgate_ack_stmt a = ack(1);
	struct fwgate_nack_stmt na = {};
	const char *urls[] = { "https://mirror.example/fw.bin" };
	static uint8_t t[6][FWG_TX_MAX];
	const uint8_t *tx[6] = { t[0], t[1], t[2], t[3], t[4], t[5] };
	uint8_t leaves[5][FWGATE_ID_LEN], enc[2048];
	struct fwg_block_hdr h = {};
	struct fwg_proof p;
	uint32_t len[6];
	uint8_t *b;
	size_t n;
	int i;

	memcpy(na.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
	memcpy(na.o_id, dpub.id, FWGATE_ID_LEN);
	na.reason = htobe32(FWGATE_NACK_DIGEST_MISMATCH);
	len[0] = genesis(t[0], sizeof(t[0]), 2);
	len[1] = fwg_tx_sign(mkey, FWG_TX_DEVCERT, &c, sizeof(c), NULL, 0, NULL, 0, t[1], sizeof(t[1]));
	len[2] = fwg_tx_sign(mkey, FWG_TX_UPDATE, &u, sizeof(u), urls, 1, chunks, sizeof(chunks), t[2], sizeof(t[2]));
	len[3] = fwg_tx_sign(ckey[0], FWG_TX_APPROVE, &v, sizeof(v), NULL, 0, NULL, 0, t[3], sizeof(t[3]));
	len[4] = fwg_tx_sign(dkey, FWG_TX_ACK, &a, sizeof(a), NULL, 0, NULL, 0, t[4], sizeof(t[4]));
	len[5] = fwg_tx_sign(ckey[1], FWG_TX_REJECT, &r, sizeof(r), NULL, 0, NULL, 0, t[5], sizeof(t[5]));
	for (i = 0; i < 6; i++)
		seed(dir, "tx", fwg_tx_type_name(tx[i][1]), tx[i], len[i]);
	n = fwg_tx_sign(dkey, FWG_TX_NACK, &na, sizeof(na), NULL, 0, NULL, 0, t[0], sizeof(t[0]));
	seed(dir, "tx", "nack", t[0], n);
	memcpy(a.magic, FWGATE_MAGIC_RUNNING, FWGATE_MAGIC_LEN);
	n = fwg_tx_sign(dkey, FWG_TX_RUNNING, &a, sizeof(a), NULL, 0, NULL, 0, t[0], sizeof(t[0]));
	seed(dir, "tx", "running", t[0], n);
	na.reason = htobe32(FWGATE_NACK_BOOT);
	n = fwg_tx_sign(dkey, FWG_TX_NACK, &na, sizeof(na), NULL, 0, NULL, 0, t[0], sizeof(t[0]));
	seed(dir, "tx", "nack-boot", t[0], n);
	n = blob_tx(mkey, mpub.id, u.u_id, 4096, 0, 0, t[0]);
	seed(dir, "tx", "blob", t[0], n);
	{
		struct fwgate_control_stmt cs = control(FWGATE_MAGIC_WITHDRAW, 0, 1);

		n = control_tx(&cs, (struct fwg_key *[]){ ckey[0], ckey[1] },
			       (const struct fwg_pubkey *[]){ &cpub[0], &cpub[1] }, 2);
		seed(dir, "tx", "control-withdraw", buf, n);
		cs = control(FWGATE_MAGIC_PAUSE, 1, 1);
		n = control_tx(&cs, (struct fwg_key *[]){ mkey }, (const struct fwg_pubkey *[]){ &mpub }, 1);
		seed(dir, "tx", "control-pause", buf, n);
	}
	len[0] = genesis(t[0], sizeof(t[0]), 2);
	b = fwg_block_encode(&h, tx, len, 6, &n);
	seed(dir, "block", "genesis", b, n);
	free(b);
	for (i = 0; i < 5; i++)
		fwg_merkle_leaf(t[i], leaves[i]);
	fwg_merkle_proof((const uint8_t (*)[FWGATE_ID_LEN])leaves, 5, 2, &p);
	seed(dir, "proof", "five", enc, fwg_proof_encode(&p, enc, sizeof(enc)));
	b = fwg_seal(t[4], len[4], &dkey, 1, &n);
	seed(dir, "seal", "ack", b, n);
	free(b);
	return 0;
}

/*
 * For tests/chain/suite, which writes a block straight into etcd as a rogue node would: HEIGHT PREV_HEX
 * TX_FILE... encoded as a block (its Merkle root right) on stdout.
 */
static int write_block(int argc, char **argv)
{
	struct fwg_block_hdr h = { .height = strtoull(argv[0], NULL, 10), .time_ms = time(NULL) * 1000ull };
	const uint8_t *tx[16];
	uint32_t len[16];
	uint8_t *b, *t;
	size_t n;
	int i;

	if (fwg_unhex(argv[1], h.prev, FWGATE_ID_LEN) || argc - 2 > 16)
		fatalx("--block HEIGHT PREV_HEX TX_FILE... (at most 16)");
	for (i = 2; i < argc; i++) {
		if (fwg_read_file(argv[i], &t, &n, FWG_TX_MAX))
			return 1;
		tx[i - 2] = t;
		len[i - 2] = n;
	}
	b = fwg_block_encode(&h, tx, len, argc - 2, &n);
	return !b || fwrite(b, 1, n, stdout) != n;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "tx.roundtrips_every_kind", tx_roundtrips_every_kind },
	{ "tx.rejects_malformed", tx_rejects_malformed },
	{ "tx.sigset_roundtrips_and_rejects_malformed", sigset_roundtrips_and_rejects_malformed },
	{ "tx.refuses_keys_off_the_curve_and_empty_images", tx_refuses_keys_off_the_curve_and_empty_images },
	{ "genesis.rejects_threshold_below_majority", genesis_rejects_threshold_below_majority },
	{ "merkle.proves_every_leaf", merkle_proves_every_leaf },
	{ "merkle.empty_root_is_sha256_of_nothing", merkle_empty_root_is_sha256_of_nothing },
	{ "block.roundtrips_and_detects_tampering", block_roundtrips_and_detects_tampering },
	{ "state.accepts_the_whole_story", state_accepts_the_whole_story },
	{ "state.refuses_replay_and_wrong_signers", state_refuses_replay_and_wrong_signers },
	{ "state.running_ack_follows_the_installed_ack", state_running_ack_follows_the_installed_ack },
	{ "chain.verifies_and_finds_tx", chain_verifies_and_finds_tx },
	{ "genesis.refuses_a_key_twice_not_a_name_twice", genesis_refuses_a_key_twice_not_a_name_twice },
	{ "block.references_point_back_never_forward", block_references_point_back_never_forward },
	{ "blob.roundtrips_and_rejects_malformed", blob_roundtrips_and_rejects_malformed },
	{ "state.blob_follows_its_update_and_manufacturer", state_blob_follows_its_update_and_manufacturer },
	{ "chain.indexes_image_chunks", chain_indexes_image_chunks },
	{ "seal.opens_for_each_recipient_only", seal_opens_for_each_recipient_only },
	{ "control.roundtrips_and_rejects_malformed", control_roundtrips_and_rejects_malformed },
	{ "control.follows_the_nodes_rules", control_follows_the_nodes_rules },
};

int main(int argc, char **argv)
{
	size_t i, nr = sizeof(tests) / sizeof(tests[0]);
	int failed = 0, n = 0;

	log_init("ledger_test", 0);
	mkey = keygen(1, &mpub);
	for (i = 0; i < 3; i++)
		ckey[i] = keygen(i == 2, &cpub[i]);
	dkey = keygen(0, &dpub);
	other = keygen(0, &opub);
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "--block"))
		return write_block(argc - 2, argv + 2);
	printf("TAP version 13\n1..%zu\n", argc > 1 ? (size_t)1 : nr);
	for (i = 0; i < nr; i++) {
		int err;

		if (argc > 1 && strcmp(argv[1], tests[i].name))
			continue;
		err = tests[i].fn();
		printf("%sok %d - %s\n", err ? "not " : "", ++n, tests[i].name);
		failed |= err;
	}
	return failed;
}
