// SPDX-License-Identifier: GPL-2.0
/*
 * The attacker's tool for tests/attack: the write paths and guard switches that no stock command reaches,
 * as root, with raw syscalls. Each command prints what it did, and on a refusal the errno the kernel gave;
 * it exits 0 when the kernel let the attack through and 1 when it refused it (2 on a usage error).
 *
 *   bpf-zero-map NAME          zero the value of key 0 of every array map named NAME (the guard's .bss)
 *   bpf-clear-map NAME         delete every key of every hash map named NAME (the protected set)
 *   bpf-detach-links PREFIX    BPF_LINK_GET_FD_BY_ID + BPF_LINK_DETACH of every link whose program's name
 *                              starts with PREFIX
 *   steal PID HOW              take what a running process (fwgated) holds, HOW one of ptrace-attach,
 *                              ptrace-seize, proc-mem, vm-writev (a word of its memory written back),
 *                              proc-fd (reopen /proc/PID/fd/N), pidfd-getfd; then use every fd obtained
 *                              against the guard and the targets (update and delete map entries, map a
 *                              map writable, detach a link, write a device). Prints "obtained: ..." per
 *                              theft and "changed: ..." per use the kernel let through (an fd that
 *                              pidfd_getfd refuses is tried by id too, from its fdinfo); exits 0 if
 *                              anything was obtained or changed, 1 if the kernel refused it all
 *   hold-mmap DEV OFF          map DEV shared and writable at OFF now; on a line on stdin dirty it and msync
 *   aio-write FD OFF           an io_submit write of the attack pattern to the already open FD
 *   uring-write FD OFF         an IORING_OP_WRITE of the pattern to the already open FD
 *   uring-nvme-write NG LBA    IORING_OP_URING_CMD NVMe write (opcode 0x01) on a read-only fd of NG
 *   dm-load-resized DEV MAJ:MIN SECTORS
 *                              create dm device DEV, load a linear table over MAJ:MIN with DM_TABLE_LOAD
 *                              whose size bits are changed, resume it
 *   splice-write DEV           splice the pattern from a pipe into DEV opened for writing
 *   devmem                     open /dev/mem for writing
 *   iopl                       iopl(3): raw port I/O (an IDE or AHCI controller's registers)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/bpf.h>
#include <linux/dm-ioctl.h>
#include <linux/io_uring.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/netlink.h>

#define PATTERN_LEN 4096

static unsigned char pattern[PATTERN_LEN] __attribute__((aligned(4096)));

/* The attacker's bytes: $ATTACK_TAG repeated (vm.sh sets one per attack), else "ATTACKER". */
static void fill_pattern(void)
{
	const char *word = getenv("ATTACK_TAG");
	size_t i, n;

	if (!word || !*word)
		word = "ATTACKER";
	n = strlen(word);
	for (i = 0; i < PATTERN_LEN; i++)
		pattern[i] = word[i % n];
}

/* strerror() of an errno, and of the kernel's internal ENOTSUPP (524) that bpf(2) lets out. */
static const char *errname(int e)
{
	return e == 524 ? "ENOTSUPP, not supported by this map type" : strerror(e);
}

static int refused(const char *what)
{
	int e = errno;

	printf("%s: refused: %s (errno %d)\n", what, errname(e), e);
	return 1;
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static int obj_info(int fd, void *info, __u32 len)
{
	union bpf_attr a = { 0 };

	a.info.bpf_fd = fd;
	a.info.info_len = len;
	a.info.info = (uintptr_t)info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

static int by_id(int cmd, __u32 id)
{
	union bpf_attr a = { 0 };

	a.map_id = id;	/* prog_id, map_id and link_id share the slot */
	return sys_bpf(cmd, &a);
}

/* Zeroes key 0 of @fd (an array map) if its name is @name; returns 1 when done, 0 if not that map, -1. */
static int zero_map_fd(int fd, const char *name)
{
	struct bpf_map_info mi = { 0 };
	union bpf_attr a = { 0 };
	__u32 key = 0;
	void *val;

	if (obj_info(fd, &mi, sizeof(mi)) || strcmp(mi.name, name))
		return 0;
	val = calloc(1, mi.value_size);
	a.map_fd = fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)val;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a)) {
		free(val);
		return refused("BPF_MAP_UPDATE_ELEM"), -1;
	}
	free(val);
	printf("map %u (%s): key 0 zeroed (%u bytes)\n", mi.id, mi.name, mi.value_size);
	return 1;
}

