/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The acknowledgement queue: signed ack and nack transactions wait here, one file each named by the
 * transaction's id, until fwgated sees them included in a block. A put is durable when it returns (file and
 * directory fsynced, written under a temporary name and renamed), so a crash or a power cut loses none and
 * a retry never makes a second one: the id is the name.
 */
#ifndef FWG_AGENT_QUEUE_H
#define FWG_AGENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

struct fwg_queue {
	int dirfd;
};

int fwg_queue_open(struct fwg_queue *q, const char *dir);
void fwg_queue_close(struct fwg_queue *q);
/* Stores @tx under @id; an id already queued is left as it is. */
int fwg_queue_put(struct fwg_queue *q, const uint8_t id[FWGATE_ID_LEN], const void *tx, size_t len);
int fwg_queue_remove(struct fwg_queue *q, const uint8_t id[FWGATE_ID_LEN]);
/* Calls @fn for each queued transaction, oldest first; stops at the first non-zero return. */
int fwg_queue_each(struct fwg_queue *q, int (*fn)(const uint8_t *id, const uint8_t *tx, size_t len,
						  void *arg), void *arg);

#endif
