// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel tests of fwgate.ko, driven as an administrator drives it: generic
 * netlink for the policy and approval bundles, sysfs for targets and the state
 * store, /dev/fwgate for installs, and the disks underneath for what really
 * reached them. Expectations follow Documentation/fwgate/kernel.rst.
 *
 * Runs as root in the test VM (tests/kernel/run.sh): every test reloads the
 * module from $FWGATE_KO, wipes the state store and writes known bytes over
 * the targets, so tests do not depend on each other. The "locked" tests are
 * the exception: a lock holds until reboot, so they run last, in a second
 * invocation (-f locked), and share one locked module.
 *
 * Keys come from $FWGATE_TEST_KEYS, written on the host by --gen-keys DIR:
 * RSA-3072 key generation takes minutes under QEMU TCG.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

#include <linux/blkpg.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <mtd/mtd-user.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <zlib.h>

#include <linux/fwgate.h>

/* The 6.1 harness has an unused parameter, which -Wextra -Werror would refuse. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define SYSFS_DIR	"/sys/kernel/fwgate"
#define DEVICE_PATH	"/dev/" FWGATE_DEVICE_NAME

/*
 * The policy every test starts from. q is above the majority, so approving
 * and rejecting need different numbers of checkers and a test can tell which
 * rule fired. Checker keys from TEST_K on are unknown to the policy.
 */
#define TEST_K		5
#define TEST_Q		4
#define TEST_MAJORITY	(TEST_K / 2 + 1)
#define TEST_OTYPE	"fwgate-test-board"
#define TEST_DEVICE	"fwgate test device"	/* the device id is its SHA-256 */
#define N_CHECKER_KEYS	8
#define N_P256_KEYS	2

#define GROUP		"rootfs"		/* the A/B pair */
#define IMAGE_LEN	(100 * 1000 + 7)	/* odd: a partial last sector */
#define BIG_IMAGE_LEN	(2 * 1024 * 1024 + 4096 + 3)
#define WRITE_CHUNK	3000			/* straddles sectors and pages */
#define HEAD_LEN	4096			/* what BEGIN destroys */
#define SENTINEL	0xa5			/* the fixture's bytes on targets */
#define SENTINEL_LEN	(256 * 1024)
#define MAX_TRACKED	6			/* targets a test follows */

/* tests/kernel/mkdisk.sh writes these. */
#define LABEL_STATE	"fwstate"
#define LABEL_A		"rootfs_a"
#define LABEL_B		"rootfs_b"
#define LABEL_SCRATCH	"scratch"
#define SCRATCH_PARTUUID "f09a7e00-0000-4000-8000-000000000004"

#define MTDRAM_NAME	"mtdram test device"
#define MOUNT_DIR	"/tmp/fwgate-test-mnt"
#define NOBODY		65534
#define EVENT_TIMEOUT_MS 5000

#define MIN(a, b)	((a) < (b) ? (a) : (b))

_Static_assert(sizeof(struct fwgate_update_stmt) == 224, "update statement layout");
_Static_assert(sizeof(struct fwgate_verdict_stmt) == 296, "verdict statement layout");
_Static_assert(sizeof(struct fwgate_chunks_hdr) == 12, "hash list header layout");
_Static_assert(FWGATE_STATE_V1_LEN == 24 + FWGATE_STATE_ENTRIES * 88, "FWGSTA01 record layout");
_Static_assert(sizeof(struct fwgate_state_record) == FWGATE_STATE_V1_LEN + 8 + 32,
	       "state record layout");
_Static_assert(sizeof(struct fwgate_policy_hdr) == 24, "policy encoding header layout");
_Static_assert(sizeof(struct fwgate_policy_key) == 4, "policy encoding key header layout");
_Static_assert(sizeof(struct fwgate_rotate_stmt) == 96, "rotation statement layout");
_Static_assert(sizeof(struct fwgate_state_record) <= FWGATE_STATE_COPY_SIZE,
	       "a state record fits one copy");

/* ------------------------------------------------------------- plumbing */

static int print_ssl_error(const char *str, size_t len, void *u)
{
	(void)u;
	fprintf(stderr, "#   %.*s", (int)len, str);
	return 1;
}

/* For failures of the test's own tooling, not of the kernel under test. */
static void __attribute__((noreturn, format(printf, 1, 2))) fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# fatal: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_cb(print_ssl_error, NULL);
	abort();
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static bool all_bytes(const uint8_t *b, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

/* ---------------------------------------------------------------- crypto */

static void sha256(const void *data, size_t len, uint8_t out[FWGATE_ID_LEN])
{
	if (!EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL))
		fatal("SHA-256 failed");
}

static void sha256_str(const char *s, uint8_t out[FWGATE_ID_LEN])
{
	sha256(s, strlen(s), out);
}

/* PKCS#1 v1.5 for RSA, DER-encoded ECDSA for P-256: both over SHA-256. */
static size_t sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[FWGATE_MAX_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = FWGATE_MAX_SIG_LEN;

	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &n, msg, len) != 1)
		fatal("signing failed");
	EVP_MD_CTX_free(ctx);
	return n;
}

static bool verify(EVP_PKEY *key, const void *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1)
		fatal("cannot set up verification");
	ok = EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* ------------------------------------------------------------------ keys */

struct key {
	EVP_PKEY *pkey;
	uint32_t alg;				/* enum fwgate_key_alg */
	uint8_t data[FWGATE_MAX_KEY_LEN];	/* the encoding the kernel parses */
	size_t len;
	uint8_t id[FWGATE_ID_LEN];		/* SHA-256 of data */
};

static struct {
	struct key manufacturer;
	struct key checker[N_CHECKER_KEYS];
	struct key p256[N_P256_KEYS];
	struct key untrusted;			/* RSA-3072, in no policy */
	bool loaded;
} keys;

#define N_KEY_FILES	(2 + N_CHECKER_KEYS + N_P256_KEYS)

struct key_file {
	char name[32];
	struct key *key;
	uint32_t alg;
};

/* The one list of key files, for --gen-keys and for loading. */
static void key_files(struct key_file f[N_KEY_FILES])
{
	unsigned int i, n = 0;

	f[n++] = (struct key_file){ "manufacturer.pem", &keys.manufacturer, FWGATE_KEY_RSA3072 };
	for (i = 0; i < N_CHECKER_KEYS; i++) {
		f[n] = (struct key_file){ "", &keys.checker[i], FWGATE_KEY_RSA3072 };
		snprintf(f[n++].name, sizeof(f->name), "checker%u.pem", i);
	}
	for (i = 0; i < N_P256_KEYS; i++) {
		f[n] = (struct key_file){ "", &keys.p256[i], FWGATE_KEY_P256 };
		snprintf(f[n++].name, sizeof(f->name), "p256-%u.pem", i);
	}
	f[n++] = (struct key_file){ "untrusted.pem", &keys.untrusted, FWGATE_KEY_RSA3072 };
}

/* RSA: DER RSAPublicKey (PKCS#1); P-256: the uncompressed point. */
static void key_encode(struct key *k, uint32_t alg)
{
	OSSL_ENCODER_CTX *ctx;
	unsigned char *der = NULL;
	size_t len = 0;

	k->alg = alg;
	if (alg == FWGATE_KEY_RSA3072) {
		ctx = OSSL_ENCODER_CTX_new_for_pkey(k->pkey, EVP_PKEY_PUBLIC_KEY, "DER",
						    "type-specific", NULL);
		if (!ctx || !OSSL_ENCODER_to_data(ctx, &der, &len) || len > sizeof(k->data))
			fatal("cannot encode an RSA public key");
		memcpy(k->data, der, len);
		k->len = len;
		OPENSSL_free(der);
		OSSL_ENCODER_CTX_free(ctx);
	} else if (!EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, k->data,
						    sizeof(k->data), &k->len)) {
		fatal("cannot encode a P-256 public key");
	}
	sha256(k->data, k->len, k->id);
}

static bool key_has_alg(EVP_PKEY *pkey, uint32_t alg)
{
	char curve[32];

	if (alg == FWGATE_KEY_RSA3072)
		return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) == 3072;
	return EVP_PKEY_is_a(pkey, "EC") &&
	       EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve,
					      sizeof(curve), NULL) &&
	       !strcmp(curve, "prime256v1");
}

static int keys_load(const char *dir)
{
	struct key_file f[N_KEY_FILES];
	char path[PATH_MAX];
	unsigned int i;
	FILE *fp;

	key_files(f);
	for (i = 0; i < N_KEY_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		fp = fopen(path, "r");
		if (!fp) {
			fprintf(stderr, "# %s: %s\n", path, strerror(errno));
			return -1;
		}
		f[i].key->pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
		if (!f[i].key->pkey || !key_has_alg(f[i].key->pkey, f[i].alg)) {
			fprintf(stderr, "# %s: not a %s private key\n", path,
				f[i].alg == FWGATE_KEY_RSA3072 ? "RSA-3072" : "P-256");
			return -1;
		}
		key_encode(f[i].key, f[i].alg);
	}
	keys.loaded = true;
	return 0;
}

/* Writes the key files DIR lacks; keeps the ones it has. */
static int keys_generate(const char *dir)
{
	struct key_file f[N_KEY_FILES];
	char path[PATH_MAX];
	unsigned int i;
	EVP_PKEY *pkey;
	FILE *fp;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	key_files(f);
	for (i = 0; i < N_KEY_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		if (!access(path, F_OK))
			continue;
		pkey = f[i].alg == FWGATE_KEY_RSA3072 ? EVP_RSA_gen(3072) : EVP_EC_gen("P-256");
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		fp = fd < 0 ? NULL : fdopen(fd, "w");
		if (!pkey || !fp || !PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) ||
		    fclose(fp)) {
			fprintf(stderr, "%s: cannot write the key\n", path);
			ERR_print_errors_fp(stderr);
			return -1;
		}
		EVP_PKEY_free(pkey);
		printf("%s\n", path);
	}
	return 0;
}

/* The public key exactly as the kernel gets it, for checking our encoding. */
static EVP_PKEY *key_from_encoding(const struct key *k)
{
	const unsigned char *p = k->data;
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *dctx;
	size_t len = k->len;

	if (k->alg == FWGATE_KEY_RSA3072) {
		dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "type-specific", "RSA",
						     EVP_PKEY_PUBLIC_KEY, NULL, NULL);
		if (!dctx || !OSSL_DECODER_from_data(dctx, &p, &len))
			fatal("the RSA key encoding does not parse as RSAPublicKey");
		OSSL_DECODER_CTX_free(dctx);
		return pkey;
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, k->data, k->len))
		fatal("cannot build P-256 parameters");
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		fatal("the P-256 key encoding is not a point on the curve");
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* Follows the kernel's build: IS_ENABLED(CONFIG_CRYPTO_ECDSA). */
static bool kernel_has_ecdsa(void)
{
	struct utsname u;
	char path[128], line[256];
	bool found = false;
	FILE *fp;

	uname(&u);
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	fp = fopen(path, "r");
	if (fp) {
		while (!found && fgets(line, sizeof(line), fp))
			found = !strcmp(line, "CONFIG_CRYPTO_ECDSA=y\n") ||
				!strcmp(line, "CONFIG_CRYPTO_ECDSA=m\n");
		fclose(fp);
		return found;
	}
	fp = fopen("/proc/crypto", "r");
	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp))
		found = strstr(line, "ecdsa-nist-p256") != NULL;
	fclose(fp);
	return found;
}

/* ------------------------------------------------- statements and bundles */

struct image {
	uint8_t *data;
	size_t len;
	uint8_t id[FWGATE_ID_LEN];
	uint8_t *chunks;		/* the hash list, as made before any tampering */
	size_t chunks_len;
	uint8_t chunks_id[FWGATE_ID_LEN];
};

static size_t chunks_len(uint64_t size)
{
	return (size + FWGATE_CHUNK_LEN - 1) / FWGATE_CHUNK_LEN * FWGATE_ID_LEN;
}

/* The statement's chunks field: SHA-256 of the header and the list. */
static void chunks_digest(const uint8_t *list, size_t len, uint8_t out[FWGATE_ID_LEN])
{
	struct fwgate_chunks_hdr hdr = { .magic = FWGATE_MAGIC_CHUNKS };
	uint8_t *buf = xmalloc(sizeof(hdr) + len);

	hdr.chunk_len = htobe32(FWGATE_CHUNK_LEN);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), list, len);
	sha256(buf, sizeof(hdr) + len, out);
	free(buf);
}

/*
 * A statement without image bytes behind it gets an all-zero hash list: the
 * kernel takes it at BEGIN, and any stream fails its first chunk.
 */
static const uint8_t *zero_chunks(size_t len)
{
	static const uint8_t zero[256 * FWGATE_ID_LEN];	/* 256 MiB of image */

	if (len > sizeof(zero))
		fatal("a hash list of %zu bytes: no image that large here", len);
	return zero;
}

/* The images alive, so that a BEGIN request can carry its hash list. */
static const struct image *images[16];

static const struct image *image_find(const uint8_t u_id[FWGATE_ID_LEN])
{
	unsigned int i;

	for (i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (images[i] && !memcmp(images[i]->id, u_id, FWGATE_ID_LEN))
			return images[i];
	return NULL;
}

static void image_digest(struct image *img);

static void image_make(struct image *img, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	img->data = xmalloc(len);
	img->len = len;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		img->data[i] = x;
	}
	image_digest(img);
}

/* The U_id and the hash list of @img's bytes; registers @img for the fixtures' cleanup. */
static void image_digest(struct image *img)
{
	size_t len = img->len, i;

	sha256(img->data, len, img->id);
	img->chunks_len = chunks_len(len);
	img->chunks = xmalloc(img->chunks_len);
	for (i = 0; i * FWGATE_CHUNK_LEN < len; i++)
		sha256(img->data + i * FWGATE_CHUNK_LEN, MIN(len - i * FWGATE_CHUNK_LEN,
							      FWGATE_CHUNK_LEN),
		       img->chunks + i * FWGATE_ID_LEN);
	chunks_digest(img->chunks, img->chunks_len, img->chunks_id);
	for (i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (!images[i]) {
			images[i] = img;
			return;
		}
	fatal("more than %zu images at once", sizeof(images) / sizeof(images[0]));
}

static void image_free(struct image *img)
{
	unsigned int i;

	for (i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (images[i] == img)
			images[i] = NULL;
	free(img->data);
	free(img->chunks);
	img->data = NULL;
	img->chunks = NULL;
}

static void stmt_init(struct fwgate_update_stmt *s, const uint8_t u_id[FWGATE_ID_LEN],
		      uint64_t size, uint64_t version, const char *group)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN);
	memcpy(s->m_id, keys.manufacturer.id, FWGATE_ID_LEN);
	memcpy(s->u_id, u_id, FWGATE_ID_LEN);
	s->version = htobe64(version);
	s->size = htobe64(size);
	strncpy(s->o_type, TEST_OTYPE, sizeof(s->o_type));
	strncpy(s->target, group, sizeof(s->target) - 1);
	s->issued = htobe64(1700000000);
	chunks_digest(zero_chunks(chunks_len(size)), chunks_len(size), s->chunks);
}

static void stmt_for_image(struct fwgate_update_stmt *s, const struct image *img,
			   uint64_t version, const char *group)
{
	stmt_init(s, img->id, img->len, version, group);
	memcpy(s->chunks, img->chunks_id, FWGATE_ID_LEN);
}

struct verdict {
	uint32_t kind;				/* enum fwgate_verdict_kind */
	uint8_t checker[FWGATE_ID_LEN];
	uint8_t report[FWGATE_ID_LEN];
	uint8_t sig[FWGATE_MAX_SIG_LEN];
	size_t sig_len;
};

struct bundle {
	struct fwgate_update_stmt stmt;
	uint8_t sig[FWGATE_MAX_SIG_LEN];	/* the manufacturer's */
	size_t sig_len;
	struct verdict v[FWGATE_MAX_VERDICTS + 1];
	unsigned int nv;
};

static const char *verdict_magic(uint32_t kind)
{
	return kind == FWGATE_VERDICT_APPROVE ? FWGATE_MAGIC_APPROVE : FWGATE_MAGIC_REJECT;
}

/* What the checker of @v signs: @v's report on @stmt, under @magic. */
static void verdict_message(struct fwgate_verdict_stmt *vs, const char *magic,
			    const struct verdict *v, const struct fwgate_update_stmt *stmt)
{
	memcpy(vs->magic, magic, FWGATE_MAGIC_LEN);
	memcpy(vs->checker_id, v->checker, FWGATE_ID_LEN);
	memcpy(vs->report, v->report, FWGATE_ID_LEN);
	vs->update = *stmt;
}

/* Signs a verdict on @stmt under @magic, which replay tests set to another kind's. */
static void verdict_sign(struct verdict *v, const struct key *checker, uint32_t kind,
			 const char *magic, const struct fwgate_update_stmt *stmt)
{
	struct fwgate_verdict_stmt vs;

	memset(v, 0, sizeof(*v));
	v->kind = kind;
	memcpy(v->checker, checker->id, FWGATE_ID_LEN);
	sha256(checker->id, FWGATE_ID_LEN, v->report);
	verdict_message(&vs, magic, v, stmt);
	v->sig_len = sign(checker->pkey, &vs, sizeof(vs), v->sig);
}

/* A bundle of @stmt signed by @signer, normally the manufacturer. */
static void bundle_init(struct bundle *b, const struct fwgate_update_stmt *stmt,
			const struct key *signer)
{
	b->stmt = *stmt;
	b->sig_len = sign(signer->pkey, stmt, sizeof(*stmt), b->sig);
	b->nv = 0;
}

static struct verdict *bundle_add(struct bundle *b, const struct key *checker, uint32_t kind)
{
	struct verdict *v = &b->v[b->nv++];

	if (b->nv > FWGATE_MAX_VERDICTS + 1)
		fatal("too many verdicts for a test bundle");
	verdict_sign(v, checker, kind, verdict_magic(kind), &b->stmt);
	return v;
}

/* -------------------------------------------------------------- netlink */

/* How a malformed-input test breaks one attribute of a message. */
enum fault_kind { FAULT_NONE, FAULT_DROP, FAULT_RESIZE, FAULT_VALUE };

struct attr_fault {
	enum fault_kind kind;
	int nest;	/* 0: top level; else the nest (first element of an array) */
	int type;
	int arg;	/* FAULT_RESIZE: length change; FAULT_VALUE: the u32 sent */
	bool hit;	/* out: the encoder applied it */
	int offset;	/* out: where the attribute starts in the message */
};

/* @nest 0 is the top level. */
#define DROP(n, t)		{ .kind = FAULT_DROP, .nest = (n), .type = (t) }
#define RESIZE(n, t, delta)	{ .kind = FAULT_RESIZE, .nest = (n), .type = (t), .arg = (delta) }
#define VALUE(n, t, v)		{ .kind = FAULT_VALUE, .nest = (n), .type = (t), .arg = (v) }

struct encoder {
	struct nl_msg *msg;
	struct attr_fault *fault;
	int nest;
};

struct fwnl {
	struct nl_sock *sk;
	int family;
};

/* What the kernel answered to one request. */
struct reply {
	int err;		/* positive errno; 0 for an ack */
	char msg[256];		/* extack message, "" without one */
	int offset;		/* extack: offset of the bad attribute, or -1 */
	int miss_type;		/* extack: type of a missing attribute, or -1 */
	bool done;
	int (*parse)(uint8_t cmd, struct nlmsghdr *nlh, struct nlattr **tb, void *arg);	/* each reply */
	void *arg;
};

static bool fault_matches(const struct encoder *e, int type)
{
	const struct attr_fault *f = e->fault;

	return f && f->kind != FAULT_NONE && !f->hit && f->nest == e->nest && f->type == type;
}

static struct attr_fault *fault_take(struct encoder *e, int type)
{
	if (!fault_matches(e, type))
		return NULL;
	e->fault->hit = true;
	return e->fault;
}

static void put(struct encoder *e, int type, const void *data, size_t len)
{
	struct attr_fault *f = fault_take(e, type);
	struct nlattr *nla;
	size_t n = len;

	if (f && f->kind == FAULT_DROP)
		return;
	if (f && f->kind == FAULT_RESIZE)
		n = len + f->arg;
	nla = nla_reserve(e->msg, type, n);
	if (!nla)
		fatal("netlink message too large");
	memset(nla_data(nla), 0, n);
	memcpy(nla_data(nla), data, MIN(len, n));
	if (f)
		f->offset = (char *)nla - (char *)nlmsg_hdr(e->msg);
}

static void put_u32(struct encoder *e, int type, uint32_t v)
{
	if (fault_matches(e, type) && e->fault->kind == FAULT_VALUE)
		v = e->fault->arg;
	put(e, type, &v, sizeof(v));
}

static void put_str(struct encoder *e, int type, const char *s)
{
	put(e, type, s, strlen(s) + 1);
}

/* A named nest; NULL when the fault drops it. */
static struct nlattr *nest_open(struct encoder *e, int type, int *outer)
{
	struct attr_fault *f = fault_take(e, type);
	struct nlattr *nla;

	if (f && f->kind == FAULT_DROP)
		return NULL;
	nla = nla_nest_start(e->msg, type);
	if (!nla)
		fatal("netlink message too large");
	if (f)
		f->offset = (char *)nla - (char *)nlmsg_hdr(e->msg);
	*outer = e->nest;
	e->nest = type;
	return nla;
}

static void nest_close(struct encoder *e, struct nlattr *nla, int outer)
{
	nla_nest_end(e->msg, nla);
	e->nest = outer;
}

static struct nl_msg *msg_new(const struct fwnl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(64 * 1024);

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags, cmd,
				 FWGATE_FAMILY_VERSION))
		fatal("cannot allocate a netlink message");
	return msg;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[FWGATE_A_MAX + 1];
	struct reply *r = arg;

	if (genlmsg_parse(nlh, 0, tb, FWGATE_A_MAX, NULL))
		fatal("unparsable fwgate message");
	return r->parse ? r->parse(gh->cmd, nlh, tb, r->arg) : NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct reply *r = arg;

	if (nlmsg_datalen(nlh) >= (int)sizeof(int) && *(int *)nlmsg_data(nlh) < 0)
		r->err = -*(int *)nlmsg_data(nlh);
	r->done = true;
	return NL_STOP;
}

/* Keeps the errno and the extended ack TLVs (NETLINK_CAP_ACK is set). */
static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct reply *r = arg;
	size_t off = sizeof(*e);

	(void)who;
	r->err = -e->error;
	r->done = true;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + NLMSG_ALIGN(off)),
		      nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off), NULL))
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(r->msg, sizeof(r->msg), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS])
		r->offset = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		r->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return NL_STOP;
}

static struct nl_cb *reply_cb(struct reply *r)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		fatal("cannot allocate netlink callbacks");
	r->err = 0;
	r->msg[0] = '\0';
	r->offset = r->miss_type = -1;
	r->done = false;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	return cb;
}

/* Sends @msg (and frees it); returns 0 or the kernel's -errno, details in @r. */
static int fwnl_transact(struct fwnl *nl, struct nl_msg *msg, struct reply *r)
{
	struct nl_cb *cb = reply_cb(r);
	int ret;

	if (nl_send_auto(nl->sk, msg) < 0)
		fatal("netlink send failed");
	nlmsg_free(msg);
	while (!r->done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !r->done)
			fatal("netlink receive failed: %s", nl_geterror(ret));
	}
	nl_cb_put(cb);
	return -r->err;
}

