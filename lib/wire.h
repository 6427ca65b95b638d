/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building blocks of the big-endian wire encodings that the ledger (chain/tx.c, chain/trust.c) and the policy
 * codec (lib/policy.c) share: a bounded writer and the rule for a name field.
 */
#ifndef FWG_WIRE_H
#define FWG_WIRE_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/fwgate.h>

/*
 * A writer into p[0..len): it stops copying once full but keeps counting, so an encoder sizes its output in
 * one pass and tells a short buffer by off > len.
 */
struct fwg_wr {
	uint8_t *p;
	size_t len, off;
};

static inline void fwg_put(struct fwg_wr *w, const void *src, size_t n)
{
	if (w->off + n <= w->len)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

static inline void fwg_put8(struct fwg_wr *w, unsigned int v)
{
	uint8_t b = v;

	fwg_put(w, &b, 1);
}

static inline void fwg_put16(struct fwg_wr *w, unsigned int v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	fwg_put(w, b, 2);
}

static inline void fwg_put64(struct fwg_wr *w, uint64_t v)
{
	uint64_t be = htobe64(v);

	fwg_put(w, &be, 8);
}

/*
 * A name field of FWGATE_NAME_LEN bytes: at most 31 bytes of printable text, then NUL bytes to the end. An
 * empty name passes; where a name is required the caller checks s[0] too.
 */
static inline int fwg_name_ok(const char *s)
{
	size_t i, n = strnlen(s, FWGATE_NAME_LEN);

	if (n == FWGATE_NAME_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	for (; i < FWGATE_NAME_LEN; i++)
		if (s[i])
			return 0;
	return 1;
}

#endif
