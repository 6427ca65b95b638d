// SPDX-License-Identifier: GPL-2.0
/*
 * The write guard: BPF LSM programs that deny every userspace write path to the protected device numbers (the
 * targets' partitions, their whole disks or MTD masters, the other nodes that reach the same media, the state
 * store's device) from the moment they are attached. Once the lock sequence seals it (the self map), the guard
 * also refuses changes to itself, kernel code (modules, kexec) and device hotplug. fwgate.ko writes with bios
 * from inside the kernel and opens no file, so no hook here sees its installs. Documentation/fwgate/bpf.rst.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "guard.h"

#define EPERM		1
#define S_IFMT		00170000
#define S_IFBLK		0060000
#define S_IFCHR		0020000
#define FMODE_WRITE	0x2
#define MAY_WRITE	0x2
#define PROT_WRITE	0x2
#define MAP_SHARED	0x1
#define VM_SHARED	0x8
#define PTRACE_MODE_ATTACH	0x02
#define MTD_CHAR_MAJOR	90
#define SYSFS_MAGIC	0x62656572
#define CONFIGFS_MAGIC	0x62656570
#define BPF_FS_MAGIC	0xcafe4a11

char LICENSE[] SEC("license") = "GPL";

/* GUARD_IOCTL_KEY(UBI_IOCATT), whose request names an MTD device by number; 0 when the loader has none. */
const volatile __u32 ubi_attach_key;
/* The kernel has no uring_cmd hook: io_uring passthrough is refused by refusing the node's every open. */
const volatile bool deny_any_open;
/* Module loading stays open (for signed modules: lockdown checks the signature) after the seal. */
const volatile bool signed_modules;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);	/* kernel dev_t */
	__type(value, __u32);	/* GUARD_DENY_* */
} protected SEC(".maps");

/* ioctls denied on a protected device, by GUARD_IOCTL_KEY. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);	/* enum guard_reason */
} ioctl_deny SEC(".maps");

/* ioctls denied on any file: they map devices the hooks can not see by number. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} ioctl_deny_any SEC(".maps");

/* sysfs and configfs attributes that remove, rescan, add or rebind devices: no write-open once sealed. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, char[GUARD_NAME_LEN]);
	__type(value, __u32);
} hotplug_deny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct guard_self_key);
	__type(value, __u32);
} self SEC(".maps");

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

static __u32 *self_lookup(__u32 kind, __u64 id)
{
	struct guard_self_key k = { .kind = kind, .id = id };

	return bpf_map_lookup_elem(&self, &k);
}

static bool sealed(void)
{
	return self_lookup(GUARD_SELF_SEALED, 0);
}

/*
 * The GUARD_DENY_* flags of the device node @inode is, 0 for anything else. The hooks' arguments are typed
 * (BTF): plain loads, relocated by CO-RE, cost less on this hot path than bpf_probe_read_kernel().
 */
static __u32 protection(struct inode *inode, __u32 *dev)
{
	umode_t mode = inode->i_mode & S_IFMT;
	__u32 *what;

	if (mode != S_IFBLK && mode != S_IFCHR)
		return 0;
	*dev = inode->i_rdev;
	what = bpf_map_lookup_elem(&protected, dev);
	return what ? *what : 0;
}

/* A write-open of a sysfs/configfs attribute that changes which devices exist, or of one of the guard's pins. */
static int check_special_open(struct file *file, struct inode *inode)
{
	unsigned long magic = inode->i_sb->s_magic;
	char name[GUARD_NAME_LEN] = {};

	if (magic != SYSFS_MAGIC && magic != CONFIGFS_MAGIC && magic != BPF_FS_MAGIC)
		return 0;
	if (!sealed())
		return 0;
	if (magic == BPF_FS_MAGIC)
		return self_lookup(GUARD_SELF_PIN_INO, inode->i_ino) ?
			deny(0, GUARD_HOOK_FILE_OPEN, GUARD_SELF, 0) : 0;
	bpf_probe_read_kernel_str(name, sizeof(name), file->f_path.dentry->d_name.name);
	if (!bpf_map_lookup_elem(&hotplug_deny, name))
		return 0;
	return deny(0, GUARD_HOOK_FILE_OPEN, GUARD_HOTPLUG, 0);
}