static int fwnl_open(struct fwnl *nl)
{
	int one = 1, fd;

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	fd = genl_connect(nl->sk) ? -1 : nl_socket_get_fd(nl->sk);
	if (fd < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		goto err;
	nl_socket_enable_msg_peek(nl->sk);
	nl->family = genl_ctrl_resolve(nl->sk, FWGATE_FAMILY_NAME);
	if (nl->family >= 0)
		return 0;
err:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return -ENOENT;
}

static void fwnl_close(struct fwnl *nl)
{
	nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/* ------------------------------------------------------ fwgate messages */

struct policy {
	char otype[FWGATE_NAME_LEN];
	uint8_t device_id[FWGATE_ID_LEN];
	uint32_t threshold;
	const struct key *manufacturer;
	const struct key *checker[FWGATE_MAX_CHECKERS + 1];
	unsigned int k;
	uint64_t epoch;		/* 0: not sent, the kernel's default of 1 */
	bool send_epoch;	/* send it even when 0 */
};

struct key_info {
	int alg;
	uint8_t data[FWGATE_MAX_KEY_LEN];
	size_t len;
	uint8_t id[FWGATE_ID_LEN];
};

struct policy_info {
	char otype[FWGATE_NAME_LEN];
	uint8_t device_id[FWGATE_ID_LEN];
	int threshold;
	int locked;
	struct key_info manufacturer;
	struct key_info checker[FWGATE_MAX_CHECKERS];
	int k;
	uint64_t epoch, sealed_epoch;
	uint8_t digest[FWGATE_ID_LEN], sealed_digest[FWGATE_ID_LEN];
};

struct update_info {
	uint8_t id[FWGATE_ID_LEN];
	uint64_t version, size;
	char target[FWGATE_NAME_LEN];
	int state, approvals, rejections, accepted, ignored;	/* -1: not sent */
	int paused;						/* -1: not sent */
	uint64_t control_seq;
};

struct update_list {
	struct update_info u[2 * FWGATE_MAX_UPDATES];
	int n;
};

struct target_info {
	char name[FWGATE_NAME_LEN], group[FWGATE_NAME_LEN], spec[FWGATE_MAX_SPEC_LEN];
	int type, state;
	uint64_t size, floor, last_version;
	uint8_t last_id[FWGATE_ID_LEN];
	bool has_last;		/* LAST_ID and LAST_VERSION were sent */
};

struct target_list {
	struct target_info t[FWGATE_MAX_TARGETS + 1];
	unsigned int n;
};

struct event {
	uint8_t cmd;
	uint32_t event;
	int err;
	char reason[128];
	struct update_info update;
	struct target_info target;
	bool has_update, has_target;
};

static void attr_str(char *dst, size_t size, const struct nlattr *nla)
{
	if (nla)
		snprintf(dst, size, "%.*s", nla_len(nla), (const char *)nla_data(nla));
}

static void attr_bin(void *dst, size_t size, const struct nlattr *nla)
{
	if (nla)
		memcpy(dst, nla_data(nla), MIN((size_t)nla_len(nla), size));
}

static int attr_u32(const struct nlattr *nla)
{
	return nla ? (int)nla_get_u32((struct nlattr *)nla) : -1;
}

static void parse_key(struct nlattr *nest, struct key_info *k)
{
	struct nlattr *tb[FWGATE_A_KEY_MAX + 1];

	memset(k, 0, sizeof(*k));
	if (nla_parse_nested(tb, FWGATE_A_KEY_MAX, nest, NULL))
		fatal("unparsable key nest");
	k->alg = attr_u32(tb[FWGATE_A_KEY_ALG]);
	if (tb[FWGATE_A_KEY_DATA]) {
		k->len = MIN((size_t)nla_len(tb[FWGATE_A_KEY_DATA]), sizeof(k->data));
		memcpy(k->data, nla_data(tb[FWGATE_A_KEY_DATA]), k->len);
	}
	attr_bin(k->id, sizeof(k->id), tb[FWGATE_A_KEY_ID]);
}

static void parse_update(struct nlattr *nest, struct update_info *u)
{
	struct nlattr *tb[FWGATE_A_UPDATE_MAX + 1];

	memset(u, 0, sizeof(*u));
	if (nla_parse_nested(tb, FWGATE_A_UPDATE_MAX, nest, NULL))
		fatal("unparsable update nest");
	attr_bin(u->id, sizeof(u->id), tb[FWGATE_A_UPDATE_ID]);
	u->version = tb[FWGATE_A_UPDATE_VERSION] ? nla_get_u64(tb[FWGATE_A_UPDATE_VERSION]) : 0;
	u->size = tb[FWGATE_A_UPDATE_SIZE] ? nla_get_u64(tb[FWGATE_A_UPDATE_SIZE]) : 0;
	attr_str(u->target, sizeof(u->target), tb[FWGATE_A_UPDATE_TARGET]);
	u->state = attr_u32(tb[FWGATE_A_UPDATE_STATE]);
	u->approvals = attr_u32(tb[FWGATE_A_UPDATE_APPROVALS]);
	u->rejections = attr_u32(tb[FWGATE_A_UPDATE_REJECTIONS]);
	u->accepted = attr_u32(tb[FWGATE_A_UPDATE_ACCEPTED]);
	u->ignored = attr_u32(tb[FWGATE_A_UPDATE_IGNORED]);
	u->paused = tb[FWGATE_A_UPDATE_PAUSED] ? nla_get_u8(tb[FWGATE_A_UPDATE_PAUSED]) : -1;
	if (tb[FWGATE_A_UPDATE_CONTROL_SEQ])
		u->control_seq = nla_get_u64(tb[FWGATE_A_UPDATE_CONTROL_SEQ]);
}

static void parse_target(struct nlattr *nest, struct target_info *t)
{
	struct nlattr *tb[FWGATE_A_TARGET_MAX + 1];

	memset(t, 0, sizeof(*t));
	if (nla_parse_nested(tb, FWGATE_A_TARGET_MAX, nest, NULL))
		fatal("unparsable target nest");
	attr_str(t->name, sizeof(t->name), tb[FWGATE_A_TARGET_NAME]);
	attr_str(t->group, sizeof(t->group), tb[FWGATE_A_TARGET_GROUP]);
	attr_str(t->spec, sizeof(t->spec), tb[FWGATE_A_TARGET_SPEC]);
	t->type = attr_u32(tb[FWGATE_A_TARGET_TYPE]);
	t->state = attr_u32(tb[FWGATE_A_TARGET_STATE]);
	t->size = tb[FWGATE_A_TARGET_SIZE] ? nla_get_u64(tb[FWGATE_A_TARGET_SIZE]) : 0;
	t->floor = tb[FWGATE_A_TARGET_FLOOR] ? nla_get_u64(tb[FWGATE_A_TARGET_FLOOR]) : 0;
	t->has_last = tb[FWGATE_A_TARGET_LAST_ID] && tb[FWGATE_A_TARGET_LAST_VERSION];
	attr_bin(t->last_id, sizeof(t->last_id), tb[FWGATE_A_TARGET_LAST_ID]);
	if (tb[FWGATE_A_TARGET_LAST_VERSION])
		t->last_version = nla_get_u64(tb[FWGATE_A_TARGET_LAST_VERSION]);
}

static void key_put(struct encoder *e, const struct key *k)
{
	put_u32(e, FWGATE_A_KEY_ALG, k->alg);
	put(e, FWGATE_A_KEY_DATA, k->data, k->len);
	put(e, FWGATE_A_KEY_ID, k->id, FWGATE_ID_LEN);
}

static void policy_encode(struct encoder *e, const struct policy *p)
{
	struct nlattr *nest;
	unsigned int i;
	int outer;

	put_str(e, FWGATE_A_OTYPE, p->otype);
	put(e, FWGATE_A_DEVICE_ID, p->device_id, FWGATE_ID_LEN);
	put_u32(e, FWGATE_A_THRESHOLD, p->threshold);
	if (p->epoch || p->send_epoch)
		put(e, FWGATE_A_EPOCH, &p->epoch, sizeof(p->epoch));
	nest = nest_open(e, FWGATE_A_MANUFACTURER, &outer);
	if (nest) {
		key_put(e, p->manufacturer);
		nest_close(e, nest, outer);
	}
	/* A fault that drops a checker drops them all. */
	for (i = 0; i < p->k; i++) {
		nest = nest_open(e, FWGATE_A_CHECKER, &outer);
		if (!nest)
			break;
		key_put(e, p->checker[i]);
		nest_close(e, nest, outer);
	}
}

static void bundle_encode(struct encoder *e, const struct bundle *b)
{
	struct nlattr *nest;
	unsigned int i;
	int outer;

	put(e, FWGATE_A_STATEMENT, &b->stmt, sizeof(b->stmt));
	put(e, FWGATE_A_SIGNATURE, b->sig, b->sig_len);
	/* A fault that drops a verdict drops them all. */
	for (i = 0; i < b->nv; i++) {
		nest = nest_open(e, FWGATE_A_VERDICT, &outer);
		if (!nest)
			return;
		put_u32(e, FWGATE_A_VERDICT_KIND, b->v[i].kind);
		put(e, FWGATE_A_VERDICT_CHECKER, b->v[i].checker, FWGATE_ID_LEN);
		put(e, FWGATE_A_VERDICT_REPORT, b->v[i].report, FWGATE_ID_LEN);
		put(e, FWGATE_A_VERDICT_SIGNATURE, b->v[i].sig, b->v[i].sig_len);
		nest_close(e, nest, outer);
	}
}

static int parse_policy(uint8_t cmd, struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct policy_info *p = arg;
	struct nlattr *pos;
	int rem;

	(void)cmd;
	(void)nlh;
	memset(p, 0, sizeof(*p));
	attr_str(p->otype, sizeof(p->otype), tb[FWGATE_A_OTYPE]);
	attr_bin(p->device_id, sizeof(p->device_id), tb[FWGATE_A_DEVICE_ID]);
	p->threshold = attr_u32(tb[FWGATE_A_THRESHOLD]);
	p->locked = tb[FWGATE_A_LOCKED] ? nla_get_u8(tb[FWGATE_A_LOCKED]) : -1;
	p->epoch = tb[FWGATE_A_EPOCH] ? nla_get_u64(tb[FWGATE_A_EPOCH]) : 0;
	p->sealed_epoch = tb[FWGATE_A_SEALED_EPOCH] ? nla_get_u64(tb[FWGATE_A_SEALED_EPOCH]) : 0;
	attr_bin(p->digest, sizeof(p->digest), tb[FWGATE_A_DIGEST]);
	attr_bin(p->sealed_digest, sizeof(p->sealed_digest), tb[FWGATE_A_SEALED_DIGEST]);
	if (tb[FWGATE_A_MANUFACTURER])
		parse_key(tb[FWGATE_A_MANUFACTURER], &p->manufacturer);
	nlmsg_for_each_attr(pos, nlh, GENL_HDRLEN, rem)
		if (nla_type(pos) == FWGATE_A_CHECKER && p->k < FWGATE_MAX_CHECKERS)
			parse_key(pos, &p->checker[p->k++]);
	return NL_OK;
}

static int parse_submit_reply(uint8_t cmd, struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	(void)cmd;
	(void)nlh;
	if (tb[FWGATE_A_UPDATE])
		parse_update(tb[FWGATE_A_UPDATE], arg);
	return NL_OK;
}

static int collect_update(uint8_t cmd, struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct update_list *l = arg;

	(void)cmd;
	(void)nlh;
	if (tb[FWGATE_A_UPDATE] && l->n < (int)ARRAY_SIZE(l->u))
		parse_update(tb[FWGATE_A_UPDATE], &l->u[l->n++]);
	return NL_OK;
}

static int collect_target(uint8_t cmd, struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct target_list *l = arg;

	(void)cmd;
	(void)nlh;
	if (tb[FWGATE_A_TARGET] && l->n < ARRAY_SIZE(l->t))
		parse_target(tb[FWGATE_A_TARGET], &l->t[l->n++]);
	return NL_OK;
}

/* ---------------------------------------------------------------- world */

struct part {
	char path[64];		/* /dev/vdaN */
	uint64_t size;
};

struct tracked {
	char name[FWGATE_NAME_LEN];
	char dev[64];		/* where its bytes are, for snapshots */
};

/* Everything a test talks to, set up by the fixture. */
struct world {
	struct fwnl nl;
	struct reply reply;		/* of the last netlink request */
	struct part state, a, b, scratch;
	char flash[32];			/* the MTD partition target, "" without mtdram */
	struct policy policy;		/* the one the kernel holds */
	struct tracked target[MAX_TRACKED];
	unsigned int n_targets;
	bool mounted;
};

static int policy_set(struct world *w, const struct policy *p, struct attr_fault *fault)
{
	struct encoder e = { msg_new(&w->nl, FWGATE_CMD_POLICY_SET, 0), fault, 0 };
	int err;

	policy_encode(&e, p);
	w->reply.parse = NULL;
	err = fwnl_transact(&w->nl, e.msg, &w->reply);
	if (!err && !fault)
		w->policy = *p;
	return err;
}

static int policy_get(struct world *w, struct policy_info *out)
{
	w->reply.parse = parse_policy;
	w->reply.arg = out;
	return fwnl_transact(&w->nl, msg_new(&w->nl, FWGATE_CMD_POLICY_GET, 0), &w->reply);
}

static int policy_lock(struct world *w)
{
	w->reply.parse = NULL;
	return fwnl_transact(&w->nl, msg_new(&w->nl, FWGATE_CMD_POLICY_LOCK, 0), &w->reply);
}

/* Submits @b; fills @out (may be NULL) with the kernel's view of the update. */
static int bundle_submit(struct world *w, const struct bundle *b, struct attr_fault *fault,
			 struct update_info *out)
{
	struct encoder e = { msg_new(&w->nl, FWGATE_CMD_BUNDLE_SUBMIT, 0), fault, 0 };
	struct update_info scratch;

	bundle_encode(&e, b);
	memset(out ?: &scratch, 0, sizeof(scratch));
	w->reply.parse = parse_submit_reply;
	w->reply.arg = out ?: &scratch;
	return fwnl_transact(&w->nl, e.msg, &w->reply);
}

/* Dumps leave w->reply alone: checks run them after the request under test. */
static void updates_get(struct world *w, struct update_list *l)
{
	struct reply r = { .parse = collect_update, .arg = l };

	l->n = 0;
	if (fwnl_transact(&w->nl, msg_new(&w->nl, FWGATE_CMD_UPDATE_GET, NLM_F_DUMP), &r))
		fatal("UPDATE_GET dump failed: %s", strerror(r.err));
}

static int update_lookup(struct world *w, const uint8_t id[FWGATE_ID_LEN], struct update_info *out)
{
	struct update_list l;
	int i;

	updates_get(w, &l);
	for (i = 0; i < l.n; i++) {
		if (!memcmp(l.u[i].id, id, FWGATE_ID_LEN)) {
			*out = l.u[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int target_lookup(struct world *w, const char *name, struct target_info *out)
{
	struct target_list l = { .n = 0 };
	struct reply r = { .parse = collect_target, .arg = &l };
	unsigned int i;

	if (fwnl_transact(&w->nl, msg_new(&w->nl, FWGATE_CMD_TARGET_GET, NLM_F_DUMP), &r))
		fatal("TARGET_GET dump failed: %s", strerror(r.err));
	for (i = 0; i < l.n; i++) {
		if (!strcmp(l.t[i].name, name)) {
			*out = l.t[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* Verdicts of @kind from the policy's checkers [first, first + n). */
static int submit_verdicts(struct world *w, const struct fwgate_update_stmt *s, uint32_t kind,
			   unsigned int first, unsigned int n, struct update_info *out)
{
	struct bundle b;
	unsigned int i;

	bundle_init(&b, s, &keys.manufacturer);
	for (i = first; i < first + n; i++)
		bundle_add(&b, w->policy.checker[i], kind);
	return bundle_submit(w, &b, NULL, out);
}

/* Gets @s approved by exactly q checkers. */
static int approve(struct world *w, const struct fwgate_update_stmt *s)
{
	struct update_info u;
	int err;

	err = submit_verdicts(w, s, FWGATE_VERDICT_APPROVE, 0, w->policy.threshold, &u);
	if (!err && u.state != FWGATE_UPDATE_APPROVED) {
		fprintf(stderr, "# %u approvals left the update in state %d\n",
			w->policy.threshold, u.state);
		return -EPROTO;
	}
	return err;
}

/* A statement of an unrelated image, cheap: no image bytes behind it. */
static void stmt_filler(struct fwgate_update_stmt *s, unsigned int i, uint64_t version)
{
	uint8_t id[FWGATE_ID_LEN];
	char name[32];

	snprintf(name, sizeof(name), "filler %u", i);
	sha256_str(name, id);
	stmt_init(s, id, 4096, version, GROUP);
}

static int submit_filler(struct world *w, unsigned int i, uint64_t version)
{
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, i, version);
	bundle_init(&b, &s, &keys.manufacturer);
	return bundle_submit(w, &b, NULL, NULL);
}

/* A control statement and the signatures sent with it. */
struct control {
	struct fwgate_control_stmt stmt;
	struct {
		uint8_t signer[FWGATE_ID_LEN];
		uint8_t sig[FWGATE_MAX_SIG_LEN];
		size_t sig_len;
	} sig[FWGATE_MAX_CHECKERS + 2];
	unsigned int n;
};

static void control_init(struct control *c, const char *magic, const uint8_t u_id[FWGATE_ID_LEN],
			 uint64_t seq)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->stmt.magic, magic, FWGATE_MAGIC_LEN);
	memcpy(c->stmt.u_id, u_id, FWGATE_ID_LEN);
	sha256_str("advisory", c->stmt.reason);
	c->stmt.seq = htobe64(seq);
	c->stmt.issued = htobe64(1700000000);
}

/* Adds @signer's signature over the statement, claimed to be @as's (normally @signer). */
static void control_sign(struct control *c, const struct key *signer, const struct key *as)
{
	if (c->n == ARRAY_SIZE(c->sig))
		fatal("too many signatures for a test control");
	memcpy(c->sig[c->n].signer, as->id, FWGATE_ID_LEN);
	c->sig[c->n].sig_len = sign(signer->pkey, &c->stmt, sizeof(c->stmt), c->sig[c->n].sig);
	c->n++;
}

static void control_encode(struct encoder *e, const struct control *c)
{
	struct nlattr *nest;
	unsigned int i;
	int outer;

	put(e, FWGATE_A_CONTROL, &c->stmt, sizeof(c->stmt));
	for (i = 0; i < c->n; i++) {
		nest = nest_open(e, FWGATE_A_CONTROL_SIG, &outer);
		if (!nest)
			return;
		put(e, FWGATE_A_CONTROL_SIG_SIGNER, c->sig[i].signer, FWGATE_ID_LEN);
		put(e, FWGATE_A_CONTROL_SIG_SIGNATURE, c->sig[i].sig, c->sig[i].sig_len);
		nest_close(e, nest, outer);
	}
}

static int control_submit(struct world *w, const struct control *c, struct update_info *out)
{
	struct encoder e = { msg_new(&w->nl, FWGATE_CMD_UPDATE_CONTROL, 0), NULL, 0 };
	struct update_info scratch;

	control_encode(&e, c);
	memset(out ?: &scratch, 0, sizeof(scratch));
	w->reply.parse = parse_submit_reply;
	w->reply.arg = out ?: &scratch;
	return fwnl_transact(&w->nl, e.msg, &w->reply);
}

/* The manufacturer's withdrawal, pause or resume of @u_id. */
static int control_by_manufacturer(struct world *w, const char *magic,
				   const uint8_t u_id[FWGATE_ID_LEN], uint64_t seq)
{
	struct control c;

	control_init(&c, magic, u_id, seq);
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	return control_submit(w, &c, NULL);
}

static void policy_default(struct policy *p)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	snprintf(p->otype, sizeof(p->otype), "%s", TEST_OTYPE);
	sha256_str(TEST_DEVICE, p->device_id);
	p->threshold = TEST_Q;
	p->manufacturer = &keys.manufacturer;
	for (i = 0; i < TEST_K; i++)
		p->checker[i] = &keys.checker[i];
	p->k = TEST_K;
}

/* The default policy with its last two checkers on P-256 keys. */
static void policy_mixed(struct policy *p)
{
	policy_default(p);
	p->checker[TEST_K - 2] = &keys.p256[0];
	p->checker[TEST_K - 1] = &keys.p256[1];
}

static const struct key *unknown_checker(unsigned int i)
{
	return &keys.checker[TEST_K + i];
}

/* ---------------------------------------------------------------- sysfs */

static int __attribute__((format(printf, 3, 4)))
sysfs_read(char *buf, size_t size, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

static int __attribute__((format(printf, 2, 3)))
sysfs_write(const char *val, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	int fd, err = 0;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static uint64_t sysfs_u64(const char *rel)
{
	char buf[64];

	if (sysfs_read(buf, sizeof(buf), SYSFS_DIR "/%s", rel))
		fatal(SYSFS_DIR "/%s: %s", rel, strerror(errno));
	return strtoull(buf, NULL, 0);
}

enum counter {
	APPROVALS_ACCEPTED, APPROVALS_REFUSED, WRITES_COMMITTED, WRITES_REFUSED, BYTES_WRITTEN,
	N_COUNTERS
};

static const char *const counter_name[N_COUNTERS] = {
	"approvals_accepted", "approvals_refused", "writes_committed", "writes_refused",
	"bytes_written",
};

static int policy_threshold(void)
{
	return sysfs_u64("policy/threshold");
}

static uint64_t counter(enum counter c)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "counters/%s", counter_name[c]);
	return sysfs_u64(rel);
}

/* The sysfs view of a target; -errno when it is not declared. */
struct target_view {
	char spec[FWGATE_MAX_SPEC_LEN], type[16], group[FWGATE_NAME_LEN], state[16];
	char last_uid[2 * FWGATE_ID_LEN + 1];
	uint64_t size, floor, last_version;
};

static int target_view(const char *name, struct target_view *v)
{
	static const char *const strs[] = { "spec", "type", "group", "state", "last_uid" };
	static const char *const nums[] = { "size", "rollback_floor", "last_version" };
	char *str[] = { v->spec, v->type, v->group, v->state, v->last_uid };
	size_t size[] = { sizeof(v->spec), sizeof(v->type), sizeof(v->group), sizeof(v->state),
			  sizeof(v->last_uid) };
	uint64_t *num[] = { &v->size, &v->floor, &v->last_version };
	char buf[32];
	unsigned int i;
	int err;

	memset(v, 0, sizeof(*v));	/* snapshots compare it whole */
	for (i = 0; i < ARRAY_SIZE(strs); i++) {
		err = sysfs_read(str[i], size[i], SYSFS_DIR "/targets/%s/%s", name, strs[i]);
		if (err)
			return err;
	}
	for (i = 0; i < ARRAY_SIZE(nums); i++) {
		err = sysfs_read(buf, sizeof(buf), SYSFS_DIR "/targets/%s/%s", name, nums[i]);
		if (err)
			return err;
		*num[i] = strtoull(buf, NULL, 0);
	}
	return 0;
}

static uint64_t target_floor(const char *name)
{
	struct target_view v;

	if (target_view(name, &v))
		fatal("target %s is not in sysfs", name);
	return v.floor;
}

/* All of policy/, one "file=value" line each, to compare before and after. */
static void policy_text(char *buf, size_t size)
{
	static const char *const files[] = { "k", "threshold", "otype", "device_id",
					      "manufacturer_id", "checker_ids", "locked" };
	char val[2048];
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(files) && n < size; i++) {
		if (sysfs_read(val, sizeof(val), SYSFS_DIR "/policy/%s", files[i]))
			snprintf(val, sizeof(val), "<%s>", strerror(errno));
		n += snprintf(buf + n, size - n, "%s=%s\n", files[i], val);
	}
}

/* "<errno name or number> <message>"; the number may come signed. */
static bool last_error_is(int err, const char *msg)
{
	char buf[256], *rest;
	const char *name = strerrorname_np(err);
	long num;

	if (sysfs_read(buf, sizeof(buf), SYSFS_DIR "/last_error"))
		return false;
	rest = strchr(buf, ' ');
	if (!rest) {
		fprintf(stderr, "# last_error is \"%s\", not \"%s %s\"\n", buf, name, msg);
		return false;
	}
	*rest++ = '\0';
	num = strtol(buf, NULL, 10);
	if (strcmp(buf, name ?: "") && num != err && num != -err) {
		fprintf(stderr, "# last_error names %s, not %s\n", buf, name);
		return false;
	}
	if (msg && msg[0] && !strstr(rest, msg)) {
		fprintf(stderr, "# last_error says \"%s\", extack said \"%s\"\n", rest, msg);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- disks */

/* The partition whose GPT name is @label, from the kernel's uevent files. */
static int part_find(const char *label, struct part *p)
{
	char want[64], line[128], path[300], dev[NAME_MAX + 1] = "";
	struct dirent *d;
	bool match;
	DIR *dir;
	FILE *fp;

	snprintf(want, sizeof(want), "PARTNAME=%s\n", label);
	dir = opendir("/sys/class/block");
	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && !dev[0]) {
		snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", d->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		match = false;
		while (fgets(line, sizeof(line), fp))
			match |= !strcmp(line, want);
		fclose(fp);
		if (match)
			snprintf(dev, sizeof(dev), "%s", d->d_name);
	}
	closedir(dir);
	if (!dev[0])
		return -ENOENT;
	snprintf(p->path, sizeof(p->path), "/dev/%s", dev);
	if (sysfs_read(line, sizeof(line), "/sys/class/block/%s/size", dev))
		return -errno;
	p->size = strtoull(line, NULL, 0) * 512;
	return 0;
}

/*
 * Device I/O for checks and set-up. Block devices are read with O_DIRECT, so
 * what we see is on the disk, not in a page cache the kernel's bios bypass.
 */
static int dev_io(const char *path, uint64_t off, void *buf, size_t len, bool write)
{
	struct stat st;
	uint64_t start, end;
	ssize_t n;
	void *bounce;
	int fd, err = 0;

	if (stat(path, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode)) {
		fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
		err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
		close(fd);
		return err;
	}
	start = off & ~4095ULL;
	end = (off + len + 4095) & ~4095ULL;
	if (posix_memalign(&bounce, 4096, end - start))
		fatal("out of memory");
	/* Read only for reads: after the lock a kernel may refuse writers. */
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	n = pread(fd, bounce, end - start, start);
	if (n != (ssize_t)(end - start)) {
		err = n < 0 ? -errno : -EIO;
		goto out_close;
	}
	if (!write) {
		memcpy(buf, (char *)bounce + (off - start), len);
		goto out_close;
	}
	memcpy((char *)bounce + (off - start), buf, len);
	n = pwrite(fd, bounce, end - start, start);
	if (n != (ssize_t)(end - start))
		err = n < 0 ? -errno : -EIO;
	else if (fsync(fd))
		err = -errno;
out_close:
	close(fd);
out:
	free(bounce);
	return err;
}

static int dev_read(const char *path, uint64_t off, void *buf, size_t len)
{
	return dev_io(path, off, buf, len, false);
}

static int dev_fill(const char *path, uint64_t off, uint8_t byte, size_t len)
{
	uint8_t *buf = xmalloc(len);
	int err;

	memset(buf, byte, len);
	err = dev_io(path, off, buf, len, true);
	free(buf);
	return err;
}

static uint64_t dev_size(const char *path)
{
	uint64_t size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fatal("%s: %s", path, strerror(errno));
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	return size;
}

static bool dev_holds(const char *path, uint64_t off, const void *data, size_t len)
{
	uint8_t *buf = xmalloc(len);
	bool same;

	if (dev_read(path, off, buf, len))
		fatal("%s: read failed", path);
	same = !memcmp(buf, data, len);
	free(buf);
	return same;
}

/* @len bytes of @path from @off are all @byte. */
static bool dev_is(const char *path, uint64_t off, size_t len, uint8_t byte)
{
	uint8_t *buf = xmalloc(len);
	bool same;

	if (dev_read(path, off, buf, len))
		fatal("%s: read failed", path);
	same = all_bytes(buf, len, byte);
	free(buf);
	return same;
}

/* The first 4 KiB of @path are all @byte: 0 once BEGIN destroyed them. */
static bool head_is(const char *path, uint8_t byte)
{
	uint8_t buf[HEAD_LEN];

	if (dev_read(path, 0, buf, sizeof(buf)))
		fatal("%s: read failed", path);
	return all_bytes(buf, sizeof(buf), byte);
}

/* ---------------------------------------------------------- module, state */

static int module_unload(void)
{
	if (syscall(SYS_delete_module, "fwgate", O_NONBLOCK))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

static int module_load(void)
{
	const char *ko = getenv("FWGATE_KO");
	int fd, err = 0;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		err = -errno;
	close(fd);
	return err;
}

static bool module_locked(void)
{
	char buf[16];

	return !sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/locked") && !strcmp(buf, "1");
}

struct state_copy {
	struct fwgate_state_record rec;
	bool valid;
};

static uint32_t record_crc(const struct fwgate_state_record *r)
{
	struct fwgate_state_record tmp = *r;

	tmp.crc = 0;
	return crc32(crc32(0, Z_NULL, 0), (const Bytef *)&tmp, sizeof(tmp));
}

/* Reads both copies; returns the index of the newer valid one, or -1. */
static int state_read(const struct world *w, struct state_copy copy[2])
{
	int i, newest = -1;

	for (i = 0; i < 2; i++) {
		if (dev_read(w->state.path, (uint64_t)i * FWGATE_STATE_COPY_SIZE, &copy[i].rec,
			     sizeof(copy[i].rec)))
			fatal("%s: read failed", w->state.path);
		copy[i].valid = !memcmp(copy[i].rec.magic, FWGATE_STATE_MAGIC, FWGATE_MAGIC_LEN) &&
				be32toh(copy[i].rec.crc) == record_crc(&copy[i].rec);
		if (copy[i].valid && (newest < 0 || be64toh(copy[i].rec.seq) >
						     be64toh(copy[newest].rec.seq)))
			newest = i;
	}
	return newest;
}

static const struct fwgate_state_entry *state_entry(const struct fwgate_state_record *r,
						    const char *name)
{
	unsigned int i;

	for (i = 0; i < FWGATE_STATE_ENTRIES && i < be32toh(r->count); i++)
		if (!strncmp(r->entry[i].name, name, FWGATE_NAME_LEN))
			return &r->entry[i];
	return NULL;
}

/* ------------------------------------------------------------ /dev/fwgate */

static struct fwgate_install_begin begin_req(const char *target,
					     const struct fwgate_update_stmt *s)
{
	const struct image *img = image_find(s->u_id);
	struct fwgate_install_begin req;

	memset(&req, 0, sizeof(req));
	snprintf(req.target, sizeof(req.target), "%s", target);
	memcpy(req.u_id, s->u_id, FWGATE_ID_LEN);
	req.size = be64toh(s->size);
	req.version = be64toh(s->version);
	req.chunks_len = chunks_len(req.size);
	req.chunks = (uintptr_t)(img ? img->chunks : zero_chunks(req.chunks_len));
	return req;
}

static int device_open(void)
{
	int fd = open(DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int install_begin(int fd, const struct fwgate_install_begin *req)
{
	return ioctl(fd, FWGATE_IOC_BEGIN, req) ? -errno : 0;
}

static int install_cmd(int fd, unsigned long cmd)
{
	return ioctl(fd, cmd) ? -errno : 0;
}

static int install_write(int fd, const uint8_t *data, size_t len)
{
	size_t done = 0, n;
	ssize_t ret;

	while (done < len) {
		n = MIN(len - done, WRITE_CHUNK);
		ret = write(fd, data + done, n);
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -EIO;
		done += ret;
	}
	return 0;
}

/* A whole session: BEGIN, the image, COMMIT. Returns the first -errno. */
static int install(const char *target, const struct fwgate_update_stmt *s,
		   const struct image *img)
{
	struct fwgate_install_begin req = begin_req(target, s);
	int fd = device_open(), err;

	if (fd < 0)
		return fd;
	err = install_begin(fd, &req);
	if (!err)
		err = install_write(fd, img->data, img->len);
	if (!err)
		err = install_cmd(fd, FWGATE_IOC_COMMIT);
	close(fd);
	return err;
}

/* Approves @img as @version of @group and installs it on @target. */
static int install_new(struct world *w, const char *target, const char *group,
		       const struct image *img, uint64_t version)
{
	struct fwgate_update_stmt s;
	int err;

	stmt_for_image(&s, img, version, group);
	err = approve(w, &s);
	return err ?: install(target, &s, img);
}

/* ---------------------------------------------------------------- events */

struct event_wait {
	uint8_t cmd;
	uint32_t event;
	struct event *out;
	bool found;
};

static int on_event(uint8_t cmd, struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct event_wait *ew = arg;
	struct event *ev = ew->out;

	(void)nlh;
	if (ew->found || cmd != ew->cmd || (uint32_t)attr_u32(tb[FWGATE_A_EVENT]) != ew->event)
		return NL_OK;
	memset(ev, 0, sizeof(*ev));
	ev->cmd = cmd;
	ev->event = ew->event;
	ev->err = attr_u32(tb[FWGATE_A_ERRNO]);
	attr_str(ev->reason, sizeof(ev->reason), tb[FWGATE_A_REASON]);
	ev->has_update = tb[FWGATE_A_UPDATE];
	if (ev->has_update)
		parse_update(tb[FWGATE_A_UPDATE], &ev->update);
	ev->has_target = tb[FWGATE_A_TARGET];
	if (ev->has_target)
		parse_target(tb[FWGATE_A_TARGET], &ev->target);
	ew->found = true;
	return NL_OK;
}

static int events_open(struct fwnl *ev)
{
	int grp, err = fwnl_open(ev);

	if (err)
		return err;
	grp = genl_ctrl_resolve_grp(ev->sk, FWGATE_FAMILY_NAME, FWGATE_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(ev->sk, grp))
		return -ENOENT;
	nl_socket_set_nonblocking(ev->sk);
	return 0;
}

/* Notifications carry no sequence number of ours. */
static int any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* Waits for the first @cmd message carrying @event; -ETIMEDOUT without one. */
static int event_wait(struct fwnl *ev, uint8_t cmd, uint32_t event, struct event *out)
{
	struct event_wait ew = { cmd, event, out, false };
	struct reply r = { .parse = on_event, .arg = &ew };
	struct nl_cb *cb = reply_cb(&r);
	struct pollfd pfd = { nl_socket_get_fd(ev->sk), POLLIN, 0 };
	struct timespec t0, t;
	int left = EVENT_TIMEOUT_MS;

	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, any_seq, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!ew.found && left > 0 && poll(&pfd, 1, left) > 0) {
		nl_recvmsgs(ev->sk, cb);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = EVENT_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
					   (t.tv_nsec - t0.tv_nsec) / 1000000);
	}
	nl_cb_put(cb);
	return ew.found ? 0 : -ETIMEDOUT;
}

/* ------------------------------------------------------- world lifecycle */

/* Includes the target named @name, whose bytes are on @dev, in snapshots. */
static void target_track(struct world *w, const char *name, const char *dev)
{
	struct tracked *t = &w->target[w->n_targets++];

	if (w->n_targets > MAX_TRACKED)
		fatal("a test tracks more than %d targets", MAX_TRACKED);
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->dev, sizeof(t->dev), "%s", dev);
}

/* What targets/add takes. */
static void target_line(char *buf, size_t size, const char *name, const char *spec,
			const char *group)
{
	snprintf(buf, size, "%s %s %s\n", name, spec, group);
}

static int target_declare(struct world *w, const char *name, const char *spec,
			  const char *group, const char *dev)
{
	char line[256];
	int err;

	target_line(line, sizeof(line), name, spec, group);
	err = sysfs_write(line, SYSFS_DIR "/targets/add");
	if (!err)
		target_track(w, name, dev);
	return err;
}

static int state_device_set(const struct world *w)
{
	return sysfs_write(w->state.path, SYSFS_DIR "/state_device");
}

enum world_mode {
	WORLD_FRESH,	/* reload the module, wipe the store, reset the targets */
	WORLD_RELOAD,	/* reload the module, keep what is on the disks */
	WORLD_REBOOT,	/* as WORLD_RELOAD, but declare nothing and set no policy */
	WORLD_ATTACH,	/* use the module as it is */
};

static void world_init(struct __test_metadata *_metadata, struct world *w, enum world_mode mode)
{
	const char *vm = getenv("FWGATE_VM");
	int err;

	ASSERT_TRUE(vm && !strcmp(vm, "1"))
		TH_LOG("these tests reload modules and write disks: run them in the VM "
		       "(tests/vm/run -k KVER -d build/disk.img -- tests/kernel/run.sh)");
	ASSERT_TRUE(keys.loaded) TH_LOG("no test keys: set FWGATE_TEST_KEYS");
	ASSERT_EQ(0, part_find(LABEL_STATE, &w->state))
		TH_LOG("no partition labelled %s: attach the disk tests/kernel/mkdisk.sh makes",
		       LABEL_STATE);
	ASSERT_EQ(0, part_find(LABEL_A, &w->a));
	ASSERT_EQ(0, part_find(LABEL_B, &w->b));
	ASSERT_EQ(0, part_find(LABEL_SCRATCH, &w->scratch));
	policy_default(&w->policy);
	w->n_targets = 0;

	if (mode != WORLD_ATTACH) {
		err = module_unload();
		ASSERT_EQ(0, err)
			TH_LOG("cannot unload fwgate (%s): a locked module needs a reboot",
			       strerror(-err));
		err = module_load();
		ASSERT_EQ(0, err) TH_LOG("cannot load $FWGATE_KO (%s)", strerror(-err));
	}
	if (mode == WORLD_FRESH) {
		ASSERT_EQ(0, dev_fill(w->state.path, 0, 0, 2 * FWGATE_STATE_COPY_SIZE));
		ASSERT_EQ(0, dev_fill(w->a.path, 0, SENTINEL, SENTINEL_LEN));
		ASSERT_EQ(0, dev_fill(w->b.path, 0, SENTINEL, SENTINEL_LEN));
		ASSERT_EQ(0, dev_fill(w->scratch.path, 0, SENTINEL, SENTINEL_LEN));
	}
	ASSERT_EQ(0, fwnl_open(&w->nl))
		TH_LOG("no generic netlink family \"" FWGATE_FAMILY_NAME "\": is fwgate.ko loaded?");

	if (mode == WORLD_ATTACH) {
		target_track(w, LABEL_A, w->a.path);
		target_track(w, LABEL_B, w->b.path);
		return;
	}
	if (mode == WORLD_REBOOT)
		return;
	ASSERT_EQ(0, state_device_set(w));
	ASSERT_EQ(0, target_declare(w, LABEL_A, w->a.path, GROUP, w->a.path));
	ASSERT_EQ(0, target_declare(w, LABEL_B, w->b.path, GROUP, w->b.path));
	ASSERT_EQ(0, policy_set(w, &w->policy, NULL)) TH_LOG("POLICY_SET: %s", w->reply.msg);
}

static void world_fini(struct world *w)
{
	if (w->mounted && umount2(MOUNT_DIR, MNT_DETACH) == 0)
		w->mounted = false;
	if (w->nl.sk)
		fwnl_close(&w->nl);
}

/* ------------------------------------------------------ "nothing changed" */

struct world_snap {
	uint64_t counter[N_COUNTERS];
	char policy[4096];
	struct update_list updates;
	struct {
		struct target_view view;
		uint8_t *bytes;
		size_t len;
	} target[MAX_TRACKED];
};

static void world_snap(struct world *w, struct world_snap *s)
{
	unsigned int i;
	int c;

	for (c = 0; c < N_COUNTERS; c++)
		s->counter[c] = counter(c);
	policy_text(s->policy, sizeof(s->policy));
	updates_get(w, &s->updates);
	for (i = 0; i < w->n_targets; i++) {
		if (target_view(w->target[i].name, &s->target[i].view))
			fatal("target %s is not in sysfs", w->target[i].name);
		s->target[i].len = dev_size(w->target[i].dev);
		s->target[i].bytes = xmalloc(s->target[i].len);
		if (dev_read(w->target[i].dev, 0, s->target[i].bytes, s->target[i].len))
			fatal("%s: read failed", w->target[i].dev);
	}
}

static bool updates_equal(const struct update_list *a, const struct update_list *b)
{
	int i, j;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n && memcmp(a->u[i].id, b->u[j].id, FWGATE_ID_LEN); j++)
			;
		if (j == b->n || a->u[i].state != b->u[j].state ||
		    a->u[i].approvals != b->u[j].approvals ||
		    a->u[i].rejections != b->u[j].rejections ||
		    a->u[i].paused != b->u[j].paused ||
		    a->u[i].control_seq != b->u[j].control_seq)
			return false;
	}
	return true;
}

/*
 * A refusal leaves everything as it was: policy, recorded updates, targets
 * (sysfs and every byte), and the counters of things that happened. Counters
 * of refusals may move. Frees the snapshot.
 */
static bool world_unchanged(struct world *w, struct world_snap *s)
{
	static const enum counter happened[] = { APPROVALS_ACCEPTED, WRITES_COMMITTED,
						 BYTES_WRITTEN };
	struct world_snap *now = xmalloc(sizeof(*now));
	bool same = true;
	unsigned int i;

	world_snap(w, now);
	for (i = 0; i < ARRAY_SIZE(happened); i++) {
		if (now->counter[happened[i]] != s->counter[happened[i]]) {
			fprintf(stderr, "# counters/%s went from %llu to %llu\n",
				counter_name[happened[i]],
				(unsigned long long)s->counter[happened[i]],
				(unsigned long long)now->counter[happened[i]]);
			same = false;
		}
	}
	if (strcmp(now->policy, s->policy)) {
		fprintf(stderr, "# policy/ changed:\n# %s# to\n# %s", s->policy, now->policy);
		same = false;
	}
	if (!updates_equal(&now->updates, &s->updates)) {
		fprintf(stderr, "# the recorded updates changed (%d before, %d after)\n",
			s->updates.n, now->updates.n);
		same = false;
	}
	for (i = 0; i < w->n_targets; i++) {
		if (memcmp(&now->target[i].view, &s->target[i].view, sizeof(s->target[i].view))) {
			fprintf(stderr, "# target %s changed in sysfs (state %s -> %s)\n",
				w->target[i].name, s->target[i].view.state,
				now->target[i].view.state);
			same = false;
		}
		if (memcmp(now->target[i].bytes, s->target[i].bytes, s->target[i].len)) {
			fprintf(stderr, "# bytes on %s (%s) changed\n", w->target[i].dev,
				w->target[i].name);
			same = false;
		}
		free(now->target[i].bytes);
		free(s->target[i].bytes);
	}
	free(now);
	return same;
}

/* ------------------------------------------------------- unprivileged */

static int try_policy_set(struct world *w)
{
	return policy_set(w, &w->policy, NULL);
}

static int try_policy_lock(struct world *w)
{
	return policy_lock(w);
}

static int try_policy_get(struct world *w)
{
	struct policy_info p;

	return policy_get(w, &p);
}

static int try_bundle_submit(struct world *w)
{
	struct fwgate_update_stmt s;

	stmt_filler(&s, 0, 2);
	return submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, 1, NULL);
}

static int try_device_open(struct world *w)
{
	int fd = device_open();

	(void)w;
	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

/* Joining "events" needs CAP_NET_ADMIN: the events name updates and targets. */
static int try_events_join(struct world *w)
{
	int grp = genl_ctrl_resolve_grp(w->nl.sk, FWGATE_FAMILY_NAME, FWGATE_MCGRP_EVENTS);

	if (grp < 0)
		return -ENOENT;
	if (setsockopt(nl_socket_get_fd(w->nl.sk), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &grp, sizeof(grp)))
		return -errno;
	return 0;
}

/* Takes @cap out of every set of this process, which stays root. */
static int cap_drop(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t bit = 1U << (cap % 32);

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[cap / 32].effective &= ~bit;
	d[cap / 32].permitted &= ~bit;
	d[cap / 32].inheritable &= ~bit;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/*
 * Runs @fn in a child with a netlink socket of its own, that became nobody
 * (no capabilities left; @cap < 0) or stayed root but lost @cap; returns the
 * errno @fn saw, 0, or 255 if the child could not get there.
 */
static int run_in_child(struct world *w, int cap, int (*fn)(struct world *))
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return 255;
	if (pid == 0) {
		if (cap < 0 ? setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
			      setresuid(NOBODY, NOBODY, NOBODY) :
			      getuid() != 0 || cap_drop(cap))
			_exit(255);
		if (fwnl_open(&w->nl))
			_exit(255);
		_exit(-fn(w) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

#define run_as_nobody(w, fn)		run_in_child(w, -1, fn)
#define run_without_cap(w, cap, fn)	run_in_child(w, cap, fn)

/* ------------------------------------------------------------- tools */

/* Runs a shell command; its output, both streams, goes to @out. */
static int __attribute__((format(printf, 3, 4)))
run_cmd(char *out, size_t size, const char *fmt, ...)
{
	char cmd[512];
	size_t n = 0;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, size - n, p))
		n += strlen(out + n);
	out[n] = '\0';
	return pclose(p);
}

/*
 * Whether the kernel itself keeps other writers off a device fwgate claimed:
 * BLK_OPEN_RESTRICT_WRITES (6.8) bites only with bdev_allow_write_mounted=0.
 */
static bool writes_restricted(void)
{
	char cmdline[4096];
	struct utsname u;
	unsigned int major, minor;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    major * 1000 + minor < 6008)
		return false;
	if (sysfs_read(cmdline, sizeof(cmdline), "/proc/cmdline"))
		return false;
	return strstr(cmdline, "bdev_allow_write_mounted=0") ||
	       strstr(cmdline, "bdev_allow_write_mounted=n");
}

/* ------------------------------------------------------------ refusals */

/*
 * Each takes a snapshot, makes one request the kernel must refuse with @err,
 * and checks the errno and that nothing changed.
 */
static bool refusal_ok(struct world *w, struct world_snap *snap, const char *what,
		       const char *detail, int got, int err)
{
	if (got != -err)
		fprintf(stderr, "# %s gave %s (%s), not %s\n", what, strerrorname_np(-got) ?: "0",
			detail, strerrorname_np(err));
	return world_unchanged(w, snap) && got == -err;
}

static bool policy_refused(struct world *w, const struct policy *p, int err)
{
	struct world_snap snap;

	world_snap(w, &snap);
	return refusal_ok(w, &snap, "POLICY_SET", w->reply.msg, policy_set(w, p, NULL), err);
}

static bool bundle_refused(struct world *w, const struct bundle *b, int err)
{
	struct world_snap snap;

	world_snap(w, &snap);
	return refusal_ok(w, &snap, "BUNDLE_SUBMIT", w->reply.msg,
			  bundle_submit(w, b, NULL, NULL), err);
}

static bool control_refused(struct world *w, const struct control *c, int err)
{
	struct world_snap snap;

	world_snap(w, &snap);
	return refusal_ok(w, &snap, "UPDATE_CONTROL", w->reply.msg,
			  control_submit(w, c, NULL), err);
}

static bool request_refused(struct world *w, const struct fwgate_install_begin *req, int err)
{
	struct world_snap snap;
	int fd, got;

	world_snap(w, &snap);
	fd = device_open();
	if (fd < 0)
		fatal(DEVICE_PATH ": %s", strerror(-fd));
	got = install_begin(fd, req);
	close(fd);
	return refusal_ok(w, &snap, "BEGIN", "", got, err);
}

static bool begin_refused(struct world *w, const char *target,
			  const struct fwgate_update_stmt *s, int err)
{
	struct fwgate_install_begin req = begin_req(target, s);

	return request_refused(w, &req, err);
}

/* A sysfs write that must fail with @err. */
static bool sysfs_refused(struct world *w, const char *val, const char *file, int err)
{
	struct world_snap snap;
	char path[256];

	world_snap(w, &snap);
	snprintf(path, sizeof(path), SYSFS_DIR "/%s", file);
	return refusal_ok(w, &snap, path, val, sysfs_write(val, "%s", path), err);
}

/* ------------------------------------------------------------- fixtures */

/*
 * Every fixture but tooling is the same world; the names group the tests. They
 * are declared here, in the order they run: tooling first, locked last.
 */
#define WORLD_FIXTURE(name)							\
	FIXTURE(name) { struct world w; };					\
	FIXTURE_SETUP(name) { world_init(_metadata, &self->w, WORLD_FRESH); }	\
	FIXTURE_TEARDOWN(name) { world_fini(&self->w); }

/* Malformed messages: each variant breaks one attribute. */
#define MALFORMED_FIXTURE(name)							\
	WORLD_FIXTURE(name)							\
	FIXTURE_VARIANT(name) { struct attr_fault fault; int err; bool by_netlink; }

FIXTURE(tooling) {};
WORLD_FIXTURE(policy)
MALFORMED_FIXTURE(policy_malformed);
WORLD_FIXTURE(bundle)
MALFORMED_FIXTURE(bundle_malformed);
WORLD_FIXTURE(install)
WORLD_FIXTURE(write)
WORLD_FIXTURE(target)
WORLD_FIXTURE(state)
WORLD_FIXTURE(event)
WORLD_FIXTURE(claim)
WORLD_FIXTURE(anchor)
WORLD_FIXTURE(control)
FIXTURE(locked) { struct world w; };

/* ------------------------------------------------------------- tooling */

/* Checks of the test's own encoding and signing; they run on any host. */
FIXTURE_SETUP(tooling)
{
	ASSERT_TRUE(keys.loaded) TH_LOG("no test keys: set FWGATE_TEST_KEYS");
}
FIXTURE_TEARDOWN(tooling) {}

TEST_F(tooling, keys_are_encoded_as_the_kernel_parses_them)
{
	const struct key *all[] = { &keys.manufacturer, &keys.checker[0], &keys.untrusted,
				    &keys.p256[0], &keys.p256[1] };
	uint8_t id[FWGATE_ID_LEN];
	unsigned int i;
	EVP_PKEY *pk;

	for (i = 0; i < ARRAY_SIZE(all); i++) {
		if (all[i]->alg == FWGATE_KEY_RSA3072) {
			/* SEQUENCE { INTEGER (385 bytes), INTEGER 65537 } */
			EXPECT_EQ(398U, all[i]->len);
			EXPECT_EQ(0x30, all[i]->data[0]);
		} else {
			EXPECT_EQ(65U, all[i]->len);
			EXPECT_EQ(0x04, all[i]->data[0]);
		}
		sha256(all[i]->data, all[i]->len, id);
		EXPECT_EQ(0, memcmp(id, all[i]->id, FWGATE_ID_LEN));
		pk = key_from_encoding(all[i]);
		EXPECT_EQ(1, EVP_PKEY_eq(pk, all[i]->pkey));
		EVP_PKEY_free(pk);
	}
}

TEST_F(tooling, signatures_verify_against_the_encoded_keys)
{
	const struct key *signers[] = { &keys.checker[0], &keys.p256[0] };
	struct fwgate_update_stmt s;
	struct fwgate_verdict_stmt vs;
	struct verdict v;
	unsigned int i;
	EVP_PKEY *pk;

	stmt_filler(&s, 0, 1);
	for (i = 0; i < 2; i++) {
		verdict_sign(&v, signers[i], FWGATE_VERDICT_APPROVE, FWGATE_MAGIC_APPROVE, &s);
		if (signers[i]->alg == FWGATE_KEY_RSA3072) {
			EXPECT_EQ(384U, v.sig_len);
		} else {
			EXPECT_GE(72U, v.sig_len);
		}
		pk = key_from_encoding(signers[i]);
		verdict_message(&vs, FWGATE_MAGIC_APPROVE, &v, &s);
		EXPECT_TRUE(verify(pk, &vs, sizeof(vs), v.sig, v.sig_len));
		/* Domain separation: the same signature is no rejection. */
		verdict_message(&vs, FWGATE_MAGIC_REJECT, &v, &s);
		EXPECT_FALSE(verify(pk, &vs, sizeof(vs), v.sig, v.sig_len));
		EVP_PKEY_free(pk);
	}
}

/* ---------------------------------------------------------------- policy */

static bool key_matches(const struct key_info *got, const struct key *want)
{
	return got->alg == (int)want->alg && got->len == want->len &&
	       !memcmp(got->data, want->data, want->len) &&
	       !memcmp(got->id, want->id, FWGATE_ID_LEN);
}

TEST_F(policy, set_get_round_trip)
{
	struct world *w = &self->w;
	char buf[2048], want[2048];
	struct policy_info got;
	unsigned int i, n = 0;

	ASSERT_EQ(0, policy_get(w, &got));
	EXPECT_STREQ(TEST_OTYPE, got.otype);
	EXPECT_EQ(0, memcmp(got.device_id, w->policy.device_id, FWGATE_ID_LEN));
	EXPECT_EQ(TEST_Q, got.threshold);
	EXPECT_EQ(0, got.locked);
	EXPECT_TRUE(key_matches(&got.manufacturer, &keys.manufacturer));
	ASSERT_EQ(TEST_K, got.k);
	for (i = 0; i < TEST_K; i++)
		EXPECT_TRUE(key_matches(&got.checker[i], &keys.checker[i]));

	ASSERT_EQ(0, sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/k"));
	EXPECT_EQ(TEST_K, atoi(buf));
	ASSERT_EQ(0, sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/threshold"));
	EXPECT_EQ(TEST_Q, atoi(buf));
	ASSERT_EQ(0, sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/otype"));
	EXPECT_STREQ(TEST_OTYPE, buf);
	ASSERT_EQ(0, sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/device_id"));
	hex(w->policy.device_id, FWGATE_ID_LEN, want);
	EXPECT_EQ(0, strcasecmp(want, buf));
	ASSERT_EQ(0, sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/manufacturer_id"));
	hex(keys.manufacturer.id, FWGATE_ID_LEN, want);
	EXPECT_EQ(0, strcasecmp(want, buf));
	ASSERT_EQ(0, sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/checker_ids"));
	for (i = 0; i < TEST_K; i++) {
		hex(keys.checker[i].id, FWGATE_ID_LEN, want + n);
		n += 2 * FWGATE_ID_LEN;
		want[n++] = i + 1 < TEST_K ? '\n' : '\0';
	}
	EXPECT_EQ(0, strcasecmp(want, buf));
	ASSERT_EQ(0, sysfs_read(buf, sizeof(buf), SYSFS_DIR "/policy/locked"));
	EXPECT_STREQ("0", buf);
}

TEST_F(policy, rejects_threshold_below_majority)
{
	struct world *w = &self->w;
	struct policy p = w->policy;

	p.threshold = TEST_MAJORITY - 1;
	EXPECT_TRUE(policy_refused(w, &p, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
	EXPECT_TRUE(last_error_is(EINVAL, w->reply.msg));
}

TEST_F(policy, rejects_threshold_above_k)
{
	struct world *w = &self->w;
	struct policy p = w->policy;

	p.threshold = TEST_K + 1;
	EXPECT_TRUE(policy_refused(w, &p, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(policy, accepts_threshold_at_majority)
{
	struct world *w = &self->w;
	struct policy p = w->policy;

	p.threshold = TEST_MAJORITY;
	ASSERT_EQ(0, policy_set(w, &p, NULL)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(TEST_MAJORITY, policy_threshold());
}

TEST_F(policy, rejects_duplicate_checker)
{
	struct world *w = &self->w;
	struct policy p = w->policy;

	p.checker[TEST_K - 1] = p.checker[0];
	EXPECT_TRUE(policy_refused(w, &p, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(policy, rejects_malformed_key)
{
	struct world *w = &self->w;
	struct policy p = w->policy;
	struct key cut = keys.checker[0];

	cut.len = 200;		/* a truncated RSAPublicKey */
	sha256(cut.data, cut.len, cut.id);
	p.checker[0] = &cut;
	EXPECT_TRUE(policy_refused(w, &p, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(policy, rejects_key_id_not_matching_key)
{
	struct world *w = &self->w;
	struct policy p = w->policy;
	struct key lying = keys.checker[0];

	memcpy(lying.id, keys.checker[TEST_K].id, FWGATE_ID_LEN);
	p.checker[0] = &lying;
	EXPECT_TRUE(policy_refused(w, &p, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(policy, accepts_p256_keys_with_ecdsa)
{
	struct world *w = &self->w;
	struct policy_info got;
	struct policy p;

	if (!kernel_has_ecdsa())
		SKIP(return, "this kernel has no ECDSA");
	policy_mixed(&p);
	ASSERT_EQ(0, policy_set(w, &p, NULL)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, policy_get(w, &got));
	ASSERT_EQ(TEST_K, got.k);
	EXPECT_TRUE(key_matches(&got.checker[TEST_K - 1], &keys.p256[1]));
	EXPECT_EQ(FWGATE_KEY_P256, got.checker[TEST_K - 1].alg);
}

TEST_F(policy, refuses_p256_keys_without_ecdsa)
{
	struct world *w = &self->w;
	struct policy p;

	if (kernel_has_ecdsa())
		SKIP(return, "this kernel has ECDSA");
	policy_mixed(&p);
	EXPECT_TRUE(policy_refused(w, &p, EOPNOTSUPP));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(policy, requires_cap_net_admin)
{
	struct world *w = &self->w;
	struct world_snap snap;

	world_snap(w, &snap);
	EXPECT_EQ(EPERM, run_as_nobody(w, try_policy_set));
	EXPECT_EQ(EPERM, run_as_nobody(w, try_policy_lock));
	EXPECT_EQ(EPERM, run_as_nobody(w, try_bundle_submit));
	EXPECT_EQ(0, run_as_nobody(w, try_policy_get));
	EXPECT_EQ(EPERM, run_as_nobody(w, try_events_join));
	EXPECT_EQ(EACCES, run_as_nobody(w, try_device_open));
	EXPECT_TRUE(world_unchanged(w, &snap));
	EXPECT_FALSE(module_locked());
}

/* Root is not enough: the capability is, not the uid. */
TEST_F(policy, device_open_requires_cap_sys_admin)
{
	struct world *w = &self->w;

	EXPECT_EQ(EPERM, run_without_cap(w, CAP_SYS_ADMIN, try_device_open));
	EXPECT_EQ(0, run_without_cap(w, CAP_NET_ADMIN, try_device_open));
}

TEST_F(policy, events_group_requires_cap_net_admin)
{
	struct world *w = &self->w;

	EXPECT_EQ(EPERM, run_as_nobody(w, try_events_join));
	EXPECT_EQ(EPERM, run_without_cap(w, CAP_NET_ADMIN, try_events_join));
	EXPECT_EQ(0, run_without_cap(w, CAP_SYS_ADMIN, try_events_join));
}

TEST_F(policy, lock_requires_policy_and_state_store)
{
	struct world *w = &self->w;

	fwnl_close(&w->nl);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load());
	ASSERT_EQ(0, fwnl_open(&w->nl));

	EXPECT_EQ(-ENOKEY, policy_lock(w));
	ASSERT_EQ(0, policy_set(w, &w->policy, NULL)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(-ENODEV, policy_lock(w));
	EXPECT_FALSE(module_locked());
	/* Still unlocked: the module can go. */
	fwnl_close(&w->nl);
	EXPECT_EQ(0, module_unload());
}

/* Malformed POLICY_SET messages. */
FIXTURE_VARIANT_ADD(policy_malformed, no_threshold) {
	.fault = DROP(0, FWGATE_A_THRESHOLD),
};
FIXTURE_VARIANT_ADD(policy_malformed, no_manufacturer) {
	.fault = DROP(0, FWGATE_A_MANUFACTURER),
};
FIXTURE_VARIANT_ADD(policy_malformed, no_checkers) {
	.fault = DROP(0, FWGATE_A_CHECKER),
};
FIXTURE_VARIANT_ADD(policy_malformed, short_device_id) {
	.fault = RESIZE(0, FWGATE_A_DEVICE_ID, -1),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(policy_malformed, long_otype) {
	.fault = RESIZE(0, FWGATE_A_OTYPE, FWGATE_NAME_LEN),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(policy_malformed, short_threshold) {
	.fault = RESIZE(0, FWGATE_A_THRESHOLD, -2),
	.by_netlink = true,
};
FIXTURE_VARIANT_ADD(policy_malformed, unknown_key_algorithm) {
	.fault = VALUE(FWGATE_A_MANUFACTURER, FWGATE_A_KEY_ALG, 7),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(policy_malformed, checker_without_key) {
	.fault = DROP(FWGATE_A_CHECKER, FWGATE_A_KEY_DATA),
};
FIXTURE_VARIANT_ADD(policy_malformed, oversized_key) {
	.fault = RESIZE(FWGATE_A_CHECKER, FWGATE_A_KEY_DATA, FWGATE_MAX_KEY_LEN),
};
FIXTURE_VARIANT_ADD(policy_malformed, short_key_id) {
	.fault = RESIZE(FWGATE_A_MANUFACTURER, FWGATE_A_KEY_ID, -1),
	.err = ERANGE,
};

/*
 * @err naming the attribute: its offset, or its type when it is missing. Netlink's own attribute policy
 * answers ERANGE for a length or value out of its range (and EINVAL for a malformed one: by_netlink), the
 * module EINVAL for the rest.
 */
static void expect_extack_names(struct __test_metadata *_metadata, const struct reply *r,
				const struct attr_fault *f, int err)
{
	ASSERT_TRUE(f->hit) TH_LOG("the encoder never met the attribute to break");
	EXPECT_EQ(err, r->err);
	if (f->kind == FAULT_DROP) {
		EXPECT_EQ(f->type, r->miss_type) TH_LOG("extack: \"%s\"", r->msg);
	} else {
		EXPECT_STRNE("", r->msg);
		EXPECT_EQ(f->offset, r->offset) TH_LOG("extack: \"%s\"", r->msg);
	}
}

TEST_F(policy_malformed, is_refused_with_extack)
{
	struct world *w = &self->w;
	struct attr_fault f = variant->fault;
	struct world_snap snap;

	world_snap(w, &snap);
	EXPECT_EQ(-(variant->err ?: EINVAL), policy_set(w, &w->policy, &f));
	expect_extack_names(_metadata, &w->reply, &f, variant->err ?: EINVAL);
	EXPECT_TRUE(world_unchanged(w, &snap));
	/* A refusal of the module's own is kept as last_error, with the extack's message. */
	if (!variant->err && !variant->by_netlink)
		EXPECT_TRUE(last_error_is(EINVAL, w->reply.msg));
}

/* ---------------------------------------------------------------- bundle */

static void bundle_of_image(struct bundle *b, uint32_t seed, uint64_t version)
{
	struct fwgate_update_stmt s;
	struct image img;

	image_make(&img, IMAGE_LEN, seed);
	stmt_for_image(&s, &img, version, GROUP);
	bundle_init(b, &s, &keys.manufacturer);
	image_free(&img);
}

TEST_F(bundle, accepts_approval_and_counts_it)
{
	struct world *w = &self->w;
	uint64_t accepted = counter(APPROVALS_ACCEPTED);
	struct update_info u, dumped;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(0, memcmp(u.id, b.stmt.u_id, FWGATE_ID_LEN));
	EXPECT_EQ(FWGATE_UPDATE_PENDING, u.state);
	EXPECT_EQ(1, u.approvals);
	EXPECT_EQ(0, u.rejections);
	EXPECT_EQ(1, u.accepted);
	EXPECT_EQ(0, u.ignored);
	EXPECT_EQ(2U, u.version);
	EXPECT_EQ((uint64_t)IMAGE_LEN, u.size);
	EXPECT_STREQ(GROUP, u.target);
	EXPECT_EQ(accepted + 1, counter(APPROVALS_ACCEPTED));

	ASSERT_EQ(0, update_lookup(w, b.stmt.u_id, &dumped));
	EXPECT_EQ(FWGATE_UPDATE_PENDING, dumped.state);
	EXPECT_EQ(1, dumped.approvals);
}

TEST_F(bundle, accepts_statement_without_verdicts)
{
	struct world *w = &self->w;
	struct update_info u;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(FWGATE_UPDATE_PENDING, u.state);
	EXPECT_EQ(0, u.approvals);
	EXPECT_EQ(0, u.accepted);
}

TEST_F(bundle, approves_at_threshold)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct image img;

	image_make(&img, IMAGE_LEN, 1);
	stmt_for_image(&s, &img, 2, GROUP);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, TEST_Q - 1, &u));
	EXPECT_EQ(FWGATE_UPDATE_PENDING, u.state);
	EXPECT_EQ(TEST_Q - 1, u.approvals);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, TEST_Q - 1, 1, &u));
	EXPECT_EQ(FWGATE_UPDATE_APPROVED, u.state);
	EXPECT_EQ(TEST_Q, u.approvals);
	EXPECT_EQ(1, u.accepted);
	image_free(&img);
}

TEST_F(bundle, counts_distinct_trusted_checkers)
{
	struct world *w = &self->w;
	struct update_info u;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE);
	bundle_add(&b, unknown_checker(0), FWGATE_VERDICT_APPROVE);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(2, u.approvals);
	EXPECT_EQ(2, u.accepted);
	EXPECT_EQ(1, u.ignored);

	/* Submitting again is idempotent: everything counts zero. */
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(2, u.approvals);
	EXPECT_EQ(0, u.accepted);
	EXPECT_EQ(3, u.ignored);
	EXPECT_EQ(FWGATE_UPDATE_PENDING, u.state);
}

TEST_F(bundle, repeated_checker_across_bundles_counts_zero)
{
	struct world *w = &self->w;
	uint64_t accepted;
	struct update_info u;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	accepted = counter(APPROVALS_ACCEPTED);

	/* Another bundle: the same checker again, and a new one. */
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(2, u.approvals);
	EXPECT_EQ(1, u.accepted);
	EXPECT_EQ(1, u.ignored);
	EXPECT_EQ(accepted + 1, counter(APPROVALS_ACCEPTED));
}

TEST_F(bundle, rejects_same_checker_twice)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(bundle, ignores_unknown_checker)
{
	struct world *w = &self->w;
	struct update_info u;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, unknown_checker(0), FWGATE_VERDICT_APPROVE);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(1, u.approvals);
	EXPECT_EQ(1, u.accepted);
	EXPECT_EQ(1, u.ignored);
}

TEST_F(bundle, refuses_only_unknown_checkers)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, unknown_checker(0), FWGATE_VERDICT_APPROVE);
	bundle_add(&b, unknown_checker(1), FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, ENOKEY));
}

TEST_F(bundle, rejects_truncated_signature)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE)->sig_len--;
	EXPECT_TRUE(bundle_refused(w, &b, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(bundle, rejects_bad_checker_signature)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE)->sig[100] ^= 0x01;
	EXPECT_TRUE(bundle_refused(w, &b, EKEYREJECTED));
}

TEST_F(bundle, rejects_truncated_manufacturer_signature)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	b.sig_len = 200;
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(bundle, rejects_untrusted_manufacturer_signature)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	b.sig_len = sign(keys.untrusted.pkey, &b.stmt, sizeof(b.stmt), b.sig);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EKEYREJECTED));
}

TEST_F(bundle, rejects_statement_naming_another_manufacturer)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, 1, 2);
	memcpy(s.m_id, keys.untrusted.id, FWGATE_ID_LEN);
	bundle_init(&b, &s, &keys.untrusted);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EKEYREJECTED));
}

TEST_F(bundle, rejects_statement_with_wrong_magic)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, 1, 2);
	memcpy(s.magic, FWGATE_MAGIC_APPROVE, FWGATE_MAGIC_LEN);
	bundle_init(&b, &s, &keys.manufacturer);
	EXPECT_TRUE(bundle_refused(w, &b, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

/* A statement of the first version, without a hash list, is refused. */
TEST_F(bundle, rejects_first_statement_version)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, 1, 2);
	memcpy(s.magic, "FWGUPD01", FWGATE_MAGIC_LEN);
	bundle_init(&b, &s, &keys.manufacturer);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EINVAL));
	EXPECT_NE(NULL, strstr(w->reply.msg, FWGATE_MAGIC_UPDATE)) TH_LOG("%s", w->reply.msg);
}

TEST_F(bundle, rejects_statement_for_another_device_type)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, 1, 2);
	snprintf(s.o_type, sizeof(s.o_type), "another-board");
	bundle_init(&b, &s, &keys.manufacturer);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EXDEV));
}

TEST_F(bundle, rejects_statement_for_another_device)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, 1, 2);
	sha256_str("another device", s.o_id);
	bundle_init(&b, &s, &keys.manufacturer);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EXDEV));
}

