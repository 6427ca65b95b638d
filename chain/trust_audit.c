// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate audit's sections on who governs the fleet, from the verified chain alone: each device type's policy
 * history (epochs, digests, who signed each step), the revoked devices and the membership changes (issue 12),
 * and each update's rollout plan, advances, pauses, resumes and withdrawals (issue 15). The events are kept
 * in chain order and shown as tables (text and HTML, chain/grid.c) or JSON.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cmdutil.h"
#include "grid.h"
#include "trust_audit.h"

#define SIGNERS_LEN	(FWG_SIGSET_MAX * (FWGATE_NAME_LEN + 1))

struct trust_event {
	uint8_t type;			/* FWG_TX_POLICY, _ROTATE, _REVOKE, _MEMBER, _CONTROL, _ROLLOUT, _ADVANCE */
	uint64_t height, time_ms;
	char o_type[FWGATE_NAME_LEN];
	uint64_t epoch;			/* policy: its epoch; pause, resume: seq; advance: the stage */
	uint8_t digest[FWGATE_ID_LEN];	/* policy: the new digest; revoke: the device; member: the key; rollout:
					 * the update */
	uint8_t note[FWGATE_ID_LEN];	/* control: the digest of its advisory, or zero */
	unsigned int threshold, k, reason, action, role;	/* action: member, or enum fwg_control_kind */
	char who[FWGATE_NAME_LEN];	/* manufacturer of the policy, revoker, member joining or leaving */
	char checkers[FWGATE_MAX_CHECKERS * (FWGATE_NAME_LEN + 1)];
	char signers[SIGNERS_LEN];
};

struct fwg_trust_audit {
	struct trust_event *ev;
	size_t nr, cap;
};

struct fwg_trust_audit *fwg_trust_audit_new(void)
{
	return calloc(1, sizeof(struct fwg_trust_audit));
}

void fwg_trust_audit_free(struct fwg_trust_audit *ta)
{
	if (ta)
		free(ta->ev);
	free(ta);
}

/* A key's member name, or its short hex id if no member ever had it. */
static void name_of(const struct fwg_genesis *g, const uint8_t *id, char out[FWGATE_NAME_LEN])
{
	char hex[2 * FWGATE_ID_LEN + 1];
	unsigned int i;

	for (i = 0; i < g->nr_members; i++)
		if (!memcmp(g->members[i].key.id, id, FWGATE_ID_LEN)) {
			snprintf(out, FWGATE_NAME_LEN, "%s", g->members[i].name);
			return;
		}
	fwg_hex(id, 8, hex);
	snprintf(out, FWGATE_NAME_LEN, "%.16s", hex);
}

static void append_name(char *list, size_t len, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n ? "," : "", name);
}

/* A withdrawal, pause or resume: what, of which update, and who signed (a manufacturer, or checkers). */
static int control_event(struct trust_event *e, const struct fwg_genesis *g, const struct fwg_tx *tx)
{
	struct fwg_sigset *set = malloc(sizeof(*set));
	char name[FWGATE_NAME_LEN];
	unsigned int i;

	if (!set || fwg_control_sigs(tx, set)) {
		free(set);
		return -1;
	}
	for (i = 0; i < set->count; i++) {
		name_of(g, set->sig[i].key_id, name);
		append_name(e->signers, sizeof(e->signers), name);
	}
	free(set);
	memcpy(e->digest, tx->s.control.u_id, FWGATE_ID_LEN);
	memcpy(e->note, tx->s.control.reason, FWGATE_ID_LEN);
	e->action = fwg_control_kind(&tx->s.control);
	e->epoch = be64toh(tx->s.control.seq);
	return 0;
}

/* An advance is signed by the manufacturer whose plan it opens: the one that signed the update's plan. */
static void plan_signer(const struct fwg_trust_audit *ta, struct trust_event *e)
{
	const struct trust_event *p;

	for (p = ta->ev; p < e; p++)
		if (p->type == FWG_TX_ROLLOUT && !memcmp(p->digest, e->digest, FWGATE_ID_LEN))
			snprintf(e->signers, sizeof(e->signers), "%s", p->signers);
}

