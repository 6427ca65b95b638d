/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loads, configures, attaches and detaches fwgate's BPF programs: the write guard (guard.bpf.c), the update
 * traffic filter (filter.bpf.c) and the egress restriction (egress.bpf.c). Each has one lifecycle: a start or
 * open function (open, set, load), setters that replace a map's contents, attach, poll, pin, destroy.
 * Messages, libbpf's included, go through lib/log.h.
 */
#ifndef FWG_BPF_LOADER_H
#define FWG_BPF_LOADER_H

#include <stdint.h>
#include <linux/types.h>

#include "guard.h"
#include "filter.h"
#include "egress.h"

#define FWG_BPF_PIN_DIR		"/sys/fs/bpf/fwgate"
#define FWG_FILTER_MAX_PORTS	8

/* ------------------------------------------------------------------ guard */

struct fwg_guard;

struct fwg_guard_opts {
	const char *sysfs;	/* fwgate.ko's sysfs directory; NULL: /sys/kernel/fwgate */
	int allow_dm;		/* let device-mapper tables be loaded */
	int signed_modules;	/* once sealed, let modules load (lockdown then wants them signed) */
};

typedef void (*fwg_guard_event_fn)(const struct guard_event *e, void *arg);

/*
 * Loads the guard, fills its protected set from fwgate.ko's sysfs (the targets, their disks and aliases, the
 * state store's device), freezes its rules and attaches it: it enforces from then on.
 */
struct fwg_guard *fwg_guard_start(const struct fwg_guard_opts *opts);
/* The ring buffer and counters of a guard pinned in @dir, by an earlier process. */
struct fwg_guard *fwg_guard_open_pinned(const char *dir);
/* Waits up to @timeout_ms for denials and calls @fn for each. Returns the number handled or -errno. */
int fwg_guard_poll(struct fwg_guard *g, int timeout_ms, fwg_guard_event_fn fn, void *arg);
void fwg_guard_counters(const struct fwg_guard *g, uint64_t out[GUARD_NR_REASONS]);
/* Pins the links and maps in @dir, so that the guard outlives the process; fwg_bpf_unpin() detaches it. */
int fwg_guard_pin(struct fwg_guard *g, const char *dir);
/*
 * Pins the guard in @dir, then records its own ids, pins and this process in its self map and freezes it: from
 * then on the guard refuses changes to itself (and to its pins), kernel code and device hotplug.
 */
int fwg_guard_seal(struct fwg_guard *g, const char *dir);
void fwg_guard_destroy(struct fwg_guard *g);

extern const char *const fwg_guard_reason_names[GUARD_NR_REASONS];
const char *fwg_guard_hook_name(unsigned int hook);

/* ----------------------------------------------------------------- filter */

struct fwg_filter;

struct fwg_filter_config {
	uint16_t update_ports[FWG_FILTER_MAX_PORTS];	/* TCP */
	unsigned int n_update_ports;
	uint16_t relay_port;	/* TCP and UDP; 0: none */
	uint32_t relay_rate;	/* packets per second per source; 0: no limit */
	uint32_t relay_burst;	/* packets; 0: the rate */
};

/* Opens and loads the filter without attaching it (tests run it with BPF_PROG_TEST_RUN). */
struct fwg_filter *fwg_filter_open(const struct fwg_filter_config *c);
/* Replaces both allow-lists with @cidrs ("192.0.2.0/24", "2001:db8::1", ...). */
int fwg_filter_set_allow(struct fwg_filter *f, char *const *cidrs, unsigned int n);
int fwg_filter_attach(struct fwg_filter *f, const char *ifname);
int fwg_filter_prog_fd(const struct fwg_filter *f);
void fwg_filter_counters(const struct fwg_filter *f, uint64_t out[FILTER_NR_COUNTERS]);
int fwg_filter_pin(struct fwg_filter *f, const char *dir);
void fwg_filter_destroy(struct fwg_filter *f);

extern const char *const fwg_filter_counter_names[FILTER_NR_COUNTERS];

/* ----------------------------------------------------------------- egress */

struct fwg_egress;

struct fwg_egress *fwg_egress_open(void);
/* Replaces the allow map with @addrs: "192.0.2.1:443", "[2001:db8::1]:443", or an address alone (any port). */
int fwg_egress_set_allow(struct fwg_egress *e, char *const *addrs, unsigned int n);
int fwg_egress_attach(struct fwg_egress *e, const char *cgroup);
void fwg_egress_counters(const struct fwg_egress *e, uint64_t out[EGRESS_NR_COUNTERS]);
int fwg_egress_pin(struct fwg_egress *e, const char *dir);
void fwg_egress_destroy(struct fwg_egress *e);

extern const char *const fwg_egress_counter_names[EGRESS_NR_COUNTERS];

/* -------------------------------------------------------------- pinned */

/* Sums the per-CPU counters of the map pinned at @path into @out[0..n). */
int fwg_bpf_pinned_counters(const char *path, uint64_t *out, unsigned int n);
/* Removes what the pin functions left in @dir: the programs detach once nothing else holds them. */
int fwg_bpf_unpin(const char *dir);

#endif
