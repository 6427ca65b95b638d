// SPDX-License-Identifier: GPL-2.0
/* The lock sequence; see lock.h and Documentation/fwgate/bpf.rst. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lock.h"
#include "log.h"

#define LOCKDOWN	"/sys/kernel/security/lockdown"

/*
 * A guard pinned in @dir earlier in this boot: 1 if it is sealed (the kernel refuses an fd to its protected
 * map), 0 if nothing is pinned there, -EEXIST if an unsealed one is (fwgatectl bpf guard --pin).
 */
static int pinned_sealed(const char *dir)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/guard_events", dir);
	if (access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "%s/guard_protected", dir);
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == EPERM)
		return 1;
	if (fd >= 0)
		close(fd);
	log_warnx("guard: %s holds a guard that is not sealed; remove it first (fwgatectl bpf unpin %s)", dir, dir);
	return -EEXIST;
}

static int guard_up(const struct fwg_lock_opts *o, const char *dir, struct fwg_guard **guard)
{
	struct fwg_guard_opts go = { .sysfs = o->sysfs, .allow_dm = o->allow_dm,
				     .signed_modules = o->signed_modules };
	struct fwg_guard *g;
	int sealed = pinned_sealed(dir);

	if (sealed < 0)
		return sealed;
	if (sealed) {
		log_info("guard: sealed in %s since an earlier lock; reading its denials", dir);
		*guard = fwg_guard_open_pinned(dir);
		return *guard ? 0 : -EIO;
	}
	g = fwg_guard_start(&go);
	if (!g)
		return -EIO;
	if (fwg_guard_seal(g, dir)) {
		/* Partly pinned: the pins that were made hold the guard; undo them, nothing is sealed yet. */
		fwg_guard_destroy(g);
		fwg_bpf_unpin(dir);
		return -EIO;
	}
	*guard = g;
	return 0;
}

/* Writes @value to @path if it reads @unset, and checks that it no longer does: one-way switches. */
static int raise_switch(const char *path, const char *value, const char *unset)
{
	char cur[128] = "";
	ssize_t n;
	int fd = open(path, O_RDWR), err = 0;

	if (fd < 0) {
		log_warn("%s", path);
		return -errno;
	}
	n = pread(fd, cur, sizeof(cur) - 1, 0);
	if (n <= 0 || !strstr(cur, unset)) {
		close(fd);
		return n < 0 ? -errno : 0;
	}
	/* At offset 0: with sysctl_writes_strict, proc ignores a write past the start. */
	if (pwrite(fd, value, strlen(value), 0) != (ssize_t)strlen(value)) {
		err = -errno;
		log_warn("%s: can not write %s", path, value);
	} else {
		memset(cur, 0, sizeof(cur));
		n = pread(fd, cur, sizeof(cur) - 1, 0);
		if (n <= 0 || strstr(cur, unset)) {
			log_warnx("%s: still %s after writing %s", path, unset, value);
			err = -EIO;
		}
	}
	close(fd);
	if (!err)
		log_info("%s: %s", path, value);
	return err;
}

/* The kernel's own one-way switches: no kexec, no new modules (or signed ones only), lockdown integrity. */
static int raise_switches(const struct fwg_lock_opts *o)
{
	int err = raise_switch("/proc/sys/kernel/kexec_load_disabled", "1", "0");

	if (!err && !o->signed_modules)
		err = raise_switch("/proc/sys/kernel/modules_disabled", "1", "0");
	if (err)
		return err;
	if (access(LOCKDOWN, F_OK)) {
		log_warnx(LOCKDOWN ": missing (no lockdown LSM): unsigned modules and kexec images are refused by "
			  "the switches and the guard only");
		return o->signed_modules ? -ENOSYS : 0;
	}
	/* It reads "[none] integrity confidentiality", the current level in brackets. */
	return raise_switch(LOCKDOWN, "integrity", "[none]");
}

int fwg_gate_lock(const struct fwg_lock_opts *o, struct fwg_guard **guard)
{
	const char *dir = o->pin_dir ? o->pin_dir : FWG_BPF_PIN_DIR;
	int err;

	*guard = NULL;
	if (o->guard != FWG_LOCK_GUARD_NO) {
		err = guard_up(o, dir, guard);
		if (err && o->guard == FWG_LOCK_GUARD_YES) {
			log_warnx("lock: the write guard did not load; nothing locked");
			return err;
		}
		if (err)
			log_warnx("lock: the write guard did not load; locking without it");
	}
	err = o->lock_policy(o->arg);
	if (err) {
		log_warnx("lock: fwgate.ko did not lock the policy: %s", strerror(-err));
		return err;
	}
	err = raise_switches(o);
	if (err) {
		log_warnx("lock: a kernel switch could not be raised: %s", strerror(-err));
		return err;
	}
	log_info("lock: %s, policy locked, kexec and %s off, lockdown integrity",
		 *guard ? "guard sealed and enforcing" : "no guard", o->signed_modules ? "unsigned modules" : "modules");
	return 0;
}