int fwg_trust_audit_tx(struct fwg_trust_audit *ta, const struct fwg_state *st, const struct fwg_tx *tx,
		       const struct fwg_block_hdr *h)
{
	const struct fwg_genesis *g = fwg_state_genesis(st);
	struct fwg_policy_epoch pe;
	struct fwg_policy_err perr;
	struct fwg_policy p;
	struct trust_event *e;
	char name[FWGATE_NAME_LEN];
	unsigned int i;

	if (tx->type < FWG_TX_POLICY || tx->type > FWG_TX_ADVANCE)
		return 0;
	if (ta->nr == ta->cap) {
		size_t cap = ta->cap ? 2 * ta->cap : 16;
		void *p2 = realloc(ta->ev, cap * sizeof(*ta->ev));

		if (!p2)
			return -1;
		ta->ev = p2;
		ta->cap = cap;
	}
	e = &ta->ev[ta->nr++];
	memset(e, 0, sizeof(*e));
	e->type = tx->type;
	e->height = h->height;
	e->time_ms = h->time_ms;
	for (i = 0; tx->sigs && i < tx->sigs->count; i++) {
		name_of(g, tx->sigs->sig[i].key_id, name);
		append_name(e->signers, sizeof(e->signers), name);
	}
	switch (tx->type) {
	case FWG_TX_POLICY:
	case FWG_TX_ROTATE:
		memcpy(e->digest, tx->type == FWG_TX_POLICY ? tx->s.line.digest : tx->s.rotate.next, FWGATE_ID_LEN);
		if (fwg_policy_decode(tx->payload, tx->payload_len, &p, &e->epoch, &perr))
			return -1;
		if (!fwg_state_policy(st, e->digest, 0, &pe))
			memcpy(e->o_type, pe.o_type, FWGATE_NAME_LEN);
		e->threshold = p.threshold;
		e->k = p.k;
		name_of(g, p.manufacturer.id, e->who);
		for (i = 0; i < p.k; i++) {
			name_of(g, p.checkers[i].id, name);
			append_name(e->checkers, sizeof(e->checkers), name);
		}
		break;
	case FWG_TX_REVOKE:
		memcpy(e->digest, tx->s.revoke.o_id, FWGATE_ID_LEN);
		name_of(g, tx->s.revoke.m_id, e->who);
		e->reason = be32toh(tx->s.revoke.reason);
		break;
	case FWG_TX_MEMBER:
		memcpy(e->digest, tx->s.member.key_id, FWGATE_ID_LEN);
		name_of(g, tx->s.member.key_id, e->who);
		e->action = tx->s.member.action;
		e->role = tx->s.member.role;
		break;
	case FWG_TX_CONTROL:
		return control_event(e, g, tx);
	case FWG_TX_ROLLOUT:
		memcpy(e->digest, tx->s.rollout.u_id, FWGATE_ID_LEN);
		name_of(g, tx->s.rollout.m_id, e->signers);
		e->k = be32toh(tx->s.rollout.stages);
		break;
	case FWG_TX_ADVANCE:
		memcpy(e->digest, tx->s.advance.u_id, FWGATE_ID_LEN);
		e->epoch = be32toh(tx->s.advance.stage);
		plan_signer(ta, e);
		break;
	}
	return 0;
}

static const char *reason_name(unsigned int r)
{
	static const char *const names[] = { "unspecified", "key-compromised", "lost-or-stolen", "decommissioned" };

	return r < 4 ? names[r] : "other";
}

static const char *role_name(unsigned int r)
{
	return r == FWG_ROLE_MANUFACTURER ? "manufacturer" : r == FWG_ROLE_CHECKER ? "checker" : "operator";
}

static int is_policy(const struct trust_event *e)
{
	return e->type == FWG_TX_POLICY || e->type == FWG_TX_ROTATE;
}

static int is_rollout(const struct trust_event *e)
{
	return e->type == FWG_TX_CONTROL || e->type == FWG_TX_ROLLOUT || e->type == FWG_TX_ADVANCE;
}

static const char *rollout_action(const struct trust_event *e)
{
	return e->type == FWG_TX_ROLLOUT ? "plan" : e->type == FWG_TX_ADVANCE ? "advance" : fwg_control_name(e->action);
}

