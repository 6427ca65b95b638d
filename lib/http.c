// SPDX-License-Identifier: GPL-2.0
/*
 * lib/http.h's client. One connection per request ("Connection: close"): no pool, no keep-alive, no
 * compression, no cookies, no proxies. Memory is one 16 KiB buffer and the parser's line buffer on the
 * stack, and, for https only, mbedTLS's context and the CA bundle, freed once the handshake is over.
 * Sockets are non-blocking and every wait is a poll() bounded by the deadlines: no signals, no SIGPIPE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "http.h"

#define BUF_LEN			16384
#define CONNECT_TIMEOUT_S	300

enum { S_STATUS, S_HEADER, S_BODY, S_TO_CLOSE, S_CHUNK_SIZE, S_CHUNK, S_CHUNK_END, S_TRAILER, S_DONE };

static char ca_file[512] = FWG_HTTP_CA_FILE;

static int __attribute__((format(printf, 3, 4))) fail(struct fwg_http_res *res, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->err, sizeof(res->err), fmt, ap);
	va_end(ap);
	return err;
}

void fwg_http_set_ca_file(const char *path)
{
	snprintf(ca_file, sizeof(ca_file), "%s", path && path[0] ? path : FWG_HTTP_CA_FILE);
}

/* ------------------------------------------------------------------ the response parser */

static int bad(struct fwg_http_parser *p, const char *what)
{
	return fail(p->res, -EPROTO, "HTTP response: %s", what);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int header_cb(struct fwg_http_parser *p, const char *line)
{
	if (p->req->header && p->req->header(line, p->req->arg))
		return fail(p->res, -ECANCELED, "aborted by the header callback");
	return 0;
}

static int deliver(struct fwg_http_parser *p, const char *buf, size_t len)
{
	if (p->req->body_fn && p->req->body_fn(buf, len, p->req->arg))
		return fail(p->res, -ECANCELED, "aborted by the body callback");
	return 0;
}

void fwg_http_parser_init(struct fwg_http_parser *p, const struct fwg_http_req *req, struct fwg_http_res *res,
			  int follow)
{
	memset(p, 0, offsetof(struct fwg_http_parser, line));
	p->location[0] = '\0';
	p->req = req;
	p->res = res;
	p->follow = follow;
	res->status = 0;
}

/* "HTTP/1.x 200 OK": 1.0 or 1.1, three digits, an optional reason. */
static int status_line(struct fwg_http_parser *p, const char *l)
{
	if (strncmp(l, "HTTP/1.", 7) || !is_digit(l[7]) || l[8] != ' ' || l[9] < '1' || l[9] > '5' ||
	    !is_digit(l[10]) || !is_digit(l[11]) || (l[12] && l[12] != ' '))
		return bad(p, "bad status line");
	p->res->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	p->chunked = p->has_length = 0;
	p->location[0] = '\0';
	p->lines = 0;
	p->state = S_HEADER;
	return header_cb(p, l);
}

static int end_of_head(struct fwg_http_parser *p)
{
	int s = p->res->status;

	if (s < 200) {
		p->state = S_STATUS;	/* an interim response: the real one follows */
		return 0;
	}
	/* Both is how requests are smuggled past proxies; no server of ours sends it. */
	if (p->chunked && p->has_length)
		return bad(p, "both Content-Length and Transfer-Encoding");
	if (p->follow && p->location[0] && (s == 301 || s == 302 || s == 303 || s == 307 || s == 308)) {
		p->redirect = 1;
		p->state = S_DONE;
	} else if (s == 204 || s == 304) {
		p->state = S_DONE;
	} else if (p->chunked) {
		p->state = S_CHUNK_SIZE;
	} else if (p->has_length) {
		p->left = p->length;
		p->state = p->length ? S_BODY : S_DONE;
	} else {
		p->state = S_TO_CLOSE;
	}
	return p->state == S_DONE;
}

static int header_line(struct fwg_http_parser *p, char *l)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t n = strcspn(l, ":");
	uint64_t v = 0;
	char *val, *e;
	int err;

	if (!l[0])
		return end_of_head(p);
	if (++p->lines > FWG_HTTP_MAX_HEADERS)
		return bad(p, "more than 100 header lines");
	/* A leading space is obsolete line folding: refused as a bad name. */
	if (!l[n] || !n || strspn(l, tchar) != n)
		return bad(p, "bad header line");
	err = header_cb(p, l);
	if (err)
		return err;
	for (val = l + n + 1; *val == ' ' || *val == '\t'; val++)
		;
	for (e = val + strlen(val); e > val && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	if (n == 14 && !strncasecmp(l, "Content-Length", n)) {
		if (!val[0] || e - val > 18)
			return bad(p, "bad Content-Length");
		for (; *val; val++) {
			if (!is_digit(*val))
				return bad(p, "bad Content-Length");
			v = v * 10 + (*val - '0');
		}
		if (p->has_length && p->length != v)
			return bad(p, "conflicting Content-Length headers");
		p->has_length = 1;
		p->length = v;
	} else if (n == 17 && !strncasecmp(l, "Transfer-Encoding", n)) {
		if (p->chunked || strcasecmp(val, "chunked"))
			return bad(p, "a Transfer-Encoding other than chunked");
		p->chunked = 1;
	} else if (n == 8 && !strncasecmp(l, "Location", n) && p->follow) {
		if ((size_t)(e - val) >= sizeof(p->location))
			return bad(p, "Location too long");
		memcpy(p->location, val, e - val + 1);
	}
	return 0;
}

/* A hex size, then maybe extensions (";name=value"), which are ignored. */
static int chunk_size(struct fwg_http_parser *p, const char *l)
{
	const char *s = l;
	uint64_t v = 0;
	int d;

	for (; (d = hex_value(*s)) >= 0; s++) {
		if (v >> 59)
			return bad(p, "chunk size too large");
		v = v << 4 | d;
	}
	if (s == l)
		return bad(p, "bad chunk size");
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s && *s != ';')
		return bad(p, "bad chunk size");
	p->left = v;
	p->state = v ? S_CHUNK : S_TRAILER;
	return 0;
}

