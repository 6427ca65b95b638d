/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fwgate: kernel-enforced, quorum-approved writes to firmware partitions.
 *
 * This header is the whole kernel/user ABI: the signed statement formats the
 * kernel parses (and the ledger records), the generic netlink family, the
 * /dev/fwgate ioctls, the on-disk rollback state record and the limits.
 * Documentation/fwgate/ describes each of them.
 *
 * All multi-byte integers in signed statements and in the state record are
 * big-endian; netlink attributes use host order, as netlink does.
 */
#ifndef _UAPI_LINUX_FWGATE_H
#define _UAPI_LINUX_FWGATE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * The limits, the generic netlink family (its name, attributes, commands and
 * events) and the "events" group are generated from
 * Documentation/netlink/specs/fwgate.yaml.
 */
#include <linux/fwgate_netlink.h>

/* An image's hash-list chunk: 1 MiB, the last one of an image shorter. */
#define FWGATE_CHUNK_LEN	(1 << 20)

/* ------------------------------------------------------------------ keys */

/**
 * enum fwgate_key_alg - a key's algorithm; its id is the SHA-256 of its encoding
 * @FWGATE_KEY_UNSPEC: not an algorithm; refused
 * @FWGATE_KEY_RSA3072: the DER RSAPublicKey (PKCS#1) of a 3072-bit modulus;
 *	signatures are PKCS#1 v1.5 over SHA-256, 384 bytes
 * @FWGATE_KEY_P256: the 65-byte uncompressed point 0x04||X||Y; signatures are
 *	ECDSA over SHA-256 in DER (X9.62). Kernels without ECDSA refuse such
 *	keys with -EOPNOTSUPP.
 */
enum fwgate_key_alg {
	FWGATE_KEY_UNSPEC,
	FWGATE_KEY_RSA3072,
	FWGATE_KEY_P256,
};

/* ------------------------------------------------------ signed statements */

/*
 * Every signed message starts with an 8-byte magic that names its kind. A
 * signature is over the whole message, magic included, so a signature made
 * for one kind can never verify as another (domain separation).
 */
#define FWGATE_MAGIC_UPDATE	"FWGUPD02"	/* manufacturer: update T */
#define FWGATE_MAGIC_APPROVE	"FWGAPR01"	/* checker: approval A */
#define FWGATE_MAGIC_REJECT	"FWGREJ01"	/* checker: rejection NA */
#define FWGATE_MAGIC_ACK	"FWGACK01"	/* device: install ack */
#define FWGATE_MAGIC_NACK	"FWGNAK01"	/* device: negative ack */
#define FWGATE_MAGIC_DEVCERT	"FWGCRT01"	/* manufacturer: device cert */
#define FWGATE_MAGIC_CHUNKS	"FWGCHK01"	/* header of a hash list digest */
#define FWGATE_MAGIC_RUNNING	"FWGRUN01"	/* device: running ack */
#define FWGATE_MAGIC_POLICY	"FWGPOL01"	/* a trust policy's encoding */
#define FWGATE_MAGIC_ROTATE	"FWGROT01"	/* policy rotation */
#define FWGATE_MAGIC_REVOKE	"FWGREV01"	/* manufacturer: device revoked */
#define FWGATE_MAGIC_WITHDRAW	"FWGWDR01"	/* update withdrawn */
#define FWGATE_MAGIC_PAUSE	"FWGPAU01"	/* manufacturer: rollout paused */
#define FWGATE_MAGIC_RESUME	"FWGRSM01"	/* manufacturer: rollout resumed */
#define FWGATE_MAGIC_ROLLOUT	"FWGRPL01"	/* manufacturer: rollout plan */
#define FWGATE_MAGIC_ADVANCE	"FWGADV01"	/* manufacturer: stage opened */
#define FWGATE_MAGIC_STAGE	"FWGSTG01"	/* prefix of a device's stage draw */

