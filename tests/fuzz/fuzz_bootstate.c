// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: fwgated's boot record parser (agent/bootstate.c). The file is root's, but a torn or
 * corrupted one must be refused, never read past; a record that parses must format back to the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "bootstate.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwg_boot_state s, r;
	char err[160], text[1024];
	size_t n;

	log_init("fuzz_bootstate", -1);
	if (fwg_boot_state_parse((const char *)data, size, &s, err, sizeof(err)))
		return 0;
	n = fwg_boot_state_format(&s, text, sizeof(text));
	if (!n || fwg_boot_state_parse(text, n, &r, err, sizeof(err)) || memcmp(&s, &r, sizeof(s)))
		abort();
	return 0;
}
