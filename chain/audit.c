// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate audit: who vetted, installed and blamed what, from the chain alone. The blocks come through
 * fwg_node_follow(), which verifies each one (links, Merkle root, signers, signatures, replays) before the
 * report sees it, so every number below stands on signed transactions. The report is built once, in chain
 * order, then printed as a text table, as JSON, or as one self-contained HTML file with inline SVG charts
 * (Documentation/fwgate/tools.rst).
 */
#include <endian.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "audit.h"
#include "inventory.h"
#include "rollout_cmd.h"
#include "client.h"
#include "cmdutil.h"
#include "exit.h"
#include "grid.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"
#include "trust_audit.h"

#define SHORT_HEX	16	/* hex digits of an id in tables */
#define HEX_LEN		(2 * FWGATE_ID_LEN + 1)
#define USAGE		"usage: fwgate audit " FWG_AUDIT_ARGS

/* ------------------------------------------------------------------ growable arrays, id maps */

static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	size_t c;

	if (n < *cap)
		return p;
	c = *cap ? 2 * *cap : 16;
	p = realloc(p, c * size);
	if (!p)
		fatalx("out of memory");
	*cap = c;
	return p;
}

/* Appends a zeroed element to the array (arr, n, cap) and yields its address. */
#define PUSH(arr, n, cap) ({							\
	(arr) = grow((arr), (n), &(cap), sizeof(*(arr)));			\
	memset(&(arr)[(n)], 0, sizeof(*(arr)));					\
	&(arr)[(n)++];								\
})

/* An open-addressing map from a 32-byte key (an id, or a packed pair of indices) to an index. */
struct idmap_ent {
	uint8_t key[FWGATE_ID_LEN];
	uint32_t val;			/* index + 1; 0 is a free slot */
};

struct idmap {
	struct idmap_ent *e;
	size_t n, cap;
};

/* FNV-1a over the whole key: ids are digests, but pair keys are not. */
static size_t idmap_hash(const uint8_t *key)
{
	uint64_t h = 14695981039346656037ull;
	unsigned int i;

	for (i = 0; i < FWGATE_ID_LEN; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	return h;
}

static struct idmap_ent *idmap_slot(const struct idmap *m, const uint8_t *key)
{
	size_t i = idmap_hash(key) & (m->cap - 1);

	while (m->e[i].val && memcmp(m->e[i].key, key, FWGATE_ID_LEN))
		i = (i + 1) & (m->cap - 1);
	return &m->e[i];
}

static long idmap_get(const struct idmap *m, const uint8_t *key)
{
	return m->cap ? (long)idmap_slot(m, key)->val - 1 : -1;
}

static void idmap_put(struct idmap *m, const uint8_t *key, size_t val)
{
	struct idmap old = *m;
	struct idmap_ent *e;
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->e = calloc(m->cap, sizeof(*m->e));
		if (!m->e)
			fatalx("out of memory");
		m->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.e[i].val)
				idmap_put(m, old.e[i].key, old.e[i].val - 1);
		free(old.e);
	}
	e = idmap_slot(m, key);
	if (!e->val)
		m->n++;
	memcpy(e->key, key, FWGATE_ID_LEN);
	e->val = val + 1;
}

/* ------------------------------------------------------------------ the report, built from the chain */

/* One step of an update's fleet coverage: at a block, acked devices of its type over certified ones. */
struct point {
	uint64_t time_ms, height;
	unsigned int acked, fleet;
};

struct device {
	uint8_t id[FWGATE_ID_LEN];
	int type, maker;			/* genesis type and member */
	uint64_t time_ms, height;		/* of its certificate */
	unsigned int acks, nacks, blamed;	/* blamed: its peers' nacks naming it */
};

struct update {
	uint8_t tx_id[FWGATE_ID_LEN];
	struct fwgate_update_stmt s;
	int type, maker;
	long same_image;			/* the previous update of the same U_id, or -1 */
	uint64_t time_ms, height;
	uint64_t approvers, rejecters;		/* bit i: genesis member i */
	unsigned int acks, nacks, acked, covered;	/* acked: distinct devices; covered: of its type */
	struct point *pts;
	size_t nr_pts, cap_pts;
};

struct verdict {
	int checker;
	size_t update;
	uint8_t type;				/* FWG_TX_APPROVE or FWG_TX_REJECT */
	uint8_t report[FWGATE_ID_LEN];
	uint64_t time_ms, height;
};

struct nack {
	size_t device, update;
	uint8_t culprit[FWGATE_ID_LEN];
	int culprit_member;			/* genesis member, or -1 */
	long culprit_device;			/* certified device, or -1 */
	uint32_t reason;			/* enum fwgate_nack_reason */
	uint64_t time_ms, height;
};

struct member_stats {
	unsigned int updates, devices, blamed, approvals, rejections;
};

struct audit {
	struct fwg_state *st;
	const struct fwg_genesis *g;
	struct fwg_err *err;
	struct fwg_tx tx;
	uint64_t nr_tx, last_ms;
	unsigned int fleet[FWG_MAX_TYPES];
	struct member_stats ms[FWG_MAX_MEMBERS];
	unsigned int nacks_unknown;		/* culprit neither a member nor a device */
	struct device *dev;
	struct update *upd;
	struct verdict *vd;
	struct nack *nk;
	size_t nr_dev, cap_dev, nr_upd, cap_upd, nr_vd, cap_vd, nr_nk, cap_nk;
	struct idmap devices, uids, stmts, acked;
	struct fwg_trust_audit *trust;		/* policy history, revocations, membership, rollout controls */
	struct fwg_inv *inv;			/* inventory, coverage by outcome, rollouts (chain/inventory.c) */
};

#define fail(a, ...) ({ snprintf((a)->err->msg, sizeof((a)->err->msg), __VA_ARGS__); -1; })

static int type_index(const struct fwg_genesis *g, const char *o_type)
{
	unsigned int i;

	for (i = 0; i < g->nr_types; i++)
		if (!strncmp(g->types[i].o_type, o_type, FWGATE_NAME_LEN))
			return i;
	return -1;
}

static int member_index(const struct fwg_genesis *g, const uint8_t *id)
{
	unsigned int i;

	for (i = 0; i < g->nr_members; i++)
		if (!memcmp(g->members[i].key.id, id, FWGATE_ID_LEN))
			return i;
	return -1;
}

/* Records the coverage of update i after block h; several changes in one block make one step. */
static void add_point(struct audit *a, size_t i, const struct fwg_block_hdr *h)
{
	struct update *u = &a->upd[i];
	struct point *p = u->nr_pts ? &u->pts[u->nr_pts - 1] : NULL;

	if (!p || p->height != h->height)
		p = PUSH(u->pts, u->nr_pts, u->cap_pts);
	p->time_ms = h->time_ms;
	p->height = h->height;
	p->acked = u->covered;
	p->fleet = a->fleet[u->type];
}