static int line(struct fwg_http_parser *p)
{
	char *l = p->line;

	switch (p->state) {
	case S_STATUS:
		return status_line(p, l);
	case S_HEADER:
		return header_line(p, l);
	case S_CHUNK_SIZE:
		return chunk_size(p, l);
	case S_CHUNK_END:
		if (l[0])
			return bad(p, "a chunk longer than its size");
		p->state = S_CHUNK_SIZE;
		return 0;
	default:	/* S_TRAILER: trailers are read and dropped */
		if (!l[0]) {
			p->state = S_DONE;
			return 1;
		}
		if (++p->lines > FWG_HTTP_MAX_HEADERS)
			return bad(p, "more than 100 header lines");
		return strchr(l, ':') ? 0 : bad(p, "bad trailer line");
	}
}

int fwg_http_parse(struct fwg_http_parser *p, const char *buf, size_t len)
{
	const char *nl;
	size_t n, i;
	int ret = 0;

	while (len && !ret) {
		switch (p->state) {
		case S_BODY:
		case S_CHUNK:
			n = len < p->left ? len : p->left;
			ret = deliver(p, buf, n);
			buf += n;
			len -= n;
			p->left -= n;
			if (!ret && !p->left) {
				p->state = p->state == S_BODY ? S_DONE : S_CHUNK_END;
				ret = p->state == S_DONE;
			}
			break;
		case S_TO_CLOSE:
			return deliver(p, buf, len);
		case S_DONE:
			ret = 1;
			break;
		default:
			nl = memchr(buf, '\n', len);
			n = nl ? (size_t)(nl - buf) : len;
			/* One more byte than the limit for the CR of a CRLF. */
			if (p->len + n > FWG_HTTP_LINE_MAX + 1)
				return bad(p, "a line longer than 8192 bytes");
			memcpy(p->line + p->len, buf, n);
			p->len += n;
			buf += n + !!nl;
			len -= n + !!nl;
			if (!nl)
				break;
			if (p->len && p->line[p->len - 1] == '\r')
				p->len--;
			if (p->len > FWG_HTTP_LINE_MAX)
				return bad(p, "a line longer than 8192 bytes");
			for (i = 0; i < p->len; i++)
				if (((unsigned char)p->line[i] < ' ' && p->line[i] != '\t') || p->line[i] == 0x7f)
					return bad(p, "a control byte in a line");
			p->line[p->len] = '\0';
			p->len = 0;
			ret = line(p);
		}
	}
	/* What follows a redirect's head is its body, which nobody reads. */
	if (ret == 1 && len && !p->redirect)
		return bad(p, "more bytes than its length");
	return ret;
}

