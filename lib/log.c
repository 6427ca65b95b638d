// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "exit.h"
#include "log.h"

static const char *prog = "fwgate";
static int verbosity;

void log_init(const char *progname, int verbose)
{
	prog = progname;
	verbosity = verbose;
}

/*
 * When stderr is the journal (systemd sets JOURNAL_STREAM to its device:inode), each line starts with its
 * syslog priority, "<3>" to "<7>", which journald reads as the priority and strips (sd-daemon(3)).
 */
static int to_journal(void)
{
	static int known, yes;
	const char *js;
	struct stat st;
	unsigned long long dev, ino;

	if (!known) {
		known = 1;
		js = getenv("JOURNAL_STREAM");
		yes = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
		      st.st_dev == dev && st.st_ino == ino;
	}
	return yes;
}

static void vlog(int prio, const char *fmt, va_list ap, int err)
{
	if (to_journal())
		fprintf(stderr, "<%d>", prio);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

#define LOG_FN(name, prio, cond, err)				\
void name(const char *fmt, ...)				\
{							\
	int saved = errno;				\
	va_list ap;					\
							\
	if (!(cond))					\
		return;					\
	va_start(ap, fmt);				\
	vlog(prio, fmt, ap, err);			\
	va_end(ap);					\
	errno = saved;					\
}

LOG_FN(log_warn, LOG_WARNING, verbosity >= 0, saved)
LOG_FN(log_warnx, LOG_WARNING, verbosity >= 0, 0)
LOG_FN(log_info, LOG_INFO, verbosity >= 1, 0)
LOG_FN(log_debug, LOG_DEBUG, verbosity >= 2, 0)

#define FATAL_FN(name, args, status, err)		\
void name args					\
{							\
	int saved = errno;				\
	va_list ap;					\
							\
	(void)saved;					\
	va_start(ap, fmt);				\
	vlog(LOG_ERR, fmt, ap, err);			\
	va_end(ap);					\
	exit(status);					\
}

FATAL_FN(fatal, (const char *fmt, ...), FWG_EXIT_FAIL, saved)
FATAL_FN(fatalx, (const char *fmt, ...), FWG_EXIT_FAIL, 0)
FATAL_FN(fatal_status, (int status, const char *fmt, ...), status, saved)
FATAL_FN(fatalx_status, (int status, const char *fmt, ...), status, 0)
FATAL_FN(usagex, (const char *fmt, ...), FWG_EXIT_USAGE, 0)
