// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "queue.h"

#define TX_MAX 65536
#define NAME_LEN (2 * FWGATE_ID_LEN + 1)

int fwg_queue_open(struct fwg_queue *q, const char *dir)
{
	DIR *d;
	struct dirent *de;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		log_warn("%s", dir);
		return -1;
	}
	q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dirfd < 0) {
		log_warn("%s", dir);
		return -1;
	}
	/* A put cut short leaves only its temporary file: drop those. */
	d = fdopendir(dup(q->dirfd));
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp"))
			unlinkat(q->dirfd, de->d_name, 0);
	closedir(d);
	return 0;
}

void fwg_queue_close(struct fwg_queue *q)
{
	if (q->dirfd >= 0)
		close(q->dirfd);
	q->dirfd = -1;
}

int fwg_queue_put(struct fwg_queue *q, const uint8_t id[FWGATE_ID_LEN], const void *tx, size_t len)
{
	char name[NAME_LEN], tmp[NAME_LEN + 4];
	int fd, ok;

	fwg_hex(id, FWGATE_ID_LEN, name);
	if (!faccessat(q->dirfd, name, F_OK, 0))
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(q->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("queue: %s", tmp);
		return -1;
	}
	ok = write(fd, tx, len) == (ssize_t)len && !fsync(fd);
	ok = !close(fd) && ok;
	if (!ok || renameat(q->dirfd, tmp, q->dirfd, name)) {
		log_warn("queue: %s", name);
		unlinkat(q->dirfd, tmp, 0);
		return -1;
	}
	/*
	 * Renamed, the entry exists: failing now would have the caller sign and queue a second, different
	 * transaction. Should a power cut undo the rename, the entry is lost as if never put, and asked for again.
	 */
	if (fsync(q->dirfd) && fsync(q->dirfd))
		log_warn("queue: %s: directory not synced", name);
	return 0;
}

int fwg_queue_remove(struct fwg_queue *q, const uint8_t id[FWGATE_ID_LEN])
{
	char name[NAME_LEN];

	fwg_hex(id, FWGATE_ID_LEN, name);
	if (unlinkat(q->dirfd, name, 0)) {
		if (errno == ENOENT)
			return 0;	/* gone already: nothing to make durable */
		log_warn("queue: %s", name);
		return -1;
	}
	return fsync(q->dirfd) ? -1 : 0;
}

struct entry {
	char name[NAME_LEN];
	struct timespec mtime;
};

static int by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Reads one queued transaction; a file that is not one (wrong name, size) is left alone. */
static int load(struct fwg_queue *q, const char *name, uint8_t *buf, size_t *len)
{
	ssize_t n;
	int fd;

	fd = openat(q->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, TX_MAX);
	close(fd);
	if (n <= 0)
		return -1;
	*len = n;
	return 0;
}

int fwg_queue_each(struct fwg_queue *q, int (*fn)(const uint8_t *id, const uint8_t *tx, size_t len,
						  void *arg), void *arg)
{
	struct entry *e = NULL, *grown;
	size_t n = 0, cap = 0, i, len;
	uint8_t id[FWGATE_ID_LEN], *buf;
	struct dirent *de;
	struct stat st;
	int err = 0;
	DIR *d;

	d = fdopendir(dup(q->dirfd));
	if (!d)
		return -1;
	rewinddir(d);
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != NAME_LEN - 1 || fwg_unhex(de->d_name, id, sizeof(id)) ||
		    fstatat(q->dirfd, de->d_name, &st, 0))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(e, cap * sizeof(*e));
			if (!grown) {
				err = -1;
				break;
			}
			e = grown;
		}
		strcpy(e[n].name, de->d_name);
		e[n].mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	buf = malloc(TX_MAX);
	if (!buf)
		err = -1;
	if (!err)
		qsort(e, n, sizeof(*e), by_age);
	for (i = 0; i < n && !err; i++) {
		if (load(q, e[i].name, buf, &len))
			continue;
		fwg_unhex(e[i].name, id, sizeof(id));
		err = fn(id, buf, len, arg);
	}
	free(buf);
	free(e);
	return err;
}
