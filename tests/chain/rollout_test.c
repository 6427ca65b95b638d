// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of staged rollouts: the plan and advance rules (chain/rollout.c) in the decoder and the ledger
 * state, a device's stage draw, fwgated's gate (agent/gate.c) and the audit's inventory and coverage
 * (chain/inventory.c). Plain TAP, one line per test; `rollout_test NAME` runs one test.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "files.h"
#include "gate.h"
#include "inventory.h"
#include "ledger.h"
#include "log.h"

static struct fwg_key *mkey, *okey, *ckey;
static struct fwg_pubkey mpub, opub, cpub;
static uint8_t buf[FWG_TX_MAX];
static const uint8_t chunks[FWGATE_ID_LEN] = { 0xcd };

#define CHECK(cond) do { if (!(cond)) { printf("# %s:%d: %s\n", __FILE__, __LINE__, #cond); return 1; } } while (0)

static void name(char *dst, const char *src)
{
	memset(dst, 0, FWGATE_NAME_LEN);
	strcpy(dst, src);
}

static struct fwgate_update_stmt update(uint8_t fill)
{
	struct fwgate_update_stmt u = {};

	memcpy(u.magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
	memcpy(u.m_id, mpub.id, FWGATE_ID_LEN);
	memset(u.u_id, fill, FWGATE_ID_LEN);
	u.version = htobe64(fill);
	u.size = htobe64(4096);
	name(u.o_type, "router");
	name(u.target, "fw");
	fwg_chunks_digest(chunks, sizeof(chunks), u.chunks);
	return u;
}

/* Three stages: 10 % with the plan, 50 % by advance, everyone at opens_at 1. */
static struct fwgate_rollout_stmt plan(uint8_t fill)
{
	struct fwgate_rollout_stmt p = {};

	memcpy(p.magic, FWGATE_MAGIC_ROLLOUT, FWGATE_MAGIC_LEN);
	memcpy(p.m_id, mpub.id, FWGATE_ID_LEN);
	memset(p.u_id, fill, FWGATE_ID_LEN);
	p.issued = htobe64(1000);
	p.stages = htobe32(3);
	p.stage[0].share = htobe32(1000);
	p.stage[1].share = htobe32(5000);
	p.stage[2].share = htobe32(10000);
	p.stage[2].opens_at = htobe64(2000000000ull);
	return p;
}

static struct fwgate_advance_stmt advance(const struct fwgate_rollout_stmt *p, uint32_t stage, uint64_t issued)
{
	struct fwgate_advance_stmt a = {};

	memcpy(a.magic, FWGATE_MAGIC_ADVANCE, FWGATE_MAGIC_LEN);
	memcpy(a.u_id, p->u_id, FWGATE_ID_LEN);
	fwg_rollout_digest(p, a.plan);
	a.stage = htobe32(stage);
	a.issued = htobe64(issued);
	return a;
}

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

static const char *sign(struct fwg_state *st, struct fwg_key *key, uint8_t type, const void *stmt, size_t len)
{
	size_t n = fwg_tx_sign(key, type, stmt, len, NULL, 0, type == FWG_TX_UPDATE ? chunks : NULL,
			       type == FWG_TX_UPDATE ? sizeof(chunks) : 0, buf, sizeof(buf));

	return n ? submit(st, buf, n) : "encode failed";
}

static int refused_with(const char *msg, const char *want)
{
	if (!msg || !strstr(msg, want)) {
		printf("# got \"%s\", want \"%s\"\n", msg ? msg : "(accepted)", want);
		return 0;
	}
	return 1;
}

static struct fwg_state *ready_state(void)
{
	static struct fwg_genesis g;
	struct fwg_state *st = fwg_state_new();
	struct fwgate_update_stmt u = update(0xab);
	size_t n;

