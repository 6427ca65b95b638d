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
#include "policy.h"

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

/* Signature sets (struct fwg_sigset, FWG_SIGSET_MAX) are in lib/policy.h: the policy rotation rule needs them. */

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

/*
 * Trust transactions (issue 12; Documentation/fwgate/ledger.rst, "Trust"). FWG_TX_POLICY, FWG_TX_ROTATE and
 * FWG_TX_MEMBER are multi-signed: after their statement, be16 payload_len, the payload the statement commits
 * to by its digest, then a signature set (lib/policy.h) whose signatures are all over the statement alone.
 * FWG_TX_REVOKE (struct fwgate_revoke_stmt) is signed once, by the manufacturer, as the other kinds are.
 *
 * FWG_TX_POLICY starts a device type's policy line: its payload is the epoch-1 policy's encoding
 * (struct fwgate_policy_hdr), which must be the genesis policy of o_type with that manufacturer, and every
 * key of the policy signs. FWG_TX_ROTATE's statement is struct fwgate_rotate_stmt, its payload the next
 * policy's encoding. Not kernel ABI: the kernel sees only the rotation statement and the encoding.
 */
#define FWG_MAGIC_LINE		"FWGPLN01"	/* a device type's policy line starts */
#define FWG_MAGIC_MEMBER	"FWGMBR01"	/* a ledger member joins or leaves */

struct fwg_line_stmt {
	uint8_t magic[8];			/* FWG_MAGIC_LINE */
	char o_type[FWGATE_NAME_LEN];		/* the device type, NUL-padded */
	uint8_t digest[FWGATE_ID_LEN];		/* SHA-256 of the policy encoding, the payload */
} __attribute__((packed));

enum fwg_member_action {
	FWG_MEMBER_JOIN = 1,
	FWG_MEMBER_LEAVE,
};

/*
 * A member joins (the payload is its key's encoding, key_id its SHA-256, and the new key signs too) or
 * leaves (no payload). Signed by more than half of the current members, whatever their role.
 */
struct fwg_member_stmt {
	uint8_t magic[8];			/* FWG_MAGIC_MEMBER */
	uint8_t action;				/* enum fwg_member_action */
	uint8_t role;				/* enum fwg_role: the joining member's; a leaving one's as registered */
	uint8_t alg;				/* join: enum fwgate_key_alg; leave: 0 */
	uint8_t reserved;			/* 0 */
	char name[FWGATE_NAME_LEN];		/* join: the member's name; leave: all zero */
	uint8_t key_id[FWGATE_ID_LEN];		/* the member's key id */
	uint64_t issued;			/* be64 UNIX seconds: tells two joins of one key apart */
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
		struct fwg_line_stmt line;
		struct fwgate_rotate_stmt rotate;
		struct fwgate_revoke_stmt revoke;
		struct fwg_member_stmt member;
		struct fwgate_control_stmt control;
		struct fwgate_rollout_stmt rollout;
		struct fwgate_advance_stmt advance;
	} s;
	uint32_t sig_len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
	const uint8_t *chunk;			/* blob: the chunk bytes, inside the decoded buffer */
	uint32_t chunk_len;
	const uint8_t *chunks;			/* update: the image's hash list, inside the decoded buffer */
	size_t chunks_len;
	const uint8_t *payload;			/* multi-signed kinds: the payload, inside the decoded buffer */
	size_t payload_len;
	struct fwg_sigset *sigs;		/* multi-signed kinds; fwg_tx_release() frees it */
	const uint8_t *sigset;			/* control: its signature set, inside the decoded buffer */
	size_t sigset_len;
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
/*
 * Adds key's signature of msg to set: 0, or -EINVAL (its public half does not encode), -EEXIST (it signed
 * already), -ENOSPC (set is full), -EIO (signing failed).
 */
int fwg_sigset_add(struct fwg_sigset *set, struct fwg_key *key, const void *msg, size_t len);
void fwg_tx_release(struct fwg_tx *tx);
const char *fwg_tx_type_name(unsigned int type);
/* The nack reasons the format defines (enum fwgate_nack_reason): 0 to FWG_NR_NACK_REASONS - 1. */
#define FWG_NR_NACK_REASONS	(FWGATE_NACK_WITHDRAWN + 1)
/* "digest-mismatch", ... for enum fwgate_nack_reason; "unknown" beyond it. */
const char *fwg_nack_reason_name(unsigned int reason);
/* The reason of that name, or -1 when the format defines none. */
int fwg_nack_reason_parse(const char *name);
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
/* A multi-signed transaction (policy, rotate, member): statement, payload, signature set (sorted here). */
size_t fwg_tx_encode_multi(uint8_t type, const void *stmt, size_t stmt_len, const uint8_t *payload,
			   size_t payload_len, struct fwg_sigset *sigs, uint8_t *buf, size_t len);
/* True for the kinds fwg_tx_encode_multi() encodes. */
int fwg_tx_multi(unsigned int type);
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
/*
 * The consortium: genesis, with the members that joined since (FWG_TX_MEMBER) appended to its members;
 * fwg_state_member_active() says whether members[i] is still one.
 */