int fwg_http_parse_eof(struct fwg_http_parser *p)
{
	switch (p->state) {
	case S_TO_CLOSE:
		p->state = S_DONE;
		return 1;
	case S_DONE:
		return 1;
	case S_STATUS:
		if (!p->len && !p->res->status)
			return fail(p->res, -EPROTO, "no HTTP response: the server closed the connection");
		/* fall through */
	case S_HEADER:
		return bad(p, "cut short in its head");
	case S_BODY:
		return fail(p->res, -EPROTO, "HTTP response: cut short after %" PRIu64 " of %" PRIu64 " body bytes",
			    p->length - p->left, p->length);
	default:
		return bad(p, "cut short in its chunked body");
	}
}

/* ------------------------------------------------------------------ URLs */

struct target {
	int https;
	unsigned int port;
	char host[256];		/* without brackets */
	char authority[272];	/* the Host header */
	char path[FWG_HTTP_URL_LEN];
};

static int bad_url(struct fwg_http_res *res, const char *url, const char *why)
{
	return fail(res, -EINVAL, "%.120s: %s", url, why);
}

static int parse_url(const char *url, struct target *t, struct fwg_http_res *res)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
	const char *p, *c, *end, *host, *hend, *path_end;
	unsigned long port = 0;
	size_t hlen;
	int n;

	memset(t, 0, offsetof(struct target, path));
	if (!strncmp(url, "http://", 7)) {
		p = url + 7;
		t->port = 80;
	} else if (!strncmp(url, "https://", 8)) {
		p = url + 8;
		t->https = 1;
		t->port = 443;
	} else {
		return bad_url(res, url, "not an http:// or https:// URL");
	}
	for (c = url; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return bad_url(res, url, "a space, control or non-ASCII byte");
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', end - p))
		return bad_url(res, url, "user names in URLs are not supported");
	if (*p == '[') {
		host = p + 1;
		hend = memchr(p, ']', end - p);
		if (!hend || strspn(host, "0123456789abcdefABCDEF:.") != (size_t)(hend - host))
			return bad_url(res, url, "a bad IPv6 address");
		hlen = hend++ - host;
	} else {
		host = p;
		hend = memchr(p, ':', end - p);
		hend = hend ? hend : end;
		hlen = hend - host;
		if (strspn(host, name_chars) < hlen)
			return bad_url(res, url, "a bad host name");
	}
	if (!hlen || hlen >= sizeof(t->host))
		return bad_url(res, url, "a bad host name");
	if (hend < end) {
		if (*hend != ':' || end - hend < 2 || end - hend > 6)
			return bad_url(res, url, "a bad port");
		for (c = hend + 1; c < end; c++) {
			if (!is_digit(*c))
				return bad_url(res, url, "a bad port");
			port = port * 10 + (*c - '0');
		}
		if (!port || port > 65535)
			return bad_url(res, url, "a bad port");
		t->port = port;
	}
	memcpy(t->host, host, hlen);
	n = snprintf(t->authority, sizeof(t->authority), *p == '[' ? "[%s]" : "%s", t->host);
	if (t->port != (t->https ? 443u : 80u))
		snprintf(t->authority + n, sizeof(t->authority) - n, ":%u", t->port);
	path_end = end + strcspn(end, "#");
	n = snprintf(t->path, sizeof(t->path), "%s%.*s", *end == '/' ? "" : "/", (int)(path_end - end), end);
	if (n >= (int)sizeof(t->path))
		return bad_url(res, url, "too long");
	return 0;
}

