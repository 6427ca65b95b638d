/* SPDX-License-Identifier: GPL-2.0 */
/* What guard.bpf.c and its loader share: the denial record and the counters' indexes. */
#ifndef FWG_BPF_GUARD_H
#define FWG_BPF_GUARD_H

/* Why a write path was denied: an index into the stats map. */
enum guard_reason {
	GUARD_WRITE_OPEN,	/* open for write of a protected device node */
	GUARD_DISCARD,		/* BLKDISCARD, BLKZEROOUT, BLKSECDISCARD */
	GUARD_PASSTHROUGH,	/* SG_IO, SCSI_IOCTL_SEND_COMMAND, NVMe and MMC commands */
	GUARD_READONLY,		/* BLKROSET */
	GUARD_PARTITION,	/* BLKPG: a new partition over protected sectors */
	GUARD_MTD_WRITE,	/* MTD erase, write, OOB write, unlock, bad-block, OTP */
	GUARD_DM_TABLE,		/* device-mapper table load */
	GUARD_UBI_ATTACH,	/* UBI attach of a protected MTD device */
	GUARD_EVENTS_LOST,	/* not a denial: the ring buffer was full */
	GUARD_NR_REASONS,
};

enum guard_hook {
	GUARD_HOOK_FILE_OPEN = 1,
	GUARD_HOOK_FILE_IOCTL,
};

/* protected map values: what is denied on a device number. */
#define GUARD_DENY_WRITE_OPEN	0x1
#define GUARD_DENY_IOCTL	0x2

struct guard_event {
	__u32	pid;
	__u32	dev;		/* kernel dev_t: major << 20 | minor */
	__u32	hook;		/* enum guard_hook */
	__u32	reason;		/* enum guard_reason */
	__u32	cmd;		/* ioctl command, 0 for an open */
	__u32	reserved;
	char	comm[16];
};

#endif
