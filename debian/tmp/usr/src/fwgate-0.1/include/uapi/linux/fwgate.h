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

/* ---------------------------------------------------------------- limits */

#define FWGATE_ID_LEN		32	/* SHA-256: key ids, U_id, O_id */
#define FWGATE_NAME_LEN		32	/* O_type, target names, NUL included */
#define FWGATE_MAGIC_LEN	8
#define FWGATE_MAX_CHECKERS	16	/* k */
#define FWGATE_MAX_KEY_LEN	600	/* DER RSAPublicKey up to 4096 bits */
#define FWGATE_MAX_SIG_LEN	512
#define FWGATE_MAX_VERDICTS	(2 * FWGATE_MAX_CHECKERS)	/* per bundle */
#define FWGATE_MAX_UPDATES	64	/* updates the kernel tracks at once */
#define FWGATE_MAX_TARGETS	16
#define FWGATE_MAX_SPEC_LEN	128	/* a target's device spec */
#define FWGATE_CHUNK_LEN	(1 << 20)	/* an image's hash-list chunk */

/* ------------------------------------------------------------------ keys */

/*
 * Key algorithms. A key's id is the SHA-256 of its encoding:
 *  RSA-3072: the DER RSAPublicKey (PKCS#1), signatures are PKCS#1 v1.5 over
 *            SHA-256, 384 bytes;
 *  P-256:    the 65-byte uncompressed point 0x04||X||Y, signatures are
 *            ECDSA over SHA-256 in DER (X9.62). Kernels without ECDSA
 *            refuse such keys with -EOPNOTSUPP.
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

/*
 * An image's hash list: the SHA-256 of each FWGATE_CHUNK_LEN chunk of the
 * image (the last one shorter), concatenated, ceil(size / FWGATE_CHUNK_LEN)
 * digests. The update statement commits to it by its digest, the SHA-256 of
 * this header followed by the list; /dev/fwgate checks every chunk against
 * the list before it writes any byte of it.
 */
struct fwgate_chunks_hdr {
	__u8	magic[FWGATE_MAGIC_LEN];	/* FWGATE_MAGIC_CHUNKS */
	__be32	chunk_len;			/* FWGATE_CHUNK_LEN */
} __attribute__((packed));

/* The manufacturer's update statement, signed with the key m_id names. */
struct fwgate_update_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];	/* FWGATE_MAGIC_UPDATE */
	__u8	m_id[FWGATE_ID_LEN];		/* manufacturer key id */
	__u8	u_id[FWGATE_ID_LEN];		/* SHA-256 of the image */
	__be64	version;			/* U_v, > rollback floor */
	__be64	size;				/* image size in bytes */
	char	o_type[FWGATE_NAME_LEN];	/* device type, NUL-padded */
	char	target[FWGATE_NAME_LEN];	/* target group, NUL-padded */
	__u8	o_id[FWGATE_ID_LEN];		/* one device, or all zero */
	__be64	issued;				/* UNIX seconds, informative */
	__u8	chunks[FWGATE_ID_LEN];		/* digest of the hash list */
} __attribute__((packed));

/*
 * A checker's verdict: the signed message is this whole struct, which embeds
 * the exact update statement it judges.
 */
struct fwgate_verdict_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];	/* _APPROVE or _REJECT */
	__u8	checker_id[FWGATE_ID_LEN];	/* checker key id */
	__u8	report[FWGATE_ID_LEN];		/* SHA-256 of the report */
	struct fwgate_update_stmt update;
} __attribute__((packed));

/* A device's acknowledgement of an install, signed with its P-256 key. */
struct fwgate_ack_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];	/* FWGATE_MAGIC_ACK */
	__u8	u_id[FWGATE_ID_LEN];
	__u8	o_id[FWGATE_ID_LEN];		/* device key id */
	__be64	version;
	char	target[FWGATE_NAME_LEN];	/* the slot written */
	__be64	time;
} __attribute__((packed));

/* Negative ack reasons. */
enum fwgate_nack_reason {
	FWGATE_NACK_UNSPEC,
	FWGATE_NACK_DIGEST_MISMATCH,	/* a mirror served other bytes */
	FWGATE_NACK_BAD_SIGNATURE,	/* a statement failed to verify */
	FWGATE_NACK_REFUSED,		/* the kernel refused the install */
	FWGATE_NACK_ROLLBACK,		/* version at or below the floor */
};

/* A device's negative acknowledgement, naming the culprit MO_id. */
struct fwgate_nack_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];	/* FWGATE_MAGIC_NACK */
	__u8	u_id[FWGATE_ID_LEN];
	__u8	o_id[FWGATE_ID_LEN];
	__u8	culprit_id[FWGATE_ID_LEN];	/* manufacturer or device id */
	__be32	reason;				/* enum fwgate_nack_reason */
	__be32	reserved;			/* zero */
	__be64	time;
} __attribute__((packed));

