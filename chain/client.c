// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "client.h"

struct answer {
	char *buf;
	size_t len, cap;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb, room;

	if (a->buf && a->cap > a->len + 1) {
		room = a->cap - a->len - 1;
		if (n < room)
			room = n;
		memcpy(a->buf + a->len, data, room);
		a->len += room;
		a->buf[a->len] = '\0';
	}
	return n;
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
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	struct answer a = { answer, 0, answer_len };
	CURL *curl = curl_easy_init();
	char url[2048];
	long code = -1;

	if (answer && answer_len)
		answer[0] = '\0';
	snprintf(url, sizeof(url), "%s/tx", node);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, tx);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
	/* A node answers once the transaction is in a block: long, but not for ever (a stalled cluster). */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	else if (answer && answer_len)
		snprintf(answer, answer_len, "%s: unreachable", url);
	curl_easy_cleanup(curl);
	curl_slist_free_all(hdr);
	return code;
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
static size_t stream(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nmemb, off = 0, blen;
	uint8_t *grown;

	if (r->len + n > r->cap) {
		r->cap = 2 * (r->len + n);
		grown = realloc(r->buf, r->cap);
		if (!grown)
			return 0;
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
	return r->bad ? 0 : n;
}

int fwg_node_follow(const char *node, uint64_t from, struct fwg_state *st,
		    int (*fn)(const uint8_t *block, size_t len, void *arg), void *arg, struct fwg_err *err)
{
	struct reader r = { .st = st, .fn = fn, .arg = arg, .err = err };
	char url[2048];
	long code = 0;
	CURLcode rc;
	CURL *curl;

	err->kind = FWG_ERR_FORMAT;
	err->msg[0] = '\0';
	snprintf(url, sizeof(url), "%s/blocks?from=%llu", node, (unsigned long long)from);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, stream);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	free(r.buf);
	if (r.bad)
		return -1;
	if (rc != CURLE_OK || code != 200 || r.len) {
		snprintf(err->msg, sizeof(err->msg), "%.180s: %s", url,
			 rc ? curl_easy_strerror(rc) : r.len ? "stream ends mid-block" : "HTTP error");
		return -1;
	}
	return 0;
}