static int clear_map_fd(int fd, const char *name)
{
	struct bpf_map_info mi = { 0 };
	union bpf_attr a = { 0 };
	__u32 key, n = 0;

	if (obj_info(fd, &mi, sizeof(mi)) || strcmp(mi.name, name) || mi.key_size != sizeof(key))
		return 0;
	for (;;) {
		a.map_fd = fd;
		a.key = 0;
		a.next_key = (uintptr_t)&key;
		if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a))
			break;
		memset(&a, 0, sizeof(a));
		a.map_fd = fd;
		a.key = (uintptr_t)&key;
		if (sys_bpf(BPF_MAP_DELETE_ELEM, &a))
			return refused("BPF_MAP_DELETE_ELEM"), -1;
		n++;
	}
	printf("map %u (%s): %u keys deleted\n", mi.id, mi.name, n);
	return n ? 1 : 0;
}

/* Detaches link @fd if its program's name starts with @prefix: 1 done, 0 not ours, -1 refused. */
static int detach_link_fd(int fd, const char *prefix)
{
	struct bpf_link_info li = { 0 };
	struct bpf_prog_info pi = { 0 };
	union bpf_attr a = { 0 };
	int pfd;

	if (obj_info(fd, &li, sizeof(li)))
		return 0;
	pfd = by_id(BPF_PROG_GET_FD_BY_ID, li.prog_id);
	if (pfd < 0)
		return refused("BPF_PROG_GET_FD_BY_ID"), -1;
	if (obj_info(pfd, &pi, sizeof(pi)) || strncmp(pi.name, prefix, strlen(prefix))) {
		close(pfd);
		return 0;
	}
	close(pfd);
	a.link_detach.link_fd = fd;
	if (sys_bpf(BPF_LINK_DETACH, &a))
		return refused("BPF_LINK_DETACH"), -1;
	printf("link %u (prog %s): detached\n", li.id, pi.name);
	return 1;
}

/* Walks every map (or link) by id; @fn on each fd. */
static int each_id(int next_cmd, int fd_cmd, int (*fn)(int, const char *), const char *arg)
{
	union bpf_attr a = { 0 };
	int done = 0, failed = 0, r, fd;
	__u32 id = 0;

	for (;;) {
		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (sys_bpf(next_cmd, &a))
			break;
		id = a.next_id;
		fd = by_id(fd_cmd, id);
		if (fd < 0) {
			failed = 1;
			refused("BPF_*_GET_FD_BY_ID");
			continue;
		}
		r = fn(fd, arg);
		close(fd);
		done += r > 0;
		failed |= r < 0;
	}
	if (!done && !failed)
		printf("no bpf object named %s\n", arg);
	return done && !failed ? 0 : 1;
}

/* ------------------------------------------------------------ steal: a running process's power */

static int obtained, changed;

static void use_refused(const char *what, int fd)
{
	int e = errno;

	printf("  %s on stolen fd %d: refused: %s (errno %d)\n", what, fd, errname(e), e);
}

static void use_changed(const char *what, int fd)
{
	printf("changed: %s on stolen fd %d: accepted\n", what, fd);
	changed++;
}

static void map_sys(int cmd, const char *what, int fd, void *key, void *value)
{
	union bpf_attr a = { 0 };

	a.map_fd = fd;
	a.key = (uintptr_t)key;
	a.value = (uintptr_t)value;
	a.flags = BPF_ANY;
	if (sys_bpf(cmd, &a))
		use_refused(what, fd);
	else
		use_changed(what, fd);
}

/*
 * A stolen map fd: overwrite and delete its first entry (key 0 for arrays), and map it writable if it can be
 * mapped at all. A ring buffer's consumer page is writable by design (its reader advances it): that is no
 * change to what the guard enforces, so a ring buffer is only written through bpf(2).
 */
