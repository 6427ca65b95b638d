/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Progress of long work (an upload, an install) on stderr: on a terminal a line redrawn in place (percent,
 * rate, time left), otherwise machine-readable lines, at most one a second and one at the end:
 *
 *   progress WHAT done=BYTES total=BYTES percent=P rate=BYTES_PER_S eta=SECONDS
 *
 * (Documentation/fwgate/tools.rst). --progress auto|bar|lines|none chooses; auto is bar on a terminal.
 */
#ifndef FWG_PROGRESS_H
#define FWG_PROGRESS_H

#include <stdint.h>
#include <time.h>

enum fwg_progress_mode { FWG_PROGRESS_NONE, FWG_PROGRESS_BAR, FWG_PROGRESS_LINES };

struct fwg_progress {
	const char *what;
	uint64_t total, done;
	enum fwg_progress_mode mode;
	struct timespec start, shown;
};

/* @mode: "auto", "bar", "lines", "none", or NULL for auto; -1 if it is none of them. */
int fwg_progress_start(struct fwg_progress *p, const char *what, uint64_t total, const char *mode);
void fwg_progress_add(struct fwg_progress *p, uint64_t n);
/* The last line, whatever the time since the one before. */
void fwg_progress_end(struct fwg_progress *p);

#endif
