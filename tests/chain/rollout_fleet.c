// SPDX-License-Identifier: GPL-2.0
/*
 * The fleet simulation of staged rollouts (tests/chain/rollout.sh): the decisions of many devices against a
 * real chain, with fwgated's own code.
 *
 *   rollout_fleet gate --node URL --policy POLICY --store DIR --devices N
 *	syncs the chain once as fwgated does (agent/sync.c, verified against POLICY; the rollout statements it
 *	keeps go to the worker's fwg_rollouts_note), then asks fwgated's stage gate (agent/gate.c) for each of
 *	N device ids, SHA-256("fleet" || be32 i), about every update the chain holds for the policy's type.
 *	Prints one JSON object per update: the verdicts, and per stage of its plan the devices drawn into it,
 *	the plan's share of them and how many would install now.
 *
 *   rollout_fleet report --node URL --manufacturer M.key --update U.stmt --devices N [--running]
 *	certifies N fresh P-256 devices of the update's type, and each one whose stage is open reports, by its
 *	index: i % 4 = 0 an install ack, 1 an install ack then (--running) a running ack, 2 an install ack then
 *	a nack "health", 3 a nack "refused". Prints the per-stage counts it posted, as `fwgate rollout status
 *	--json` shows them.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "files.h"
#include "gate.h"
#include "inventory.h"
#include "keys.h"
#include "log.h"
#include "sync.h"

#define MAX_UPDATES	64

static struct fwg_rollouts rollouts;
static struct fwgate_update_stmt updates[MAX_UPDATES];
static unsigned int nr_updates;

/* The worker's on_tx, as far as the gate is concerned. */
static int on_tx(const struct fwg_tx *tx, const uint8_t *raw, size_t len, const uint8_t id[FWGATE_ID_LEN],
		 uint64_t height, void *arg)
{
	(void)raw;
	(void)len;
	(void)id;
	(void)arg;
	if (tx->type == FWG_TX_UPDATE) {
		if (nr_updates < MAX_UPDATES)
			updates[nr_updates++] = tx->s.update;
		return 0;
	}
	return fwg_rollouts_note(&rollouts, tx, height) ? -1 : 0;
}

static void fleet_id(uint32_t i, uint8_t out[FWGATE_ID_LEN])
{
	uint8_t in[5 + 4];

	memcpy(in, "fleet", 5);
	i = htobe32(i);
	memcpy(in + 5, &i, 4);
	fwg_sha256(in, sizeof(in), out);
}

static int gate(const char *node, const char *policy, const char *store, uint32_t devices)
{
	unsigned int verdicts[FWG_GATE_WITHDRAWN + 1], in[FWGATE_ROLLOUT_MAX_STAGES], go[FWGATE_ROLLOUT_MAX_STAGES];
	struct fwg_sync_result res;
	struct fwg_policy p;
	struct fwg_sync *s;
	struct fwg_gate g;
	uint8_t o_id[FWGATE_ID_LEN];
	char hex[2 * FWGATE_ID_LEN + 1], *text;
	uint64_t now = time(NULL);
	unsigned int u, k, prev;
	uint32_t i;
	size_t len;

	if (fwg_read_file(policy, (uint8_t **)&text, &len, 65536) || fwg_policy_parse(policy, text, len, &p))
		return 1;
	free(text);
	s = fwg_sync_new(&p, p.device_id, NULL, store, on_tx, NULL);
	if (!s || fwg_sync_run(s, node, &res)) {
		log_warnx("sync from %s: %s", node, s ? res.msg : "can not open the store");
		return 1;
	}
	for (u = 0; u < nr_updates; u++) {
		const struct fwg_rollout *r = fwg_rollouts_find(&rollouts, updates[u].u_id);

		memset(verdicts, 0, sizeof(verdicts));
		memset(in, 0, sizeof(in));
		memset(go, 0, sizeof(go));
		for (i = 0; i < devices; i++) {
			fleet_id(i, o_id);
			fwg_rollout_gate(&rollouts, updates[u].u_id, o_id, now, &g);
			verdicts[g.verdict]++;
			in[g.stage]++;
			go[g.stage] += g.verdict == FWG_GATE_OPEN;
		}
		fwg_hex(updates[u].u_id, FWGATE_ID_LEN, hex);
		printf("{\"u_id\":\"%s\",\"devices\":%u,\"planned\":%s", hex, devices,
		       r && r->has_plan ? "true" : "false");
		for (k = 0; k <= FWG_GATE_WITHDRAWN; k++)
			printf(",\"%s\":%u", fwg_gate_name(k), verdicts[k]);
		printf(",\"stages\":[");
		for (k = 0, prev = 0; r && r->has_plan && k < be32toh(r->plan.stages); k++) {
			unsigned int share = be32toh(r->plan.stage[k].share);

			printf("%s{\"stage\":%u,\"devices\":%u,\"plan\":%.4f,\"drawn\":%.4f,\"install\":%u}", k ? "," : "",
			       k, in[k], (share - prev) / 10000.0, (double)in[k] / devices, go[k]);
			prev = share;
		}
		printf("]}\n");
	}
	fwg_sync_free(s);
	fwg_rollouts_free(&rollouts);
	return 0;
}