static int add_devcert(struct audit *a, const struct fwg_block_hdr *h)
{
	const struct fwgate_devcert_stmt *c = &a->tx.s.devcert;
	int type = type_index(a->g, c->o_type), maker = member_index(a->g, c->m_id);
	struct device *d;
	size_t i;

	if (type < 0 || maker < 0)
		return fail(a, "devcert in block %llu: o_type or m_id not in the genesis", (unsigned long long)h->height);
	d = PUSH(a->dev, a->nr_dev, a->cap_dev);
	fwg_sha256(c->pubkey, sizeof(c->pubkey), d->id);
	d->type = type;
	d->maker = maker;
	d->time_ms = h->time_ms;
	d->height = h->height;
	idmap_put(&a->devices, d->id, a->nr_dev - 1);
	a->ms[maker].devices++;
	a->fleet[type]++;
	for (i = 0; i < a->nr_upd; i++)
		if (a->upd[i].type == type)
			add_point(a, i, h);
	return 0;
}

static int add_update(struct audit *a, const struct fwg_block_hdr *h, const uint8_t *tx_id)
{
	const struct fwgate_update_stmt *s = &a->tx.s.update;
	int type = type_index(a->g, s->o_type), maker = member_index(a->g, s->m_id);
	uint8_t d[FWGATE_ID_LEN];
	struct update *u;

	if (type < 0 || maker < 0)
		return fail(a, "update in block %llu: o_type or m_id not in the genesis", (unsigned long long)h->height);
	u = PUSH(a->upd, a->nr_upd, a->cap_upd);
	memcpy(u->tx_id, tx_id, FWGATE_ID_LEN);
	u->s = *s;
	u->type = type;
	u->maker = maker;
	u->time_ms = h->time_ms;
	u->height = h->height;
	u->same_image = idmap_get(&a->uids, s->u_id);
	idmap_put(&a->uids, s->u_id, a->nr_upd - 1);
	/* Verdicts name the exact statement they judge. */
	fwg_sha256(s, sizeof(*s), d);
	idmap_put(&a->stmts, d, a->nr_upd - 1);
	a->ms[maker].updates++;
	add_point(a, a->nr_upd - 1, h);
	return 0;
}

/* The update an ack or nack names: the newest of that image, of that version unless it is 0. */
static long find_update(const struct audit *a, const uint8_t *u_id, __be64 version)
{
	long i = idmap_get(&a->uids, u_id), newest = i;

	while (version && i >= 0 && a->upd[i].s.version != version)
		i = a->upd[i].same_image;
	return i >= 0 ? i : newest;
}

static int add_verdict(struct audit *a, const struct fwg_block_hdr *h)
{
	const struct fwgate_verdict_stmt *s = &a->tx.s.verdict;
	int checker = member_index(a->g, s->checker_id);
	uint8_t d[FWGATE_ID_LEN];
	struct verdict *v;
	long i;

	fwg_sha256(&s->update, sizeof(s->update), d);
	i = idmap_get(&a->stmts, d);
	if (i < 0 || checker < 0)
		return fail(a, "%s in block %llu: update or checker_id not in the chain", fwg_tx_type_name(a->tx.type),
			    (unsigned long long)h->height);
	v = PUSH(a->vd, a->nr_vd, a->cap_vd);
	v->checker = checker;
	v->update = i;
	v->type = a->tx.type;
	memcpy(v->report, s->report, FWGATE_ID_LEN);
	v->time_ms = h->time_ms;
	v->height = h->height;
	if (v->type == FWG_TX_APPROVE) {
		a->upd[i].approvers |= 1ull << checker;
		a->ms[checker].approvals++;
	} else {
		a->upd[i].rejecters |= 1ull << checker;
		a->ms[checker].rejections++;
	}
	return 0;
}

static int add_ack(struct audit *a, const struct fwg_block_hdr *h)
{
	const struct fwgate_ack_stmt *s = &a->tx.s.ack;
	long i = find_update(a, s->u_id, s->version), dv = idmap_get(&a->devices, s->o_id);
	uint8_t pair[FWGATE_ID_LEN] = {};
	uint32_t key[2];

	if (i < 0 || dv < 0)
		return fail(a, "ack in block %llu: u_id or o_id not in the chain", (unsigned long long)h->height);
	a->upd[i].acks++;
	a->dev[dv].acks++;
	key[0] = i;
	key[1] = dv;
	memcpy(pair, key, sizeof(key));
	if (idmap_get(&a->acked, pair) >= 0)
		return 0;
	idmap_put(&a->acked, pair, 0);
	a->upd[i].acked++;
	if (a->dev[dv].type == a->upd[i].type) {
		a->upd[i].covered++;
		add_point(a, i, h);
	}
	return 0;
}

static int add_nack(struct audit *a, const struct fwg_block_hdr *h)
{
	const struct fwgate_nack_stmt *s = &a->tx.s.nack;
	long i = find_update(a, s->u_id, 0), dv = idmap_get(&a->devices, s->o_id);
	struct nack *n;

	if (i < 0 || dv < 0)
		return fail(a, "nack in block %llu: u_id or o_id not in the chain", (unsigned long long)h->height);
	n = PUSH(a->nk, a->nr_nk, a->cap_nk);
	n->device = dv;
	n->update = i;
	memcpy(n->culprit, s->culprit_id, FWGATE_ID_LEN);
	n->culprit_member = member_index(a->g, s->culprit_id);
	n->culprit_device = idmap_get(&a->devices, s->culprit_id);
	n->reason = be32toh(s->reason);
	n->time_ms = h->time_ms;
	n->height = h->height;
	if (n->culprit_member >= 0)
		a->ms[n->culprit_member].blamed++;
	else if (n->culprit_device >= 0)
		a->dev[n->culprit_device].blamed++;
	else
		a->nacks_unknown++;
	a->dev[dv].nacks++;
	a->upd[i].nacks++;
	return 0;
}

static int add_tx(struct audit *a, const struct fwg_block_hdr *h, const uint8_t *tx_id)
{
	if (a->tx.type == FWG_TX_GENESIS) {
		a->g = fwg_state_genesis(a->st);
		return 0;
	}
	if (!a->g)
		return fail(a, "block %llu: a transaction before the genesis", (unsigned long long)h->height);
	switch (a->tx.type) {
	case FWG_TX_DEVCERT:
		return add_devcert(a, h);
	case FWG_TX_UPDATE:
		return add_update(a, h, tx_id);
	case FWG_TX_APPROVE:
	case FWG_TX_REJECT:
		return add_verdict(a, h);
	case FWG_TX_ACK:
		return add_ack(a, h);
	case FWG_TX_NACK:
		return add_nack(a, h);
	case FWG_TX_POLICY:
	case FWG_TX_ROTATE:
	case FWG_TX_REVOKE:
	case FWG_TX_MEMBER:
	case FWG_TX_CONTROL:
	case FWG_TX_ROLLOUT:
	case FWG_TX_ADVANCE:
		return fwg_trust_audit_tx(a->trust, a->st, &a->tx, h);
	}
	return 0;
}

