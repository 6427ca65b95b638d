/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ledger's wire formats (Documentation/fwgate/ledger.rst): transactions, blocks and Merkle inclusion
 * proofs, their canonical encoding and strict decoders, and the ledger state that decides whether a
 * transaction may be appended (registered signer, certified device, no replay). Shared by fwgate-node and
 * the fwgate CLI. Every decoder takes untrusted bytes and has a fuzz target under tests/fuzz/.
 */
#ifndef FWG_LEDGER_H
#define FWG_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

#include "keys.h"

#define FWG_TX_VERSION		1
#define FWG_TX_MAX		65536	/* bytes, any transaction */
#define FWG_MAX_MEMBERS		64
#define FWG_MAX_TYPES		32
#define FWG_MAX_URLS		8
#define FWG_MAX_URL_LEN		1024
#define FWG_BLOCK_MAGIC		"FWGBLK01"
#define FWG_BLOCK_HDR_LEN	92
#define FWG_BLOCK_MAX_TX	8192
#define FWG_BLOCK_MAX		(1 << 20)	/* bytes; etcd refuses requests above 1.5 MiB */
#define FWG_PROOF_MAX_DEPTH	32

enum fwg_tx_type {
	FWG_TX_GENESIS = 1,
	FWG_TX_UPDATE,
	FWG_TX_APPROVE,
	FWG_TX_REJECT,
	FWG_TX_ACK,
	FWG_TX_NACK,
	FWG_TX_DEVCERT,
	FWG_TX_BLOB,
	FWG_TX_RUNNING,		/* 9: device's running ack (FWGRUN01, issue 15) */
	FWG_TX_POLICY,		/* 10: a policy's encoding, signed by all its keys (issue 12) */
	FWG_TX_ROTATE,		/* 11: policy rotation, multi-signed (issue 12) */
	FWG_TX_REVOKE,		/* 12: device revocation (issue 12) */
	FWG_TX_MEMBER,		/* 13: ledger member joins or leaves, multi-signed (issue 12) */
	FWG_TX_CONTROL,		/* 14: withdraw, pause, resume, multi-signed (issue 15) */
	FWG_TX_ROLLOUT,		/* 15: rollout plan (issue 15) */
	FWG_TX_ADVANCE,		/* 16: rollout stage advance (issue 15) */
	__FWG_TX_MAX
};

/*
 * A signature set, for statements that several keys sign (rotation, membership, withdrawal by checkers):
 * after the statement, u8 count (1 to FWG_SIGSET_MAX), then count entries of key_id[32], be16 sig_len, sig;
 * entries in strictly ascending order of key_id, so a set has one encoding and no key signs twice. Every
 * signature is over the same statement bytes. The decoder checks the shape only; who must sign is the
 * validator's business.
 */
#define FWG_SIGSET_MAX		40

struct fwg_sig {
	uint8_t key_id[FWGATE_ID_LEN];
	uint16_t len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
};

struct fwg_sigset {
	unsigned int count;
	struct fwg_sig sig[FWG_SIGSET_MAX];
};

/*
 * In-chain images: an image of `size` bytes travels as ceil(size / FWG_BLOB_CHUNK) blob transactions, chunk
 * i holding bytes [i * FWG_BLOB_CHUNK, min(size, (i + 1) * FWG_BLOB_CHUNK)). The manufacturer signs this
 * statement, which commits to the chunk by its digest; the chunk bytes follow the signature. Not kernel
 * ABI: devices fetch the reassembled image from a node and check it against the update's u_id.
 */
#define FWG_MAGIC_BLOB		"FWGBLB01"
#define FWG_BLOB_CHUNK		60000	/* bytes; with its statement and any signature, fits FWG_TX_MAX */