TEST_F(bundle, accepts_statement_for_this_device)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;

	stmt_filler(&s, 1, 2);
	memcpy(s.o_id, w->policy.device_id, FWGATE_ID_LEN);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, 1, &u))
		TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(1, u.approvals);
}

TEST_F(bundle, rejects_statement_for_undeclared_group)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, 1, 2);
	snprintf(s.target, sizeof(s.target), "bootloader");
	bundle_init(&b, &s, &keys.manufacturer);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, ENODEV));
}

TEST_F(bundle, rejects_second_statement_for_same_update)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct bundle b;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, 1, NULL));
	s.version = htobe64(3);		/* same U_id, another statement */
	bundle_init(&b, &s, &keys.manufacturer);
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EEXIST));
}

TEST_F(bundle, rejects_approval_reused_as_rejection)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_REJECT);
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE)->kind = FWGATE_VERDICT_REJECT;
	EXPECT_TRUE(bundle_refused(w, &b, EKEYREJECTED));
}

TEST_F(bundle, rejects_checker_signature_over_another_magic)
{
	struct world *w = &self->w;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	b.nv++;
	verdict_sign(&b.v[1], w->policy.checker[1], FWGATE_VERDICT_APPROVE, FWGATE_MAGIC_ACK,
		     &b.stmt);
	EXPECT_TRUE(bundle_refused(w, &b, EKEYREJECTED));
}

