// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "store.h"

#define HEAD_MAGIC	"FWGHEAD1"
#define HEAD_LEN	(8 + 8 + 2 * FWGATE_ID_LEN + 8 + 8)
#define REC_HDR		(4 + 8 + 2)
#define REC_MAX_TX	65536
#define REC_MAX_PROOF	2048

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static void head_encode(const struct fwg_store_head *h, uint8_t out[HEAD_LEN + FWGATE_ID_LEN])
{
	memcpy(out, HEAD_MAGIC, 8);
	put64(out + 8, h->next);
	memcpy(out + 16, h->tip, FWGATE_ID_LEN);
	memcpy(out + 48, h->genesis, FWGATE_ID_LEN);
	put64(out + 80, h->tip_time_ms);
	put64(out + 88, h->log_len);
	fwg_sha256(out, HEAD_LEN, out + HEAD_LEN);
}

static int head_read(struct fwg_store *s)
{
	uint8_t buf[HEAD_LEN + FWGATE_ID_LEN], sum[FWGATE_ID_LEN];
	ssize_t n;
	int fd;

	memset(&s->head, 0, sizeof(s->head));
	/* Not a link, nor a FIFO to wait on: the monitor reads the worker's store too (fwg_store_read()). */
	fd = openat(s->dirfd, "head", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_warn("store: head");
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)sizeof(buf) || memcmp(buf, HEAD_MAGIC, 8)) {
		log_warnx("store: head: not a head record (%zd bytes)", n);
		return -1;
	}
	fwg_sha256(buf, HEAD_LEN, sum);
	if (memcmp(sum, buf + HEAD_LEN, FWGATE_ID_LEN)) {
		log_warnx("store: head: checksum mismatch");
		return -1;
	}
	s->head.next = get64(buf + 8);
	memcpy(s->head.tip, buf + 16, FWGATE_ID_LEN);
	memcpy(s->head.genesis, buf + 48, FWGATE_ID_LEN);
	s->head.tip_time_ms = get64(buf + 80);
	s->head.log_len = get64(buf + 88);
	return 0;
}

/* Replays the committed part of the log and, with @cut_tail, cuts what follows it. */
static int log_replay(struct fwg_store *s, int fd, fwg_store_fn fn, void *arg, int cut_tail)
{
	uint64_t off = 0, height;
	uint8_t hdr[REC_HDR], *buf;
	size_t len, plen;
	struct stat st;
	int err = 0;

	if (fstat(fd, &st))
		return -1;
	if ((uint64_t)st.st_size < s->head.log_len) {
		log_warnx("store: tx.log holds %lld bytes, the head covers %llu", (long long)st.st_size,
			  (unsigned long long)s->head.log_len);
		return -1;
	}
	buf = malloc(REC_MAX_TX + REC_MAX_PROOF);
	if (!buf)
		return -1;
	while (!err && off < s->head.log_len) {
		if (pread(fd, hdr, REC_HDR, off) != REC_HDR)
			goto torn;
		len = be32toh(*(uint32_t *)hdr);
		height = get64(hdr + 4);
		plen = (size_t)hdr[12] << 8 | hdr[13];
		if (!len || len > REC_MAX_TX || plen > REC_MAX_PROOF || off + REC_HDR + plen + len > s->head.log_len)
			goto torn;
		if (pread(fd, buf, plen + len, off + REC_HDR) != (ssize_t)(plen + len))
			goto torn;
		if (fn)
			err = fn(buf + plen, len, height, buf, plen, arg);
		off += REC_HDR + plen + len;
	}
	free(buf);
	if (!err && cut_tail && ftruncate(fd, s->head.log_len))
		err = -1;
	return err;
torn:
	log_warnx("store: tx.log: record at byte %llu is damaged", (unsigned long long)off);
	free(buf);
	return -1;
}

int fwg_store_open(struct fwg_store *s, const char *dir, fwg_store_fn fn, void *arg)
{
	int fd;

	memset(s, 0, sizeof(*s));
	if (mkdir(dir, 0700) && errno != EEXIST) {
		log_warn("store: %s", dir);
		return -1;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		log_warn("store: %s", dir);
		return -1;
	}
	if (head_read(s))
		goto fail;
	fd = openat(s->dirfd, "tx.log", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("store: %s/tx.log", dir);
		goto fail;
	}
	if (log_replay(s, fd, fn, arg, 1)) {
		close(fd);
		goto fail;
	}
	s->log = fdopen(fd, "a");
	if (!s->log) {
		close(fd);
		goto fail;
	}
	s->log_len = s->head.log_len;
	return 0;
fail:
	close(s->dirfd);
	s->dirfd = -1;
	return -1;
}