struct fwg_blob_stmt {
	uint8_t magic[8];			/* FWG_MAGIC_BLOB */
	uint8_t m_id[FWGATE_ID_LEN];		/* the manufacturer, who published the update */
	uint8_t u_id[FWGATE_ID_LEN];		/* SHA-256 of the whole image: the update's u_id */
	uint64_t size;				/* be64: the whole image, as the update declares it */
	uint32_t index;				/* be32: this chunk, 0 to count - 1 */
	uint32_t count;				/* be32: ceil(size / FWG_BLOB_CHUNK) */
	uint8_t digest[FWGATE_ID_LEN];		/* SHA-256 of this chunk's bytes */
} __attribute__((packed));

enum fwg_role {
	FWG_ROLE_MANUFACTURER = 1,
	FWG_ROLE_CHECKER,
	FWG_ROLE_OPERATOR,
};

struct fwg_member {
	uint8_t role;				/* enum fwg_role */
	char name[FWGATE_NAME_LEN];
	struct fwg_pubkey key;
};

/* k checkers and the threshold q for one device type. */
struct fwg_type_policy {
	char o_type[FWGATE_NAME_LEN];
	uint8_t k, q;
	uint8_t checkers[FWGATE_MAX_CHECKERS][FWGATE_ID_LEN];
};

struct fwg_genesis {
	uint64_t time;
	char name[FWGATE_NAME_LEN];		/* the consortium */
	unsigned int nr_members, nr_types;
	struct fwg_member members[FWG_MAX_MEMBERS];
	struct fwg_type_policy types[FWG_MAX_TYPES];
};

/*
 * A decoded transaction. For the signed kinds, msg/msg_len point at the signed statement inside the
 * buffer given to fwg_tx_decode() and the matching member of the union holds a copy of it.
 */
struct fwg_tx {
	uint8_t type;				/* enum fwg_tx_type */
	const uint8_t *msg;
	size_t msg_len;
	union {
		struct fwgate_update_stmt update;
		struct fwgate_verdict_stmt verdict;
		struct fwgate_ack_stmt ack;
		struct fwgate_nack_stmt nack;
		struct fwgate_devcert_stmt devcert;
		struct fwg_blob_stmt blob;
		struct fwgate_rollout_stmt rollout;
		struct fwgate_advance_stmt advance;
	} s;
	uint32_t sig_len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
	const uint8_t *chunk;			/* blob: the chunk bytes, inside the decoded buffer */
	uint32_t chunk_len;
	const uint8_t *chunks;			/* update: the image's hash list, inside the decoded buffer */
	size_t chunks_len;
	unsigned int nr_urls;			/* update: mirror URLs, NUL-terminated */
	char urls[FWG_MAX_URLS][FWG_MAX_URL_LEN + 1];
	struct fwg_genesis *genesis;		/* genesis only; fwg_tx_release() frees it */
};

/* Why a decoder or a check refused: one line naming the field, and the kind of refusal. */
enum fwg_err_kind {
	FWG_ERR_FORMAT,		/* malformed, oversized, unsigned */
	FWG_ERR_SIGNER,		/* unregistered signer, or the signature does not verify */
	FWG_ERR_REPLAY,		/* the signed statement is already in the ledger */
	FWG_ERR_REFERENCE,	/* names an update, device or type the ledger does not have */
	FWG_ERR_UNREACHABLE,	/* the node did not answer, or not with the chain (fwg_node_follow) */
};

struct fwg_err {
	int kind;		/* enum fwg_err_kind */
	char msg[256];
};

int fwg_tx_decode(const uint8_t *buf, size_t len, struct fwg_tx *tx, struct fwg_err *err);

/*
 * Signature sets: fwg_sigset_decode() reads one at *off in buf[0, len), advancing *off, and refuses (naming
 * `field`) a count of 0 or above FWG_SIGSET_MAX, a truncated entry, a signature of 0 or more than
 * FWGATE_MAX_SIG_LEN bytes and key ids out of strictly ascending order. fwg_sigset_encode() writes one (its
 * entries sorted first) and returns its length, or 0 if it does not fit in len or is malformed.
 */
int fwg_sigset_decode(const uint8_t *buf, size_t len, size_t *off, struct fwg_sigset *set, const char *field,
		      struct fwg_err *err);