/* @t becomes the target of @loc, a Location absolute or relative to @t. */
static int redirect(struct target *t, const char *loc, struct fwg_http_res *res)
{
	const char *scheme = t->https ? "https:" : "http:";
	char url[FWG_HTTP_URL_LEN];
	size_t n = strcspn(loc, ":/?#");
	int len, dir;

	if (loc[n] == ':' && strncmp(loc, "http://", 7) && strncmp(loc, "https://", 8))
		return fail(res, -EINVAL, "a redirect to \"%.120s\": only http and https are followed", loc);
	if (loc[n] == ':') {
		len = snprintf(url, sizeof(url), "%s", loc);
	} else if (loc[0] == '/' && loc[1] == '/') {
		len = snprintf(url, sizeof(url), "%s%s", scheme, loc);
	} else if (loc[0] == '/') {
		len = snprintf(url, sizeof(url), "%s//%s%s", scheme, t->authority, loc);
	} else {
		dir = strcspn(t->path, "?");
		while (dir && t->path[dir - 1] != '/')
			dir--;
		len = snprintf(url, sizeof(url), "%s//%s%.*s%s", scheme, t->authority, dir, t->path, loc);
	}
	if (len >= (int)sizeof(url))
		return fail(res, -EINVAL, "a redirect to a URL too long");
	/* An https mirror must not hand a sealed image's reader, or anyone's, to plain http. */
	if (t->https && !strncmp(url, "http://", 7))
		return fail(res, -EINVAL, "a redirect from https to \"%.120s\": refused, it would drop TLS", url);
	return parse_url(url, t, res);
}

/* ------------------------------------------------------------------ the connection */

