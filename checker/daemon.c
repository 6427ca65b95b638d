// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate-checker daemon: follows the chain from a node, and for every update of a device type this checker
 * vets, fetches the image (its mirror URLs, then the node's /blob/U_id), checks its digest, runs the
 * analysis pipeline and publishes a signed approval or rejection carrying the report's SHA-256. The report
 * is kept under --reports, named by that digest, for a node (--blobs) or a mirror to serve. An image no
 * source serves with the right digest, and a pipeline without a verdict, publish nothing: the update is
 * tried again next round.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <curl/curl.h>

#include "client.h"
#include "cmd.h"
#include "daemon.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"
#include "pipeline.h"

struct update {
	struct fwgate_update_stmt stmt;
	char urls[FWG_MAX_URLS][FWG_MAX_URL_LEN + 1];
	unsigned int nr_urls;
	int judged;		/* our verdict is in the chain */
};

struct daemon {
	const char *node, *reports;
	struct checker_config cfg;
	struct fwg_key *key;
	struct fwg_pubkey pub;
	struct fwg_state *st;
	struct update *u;
	size_t n, cap;
};

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* Whether the genesis names this checker among the k of the update's device type. */
static int vets(const struct daemon *d, const char *o_type)
{
	const struct fwg_genesis *g = fwg_state_genesis(d->st);
	unsigned int i, j;

	for (i = 0; g && i < g->nr_types; i++) {
		if (strcmp(g->types[i].o_type, o_type))
			continue;
		for (j = 0; j < g->types[i].k; j++)
			if (!memcmp(g->types[i].checkers[j], d->pub.id, FWGATE_ID_LEN))
				return 1;
	}
	return 0;
}

static struct update *find(struct daemon *d, const uint8_t *u_id)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!memcmp(d->u[i].stmt.u_id, u_id, FWGATE_ID_LEN))
			return &d->u[i];
	return NULL;
}

static int on_block(const uint8_t *data, size_t len, void *arg)
{
	struct daemon *d = arg;
	struct fwg_block b;
	struct fwg_err err;
	struct update *u, *grown;
	struct fwg_tx tx;
	uint32_t i, k;

	if (fwg_block_decode(data, len, &b, &err))
		return -1;
	for (i = 0; i < b.hdr.nr_tx; i++) {
		if (fwg_tx_decode(b.tx[i], b.tx_len[i], &tx, &err))
			continue;
		if (tx.type == FWG_TX_UPDATE && vets(d, tx.s.update.o_type) && !find(d, tx.s.update.u_id)) {
			if (d->n == d->cap) {
				d->cap = d->cap ? 2 * d->cap : 16;
				grown = realloc(d->u, d->cap * sizeof(*d->u));
				if (!grown)
					fatal("realloc");
				d->u = grown;
			}
			u = &d->u[d->n++];
			memset(u, 0, sizeof(*u));
			u->stmt = tx.s.update;
			u->nr_urls = tx.nr_urls;
			for (k = 0; k < tx.nr_urls; k++)
				strcpy(u->urls[k], tx.urls[k]);
		} else if ((tx.type == FWG_TX_APPROVE || tx.type == FWG_TX_REJECT) &&
			   !memcmp(tx.s.verdict.checker_id, d->pub.id, FWGATE_ID_LEN)) {
			u = find(d, tx.s.verdict.update.u_id);
			if (u)
				u->judged = 1;
		}
		fwg_tx_release(&tx);
	}
	fwg_block_release(&b);
	return 0;
}

/*
 * Downloads @url into @path; 0 when the file is the image @s names: its SHA-256 is the U_id and its hash
 * list the one the chunks field commits to (devices check the list, chunk by chunk, as they write; an
 * update whose list is not its image's is never approved).
 */
static int fetch(const char *url, const char *path, const struct fwgate_update_stmt *s)
{
	uint8_t digest[FWGATE_ID_LEN], *chunks;
	size_t chunks_len;
	long code = 0;
	uint64_t size;
	int err;
	CURLcode rc;
	CURL *curl;
	FILE *f;

	f = fopen(path, "w");
	if (!f)
		return -1;
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	if (fclose(f) || rc != CURLE_OK) {
		log_warnx("%s: %s", url, curl_easy_strerror(rc));
		return -1;
	}
	if (fwg_image_digests(path, digest, &size, &chunks, &chunks_len))
		return -1;
	err = fwg_chunks_check(chunks, chunks_len, size, s->chunks);
	free(chunks);
	if (memcmp(digest, s->u_id, FWGATE_ID_LEN)) {
		log_warnx("%s: the image's SHA-256 is not the update's U_id", url);
		return -1;
	}
	if (err) {
		log_warnx("%s: the image's hash list is not the one the update's chunks field names", url);
		return -1;
	}
	return 0;
}

