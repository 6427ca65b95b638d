// SPDX-License-Identifier: GPL-2.0
/*
 * lib/sdnotify.c against a real AF_UNIX datagram socket, as systemd's NOTIFY_SOCKET: a path socket and an
 * abstract one receive exactly the state sent; WATCHDOG_USEC/WATCHDOG_PID give half the interval, or -1;
 * LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES give the socket-activated descriptor of a name, or -1.
 * TAP on stdout. Built and run by tests/pkg/suite.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

static int n, failed;

static void ok(int cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, name);
	failed += !cond;
}

/* Binds a datagram socket at @name ("@x" abstract), points NOTIFY_SOCKET at it, sends, returns what arrived. */
static int roundtrip(const char *name, const char *state, char *got, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sl = offsetof(struct sockaddr_un, sun_path) + strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ssize_t r;

	memcpy(sa.sun_path, name, strlen(name));
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sl))
		return -1;
	setenv("NOTIFY_SOCKET", name, 1);
	if (fwg_sd_notify(state))
		return -1;
	r = recv(fd, got, len - 1, MSG_DONTWAIT);
	close(fd);
	if (name[0] == '/')
		unlink(name);
	if (r < 0)
		return -1;
	got[r] = '\0';
	return 0;
}

int main(void)
{
	char path[64], abs[64], got[256], pid[16];

	snprintf(path, sizeof(path), "/tmp/fwgate-notify-%d", getpid());
	snprintf(abs, sizeof(abs), "@fwgate-notify-%d", getpid());
	unsetenv("NOTIFY_SOCKET");
	ok(fwg_sd_notify("READY=1") == 0, "notify.without_notify_socket_is_a_no_op");
	ok(!roundtrip(path, "READY=1\nSTATUS=x", got, sizeof(got)) && !strcmp(got, "READY=1\nSTATUS=x"),
	   "notify.path_socket_gets_the_state");
	ok(!roundtrip(abs, "WATCHDOG=1", got, sizeof(got)) && !strcmp(got, "WATCHDOG=1"),
	   "notify.abstract_socket_gets_the_state");
	setenv("NOTIFY_SOCKET", "relative", 1);
	ok(fwg_sd_notify("READY=1") < 0, "notify.rejects_a_relative_socket_path");

	unsetenv("WATCHDOG_USEC");
	ok(fwg_sd_watchdog_ms() == -1, "watchdog.none_without_watchdog_usec");
	setenv("WATCHDOG_USEC", "60000000", 1);
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ok(fwg_sd_watchdog_ms() == 30000, "watchdog.half_of_60_s_is_30000_ms");
	setenv("WATCHDOG_PID", "1", 1);
	ok(fwg_sd_watchdog_ms() == -1, "watchdog.not_for_another_pid");
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "60s", 1);
	ok(fwg_sd_watchdog_ms() == -1, "watchdog.ignores_a_malformed_value");

	/* Socket activation: descriptors 3 and 4 as systemd passes them, found by FileDescriptorName=. */
	if (dup2(1, 3) != 3 || dup2(1, 4) != 4)
		return 1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2", 1);
	setenv("LISTEN_FDNAMES", "other:worker", 1);
	ok(fwg_sd_listen_fd("worker") == 4, "listen.the_named_descriptor_is_found");
	ok(!getenv("LISTEN_FDS") && !getenv("LISTEN_PID") && !getenv("LISTEN_FDNAMES"),
	   "listen.the_environment_is_consumed");
	ok(fcntl(3, F_GETFD) == FD_CLOEXEC && fcntl(4, F_GETFD) == FD_CLOEXEC, "listen.descriptors_close_on_exec");
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2", 1);
	setenv("LISTEN_FDNAMES", "other:workers", 1);
	ok(fwg_sd_listen_fd("worker") == -1, "listen.a_name_must_match_whole");
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", "worker", 1);
	ok(fwg_sd_listen_fd("worker") == -1, "listen.not_for_another_pid");
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "x", 1);
	setenv("LISTEN_FDNAMES", "worker", 1);
	ok(fwg_sd_listen_fd("worker") == -1, "listen.ignores_a_malformed_count");
	unsetenv("LISTEN_PID");
	ok(fwg_sd_listen_fd("worker") == -1, "listen.none_without_listen_pid");
	close(3);
	close(4);
	printf("1..%d\n", n);
	return failed != 0;
}
