// SPDX-License-Identifier: GPL-2.0
/* The chain's policy rotations, followed from the policy in force (agent/follow.h). */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"

struct rotation {
	uint8_t *raw;
	size_t len;
	uint64_t height;
	struct fwgate_rotate_stmt stmt;
	int refused;
	char why[256];
};

static struct rotation rot[FWG_FOLLOW_MAX];
static unsigned int nr_rot;

int fwg_follow_add(const uint8_t *raw, size_t len, uint64_t height)
{
	struct rotation *r = &rot[nr_rot];
	struct fwg_err e;
	struct fwg_tx tx;
	unsigned int i;

	if (fwg_tx_decode(raw, len, &tx, &e))
		return -1;
	if (tx.type != FWG_TX_ROTATE) {
		fwg_tx_release(&tx);
		return -1;
	}
	for (i = 0; i < nr_rot; i++)
		if (!memcmp(&rot[i].stmt, &tx.s.rotate, sizeof(tx.s.rotate))) {
			fwg_tx_release(&tx);
			return 0;	/* a replay of the store, or the same sync again */
		}
	if (nr_rot == FWG_FOLLOW_MAX) {
		fwg_tx_release(&tx);
		log_warnx("rotation at block %" PRIu64 ": more than %d rotations; not followed", height,
			  FWG_FOLLOW_MAX);
		return -1;
	}
	r->stmt = tx.s.rotate;
	fwg_tx_release(&tx);
	r->raw = malloc(len);
	if (!r->raw)
		return -1;
	memcpy(r->raw, raw, len);
	r->len = len;
	r->height = height;
	r->refused = 0;
	r->why[0] = '\0';
	nr_rot++;
	return 0;
}

/* The rotation whose prev is @cur, not refused yet: the chain holds one at most (nodes refuse a fork). */
static struct rotation *next_of(const struct fwg_policy *cur)
{
	unsigned int i;

	for (i = 0; i < nr_rot; i++)
		if (!rot[i].refused && be64toh(rot[i].stmt.prev_epoch) == cur->epoch &&
		    !memcmp(rot[i].stmt.prev, cur->digest, FWGATE_ID_LEN))
			return &rot[i];
	return NULL;
}

int fwg_follow_run(struct fwg_policy *cur, fwg_follow_apply_fn apply, void *arg)
{
	char hex[17], msg[256];
	struct fwg_policy next;
	struct rotation *r;
	int n = 0, err;

	while ((r = next_of(cur))) {
		fwg_hex(r->stmt.next, 8, hex);
		err = apply(r->raw, r->len, &next, msg, sizeof(msg), arg);
		if (err == -EIO || err == -EAGAIN || err == -ENOMEM) {
			log_warnx("rotation to epoch %" PRIu64 " (%s...): not applied, tried again at the next round: %s",
				  be64toh(r->stmt.next_epoch), hex, msg);
			break;
		}
		if (err) {
			r->refused = err;
			snprintf(r->why, sizeof(r->why), "%s", msg);
			log_warnx("rotation to epoch %" PRIu64 " (%s..., block %" PRIu64 "): fwgate.ko refuses it: %s",
				  be64toh(r->stmt.next_epoch), hex, r->height, msg);
			continue;
		}
		log_info("rotation to epoch %" PRIu64 " (%s..., block %" PRIu64 "): in force, sealed", next.epoch,
			 hex, r->height);
		*cur = next;
		n++;
	}
	return n;
}

unsigned int fwg_follow_list(struct fwg_follow_info *out, unsigned int max)
{
	unsigned int i;

	for (i = 0; i < nr_rot && i < max; i++) {
		out[i].prev_epoch = be64toh(rot[i].stmt.prev_epoch);
		out[i].next_epoch = be64toh(rot[i].stmt.next_epoch);
		out[i].height = rot[i].height;
		memcpy(out[i].prev, rot[i].stmt.prev, FWGATE_ID_LEN);
		memcpy(out[i].next, rot[i].stmt.next, FWGATE_ID_LEN);
		out[i].refused = rot[i].refused;
		snprintf(out[i].why, sizeof(out[i].why), "%s", rot[i].why);
	}
	return i;
}

void fwg_follow_reset(void)
{
	unsigned int i;

	for (i = 0; i < nr_rot; i++)
		free(rot[i].raw);
	nr_rot = 0;
}