size_t fwg_sigset_encode(struct fwg_sigset *set, uint8_t *buf, size_t len);
/* The entry of set signed by key_id, or NULL. */
const struct fwg_sig *fwg_sigset_find(const struct fwg_sigset *set, const uint8_t key_id[FWGATE_ID_LEN]);
void fwg_tx_release(struct fwg_tx *tx);
const char *fwg_tx_type_name(unsigned int type);
/* "digest-mismatch", ... for enum fwgate_nack_reason; "unknown" beyond it. */
const char *fwg_nack_reason_name(unsigned int reason);
void fwg_tx_id(const uint8_t *buf, size_t len, uint8_t id[FWGATE_ID_LEN]);

/*
 * Encoders return the encoded length, or 0 if buf is too small or the input is out of range. An update
 * carries its mirror URLs and its image's hash list (chunks, chunks_len bytes); other kinds take none.
 */
size_t fwg_tx_encode_signed(uint8_t type, const void *stmt, size_t stmt_len, const uint8_t *sig,
			    size_t sig_len, const char *const *urls, unsigned int nr_urls, const uint8_t *chunks,
			    size_t chunks_len, uint8_t *buf, size_t len);
/* Signs stmt with key and encodes the transaction. */
size_t fwg_tx_sign(struct fwg_key *key, uint8_t type, const void *stmt, size_t stmt_len, const char *const *urls,
		   unsigned int nr_urls, const uint8_t *chunks, size_t chunks_len, uint8_t *buf, size_t len);
size_t fwg_genesis_encode(const struct fwg_genesis *g, uint8_t *buf, size_t len);

/* The length of chunk index of a size-byte image, 0 if there is no such chunk; the number of chunks. */
uint32_t fwg_blob_chunk_len(uint64_t size, uint32_t index);
uint32_t fwg_blob_count(uint64_t size);
/* A blob transaction from its statement, signature and chunk (chunk_len from the statement's size, index). */
size_t fwg_blob_encode(const struct fwg_blob_stmt *s, const uint8_t *sig, size_t sig_len, const uint8_t *chunk,
		       uint8_t *buf, size_t len);
/* Fills the statement of chunk index of an image (count and digest computed), signs it, encodes it. */
size_t fwg_blob_sign(struct fwg_key *key, const uint8_t m_id[FWGATE_ID_LEN], const uint8_t u_id[FWGATE_ID_LEN],
		     uint64_t size, uint32_t index, const uint8_t *chunk, uint8_t *buf, size_t len);

/* ------------------------------------------------------------------ Merkle trees (RFC 9162) */

void fwg_merkle_leaf(const uint8_t tx_id[FWGATE_ID_LEN], uint8_t out[FWGATE_ID_LEN]);
/* Root of n leaf hashes; the empty tree's root is SHA-256(""). */
void fwg_merkle_root(const uint8_t (*leaves)[FWGATE_ID_LEN], size_t n, uint8_t root[FWGATE_ID_LEN]);

struct fwg_proof {
	uint32_t index, size;
	uint32_t depth;
	uint8_t path[FWG_PROOF_MAX_DEPTH][FWGATE_ID_LEN];
};

int fwg_merkle_proof(const uint8_t (*leaves)[FWGATE_ID_LEN], size_t n, size_t index,
		     struct fwg_proof *p);
int fwg_merkle_verify(const struct fwg_proof *p, const uint8_t leaf[FWGATE_ID_LEN],
		      const uint8_t root[FWGATE_ID_LEN]);
size_t fwg_proof_encode(const struct fwg_proof *p, uint8_t *buf, size_t len);
int fwg_proof_decode(const uint8_t *buf, size_t len, struct fwg_proof *p);

/* ------------------------------------------------------------------ blocks */

struct fwg_block_hdr {
	uint64_t height;
	uint8_t prev[FWGATE_ID_LEN];
	uint8_t merkle[FWGATE_ID_LEN];
	uint64_t time_ms;
	uint32_t nr_tx;
};

