// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "exit.h"
#include "http.h"
#include "keys.h"
#include "log.h"

struct answer {
	char *buf;
	size_t len, cap;
};

/* The answer's first bytes: the rest is dropped. */
static int collect(const void *data, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t room;

	if (a->buf && a->cap > a->len + 1) {
		room = a->cap - a->len - 1;
		if (n < room)
			room = n;
		memcpy(a->buf + a->len, data, room);
		a->len += room;
		a->buf[a->len] = '\0';
	}
	return 0;
}

size_t fwg_http_collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fwg_http_body *b = arg;
	size_t n = size * nmemb, cap;
	char *p;

	if (b->len + n + 1 > b->cap) {
		cap = (b->len + n + 1) * 2;
		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

long fwg_node_submit(const char *node, const void *tx, size_t len, char *answer, size_t answer_len)
{
	struct answer a = { answer, 0, answer_len };
	char url[2048];
	/* A node answers once the transaction is in a block: long, but not for ever (a stalled cluster). */
	struct fwg_http_req req = { .url = url, .method = "POST", .body = tx, .body_len = len,
				    .content_type = "application/octet-stream", .body_fn = collect, .arg = &a,
				    .connect_timeout_s = 10, .timeout_s = 60 };
	struct fwg_http_res res;

	if (answer && answer_len)
		answer[0] = '\0';
	snprintf(url, sizeof(url), "%s/tx", node);
	if (!fwg_http_request(&req, &res))
		return res.status;
	if (answer && answer_len)
		snprintf(answer, answer_len, "%s: unreachable: %s", url, res.err);
	return -1;
}

int fwg_block_stream_feed(struct fwg_block_stream *bs, const void *buf, size_t n)
{
	const uint8_t *data = buf, *p;
	size_t off, blen, take;

	if (!bs->buf && !bs->err) {
		bs->buf = malloc(FWG_BLOCK_MAX + 4);
		if (!bs->buf)
			bs->err = -ENOMEM;
	}
	/* A chunk at a time through a buffer of one block, however much the caller hands over. */
	while (n && !bs->err) {
		take = FWG_BLOCK_MAX + 4 - bs->len < n ? FWG_BLOCK_MAX + 4 - bs->len : n;
		memcpy(bs->buf + bs->len, data, take);
		bs->len += take;
		data += take;
		n -= take;
		off = 0;
		while (bs->len - off >= 4) {
			p = bs->buf + off;
			blen = (size_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
			if (blen > FWG_BLOCK_MAX) {
				snprintf(bs->msg, sizeof(bs->msg), "stream: a block of %zu bytes", blen);
				bs->err = -EMSGSIZE;
				break;
			}
			if (bs->len - off - 4 < blen)
				break;
			if (bs->fn(p + 4, blen, bs->arg)) {
				bs->err = -ECANCELED;
				break;
			}
			off += 4 + blen;
		}
		memmove(bs->buf, bs->buf + off, bs->len - off);
		bs->len -= off;
	}
	return bs->err;
}

void fwg_block_stream_end(struct fwg_block_stream *bs)
{
	free(bs->buf);
	bs->buf = NULL;
}

struct reader {
	struct fwg_state *st;
	int (*fn)(const uint8_t *block, size_t len, void *arg);
	void *arg;
	struct fwg_err *err;
	const struct fwg_http_res *res;
	const uint8_t *pin;
	struct fwg_block_stream blocks;
};

static int follow_block(const uint8_t *block, size_t len, void *arg)
{
	struct reader *r = arg;

	if (fwg_state_add_block(r->st, block, len, 1, r->err))
		return 1;
	if (r->pin && fwg_state_height(r->st) == 1 && memcmp(fwg_state_tip(r->st), r->pin, FWGATE_ID_LEN)) {
		r->err->kind = FWG_ERR_SIGNER;
		snprintf(r->err->msg, sizeof(r->err->msg), "block 0: its hash is not the pinned genesis (--genesis)");
		return 1;
	}
	return r->fn && r->fn(block, len, r->arg);
}

/* Only a 200's body is blocks: a node's error page does not make its chain one that does not verify. */
static int follow_body(const void *data, size_t n, void *arg)
{
	struct reader *r = arg;

	return r->res->status == 200 ? fwg_block_stream_feed(&r->blocks, data, n) : 0;
}

static int follow(const char *node, uint64_t from, const uint8_t *pin, struct fwg_state *st,
		  int (*fn)(const uint8_t *block, size_t len, void *arg), void *arg, struct fwg_err *err)
{
	struct fwg_http_res res;
	struct reader r = { .st = st, .fn = fn, .arg = arg, .err = err, .res = &res, .pin = pin,
			    .blocks = { .fn = follow_block, .arg = &r } };
	char url[2048], why[32];
	/* A node that stalls must not hang a daemon that follows it for ever. */
	struct fwg_http_req req = { .url = url, .body_fn = follow_body, .arg = &r,
				    .connect_timeout_s = 10, .low_speed_limit = 1, .low_speed_time_s = 30 };
	int rc;

	err->kind = FWG_ERR_FORMAT;
	err->msg[0] = '\0';
	snprintf(url, sizeof(url), "%s/blocks?from=%llu", node, (unsigned long long)from);
	rc = fwg_http_request(&req, &res);
	fwg_block_stream_end(&r.blocks);
	if (r.blocks.err == -ECANCELED)
		return -1;	/* @err says why the block did not verify */
	snprintf(why, sizeof(why), "HTTP %d", res.status);
	if (r.blocks.err || rc || res.status != 200 || r.blocks.len) {
		if (rc || res.status != 200 || r.blocks.len)
			err->kind = FWG_ERR_UNREACHABLE;
		snprintf(err->msg, sizeof(err->msg), "%.120s: %.130s", url,
			 r.blocks.err == -EMSGSIZE ? r.blocks.msg : r.blocks.err ? "out of memory" :
			 rc ? res.err : res.status != 200 ? why : "stream ends mid-block");
		return -1;
	}
	return 0;
}

int fwg_node_follow(const char *node, uint64_t from, struct fwg_state *st,
		    int (*fn)(const uint8_t *block, size_t len, void *arg), void *arg, struct fwg_err *err)
{
	return follow(node, from, NULL, st, fn, arg, err);
}

int fwg_node_follow_pinned(const char *node, const uint8_t *genesis, struct fwg_state *st,
			   int (*fn)(const uint8_t *block, size_t len, void *arg), void *arg, struct fwg_err *err)
{
	return follow(node, 0, genesis, st, fn, arg, err);
}

void fwg_genesis_arg(const char *hex, uint8_t out[FWGATE_ID_LEN])
{
	if (strlen(hex) != 2 * FWGATE_ID_LEN || fwg_unhex(hex, out, FWGATE_ID_LEN))
		usagex("--genesis: \"%s\" is not the 64 hex digits of block 0's hash", hex);
}

int fwg_follow_failed(const struct fwg_err *err)
{
	if (err->kind == FWG_ERR_UNREACHABLE) {
		log_warnx("chain could not be read: %s", err->msg);
		return FWG_EXIT_UNREACHABLE;
	}
	log_warnx("chain does not verify: %s", err->msg);
	return FWG_EXIT_VERIFY;
}
