// SPDX-License-Identifier: GPL-2.0
/*
 * The download (agent/fetch.c) against a small HTTP server forked by each test, which serves procedural
 * images and misbehaves on request: the query of a URL says how (drop, norange, tamper, status, fail,
 * after, stall, extra, short). Every plain byte the sink gets is checked against the image at its offset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "fetch.h"
#include "keys.h"
#include "log.h"
#include "seal.h"

#define SIZE		300000
#define SEALED_SIZE	200000
#define MAX_PATHS	32

static uint8_t img_byte(uint64_t i)
{
	return (uint8_t)((i >> 11) * 31 + i * 7 + (i >> 3));
}

static void img_fill(uint8_t *buf, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = img_byte(off + i);
}

static void img_digest(uint64_t size, uint8_t out[FWGATE_ID_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[65536];
	uint64_t off;
	size_t n;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (off = 0; off < size; off += n) {
		n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		img_fill(buf, off, n);
		EVP_DigestUpdate(md, buf, n);
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

/* ------------------------------------------------------------------ the server */

struct server {
	const uint8_t *sealed, *other;	/* inherited by the forked server */
	size_t sealed_len, other_len;
	const char *log;
	struct {
		char path[256];
		unsigned int hits;
	} *seen;			/* shared between the per-connection children */
};

static long param(const char *query, const char *name, long dflt)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "%s=", name);
	for (p = query; (p = strstr(p, key)); p++)
		if (p > query && (p[-1] == '?' || p[-1] == '&'))
			return strtol(p + strlen(key), NULL, 10);
	return dflt;
}

static int has(const char *query, const char *name)
{
	const char *p = strstr(query, name);
	size_t n = strlen(name);

	return p && p > query && (p[-1] == '?' || p[-1] == '&') && (p[n] == '&' || !p[n]);
}

/* This request's number for its path, from 1. */
static unsigned int hit(struct server *srv, const char *path)
{
	unsigned int i;

	for (i = 0; i < MAX_PATHS; i++) {
		if (!srv->seen[i].path[0])
			snprintf(srv->seen[i].path, sizeof(srv->seen[i].path), "%s", path);
		if (!strcmp(srv->seen[i].path, path))
			return __atomic_add_fetch(&srv->seen[i].hits, 1, __ATOMIC_SEQ_CST);
	}
	return 1;
}

static void note(struct server *srv, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fd = open(srv->log, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd >= 0) {
		if (write(fd, line, n) != n)
			exit(3);
		close(fd);
	}
}

