// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the streaming opener of sealed images (chain/seal.c), fed in chunks whose sizes come
 * from the first two input bytes; the rest is the sealed image. However it is cut, the opener must give
 * the same plain bytes and the same verdict as one feed of the whole. As in fuzz_seal.c, the first
 * recipient slot is rewritten to name this target's key so that inputs reach the key agreement and GCM.
 * Built for both backends (lib/crypto.h): fuzz_seal_stream_mbedtls checks the agent's.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keys.h"
#include "seal.h"

struct digest {
	struct fwg_sha256_ctx md;
	size_t len;
};

static int hash(const uint8_t *buf, size_t len, void *arg)
{
	struct digest *d = arg;

	fwg_sha256_update(&d->md, buf, len);
	d->len += len;
	return 0;
}

/* Opens @in cut into chunks drawn from @seed (0: one feed); the verdict, the output's digest and length. */
static int open_in_chunks(struct fwg_key *key, const uint8_t *in, size_t len, unsigned int seed,
			  uint8_t out[32], size_t *out_len)
{
	struct fwg_unseal_stream *s = fwg_unseal_stream_new(key);
	struct digest d = { .len = 0 };
	size_t off, k;
	int err = 0;

	if (!s)
		abort();
	fwg_sha256_init(&d.md);
	for (off = 0; off < len && !err; off += k) {
		seed = seed * 1103515245 + 12345;
		k = seed ? 1 + (seed >> 16) % 257 : len;
		k = k < len - off ? k : len - off;
		err = fwg_unseal_stream_feed(s, in + off, k, hash, &d);
	}
	if (!err)
		err = fwg_unseal_stream_final(s);
	fwg_sha256_final(&d.md, out);
	*out_len = d.len;
	fwg_unseal_stream_free(s);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fwg_pubkey pub;
	static struct fwg_key *key;
	uint8_t *copy, whole[32], cut[32];
	size_t len, whole_len, cut_len;
	unsigned int seed;
	int whole_err, cut_err;

	if (!key) {
		key = fwg_key_create(FWGATE_KEY_P256);
		fwg_key_encode(key, &pub);
	}
	if (size < 2)
		return 0;
	seed = (data[0] << 8 | data[1]) + 1;
	len = size - 2;
	copy = malloc(len ? len : 1);
	memcpy(copy, data + 2, len);
	if (len >= FWG_SEAL_HDR + 32)
		memcpy(copy + FWG_SEAL_HDR, pub.id, 32);
	whole_err = open_in_chunks(key, copy, len, 0, whole, &whole_len);
	cut_err = open_in_chunks(key, copy, len, seed, cut, &cut_len);
	/* A failed opening may stop at a different byte; a successful one must be the same bytes. */
	if (whole_err != cut_err || (!whole_err && (whole_len != cut_len || memcmp(whole, cut, 32))))
		abort();
	if (whole_len > len)
		abort();
	free(copy);
	return 0;
}