/* A device certificate cert^o = (pk^o, sign_m(pk^o)). */
struct fwgate_devcert_stmt {
	__u8	magic[FWGATE_MAGIC_LEN];	/* FWGATE_MAGIC_DEVCERT */
	__u8	m_id[FWGATE_ID_LEN];
	char	o_type[FWGATE_NAME_LEN];
	__u8	pubkey[65];			/* P-256 uncompressed point */
} __attribute__((packed));

/* ------------------------------------------------------ generic netlink */

#define FWGATE_GENL_NAME	"fwgate"
#define FWGATE_GENL_VERSION	1
#define FWGATE_MCGRP_EVENTS	"events"

/*
 * Commands. Those marked admin need CAP_NET_ADMIN (GENL_ADMIN_PERM).
 *
 * POLICY_SET (admin): replace the trust policy; -EPERM once locked.
 * POLICY_LOCK (admin): lock the policy until reboot.
 * POLICY_GET: the policy (doit).
 * BUNDLE_SUBMIT (admin): a statement, its manufacturer signature and checker
 *	verdicts; replies with one FWGATE_A_UPDATE nest.
 * UPDATE_GET: dump of the tracked updates, one FWGATE_A_UPDATE each.
 * TARGET_GET: dump of the targets, one FWGATE_A_TARGET each.
 * APPROVAL_NTF, INSTALL_NTF: multicast events on "events".
 */
enum fwgate_cmd {
	FWGATE_CMD_UNSPEC,
	FWGATE_CMD_POLICY_GET,
	FWGATE_CMD_POLICY_SET,
	FWGATE_CMD_POLICY_LOCK,
	FWGATE_CMD_BUNDLE_SUBMIT,
	FWGATE_CMD_UPDATE_GET,
	FWGATE_CMD_TARGET_GET,
	FWGATE_CMD_APPROVAL_NTF,
	FWGATE_CMD_INSTALL_NTF,

	__FWGATE_CMD_MAX,
	FWGATE_CMD_MAX = __FWGATE_CMD_MAX - 1
};

enum fwgate_attr {
	FWGATE_A_UNSPEC,
	FWGATE_A_PAD,
	FWGATE_A_OTYPE,		/* string, < FWGATE_NAME_LEN */
	FWGATE_A_DEVICE_ID,	/* binary, FWGATE_ID_LEN */
	FWGATE_A_THRESHOLD,	/* u32, q */
	FWGATE_A_LOCKED,	/* u8, POLICY_GET only */
	FWGATE_A_MANUFACTURER,	/* nest, enum fwgate_key_attr */
	FWGATE_A_CHECKERS,	/* nest of nests, enum fwgate_key_attr */
	FWGATE_A_STATEMENT,	/* binary, struct fwgate_update_stmt */
	FWGATE_A_SIGNATURE,	/* binary, manufacturer signature */
	FWGATE_A_VERDICTS,	/* nest of nests, enum fwgate_verdict_attr */
	FWGATE_A_UPDATE,	/* nest, enum fwgate_update_attr */
	FWGATE_A_TARGET,	/* nest, enum fwgate_target_attr */
	FWGATE_A_EVENT,		/* u32, enum fwgate_event */
	FWGATE_A_ERRNO,		/* u32, positive errno of a refusal */
	FWGATE_A_REASON,	/* string, why something was refused */

	__FWGATE_A_MAX,
	FWGATE_A_MAX = __FWGATE_A_MAX - 1
};

enum fwgate_key_attr {
	FWGATE_A_KEY_UNSPEC,
	FWGATE_A_KEY_ALG,	/* u32, enum fwgate_key_alg */
	FWGATE_A_KEY_DATA,	/* binary, the key encoding */
	FWGATE_A_KEY_ID,	/* binary, SHA-256(DATA); optional on input */

	__FWGATE_A_KEY_MAX,
	FWGATE_A_KEY_MAX = __FWGATE_A_KEY_MAX - 1
};

enum fwgate_verdict_kind {
	FWGATE_VERDICT_UNSPEC,
	FWGATE_VERDICT_APPROVE,
	FWGATE_VERDICT_REJECT,
};

enum fwgate_verdict_attr {
	FWGATE_A_VERDICT_UNSPEC,
	FWGATE_A_VERDICT_KIND,		/* u32, enum fwgate_verdict_kind */
	FWGATE_A_VERDICT_CHECKER,	/* binary, checker key id */
	FWGATE_A_VERDICT_REPORT,	/* binary, SHA-256 of the report */
	FWGATE_A_VERDICT_SIGNATURE,	/* binary */

	__FWGATE_A_VERDICT_MAX,
	FWGATE_A_VERDICT_MAX = __FWGATE_A_VERDICT_MAX - 1
};

enum fwgate_update_state {
	FWGATE_UPDATE_PENDING = 1,	/* fewer than q approvals */
	FWGATE_UPDATE_APPROVED,		/* q approvals, may be installed */
	FWGATE_UPDATE_REJECTED,		/* a majority rejected: refused */
};

