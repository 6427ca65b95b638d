/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated's chain sync (Documentation/fwgate/fwgated.rst, "Sync"): streams blocks from one node, checks each
 * one's height, hash link and Merkle root, and keeps, in the local store, only the transactions relevant to
 * this device, after checking their signatures against the device's own trust policy:
 *  - updates from its manufacturer for its O_type (for all devices, or for this O_id);
 *  - approvals and rejections of those updates by the checkers its policy trusts;
 *  - its own acknowledgements and negative acknowledgements, and the ones its peers post naming it or its
 *    manufacturer; its own device certificate.
 * The other transactions are only hashed, as the Merkle roots need them.
 */
#ifndef FWG_AGENT_SYNC_H
#define FWG_AGENT_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "nl.h"
#include "store.h"

struct fwg_sync;

/*
 * Called for each relevant transaction, verified, once per sync that meets it (and at replay); only once
 * every relevant transaction of its block verified, and it is in the store.
 */
typedef int (*fwg_sync_tx_fn)(const struct fwg_tx *tx, const uint8_t *raw, size_t len,
			      const uint8_t id[FWGATE_ID_LEN], uint64_t height, void *arg);

enum fwg_sync_status {
	FWG_SYNC_OK,
	FWG_SYNC_UNREACHABLE,	/* the node did not answer, or the stream broke: try another */
	FWG_SYNC_INVALID,	/* the node served a block that does not verify: a misbehaving node */
	FWG_SYNC_FORK,		/* two nodes disagree on a block at the same height */
	FWG_SYNC_LOCAL,		/* the local store failed */
};

struct fwg_sync_result {
	int status;		/* enum fwg_sync_status */
	uint64_t blocks, txs, relevant;
	uint64_t first_time_ms;	/* time of the first block this run verified (blocks > 0) */
	char msg[320];
};

struct fwg_head {
	uint64_t height;
	uint8_t hash[FWGATE_ID_LEN];
	uint64_t time_ms;
};

/*
 * @genesis: a pinned hash of block 0, or NULL to trust the first one seen (and keep it in the store).
 * The store's records are replayed through @fn before this returns.
 */
struct fwg_sync *fwg_sync_new(const struct fwg_policy *p, const uint8_t device_id[FWGATE_ID_LEN],
			      const uint8_t *genesis, const char *dir, fwg_sync_tx_fn fn, void *arg);
void fwg_sync_free(struct fwg_sync *s);
/* Reads and verifies every block the node has after the stored head, then commits the store. */
int fwg_sync_run(struct fwg_sync *s, const char *node, struct fwg_sync_result *r);
/* As fwg_sync_run, with the node's stream given whole (tests and fuzzing). */
int fwg_sync_feed(struct fwg_sync *s, const uint8_t *data, size_t len, struct fwg_sync_result *r);
/* The verified head: the next height to read, the tip and its time. */
const struct fwg_store_head *fwg_sync_head(const struct fwg_sync *s);
uint64_t fwg_sync_store_size(const struct fwg_sync *s);
/* Parses a node's GET /head answer ({"height":H,"hash":"HEX","time_ms":T}); 0 or -1. */
int fwg_head_parse(const char *text, struct fwg_head *h);
/* A node's GET /head. 0, or -1 with @msg filled. */
int fwg_node_head(const char *node, struct fwg_head *h, char *msg, size_t len);

#endif
