/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgate-node's connection admission: when the node is nearly full, a new connection closes the one that has
 * waited longest without a request in progress, so that connections that never send a request (or keep-alive
 * connections left idle) can not keep fresh clients out. See Documentation/fwgate/ledger.rst, "Connections
 * and shutdown".
 */
#ifndef FWG_ADMIT_H
#define FWG_ADMIT_H

#include <stdint.h>
#include <microhttpd.h>

/* Keeps max_conn / 64 (at least 1) of max_conn slots free for new connections. */
void fwg_admit_init(unsigned int max_conn);

/* MHD_OPTION_NOTIFY_CONNECTION: tracks connections, and at the mark closes the longest idle. */
void fwg_admit_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode toe);

/* A request on c began (its headers are in) or ended: a connection in a request is never closed for another. */
void fwg_admit_busy(struct MHD_Connection *c, int busy);

/* Connections closed to admit others, since the start. */
uint64_t fwg_admit_evictions(void);

#endif
