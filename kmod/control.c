// SPDX-License-Identifier: GPL-2.0
/*
 * Control statements: a withdrawal, final for the boot, and the pause and
 * resume of an update's rollout. Verified against the policy in force and
 * kept per U_id in a bounded table, whether the update is tracked yet or
 * not, so that the order in which a device learns of them does not matter.
 */
#include <linux/kernel.h>
#include <linux/bitops.h>
#include <linux/string.h>

#include "fwgate.h"

/**
 * struct control - what the control statements say of one update
 * @u_id: the update
 * @seq: the seq of the pause or resume in force, 0 if none
 * @paused: a pause is in force
 * @withdrawn: withdrawn; final
 */
struct control {
	u8 u_id[FWGATE_ID_LEN];
	u64 seq;
	bool paused;
	bool withdrawn;
};

static struct control controls[FWGATE_MAX_CONTROLS];
static unsigned int nr_controls;

/* The signer bit of the manufacturer, above the checkers' indices. */
#define SIGNER_MANUFACTURER	BIT(FWGATE_MAX_CHECKERS)

static struct control *control_find(const u8 *u_id)
{
	unsigned int i;

	for (i = 0; i < nr_controls; i++)
		if (!memcmp(controls[i].u_id, u_id, FWGATE_ID_LEN))
			return &controls[i];
	return NULL;
}

/*
 * A new entry; when the table is full, one that says nothing lasting of an
 * update the kernel no longer tracks makes room. Withdrawals are never
 * forgotten.
 */
static struct control *control_add(const u8 *u_id)
{
	struct control *c = NULL;
	unsigned int i;

	if (nr_controls < FWGATE_MAX_CONTROLS) {
		c = &controls[nr_controls++];
	} else {
		for (i = 0; i < nr_controls && !c; i++)
			if (!controls[i].withdrawn && !fwgate_update_find(controls[i].u_id))
				c = &controls[i];
		if (!c)
			return NULL;
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->u_id, u_id, FWGATE_ID_LEN);
	return c;
}

static u32 control_kind(const struct fwgate_control_stmt *s)
{
	if (!memcmp(s->magic, FWGATE_MAGIC_WITHDRAW, FWGATE_MAGIC_LEN))
		return FWGATE_CONTROL_WITHDRAW;
	if (!memcmp(s->magic, FWGATE_MAGIC_PAUSE, FWGATE_MAGIC_LEN))
		return FWGATE_CONTROL_PAUSE;
	if (!memcmp(s->magic, FWGATE_MAGIC_RESUME, FWGATE_MAGIC_LEN))
		return FWGATE_CONTROL_RESUME;
	return 0;
}

/* Verifies every signature of a trusted signer; sets the bits of those. */
static int sigs_verify(const struct fwgate_policy *p, const struct fwgate_control_stmt *s,
		       const struct fwgate_control_sig *sig, unsigned int n, u32 *signers,
		       struct fwgate_request *req)
{
	const struct fwgate_key *key;
	unsigned int i;
	u32 bit;
	int idx, err;

	*signers = 0;
	for (i = 0; i < n; i++) {
		if (!memcmp(sig[i].signer, p->manufacturer.id, FWGATE_ID_LEN)) {
			key = &p->manufacturer;
			bit = SIGNER_MANUFACTURER;
		} else {
			idx = fwgate_checker_index(p, sig[i].signer);
			if (idx < 0)
				continue;
			key = &p->checkers[idx];
			bit = BIT(idx);
		}
		if (*signers & bit) {
			fwgate_refuse(req, sig[i].attr, "control signer appears twice");
			return -EINVAL;
		}
		err = fwgate_sig_verify(key, s, sizeof(*s), sig[i].sig, sig[i].sig_len);
		if (err == -EINVAL) {
			fwgate_refuse(req, sig[i].attr,
				      "control signature length does not fit the signer's key");
			return err;
		}
		if (err) {
			fwgate_refuse(req, sig[i].attr, "control signature does not verify");
			return err;
		}
		*signers |= bit;
	}
	return 0;
}

