// SPDX-License-Identifier: GPL-2.0
/* The parts of lib/keys.h that are the same for both backends (lib/crypto.h). */
#define _GNU_SOURCE	/* memmem */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "keys.h"
#include "log.h"

#define KEY_FILE_MAX	(64 << 10)

/* Reads a key file; a private one only if no one else may read it. Its bytes are wiped once parsed. */
/*
 * The mistakes a person makes with key files, said in words before the crypto library says them in its own:
 * an empty file, a public key given for a private one or the other way, an encrypted key, not a key at all.
 */
static int wrong_kind(const char *path, const uint8_t *buf, size_t len, int private)
{
	const char *pem = memmem(buf, len, "-----BEGIN ", 11);

	if (!len) {
		log_warnx("%s: empty, not a key", path);
		return 1;
	}
	if (!pem) {
		/* DER: a SEQUENCE. */
		if (buf[0] == 0x30)
			return 0;
		log_warnx("%s: not a key: neither PEM (-----BEGIN ...) nor DER", path);
		return 1;
	}
	pem += 11;
	if (!strncmp(pem, "ENCRYPTED PRIVATE KEY", 21)) {
		log_warnx("%s: an encrypted private key; fwgate reads unencrypted keys from 0600 files", path);
		return 1;
	}
	if (private && !strncmp(pem, "PUBLIC KEY", 10)) {
		log_warnx("%s: a public key, where a private key is wanted (NAME.key, not NAME.pub)", path);
		return 1;
	}
	if (!private && strstr(pem, "PRIVATE KEY-----") && strstr(pem, "PRIVATE KEY-----") < pem + 32) {
		log_warnx("%s: a private key, where a public key is wanted (NAME.pub, not NAME.key)", path);
		return 1;
	}
	if (!strncmp(pem, "CERTIFICATE", 11)) {
		log_warnx("%s: an X.509 certificate, not a key", path);
		return 1;
	}
	return 0;
}

static struct fwg_key *key_load(const char *path, int private)
{
	struct fwg_key *key = NULL;
	struct stat st;
	uint8_t *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s", path);
		return NULL;
	}
	if (fstat(fd, &st)) {
		log_warn("%s", path);
		close(fd);
		return NULL;
	}
	if (private && (st.st_mode & 077)) {
		log_warnx("%s: a private key file must have mode 0600", path);
		close(fd);
		return NULL;
	}
	buf = malloc(KEY_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (len < KEY_FILE_MAX && (n = read(fd, buf + len, KEY_FILE_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("%s", path);
			goto out;
		}
		len += n;
	}
	if (len == KEY_FILE_MAX) {
		log_warnx("%s: not a key file, larger than %d bytes", path, KEY_FILE_MAX);
		goto out;
	}
	buf[len] = '\0';
	if (!wrong_kind(path, buf, len, private))
		key = fwg_key_parse(buf, len, private, path);
out:
	explicit_bzero(buf, len);
	free(buf);
	close(fd);
	return key;
}

struct fwg_key *fwg_key_load_private(const char *path)
{
	return key_load(path, 1);
}

struct fwg_key *fwg_key_load_public(const char *path)
{
	return key_load(path, 0);
}

int fwg_pubkey_load(const char *path, struct fwg_pubkey *out)
{
	struct fwg_key *key = fwg_key_load_public(path);
	int err;

	if (!key)
		return -1;
	err = fwg_key_encode(key, out);
	fwg_key_free(key);
	return err;
}

int fwg_verify(const struct fwg_pubkey *k, const void *msg, size_t len, const uint8_t *sig,
	       size_t sig_len)
{
	struct fwg_key *key = fwg_pubkey_decode(k->alg, k->data, k->len);
	int err;

	if (!key)
		return -1;
	err = fwg_verify_pkey(key, msg, len, sig, sig_len);
	fwg_key_free(key);
	return err;
}

void fwg_sha256(const void *data, size_t len, uint8_t out[FWGATE_ID_LEN])
{
	struct fwg_sha256_ctx c;

	fwg_sha256_init(&c);
	fwg_sha256_update(&c, data, len);
	fwg_sha256_final(&c, out);
}

int fwg_sha256_file(const char *path, uint8_t out[FWGATE_ID_LEN], uint64_t *size)
{
	static uint8_t buf[1 << 16];
	struct fwg_sha256_ctx c;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	fwg_sha256_init(&c);
	*size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwg_sha256_update(&c, buf, n);
		*size += n;
	}
	if (n < 0)
		log_warn("%s", path);
	fwg_sha256_final(&c, out);
	close(fd);
	return n < 0 ? -1 : 0;
}

size_t fwg_chunks_len(uint64_t size)
{
	return (size / FWGATE_CHUNK_LEN + !!(size % FWGATE_CHUNK_LEN)) * FWGATE_ID_LEN;
}

void fwg_chunks_digest(const uint8_t *list, size_t len, uint8_t out[FWGATE_ID_LEN])
{
	struct fwgate_chunks_hdr hdr = { .magic = FWGATE_MAGIC_CHUNKS };
	struct fwg_sha256_ctx c;

	hdr.chunk_len = htobe32(FWGATE_CHUNK_LEN);
	fwg_sha256_init(&c);
	fwg_sha256_update(&c, &hdr, sizeof(hdr));
	fwg_sha256_update(&c, list, len);
	fwg_sha256_final(&c, out);
}

int fwg_chunks_check(const uint8_t *list, size_t len, uint64_t size, const uint8_t digest[FWGATE_ID_LEN])
{
	uint8_t d[FWGATE_ID_LEN];

	if (!size || len != fwg_chunks_len(size))
		return -EINVAL;
	fwg_chunks_digest(list, len, d);
	return memcmp(d, digest, FWGATE_ID_LEN) ? -EBADMSG : 0;
}

int fwg_image_digests(const char *path, uint8_t u_id[FWGATE_ID_LEN], uint64_t *size, uint8_t **list,
		      size_t *len)
{
	static uint8_t buf[FWGATE_CHUNK_LEN];
	struct fwg_sha256_ctx whole, chunk;
	size_t fill, room = 0;
	uint8_t *l = NULL, *tmp;
	ssize_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	fwg_sha256_init(&whole);
	*size = 0;
	*len = 0;
	do {
		for (fill = 0; fill < sizeof(buf); fill += n) {
			n = read(fd, buf + fill, sizeof(buf) - fill);
			if (n <= 0)
				break;
		}
		if (n < 0 || !fill)
			break;
		if (*len == room) {
			room = room ? 2 * room : 64 * FWGATE_ID_LEN;
			tmp = realloc(l, room);
			if (!tmp) {
				n = -1;
				break;
			}
			l = tmp;
		}
		fwg_sha256_update(&whole, buf, fill);
		fwg_sha256_init(&chunk);
		fwg_sha256_update(&chunk, buf, fill);
		fwg_sha256_final(&chunk, l + *len);
		*len += FWGATE_ID_LEN;
		*size += fill;
	} while (fill == sizeof(buf));
	if (n < 0)
		log_warn("%s", path);
	close(fd);
	fwg_sha256_final(&whole, u_id);
	if (n < 0) {
		free(l);
		return -1;
	}
	*list = l;
	return 0;
}

void fwg_hex(const uint8_t *id, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * len] = '\0';
}

int fwg_unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;
	unsigned int b;

	if (strlen(hex) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = b;
	}
	return 0;
}
