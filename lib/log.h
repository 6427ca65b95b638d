/* SPDX-License-Identifier: GPL-2.0 */
/* One logging API for every fwgate program: log_warn adds errno, log_warnx does not, fatal exits. */
#ifndef FWG_LOG_H
#define FWG_LOG_H

#include <stdarg.h>

void log_init(const char *progname, int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Like fatal and fatalx, with an exit status of lib/exit.h. */
void fatal_status(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fatalx_status(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* A usage error: the message names the wrong word; exits FWG_EXIT_USAGE. */
void usagex(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
