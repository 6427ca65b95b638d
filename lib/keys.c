// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keys.h"
#include "log.h"

static void log_ssl(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	log_warnx("%s: %s", what, e ? buf : "OpenSSL error");
}

int fwg_key_generate(uint32_t alg, const char *priv_path, const char *pub_path)
{
	EVP_PKEY *key;
	FILE *f;
	int fd, ok;

	key = alg == FWGATE_KEY_RSA3072 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072) :
					  EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key) {
		log_ssl("key generation");
		return -1;
	}
	fd = open(priv_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		log_warn("%s", priv_path);
		EVP_PKEY_free(key);
		return -1;
	}
	f = fdopen(fd, "w");
	ok = f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (f)
		ok = !fclose(f) && ok;
	if (ok && pub_path) {
		f = fopen(pub_path, "w");
		ok = f && PEM_write_PUBKEY(f, key);
		if (f)
			ok = !fclose(f) && ok;
	}
	EVP_PKEY_free(key);
	if (!ok)
		log_warnx("%s: can not write the key", priv_path);
	return ok ? 0 : -1;
}

/* Reads a PEM key; a private one only from a file no one else may read. */
static EVP_PKEY *key_load(const char *path, int private)
{
	struct stat st;
	EVP_PKEY *key;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		log_warn("%s", path);
		return NULL;
	}
	if (private && (fstat(fileno(f), &st) || (st.st_mode & 077))) {
		log_warnx("%s: a private key file must have mode 0600", path);
		fclose(f);
		return NULL;
	}
	key = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		log_ssl(path);
	return key;
}

EVP_PKEY *fwg_key_load_private(const char *path)
{
	return key_load(path, 1);
}

EVP_PKEY *fwg_key_load_public(const char *path)
{
	return key_load(path, 0);
}

void fwg_sha256(const void *data, size_t len, uint8_t out[FWGATE_ID_LEN])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

int fwg_key_encode(EVP_PKEY *key, struct fwg_pubkey *out)
{
	unsigned char *p = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) == 3072) {
		out->alg = FWGATE_KEY_RSA3072;
	} else if (EVP_PKEY_is_a(key, "EC")) {
		char group[32];

		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL) ||
		    strcmp(group, "prime256v1")) {
			log_warnx("EC key is not on P-256");
			return -1;
		}
		out->alg = FWGATE_KEY_P256;
		EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					       "uncompressed");
	} else {
		log_warnx("key is neither RSA-3072 nor P-256");
		return -1;
	}
	/* RSA: PKCS#1 RSAPublicKey; EC: the encoded point. */
	n = i2d_PublicKey(key, &p);
	if (n <= 0 || n > FWGATE_MAX_KEY_LEN) {
		OPENSSL_free(p);
		log_ssl("public key encoding");
		return -1;
	}
	memcpy(out->data, p, n);
	out->len = n;
	OPENSSL_free(p);
	fwg_sha256(out->data, out->len, out->id);
	return 0;
}

int fwg_pubkey_load(const char *path, struct fwg_pubkey *out)
{
	EVP_PKEY *key = fwg_key_load_public(path);
	int err;

	if (!key)
		return -1;
	err = fwg_key_encode(key, out);
	EVP_PKEY_free(key);
	return err;
}

int fwg_sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestSign(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		log_ssl("sign");
	return ok ? 0 : -1;
}

/* Decoding a P-256 point costs as much as a verification: callers that verify often keep the result. */
EVP_PKEY *fwg_pubkey_decode(uint32_t alg, const uint8_t *data, size_t len)
{
	const unsigned char *p = data;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key = NULL;

	if (alg == FWGATE_KEY_RSA3072) {
		key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
		if (key && (EVP_PKEY_get_bits(key) != 3072 || p != data + len)) {
			EVP_PKEY_free(key);
			key = NULL;
		}
	} else if (alg == FWGATE_KEY_P256) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
			OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)data, len),
			OSSL_PARAM_END
		};

		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
			EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
		EVP_PKEY_CTX_free(ctx);
	}
	ERR_clear_error();
	return key;
}

int fwg_verify_pkey(EVP_PKEY *key, const void *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

int fwg_verify(const struct fwg_pubkey *k, const void *msg, size_t len, const uint8_t *sig,
	       size_t sig_len)
{
	EVP_PKEY *key = fwg_pubkey_decode(k->alg, k->data, k->len);
	int err;

	if (!key)
		return -1;
	err = fwg_verify_pkey(key, msg, len, sig, sig_len);
	EVP_PKEY_free(key);
	return err;
}

int fwg_sha256_file(const char *path, uint8_t out[FWGATE_ID_LEN], uint64_t *size)
{
	static uint8_t buf[1 << 16];
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	*size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		*size += n;
	}
	if (n < 0)
		log_warn("%s", path);
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return n < 0 ? -1 : 0;
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