/**
 * struct fwgate_chunks_hdr - the header of an image's hash-list digest
 * @magic: %FWGATE_MAGIC_CHUNKS
 * @chunk_len: %FWGATE_CHUNK_LEN
 *
 * An image's hash list is the SHA-256 of each %FWGATE_CHUNK_LEN chunk of the
 * image (the last one shorter), concatenated: ceil(size / %FWGATE_CHUNK_LEN)
 * digests. The update statement commits to it by its digest, the SHA-256 of
 * this header followed by the list; /dev/fwgate checks every chunk against
 * the list before it writes any byte of it.
 */
struct fwgate_chunks_hdr {
	__u8	magic[FWGATE_MAGIC_LEN];
	__be32	chunk_len;
} __attribute__((packed));

/**
 * struct fwgate_update_stmt - the manufacturer's update statement
 * @magic: %FWGATE_MAGIC_UPDATE
 * @m_id: the manufacturer's key id; the statement is signed with that key
 * @u_id: SHA-256 of the image
 * @version: U_v; must be above the group's rollback floor
 * @size: the image's size in bytes
 * @o_type: the device type, NUL-padded
 * @target: the target group, NUL-padded
 * @o_id: one device's id, or all zero for every device of the type
 * @issued: UNIX seconds; informative
 * @chunks: SHA-256 of &struct fwgate_chunks_hdr followed by the image's hash
 *	list: the per-chunk digests /dev/fwgate checks before it writes a chunk
 */
struct fwgate_update_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	m_id[FWGATE_ID_LEN];
	__u8	u_id[FWGATE_ID_LEN];
	__be64	version;
	__be64	size;
	char	o_type[FWGATE_NAME_LEN];
	char	target[FWGATE_NAME_LEN];
	__u8	o_id[FWGATE_ID_LEN];
	__be64	issued;
	__u8	chunks[FWGATE_ID_LEN];
} __attribute__((packed));

/* The length of the "statement" attribute. */
#define FWGATE_UPDATE_STMT_LEN	sizeof(struct fwgate_update_stmt)

/**
 * struct fwgate_verdict_stmt - a checker's verdict on one exact update statement
 * @magic: %FWGATE_MAGIC_APPROVE or %FWGATE_MAGIC_REJECT
 * @checker_id: the checker's key id; the whole struct is signed with that key
 * @report: SHA-256 of the checker's report
 * @update: the update statement judged, byte for byte
 */
struct fwgate_verdict_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	checker_id[FWGATE_ID_LEN];
	__u8	report[FWGATE_ID_LEN];
	struct fwgate_update_stmt update;
} __attribute__((packed));

/**
 * struct fwgate_ack_stmt - a device's acknowledgment of an install
 * @magic: %FWGATE_MAGIC_ACK when the kernel committed the install (the
 *	"installed" ack), %FWGATE_MAGIC_RUNNING once the device booted the new
 *	slot and its health check passed (the "running" ack)
 * @u_id: the image installed
 * @o_id: the device's key id; the struct is signed with that P-256 key
 * @version: the version installed; in a running ack, the version running as
 *	the kernel's state and the bootloader report it
 * @target: the slot written
 * @time: UNIX seconds
 */
struct fwgate_ack_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	u_id[FWGATE_ID_LEN];
	__u8	o_id[FWGATE_ID_LEN];
	__be64	version;
	char	target[FWGATE_NAME_LEN];
	__be64	time;
} __attribute__((packed));

/**
 * enum fwgate_nack_reason - why a device did not install an update
 * @FWGATE_NACK_UNSPEC: not a reason
 * @FWGATE_NACK_DIGEST_MISMATCH: a mirror served other bytes
 * @FWGATE_NACK_BAD_SIGNATURE: a statement failed to verify
 * @FWGATE_NACK_REFUSED: the kernel refused the install
 * @FWGATE_NACK_ROLLBACK: the version is at or below the floor
 * @FWGATE_NACK_HEALTH: the new slot booted but failed its health check; the
 *	device fell back to the previous slot
 * @FWGATE_NACK_BOOT: the new slot did not boot within its boot attempts; the
 *	bootloader fell back to the previous slot
 * @FWGATE_NACK_WITHDRAWN: the update was withdrawn before it was installed
 */
