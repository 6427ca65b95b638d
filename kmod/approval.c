// SPDX-License-Identifier: GPL-2.0
/*
 * Approval bundles: a manufacturer's update statement and checker verdicts,
 * verified here and counted per update as distinct trusted checkers. A bundle
 * is recorded whole or not at all.
 */
#include <linux/kernel.h>
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwgate.h"

static struct kmem_cache *update_cache;
static LIST_HEAD(updates);
static unsigned int nr_updates;

struct fwgate_update *fwgate_update_find(const u8 *u_id)
{
	struct fwgate_update *u;

	lockdep_assert_held(&fwgate_mutex);
	list_for_each_entry(u, &updates, node)
		if (!memcmp(u->stmt.u_id, u_id, FWGATE_ID_LEN))
			return u;
	return NULL;
}

static void update_free(struct fwgate_update *u)
{
	fwgate_dump_changed();
	list_del(&u->node);
	nr_updates--;
	kmem_cache_free(update_cache, u);
}

void fwgate_updates_flush(void)
{
	struct fwgate_update *u, *tmp;

	lockdep_assert_held(&fwgate_mutex);
	list_for_each_entry_safe(u, tmp, &updates, node)
		update_free(u);
}

/* Updates at or below their group's floor can never be installed again. */
static void updates_evict_stale(void)
{
	struct fwgate_update *u, *tmp;

	list_for_each_entry_safe(u, tmp, &updates, node)
		if (u->state != FWGATE_UPDATE_REJECTED && u->state != FWGATE_UPDATE_WITHDRAWN &&
		    be64_to_cpu(u->stmt.version) <= fwgate_floor(u->stmt.target))
			update_free(u);
}

static bool group_declared(const char *group)
{
	struct fwgate_target *t;

	list_for_each_entry(t, &fwgate_targets, node)
		if (!strcmp(t->group, group))
			return true;
	return false;
}

static int stmt_check(const struct fwgate_policy *p,
		      const struct fwgate_update_stmt *s,
		      struct fwgate_request *req)
{
	static const u8 zero_id[FWGATE_ID_LEN];
	const struct nlattr *attr = fwgate_req_attr(req, FWGATE_A_STATEMENT);

	if (memcmp(s->magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN)) {
		fwgate_refuse(req, attr, "statement magic is not " FWGATE_MAGIC_UPDATE);
		return -EINVAL;
	}
	if (s->o_type[FWGATE_NAME_LEN - 1] || s->target[FWGATE_NAME_LEN - 1]) {
		fwgate_refuse(req, attr, "statement o_type or target is not NUL-terminated");
		return -EINVAL;
	}
	if (!s->size) {
		fwgate_refuse(req, attr, "statement size is zero");
		return -EINVAL;
	}
	if (memcmp(s->m_id, p->manufacturer.id, FWGATE_ID_LEN)) {
		fwgate_refuse(req, attr, "statement names another manufacturer");
		return -EKEYREJECTED;
	}
	if (strcmp(s->o_type, p->otype)) {
		fwgate_refuse(req, attr, "statement is for another device type");
		return -EXDEV;
	}
	if (memcmp(s->o_id, zero_id, FWGATE_ID_LEN) &&
	    memcmp(s->o_id, p->device_id, FWGATE_ID_LEN)) {
		fwgate_refuse(req, attr, "statement is for another device");
		return -EXDEV;
	}
	if (!group_declared(s->target)) {
		fwgate_refuse(req, attr, "no target is declared in the statement's group");
		return -ENODEV;
	}
	if (be64_to_cpu(s->version) <= fwgate_floor(s->target)) {
		fwgate_refuse(req, attr, "statement version is at or below the rollback floor");
		return -ESTALE;
	}
	return 0;
}

/* Checks every verdict; fills the bitmaps of checkers that verified. */
static int verdicts_verify(const struct fwgate_policy *p,
			   const struct fwgate_update_stmt *s,
			   const struct fwgate_verdict *v, unsigned int nv,
			   u32 *approve, u32 *reject, unsigned int *unknown,
			   struct fwgate_request *req)
{
	struct fwgate_verdict_stmt *vs;
	u32 seen = 0;
	unsigned int i;
	int idx, err = 0;

	vs = kmalloc(sizeof(*vs), GFP_KERNEL);
	if (!vs)
		return -ENOMEM;
	vs->update = *s;

	*approve = *reject = 0;
	*unknown = 0;
	for (i = 0; i < nv; i++) {
		idx = fwgate_checker_index(p, v[i].checker);
		if (idx < 0) {
			(*unknown)++;
			continue;
		}
		if (seen & BIT(idx)) {
			fwgate_refuse(req, v[i].attr, "checker appears twice in the bundle");
			err = -EINVAL;
			break;
		}
		seen |= BIT(idx);

		memcpy(vs->magic, v[i].kind == FWGATE_VERDICT_APPROVE ?
		       FWGATE_MAGIC_APPROVE : FWGATE_MAGIC_REJECT, FWGATE_MAGIC_LEN);
		memcpy(vs->checker_id, v[i].checker, FWGATE_ID_LEN);
		memcpy(vs->report, v[i].report, FWGATE_ID_LEN);
		err = fwgate_sig_verify(&p->checkers[idx], vs, sizeof(*vs),
					v[i].sig, v[i].sig_len);
		if (err == -EINVAL) {
			fwgate_refuse(req, v[i].attr,
				      "verdict signature length does not fit the checker's key");
			break;
		}
		if (err) {
			fwgate_refuse(req, v[i].attr, "verdict signature does not verify");
			break;
		}
		if (v[i].kind == FWGATE_VERDICT_APPROVE)
			*approve |= BIT(idx);
		else
			*reject |= BIT(idx);
	}
	kfree(vs);
	return err;
}

