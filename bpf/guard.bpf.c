// SPDX-License-Identifier: GPL-2.0
/*
 * The write guard: BPF LSM programs that, while fwgate's policy is locked, deny every userspace write path to
 * the protected device numbers (the targets' partitions, their whole disks or MTD masters, and the other
 * nodes that reach the same media). fwgate.ko writes with bios from inside the kernel and opens no file, so
 * no hook here sees its installs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "guard.h"

#define EPERM		1
#define S_IFMT		00170000
#define S_IFBLK		0060000
#define S_IFCHR		0020000
#define FMODE_WRITE	0x2
#define MTD_CHAR_MAJOR	90

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader from /sys/kernel/fwgate/policy/locked once the protected set is complete. */
bool locked;

/* UBI_IOCATT, whose request names an MTD device by number; 0 when the loader has no UBI header. */
const volatile __u32 ubi_attach_cmd;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);	/* kernel dev_t */
	__type(value, __u32);	/* GUARD_DENY_* */
} protected SEC(".maps");

/* ioctl commands denied on a protected device. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);	/* cmd */
	__type(value, __u32);	/* enum guard_reason */
} ioctl_deny SEC(".maps");

/* ioctl commands denied on any file while locked: they map devices the hooks can not see by number. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} ioctl_deny_any SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GUARD_NR_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static void count(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &reason);

	if (n)
		(*n)++;
}

static int deny(__u32 dev, __u32 hook, __u32 reason, __u32 cmd)
{
	struct guard_event *e;

	count(reason);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(GUARD_EVENTS_LOST);
		return -EPERM;
	}
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->dev = dev;
	e->hook = hook;
	e->reason = reason;
	e->cmd = cmd;
	e->reserved = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return -EPERM;
}

/*
 * The GUARD_DENY_* flags of the device node @file opens, 0 for anything else. The hooks' arguments are typed
 * (BTF): plain loads, relocated by CO-RE, cost less on this hot path than bpf_probe_read_kernel().
 */
static __u32 protection(struct file *file, __u32 *dev)
{
	struct inode *inode = file->f_inode;
	umode_t mode = inode->i_mode & S_IFMT;
	__u32 *what;

	if (mode != S_IFBLK && mode != S_IFCHR)
		return 0;
	*dev = inode->i_rdev;
	what = bpf_map_lookup_elem(&protected, dev);
	return what ? *what : 0;
}

SEC("lsm/file_open")
int BPF_PROG(guard_file_open, struct file *file, int ret)
{
	__u32 dev;

	if (ret || !locked || !(file->f_mode & FMODE_WRITE))
		return ret;
	if (!(protection(file, &dev) & GUARD_DENY_WRITE_OPEN))
		return 0;
	return deny(dev, GUARD_HOOK_FILE_OPEN, GUARD_WRITE_OPEN, 0);
}

/* UBI attaches an MTD device it opens inside the kernel: check the number the request names. */
static int ubi_attach(unsigned long arg, __u32 cmd)
{
	struct {
		__s32 ubi_num;
		__s32 mtd_num;
	} req;
	__u32 dev;

	if (bpf_probe_read_user(&req, sizeof(req), (void *)arg))
		return deny(0, GUARD_HOOK_FILE_IOCTL, GUARD_UBI_ATTACH, cmd);
	if (req.mtd_num < 0 || req.mtd_num >= 1 << 19)
		return 0;
	dev = MTD_CHAR_MAJOR << 20 | (__u32)req.mtd_num * 2;
	if (!bpf_map_lookup_elem(&protected, &dev))
		return 0;
	return deny(dev, GUARD_HOOK_FILE_IOCTL, GUARD_UBI_ATTACH, cmd);
}

static int check_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	__u32 *reason, dev = 0;

	if (!locked)
		return 0;
	reason = bpf_map_lookup_elem(&ioctl_deny_any, &cmd);
	if (reason)
		return deny(file->f_inode->i_rdev, GUARD_HOOK_FILE_IOCTL, *reason, cmd);
	if (ubi_attach_cmd && cmd == ubi_attach_cmd)
		return ubi_attach(arg, cmd);
	if (!(protection(file, &dev) & GUARD_DENY_IOCTL))
		return 0;
	reason = bpf_map_lookup_elem(&ioctl_deny, &cmd);
	if (!reason)
		return 0;
	return deny(dev, GUARD_HOOK_FILE_IOCTL, *reason, cmd);
}

SEC("lsm/file_ioctl")
int BPF_PROG(guard_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ret ?: check_ioctl(file, cmd, arg);
}

/* Since 6.8, 32-bit callers reach this hook instead; the loader skips it on kernels without it. */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(guard_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ret ?: check_ioctl(file, cmd, arg);
}
