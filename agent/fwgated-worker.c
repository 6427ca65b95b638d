// SPDX-License-Identifier: GPL-2.0
/*
 * fwgated-worker: the network-facing half of fwgated (Documentation/fwgate/fwgated.rst). The monitor starts
 * it, already unprivileged, with its end of the socket pair on fd 3 and the control socket on fd 4; its
 * first message is the trust policy the kernel enforces. A program of its own, so that the monitor, which
 * keeps root, carries no HTTP or TLS library, and this one no netlink or BPF one.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
	fprintf(status ? stderr : stdout, "usage: fwgated-worker [-c CONFIG] [-v]\n"
		"  fwgated starts it, unprivileged, with its link on fd %d and the control socket on fd %d\n"
		"  (fwgated(8)); it is not run by hand.\n"
		"  -c, --config CONFIG  fwgated's configuration (default /etc/fwgate/fwgated.conf)\n"
		"  -v, --verbose        more messages\n"
		"  -h, --help           this text\n"
		"      --version        the version\n", FWG_WORKER_SOCK_FD, FWG_WORKER_CTL_FD);
	exit(status);
}

int main(int argc, char **argv)
{
	static struct fwg_msg_policy msg;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
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
		default:
			fprintf(stderr, "fwgated-worker: \"%s\": %s\n", argv[optind - 1],
				optopt && opt == '?' && strchr("c", optopt) ? "needs a value" : "unknown option");
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
	/* dup2 cleared close-on-exec: alarm hooks must not inherit the link. */
	fcntl(FWG_WORKER_SOCK_FD, F_SETFD, FD_CLOEXEC);
	fcntl(FWG_WORKER_CTL_FD, F_SETFD, FD_CLOEXEC);
	n = recv(FWG_WORKER_SOCK_FD, &msg, sizeof(msg), 0);
	if (n < (ssize_t)offsetof(struct fwg_msg_policy, text) || msg.type != FWG_MSG_POLICY ||
	    msg.len > sizeof(msg.text) || (size_t)n < offsetof(struct fwg_msg_policy, text) + msg.len ||
	    fwg_policy_parse("policy from fwgated", msg.text, msg.len, &p)) {
		log_warnx("worker: no policy from the monitor on fd %d", FWG_WORKER_SOCK_FD);
		return 1;
	}
	return fwg_worker_main(&c, &p, FWG_WORKER_SOCK_FD, fcntl(FWG_WORKER_CTL_FD, F_GETFD) >= 0 ? FWG_WORKER_CTL_FD : -1);
}