static void send_all(int c, const void *buf, size_t len)
{
	if (send(c, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		exit(0);
}

static void serve(struct server *srv, int c)
{
	char req[4096], path[256], hdr[512], *q, *r;
	long long size, tamper, drop, stall, code, a = -1;
	const uint8_t *obj = NULL;
	uint8_t buf[16384];
	unsigned long long len, off, end, sent = 0;
	unsigned int n, nth;
	size_t got = 0;
	ssize_t k;

	req[0] = '\0';
	while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		k = recv(c, req + got, sizeof(req) - 1 - got, 0);
		if (k <= 0)
			return;
		got += k;
		req[got] = '\0';
	}
	if (sscanf(req, "GET %255s", path) != 1)
		return;
	r = strcasestr(req, "\r\nRange: bytes=");
	if (r)
		a = strtoll(r + 15, NULL, 10);
	q = strchr(path, '?');
	q = q ? q : path + strlen(path);
	nth = hit(srv, path);
	size = param(q, "size", SIZE);
	tamper = param(q, "tamper", -1);
	drop = param(q, "drop", -1);
	stall = param(q, "stall", -1);
	code = param(q, "status", 0);
	if (nth <= param(q, "fail", 0))
		code = 500;
	if (nth > 1 && param(q, "after", 0))
		code = param(q, "after", 0);
	if (!strncmp(path, "/sealed", 7)) {
		obj = srv->sealed;
		len = srv->sealed_len;
	} else if (!strncmp(path, "/other", 6)) {
		obj = srv->other;
		len = srv->other_len;
	} else {
		len = size + param(q, "extra", 0) - param(q, "short", 0);
	}
	if (!code && a >= 0 && !has(q, "norange"))
		code = (unsigned long long)a >= len ? 416 : 206;
	if (!code) {
		code = 200;
		a = 0;
	}
	note(srv, "%s range=%lld status=%lld\n", path, r ? strtoll(r + 15, NULL, 10) : -1, code);
	if (code != 200 && code != 206) {
		n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %lld Nope\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope\n",
			     code);
		send_all(c, hdr, n);
		return;
	}
	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %lld OK\r\nContent-Length: %llu\r\nConnection: close\r\n", code,
		     len - a);
	if (code == 206)
		n += snprintf(hdr + n, sizeof(hdr) - n, "Content-Range: bytes %lld-%llu/%llu\r\n", a, len - 1, len);
	n += snprintf(hdr + n, sizeof(hdr) - n, "\r\n");
	send_all(c, hdr, n);
	for (off = a; off < len; off = end) {
		end = off + sizeof(buf) < len ? off + sizeof(buf) : len;
		if (drop >= 0 && (long long)(sent + end - off) > drop && nth <= param(q, "drops", 1))
			end = off + (drop - sent);
		if (stall >= 0 && (long long)(sent + end - off) > stall && hit(srv, "stall") == 1)
			end = off + (stall - sent), sleep(3);
		if (obj)
			memcpy(buf, obj + off, end - off);
		else
			img_fill(buf, off, end - off);
		if (tamper >= (long long)off && tamper < (long long)end)
			buf[tamper - off] ^= 0x5a;
		send_all(c, buf, end - off);
		sent += end - off;
		if (end - off < sizeof(buf) && end < len)
			return;	/* dropped or stalled: close mid-body */
	}
}

static pid_t server_start(struct server *srv, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), c, one = 1;
	pid_t pid;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 64) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl))
		return -1;
	*port = ntohs(sa.sin_port);
	pid = fork();
	if (pid) {
		close(s);
		return pid;
	}
	setpgid(0, 0);
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		if (!fork()) {
			close(s);
			serve(srv, c);
			close(c);
			_exit(0);
		}
		close(c);
	}
}

/* ------------------------------------------------------------------ the sink */

struct sink_state {
	uint64_t pos;		/* plain offset of the next byte */
	uint64_t bad;		/* bytes that differ from the image */
	uint64_t calls;
	int sample_heap;
	size_t heap_max;
	uint64_t progress_last, progress_calls;
	int progress_backwards;
};

static int check_write(const void *buf, size_t len, void *arg)
{
	struct sink_state *st = arg;
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		st->bad += p[i] != img_byte(st->pos + i);
	st->pos += len;
	st->calls++;
	if (st->sample_heap) {
		struct mallinfo2 mi = mallinfo2();

		if (mi.uordblks > st->heap_max)
			st->heap_max = mi.uordblks;
	}
	return 0;
}

static void on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct sink_state *st = arg;

	if (done < st->progress_last || done > total)
		st->progress_backwards = 1;
	st->progress_last = done;
	st->progress_calls++;
}

/* ------------------------------------------------------------------ fixture */

FIXTURE(fetch) {
	struct server srv;
	pid_t server;
	int port;
	char log[64];
	struct fwg_key *key, *other;
	uint8_t *sealed, *other_sealed;
	char url[4][256];
	const char *urls[4];
	struct fwg_fetch_req req;
	struct fwg_fetch_sink sink;
	struct fwg_fetch_result res;
	struct sink_state st;
};