/* A decoded block: its header, its hash, and where each transaction lies in the buffer. */
struct fwg_block {
	struct fwg_block_hdr hdr;
	uint8_t hash[FWGATE_ID_LEN];
	const uint8_t **tx;
	uint32_t *tx_len;
	uint8_t (*tx_id)[FWGATE_ID_LEN];
};

/* Encodes a block from a header (merkle and nr_tx are computed) and transactions; malloc'ed, *out_len. */
uint8_t *fwg_block_encode(struct fwg_block_hdr *hdr, const uint8_t *const *tx, const uint32_t *tx_len,
			  uint32_t nr_tx, size_t *out_len);
/* Checks framing, sizes and the Merkle root; transactions are only split, not decoded. */
int fwg_block_decode(const uint8_t *buf, size_t len, struct fwg_block *b, struct fwg_err *err);
void fwg_block_release(struct fwg_block *b);
void fwg_block_hash(const struct fwg_block_hdr *hdr, uint8_t out[FWGATE_ID_LEN]);

/* ------------------------------------------------------------------ ledger state */

struct fwg_state;

struct fwg_state *fwg_state_new(void);
void fwg_state_free(struct fwg_state *st);
const struct fwg_genesis *fwg_state_genesis(const struct fwg_state *st);

/*
 * Checks that a decoded transaction may follow the state: its signer is registered (genesis members, device
 * certificates), its signature verifies, it is not a replay. 0, or -1 with err set. No side effect.
 */
int fwg_state_check(struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err);
/*
 * As fwg_state_check, with the signature trusted: for a transaction checked once already, before the chain
 * moved on (another node may have appended a conflicting one since).
 */
int fwg_state_recheck(struct fwg_state *st, const struct fwg_tx *tx, struct fwg_err *err);
/*
 * Two transactions with the same unique key can not both be in the chain: the digest of the signed
 * statement, or of the certified key (devcert), or of the image digest and chunk index (blob).
 */
void fwg_tx_unique_key(const struct fwg_tx *tx, uint8_t out[FWGATE_ID_LEN]);
/* Records an accepted transaction (it must have passed fwg_state_check). */
int fwg_state_apply(struct fwg_state *st, const struct fwg_tx *tx);
/* Where a transaction id was appended; 0 when found. */
int fwg_state_find(const struct fwg_state *st, const uint8_t id[FWGATE_ID_LEN], uint64_t *height);
void fwg_state_add_id(struct fwg_state *st, const uint8_t id[FWGATE_ID_LEN], uint64_t height);
/* True if the signed message of tx was seen already (a replay, however its signature is encoded). */
int fwg_state_seen(const struct fwg_state *st, const struct fwg_tx *tx);

/*
 * Verifies one block after the state's chain tip: height, previous hash, Merkle root, and every
 * transaction (decode, check, apply). With check_sigs 0, signatures are trusted (a node following blocks
 * that another consortium node validated). Updates *tip to the block's hash.
 */
int fwg_state_add_block(struct fwg_state *st, const uint8_t *buf, size_t len, int check_sigs,
			struct fwg_err *err);
uint64_t fwg_state_height(const struct fwg_state *st);	/* blocks applied */
/* Verify the signatures of large blocks on this many threads (default 1). */
void fwg_state_set_threads(struct fwg_state *st, unsigned int threads);
const uint8_t *fwg_state_tip(const struct fwg_state *st);

/*
 * An in-chain image: its size, its number of chunks and how many of them the chain holds; 0, or -ENOENT if
 * the chain holds no chunk of it.
 */
int fwg_state_blob(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], uint64_t *size,
		   uint32_t *count, uint32_t *have);
/* Where chunk index of an in-chain image lies: block height and index in the block; 0 or -ENOENT. */
int fwg_state_blob_chunk(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], uint32_t index,
			 uint64_t *height, uint32_t *tx_index);

#endif