TEST_F(bundle, rejects_device_ack_as_approval)
{
	struct world *w = &self->w;
	struct fwgate_ack_stmt ack;
	struct verdict *v;
	struct bundle b;

	bundle_of_image(&b, 1, 2);
	memset(&ack, 0, sizeof(ack));
	memcpy(ack.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
	memcpy(ack.u_id, b.stmt.u_id, FWGATE_ID_LEN);
	memcpy(ack.o_id, keys.p256[0].id, FWGATE_ID_LEN);
	ack.version = b.stmt.version;
	snprintf(ack.target, sizeof(ack.target), LABEL_A);

	/* A device's signed ack, passed off as a checker's approval. */
	v = bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	v->sig_len = sign(keys.p256[0].pkey, &ack, sizeof(ack), v->sig);
	EXPECT_TRUE(bundle_refused(w, &b, EINVAL));
	EXPECT_STRNE("", w->reply.msg);

	/* The same ack signed with the checker's own key. */
	v->sig_len = sign(w->policy.checker[0]->pkey, &ack, sizeof(ack), v->sig);
	EXPECT_TRUE(bundle_refused(w, &b, EKEYREJECTED));
}

TEST_F(bundle, majority_rejection_is_final)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct image img;
	int err;

	image_make(&img, IMAGE_LEN, 1);
	stmt_for_image(&s, &img, 2, GROUP);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_REJECT, 0, TEST_MAJORITY - 1, &u));
	EXPECT_EQ(FWGATE_UPDATE_PENDING, u.state);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_REJECT, TEST_MAJORITY - 1, 1, &u));
	EXPECT_EQ(FWGATE_UPDATE_REJECTED, u.state);
	EXPECT_EQ(TEST_MAJORITY, u.rejections);

	/* The remaining checkers approve: refused, or recorded, never revived. */
	err = submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, TEST_MAJORITY,
			      TEST_K - TEST_MAJORITY, &u);
	if (!err)
		EXPECT_EQ(FWGATE_UPDATE_REJECTED, u.state);
	ASSERT_EQ(0, update_lookup(w, s.u_id, &u));
	EXPECT_EQ(FWGATE_UPDATE_REJECTED, u.state);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EACCES));
	image_free(&img);
}

TEST_F(bundle, rejects_too_many_verdicts)
{
	struct world *w = &self->w;
	struct bundle b;
	unsigned int i;

	/* Distinct unknown checkers: only the count is wrong. */
	bundle_of_image(&b, 1, 2);
	b.nv = FWGATE_MAX_VERDICTS + 1;
	for (i = 0; i < b.nv; i++) {
		memset(&b.v[i], 0, sizeof(b.v[i]));
		b.v[i].kind = FWGATE_VERDICT_APPROVE;
		b.v[i].checker[0] = i + 1;
		b.v[i].sig_len = 384;
	}
	EXPECT_TRUE(bundle_refused(w, &b, EINVAL));
	EXPECT_STRNE("", w->reply.msg);
}

TEST_F(bundle, refused_without_policy)
{
	struct world *w = &self->w;
	struct bundle b;

	fwnl_close(&w->nl);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load());
	ASSERT_EQ(0, fwnl_open(&w->nl));
	bundle_of_image(&b, 1, 2);
	bundle_add(&b, &keys.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_EQ(-ENOKEY, bundle_submit(w, &b, NULL, NULL));
}

TEST_F_TIMEOUT(bundle, refuses_new_update_when_table_full, 300)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_list l;
	struct update_info u;
	unsigned int i;

	for (i = 0; i < FWGATE_MAX_UPDATES; i++)
		ASSERT_EQ(0, submit_filler(w, i, 2)) TH_LOG("update %u: %s", i, w->reply.msg);
	EXPECT_EQ(-ENOSPC, submit_filler(w, FWGATE_MAX_UPDATES, 2));
	EXPECT_STRNE("", w->reply.msg);
	updates_get(w, &l);
	EXPECT_EQ(FWGATE_MAX_UPDATES, l.n);

	/* A tracked update still gathers verdicts. */
	stmt_filler(&s, 0, 2);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, 1, &u))
		TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(1, u.accepted);
}

TEST_F_TIMEOUT(bundle, full_table_drops_installed_updates_first, 300)
{
	struct world *w = &self->w;
	struct image img;
	unsigned int i;

	image_make(&img, IMAGE_LEN, 1);
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 2)) TH_LOG("%s", w->reply.msg);
	for (i = 1; i < FWGATE_MAX_UPDATES; i++)
		ASSERT_EQ(0, submit_filler(w, i, 3)) TH_LOG("update %u: %s", i, w->reply.msg);
	/* The table is full, but the installed update is at the floor now. */
	EXPECT_EQ(0, submit_filler(w, FWGATE_MAX_UPDATES, 3)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(-ENOSPC, submit_filler(w, FWGATE_MAX_UPDATES + 1, 3));
	image_free(&img);
}

TEST_F(bundle, counts_p256_approvals)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct policy p;

	if (!kernel_has_ecdsa())
		SKIP(return, "this kernel has no ECDSA");
	policy_mixed(&p);
	ASSERT_EQ(0, policy_set(w, &p, NULL)) TH_LOG("%s", w->reply.msg);
	stmt_filler(&s, 1, 2);
	/* Checkers 1..4: two RSA, two P-256. */
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, TEST_K - TEST_Q, TEST_Q, &u))
		TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(TEST_Q, u.approvals);
	EXPECT_EQ(FWGATE_UPDATE_APPROVED, u.state);
}