/* fwg_node_follow()'s callback: the block has verified and its transactions are in a->st already. */
static int add_block(const uint8_t *buf, size_t len, void *arg)
{
	struct audit *a = arg;
	struct fwg_block b;
	uint32_t i;
	int ret = 0;

	if (fwg_block_decode(buf, len, &b, a->err))
		return -1;
	a->last_ms = b.hdr.time_ms;
	a->nr_tx += b.hdr.nr_tx;
	for (i = 0; i < b.hdr.nr_tx && !ret; i++) {
		if (fwg_tx_decode(b.tx[i], b.tx_len[i], &a->tx, a->err)) {
			ret = -1;
			break;
		}
		ret = add_tx(a, &b.hdr, b.tx_id[i]);
		if (!ret && fwg_inv_add(a->inv, &a->tx, b.hdr.height))
			ret = fail(a, "out of memory");
		fwg_tx_release(&a->tx);
	}
	fwg_block_release(&b);
	return ret;
}

static void audit_free(struct audit *a)
{
	size_t i;

	for (i = 0; i < a->nr_upd; i++)
		free(a->upd[i].pts);
	free(a->upd);
	free(a->dev);
	free(a->vd);
	free(a->nk);
	free(a->devices.e);
	free(a->uids.e);
	free(a->stmts.e);
	free(a->acked.e);
	fwg_trust_audit_free(a->trust);
	if (a->st)
		fwg_state_free(a->st);
	fwg_inv_free(a->inv);
	free(a);
}

/* ------------------------------------------------------------------ names and numbers */

static const char *status(const struct audit *a, const struct update *u)
{
	const struct fwg_type_policy *tp = &a->g->types[u->type];

	if (__builtin_popcountll(u->approvers) >= tp->q)
		return "approved";
	/* Too many rejections for q approvals ever to come. */
	if (__builtin_popcountll(u->rejecters) > tp->k - tp->q)
		return "rejected";
	return "pending";
}

static double ratio(unsigned int n, unsigned int d)
{
	return d ? (double)n / d : 0.0;
}

static const char *hex(const uint8_t *id, char out[HEX_LEN])
{
	fwg_hex(id, FWGATE_ID_LEN, out);
	return out;
}

static const char *short_hex(const uint8_t *id, char out[HEX_LEN])
{
	fwg_hex(id, FWGATE_ID_LEN, out);
	out[SHORT_HEX] = '\0';
	return out;
}

/* The checkers named by a bit set, "c1,c3", or "-". */
static const char *names(const struct audit *a, uint64_t set, char *out, size_t len)
{
	unsigned int i;
	size_t n = 0;

	out[0] = '\0';
	for (i = 0; i < a->g->nr_members && n < len; i++)
		if (set & (1ull << i))
			n += snprintf(out + n, len - n, "%s%s", n ? "," : "", a->g->members[i].name);
	return n ? out : "-";
}

static const char *culprit_name(const struct audit *a, const struct nack *n, char out[HEX_LEN + 16])
{
	char h[HEX_LEN];

	if (n->culprit_member >= 0)
		snprintf(out, HEX_LEN + 16, "%s", a->g->members[n->culprit_member].name);
	else if (n->culprit_device >= 0)
		snprintf(out, HEX_LEN + 16, "device %s", short_hex(n->culprit, h));
	else
		snprintf(out, HEX_LEN + 16, "unknown %s", short_hex(n->culprit, h));
	return out;
}

static const char *role_name(unsigned int role)
{
	return role == FWG_ROLE_MANUFACTURER ? "manufacturer" : role == FWG_ROLE_CHECKER ? "checker" : "operator";
}

/* ------------------------------------------------------------------ the tables (chain/grid.c) */

enum {
	G_UPDATES,
	G_COVERAGE,
	G_MANUFACTURERS,
	G_DEVICES,
	G_NACKS,
	G_CHECKERS,
	G_VERDICTS,
	G_INVENTORY,
	G_ROLLOUTS,
	G_POLICIES,		/* G_POLICIES to G_CONTROLS: chain/trust_audit.c, in its order */
	G_REVOCATIONS,
	G_MEMBERSHIP,
	G_CONTROLS,
	NR_GRIDS
};

_Static_assert(G_CONTROLS - G_POLICIES + 1 == FWG_TRUST_GRIDS, "the trust tables follow the others");

static void grid_row(const struct fwg_inv_row *row, void *arg)
{
	struct fwg_grid *t = arg;
	char h[HEX_LEN];

	fwg_grid_cell(t, "%s", short_hex(row->o_id, h));
	fwg_grid_cell(t, "%.31s", row->o_type);
	fwg_grid_cell(t, "%.31s", row->target);
	if (row->version)
		fwg_grid_cell(t, "%llu", (unsigned long long)row->version);
	else
		fwg_grid_cell(t, "-");
	fwg_grid_cell(t, "%llu", (unsigned long long)row->since);
	fwg_grid_cell(t, "%s", row->state);
}

static void outcome_cells(struct fwg_grid *t, const struct fwg_coverage *c)
{
	fwg_grid_cell(t, "%u", c->fleet);
	fwg_grid_cell(t, "%u", c->n[FWG_OUT_RUNNING]);
	fwg_grid_cell(t, "%u", c->n[FWG_OUT_INSTALLED]);
	fwg_grid_cell(t, "%u", c->n[FWG_OUT_FELL_BACK]);
	fwg_grid_cell(t, "%u", c->n[FWG_OUT_REFUSED]);
}