struct tls {
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

struct conn {
	const struct fwg_http_req *req;
	struct fwg_http_res *res;
	int fd;
	int sys_err;			/* errno of the socket call that failed under TLS */
	struct tls *tls;
	int64_t deadline;		/* of the whole request, or 0 */
	int64_t connect_until;		/* of the connect and handshake, 0 once connected */
	int64_t slow_since;		/* the low-speed window: its start, bytes received in it */
	uint64_t slow_bytes;
	char peer[64];			/* address:port, for messages */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fails when a deadline has passed, else sets @wait to the milliseconds until the next one (-1: none). */
static int check_time(struct conn *c, int64_t *wait)
{
	const struct fwg_http_req *r = c->req;
	int64_t now = now_ms(), w = -1, window = (int64_t)r->low_speed_time_s * 1000;

	if (c->deadline && now >= c->deadline)
		return fail(c->res, -ETIMEDOUT, "timed out after %u s", r->timeout_s);
	if (c->connect_until && now >= c->connect_until)
		return fail(c->res, -ETIMEDOUT, "connect to %s: timed out after %u s", c->peer,
			    r->connect_timeout_s ? r->connect_timeout_s : CONNECT_TIMEOUT_S);
	if (!c->connect_until && window && r->low_speed_limit) {
		if (now - c->slow_since >= window) {
			if (c->slow_bytes < (uint64_t)r->low_speed_limit * r->low_speed_time_s)
				return fail(c->res, -ETIMEDOUT, "transfer too slow: less than %u bytes/s over %u s",
					    r->low_speed_limit, r->low_speed_time_s);
			c->slow_since = now;
			c->slow_bytes = 0;
		}
		w = c->slow_since + window - now;
	}
	if (c->deadline && (w < 0 || c->deadline - now < w))
		w = c->deadline - now;
	if (c->connect_until && (w < 0 || c->connect_until - now < w))
		w = c->connect_until - now;
	*wait = w;
	return 0;
}

static int wait_io(struct conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int64_t wait;
	int err, n;

	for (;;) {
		err = check_time(c, &wait);
		if (err)
			return err;
		n = poll(&pfd, 1, wait > INT_MAX ? INT_MAX : (int)wait);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return fail(c->res, -errno, "poll: %s", strerror(errno));
	}
}

/* The socket in mbedTLS's terms, for its bio callbacks and for plain HTTP alike. */
static int sock_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	c->sys_err = errno;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

static int sock_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	c->sys_err = errno;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int io_error(struct conn *c, int ret, const char *what)
{
	char msg[128];

	if (c->sys_err)
		return fail(c->res, -c->sys_err, "%s %s: %s", what, c->peer, strerror(c->sys_err));
	mbedtls_strerror(ret, msg, sizeof(msg));
	return fail(c->res, -EPROTO, "TLS: %s", msg);
}

/* Waits as mbedTLS (or the socket) asks: 0 to try again, or the error. */
static int retry(struct conn *c, int ret, const char *what)
{
	if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return wait_io(c, ret == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT);
	return io_error(c, ret, what);
}

/* Bytes read, 0 at the end of the stream, or a negative errno. */
static int conn_read(struct conn *c, char *buf, size_t len)
{
	int64_t wait;
	int n, err;

	for (;;) {
		err = check_time(c, &wait);
		if (err)
			return err;
		n = c->tls ? mbedtls_ssl_read(&c->tls->ssl, (unsigned char *)buf, len) :
			     sock_recv(c, (unsigned char *)buf, len);
		/*
		 * A close without close_notify ends the stream too, as with libcurl: the parser catches bodies
		 * cut short unless they are read to the close, and the agent verifies whatever it downloads.
		 */
		if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_CONN_EOF)
			n = 0;
		if (n >= 0) {
			c->slow_bytes += n;
			return n;
		}
		err = retry(c, n, "receiving from");
		if (err)
			return err;
	}
}

static int conn_write(struct conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int n, err;

	while (len) {
		n = c->tls ? mbedtls_ssl_write(&c->tls->ssl, p, len) : sock_send(c, p, len);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		err = retry(c, n, "sending to");
		if (err)
			return err;
	}
	return 0;
}

/*
 * A name resolution that the connect timeout bounds: getaddrinfo() has no timeout of its own (a resolver
 * that never answers holds it for timeout x attempts x servers of resolv.conf), so it runs in a thread of
 * its own while the caller polls a pipe until the connect deadline. A request that gives up leaves the
 * thread to finish and free what they share: the last of the two to let go of it frees it.
 */
struct lookup {
	char host[256], port[8];
	struct addrinfo *ai;
	int rc, err;
	int pipe[2];
	int refs;
};

static void lookup_put(struct lookup *l)
{
	if (__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (l->ai)
		freeaddrinfo(l->ai);
	close(l->pipe[0]);
	close(l->pipe[1]);
	free(l);
}

static void *lookup_run(void *arg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct lookup *l = arg;
	char done = 1;

	l->rc = getaddrinfo(l->host, l->port, &hints, &l->ai);
	l->err = errno;
	if (write(l->pipe[1], &done, 1) != 1)
		l->rc = EAI_SYSTEM;
	lookup_put(l);
	return NULL;
}

static int resolve(struct conn *c, const struct target *t, struct addrinfo **ai)
{
	struct pollfd pfd = { .events = POLLIN };
	struct lookup *l = calloc(1, sizeof(*l));
	pthread_attr_t attr;
	pthread_t thread;
	int64_t wait;
	int err, n, rc;

	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST };
	char port[8];

	/* An address literal needs no resolver, and no thread. */
	snprintf(port, sizeof(port), "%u", t->port);
	if (!getaddrinfo(t->host, port, &hints, ai)) {
		free(l);
		return 0;
	}
	if (!l)
		return fail(c->res, -ENOMEM, "resolving %s: out of memory", t->host);
	snprintf(l->host, sizeof(l->host), "%s", t->host);
	snprintf(l->port, sizeof(l->port), "%u", t->port);
	l->refs = 2;
	if (pipe2(l->pipe, O_CLOEXEC)) {
		free(l);
		return fail(c->res, -errno, "resolving %s: pipe: %s", t->host, strerror(errno));
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* glibc's resolver and NSS modules use a few pages of stack; not the default 8 MiB of address space. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&thread, &attr, lookup_run, l);
	pthread_attr_destroy(&attr);
	if (rc) {
		l->refs = 1;
		lookup_put(l);
		return fail(c->res, -rc, "resolving %s: thread: %s", t->host, strerror(rc));
	}
	pfd.fd = l->pipe[0];
	snprintf(c->peer, sizeof(c->peer), "%.50s", t->host);
	for (;;) {
		err = check_time(c, &wait);
		if (err) {
			fail(c->res, err, "resolving %s: no answer within %u s", t->host,
			     c->req->connect_timeout_s ? c->req->connect_timeout_s : CONNECT_TIMEOUT_S);
			lookup_put(l);
			return err;
		}
		n = poll(&pfd, 1, wait > INT_MAX ? INT_MAX : (int)wait);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR) {
			err = fail(c->res, -errno, "poll: %s", strerror(errno));
			lookup_put(l);
			return err;
		}
	}
	/* The thread wrote to the pipe after its last write to *l: what it found is ours. */
	rc = l->rc;
	if (rc) {
		err = fail(c->res, -EHOSTUNREACH, "resolving %s: %s", t->host,
			   rc == EAI_SYSTEM ? strerror(l->err) : gai_strerror(rc));
		lookup_put(l);
		return err;
	}
	*ai = l->ai;
	l->ai = NULL;
	lookup_put(l);
	return 0;
}

/*
 * Each address of the host in turn, within the connect timeout: each gets an equal share of the time left,
 * so that an address that drops packets (IPv6 without a route, say) leaves time for the next ones.
 */
static int tcp_connect(struct conn *c, const struct target *t)
{
	int64_t until = c->connect_until, now;
	char port[8], ip[NI_MAXHOST];
	socklen_t sl = sizeof(int);
	int err = -EHOSTUNREACH, so;
	struct addrinfo *ai, *a;
	unsigned int left = 0;

	snprintf(port, sizeof(port), "%u", t->port);
	err = resolve(c, t, &ai);
	if (err)
		return err;
	err = -EHOSTUNREACH;
	for (a = ai; a; a = a->ai_next)
		left++;
	for (a = ai; a; a = a->ai_next, left--) {
		if (getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST))
			snprintf(ip, sizeof(ip), "?");
		snprintf(c->peer, sizeof(c->peer), a->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", ip, port);
		c->fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			err = fail(c->res, -errno, "socket: %s", strerror(errno));
			continue;
		}
		now = now_ms();
		c->connect_until = now + (until - now) / left;
		err = connect(c->fd, a->ai_addr, a->ai_addrlen) ? -errno : 0;
		if (err == -EINPROGRESS) {
			err = wait_io(c, POLLOUT);
			if (!err)
				err = getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &sl) ? -errno : -so;
		}
		if (!err)
			break;
		if (err != -ETIMEDOUT)
			fail(c->res, err, "connect to %s: %s", c->peer, strerror(-err));
		close(c->fd);
		c->fd = -1;
		/* The whole request's deadline, or the connect timeout itself: no time for another address. */
		if (err == -ETIMEDOUT && ((c->deadline && now_ms() >= c->deadline) || now_ms() >= until))
			break;
	}
	c->connect_until = until;
	freeaddrinfo(ai);
	return err;
}

