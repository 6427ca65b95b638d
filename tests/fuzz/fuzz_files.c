// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the signed-statement and verdict file parsers (lib/files.c), with a round trip. */
#include <stdlib.h>
#include <string.h>

#include "files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwg_signed_stmt s;
	struct fwg_verdict v;
	uint8_t out[4096];
	size_t n;

	if (!fwg_stmt_parse(data, size, &s)) {
		n = fwg_stmt_encode(&s, out, sizeof(out));
		if (n != size || memcmp(out, data, size))
			abort();
	}
	if (!fwg_verdict_parse(data, size, &v)) {
		n = fwg_verdict_encode(&v, out, sizeof(out));
		if (n != size || memcmp(out, data, size))
			abort();
	}
	return 0;
}
