// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"

#define VERDICT_HDR (1 + 2 * FWGATE_ID_LEN)

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* A signature field: be16 length, then that many bytes, ending the buffer. */
static int sig_parse(const uint8_t *p, size_t left, uint8_t *sig, uint32_t *sig_len)
{
	size_t n;

	if (left < 2)
		return -EINVAL;
	n = get_be16(p);
	if (n == 0 || n > FWGATE_MAX_SIG_LEN || n != left - 2)
		return -EINVAL;
	memcpy(sig, p + 2, n);
	*sig_len = n;
	return 0;
}

int fwg_stmt_parse(const uint8_t *buf, size_t len, struct fwg_signed_stmt *out)
{
	if (len < sizeof(out->stmt) ||
	    memcmp(buf, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN))
		return -EINVAL;
	memcpy(&out->stmt, buf, sizeof(out->stmt));
	if (out->stmt.o_type[FWGATE_NAME_LEN - 1] || out->stmt.target[FWGATE_NAME_LEN - 1])
		return -EINVAL;
	return sig_parse(buf + sizeof(out->stmt), len - sizeof(out->stmt), out->sig, &out->sig_len);
}

size_t fwg_stmt_encode(const struct fwg_signed_stmt *s, uint8_t *buf, size_t len)
{
	size_t n = sizeof(s->stmt) + 2 + s->sig_len;

	if (len < n)
		return 0;
	memcpy(buf, &s->stmt, sizeof(s->stmt));
	put_be16(buf + sizeof(s->stmt), s->sig_len);
	memcpy(buf + sizeof(s->stmt) + 2, s->sig, s->sig_len);
	return n;
}

int fwg_verdict_parse(const uint8_t *buf, size_t len, struct fwg_verdict *out)
{
	if (len < VERDICT_HDR ||
	    (buf[0] != FWGATE_VERDICT_APPROVE && buf[0] != FWGATE_VERDICT_REJECT))
		return -EINVAL;
	out->kind = buf[0];
	memcpy(out->checker, buf + 1, FWGATE_ID_LEN);
	memcpy(out->report, buf + 1 + FWGATE_ID_LEN, FWGATE_ID_LEN);
	return sig_parse(buf + VERDICT_HDR, len - VERDICT_HDR, out->sig, &out->sig_len);
}

size_t fwg_verdict_encode(const struct fwg_verdict *v, uint8_t *buf, size_t len)
{
	size_t n = VERDICT_HDR + 2 + v->sig_len;

	if (len < n)
		return 0;
	buf[0] = v->kind;
	memcpy(buf + 1, v->checker, FWGATE_ID_LEN);
	memcpy(buf + 1 + FWGATE_ID_LEN, v->report, FWGATE_ID_LEN);
	put_be16(buf + VERDICT_HDR, v->sig_len);
	memcpy(buf + VERDICT_HDR + 2, v->sig, v->sig_len);
	return n;
}

void fwg_verdict_message(const struct fwg_verdict *v, const struct fwgate_update_stmt *stmt,
			 struct fwgate_verdict_stmt *msg)
{
	memcpy(msg->magic, v->kind == FWGATE_VERDICT_APPROVE ? FWGATE_MAGIC_APPROVE :
	       FWGATE_MAGIC_REJECT, FWGATE_MAGIC_LEN);
	memcpy(msg->checker_id, v->checker, FWGATE_ID_LEN);
	memcpy(msg->report, v->report, FWGATE_ID_LEN);
	msg->update = *stmt;
}

/* ---------------------------------------------------------- policy files */

static const char *const alg_names[] = {
	[FWGATE_KEY_RSA3072] = "rsa3072",
	[FWGATE_KEY_P256] = "p256",
};

