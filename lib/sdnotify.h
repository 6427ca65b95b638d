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

#endif