static void update_reassess(const struct fwgate_policy *p, struct fwgate_update *u)
{
	if (u->state == FWGATE_UPDATE_WITHDRAWN || fwgate_control_withdrawn(u->stmt.u_id))
		u->state = FWGATE_UPDATE_WITHDRAWN;
	else if (hweight32(u->rejected_by) >= fwgate_majority(p->k))
		u->state = FWGATE_UPDATE_REJECTED;
	else if (u->state == FWGATE_UPDATE_PENDING &&
		 hweight32(u->approved_by) >= p->threshold)
		u->state = FWGATE_UPDATE_APPROVED;
}

int fwgate_bundle_submit(const struct fwgate_update_stmt *stmt,
			 const u8 *msig, u32 msig_len,
			 const struct fwgate_verdict *v, unsigned int nv,
			 struct fwgate_update **out,
			 struct fwgate_bundle_result *res,
			 struct fwgate_request *req)
{
	const struct fwgate_policy *p;
	struct fwgate_update *u;
	u32 approve, reject;
	unsigned int unknown;
	int err;

	lockdep_assert_held(&fwgate_mutex);
	p = fwgate_policy;
	if (!p) {
		fwgate_refuse(req, NULL, "no trust policy is set");
		return -ENOKEY;
	}
	err = stmt_check(p, stmt, req);
	if (err)
		return err;

	err = fwgate_sig_verify(&p->manufacturer, stmt, sizeof(*stmt), msig, msig_len);
	if (err == -EINVAL) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_SIGNATURE),
			      "manufacturer signature length does not fit its key");
		return err;
	}
	if (err) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_SIGNATURE),
			      "manufacturer signature does not verify");
		return err;
	}

	u = fwgate_update_find(stmt->u_id);
	if (u && memcmp(&u->stmt, stmt, sizeof(*stmt))) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_STATEMENT),
			      "another statement is recorded for this U_id");
		return -EEXIST;
	}

	err = verdicts_verify(p, stmt, v, nv, &approve, &reject, &unknown, req);
	if (err)
		return err;
	if (nv && unknown == nv) {
		fwgate_refuse(req, NULL, "no verdict comes from a trusted checker");
		return -ENOKEY;
	}

	if (!u) {
		if (nr_updates >= FWGATE_MAX_UPDATES)
			updates_evict_stale();
		if (nr_updates >= FWGATE_MAX_UPDATES) {
			fwgate_refuse(req, NULL, "update table is full");
			return -ENOSPC;
		}
		u = kmem_cache_zalloc(update_cache, GFP_KERNEL);
		if (!u)
			return -ENOMEM;
		u->stmt = *stmt;
		u->state = FWGATE_UPDATE_PENDING;
		list_add_tail(&u->node, &updates);
		nr_updates++;
	}

	res->accepted = hweight32(approve & ~u->approved_by) +
			hweight32(reject & ~u->rejected_by);
	res->ignored = nv - res->accepted;
	u->approved_by |= approve;
	u->rejected_by |= reject;
	update_reassess(p, u);
	fwgate_dump_changed();
	*out = u;
	return 0;
}

/* @bits of @old's checker indices, as @new's; checkers @new lacks drop out. */
static u32 bits_remap(u32 bits, const struct fwgate_policy *old, const struct fwgate_policy *new)
{
	u32 i, out = 0;
	int idx;

	for (i = 0; i < old->k; i++) {
		if (!(bits & BIT(i)))
			continue;
		idx = fwgate_checker_index(new, old->checkers[i].id);
		if (idx >= 0)
			out |= BIT(idx);
	}
	return out;
}

void fwgate_updates_rejudge(const struct fwgate_policy *old, const struct fwgate_policy *new)
{
	struct fwgate_update *u;

	lockdep_assert_held(&fwgate_mutex);
	list_for_each_entry(u, &updates, node) {
		u->approved_by = bits_remap(u->approved_by, old, new);
		u->rejected_by = bits_remap(u->rejected_by, old, new);
		if (u->state != FWGATE_UPDATE_REJECTED)
			u->state = FWGATE_UPDATE_PENDING;
		update_reassess(new, u);
	}
	fwgate_dump_changed();
}

/* For dumps, which resume at an index. */
struct fwgate_update *fwgate_update_nth(unsigned long n)
{
	struct fwgate_update *u;

	lockdep_assert_held(&fwgate_mutex);
	list_for_each_entry(u, &updates, node)
		if (!n--)
			return u;
	return NULL;
}

int fwgate_approval_init(void)
{
	update_cache = KMEM_CACHE(fwgate_update, 0);
	return update_cache ? 0 : -ENOMEM;
}

void fwgate_approval_exit(void)
{
	mutex_lock(&fwgate_mutex);
	fwgate_updates_flush();
	mutex_unlock(&fwgate_mutex);
	kmem_cache_destroy(update_cache);
}
