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
#define FWGATE_MAGIC_UPDATE	"FWGUPD01"	/* manufacturer: update T */
#define FWGATE_MAGIC_APPROVE	"FWGAPR01"	/* checker: approval A */
#define FWGATE_MAGIC_REJECT	"FWGREJ01"	/* checker: rejection NA */
#define FWGATE_MAGIC_ACK	"FWGACK01"	/* device: install ack */
#define FWGATE_MAGIC_NACK	"FWGNAK01"	/* device: negative ack */
#define FWGATE_MAGIC_DEVCERT	"FWGCRT01"	/* manufacturer: device cert */

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
} __attribute__((packed));

/* The length of the "statement" attribute. */
#define FWGATE_UPDATE_STMT_LEN	sizeof(struct fwgate_update_stmt)

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

/*
 * The value enums netlink shares with the statements and the state record;
 * Documentation/netlink/specs/fwgate.yaml names them with header: linux/fwgate.h.
 */
enum fwgate_verdict_kind {
	FWGATE_VERDICT_UNSPEC,
	FWGATE_VERDICT_APPROVE,
	FWGATE_VERDICT_REJECT,
};

enum fwgate_update_state {
	FWGATE_UPDATE_PENDING = 1,	/* fewer than q approvals */
	FWGATE_UPDATE_APPROVED,		/* q approvals, may be installed */
	FWGATE_UPDATE_REJECTED,		/* a majority rejected: refused */
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

/* ------------------------------------------------------------ /dev/fwgate */

#define FWGATE_DEVICE_NAME	"fwgate"

/* Starts an install. flags and reserved must be zero. */
struct fwgate_install_begin {
	char	target[FWGATE_NAME_LEN];	/* declared target (slot) */
	__u8	u_id[FWGATE_ID_LEN];
	__u64	size;
	__u64	version;
	__u32	flags;
	__u32	reserved;
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
