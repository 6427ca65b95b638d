/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The messages between fwgated's two halves (Documentation/fwgate/fwgated.rst, "Privilege split"), over a
 * SOCK_SEQPACKET socket pair: one message a datagram, a u32 type then the type's struct.
 *
 * The worker (network-facing, unprivileged) syncs the chain, tracks quorums, downloads, submits
 * transactions and serves fwgatectl. The monitor (root) alone talks to fwgate.ko (netlink, /dev/fwgate),
 * holds the device key, signs acknowledgements, keeps their queue and drives the bootloader. The monitor
 * checks what it can of each request: it signs an ack only for an update a kernel target holds.
 */
#ifndef FWG_AGENT_PROTO_H
#define FWG_AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

#include "nl.h"

#define FWG_MSG_DATA_MAX	(60 * 1024)
#define FWG_MSG_CHUNKS_MAX	FWG_MSG_DATA_MAX	/* a hash list: images up to 1920 MiB */
#define FWG_WORKER_SOCK_FD	3	/* fwgated-worker's end of the pair */
#define FWG_WORKER_CTL_FD	4	/* the listening control socket */

enum fwg_msg_type {
	/* worker -> monitor */
	FWG_MSG_BUNDLE = 1,	/* struct fwg_msg_bundle: hand a quorum to the kernel */
	FWG_MSG_BEGIN,		/* struct fwg_msg_begin: open an install of an approved update */
	FWG_MSG_DATA,		/* image bytes, as the mirror served them (sealed or plain) */
	FWG_MSG_END,		/* struct fwg_msg_end: commit, or abort with a reason */
	FWG_MSG_SIGN,		/* struct fwg_msg_sign: sign an ack or nack and queue it */
	FWG_MSG_INCLUDED,	/* struct fwg_msg_id: a queued transaction is in a verified block */
	FWG_MSG_UNWRAP,		/* struct fwg_msg_unwrap: open this device's entry of a sealed image */
	FWG_MSG_ROTATE,		/* struct fwg_msg_rotate: hand a policy rotation of the chain to the kernel */
	/* monitor -> worker */
	FWG_MSG_BUNDLE_DONE,	/* struct fwg_msg_result */
	FWG_MSG_BEGIN_DONE,	/* struct fwg_msg_result: slot chosen, or the kernel's refusal */
	FWG_MSG_END_DONE,	/* struct fwg_msg_result */
	FWG_MSG_SUBMIT,		/* struct fwg_msg_submit: a queued transaction to submit until included */
	FWG_MSG_COMMITTED,	/* struct fwg_msg_committed: a target holds this update (event or boot) */
	FWG_MSG_POLICY,		/* struct fwg_msg_policy: the first message, the policy the kernel enforces */
	FWG_MSG_UNWRAP_DONE,	/* struct fwg_msg_unwrapped: the image's content key, or an error */
	FWG_MSG_SIGN_FAILED,	/* struct fwg_msg_sign, as asked: not signed or not queued (ask again) */
	FWG_MSG_ROTATE_DONE,	/* struct fwg_msg_rotated: the policy then in force, or the kernel's refusal */
	FWG_MSG_CONTROL,	/* worker -> monitor, struct fwg_msg_control: hand a control statement to the kernel */
	FWG_MSG_CONTROL_DONE,	/* monitor -> worker, struct fwg_msg_result: state is the update's, 0 if untracked */
};

/*
 * Sealed images (chain/seal.h) are opened in the worker, which checks their digest and can name the mirror
 * that served bad bytes; only the unwrapping of the content key, which needs the device key, is done by the
 * monitor. That key opens this one image, which the worker is about to see in the clear anyway.
 */
struct fwg_msg_unwrap {
	uint32_t type;
	uint8_t hdr[87];	/* FWG_SEAL_HDR */
	uint8_t entry[80];	/* FWG_SEAL_PER_RECIPIENT */
};

struct fwg_msg_unwrapped {
	uint32_t type;
	int32_t err;
	uint8_t cek[32];
};

struct fwg_msg_policy {
	uint32_t type;
	uint32_t len;
	uint64_t epoch;		/* the policy's, and its digest: the rotations the worker follows start there */
	uint8_t digest[FWGATE_ID_LEN];
	char text[32768];	/* a trust-policy file (lib/files.h) */
};

/* A FWG_TX_ROTATE transaction as the chain holds it; the monitor decodes it (chain/tx.c) for the kernel. */
struct fwg_msg_rotate {
	uint32_t type;
	uint32_t len;
	uint8_t tx[FWG_MSG_DATA_MAX];
};

struct fwg_msg_rotated {
	uint32_t type;
	int32_t err;		/* 0 or -errno */
	char msg[256];
	struct fwg_policy p;	/* the policy in force afterwards, epoch and digest included */
};

struct fwg_msg_bundle {
	uint32_t type;
	struct fwgate_update_stmt stmt;
	uint32_t sig_len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
	uint32_t nv;
	struct fwg_verdict v[FWGATE_MAX_CHECKERS];
};

/* A withdrawal, pause or resume and its signatures, as the chain holds them (agent/control.c). */
struct fwg_msg_control {
	uint32_t type;
	struct fwgate_control_stmt stmt;
	uint32_t n;
	struct fwg_control_sig sig[FWGATE_MAX_CHECKERS + 1];
};

struct fwg_msg_begin {
	uint32_t type;
	struct fwgate_update_stmt stmt;
	uint32_t chunks_len;			/* the image's hash list, as the chain holds it */
	uint8_t chunks[FWG_MSG_CHUNKS_MAX];
};

struct fwg_msg_end {
	uint32_t type;
	uint8_t u_id[FWGATE_ID_LEN];
	uint32_t abort;		/* 0: commit */
	uint32_t reason;	/* enum fwgate_nack_reason when the worker found the download bad */
};

struct fwg_msg_sign {
	uint32_t type;
	uint32_t nack;		/* 0: ack */
	uint32_t reason;	/* enum fwgate_nack_reason */
	uint8_t u_id[FWGATE_ID_LEN];
	uint8_t culprit[FWGATE_ID_LEN];
	uint64_t version;
	char target[FWGATE_NAME_LEN];
};

struct fwg_msg_id {
	uint32_t type;
	uint8_t id[FWGATE_ID_LEN];
};

struct fwg_msg_result {
	uint32_t type;
	uint8_t u_id[FWGATE_ID_LEN];
	int32_t err;		/* 0 or -errno */
	uint32_t state;		/* BUNDLE_DONE: enum fwgate_update_state */
	char slot[FWGATE_NAME_LEN];
	char msg[256];
};

struct fwg_msg_submit {
	uint32_t type;
	uint8_t id[FWGATE_ID_LEN];
	uint32_t len;
	uint8_t tx[4096];
};

struct fwg_msg_committed {
	uint32_t type;
	uint8_t u_id[FWGATE_ID_LEN];
	uint64_t version;
	char target[FWGATE_NAME_LEN];
};

/* The type of a well-formed worker -> monitor message of @len bytes, or -1. */
int fwg_msg_check(const void *buf, size_t len);

#endif