/* What the action says beyond its name: a plan's stages, the stage opened, a pause or resume's seq. */
static void rollout_detail(const struct trust_event *e, char *out, size_t len)
{
	if (e->type == FWG_TX_ROLLOUT)
		snprintf(out, len, "%u stages", e->k);
	else if (e->type == FWG_TX_ADVANCE)
		snprintf(out, len, "stage %llu", (unsigned long long)e->epoch);
	else if (e->action == FWG_CONTROL_WITHDRAW)
		snprintf(out, len, "final");
	else
		snprintf(out, len, "seq %llu", (unsigned long long)e->epoch);
}

void fwg_trust_audit_grids(const struct fwg_trust_audit *ta, struct fwg_grid t[FWG_TRUST_GRIDS])
{
	static const uint8_t zero[FWGATE_ID_LEN];
	char hex[2 * FWGATE_ID_LEN + 1], when[32], detail[32];
	const struct trust_event *e;

	fwg_grid_init(&t[0], "policies", "Policy history", "type", "epoch", "digest", "block", "time", "by",
		      "manufacturer", "quorum", "checkers", "signed by", NULL);
	fwg_grid_init(&t[1], "revocations", "Revoked devices", "O_id", "by", "reason", "block", "time", NULL);
	fwg_grid_init(&t[2], "membership", "Membership changes", "name", "id", "change", "role", "block", "time",
		      "signed by", NULL);
	fwg_grid_init(&t[3], "controls", "Rollout plans and controls", "U_id", "action", "detail", "note", "block",
		      "time", "signed by", NULL);
	for (e = ta->ev; e < ta->ev + ta->nr; e++) {
		fwg_grid_time(e->time_ms, when);
		if (is_policy(e)) {
			fwg_hex(e->digest, 8, hex);
			fwg_grid_cell(&t[0], "%.31s", e->o_type[0] ? e->o_type : "-");
			fwg_grid_cell(&t[0], "%llu", (unsigned long long)e->epoch);
			fwg_grid_cell(&t[0], "%s", hex);
			fwg_grid_cell(&t[0], "%llu", (unsigned long long)e->height);
			fwg_grid_cell(&t[0], "%s", when);
			fwg_grid_cell(&t[0], "%s", e->type == FWG_TX_POLICY ? "line" : "rotation");
			fwg_grid_cell(&t[0], "%s", e->who);
			fwg_grid_cell(&t[0], "%u/%u", e->threshold, e->k);
			fwg_grid_cell(&t[0], "%s", e->checkers);
			fwg_grid_cell(&t[0], "%s", e->signers);
		} else if (e->type == FWG_TX_REVOKE) {
			fwg_hex(e->digest, FWGATE_ID_LEN, hex);
			fwg_grid_cell(&t[1], "%s", hex);
			fwg_grid_cell(&t[1], "%s", e->who);
			fwg_grid_cell(&t[1], "%s", reason_name(e->reason));
			fwg_grid_cell(&t[1], "%llu", (unsigned long long)e->height);
			fwg_grid_cell(&t[1], "%s", when);
		} else if (e->type == FWG_TX_MEMBER) {
			fwg_hex(e->digest, 8, hex);
			fwg_grid_cell(&t[2], "%s", e->who);
			fwg_grid_cell(&t[2], "%s", hex);
			fwg_grid_cell(&t[2], "%s", e->action == FWG_MEMBER_JOIN ? "join" : "leave");
			fwg_grid_cell(&t[2], "%s", role_name(e->role));
			fwg_grid_cell(&t[2], "%llu", (unsigned long long)e->height);
			fwg_grid_cell(&t[2], "%s", when);
			fwg_grid_cell(&t[2], "%s", e->signers);
		} else if (is_rollout(e)) {
			fwg_hex(e->digest, 8, hex);
			rollout_detail(e, detail, sizeof(detail));
			fwg_grid_cell(&t[3], "%s", hex);
			fwg_grid_cell(&t[3], "%s", rollout_action(e));
			fwg_grid_cell(&t[3], "%s", detail);
			fwg_hex(e->note, 8, hex);
			fwg_grid_cell(&t[3], "%s", e->type == FWG_TX_CONTROL && memcmp(e->note, zero, FWGATE_ID_LEN) ?
				      hex : "-");
			fwg_grid_cell(&t[3], "%llu", (unsigned long long)e->height);
			fwg_grid_cell(&t[3], "%s", when);
			fwg_grid_cell(&t[3], "%s", e->signers[0] ? e->signers : "-");
		}
	}
}

