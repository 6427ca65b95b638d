// SPDX-License-Identifier: GPL-2.0
/*
 * The device's trust policy: the manufacturer key, k checker keys, the
 * threshold q >= floor(k/2)+1, its epoch, the device type and the device id.
 * Replaced as a whole while unlocked, and then only by the sealed policy once
 * the state store holds one (anchor.c); once locked, changed only by a
 * rotation (rotate.c).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwgate.h"

struct fwgate_policy *fwgate_policy;
bool fwgate_locked;

int fwgate_checker_index(const struct fwgate_policy *p, const u8 *id)
{
	u32 i;

	for (i = 0; i < p->k; i++)
		if (!memcmp(p->checkers[i].id, id, FWGATE_ID_LEN))
			return i;
	return -ENOENT;
}

static int policy_check(struct fwgate_policy *p, struct fwgate_request *req)
{
	u32 i, j;
	int err;

	if (p->k == 0 || p->k > FWGATE_MAX_CHECKERS) {
		fwgate_refuse(req, NULL, "number of checkers must be 1 to FWGATE_MAX_CHECKERS");
		return -EINVAL;
	}
	if (p->threshold < fwgate_majority(p->k)) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_THRESHOLD),
			      "threshold below floor(k/2)+1");
		return -EINVAL;
	}
	if (p->threshold > p->k) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_THRESHOLD),
			      "threshold above the number of checkers");
		return -EINVAL;
	}
	if (!p->epoch) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_EPOCH), "epoch is 0");
		return -EINVAL;
	}
	if (!p->otype[0]) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_OTYPE), "device type is empty");
		return -EINVAL;
	}

	err = fwgate_key_check(&p->manufacturer, fwgate_req_attr(req, FWGATE_A_MANUFACTURER), req);
	if (err)
		return err;
	for (i = 0; i < p->k; i++) {
		err = fwgate_key_check(&p->checkers[i], req ? req->checker[i] : NULL, req);
		if (err)
			return err;
		for (j = 0; j < i; j++) {
			if (!memcmp(p->checkers[i].id, p->checkers[j].id, FWGATE_ID_LEN)) {
				fwgate_refuse(req, req ? req->checker[i] : NULL,
					      "a checker key is listed twice");
				return -EINVAL;
			}
		}
		if (!memcmp(p->checkers[i].id, p->manufacturer.id, FWGATE_ID_LEN)) {
			fwgate_refuse(req, req ? req->checker[i] : NULL,
				      "the manufacturer can not be its own checker");
			return -EINVAL;
		}
	}
	return 0;
}

/* Takes ownership of @p whatever the outcome. */
int fwgate_policy_replace(struct fwgate_policy *p, struct fwgate_request *req)
{
	struct fwgate_policy *old;
	int err;

	err = policy_check(p, req) ?: fwgate_policy_digest(p);
	if (err)
		goto out_free;

	mutex_lock(&fwgate_mutex);
	if (fwgate_locked) {
		mutex_unlock(&fwgate_mutex);
		fwgate_refuse(req, NULL, "policy is locked until reboot");
		err = -EPERM;
		goto out_free;
	}
	/*
	 * Once a sealed store is declared, refuse here what the lock would
	 * refuse: the error comes where the wrong policy does. Before the store
	 * is declared only the lock can tell.
	 */
	err = fwgate_anchor_check(p, req);
	if (err) {
		mutex_unlock(&fwgate_mutex);
		goto out_free;
	}
	old = fwgate_policy;
	fwgate_policy = p;
	/* Recorded verdicts were counted against the old keys. */
	fwgate_updates_flush();
	fwgate_controls_flush();
	mutex_unlock(&fwgate_mutex);

	kfree_sensitive(old);
	pr_info("policy set: type %s, k=%u, q=%u, epoch %llu\n", p->otype, p->k, p->threshold,
		p->epoch);
	return 0;

out_free:
	kfree_sensitive(p);
	return err;
}

int fwgate_policy_lock(struct fwgate_request *req)
{
	int err = 0;

	mutex_lock(&fwgate_mutex);
	if (fwgate_locked)
		goto out;
	if (!fwgate_policy) {
		fwgate_refuse(req, NULL, "no policy to lock");
		err = -ENOKEY;
		goto out;
	}
	if (!fwgate_state_attached()) {
		fwgate_refuse(req, NULL, "no rollback state store declared");
		err = -ENODEV;
		goto out;
	}
	err = fwgate_state_claim(req);
	if (err)
		goto out;
	/*
	 * Sealed before the targets are claimed, which can not be undone but
	 * by a refusal: a lock a target refuses still leaves this policy
	 * sealed, as the next lock would seal it.
	 */
	err = fwgate_anchor_lock(fwgate_policy, req);
	if (err)
		goto out;
	err = fwgate_targets_claim(req);
	if (err)
		goto out;
	/* Held until reboot: the module can not be unloaded while locked. */
	__module_get(THIS_MODULE);
	fwgate_locked = true;
	pr_info("policy locked\n");
out:
	mutex_unlock(&fwgate_mutex);
	return err;
}

void fwgate_policy_exit(void)
{
	kfree_sensitive(fwgate_policy);
	fwgate_policy = NULL;
}
