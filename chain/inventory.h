/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fleet's inventory and an update's coverage, from a verified chain (Documentation/fwgate/tools.rst,
 * "audit"): per device and target group, the version it runs and since which block; per update, and per
 * stage of its rollout plan, how many devices of its fleet run it, installed it (not yet running), fell back
 * from it (nack health or boot) or refused it (any other nack). `fwgate audit` and `fwgate rollout status`
 * report from it.
 */
#ifndef FWG_INVENTORY_H
#define FWG_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "rollout.h"

struct fwg_inv;

/* A device's last word on one update: each ack, running ack or nack replaces the one before. */
enum fwg_outcome {
	FWG_OUT_NONE,
	FWG_OUT_INSTALLED,	/* FWG_TX_ACK: the kernel committed it */
	FWG_OUT_RUNNING,	/* FWG_TX_RUNNING: booted, health check passed */
	FWG_OUT_FELL_BACK,	/* nack health or boot: back on the previous slot */
	FWG_OUT_REFUSED,	/* any other nack */
	__FWG_OUT_MAX
};

struct fwg_coverage {
	unsigned int fleet;		/* devices the update (or the stage) is for */
	unsigned int n[__FWG_OUT_MAX];	/* of them, by outcome; n[FWG_OUT_NONE]: no word yet */
};

/* One device's one target group. */
struct fwg_inv_row {
	uint8_t o_id[FWGATE_ID_LEN];
	char o_type[FWGATE_NAME_LEN];
	char target[FWGATE_NAME_LEN];
	uint64_t version;		/* 0: the chain knows of none */
	uint8_t u_id[FWGATE_ID_LEN];
	uint64_t since;			/* block of the ack that says so */
	const char *state;		/* "running", "installed", "fell back" */
};

struct fwg_inv *fwg_inv_new(void);
void fwg_inv_free(struct fwg_inv *v);
/* Records one transaction of block @height that the chain verified; 0 or -ENOMEM. */
int fwg_inv_add(struct fwg_inv *v, const struct fwg_tx *tx, uint64_t height);
const struct fwg_rollouts *fwg_inv_rollouts(const struct fwg_inv *v);
/* The coverage of update @u_id: of its whole fleet (@stage -1), or of the devices its plan puts in @stage. */
int fwg_inv_coverage(const struct fwg_inv *v, const uint8_t u_id[FWGATE_ID_LEN], int stage, struct fwg_coverage *c);
/* Calls @fn for each device and target group the chain has an ack for, in the order they appeared. */
void fwg_inv_rows(const struct fwg_inv *v, void (*fn)(const struct fwg_inv_row *row, void *arg), void *arg);
size_t fwg_inv_nr_rows(const struct fwg_inv *v);
const char *fwg_outcome_name(unsigned int outcome);

#endif