	memset(&g, 0, sizeof(g));
	g.time = 1;
	name(g.name, "test");
	g.nr_members = 3;
	g.members[0] = (struct fwg_member){ .role = FWG_ROLE_MANUFACTURER, .key = mpub };
	name(g.members[0].name, "acme");
	g.members[1] = (struct fwg_member){ .role = FWG_ROLE_MANUFACTURER, .key = opub };
	name(g.members[1].name, "globex");
	g.members[2] = (struct fwg_member){ .role = FWG_ROLE_CHECKER, .key = cpub };
	name(g.members[2].name, "c1");
	g.nr_types = 1;
	name(g.types[0].o_type, "router");
	g.types[0].k = 1;
	g.types[0].q = 1;
	memcpy(g.types[0].checkers[0], cpub.id, FWGATE_ID_LEN);
	n = fwg_genesis_encode(&g, buf, sizeof(buf));
	if (!n || submit(st, buf, n) || sign(st, mkey, FWG_TX_UPDATE, &u, sizeof(u)))
		fatalx("ready_state");
	return st;
}

/* Each malformed plan is refused by the decoder, naming its field. */
static int plan_rejects_malformed_naming_the_field(void)
{
	struct fwgate_rollout_stmt p;
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

#define REFUSED(change, want) do {							\
		p = plan(0xab);								\
		change;									\
		n = fwg_tx_sign(mkey, FWG_TX_ROLLOUT, &p, sizeof(p), NULL, 0, NULL, 0, buf, sizeof(buf)); \
		CHECK(n && fwg_tx_decode(buf, n, &t, &err) && refused_with(err.msg, want));	\
	} while (0)

	REFUSED(p.stages = 0, "rollout.stages: 0");
	REFUSED(p.stages = htobe32(9), "rollout.stages: 9");
	REFUSED(p.reserved = 1, "rollout.reserved");
	REFUSED(p.stage[1].reserved = 1, "rollout.stage[1].reserved");
	REFUSED(p.stage[1].share = htobe32(1000), "rollout.stage[1].share: 1000, not above");
	REFUSED(p.stage[0].share = 0, "rollout.stage[0].share: 0");
	REFUSED(p.stage[2].share = htobe32(9999), "rollout.stage[2].share: 9999, the last stage's must be 10000");
	REFUSED(p.stage[2].share = htobe32(10001), "rollout.stage[2].share: 10001");
	REFUSED((p.stage[0].opens_at = htobe64(3000000000ull)), "rollout.stage[2].opens_at");
	REFUSED(p.stage[3].opens_at = htobe64(1), "rollout.stage[3]: not zero, past the plan's 3 stages");
#undef REFUSED
	p = plan(0xab);
	n = fwg_tx_sign(mkey, FWG_TX_ROLLOUT, &p, sizeof(p), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err) && !memcmp(&t.s.rollout, &p, sizeof(p)));
	CHECK(t.msg_len == FWG_ROLLOUT_PLAN_LEN && FWG_ROLLOUT_PLAN_LEN == 216);
	CHECK(fwg_tx_decode(buf, n - 1, &t, &err));
	return 0;
}

