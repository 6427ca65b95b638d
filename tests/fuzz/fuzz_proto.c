// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the monitor's check of what fwgated's unprivileged worker sends it (agent/proto.c). A
 * message it accepts must be safe to use as its type's struct: every length within its buffer (bundles'
 * signatures, an install's hash list, a control statement's signatures). A rotation's transaction is then
 * decoded as the monitor decodes it for the kernel (agent/anchor.c).
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[sizeof(struct fwg_msg_bundle) + FWG_MSG_DATA_MAX];
	const struct fwg_msg_bundle *b = (const void *)buf;
	const struct fwg_msg_begin *bg = (const void *)buf;
	volatile uint8_t sink = 0;
	uint32_t i;
	int type;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	type = fwg_msg_check(buf, size);
	if (type == FWG_MSG_BEGIN) {
		/* What install_begin() hands to the kernel: the hash list it points at. */
		for (i = 0; i < bg->chunks_len; i++)
			sink ^= bg->chunks[i];
		(void)sink;
		return 0;
	}
	if (type == FWG_MSG_ROTATE) {
		const struct fwg_msg_rotate *r = (const void *)buf;
		struct fwg_err e;
		struct fwg_tx tx;

		if (!fwg_tx_decode(r->tx, r->len, &tx, &e))
			fwg_tx_release(&tx);
	}
	if (type == FWG_MSG_CONTROL) {
		const struct fwg_msg_control *c = (const void *)buf;

		/* What control() hands to netlink: every signature byte of the first n. */
		for (i = 0; i < c->n; i++)
			for (uint32_t j = 0; j < c->sig[i].sig_len; j++)
				sink ^= c->sig[i].sig[j];
		(void)sink;
		return 0;
	}
	if (type != FWG_MSG_BUNDLE)
		return 0;
	/* What bundle() hands to netlink: read every signature byte it covers. */
	for (i = 0; i < b->sig_len; i++)
		sink ^= b->sig[i];
	for (i = 0; i < b->nv; i++)
		for (uint32_t j = 0; j < b->v[i].sig_len; j++)
			sink ^= b->v[i].sig[j];
	(void)sink;
	return 0;
}
