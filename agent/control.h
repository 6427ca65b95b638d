/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated and the chain's control transactions (Documentation/fwgate/fwgated.rst, "Withdrawals and pauses"):
 * sync keeps those signed by the device's own manufacturer or checkers, the worker hands each to the kernel
 * (again after every start: the kernel forgets them at reboot) and stops installing an update the chain
 * withdrew or paused, and nacks, once, a withdrawn update it had not installed.
 */
#ifndef FWG_AGENT_CONTROL_H
#define FWG_AGENT_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "nl.h"
#include "proto.h"

/* Sync: whether a control transaction's raw bytes carry a signature of a key of @p. */
int fwg_ctl_relevant(const struct fwg_policy *p, const uint8_t *raw, size_t len);
/* Sync: 0 when every signature of a key of @p verifies (others are the node's business), else -1. */
int fwg_ctl_verify(const struct fwg_policy *p, const struct fwg_tx *tx);

/* Worker: a control transaction in chain order; 0, or -1 when the table is full. */
int fwg_ctl_add(const struct fwg_tx *tx);
/* Worker: what the chain says of an update: withdrawn, paused. */
int fwg_ctl_withdrawn(const uint8_t u_id[FWGATE_ID_LEN]);
int fwg_ctl_paused(const uint8_t u_id[FWGATE_ID_LEN]);
/*
 * Worker: each control the kernel has not taken yet, through @hand (which sends it to the monitor and returns
 * the kernel's answer, 0 or -errno). One taken, or refused for good, is not handed again.
 */
void fwg_ctl_feed(int (*hand)(const struct fwg_msg_control *m, void *arg), void *arg);

#endif