/* Per device and target group, the version it runs since which block; per update and stage, the outcomes. */
static void make_inventory_grids(const struct audit *a, struct fwg_grid *t)
{
	const struct fwg_rollouts *rs = fwg_inv_rollouts(a->inv);
	const struct fwg_rollout *r;
	struct fwg_coverage c;
	char h[HEX_LEN];
	unsigned int s, n;
	size_t j;

	fwg_grid_init(&t[G_INVENTORY], "inventory", "Inventory", "O_id", "type", "target", "version", "since block",
		  "state", NULL);
	fwg_inv_rows(a->inv, grid_row, &t[G_INVENTORY]);
	fwg_grid_init(&t[G_ROLLOUTS], "rollouts", "Coverage by outcome and stage", "U_id", "version", "stage", "share",
		  "open", "devices", "running", "installed", "fell back", "refused", NULL);
	for (j = 0; j < a->nr_upd; j++) {
		const struct update *u = &a->upd[j];
		int open;

		if (a->upd[j].same_image >= 0 || fwg_inv_coverage(a->inv, u->s.u_id, -1, &c))
			continue;
		r = fwg_rollouts_find(rs, u->s.u_id);
		n = r && r->has_plan ? be32toh(r->plan.stages) : 0;
		open = n ? fwg_rollout_open_through(r, a->last_ms / 1000) : -1;
		fwg_grid_cell(&t[G_ROLLOUTS], "%s", short_hex(u->s.u_id, h));
		fwg_grid_cell(&t[G_ROLLOUTS], "%llu", (unsigned long long)be64toh(u->s.version));
		fwg_grid_cell(&t[G_ROLLOUTS], "all");
		fwg_grid_cell(&t[G_ROLLOUTS], "%s", n ? "100%" : "no plan");
		fwg_grid_cell(&t[G_ROLLOUTS], "%s", r && r->withdrawn ? "withdrawn" : r && r->has_control && r->paused ?
			  "paused" : n ? "-" : "yes");
		outcome_cells(&t[G_ROLLOUTS], &c);
		for (s = 0; s < n; s++) {
			fwg_inv_coverage(a->inv, u->s.u_id, s, &c);
			fwg_grid_cell(&t[G_ROLLOUTS], "%s", short_hex(u->s.u_id, h));
			fwg_grid_cell(&t[G_ROLLOUTS], "%llu", (unsigned long long)be64toh(u->s.version));
			fwg_grid_cell(&t[G_ROLLOUTS], "%u", s);
			fwg_grid_cell(&t[G_ROLLOUTS], "%u.%02u%%", be32toh(r->plan.stage[s].share) / 100,
				  be32toh(r->plan.stage[s].share) % 100);
			fwg_grid_cell(&t[G_ROLLOUTS], "%s", (int)s <= open ? "yes" : "no");
			outcome_cells(&t[G_ROLLOUTS], &c);
		}
	}
}

static void make_grids(const struct audit *a, struct fwg_grid *t)
{
	static const uint8_t no_report[FWGATE_ID_LEN];
	char h[HEX_LEN], h2[HEX_LEN], when[32], who[HEX_LEN + 16];
	char ok[FWG_MAX_MEMBERS * FWGATE_NAME_LEN], ko[FWG_MAX_MEMBERS * FWGATE_NAME_LEN];
	const struct update *u;
	const struct device *d;
	const struct point *p;
	const struct nack *n;
	const struct verdict *v;
	unsigned int i;
	size_t j;

	fwg_grid_init(&t[G_UPDATES], "updates", "Updates", "U_id", "version", "manufacturer", "type", "target", "block",
		  "status", "approved by", "rejected by", "acks", "devices", "nacks", "coverage", NULL);
	for (j = 0; j < a->nr_upd; j++) {
		u = &a->upd[j];
		fwg_grid_cell(&t[G_UPDATES], "%s", short_hex(u->s.u_id, h));
		fwg_grid_cell(&t[G_UPDATES], "%llu", (unsigned long long)be64toh(u->s.version));
		fwg_grid_cell(&t[G_UPDATES], "%s", a->g->members[u->maker].name);
		fwg_grid_cell(&t[G_UPDATES], "%.31s", u->s.o_type);
		fwg_grid_cell(&t[G_UPDATES], "%.31s", u->s.target);
		fwg_grid_cell(&t[G_UPDATES], "%llu", (unsigned long long)u->height);
		fwg_grid_cell(&t[G_UPDATES], "%s", status(a, u));
		fwg_grid_cell(&t[G_UPDATES], "%s", names(a, u->approvers, ok, sizeof(ok)));
		fwg_grid_cell(&t[G_UPDATES], "%s", names(a, u->rejecters, ko, sizeof(ko)));
		fwg_grid_cell(&t[G_UPDATES], "%u", u->acks);
		fwg_grid_cell(&t[G_UPDATES], "%u", u->acked);
		fwg_grid_cell(&t[G_UPDATES], "%u", u->nacks);
		fwg_grid_cell(&t[G_UPDATES], "%u/%u (%.0f%%)", u->covered, a->fleet[u->type],
			  100 * ratio(u->covered, a->fleet[u->type]));
	}

	fwg_grid_init(&t[G_COVERAGE], "coverage", "Fleet coverage over time", "U_id", "version", "time", "block",
		  "acked", "fleet", "coverage", NULL);
	for (j = 0; j < a->nr_upd; j++) {
		u = &a->upd[j];
		for (p = u->pts; p < u->pts + u->nr_pts; p++) {
			fwg_grid_cell(&t[G_COVERAGE], "%s", short_hex(u->s.u_id, h));
			fwg_grid_cell(&t[G_COVERAGE], "%llu", (unsigned long long)be64toh(u->s.version));
			fwg_grid_cell(&t[G_COVERAGE], "%s", fwg_grid_time(p->time_ms, when));
			fwg_grid_cell(&t[G_COVERAGE], "%llu", (unsigned long long)p->height);
			fwg_grid_cell(&t[G_COVERAGE], "%u", p->acked);
			fwg_grid_cell(&t[G_COVERAGE], "%u", p->fleet);
			fwg_grid_cell(&t[G_COVERAGE], "%.0f%%", 100 * ratio(p->acked, p->fleet));
		}
	}

	fwg_grid_init(&t[G_MANUFACTURERS], "manufacturers", "Manufacturers", "name", "id", "updates", "devices",
		  "nacks naming it", NULL);
	fwg_grid_init(&t[G_CHECKERS], "checkers", "Checkers", "name", "id", "approvals", "rejections",
		  "nacks naming it", NULL);
	for (i = 0; i < a->g->nr_members; i++) {
		const struct fwg_member *m = &a->g->members[i];
		struct fwg_grid *g = m->role == FWG_ROLE_MANUFACTURER ? &t[G_MANUFACTURERS] :
				 m->role == FWG_ROLE_CHECKER ? &t[G_CHECKERS] : NULL;

		if (!g)
			continue;
		fwg_grid_cell(g, "%s", m->name);
		fwg_grid_cell(g, "%s", short_hex(m->key.id, h));
		if (m->role == FWG_ROLE_MANUFACTURER) {
			fwg_grid_cell(g, "%u", a->ms[i].updates);
			fwg_grid_cell(g, "%u", a->ms[i].devices);
		} else {
			fwg_grid_cell(g, "%u", a->ms[i].approvals);
			fwg_grid_cell(g, "%u", a->ms[i].rejections);
		}
		fwg_grid_cell(g, "%u", a->ms[i].blamed);
	}

	fwg_grid_init(&t[G_DEVICES], "devices", "Devices", "O_id", "type", "manufacturer", "certified", "acks",
		  "nacks sent", "nacks naming it", NULL);
	for (d = a->dev; d < a->dev + a->nr_dev; d++) {
		fwg_grid_cell(&t[G_DEVICES], "%s", short_hex(d->id, h));
		fwg_grid_cell(&t[G_DEVICES], "%s", a->g->types[d->type].o_type);
		fwg_grid_cell(&t[G_DEVICES], "%s", a->g->members[d->maker].name);
		fwg_grid_cell(&t[G_DEVICES], "%s", fwg_grid_time(d->time_ms, when));
		fwg_grid_cell(&t[G_DEVICES], "%u", d->acks);
		fwg_grid_cell(&t[G_DEVICES], "%u", d->nacks);
		fwg_grid_cell(&t[G_DEVICES], "%u", d->blamed);
	}

	fwg_grid_init(&t[G_NACKS], "nacks", "Negative acks", "time", "block", "by device", "U_id", "culprit", "reason",
		  NULL);
	for (n = a->nk; n < a->nk + a->nr_nk; n++) {
		fwg_grid_cell(&t[G_NACKS], "%s", fwg_grid_time(n->time_ms, when));
		fwg_grid_cell(&t[G_NACKS], "%llu", (unsigned long long)n->height);
		fwg_grid_cell(&t[G_NACKS], "%s", short_hex(a->dev[n->device].id, h));
		fwg_grid_cell(&t[G_NACKS], "%s", short_hex(a->upd[n->update].s.u_id, h2));
		fwg_grid_cell(&t[G_NACKS], "%s", culprit_name(a, n, who));
		fwg_grid_cell(&t[G_NACKS], "%s", fwg_nack_reason_name(n->reason));
	}

	fwg_grid_init(&t[G_VERDICTS], "verdicts", "Verdict history", "checker", "time", "block", "verdict", "U_id",
		  "version", "report", NULL);
	for (i = 0; i < a->g->nr_members; i++)
		for (v = a->vd; v < a->vd + a->nr_vd; v++) {
			if (v->checker != (int)i)
				continue;
			fwg_grid_cell(&t[G_VERDICTS], "%s", a->g->members[i].name);
			fwg_grid_cell(&t[G_VERDICTS], "%s", fwg_grid_time(v->time_ms, when));
			fwg_grid_cell(&t[G_VERDICTS], "%llu", (unsigned long long)v->height);
			fwg_grid_cell(&t[G_VERDICTS], "%s", fwg_tx_type_name(v->type));
			fwg_grid_cell(&t[G_VERDICTS], "%s", short_hex(a->upd[v->update].s.u_id, h));
			fwg_grid_cell(&t[G_VERDICTS], "%llu", (unsigned long long)be64toh(a->upd[v->update].s.version));
			fwg_grid_cell(&t[G_VERDICTS], "%s", memcmp(v->report, no_report, FWGATE_ID_LEN) ?
				  short_hex(v->report, h2) : "-");
		}
	make_inventory_grids(a, t);
	fwg_trust_audit_grids(a->trust, &t[G_POLICIES]);
}