enum fwgate_nack_reason {
	FWGATE_NACK_UNSPEC,
	FWGATE_NACK_DIGEST_MISMATCH,
	FWGATE_NACK_BAD_SIGNATURE,
	FWGATE_NACK_REFUSED,
	FWGATE_NACK_ROLLBACK,
	FWGATE_NACK_HEALTH,
	FWGATE_NACK_BOOT,
	FWGATE_NACK_WITHDRAWN,
};

/**
 * struct fwgate_nack_stmt - a device's negative acknowledgment
 * @magic: %FWGATE_MAGIC_NACK
 * @u_id: the image not installed
 * @o_id: the device's key id; the struct is signed with that P-256 key
 * @culprit_id: MO_id, whom the nack blames: the manufacturer or the device
 * @reason: an &enum fwgate_nack_reason
 * @reserved: zero
 * @time: UNIX seconds
 */
struct fwgate_nack_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	u_id[FWGATE_ID_LEN];
	__u8	o_id[FWGATE_ID_LEN];
	__u8	culprit_id[FWGATE_ID_LEN];
	__be32	reason;
	__be32	reserved;
	__be64	time;
} __attribute__((packed));

/**
 * struct fwgate_devcert_stmt - a device certificate cert^o = (pk^o, sign_m(pk^o))
 * @magic: %FWGATE_MAGIC_DEVCERT
 * @m_id: the manufacturer's key id; the struct is signed with that key
 * @o_type: the device type, NUL-padded
 * @pubkey: the device's P-256 key, the uncompressed point
 */
struct fwgate_devcert_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	m_id[FWGATE_ID_LEN];
	char	o_type[FWGATE_NAME_LEN];
	__u8	pubkey[65];
} __attribute__((packed));

/* ------------------------------------------- trust policy and its rotation */

/**
 * struct fwgate_policy_hdr - the head of a trust policy's canonical encoding
 * @magic: %FWGATE_MAGIC_POLICY
 * @epoch: the policy's epoch, be64; 1 for the genesis policy, one more at
 *	each rotation
 * @threshold: q, be32; at least floor(k/2)+1 and at most k
 * @checkers: k, be32; 1 to %FWGATE_MAX_CHECKERS
 *
 * Followed by 1 + k &struct fwgate_policy_key, each followed by its key's
 * encoding: the manufacturer's key first, then the k checker keys in
 * ascending order of key id (memcmp of the 32-byte ids). The policy digest is
 * the SHA-256 of the whole encoding; it is what the kernel seals and what a
 * rotation names. The device's type and id are not part of it: a rotation
 * applies to every device that trusts the same policy.
 */
struct fwgate_policy_hdr {
	__u8	magic[FWGATE_MAGIC_LEN];
	__be64	epoch;
	__be32	threshold;
	__be32	checkers;
} __attribute__((packed));

/**
 * struct fwgate_policy_key - one key in a policy's encoding
 * @alg: an &enum fwgate_key_alg
 * @reserved: zero
 * @len: length of the key encoding that follows, be16; at most
 *	%FWGATE_MAX_KEY_LEN
 */
struct fwgate_policy_key {
	__u8	alg;
	__u8	reserved;
	__be16	len;
} __attribute__((packed));

/**
 * struct fwgate_rotate_stmt - a rotation from one trust policy to the next
 * @magic: %FWGATE_MAGIC_ROTATE
 * @prev: digest of the policy in force
 * @prev_epoch: its epoch, be64
 * @next: digest of the next policy's encoding
 * @next_epoch: @prev_epoch + 1, be64; the next policy's encoding carries it
 * @issued: UNIX seconds, be64; informative
 *
 * Each signer signs these 96 bytes. A rotation takes effect only when signed
 * by the manufacturer key of the policy in force, by at least its threshold
 * of its checkers, and by every key of the next policy that the policy in
 * force does not hold (a new manufacturer key, each added checker), so that
 * nobody rotates to keys they do not hold.
 */
