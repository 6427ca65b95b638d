/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated's use of the bpf/ programs (Documentation/fwgate/fwgated.rst, "eBPF"): the lock sequence (bpf/lock.h),
 * which seals the write guard, locks fwgate.ko's policy and raises the kernel's one-way switches, the guard's
 * denials logged from the monitor's loop; and the egress restriction on the agent's own cgroup, allowing the
 * configured nodes and mirrors only, replaced when the configuration is reloaded. With "bpf auto" what can not
 * be loaded is a warning; with "bpf yes" it is an error.
 */
#ifndef FWG_AGENT_BPFLOAD_H
#define FWG_AGENT_BPFLOAD_H

#include "conf.h"

struct fwg_agent_bpf;

/*
 * Runs the lock sequence, @lock_policy(@arg) locking fwgate.ko's policy, then loads the traffic programs. NULL
 * when nothing was loaded (bpf no, or auto and it failed); *err is set when it must stop the agent (the lock
 * failed, or bpf yes and a program did not load).
 */
struct fwg_agent_bpf *fwg_agent_bpf_start(const struct fwg_conf *c, int (*lock_policy)(void *arg), void *arg,
					  int *err);
/* Logs the guard's denials so far; call it often. */
int fwg_agent_bpf_poll(struct fwg_agent_bpf *b);
/* The configuration changed: new nodes and mirrors for the egress allow map. */
int fwg_agent_bpf_update(struct fwg_agent_bpf *b, const struct fwg_conf *c);
void fwg_agent_bpf_stop(struct fwg_agent_bpf *b);

#endif