/* Malformed BUNDLE_SUBMIT messages. */
FIXTURE_VARIANT_ADD(bundle_malformed, no_statement) {
	.fault = DROP(0, FWGATE_A_STATEMENT),
};
FIXTURE_VARIANT_ADD(bundle_malformed, short_statement) {
	.fault = RESIZE(0, FWGATE_A_STATEMENT, -1),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(bundle_malformed, long_statement) {
	.fault = RESIZE(0, FWGATE_A_STATEMENT, 8),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(bundle_malformed, no_signature) {
	.fault = DROP(0, FWGATE_A_SIGNATURE),
};
FIXTURE_VARIANT_ADD(bundle_malformed, oversized_signature) {
	.fault = RESIZE(0, FWGATE_A_SIGNATURE, FWGATE_MAX_SIG_LEN),
};
FIXTURE_VARIANT_ADD(bundle_malformed, verdict_without_kind) {
	.fault = DROP(FWGATE_A_VERDICT, FWGATE_A_VERDICT_KIND),
};
FIXTURE_VARIANT_ADD(bundle_malformed, verdict_of_unknown_kind) {
	.fault = VALUE(FWGATE_A_VERDICT, FWGATE_A_VERDICT_KIND, 3),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(bundle_malformed, verdict_without_checker) {
	.fault = DROP(FWGATE_A_VERDICT, FWGATE_A_VERDICT_CHECKER),
};
FIXTURE_VARIANT_ADD(bundle_malformed, verdict_with_short_checker) {
	.fault = RESIZE(FWGATE_A_VERDICT, FWGATE_A_VERDICT_CHECKER, -1),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(bundle_malformed, verdict_with_long_report) {
	.fault = RESIZE(FWGATE_A_VERDICT, FWGATE_A_VERDICT_REPORT, 1),
	.err = ERANGE,
};
FIXTURE_VARIANT_ADD(bundle_malformed, verdict_without_signature) {
	.fault = DROP(FWGATE_A_VERDICT, FWGATE_A_VERDICT_SIGNATURE),
};
FIXTURE_VARIANT_ADD(bundle_malformed, verdict_with_oversized_signature) {
	.fault = RESIZE(FWGATE_A_VERDICT, FWGATE_A_VERDICT_SIGNATURE, FWGATE_MAX_SIG_LEN),
};

TEST_F(bundle_malformed, is_refused_with_extack)
{
	struct world *w = &self->w;
	struct attr_fault f = variant->fault;
	uint64_t refused = counter(APPROVALS_REFUSED);
	struct world_snap snap;
	struct fwnl events;
	struct event ev;
	struct bundle b;

	ASSERT_EQ(0, events_open(&events));
	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE);
	bundle_add(&b, w->policy.checker[1], FWGATE_VERDICT_APPROVE);
	world_snap(w, &snap);
	EXPECT_EQ(-(variant->err ?: EINVAL), bundle_submit(w, &b, &f, NULL));
	expect_extack_names(_metadata, &w->reply, &f, variant->err ?: EINVAL);
	EXPECT_TRUE(world_unchanged(w, &snap));
	if (variant->err || variant->by_netlink) {
		/* Netlink's policy tables refused it before the module saw it. */
		EXPECT_EQ(refused, counter(APPROVALS_REFUSED));
	} else {
		/* The module refused it: the one refusal path, whatever the attribute. */
		EXPECT_EQ(refused + 1, counter(APPROVALS_REFUSED));
		EXPECT_TRUE(last_error_is(EINVAL, w->reply.msg));
		ASSERT_EQ(0, event_wait(&events, FWGATE_CMD_APPROVAL_NTF,
					FWGATE_EVENT_APPROVAL_REFUSED, &ev));
		EXPECT_EQ(EINVAL, ev.err);
		EXPECT_STREQ(w->reply.msg, ev.reason);
	}
	fwnl_close(&events);
}

/* --------------------------------------------------------------- install */

TEST_F_TIMEOUT(install, commits_approved_image, 120)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED), bytes = counter(BYTES_WRITTEN);
	struct fwgate_install_status st;
	struct fwgate_install_begin req;
	struct fwgate_update_stmt s;
	char uid[2 * FWGATE_ID_LEN + 1];
	struct target_info ti;
	struct target_view v;
	struct image img;
	int fd;

	image_make(&img, BIG_IMAGE_LEN, 1);
	stmt_for_image(&s, &img, 7, GROUP);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);

	fd = device_open();
	ASSERT_LE(0, fd);
	req = begin_req(LABEL_A, &s);
	ASSERT_EQ(0, install_begin(fd, &req));
	ASSERT_EQ(0, install_write(fd, img.data, img.len / 2));
	ASSERT_EQ(0, ioctl(fd, FWGATE_IOC_STATUS, &st));
	EXPECT_EQ(img.len, st.size);
	EXPECT_EQ(img.len / 2, st.written);
	EXPECT_EQ(FWGATE_TARGET_WRITING, (int)st.state);
	ASSERT_EQ(0, target_view(LABEL_A, &v));
	EXPECT_STREQ("writing", v.state);
	ASSERT_EQ(0, install_write(fd, img.data + img.len / 2, img.len - img.len / 2));
	ASSERT_EQ(0, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);

	EXPECT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	ASSERT_EQ(0, target_view(LABEL_A, &v));
	EXPECT_STREQ("valid", v.state);
	EXPECT_EQ(7U, v.floor);
	EXPECT_EQ(7U, v.last_version);
	hex(img.id, FWGATE_ID_LEN, uid);
	EXPECT_EQ(0, strcasecmp(uid, v.last_uid));
	EXPECT_EQ(7U, target_floor(LABEL_B));		/* the floor is the group's */
	EXPECT_EQ(committed + 1, counter(WRITES_COMMITTED));
	EXPECT_EQ(bytes + img.len, counter(BYTES_WRITTEN));

	ASSERT_EQ(0, target_lookup(w, LABEL_A, &ti));
	EXPECT_EQ(FWGATE_TARGET_VALID, ti.state);
	EXPECT_EQ(7U, ti.floor);
	EXPECT_EQ(7U, ti.last_version);
	EXPECT_EQ(0, memcmp(img.id, ti.last_id, FWGATE_ID_LEN));
	EXPECT_STREQ(GROUP, ti.group);
	EXPECT_EQ(FWGATE_TARGET_BLOCK, ti.type);
	EXPECT_EQ(w->a.size, ti.size);
	image_free(&img);
}

TEST_F(install, refuses_version_at_or_below_floor)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt same, older;
	struct image img, img2, img3;

	image_make(&img, IMAGE_LEN, 1);
	image_make(&img2, IMAGE_LEN, 2);
	image_make(&img3, IMAGE_LEN, 3);
	/* Approved while still above the floor. */
	stmt_for_image(&same, &img2, 5, GROUP);
	stmt_for_image(&older, &img3, 4, GROUP);
	ASSERT_EQ(0, approve(w, &same));
	ASSERT_EQ(0, approve(w, &older));
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 5));

	EXPECT_TRUE(begin_refused(w, LABEL_B, &same, ESTALE));
	EXPECT_TRUE(begin_refused(w, LABEL_B, &older, ESTALE));
	EXPECT_TRUE(begin_refused(w, LABEL_A, &older, ESTALE));
	image_free(&img);
	image_free(&img2);
	image_free(&img3);
}

TEST_F(install, rollback_floor_is_shared_by_group)
{
	struct world *w = &self->w;
	struct image img, img2;

	image_make(&img, IMAGE_LEN, 1);
	image_make(&img2, IMAGE_LEN, 2);
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 5));
	EXPECT_EQ(5U, target_floor(LABEL_B));
	EXPECT_EQ(0, install_new(w, LABEL_B, GROUP, &img2, 6));
	EXPECT_EQ(6U, target_floor(LABEL_A));
	EXPECT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	EXPECT_TRUE(dev_holds(w->b.path, 0, img2.data, img2.len));
	image_free(&img);
	image_free(&img2);
}

TEST_F(install, refuses_unapproved_update)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, TEST_Q - 1, NULL));
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EACCES));
	stmt_filler(&s, 2, 2);		/* never submitted */
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EACCES));
}

TEST_F(install, refuses_rejected_update)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_REJECT, 0, TEST_MAJORITY, &u));
	ASSERT_EQ(FWGATE_UPDATE_REJECTED, u.state);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EACCES));
}

TEST_F(install, refuses_image_larger_than_target)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	uint8_t id[FWGATE_ID_LEN];

	sha256_str("an image one byte too large", id);
	stmt_init(&s, id, w->a.size + 1, 2, GROUP);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EFBIG));
}

TEST_F(install, refuses_size_or_version_not_in_statement)
{
	struct world *w = &self->w;
	struct fwgate_install_begin req;
	struct fwgate_update_stmt s;

	stmt_filler(&s, 1, 3);
	ASSERT_EQ(0, approve(w, &s));
	req = begin_req(LABEL_A, &s);
	req.size--;
	EXPECT_TRUE(request_refused(w, &req, EINVAL));
	req = begin_req(LABEL_A, &s);
	req.version++;
	EXPECT_TRUE(request_refused(w, &req, EINVAL));
	req = begin_req(LABEL_A, &s);
	req.flags = 1;
	EXPECT_TRUE(request_refused(w, &req, EINVAL));
	EXPECT_TRUE(begin_refused(w, "no_such_target", &s, ENODEV));
}

TEST_F(install, refuses_hash_list_not_in_statement)
{
	struct world *w = &self->w;
	struct fwgate_install_begin req;
	struct fwgate_update_stmt s;
	struct image img;
	uint8_t *bad;

	image_make(&img, BIG_IMAGE_LEN, 1);
	stmt_for_image(&s, &img, 2, GROUP);
	ASSERT_EQ(0, approve(w, &s));
	req = begin_req(LABEL_A, &s);
	req.chunks_len -= FWGATE_ID_LEN;
	EXPECT_TRUE(request_refused(w, &req, EINVAL));
	req = begin_req(LABEL_A, &s);
	req.chunks_len += FWGATE_ID_LEN;
	EXPECT_TRUE(request_refused(w, &req, EINVAL));
	req = begin_req(LABEL_A, &s);
	req.chunks = 0;
	EXPECT_TRUE(request_refused(w, &req, EFAULT));

	/* One digest of the last chunk changed: the list is not the signed one. */
	bad = xmalloc(img.chunks_len);
	memcpy(bad, img.chunks, img.chunks_len);
	bad[img.chunks_len - 1] ^= 0x80;
	req = begin_req(LABEL_A, &s);
	req.chunks = (uintptr_t)bad;
	EXPECT_TRUE(request_refused(w, &req, EBADMSG));
	free(bad);
	image_free(&img);
}

TEST_F(install, refuses_target_outside_group)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;

	ASSERT_EQ(0, target_declare(w, LABEL_SCRATCH, w->scratch.path, "data", w->scratch.path));
	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, approve(w, &s));
	EXPECT_TRUE(begin_refused(w, LABEL_SCRATCH, &s, EXDEV));
}

TEST_F(install, refuses_second_session)
{
	struct world *w = &self->w;
	struct fwgate_install_begin req1, req2;
	struct fwgate_update_stmt s1, s2;
	struct image img1, img2;
	int fd1, fd2;

	image_make(&img1, IMAGE_LEN, 1);
	image_make(&img2, IMAGE_LEN, 2);
	stmt_for_image(&s1, &img1, 2, GROUP);
	stmt_for_image(&s2, &img2, 3, GROUP);
	ASSERT_EQ(0, approve(w, &s1));
	ASSERT_EQ(0, approve(w, &s2));

	fd1 = device_open();
	fd2 = device_open();
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	req1 = begin_req(LABEL_A, &s1);
	req2 = begin_req(LABEL_B, &s2);
	ASSERT_EQ(0, install_begin(fd1, &req1));
	ASSERT_EQ(0, install_write(fd1, img1.data, img1.len / 2));
	EXPECT_EQ(-EBUSY, install_begin(fd2, &req2));
	EXPECT_EQ(-EBUSY, install_begin(fd1, &req2));	/* one session per file, too */
	EXPECT_TRUE(head_is(w->b.path, SENTINEL));	/* rootfs_b untouched */
	ASSERT_EQ(0, install_write(fd1, img1.data + img1.len / 2, img1.len - img1.len / 2));
	ASSERT_EQ(0, install_cmd(fd1, FWGATE_IOC_COMMIT));

	/* The first session is over: the second may start. */
	ASSERT_EQ(0, install_begin(fd2, &req2));
	ASSERT_EQ(0, install_write(fd2, img2.data, img2.len));
	EXPECT_EQ(0, install_cmd(fd2, FWGATE_IOC_COMMIT));
	close(fd1);
	close(fd2);
	EXPECT_TRUE(dev_holds(w->a.path, 0, img1.data, img1.len));
	EXPECT_TRUE(dev_holds(w->b.path, 0, img2.data, img2.len));
	image_free(&img1);
	image_free(&img2);
}

/* An approved update for the scratch partition, declared as its own group. */
static void scratch_update(struct __test_metadata *_metadata, struct world *w,
			   struct fwgate_update_stmt *s)
{
	ASSERT_EQ(0, target_declare(w, LABEL_SCRATCH, w->scratch.path, LABEL_SCRATCH,
				    w->scratch.path));
	stmt_filler(s, 1, 2);
	snprintf(s->target, sizeof(s->target), LABEL_SCRATCH);
	ASSERT_EQ(0, approve(w, s)) TH_LOG("%s", w->reply.msg);
}

TEST_F_TIMEOUT(install, refuses_mounted_target, 120)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=0 %s >/dev/null 2>&1",
		 w->scratch.path);
	ASSERT_EQ(0, system(cmd)) TH_LOG("mkfs.ext4 failed");
	ASSERT_EQ(0, mkdir(MOUNT_DIR, 0700) && errno != EEXIST ? -errno : 0);
	/* Read-only: the file system writes nothing while we compare. */
	ASSERT_EQ(0, mount(w->scratch.path, MOUNT_DIR, "ext4", MS_RDONLY, NULL))
		TH_LOG("mount: %s", strerror(errno));
	w->mounted = true;

	scratch_update(_metadata, w, &s);
	EXPECT_TRUE(begin_refused(w, LABEL_SCRATCH, &s, EBUSY));
}

TEST_F(install, refuses_claimed_target)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	int holder;

	scratch_update(_metadata, w, &s);
	holder = open(w->scratch.path, O_RDONLY | O_EXCL | O_CLOEXEC);
	ASSERT_LE(0, holder) TH_LOG("%s: %s", w->scratch.path, strerror(errno));
	EXPECT_TRUE(begin_refused(w, LABEL_SCRATCH, &s, EBUSY));
	close(holder);
}

/* ----------------------------------------------------------------- write */

/* Begins an approved install of @img as @version on rootfs_a. */
static int begin_approved(struct world *w, const struct image *img, uint64_t version,
			  struct fwgate_update_stmt *s)
{
	struct fwgate_install_begin req;
	int fd, err;

	stmt_for_image(s, img, version, GROUP);
	err = approve(w, s);
	if (err)
		return err;
	fd = device_open();
	if (fd < 0)
		return fd;
	req = begin_req(LABEL_A, s);
	err = install_begin(fd, &req);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* After a failed install: INVALID, head destroyed, floor and history kept. */
static void expect_invalidated(struct __test_metadata *_metadata, struct world *w,
			       uint64_t floor, uint64_t committed)
{
	struct target_view v;

	ASSERT_EQ(0, target_view(LABEL_A, &v));
	EXPECT_STREQ("invalid", v.state);
	EXPECT_TRUE(head_is(w->a.path, 0));
	EXPECT_EQ(floor, v.floor);
	EXPECT_EQ(committed, counter(WRITES_COMMITTED));
}

TEST_F(write, refuses_write_before_begin)
{
	struct world *w = &self->w;
	struct world_snap snap;
	uint8_t byte = 0;
	int fd;

	world_snap(w, &snap);
	fd = device_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, &byte, 1));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-EBADFD, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	EXPECT_TRUE(world_unchanged(w, &snap));
}

TEST_F(write, refuses_write_past_declared_size)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_update_stmt s;
	struct image img;
	int fd;

	image_make(&img, IMAGE_LEN, 1);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, install_write(fd, img.data, img.len));
	EXPECT_EQ(-EFBIG, install_write(fd, img.data, 1));
	EXPECT_EQ(-EBADMSG, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	expect_invalidated(_metadata, w, 0, committed);
	image_free(&img);
}

TEST_F(write, commit_fails_on_last_chunk_mismatch)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_update_stmt s;
	struct target_view v;
	struct image img;
	struct fwnl events;
	struct event ev;
	int fd;

	ASSERT_EQ(0, events_open(&events));
	image_make(&img, IMAGE_LEN, 1);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	img.data[img.len / 2] ^= 0x01;		/* a mirror served other bytes */
	/* One short chunk: it is checked only once the stream is whole. */
	ASSERT_EQ(0, install_write(fd, img.data, img.len));
	EXPECT_EQ(-EILSEQ, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	/* Nothing of it reached the target: the fixture's bytes are all there. */
	EXPECT_TRUE(dev_is(w->a.path, HEAD_LEN, img.len - HEAD_LEN, SENTINEL));
	expect_invalidated(_metadata, w, 0, committed);
	ASSERT_EQ(0, target_view(LABEL_A, &v));
	EXPECT_EQ(0U, v.last_version);
	ASSERT_EQ(0, event_wait(&events, FWGATE_CMD_INSTALL_NTF, FWGATE_EVENT_INSTALL_REFUSED, &ev));
	EXPECT_EQ(EILSEQ, ev.err);
	EXPECT_NE(NULL, strstr(ev.reason, "hash list")) TH_LOG("reason: %s", ev.reason);
	fwnl_close(&events);
	image_free(&img);
}

/*
 * The attack the hash list stops: a stream that is the approved image but
 * for one byte in chunk 3. Chunks 0-2 verify and are written (but for the
 * head, held back until COMMIT); chunk 3 fails its digest before any byte of
 * it is submitted, the install ends there, and every byte of the target from
 * chunk 3 on is still what it held before.
 */
TEST_F_TIMEOUT(write, tampered_chunk_never_reaches_target, 120)
{
	const size_t len = 5 * FWGATE_CHUNK_LEN + 4099, bad = 3 * FWGATE_CHUNK_LEN + 12345;
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_install_status st;
	struct fwgate_update_stmt s;
	struct target_view v;
	struct image img;
	size_t done, n;
	ssize_t ret = 0;
	int fd;

	image_make(&img, len, 1);
	ASSERT_EQ(0, dev_fill(w->a.path, 0, 0x5c, len));
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	img.data[bad] ^= 0x01;
	for (done = 0; done < len; done += ret) {
		n = MIN(len - done, (size_t)WRITE_CHUNK);
		ret = write(fd, img.data + done, n);
		if (ret <= 0)
			break;
	}
	/* Refused by the write() that completes chunk 3, none later. */
	ASSERT_EQ(-1, ret);
	EXPECT_EQ(EILSEQ, errno);
	EXPECT_LT(done, (size_t)4 * FWGATE_CHUNK_LEN);
	EXPECT_GE(done + n, (size_t)4 * FWGATE_CHUNK_LEN);

	/* The install is over: the slot is free and COMMIT has nothing to commit. */
	ASSERT_EQ(0, ioctl(fd, FWGATE_IOC_STATUS, &st));
	EXPECT_EQ(0U, st.size);
	EXPECT_EQ(-EBADFD, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);

	EXPECT_TRUE(dev_holds(w->a.path, HEAD_LEN, img.data + HEAD_LEN,
			      3 * FWGATE_CHUNK_LEN - HEAD_LEN));
	EXPECT_TRUE(dev_is(w->a.path, 3 * FWGATE_CHUNK_LEN, len - 3 * FWGATE_CHUNK_LEN, 0x5c));
	expect_invalidated(_metadata, w, 0, committed);
	ASSERT_EQ(0, target_view(LABEL_A, &v));
	EXPECT_EQ(0U, v.last_version);
	image_free(&img);
}

#define BROKEN_NAME	"fwgate-broken"

/*
 * A device that takes the first 4 KiB (what BEGIN destroys) and fails every
 * later write: scratch's first sectors, then dm's error target.
 */
static int broken_dev(struct world *w, char *dev, size_t size)
{
	char out[512], name[64];
	unsigned int i;

	run_cmd(out, sizeof(out), "dmsetup --noudevsync remove " BROKEN_NAME " 2>&1");
	if (run_cmd(out, sizeof(out), "printf '0 8 linear %s 0\\n8 %llu error\\n' | "
		    "dmsetup --noudevsync create " BROKEN_NAME " 2>&1", w->scratch.path,
		    (unsigned long long)(w->scratch.size / 512 - 8))) {
		fprintf(stderr, "# dmsetup: %s", out);
		return -EIO;
	}
	for (i = 0; i < 64; i++) {
		if (!sysfs_read(name, sizeof(name), "/sys/block/dm-%u/dm/name", i) &&
		    !strcmp(name, BROKEN_NAME)) {
			snprintf(dev, size, "/dev/dm-%u", i);
			return 0;
		}
	}
	return -ENOENT;
}

/* The device, not the stream, failed: EIO, so that the caller may try again. */
TEST_F_TIMEOUT(write, commit_fails_with_eio_when_the_target_fails_a_write, 120)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_install_begin req;
	struct fwgate_update_stmt s;
	struct target_view v;
	struct fwnl events;
	struct image img;
	struct event ev;
	char dev[32], out[256];
	int fd;

	ASSERT_EQ(0, broken_dev(w, dev, sizeof(dev)));
	ASSERT_EQ(0, target_declare(w, "broken", dev, "broken", dev));
	ASSERT_EQ(0, events_open(&events));
	image_make(&img, IMAGE_LEN, 1);
	stmt_for_image(&s, &img, 2, "broken");
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	fd = device_open();
	ASSERT_LE(0, fd);
	req = begin_req("broken", &s);
	ASSERT_EQ(0, install_begin(fd, &req));
	ASSERT_EQ(0, install_write(fd, img.data, img.len));
	EXPECT_EQ(-EIO, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	ASSERT_EQ(0, event_wait(&events, FWGATE_CMD_INSTALL_NTF, FWGATE_EVENT_INSTALL_REFUSED, &ev));
	EXPECT_EQ(EIO, ev.err);
	EXPECT_STREQ("write to the target failed", ev.reason);
	EXPECT_TRUE(last_error_is(EIO, "write to the target failed"));
	ASSERT_EQ(0, target_view("broken", &v));
	EXPECT_STREQ("invalid", v.state);
	EXPECT_EQ(0U, v.last_version);
	EXPECT_EQ(committed, counter(WRITES_COMMITTED));
	fwnl_close(&events);
	image_free(&img);
	run_cmd(out, sizeof(out), "dmsetup --noudevsync remove " BROKEN_NAME " 2>&1");
}

TEST_F(write, commit_fails_on_short_stream)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_update_stmt s;
	struct image img;
	int fd;

	image_make(&img, IMAGE_LEN, 1);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, install_write(fd, img.data, img.len - 1));
	EXPECT_EQ(-EBADMSG, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	expect_invalidated(_metadata, w, 0, committed);
	image_free(&img);
}

TEST_F(write, abort_invalidates_target)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_update_stmt s;
	struct image img;
	int fd;

	image_make(&img, IMAGE_LEN, 1);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, install_write(fd, img.data, img.len / 2));
	EXPECT_EQ(0, install_cmd(fd, FWGATE_IOC_ABORT));
	close(fd);
	expect_invalidated(_metadata, w, 0, committed);
	image_free(&img);
}

TEST_F(write, close_without_commit_invalidates_target)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_update_stmt s;
	struct image img;
	int fd;

	image_make(&img, IMAGE_LEN, 1);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, install_write(fd, img.data, img.len));
	close(fd);
	expect_invalidated(_metadata, w, 0, committed);
	image_free(&img);
}

TEST_F(write, invalid_target_takes_a_new_install)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct target_view v;
	struct image img;
	int fd;

	image_make(&img, IMAGE_LEN, 1);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	EXPECT_EQ(0, install_cmd(fd, FWGATE_IOC_ABORT));
	close(fd);
	ASSERT_EQ(0, install(LABEL_A, &s, &img));	/* still approved */
	ASSERT_EQ(0, target_view(LABEL_A, &v));
	EXPECT_STREQ("valid", v.state);
	EXPECT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	image_free(&img);
}

/* The disk scsi_debug made (run.sh loads it): a SCSI target, as on an industrial box. */
static int scsi_debug_find(char *path, size_t len)
{
	char model[64], file[512];
	struct dirent *de;
	DIR *d = opendir("/sys/block");
	FILE *f;
	int err = -ENOENT;

	if (!d)
		return -errno;
	while (err && (de = readdir(d))) {
		if (strncmp(de->d_name, "sd", 2))
			continue;
		snprintf(file, sizeof(file), "/sys/block/%s/device/model", de->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;
		if (fgets(model, sizeof(model), f) && strstr(model, "scsi_debug")) {
			snprintf(path, len, "/dev/%s", de->d_name);
			err = 0;
		}
		fclose(f);
	}
	closedir(d);
	return err;
}

TEST_F(write, installs_on_scsi_disk)
{
	struct world *w = &self->w;
	struct target_view v;
	struct image img;
	char dev[300];

	ASSERT_EQ(0, scsi_debug_find(dev, sizeof(dev))) TH_LOG("no scsi_debug disk");
	ASSERT_EQ(0, target_declare(w, "scsi", dev, "scsi", dev));
	ASSERT_EQ(0, target_view("scsi", &v));
	EXPECT_STREQ("block", v.type);

	image_make(&img, 3 * 4096 + 100, 1);
	ASSERT_EQ(0, install_new(w, "scsi", "scsi", &img, 2)) TH_LOG("%s", w->reply.msg);
	EXPECT_TRUE(dev_holds(dev, 0, img.data, img.len));
	ASSERT_EQ(0, target_view("scsi", &v));
	EXPECT_STREQ("valid", v.state);
	image_free(&img);
}

struct mtd {
	char dev[32];
	uint64_t size, erasesize;
};

static int mtdram_find(struct mtd *m)
{
	char name[64], num[32];
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (sysfs_read(name, sizeof(name), "/sys/class/mtd/mtd%u/name", i) ||
		    strcmp(name, MTDRAM_NAME))
			continue;
		snprintf(m->dev, sizeof(m->dev), "/dev/mtd%u", i);
		if (sysfs_read(num, sizeof(num), "/sys/class/mtd/mtd%u/size", i))
			return -errno;
		m->size = strtoull(num, NULL, 0);
		if (sysfs_read(num, sizeof(num), "/sys/class/mtd/mtd%u/erasesize", i))
			return -errno;
		m->erasesize = strtoull(num, NULL, 0);
		return 0;
	}
	return -ENOENT;
}