/* Reads the verified chain's rollouts (fwg_node_follow: the node-side view) for the report mode. */
static int follow_block(const uint8_t *buf, size_t len, void *arg)
{
	struct fwg_block b;
	struct fwg_err e;
	struct fwg_tx *tx = arg;
	uint32_t i;

	if (fwg_block_decode(buf, len, &b, &e))
		return -1;
	for (i = 0; i < b.hdr.nr_tx; i++) {
		if (fwg_tx_decode(b.tx[i], b.tx_len[i], tx, &e))
			continue;
		fwg_rollouts_note(&rollouts, tx, b.hdr.height);
		fwg_tx_release(tx);
	}
	fwg_block_release(&b);
	return 0;
}

static int submit(const char *node, struct fwg_key *key, uint8_t type, const void *stmt, size_t len)
{
	static uint8_t buf[FWG_TX_MAX];
	char answer[512];
	size_t n = fwg_tx_sign(key, type, stmt, len, NULL, 0, NULL, 0, buf, sizeof(buf));
	long code = n ? fwg_node_submit(node, buf, n, answer, sizeof(answer)) : -1;

	if (code != 200)
		log_warnx("%s: %s refused (HTTP %ld): %s", node, fwg_tx_type_name(type), code, n ? answer : "sign");
	return code == 200 ? 0 : -1;
}

