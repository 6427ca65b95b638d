// SPDX-License-Identifier: GPL-2.0
/*
 * lib/http.c against tests/agent/http_server.py, started by each test: bodies by length, chunked and to the
 * close, ranges, redirects, the errors a strict client must report, and https with a throwaway CA made with
 * the openssl CLI. Run from the top of the tree (tests/agent/suite does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netdb.h>
#include <sched.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "http.h"

/* Each server takes the first port of its range it can bind: other tests' connections use these too. */
#define PORTS		20
#define HTTP_PORT	33790
#define TLS_PORT	33810
#define V4_PORT		33830
#define V6_PORT		33850
#define DEAD_PORT	33899	/* nothing listens there */
#define SERVER		"tests/agent/http_server.py"

struct got {
	char body[4096];
	size_t len;
	char headers[4096];
	int abort_after;	/* fail the body callback after this many bytes, when > 0 */
};

static int on_header(const char *line, void *arg)
{
	struct got *g = arg;
	size_t n = strlen(g->headers);

	snprintf(g->headers + n, sizeof(g->headers) - n, "%s\n", line);
	return 0;
}

static int on_body(const void *buf, size_t len, void *arg)
{
	struct got *g = arg;

	if (g->len + len >= sizeof(g->body))
		return -1;
	memcpy(g->body + g->len, buf, len);
	g->len += len;
	g->body[g->len] = '\0';
	return g->abort_after && g->len >= (size_t)g->abort_after;
}

static void server_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Starts the server on the first port from @first it can bind, and waits until it listens; its pid, or -1. */
static pid_t server_start(int first, int *port, const char *bind, const char *cert, const char *key)
{
	char p[8], ready[8];
	int fds[2];
	ssize_t n;
	pid_t pid;

	for (*port = first; *port < first + PORTS; (*port)++) {
		if (pipe(fds))
			return -1;
		snprintf(p, sizeof(p), "%d", *port);
		pid = fork();
		if (!pid) {
			dup2(fds[1], 1);
			close(fds[0]);
			close(fds[1]);
			if (cert)
				execlp("python3", "python3", SERVER, p, "--bind", bind, "--tls", cert, key, NULL);
			else
				execlp("python3", "python3", SERVER, p, "--bind", bind, NULL);
			_exit(127);
		}
		close(fds[1]);
		n = pid > 0 ? read(fds[0], ready, sizeof(ready)) : -1;
		close(fds[0]);
		if (n >= 5 && !memcmp(ready, "ready", 5))
			return pid;
		server_stop(pid);
	}
	return -1;
}