FIXTURE_SETUP(fetch)
{
	struct fwg_key *third;
	uint8_t *plain = malloc(SEALED_SIZE);
	int fd;

	log_init("fetch_test", 0);
	strcpy(self->log, "/tmp/fwgate-fetch.XXXXXX");
	fd = mkstemp(self->log);
	ASSERT_LE(0, fd);
	close(fd);
	self->key = fwg_key_create(FWGATE_KEY_P256);
	self->other = fwg_key_create(FWGATE_KEY_P256);
	third = fwg_key_create(FWGATE_KEY_P256);
	ASSERT_TRUE(self->key && self->other && third && plain);
	img_fill(plain, 0, SEALED_SIZE);
	{
		struct fwg_key *mine[2] = { self->other, self->key };
		struct fwg_key *theirs[2] = { self->other, third };

		self->sealed = fwg_seal(plain, SEALED_SIZE, mine, 2, &self->srv.sealed_len);
		self->other_sealed = fwg_seal(plain, SEALED_SIZE, theirs, 2, &self->srv.other_len);
	}
	ASSERT_TRUE(self->sealed && self->other_sealed);
	free(plain);
	fwg_key_free(third);
	self->srv.sealed = self->sealed;
	self->srv.other = self->other_sealed;
	self->srv.log = self->log;
	self->srv.seen = mmap(NULL, MAX_PATHS * sizeof(*self->srv.seen), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->srv.seen);
	memset(self->srv.seen, 0, MAX_PATHS * sizeof(*self->srv.seen));
	self->server = server_start(&self->srv, &self->port);
	ASSERT_LT(0, self->server);

	self->req.urls = self->urls;
	self->req.size = SIZE;
	img_digest(SIZE, self->req.u_id);
	self->req.device_key = self->key;
	self->req.retries = 3;
	self->req.timeout_s = 1;
	self->req.progress = on_progress;
	self->req.progress_arg = &self->st;
	self->sink.write = check_write;
	self->sink.arg = &self->st;
}

FIXTURE_TEARDOWN(fetch)
{
	kill(-self->server, SIGKILL);
	kill(self->server, SIGKILL);
	waitpid(self->server, NULL, 0);
	unlink(self->log);
	munmap(self->srv.seen, MAX_PATHS * sizeof(*self->srv.seen));
	free(self->sealed);
	free(self->other_sealed);
	fwg_key_free(self->key);
	fwg_key_free(self->other);
}

static void set_urls(FIXTURE_DATA(fetch) *self, int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		snprintf(self->url[i], sizeof(self->url[i]), "http://127.0.0.1:%d%s", self->port,
			 va_arg(ap, const char *));
		self->urls[i] = self->url[i];
	}
	va_end(ap);
	self->req.nr_urls = n;
}

static int run(FIXTURE_DATA(fetch) *self)
{
	self->st.pos = self->req.offset;
	return fwg_fetch(&self->req, &self->sink, &self->res);
}