struct fwgate_rotate_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	prev[FWGATE_ID_LEN];
	__be64	prev_epoch;
	__u8	next[FWGATE_ID_LEN];
	__be64	next_epoch;
	__be64	issued;
} __attribute__((packed));

/* The length of the "rotate-statement" attribute. */
#define FWGATE_ROTATE_STMT_LEN	sizeof(struct fwgate_rotate_stmt)

/**
 * struct fwgate_revoke_stmt - the manufacturer revokes a device certificate
 * @magic: %FWGATE_MAGIC_REVOKE
 * @m_id: the manufacturer's key id; the struct is signed with that key
 * @o_id: the revoked device's id (its key id)
 * @reason: free for the manufacturer, be32; 0 unspecified, 1 key
 *	compromised, 2 device lost or stolen, 3 decommissioned
 * @reserved: zero
 * @time: UNIX seconds, be64
 */
struct fwgate_revoke_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	m_id[FWGATE_ID_LEN];
	__u8	o_id[FWGATE_ID_LEN];
	__be32	reason;
	__be32	reserved;
	__be64	time;
} __attribute__((packed));

/* ----------------------------------------------- rollouts and withdrawals */

/**
 * struct fwgate_control_stmt - withdraw an update, or pause or resume its
 *	rollout
 * @magic: %FWGATE_MAGIC_WITHDRAW, %FWGATE_MAGIC_PAUSE or %FWGATE_MAGIC_RESUME
 * @u_id: the update
 * @reason: SHA-256 of the advisory or note that explains it, or zero
 * @seq: be64; of the pause and resume statements of one update, the one with
 *	the highest @seq is in force; a withdrawal is final whatever its @seq
 * @issued: UNIX seconds, be64
 *
 * Each signer signs these 88 bytes. A pause or a resume is signed by the
 * manufacturer; a withdrawal by the manufacturer, or by at least the
 * policy's threshold of its checkers (a vulnerability found after approval).
 */
struct fwgate_control_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	u_id[FWGATE_ID_LEN];
	__u8	reason[FWGATE_ID_LEN];
	__be64	seq;
	__be64	issued;
} __attribute__((packed));

/* The length of the "control" attribute. */
#define FWGATE_CONTROL_STMT_LEN	sizeof(struct fwgate_control_stmt)

#define FWGATE_ROLLOUT_MAX_STAGES	8
#define FWGATE_ROLLOUT_SHARES		10000

/**
 * struct fwgate_rollout_stage - one stage of a rollout plan
 * @share: be32; the devices drawn below it, out of
 *	%FWGATE_ROLLOUT_SHARES, are in this stage or an earlier one (the
 *	share is cumulative and rises from stage to stage; the last is 10000)
 * @reserved: zero
 * @opens_at: UNIX seconds, be64, when the stage opens by itself; 0 when it
 *	opens only by an advance statement
 */
struct fwgate_rollout_stage {
	__be32	share;
	__be32	reserved;
	__be64	opens_at;
} __attribute__((packed));

/**
 * struct fwgate_rollout_stmt - a manufacturer's staged rollout plan
 * @magic: %FWGATE_MAGIC_ROLLOUT
 * @m_id: the manufacturer's key id; the struct is signed with that key
 * @u_id: the update it rolls out
 * @issued: UNIX seconds, be64
 * @stages: the stages in use, be32; 1 to %FWGATE_ROLLOUT_MAX_STAGES
 * @reserved: zero
 * @stage: the stages; those past @stages are zero
 *
 * A device's draw is the first four bytes, be32, of SHA-256(
 * %FWGATE_MAGIC_STAGE || o_id), modulo %FWGATE_ROLLOUT_SHARES; its stage is
 * the first whose @share is above its draw. Stage 0 opens with the plan
 * unless its @opens_at is later.
 */
struct fwgate_rollout_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	m_id[FWGATE_ID_LEN];
	__u8	u_id[FWGATE_ID_LEN];
	__be64	issued;
	__be32	stages;
	__be32	reserved;
	struct fwgate_rollout_stage stage[FWGATE_ROLLOUT_MAX_STAGES];
} __attribute__((packed));