static int tls_start(struct conn *c, const struct target *t)
{
	struct tls *s = calloc(1, sizeof(*s));
	char why[256], *nl;
	uint32_t flags;
	int ret, err = 0;

	if (!s)
		return fail(c->res, -ENOMEM, "TLS: out of memory");
	c->tls = s;
	mbedtls_ssl_init(&s->ssl);
	mbedtls_ssl_config_init(&s->conf);
	mbedtls_x509_crt_init(&s->ca);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);
	ret = mbedtls_x509_crt_parse_file(&s->ca, ca_file);
	if (ret < 0) {
		mbedtls_strerror(ret, why, sizeof(why));
		return fail(c->res, -EPROTO, "TLS: CA bundle %s: %s", ca_file, why);
	}
	ret = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy, (const unsigned char *)"fwgate", 6);
	if (!ret)
		ret = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
						  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret)
		return io_error(c, ret, "TLS setup");
	mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&s->conf, &s->ca, NULL);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	ret = mbedtls_ssl_setup(&s->ssl, &s->conf);
	if (!ret)
		ret = mbedtls_ssl_set_hostname(&s->ssl, t->host);
	if (ret)
		return io_error(c, ret, "TLS setup");
	mbedtls_ssl_set_bio(&s->ssl, c, sock_send, sock_recv, NULL);
	while ((ret = mbedtls_ssl_handshake(&s->ssl))) {
		err = retry(c, ret, "TLS handshake with");
		if (err)
			break;
	}
	/* The bundle is only needed for the handshake (renegotiation is off): give its memory back now. */
	mbedtls_x509_crt_free(&s->ca);