static void print_text(FILE *f, const struct audit *a, const struct fwg_grid *t)
{
	char h[HEX_LEN];
	unsigned int i;

	fprintf(f, "fwgate audit of \"%s\": %llu blocks, %llu transactions, head %s\n", a->g->name,
		(unsigned long long)fwg_state_height(a->st), (unsigned long long)a->nr_tx, hex(fwg_state_tip(a->st), h));
	fprintf(f, "%zu updates, %zu verdicts, %zu devices, %zu nacks (%u naming neither a member nor a device)\n",
		a->nr_upd, a->nr_vd, a->nr_dev, a->nr_nk, a->nacks_unknown);
	for (i = 0; i < NR_GRIDS; i++)
		fwg_grid_text(f, &t[i]);
}

/* ------------------------------------------------------------------ JSON */

static void jadd(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *jnames(const struct audit *a, uint64_t set)
{
	struct json_object *arr = json_object_new_array();
	unsigned int i;

	for (i = 0; i < a->g->nr_members; i++)
		if (set & (1ull << i))
			json_object_array_add(arr, json_object_new_string(a->g->members[i].name));
	return arr;
}

/* Coverage by outcome (installed, running, fell back, refused), and per stage when the update has a plan. */
static void json_outcomes(const struct audit *a, const struct update *u, struct json_object *o)
{
	const struct fwg_rollout *r = fwg_rollouts_find(fwg_inv_rollouts(a->inv), u->s.u_id);
	struct fwg_coverage c;

	if (fwg_inv_coverage(a->inv, u->s.u_id, -1, &c))
		return;
	jadd(o, "outcomes", fwg_coverage_json(&c));
	if (r && r->has_plan)
		jadd(o, "rollout", fwg_rollout_json(a->inv, r, a->last_ms / 1000));
}

static void json_row(const struct fwg_inv_row *row, void *arg)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "o_id", fwg_cmd_json_id(row->o_id));
	jadd(o, "o_type", json_object_new_string_len(row->o_type, strnlen(row->o_type, FWGATE_NAME_LEN)));
	jadd(o, "target", json_object_new_string_len(row->target, strnlen(row->target, FWGATE_NAME_LEN)));
	jadd(o, "version", json_object_new_int64(row->version));
	jadd(o, "u_id", fwg_cmd_json_id(row->u_id));
	jadd(o, "since", json_object_new_int64(row->since));
	jadd(o, "state", json_object_new_string(row->state));
	json_object_array_add(arg, o);
}

static struct json_object *json_update(const struct audit *a, const struct update *u)
{
	const struct fwg_type_policy *tp = &a->g->types[u->type];
	struct json_object *o = json_object_new_object(), *pts = json_object_new_array(), *p;
	size_t i;

