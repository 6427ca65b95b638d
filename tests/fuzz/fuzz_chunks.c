// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the hash-list check (lib/keys.h) that fwgatectl install, the checker and the ledger's
 * decoder run over untrusted lists. Input: be64 image size, the 32-byte chunks digest, then the list.
 * Besides not crashing, the answer must be right: 0 exactly when the list has one digest per 1 MiB of the
 * size and its digest is the one given.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t digest[FWGATE_ID_LEN];
	const uint8_t *list;
	uint64_t image;
	size_t len;
	int err;

	if (size < 8 + FWGATE_ID_LEN)
		return 0;
	memcpy(&image, data, 8);
	image = be64toh(image) >> 20;	/* keeps lists of a few chunks likely */
	list = data + 8 + FWGATE_ID_LEN;
	len = size - 8 - FWGATE_ID_LEN;
	err = fwg_chunks_check(list, len, image, data + 8);
	if (!image || len != fwg_chunks_len(image)) {
		if (err != -EINVAL)
			abort();
		return 0;
	}
	fwg_chunks_digest(list, len, digest);
	if (err != (memcmp(digest, data + 8, FWGATE_ID_LEN) ? -EBADMSG : 0))
		abort();
	if (fwg_chunks_check(list, len, image, digest))
		abort();
	return 0;
}
