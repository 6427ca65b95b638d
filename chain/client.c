// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "http.h"

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

struct reader {
	struct fwg_state *st;
	int (*fn)(const uint8_t *block, size_t len, void *arg);
	void *arg;
	uint8_t *buf;
	size_t len, cap;
	int bad;
	struct fwg_err *err;
};

/* Splits the node's stream (be32 length, then a block) and verifies each block as it completes. */
static int stream(const void *data, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t off = 0, blen;
	uint8_t *grown;

	if (r->len + n > r->cap) {
		r->cap = 2 * (r->len + n);
		grown = realloc(r->buf, r->cap);
		if (!grown)
			return -1;
		r->buf = grown;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	while (!r->bad && r->len - off >= 4) {
		blen = (size_t)r->buf[off] << 24 | r->buf[off + 1] << 16 | r->buf[off + 2] << 8 | r->buf[off + 3];
		if (blen > FWG_BLOCK_MAX) {
			snprintf(r->err->msg, sizeof(r->err->msg), "stream: a block of %zu bytes", blen);
			r->bad = 1;
			break;
		}
		if (r->len - off - 4 < blen)
			break;
		if (fwg_state_add_block(r->st, r->buf + off + 4, blen, 1, r->err) ||
		    (r->fn && r->fn(r->buf + off + 4, blen, r->arg))) {
			r->bad = 1;
			break;
		}
		off += 4 + blen;
	}
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
	return r->bad ? -1 : 0;
}

int fwg_node_follow(const char *node, uint64_t from, struct fwg_state *st,
		    int (*fn)(const uint8_t *block, size_t len, void *arg), void *arg, struct fwg_err *err)
{
	struct reader r = { .st = st, .fn = fn, .arg = arg, .err = err };
	char url[2048];
	struct fwg_http_req req = { .url = url, .body_fn = stream, .arg = &r };
	struct fwg_http_res res;
	int rc;

	err->kind = FWG_ERR_FORMAT;
	err->msg[0] = '\0';
	snprintf(url, sizeof(url), "%s/blocks?from=%llu", node, (unsigned long long)from);
	rc = fwg_http_request(&req, &res);
	free(r.buf);
	if (r.bad)
		return -1;
	if (rc || res.status != 200 || r.len) {
		snprintf(err->msg, sizeof(err->msg), "%.120s: %.130s", url,
			 rc ? res.err : r.len ? "stream ends mid-block" : "HTTP error");
		return -1;
	}
	return 0;
}