enum fwgate_update_attr {
	FWGATE_A_UPDATE_UNSPEC,
	FWGATE_A_UPDATE_PAD,
	FWGATE_A_UPDATE_ID,		/* binary, U_id */
	FWGATE_A_UPDATE_VERSION,	/* u64 */
	FWGATE_A_UPDATE_SIZE,		/* u64 */
	FWGATE_A_UPDATE_TARGET,		/* string, target group */
	FWGATE_A_UPDATE_STATE,		/* u32, enum fwgate_update_state */
	FWGATE_A_UPDATE_APPROVALS,	/* u32, distinct trusted approvers */
	FWGATE_A_UPDATE_REJECTIONS,	/* u32, distinct trusted rejecters */
	FWGATE_A_UPDATE_ACCEPTED,	/* u32, verdicts this bundle added */
	FWGATE_A_UPDATE_IGNORED,	/* u32, verdicts counted zero */

	__FWGATE_A_UPDATE_MAX,
	FWGATE_A_UPDATE_MAX = __FWGATE_A_UPDATE_MAX - 1
};

enum fwgate_target_type {
	FWGATE_TARGET_BLOCK = 1,
	FWGATE_TARGET_MTD,
};

enum fwgate_target_state {
	FWGATE_TARGET_UNKNOWN,		/* never written since declared */
	FWGATE_TARGET_VALID,		/* last install committed */
	FWGATE_TARGET_WRITING,		/* an install is streaming */
	FWGATE_TARGET_INVALID,		/* last install failed or aborted */
};

enum fwgate_target_attr {
	FWGATE_A_TARGET_UNSPEC,
	FWGATE_A_TARGET_PAD,
	FWGATE_A_TARGET_NAME,		/* string */
	FWGATE_A_TARGET_GROUP,		/* string */
	FWGATE_A_TARGET_SPEC,		/* string, as declared */
	FWGATE_A_TARGET_TYPE,		/* u32, enum fwgate_target_type */
	FWGATE_A_TARGET_SIZE,		/* u64, bytes */
	FWGATE_A_TARGET_FLOOR,		/* u64, the group's rollback floor */
	FWGATE_A_TARGET_LAST_ID,	/* binary, U_id last committed */
	FWGATE_A_TARGET_LAST_VERSION,	/* u64 */
	FWGATE_A_TARGET_STATE,		/* u32, enum fwgate_target_state */

	__FWGATE_A_TARGET_MAX,
	FWGATE_A_TARGET_MAX = __FWGATE_A_TARGET_MAX - 1
};

enum fwgate_event {
	FWGATE_EVENT_APPROVAL_ACCEPTED = 1,	/* a bundle added verdicts */
	FWGATE_EVENT_APPROVAL_REFUSED,		/* a bundle was refused */
	FWGATE_EVENT_INSTALL_COMMITTED,		/* target, U_id, version */
	FWGATE_EVENT_INSTALL_REFUSED,		/* errno and reason */
};

/* ------------------------------------------------------------ /dev/fwgate */

#define FWGATE_DEVICE_NAME	"fwgate"

/*
 * Starts an install. flags and reserved must be zero. chunks points at the
 * image's hash list, chunks_len bytes (FWGATE_ID_LEN per chunk); its digest
 * must be the approved statement's chunks field.
 */
struct fwgate_install_begin {
	char	target[FWGATE_NAME_LEN];	/* declared target (slot) */
	__u8	u_id[FWGATE_ID_LEN];
	__u64	size;
	__u64	version;
	__u32	flags;
	__u32	reserved;
	__u64	chunks;				/* user pointer: the hash list */
	__u64	chunks_len;			/* bytes */
};

struct fwgate_install_status {
	__u64	size;		/* declared size, 0 when idle */
	__u64	written;	/* bytes accepted so far */
	__u32	state;		/* enum fwgate_target_state of the target */
	__u32	reserved;
};

#define FWGATE_IOC_MAGIC	0xB8	/* free in ioctl-number.rst */
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
 */
#define FWGATE_STATE_MAGIC	"FWGSTA01"
#define FWGATE_STATE_COPY_SIZE	4096
#define FWGATE_STATE_ENTRIES	32

struct fwgate_state_entry {
	char	name[FWGATE_NAME_LEN];		/* target or group, "" = free */
	__be64	floor;				/* groups: rollback floor */
	__be64	last_version;			/* targets: last committed */
	__u8	last_id[FWGATE_ID_LEN];		/* targets: last U_id */
	__be32	state;				/* enum fwgate_target_state */
	__be32	reserved;
} __attribute__((packed));

struct fwgate_state_record {
	__u8	magic[FWGATE_MAGIC_LEN];	/* FWGATE_STATE_MAGIC */
	__be64	seq;
	__be32	crc;		/* zlib crc32() of the record, crc = 0 */
	__be32	count;		/* entries in use */
	struct fwgate_state_entry entry[FWGATE_STATE_ENTRIES];
} __attribute__((packed));

#endif /* _UAPI_LINUX_FWGATE_H */
