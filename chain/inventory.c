// SPDX-License-Identifier: GPL-2.0
/* The fleet's inventory and coverage from a verified chain (chain/inventory.h). */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

/* Open addressing over SHA-256 keys, whose first bytes are uniform already. */
struct entry {
	uint8_t key[FWGATE_ID_LEN];
	size_t val;		/* index + 1; 0: free */
};

struct map {
	struct entry *e;
	size_t mask, n;
};

static struct entry *map_slot(const struct map *m, const uint8_t *key)
{
	size_t i, h;

	memcpy(&h, key, sizeof(h));
	for (i = h & m->mask;; i = (i + 1) & m->mask)
		if (!m->e[i].val || !memcmp(m->e[i].key, key, FWGATE_ID_LEN))
			return &m->e[i];
}

static long map_get(const struct map *m, const uint8_t *key)
{
	const struct entry *e = m->e ? map_slot(m, key) : NULL;

	return e && e->val ? (long)e->val - 1 : -1;
}

static int map_put(struct map *m, const uint8_t *key, size_t val)
{
	struct entry *e;
	size_t i;

	if (!m->e || (m->n + 1) * 4 > (m->mask + 1) * 3) {
		struct map g = { .mask = m->e ? 2 * m->mask + 1 : 255, .n = m->n };

		g.e = calloc(g.mask + 1, sizeof(*g.e));
		if (!g.e)
			return -ENOMEM;
		for (i = 0; m->e && i <= m->mask; i++)
			if (m->e[i].val)
				*map_slot(&g, m->e[i].key) = m->e[i];
		free(m->e);
		*m = g;
	}
	e = map_slot(m, key);
	if (!e->val) {
		m->n++;
		memcpy(e->key, key, FWGATE_ID_LEN);
	}
	e->val = val + 1;
	return 0;
}

static void pair(const uint8_t *a, const void *b, size_t blen, uint8_t out[FWGATE_ID_LEN])
{
	uint8_t in[FWGATE_ID_LEN + FWGATE_NAME_LEN];

	memcpy(in, a, FWGATE_ID_LEN);
	memcpy(in + FWGATE_ID_LEN, b, blen);
	fwg_sha256(in, FWGATE_ID_LEN + blen, out);
}

struct dev {
	uint8_t o_id[FWGATE_ID_LEN];
	char o_type[FWGATE_NAME_LEN];
};

struct row {
	struct fwg_inv_row now, prev;	/* prev: what a fallback returns to */
	int has_prev;
};

struct fwg_inv {
	struct dev *dev;
	size_t nr_dev, cap_dev;
	struct fwgate_update_stmt *upd;
	size_t nr_upd, cap_upd;
	struct row *row;
	size_t nr_row, cap_row;
	struct map devices;	/* o_id -> dev */
	struct map updates;	/* u_id -> upd, the newest statement of that image */
	struct map outcomes;	/* SHA-256(u_id || o_id) -> enum fwg_outcome */
	struct map rows;	/* SHA-256(o_id || target) -> row */
	struct fwg_rollouts rollouts;
};

#define PUSH(arr, n, cap) ({							\
	void *__p = (n) < (cap) ? (arr) : realloc((arr), ((cap) = (cap) ? 2 * (cap) : 64) * sizeof(*(arr))); \
	__p ? ((arr) = __p, &(arr)[(n)++]) : NULL; })

struct fwg_inv *fwg_inv_new(void)
{
	return calloc(1, sizeof(struct fwg_inv));
}

void fwg_inv_free(struct fwg_inv *v)
{
	if (!v)
		return;
	free(v->dev);
	free(v->upd);
	free(v->row);
	free(v->devices.e);
	free(v->updates.e);
	free(v->outcomes.e);
	free(v->rows.e);
	fwg_rollouts_free(&v->rollouts);
	free(v);
}

const struct fwg_rollouts *fwg_inv_rollouts(const struct fwg_inv *v)
{
	return &v->rollouts;
}

const char *fwg_outcome_name(unsigned int outcome)
{
	static const char *const names[] = {
		[FWG_OUT_NONE] = "none",
		[FWG_OUT_INSTALLED] = "installed",
		[FWG_OUT_RUNNING] = "running",
		[FWG_OUT_FELL_BACK] = "fell back",
		[FWG_OUT_REFUSED] = "refused",
	};

	return outcome < __FWG_OUT_MAX ? names[outcome] : "unknown";
}

/* The row of a device's target group after its ack (running or installed) of @u. */
static int set_row(struct fwg_inv *v, const struct fwgate_ack_stmt *a, const struct fwgate_update_stmt *u,
		   int running, uint64_t height)
{
	uint8_t k[FWGATE_ID_LEN];
	long i;
	struct row *r;

	pair(a->o_id, u->target, FWGATE_NAME_LEN, k);
	i = map_get(&v->rows, k);
	if (i < 0) {
		r = PUSH(v->row, v->nr_row, v->cap_row);
		if (!r || map_put(&v->rows, k, v->nr_row - 1))
			return -ENOMEM;
		memset(r, 0, sizeof(*r));
	} else {
		r = &v->row[i];
		/* A running ack confirms the install it follows: the row moves on, the fallback target stays. */
		if (!(running && !memcmp(r->now.u_id, a->u_id, FWGATE_ID_LEN))) {
			r->prev = r->now;
			r->has_prev = 1;
		}
	}
	memcpy(r->now.o_id, a->o_id, FWGATE_ID_LEN);
	memcpy(r->now.o_type, u->o_type, FWGATE_NAME_LEN);
	memcpy(r->now.target, u->target, FWGATE_NAME_LEN);
	memcpy(r->now.u_id, a->u_id, FWGATE_ID_LEN);
	r->now.version = be64toh(a->version);
	r->now.since = height;
	r->now.state = running ? "running" : "installed";
	return 0;
}

