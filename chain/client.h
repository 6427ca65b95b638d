/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client of fwgate-node's HTTP API (Documentation/fwgate/ledger.rst), for the tools and daemons that read
 * or extend the chain: submit a transaction, follow the blocks from a height while verifying them.
 */
#ifndef FWG_CLIENT_H
#define FWG_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

/* An HTTP body collected whole, NUL-terminated; fwg_http_collect is its CURLOPT_WRITEFUNCTION. */
struct fwg_http_body {
	char *p;
	size_t len, cap;
};

size_t fwg_http_collect(char *data, size_t size, size_t nmemb, void *arg);

/*
 * POSTs one transaction; the node's answer goes to @answer (NUL-terminated, may be NULL). Returns the HTTP
 * status (200: in a block; 409 "duplicate": it already was), or -1 when the node could not be reached.
 */
long fwg_node_submit(const char *node, const void *tx, size_t len, char *answer, size_t answer_len);

/*
 * A node's GET /blocks stream (be32 length, then a block, ...) cut into blocks as it arrives, through a buffer
 * of one block (FWG_BLOCK_MAX), allocated on the first feed. Set @fn and @arg, zero the rest.
 */
struct fwg_block_stream {
	int (*fn)(const uint8_t *block, size_t len, void *arg);	/* each block; nonzero stops the stream */
	void *arg;
	uint8_t *buf;
	size_t len;		/* bytes of a block still incomplete: a stream that ends here ends mid-block */
	int err;		/* 0, or why it stopped: -ECANCELED (@fn), -EMSGSIZE (@msg says), -ENOMEM */
	char msg[64];
};

/* Hands each block completed by @buf to @fn; 0, or the stream's err once it stopped. */
int fwg_block_stream_feed(struct fwg_block_stream *bs, const void *buf, size_t n);
/* Frees the buffer; @len and @err stay for the caller to read. */
void fwg_block_stream_end(struct fwg_block_stream *bs);

/*
 * Reads the blocks from @from on, adds each to @st, which verifies it (signatures too), and calls @fn, when
 * not NULL, with each block that verified. 0 once the node's stream ended cleanly; -1 with @err filled: a
 * block that does not verify, or (err->kind FWG_ERR_UNREACHABLE) an unreachable node, an answer other than
 * 200, a stream cut short.
 */
int fwg_node_follow(const char *node, uint64_t from, struct fwg_state *st,
		    int (*fn)(const uint8_t *block, size_t len, void *arg), void *arg, struct fwg_err *err);

/*
 * fwg_node_follow from block 0 with the chain pinned, as devices pin it: when @genesis is not NULL, block 0's
 * hash must be it, or the chain does not verify.
 */
int fwg_node_follow_pinned(const char *node, const uint8_t *genesis, struct fwg_state *st,
			   int (*fn)(const uint8_t *block, size_t len, void *arg), void *arg, struct fwg_err *err);

/* After fwg_node_follow failed: says why, and returns the exit status that tells which (lib/exit.h). */
int fwg_follow_failed(const struct fwg_err *err);

/* "--genesis": the 64 hex digits of block 0's hash into @out; exits FWG_EXIT_USAGE naming @hex if not. */
void fwg_genesis_arg(const char *hex, uint8_t out[FWGATE_ID_LEN]);

#endif