SEC("lsm/file_open")
int BPF_PROG(guard_file_open, struct file *file)
{
	struct inode *inode = file->f_inode;
	__u32 dev;

	if (deny_any_open && protection(inode, &dev) & GUARD_DENY_ANY_OPEN)
		return deny(dev, GUARD_HOOK_FILE_OPEN, GUARD_PASSTHROUGH, 0);
	if (!(file->f_mode & FMODE_WRITE))
		return 0;
	if (protection(inode, &dev) & GUARD_DENY_WRITE_OPEN)
		return deny(dev, GUARD_HOOK_FILE_OPEN, GUARD_WRITE_OPEN, 0);
	return check_special_open(file, inode);
}

/* Every write through an fd, whenever it was opened: write(v), splice, sendfile, copy_file_range, fallocate, aio. */
SEC("lsm/file_permission")
int BPF_PROG(guard_file_permission, struct file *file, int mask)
{
	__u32 dev;

	if (!(mask & MAY_WRITE))
		return 0;
	if (!(protection(file->f_inode, &dev) & GUARD_DENY_WRITE_OPEN))
		return 0;
	return deny(dev, GUARD_HOOK_FILE_PERMISSION, GUARD_WRITE_FD, 0);
}

SEC("lsm/mmap_file")
int BPF_PROG(guard_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags)
{
	__u32 dev;

	if (!file || !(prot & PROT_WRITE) || !(flags & MAP_SHARED))
		return 0;
	if (!(protection(file->f_inode, &dev) & GUARD_DENY_WRITE_OPEN))
		return 0;
	return deny(dev, GUARD_HOOK_MMAP_FILE, GUARD_MMAP_WRITE, 0);
}

/* A shared read-only mapping made writable: mprotect() does not go through mmap_file. */
SEC("lsm/file_mprotect")
int BPF_PROG(guard_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot)
{
	struct file *file = vma->vm_file;
	__u32 dev;

	if (!file || !(prot & PROT_WRITE) || !(vma->vm_flags & VM_SHARED))
		return 0;
	if (!(protection(file->f_inode, &dev) & GUARD_DENY_WRITE_OPEN))
		return 0;
	return deny(dev, GUARD_HOOK_FILE_MPROTECT, GUARD_MMAP_WRITE, 0);
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
	__u32 *reason, dev = 0, key = GUARD_IOCTL_KEY(cmd);

	reason = bpf_map_lookup_elem(&ioctl_deny_any, &key);
	if (reason)
		return deny(file->f_inode->i_rdev, GUARD_HOOK_FILE_IOCTL, *reason, cmd);
	if (ubi_attach_key && key == ubi_attach_key)
		return ubi_attach(arg, cmd);
	if (!(protection(file->f_inode, &dev) & GUARD_DENY_IOCTL))
		return 0;
	reason = bpf_map_lookup_elem(&ioctl_deny, &key);
	if (!reason)
		return 0;
	return deny(dev, GUARD_HOOK_FILE_IOCTL, *reason, cmd);
}

SEC("lsm/file_ioctl")
int BPF_PROG(guard_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return check_ioctl(file, cmd, arg);
}

/* Since 6.8, 32-bit callers reach this hook instead; the loader skips it on kernels without it. */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(guard_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg)
{
	return check_ioctl(file, cmd, arg);
}

/* io_uring passthrough (NVMe generic nodes, block discard) reaches the driver without an ioctl. */
SEC("lsm/uring_cmd")
int BPF_PROG(guard_uring_cmd, struct io_uring_cmd *ioucmd)
{
	__u32 dev;

	if (!(protection(ioucmd->file->f_inode, &dev) & GUARD_DENY_IOCTL))
		return 0;
	return deny(dev, GUARD_HOOK_URING_CMD, GUARD_PASSTHROUGH, 0);
}

/* ------------------------------------------------------------ once sealed */

/*
 * What would undo the guard through bpf(2): detaching or replacing its links, an fd to one of its links, a
 * program that replaces one of its programs (freplace) or the return value of a security_*() function
 * (fmod_ret).
 */
SEC("lsm/bpf")
int BPF_PROG(guard_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	if (!sealed())
		return 0;
	switch (cmd) {
	case BPF_LINK_DETACH:
	case BPF_LINK_UPDATE:
		break;
	case BPF_LINK_GET_FD_BY_ID:
		if (!self_lookup(GUARD_SELF_LINK, attr->link_id))
			return 0;
		break;
	case BPF_PROG_LOAD:
		if (attr->prog_type == BPF_PROG_TYPE_EXT)
			break;
		if (attr->prog_type == BPF_PROG_TYPE_TRACING && attr->expected_attach_type == BPF_MODIFY_RETURN)
			break;
		return 0;
	default:
		return 0;
	}
	return deny(0, GUARD_HOOK_BPF, GUARD_SELF, cmd);
}

