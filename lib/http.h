/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, strict HTTP/1.1 client for fwgated's worker, in place of libcurl: one request per connection,
 * the body streamed to a callback through a fixed buffer, http:// and https:// (mbedTLS, TLS 1.2, the
 * server's certificate checked against a CA bundle and the host name). A malformed status line, header or
 * chunk, or a body cut short, fails the request; the parser reads bytes without a socket, for fuzzing.
 */
#ifndef FWG_HTTP_H
#define FWG_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define FWG_HTTP_ERR_LEN	256
#define FWG_HTTP_URL_LEN	2048
#define FWG_HTTP_LINE_MAX	8192	/* a status, header, chunk-size or trailer line */
#define FWG_HTTP_MAX_HEADERS	100
#define FWG_HTTP_CA_FILE	"/etc/ssl/certs/ca-certificates.crt"

/* Callbacks return 0 to go on; anything else ends the request with -ECANCELED. */
struct fwg_http_req {
	const char *url;		/* http://host[:port]/path or https://...; [v6] literals */
	const char *method;		/* NULL for GET */
	const void *body;		/* sent with Content-Length when not NULL */
	size_t body_len;
	const char *content_type;	/* of @body, may be NULL */
	int range;			/* send Range: bytes=@range_from- */
	uint64_t range_from;
	const char *user_agent;		/* may be NULL */
	unsigned int max_redirects;	/* a GET follows up to this many 301/302/303/307/308 */
	unsigned int connect_timeout_s;	/* TCP connect and TLS handshake; 0 for 300, as libcurl */
	unsigned int timeout_s;		/* the whole request, redirects included; 0 for none */
	/* Fail when fewer than @low_speed_limit bytes/s arrive over @low_speed_time_s; 0 for no check. */
	unsigned int low_speed_limit, low_speed_time_s;
	/* Each line of each response's head, redirects included: the status line first, no CRLF. */
	int (*header)(const char *line, void *arg);
	/* The last response's body, whatever its status. */
	int (*body_fn)(const void *buf, size_t len, void *arg);
	void *arg;
};

struct fwg_http_res {
	int status;			/* of the last response; 0 before its status line */
	char err[FWG_HTTP_ERR_LEN];	/* why fwg_http_request() failed */
};

/*
 * 0 once a whole response is read, whatever its status. Else a negative errno, with res->err saying why:
 * -EINVAL (a bad URL or redirect), a connect error (-ECONNREFUSED, -EHOSTUNREACH, ...), -ETIMEDOUT (also a
 * transfer below the low-speed limit), -EPROTO (a malformed or truncated response, a TLS failure), -ELOOP
 * (too many redirects), -ECANCELED (a callback), -ENOMEM.
 */
int fwg_http_request(const struct fwg_http_req *req, struct fwg_http_res *res);

/* The CA bundle https requests verify servers against; read for each https request, not kept. */
void fwg_http_set_ca_file(const char *path);

/* The response parser, fed bytes as they arrive (tests/fuzz/fuzz_http.c feeds it without a socket). */
struct fwg_http_parser {
	const struct fwg_http_req *req;	/* its callbacks */
	struct fwg_http_res *res;
	int state, follow, redirect;	/* redirect: a 3xx with a Location, when following */
	int chunked, has_length;
	uint64_t length, left;		/* the body's Content-Length; bytes left of it or of the chunk */
	unsigned int lines;		/* header and trailer lines so far */
	size_t len;
	char line[FWG_HTTP_LINE_MAX + 1];
	char location[FWG_HTTP_URL_LEN];
};

void fwg_http_parser_init(struct fwg_http_parser *p, const struct fwg_http_req *req, struct fwg_http_res *res,
			  int follow);
/* 0: more bytes wanted; 1: the response is complete; or a negative errno with res->err filled. */
int fwg_http_parse(struct fwg_http_parser *p, const char *buf, size_t len);
/* The connection closed: 1 when that ends the response (a body read to close), else -EPROTO. */
int fwg_http_parse_eof(struct fwg_http_parser *p);

#endif