static struct json_object *jlist(const char *csv)
{
	struct json_object *a = json_object_new_array();
	char buf[SIGNERS_LEN], *w, *save;

	snprintf(buf, sizeof(buf), "%s", csv);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(w));
	return a;
}

void fwg_trust_audit_json(struct json_object *o, const struct fwg_trust_audit *ta)
{
	struct json_object *pol = json_object_new_array(), *rev = json_object_new_array(),
			   *mem = json_object_new_array(), *ctl = json_object_new_array(), *j;
	static const uint8_t zero[FWGATE_ID_LEN];
	const struct trust_event *e;

	for (e = ta->ev; e < ta->ev + ta->nr; e++) {
		j = json_object_new_object();
		json_object_object_add(j, "block", json_object_new_uint64(e->height));
		json_object_object_add(j, "time_ms", json_object_new_uint64(e->time_ms));
		if (is_policy(e)) {
			json_object_object_add(j, "type", json_object_new_string(e->o_type));
			json_object_object_add(j, "epoch", json_object_new_uint64(e->epoch));
			json_object_object_add(j, "digest", fwg_cmd_json_id(e->digest));
			json_object_object_add(j, "by", json_object_new_string(e->type == FWG_TX_POLICY ? "line" :
										 "rotation"));
			json_object_object_add(j, "manufacturer", json_object_new_string(e->who));
			json_object_object_add(j, "threshold", json_object_new_int(e->threshold));
			json_object_object_add(j, "checkers", jlist(e->checkers));
			json_object_object_add(j, "signed_by", jlist(e->signers));
			json_object_array_add(pol, j);
		} else if (e->type == FWG_TX_REVOKE) {
			json_object_object_add(j, "device", fwg_cmd_json_id(e->digest));
			json_object_object_add(j, "by", json_object_new_string(e->who));
			json_object_object_add(j, "reason", json_object_new_string(reason_name(e->reason)));
			json_object_array_add(rev, j);
		} else if (is_rollout(e)) {
			json_object_object_add(j, "u_id", fwg_cmd_json_id(e->digest));
			json_object_object_add(j, "action", json_object_new_string(rollout_action(e)));
			if (e->type == FWG_TX_ROLLOUT)
				json_object_object_add(j, "stages", json_object_new_int(e->k));
			else if (e->type == FWG_TX_ADVANCE)
				json_object_object_add(j, "stage", json_object_new_uint64(e->epoch));
			else if (e->action != FWG_CONTROL_WITHDRAW)
				json_object_object_add(j, "seq", json_object_new_uint64(e->epoch));
			if (e->type == FWG_TX_CONTROL)
				json_object_object_add(j, "note", memcmp(e->note, zero, FWGATE_ID_LEN) ?
						       fwg_cmd_json_id(e->note) : NULL);
			json_object_object_add(j, "signed_by", jlist(e->signers));
			json_object_array_add(ctl, j);
		} else {
			json_object_object_add(j, "name", json_object_new_string(e->who));
			json_object_object_add(j, "id", fwg_cmd_json_id(e->digest));
			json_object_object_add(j, "change", json_object_new_string(e->action == FWG_MEMBER_JOIN ?
										 "join" : "leave"));
			json_object_object_add(j, "role", json_object_new_string(role_name(e->role)));
			json_object_object_add(j, "signed_by", jlist(e->signers));
			json_object_array_add(mem, j);
		}
	}
	json_object_object_add(o, "policy_history", pol);
	json_object_object_add(o, "revoked_devices", rev);
	json_object_object_add(o, "membership_changes", mem);
	json_object_object_add(o, "rollout_controls", ctl);
}
