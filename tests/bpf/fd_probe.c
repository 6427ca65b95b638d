// SPDX-License-Identifier: GPL-2.0
/*
 * fd_probe DEVICE OP...: opens DEVICE read-write, prints "ready", waits for a line on stdin (tests/bpf/guard-vm.sh
 * sends it once the policy is locked), then tries each write path OP through that fd, opened before the lock,
 * and prints "OP ERRNO" (0 if it wrote). Each writes zeros at offset 0.
 *   pwrite pwritev fallocate splice sendfile aio io_uring   writes through the fd
 *   mmap          a shared writable mapping, written
 *   mprotect      a shared read-only mapping made writable
 *   uring-discard io_uring passthrough (BLOCK_URING_CMD_DISCARD, 6.12), IORING_OP_URING_CMD
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/aio_abi.h>
#include <linux/falloc.h>
#include <linux/io_uring.h>

#define LEN 4096

static char zeros[LEN] __attribute__((aligned(4096)));

static int src_fd(void)
{
	char path[] = "/tmp/fd_probe.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, zeros, LEN) != LEN || lseek(fd, 0, SEEK_SET))
		return -1;
	return fd;
}

static int op_splice(int fd)
{
	loff_t off = 0;
	int p[2];
	ssize_t n;

	if (pipe(p) || write(p[1], zeros, LEN) != LEN)
		return -1;
	n = splice(p[0], NULL, fd, &off, LEN, 0);
	close(p[0]);
	close(p[1]);
	return n < 0 ? -1 : 0;
}

static int op_sendfile(int fd)
{
	int in = src_fd();
	ssize_t n;

	if (in < 0 || lseek(fd, 0, SEEK_SET))
		return -1;
	n = sendfile(fd, in, NULL, LEN);
	close(in);
	return n < 0 ? -1 : 0;
}

static int op_aio(int fd)
{
	aio_context_t ctx = 0;
	struct iocb cb = { .aio_fildes = fd, .aio_lio_opcode = IOCB_CMD_PWRITE, .aio_buf = (uintptr_t)zeros,
			   .aio_nbytes = LEN };
	struct iocb *cbs[1] = { &cb };
	struct io_event ev;
	long n;

	if (syscall(SYS_io_setup, 1, &ctx))
		return -1;
	n = syscall(SYS_io_submit, ctx, 1, cbs);
	if (n == 1 && syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) == 1 && (long)ev.res < 0) {
		errno = -(long)ev.res;
		n = -1;
	}
	syscall(SYS_io_destroy, ctx);
	return n == 1 ? 0 : -1;
}

/* One SQE through a fresh ring, the result from its CQE. */
static int uring_one(int fd, void (*fill)(struct io_uring_sqe *sqe, int fd))
{
	struct io_uring_params p = { 0 };
	unsigned int *sq_tail, *sq_array, *cq_head, *cq_tail, mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq, *cq;
	int ring = syscall(SYS_io_uring_setup, 1, &p), res;

	if (ring < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return -1;
	sq_tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	sq_array = (unsigned int *)((char *)sq + p.sq_off.array);
	mask = *(unsigned int *)((char *)sq + p.sq_off.ring_mask);
	memset(&sqes[0], 0, sizeof(sqes[0]));
	fill(&sqes[0], fd);
	sq_array[*sq_tail & mask] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -1;
	cq_head = (unsigned int *)((char *)cq + p.cq_off.head);
	cq_tail = (unsigned int *)((char *)cq + p.cq_off.tail);
	cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	if (*cq_head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
		errno = EAGAIN;
		return -1;
	}
	res = cqes[*cq_head & *(unsigned int *)((char *)cq + p.cq_off.ring_mask)].res;
	close(ring);
	if (res < 0) {
		errno = -res;
		return -1;
	}
	return 0;
}

static void fill_write(struct io_uring_sqe *sqe, int fd)
{
	sqe->opcode = IORING_OP_WRITE;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)zeros;
	sqe->len = LEN;
}

static void fill_discard(struct io_uring_sqe *sqe, int fd)
{
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = 0x1200;	/* BLOCK_URING_CMD_DISCARD, _IO(0x12, 0) */
	sqe->addr = 0;
	sqe->addr3 = LEN;
}

static int op_mmap(int fd)
{
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -1;
	memset(p, 0, LEN);
	msync(p, LEN, MS_SYNC);
	munmap(p, LEN);
	return 0;
}

static int op_mprotect(int fd)
{
	char *p = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);
	int err;

	if (p == MAP_FAILED)
		return -1;
	err = mprotect(p, LEN, PROT_READ | PROT_WRITE);
	if (!err) {
		memset(p, 0, LEN);
		msync(p, LEN, MS_SYNC);
	}
	munmap(p, LEN);
	return err;
}

static int run(const char *op, int fd)
{
	struct iovec iov = { zeros, LEN };

	if (!strcmp(op, "pwrite"))
		return pwrite(fd, zeros, LEN, 0) == LEN && !fsync(fd) ? 0 : -1;
	if (!strcmp(op, "pwritev"))
		return pwritev(fd, &iov, 1, 0) == LEN && !fsync(fd) ? 0 : -1;
	if (!strcmp(op, "fallocate"))
		return fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, LEN);
	if (!strcmp(op, "splice"))
		return op_splice(fd);
	if (!strcmp(op, "sendfile"))
		return op_sendfile(fd);
	if (!strcmp(op, "aio"))
		return op_aio(fd);
	if (!strcmp(op, "io_uring"))
		return uring_one(fd, fill_write);
	if (!strcmp(op, "uring-discard"))
		return uring_one(fd, fill_discard);
	if (!strcmp(op, "mmap"))
		return op_mmap(fd);
	if (!strcmp(op, "mprotect"))
		return op_mprotect(fd);
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	char line[16];
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: fd_probe DEVICE OP...\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	for (i = 2; i < argc; i++) {
		errno = 0;
		printf("%s %d\n", argv[i], run(argv[i], fd) ? errno : 0);
		fflush(stdout);
	}
	return 0;
}
