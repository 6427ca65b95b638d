// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kernel's strict decoder of a trust policy's encoding (kmod/policy-encoding.h), the
 * bytes policy-rotate takes from userspace, built in userspace. An encoding it accepts must be canonical:
 * the kernel's encoder writes it back byte for byte, and what it decoded keeps the format's rules.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <linux/fwgate.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define fwgate_enc_sha256(data, len, out)	SHA256(data, len, out)
#include "policy-encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 again[FWGATE_MAX_POLICY_LEN];
	struct fwgate_enc_policy p;
	const char *why = NULL;
	size_t n;
	u32 i;

	if (fwgate_policy_decode(data, size, &p, &why)) {
		if (!why || strncmp(why, "policy encoding: ", 17))
			abort();	/* every refusal names the field */
		return 0;
	}
	if (size > FWGATE_MAX_POLICY_LEN || !p.epoch || !p.k || p.k > FWGATE_MAX_CHECKERS ||
	    p.threshold < p.k / 2 + 1 || p.threshold > p.k)
		abort();
	for (i = 0; i <= p.k; i++)
		if (p.key[i].data < data || p.key[i].data + p.key[i].len > data + size)
			abort();
	n = fwgate_policy_encode(&p, again);
	if (n != size || memcmp(again, data, size))
		abort();
	return 0;
}
