// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the transaction decoder (chain/tx.c, and chain/control.c for control transactions); whatever it
 * accepts must re-encode to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FWG_TX_MAX];
	const char *urls[FWG_MAX_URLS];
	struct fwg_err err;
	struct fwg_tx tx;
	unsigned int i;
	size_t n;

	if (fwg_tx_decode(data, size, &tx, &err)) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)))
			abort();
		return 0;
	}
	if (tx.type == FWG_TX_GENESIS) {
		n = fwg_genesis_encode(tx.genesis, out, sizeof(out));
	} else if (fwg_tx_multi(tx.type)) {
		n = fwg_tx_encode_multi(tx.type, tx.msg, tx.msg_len, tx.payload, tx.payload_len, tx.sigs, out,
					sizeof(out));
	} else if (tx.type == FWG_TX_CONTROL) {
		static struct fwg_sigset set;

		/* The decoder checked the set's shape: it decodes again, sorted and unique. */
		if (fwg_control_sigs(&tx, &set))
			abort();
		n = fwg_control_encode(&tx.s.control, &set, out, sizeof(out));
	} else if (tx.type == FWG_TX_BLOB) {
		n = fwg_blob_encode(&tx.s.blob, tx.sig, tx.sig_len, tx.chunk, out, sizeof(out));
	} else {
		for (i = 0; i < tx.nr_urls; i++)
			urls[i] = tx.urls[i];
		n = fwg_tx_encode_signed(tx.type, tx.msg, tx.msg_len, tx.sig, tx.sig_len, urls, tx.nr_urls, tx.chunks,
					 tx.chunks_len, out, sizeof(out));
	}
	if (n != size || memcmp(out, data, size))
		abort();
	fwg_tx_release(&tx);
	return 0;
}
