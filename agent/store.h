/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated's local store of the chain (Documentation/fwgate/fwgated.rst, "Local store"): the last verified
 * head, and only the transactions relevant to this device, each with the height of its block and its
 * Merkle inclusion proof. Two files in the sync directory:
 *
 *   head     "FWGHEAD1" | be64 next height | tip hash | genesis hash | be64 tip time (ms) | be64 log
 *            length | SHA-256 of the above; written to head.tmp, fsynced, renamed, directory fsynced.
 *   tx.log   records: be32 tx length | be64 height | be16 proof length | proof | tx
 *
 * The log is fsynced before the head that covers it is renamed into place, so after a crash the head never
 * names a record that is not on disk; log bytes past the head's length are a torn append and are cut.
 */
#ifndef FWG_AGENT_STORE_H
#define FWG_AGENT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/fwgate.h>

struct fwg_store_head {
	uint64_t next;			/* height of the next block to verify; 0: empty */
	uint8_t tip[FWGATE_ID_LEN];	/* hash of block next - 1 */
	uint8_t genesis[FWGATE_ID_LEN];	/* hash of block 0 */
	uint64_t tip_time_ms;
	uint64_t log_len;
};

struct fwg_store {
	int dirfd;
	FILE *log;
	struct fwg_store_head head;
	uint64_t log_len;		/* appended so far, committed or not */
	int failed;			/* a write or sync failed: see fwg_store_recover() */
};

/* One record of the log, as replay hands it out. */
typedef int (*fwg_store_fn)(const uint8_t *tx, size_t len, uint64_t height, const uint8_t *proof,
			    size_t proof_len, void *arg);

/* Opens (creating) the store in @dir and calls @fn for each committed record, oldest first. */
int fwg_store_open(struct fwg_store *s, const char *dir, fwg_store_fn fn, void *arg);
/*
 * Calls @fn for each committed record of the store in @dir, oldest first, and changes nothing there (another
 * process owns it). 0 (an empty store too), or -1 when there is no store or it is damaged.
 */
int fwg_store_read(const char *dir, fwg_store_fn fn, void *arg);
void fwg_store_close(struct fwg_store *s);
int fwg_store_append(struct fwg_store *s, const uint8_t *tx, size_t len, uint64_t height, const uint8_t *proof,
		     size_t proof_len);
/* Drops the appends after the first @mark bytes of the log (a mark taken from log_len, not below the head's). */
int fwg_store_rewind(struct fwg_store *s, uint64_t mark);
/*
 * Makes every append so far and the new head durable. A failed append, rewind or sync of the log drops the
 * appends since the last commit and fails every append and commit until fwg_store_recover().
 */
int fwg_store_commit(struct fwg_store *s, const struct fwg_store_head *h);
/* Cuts the log back to the committed head again and clears a failure; 0, or -1 when that fails too. */
int fwg_store_recover(struct fwg_store *s);
/* Bytes the store takes on disk. */
uint64_t fwg_store_size(const struct fwg_store *s);

#endif