TEST_F(write, installs_on_mtd_after_erasing)
{
	struct world *w = &self->w;
	struct target_view v;
	struct image img;
	struct mtd m;
	uint8_t *rest;
	size_t tail;

	if (mtdram_find(&m))
		SKIP(return, "no mtdram device (modprobe mtdram)");
	/* Not erased: an install that does not erase first leaves these bytes. */
	ASSERT_EQ(0, dev_fill(m.dev, 0, 0x5a, 3 * m.erasesize));
	ASSERT_EQ(0, target_declare(w, "boot", m.dev, "boot", m.dev));
	ASSERT_EQ(0, target_view("boot", &v));
	EXPECT_STREQ("mtd", v.type);
	EXPECT_EQ(m.size, v.size);

	image_make(&img, m.erasesize + 1000, 1);
	ASSERT_EQ(0, install_new(w, "boot", "boot", &img, 2)) TH_LOG("%s", w->reply.msg);
	EXPECT_TRUE(dev_holds(m.dev, 0, img.data, img.len));
	tail = 2 * m.erasesize - img.len;
	rest = xmalloc(m.erasesize);
	ASSERT_EQ(0, dev_read(m.dev, img.len, rest, tail));
	EXPECT_TRUE(all_bytes(rest, tail, 0xff)) TH_LOG("the image's last eraseblock not erased");
	ASSERT_EQ(0, dev_read(m.dev, 2 * m.erasesize, rest, m.erasesize));
	EXPECT_TRUE(all_bytes(rest, m.erasesize, 0x5a)) TH_LOG("erased past the image");
	ASSERT_EQ(0, target_view("boot", &v));
	EXPECT_STREQ("valid", v.state);
	free(rest);
	image_free(&img);
}

/* ---------------------------------------------------------------- target */

/* Declares scratch by @spec and installs through it: the bytes land there. */
static void expect_resolves_to_scratch(struct __test_metadata *_metadata, struct world *w,
				       const char *spec)
{
	struct target_view v;
	struct image img;

	ASSERT_EQ(0, target_declare(w, LABEL_SCRATCH, spec, LABEL_SCRATCH, w->scratch.path));
	ASSERT_EQ(0, target_view(LABEL_SCRATCH, &v));
	EXPECT_STREQ(spec, v.spec);
	EXPECT_STREQ("block", v.type);
	EXPECT_EQ(w->scratch.size, v.size);

	image_make(&img, IMAGE_LEN, 1);
	ASSERT_EQ(0, install_new(w, LABEL_SCRATCH, LABEL_SCRATCH, &img, 2));
	EXPECT_TRUE(dev_holds(w->scratch.path, 0, img.data, img.len));
	image_free(&img);
}

TEST_F(target, resolves_partlabel)
{
	expect_resolves_to_scratch(_metadata, &self->w, "PARTLABEL=" LABEL_SCRATCH);
}

TEST_F(target, resolves_partuuid)
{
	expect_resolves_to_scratch(_metadata, &self->w, "PARTUUID=" SCRATCH_PARTUUID);
}

TEST_F(target, rejects_duplicate_name)
{
	struct world *w = &self->w;
	struct target_view v;
	char line[256];

	target_line(line, sizeof(line), LABEL_A, w->scratch.path, GROUP);
	EXPECT_TRUE(sysfs_refused(w, line, "targets/add", EEXIST));
	ASSERT_EQ(0, target_view(LABEL_A, &v));
	EXPECT_STREQ(w->a.path, v.spec);
}

/* ----------------------------------------------------------------- state */

TEST_F(state, commit_records_group_floor)
{
	struct world *w = &self->w;
	const struct fwgate_state_entry *g, *t;
	struct state_copy copy[2];
	struct image img;
	int newest;

	image_make(&img, IMAGE_LEN, 1);
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 7));
	newest = state_read(w, copy);
	ASSERT_LE(0, newest) TH_LOG("no copy of the state record is valid (magic, zlib CRC32)");
	g = state_entry(&copy[newest].rec, GROUP);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(7U, be64toh(g->floor));
	t = state_entry(&copy[newest].rec, LABEL_A);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(7U, be64toh(t->last_version));
	EXPECT_EQ(0, memcmp(t->last_id, img.id, FWGATE_ID_LEN));
	EXPECT_EQ(FWGATE_TARGET_VALID, (int)be32toh(t->state));
	/* The other copy holds the record before it. */
	if (copy[!newest].valid)
		EXPECT_LT(be64toh(copy[!newest].rec.seq), be64toh(copy[newest].rec.seq));
	image_free(&img);
}

TEST_F(state, begin_and_abort_are_recorded)
{
	struct world *w = &self->w;
	const struct fwgate_state_entry *t;
	struct fwgate_update_stmt s;
	struct state_copy copy[2];
	struct image img;
	int fd, newest;

	image_make(&img, IMAGE_LEN, 1);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	newest = state_read(w, copy);
	ASSERT_LE(0, newest);
	t = state_entry(&copy[newest].rec, LABEL_A);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(FWGATE_TARGET_WRITING, (int)be32toh(t->state));

	EXPECT_EQ(0, install_cmd(fd, FWGATE_IOC_ABORT));
	close(fd);
	newest = state_read(w, copy);
	ASSERT_LE(0, newest);
	t = state_entry(&copy[newest].rec, LABEL_A);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(FWGATE_TARGET_INVALID, (int)be32toh(t->state));
	image_free(&img);
}

TEST_F(state, floor_survives_module_reload)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt stale;
	struct image img, img2;
	int err;

	image_make(&img, IMAGE_LEN, 1);
	image_make(&img2, IMAGE_LEN, 2);
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 7));

	world_fini(w);
	world_init(_metadata, w, WORLD_RELOAD);
	EXPECT_EQ(7U, target_floor(LABEL_A));
	EXPECT_EQ(7U, target_floor(LABEL_B));
	/* Refused when approved (ESTALE names the floor either way), or at BEGIN. */
	stmt_for_image(&stale, &img2, 7, GROUP);
	err = approve(w, &stale);
	EXPECT_TRUE(err == 0 || err == -ESTALE) TH_LOG("approval: %s", w->reply.msg);
	if (!err)
		EXPECT_TRUE(begin_refused(w, LABEL_B, &stale, ESTALE));
	image_free(&img);
	image_free(&img2);
}

TEST_F(state, older_copy_used_when_newer_is_corrupt)
{
	struct world *w = &self->w;
	const struct fwgate_state_entry *g;
	struct state_copy copy[2];
	struct image img, img2;
	uint64_t older_floor;
	int newest;

	image_make(&img, IMAGE_LEN, 1);
	image_make(&img2, IMAGE_LEN, 2);
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 3));
	ASSERT_EQ(0, install_new(w, LABEL_B, GROUP, &img2, 4));
	newest = state_read(w, copy);
	ASSERT_LE(0, newest);
	ASSERT_TRUE(copy[!newest].valid) TH_LOG("a write must leave the previous record intact");
	g = state_entry(&copy[newest].rec, GROUP);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(4U, be64toh(g->floor));
	g = state_entry(&copy[!newest].rec, GROUP);
	ASSERT_NE(NULL, g);
	older_floor = be64toh(g->floor);
	EXPECT_EQ(3U, older_floor);

	/* A torn write of the newer copy: its CRC no longer matches. */
	world_fini(w);
	ASSERT_EQ(0, module_unload());
	copy[newest].rec.entry[0].floor ^= htobe64(1ULL << 40);
	ASSERT_EQ(0, dev_io(w->state.path, (uint64_t)newest * FWGATE_STATE_COPY_SIZE,
			    &copy[newest].rec, sizeof(copy[newest].rec), true));
	world_init(_metadata, w, WORLD_RELOAD);
	EXPECT_EQ(older_floor, target_floor(LABEL_A));
	image_free(&img);
	image_free(&img2);
}

/* ---------------------------------------------------------------- event */

TEST_F(event, reports_approval_accepted)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct event ev;
	struct fwnl events;

	ASSERT_EQ(0, events_open(&events));
	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, 2, NULL));
	ASSERT_EQ(0, event_wait(&events, FWGATE_CMD_APPROVAL_NTF,
				FWGATE_EVENT_APPROVAL_ACCEPTED, &ev));
	ASSERT_TRUE(ev.has_update);
	EXPECT_EQ(0, memcmp(ev.update.id, s.u_id, FWGATE_ID_LEN));
	EXPECT_EQ(2, ev.update.approvals);
	EXPECT_EQ(2U, ev.update.version);
	fwnl_close(&events);
}

TEST_F(event, reports_approval_refused)
{
	struct world *w = &self->w;
	struct event ev;
	struct fwnl events;
	struct bundle b;

	ASSERT_EQ(0, events_open(&events));
	bundle_of_image(&b, 1, 2);
	bundle_add(&b, w->policy.checker[0], FWGATE_VERDICT_APPROVE)->sig[7] ^= 0x80;
	ASSERT_EQ(-EKEYREJECTED, bundle_submit(w, &b, NULL, NULL));
	ASSERT_EQ(0, event_wait(&events, FWGATE_CMD_APPROVAL_NTF,
				FWGATE_EVENT_APPROVAL_REFUSED, &ev));
	EXPECT_EQ(EKEYREJECTED, ev.err);
	EXPECT_STRNE("", ev.reason);
	fwnl_close(&events);
}

TEST_F(event, reports_install_committed)
{
	struct world *w = &self->w;
	struct event ev;
	struct fwnl events;
	struct image img;

	ASSERT_EQ(0, events_open(&events));
	image_make(&img, IMAGE_LEN, 1);
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 9));
	ASSERT_EQ(0, event_wait(&events, FWGATE_CMD_INSTALL_NTF,
				FWGATE_EVENT_INSTALL_COMMITTED, &ev));
	ASSERT_TRUE(ev.has_target);
	EXPECT_STREQ(LABEL_A, ev.target.name);
	EXPECT_STREQ(GROUP, ev.target.group);
	ASSERT_TRUE(ev.has_update) TH_LOG("no update nest with the U_id and version");
	EXPECT_EQ(0, memcmp(ev.update.id, img.id, FWGATE_ID_LEN));
	EXPECT_EQ(9U, ev.update.version);
	fwnl_close(&events);
	image_free(&img);
}

/* ----------------------------------------------------------------- claim */

#define FLASH_NAME	"fwgate-flash"		/* a partition of mtdram */
#define FLASH_OFFSET	(2 << 20)
#define FLASH_LEN	(1 << 20)

/*
 * The MTD partition the lock tests use as a target: made once per boot on
 * the mtdram device through BLKPG, then found by name. "" without mtdram.
 */
static int flash_part(char *dev, size_t size)
{
	struct blkpg_partition part = { .start = FLASH_OFFSET, .length = FLASH_LEN };
	struct blkpg_ioctl_arg arg = { .op = BLKPG_ADD_PARTITION, .datalen = sizeof(part),
				       .data = &part };
	char name[64];
	struct mtd m;
	unsigned int i;
	int fd, pass;

	dev[0] = '\0';
	if (mtdram_find(&m))
		return -ENOENT;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < 32; i++) {
			if (!sysfs_read(name, sizeof(name), "/sys/class/mtd/mtd%u/name", i) &&
			    !strcmp(name, FLASH_NAME)) {
				snprintf(dev, size, "/dev/mtd%u", i);
				return 0;
			}
		}
		if (pass)
			break;
		snprintf(part.devname, sizeof(part.devname), FLASH_NAME);
		fd = open(m.dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (ioctl(fd, BLKPG, &arg)) {
			close(fd);
			return -errno;
		}
		close(fd);
	}
	return -ENOENT;
}

/* The lock is refused with @err, its extack names @name, and nothing locked. */
static bool lock_refused(struct world *w, int err, const char *name)
{
	int got = policy_lock(w);

	if (got != -err || !strstr(w->reply.msg, name) || module_locked()) {
		fprintf(stderr, "# POLICY_LOCK gave %d (\"%s\"), want -%s naming %s\n", got,
			w->reply.msg, strerrorname_np(err), name);
		return false;
	}
	return true;
}

static void scratch_mount_ro(struct __test_metadata *_metadata, struct world *w)
{
	char out[1024];

	ASSERT_EQ(0, run_cmd(out, sizeof(out),
			     "mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=0 %s 2>&1",
			     w->scratch.path)) TH_LOG("mkfs.ext4: %s", out);
	ASSERT_EQ(0, mkdir(MOUNT_DIR, 0700) && errno != EEXIST ? -errno : 0);
	ASSERT_EQ(0, mount(w->scratch.path, MOUNT_DIR, "ext4", MS_RDONLY, NULL))
		TH_LOG("mount: %s", strerror(errno));
	w->mounted = true;
}

TEST_F_TIMEOUT(claim, lock_refused_while_target_mounted, 120)
{
	struct world *w = &self->w;

	scratch_mount_ro(_metadata, w);
	ASSERT_EQ(0, target_declare(w, LABEL_SCRATCH, w->scratch.path, LABEL_SCRATCH,
				    w->scratch.path));
	EXPECT_TRUE(lock_refused(w, EBUSY, LABEL_SCRATCH));
	EXPECT_TRUE(last_error_is(EBUSY, w->reply.msg));
}

TEST_F(claim, lock_refused_while_target_mapped_shared_writable)
{
	struct world *w = &self->w;
	void *map;
	int fd;

	fd = open(w->b.path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", w->b.path, strerror(errno));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_TRUE(lock_refused(w, EBUSY, LABEL_B));
	munmap(map, 4096);
	close(fd);
}

/* The store is fwgate's since it was declared; a mapping made before the lock still counts. */
TEST_F(claim, lock_refused_while_state_store_mapped_shared_writable)
{
	struct world *w = &self->w;
	void *map;
	int fd;

	fd = open(w->state.path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY && writes_restricted())
		SKIP(return, "the kernel refuses writers of the claimed store itself");
	ASSERT_LE(0, fd) TH_LOG("%s: %s", w->state.path, strerror(errno));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_TRUE(lock_refused(w, EBUSY, "state store"));
	munmap(map, 4096);
	close(fd);
}

TEST_F(claim, lock_refused_while_mtd_partition_in_use)
{
	struct world *w = &self->w;
	char dev[32];
	int fd;

	if (flash_part(dev, sizeof(dev)))
		SKIP(return, "no mtdram device to partition (modprobe mtdram)");
	ASSERT_EQ(0, target_declare(w, "flash", dev, "flash", dev));
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", dev, strerror(errno));
	EXPECT_TRUE(lock_refused(w, EBUSY, "flash"));
	close(fd);
}

/* rootfs_a and rootfs_b were claimed before scratch refused: both are let go. */
TEST_F_TIMEOUT(claim, refused_lock_releases_every_claim, 120)
{
	struct world *w = &self->w;
	struct image img;

	scratch_mount_ro(_metadata, w);
	ASSERT_EQ(0, target_declare(w, LABEL_SCRATCH, w->scratch.path, LABEL_SCRATCH,
				    w->scratch.path));
	ASSERT_TRUE(lock_refused(w, EBUSY, LABEL_SCRATCH));
	image_make(&img, IMAGE_LEN, 1);
	EXPECT_EQ(0, install_new(w, LABEL_A, GROUP, &img, 2)) TH_LOG("%s", w->reply.msg);
	EXPECT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	image_free(&img);
}

/* ---------------------------------------------------------------- anchor */

static int key_id_cmp(const void *a, const void *b)
{
	const struct key *const *x = a, *const *y = b;

	return memcmp((*x)->id, (*y)->id, FWGATE_ID_LEN);
}

static size_t key_encoding(const struct key *k, uint8_t *out)
{
	struct fwgate_policy_key kh = { .alg = k->alg, .len = htobe16(k->len) };

	memcpy(out, &kh, sizeof(kh));
	memcpy(out + sizeof(kh), k->data, k->len);
	return sizeof(kh) + k->len;
}

/*
 * @p's canonical encoding, written here from the format's description and not
 * from the kernel's encoder: the digests the kernel reports must match it.
 * With @sorted false the checkers stay in @p's order.
 */
static size_t policy_encoding_as(const struct policy *p, uint8_t *buf, bool sorted)
{
	const struct key *order[FWGATE_MAX_CHECKERS + 1];
	struct fwgate_policy_hdr h = {
		.epoch = htobe64(p->epoch ?: 1),
		.threshold = htobe32(p->threshold),
		.checkers = htobe32(p->k),
	};
	size_t n = sizeof(h);
	unsigned int i;

	memcpy(h.magic, FWGATE_MAGIC_POLICY, FWGATE_MAGIC_LEN);
	memcpy(buf, &h, sizeof(h));
	memcpy(order, p->checker, p->k * sizeof(order[0]));
	if (sorted)
		qsort(order, p->k, sizeof(order[0]), key_id_cmp);
	n += key_encoding(p->manufacturer, buf + n);
	for (i = 0; i < p->k; i++)
		n += key_encoding(order[i], buf + n);
	return n;
}

static size_t policy_encoding(const struct policy *p, uint8_t *buf)
{
	return policy_encoding_as(p, buf, true);
}

static void policy_digest(const struct policy *p, uint8_t out[FWGATE_ID_LEN])
{
	static uint8_t buf[FWGATE_MAX_POLICY_LEN];

	sha256(buf, policy_encoding(p, buf), out);
}

#define MAX_SIGNERS	(2 * (1 + FWGATE_MAX_CHECKERS))

struct rotation {
	struct fwgate_rotate_stmt stmt;
	uint8_t enc[FWGATE_MAX_POLICY_LEN + 16];
	size_t enc_len;
	struct {
		uint8_t id[FWGATE_ID_LEN];
		uint8_t sig[FWGATE_MAX_SIG_LEN];
		size_t len;
	} signer[MAX_SIGNERS];
	unsigned int n;
	struct policy next;
};

/* The statement from @cur to @next at the epoch after @cur's, unsigned. */
static void rotation_init(struct rotation *r, const struct policy *cur, const struct policy *next)
{
	uint64_t epoch = cur->epoch ?: 1;

	memset(r, 0, sizeof(*r));
	r->next = *next;
	r->next.epoch = epoch + 1;
	memcpy(r->stmt.magic, FWGATE_MAGIC_ROTATE, FWGATE_MAGIC_LEN);
	policy_digest(cur, r->stmt.prev);
	r->stmt.prev_epoch = htobe64(epoch);
	r->enc_len = policy_encoding(&r->next, r->enc);
	sha256(r->enc, r->enc_len, r->stmt.next);
	r->stmt.next_epoch = htobe64(epoch + 1);
	r->stmt.issued = htobe64(1700000000);
}

static void rotation_sign(struct rotation *r, const struct key *k)
{
	if (r->n == MAX_SIGNERS)
		fatal("too many signers for a test rotation");
	memcpy(r->signer[r->n].id, k->id, FWGATE_ID_LEN);
	r->signer[r->n].len = sign(k->pkey, &r->stmt, sizeof(r->stmt), r->signer[r->n].sig);
	r->n++;
}

static bool policy_holds(const struct policy *p, const struct key *k)
{
	unsigned int i;

	if (p->manufacturer == k)
		return true;
	for (i = 0; i < p->k; i++)
		if (p->checker[i] == k)
			return true;
	return false;
}

/* What the rules ask: @cur's manufacturer, its first q checkers, every key the next policy adds. */
static void rotation_sign_all(struct rotation *r, const struct policy *cur)
{
	unsigned int i;

	rotation_sign(r, cur->manufacturer);
	for (i = 0; i < cur->threshold; i++)
		rotation_sign(r, cur->checker[i]);
	if (!policy_holds(cur, r->next.manufacturer))
		rotation_sign(r, r->next.manufacturer);
	for (i = 0; i < r->next.k; i++)
		if (!policy_holds(cur, r->next.checker[i]))
			rotation_sign(r, r->next.checker[i]);
}

static int policy_rotate(struct world *w, const struct rotation *r)
{
	struct encoder e = { msg_new(&w->nl, FWGATE_CMD_POLICY_ROTATE, 0), NULL, 0 };
	struct nlattr *nest;
	unsigned int i;
	int outer, err;

	put(&e, FWGATE_A_ROTATE_STATEMENT, &r->stmt, sizeof(r->stmt));
	put(&e, FWGATE_A_POLICY_ENCODING, r->enc, r->enc_len);
	for (i = 0; i < r->n; i++) {
		nest = nest_open(&e, FWGATE_A_SIGNER, &outer);
		put(&e, FWGATE_A_SIGNER_KEY_ID, r->signer[i].id, FWGATE_ID_LEN);
		put(&e, FWGATE_A_SIGNER_SIGNATURE, r->signer[i].sig, r->signer[i].len);
		nest_close(&e, nest, outer);
	}
	w->reply.parse = NULL;
	err = fwnl_transact(&w->nl, e.msg, &w->reply);
	if (!err)
		w->policy = r->next;
	return err;
}

/* Rotates the world's policy to @next, signed as the rules ask. */
static int rotate_to(struct world *w, const struct policy *next)
{
	static struct rotation r;

	rotation_init(&r, &w->policy, next);
	rotation_sign_all(&r, &w->policy);
	return policy_rotate(w, &r);
}

/* The default policy with its first checker replaced by one it lacks. */
static void policy_next(const struct policy *cur, struct policy *next)
{
	*next = *cur;
	next->checker[0] = unknown_checker(0);
}

/* k = 3, q = 2: checkers 0, 1 and 2. */
static void policy_small(struct policy *p)
{
	policy_default(p);
	p->k = 3;
	p->threshold = 2;
}

/* A rotation the kernel must refuse with @err and an extack saying @says; nothing changes. */
static bool rotation_refused(struct world *w, const struct rotation *r, int err, const char *says)
{
	struct policy_info before, after;
	struct world_snap snap;
	struct reply refusal;
	bool ok;

	if (policy_get(w, &before))
		fatal("POLICY_GET failed");
	world_snap(w, &snap);
	ok = refusal_ok(w, &snap, "POLICY_ROTATE", w->reply.msg, policy_rotate(w, r), err);
	refusal = w->reply;
	if (!strstr(refusal.msg, says)) {
		fprintf(stderr, "# extack \"%s\" does not say \"%s\"\n", refusal.msg, says);
		ok = false;
	}
	if (policy_get(w, &after))
		fatal("POLICY_GET failed");
	/* The caller looks at the refusal, not at this POLICY_GET. */
	w->reply = refusal;
	if (after.epoch != before.epoch || after.sealed_epoch != before.sealed_epoch ||
	    memcmp(after.digest, before.digest, FWGATE_ID_LEN) ||
	    memcmp(after.sealed_digest, before.sealed_digest, FWGATE_ID_LEN)) {
		fprintf(stderr, "# a refused rotation changed the policy or the anchor\n");
		ok = false;
	}
	return ok && last_error_is(err, refusal.msg);
}

/* A reboot, as far as the module can tell: unload, load, nothing declared. */
static void reboot_module(struct __test_metadata *_metadata, struct world *w)
{
	world_fini(w);
	world_init(_metadata, w, WORLD_REBOOT);
}

static uint64_t sealed_epoch(void)
{
	return sysfs_u64("policy/sealed_epoch");
}

TEST_F(anchor, policy_reports_epoch_and_digest)
{
	struct world *w = &self->w;
	uint8_t digest[FWGATE_ID_LEN];
	struct policy_info got;
	struct policy p;

	ASSERT_EQ(0, policy_get(w, &got));
	policy_digest(&w->policy, digest);
	EXPECT_EQ(1U, got.epoch);
	EXPECT_EQ(0, memcmp(digest, got.digest, FWGATE_ID_LEN));
	EXPECT_EQ(0U, got.sealed_epoch) TH_LOG("nothing is sealed before the first lock");

	/* The epoch is part of the digest, and the checkers' order is not. */
	p = w->policy;
	p.epoch = 7;
	p.checker[0] = w->policy.checker[1];
	p.checker[1] = w->policy.checker[0];
	ASSERT_EQ(0, policy_set(w, &p, NULL)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, policy_get(w, &got));
	policy_digest(&p, digest);
	EXPECT_EQ(7U, got.epoch);
	EXPECT_EQ(0, memcmp(digest, got.digest, FWGATE_ID_LEN));
	EXPECT_EQ(7U, sysfs_u64("policy/epoch"));

	p.epoch = 0;
	ASSERT_EQ(0, policy_set(w, &p, NULL));
	memset(&got, 0, sizeof(got));
	EXPECT_EQ(0, policy_get(w, &got));
	EXPECT_EQ(1U, got.epoch) TH_LOG("no epoch attribute means epoch 1");
}

TEST_F(anchor, rejects_epoch_zero)
{
	struct world *w = &self->w;
	struct policy p = w->policy;

	p.epoch = 0;
	p.send_epoch = true;
	EXPECT_TRUE(policy_refused(w, &p, EINVAL));
	EXPECT_STREQ("epoch is 0", w->reply.msg);
	EXPECT_LE(0, w->reply.offset) TH_LOG("the extack names no attribute");

	p.epoch = UINT64_MAX;
	ASSERT_EQ(0, policy_set(w, &p, NULL)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(UINT64_MAX, sysfs_u64("policy/epoch"));
}

TEST_F(anchor, rotation_seals_the_next_policy)
{
	struct world *w = &self->w;
	uint8_t digest[FWGATE_ID_LEN];
	struct state_copy copy[2];
	struct policy_info got;
	bool joined = false, left = false;
	struct policy next;
	int newest, i;

	policy_next(&w->policy, &next);
	ASSERT_EQ(0, rotate_to(w, &next)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, policy_get(w, &got));
	policy_digest(&w->policy, digest);
	EXPECT_EQ(2U, got.epoch);
	EXPECT_EQ(0, memcmp(digest, got.digest, FWGATE_ID_LEN));
	EXPECT_EQ(2U, got.sealed_epoch);
	EXPECT_EQ(0, memcmp(digest, got.sealed_digest, FWGATE_ID_LEN));
	EXPECT_EQ(2U, sealed_epoch());
	/* The kernel keeps the checkers in the encoding's order, by id. */
	ASSERT_EQ(TEST_K, got.k);
	for (i = 0; i < TEST_K; i++) {
		joined |= !memcmp(unknown_checker(0)->id, got.checker[i].id, FWGATE_ID_LEN);
		left |= !memcmp(keys.checker[0].id, got.checker[i].id, FWGATE_ID_LEN);
	}
	EXPECT_TRUE(joined);
	EXPECT_FALSE(left);

	newest = state_read(w, copy);
	ASSERT_LE(0, newest);
	EXPECT_EQ(2U, be64toh(copy[newest].rec.sealed_epoch));
	EXPECT_EQ(0, memcmp(digest, copy[newest].rec.sealed_digest, FWGATE_ID_LEN));
	EXPECT_TRUE(copy[!newest].valid) TH_LOG("a seal must leave the previous record intact");
}

TEST_F(anchor, checker_rotated_out_no_longer_counts)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct policy small, next;
	struct image img;
	struct bundle b;

	policy_small(&small);
	ASSERT_EQ(0, policy_set(w, &small, NULL));
	image_make(&img, IMAGE_LEN, 1);
	stmt_for_image(&s, &img, 2, GROUP);
	/* Approved by checker 0 and checker 1: a quorum of {0, 1, 2}. */
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, 2, &u));
	ASSERT_EQ(FWGATE_UPDATE_APPROVED, u.state);

	/* Checker 0 leaves, checker 3 joins: {1, 2, 3}, q = 2. */
	next = small;
	next.checker[0] = &keys.checker[3];
	ASSERT_EQ(0, rotate_to(w, &next)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, update_lookup(w, img.id, &u));
	EXPECT_EQ(FWGATE_UPDATE_PENDING, u.state);
	EXPECT_EQ(1, u.approvals);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EACCES));

	/* The checker rotated out counts zero now. */
	bundle_init(&b, &s, &keys.manufacturer);
	bundle_add(&b, &keys.checker[0], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, ENOKEY));

	/* Checker 1 and the new checker 3: a quorum of the new set. */
	bundle_init(&b, &s, &keys.manufacturer);
	bundle_add(&b, &keys.checker[3], FWGATE_VERDICT_APPROVE);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(FWGATE_UPDATE_APPROVED, u.state);
	EXPECT_EQ(0, install(LABEL_A, &s, &img));
	EXPECT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	image_free(&img);
}

