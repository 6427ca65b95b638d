/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The files fwgate's tools pass around (Documentation/fwgate/tools.rst):
 *  - a signed update statement: struct fwgate_update_stmt, be16 signature length, signature;
 *  - a verdict: u8 kind, checker id, report digest, be16 signature length, signature;
 *  - a device trust-policy file: text, "keyword value" lines.
 * The parsers take untrusted bytes and have fuzz targets under tests/fuzz/.
 */
#ifndef FWG_FILES_H
#define FWG_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

#include "nl.h"

struct fwg_signed_stmt {
	struct fwgate_update_stmt stmt;
	uint32_t sig_len;
	uint8_t sig[FWGATE_MAX_SIG_LEN];
};

int fwg_stmt_parse(const uint8_t *buf, size_t len, struct fwg_signed_stmt *out);
size_t fwg_stmt_encode(const struct fwg_signed_stmt *s, uint8_t *buf, size_t len);
int fwg_verdict_parse(const uint8_t *buf, size_t len, struct fwg_verdict *out);
size_t fwg_verdict_encode(const struct fwg_verdict *v, uint8_t *buf, size_t len);
void fwg_verdict_message(const struct fwg_verdict *v, const struct fwgate_update_stmt *stmt,
			 struct fwgate_verdict_stmt *msg);

/* Parses a policy file's text; errors are logged as "name:line: message". */
int fwg_policy_parse(const char *name, const char *text, size_t len, struct fwg_policy *p);
int fwg_policy_format(const struct fwg_policy *p, char *buf, size_t len);

/* Base64 with padding (RFC 4648, section 4). Encode: out has room for (n + 2) / 3 * 4 + 1; the length written. */
size_t fwg_base64_encode(const void *in, size_t n, char *out);
/* The bytes of n base64 characters, padded, nothing else (no whitespace): their number, or -1. */
int fwg_base64_decode(const char *in, size_t n, uint8_t *out, size_t room);
int fwg_read_file(const char *path, uint8_t **buf, size_t *len, size_t max);
int fwg_write_file(const char *path, const void *buf, size_t len, int mode);

#endif