#ifdef __GLIBC__
	malloc_trim(0);		/* glibc keeps freed heap pages; musl returns them itself */
#endif
	if (!ret)
		return 0;
	if (ret != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		return err;
	flags = mbedtls_ssl_get_verify_result(&s->ssl);
	if (flags == MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return fail(c->res, -EPROTO, "TLS: the certificate is not for %s", t->host);
	mbedtls_x509_crt_verify_info(why, sizeof(why), "", flags);
	nl = strchr(why, '\n');
	while (nl) {
		*nl = nl[1] ? ';' : '\0';
		nl = strchr(nl, '\n');
	}
	return fail(c->res, -EPROTO, "TLS: certificate not trusted (%s)", why);
}

static void tls_free(struct tls *s)
{
	if (!s)
		return;
	mbedtls_ssl_free(&s->ssl);
	mbedtls_ssl_config_free(&s->conf);
	mbedtls_x509_crt_free(&s->ca);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	free(s);
}

/* One request and its response, on a new connection. */
static int exchange(struct conn *c, const struct target *t, struct fwg_http_parser *p, char *buf)
{
	const struct fwg_http_req *r = c->req;
	int n, err;

	c->connect_until = now_ms() + (int64_t)(r->connect_timeout_s ? r->connect_timeout_s : CONNECT_TIMEOUT_S) * 1000;
	err = tcp_connect(c, t);
	if (!err && t->https)
		err = tls_start(c, t);
	if (err)
		return err;
	c->connect_until = 0;
	c->slow_since = now_ms();
	c->slow_bytes = 0;
	/* Bounded: the path is shorter than FWG_HTTP_URL_LEN, the caller's strings are cut. */
	n = snprintf(buf, BUF_LEN, "%.10s %s HTTP/1.1\r\nHost: %s\r\n", r->method ? r->method : "GET", t->path,
		     t->authority);
	if (r->user_agent)
		n += snprintf(buf + n, BUF_LEN - n, "User-Agent: %.100s\r\n", r->user_agent);
	if (r->range)
		n += snprintf(buf + n, BUF_LEN - n, "Range: bytes=%" PRIu64 "-\r\n", r->range_from);
	if (r->body && r->content_type)
		n += snprintf(buf + n, BUF_LEN - n, "Content-Type: %.100s\r\n", r->content_type);
	if (r->body)
		n += snprintf(buf + n, BUF_LEN - n, "Content-Length: %zu\r\n", r->body_len);
	n += snprintf(buf + n, BUF_LEN - n, "Connection: close\r\n\r\n");
	err = conn_write(c, buf, n);
	if (!err && r->body)
		err = conn_write(c, r->body, r->body_len);
	while (!err) {
		n = conn_read(c, buf, BUF_LEN);
		if (n < 0)
			return n;
		err = n ? fwg_http_parse(p, buf, n) : fwg_http_parse_eof(p);
	}
	return err < 0 ? err : 0;
}

int fwg_http_request(const struct fwg_http_req *req, struct fwg_http_res *res)
{
	struct conn c = { .req = req, .res = res };
	int follow = req->max_redirects && (!req->method || !strcmp(req->method, "GET"));
	struct fwg_http_parser p;
	unsigned int hops = 0;
	char buf[BUF_LEN];
	struct target t;
	int err;

	memset(res, 0, sizeof(*res));
	if (!req->url)
		return fail(res, -EINVAL, "no URL");
	if (parse_url(req->url, &t, res))
		return -EINVAL;
	if (req->timeout_s)
		c.deadline = now_ms() + (int64_t)req->timeout_s * 1000;
	for (;;) {
		c.fd = -1;
		c.tls = NULL;
		c.sys_err = 0;
		fwg_http_parser_init(&p, req, res, follow);
		err = exchange(&c, &t, &p, buf);
		tls_free(c.tls);
		if (c.fd >= 0)
			close(c.fd);
		if (err || !p.redirect)
			return err;
		if (hops++ == req->max_redirects)
			return fail(res, -ELOOP, "more than %u redirects", req->max_redirects);
		if (redirect(&t, p.location, res))
			return -EINVAL;
	}
}
