// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"

int fwg_sysfs_read(const char *file, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FWG_SYSFS "/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int fwg_sysfs_write(const char *file, const char *val, char *why, size_t why_len)
{
	size_t len = strlen(val);
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), FWG_SYSFS "/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	else if (write(fd, val, len) != (ssize_t)len)
		err = -errno;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (err && why && (fd < 0 || fwg_sysfs_read("last_error", why, why_len) || !why[0]))
		snprintf(why, why_len, "%s", strerror(-err));
	return err;
}