const struct fwg_genesis *fwg_state_genesis(const struct fwg_state *st);
int fwg_state_member_active(const struct fwg_state *st, unsigned int i);

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
 * Policy lines (chain/trust.c): one epoch of a device type's line, as the chain holds it. enc points into
 * the state and lives as long as it.
 */
struct fwg_policy_epoch {
	char o_type[FWGATE_NAME_LEN];
	uint64_t epoch, newest;			/* this one's, and the line's newest */
	uint8_t digest[FWGATE_ID_LEN];		/* SHA-256 of enc */
	uint8_t m_id[FWGATE_ID_LEN];		/* the manufacturer key of that epoch */
	const uint8_t *enc;			/* the policy's encoding (struct fwgate_policy_hdr, ...) */
	size_t enc_len;
	uint64_t height;			/* the block of the policy or rotate transaction that brought it */
	const struct fwgate_rotate_stmt *rotate;	/* epoch > 1: the rotation that brought it, */
	const struct fwg_sigset *sigs;		/* and its signatures (policy-rotate's input); else NULL */
};

/*
 * The policy with this digest (next 0), or the one that followed it by rotation (next 1): what a device
 * with a sealed digest looks up. 0, or -ENOENT.
 */
int fwg_state_policy(const struct fwg_state *st, const uint8_t digest[FWGATE_ID_LEN], int next,
		     struct fwg_policy_epoch *out);
/* The newest epoch of the index-th line of o_type (NULL: any) with manufacturer m_id (NULL: any); -ENOENT. */
int fwg_state_line(const struct fwg_state *st, const char *o_type, const uint8_t *m_id, size_t index,
		   struct fwg_policy_epoch *out);
/* The index-th revoked device and the block that revoked it; returns how many there are, 0 past the end. */
size_t fwg_state_revoked(const struct fwg_state *st, size_t index, uint8_t o_id[FWGATE_ID_LEN], uint64_t *height);

/*
 * An in-chain image: its size, its number of chunks and how many of them the chain holds; 0, or -ENOENT if
 * the chain holds no chunk of it.
 */
int fwg_state_blob(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], uint64_t *size,
		   uint32_t *count, uint32_t *have);
/* Where chunk index of an in-chain image lies: block height and index in the block; 0 or -ENOENT. */
int fwg_state_blob_chunk(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], uint32_t index,
			 uint64_t *height, uint32_t *tx_index);

/* ------------------------------------------------------------------ controls (chain/control.c) */

/*
 * FWG_TX_CONTROL: version, type, the 88-byte struct fwgate_control_stmt (magic FWGWDR01, FWGPAU01 or FWGRSM01),
 * then a signature set over the statement. A pause or resume is signed by the update's manufacturer alone; a
 * withdrawal by the manufacturer or by at least the threshold of the checkers of the update's device type.
 */
enum fwg_control_kind {
	FWG_CONTROL_WITHDRAW = 1,
	FWG_CONTROL_PAUSE,
	FWG_CONTROL_RESUME,
};

struct fwg_control_info {
	int withdrawn, paused;
	uint64_t seq;		/* of the pause or resume in force, 0 if none */
};

struct fwg_controls;

/* The kind a statement's magic names, 0 for none; its name ("withdraw", ...). */
int fwg_control_kind(const struct fwgate_control_stmt *s);
const char *fwg_control_name(int kind);
/* For fwg_tx_decode: after the statement at *off, its signature set (shape only); sets tx->sigset. */
int fwg_control_decode(const uint8_t *buf, size_t len, size_t *off, struct fwg_tx *tx, struct fwg_err *err);
/* A control transaction from its statement and signatures (sorted first); 0 if it does not fit. */
size_t fwg_control_encode(const struct fwgate_control_stmt *s, struct fwg_sigset *set, uint8_t *buf, size_t len);
/* The signature set of a decoded control transaction. */
int fwg_control_sigs(const struct fwg_tx *tx, struct fwg_sigset *set);
/* What a state records of each update's controls; *cp is allocated on the first update. */
int fwg_controls_note_update(struct fwg_controls **cp, const struct fwgate_update_stmt *u);
int fwg_controls_check(const struct fwg_controls *c, const struct fwg_state *st, const struct fwg_tx *tx,
		       int check_sig, struct fwg_err *err);
int fwg_controls_apply(struct fwg_controls *c, const struct fwg_tx *tx);
int fwg_controls_get(const struct fwg_controls *c, const uint8_t u_id[FWGATE_ID_LEN], struct fwg_control_info *out);
void fwg_controls_free(struct fwg_controls *c);
/* Where the chain stands on an update's controls: 0, or -ENOENT for an update the chain does not have. */
int fwg_state_control(const struct fwg_state *st, const uint8_t u_id[FWGATE_ID_LEN], struct fwg_control_info *out);
/* A consortium member's key by id and role (enum fwg_role), a device type's policy; NULL if none. */
struct fwg_key *fwg_state_member_key_by_id(const struct fwg_state *st, const uint8_t *id, unsigned int role);
const struct fwg_type_policy *fwg_state_type(const struct fwg_state *st, const char *o_type);

#endif