static void use_map(int fd)
{
	struct bpf_map_info mi = { 0 };
	union bpf_attr a = { 0 };
	void *key, *val, *p;

	if (obj_info(fd, &mi, sizeof(mi))) {
		use_refused("BPF_OBJ_GET_INFO_BY_FD", fd);
		return;
	}
	printf("  fd %d: bpf map %u \"%s\" (type %u, flags 0x%x)\n", fd, mi.id, mi.name, mi.type, mi.map_flags);
	key = calloc(1, mi.key_size + 8);
	val = calloc(1, mi.value_size * 256 + 8);	/* per-CPU maps take one value per possible CPU */
	if (mi.key_size) {
		a.map_fd = fd;
		a.next_key = (uintptr_t)key;
		sys_bpf(BPF_MAP_GET_NEXT_KEY, &a);	/* the first key, or key 0 */
	}
	map_sys(BPF_MAP_UPDATE_ELEM, "BPF_MAP_UPDATE_ELEM", fd, mi.key_size ? key : NULL, val);
	map_sys(BPF_MAP_DELETE_ELEM, "BPF_MAP_DELETE_ELEM", fd, mi.key_size ? key : NULL, NULL);
	map_sys(BPF_MAP_LOOKUP_AND_DELETE_ELEM, "BPF_MAP_LOOKUP_AND_DELETE_ELEM", fd, mi.key_size ? key : NULL,
		val);
	if (mi.map_flags & BPF_F_MMAPABLE) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			use_refused("mmap PROT_WRITE MAP_SHARED", fd);
		} else {
			use_changed("mmap PROT_WRITE MAP_SHARED", fd);
			munmap(p, 4096);
		}
	}
	free(key);
	free(val);
}

static void use_link(int fd)
{
	struct bpf_link_info li = { 0 };
	union bpf_attr a = { 0 };

	if (obj_info(fd, &li, sizeof(li))) {
		use_refused("BPF_OBJ_GET_INFO_BY_FD", fd);
		return;
	}
	printf("  fd %d: bpf link %u (prog %u)\n", fd, li.id, li.prog_id);
	a.link_detach.link_fd = fd;
	if (sys_bpf(BPF_LINK_DETACH, &a))
		use_refused("BPF_LINK_DETACH", fd);
	else
		use_changed("BPF_LINK_DETACH", fd);
}

/* A stolen device fd: write the attacker's pattern at offset 0, whatever mode it was opened in. */
static void use_device(int fd, const char *name)
{
	printf("  fd %d: %s\n", fd, name);
	if (pwrite(fd, pattern, PATTERN_LEN, 0) < 0) {
		use_refused("pwrite of 4 KiB at 0", fd);
		return;
	}
	fsync(fd);
	use_changed("pwrite of 4 KiB at 0", fd);
}

/* The character devices that reach a medium or fwgate.ko: not a terminal, /dev/null or /dev/urandom. */
static int writes_medium(const char *name)
{
	static const char *const prefixes[] = { "/dev/fwgate", "/dev/mtd", "/dev/ng", "/dev/sg", "/dev/bsg",
						"/dev/nvme", "/dev/ubi" };
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

static void use_fd(int fd)
{
	char self[64], name[256] = "";
	int domain = 0, proto = 0;
	socklen_t len = sizeof(int);
	ssize_t n;
	struct stat st;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	n = readlink(self, name, sizeof(name) - 1);
	if (n > 0)
		name[n] = '\0';
	if (!strcmp(name, "anon_inode:bpf-map")) {
		use_map(fd);
	} else if (!strcmp(name, "anon_inode:bpf_link") || !strcmp(name, "anon_inode:bpf-link")) {
		use_link(fd);
	} else if (!strcmp(name, "anon_inode:bpf-prog")) {
		/* Nothing in a loaded program can be changed; attaching it elsewhere only adds denials. */
		printf("  fd %d: a bpf program: loaded programs are immutable\n", fd);
	} else if (!fstat(fd, &st) && (S_ISBLK(st.st_mode) || (S_ISCHR(st.st_mode) && writes_medium(name)))) {
		use_device(fd, name);
	} else if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
		   !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len)) {
		printf("  fd %d: %s, domain %d protocol %d%s\n", fd, name, domain, proto,
		       domain == AF_NETLINK && proto == NETLINK_GENERIC ?
		       " (generic netlink: fwgate.ko keeps no state per socket; root opens its own alike)" : "");
	} else {
		printf("  fd %d: %s\n", fd, name);
	}
}

