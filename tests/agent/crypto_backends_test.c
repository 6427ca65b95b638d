// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's crypto backend (mbedTLS) against the tools' (OpenSSL), lib/crypto.h: what one signs or seals
 * the other verifies or opens, both give a key the same encoding and id, and both refuse the same altered
 * bytes. Both backends define the same symbols, so this test is linked with OpenSSL and drives the mbedTLS
 * one through build/tests/crypto_tool_mbedtls, next to this program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "crypto.h"
#include "keys.h"
#include "log.h"
#include "seal.h"

static char tool_path[PATH_MAX];

/*
 * Runs the mbedTLS tool with the NULL-terminated arguments; its exit status, and its first line of output
 * in @out (without the newline) if @out is not NULL.
 */
static int tool(char *out, size_t out_len, ...)
{
	char *argv[16], buf[4096];
	size_t n = 0;
	int fds[2], status, i = 1;
	va_list ap;
	ssize_t k;
	pid_t pid;

	argv[0] = tool_path;
	va_start(ap, out_len);
	while (i < 15 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execv(tool_path, argv);
		_exit(127);
	}
	close(fds[1]);
	while (n < sizeof(buf) - 1 && (k = read(fds[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += k;
	close(fds[0]);
	buf[n] = '\0';
	if (out) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(out, out_len, "%s", buf);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int spill(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(buf, 1, len, f) == len;

	if (f)
		ok = !fclose(f) && ok;
	return ok ? 0 : -1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size ? st.st_size : 1);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

static void hex(const uint8_t *buf, size_t len, char *out)
{
	fwg_hex(buf, len, out);
}

FIXTURE(backends) {
	char dir[64];
	char path[8][PATH_MAX];	/* rsa/p256/other .key and .pub, msg, scratch */
	struct fwg_key *rsa, *p256, *other;
	uint8_t msg[1000];
};

enum { RSA_KEY, RSA_PUB, P256_KEY, P256_PUB, OTHER_KEY, OTHER_PUB, MSG, SCRATCH };

FIXTURE_SETUP(backends)
{
	static const char *const names[] = { "rsa.key", "rsa.pub", "p256.key", "p256.pub", "other.key", "other.pub",
					     "msg", "scratch" };
	unsigned int i;

	log_init("crypto_backends_test", 0);
	strcpy(self->dir, "/tmp/fwg-backends-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	for (i = 0; i < 8; i++)
		snprintf(self->path[i], sizeof(self->path[i]), "%s/%s", self->dir, names[i]);
	ASSERT_EQ(0, fwg_key_generate(FWGATE_KEY_RSA3072, self->path[RSA_KEY], self->path[RSA_PUB]));
	ASSERT_EQ(0, fwg_key_generate(FWGATE_KEY_P256, self->path[P256_KEY], self->path[P256_PUB]));
	ASSERT_EQ(0, fwg_key_generate(FWGATE_KEY_P256, self->path[OTHER_KEY], self->path[OTHER_PUB]));
	self->rsa = fwg_key_load_private(self->path[RSA_KEY]);
	self->p256 = fwg_key_load_private(self->path[P256_KEY]);
	self->other = fwg_key_load_private(self->path[OTHER_KEY]);
	ASSERT_NE(NULL, self->rsa);
	ASSERT_NE(NULL, self->p256);
	ASSERT_NE(NULL, self->other);
	for (i = 0; i < sizeof(self->msg); i++)
		self->msg[i] = i * 7 + (i >> 5);
	ASSERT_EQ(0, spill(self->path[MSG], self->msg, sizeof(self->msg)));
}

FIXTURE_TEARDOWN(backends)
{
	char cmd[PATH_MAX];

	fwg_key_free(self->rsa);
	fwg_key_free(self->p256);
	fwg_key_free(self->other);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* "ALG ID ENCODING" as crypto_tool key prints it, from this backend. */
static void describe(struct fwg_key *key, char *out, size_t len)
{
	char id[2 * FWGATE_ID_LEN + 1], data[2 * FWGATE_MAX_KEY_LEN + 1];
	struct fwg_pubkey pub;

	if (fwg_key_encode(key, &pub)) {
		snprintf(out, len, "no encoding");
		return;
	}
	hex(pub.id, sizeof(pub.id), id);
	hex(pub.data, pub.len, data);
	snprintf(out, len, "%s %s %s", pub.alg == FWGATE_KEY_RSA3072 ? "rsa3072" : "p256", id, data);
}

TEST_F(backends, give_keys_the_same_encoding_and_id)
{
	char mine[4096], theirs[4096];
	struct {
		struct fwg_key *key;
		int priv, pub;
	} k[] = { { self->rsa, RSA_KEY, RSA_PUB }, { self->p256, P256_KEY, P256_PUB } };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		describe(k[i].key, mine, sizeof(mine));
		ASSERT_EQ(0, tool(theirs, sizeof(theirs), "key", "private", self->path[k[i].priv], NULL));
		EXPECT_STREQ(mine, theirs);
		ASSERT_EQ(0, tool(theirs, sizeof(theirs), "key", "public", self->path[k[i].pub], NULL));
		EXPECT_STREQ(mine, theirs);
	}
}

TEST_F(backends, mbedtls_loads_traditional_and_der_private_keys)
{
	/* Traditional PEM, PKCS#8 DER, traditional DER. */
	static const char *const forms[2][3] = {
		{ "pkey -traditional", "pkey -outform DER", "rsa -outform DER" },
		{ "pkey -traditional", "pkey -outform DER", "ec -outform DER" },
	};
	char mine[4096], theirs[4096], cmd[3 * PATH_MAX];
	int key[] = { RSA_KEY, P256_KEY };
	unsigned int i, j;

	if (system("openssl version >/dev/null 2>&1"))
		SKIP(return, "no openssl command");
	for (i = 0; i < 2; i++) {
		describe(i ? self->p256 : self->rsa, mine, sizeof(mine));
		for (j = 0; j < 3; j++) {
			snprintf(cmd, sizeof(cmd), "umask 077; openssl %s -in %s -out %s 2>/dev/null", forms[i][j],
				 self->path[key[i]], self->path[SCRATCH]);
			ASSERT_EQ(0, system(cmd));
			ASSERT_EQ(0, tool(theirs, sizeof(theirs), "key", "private", self->path[SCRATCH], NULL));
			EXPECT_STREQ(mine, theirs);
			unlink(self->path[SCRATCH]);
		}
	}
}

TEST_F(backends, mbedtls_refuses_a_private_key_others_may_read)
{
	ASSERT_EQ(0, chmod(self->path[P256_KEY], 0640));
	EXPECT_EQ(2, tool(NULL, 0, "key", "private", self->path[P256_KEY], NULL));
}

static void sign_here_verify_there(struct __test_metadata *_metadata, FIXTURE_DATA(backends) *self,
				   struct fwg_key *key, int pub)
{
	uint8_t sig[FWGATE_MAX_SIG_LEN], msg[sizeof(self->msg)];
	size_t sig_len = sizeof(sig);
	char sig_path[PATH_MAX], out[64];

	snprintf(sig_path, sizeof(sig_path), "%s/sig", self->dir);
	ASSERT_EQ(0, fwg_sign(key, self->msg, sizeof(self->msg), sig, &sig_len));
	ASSERT_EQ(0, spill(sig_path, sig, sig_len));
	EXPECT_EQ(0, tool(out, sizeof(out), "verify", self->path[pub], self->path[MSG], sig_path, NULL));
	EXPECT_STREQ("ok", out);

	/* The message altered, then the signature. */
	memcpy(msg, self->msg, sizeof(msg));
	msg[sizeof(msg) / 2] ^= 1;
	ASSERT_EQ(0, spill(self->path[SCRATCH], msg, sizeof(msg)));
	EXPECT_EQ(1, tool(out, sizeof(out), "verify", self->path[pub], self->path[SCRATCH], sig_path, NULL));
	sig[sig_len - 3] ^= 0x40;
	ASSERT_EQ(0, spill(sig_path, sig, sig_len));
	EXPECT_EQ(1, tool(out, sizeof(out), "verify", self->path[pub], self->path[MSG], sig_path, NULL));
	sig[sig_len - 3] ^= 0x40;
	ASSERT_EQ(0, spill(sig_path, sig, sig_len - 1));
	EXPECT_EQ(1, tool(out, sizeof(out), "verify", self->path[pub], self->path[MSG], sig_path, NULL));
}

TEST_F(backends, rsa_signature_from_openssl_verifies_with_mbedtls)
{
	sign_here_verify_there(_metadata, self, self->rsa, RSA_PUB);
}

TEST_F(backends, p256_signature_from_openssl_verifies_with_mbedtls)
{
	sign_here_verify_there(_metadata, self, self->p256, P256_PUB);
}

static void sign_there_verify_here(struct __test_metadata *_metadata, FIXTURE_DATA(backends) *self,
				   struct fwg_key *key, int priv)
{
	char sig_path[PATH_MAX];
	struct fwg_pubkey pub;
	uint8_t *sig;
	size_t sig_len;

	snprintf(sig_path, sizeof(sig_path), "%s/sig", self->dir);
	ASSERT_EQ(0, fwg_key_encode(key, &pub));
	ASSERT_EQ(0, tool(NULL, 0, "sign", self->path[priv], self->path[MSG], sig_path, NULL));
	sig = slurp(sig_path, &sig_len);
	ASSERT_NE(NULL, sig);
	EXPECT_EQ(0, fwg_verify(&pub, self->msg, sizeof(self->msg), sig, sig_len));
	EXPECT_EQ(-1, fwg_verify(&pub, self->msg, sizeof(self->msg) - 1, sig, sig_len));
	sig[sig_len / 2] ^= 0x10;
	EXPECT_EQ(-1, fwg_verify(&pub, self->msg, sizeof(self->msg), sig, sig_len));
	free(sig);
}

TEST_F(backends, rsa_signature_from_mbedtls_verifies_with_openssl)
{
	sign_there_verify_here(_metadata, self, self->rsa, RSA_KEY);
}

TEST_F(backends, p256_signature_from_mbedtls_verifies_with_openssl)
{
	sign_there_verify_here(_metadata, self, self->p256, P256_KEY);
}

TEST_F(backends, image_sealed_by_openssl_opens_with_mbedtls_in_any_chunks)
{
	static const char *const chunks[] = { "1", "7", "4093", "1000000" };
	struct fwg_key *to[2] = { self->other, self->p256 };
	size_t len, sealed_len, plain_len, i;
	char sealed_path[PATH_MAX], out[64];
	uint8_t *image, *sealed, *plain;

	len = 100000;
	image = malloc(len);
	ASSERT_NE(NULL, image);
	for (i = 0; i < len; i++)
		image[i] = i * 13 + (i >> 9);
	sealed = fwg_seal(image, len, to, 2, &sealed_len);
	ASSERT_NE(NULL, sealed);
	snprintf(sealed_path, sizeof(sealed_path), "%s/sealed", self->dir);
	ASSERT_EQ(0, spill(sealed_path, sealed, sealed_len));
	for (i = 0; i < ARRAY_SIZE(chunks); i++) {
		unlink(self->path[SCRATCH]);
		EXPECT_EQ(0, tool(out, sizeof(out), "open", self->path[P256_KEY], sealed_path, self->path[SCRATCH],
				  chunks[i], NULL));
		EXPECT_STREQ("ok", out);
		plain = slurp(self->path[SCRATCH], &plain_len);
		ASSERT_NE(NULL, plain);
		EXPECT_EQ(len, plain_len);
		EXPECT_EQ(0, memcmp(plain, image, len));
		free(plain);
	}
	free(sealed);
	free(image);
}

TEST_F(backends, image_sealed_by_mbedtls_opens_with_openssl)
{
	char sealed_path[PATH_MAX];
	size_t sealed_len, len;
	uint8_t *sealed, *plain;

	snprintf(sealed_path, sizeof(sealed_path), "%s/sealed", self->dir);
	ASSERT_EQ(0, tool(NULL, 0, "seal", self->path[MSG], sealed_path, self->path[OTHER_PUB], self->path[P256_PUB],
			  NULL));
	sealed = slurp(sealed_path, &sealed_len);
	ASSERT_NE(NULL, sealed);
	plain = fwg_unseal(sealed, sealed_len, self->p256, &len);
	ASSERT_NE(NULL, plain);
	EXPECT_EQ(sizeof(self->msg), len);
	EXPECT_EQ(0, memcmp(plain, self->msg, len));
	free(plain);
	free(sealed);
}

static int discard(const uint8_t *buf, size_t len, void *arg)
{
	return 0;
}

/* The streaming opener's verdict on a sealed image, this backend's. */
static int verdict(struct fwg_key *key, const uint8_t *sealed, size_t len)
{
	struct fwg_unseal_stream *s = fwg_unseal_stream_new(key);
	int err;

	err = s ? fwg_unseal_stream_feed(s, sealed, len, discard, NULL) : -ENOMEM;
	if (!err)
		err = fwg_unseal_stream_final(s);
	fwg_unseal_stream_free(s);
	return err;
}

/*
 * Every byte of a sealed image, altered in turn: both backends refuse it, -EBADMSG, except that an altered
 * key id of the recipient's own entry leaves it with no entry, -ENOKEY.
 */
TEST_F(backends, any_altered_byte_fails_alike_in_both_backends)
{
	char sealed_path[PATH_MAX], out[64];
	size_t sealed_len, i;
	uint8_t *sealed;
	int want;

	sealed = fwg_seal(self->msg, 64, &self->p256, 1, &sealed_len);
	ASSERT_NE(NULL, sealed);
	snprintf(sealed_path, sizeof(sealed_path), "%s/sealed", self->dir);
	for (i = 0; i < sealed_len; i++) {
		want = i >= FWG_SEAL_HDR && i < FWG_SEAL_HDR + 32 ? -ENOKEY : -EBADMSG;
		sealed[i] ^= 0x20;
		ASSERT_EQ(0, spill(sealed_path, sealed, sealed_len));
		EXPECT_EQ(want, verdict(self->p256, sealed, sealed_len)) TH_LOG("byte %zu, OpenSSL", i);
		EXPECT_EQ(1, tool(out, sizeof(out), "open", self->path[P256_KEY], sealed_path, self->path[SCRATCH],
				  "7", NULL));
		EXPECT_STREQ(want == -ENOKEY ? "ENOKEY" : "EBADMSG", out) TH_LOG("byte %zu, mbedTLS", i);
		sealed[i] ^= 0x20;
	}
	/* Cut short, or with a byte too many. */
	ASSERT_EQ(0, spill(sealed_path, sealed, sealed_len - 1));
	EXPECT_EQ(1, tool(out, sizeof(out), "open", self->path[P256_KEY], sealed_path, self->path[SCRATCH], "7", NULL));
	EXPECT_STREQ("EBADMSG", out);
	sealed = realloc(sealed, sealed_len + 1);
	ASSERT_NE(NULL, sealed);
	sealed[sealed_len] = 0;
	ASSERT_EQ(0, spill(sealed_path, sealed, sealed_len + 1));
	EXPECT_EQ(1, tool(out, sizeof(out), "open", self->path[P256_KEY], sealed_path, self->path[SCRATCH], "7", NULL));
	EXPECT_STREQ("EBADMSG", out);
	free(sealed);
}

TEST_F(backends, non_recipient_gets_enokey)
{
	char sealed_path[PATH_MAX], out[64];
	size_t sealed_len;
	uint8_t *sealed;

	sealed = fwg_seal(self->msg, sizeof(self->msg), &self->other, 1, &sealed_len);
	ASSERT_NE(NULL, sealed);
	snprintf(sealed_path, sizeof(sealed_path), "%s/sealed", self->dir);
	ASSERT_EQ(0, spill(sealed_path, sealed, sealed_len));
	EXPECT_EQ(1, tool(out, sizeof(out), "open", self->path[P256_KEY], sealed_path, self->path[SCRATCH], "4093",
			  NULL));
	EXPECT_STREQ("ENOKEY", out);
	EXPECT_EQ(-ENOKEY, verdict(self->p256, sealed, sealed_len));
	free(sealed);
}

TEST_F(backends, sha256_streaming_equals_one_shot)
{
	static const char *const chunks[] = { "1", "7", "63", "64", "65", "4093" };
	char mine[2 * FWGATE_ID_LEN + 1], theirs[128];
	uint8_t *buf, md[FWGATE_ID_LEN];
	size_t len = 70001, i;

	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < len; i++)
		buf[i] = i ^ (i >> 8);
	ASSERT_EQ(0, spill(self->path[SCRATCH], buf, len));
	fwg_sha256(buf, len, md);
	hex(md, sizeof(md), mine);
	for (i = 0; i < ARRAY_SIZE(chunks); i++) {
		EXPECT_EQ(0, tool(theirs, sizeof(theirs), "sha256", self->path[SCRATCH], chunks[i], NULL));
		EXPECT_STREQ(mine, theirs);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	char self_path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	if (n < 0)
		return 1;
	self_path[n] = '\0';
	snprintf(tool_path, sizeof(tool_path), "%s/crypto_tool_mbedtls", dirname(self_path));
	return test_harness_run(argc, argv);
}
