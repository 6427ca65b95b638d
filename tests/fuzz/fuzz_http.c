// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: lib/http.c's response parser (status line, headers, Content-Length, chunked and
 * read-to-close bodies, trailers). Each input is parsed twice, whole and in small pieces, and both must agree:
 * the parser's verdict can not depend on how the network cut the bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"

struct seen {
	uint64_t body_len, body_hash, lines;
};

static int on_header(const char *line, void *arg)
{
	struct seen *s = arg;

	if (strlen(line) > FWG_HTTP_LINE_MAX || strpbrk(line, "\r\n"))
		abort();
	s->lines++;
	return 0;
}

static int on_body(const void *buf, size_t len, void *arg)
{
	const unsigned char *p = buf;
	struct seen *s = arg;
	size_t i;

	if (!len)
		abort();
	for (i = 0; i < len; i++)
		s->body_hash = (s->body_hash ^ p[i]) * 0x100000001b3ULL;
	s->body_len += len;
	return 0;
}

static int parse(const uint8_t *data, size_t size, size_t piece, int follow, struct seen *s,
		 struct fwg_http_res *res)
{
	static struct fwg_http_parser p;
	struct fwg_http_req req = { .header = on_header, .body_fn = on_body, .arg = s };
	size_t off, n;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	fwg_http_parser_init(&p, &req, res, follow);
	for (off = 0; off < size && rc >= 0; off += n) {
		n = size - off < piece ? size - off : piece;
		rc = fwg_http_parse(&p, (const char *)data + off, n);
	}
	if (!rc)
		rc = fwg_http_parse_eof(&p);
	if (rc == 1 && p.has_length && !p.chunked && !p.redirect && s->body_len > p.length)
		abort();
	if (res->status && (res->status < 100 || res->status > 599))
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwg_http_res res1, res2;
	struct seen s1, s2;
	int follow = size & 1, rc1, rc2;

	rc1 = parse(data, size, size ? size : 1, follow, &s1, &res1);
	rc2 = parse(data, size, size % 17 + 1, follow, &s2, &res2);
	if (rc1 != rc2 || res1.status != res2.status || memcmp(&s1, &s2, sizeof(s1)))
		abort();
	return 0;
}