/* A new fd to one of the guard's maps, by id or pin: none writable, except the ring buffer's. */
SEC("lsm/bpf_map")
int BPF_PROG(guard_bpf_map, struct bpf_map *map, fmode_t fmode)
{
	__u32 *allowed;

	if (!sealed())
		return 0;
	allowed = self_lookup(GUARD_SELF_MAP, map->id);
	if (!allowed || *allowed == GUARD_SELF_ANY_FD ||
	    (*allowed == GUARD_SELF_READ_FD && !(fmode & FMODE_WRITE)))
		return 0;
	return deny(0, GUARD_HOOK_BPF_MAP, GUARD_SELF, map->id);
}

SEC("lsm/bpf_prog")
int BPF_PROG(guard_bpf_prog, struct bpf_prog *prog)
{
	if (!sealed() || !self_lookup(GUARD_SELF_PROG, prog->aux->id))
		return 0;
	return deny(0, GUARD_HOOK_BPF_PROG, GUARD_SELF, prog->aux->id);
}

/* The pins hold the links: unlinking or renaming one would let the guard go with the last reference. */
static int check_pin(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = dentry->d_inode;

	if (dir->i_sb->s_magic != BPF_FS_MAGIC || !inode || !sealed())
		return 0;
	if (!self_lookup(GUARD_SELF_PIN_INO, inode->i_ino))
		return 0;
	return deny(0, GUARD_HOOK_INODE, GUARD_SELF, 0);
}

SEC("lsm/inode_unlink")
int BPF_PROG(guard_inode_unlink, struct inode *dir, struct dentry *dentry)
{
	return check_pin(dir, dentry);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(guard_inode_rmdir, struct inode *dir, struct dentry *dentry)
{
	return check_pin(dir, dentry);
}

SEC("lsm/inode_rename")
int BPF_PROG(guard_inode_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
	     struct dentry *new_dentry)
{
	return check_pin(old_dir, old_dentry) ?: check_pin(new_dir, new_dentry);
}

/*
 * Unmounting bpffs drops every pin in it; so does a lazy unmount of sysfs, the bpffs mount point's parent.
 * Unmounting them in a private mount namespace leaves the superblock mounted here: that is let through.
 */
SEC("lsm/sb_umount")
int BPF_PROG(guard_sb_umount, struct vfsmount *mnt, int flags)
{
	unsigned long magic = mnt->mnt_sb->s_magic;

	if ((magic != BPF_FS_MAGIC && magic != SYSFS_MAGIC) || !sealed())
		return 0;
	return deny(0, GUARD_HOOK_SB_UMOUNT, GUARD_SELF, flags);
}

/*
 * ptrace, pidfd_getfd, /proc/PID/mem and process_vm_writev of the loader, whose fds reach the guard's maps: the
 * attach mode. Reading its /proc files (ps, pkill) is the read mode, and is let through.
 */
SEC("lsm/ptrace_access_check")
int BPF_PROG(guard_ptrace_access_check, struct task_struct *child, unsigned int mode)
{
	if (!(mode & PTRACE_MODE_ATTACH) || !sealed() || !self_lookup(GUARD_SELF_LOADER, child->tgid))
		return 0;
	return deny(0, GUARD_HOOK_PTRACE, GUARD_SELF, mode);
}

static bool kernel_code(bool module)
{
	return sealed() && !(module && signed_modules);
}

SEC("lsm/kernel_read_file")
int BPF_PROG(guard_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents)
{
	bool module = id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE);

	if (!module && id != bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_IMAGE) &&
	    id != bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_INITRAMFS))
		return 0;
	if (!kernel_code(module))
		return 0;
	return deny(0, GUARD_HOOK_KERNEL_READ_FILE, GUARD_KERNEL_CODE, id);
}

SEC("lsm/kernel_load_data")
int BPF_PROG(guard_kernel_load_data, enum kernel_load_data_id id, bool contents)
{
	bool module = id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE);

	if (!module && id != bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_IMAGE))
		return 0;
	if (!kernel_code(module))
		return 0;
	return deny(0, GUARD_HOOK_KERNEL_LOAD_DATA, GUARD_KERNEL_CODE, id);
}
