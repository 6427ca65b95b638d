// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

int fwg_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd, err = 0;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	/* "@name" is the abstract namespace: a leading NUL, and the length counts the name exactly. */
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + len) < 0)
		err = -errno;
	close(fd);
	return err;
}

int fwg_sd_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long us;

	if (!usec)
		return -1;
	/* WATCHDOG_PID names the process the watchdog is meant for: not a child that inherited it. */
	if (pid && strtol(pid, NULL, 10) != getpid())
		return -1;
	us = strtoull(usec, &end, 10);
	if (*end || !us)
		return -1;
	return us / 2000 > 0 ? (int)(us / 2000) : 1;
}

#define SD_LISTEN_FDS_START 3

int fwg_sd_listen_fd(const char *name)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS"), *names = getenv("LISTEN_FDNAMES");
	size_t len = strlen(name);
	int n, i, fd = -1;
	char *end;

	if (!pid || !fds || strtol(pid, &end, 10) != getpid() || *end)
		return -1;
	n = strtol(fds, &end, 10);
	if (*end || n <= 0 || n > 64)
		return -1;
	/* LISTEN_FDNAMES is "a:b:c", one name per descriptor, in order. */
	for (i = 0; names && i < n; i++) {
		const char *next = strchr(names, ':');
		size_t l = next ? (size_t)(next - names) : strlen(names);

		if (l == len && !memcmp(names, name, len)) {
			fd = SD_LISTEN_FDS_START + i;
			break;
		}
		if (!next)
			break;
		names = next + 1;
	}
	for (i = 0; i < n; i++)
		fcntl(SD_LISTEN_FDS_START + i, F_SETFD, FD_CLOEXEC);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}
