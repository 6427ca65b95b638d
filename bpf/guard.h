/* SPDX-License-Identifier: GPL-2.0 */
/* What guard.bpf.c and its loader share: the denial record, the counters' indexes and the self map's keys. */
#ifndef FWG_BPF_GUARD_H
#define FWG_BPF_GUARD_H

/* Why a write path was denied: an index into the stats map. */
enum guard_reason {
	GUARD_WRITE_OPEN,	/* open for write of a protected device node */
	GUARD_DISCARD,		/* BLKDISCARD, BLKZEROOUT, BLKSECDISCARD */
	GUARD_PASSTHROUGH,	/* SG_IO, SCSI_IOCTL_SEND_COMMAND, NVMe and MMC commands, io_uring commands */
	GUARD_READONLY,		/* BLKROSET */
	GUARD_PARTITION,	/* BLKPG: a new partition over protected sectors */
	GUARD_MTD_WRITE,	/* MTD erase, write, OOB write, unlock, bad-block, OTP */
	GUARD_DM_TABLE,		/* device-mapper table load */
	GUARD_UBI_ATTACH,	/* UBI attach of a protected MTD device */
	GUARD_WRITE_FD,		/* write, fallocate, splice... through an fd opened for write before the guard */
	GUARD_MMAP_WRITE,	/* a shared writable mapping of a protected device */
	GUARD_SELF,		/* a change to the guard: its maps, programs, links, pins, loader */
	GUARD_KERNEL_CODE,	/* a module load or a kexec image */
	GUARD_HOTPLUG,		/* device removal, rescan, host-add, driver bind in sysfs; nvmet device_path */
	GUARD_EVENTS_LOST,	/* not a denial: the ring buffer was full */
	GUARD_NR_REASONS,
};

enum guard_hook {
	GUARD_HOOK_FILE_OPEN = 1,
	GUARD_HOOK_FILE_IOCTL,
	GUARD_HOOK_FILE_PERMISSION,
	GUARD_HOOK_MMAP_FILE,
	GUARD_HOOK_FILE_MPROTECT,
	GUARD_HOOK_URING_CMD,
	GUARD_HOOK_BPF,
	GUARD_HOOK_BPF_MAP,
	GUARD_HOOK_BPF_PROG,
	GUARD_HOOK_INODE,
	GUARD_HOOK_SB_UMOUNT,
	GUARD_HOOK_PTRACE,
	GUARD_HOOK_KERNEL_READ_FILE,
	GUARD_HOOK_KERNEL_LOAD_DATA,
	GUARD_NR_HOOKS,
};

/* protected map values: what is denied on a device number. */
#define GUARD_DENY_WRITE_OPEN	0x1
#define GUARD_DENY_IOCTL	0x2
#define GUARD_DENY_ANY_OPEN	0x4	/* NVMe generic nodes, on kernels without the uring_cmd hook */

/* ioctls are matched by type and number: the size and direction bits of a command are masked off. */
#define GUARD_IOCTL_KEY(cmd)	((cmd) & 0xffff)

/* The longest sysfs or configfs attribute name the hotplug check compares, with its NUL. */
#define GUARD_NAME_LEN		16

/*
 * Keys of the self map, which the lock sequence fills and freezes once the guard is pinned: the ids of the
 * guard's own maps, programs and links, the inode numbers of its pins, its loader's pid. A SEALED key turns on
 * what only a locked device denies: changes to the guard, kernel code, hotplug.
 */
enum guard_self_kind {
	GUARD_SELF_SEALED = 1,
	GUARD_SELF_MAP,
	GUARD_SELF_PROG,
	GUARD_SELF_LINK,
	GUARD_SELF_PIN_INO,
	GUARD_SELF_LOADER,
};

struct guard_self_key {
	__u32	kind;		/* enum guard_self_kind */
	__u32	pad;
	__u64	id;
};

/* Self map values for GUARD_SELF_MAP: which fds of that map may still be made. */
#define GUARD_SELF_NO_FD	0
#define GUARD_SELF_READ_FD	1	/* read-only: the counters */
#define GUARD_SELF_ANY_FD	2	/* the ring buffer, whose reader maps its consumer page writable */

struct guard_event {
	__u32	pid;
	__u32	dev;		/* kernel dev_t: major << 20 | minor */
	__u32	hook;		/* enum guard_hook */
	__u32	reason;		/* enum guard_reason */
	__u32	cmd;		/* ioctl command or bpf command, 0 otherwise */
	__u32	reserved;
	char	comm[16];
};

#endif