static int fetch_any(const struct daemon *d, const struct update *u, const char *path)
{
	char url[FWG_MAX_URL_LEN + 256], hex[2 * FWGATE_ID_LEN + 1];
	unsigned int i;

	for (i = 0; i < u->nr_urls; i++)
		if (!fetch(u->urls[i], path, &u->stmt))
			return 0;
	fwg_hex(u->stmt.u_id, FWGATE_ID_LEN, hex);
	snprintf(url, sizeof(url), "%s/blob/%s", d->node, hex);
	return fetch(url, path, &u->stmt);
}

/* Signs and submits our verdict on @u; 0 once it is in the chain. */
static int publish(const struct daemon *d, struct update *u, int approve, const uint8_t *report)
{
	static uint8_t buf[FWG_TX_MAX];
	struct fwgate_verdict_stmt v = {};
	char answer[512];
	size_t len;
	long code;

	memcpy(v.magic, approve ? FWGATE_MAGIC_APPROVE : FWGATE_MAGIC_REJECT, FWGATE_MAGIC_LEN);
	memcpy(v.checker_id, d->pub.id, FWGATE_ID_LEN);
	memcpy(v.report, report, FWGATE_ID_LEN);
	v.update = u->stmt;
	len = fwg_tx_sign(d->key, approve ? FWG_TX_APPROVE : FWG_TX_REJECT, &v, sizeof(v), NULL, 0, NULL, 0, buf,
			  sizeof(buf));
	if (!len)
		return -1;
	code = fwg_node_submit(d->node, buf, len, answer, sizeof(answer));
	if (code == 200 || (code == 409 && strstr(answer, "duplicate"))) {
		u->judged = 1;
		return 0;
	}
	log_warnx("%s: verdict refused (%ld): %s", d->node, code, answer);
	return -1;
}

static void judge(struct daemon *d, struct update *u)
{
	char image[4096], report[4096], named[2 * FWGATE_ID_LEN + 1], hex[2 * FWGATE_ID_LEN + 1];
	struct checker_run_opts ro = { .report_path = report, .user = geteuid() ? NULL : "nobody" };
	struct checker_result res;

	fwg_hex(u->stmt.u_id, FWGATE_ID_LEN, hex);
	snprintf(image, sizeof(image), "%.3000s/.image-%s", d->reports, hex);
	snprintf(report, sizeof(report), "%.3000s/.report-%s", d->reports, hex);
	if (fetch_any(d, u, image)) {
		log_warnx("update %.16s: no source serves the image; trying again later", hex);
		unlink(image);
		return;
	}
	if (checker_pipeline_run(&d->cfg, image, &ro, &res) || res.verdict == CHECKER_UNDECIDED) {
		log_warnx("update %.16s: no verdict; trying again later", hex);
		unlink(image);
		unlink(report);
		return;
	}
	unlink(image);
	/* Served by its digest, the one the verdict carries. */
	fwg_hex(res.report_sha256, FWGATE_ID_LEN, named);
	snprintf(image, sizeof(image), "%.3000s/%s", d->reports, named);
	if (rename(report, image))
		log_warn("%s", image);
	if (!publish(d, u, res.verdict == CHECKER_APPROVE, res.report_sha256))
		log_info("update %.16s: %s published", hex, checker_verdict_name(res.verdict));
}

#define DAEMON_USAGE \
	"usage: fwgate-checker daemon --node URL --key C.key --config FILE --reports DIR [--interval S] [--once]"

int checker_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "config", required_argument, NULL, 'c' },
		{ "reports", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, '1' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *config = NULL;
	struct daemon d = {};
	unsigned int interval = 10;
	int c, once = 0;
	struct fwg_err err;
	size_t i;

	while ((c = getopt_long(argc, argv, "n:k:c:r:i:1", opts, NULL)) != -1) {
		switch (c) {
		case 'n': d.node = optarg; break;
		case 'k': key = optarg; break;
		case 'c': config = optarg; break;
		case 'r': d.reports = optarg; break;
		case 'i': interval = fwg_cmd_number("--interval", optarg, 1, 86400); break;
		case '1': once = 1; break;
		default: usagex(DAEMON_USAGE);
		}
	}
	if (!d.node || !key || !config || !d.reports || optind != argc || !interval)
		usagex(DAEMON_USAGE);
	if (checker_config_load(config, &d.cfg))
		return 1;
	d.key = fwg_key_load_private(key);
	if (!d.key || fwg_key_encode(d.key, &d.pub))
		return 1;
	if (mkdir(d.reports, 0755) && errno != EEXIST)
		fatal("%s", d.reports);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	d.st = fwg_state_new();
	while (!quit) {
		if (fwg_node_follow(d.node, fwg_state_height(d.st), d.st, on_block, &d, &err))
			log_warnx("%s: %s", d.node, err.msg);
		for (i = 0; i < d.n && !quit; i++)
			if (!d.u[i].judged)
				judge(&d, &d.u[i]);
		if (once)
			break;
		sleep(interval);
	}
	fwg_state_free(d.st);
	fwg_key_free(d.key);
	free(d.u);
	return 0;
}