/* An fd no path leads to: a BPF object, an epoll or signalfd instance, a socket. */
static int reaches_no_path(int fd)
{
	char self[64], name[256] = "";

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (readlink(self, name, sizeof(name) - 1) < 0)
		return 1;
	return !strncmp(name, "anon_inode:", 11) || !strncmp(name, "socket:", 7);
}

/* One writable word of @pid's memory, from its maps: the start of its first rw-p mapping. */
static unsigned long writable_word(int pid)
{
	char path[64], line[512], perms[8];
	unsigned long start = 0, end;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && !strcmp(perms, "rw-p"))
			break;
		else
			start = 0;
	fclose(f);
	return start;
}

static int steal_ptrace(int pid, int seize)
{
	int status;

	if (ptrace(seize ? PTRACE_SEIZE : PTRACE_ATTACH, pid, 0, 0)) {
		refused(seize ? "PTRACE_SEIZE" : "PTRACE_ATTACH");
		return 0;
	}
	printf("obtained: %s of pid %d: its memory, registers and system calls are the attacker's\n",
	       seize ? "PTRACE_SEIZE" : "PTRACE_ATTACH", pid);
	obtained++;
	if (!seize)
		waitpid(pid, &status, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

/* /proc/PID/mem or process_vm_writev: a word read and written back unchanged, so the victim lives on. */
static int steal_memory(int pid, int proc_mem)
{
	unsigned long addr = writable_word(pid), word = 0;
	struct iovec local = { &word, sizeof(word) }, remote = { (void *)addr, sizeof(word) };
	char path[64];
	int fd;

	if (!addr) {
		printf("pid %d: no writable mapping found\n", pid);
		return 0;
	}
	if (proc_mem) {
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		fd = open(path, O_RDWR);
		if (fd < 0) {
			refused("open /proc/PID/mem O_RDWR");
			return 0;
		}
		if (pread(fd, &word, sizeof(word), addr) != sizeof(word) ||
		    pwrite(fd, &word, sizeof(word), addr) != sizeof(word)) {
			refused("/proc/PID/mem write");
			close(fd);
			return 0;
		}
		close(fd);
	} else {
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(word)) {
			refused("process_vm_readv");
			return 0;
		}
		if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != sizeof(word)) {
			refused("process_vm_writev");
			return 0;
		}
	}
	printf("obtained: wrote pid %d's memory at 0x%lx through %s\n", pid, addr,
	       proc_mem ? "/proc/PID/mem" : "process_vm_writev");
	obtained++;
	return 0;
}

/*
 * fd @nr of @pid, refused to pidfd_getfd: if it is a BPF object (its fdinfo, which reading needs no more than
 * ps does, names it), the other way to it, by id. An fd so obtained is used like a stolen one; the ring
 * buffer and the counters of a sealed guard are open to root by design, so only the uses are judged.
 */
static void by_id_instead(int pid, int nr)
{
	static const struct {
		const char *key;
		int cmd;
	} kinds[] = {
		{ "map_id:", BPF_MAP_GET_FD_BY_ID },
		{ "prog_id:", BPF_PROG_GET_FD_BY_ID },
		{ "link_id:", BPF_LINK_GET_FD_BY_ID },
	};
	char path[64], line[256], frozen[16] = "";
	unsigned int id[3] = { 0 };
	size_t i;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, nr);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < 3; i++)
			if (!strncmp(line, kinds[i].key, strlen(kinds[i].key)))
				id[i] = strtoul(line + strlen(kinds[i].key), NULL, 10);
		if (!strncmp(line, "frozen:", 7)) {
			char *v = line + 7 + strspn(line + 7, " \t");

			snprintf(frozen, sizeof(frozen), " %.*s", (int)strcspn(v, "\n"), v);
		}
	}
	fclose(f);
	/* A link's fdinfo names its program too: the link is what the fd is. */
	if (id[2])
		id[1] = 0;
	for (i = 0; i < 3; i++) {
		if (!id[i])
			continue;
		printf("  fd %d of pid %d is %s %u%s%s\n", nr, pid, kinds[i].key, id[i], frozen[0] ? ", frozen:" : "",
		       frozen);
		fd = by_id(kinds[i].cmd, id[i]);
		if (fd < 0) {
			refused("  the same object by id");
			continue;
		}
		printf("  the same object by id: an fd\n");
		use_fd(fd);
		close(fd);
	}
}