static int advance_rejects_malformed_naming_the_field(void)
{
	struct fwgate_rollout_stmt p = plan(0xab);
	struct fwgate_advance_stmt a = advance(&p, 1, 5);
	struct fwg_err err;
	struct fwg_tx t;
	size_t n;

	n = fwg_tx_sign(mkey, FWG_TX_ADVANCE, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(n && !fwg_tx_decode(buf, n, &t, &err) && !memcmp(&t.s.advance, &a, sizeof(a)));
	a.reserved = htobe32(1);
	n = fwg_tx_sign(mkey, FWG_TX_ADVANCE, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(fwg_tx_decode(buf, n, &t, &err) && refused_with(err.msg, "advance.reserved"));
	a = advance(&p, 8, 5);
	n = fwg_tx_sign(mkey, FWG_TX_ADVANCE, &a, sizeof(a), NULL, 0, NULL, 0, buf, sizeof(buf));
	CHECK(fwg_tx_decode(buf, n, &t, &err) && refused_with(err.msg, "advance.stage: 8"));
	return 0;
}

/* The node's rules: who may sign, one plan per update, advances name the plan and only go forward. */
static int state_enforces_plan_and_advance_rules(void)
{
	struct fwg_state *st = ready_state();
	struct fwgate_rollout_stmt p = plan(0xab), q;
	struct fwgate_advance_stmt a;

	q = plan(0xee);
	CHECK(refused_with(sign(st, mkey, FWG_TX_ROLLOUT, &q, sizeof(q)), "rollout.u_id: no update"));
	q = p;
	memcpy(q.m_id, opub.id, FWGATE_ID_LEN);
	CHECK(refused_with(sign(st, okey, FWG_TX_ROLLOUT, &q, sizeof(q)), "published by another manufacturer"));
	memcpy(q.m_id, cpub.id, FWGATE_ID_LEN);
	CHECK(refused_with(sign(st, ckey, FWG_TX_ROLLOUT, &q, sizeof(q)), "rollout.m_id: not a manufacturer"));
	CHECK(refused_with(sign(st, okey, FWG_TX_ROLLOUT, &p, sizeof(p)), "rollout.signature"));
	a = advance(&p, 1, 5);
	CHECK(refused_with(sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)), "advance.u_id: the update has no rollout"));
	CHECK(!sign(st, mkey, FWG_TX_ROLLOUT, &p, sizeof(p)));
	q = p;
	q.issued = htobe64(1001);
	CHECK(refused_with(sign(st, mkey, FWG_TX_ROLLOUT, &q, sizeof(q)), "rollout.u_id: the update has a rollout plan"));
	a = advance(&q, 1, 5);
	CHECK(refused_with(sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)), "advance.plan: not the digest"));
	a = advance(&p, 3, 5);
	CHECK(refused_with(sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)), "advance.stage: 3, the plan has 3"));
	a = advance(&p, 1, 5);
	CHECK(refused_with(sign(st, okey, FWG_TX_ADVANCE, &a, sizeof(a)), "advance.signature"));
	CHECK(!sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)));
	CHECK(refused_with(sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)), "replay"));
	a = advance(&p, 1, 6);
	CHECK(refused_with(sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)), "advances only go forward"));
	a = advance(&p, 0, 7);
	CHECK(refused_with(sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)), "advance.stage: 0, not above stage 1"));
	a = advance(&p, 2, 8);
	CHECK(!sign(st, mkey, FWG_TX_ADVANCE, &a, sizeof(a)));
	fwg_state_free(st);
	return 0;
}

/* The draw is the UAPI's (vectors from Python's hashlib), and 10,000 ids fall into stages by their share. */
static int draw_is_deterministic_and_uniform(void)
{
	struct fwgate_rollout_stmt p = plan(0xab);
	unsigned int in[3] = { 0 }, i;
	uint8_t id[FWGATE_ID_LEN] = { 0 };

	CHECK(fwg_rollout_draw(id) == 4265);
	memset(id, 0xab, sizeof(id));
	CHECK(fwg_rollout_draw(id) == 8458);
	CHECK(fwg_rollout_stage_of(&p, id) == 2);
	for (i = 0; i < 10000; i++) {
		uint32_t be = htobe32(i);

		fwg_sha256(&be, sizeof(be), id);
		in[fwg_rollout_stage_of(&p, id)]++;
	}
	printf("# stages of 10,000 ids: %u %u %u (plan 1000 4000 5000)\n", in[0], in[1], in[2]);
	CHECK(in[0] >= 800 && in[0] <= 1200 && in[1] >= 3800 && in[1] <= 4200 && in[2] >= 4800 && in[2] <= 5200);
	return 0;
}

static struct fwg_tx decoded(uint8_t type, const void *stmt, size_t len)
{
	struct fwg_tx t;

	memset(&t, 0, offsetof(struct fwg_tx, urls));
	t.type = type;
	t.msg = stmt;
	t.msg_len = len;
	memcpy(&t.s, stmt, len < sizeof(t.s) ? len : sizeof(t.s));
	return t;
}

static struct fwgate_control_stmt control(const char *magic, uint64_t seq)
{
	struct fwgate_control_stmt c = {};

