// SPDX-License-Identifier: GPL-2.0
/*
 * fwgated-worker: the network-facing half of fwgated (Documentation/fwgate/fwgated.rst). The monitor starts
 * it, already unprivileged, with its end of the socket pair on fd 3 and the control socket on fd 4; its
 * first message is the trust policy the kernel enforces. Under systemd it is a unit of its own
 * (fwgated-worker.service, --connect): it connects to the link systemd passes the monitor
 * (fwgated-worker.socket) and receives the control socket with the policy. A program of its own, so that the
 * monitor, which keeps root, carries no HTTP or TLS library, and this one no netlink or BPF one.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "exit.h"
#include "files.h"
#include "log.h"
#include "proto.h"
#include "worker.h"

/* On stdout with exit 0 for --help, on stderr with FWG_EXIT_USAGE after a usage error. */
static void usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: fwgated-worker [-c CONFIG] [-v] [--connect SOCKET]\n"
		"  fwgated starts it, unprivileged, with its link on fd %d and the control socket on fd %d\n"
		"  (fwgated(8)), or fwgated-worker.service does, with --connect; it is not run by hand.\n"
		"  -c, --config CONFIG  fwgated's configuration (default /etc/fwgate/fwgated.conf)\n"
		"      --connect SOCKET the monitor's socket-activated link (fwgated-worker.socket)\n"
		"  -v, --verbose        more messages\n"
		"  -h, --help           this text\n"
		"      --version        the version\n", FWG_WORKER_SOCK_FD, FWG_WORKER_CTL_FD);
	exit(status);
}

/* Puts @fd on @to (closing @fd), unless it is there already. */
static int move_fd(int fd, int to)
{
	if (fd == to)
		return 0;
	if (dup2(fd, to) < 0)
		return -1;
	close(fd);
	return 0;
}

/* --connect: the link on FWG_WORKER_SOCK_FD, connected; never as root (User= of the unit). */
static int connect_link(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (getuid() == 0 || geteuid() == 0) {
		log_warnx("--connect: the worker does not run as root (User= of fwgated-worker.service)");
		return -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("--connect: %s: the path is too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* Nothing the unit left on the two descriptors is taken for the link or the control socket. */
	close(FWG_WORKER_SOCK_FD);
	close(FWG_WORKER_CTL_FD);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		log_warn("--connect: %s", path);
		return -1;
	}
	if (fd == FWG_WORKER_CTL_FD) {	/* 3 was free and 4 taken: move off 4 first */
		int t = dup(fd);

		close(fd);
		fd = t;
	}
	return move_fd(fd, FWG_WORKER_SOCK_FD);
}

/*
 * The first message, the policy; a control socket sent with it (SCM_RIGHTS, a socket-activated monitor) is
 * put on FWG_WORKER_CTL_FD. A forked worker inherited that descriptor instead.
 */
static ssize_t recv_policy(struct fwg_msg_policy *msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	n = recvmsg(FWG_WORKER_SOCK_FD, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (move_fd(fd, FWG_WORKER_CTL_FD) ||
		    fcntl(FWG_WORKER_CTL_FD, F_SETFD, FD_CLOEXEC))
			return -1;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		log_warnx("worker: the monitor's first message was cut short");
		return -1;
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct fwg_msg_policy msg;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "connect", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	const char *connect_to = NULL;
	const char *conf = "/etc/fwgate/fwgated.conf";
	struct fwg_policy p;
	struct fwg_conf c;
	int opt, verbose = 0;
	ssize_t n;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'v': verbose++; break;
		case 'h': usage(FWG_EXIT_OK); break;
		case 'V': fwg_print_version("fwgated-worker"); break;
		case 'C': connect_to = optarg; break;
		default:
			fprintf(stderr, "fwgated-worker: \"%s\": %s\n", argv[optind - 1],
				optopt && strchr("cC", optopt) ? "needs a value" : "unknown option");
			usage(FWG_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fwgated-worker: \"%s\": unexpected argument\n", argv[optind]);
		usage(FWG_EXIT_USAGE);
	}
	log_init("fwgated", verbose);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);	/* execve made it dumpable again */
	if (fwg_conf_load(conf, &c))
		return 1;
	if (connect_to && connect_link(connect_to))
		return 1;
	/* dup2 cleared close-on-exec: alarm hooks must not inherit the link. */
	fcntl(FWG_WORKER_SOCK_FD, F_SETFD, FD_CLOEXEC);
	fcntl(FWG_WORKER_CTL_FD, F_SETFD, FD_CLOEXEC);
	n = recv_policy(&msg);
	if (n < (ssize_t)offsetof(struct fwg_msg_policy, text) || msg.type != FWG_MSG_POLICY ||
	    msg.len > sizeof(msg.text) || (size_t)n < offsetof(struct fwg_msg_policy, text) + msg.len ||
	    fwg_policy_parse("policy from fwgated", msg.text, msg.len, &p)) {
		log_warnx("worker: no policy from the monitor on fd %d", FWG_WORKER_SOCK_FD);
		return 1;
	}
	p.epoch = msg.epoch;
	memcpy(p.digest, msg.digest, FWGATE_ID_LEN);
	return fwg_worker_main(&c, &p, FWG_WORKER_SOCK_FD, fcntl(FWG_WORKER_CTL_FD, F_GETFD) >= 0 ? FWG_WORKER_CTL_FD : -1);
}