/* How many lines of the server's log hold @s. */
static int logged(FIXTURE_DATA(fetch) *self, const char *s)
{
	char line[512];
	FILE *f = fopen(self->log, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += !!strstr(line, s);
	if (f)
		fclose(f);
	return n;
}

static void use_sealed(FIXTURE_DATA(fetch) *self)
{
	self->req.size = SEALED_SIZE;
	img_digest(SEALED_SIZE, self->req.u_id);
}

TEST_F(fetch, downloads_a_plain_image)
{
	set_urls(self, 1, "/plain");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(FWG_FETCH_OK, self->res.reason);
	EXPECT_EQ(SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	EXPECT_EQ(1, logged(self, "/plain range=-1 status=200"));
}

TEST_F(fetch, resumes_after_a_drop_with_range)
{
	set_urls(self, 1, "/plain?drop=100000&drops=2");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	EXPECT_EQ(1, logged(self, "range=100000 status=206"));
	EXPECT_EQ(1, logged(self, "range=200000 status=206"));
}

TEST_F(fetch, resumes_after_a_stall)
{
	set_urls(self, 1, "/plain?stall=123456");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	/*
	 * The server sends 7 blocks of 16 KiB, then nothing for 3 s: below the low-speed limit (1 byte/s over
	 * timeout_s, 1 s), the request ends there and the next resumes at the bytes received.
	 */
	EXPECT_EQ(1, logged(self, "range=114688 status=206"));
}

TEST_F(fetch, copes_with_a_server_that_ignores_range)
{
	set_urls(self, 1, "/plain?drop=100000&norange");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	EXPECT_EQ(1, logged(self, "range=100000 status=200"));
}

TEST_F(fetch, falls_back_to_the_next_url_after_404_and_500)
{
	self->req.retries = 1;
	/* Nothing stalls here: the fixture's 1 s timeout would only add retries on a loaded machine. */
	self->req.timeout_s = 20;
	set_urls(self, 3, "/plain?status=404", "/plain?status=500", "/plain");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(FWG_FETCH_OK, self->res.reason);
	EXPECT_EQ(-1, self->res.bad_url);
	EXPECT_EQ(SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	EXPECT_EQ(1, logged(self, "status=404"));
	EXPECT_EQ(2, logged(self, "status=500"));	/* one retry */
}

TEST_F(fetch, reports_every_url_failing)
{
	self->req.retries = 0;
	set_urls(self, 2, "/plain?status=404", "/plain?status=503");
	ASSERT_EQ(-EHOSTUNREACH, run(self));
	EXPECT_EQ(FWG_FETCH_UNREACHABLE, self->res.reason);
	EXPECT_EQ(-1, self->res.bad_url);
	EXPECT_NE(NULL, strstr(self->res.msg, "status=503: HTTP 503"));
}

TEST_F(fetch, blames_a_tampered_mirror_with_both_digests)
{
	uint8_t bad[FWGATE_ID_LEN];
	char want[65], got[65];
	uint8_t *img = malloc(SIZE);

	ASSERT_NE(NULL, img);
	img_fill(img, 0, SIZE);
	img[12345] ^= 0x5a;
	fwg_sha256(img, SIZE, bad);
	free(img);
	fwg_hex(self->req.u_id, FWGATE_ID_LEN, want);
	fwg_hex(bad, FWGATE_ID_LEN, got);
	set_urls(self, 2, "/plain?tamper=12345", "/plain");
	ASSERT_EQ(-EBADMSG, run(self));
	EXPECT_EQ(FWG_FETCH_DIGEST_MISMATCH, self->res.reason);
	EXPECT_EQ(0, self->res.bad_url);
	EXPECT_STREQ(self->url[0], self->res.bad_url_text);
	EXPECT_NE(NULL, strstr(self->res.msg, self->url[0]));
	EXPECT_NE(NULL, strstr(self->res.msg, want));
	EXPECT_NE(NULL, strstr(self->res.msg, got));
	EXPECT_EQ(0, logged(self, "/plain range"));	/* the good mirror was not needed to judge */
	TH_LOG("%s", self->res.msg);
}

TEST_F(fetch, blames_the_mirror_whose_delivered_prefix_differs)
{
	/* The first mirror delivers a tampered prefix, then fails; the second's whole image verifies. */
	set_urls(self, 2, "/plain?tamper=10&drop=50000&after=404", "/plain");
	ASSERT_EQ(-EBADMSG, run(self));
	EXPECT_EQ(FWG_FETCH_DIGEST_MISMATCH, self->res.reason);
	EXPECT_EQ(0, self->res.bad_url);
	EXPECT_EQ(50000, self->st.pos);		/* nothing more went to the sink */
	EXPECT_EQ(1, self->st.bad);
	EXPECT_EQ(1, logged(self, "/plain range=-1 status=200"));
	TH_LOG("%s", self->res.msg);
}

TEST_F(fetch, blames_an_oversize_stream)
{
	set_urls(self, 2, "/plain?extra=1000", "/plain");
	ASSERT_EQ(-EBADMSG, run(self));
	EXPECT_EQ(FWG_FETCH_TOO_LONG, self->res.reason);
	EXPECT_EQ(0, self->res.bad_url);
	EXPECT_GE(SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
}

TEST_F(fetch, blames_a_short_stream)
{
	set_urls(self, 1, "/plain?short=1000");
	ASSERT_EQ(-EBADMSG, run(self));
	EXPECT_EQ(FWG_FETCH_TOO_SHORT, self->res.reason);
	EXPECT_EQ(0, self->res.bad_url);
	EXPECT_EQ(SIZE - 1000, self->st.pos);
}

TEST_F(fetch, opens_a_sealed_image_for_this_device)
{
	use_sealed(self);
	set_urls(self, 1, "/sealed");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(SEALED_SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
}

TEST_F(fetch, resumes_a_sealed_image_after_a_drop)
{
	use_sealed(self);
	set_urls(self, 1, "/sealed?drop=70000");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(SEALED_SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	EXPECT_EQ(1, logged(self, "range=70000 status=206"));
}

TEST_F(fetch, refuses_a_sealed_image_for_another_device)
{
	use_sealed(self);
	set_urls(self, 1, "/other");
	ASSERT_EQ(-ENOKEY, run(self));
	EXPECT_EQ(FWG_FETCH_NOT_RECIPIENT, self->res.reason);
	EXPECT_EQ(-1, self->res.bad_url);
	EXPECT_EQ(0, self->st.pos);
	EXPECT_NE(NULL, strstr(self->res.msg, self->url[0]));
	EXPECT_NE(NULL, strstr(self->res.msg, "for other devices"));
	TH_LOG("%s", self->res.msg);
}

TEST_F(fetch, moves_on_from_a_sealed_image_without_a_key)
{
	use_sealed(self);
	self->req.device_key = NULL;
	set_urls(self, 1, "/sealed");
	ASSERT_EQ(-ENOKEY, run(self));
	EXPECT_EQ(FWG_FETCH_NO_KEY, self->res.reason);
}

TEST_F(fetch, blames_an_altered_sealed_image)
{
	use_sealed(self);
	set_urls(self, 2, "/sealed?tamper=150000", "/sealed");
	ASSERT_EQ(-EBADMSG, run(self));
	EXPECT_EQ(FWG_FETCH_BAD_SEAL, self->res.reason);
	EXPECT_EQ(0, self->res.bad_url);
}

TEST_F(fetch, resumes_at_an_offset_from_a_previous_process)
{
	self->req.offset = 123457;
	set_urls(self, 1, "/plain");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	EXPECT_EQ(SIZE, self->st.progress_last);
}

TEST_F(fetch, resumes_a_sealed_image_at_an_offset_from_a_previous_process)
{
	use_sealed(self);
	self->req.offset = 99999;
	set_urls(self, 1, "/sealed?drop=50000");
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(SEALED_SIZE, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
}

TEST_F(fetch, reports_monotonic_progress)
{
	set_urls(self, 2, "/plain?drop=50000&after=500", "/plain?drop=100000");
	self->req.retries = 0;
	ASSERT_EQ(0, run(self));
	EXPECT_EQ(0, self->st.progress_backwards);
	EXPECT_EQ(SIZE, self->st.progress_last);
	EXPECT_LT(3, self->st.progress_calls);
	EXPECT_EQ(0, self->st.bad);
}

static long status_kib(const char *name)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)))
			v = strtol(line + strlen(name), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

TEST_F(fetch, streams_64_mib_in_bounded_memory)
{
	uint64_t size = 64ULL << 20;
	char path[64];
	size_t heap0;
	long rss0, hwm;
	int fd;

	snprintf(path, sizeof(path), "/plain?size=%llu", (unsigned long long)size);
	set_urls(self, 1, path);
	self->req.size = size;
	img_digest(size, self->req.u_id);
	self->st.sample_heap = 1;
	heap0 = mallinfo2().uordblks;
	self->st.heap_max = heap0;
	fd = open("/proc/self/clear_refs", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "5", 1) != 1)
			TH_LOG("could not reset VmHWM");
		close(fd);
	}
	rss0 = status_kib("VmRSS:");
	ASSERT_EQ(0, run(self));
	hwm = status_kib("VmHWM:");
	EXPECT_EQ(size, self->st.pos);
	EXPECT_EQ(0, self->st.bad);
	TH_LOG("64 MiB: heap growth %zu KiB, RSS %ld KiB -> peak %ld KiB (+%ld KiB)",
	       (self->st.heap_max - heap0) >> 10, rss0, hwm, hwm - rss0);
	EXPECT_GT(1024 * 1024, self->st.heap_max - heap0);
	EXPECT_GT(2048, hwm - rss0);
}

/* ------------------------------------------------------------------ the streaming opener */

struct collected {
	uint8_t *p;
	size_t len;
};

static int collect(const uint8_t *buf, size_t len, void *arg)
{
	struct collected *c = arg;

	memcpy(c->p + c->len, buf, len);
	c->len += len;
	return 0;
}

TEST(unseal_stream_matches_the_whole_buffer_opener_for_any_chunking)
{
	struct fwg_key *key = fwg_key_create(FWGATE_KEY_P256);
	struct fwg_key *others[2] = { fwg_key_create(FWGATE_KEY_P256), key }, *stranger;
	size_t len, sealed_len, off, k, round;
	struct fwg_unseal_stream *s;
	uint8_t img[30000], *sealed, *whole;
	struct collected c;

	img_fill(img, 0, sizeof(img));
	sealed = fwg_seal(img, sizeof(img), others, 2, &sealed_len);
	ASSERT_NE(NULL, sealed);
	whole = fwg_unseal(sealed, sealed_len, key, &len);
	ASSERT_NE(NULL, whole);
	ASSERT_EQ(sizeof(img), len);
	c.p = malloc(sealed_len);
	srandom(1);
	for (round = 0; round < 20; round++) {
		s = fwg_unseal_stream_new(key);
		ASSERT_NE(NULL, s);
		c.len = 0;
		for (off = 0; off < sealed_len; off += k) {
			k = round == 0 ? 1 : 1 + random() % (round * 50);
			k = k < sealed_len - off ? k : sealed_len - off;
			ASSERT_EQ(0, fwg_unseal_stream_feed(s, sealed + off, k, collect, &c));
		}
		ASSERT_EQ(sealed_len - sizeof(img), fwg_unseal_stream_overhead(s));
		ASSERT_EQ(0, fwg_unseal_stream_final(s));
		ASSERT_EQ(len, c.len);
		ASSERT_EQ(0, memcmp(whole, c.p, len));
		fwg_unseal_stream_free(s);
	}
	/* Truncated by one byte: the tag does not check. */
	s = fwg_unseal_stream_new(key);
	c.len = 0;
	ASSERT_EQ(0, fwg_unseal_stream_feed(s, sealed, sealed_len - 1, collect, &c));
	ASSERT_EQ(-EBADMSG, fwg_unseal_stream_final(s));
	fwg_unseal_stream_free(s);
	/* Not a recipient: said once the table is read, before any plain byte. */
	stranger = fwg_key_create(FWGATE_KEY_P256);
	s = fwg_unseal_stream_new(stranger);
	c.len = 0;
	ASSERT_EQ(-ENOKEY, fwg_unseal_stream_feed(s, sealed, sealed_len, collect, &c));
	ASSERT_EQ(0, c.len);
	ASSERT_EQ(-ENOKEY, fwg_unseal_stream_final(s));
	fwg_unseal_stream_free(s);
	fwg_key_free(stranger);
	free(c.p);
	free(whole);
	free(sealed);
	fwg_key_free(key);
	fwg_key_free(others[0]);
}

TEST_HARNESS_MAIN
