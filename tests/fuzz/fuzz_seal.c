// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: opening a sealed image (chain/seal.c). The first recipient slot is rewritten to name this
 * target's key, so that inputs reach the key agreement and both GCM openings rather than stop at the lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fwg_pubkey pub;
	static struct fwg_key *key;
	uint8_t *copy, *out;
	size_t len;

	if (!key) {
		key = fwg_key_create(FWGATE_KEY_P256);
		fwg_key_encode(key, &pub);
	}
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (size >= FWG_SEAL_HDR + 32)
		memcpy(copy + FWG_SEAL_HDR, pub.id, 32);
	out = fwg_unseal(copy, size, key, &len);
	if (out && len > size)
		abort();
	free(out);
	free(copy);
	return 0;
}