	memcpy(c.magic, magic, FWGATE_MAGIC_LEN);
	memset(c.u_id, 0xab, FWGATE_ID_LEN);
	c.seq = htobe64(seq);
	return c;
}

/* One id in each stage of plan(): found by drawing. */
static void ids_by_stage(const struct fwgate_rollout_stmt *p, uint8_t ids[3][FWGATE_ID_LEN])
{
	unsigned int found = 0, i, s;
	uint8_t id[FWGATE_ID_LEN];

	for (i = 0; found != 7; i++) {
		fwg_sha256(&i, sizeof(i), id);
		s = fwg_rollout_stage_of(p, id);
		memcpy(ids[s], id, FWGATE_ID_LEN);
		found |= 1 << s;
	}
}

/* fwgated's gate: no plan installs at once; a stage installs once open; a pause holds all; a withdrawal too. */
static int gate_follows_plan_advance_pause_and_withdrawal(void)
{
	struct fwgate_rollout_stmt p = plan(0xab);
	struct fwgate_advance_stmt a = advance(&p, 1, 5);
	struct fwgate_control_stmt c;
	struct fwg_rollouts rs = { 0 };
	uint8_t ids[3][FWGATE_ID_LEN], other[FWGATE_ID_LEN];
	struct fwg_gate g;
	struct fwg_tx t;

	ids_by_stage(&p, ids);
	memset(other, 0x77, sizeof(other));
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[2], 1, &g) == FWG_GATE_OPEN && !g.planned);
	t = decoded(FWG_TX_ROLLOUT, &p, sizeof(p));
	CHECK(!fwg_rollouts_note(&rs, &t, 10));
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[0], 1, &g) == FWG_GATE_OPEN && g.stage == 0 && g.open_through == 0);
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[1], 1, &g) == FWG_GATE_STAGED && g.stage == 1);
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[2], 1, &g) == FWG_GATE_STAGED && g.stage == 2 && g.stages == 3);
	/* Stage 2 opens by its time, and opens stage 1 with it. */
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[1], 2000000000ull, &g) == FWG_GATE_OPEN && g.open_through == 2);
	CHECK(fwg_rollout_gate(&rs, other, ids[2], 1, &g) == FWG_GATE_OPEN && !g.planned);
	t = decoded(FWG_TX_ADVANCE, &a, sizeof(a));
	CHECK(!fwg_rollouts_note(&rs, &t, 11));
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[1], 1, &g) == FWG_GATE_OPEN && g.open_through == 1);
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[2], 1, &g) == FWG_GATE_STAGED);
	c = control(FWGATE_MAGIC_PAUSE, 5);
	t = decoded(FWG_TX_CONTROL, &c, sizeof(c));
	CHECK(!fwg_rollouts_note(&rs, &t, 12));
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[0], 1, &g) == FWG_GATE_PAUSED);
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[1], 1, &g) == FWG_GATE_PAUSED);
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[2], 2000000000ull, &g) == FWG_GATE_PAUSED);
	/* A resume with a lower seq is older than the pause: it does not count. */
	c = control(FWGATE_MAGIC_RESUME, 4);
	t = decoded(FWG_TX_CONTROL, &c, sizeof(c));
	CHECK(!fwg_rollouts_note(&rs, &t, 13));
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[0], 1, &g) == FWG_GATE_PAUSED);
	c = control(FWGATE_MAGIC_RESUME, 6);
	t = decoded(FWG_TX_CONTROL, &c, sizeof(c));
	CHECK(!fwg_rollouts_note(&rs, &t, 14));
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[0], 1, &g) == FWG_GATE_OPEN);
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[2], 1, &g) == FWG_GATE_STAGED);
	c = control(FWGATE_MAGIC_WITHDRAW, 0);
	t = decoded(FWG_TX_CONTROL, &c, sizeof(c));
	CHECK(!fwg_rollouts_note(&rs, &t, 15));
	CHECK(fwg_rollout_gate(&rs, p.u_id, ids[0], 1, &g) == FWG_GATE_WITHDRAWN);
	CHECK(!strcmp(fwg_gate_name(g.verdict), "withdrawn"));
	fwg_rollouts_free(&rs);
	return 0;
}

