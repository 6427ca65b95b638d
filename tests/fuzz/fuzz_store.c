// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: fwgated's local store (agent/store.c) opening damaged files. Input: be16 length of the
 * head file, the head file, then tx.log. Reading (the monitor's fwg_store_read(), before the worker's) and
 * opening must refuse or replay, never read out of bounds.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "log.h"
#include "store.h"

static char dir[] = "/dev/shm/fuzz_store.XXXXXX";

static int put(const char *name, const uint8_t *data, size_t len)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	return close(fd);
}

static int replay(const uint8_t *tx, size_t len, uint64_t height, const uint8_t *proof, size_t plen, void *arg)
{
	struct fwg_proof p;
	struct fwg_tx t;
	struct fwg_err e;

	(void)height;
	(void)arg;
	fwg_proof_decode(proof, plen, &p);
	if (!fwg_tx_decode(tx, len, &t, &e))
		fwg_tx_release(&t);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct fwg_store s;
	size_t hlen;

	if (!ready) {
		log_init("fuzz_store", -1);
		if (!mkdtemp(dir))
			abort();
		ready = 1;
	}
	if (size < 2)
		return 0;
	hlen = (size_t)data[0] << 8 | data[1];
	if (hlen > size - 2)
		return 0;
	put("head", data + 2, hlen);
	put("tx.log", data + 2 + hlen, size - 2 - hlen);
	fwg_store_read(dir, replay, NULL);
	if (!fwg_store_open(&s, dir, replay, NULL))
		fwg_store_close(&s);
	return 0;
}
