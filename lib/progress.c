// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

static double since(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

int fwg_progress_start(struct fwg_progress *p, const char *what, uint64_t total, const char *mode)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->total = total;
	if (!mode || !strcmp(mode, "auto"))
		p->mode = isatty(STDERR_FILENO) ? FWG_PROGRESS_BAR : FWG_PROGRESS_LINES;
	else if (!strcmp(mode, "bar"))
		p->mode = FWG_PROGRESS_BAR;
	else if (!strcmp(mode, "lines"))
		p->mode = FWG_PROGRESS_LINES;
	else if (!strcmp(mode, "none"))
		p->mode = FWG_PROGRESS_NONE;
	else
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->shown = p->start;
	return 0;
}

static void show(struct fwg_progress *p, const struct timespec *now, int last)
{
	double t = since(&p->start, now);
	double rate = t > 0 ? p->done / t : 0;
	unsigned int pct = p->total ? (unsigned int)(100 * p->done / p->total) : 100;
	long eta = rate > 0 && p->total > p->done ? (long)((p->total - p->done) / rate + 0.5) : 0;

	if (p->mode == FWG_PROGRESS_LINES) {
		fprintf(stderr, "progress %s done=%llu total=%llu percent=%u rate=%.0f eta=%ld\n", p->what,
			(unsigned long long)p->done, (unsigned long long)p->total, pct, rate, eta);
	} else {
		fprintf(stderr, "\r%s %3u%%  %.1f of %.1f MiB  %.1f MiB/s  %ld:%02ld %s\033[K%s", p->what, pct,
			p->done / 1048576.0, p->total / 1048576.0, rate / 1048576.0,
			(last ? (long)t : eta) / 60, (last ? (long)t : eta) % 60, last ? "taken" : "left",
			last ? "\n" : "");
	}
	fflush(stderr);
	p->shown = *now;
}

void fwg_progress_add(struct fwg_progress *p, uint64_t n)
{
	struct timespec now;

	p->done += n;
	if (p->mode == FWG_PROGRESS_NONE)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->shown, &now) >= (p->mode == FWG_PROGRESS_BAR ? 0.2 : 1.0))
		show(p, &now, 0);
}

void fwg_progress_end(struct fwg_progress *p)
{
	struct timespec now;

	if (p->mode == FWG_PROGRESS_NONE)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	show(p, &now, 1);
}
