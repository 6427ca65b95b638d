// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the trust-policy encoding decoder (lib/policy.c); whatever it accepts must re-encode to
 * the same bytes (the encoding is canonical: one policy, one digest).
 */
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FWG_POLICY_ENC_MAX];
	struct fwg_policy_err err;
	struct fwg_policy p;
	uint64_t epoch;
	size_t n;

	if (fwg_policy_decode(data, size, &p, &epoch, &err)) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)))
			abort();
		return 0;
	}
	n = fwg_policy_encode(&p, epoch, out, sizeof(out), &err);
	if (n != size || memcmp(out, data, size))
		abort();
	return 0;
}
