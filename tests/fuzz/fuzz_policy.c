// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the device trust-policy file parser (lib/files.c), with a format/parse round trip. */
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[65536];
	struct fwg_policy p, q;
	int n;

	log_init("fuzz_policy", -1);
	if (fwg_policy_parse("fuzz", (const char *)data, size, &p))
		return 0;
	n = fwg_policy_format(&p, text, sizeof(text));
	if (n < 0 || fwg_policy_parse("again", text, n, &q) || memcmp(&p, &q, sizeof(p)))
		abort();
	return 0;
}