	jadd(o, "u_id", fwg_cmd_json_id(u->s.u_id));
	jadd(o, "tx_id", fwg_cmd_json_id(u->tx_id));
	jadd(o, "version", json_object_new_int64(be64toh(u->s.version)));
	jadd(o, "size", json_object_new_int64(be64toh(u->s.size)));
	jadd(o, "manufacturer", json_object_new_string(a->g->members[u->maker].name));
	jadd(o, "o_type", json_object_new_string_len(u->s.o_type, strnlen(u->s.o_type, FWGATE_NAME_LEN)));
	jadd(o, "target", json_object_new_string_len(u->s.target, strnlen(u->s.target, FWGATE_NAME_LEN)));
	jadd(o, "height", json_object_new_int64(u->height));
	jadd(o, "time_ms", json_object_new_int64(u->time_ms));
	jadd(o, "k", json_object_new_int(tp->k));
	jadd(o, "q", json_object_new_int(tp->q));
	jadd(o, "status", json_object_new_string(status(a, u)));
	jadd(o, "approved_by", jnames(a, u->approvers));
	jadd(o, "rejected_by", jnames(a, u->rejecters));
	jadd(o, "acks", json_object_new_int64(u->acks));
	jadd(o, "acked_devices", json_object_new_int64(u->acked));
	jadd(o, "nacks", json_object_new_int64(u->nacks));
	jadd(o, "covered_devices", json_object_new_int64(u->covered));
	jadd(o, "fleet", json_object_new_int64(a->fleet[u->type]));
	jadd(o, "coverage", json_object_new_double(ratio(u->covered, a->fleet[u->type])));
	for (i = 0; i < u->nr_pts; i++) {
		p = json_object_new_object();
		jadd(p, "time_ms", json_object_new_int64(u->pts[i].time_ms));
		jadd(p, "height", json_object_new_int64(u->pts[i].height));
		jadd(p, "acked", json_object_new_int64(u->pts[i].acked));
		jadd(p, "fleet", json_object_new_int64(u->pts[i].fleet));
		jadd(p, "coverage", json_object_new_double(ratio(u->pts[i].acked, u->pts[i].fleet)));
		json_object_array_add(pts, p);
	}
	jadd(o, "coverage_series", pts);
	json_outcomes(a, u, o);
	return o;
}

static struct json_object *json_nack(const struct audit *a, const struct nack *n)
{
	struct json_object *o = json_object_new_object();
	char who[HEX_LEN + 16];

	jadd(o, "time_ms", json_object_new_int64(n->time_ms));
	jadd(o, "height", json_object_new_int64(n->height));
	jadd(o, "by", fwg_cmd_json_id(a->dev[n->device].id));
	jadd(o, "u_id", fwg_cmd_json_id(a->upd[n->update].s.u_id));
	jadd(o, "culprit_id", fwg_cmd_json_id(n->culprit));
	jadd(o, "culprit", json_object_new_string(culprit_name(a, n, who)));
	jadd(o, "reason", json_object_new_string(fwg_nack_reason_name(n->reason)));
	return o;
}

static struct json_object *json_device(const struct audit *a, size_t i)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	const struct device *d = &a->dev[i];
	const struct nack *n;

	jadd(o, "o_id", fwg_cmd_json_id(d->id));
	jadd(o, "o_type", json_object_new_string(a->g->types[d->type].o_type));
	jadd(o, "manufacturer", json_object_new_string(a->g->members[d->maker].name));
	jadd(o, "height", json_object_new_int64(d->height));
	jadd(o, "time_ms", json_object_new_int64(d->time_ms));
	jadd(o, "acks", json_object_new_int64(d->acks));
	jadd(o, "nacks_sent", json_object_new_int64(d->nacks));
	jadd(o, "nacks_naming_it", json_object_new_int64(d->blamed));
	for (n = a->nk; n < a->nk + a->nr_nk; n++)
		if (n->culprit_device == (long)i)
			json_object_array_add(arr, json_nack(a, n));
	jadd(o, "nacks_by_peers", arr);
	return o;
}

static struct json_object *json_member(const struct audit *a, unsigned int i)
{
	const struct fwg_member *m = &a->g->members[i];
	struct json_object *o = json_object_new_object(), *arr, *e;
	const struct verdict *v;

	jadd(o, "name", json_object_new_string(m->name));
	jadd(o, "id", fwg_cmd_json_id(m->key.id));
	jadd(o, "nacks_naming_it", json_object_new_int64(a->ms[i].blamed));
	if (m->role == FWG_ROLE_MANUFACTURER) {
		jadd(o, "updates", json_object_new_int64(a->ms[i].updates));
		jadd(o, "devices", json_object_new_int64(a->ms[i].devices));
		return o;
	}
	jadd(o, "approvals", json_object_new_int64(a->ms[i].approvals));
	jadd(o, "rejections", json_object_new_int64(a->ms[i].rejections));
	arr = json_object_new_array();
	for (v = a->vd; v < a->vd + a->nr_vd; v++) {
		if (v->checker != (int)i)
			continue;
		e = json_object_new_object();
		jadd(e, "time_ms", json_object_new_int64(v->time_ms));
		jadd(e, "height", json_object_new_int64(v->height));
		jadd(e, "verdict", json_object_new_string(fwg_tx_type_name(v->type)));
		jadd(e, "u_id", fwg_cmd_json_id(a->upd[v->update].s.u_id));
		jadd(e, "version", json_object_new_int64(be64toh(a->upd[v->update].s.version)));
		jadd(e, "report", fwg_cmd_json_id(v->report));
		json_object_array_add(arr, e);
	}
	jadd(o, "verdicts", arr);
	return o;
}

static void print_json(FILE *f, const struct audit *a)
{
	struct json_object *o = json_object_new_object(), *upd = json_object_new_array(),
			   *mfr = json_object_new_array(), *chk = json_object_new_array(),
			   *dev = json_object_new_array(), *nk = json_object_new_array(), *mem = json_object_new_array(),
			   *e;
	unsigned int i;
	size_t j;

	jadd(o, "consortium", json_object_new_string(a->g->name));
	jadd(o, "blocks", json_object_new_int64(fwg_state_height(a->st)));
	jadd(o, "transactions", json_object_new_int64(a->nr_tx));
	jadd(o, "head", fwg_cmd_json_id(fwg_state_tip(a->st)));
	jadd(o, "head_time_ms", json_object_new_int64(a->last_ms));
	for (i = 0; i < a->g->nr_members; i++) {
		e = json_object_new_object();
		jadd(e, "name", json_object_new_string(a->g->members[i].name));
		jadd(e, "role", json_object_new_string(role_name(a->g->members[i].role)));
		jadd(e, "id", fwg_cmd_json_id(a->g->members[i].key.id));
		jadd(e, "current", json_object_new_boolean(fwg_state_member_active(a->st, i)));
		json_object_array_add(mem, e);
		if (a->g->members[i].role == FWG_ROLE_MANUFACTURER)
			json_object_array_add(mfr, json_member(a, i));
		else if (a->g->members[i].role == FWG_ROLE_CHECKER)
			json_object_array_add(chk, json_member(a, i));
	}
	jadd(o, "members", mem);
	for (j = 0; j < a->nr_upd; j++)
		json_object_array_add(upd, json_update(a, &a->upd[j]));
	jadd(o, "updates", upd);
	jadd(o, "manufacturers", mfr);
	for (j = 0; j < a->nr_dev; j++)
		json_object_array_add(dev, json_device(a, j));
	jadd(o, "devices", dev);
	jadd(o, "checkers", chk);
	for (j = 0; j < a->nr_nk; j++)
		json_object_array_add(nk, json_nack(a, &a->nk[j]));
	jadd(o, "nacks", nk);
	jadd(o, "nacks_naming_unknown", json_object_new_int64(a->nacks_unknown));
	fwg_trust_audit_json(o, a->trust);
	e = json_object_new_array();
	fwg_inv_rows(a->inv, json_row, e);
	jadd(o, "inventory", e);
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* ------------------------------------------------------------------ HTML with inline SVG */

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
};

