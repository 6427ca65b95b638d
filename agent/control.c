// SPDX-License-Identifier: GPL-2.0
/*
 * Control transactions in fwgated (agent/control.h): their signatures checked against the device's trust
 * policy at sync, a table of them in chain order in the worker, and their feeding to the kernel.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "log.h"

#define MAX_CONTROLS	256

struct ctl {
	struct fwg_msg_control m;
	uint8_t digest[FWGATE_ID_LEN];	/* of the statement: the chain holds each once */
	int fed;			/* the kernel took it, or refused it for good */
};

static struct ctl *ctls[MAX_CONTROLS];
static unsigned int nr_ctls;

static const struct fwg_pubkey *policy_key(const struct fwg_policy *p, const uint8_t *id)
{
	unsigned int i;

	if (!memcmp(p->manufacturer.id, id, FWGATE_ID_LEN))
		return &p->manufacturer;
	for (i = 0; i < p->k; i++)
		if (!memcmp(p->checkers[i].id, id, FWGATE_ID_LEN))
			return &p->checkers[i];
	return NULL;
}

int fwg_ctl_relevant(const struct fwg_policy *p, const uint8_t *raw, size_t len)
{
	struct fwg_sigset *set;
	struct fwg_err err;
	size_t off = 2 + sizeof(struct fwgate_control_stmt);
	unsigned int i;
	int found = 0;

	if (len < off)
		return 0;
	set = malloc(sizeof(*set));
	if (!set)
		return 0;
	if (!fwg_sigset_decode(raw, len, &off, set, "control.sigs", &err))
		for (i = 0; i < set->count && !found; i++)
			found = policy_key(p, set->sig[i].key_id) != NULL;
	free(set);
	return found;
}

int fwg_ctl_verify(const struct fwg_policy *p, const struct fwg_tx *tx)
{
	const struct fwg_pubkey *key;
	struct fwg_sigset *set;
	unsigned int i;
	int bad = -1;

	set = malloc(sizeof(*set));
	if (!set || fwg_control_sigs(tx, set))
		goto out;
	for (i = 0; i < set->count; i++) {
		key = policy_key(p, set->sig[i].key_id);
		if (key && fwg_verify(key, tx->msg, tx->msg_len, set->sig[i].sig, set->sig[i].len))
			goto out;
	}
	bad = 0;
out:
	free(set);
	return bad;
}

int fwg_ctl_add(const struct fwg_tx *tx)
{
	struct fwg_sigset *set;
	uint8_t d[FWGATE_ID_LEN];
	unsigned int i;
	struct ctl *c;

	fwg_sha256(tx->msg, tx->msg_len, d);
	for (i = 0; i < nr_ctls; i++)
		if (!memcmp(ctls[i]->digest, d, FWGATE_ID_LEN))
			return 0;
	if (nr_ctls == MAX_CONTROLS) {
		log_warnx("control: more than %d control statements; the newest is ignored", MAX_CONTROLS);
		return -1;
	}
	c = calloc(1, sizeof(*c));
	set = malloc(sizeof(*set));
	if (!c || !set || fwg_control_sigs(tx, set)) {
		free(c);
		free(set);
		return -1;
	}
	c->m.type = FWG_MSG_CONTROL;
	c->m.stmt = tx->s.control;
	/* The kernel takes up to k + 1 signatures: the manufacturer's and each checker's. */
	for (i = 0; i < set->count && c->m.n < FWGATE_MAX_CHECKERS + 1; i++) {
		memcpy(c->m.sig[c->m.n].signer, set->sig[i].key_id, FWGATE_ID_LEN);
		c->m.sig[c->m.n].sig_len = set->sig[i].len;
		memcpy(c->m.sig[c->m.n].sig, set->sig[i].sig, set->sig[i].len);
		c->m.n++;
	}
	free(set);
	memcpy(c->digest, d, FWGATE_ID_LEN);
	ctls[nr_ctls++] = c;
	return 0;
}

int fwg_ctl_withdrawn(const uint8_t u_id[FWGATE_ID_LEN])
{
	unsigned int i;

	for (i = 0; i < nr_ctls; i++)
		if (!memcmp(ctls[i]->m.stmt.u_id, u_id, FWGATE_ID_LEN) &&
		    fwg_control_kind(&ctls[i]->m.stmt) == FWG_CONTROL_WITHDRAW)
			return 1;
	return 0;
}

/* The pause or resume with the highest seq is in force (the chain holds them in rising seq). */
int fwg_ctl_paused(const uint8_t u_id[FWGATE_ID_LEN])
{
	uint64_t seq = 0;
	unsigned int i;
	int paused = 0, kind;

	for (i = 0; i < nr_ctls; i++) {
		kind = fwg_control_kind(&ctls[i]->m.stmt);
		if (memcmp(ctls[i]->m.stmt.u_id, u_id, FWGATE_ID_LEN) || kind == FWG_CONTROL_WITHDRAW ||
		    be64toh(ctls[i]->m.stmt.seq) <= seq)
			continue;
		seq = be64toh(ctls[i]->m.stmt.seq);
		paused = kind == FWG_CONTROL_PAUSE;
	}
	return paused;
}

void fwg_ctl_feed(int (*hand)(const struct fwg_msg_control *m, void *arg), void *arg)
{
	unsigned int i;
	char h16[17];
	int err;

	for (i = 0; i < nr_ctls; i++) {
		if (ctls[i]->fed)
			continue;
		err = hand(&ctls[i]->m, arg);
		fwg_hex(ctls[i]->m.stmt.u_id, 8, h16);
		/* Contention or memory: again at the next round. Anything else is the kernel's last word. */
		if (err == -EBUSY || err == -ENOMEM || err == -ENOBUFS || err == -EINTR)
			continue;
		ctls[i]->fed = 1;
		/* ESTALE: a newer pause or resume is in force already, as after a restart. */
		if (err && err != -ESTALE)
			log_warnx("control %s of update %s: the kernel refuses it (%s)",
				  fwg_control_name(fwg_control_kind(&ctls[i]->m.stmt)), h16, strerror(-err));
		else if (!err)
			log_info("control %s of update %s: in force in the kernel",
				 fwg_control_name(fwg_control_kind(&ctls[i]->m.stmt)), h16);
	}
}
