// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: fwgated's chain sync (agent/sync.c) on what a node sends, and the head parser. Input:
 * be16 length, a trust-policy file of that length (the device's: which transactions are relevant, whose
 * keys sign them), then the node's block stream (be32 length, block, ...). The seeds in
 * tests/fuzz/corpus/sync are real streams with updates, verdicts and a device certificate for the policy.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "sync.h"

static char dir[] = "/dev/shm/fuzz_sync.XXXXXX";

static void clean(void)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/head", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tx.log", dir);
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct fwg_sync_result r;
	struct fwg_policy p;
	struct fwg_sync *s;
	struct fwg_head h;
	char *text;
	size_t plen;

	if (!ready) {
		log_init("fuzz_sync", -1);
		if (!mkdtemp(dir))
			abort();
		ready = 1;
	}
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	fwg_head_parse(text, &h);
	free(text);
	if (size < 2)
		return 0;
	plen = (size_t)data[0] << 8 | data[1];
	if (plen > size - 2 || fwg_policy_parse("fuzz", (const char *)data + 2, plen, &p))
		return 0;
	clean();
	s = fwg_sync_new(&p, p.device_id, NULL, dir, NULL, NULL);
	if (!s)
		return 0;
	fwg_sync_feed(s, data + 2 + plen, size - 2 - plen, &r);
	fwg_sync_free(s);
	/* What the sync stored must replay. */
	s = fwg_sync_new(&p, p.device_id, NULL, dir, NULL, NULL);
	if (!s)
		abort();
	fwg_sync_free(s);
	return 0;
}
