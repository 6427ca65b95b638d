// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate's keys, signatures, digests and sealed images from the command line, over whichever backend of
 * lib/crypto.h it is linked with: build/tests/crypto_tool_mbedtls is the agent's, and tests/agent/
 * crypto_backends_test.c, linked with OpenSSL, checks the two against each other through it.
 *
 * Exit status: 0, 1 if a signature does not verify or an image does not open (with the error's name on
 * stdout), 2 on a usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "files.h"
#include "keys.h"
#include "log.h"
#include "seal.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	size_t cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		exit(2);
	}
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				exit(2);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	return buf;
}

static void spill(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static void print_hex(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		printf("%02x", buf[i]);
}

/* key private|public FILE: "ALG ID ENCODING", the last two in hex. */
static int cmd_key(char **argv)
{
	struct fwg_key *key = strcmp(argv[0], "private") ? fwg_key_load_public(argv[1]) :
							   fwg_key_load_private(argv[1]);
	struct fwg_pubkey pub;

	if (!key || fwg_key_encode(key, &pub))
		return 2;
	printf("%s ", pub.alg == FWGATE_KEY_RSA3072 ? "rsa3072" : "p256");
	print_hex(pub.id, sizeof(pub.id));
	printf(" ");
	print_hex(pub.data, pub.len);
	printf("\n");
	fwg_key_free(key);
	return 0;
}

/* sign PRIVATE MSG SIG */
static int cmd_sign(char **argv)
{
	struct fwg_key *key = fwg_key_load_private(argv[0]);
	uint8_t sig[FWGATE_MAX_SIG_LEN], *msg;
	size_t len, sig_len = sizeof(sig);

	msg = slurp(argv[1], &len);
	if (!key || fwg_sign(key, msg, len, sig, &sig_len))
		return 2;
	spill(argv[2], sig, sig_len);
	fwg_key_free(key);
	free(msg);
	return 0;
}

/* verify PUBLIC MSG SIG: through the key's fwgate encoding, as the agent gets keys from the policy. */
static int cmd_verify(char **argv)
{
	struct fwg_pubkey pub;
	uint8_t *msg, *sig;
	size_t len, sig_len;
	int err;

	if (fwg_pubkey_load(argv[0], &pub))
		return 2;
	msg = slurp(argv[1], &len);
	sig = slurp(argv[2], &sig_len);
	err = fwg_verify(&pub, msg, len, sig, sig_len);
	printf("%s\n", err ? "bad" : "ok");
	free(msg);
	free(sig);
	return err ? 1 : 0;
}

static int unwrap_with_key(const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32], void *arg)
{
	return fwg_seal_unwrap(arg, hdr, entry, cek);
}

static int write_plain(const uint8_t *buf, size_t len, void *arg)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -EIO;
}

/* open PRIVATE SEALED PLAIN CHUNK: the worker's way, the key's entry opened apart, fed CHUNK bytes at a time. */
static int cmd_open(char **argv)
{
	struct fwg_key *key = fwg_key_load_private(argv[0]);
	struct fwg_unseal_stream *s;
	size_t len, off, n, chunk = strtoul(argv[3], NULL, 0);
	struct fwg_pubkey me;
	uint8_t *sealed;
	FILE *out;
	int err = 0;

	if (!key || fwg_key_encode(key, &me) || !chunk)
		return 2;
	sealed = slurp(argv[1], &len);
	out = fopen(argv[2], "wb");
	s = fwg_unseal_stream_new_unwrap(me.id, unwrap_with_key, key);
	if (!out || !s)
		return 2;
	for (off = 0; off < len && !err; off += n) {
		n = len - off < chunk ? len - off : chunk;
		err = fwg_unseal_stream_feed(s, sealed + off, n, write_plain, out);
	}
	if (!err)
		err = fwg_unseal_stream_final(s);
	fwg_unseal_stream_free(s);
	if (fclose(out))
		return 2;
	printf("%s\n", !err ? "ok" : err == -EBADMSG ? "EBADMSG" : err == -ENOKEY ? "ENOKEY" : strerror(-err));
	fwg_key_free(key);
	free(sealed);
	return err ? 1 : 0;
}

/* seal PLAIN SEALED PUBLIC... */
static int cmd_seal(int argc, char **argv)
{
	struct fwg_key **keys = calloc(argc, sizeof(*keys));
	uint8_t *plain, *sealed;
	size_t len, sealed_len;
	int i;

	for (i = 2; i < argc; i++) {
		keys[i - 2] = fwg_key_load_public(argv[i]);
		if (!keys[i - 2])
			return 2;
	}
	plain = slurp(argv[0], &len);
	sealed = fwg_seal(plain, len, keys, argc - 2, &sealed_len);
	if (!sealed)
		return 2;
	spill(argv[1], sealed, sealed_len);
	for (i = 0; i < argc - 2; i++)
		fwg_key_free(keys[i]);
	free(keys);
	free(plain);
	free(sealed);
	return 0;
}

/* sha256 FILE CHUNK: the streaming digest, fed CHUNK bytes at a time; 1 if it differs from the one-shot one. */
static int cmd_sha256(char **argv)
{
	size_t len, off, n, chunk = strtoul(argv[1], NULL, 0);
	uint8_t *buf, md[32], once[32];
	struct fwg_sha256_ctx c, copy;

	if (!chunk)
		return 2;
	buf = slurp(argv[0], &len);
	fwg_sha256_init(&c);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		fwg_sha256_update(&c, buf + off, n);
	}
	copy = c;
	fwg_sha256_final(&copy, md);
	fwg_sha256(buf, len, once);
	print_hex(md, sizeof(md));
	printf("\n");
	free(buf);
	return memcmp(md, once, sizeof(md)) ? 1 : 0;
}

int main(int argc, char **argv)
{
	log_init("crypto_tool", 0);
	if (argc == 4 && !strcmp(argv[1], "key"))
		return cmd_key(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "sign"))
		return cmd_sign(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "verify"))
		return cmd_verify(argv + 2);
	if (argc == 6 && !strcmp(argv[1], "open"))
		return cmd_open(argv + 2);
	if (argc >= 5 && !strcmp(argv[1], "seal"))
		return cmd_seal(argc - 2, argv + 2);
	if (argc == 4 && !strcmp(argv[1], "sha256"))
		return cmd_sha256(argv + 2);
	fprintf(stderr, "usage: crypto_tool key private|public FILE\n"
		"       crypto_tool sign PRIVATE MSG SIG\n"
		"       crypto_tool verify PUBLIC MSG SIG\n"
		"       crypto_tool open PRIVATE SEALED PLAIN CHUNK\n"
		"       crypto_tool seal PLAIN SEALED PUBLIC...\n"
		"       crypto_tool sha256 FILE CHUNK\n");
	return 2;
}
