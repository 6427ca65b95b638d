// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate-checker: a checker's tool. `analyse` runs the configured analysers over an image and prints the
 * combined verdict and the digest of the combined report; `daemon` follows the chain and publishes a signed
 * verdict, carrying that digest, on every update this checker vets (checker/ANALYSERS.md).
 */
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "pipeline.h"

/* Exit statuses of `analyse`; 1 stays for errors (fatal), 64 for usage errors (lib/exit.h). */
enum { EXIT_APPROVE = 0, EXIT_REJECT = 2, EXIT_NO_VERDICT = 3 };

#define ANALYSE_USAGE \
	"usage: fwgate-checker analyse [-v] [-k] [-u USER] [-o REPORT] --config FILE IMAGE | -n --config FILE"

static int cmd_analyse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "report", required_argument, NULL, 'o' },
		{ "keep", no_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct checker_run_opts ro = {
		.report_path = "report.json",
		.user = geteuid() ? NULL : "nobody",
	};
	const char *config = NULL;
	int c, check_only = 0, verbose = 0;
	struct checker_config cfg;
	struct checker_result res;
	char sha[65];

	while ((c = getopt_long(argc, argv, "c:o:knu:v", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'o': ro.report_path = optarg; break;
		case 'k': ro.keep_workdir = 1; break;
		case 'u': ro.user = optarg; break;
		case 'n': check_only = 1; break;
		case 'v': verbose++; break;
		default: usagex(ANALYSE_USAGE);
		}
	}
	log_init("fwgate-checker", verbose);
	if (!config || argc - optind != !check_only)
		usagex(ANALYSE_USAGE);
	if (checker_config_load(config, &cfg))
		return 1;
	if (check_only) {
		printf("%s: %u stages, ok\n", config, cfg.n);
		return 0;
	}
	if (checker_pipeline_run(&cfg, argv[optind], &ro, &res))
		return 1;
	for (int i = 0; i < 32; i++)
		sprintf(sha + 2 * i, "%02x", res.report_sha256[i]);
	printf("verdict: %s\nreport: %s sha256 %s\n", checker_verdict_name(res.verdict), ro.report_path, sha);
	switch (res.verdict) {
	case CHECKER_APPROVE: return EXIT_APPROVE;
	case CHECKER_REJECT: return EXIT_REJECT;
	default: return EXIT_NO_VERDICT;
	}
}

static const struct fwg_cmd commands[] = {
	{ "analyse", cmd_analyse,
	  "run the analysers (as USER, by default nobody when run as root); exit 0 approve, 2 reject,\n"
	  "  3 no verdict, 1 error, 64 usage; -n only checks the config",
	  "[-v] [-k] [-u USER] [-o REPORT] --config FILE IMAGE | -n --config FILE" },
	{ "daemon", checker_daemon,
	  "follow the chain; fetch, analyse and publish a verdict on every update this checker vets",
	  "--node URL --key C.key --config FILE --reports DIR [--interval S] [--once]" },
};

int main(int argc, char **argv)
{
	log_init("fwgate-checker", 0);
	return fwg_cmd_main("fwgate-checker", commands, sizeof(commands) / sizeof(commands[0]), argc, argv,
			    NULL);
}