static int report(const char *node, const char *mkey_path, const char *update, uint32_t devices, int running)
{
	unsigned int n[FWGATE_ROLLOUT_MAX_STAGES][__FWG_OUT_MAX] = { { 0 } }, fleet[FWGATE_ROLLOUT_MAX_STAGES] = { 0 };
	static struct fwg_tx tx;
	struct fwgate_devcert_stmt c = {};
	struct fwgate_nack_stmt nk = {};
	struct fwgate_ack_stmt a = {};
	struct fwg_signed_stmt s;
	struct fwg_pubkey mpub, dpub;
	struct fwg_key *mkey, *dkey;
	struct fwg_state *st = fwg_state_new();
	const struct fwg_rollout *r;
	struct fwg_gate g;
	struct fwg_err e;
	uint64_t now = time(NULL);
	unsigned int k, out;
	uint8_t *buf;
	uint32_t i;
	size_t len;

	if (fwg_read_file(update, &buf, &len, FWG_TX_MAX) || fwg_stmt_parse(buf, len, &s))
		fatalx("--update: %s is not a signed update statement", update);
	free(buf);
	mkey = fwg_key_load_private(mkey_path);
	if (!mkey || fwg_key_encode(mkey, &mpub))
		return 1;
	if (fwg_node_follow(node, 0, st, follow_block, &tx, &e))
		fatalx("%s: %s", node, e.msg);
	fwg_state_free(st);
	r = fwg_rollouts_find(&rollouts, s.stmt.u_id);
	if (!r || !r->has_plan)
		fatalx("--update: no rollout plan on the chain for it");
	for (i = 0; i < devices; i++) {
		dkey = fwg_key_create(FWGATE_KEY_P256);
		if (!dkey || fwg_key_encode(dkey, &dpub))
			fatalx("keygen");
		memcpy(c.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
		memcpy(c.m_id, mpub.id, FWGATE_ID_LEN);
		memcpy(c.o_type, s.stmt.o_type, FWGATE_NAME_LEN);
		memcpy(c.pubkey, dpub.data, sizeof(c.pubkey));
		if (submit(node, mkey, FWG_TX_DEVCERT, &c, sizeof(c)))
			return 1;
		fwg_rollout_gate(&rollouts, s.stmt.u_id, dpub.id, now, &g);
		fleet[g.stage]++;
		if (g.verdict != FWG_GATE_OPEN) {
			fwg_key_free(dkey);
			continue;
		}
		memcpy(a.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
		memcpy(a.u_id, s.stmt.u_id, FWGATE_ID_LEN);
		memcpy(a.o_id, dpub.id, FWGATE_ID_LEN);
		a.version = s.stmt.version;
		memcpy(a.target, s.stmt.target, FWGATE_NAME_LEN);
		a.time = htobe64(now);
		memcpy(nk.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
		memcpy(nk.u_id, s.stmt.u_id, FWGATE_ID_LEN);
		memcpy(nk.o_id, dpub.id, FWGATE_ID_LEN);
		memcpy(nk.culprit_id, i % 4 == 2 ? dpub.id : mpub.id, FWGATE_ID_LEN);
		nk.reason = htobe32(i % 4 == 2 ? FWGATE_NACK_HEALTH : FWGATE_NACK_REFUSED);
		nk.time = htobe64(now);
		out = FWG_OUT_INSTALLED;
		if (i % 4 != 3 && submit(node, dkey, FWG_TX_ACK, &a, sizeof(a)))
			return 1;
		if (i % 4 == 1 && running) {
			memcpy(a.magic, FWGATE_MAGIC_RUNNING, FWGATE_MAGIC_LEN);
			if (submit(node, dkey, FWG_TX_RUNNING, &a, sizeof(a)))
				return 1;
			out = FWG_OUT_RUNNING;
		}
		if (i % 4 >= 2) {
			if (submit(node, dkey, FWG_TX_NACK, &nk, sizeof(nk)))
				return 1;
			out = i % 4 == 2 ? FWG_OUT_FELL_BACK : FWG_OUT_REFUSED;
		}
		n[g.stage][out]++;
		fwg_key_free(dkey);
	}
	printf("[");
	for (k = 0; k < be32toh(r->plan.stages); k++) {
		unsigned int silent = fleet[k] - n[k][FWG_OUT_INSTALLED] - n[k][FWG_OUT_RUNNING] -
				      n[k][FWG_OUT_FELL_BACK] - n[k][FWG_OUT_REFUSED];

		printf("%s{\"stage\":%u,\"devices\":%u,\"running\":%u,\"installed\":%u,\"fell_back\":%u,\"refused\":%u,"
		       "\"silent\":%u}", k ? "," : "", k, fleet[k], n[k][FWG_OUT_RUNNING], n[k][FWG_OUT_INSTALLED],
		       n[k][FWG_OUT_FELL_BACK], n[k][FWG_OUT_REFUSED], silent);
	}
	printf("]\n");
	fwg_key_free(mkey);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "policy", required_argument, NULL, 'p' },
		{ "store", required_argument, NULL, 's' },
		{ "devices", required_argument, NULL, 'd' },
		{ "manufacturer", required_argument, NULL, 'm' },
		{ "update", required_argument, NULL, 'u' },
		{ "running", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *node = NULL, *policy = NULL, *store = NULL, *mkey = NULL, *update = NULL;
	uint32_t devices = 10000;
	int c, running = 0;

	log_init("rollout_fleet", 0);
	if (argc < 2)
		usagex("usage: rollout_fleet gate|report OPTIONS (see tests/chain/rollout_fleet.c)");
	while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': node = optarg; break;
		case 'p': policy = optarg; break;
		case 's': store = optarg; break;
		case 'd': devices = strtoul(optarg, NULL, 10); break;
		case 'm': mkey = optarg; break;
		case 'u': update = optarg; break;
		case 'r': running = 1; break;
		default: usagex("rollout_fleet: unknown option");
		}
	}
	if (!strcmp(argv[1], "kinds")) {
		/* The transaction kinds this tree's ledger knows: the suite posts running acks only if it has them. */
		for (c = 1; c < __FWG_TX_MAX; c++)
			if (fwg_tx_type_name(c) && strcmp(fwg_tx_type_name(c), "unknown"))
				printf("%s\n", fwg_tx_type_name(c));
		return 0;
	}
	if (!strcmp(argv[1], "gate") && node && policy && store && devices)
		return gate(node, policy, store, devices);
	if (!strcmp(argv[1], "report") && node && mkey && update && devices)
		return report(node, mkey, update, devices, running);
	usagex("usage: rollout_fleet gate|report OPTIONS (see tests/chain/rollout_fleet.c)");
}