/* A fallback from @u: the device runs again what it ran before, as the chain last said. */
static void fell_back(struct fwg_inv *v, const uint8_t *o_id, const struct fwgate_update_stmt *u, uint64_t height)
{
	uint8_t k[FWGATE_ID_LEN];
	struct row *r;
	long i;

	pair(o_id, u->target, FWGATE_NAME_LEN, k);
	i = map_get(&v->rows, k);
	if (i < 0)
		return;
	r = &v->row[i];
	if (memcmp(r->now.u_id, u->u_id, FWGATE_ID_LEN))
		return;
	if (r->has_prev) {
		r->now = r->prev;
		r->has_prev = 0;
	} else {
		r->now.version = 0;
		memset(r->now.u_id, 0, FWGATE_ID_LEN);
	}
	r->now.since = height;
	r->now.state = "fell back";
}

static int outcome(struct fwg_inv *v, const uint8_t *u_id, const uint8_t *o_id, unsigned int out)
{
	uint8_t k[FWGATE_ID_LEN];

	pair(u_id, o_id, FWGATE_ID_LEN, k);
	return map_put(&v->outcomes, k, out);
}

static int add_report(struct fwg_inv *v, const struct fwg_tx *tx, uint64_t height)
{
	struct fwgate_nack_stmt n;
	struct fwgate_ack_stmt a;
	const struct fwgate_update_stmt *u;
	uint32_t reason;
	long i;

	if (tx->type == FWG_TX_NACK) {
		memcpy(&n, tx->msg, sizeof(n));
		i = map_get(&v->updates, n.u_id);
		if (i < 0)
			return 0;
		reason = be32toh(n.reason);
		if (reason == FWGATE_NACK_HEALTH || reason == FWGATE_NACK_BOOT) {
			fell_back(v, n.o_id, &v->upd[i], height);
			return outcome(v, n.u_id, n.o_id, FWG_OUT_FELL_BACK);
		}
		return outcome(v, n.u_id, n.o_id, FWG_OUT_REFUSED);
	}
	if (tx->msg_len != sizeof(a))
		return 0;
	memcpy(&a, tx->msg, sizeof(a));
	i = map_get(&v->updates, a.u_id);
	if (i < 0)
		return 0;
	u = &v->upd[i];
	if (set_row(v, &a, u, tx->type == FWG_TX_RUNNING, height))
		return -ENOMEM;
	return outcome(v, a.u_id, a.o_id, tx->type == FWG_TX_RUNNING ? FWG_OUT_RUNNING : FWG_OUT_INSTALLED);
}

int fwg_inv_add(struct fwg_inv *v, const struct fwg_tx *tx, uint64_t height)
{
	struct fwgate_update_stmt *u;
	struct dev *d;

	switch (tx->type) {
	case FWG_TX_DEVCERT:
		d = PUSH(v->dev, v->nr_dev, v->cap_dev);
		if (!d)
			return -ENOMEM;
		fwg_sha256(tx->s.devcert.pubkey, sizeof(tx->s.devcert.pubkey), d->o_id);
		memcpy(d->o_type, tx->s.devcert.o_type, FWGATE_NAME_LEN);
		return map_put(&v->devices, d->o_id, v->nr_dev - 1);
	case FWG_TX_UPDATE:
		u = PUSH(v->upd, v->nr_upd, v->cap_upd);
		if (!u)
			return -ENOMEM;
		*u = tx->s.update;
		return map_put(&v->updates, u->u_id, v->nr_upd - 1);
	case FWG_TX_ACK:
	case FWG_TX_RUNNING:
	case FWG_TX_NACK:
		return add_report(v, tx, height);
	}
	return fwg_rollouts_note(&v->rollouts, tx, height);
}

int fwg_inv_coverage(const struct fwg_inv *v, const uint8_t u_id[FWGATE_ID_LEN], int stage, struct fwg_coverage *c)
{
	static const uint8_t zero[FWGATE_ID_LEN];
	const struct fwg_rollout *r = fwg_rollouts_find(&v->rollouts, u_id);
	const struct fwgate_update_stmt *u;
	uint8_t k[FWGATE_ID_LEN];
	long i = map_get(&v->updates, u_id), o;
	size_t j;

	memset(c, 0, sizeof(*c));
	if (i < 0)
		return -ENOENT;
	if (stage >= 0 && (!r || !r->has_plan || stage >= (int)be32toh(r->plan.stages)))
		return -ENOENT;
	u = &v->upd[i];
	for (j = 0; j < v->nr_dev; j++) {
		const struct dev *d = &v->dev[j];

		if (strncmp(d->o_type, u->o_type, FWGATE_NAME_LEN) ||
		    (memcmp(u->o_id, zero, FWGATE_ID_LEN) && memcmp(u->o_id, d->o_id, FWGATE_ID_LEN)))
			continue;
		if (stage >= 0 && fwg_rollout_stage_of(&r->plan, d->o_id) != (unsigned int)stage)
			continue;
		c->fleet++;
		pair(u_id, d->o_id, FWGATE_ID_LEN, k);
		o = map_get(&v->outcomes, k);
		c->n[o < 0 ? FWG_OUT_NONE : o]++;
	}
	return 0;
}

void fwg_inv_rows(const struct fwg_inv *v, void (*fn)(const struct fwg_inv_row *row, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < v->nr_row; i++)
		fn(&v->row[i].now, arg);
}

size_t fwg_inv_nr_rows(const struct fwg_inv *v)
{
	return v->nr_row;
}
