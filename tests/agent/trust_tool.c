// SPDX-License-Identifier: GPL-2.0
/*
 * The consortium's trust transactions, for tests/agent/trust.sh: a device type's policy line, a member
 * joining, a policy rotation, each signed with the key files given and submitted to a node. A policy is
 * "M.pub:C1.pub,C2.pub,...:Q"; a NODE of "-" writes the transaction to stdout instead (fuzz seeds). (The
 * consortium's own commands for these are fwgate's.)
 *
 *   trust_tool line NODE TYPE POLICY SIGNER.key...
 *   trust_tool join NODE checker|manufacturer NAME KEY.pub SIGNER.key...
 *   trust_tool rotate NODE POLICY EPOCH NEXT_POLICY SIGNER.key...
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"

static void policy_arg(const char *spec, struct fwg_policy *p)
{
	char buf[4096], *m, *cs, *q, *c, *save;

	memset(p, 0, sizeof(*p));
	snprintf(buf, sizeof(buf), "%s", spec);
	m = strtok_r(buf, ":", &save);
	cs = strtok_r(NULL, ":", &save);
	q = strtok_r(NULL, ":", &save);
	if (!m || !cs || !q || fwg_pubkey_load(m, &p->manufacturer))
		fatalx("\"%s\": not M.pub:C1.pub,...:Q", spec);
	for (c = strtok_r(cs, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (p->k == FWGATE_MAX_CHECKERS || fwg_pubkey_load(c, &p->checkers[p->k++]))
			fatalx("%s: not a checker key", c);
	p->threshold = atoi(q);
}

static void sign_all(struct fwg_sigset *set, const void *msg, size_t len, char **keys, int n)
{
	struct fwg_pubkey pub;
	struct fwg_key *k;
	size_t sl;
	int i;

	memset(set, 0, sizeof(*set));
	for (i = 0; i < n; i++) {
		struct fwg_sig *s = &set->sig[set->count++];

		k = fwg_key_load_private(keys[i]);
		if (!k || fwg_key_encode(k, &pub))
			fatalx("%s: not a private key", keys[i]);
		sl = FWGATE_MAX_SIG_LEN;
		if (fwg_sign(k, msg, len, s->sig, &sl))
			fatalx("%s: can not sign", keys[i]);
		s->len = sl;
		memcpy(s->key_id, pub.id, FWGATE_ID_LEN);
		fwg_key_free(k);
	}
}

static int submit(const char *node, uint8_t type, const void *stmt, size_t stmt_len, const uint8_t *payload,
		  size_t payload_len, struct fwg_sigset *set)
{
	static uint8_t buf[FWG_TX_MAX];
	char answer[1024];
	size_t n = fwg_tx_encode_multi(type, stmt, stmt_len, payload, payload_len, set, buf, sizeof(buf));
	long status;

	if (!n)
		fatalx("%s: can not encode it", fwg_tx_type_name(type));
	if (!strcmp(node, "-"))
		return fwrite(buf, 1, n, stdout) == n ? 0 : 1;
	status = fwg_node_submit(node, buf, n, answer, sizeof(answer));
	printf("%s: %ld %s\n", fwg_tx_type_name(type), status, answer);
	return status == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static uint8_t enc[FWG_POLICY_ENC_MAX];
	static struct fwg_sigset set;
	struct fwg_policy p, next;
	struct fwg_policy_err e;
	size_t n;

	log_init("trust_tool", 0);
	if (argc >= 5 && !strcmp(argv[1], "line")) {
		struct fwg_line_stmt st = { .magic = FWG_MAGIC_LINE };

		policy_arg(argv[4], &p);
		n = fwg_policy_encode(&p, 1, enc, sizeof(enc), &e);
		if (!n)
			fatalx("policy: %s", e.msg);
		snprintf(st.o_type, sizeof(st.o_type), "%s", argv[3]);
		fwg_sha256(enc, n, st.digest);
		sign_all(&set, &st, sizeof(st), argv + 5, argc - 5);
		return submit(argv[2], FWG_TX_POLICY, &st, sizeof(st), enc, n, &set);
	}
	if (argc >= 6 && !strcmp(argv[1], "join")) {
		struct fwg_member_stmt st = { .magic = FWG_MAGIC_MEMBER, .action = FWG_MEMBER_JOIN };
		struct fwg_pubkey k;

		if (fwg_pubkey_load(argv[5], &k))
			return 1;
		st.role = !strcmp(argv[3], "manufacturer") ? FWG_ROLE_MANUFACTURER : FWG_ROLE_CHECKER;
		st.alg = k.alg;
		snprintf(st.name, sizeof(st.name), "%s", argv[4]);
		memcpy(st.key_id, k.id, FWGATE_ID_LEN);
		st.issued = htobe64(time(NULL));
		sign_all(&set, &st, sizeof(st), argv + 6, argc - 6);
		return submit(argv[2], FWG_TX_MEMBER, &st, sizeof(st), k.data, k.len, &set);
	}
	if (argc >= 6 && !strcmp(argv[1], "rotate")) {
		struct fwgate_rotate_stmt st;
		uint64_t epoch = strtoull(argv[4], NULL, 10);

		policy_arg(argv[3], &p);
		policy_arg(argv[5], &next);
		n = fwg_policy_encode(&next, epoch + 1, enc, sizeof(enc), &e);
		if (!n || fwg_rotation_stmt(&p, epoch, enc, n, time(NULL), &st, &e))
			fatalx("rotation: %s", e.msg);
		sign_all(&set, &st, sizeof(st), argv + 6, argc - 6);
		return submit(argv[2], FWG_TX_ROTATE, &st, sizeof(st), enc, n, &set);
	}
	fprintf(stderr, "usage: trust_tool line NODE TYPE POLICY SIGNER.key... | join NODE ROLE NAME KEY.pub "
		"SIGNER.key... | rotate NODE POLICY EPOCH NEXT_POLICY SIGNER.key...\n");
	return 64;
}
