/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checker's analysis pipeline (checker/ANALYSERS.md): a configured list of extractors and analysers, each
 * run in its own child under a timeout and resource limits, their JSON reports combined into one verdict.
 * Only the approval of every configured analyser approves an image; a crash, a timeout or a malformed report
 * is "no verdict", never an approval.
 */
#ifndef FWG_CHECKER_PIPELINE_H
#define FWG_CHECKER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define CHECKER_VERSION		"0.1"
#define CHECKER_MAX_STAGES	32
#define CHECKER_NAME_MAX	32

enum checker_stage_kind {
	CHECKER_EXTRACTOR,	/* EXTRACTOR INPUT_PATH REPORT_PATH OUTPUT_DIR: unpacks the image for the analysers */
	CHECKER_ANALYSER,	/* ANALYSER INPUT_PATH REPORT_PATH: judges the image and everything extracted */
};

/* What one stage said about the image. */
enum checker_outcome {
	CHECKER_CLEAN,
	CHECKER_FINDINGS,
	CHECKER_NO_VERDICT,
};

struct checker_stage {
	enum checker_stage_kind kind;
	char name[CHECKER_NAME_MAX + 1];
	char path[4096];
	unsigned int timeout_s;
	unsigned int mem_mb;
};

struct checker_config {
	struct checker_stage stage[CHECKER_MAX_STAGES];
	unsigned int n;
};

enum checker_verdict {
	CHECKER_APPROVE,
	CHECKER_REJECT,
	CHECKER_UNDECIDED,
};

struct checker_result {
	enum checker_verdict verdict;
	uint8_t image_sha256[32];
	uint8_t report_sha256[32];
};

/*
 * Parses a config file: "extractor|analyser NAME PATH TIMEOUT_S MEM_MB" lines, '#' comments. Relative paths
 * are relative to the config file's directory. Errors are logged as "file:line: message".
 */
int checker_config_load(const char *file, struct checker_config *cfg);

struct checker_run_opts {
	const char *report_path;	/* where the combined report goes */
	const char *user;		/* run the stages as this user; NULL: as the caller */
	int keep_workdir;		/* leave the extracted tree, each stage's report and log for inspection */
};

/*
 * Runs every stage of cfg over image, writes the combined JSON report and fills res.
 * Returns 0 when a report was written (whatever its verdict), -1 when the pipeline itself failed.
 */
int checker_pipeline_run(const struct checker_config *cfg, const char *image,
			 const struct checker_run_opts *opts, struct checker_result *res);

/*
 * Parses and validates a stage's report (untrusted: the stage read a hostile image) against the contract and
 * the stage's exit status (0 or 1). Returns the report, or NULL with the reason in why.
 */
struct json_object *checker_report_parse(const char *buf, size_t len, int exit_status, char *why, size_t whylen);

const char *checker_verdict_name(enum checker_verdict v);

#endif