#define PALETTE_LEN	(sizeof(palette) / sizeof(palette[0]))

static const char css[] =
	"body{font:14px/1.4 sans-serif;margin:1em;color:#222;max-width:1500px}"
	"h1{font-size:1.5em;margin:.2em 0}h2{margin-top:1.5em;border-bottom:1px solid #ccc}"
	".scroll{overflow-x:auto;max-width:100%}"
	"table{border-collapse:collapse;margin:.5em 0;width:100%}"
	"th,td{border:1px solid #ccc;padding:2px 5px;text-align:left;vertical-align:top;"
	"font-variant-numeric:tabular-nums}"
	"th{background:#f0f0f0;font-size:12px}td{font:12px monospace;white-space:nowrap}"
	"tbody tr:nth-child(even){background:#fafafa}"
	".st-approved,.st-approve,.st-installed{background:#e3f4e6;color:#0b6b2b;font-weight:bold}"
	".st-rejected,.st-reject,.st-failed{background:#fbe4e2;color:#a50e0e;font-weight:bold}"
	".st-pending{background:#fdf4d8;color:#7a5a00;font-weight:bold}"
	"td.st-digest-mismatch,td.st-bad-signature,td.st-refused,td.st-rollback,td.st-unspecified,td.st-withdrawn,"
	"td.st-withdraw{background:#fbe4e2;color:#a50e0e}"
	"td.st-health,td.st-boot,td.st-pause{background:#fdf4d8;color:#7a5a00}"
	"td.st-resume,td.st-advance,td.st-plan{background:#e3f4e6;color:#0b6b2b}"
	".cards{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0}"
	".card{border:1px solid #ccc;border-radius:4px;padding:.3em .8em;background:#fafafa;min-width:6em}"
	".card b{display:block;font-size:1.5em}"
	"details.page{margin:.3em 0}details.page summary{cursor:pointer;color:#0b4a8b}"
	"svg{display:block;margin:1em 0;background:#fafafa;border:1px solid #ddd;max-width:100%;height:auto}"
	"svg text{font:11px sans-serif;fill:#333}svg .axis{stroke:#888}"
	"svg polyline{fill:none;stroke-width:2}.bar.approve{fill:#2ca02c}.bar.reject{fill:#d62728}";

/* Coverage over time: one step polyline per update, from its block to the head, x by block time. */
static void svg_coverage(FILE *f, const struct audit *a)
{
	const double w = 760, h = 280, l = 50, r = 200, top = 15, b = 35, pw = w - l - r, ph = h - top - b;
	uint64_t t0 = a->nr_upd ? a->upd[0].time_ms : a->last_ms, t1 = a->last_ms > t0 ? a->last_ms : t0 + 1;
	char when[32], hx[HEX_LEN];
	const struct update *u;
	double x, y, prev;
	size_t i, j;

#define X(t) (l + pw * (double)((t) - t0) / (double)(t1 - t0))
#define Y(r) (top + ph * (1 - (r)))
	fprintf(f, "<svg class=\"chart coverage\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\">\n<title>Fleet coverage over time, per update</title>\n", w, h, w, h);
	fprintf(f, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", l, top, l, top + ph);
	fprintf(f, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", l, top + ph, l + pw,
		top + ph);
	for (i = 0; i <= 4; i++)
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%zu%%</text>\n", l - 6, Y(i / 4.0) + 4,
			25 * i);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", l, h - 10, fwg_grid_time(t0, when));
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n", l + pw, h - 10,
		fwg_grid_time(t1, when));
	for (i = 0; i < a->nr_upd; i++) {
		u = &a->upd[i];
		fprintf(f, "<polyline class=\"coverage-line\" stroke=\"%s\" points=\"", palette[i % PALETTE_LEN]);
		prev = Y(0);
		for (j = 0; j < u->nr_pts; j++) {
			x = X(u->pts[j].time_ms);
			y = Y(ratio(u->pts[j].acked, u->pts[j].fleet));
			if (j)
				fprintf(f, " %.1f,%.1f", x, prev);
			fprintf(f, "%s%.1f,%.1f", j ? " " : "", x, y);
			prev = y;
		}
		fprintf(f, " %.1f,%.1f\"><title>%s version %llu</title></polyline>\n", X(t1), prev,
			short_hex(u->s.u_id, hx), (unsigned long long)be64toh(u->s.version));
		fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"3\"/>"
			"<text x=\"%.0f\" y=\"%.0f\">%s v%llu</text>\n", l + pw + 12, top + 8 + 16.0 * i, l + pw + 30,
			top + 8 + 16.0 * i, palette[i % PALETTE_LEN], l + pw + 36, top + 12 + 16.0 * i, hx,
			(unsigned long long)be64toh(u->s.version));
	}
	fputs("</svg>\n", f);
#undef X
#undef Y
}

/* Verdicts per checker: an approvals bar and a rejections bar for each. */
static void svg_verdicts(FILE *f, const struct audit *a)
{
	const double h = 240, top = 20, b = 40, ph = h - top - b, bw = 28, gap = 40;
	unsigned int i, nr = 0, max = 1, c;
	double x, w, bh;

	for (i = 0; i < a->g->nr_members; i++) {
		if (a->g->members[i].role != FWG_ROLE_CHECKER)
			continue;
		nr++;
		if (a->ms[i].approvals > max)
			max = a->ms[i].approvals;
		if (a->ms[i].rejections > max)
			max = a->ms[i].rejections;
	}
	w = 150 + nr * (2 * bw + gap);
	fprintf(f, "<svg class=\"chart verdicts\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\">\n<title>Verdicts per checker: approvals and rejections</title>\n", w, h, w, h);
	fprintf(f, "<line class=\"axis\" x1=\"20\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", top + ph, w - 130,
		top + ph);
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"#2ca02c\"/>"
		"<text x=\"%.0f\" y=\"%.0f\">approvals</text>\n", w - 110, top, w - 92, top + 10);
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"#d62728\"/>"
		"<text x=\"%.0f\" y=\"%.0f\">rejections</text>\n", w - 110, top + 18, w - 92, top + 28);
	x = 20 + gap / 2;
	for (i = 0; i < a->g->nr_members; i++) {
		const char *name = a->g->members[i].name;

		if (a->g->members[i].role != FWG_ROLE_CHECKER)
			continue;
		for (c = 0; c < 2; c++) {
			unsigned int n = c ? a->ms[i].rejections : a->ms[i].approvals;

			bh = ph * n / max;
			fprintf(f, "<rect class=\"bar %s\" x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\">"
				"<title>", c ? "reject" : "approve", x + c * bw, top + ph - bh, bw - 2, bh);
			fwg_html_text(f, name);
			fprintf(f, ": %u %s</title></rect>\n<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\">%u</text>\n",
				n, c ? "rejections" : "approvals", x + c * bw + bw / 2 - 1, top + ph - bh - 4, n);
		}
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", x + bw, top + ph + 16);
		fwg_html_text(f, name);
		fputs("</text>\n", f);
		x += 2 * bw + gap;
	}
	fputs("</svg>\n", f);
}

