// SPDX-License-Identifier: GPL-2.0
/*
 * Load generator for fwgate-node: certifies D devices (signed by the manufacturer key), then submits A signed
 * acks per device from T threads spread over the nodes, each thread on one kept-alive connection. Every ack
 * is retried (on the next node) until a node answers 200, or 409 "duplicate" (an earlier attempt was appended
 * but its answer lost). Prints "acks N ok N ... rate R p50_ms X p99_ms Y cpu_s C" and, with --ids FILE, writes
 * the id of every acknowledged ack so that the test can check the chain holds each exactly once.
 *
 *   loadgen --nodes URL[,URL] --manufacturer M.key --update U.stmt [--devices D] [--acks A] [--threads T]
 *           [--ids FILE] [--type router]
 */
#include <endian.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>
#include <curl/curl.h>

#include "files.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"

struct item {
	uint8_t tx[FWGATE_MAGIC_LEN + 2 + sizeof(struct fwgate_devcert_stmt) + 2 + FWGATE_MAX_SIG_LEN];
	uint32_t len;
	uint8_t ok;
	double ms;
};

static char *nodes[8];
static unsigned int nr_nodes, nr_threads = 64;
static struct item *items;
static size_t nr_items, next_item;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long retries, refused;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	char *buf = arg;
	size_t n = size * nmemb, have = strlen(buf);

	if (have + n < 512) {
		memcpy(buf + have, data, n);
		buf[have + n] = '\0';
	}
	return n;
}

/* 200 (included), 409 with "duplicate" (included by an earlier attempt), or a failure to retry. */
static int post(CURL *c, unsigned int node, const struct item *it, char *answer)
{
	char url[512];
	long code = 0;

	snprintf(url, sizeof(url), "%s/tx", nodes[node]);
	answer[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->tx);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)it->len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200 || (code == 409 && strstr(answer, "duplicate")))
		return 0;
	return (int)code;
}

static void *worker(void *arg)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	unsigned int node = (unsigned long)arg % nr_nodes;
	CURL *c = curl_easy_init();
	char answer[512];
	size_t i;
	int ret;

	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	for (;;) {
		pthread_mutex_lock(&lock);
		i = next_item++;
		pthread_mutex_unlock(&lock);
		if (i >= nr_items)
			break;
		double t0 = now();
		while ((ret = post(c, node, &items[i], answer))) {
			pthread_mutex_lock(&lock);
			if (ret > 0 && ret < 500) {
				refused++;
				pthread_mutex_unlock(&lock);
				fprintf(stderr, "loadgen: refused with %d: %s", ret, answer);
				break;
			}
			retries++;
			pthread_mutex_unlock(&lock);
			node = (node + 1) % nr_nodes;
			usleep(50000);
		}
		items[i].ok = !ret;
		items[i].ms = (now() - t0) * 1000;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	return NULL;
}

