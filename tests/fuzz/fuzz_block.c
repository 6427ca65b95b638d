// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the block decoder (chain/block.c) and the ledger state fed with it (chain/state.c),
 * signatures included. A decoded block must re-encode to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwg_state *st;
	struct fwg_block b;
	struct fwg_err err;
	uint8_t *out;
	size_t n;

	if (!fwg_block_decode(data, size, &b, &err)) {
		struct fwg_block_hdr h = b.hdr;

		out = fwg_block_encode(&h, b.tx, b.tx_len, b.hdr.nr_tx, &n);
		if (!out || n != size || memcmp(out, data, size))
			abort();
		free(out);
		fwg_block_release(&b);
	}
	st = fwg_state_new();
	fwg_state_add_block(st, data, size, 1, &err);
	fwg_state_free(st);
	return 0;
}