static struct fwgate_ack_stmt ack(const char *magic, uint8_t fill, const uint8_t *o_id)
{
	struct fwgate_ack_stmt a = {};

	memcpy(a.magic, magic, FWGATE_MAGIC_LEN);
	memset(a.u_id, fill, FWGATE_ID_LEN);
	memcpy(a.o_id, o_id, FWGATE_ID_LEN);
	a.version = htobe64(fill);
	name(a.target, "fw");
	return a;
}

static struct fwgate_nack_stmt nack(uint8_t fill, const uint8_t *o_id, uint32_t reason)
{
	struct fwgate_nack_stmt n = {};

	memcpy(n.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
	memset(n.u_id, fill, FWGATE_ID_LEN);
	memcpy(n.o_id, o_id, FWGATE_ID_LEN);
	n.reason = htobe32(reason);
	return n;
}

struct seen {
	unsigned int n;
	struct fwg_inv_row row[4];
};

static void collect(const struct fwg_inv_row *row, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->row[s->n++] = *row;
}

/* Inventory: the version each device runs since which block; coverage by outcome, per stage. */
static int inventory_tracks_versions_and_outcomes(void)
{
	struct fwgate_update_stmt u1 = update(1), u2 = update(2);
	struct fwgate_rollout_stmt p = plan(2);
	struct fwgate_devcert_stmt c = {};
	struct fwg_inv *v = fwg_inv_new();
	struct fwg_key *dk[4];
	struct fwg_pubkey dp[4];
	struct fwg_coverage cov;
	struct seen seen = { 0 };
	struct fwgate_ack_stmt a;
	struct fwgate_nack_stmt n;
	unsigned int i, stage_sum[__FWG_OUT_MAX] = { 0 }, fleet = 0;
	struct fwg_tx t;

	CHECK(v);
	t = decoded(FWG_TX_UPDATE, &u1, sizeof(u1));
	CHECK(!fwg_inv_add(v, &t, 1));
	t = decoded(FWG_TX_UPDATE, &u2, sizeof(u2));
	CHECK(!fwg_inv_add(v, &t, 2));
	t = decoded(FWG_TX_ROLLOUT, &p, sizeof(p));
	CHECK(!fwg_inv_add(v, &t, 2));
	memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
	name(c.o_type, "router");
	for (i = 0; i < 4; i++) {
		dk[i] = fwg_key_create(FWGATE_KEY_P256);
		CHECK(dk[i] && !fwg_key_encode(dk[i], &dp[i]));
		memcpy(c.pubkey, dp[i].data, sizeof(c.pubkey));
		t = decoded(FWG_TX_DEVCERT, &c, sizeof(c));
		CHECK(!fwg_inv_add(v, &t, 3));
		a = ack(FWGATE_MAGIC_ACK, 1, dp[i].id);
		t = decoded(FWG_TX_ACK, &a, sizeof(a));
		CHECK(!fwg_inv_add(v, &t, 4));
		a = ack(FWGATE_MAGIC_RUNNING, 1, dp[i].id);
		t = decoded(FWG_TX_RUNNING, &a, sizeof(a));
		CHECK(!fwg_inv_add(v, &t, 5));
	}
	/* Device 0 runs U2; 1 installed it and waits for the reboot; 2 fell back to U1; 3 refused it. */
	a = ack(FWGATE_MAGIC_ACK, 2, dp[0].id);
	t = decoded(FWG_TX_ACK, &a, sizeof(a));
	CHECK(!fwg_inv_add(v, &t, 6));
	a = ack(FWGATE_MAGIC_RUNNING, 2, dp[0].id);
	t = decoded(FWG_TX_RUNNING, &a, sizeof(a));
	CHECK(!fwg_inv_add(v, &t, 7));
	a = ack(FWGATE_MAGIC_ACK, 2, dp[1].id);
	t = decoded(FWG_TX_ACK, &a, sizeof(a));
	CHECK(!fwg_inv_add(v, &t, 7));
	a = ack(FWGATE_MAGIC_ACK, 2, dp[2].id);
	t = decoded(FWG_TX_ACK, &a, sizeof(a));
	CHECK(!fwg_inv_add(v, &t, 7));
	n = nack(2, dp[2].id, FWGATE_NACK_HEALTH);
	t = decoded(FWG_TX_NACK, &n, sizeof(n));
	CHECK(!fwg_inv_add(v, &t, 8));
	n = nack(2, dp[3].id, FWGATE_NACK_DIGEST_MISMATCH);
	t = decoded(FWG_TX_NACK, &n, sizeof(n));
	CHECK(!fwg_inv_add(v, &t, 8));
	CHECK(fwg_inv_nr_rows(v) == 4);
	fwg_inv_rows(v, collect, &seen);
	CHECK(seen.n == 4);
	CHECK(seen.row[0].version == 2 && seen.row[0].since == 7 && !strcmp(seen.row[0].state, "running"));
	CHECK(seen.row[1].version == 2 && seen.row[1].since == 7 && !strcmp(seen.row[1].state, "installed"));
	CHECK(seen.row[2].version == 1 && seen.row[2].since == 8 && !strcmp(seen.row[2].state, "fell back"));
	CHECK(seen.row[3].version == 1 && seen.row[3].since == 5 && !strcmp(seen.row[3].state, "running"));
	CHECK(!fwg_inv_coverage(v, u2.u_id, -1, &cov) && cov.fleet == 4);
	CHECK(cov.n[FWG_OUT_RUNNING] == 1 && cov.n[FWG_OUT_INSTALLED] == 1 && cov.n[FWG_OUT_FELL_BACK] == 1 &&
	      cov.n[FWG_OUT_REFUSED] == 1 && cov.n[FWG_OUT_NONE] == 0);
	CHECK(!fwg_inv_coverage(v, u1.u_id, -1, &cov) && cov.n[FWG_OUT_RUNNING] == 4);
	CHECK(fwg_inv_coverage(v, u1.u_id, 0, &cov) == -ENOENT);
	for (i = 0; i < 3; i++) {
		unsigned int k;

		CHECK(!fwg_inv_coverage(v, u2.u_id, i, &cov));
		fleet += cov.fleet;
		for (k = 0; k < __FWG_OUT_MAX; k++)
			stage_sum[k] += cov.n[k];
	}
	CHECK(fleet == 4 && stage_sum[FWG_OUT_RUNNING] == 1 && stage_sum[FWG_OUT_REFUSED] == 1);
	for (i = 0; i < 4; i++)
		fwg_key_free(dk[i]);
	fwg_inv_free(v);
	return 0;
}

/* Appends one signed transaction to a story: be16 length, then the bytes (tests/fuzz/fuzz_rollout.c). */
static size_t story_add(uint8_t *story, size_t off, struct fwg_key *key, uint8_t type, const void *stmt,
			size_t len, const char *dir, const char *name)
{
	size_t n = fwg_tx_sign(key, type, stmt, len, NULL, 0, type == FWG_TX_UPDATE ? chunks : NULL,
			       type == FWG_TX_UPDATE ? sizeof(chunks) : 0, buf, sizeof(buf));
	char path[4096];

	/* A pause is in the story once the ledger has the control kind (FWG_TX_CONTROL, issue 15's withdraw). */
	if (!n && type == FWG_TX_CONTROL)
		return off;
	if (!n)
		fatalx("corpus: encode");
	if (name) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (fwg_write_file(path, buf, n, 0644))
			fatalx("corpus: %s", path);
	}
	story[off] = n >> 8;
	story[off + 1] = n;
	memcpy(story + off + 2, buf, n);
	return off + 2 + n;
}

