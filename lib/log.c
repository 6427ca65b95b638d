// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *prog = "fwgate";
static int verbosity;

void log_init(const char *progname, int verbose)
{
	prog = progname;
	verbosity = verbose;
}

static void vlog(const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

#define LOG_FN(name, cond, err)				\
void name(const char *fmt, ...)				\
{							\
	int saved = errno;				\
	va_list ap;					\
							\
	if (!(cond))					\
		return;					\
	va_start(ap, fmt);				\
	vlog(fmt, ap, err);				\
	va_end(ap);					\
	errno = saved;					\
}

LOG_FN(log_warn, verbosity >= 0, saved)
LOG_FN(log_warnx, verbosity >= 0, 0)
LOG_FN(log_info, verbosity >= 1, 0)
LOG_FN(log_debug, verbosity >= 2, 0)

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap, 0);
	va_end(ap);
	exit(1);
}