TEST_F(anchor, manufacturer_rotated_refuses_the_old_key)
{
	struct world *w = &self->w;
	const struct key *m2 = &keys.checker[N_CHECKER_KEYS - 1];
	struct fwgate_update_stmt s, s2;
	struct update_info u;
	struct image img, img2;
	struct policy next;
	struct bundle b;
	unsigned int i;

	image_make(&img, IMAGE_LEN, 1);
	image_make(&img2, IMAGE_LEN, 2);
	stmt_for_image(&s, &img, 2, GROUP);
	ASSERT_EQ(0, approve(w, &s));

	next = w->policy;
	next.manufacturer = m2;
	ASSERT_EQ(0, rotate_to(w, &next)) TH_LOG("%s", w->reply.msg);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EKEYREJECTED));

	/* A new update signed by the old key is refused ... */
	stmt_for_image(&s2, &img2, 3, GROUP);
	bundle_init(&b, &s2, &keys.manufacturer);
	for (i = 0; i < w->policy.threshold; i++)
		bundle_add(&b, w->policy.checker[i], FWGATE_VERDICT_APPROVE);
	EXPECT_TRUE(bundle_refused(w, &b, EKEYREJECTED));

	/* ... and one signed by the new key installs. */
	memcpy(s2.m_id, m2->id, FWGATE_ID_LEN);
	bundle_init(&b, &s2, m2);
	for (i = 0; i < w->policy.threshold; i++)
		bundle_add(&b, w->policy.checker[i], FWGATE_VERDICT_APPROVE);
	ASSERT_EQ(0, bundle_submit(w, &b, NULL, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(FWGATE_UPDATE_APPROVED, u.state);
	EXPECT_EQ(0, install(LABEL_A, &s2, &img2));
	EXPECT_TRUE(dev_holds(w->a.path, 0, img2.data, img2.len));
	image_free(&img);
	image_free(&img2);
}

TEST_F(anchor, rotation_refused_without_the_checkers_quorum)
{
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;
	unsigned int i;

	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	rotation_sign(&r, w->policy.manufacturer);
	for (i = 0; i < w->policy.threshold - 1; i++)
		rotation_sign(&r, w->policy.checker[i]);
	rotation_sign(&r, next.checker[0]);
	/* A key only the next policy holds does not make up the quorum. */
	EXPECT_TRUE(rotation_refused(w, &r, EKEYREJECTED, "fewer than the threshold of checkers"));
}

TEST_F(anchor, rotation_refused_without_a_new_key_signature)
{
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;
	unsigned int i;

	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	rotation_sign(&r, w->policy.manufacturer);
	for (i = 0; i < w->policy.k; i++)
		rotation_sign(&r, w->policy.checker[i]);
	EXPECT_TRUE(rotation_refused(w, &r, EKEYREJECTED, "a checker key the next policy adds"));

	next = w->policy;
	next.manufacturer = &keys.checker[N_CHECKER_KEYS - 1];
	rotation_init(&r, &w->policy, &next);
	rotation_sign(&r, w->policy.manufacturer);
	for (i = 0; i < w->policy.k; i++)
		rotation_sign(&r, w->policy.checker[i]);
	EXPECT_TRUE(rotation_refused(w, &r, EKEYREJECTED, "the next manufacturer key"));
}

TEST_F(anchor, rotation_refused_without_the_manufacturer)
{
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;
	unsigned int i;

	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	for (i = 0; i < w->policy.k; i++)
		rotation_sign(&r, w->policy.checker[i]);
	rotation_sign(&r, next.checker[0]);
	EXPECT_TRUE(rotation_refused(w, &r, EKEYREJECTED, "manufacturer key in force"));
}

TEST_F(anchor, rotation_refused_with_a_bad_signature)
{
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;

	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	rotation_sign_all(&r, &w->policy);
	r.signer[1].sig[10] ^= 1;
	EXPECT_TRUE(rotation_refused(w, &r, EKEYREJECTED, "does not verify"));

	rotation_init(&r, &w->policy, &next);
	rotation_sign_all(&r, &w->policy);
	rotation_sign(&r, &keys.untrusted);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "in neither the policy in force nor the next"));

	rotation_init(&r, &w->policy, &next);
	rotation_sign_all(&r, &w->policy);
	rotation_sign(&r, w->policy.manufacturer);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "a key signs twice"));
}

/* One way to break the next policy's encoding, and what the extack must say. */
struct bad_encoding {
	const char *what;
	size_t off;		/* the byte to set, or SIZE_MAX */
	uint8_t byte;
	int grow;		/* bytes added (zero) or removed at the end */
	const char *says;
};

TEST_F(anchor, rotation_refused_for_a_malformed_encoding)
{
	/* Offsets: the header is 24 bytes, the manufacturer's key header follows. */
	static const struct bad_encoding bad[] = {
		{ "magic", 0, 'X', 0, "policy encoding: magic is not FWGPOL01" },
		{ "threshold below majority", 19, 2, 0, "threshold below floor(k/2)+1" },
		{ "threshold above k", 19, 6, 0, "threshold above checkers" },
		{ "no checkers", 23, 0, 0, "checkers is not 1 to FWGATE_MAX_CHECKERS" },
		{ "too many checkers", 23, 17, 0, "checkers is not 1 to FWGATE_MAX_CHECKERS" },
		{ "reserved byte", 25, 1, 0, "reserved byte is not zero" },
		{ "unknown algorithm", 24, 9, 0, "alg is unknown" },
		{ "key length too long", 26, 0xff, 0, "len is 0 or above FWGATE_MAX_KEY_LEN" },
		{ "trailing byte", SIZE_MAX, 0, 1, "trailing bytes" },
		{ "truncated", SIZE_MAX, 0, -1, "truncated" },
		{ "short header", SIZE_MAX, 0, -0x7fff, "shorter than its header" },
		{ "malformed RSA key", 28, 0x31, 0, "" },
	};
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;
	unsigned int i;

	policy_next(&w->policy, &next);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rotation_init(&r, &w->policy, &next);
		if (bad[i].off != SIZE_MAX)
			r.enc[bad[i].off] = bad[i].byte;
		if (bad[i].grow > 0)
			r.enc_len += bad[i].grow;
		else if (bad[i].grow == -0x7fff)
			r.enc_len = 10;
		else
			r.enc_len += bad[i].grow;
		sha256(r.enc, r.enc_len, r.stmt.next);
		rotation_sign_all(&r, &w->policy);
		EXPECT_TRUE(rotation_refused(w, &r, EINVAL, bad[i].says))
			TH_LOG("%s: extack \"%s\"", bad[i].what, w->reply.msg);
		EXPECT_LE(0, w->reply.offset) TH_LOG("%s: the extack names no attribute", bad[i].what);
	}
}

TEST_F(anchor, rotation_refused_for_a_noncanonical_encoding)
{
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;

	/* Checkers out of id order. */
	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	qsort(r.next.checker, r.next.k, sizeof(r.next.checker[0]), key_id_cmp);
	{
		const struct key *t = r.next.checker[0];

		r.next.checker[0] = r.next.checker[1];
		r.next.checker[1] = t;
	}
	r.enc_len = policy_encoding_as(&r.next, r.enc, false);
	sha256(r.enc, r.enc_len, r.stmt.next);
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "ids not ascending, or repeated"));

	/* A checker twice. */
	policy_next(&w->policy, &next);
	next.checker[2] = next.checker[1];
	rotation_init(&r, &w->policy, &next);
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "ids not ascending, or repeated"));

	/* The manufacturer as a checker. */
	policy_next(&w->policy, &next);
	next.checker[0] = w->policy.manufacturer;
	rotation_init(&r, &w->policy, &next);
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "manufacturer key is also a checker"));
}

TEST_F(anchor, rotation_refused_when_it_does_not_follow_the_policy_in_force)
{
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;

	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	r.stmt.prev[0] ^= 1;
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "prev is not the digest of the policy in force"));

	rotation_init(&r, &w->policy, &next);
	r.stmt.next[0] ^= 1;
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EBADMSG, "next is not the SHA-256 of policy-encoding"));

	rotation_init(&r, &w->policy, &next);
	r.stmt.next_epoch = htobe64(3);
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "next_epoch is not prev_epoch + 1"));

	/* The encoding says epoch 3, the statement 2. */
	rotation_init(&r, &w->policy, &next);
	r.next.epoch = 3;
	r.enc_len = policy_encoding(&r.next, r.enc);
	sha256(r.enc, r.enc_len, r.stmt.next);
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "epoch is not the rotation's next_epoch"));

	rotation_init(&r, &w->policy, &next);
	r.stmt.magic[7]++;
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, EINVAL, "rotation magic is not FWGROT01"));
}

TEST_F(anchor, rotation_refused_for_an_older_or_equal_epoch)
{
	struct world *w = &self->w;
	static struct rotation r, again;
	struct policy cur = w->policy, next;

	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	rotation_sign_all(&r, &w->policy);
	ASSERT_EQ(0, policy_rotate(w, &r)) TH_LOG("%s", w->reply.msg);
	/* The same rotation again: its epoch is the one in force. */
	EXPECT_TRUE(rotation_refused(w, &r, ESTALE, "not above the epoch in force"));

	/* Back to the first policy's keys at epoch 2, from epoch 1: a rollback. */
	rotation_init(&again, &cur, &cur);
	rotation_sign_all(&again, &cur);
	EXPECT_TRUE(rotation_refused(w, &again, ESTALE, "not above the epoch in force"));

	/* Forward to the first policy's keys at epoch 3 is a rotation like any. */
	cur.epoch = 0;
	ASSERT_EQ(0, rotate_to(w, &cur)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(3U, sysfs_u64("policy/epoch"));
	EXPECT_EQ(3U, sealed_epoch());
}

TEST_F(anchor, rotation_needs_a_state_store)
{
	struct world *w = &self->w;
	static struct rotation r;
	struct policy next;

	reboot_module(_metadata, w);
	ASSERT_EQ(0, policy_set(w, &w->policy, NULL));
	policy_next(&w->policy, &next);
	rotation_init(&r, &w->policy, &next);
	rotation_sign_all(&r, &w->policy);
	EXPECT_TRUE(rotation_refused(w, &r, ENODEV, "no rollback state store"));
}

TEST_F(anchor, sealed_policy_survives_a_reboot_and_refuses_another)
{
	struct world *w = &self->w;
	struct policy first = w->policy, next;

	policy_next(&w->policy, &next);
	ASSERT_EQ(0, rotate_to(w, &next)) TH_LOG("%s", w->reply.msg);
	next = w->policy;

	reboot_module(_metadata, w);
	ASSERT_EQ(0, state_device_set(w));
	EXPECT_EQ(2U, sealed_epoch());
	/* /etc/fwgate/policy still holds the first policy: refused, naming the anchor. */
	EXPECT_TRUE(policy_refused(w, &first, EPERM));
	EXPECT_NE(NULL, strstr(w->reply.msg, "not the sealed policy: epoch 2"))
		TH_LOG("extack \"%s\"", w->reply.msg);
	EXPECT_TRUE(last_error_is(EPERM, "not the sealed policy: epoch 2"));
	/* Its keys at the sealed epoch are another policy still. */
	first.epoch = 2;
	EXPECT_TRUE(policy_refused(w, &first, EPERM));
	EXPECT_EQ(0, policy_set(w, &next, NULL)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(2U, sysfs_u64("policy/epoch"));
}

TEST_F(anchor, lock_refused_for_a_policy_that_is_not_sealed)
{
	struct world *w = &self->w;
	struct policy first = w->policy, next;

	policy_next(&w->policy, &next);
	ASSERT_EQ(0, rotate_to(w, &next)) TH_LOG("%s", w->reply.msg);
	next = w->policy;

	/* The policy comes before the store: only the lock can tell. */
	reboot_module(_metadata, w);
	ASSERT_EQ(0, policy_set(w, &first, NULL)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, state_device_set(w));
	ASSERT_EQ(0, target_declare(w, LABEL_A, w->a.path, GROUP, w->a.path));
	EXPECT_EQ(-EPERM, policy_lock(w));
	EXPECT_NE(NULL, strstr(w->reply.msg, "not the sealed policy: epoch 2"))
		TH_LOG("extack \"%s\"", w->reply.msg);
	EXPECT_FALSE(module_locked());
	EXPECT_EQ(2U, sealed_epoch());
	EXPECT_TRUE(sysfs_refused(w, "1", "policy/locked", EPERM));
	EXPECT_FALSE(module_locked());
	/* Rotations start from the sealed policy only. */
	EXPECT_EQ(-EPERM, rotate_to(w, &next));
	EXPECT_EQ(0, policy_set(w, &next, NULL)) TH_LOG("%s", w->reply.msg);
}

TEST_F(anchor, torn_reseal_leaves_the_previous_anchor)
{
	struct world *w = &self->w;
	struct policy p2, p3;
	struct state_copy copy[2];
	int newest;

	policy_next(&w->policy, &p2);
	ASSERT_EQ(0, rotate_to(w, &p2)) TH_LOG("%s", w->reply.msg);
	p2 = w->policy;
	p3 = p2;
	p3.checker[1] = unknown_checker(1);
	ASSERT_EQ(0, rotate_to(w, &p3)) TH_LOG("%s", w->reply.msg);
	p3 = w->policy;
	newest = state_read(w, copy);
	ASSERT_LE(0, newest);
	ASSERT_TRUE(copy[!newest].valid);
	EXPECT_EQ(3U, be64toh(copy[newest].rec.sealed_epoch));
	EXPECT_EQ(2U, be64toh(copy[!newest].rec.sealed_epoch));

	/* The power went while the seal of epoch 3 was being written. */
	world_fini(w);
	ASSERT_EQ(0, module_unload());
	copy[newest].rec.sealed_digest[5] ^= 0x10;
	ASSERT_EQ(0, dev_io(w->state.path, (uint64_t)newest * FWGATE_STATE_COPY_SIZE,
			    &copy[newest].rec, sizeof(copy[newest].rec), true));
	world_init(_metadata, w, WORLD_REBOOT);
	ASSERT_EQ(0, state_device_set(w));
	EXPECT_EQ(2U, sealed_epoch());
	EXPECT_TRUE(policy_refused(w, &p3, EPERM));
	EXPECT_EQ(0, policy_set(w, &p2, NULL)) TH_LOG("%s", w->reply.msg);
}

TEST_F(anchor, reads_a_version_1_record_as_unsealed)
{
	struct world *w = &self->w;
	struct fwgate_state_record rec;
	struct state_copy copy[2];
	int newest;

	world_fini(w);
	ASSERT_EQ(0, module_unload());
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.magic, FWGATE_STATE_MAGIC_V1, FWGATE_MAGIC_LEN);
	rec.seq = htobe64(5);
	rec.count = htobe32(1);
	snprintf(rec.entry[0].name, sizeof(rec.entry[0].name), "%s", GROUP);
	rec.entry[0].floor = htobe64(7);
	/* What fwgate.ko before FWGSTA02 wrote: a CRC over the shorter record. */
	rec.crc = htobe32(crc32(crc32(0, Z_NULL, 0), (const Bytef *)&rec, FWGATE_STATE_V1_LEN));
	ASSERT_EQ(0, dev_fill(w->state.path, 0, 0, 2 * FWGATE_STATE_COPY_SIZE));
	ASSERT_EQ(0, dev_io(w->state.path, 0, &rec, FWGATE_STATE_V1_LEN, true));

	world_init(_metadata, w, WORLD_RELOAD);
	EXPECT_EQ(7U, target_floor(LABEL_A));
	EXPECT_EQ(0U, sealed_epoch());
	newest = state_read(w, copy);
	ASSERT_LE(0, newest) TH_LOG("attaching rewrites the record as FWGSTA02");
	EXPECT_EQ(6U, be64toh(copy[newest].rec.seq));
	EXPECT_EQ(0U, be64toh(copy[newest].rec.sealed_epoch));
}

/* ---------------------------------------------------------------- reboot */

/*
 * Two boots on one disk, driven by tests/kernel/anchor-reboot.sh: phase 1
 * locks (sealing epoch 1), then rotates again and again until the power is
 * cut at a random moment; phase 2 finds the anchor of the last rotation that
 * reached the disk, or of the one before, never neither, and only that
 * policy accepted. Skipped without FWGATE_REBOOT_PHASE.
 */
FIXTURE(reboot) { struct world w; };
FIXTURE_SETUP(reboot) {}
FIXTURE_TEARDOWN(reboot) { world_fini(&self->w); }

static int reboot_phase(void)
{
	const char *phase = getenv("FWGATE_REBOOT_PHASE");

	return phase ? atoi(phase) : 0;
}

/* The policy of epoch @n in the chain phase 1 rotates along: checker 0 comes and goes. */
static void policy_at(uint64_t n, struct policy *p)
{
	policy_default(p);
	if (!(n & 1))
		p->checker[0] = unknown_checker(0);
	p->epoch = n;
}

TEST_F_TIMEOUT(reboot, phase1_power_cut_during_rotations, 120)
{
	struct world *w = &self->w;
	struct policy next;
	unsigned int ms;
	uint64_t n;
	pid_t pid;
	int fd;

	if (reboot_phase() != 1)
		SKIP(return, "tests/kernel/anchor-reboot.sh runs this (FWGATE_REBOOT_PHASE=1)");
	world_init(_metadata, w, WORLD_FRESH);
	ASSERT_EQ(0, policy_lock(w)) TH_LOG("POLICY_LOCK: %s", w->reply.msg);
	ASSERT_EQ(1U, sealed_epoch());

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (n = 1;; n++) {
			policy_at(n + 1, &next);
			if (rotate_to(w, &next)) {
				printf("# rotation to epoch %llu refused: %s\n",
				       (unsigned long long)n + 1, w->reply.msg);
				_exit(1);
			}
			printf("# rotated to epoch %llu\n", (unsigned long long)n + 1);
			fflush(stdout);
		}
	}
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(ms), read(fd, &ms, sizeof(ms)));
	close(fd);
	usleep((500 + ms % 2500) * 1000);
	fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	printf("# power cut\n");
	fflush(stdout);
	/* Rotations go on; the console gets the line out before the cut. */
	usleep(300 * 1000);
	ASSERT_EQ(1, write(fd, "b", 1));
	pause();
}

TEST_F(reboot, phase2_anchor_is_the_old_or_the_new_policy)
{
	struct world *w = &self->w;
	struct state_copy copy[2];
	struct policy p, edited;
	uint64_t e, other;
	char says[64];
	int newest;

	if (reboot_phase() != 2)
		SKIP(return, "tests/kernel/anchor-reboot.sh runs this (FWGATE_REBOOT_PHASE=2)");
	world_init(_metadata, w, WORLD_REBOOT);
	/* The copies as the power cut left them: declaring the store writes one. */
	newest = state_read(w, copy);
	ASSERT_LE(0, newest) TH_LOG("no valid copy: the anchor is gone");
	e = be64toh(copy[newest].rec.sealed_epoch);
	other = be64toh(copy[!newest].rec.sealed_epoch);
	printf("# after the cut: copy %d (seq %llu) seals epoch %llu; copy %d is %s, epoch %llu\n",
	       newest, (unsigned long long)be64toh(copy[newest].rec.seq),
	       (unsigned long long)e, !newest, copy[!newest].valid ? "valid" : "torn",
	       (unsigned long long)other);
	ASSERT_LE(2U, e) TH_LOG("phase 1 made no rotation before the cut");
	if (copy[!newest].valid)
		EXPECT_EQ(e - 1, other);

	ASSERT_EQ(0, state_device_set(w));
	EXPECT_EQ(e, sealed_epoch());
	/* An edited /etc/fwgate/policy: another checker, the genesis epoch. */
	policy_default(&edited);
	edited.checker[2] = &keys.checker[N_CHECKER_KEYS - 1];
	EXPECT_TRUE(policy_refused(w, &edited, EPERM));
	snprintf(says, sizeof(says), "not the sealed policy: epoch %llu", (unsigned long long)e);
	EXPECT_NE(NULL, strstr(w->reply.msg, says)) TH_LOG("extack \"%s\"", w->reply.msg);
	policy_at(e - 1, &p);
	EXPECT_TRUE(policy_refused(w, &p, EPERM));
	policy_at(e + 1, &p);
	EXPECT_TRUE(policy_refused(w, &p, EPERM));
	policy_at(e, &p);
	ASSERT_EQ(0, policy_set(w, &p, NULL)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, policy_lock(w)) TH_LOG("POLICY_LOCK: %s", w->reply.msg);
	EXPECT_EQ(e, sealed_epoch());
}

/* -------------------------------------------------------------- control */

TEST_F(control, withdrawn_update_is_refused_at_begin)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct control c;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	control_init(&c, FWGATE_MAGIC_WITHDRAW, s.u_id, 0);
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	ASSERT_EQ(0, control_submit(w, &c, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(FWGATE_UPDATE_WITHDRAWN, u.state);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EKEYREVOKED));
	EXPECT_TRUE(last_error_is(EKEYREVOKED, "withdrawn"));
	/* Final: more approvals do not revive it, and a second withdrawal changes nothing. */
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, TEST_Q, TEST_K - TEST_Q, &u));
	EXPECT_EQ(FWGATE_UPDATE_WITHDRAWN, u.state);
	EXPECT_EQ(0, control_submit(w, &c, &u));
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EKEYREVOKED));
}

TEST_F(control, withdrawal_before_the_bundle_is_remembered)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, control_by_manufacturer(w, FWGATE_MAGIC_WITHDRAW, s.u_id, 0))
		TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(-ENOENT, update_lookup(w, s.u_id, &u));
	ASSERT_EQ(0, submit_verdicts(w, &s, FWGATE_VERDICT_APPROVE, 0, TEST_Q, &u));
	EXPECT_EQ(FWGATE_UPDATE_WITHDRAWN, u.state);
	EXPECT_EQ(TEST_Q, u.approvals);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EKEYREVOKED));
}

TEST_F_TIMEOUT(control, withdrawal_cancels_install_at_next_write, 120)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	size_t half = BIG_IMAGE_LEN / 2;
	struct fwgate_update_stmt s;
	struct image img;
	int fd;

	image_make(&img, BIG_IMAGE_LEN, 3);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	/* More than a chunk: some of the image reached the target already. */
	ASSERT_EQ(0, install_write(fd, img.data, half));
	ASSERT_EQ(0, control_by_manufacturer(w, FWGATE_MAGIC_WITHDRAW, s.u_id, 0))
		TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(-ECANCELED, install_write(fd, img.data + half, img.len - half));
	EXPECT_EQ(-EBADFD, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	expect_invalidated(_metadata, w, 0, committed);
	EXPECT_TRUE(last_error_is(ECANCELED, "withdrawn"));
	image_free(&img);
}

TEST_F_TIMEOUT(control, withdrawal_cancels_install_at_commit, 120)
{
	struct world *w = &self->w;
	uint64_t committed = counter(WRITES_COMMITTED);
	struct fwgate_update_stmt s;
	struct image img;
	int fd;

	image_make(&img, BIG_IMAGE_LEN, 4);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, install_write(fd, img.data, img.len));
	ASSERT_EQ(0, control_by_manufacturer(w, FWGATE_MAGIC_WITHDRAW, s.u_id, 0))
		TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(-ECANCELED, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	expect_invalidated(_metadata, w, 0, committed);
	EXPECT_FALSE(dev_holds(w->a.path, 0, img.data, img.len));
	image_free(&img);
}