/* Every fd of @pid, by pidfd_getfd or by reopening /proc/PID/fd/N, each then used. */
static int steal_fds(int pid, int by_pidfd)
{
	char path[64], what[80];
	struct dirent *de;
	int pidfd = -1, fd, nr;
	DIR *d;

	if (by_pidfd) {
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			return refused("pidfd_open"), 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return refused(path), 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		nr = atoi(de->d_name);
		if (by_pidfd) {
			fd = syscall(SYS_pidfd_getfd, pidfd, nr, 0);
			snprintf(what, sizeof(what), "pidfd_getfd of fd %d", nr);
		} else {
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, nr);
			fd = open(path, O_RDWR);
			if (fd < 0 && errno != EPERM && errno != EACCES)
				fd = open(path, O_RDONLY);
			snprintf(what, sizeof(what), "open of %s", path);
		}
		if (fd < 0) {
			refused(what);
			if (by_pidfd)
				by_id_instead(pid, nr);
			continue;
		}
		if (by_pidfd || reaches_no_path(fd)) {
			printf("obtained: %s\n", what);
			obtained++;
		} else {
			/* A file, pipe or device reopened by its path: root opens that path anyway. */
			printf("reopened: %s, a path root opens anyway\n", what);
		}
		use_fd(fd);
		close(fd);
	}
	closedir(d);
	return 0;
}

static int steal(int pid, const char *how)
{
	if (!strcmp(how, "ptrace-attach"))
		steal_ptrace(pid, 0);
	else if (!strcmp(how, "ptrace-seize"))
		steal_ptrace(pid, 1);
	else if (!strcmp(how, "proc-mem"))
		steal_memory(pid, 1);
	else if (!strcmp(how, "vm-writev"))
		steal_memory(pid, 0);
	else if (!strcmp(how, "proc-fd"))
		steal_fds(pid, 0);
	else if (!strcmp(how, "pidfd-getfd"))
		steal_fds(pid, 1);
	else
		return 2;
	printf("pid %d, %s: %d obtained, %d changed\n", pid, how, obtained, changed);
	return obtained || changed ? 0 : 1;
}

