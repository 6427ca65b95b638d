// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the kernel's DER check of RSA-3072 policy keys (kmod/der.h), built in userspace. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;

#include "der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fwgate_der_rsa3072_check(data, size);
	return 0;
}