static const char b64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t fwg_base64_encode(const void *data, size_t n, char *out)
{
	const uint8_t *in = data;
	char *o = out;
	uint32_t v;
	size_t i;

	for (i = 0; i < n; i += 3) {
		v = in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
		*o++ = b64_digits[v >> 18];
		*o++ = b64_digits[v >> 12 & 63];
		*o++ = i + 1 < n ? b64_digits[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64_digits[v & 63] : '=';
	}
	*o = '\0';
	return o - out;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int fwg_base64_decode(const char *in, size_t n, uint8_t *out, size_t room)
{
	size_t i, len, pad = 0;
	uint32_t v = 0;
	int d;

	if (n % 4)
		return -1;
	if (n && in[n - 1] == '=')
		pad = n >= 2 && in[n - 2] == '=' ? 2 : 1;
	len = n / 4 * 3 - pad;
	if (len > room || len > INT_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (i >= n - pad) {
			v <<= 6;
		} else {
			d = b64_value(in[i]);
			if (d < 0)
				return -1;
			v = v << 6 | d;
		}
		if (i % 4 != 3)
			continue;
		if (i / 4 * 3 < len)
			out[i / 4 * 3] = v >> 16;
		if (i / 4 * 3 + 1 < len)
			out[i / 4 * 3 + 1] = v >> 8;
		if (i / 4 * 3 + 2 < len)
			out[i / 4 * 3 + 2] = v;
	}
	return len;
}

static int key_parse(const char *alg, const char *b64, struct fwg_pubkey *k)
{
	int len;

	memset(k, 0, sizeof(*k));
	if (!strcmp(alg, alg_names[FWGATE_KEY_RSA3072]))
		k->alg = FWGATE_KEY_RSA3072;
	else if (!strcmp(alg, alg_names[FWGATE_KEY_P256]))
		k->alg = FWGATE_KEY_P256;
	else
		return -1;
	len = fwg_base64_decode(b64, strlen(b64), k->data, sizeof(k->data));
	if (len <= 0)
		return -1;
	k->len = len;
	fwg_sha256(k->data, k->len, k->id);
	return 0;
}

int fwg_policy_parse(const char *name, const char *text, size_t len, struct fwg_policy *p)
{
	char line[1024], key[32], v1[1000], v2[1000], extra[2];
	size_t off = 0, n;
	int lineno = 0, fields, have_type = 0, have_device = 0, have_m = 0, have_q = 0;

	memset(p, 0, sizeof(*p));
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);

		n = nl ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		if (n >= sizeof(line)) {
			log_warnx("%s:%d: line too long", name, lineno);
			return -1;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		if (memchr(line, '\0', n)) {
			log_warnx("%s:%d: NUL byte in line", name, lineno);
			return -1;
		}
		fields = sscanf(line, " %31s %999s %999s %1s", key, v1, v2, extra);
		if (fields <= 0 || key[0] == '#')
			continue;
		if ((!strcmp(key, "type") && have_type) || (!strcmp(key, "device") && have_device) ||
		    (!strcmp(key, "threshold") && have_q) || (!strcmp(key, "manufacturer") && have_m)) {
			log_warnx("%s:%d: \"%s\" given twice", name, lineno, key);
			return -1;
		}
		if (!strcmp(key, "type") && fields == 2 && strlen(v1) < FWGATE_NAME_LEN) {
			strcpy(p->otype, v1);
			have_type = 1;
		} else if (!strcmp(key, "device") && fields == 2 &&
			   !fwg_unhex(v1, p->device_id, FWGATE_ID_LEN)) {
			have_device = 1;
		} else if (!strcmp(key, "threshold") && fields == 2 &&
			   sscanf(v1, "%u%1s", &p->threshold, extra) == 1) {
			have_q = 1;
		} else if (!strcmp(key, "manufacturer") && fields == 3 &&
			   !key_parse(v1, v2, &p->manufacturer)) {
			have_m = 1;
		} else if (!strcmp(key, "checker") && fields == 3 && p->k < FWGATE_MAX_CHECKERS &&
			   !key_parse(v1, v2, &p->checkers[p->k])) {
			p->k++;
		} else {
			log_warnx("%s:%d: cannot parse \"%.60s\"", name, lineno, line);
			return -1;
		}
	}
	if (!have_type || !have_device || !have_m || !have_q || !p->k) {
		log_warnx("%s: needs type, device, threshold, manufacturer and at least one checker",
			  name);
		return -1;
	}
	return 0;
}

static int key_format(const char *what, const struct fwg_pubkey *k, char *buf, size_t len)
{
	char b64[(FWGATE_MAX_KEY_LEN + 2) / 3 * 4 + 1];

	fwg_base64_encode(k->data, k->len, b64);
	return snprintf(buf, len, "%s %s %s\n", what, alg_names[k->alg], b64);
}

int fwg_policy_format(const struct fwg_policy *p, char *buf, size_t len)
{
	char hex[2 * FWGATE_ID_LEN + 1];
	size_t n;
	uint32_t i;

	fwg_hex(p->device_id, FWGATE_ID_LEN, hex);
	n = snprintf(buf, len, "# fwgate device trust policy\ntype %s\ndevice %s\nthreshold %u\n",
		     p->otype, hex, p->threshold);
	n += key_format("manufacturer", &p->manufacturer, buf + n, n < len ? len - n : 0);
	for (i = 0; i < p->k; i++)
		n += key_format("checker", &p->checkers[i], buf + n, n < len ? len - n : 0);
	return n < len ? (int)n : -1;
}

/* ------------------------------------------------------------------ I/O */

int fwg_read_file(const char *path, uint8_t **buf, size_t *len, size_t max)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		log_warn("%s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((size_t)st.st_size > max) {
		log_warnx("%s: larger than %zu bytes", path, max);
		close(fd);
		return -1;
	}
	*buf = malloc(st.st_size + 1);
	n = *buf ? read(fd, *buf, st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		log_warn("%s", path);
		free(*buf);
		return -1;
	}
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

int fwg_write_file(const char *path, const void *buf, size_t len, int mode)
{
	char tmp[4096];
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0) {
		log_warn("%s", tmp);
		return -1;
	}
	ok = write(fd, buf, len) == (ssize_t)len && !fsync(fd);
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path)) {
		log_warn("%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