static int hold_mmap(const char *dev, off_t off)
{
	char line[16];
	void *p;
	int fd;

	fd = open(dev, O_RDWR);
	if (fd < 0)
		return refused("open O_RDWR");
	p = mmap(NULL, PATTERN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return refused("mmap MAP_SHARED PROT_WRITE");
	close(fd);
	printf("mapped\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	memcpy(p, pattern, PATTERN_LEN);
	if (msync(p, PATTERN_LEN, MS_SYNC))
		return refused("msync");
	printf("dirtied the shared mapping and msync'ed it: accepted\n");
	return 0;
}

static int aio_write(int fd, off_t off)
{
	aio_context_t ctx = 0;
	struct iocb cb = { 0 }, *cbs[1] = { &cb };
	struct io_event ev;

	if (syscall(SYS_io_setup, 1, &ctx))
		return refused("io_setup");
	cb.aio_fildes = fd;
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_buf = (uintptr_t)pattern;
	cb.aio_nbytes = PATTERN_LEN;
	cb.aio_offset = off;
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return refused("io_submit");
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		return refused("io_getevents");
	if ((long long)ev.res < 0) {
		errno = -ev.res;
		return refused("aio write");
	}
	if (fsync(fd))
		return refused("fsync");
	printf("aio write of %lld bytes: accepted\n", (long long)ev.res);
	return 0;
}

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	void *sqes, *cqes;
	unsigned int cqe_size;
};

static int ring_setup(struct ring *r, unsigned int flags)
{
	struct io_uring_params p = { .flags = flags };
	unsigned int sqe_size = flags & IORING_SETUP_SQE128 ? 128 : 64;
	char *sq, *cq;

	r->cqe_size = flags & IORING_SETUP_CQE32 ? 32 : 16;
	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return refused("io_uring_setup");
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * r->cqe_size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sqe_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return refused("mmap io_uring");
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = cq + p.cq_off.cqes;
	memset(r->sqes, 0, p.sq_entries * sqe_size);
	return 0;
}

/* Submits SQE 0 and returns the completion's result. */
static int ring_run(struct ring *r, int *res)
{
	unsigned int tail = *r->sq_tail;
	struct io_uring_cqe *cqe;

	r->sq_array[tail & *r->sq_mask] = 0;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return refused("io_uring_enter");
	if (__atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) == *r->cq_head) {
		errno = EAGAIN;
		return refused("io_uring completion");
	}
	cqe = (void *)((char *)r->cqes + (*r->cq_head & *r->cq_mask) * r->cqe_size);
	*res = cqe->res;
	__atomic_store_n(r->cq_head, *r->cq_head + 1, __ATOMIC_RELEASE);
	return 0;
}

static int uring_write(int fd, off_t off)
{
	struct io_uring_sqe *sqe;
	struct ring r;
	int res;

	if (ring_setup(&r, 0))
		return 1;
	sqe = r.sqes;
	sqe->opcode = IORING_OP_WRITE;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)pattern;
	sqe->len = PATTERN_LEN;
	sqe->off = off;
	if (ring_run(&r, &res))
		return 1;
	if (res < 0) {
		errno = -res;
		return refused("IORING_OP_WRITE");
	}
	if (fsync(fd))
		return refused("fsync");
	printf("io_uring write of %d bytes: accepted\n", res);
	return 0;
}

static int uring_nvme_write(const char *ng, unsigned long long lba)
{
	struct nvme_uring_cmd *c;
	struct io_uring_sqe *sqe;
	struct ring r;
	int fd, res, nsid;

	fd = open(ng, O_RDONLY);
	if (fd < 0)
		return refused("open O_RDONLY");
	nsid = ioctl(fd, NVME_IOCTL_ID);
	if (nsid <= 0)
		return refused("NVME_IOCTL_ID");
	if (ring_setup(&r, IORING_SETUP_SQE128 | IORING_SETUP_CQE32))
		return 1;
	sqe = r.sqes;
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = NVME_URING_CMD_IO;
	c = (struct nvme_uring_cmd *)sqe->cmd;
	c->opcode = 0x01;	/* NVM write */
	c->nsid = nsid;
	c->addr = (uintptr_t)pattern;
	c->data_len = PATTERN_LEN;
	c->cdw10 = lba & 0xffffffff;
	c->cdw11 = lba >> 32;
	c->cdw12 = PATTERN_LEN / 512 - 1;	/* 0-based block count, 512-byte LBAs */
	if (ring_run(&r, &res))
		return 1;
	if (res < 0) {
		errno = -res;
		return refused("IORING_OP_URING_CMD NVMe write");
	}
	if (res > 0) {
		printf("NVMe status 0x%x\n", res);
		return 1;
	}
	printf("IORING_OP_URING_CMD NVMe write on a read-only fd of %s: accepted\n", ng);
	return 0;
}

static int dm_ioctl(int ctl, unsigned long cmd, struct dm_ioctl *io, const char *what)
{
	if (ioctl(ctl, cmd, io))
		return refused(what);
	return 0;
}

static void dm_init(struct dm_ioctl *io, size_t size, const char *name)
{
	memset(io, 0, size);
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = size;
	io->data_start = sizeof(*io);
	snprintf(io->name, sizeof(io->name), "%s", name);
}

