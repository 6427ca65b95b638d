/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client of the "fwgate" generic netlink family (Documentation/netlink/specs/fwgate.yaml). Every call
 * returns 0 or a negative errno; fwg_nl_error() then gives the kernel's extack message, if it sent one.
 */
#ifndef FWG_NL_H
#define FWG_NL_H

#include <stdint.h>
#include <linux/fwgate.h>

#include "keys.h"

struct fwg_nl;

struct fwg_policy {
	char otype[FWGATE_NAME_LEN];
	uint8_t device_id[FWGATE_ID_LEN];
	uint32_t threshold;
	uint32_t k;
	int locked;
	struct fwg_pubkey manufacturer;
	struct fwg_pubkey checkers[FWGATE_MAX_CHECKERS];
	/* Not in a policy file. policy-set sends a non-zero epoch; policy-get fills all four. */
	uint64_t epoch;				/* 1 at enrolment, one more at each rotation */
	uint8_t digest[FWGATE_ID_LEN];		/* SHA-256 of the policy's encoding (lib/policy.h) */
	uint64_t sealed_epoch;			/* the state store's anchor; 0 when it holds none */
	uint8_t sealed_digest[FWGATE_ID_LEN];
};

struct fwg_sigset;

struct fwg_verdict {
	uint32_t kind;			/* enum fwgate_verdict_kind */
	uint8_t checker[FWGATE_ID_LEN];
	uint8_t report[FWGATE_ID_LEN];
	uint32_t sig_len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
};

/* One signature of a control statement (update-control). */
struct fwg_control_sig {
	uint8_t signer[FWGATE_ID_LEN];
	uint32_t sig_len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
};

struct fwg_update_info {
	uint8_t u_id[FWGATE_ID_LEN];
	uint64_t version;
	uint64_t size;
	char target[FWGATE_NAME_LEN];
	uint32_t state;
	uint32_t approvals;
	uint32_t rejections;
	uint32_t accepted;
	uint32_t ignored;
};

struct fwg_target_info {
	char name[FWGATE_NAME_LEN];
	char group[FWGATE_NAME_LEN];
	char spec[FWGATE_MAX_SPEC_LEN];
	uint32_t type;
	uint64_t size;
	uint64_t floor;
	uint8_t last_id[FWGATE_ID_LEN];
	uint64_t last_version;
	uint32_t state;
};

struct fwg_event {
	uint8_t cmd;			/* FWGATE_CMD_*_NTF */
	uint32_t event;			/* enum fwgate_event */
	uint32_t err;			/* positive errno of a refusal */
	char reason[128];
	struct fwg_update_info update;
	struct fwg_target_info target;
};

struct fwg_nl *fwg_nl_open(int events);
void fwg_nl_close(struct fwg_nl *nl);
const char *fwg_nl_error(const struct fwg_nl *nl);
int fwg_nl_fd(const struct fwg_nl *nl);

int fwg_nl_policy_set(struct fwg_nl *nl, const struct fwg_policy *p);
int fwg_nl_policy_get(struct fwg_nl *nl, struct fwg_policy *p);
int fwg_nl_policy_lock(struct fwg_nl *nl);
/*
 * policy-rotate: the statement, the next policy's encoding and the signatures over the statement; the kernel
 * checks the rotation rule and re-seals (Documentation/netlink/specs/fwgate.yaml).
 */
int fwg_nl_policy_rotate(struct fwg_nl *nl, const struct fwgate_rotate_stmt *stmt, const uint8_t *enc, size_t len,
			 const struct fwg_sigset *sigs);
int fwg_nl_bundle_submit(struct fwg_nl *nl, const struct fwgate_update_stmt *stmt,
			 const uint8_t *sig, uint32_t sig_len, const struct fwg_verdict *v,
			 unsigned int nv, struct fwg_update_info *out);
/* Withdraw, pause or resume; @out is zeroed when the kernel does not track the update yet. */
int fwg_nl_update_control(struct fwg_nl *nl, const struct fwgate_control_stmt *s,
			  const struct fwg_control_sig *sig, unsigned int n, struct fwg_update_info *out);
int fwg_nl_updates(struct fwg_nl *nl, int (*fn)(const struct fwg_update_info *, void *), void *arg);
int fwg_nl_targets(struct fwg_nl *nl, int (*fn)(const struct fwg_target_info *, void *), void *arg);
/* Blocks for the next event on a socket opened with events = 1. */
int fwg_nl_event(struct fwg_nl *nl, struct fwg_event *ev);

#endif