int fwg_store_read(const char *dir, fwg_store_fn fn, void *arg)
{
	struct fwg_store s = {};
	int fd, err;

	s.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.dirfd < 0)
		return -1;
	err = head_read(&s);
	if (!err && s.head.log_len) {
		fd = openat(s.dirfd, "tx.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		err = fd < 0 ? -1 : log_replay(&s, fd, fn, arg, 0);
		if (fd >= 0)
			close(fd);
	}
	close(s.dirfd);
	return err;
}

void fwg_store_close(struct fwg_store *s)
{
	if (s->log)
		fclose(s->log);
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->log = NULL;
	s->dirfd = -1;
}

/* Cuts the log back to the committed head, whose bytes were synced. */
static int cut(struct fwg_store *s)
{
	/* stdio drops what it could not write: nothing of the lost tail is left to flush later. */
	fflush(s->log);
	clearerr(s->log);
	if (ftruncate(fileno(s->log), s->head.log_len)) {
		log_warn("store: tx.log");
		return -1;
	}
	s->log_len = s->head.log_len;
	return 0;
}

/*
 * After a failed write or sync the log's tail is unknown (part of a record, or data the disk may not hold):
 * cut it, and refuse appends and commits until fwg_store_recover(), as a commit now would cover records the
 * caller believes appended.
 */
static int broken(struct fwg_store *s)
{
	log_warn("store: tx.log");
	s->failed = 1;
	cut(s);
	return -1;
}

int fwg_store_recover(struct fwg_store *s)
{
	if (cut(s))
		return -1;
	s->failed = 0;
	return 0;
}

int fwg_store_append(struct fwg_store *s, const uint8_t *tx, size_t len, uint64_t height, const uint8_t *proof,
		     size_t proof_len)
{
	uint8_t hdr[REC_HDR];
	uint32_t l = htobe32(len);

	if (s->failed || !len || len > REC_MAX_TX || proof_len > REC_MAX_PROOF)
		return -1;
	memcpy(hdr, &l, 4);
	put64(hdr + 4, height);
	hdr[12] = proof_len >> 8;
	hdr[13] = proof_len;
	if (fwrite(hdr, REC_HDR, 1, s->log) != 1 || (proof_len && fwrite(proof, proof_len, 1, s->log) != 1) ||
	    fwrite(tx, len, 1, s->log) != 1)
		return broken(s);
	s->log_len += REC_HDR + proof_len + len;
	return 0;
}

int fwg_store_rewind(struct fwg_store *s, uint64_t mark)
{
	if (s->failed || mark < s->head.log_len || mark > s->log_len)
		return -1;
	if (fflush(s->log) || ftruncate(fileno(s->log), mark))
		return broken(s);
	s->log_len = mark;
	return 0;
}

int fwg_store_commit(struct fwg_store *s, const struct fwg_store_head *h)
{
	uint8_t buf[HEAD_LEN + FWGATE_ID_LEN];
	struct fwg_store_head nh = *h;
	int fd, ok;

	if (s->failed)
		return -1;
	if (fflush(s->log) || fdatasync(fileno(s->log)))
		return broken(s);
	nh.log_len = s->log_len;
	head_encode(&nh, buf);
	fd = openat(s->dirfd, "head.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("store: head.tmp");
		return -1;
	}
	ok = write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) && !fsync(fd);
	ok = !close(fd) && ok;
	if (!ok || renameat(s->dirfd, "head.tmp", s->dirfd, "head")) {
		log_warn("store: head");
		return -1;
	}
	/* In place, if maybe not durable yet: a cut must not go below it. */
	s->head = nh;
	if (fsync(s->dirfd)) {
		log_warn("store: head");
		return -1;
	}
	return 0;
}

uint64_t fwg_store_size(const struct fwg_store *s)
{
	return s->log_len + HEAD_LEN + FWGATE_ID_LEN;
}
