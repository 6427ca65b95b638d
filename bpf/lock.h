/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The production lock sequence, one function for fwgated and "fwgatectl policy lock": the write guard loaded
 * with the whole protected set, frozen, pinned and sealed; then fwgate.ko's policy locked; then the kernel's
 * one-way switches raised. Documentation/fwgate/bpf.rst, "The lock sequence".
 */
#ifndef FWG_BPF_LOCK_H
#define FWG_BPF_LOCK_H

#include "loader.h"

enum fwg_lock_guard {
	FWG_LOCK_GUARD_NO,	/* no guard: fwgate.ko and the switches alone */
	FWG_LOCK_GUARD_AUTO,	/* a guard that can not be loaded is a warning */
	FWG_LOCK_GUARD_YES,	/* ... an error, and nothing is locked */
};

struct fwg_lock_opts {
	const char *sysfs;		/* fwgate.ko's sysfs directory; NULL: /sys/kernel/fwgate */
	const char *pin_dir;		/* NULL: FWG_BPF_PIN_DIR */
	enum fwg_lock_guard guard;
	int allow_dm;			/* let device-mapper tables be loaded */
	int signed_modules;		/* keep module loading, for signed modules only (lockdown checks them) */
	int (*lock_policy)(void *arg);	/* locks fwgate.ko's policy (netlink); 0 or -errno */
	void *arg;
};

/*
 * Runs the sequence; a guard already sealed in the pin directory (fwgated restarted) is reused. Returns 0 with
 * the guard's ring buffer and counters in *guard (NULL without a guard), or -errno with a message logged.
 */
int fwg_gate_lock(const struct fwg_lock_opts *o, struct fwg_guard **guard);

#endif
