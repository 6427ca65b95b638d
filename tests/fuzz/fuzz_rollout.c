// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a sequence of transactions (each be16 length, then its bytes) read as the rollouts
 * (chain/rollout.c), the inventory (chain/inventory.c) and fwgated's gate (agent/gate.c) read a verified
 * chain. Whatever the decoder accepts is recorded; the gate's answers and the coverage must stay in range.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "inventory.h"

static void check_update(const struct fwg_inv *v, const struct fwg_rollouts *rs, const struct fwg_rollout *r)
{
	static const uint64_t times[] = { 0, 1, 2000000000ull, UINT64_MAX };
	struct fwg_coverage c;
	struct fwg_gate g;
	uint8_t id[FWGATE_ID_LEN];
	unsigned int i, t, k, sum;
	int stages = r->has_plan ? (int)be32toh(r->plan.stages) : 0, s;

	for (i = 0; i < 8; i++) {
		memset(id, i * 37, sizeof(id));
		for (t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
			fwg_rollout_gate(rs, r->u_id, id, times[t], &g);
			if (g.verdict < FWG_GATE_OPEN || g.verdict > FWG_GATE_WITHDRAWN)
				abort();
			if (g.planned && (g.stage >= g.stages || g.open_through >= (int)g.stages))
				abort();
		}
	}
	for (s = -1; s < stages; s++) {
		if (fwg_inv_coverage(v, r->u_id, s, &c))
			continue;
		for (k = 0, sum = 0; k < __FWG_OUT_MAX; k++)
			sum += c.n[k];
		if (sum != c.fleet)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwg_inv *v = fwg_inv_new();
	struct fwg_rollouts rs = { 0 };
	struct fwg_err err;
	struct fwg_tx tx;
	uint64_t height = 0;
	size_t off = 0, len, i;

	if (!v)
		return 0;
	while (off + 2 <= size) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			break;
		if (!fwg_tx_decode(data + off, len, &tx, &err)) {
			if (!fwg_rollouts_check(&rs, &tx, &err))
				fwg_rollouts_note(&rs, &tx, height);
			else if (!memchr(err.msg, '\0', sizeof(err.msg)))
				abort();
			fwg_inv_add(v, &tx, height);
			fwg_tx_release(&tx);
		}
		off += len;
		height++;
	}
	for (i = 0; i < rs.n; i++)
		check_update(v, &rs, &rs.r[i]);
	for (i = 0; i < fwg_inv_rollouts(v)->n; i++)
		check_update(v, fwg_inv_rollouts(v), &fwg_inv_rollouts(v)->r[i]);
	fwg_rollouts_free(&rs);
	fwg_inv_free(v);
	return 0;
}