TEST_F(control, withdrawal_of_another_update_leaves_the_install_alone)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s, other;
	struct image img;
	int fd;

	image_make(&img, IMAGE_LEN, 5);
	fd = begin_approved(w, &img, 2, &s);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	stmt_filler(&other, 1, 3);
	ASSERT_EQ(0, control_by_manufacturer(w, FWGATE_MAGIC_WITHDRAW, other.u_id, 0));
	EXPECT_EQ(0, install_write(fd, img.data, img.len));
	EXPECT_EQ(0, install_cmd(fd, FWGATE_IOC_COMMIT));
	close(fd);
	EXPECT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	image_free(&img);
}

TEST_F(control, pause_refuses_begin_until_a_later_resume)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct control c;
	struct image img;

	image_make(&img, IMAGE_LEN, 6);
	stmt_for_image(&s, &img, 2, GROUP);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, control_by_manufacturer(w, FWGATE_MAGIC_PAUSE, s.u_id, 5))
		TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, update_lookup(w, s.u_id, &u));
	EXPECT_EQ(1, u.paused);
	EXPECT_EQ(5U, u.control_seq);
	EXPECT_EQ(FWGATE_UPDATE_APPROVED, u.state);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EAGAIN));
	EXPECT_TRUE(last_error_is(EAGAIN, "paused"));

	/* A resume that is not newer than the pause changes nothing. */
	control_init(&c, FWGATE_MAGIC_RESUME, s.u_id, 5);
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	EXPECT_TRUE(control_refused(w, &c, ESTALE));
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EAGAIN));

	c.stmt.seq = htobe64(6);
	c.n = 0;
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	ASSERT_EQ(0, control_submit(w, &c, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(0, u.paused);
	EXPECT_EQ(6U, u.control_seq);
	/* The replayed pause is older than the resume. */
	EXPECT_EQ(-ESTALE, control_by_manufacturer(w, FWGATE_MAGIC_PAUSE, s.u_id, 5));
	EXPECT_EQ(0, install(LABEL_A, &s, &img));
	EXPECT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	image_free(&img);
}

TEST_F(control, pause_or_resume_needs_the_manufacturer)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct control c;
	unsigned int i;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	control_init(&c, FWGATE_MAGIC_PAUSE, s.u_id, 1);
	for (i = 0; i < TEST_K; i++)
		control_sign(&c, w->policy.checker[i], w->policy.checker[i]);
	EXPECT_TRUE(control_refused(w, &c, EACCES));
	EXPECT_TRUE(last_error_is(EACCES, "manufacturer"));
}

TEST_F(control, checker_withdrawal_needs_the_threshold)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct control c;
	unsigned int i;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	control_init(&c, FWGATE_MAGIC_WITHDRAW, s.u_id, 0);
	for (i = 0; i < TEST_Q - 1; i++)
		control_sign(&c, w->policy.checker[i], w->policy.checker[i]);
	/* A key the policy does not hold counts zero. */
	control_sign(&c, &keys.untrusted, &keys.untrusted);
	EXPECT_TRUE(control_refused(w, &c, EACCES));
	EXPECT_TRUE(last_error_is(EACCES, "threshold"));

	control_sign(&c, w->policy.checker[TEST_Q - 1], w->policy.checker[TEST_Q - 1]);
	ASSERT_EQ(0, control_submit(w, &c, &u)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(FWGATE_UPDATE_WITHDRAWN, u.state);
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EKEYREVOKED));
}

TEST_F(control, rejects_bad_signature)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct update_info u;
	struct control c;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	/* Another key's signature, claimed to be the manufacturer's. */
	control_init(&c, FWGATE_MAGIC_WITHDRAW, s.u_id, 0);
	control_sign(&c, &keys.untrusted, &keys.manufacturer);
	EXPECT_TRUE(control_refused(w, &c, EKEYREJECTED));
	/* The manufacturer's signature over another statement. */
	control_init(&c, FWGATE_MAGIC_PAUSE, s.u_id, 1);
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	memcpy(c.stmt.magic, FWGATE_MAGIC_WITHDRAW, FWGATE_MAGIC_LEN);
	EXPECT_TRUE(control_refused(w, &c, EKEYREJECTED));
	/* Truncated. */
	control_init(&c, FWGATE_MAGIC_WITHDRAW, s.u_id, 0);
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	c.sig[0].sig_len--;
	EXPECT_TRUE(control_refused(w, &c, EINVAL));
	ASSERT_EQ(0, update_lookup(w, s.u_id, &u));
	EXPECT_EQ(FWGATE_UPDATE_APPROVED, u.state);
}

TEST_F(control, rejects_malformed_control)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct control c;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	/* A checker's approval magic is not a control. */
	control_init(&c, FWGATE_MAGIC_APPROVE, s.u_id, 0);
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	EXPECT_TRUE(control_refused(w, &c, EINVAL));
	/* The same signer twice. */
	control_init(&c, FWGATE_MAGIC_WITHDRAW, s.u_id, 0);
	control_sign(&c, w->policy.checker[0], w->policy.checker[0]);
	control_sign(&c, w->policy.checker[0], w->policy.checker[0]);
	EXPECT_TRUE(control_refused(w, &c, EINVAL));
	/* No signature at all. */
	control_init(&c, FWGATE_MAGIC_WITHDRAW, s.u_id, 0);
	EXPECT_TRUE(control_refused(w, &c, EINVAL));
	EXPECT_NE(NULL, strstr(w->reply.msg, "signature"));
}

TEST_F(control, pause_after_withdrawal_is_refused)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct control c;

	stmt_filler(&s, 1, 2);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, control_by_manufacturer(w, FWGATE_MAGIC_WITHDRAW, s.u_id, 0));
	control_init(&c, FWGATE_MAGIC_RESUME, s.u_id, 9);
	control_sign(&c, &keys.manufacturer, &keys.manufacturer);
	EXPECT_TRUE(control_refused(w, &c, ESTALE));
	EXPECT_TRUE(begin_refused(w, LABEL_A, &s, EKEYREVOKED));
}

/* ---------------------------------------------------------------- locked */

/*
 * The first test locks a fresh module; the others find it locked, since a
 * lock holds until reboot. Run these last (-f locked).
 */
FIXTURE_SETUP(locked)
{
	struct world *w = &self->w;

	if (module_locked()) {
		world_init(_metadata, w, WORLD_ATTACH);
		if (!flash_part(w->flash, sizeof(w->flash)))
			target_track(w, "flash", w->flash);
		return;
	}
	world_init(_metadata, w, WORLD_FRESH);
	if (!flash_part(w->flash, sizeof(w->flash)))
		ASSERT_EQ(0, target_declare(w, "flash", w->flash, "flash", w->flash));
	ASSERT_EQ(0, policy_lock(w)) TH_LOG("POLICY_LOCK: %s", w->reply.msg);
}
FIXTURE_TEARDOWN(locked) { world_fini(&self->w); }

TEST_F(locked, reports_lock)
{
	struct world *w = &self->w;
	struct policy_info p;

	EXPECT_TRUE(module_locked());
	ASSERT_EQ(0, policy_get(w, &p));
	EXPECT_EQ(1, p.locked);
	EXPECT_EQ(TEST_Q, p.threshold);
}

TEST_F(locked, refuses_policy_set)
{
	struct world *w = &self->w;
	struct policy p = w->policy;

	p.threshold = TEST_K;
	EXPECT_TRUE(policy_refused(w, &p, EPERM));
	EXPECT_EQ(TEST_Q, policy_threshold());
}

TEST_F(locked, cannot_be_unlocked)
{
	EXPECT_NE(0, sysfs_write("0", SYSFS_DIR "/policy/locked"));
	EXPECT_TRUE(module_locked());
}

TEST_F(locked, refuses_new_target)
{
	struct world *w = &self->w;
	struct target_view v;
	char line[256];

	target_line(line, sizeof(line), LABEL_SCRATCH, w->scratch.path, LABEL_SCRATCH);
	EXPECT_TRUE(sysfs_refused(w, line, "targets/add", EPERM));
	EXPECT_EQ(-ENOENT, target_view(LABEL_SCRATCH, &v));
}

TEST_F(locked, refuses_state_device_change)
{
	struct world *w = &self->w;
	char spec[FWGATE_MAX_SPEC_LEN];

	EXPECT_TRUE(sysfs_refused(w, w->scratch.path, "state_device", EPERM));
	ASSERT_EQ(0, sysfs_read(spec, sizeof(spec), SYSFS_DIR "/state_device"));
	EXPECT_STREQ(w->state.path, spec);
}

TEST_F(locked, refuses_module_unload)
{
	struct world *w = &self->w;
	struct stat st;
	int err;

	fwnl_close(&w->nl);
	err = module_unload();
	/* rmmod says EBUSY; the syscall says EWOULDBLOCK for a held module. */
	EXPECT_TRUE(err == -EBUSY || err == -EWOULDBLOCK) TH_LOG("delete_module: %d", err);
	EXPECT_EQ(0, stat("/sys/module/fwgate", &st));
	EXPECT_TRUE(module_locked());
}

TEST_F(locked, still_installs_approved_updates)
{
	struct world *w = &self->w;
	uint64_t version = target_floor(LABEL_B) + 1;
	struct target_view v;
	struct image img;

	image_make(&img, IMAGE_LEN, (uint32_t)version);
	ASSERT_EQ(0, install_new(w, LABEL_B, GROUP, &img, version)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, target_view(LABEL_B, &v));
	EXPECT_STREQ("valid", v.state);
	EXPECT_EQ(version, v.floor);
	EXPECT_TRUE(dev_holds(w->b.path, 0, img.data, img.len));
	image_free(&img);
}

TEST_F(locked, accepts_withdrawal)
{
	struct world *w = &self->w;
	uint64_t version = target_floor(LABEL_B) + 1;
	struct fwgate_update_stmt s;

	stmt_filler(&s, 7, version);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, control_by_manufacturer(w, FWGATE_MAGIC_WITHDRAW, s.u_id, 0))
		TH_LOG("%s", w->reply.msg);
	EXPECT_TRUE(begin_refused(w, LABEL_B, &s, EKEYREVOKED));
}

/* An ext4 file system, installed on rootfs_a as an approved update. */
static void ext4_install(struct __test_metadata *_metadata, struct world *w)
{
	const char *file = "/tmp/fwgate-ext4.img";
	struct image img;
	char out[1024];
	FILE *f;

	ASSERT_EQ(0, run_cmd(out, sizeof(out), "rm -f %s && mkfs.ext4 -q -F -O ^has_journal "
			     "-E lazy_itable_init=0 %s 2M 2>&1", file, file))
		TH_LOG("mkfs.ext4: %s", out);
	f = fopen(file, "r");
	ASSERT_NE(NULL, f);
	img.len = 2 << 20;
	img.data = xmalloc(img.len);
	ASSERT_EQ(img.len, fread(img.data, 1, img.len, f));
	fclose(f);
	image_digest(&img);
	ASSERT_EQ(0, install_new(w, LABEL_A, GROUP, &img, target_floor(LABEL_A) + 1))
		TH_LOG("%s", w->reply.msg);
	ASSERT_TRUE(dev_holds(w->a.path, 0, img.data, img.len));
	image_free(&img);
}

TEST_F_TIMEOUT(locked, refuses_mount_of_target, 120)
{
	struct world *w = &self->w;
	struct world_snap snap;
	int got;

	ext4_install(_metadata, w);
	ASSERT_EQ(0, mkdir(MOUNT_DIR, 0700) && errno != EEXIST ? -errno : 0);
	world_snap(w, &snap);
	got = mount(w->a.path, MOUNT_DIR, "ext4", 0, NULL) ? -errno : 0;
	w->mounted |= !got;
	EXPECT_EQ(-EBUSY, got) TH_LOG("read-write mount: %s", strerror(-got));
	got = mount(w->a.path, MOUNT_DIR, "ext4", MS_RDONLY, NULL) ? -errno : 0;
	w->mounted |= !got;
	EXPECT_EQ(-EBUSY, got) TH_LOG("read-only mount: %s", strerror(-got));
	if (w->mounted && !umount2(MOUNT_DIR, 0))
		w->mounted = false;
	EXPECT_TRUE(world_unchanged(w, &snap));
}

/*
 * mdadm --build of a RAID1 over @first and a loop device of a file in /tmp;
 * @first "loop": over two such loop devices. Returns the exit status; the
 * output, both streams, goes to @out.
 */
static int md_build(char *out, size_t size, const char *first)
{
	return run_cmd(out, size, "set -- $(for i in 0 1; do f=/tmp/fwgate-md$i.img; "
		       "truncate -s 8M $f && losetup -f --show $f; done); [ $# = 2 ] || exit 99; "
		       "d=%s; [ $d = loop ] && d=$1; "
		       "mdadm --build /dev/md/fwgate-test --level=1 --raid-devices=2 $d $2 2>&1; "
		       "rc=$?; [ $rc = 0 ] && mdadm --stop /dev/md/fwgate-test >/dev/null 2>&1; "
		       "losetup -d $1 $2; rm -f /tmp/fwgate-md0.img /tmp/fwgate-md1.img; exit $rc",
		       first);
}

/* md claims its members: rootfs_a can not become one. */
TEST_F_TIMEOUT(locked, refuses_md_over_target, 120)
{
	struct world *w = &self->w;
	struct world_snap snap;
	char out[1024], busy[128];
	int rc;

	rc = md_build(out, sizeof(out), "loop");
	ASSERT_EQ(0, rc) TH_LOG("mdadm over two loop devices (does mdadm work here?): %s", out);

	world_snap(w, &snap);
	rc = md_build(out, sizeof(out), w->a.path);
	fprintf(stderr, "# mdadm over %s: %s", w->a.path, out);
	EXPECT_NE(0, rc) TH_LOG("mdadm built an array over rootfs_a");
	snprintf(busy, sizeof(busy), "%s: Device or resource busy", w->a.path);
	EXPECT_NE(NULL, strstr(out, busy)) TH_LOG("mdadm did not find rootfs_a busy");
	EXPECT_TRUE(world_unchanged(w, &snap));
}

/* The same table over scratch works: dmsetup does work in this VM. */
TEST_F_TIMEOUT(locked, refuses_dm_over_target, 120)
{
	struct world *w = &self->w;
	struct world_snap snap;
	char out[1024];
	int rc;

	rc = run_cmd(out, sizeof(out), "dmsetup --noudevsync create fwgate-test --table "
		     "'0 8 linear %s 0' 2>&1 && dmsetup --noudevsync remove fwgate-test 2>&1",
		     w->scratch.path);
	ASSERT_EQ(0, rc) TH_LOG("dmsetup over scratch, not a target: %s", out);

	world_snap(w, &snap);
	rc = run_cmd(out, sizeof(out), "dmsetup --noudevsync create fwgate-test --table "
		     "'0 8 linear %s 0' 2>&1", w->a.path);
	EXPECT_NE(0, rc) TH_LOG("dmsetup mapped rootfs_a: %s", out);
	EXPECT_NE(NULL, strcasestr(out, "busy")) TH_LOG("dmsetup: %s", out);
	run_cmd(out, sizeof(out), "dmsetup --noudevsync remove fwgate-test 2>&1");
	EXPECT_TRUE(world_unchanged(w, &snap));
}

/*
 * A loop device opens its backing device like any file, without a claim:
 * only a kernel that restricts writes (bdev_allow_write_mounted=0) refuses
 * it. Elsewhere that is the BPF guard's to refuse (tests/bpf).
 */
TEST_F_TIMEOUT(locked, refuses_loop_over_target_where_writes_are_restricted, 120)
{
	struct world *w = &self->w;
	struct world_snap snap;
	char out[1024], loop[64];
	int rc, fd;

	if (!writes_restricted())
		SKIP(return, "this kernel lets unclaimed writers in (6.1, or 6.12 without "
		     "bdev_allow_write_mounted=0): the BPF guard refuses them");
	world_snap(w, &snap);
	fd = open(w->a.path, O_WRONLY | O_CLOEXEC);
	EXPECT_EQ(-EBUSY, fd < 0 ? -errno : 0);
	if (fd >= 0)
		close(fd);
	rc = run_cmd(out, sizeof(out), "losetup -f --show %s 2>&1", w->a.path);
	EXPECT_NE(0, rc) TH_LOG("losetup attached rootfs_a: %s", out);
	EXPECT_NE(NULL, strcasestr(out, "busy")) TH_LOG("losetup: %s", out);
	if (!rc) {
		snprintf(loop, sizeof(loop), "%.*s", (int)strcspn(out, "\n"), out);
		if (!mount(loop, MOUNT_DIR, "ext4", 0, NULL))
			umount2(MOUNT_DIR, 0);
		run_cmd(out, sizeof(out), "losetup -d %s 2>&1", loop);
	}
	EXPECT_TRUE(world_unchanged(w, &snap));
}

/*
 * After the lock the partition is read-only to all but fwgate: /dev/mtdN
 * can not be opened for writing, mtdblock's writes fail, UBI attaches
 * read-only or not at all. The bytes stay.
 */
TEST_F_TIMEOUT(locked, mtd_target_refuses_other_writers, 120)
{
	struct world *w = &self->w;
	struct world_snap snap;
	char out[1024], blk[32];
	unsigned int n;
	uint8_t *buf;
	int fd, rc, werr;

	if (!w->flash[0])
		SKIP(return, "no mtdram device to partition (modprobe mtdram)");
	ASSERT_EQ(1, sscanf(w->flash, "/dev/mtd%u", &n));
	world_snap(w, &snap);

	fd = open(w->flash, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-EACCES, fd < 0 ? -errno : 0);
	if (fd >= 0)
		close(fd);

	snprintf(blk, sizeof(blk), "/dev/mtdblock%u", n);
	fd = open(blk, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s (modprobe mtdblock)", blk, strerror(errno));
	buf = xmalloc(4096);
	memset(buf, 0x3c, 4096);
	werr = write(fd, buf, 4096) != 4096 ? -errno : fsync(fd) ? -errno : 0;
	EXPECT_NE(0, werr) TH_LOG("a write through %s reached the flash", blk);
	close(fd);
	free(buf);

	rc = run_cmd(out, sizeof(out), "ubiattach -p %s 2>&1", w->flash);
	if (!rc)
		run_cmd(out, sizeof(out), "ubidetach -p %s 2>&1", w->flash);
	EXPECT_TRUE(world_unchanged(w, &snap));
}

TEST_F(locked, still_installs_on_mtd_target)
{
	struct world *w = &self->w;
	uint64_t version;
	struct target_view v;
	struct image img;

	if (!w->flash[0])
		SKIP(return, "no mtdram device to partition (modprobe mtdram)");
	version = target_floor("flash") + 1;
	image_make(&img, 200 * 1000 + 3, (uint32_t)version);
	ASSERT_EQ(0, install_new(w, "flash", "flash", &img, version)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, target_view("flash", &v));
	EXPECT_STREQ("valid", v.state);
	EXPECT_TRUE(dev_holds(w->flash, 0, img.data, img.len));
	image_free(&img);
}

TEST_F(locked, sealed_the_policy_at_the_first_lock)
{
	struct world *w = &self->w;
	uint8_t digest[FWGATE_ID_LEN];
	struct policy_info got;

	ASSERT_EQ(0, policy_get(w, &got));
	policy_digest(&w->policy, digest);
	EXPECT_EQ(1U, got.sealed_epoch);
	EXPECT_EQ(0, memcmp(digest, got.sealed_digest, FWGATE_ID_LEN));
	EXPECT_EQ(0, memcmp(digest, got.digest, FWGATE_ID_LEN));
}

/* Last: it changes the policy the other locked tests expect. */
TEST_F(locked, rotation_is_the_one_way_to_change_the_policy)
{
	struct world *w = &self->w;
	struct fwgate_update_stmt s;
	struct policy_info got;
	struct policy next;
	struct image img;

	policy_next(&w->policy, &next);
	EXPECT_TRUE(policy_refused(w, &next, EPERM));
	ASSERT_EQ(0, rotate_to(w, &next)) TH_LOG("%s", w->reply.msg);
	ASSERT_EQ(0, policy_get(w, &got));
	EXPECT_EQ(1, got.locked);
	EXPECT_EQ(2U, got.epoch);
	EXPECT_EQ(2U, got.sealed_epoch);
	EXPECT_EQ(0, memcmp(got.digest, got.sealed_digest, FWGATE_ID_LEN));

	/* Approved by the new set, it installs through the lock's claim. */
	image_make(&img, IMAGE_LEN, 9);
	stmt_for_image(&s, &img, target_floor(LABEL_A) + 1, GROUP);
	ASSERT_EQ(0, approve(w, &s)) TH_LOG("%s", w->reply.msg);
	EXPECT_EQ(0, install(LABEL_A, &s, &img));
	image_free(&img);
}

/* ------------------------------------------------------------------ main */

/*
 * The harness of linux-source-6.1 takes no options; this main adds the
 * selection options of newer harnesses before handing over to it.
 */
struct selection {
	const char *only_fixture[16], *skip_fixture[16], *only_test[16], *skip_test[16];
	unsigned int n_only_fixture, n_skip_fixture, n_only_test, n_skip_test;
};

static bool name_in(const char *const *names, unsigned int n, const char *fixture,
		    const char *test)
{
	char full[256];
	unsigned int i;

	snprintf(full, sizeof(full), "%s.%s", fixture, test ?: "");
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], test ? full : fixture) || (test && !strcmp(names[i], test)))
			return true;
	return false;
}

static bool selected(const struct selection *sel, const char *fixture, const char *test)
{
	if (sel->n_only_fixture && !name_in(sel->only_fixture, sel->n_only_fixture, fixture, NULL))
		return false;
	if (name_in(sel->skip_fixture, sel->n_skip_fixture, fixture, NULL))
		return false;
	if (sel->n_only_test && !name_in(sel->only_test, sel->n_only_test, fixture, test))
		return false;
	return !name_in(sel->skip_test, sel->n_skip_test, fixture, test);
}

/* The harness keeps tests in a list whose head's prev is the tail. */
static void test_unlink(struct __fixture_metadata *f, struct __test_metadata *t)
{
	if (t == f->tests) {
		f->tests = t->next;
		if (t->next)
			t->next->prev = t->prev;
		return;
	}
	t->prev->next = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		f->tests->prev = t->prev;
}

static void select_tests(const struct selection *sel, bool list)
{
	struct __fixture_variant_metadata no_variant = { .name = "" }, *v;
	struct __test_metadata *t, *next;
	struct __fixture_metadata *f;

	for (f = __fixture_list; f; f = f->next) {
		for (t = f->tests; t; t = next) {
			next = t->next;
			if (!selected(sel, f->name, t->name)) {
				test_unlink(f, t);
				continue;
			}
			for (v = f->variant ?: &no_variant; list && v; v = v->next)
				printf("%s%s%s.%s\n", f->name, v->name[0] ? "." : "", v->name,
				       t->name);
		}
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-l] [-f FIXTURE]... [-F FIXTURE]... [-t TEST]... [-T TEST]...\n"
		"       %s --gen-keys DIR\n\n"
		"  -l          list the selected tests\n"
		"  -f / -F     run only / skip the tests of FIXTURE\n"
		"  -t / -T     run only / skip TEST (NAME or FIXTURE.NAME)\n"
		"  --gen-keys  write the test keys into DIR (on the host: slow under TCG)\n\n"
		"env: FWGATE_TEST_KEYS (key directory), FWGATE_KO (the module), FWGATE_VM=1\n",
		argv0, argv0);
	exit(KSFT_FAIL);
}

/* TEST_HARNESS_MAIN, renamed so that main() can select tests first. */
#define main harness_main
TEST_HARNESS_MAIN
#undef main

int main(int argc, char **argv)
{
	struct selection sel = { .n_only_fixture = 0 };
	const char *dir;
	bool list = false;
	int opt;

	if (argc == 3 && !strcmp(argv[1], "--gen-keys"))
		return keys_generate(argv[2]) ? KSFT_FAIL : KSFT_PASS;
	while ((opt = getopt(argc, argv, "lf:F:t:T:h")) != -1) {
		const char **slot = NULL;

		switch (opt) {
		case 'l':
			list = true;
			break;
		case 'f':
			slot = &sel.only_fixture[sel.n_only_fixture++ & 15];
			break;
		case 'F':
			slot = &sel.skip_fixture[sel.n_skip_fixture++ & 15];
			break;
		case 't':
			slot = &sel.only_test[sel.n_only_test++ & 15];
			break;
		case 'T':
			slot = &sel.skip_test[sel.n_skip_test++ & 15];
			break;
		default:
			usage(argv[0]);
		}
		if (slot)
			*slot = optarg;
	}
	if (optind != argc)
		usage(argv[0]);
	select_tests(&sel, list);
	if (list)
		return KSFT_PASS;

	dir = getenv("FWGATE_TEST_KEYS");
	if (!dir)
		fprintf(stderr, "# FWGATE_TEST_KEYS is not set: make keys with %s --gen-keys DIR\n",
			argv[0]);
	else if (keys_load(dir))
		fprintf(stderr, "# FWGATE_TEST_KEYS=%s: cannot load the test keys\n", dir);
	return harness_main(1, argv);
}
