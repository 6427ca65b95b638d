// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate audit's trust sections (issue 12): each device type's policy history (epochs, digests, who signed
 * each step), the revoked devices and the membership changes, from the verified chain alone.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cmdutil.h"
#include "trust_audit.h"

#define SIGNERS_LEN	(FWG_SIGSET_MAX * (FWGATE_NAME_LEN + 1))

struct trust_event {
	uint8_t type;			/* FWG_TX_POLICY, _ROTATE, _REVOKE, _MEMBER */
	uint64_t height, time_ms;
	char o_type[FWGATE_NAME_LEN];
	uint64_t epoch;
	uint8_t digest[FWGATE_ID_LEN];	/* policy: the new digest; revoke: the device; member: the key */
	unsigned int threshold, k, reason, action, role;
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

	if (tx->type < FWG_TX_POLICY || tx->type > FWG_TX_MEMBER)
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

static const char *when(uint64_t ms, char out[32])
{
	time_t t = ms / 1000;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return out;
}

void fwg_trust_audit_text(FILE *f, const struct fwg_trust_audit *ta)
{
	char hex[2 * FWGATE_ID_LEN + 1], t[32];
	const struct trust_event *e;
	size_t n = 0;

	fprintf(f, "\nPolicy history\n");
	for (e = ta->ev; e < ta->ev + ta->nr; e++) {
		if (e->type != FWG_TX_POLICY && e->type != FWG_TX_ROTATE)
			continue;
		fwg_hex(e->digest, 8, hex);
		fprintf(f, "  %-8.31s epoch %-3llu %s.. block %-5llu %s  %s manufacturer %s, %u of %s; signed by %s\n",
			e->o_type, (unsigned long long)e->epoch, hex, (unsigned long long)e->height,
			when(e->time_ms, t), e->type == FWG_TX_POLICY ? "line:  " : "rotate:", e->who, e->threshold,
			e->checkers, e->signers);
		n++;
	}
	if (!n)
		fprintf(f, "  (no policy line on the chain: devices follow the genesis type policies)\n");
	fprintf(f, "\nRevoked devices\n");
	for (n = 0, e = ta->ev; e < ta->ev + ta->nr; e++) {
		if (e->type != FWG_TX_REVOKE)
			continue;
		fwg_hex(e->digest, FWGATE_ID_LEN, hex);
		fprintf(f, "  %s by %s, %s, block %llu %s\n", hex, e->who, reason_name(e->reason),
			(unsigned long long)e->height, when(e->time_ms, t));
		n++;
	}
	if (!n)
		fprintf(f, "  (none)\n");
	fprintf(f, "\nMembership changes\n");
	for (n = 0, e = ta->ev; e < ta->ev + ta->nr; e++) {
		if (e->type != FWG_TX_MEMBER)
			continue;
		fprintf(f, "  %s %s %s, block %llu %s; signed by %s\n", e->who,
			e->action == FWG_MEMBER_JOIN ? "joined as" : "left as", role_name(e->role),
			(unsigned long long)e->height, when(e->time_ms, t), e->signers);
		n++;
	}
	if (!n)
		fprintf(f, "  (none since genesis)\n");
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
			   *mem = json_object_new_array(), *j;
	const struct trust_event *e;

	for (e = ta->ev; e < ta->ev + ta->nr; e++) {
		j = json_object_new_object();
		json_object_object_add(j, "block", json_object_new_uint64(e->height));
		json_object_object_add(j, "time_ms", json_object_new_uint64(e->time_ms));
		if (e->type == FWG_TX_POLICY || e->type == FWG_TX_ROTATE) {
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
}