/* The summary first: counts, and the updates by status, coloured as in the tables. */
static void summary_html(FILE *f, const struct audit *a)
{
	static const char *const states[] = { "approved", "pending", "rejected" };
	size_t by[3] = {}, j, k;
	char h[HEX_LEN];

	for (j = 0; j < a->nr_upd; j++)
		for (k = 0; k < 3; k++)
			if (!strcmp(status(a, &a->upd[j]), states[k]))
				by[k]++;
	fprintf(f, "<p class=\"summary\">%llu blocks, %llu transactions, head <code>%s</code>. "
		"%zu updates, %zu verdicts, %zu devices, %zu negative acks.</p>\n<div class=\"cards\">\n",
		(unsigned long long)fwg_state_height(a->st), (unsigned long long)a->nr_tx,
		hex(fwg_state_tip(a->st), h), a->nr_upd, a->nr_vd, a->nr_dev, a->nr_nk);
	fprintf(f, "<div class=\"card\"><b>%zu</b>updates</div>\n", a->nr_upd);
	for (k = 0; k < 3; k++)
		fprintf(f, "<div class=\"card st-%s\"><b>%zu</b>%s</div>\n", states[k], by[k], states[k]);
	fprintf(f, "<div class=\"card\"><b>%zu</b>devices</div>\n<div class=\"card%s\"><b>%zu</b>negative acks</div>\n"
		"<div class=\"card\"><b>%zu</b>verdicts</div>\n</div>\n", a->nr_dev, a->nr_nk ? " st-rejected" : "",
		a->nr_nk, a->nr_vd);
}

static void print_html(FILE *f, const struct audit *a, const struct fwg_grid *t)
{
	static const struct {
		const char *id, *title;
		unsigned int grids[3];
		void (*chart)(FILE *f, const struct audit *a);
	} sections[] = {
		{ "s-updates", "Updates", { G_UPDATES, G_COVERAGE, NR_GRIDS }, svg_coverage },
		{ "s-manufacturers", "Manufacturers", { G_MANUFACTURERS, NR_GRIDS }, NULL },
		{ "s-devices", "Devices", { G_DEVICES, G_NACKS, NR_GRIDS }, NULL },
		{ "s-checkers", "Checkers", { G_CHECKERS, G_VERDICTS, NR_GRIDS }, svg_verdicts },
		{ "s-inventory", "Inventory and rollouts", { G_INVENTORY, G_ROLLOUTS, G_CONTROLS }, NULL },
		{ "s-trust", "Trust: policies, revocations, membership", { G_POLICIES, G_REVOCATIONS, G_MEMBERSHIP },
		  NULL },
	};
	unsigned int i, j;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>fwgate audit: ", f);
	fwg_html_text(f, a->g->name);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>fwgate audit: ", css);
	fwg_html_text(f, a->g->name);
	fputs("</h1>\n", f);
	summary_html(f, a);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		fprintf(f, "<section id=\"%s\">\n<h2>%s</h2>\n", sections[i].id, sections[i].title);
		for (j = 0; j < 3 && sections[i].grids[j] < NR_GRIDS; j++) {
			if (j)
				fprintf(f, "<h3>%s</h3>\n", t[sections[i].grids[j]].title);
			fwg_grid_html(f, &t[sections[i].grids[j]], j);
			if (!j && sections[i].chart)
				sections[i].chart(f, a);
		}
		fputs("</section>\n", f);
	}
	fputs("</body>\n</html>\n", f);
}

/* ------------------------------------------------------------------ the command */

int fwg_audit_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "genesis", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 }
	};
	const char *node = NULL, *html = NULL;
	uint8_t genesis[FWGATE_ID_LEN];
	const uint8_t *pin = NULL;
	struct fwg_grid t[NR_GRIDS];
	struct fwg_err err;
	struct audit *a;
	int c, json = 0, ret = FWG_EXIT_FAIL;
	unsigned int i;
	FILE *f;

	while ((c = getopt_long(argc, argv, "n:jH:", longopts, NULL)) != -1) {
		if (c == 'G') {
			fwg_genesis_arg(optarg, genesis);
			pin = genesis;
		} else if (c == 'n')
			node = optarg;
		else if (c == 'j')
			json = 1;
		else if (c == 'H')
			html = optarg;
		else
			usagex(USAGE);
	}
	if (!node || optind != argc || (json && html))
		usagex(USAGE);
	a = calloc(1, sizeof(*a));
	if (!a)
		fatalx("out of memory");
	a->err = &err;
	a->trust = fwg_trust_audit_new();
	if (!a->trust)
		fatalx("out of memory");
	a->st = fwg_state_new();
	a->inv = fwg_inv_new();
	if (!a->st || !a->inv)
		fatalx("out of memory");
	fwg_state_set_threads(a->st, sysconf(_SC_NPROCESSORS_ONLN));
	if (fwg_node_follow_pinned(node, pin, a->st, add_block, a, &err)) {
		ret = fwg_follow_failed(&err);
		goto out;
	}
	if (!a->g) {
		log_warnx("%s: the chain holds no genesis", node);
		ret = FWG_EXIT_VERIFY;
		goto out;
	}
	if (json) {
		print_json(stdout, a);
		ret = 0;
		goto out;
	}
	make_grids(a, t);
	f = html ? fopen(html, "w") : stdout;
	if (!f) {
		log_warn("--html: %s", html);
	} else if (!html) {
		print_text(f, a, t);
		ret = 0;
	} else {
		print_html(f, a, t);
		ret = fclose(f) ? 1 : 0;
		if (ret)
			log_warn("--html: %s", html);
	}
	for (i = 0; i < NR_GRIDS; i++)
		fwg_grid_free(&t[i]);
out:
	audit_free(a);
	return ret;
}
