/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FWGATE_SDNOTIFY_H
#define FWGATE_SDNOTIFY_H

/*
 * systemd's readiness and watchdog protocol (sd_notify(3)) without libsystemd: one datagram to
 * $NOTIFY_SOCKET. Both are no-ops when the program does not run under a Type=notify unit.
 */
int fwg_sd_notify(const char *state);
/* Half of $WATCHDOG_USEC in milliseconds, the interval to send WATCHDOG=1 at; -1 when there is no watchdog. */
int fwg_sd_watchdog_ms(void);
/*
 * Socket activation (sd_listen_fds(3)): the descriptor systemd passed under FileDescriptorName=@name, marked
 * close-on-exec and taken out of the environment so that no child sees it; -1 when there is none (not
 * started by a socket unit, or LISTEN_PID names another process).
 */
int fwg_sd_listen_fd(const char *name);

#endif