/**
 * struct fwgate_advance_stmt - the manufacturer opens a rollout's stage
 * @magic: %FWGATE_MAGIC_ADVANCE
 * @u_id: the update
 * @plan: SHA-256 of the signed plan's 216 bytes
 * @stage: be32; this stage and every earlier one are open
 * @reserved: zero
 * @issued: UNIX seconds, be64
 */
struct fwgate_advance_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];
	__u8	u_id[FWGATE_ID_LEN];
	__u8	plan[FWGATE_ID_LEN];
	__be32	stage;
	__be32	reserved;
	__be64	issued;
} __attribute__((packed));

/* ------------------------------------------------------ generic netlink */

/*
 * The value enums netlink shares with the statements and the state record;
 * Documentation/netlink/specs/fwgate.yaml names them with header: linux/fwgate.h.
 */
/**
 * enum fwgate_verdict_kind - what a checker's verdict says
 * @FWGATE_VERDICT_UNSPEC: not a verdict; refused
 * @FWGATE_VERDICT_APPROVE: an approval, signed with magic %FWGATE_MAGIC_APPROVE
 * @FWGATE_VERDICT_REJECT: a rejection, signed with magic %FWGATE_MAGIC_REJECT
 */
enum fwgate_verdict_kind {
	FWGATE_VERDICT_UNSPEC,
	FWGATE_VERDICT_APPROVE,
	FWGATE_VERDICT_REJECT,
};

/**
 * enum fwgate_update_state - where a tracked update stands
 * @FWGATE_UPDATE_PENDING: fewer than q distinct trusted approvals
 * @FWGATE_UPDATE_APPROVED: q approvals; may be installed
 * @FWGATE_UPDATE_REJECTED: a majority, floor(k/2)+1, rejected it; final
 * @FWGATE_UPDATE_WITHDRAWN: a verified withdrawal (&struct
 *	fwgate_control_stmt) names it; final for the boot
 */
enum fwgate_update_state {
	FWGATE_UPDATE_PENDING = 1,
	FWGATE_UPDATE_APPROVED,
	FWGATE_UPDATE_REJECTED,
	FWGATE_UPDATE_WITHDRAWN,
};

/**
 * enum fwgate_target_type - what a target is
 * @FWGATE_TARGET_BLOCK: a block device or partition
 * @FWGATE_TARGET_MTD: an MTD device
 */
enum fwgate_target_type {
	FWGATE_TARGET_BLOCK = 1,
	FWGATE_TARGET_MTD,
};

/**
 * enum fwgate_target_state - a target's content, as the state store records it
 * @FWGATE_TARGET_UNKNOWN: never written since declared
 * @FWGATE_TARGET_VALID: the last install committed
 * @FWGATE_TARGET_WRITING: an install is streaming
 * @FWGATE_TARGET_INVALID: the last install failed or was aborted
 */
enum fwgate_target_state {
	FWGATE_TARGET_UNKNOWN,
	FWGATE_TARGET_VALID,
	FWGATE_TARGET_WRITING,
	FWGATE_TARGET_INVALID,
};

/* ------------------------------------------------------------ /dev/fwgate */

/* Opening it needs CAP_SYS_ADMIN (-EPERM without), besides its mode 0600. */
#define FWGATE_DEVICE_NAME	"fwgate"

/**
 * struct fwgate_install_begin - %FWGATE_IOC_BEGIN: start an install
 * @target: the declared target (slot) to write, NUL-terminated
 * @u_id: the image's SHA-256; an approved update's U_id
 * @size: the image's size in bytes, as the statement says
 * @version: the image's version, as the statement says
 * @flags: zero
 * @reserved: zero
 * @chunks: a user pointer to the image's hash list (%FWGATE_ID_LEN bytes per
 *	chunk); its digest must be the approved statement's @chunks field
 * @chunks_len: the hash list's length in bytes
 */
struct fwgate_install_begin {
	char	target[FWGATE_NAME_LEN];
	__u8	u_id[FWGATE_ID_LEN];
	__u64	size;
	__u64	version;
	__u32	flags;
	__u32	reserved;
	__u64	chunks;
	__u64	chunks_len;
};