/* The seeds: a plan and an advance for fuzz_tx (DIR/tx), and a whole rollout story for fuzz_rollout. */
static int write_corpus(const char *dir)
{
	static uint8_t story[8 * FWG_TX_MAX];
	struct fwgate_update_stmt u = update(0xab);
	struct fwgate_rollout_stmt p = plan(0xab);
	struct fwgate_advance_stmt a = advance(&p, 1, 5);
	struct fwgate_devcert_stmt c = {};
	struct fwgate_control_stmt pause = control(FWGATE_MAGIC_PAUSE, 1);
	struct fwg_key *dk = fwg_key_create(FWGATE_KEY_P256);
	struct fwgate_ack_stmt ak;
	struct fwgate_nack_stmt nk;
	struct fwg_pubkey dp;
	char path[4096], tx[4096];
	size_t off = 0;

	snprintf(tx, sizeof(tx), "%s/tx", dir);
	snprintf(path, sizeof(path), "%s/rollout", dir);
	if (!dk || fwg_key_encode(dk, &dp) || (mkdir(dir, 0755) && errno != EEXIST) || (mkdir(tx, 0755) && errno != EEXIST) ||
	    (mkdir(path, 0755) && errno != EEXIST))
		fatalx("corpus: %s", dir);
	memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
	memcpy(c.m_id, mpub.id, FWGATE_ID_LEN);
	name(c.o_type, "router");
	memcpy(c.pubkey, dp.data, sizeof(c.pubkey));
	ak = ack(FWGATE_MAGIC_ACK, 0xab, dp.id);
	nk = nack(0xab, dp.id, FWGATE_NACK_HEALTH);
	off = story_add(story, off, mkey, FWG_TX_UPDATE, &u, sizeof(u), tx, NULL);
	off = story_add(story, off, mkey, FWG_TX_DEVCERT, &c, sizeof(c), tx, NULL);
	off = story_add(story, off, mkey, FWG_TX_ROLLOUT, &p, sizeof(p), tx, "rollout");
	off = story_add(story, off, mkey, FWG_TX_ADVANCE, &a, sizeof(a), tx, "advance");
	off = story_add(story, off, dk, FWG_TX_ACK, &ak, sizeof(ak), tx, NULL);
	off = story_add(story, off, dk, FWG_TX_NACK, &nk, sizeof(nk), tx, NULL);
	off = story_add(story, off, mkey, FWG_TX_CONTROL, &pause, sizeof(pause), tx, NULL);
	snprintf(path, sizeof(path), "%s/rollout/story", dir);
	fwg_key_free(dk);
	return fwg_write_file(path, story, off, 0644) ? 1 : 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "rollout.plan_rejects_malformed_naming_the_field", plan_rejects_malformed_naming_the_field },
	{ "rollout.advance_rejects_malformed_naming_the_field", advance_rejects_malformed_naming_the_field },
	{ "rollout.state_enforces_plan_and_advance_rules", state_enforces_plan_and_advance_rules },
	{ "rollout.draw_is_deterministic_and_uniform", draw_is_deterministic_and_uniform },
	{ "gate.follows_plan_advance_pause_and_withdrawal", gate_follows_plan_advance_pause_and_withdrawal },
	{ "inventory.tracks_versions_and_outcomes", inventory_tracks_versions_and_outcomes },
};

int main(int argc, char **argv)
{
	unsigned int i, n = 0, failed = 0;

	log_init("rollout_test", 0);
	mkey = fwg_key_create(FWGATE_KEY_P256);
	okey = fwg_key_create(FWGATE_KEY_P256);
	ckey = fwg_key_create(FWGATE_KEY_P256);
	if (!mkey || !okey || !ckey || fwg_key_encode(mkey, &mpub) || fwg_key_encode(okey, &opub) ||
	    fwg_key_encode(ckey, &cpub))
		fatalx("keygen");
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		n += argc < 2 || !strcmp(argv[1], tests[i].name);
	printf("1..%u\n", n);
	for (i = 0, n = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int err;

		if (argc >= 2 && strcmp(argv[1], tests[i].name))
			continue;
		err = tests[i].fn();
		failed += !!err;
		printf("%s %u - %s\n", err ? "not ok" : "ok", ++n, tests[i].name);
	}
	fwg_key_free(mkey);
	fwg_key_free(okey);
	fwg_key_free(ckey);
	return failed ? 1 : 0;
}