static void run(void)
{
	pthread_t *t = calloc(nr_threads, sizeof(*t));
	unsigned long i;

	next_item = 0;
	for (i = 0; i < nr_threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (i = 0; i < nr_threads; i++)
		pthread_join(t[i], NULL);
	free(t);
}

/* CPU seconds this process used so far: what it costs the machine it shares with the nodes. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "manufacturer", required_argument, NULL, 'm' },
		{ "update", required_argument, NULL, 'u' },
		{ "devices", required_argument, NULL, 'd' },
		{ "acks", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 't' },
		{ "ids", required_argument, NULL, 'i' },
		{ "type", required_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mpath = NULL, *upath = NULL, *ids = NULL, *type = "router";
	unsigned int nr_dev = 100, acks = 10, d, a;
	struct fwg_signed_stmt u;
	struct fwg_pubkey mpub, dpub;
	struct fwg_key *mkey, **dkey;
	double t0, c0, secs, cpu, *lat;
	char *list, *tok, hex[65];
	uint8_t *buf, id[FWGATE_ID_LEN];
	size_t len, i, ok = 0;
	FILE *f;
	int c;

	log_init("loadgen", 0);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			list = strdup(optarg);
			for (tok = strtok(list, ","); tok && nr_nodes < 8; tok = strtok(NULL, ","))
				nodes[nr_nodes++] = tok;
			break;
		case 'm': mpath = optarg; break;
		case 'u': upath = optarg; break;
		case 'd': nr_dev = atoi(optarg); break;
		case 'a': acks = atoi(optarg); break;
		case 't': nr_threads = atoi(optarg); break;
		case 'i': ids = optarg; break;
		case 'y': type = optarg; break;
		default: fatalx("bad option");
		}
	}
	if (!nr_nodes || !mpath || !upath || !nr_dev || !nr_threads)
		fatalx("usage: loadgen --nodes URL[,URL] --manufacturer M.key --update U.stmt [--devices D] "
		       "[--acks A] [--threads T] [--ids FILE]");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mkey = fwg_key_load_private(mpath);
	if (!mkey || fwg_key_encode(mkey, &mpub) || fwg_read_file(upath, &buf, &len, 4096) ||
	    fwg_stmt_parse(buf, len, &u))
		fatalx("can not read the manufacturer key or the update");

	/* The devices and their certificates. */
	dkey = calloc(nr_dev, sizeof(*dkey));
	items = calloc(nr_dev > (size_t)nr_dev * acks ? nr_dev : (size_t)nr_dev * acks, sizeof(*items));
	for (d = 0; d < nr_dev; d++) {
		struct fwgate_devcert_stmt cert = {};

		dkey[d] = fwg_key_create(FWGATE_KEY_P256);
		if (!dkey[d] || fwg_key_encode(dkey[d], &dpub))
			fatalx("device key");
		memcpy(cert.magic, FWGATE_MAGIC_DEVCERT, FWGATE_MAGIC_LEN);
		memcpy(cert.m_id, mpub.id, FWGATE_ID_LEN);
		snprintf(cert.o_type, FWGATE_NAME_LEN, "%s", type);
		memcpy(cert.pubkey, dpub.data, 65);
		items[d].len = fwg_tx_sign(mkey, FWG_TX_DEVCERT, &cert, sizeof(cert), NULL, 0, NULL, 0, items[d].tx,
					   sizeof(items[d].tx));
	}
	nr_items = nr_dev;
	run();
	for (i = 0; i < nr_dev; i++)
		if (!items[i].ok)
			fatalx("device certificate %zu was refused", i);

	/* The acks, signed before the clock starts: the load generator measures the nodes, not itself. */
	for (d = 0; d < nr_dev; d++) {
		fwg_key_encode(dkey[d], &dpub);
		for (a = 0; a < acks; a++) {
			struct fwgate_ack_stmt ack = {};
			struct item *it = &items[(size_t)a * nr_dev + d];

			memcpy(ack.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
			memcpy(ack.u_id, u.stmt.u_id, FWGATE_ID_LEN);
			memcpy(ack.o_id, dpub.id, FWGATE_ID_LEN);
			ack.version = u.stmt.version;
			memcpy(ack.target, u.stmt.target, FWGATE_NAME_LEN);
			ack.time = htobe64(1000000 + a);
			it->len = fwg_tx_sign(dkey[d], FWG_TX_ACK, &ack, sizeof(ack), NULL, 0, NULL, 0, it->tx,
					      sizeof(it->tx));
			it->ok = 0;
		}
	}
	nr_items = (size_t)nr_dev * acks;
	t0 = now();
	c0 = cpu_s();
	run();
	secs = now() - t0;
	cpu = cpu_s() - c0;

	lat = calloc(nr_items, sizeof(*lat));
	for (i = 0; i < nr_items; i++) {
		ok += items[i].ok;
		lat[i] = items[i].ms;
	}
	qsort(lat, nr_items, sizeof(*lat), cmp_double);
	printf("acks %zu ok %zu refused %lu retries %lu s %.3f rate %.0f p50_ms %.1f p99_ms %.1f cpu_s %.2f\n",
	       nr_items, ok, refused, retries, secs, ok / secs, lat[nr_items / 2], lat[nr_items * 99 / 100], cpu);
	if (ids) {
		f = fopen(ids, "w");
		for (i = 0; f && i < nr_items; i++) {
			if (!items[i].ok)
				continue;
			fwg_tx_id(items[i].tx, items[i].len, id);
			fwg_hex(id, FWGATE_ID_LEN, hex);
			fprintf(f, "%s\n", hex);
		}
		if (!f || fclose(f))
			fatal("%s", ids);
	}
	return ok == nr_items ? 0 : 1;
}