static int dm_load_resized(const char *name, const char *majmin, unsigned long long sectors)
{
	struct {
		struct dm_ioctl io;
		struct dm_target_spec spec;
		char params[64];
	} b;
	/* DM_TABLE_LOAD with the size bits of a 16-byte argument: the kernel dispatches on the number only. */
	unsigned long resized = _IOC(_IOC_READ | _IOC_WRITE, DM_IOCTL, DM_TABLE_LOAD_CMD, 16);
	int ctl;

	ctl = open("/dev/mapper/control", O_RDWR);
	if (ctl < 0)
		return refused("open /dev/mapper/control");
	dm_init(&b.io, sizeof(b), name);
	if (dm_ioctl(ctl, DM_DEV_CREATE, &b.io, "DM_DEV_CREATE"))
		return 1;
	dm_init(&b.io, sizeof(b), name);
	b.io.target_count = 1;
	b.spec.sector_start = 0;
	b.spec.length = sectors;
	snprintf(b.spec.target_type, sizeof(b.spec.target_type), "linear");
	snprintf(b.params, sizeof(b.params), "%s 0", majmin);
	b.spec.next = 0;
	printf("DM_TABLE_LOAD is 0x%lx, sending 0x%lx\n", (unsigned long)DM_TABLE_LOAD, resized);
	if (dm_ioctl(ctl, resized, &b.io, "DM_TABLE_LOAD (resized)"))
		return 1;
	dm_init(&b.io, sizeof(b), name);
	if (dm_ioctl(ctl, DM_DEV_SUSPEND, &b.io, "DM_DEV_SUSPEND (resume)"))
		return 1;
	printf("/dev/mapper/%s maps %s: accepted\n", name, majmin);
	return 0;
}

static int splice_write(const char *dev)
{
	int p[2], fd;
	ssize_t n;

	fd = open(dev, O_WRONLY);
	if (fd < 0)
		return refused("open O_WRONLY");
	if (pipe(p) || write(p[1], pattern, PATTERN_LEN) != PATTERN_LEN)
		return refused("pipe");
	n = splice(p[0], NULL, fd, NULL, PATTERN_LEN, 0);
	if (n < 0)
		return refused("splice");
	fsync(fd);
	printf("spliced %zd bytes: accepted\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	fill_pattern();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "bpf-zero-map") && argc == 3)
		return each_id(BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID, zero_map_fd, argv[2]);
	if (!strcmp(cmd, "bpf-clear-map") && argc == 3)
		return each_id(BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID, clear_map_fd, argv[2]);
	if (!strcmp(cmd, "bpf-detach-links") && argc == 3)
		return each_id(BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID, detach_link_fd, argv[2]);
	if (!strcmp(cmd, "steal") && argc == 4)
		return steal(atoi(argv[2]), argv[3]);
	if (!strcmp(cmd, "hold-mmap") && argc == 4)
		return hold_mmap(argv[2], strtoll(argv[3], NULL, 0));
	if (!strcmp(cmd, "aio-write") && argc == 4)
		return aio_write(atoi(argv[2]), strtoll(argv[3], NULL, 0));
	if (!strcmp(cmd, "uring-write") && argc == 4)
		return uring_write(atoi(argv[2]), strtoll(argv[3], NULL, 0));
	if (!strcmp(cmd, "uring-nvme-write") && argc == 4)
		return uring_nvme_write(argv[2], strtoull(argv[3], NULL, 0));
	if (!strcmp(cmd, "dm-load-resized") && argc == 5)
		return dm_load_resized(argv[2], argv[3], strtoull(argv[4], NULL, 0));
	if (!strcmp(cmd, "splice-write") && argc == 3)
		return splice_write(argv[2]);
	if (!strcmp(cmd, "devmem"))
		return open("/dev/mem", O_RDWR) < 0 ? refused("open /dev/mem O_RDWR") :
		       (printf("/dev/mem open for writing: accepted\n"), 0);
	if (!strcmp(cmd, "iopl"))
		return iopl(3) ? refused("iopl(3)") : (printf("iopl(3): accepted\n"), 0);
	fprintf(stderr, "usage: see the head of tests/attack/attack_tool.c\n");
	return 2;
}
