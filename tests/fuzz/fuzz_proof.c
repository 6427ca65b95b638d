// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the inclusion-proof decoder and verifier (chain/block.c), with a round trip. */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t leaf[FWGATE_ID_LEN], root[FWGATE_ID_LEN];
	uint8_t out[16 + FWG_PROOF_MAX_DEPTH * FWGATE_ID_LEN];
	struct fwg_proof p;

	if (fwg_proof_decode(data, size, &p))
		return 0;
	if (fwg_proof_encode(&p, out, sizeof(out)) != size || memcmp(out, data, size))
		abort();
	fwg_merkle_verify(&p, leaf, root);
	return 0;
}