/**
 * struct fwgate_install_status - %FWGATE_IOC_STATUS: the install in progress
 * @size: the declared size; 0 when idle
 * @written: the bytes accepted so far
 * @state: the target's &enum fwgate_target_state
 * @reserved: zero
 */
struct fwgate_install_status {
	__u64	size;
	__u64	written;
	__u32	state;
	__u32	reserved;
};

/*
 * 0xB9: no range of it is listed in Documentation/userspace-api/ioctl/
 * ioctl-number.rst of Linux 6.1 or 6.12, and no header of either uses it as
 * an ioctl type (0xB8 01-02 is Marvell CN10K DPI's since 6.11). Not yet
 * registered there: a submission upstream should claim it.
 */
#define FWGATE_IOC_MAGIC	0xB9
#define FWGATE_IOC_BEGIN	_IOW(FWGATE_IOC_MAGIC, 1, struct fwgate_install_begin)
#define FWGATE_IOC_COMMIT	_IO(FWGATE_IOC_MAGIC, 2)
#define FWGATE_IOC_ABORT	_IO(FWGATE_IOC_MAGIC, 3)
#define FWGATE_IOC_STATUS	_IOR(FWGATE_IOC_MAGIC, 4, struct fwgate_install_status)

/* ----------------------------------------------------- rollback state */

/*
 * The rollback state store: a small block partition holding two copies of
 * this record, at byte 0 and at byte FWGATE_STATE_COPY_SIZE. The valid copy
 * (magic and CRC32 right) with the higher seq wins; a write always replaces
 * the other copy, so a power cut leaves the previous record intact.
 *
 * The kernel writes FWGSTA02 records. It still reads a FWGSTA01 record (the
 * same record without the sealed anchor, its CRC over its
 * FWGATE_STATE_V1_LEN bytes) as one that holds no anchor.
 */
#define FWGATE_STATE_MAGIC	"FWGSTA02"
#define FWGATE_STATE_MAGIC_V1	"FWGSTA01"
#define FWGATE_STATE_COPY_SIZE	4096
#define FWGATE_STATE_ENTRIES	32

/**
 * struct fwgate_state_entry - one target's or one group's rollback state
 * @name: the target or group; "" for a free entry
 * @floor: groups: the rollback floor
 * @last_version: targets: the version last committed
 * @last_id: targets: the U_id last committed
 * @state: targets: an &enum fwgate_target_state
 * @reserved: zero
 */
struct fwgate_state_entry {
	char	name[FWGATE_NAME_LEN];
	__be64	floor;
	__be64	last_version;
	__u8	last_id[FWGATE_ID_LEN];
	__be32	state;
	__be32	reserved;
} __attribute__((packed));

/**
 * struct fwgate_state_record - one copy of the rollback state store
 * @magic: %FWGATE_STATE_MAGIC
 * @seq: raised by one on every write; the valid copy with the higher wins
 * @crc: zlib crc32() of the record computed with @crc zero
 * @count: the entries in use
 * @entry: the entries, the first @count in use
 * @sealed_epoch: the sealed trust policy's epoch, be64; 0 when the store
 *	holds no anchor (the policy is sealed at the first lock)
 * @sealed_digest: the sealed policy's digest, the SHA-256 of its encoding
 *	(&struct fwgate_policy_hdr); zero when @sealed_epoch is
 */
struct fwgate_state_record {
	__u8	magic[FWGATE_MAGIC_LEN];
	__be64	seq;
	__be32	crc;
	__be32	count;
	struct fwgate_state_entry entry[FWGATE_STATE_ENTRIES];
	__be64	sealed_epoch;
	__u8	sealed_digest[FWGATE_ID_LEN];
} __attribute__((packed));

/* The length of a FWGSTA01 record: the fields before @sealed_epoch. */
#define FWGATE_STATE_V1_LEN	(24 + FWGATE_STATE_ENTRIES * sizeof(struct fwgate_state_entry))

#endif /* _UAPI_LINUX_FWGATE_H */
