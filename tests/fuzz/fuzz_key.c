// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a public key and a signature as they come from the chain, through the crypto backend it is
 * linked with (fuzz_key: OpenSSL, the tools'; fuzz_key_mbedtls: mbedTLS, the agent's). Input: one byte for the
 * algorithm, two for the key's length, the key, then the signature; the message is fixed. A key the backend
 * accepts must encode back to the same bytes (one encoding, one id), and no forged signature may verify.
 */
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char msg[] = "fwgate fuzz_key";
	struct fwg_pubkey enc;
	struct fwg_key *key;
	uint32_t alg;
	size_t klen;

	if (size < 3)
		return 0;
	alg = data[0] & 1 ? FWGATE_KEY_P256 : FWGATE_KEY_RSA3072;
	klen = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (klen > size)
		return 0;
	key = fwg_pubkey_decode(alg, data, klen);
	if (!key)
		return 0;
	if (fwg_key_encode(key, &enc) || enc.alg != alg || enc.len != klen || memcmp(enc.data, data, klen))
		abort();
	/* Random bytes are no signature of msg by anyone: accepting one would be a forgery. */
	if (!fwg_verify_pkey(key, msg, sizeof(msg), data + klen, size - klen))
		abort();
	fwg_key_free(key);
	return 0;
}
