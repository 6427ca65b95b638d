// SPDX-License-Identifier: GPL-2.0
/*
 * self_probe OP [ARG]: the bpf(2) calls that would undo the sealed write guard, as root, without libbpf. Prints
 * what it found and exits with the errno of the refusal (0 if the call went through), so that
 * tests/bpf/guard-vm.sh can tell the guard's EPERM from any other failure.
 *   ids               an fd by id, read-write, to every map, program and link: prints how many were refused
 *   fmod_ret          load a BPF_MODIFY_RETURN tracing program (it could rewrite a security_*() verdict)
 *   freplace          load a BPF_PROG_TYPE_EXT program (it could replace one of the guard's)
 *   map-update PIN    update key 0 of the map pinned at PIN through a read-only fd (what the kernel allows)
 *   link-detach PIN   BPF_LINK_DETACH of the link pinned at PIN (BPF_OBJ_GET of a link has no LSM hook)
 *   pidfd-getfd PID   copy fd 3 of PID with pidfd_getfd()
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Walks the ids of one kind; returns the number of fds refused with EPERM, -1 if none exist. */
static int walk(int next_cmd, int get_cmd, const char *what)
{
	union bpf_attr a;
	uint32_t id = 0;
	int seen = 0, refused = 0, fd;

	for (;;) {
		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (bpf(next_cmd, &a))
			break;
		id = a.next_id;
		memset(&a, 0, sizeof(a));
		a.prog_id = id;		/* the same field as map_id and link_id */
		fd = bpf(get_cmd, &a);
		seen++;
		if (fd >= 0)
			close(fd);
		else if (errno == EPERM)
			refused++;
	}
	printf("%s %d seen %d refused\n", what, seen, refused);
	return refused;
}

static int load(uint32_t type, uint32_t attach)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.expected_attach_type = attach;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t)"GPL";
	a.attach_btf_id = 1;
	fd = bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

static int obj_get(const char *path, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)path;
	a.file_flags = flags;
	return bpf(BPF_OBJ_GET, &a);
}

int main(int argc, char **argv)
{
	union bpf_attr a;
	uint32_t key = 0;
	uint64_t value[64] = { 0 };
	int fd, pidfd;

	if (argc == 2 && !strcmp(argv[1], "ids")) {
		int m = walk(BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID, "maps");
		int p = walk(BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID, "progs");
		int l = walk(BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID, "links");

		return m > 0 && p > 0 && l > 0 ? EPERM : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "fmod_ret"))
		return load(BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN);
	if (argc == 2 && !strcmp(argv[1], "freplace"))
		return load(BPF_PROG_TYPE_EXT, 0);
	if (argc == 3 && !strcmp(argv[1], "map-update")) {
		fd = obj_get(argv[2], BPF_F_RDONLY);
		if (fd < 0)
			return 100 + errno;
		memset(&a, 0, sizeof(a));
		a.map_fd = fd;
		a.key = (uintptr_t)&key;
		a.value = (uintptr_t)value;
		return bpf(BPF_MAP_UPDATE_ELEM, &a) ? errno : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "link-detach")) {
		fd = obj_get(argv[2], 0);
		if (fd < 0)
			return 100 + errno;
		memset(&a, 0, sizeof(a));
		a.link_detach.link_fd = fd;
		return bpf(BPF_LINK_DETACH, &a) ? errno : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "pidfd-getfd")) {
		pidfd = syscall(SYS_pidfd_open, atoi(argv[2]), 0);
		if (pidfd < 0)
			return 100 + errno;
		fd = syscall(SYS_pidfd_getfd, pidfd, 3, 0);
		return fd < 0 ? errno : 0;
	}
	fprintf(stderr, "usage: self_probe ids | fmod_ret | freplace | map-update PIN | link-detach PIN | "
		"pidfd-getfd PID\n");
	return 2;
}
