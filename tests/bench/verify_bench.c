// SPDX-License-Identifier: GPL-2.0
/*
 * verify_bundle_us: submits one approval bundle (a manufacturer statement and its verdicts) to fwgate.ko
 * ROUNDS times. A resubmitted bundle is verified again in full and counts zero, so each round costs the
 * kernel every signature check. Prints the mean microseconds per bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "files.h"
#include "log.h"
#include "nl.h"

static int load(const char *path, uint8_t **buf, size_t *len)
{
	return fwg_read_file(path, buf, len, 4096);
}

int main(int argc, char **argv)
{
	static struct fwg_verdict v[FWGATE_MAX_VERDICTS];
	struct fwg_update_info u;
	struct fwg_signed_stmt s;
	struct timespec t0, t1;
	struct fwg_nl *nl;
	int rounds, i, nv = argc - 3;
	uint8_t *buf;
	size_t len;

	log_init("verify_bench", 0);
	if (argc < 3 || nv > FWGATE_MAX_VERDICTS)
		fatalx("usage: verify_bench ROUNDS U.stmt [C.verdict...]");
	rounds = atoi(argv[1]);
	if (load(argv[2], &buf, &len) || fwg_stmt_parse(buf, len, &s))
		fatalx("%s: not a statement", argv[2]);
	free(buf);
	for (i = 0; i < nv; i++) {
		if (load(argv[i + 3], &buf, &len) || fwg_verdict_parse(buf, len, &v[i]))
			fatalx("%s: not a verdict", argv[i + 3]);
		free(buf);
	}
	nl = fwg_nl_open(0);
	if (!nl)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rounds; i++)
		if (fwg_nl_bundle_submit(nl, &s.stmt, s.sig, s.sig_len, v, nv, &u))
			fatalx("bundle: %s", fwg_nl_error(nl));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.0f\n", ((t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3) / rounds);
	fwg_nl_close(nl);
	return 0;
}