int fwgate_control_submit(const struct fwgate_control_stmt *s,
			  const struct fwgate_control_sig *sig, unsigned int n,
			  struct fwgate_update **out, struct fwgate_request *req)
{
	const struct nlattr *attr = fwgate_req_attr(req, FWGATE_A_CONTROL);
	const struct fwgate_policy *p = fwgate_policy;
	struct fwgate_update *u;
	struct control *c;
	u32 kind, signers;
	u64 seq;
	int err;

	lockdep_assert_held(&fwgate_mutex);
	if (!p) {
		fwgate_refuse(req, NULL, "no trust policy is set");
		return -ENOKEY;
	}
	kind = control_kind(s);
	if (!kind) {
		fwgate_refuse(req, attr, "control magic is not FWGWDR01, FWGPAU01 or FWGRSM01");
		return -EINVAL;
	}
	err = sigs_verify(p, s, sig, n, &signers, req);
	if (err)
		return err;
	if (kind != FWGATE_CONTROL_WITHDRAW && !(signers & SIGNER_MANUFACTURER)) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_CONTROL_SIG),
			      "a pause or resume needs the manufacturer's signature");
		return -EACCES;
	}
	if (kind == FWGATE_CONTROL_WITHDRAW && !(signers & SIGNER_MANUFACTURER) &&
	    hweight32(signers) < p->threshold) {
		fwgate_refuse(req, fwgate_req_attr(req, FWGATE_A_CONTROL_SIG),
			      "a withdrawal needs the manufacturer's or the threshold of checkers' signatures");
		return -EACCES;
	}

	c = control_find(s->u_id);
	seq = be64_to_cpu(s->seq);
	if (kind != FWGATE_CONTROL_WITHDRAW && c && c->withdrawn) {
		fwgate_refuse(req, attr, "update is withdrawn; a withdrawal is final");
		return -ESTALE;
	}
	if (kind != FWGATE_CONTROL_WITHDRAW && seq <= (c ? c->seq : 0)) {
		fwgate_refuse(req, attr, "control seq is not above the pause or resume in force");
		return -ESTALE;
	}
	if (!c)
		c = control_add(s->u_id);
	if (!c) {
		fwgate_refuse(req, NULL, "control table is full: withdrawals and tracked updates");
		return -ENOSPC;
	}

	u = fwgate_update_find(s->u_id);
	if (kind == FWGATE_CONTROL_WITHDRAW) {
		if (!c->withdrawn)
			pr_info("update %*phN withdrawn\n", 8, s->u_id);
		c->withdrawn = true;
		if (u)
			u->state = FWGATE_UPDATE_WITHDRAWN;
		fwgate_install_cancel(s->u_id);
	} else {
		c->seq = seq;
		c->paused = kind == FWGATE_CONTROL_PAUSE;
	}
	fwgate_dump_changed();
	*out = u;
	return 0;
}

int fwgate_control_begin(const u8 *u_id, const char **reason)
{
	const struct control *c;

	lockdep_assert_held(&fwgate_mutex);
	c = control_find(u_id);
	if (c && c->withdrawn) {
		*reason = "update was withdrawn";
		return -EKEYREVOKED;
	}
	if (c && c->paused) {
		*reason = "update's rollout is paused";
		return -EAGAIN;
	}
	return 0;
}

bool fwgate_control_withdrawn(const u8 *u_id)
{
	const struct control *c = control_find(u_id);

	return c && c->withdrawn;
}

void fwgate_control_get(const u8 *u_id, bool *paused, u64 *seq)
{
	const struct control *c = control_find(u_id);

	*paused = c && c->paused;
	*seq = c ? c->seq : 0;
}

void fwgate_controls_flush(void)
{
	lockdep_assert_held(&fwgate_mutex);
	memset(controls, 0, sizeof(controls));
	nr_controls = 0;
}
