// SPDX-License-Identifier: GPL-2.0
/*
 * readgen: the read load of a fleet on fwgate-node, for tests/chain/bench. C keep-alive HTTP/1.1 clients,
 * one thread each, GET paths in turn (from --paths FILE, one a line, or --path) for --seconds; every answer
 * must be 200 or 304 and complete. Prints "requests N rps R bytes B mib_s M errors E".
 *
 *   readgen --port P (--path PATH | --paths FILE) [--conns 64] [--seconds 5] [--host 127.0.0.1]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in addr = { .sin_family = AF_INET };
static char **paths;
static size_t nr_paths;
static double deadline;
static uint64_t total_req, total_bytes, total_err;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request on fd; the body's length, or -1 (and the connection is to be closed) on any error. */
static long long get(int fd, const char *path, char *buf, size_t size, int *close_after)
{
	size_t have = 0, hlen;
	long long clen = -1, left;
	char req[4096], *end, *p;
	int n, status;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: node\r\n\r\n", path);
	if (send(fd, req, n, MSG_NOSIGNAL) != n)
		return -1;
	for (;;) {
		n = recv(fd, buf + have, size - 1 - have, 0);
		if (n <= 0)
			return -1;
		have += n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
		if (have == size - 1)
			return -1;
	}
	hlen = end + 4 - buf;
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1 || (status != 200 && status != 304))
		return -1;
	*close_after = 0;
	for (p = strstr(buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, "Content-Length:", 15))
			clen = strtoll(p + 17, NULL, 10);
		if (!strncasecmp(p + 2, "Connection: close", 17))
			*close_after = 1;
	}
	if (clen < 0)
		return -1;
	left = clen - (long long)(have - hlen);
	while (left > 0) {
		n = recv(fd, buf, left < (long long)size ? (size_t)left : size, 0);
		if (n <= 0)
			return -1;
		left -= n;
	}
	return left == 0 ? clen : -1;
}

static void *client(void *arg)
{
	size_t i = (uintptr_t)arg, size = 1 << 20;
	uint64_t req = 0, bytes = 0, err = 0;
	char *buf = malloc(size);
	int fd = -1, close_after;

	while (buf && now() < deadline) {
		long long got;

		if (fd < 0 && (fd = dial()) < 0) {
			err++;
			usleep(1000);
			continue;
		}
		got = get(fd, paths[i++ % nr_paths], buf, size, &close_after);
		if (got < 0) {
			err++;
			close_after = 1;
		} else {
			req++;
			bytes += got;
		}
		if (close_after) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	pthread_mutex_lock(&lock);
	total_req += req;
	total_bytes += bytes;
	total_err += err;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void add_path(const char *p)
{
	paths = realloc(paths, (nr_paths + 1) * sizeof(*paths));
	paths[nr_paths++] = strdup(p);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'h' }, { "port", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'P' }, { "paths", required_argument, NULL, 'f' },
		{ "conns", required_argument, NULL, 'c' }, { "seconds", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *host = "127.0.0.1";
	unsigned int conns = 64, i;
	double seconds = 5, t0, t;
	pthread_t *thr;
	char line[4096];
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h': host = optarg; break;
		case 'p': addr.sin_port = htons(atoi(optarg)); break;
		case 'P': add_path(optarg); break;
		case 'f':
			f = fopen(optarg, "r");
			if (!f) {
				perror(optarg);
				return 1;
			}
			while (fgets(line, sizeof(line), f)) {
				line[strcspn(line, "\n")] = '\0';
				if (*line)
					add_path(line);
			}
			fclose(f);
			break;
		case 'c': conns = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: readgen --port P (--path PATH | --paths FILE) [--conns N] "
				"[--seconds S] [--host A]\n");
			return 1;
		}
	}
	if (!nr_paths || !addr.sin_port || !conns || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "readgen: --port and a path are needed, --host must be an IPv4 address\n");
		return 1;
	}
	thr = calloc(conns, sizeof(*thr));
	t0 = now();
	deadline = t0 + seconds;
	for (i = 0; i < conns; i++)
		pthread_create(&thr[i], NULL, client, (void *)(uintptr_t)(i * 7919));
	for (i = 0; i < conns; i++)
		pthread_join(thr[i], NULL);
	t = now() - t0;
	printf("requests %llu rps %.0f bytes %llu mib_s %.1f errors %llu\n", (unsigned long long)total_req,
	       total_req / t, (unsigned long long)total_bytes, total_bytes / t / 1048576.0,
	       (unsigned long long)total_err);
	return total_err > total_req / 100 ? 2 : 0;
}