static double elapsed_s(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ------------------------------------------------------------------ plain HTTP */

FIXTURE(http) {
	pid_t server;
	int port;
	char url[256];
	struct fwg_http_req req;
	struct fwg_http_res res;
	struct got got;
};

FIXTURE_SETUP(http)
{
	self->server = server_start(HTTP_PORT, &self->port, "::", NULL, NULL);
	ASSERT_LT(0, self->server) TH_LOG("can not start %s", SERVER);
	memset(&self->got, 0, sizeof(self->got));
	self->req = (struct fwg_http_req){ .url = self->url, .header = on_header, .body_fn = on_body,
					   .arg = &self->got, .connect_timeout_s = 5, .timeout_s = 20 };
}

FIXTURE_TEARDOWN(http)
{
	server_stop(self->server);
}

static int get(FIXTURE_DATA(http) *self, const char *path)
{
	snprintf(self->url, sizeof(self->url), "http://127.0.0.1:%d%s", self->port, path);
	return fwg_http_request(&self->req, &self->res);
}

TEST_F(http, reads_a_content_length_body)
{
	ASSERT_EQ(0, get(self, "/length")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(200, self->res.status);
	EXPECT_STREQ("hello world", self->got.body);
	EXPECT_NE(NULL, strstr(self->got.headers, "HTTP/1.1 200 OK\nContent-Length: 11\n"));
}

TEST_F(http, reads_an_empty_body)
{
	ASSERT_EQ(0, get(self, "/empty")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(200, self->res.status);
	EXPECT_EQ(0, self->got.len);
}

TEST_F(http, reads_a_chunked_body_with_extensions_and_trailers)
{
	ASSERT_EQ(0, get(self, "/chunked")) TH_LOG("%s", self->res.err);
	EXPECT_STREQ("hello world, chunked", self->got.body);
}

TEST_F(http, reads_a_body_to_the_close)
{
	ASSERT_EQ(0, get(self, "/close")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(200, self->res.status);
	EXPECT_STREQ("read until the close", self->got.body);
}

TEST_F(http, asks_for_a_range_and_sees_206)
{
	self->req.range = 1;
	self->req.range_from = 990;
	ASSERT_EQ(0, get(self, "/range")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(206, self->res.status);
	EXPECT_EQ(10, self->got.len);
	EXPECT_NE(NULL, strstr(self->got.headers, "Content-Range: bytes 990-999/1000\n"));
	self->req.range = 0;
	self->got.len = 0;
	ASSERT_EQ(0, get(self, "/range"));
	EXPECT_EQ(200, self->res.status);
	EXPECT_EQ(1000, self->got.len);
}

TEST_F(http, reports_an_error_status_with_its_body)
{
	ASSERT_EQ(0, get(self, "/nothing-here"));
	EXPECT_EQ(404, self->res.status);
	EXPECT_STREQ("nope\n", self->got.body);
}

TEST_F(http, follows_relative_and_absolute_redirects)
{
	self->req.max_redirects = 5;
	ASSERT_EQ(0, get(self, "/redirect/5")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(200, self->res.status);
	EXPECT_STREQ("arrived", self->got.body);	/* the redirects' bodies are not handed on */
	EXPECT_NE(NULL, strstr(self->got.headers, "HTTP/1.1 301 Moved\n"));
	EXPECT_NE(NULL, strstr(self->got.headers, "HTTP/1.1 307 Temporary Redirect\n"));
}

TEST_F(http, refuses_too_many_redirects)
{
	self->req.max_redirects = 5;
	EXPECT_EQ(-ELOOP, get(self, "/redirect/6"));
	EXPECT_STREQ("more than 5 redirects", self->res.err);
	EXPECT_EQ(-ELOOP, get(self, "/loop"));
	EXPECT_EQ(302, self->res.status);
}

TEST_F(http, does_not_follow_redirects_unless_asked)
{
	ASSERT_EQ(0, get(self, "/redirect/1"));
	EXPECT_EQ(302, self->res.status);
}

TEST_F(http, refuses_a_redirect_to_another_scheme)
{
	self->req.max_redirects = 5;
	EXPECT_EQ(-EINVAL, get(self, "/to-ftp"));
	EXPECT_NE(NULL, strstr(self->res.err, "only http and https")) TH_LOG("%s", self->res.err);
}

TEST_F(http, names_the_address_when_the_connection_is_refused)
{
	snprintf(self->url, sizeof(self->url), "http://127.0.0.1:%d/", DEAD_PORT);
	EXPECT_EQ(-ECONNREFUSED, fwg_http_request(&self->req, &self->res));
	EXPECT_STREQ("connect to 127.0.0.1:33899: Connection refused", self->res.err);
	EXPECT_EQ(0, self->res.status);
}

TEST_F(http, aborts_a_stalled_transfer_below_the_low_speed_limit)
{
	struct timespec t0;
	double s;

	self->req.low_speed_limit = 1;
	self->req.low_speed_time_s = 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-ETIMEDOUT, get(self, "/stall"));
	s = elapsed_s(&t0);
	EXPECT_STREQ("transfer too slow: less than 1 bytes/s over 2 s", self->res.err);
	EXPECT_EQ(10, self->got.len);
	EXPECT_TRUE(s >= 1.9 && s < 4.5) TH_LOG("%.2f s", s);
}

TEST_F(http, gives_up_at_the_total_timeout)
{
	struct timespec t0;
	double s;

	self->req.timeout_s = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-ETIMEDOUT, get(self, "/stall"));
	s = elapsed_s(&t0);
	EXPECT_STREQ("timed out after 1 s", self->res.err);
	EXPECT_TRUE(s >= 0.9 && s < 2.5) TH_LOG("%.2f s", s);
}

TEST_F(http, fails_a_truncated_body)
{
	EXPECT_EQ(-EPROTO, get(self, "/truncated"));
	EXPECT_STREQ("HTTP response: cut short after 50 of 100 body bytes", self->res.err);
	EXPECT_EQ(-EPROTO, get(self, "/truncated-chunked"));
	EXPECT_STREQ("HTTP response: cut short in its chunked body", self->res.err);
}

TEST_F(http, refuses_an_oversize_header_line)
{
	EXPECT_EQ(-EPROTO, get(self, "/long-header"));
	EXPECT_STREQ("HTTP response: a line longer than 8192 bytes", self->res.err);
}

TEST_F(http, refuses_more_than_100_headers)
{
	EXPECT_EQ(-EPROTO, get(self, "/many-headers"));
	EXPECT_STREQ("HTTP response: more than 100 header lines", self->res.err);
}

TEST_F(http, refuses_malformed_responses)
{
	EXPECT_EQ(-EPROTO, get(self, "/bad-chunk"));
	EXPECT_STREQ("HTTP response: bad chunk size", self->res.err);
	EXPECT_EQ(-EPROTO, get(self, "/beyond-length"));
	EXPECT_STREQ("HTTP response: more bytes than its length", self->res.err);
	EXPECT_EQ(-EPROTO, get(self, "/bad-status"));
	EXPECT_STREQ("HTTP response: bad status line", self->res.err);
}

TEST_F(http, posts_a_body_with_its_content_type)
{
	static const char tx[] = "\x01\x02 a transaction \x00\xff";

	self->req.method = "POST";
	self->req.body = tx;
	self->req.body_len = sizeof(tx);
	self->req.content_type = "application/octet-stream";
	ASSERT_EQ(0, get(self, "/echo")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(200, self->res.status);
	ASSERT_EQ(sizeof(tx), self->got.len);
	EXPECT_EQ(0, memcmp(tx, self->got.body, sizeof(tx)));
	EXPECT_NE(NULL, strstr(self->got.headers, "X-Method: POST\n"));
	EXPECT_NE(NULL, strstr(self->got.headers, "X-Content-Type: application/octet-stream\n"));
}

TEST_F(http, sends_the_user_agent)
{
	self->req.user_agent = "fwgated";
	ASSERT_EQ(0, get(self, "/echo"));
	EXPECT_NE(NULL, strstr(self->got.headers, "X-User-Agent: fwgated\n"));
}

TEST_F(http, lets_the_body_callback_abort)
{
	self->got.abort_after = 3;
	EXPECT_EQ(-ECANCELED, get(self, "/range"));
	EXPECT_EQ(200, self->res.status);
}

TEST_F(http, speaks_to_ipv6_literals)
{
	snprintf(self->url, sizeof(self->url), "http://[::1]:%d/length", self->port);
	ASSERT_EQ(0, fwg_http_request(&self->req, &self->res)) TH_LOG("%s", self->res.err);
	EXPECT_STREQ("hello world", self->got.body);
}

static int resolves_to_both(const char *name)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	int v4 = 0, v6 = 0;

	if (getaddrinfo(name, "80", &hints, &ai))
		return 0;
	for (a = ai; a; a = a->ai_next) {
		v4 |= a->ai_family == AF_INET;
		v6 |= a->ai_family == AF_INET6;
	}
	freeaddrinfo(ai);
	return v4 && v6;
}

/* With "localhost" both 127.0.0.1 and ::1, a server on one only is reached whichever comes first. */
TEST(tries_each_address_of_a_name)
{
	struct fwg_http_req req = { .connect_timeout_s = 5, .timeout_s = 10 };
	struct fwg_http_res res;
	int v4_port, v6_port;
	char url[64];
	pid_t v4, v6;

	if (!resolves_to_both("localhost"))
		SKIP(return, "localhost is not both 127.0.0.1 and ::1 here (/etc/hosts)");
	v4 = server_start(V4_PORT, &v4_port, "127.0.0.1", NULL, NULL);
	v6 = server_start(V6_PORT, &v6_port, "::1", NULL, NULL);
	ASSERT_LT(0, v4);
	ASSERT_LT(0, v6);
	snprintf(url, sizeof(url), "http://localhost:%d/length", v4_port);
	req.url = url;
	EXPECT_EQ(0, fwg_http_request(&req, &res)) TH_LOG("%s", res.err);
	snprintf(url, sizeof(url), "http://localhost:%d/length", v6_port);
	EXPECT_EQ(0, fwg_http_request(&req, &res)) TH_LOG("%s", res.err);
	server_stop(v4);
	server_stop(v6);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A DNS server that takes queries and never answers, in a network and mount namespace of the test's own:
 * 127.0.0.1:53, named by a resolv.conf bind-mounted over /etc/resolv.conf, with 5 s x 4 attempts. Without a
 * bound the resolution alone would take 20 s; the connect timeout, 2 s, must end the request.
 */
TEST(resolution_is_bounded_by_the_connect_timeout)
{
	struct fwg_http_req req = { .url = "http://fwgate-resolver-test.invalid:8080/", .connect_timeout_s = 2,
				    .timeout_s = 60 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	char conf[] = "/tmp/fwgate-resolv.XXXXXX", nss[] = "/tmp/fwgate-nss.XXXXXX", buf[512];
	struct fwg_http_res res;
	int fd, cfd, nfd, err, queries = 0;
	double t0, took;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET))
		SKIP(return, "no network and mount namespace of its own (not root?)");
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_EQ(0, system("ip link set lo up"));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	cfd = mkstemp(conf);
	nfd = mkstemp(nss);
	ASSERT_LT(0, cfd);
	ASSERT_LT(0, nfd);
	dprintf(cfd, "nameserver 127.0.0.1\noptions timeout:5 attempts:4\n");
	dprintf(nfd, "hosts: files dns\n");
	close(cfd);
	close(nfd);
	ASSERT_EQ(0, mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mount(nss, "/etc/nsswitch.conf", NULL, MS_BIND, NULL));

	t0 = mono_s();
	err = fwg_http_request(&req, &res);
	took = mono_s() - t0;
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		queries++;
	umount("/etc/resolv.conf");
	umount("/etc/nsswitch.conf");
	unlink(conf);
	unlink(nss);
	TH_LOG("%.2f s, %d queries: %s", took, queries, res.err);
	EXPECT_EQ(-ETIMEDOUT, err);
	EXPECT_NE(NULL, strstr(res.err, "resolving fwgate-resolver-test.invalid: no answer within 2 s"));
	/* The resolver was asked, and the request ended at the connect timeout, not the resolver's 20 s. */
	EXPECT_LT(0, queries);
	EXPECT_LT(1.9, took);
	EXPECT_GT(3.5, took);
	close(fd);
}

TEST(rejects_odd_urls)
{
	static const char *const bad[] = {
		"ftp://host/x", "http://user@host/x", "http://user:pw@host/", "http://host:0/", "http://host:65536/",
		"http://host:8o/", "http://ho st/", "http://[::1/", "http://[fe80::1%25eth0]/", "http:///x",
		"http://host\x01/", "HTTP://host/", "http://ho$t/",
	};
	struct fwg_http_req req = { 0 };
	struct fwg_http_res res;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req.url = bad[i];
		EXPECT_EQ(-EINVAL, fwg_http_request(&req, &res)) TH_LOG("%s", bad[i]);
	}
}

/* ------------------------------------------------------------------ https */

FIXTURE(https) {
	char dir[64], ca[96], other_ca[96];
	pid_t server;
	int port;
	char url[256];
	struct fwg_http_req req;
	struct fwg_http_res res;
	struct got got;
};

/* A CA, a server certificate for localhost it signs, and a second CA that signs nothing we meet. */
static int make_certs(const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && { key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' &&"
		 " openssl req -x509 $key -keyout ca.key -out ca.pem -subj /CN=fwgate-test-ca -days 2 &&"
		 " openssl req -x509 $key -keyout other.key -out other-ca.pem -subj /CN=fwgate-other-ca -days 2 &&"
		 " openssl req $key -keyout server.key -out server.csr -subj /CN=localhost &&"
		 " echo subjectAltName=DNS:localhost >ext &&"
		 " openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext"
		 " -out server.pem; } >/dev/null 2>&1", dir);
	return system(cmd) ? -1 : 0;
}

FIXTURE_SETUP(https)
{
	char cert[96], key[96];

	strcpy(self->dir, "/tmp/fwgate-http.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	if (make_certs(self->dir))
		SKIP(return, "the openssl CLI could not make certificates");
	snprintf(self->ca, sizeof(self->ca), "%s/ca.pem", self->dir);
	snprintf(self->other_ca, sizeof(self->other_ca), "%s/other-ca.pem", self->dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", self->dir);
	snprintf(key, sizeof(key), "%s/server.key", self->dir);
	self->server = server_start(TLS_PORT, &self->port, "::", cert, key);
	ASSERT_LT(0, self->server);
	memset(&self->got, 0, sizeof(self->got));
	self->req = (struct fwg_http_req){ .url = self->url, .body_fn = on_body, .arg = &self->got,
					   .connect_timeout_s = 5, .timeout_s = 20 };
}

FIXTURE_TEARDOWN(https)
{
	char cmd[128];

	server_stop(self->server);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

static int get_tls(FIXTURE_DATA(https) *self, const char *host, const char *path)
{
	snprintf(self->url, sizeof(self->url), "https://%s:%d%s", host, self->port, path);
	return fwg_http_request(&self->req, &self->res);
}

TEST_F(https, trusts_a_server_its_ca_signed)
{
	fwg_http_set_ca_file(self->ca);
	ASSERT_EQ(0, get_tls(self, "localhost", "/chunked")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(200, self->res.status);
	EXPECT_STREQ("hello world, chunked", self->got.body);
	self->got.len = 0;
	ASSERT_EQ(0, get_tls(self, "localhost", "/close")) TH_LOG("%s", self->res.err);
	EXPECT_STREQ("read until the close", self->got.body);
}

TEST_F(https, refuses_a_redirect_to_plain_http)
{
	fwg_http_set_ca_file(self->ca);
	self->req.max_redirects = 5;
	/* /redirect/3 answers with an absolute http:// Location. */
	EXPECT_EQ(-EINVAL, get_tls(self, "localhost", "/redirect/3"));
	EXPECT_NE(NULL, strstr(self->res.err, "from https to \"http://localhost:")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(0, self->got.len);
	/* A relative redirect stays on https and is followed. */
	self->got.len = 0;
	ASSERT_EQ(0, get_tls(self, "localhost", "/redirect/1")) TH_LOG("%s", self->res.err);
	EXPECT_STREQ("arrived", self->got.body);
}

TEST_F(https, refuses_a_server_another_ca_signed)
{
	fwg_http_set_ca_file(self->other_ca);
	EXPECT_EQ(-EPROTO, get_tls(self, "localhost", "/length"));
	EXPECT_NE(NULL, strstr(self->res.err, "TLS: certificate not trusted (")) TH_LOG("%s", self->res.err);
	EXPECT_EQ(0, self->got.len);
}

TEST_F(https, refuses_a_certificate_for_another_host)
{
	fwg_http_set_ca_file(self->ca);
	EXPECT_EQ(-EPROTO, get_tls(self, "127.0.0.1", "/length"));
	EXPECT_STREQ("TLS: the certificate is not for 127.0.0.1", self->res.err);
}

TEST_F(https, says_when_the_ca_bundle_can_not_be_read)
{
	fwg_http_set_ca_file("/nonexistent/ca.pem");
	EXPECT_EQ(-EPROTO, get_tls(self, "localhost", "/length"));
	EXPECT_NE(NULL, strstr(self->res.err, "TLS: CA bundle /nonexistent/ca.pem: ")) TH_LOG("%s", self->res.err);
}

TEST_HARNESS_MAIN
