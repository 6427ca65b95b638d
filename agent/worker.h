/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated's network-facing half (agent/proto.h): chain sync with node failover and cross-checks, the
 * freshness alarm, quorum tracking, downloads, transaction submission, and fwgatectl's control socket.
 */
#ifndef FWG_AGENT_WORKER_H
#define FWG_AGENT_WORKER_H

#include "conf.h"
#include "nl.h"

/*
 * The version of the control socket's protocol (Documentation/fwgate/control.rst): the "version" request
 * answers it, and every JSON answer carries it. Raised when a request or a field changes meaning or goes.
 */
#define FWG_CONTROL_VERSION 1

/* Runs until the monitor goes away; @sock is the monitor's end, @ctl the listening control socket. */
int fwg_worker_main(const struct fwg_conf *c, const struct fwg_policy *p, int sock, int ctl);

#endif
