// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks and the Merkle tree of their transactions. The tree is RFC 9162's (Certificate Transparency v2):
 * leaf = SHA-256(0x00 || T_id), node = SHA-256(0x01 || left || right), split at the largest power of two
 * below n, so that inclusion proofs are the audit paths CT clients already know how to check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ledger.h"

#define fail(err, ...) ({ (err)->kind = FWG_ERR_FORMAT; snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); -1; })

static void hash_parts(uint8_t out[FWGATE_ID_LEN], uint8_t prefix, const uint8_t *a, size_t alen,
		       const uint8_t *b, size_t blen)
{
	struct fwg_sha256_ctx c;

	fwg_sha256_init(&c);
	fwg_sha256_update(&c, &prefix, 1);
	fwg_sha256_update(&c, a, alen);
	if (blen)
		fwg_sha256_update(&c, b, blen);
	fwg_sha256_final(&c, out);
}

void fwg_merkle_leaf(const uint8_t tx_id[FWGATE_ID_LEN], uint8_t out[FWGATE_ID_LEN])
{
	hash_parts(out, 0x00, tx_id, FWGATE_ID_LEN, NULL, 0);
}

static size_t split(size_t n)
{
	size_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static void mth(const uint8_t (*leaves)[FWGATE_ID_LEN], size_t n, uint8_t out[FWGATE_ID_LEN])
{
	uint8_t l[FWGATE_ID_LEN], r[FWGATE_ID_LEN];
	size_t k;

	if (n == 1) {
		memcpy(out, leaves[0], FWGATE_ID_LEN);
		return;
	}
	k = split(n);
	mth(leaves, k, l);
	mth(leaves + k, n - k, r);
	hash_parts(out, 0x01, l, FWGATE_ID_LEN, r, FWGATE_ID_LEN);
}

void fwg_merkle_root(const uint8_t (*leaves)[FWGATE_ID_LEN], size_t n, uint8_t root[FWGATE_ID_LEN])
{
	if (!n)
		fwg_sha256("", 0, root);
	else
		mth(leaves, n, root);
}

static void path(const uint8_t (*leaves)[FWGATE_ID_LEN], size_t n, size_t m, struct fwg_proof *p)
{
	size_t k;

	if (n <= 1)
		return;
	k = split(n);
	if (m < k) {
		path(leaves, k, m, p);
		mth(leaves + k, n - k, p->path[p->depth++]);
	} else {
		path(leaves + k, n - k, m - k, p);
		mth(leaves, k, p->path[p->depth++]);
	}
}

int fwg_merkle_proof(const uint8_t (*leaves)[FWGATE_ID_LEN], size_t n, size_t index,
		     struct fwg_proof *p)
{
	if (index >= n || n > UINT32_MAX)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->index = index;
	p->size = n;
	path(leaves, n, index, p);
	return 0;
}

/* RFC 9162, 2.1.3.2. */
int fwg_merkle_verify(const struct fwg_proof *p, const uint8_t leaf[FWGATE_ID_LEN],
		      const uint8_t root[FWGATE_ID_LEN])
{
	uint64_t fn = p->index, sn;
	uint8_t r[FWGATE_ID_LEN];
	unsigned int i;

	if (p->index >= p->size || p->depth > FWG_PROOF_MAX_DEPTH)
		return -EINVAL;
	sn = (uint64_t)p->size - 1;
	memcpy(r, leaf, FWGATE_ID_LEN);
	for (i = 0; i < p->depth; i++) {
		if (!sn)
			return -EINVAL;
		if ((fn & 1) || fn == sn) {
			hash_parts(r, 0x01, p->path[i], FWGATE_ID_LEN, r, FWGATE_ID_LEN);
			while (!(fn & 1) && fn) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			hash_parts(r, 0x01, r, FWGATE_ID_LEN, p->path[i], FWGATE_ID_LEN);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return !sn && !memcmp(r, root, FWGATE_ID_LEN) ? 0 : -EBADMSG;
}

/* ------------------------------------------------------------------ blocks */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void hdr_encode(const struct fwg_block_hdr *h, uint8_t *p)
{
	memcpy(p, FWG_BLOCK_MAGIC, 8);
	put_be64(p + 8, h->height);
	memcpy(p + 16, h->prev, FWGATE_ID_LEN);
	memcpy(p + 48, h->merkle, FWGATE_ID_LEN);
	put_be64(p + 80, h->time_ms);
	put_be32(p + 88, h->nr_tx);
}

void fwg_block_hash(const struct fwg_block_hdr *hdr, uint8_t out[FWGATE_ID_LEN])
{
	uint8_t buf[FWG_BLOCK_HDR_LEN];

	hdr_encode(hdr, buf);
	fwg_sha256(buf, sizeof(buf), out);
}

uint8_t *fwg_block_encode(struct fwg_block_hdr *hdr, const uint8_t *const *tx, const uint32_t *tx_len,
			  uint32_t nr_tx, size_t *out_len)
{
	uint8_t (*leaves)[FWGATE_ID_LEN];
	size_t len = FWG_BLOCK_HDR_LEN, off;
	uint8_t *buf;
	uint32_t i;

	if (nr_tx > FWG_BLOCK_MAX_TX)
		return NULL;
	for (i = 0; i < nr_tx; i++)
		len += 4 + tx_len[i];
	if (len > FWG_BLOCK_MAX)
		return NULL;
	leaves = malloc((nr_tx ? nr_tx : 1) * sizeof(*leaves));
	buf = malloc(len);
	if (!leaves || !buf) {
		free(leaves);
		free(buf);
		return NULL;
	}
	off = FWG_BLOCK_HDR_LEN;
	for (i = 0; i < nr_tx; i++) {
		uint8_t id[FWGATE_ID_LEN];

		fwg_tx_id(tx[i], tx_len[i], id);
		fwg_merkle_leaf(id, leaves[i]);
		put_be32(buf + off, tx_len[i]);
		memcpy(buf + off + 4, tx[i], tx_len[i]);
		off += 4 + tx_len[i];
	}
	hdr->nr_tx = nr_tx;
	fwg_merkle_root((const uint8_t (*)[FWGATE_ID_LEN])leaves, nr_tx, hdr->merkle);
	hdr_encode(hdr, buf);
	free(leaves);
	*out_len = len;
	return buf;
}

void fwg_block_release(struct fwg_block *b)
{
	free(b->tx);
	free(b->tx_len);
	free(b->tx_id);
	b->tx = NULL;
	b->tx_len = NULL;
	b->tx_id = NULL;
}

int fwg_block_decode(const uint8_t *buf, size_t len, struct fwg_block *b, struct fwg_err *err)
{
	uint8_t (*leaves)[FWGATE_ID_LEN];
	uint8_t root[FWGATE_ID_LEN];
	size_t off = FWG_BLOCK_HDR_LEN;
	uint32_t i, n;

	memset(b, 0, sizeof(*b));
	if (len < FWG_BLOCK_HDR_LEN || memcmp(buf, FWG_BLOCK_MAGIC, 8))
		return fail(err, "block: shorter than its header or magic not %s", FWG_BLOCK_MAGIC);
	if (len > FWG_BLOCK_MAX)
		return fail(err, "block: %zu bytes, more than %d", len, FWG_BLOCK_MAX);
	b->hdr.height = get_be64(buf + 8);
	memcpy(b->hdr.prev, buf + 16, FWGATE_ID_LEN);
	memcpy(b->hdr.merkle, buf + 48, FWGATE_ID_LEN);
	b->hdr.time_ms = get_be64(buf + 80);
	n = b->hdr.nr_tx = get_be32(buf + 88);
	if (n > FWG_BLOCK_MAX_TX || n > (len - off) / 4)
		return fail(err, "block.nr_tx: %u, more than the block holds", n);
	b->tx = calloc(n ? n : 1, sizeof(*b->tx));
	b->tx_len = calloc(n ? n : 1, sizeof(*b->tx_len));
	b->tx_id = calloc(n ? n : 1, sizeof(*b->tx_id));
	leaves = calloc(n ? n : 1, sizeof(*leaves));
	if (!b->tx || !b->tx_len || !b->tx_id || !leaves) {
		free(leaves);
		fwg_block_release(b);
		return fail(err, "block: out of memory");
	}
	for (i = 0; i < n; i++) {
		if (len - off < 4)
			break;
		b->tx_len[i] = get_be32(buf + off);
		off += 4;
		if (b->tx_len[i] < 2 || b->tx_len[i] > FWG_TX_MAX || b->tx_len[i] > len - off)
			break;
		b->tx[i] = buf + off;
		off += b->tx_len[i];
		fwg_tx_id(b->tx[i], b->tx_len[i], b->tx_id[i]);
		fwg_merkle_leaf(b->tx_id[i], leaves[i]);
	}
	if (i < n || off != len) {
		free(leaves);
		fwg_block_release(b);
		return i < n ? fail(err, "block.tx[%u]: length missing, out of range or truncated", i) :
			       fail(err, "block: %zu trailing bytes", len - off);
	}
	fwg_merkle_root((const uint8_t (*)[FWGATE_ID_LEN])leaves, n, root);
	free(leaves);
	if (memcmp(root, b->hdr.merkle, FWGATE_ID_LEN)) {
		fwg_block_release(b);
		return fail(err, "block.merkle: does not match the transactions");
	}
	fwg_block_hash(&b->hdr, b->hash);
	return 0;
}
