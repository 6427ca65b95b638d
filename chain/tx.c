// SPDX-License-Identifier: GPL-2.0
/* Transactions: the canonical encoding and its strict decoder (Documentation/fwgate/ledger.rst). */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "trust.h"
#include "rollout.h"
#include "wire.h"

#define fail(err, ...) ({ (err)->kind = FWG_ERR_FORMAT; snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); -1; })

static const struct {
	const char *name;
	const char *magic;
	size_t stmt_len;
	int multi;		/* statement, payload, signature set (fwg_tx_encode_multi) */
} kinds[__FWG_TX_MAX] = {
	[FWG_TX_GENESIS] = { "genesis", NULL, 0 },
	[FWG_TX_POLICY] = { "policy", FWG_MAGIC_LINE, sizeof(struct fwg_line_stmt), 1 },
	[FWG_TX_ROTATE] = { "rotate", FWGATE_MAGIC_ROTATE, sizeof(struct fwgate_rotate_stmt), 1 },
	[FWG_TX_REVOKE] = { "revoke", FWGATE_MAGIC_REVOKE, sizeof(struct fwgate_revoke_stmt) },
	[FWG_TX_MEMBER] = { "member", FWG_MAGIC_MEMBER, sizeof(struct fwg_member_stmt), 1 },
	[FWG_TX_UPDATE] = { "update", FWGATE_MAGIC_UPDATE, sizeof(struct fwgate_update_stmt) },
	[FWG_TX_APPROVE] = { "approve", FWGATE_MAGIC_APPROVE, sizeof(struct fwgate_verdict_stmt) },
	[FWG_TX_REJECT] = { "reject", FWGATE_MAGIC_REJECT, sizeof(struct fwgate_verdict_stmt) },
	[FWG_TX_ACK] = { "ack", FWGATE_MAGIC_ACK, sizeof(struct fwgate_ack_stmt) },
	[FWG_TX_NACK] = { "nack", FWGATE_MAGIC_NACK, sizeof(struct fwgate_nack_stmt) },
	[FWG_TX_DEVCERT] = { "devcert", FWGATE_MAGIC_DEVCERT, sizeof(struct fwgate_devcert_stmt) },
	[FWG_TX_BLOB] = { "blob", FWG_MAGIC_BLOB, sizeof(struct fwg_blob_stmt) },
	[FWG_TX_RUNNING] = { "running", FWGATE_MAGIC_RUNNING, sizeof(struct fwgate_ack_stmt) },
	/* Three magics: fwg_control_decode() checks it. */
	[FWG_TX_CONTROL] = { "control", NULL, sizeof(struct fwgate_control_stmt) },
	[FWG_TX_ROLLOUT] = { "rollout", FWGATE_MAGIC_ROLLOUT, sizeof(struct fwgate_rollout_stmt) },
	[FWG_TX_ADVANCE] = { "advance", FWGATE_MAGIC_ADVANCE, sizeof(struct fwgate_advance_stmt) },
};

const char *fwg_tx_type_name(unsigned int type)
{
	return type && type < __FWG_TX_MAX ? kinds[type].name : "unknown";
}

int fwg_tx_multi(unsigned int type)
{
	return type < __FWG_TX_MAX && kinds[type].multi;
}

static const char *const nack_reasons[] = {
	[FWGATE_NACK_UNSPEC] = "unspecified",
	[FWGATE_NACK_DIGEST_MISMATCH] = "digest-mismatch",
	[FWGATE_NACK_BAD_SIGNATURE] = "bad-signature",
	[FWGATE_NACK_REFUSED] = "refused",
	[FWGATE_NACK_ROLLBACK] = "rollback",
	[FWGATE_NACK_HEALTH] = "health",
	[FWGATE_NACK_BOOT] = "boot",
	[FWGATE_NACK_WITHDRAWN] = "withdrawn",
};

_Static_assert(sizeof(nack_reasons) / sizeof(nack_reasons[0]) == FWG_NR_NACK_REASONS,
	       "a name for every nack reason of the format");

const char *fwg_nack_reason_name(unsigned int reason)
{
	return reason < FWG_NR_NACK_REASONS ? nack_reasons[reason] : "unknown";
}

int fwg_nack_reason_parse(const char *name)
{
	unsigned int r;

	for (r = 0; r < FWG_NR_NACK_REASONS; r++)
		if (!strcmp(name, nack_reasons[r]))
			return r;
	return -1;
}

void fwg_tx_id(const uint8_t *buf, size_t len, uint8_t id[FWGATE_ID_LEN])
{
	fwg_sha256(buf, len, id);
}

uint32_t fwg_blob_count(uint64_t size)
{
	uint64_t n = size / FWG_BLOB_CHUNK + !!(size % FWG_BLOB_CHUNK);

	return n <= UINT32_MAX ? n : 0;
}

uint32_t fwg_blob_chunk_len(uint64_t size, uint32_t index)
{
	uint64_t off = (uint64_t)index * FWG_BLOB_CHUNK;

	if (index >= fwg_blob_count(size))
		return 0;
	return size - off < FWG_BLOB_CHUNK ? size - off : FWG_BLOB_CHUNK;
}

/* A reader over untrusted bytes: every get fails once the input is short, and the decoder checks once. */
struct rd {
	const uint8_t *p;
	size_t left;
	int short_read;
};

static const uint8_t *get(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->short_read || n > r->left) {
		r->short_read = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static unsigned int get8(struct rd *r)
{
	const uint8_t *p = get(r, 1);

	return p ? p[0] : 0;
}

static unsigned int get16(struct rd *r)
{
	const uint8_t *p = get(r, 2);

	return p ? (unsigned int)p[0] << 8 | p[1] : 0;
}

static uint64_t get64(struct rd *r)
{
	const uint8_t *p = get(r, 8);
	uint64_t v = 0;
	int i;

	for (i = 0; p && i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int getn(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p = get(r, n);

	if (!p)
		return -1;
	memcpy(dst, p, n);
	return 0;
}

static int url_ok(const char *s, size_t n)
{
	size_t i;

	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * A key the crypto backend decodes, in its one encoding: a P-256 point on the curve, an RSA-3072 key in DER.
 * The prefix alone is not enough: a point off the curve would be appended and verify nothing.
 */
static int key_ok(uint32_t alg, const uint8_t *data, size_t len)
{
	struct fwg_key *key;

	if (alg != FWGATE_KEY_P256 && alg != FWGATE_KEY_RSA3072)
		return 0;
	key = fwg_pubkey_decode(alg, data, len);
	fwg_key_free(key);
	return key != NULL;
}

static int genesis_decode(struct rd *r, struct fwg_genesis *g, struct fwg_err *err)
{
	unsigned int i, j, m;

	memset(g, 0, sizeof(*g));
	g->time = get64(r);
	getn(r, g->name, FWGATE_NAME_LEN);
	g->nr_members = get8(r);
	if (r->short_read)
		return fail(err, "genesis: truncated header");
	if (!fwg_name_ok(g->name))
		return fail(err, "genesis.name: not 1-31 printable bytes, NUL-padded");
	if (!g->nr_members || g->nr_members > FWG_MAX_MEMBERS)
		return fail(err, "genesis.nr_members: %u, not 1 to %d", g->nr_members, FWG_MAX_MEMBERS);
	for (i = 0; i < g->nr_members; i++) {
		struct fwg_member *mb = &g->members[i];

		mb->role = get8(r);
		getn(r, mb->name, FWGATE_NAME_LEN);
		mb->key.alg = get8(r);
		mb->key.len = get16(r);
		if (r->short_read)
			return fail(err, "genesis.members[%u]: truncated", i);
		if (mb->role < FWG_ROLE_MANUFACTURER || mb->role > FWG_ROLE_OPERATOR)
			return fail(err, "genesis.members[%u].role: %u is not 1, 2 or 3", i, mb->role);
		if (!fwg_name_ok(mb->name))
			return fail(err, "genesis.members[%u].name: not 1-31 printable bytes, NUL-padded", i);
		if (mb->key.len > FWGATE_MAX_KEY_LEN || getn(r, mb->key.data, mb->key.len))
			return fail(err, "genesis.members[%u].key_len: %u is too long", i, mb->key.len);
		if (!key_ok(mb->key.alg, mb->key.data, mb->key.len))
			return fail(err, "genesis.members[%u].key: does not decode as an RSA-3072 key (DER) or a "
				    "P-256 point on the curve", i);
		fwg_sha256(mb->key.data, mb->key.len, mb->key.id);
		for (j = 0; j < i; j++)
			if (!memcmp(g->members[j].key.id, mb->key.id, FWGATE_ID_LEN))
				return fail(err, "genesis.members[%u].key: same key as members[%u]", i, j);
	}
	g->nr_types = get8(r);
	if (r->short_read || !g->nr_types || g->nr_types > FWG_MAX_TYPES)
		return fail(err, "genesis.nr_types: not 1 to %d", FWG_MAX_TYPES);
	for (i = 0; i < g->nr_types; i++) {
		struct fwg_type_policy *t = &g->types[i];

		getn(r, t->o_type, FWGATE_NAME_LEN);
		t->k = get8(r);
		t->q = get8(r);
		if (r->short_read)
			return fail(err, "genesis.types[%u]: truncated", i);
		if (!fwg_name_ok(t->o_type))
			return fail(err, "genesis.types[%u].o_type: not 1-31 printable bytes, NUL-padded", i);
		for (j = 0; j < i; j++)
			if (!strcmp(g->types[j].o_type, t->o_type))
				return fail(err, "genesis.types[%u].o_type: \"%s\" twice", i, t->o_type);
		if (!t->k || t->k > FWGATE_MAX_CHECKERS)
			return fail(err, "genesis.types[%u].k: %u, not 1 to %d", i, t->k, FWGATE_MAX_CHECKERS);
		if (t->q < t->k / 2 + 1 || t->q > t->k)
			return fail(err, "genesis.types[%u].q: %u, not between floor(k/2)+1 = %u and k = %u", i,
				    t->q, t->k / 2 + 1, t->k);
		for (j = 0; j < t->k; j++) {
			if (getn(r, t->checkers[j], FWGATE_ID_LEN))
				return fail(err, "genesis.types[%u].checkers[%u]: truncated", i, j);
			for (m = 0; m < g->nr_members; m++)
				if (g->members[m].role == FWG_ROLE_CHECKER &&
				    !memcmp(g->members[m].key.id, t->checkers[j], FWGATE_ID_LEN))
					break;
			if (m == g->nr_members)
				return fail(err, "genesis.types[%u].checkers[%u]: not a checker member", i, j);
			for (m = 0; m < j; m++)
				if (!memcmp(t->checkers[m], t->checkers[j], FWGATE_ID_LEN))
					return fail(err, "genesis.types[%u].checkers[%u]: listed twice", i, j);
		}
	}
	return 0;
}

static int stmt_fields_ok(const struct fwg_tx *tx, struct fwg_err *err)
{
	static const uint8_t zero[4];
	const struct fwgate_update_stmt *u = NULL;
	const char *what = fwg_tx_type_name(tx->type);

	switch (tx->type) {
	case FWG_TX_UPDATE:
		u = &tx->s.update;
		break;
	case FWG_TX_APPROVE:
	case FWG_TX_REJECT:
		u = &tx->s.verdict.update;
		if (memcmp(u->magic, FWGATE_MAGIC_UPDATE, FWGATE_MAGIC_LEN))
			return fail(err, "%s.update.magic: not %s", what, FWGATE_MAGIC_UPDATE);
		break;
	case FWG_TX_ACK:
	case FWG_TX_RUNNING:
		if (!fwg_name_ok(tx->s.ack.target))
			return fail(err, "%s.target: not 1-31 printable bytes, NUL-padded", what);
		if (tx->type == FWG_TX_RUNNING && !tx->s.ack.version)
			return fail(err, "running.version: zero; a running ack names the version running");
		return 0;
	case FWG_TX_NACK:
		if (memcmp(&tx->s.nack.reserved, zero, 4))
			return fail(err, "nack.reserved: not zero");
		if (be32toh(tx->s.nack.reason) >= FWG_NR_NACK_REASONS)
			return fail(err, "nack.reason: %u is not a known reason", be32toh(tx->s.nack.reason));
		return 0;
	case FWG_TX_DEVCERT:
		if (!fwg_name_ok(tx->s.devcert.o_type))
			return fail(err, "devcert.o_type: not 1-31 printable bytes, NUL-padded");
		if (!key_ok(FWGATE_KEY_P256, tx->s.devcert.pubkey, sizeof(tx->s.devcert.pubkey)))
			return fail(err, "devcert.pubkey: not an uncompressed P-256 point on the curve");
		return 0;
	case FWG_TX_BLOB: {
		uint64_t size = be64toh(tx->s.blob.size);
		uint32_t count = fwg_blob_count(size);

		if (!count)
			return fail(err, "blob.size: zero, or more than 2^32 chunks");
		if (be32toh(tx->s.blob.count) != count)
			return fail(err, "blob.count: %u, but a %llu-byte image has %u chunks of %d bytes",
				    be32toh(tx->s.blob.count), (unsigned long long)size, count, FWG_BLOB_CHUNK);
		if (be32toh(tx->s.blob.index) >= count)
			return fail(err, "blob.index: %u, not below count %u", be32toh(tx->s.blob.index), count);
		return 0;
	}
	case FWG_TX_POLICY:
	case FWG_TX_ROTATE:
	case FWG_TX_REVOKE:
	case FWG_TX_MEMBER:
		return 0;	/* fwg_trust_tx_ok(), once the payload is read */
	case FWG_TX_ROLLOUT:
		return fwg_rollout_plan_ok(&tx->s.rollout, err);
	case FWG_TX_ADVANCE:
		return fwg_rollout_advance_ok(&tx->s.advance, err);
	}
	if (!fwg_name_ok(u->o_type))
		return fail(err, "%s.o_type: not 1-31 printable bytes, NUL-padded", what);
	if (!fwg_name_ok(u->target))
		return fail(err, "%s.target: not 1-31 printable bytes, NUL-padded", what);
	if (!u->version)
		return fail(err, "%s.version: zero", what);
	if (!u->size)
		return fail(err, "%s.size: zero; an image has at least one byte", what);
	return 0;
}

/* The rest of a multi-signed transaction: be16 payload_len, payload, signature set. */
static int multi_decode(struct rd *r, const uint8_t *buf, size_t len, struct fwg_tx *tx, struct fwg_err *err)
{
	const char *what = kinds[tx->type].name;
	char field[32];
	size_t off;

	tx->payload_len = get16(r);
	if (r->short_read)
		return fail(err, "%s.payload_len: missing", what);
	tx->payload = get(r, tx->payload_len);
	if (!tx->payload)
		return fail(err, "%s.payload: %zu bytes declared, beyond the transaction", what, tx->payload_len);
	tx->sigs = malloc(sizeof(*tx->sigs));
	if (!tx->sigs)
		return fail(err, "%s: out of memory", what);
	off = len - r->left;
	snprintf(field, sizeof(field), "%s.sigs", what);
	if (fwg_sigset_decode(buf, len, &off, tx->sigs, field, err))
		return -1;
	r->p = buf + off;
	r->left = len - off;
	return 0;
}

int fwg_tx_decode(const uint8_t *buf, size_t len, struct fwg_tx *tx, struct fwg_err *err)
{
	struct rd r = { buf, len, 0 };
	unsigned int version, i, n;
	size_t stmt_len;

	memset(tx, 0, offsetof(struct fwg_tx, urls));
	tx->genesis = NULL;
	if (len > FWG_TX_MAX)
		return fail(err, "transaction: %zu bytes, more than %d", len, FWG_TX_MAX);
	version = get8(&r);
	tx->type = get8(&r);
	if (r.short_read)
		return fail(err, "transaction: shorter than its 2-byte header");
	if (version != FWG_TX_VERSION)
		return fail(err, "version: %u, expected %d", version, FWG_TX_VERSION);
	if (!tx->type || tx->type >= __FWG_TX_MAX || !kinds[tx->type].name)
		return fail(err, "type: %u is not a transaction type", tx->type);
	if (tx->type == FWG_TX_GENESIS) {
		tx->genesis = malloc(sizeof(*tx->genesis));
		if (!tx->genesis)
			return fail(err, "genesis: out of memory");
		if (genesis_decode(&r, tx->genesis, err))
			goto bad;
		goto end;
	}
	stmt_len = kinds[tx->type].stmt_len;
	tx->msg = get(&r, stmt_len);
	if (!tx->msg)
		return fail(err, "%s: statement truncated (%zu bytes expected)", kinds[tx->type].name, stmt_len);
	tx->msg_len = stmt_len;
	memcpy(&tx->s, tx->msg, stmt_len);
	if (tx->type == FWG_TX_CONTROL) {
		size_t off = len - r.left;

		if (fwg_control_decode(buf, len, &off, tx, err))
			return -1;
		r.p = buf + off;
		r.left = len - off;
		goto end;
	}
	if (memcmp(tx->msg, kinds[tx->type].magic, FWGATE_MAGIC_LEN))
		return fail(err, "%s.magic: not %s", kinds[tx->type].name, kinds[tx->type].magic);
	if (stmt_fields_ok(tx, err))
		return -1;
	if (kinds[tx->type].multi) {
		if (multi_decode(&r, buf, len, tx, err))
			goto bad;
		goto end;
	}
	tx->sig_len = get16(&r);
	if (r.short_read || !tx->sig_len)
		return fail(err, "%s.signature: missing (unsigned transaction)", kinds[tx->type].name);
	if (tx->sig_len > FWGATE_MAX_SIG_LEN || getn(&r, tx->sig, tx->sig_len))
		return fail(err, "%s.sig_len: %u, beyond the transaction or above %d", kinds[tx->type].name,
			    tx->sig_len, FWGATE_MAX_SIG_LEN);
	if (tx->type == FWG_TX_UPDATE) {
		tx->nr_urls = get8(&r);
		if (r.short_read || tx->nr_urls > FWG_MAX_URLS)
			return fail(err, "update.nr_urls: missing or above %d", FWG_MAX_URLS);
		for (i = 0; i < tx->nr_urls; i++) {
			n = get16(&r);
			if (r.short_read || !n || n > FWG_MAX_URL_LEN || getn(&r, tx->urls[i], n))
				return fail(err, "update.urls[%u]: length missing, zero, above %d or truncated", i,
					    FWG_MAX_URL_LEN);
			tx->urls[i][n] = '\0';
			if (!url_ok(tx->urls[i], n))
				return fail(err, "update.urls[%u]: not a printable http:// or https:// URL", i);
		}
		tx->chunks_len = fwg_chunks_len(be64toh(tx->s.update.size));
		tx->chunks = get(&r, tx->chunks_len);
		if (!tx->chunks)
			return fail(err, "update.chunks: %zu bytes, a %llu-byte image has a %zu-byte hash list", r.left,
				    (unsigned long long)be64toh(tx->s.update.size), tx->chunks_len);
		if (fwg_chunks_check(tx->chunks, tx->chunks_len, be64toh(tx->s.update.size), tx->s.update.chunks))
			return fail(err, "update.chunks: the hash list's digest is not the statement's chunks field");
	}
	if (tx->type == FWG_TX_BLOB) {
		uint8_t d[FWGATE_ID_LEN];

		tx->chunk_len = fwg_blob_chunk_len(be64toh(tx->s.blob.size), be32toh(tx->s.blob.index));
		tx->chunk = get(&r, tx->chunk_len);
		if (!tx->chunk)
			return fail(err, "blob.chunk: %zu bytes, chunk %u of a %llu-byte image has %u",
				    r.left, be32toh(tx->s.blob.index), (unsigned long long)be64toh(tx->s.blob.size),
				    tx->chunk_len);
		fwg_sha256(tx->chunk, tx->chunk_len, d);
		if (memcmp(d, tx->s.blob.digest, FWGATE_ID_LEN))
			return fail(err, "blob.digest: not the SHA-256 of the chunk");
	}
end:
	if (!r.left && (tx->type < FWG_TX_POLICY || tx->type > FWG_TX_MEMBER || !fwg_trust_tx_ok(tx, err)))
		return 0;
	if (!r.left)
		goto bad;
	fail(err, "%s: %zu trailing bytes", kinds[tx->type].name, r.left);
bad:
	fwg_tx_release(tx);
	return -1;
}

void fwg_tx_release(struct fwg_tx *tx)
{
	free(tx->genesis);
	tx->genesis = NULL;
	free(tx->sigs);
	tx->sigs = NULL;
}

static int sig_cmp(const void *a, const void *b)
{
	return memcmp(((const struct fwg_sig *)a)->key_id, ((const struct fwg_sig *)b)->key_id, FWGATE_ID_LEN);
}

int fwg_sigset_decode(const uint8_t *buf, size_t len, size_t *off, struct fwg_sigset *set, const char *field,
		      struct fwg_err *err)
{
	size_t avail = *off <= len ? len - *off : 0;
	struct rd r = { buf + *off, avail, 0 };
	unsigned int i;

	set->count = get8(&r);
	if (r.short_read || !set->count || set->count > FWG_SIGSET_MAX)
		return fail(err, "%s.count: missing, 0 or above %d", field, FWG_SIGSET_MAX);
	for (i = 0; i < set->count; i++) {
		struct fwg_sig *s = &set->sig[i];

		if (getn(&r, s->key_id, FWGATE_ID_LEN))
			return fail(err, "%s[%u].key_id: truncated", field, i);
		s->len = get16(&r);
		if (r.short_read || !s->len || s->len > FWGATE_MAX_SIG_LEN || getn(&r, s->sig, s->len))
			return fail(err, "%s[%u].sig_len: missing, 0, above %d or beyond the transaction", field, i,
				    FWGATE_MAX_SIG_LEN);
		if (i && sig_cmp(&set->sig[i - 1], s) >= 0)
			return fail(err, "%s[%u].key_id: not in ascending order after the previous entry's (each key signs once)",
				    field, i);
	}
	*off += avail - r.left;
	return 0;
}

const struct fwg_sig *fwg_sigset_find(const struct fwg_sigset *set, const uint8_t key_id[FWGATE_ID_LEN])
{
	unsigned int i;

	for (i = 0; i < set->count; i++)
		if (!memcmp(set->sig[i].key_id, key_id, FWGATE_ID_LEN))
			return &set->sig[i];
	return NULL;
}

int fwg_sigset_add(struct fwg_sigset *set, struct fwg_key *key, const void *msg, size_t len)
{
	struct fwg_pubkey pub;
	struct fwg_sig *s;
	size_t n = FWGATE_MAX_SIG_LEN;

	if (fwg_key_encode(key, &pub))
		return -EINVAL;
	if (fwg_sigset_find(set, pub.id))
		return -EEXIST;
	if (set->count == FWG_SIGSET_MAX)
		return -ENOSPC;
	s = &set->sig[set->count++];
	memcpy(s->key_id, pub.id, FWGATE_ID_LEN);
	if (fwg_sign(key, msg, len, s->sig, &n))
		return -EIO;
	s->len = n;
	return 0;
}

size_t fwg_tx_encode_signed(uint8_t type, const void *stmt, size_t stmt_len, const uint8_t *sig,
			    size_t sig_len, const char *const *urls, unsigned int nr_urls, const uint8_t *chunks,
			    size_t chunks_len, uint8_t *buf, size_t len)
{
	struct fwg_wr w = { buf, len, 0 };
	unsigned int i;

	/* A blob carries its chunk: fwg_blob_encode(). */
	if (type <= FWG_TX_GENESIS || type >= __FWG_TX_MAX || type == FWG_TX_BLOB || kinds[type].multi ||
	    type == FWG_TX_CONTROL ||
	    stmt_len != kinds[type].stmt_len || sig_len > FWGATE_MAX_SIG_LEN || nr_urls > FWG_MAX_URLS ||
	    ((nr_urls || chunks_len) && type != FWG_TX_UPDATE))
		return 0;
	fwg_put8(&w, FWG_TX_VERSION);
	fwg_put8(&w, type);
	fwg_put(&w, stmt, stmt_len);
	fwg_put16(&w, sig_len);
	fwg_put(&w, sig, sig_len);
	if (type == FWG_TX_UPDATE) {
		fwg_put8(&w, nr_urls);
		for (i = 0; i < nr_urls; i++) {
			size_t n = strlen(urls[i]);

			if (n > FWG_MAX_URL_LEN)
				return 0;
			fwg_put16(&w, n);
			fwg_put(&w, urls[i], n);
		}
		fwg_put(&w, chunks, chunks_len);
	}
	return w.off <= len && w.off <= FWG_TX_MAX ? w.off : 0;
}

size_t fwg_sigset_encode(struct fwg_sigset *set, uint8_t *buf, size_t len)
{
	struct fwg_wr w = { buf, len, 0 };
	unsigned int i;

	if (!set->count || set->count > FWG_SIGSET_MAX)
		return 0;
	qsort(set->sig, set->count, sizeof(set->sig[0]), sig_cmp);
	fwg_put8(&w, set->count);
	for (i = 0; i < set->count; i++) {
		if (!set->sig[i].len || set->sig[i].len > FWGATE_MAX_SIG_LEN ||
		    (i && !sig_cmp(&set->sig[i - 1], &set->sig[i])))
			return 0;
		fwg_put(&w, set->sig[i].key_id, FWGATE_ID_LEN);
		fwg_put16(&w, set->sig[i].len);
		fwg_put(&w, set->sig[i].sig, set->sig[i].len);
	}
	return w.off <= len ? w.off : 0;
}

size_t fwg_tx_encode_multi(uint8_t type, const void *stmt, size_t stmt_len, const uint8_t *payload,
			   size_t payload_len, struct fwg_sigset *sigs, uint8_t *buf, size_t len)
{
	struct fwg_wr w = { buf, len, 0 };
	size_t n;

	if (!fwg_tx_multi(type) || stmt_len != kinds[type].stmt_len || payload_len > UINT16_MAX)
		return 0;
	fwg_put8(&w, FWG_TX_VERSION);
	fwg_put8(&w, type);
	fwg_put(&w, stmt, stmt_len);
	fwg_put16(&w, payload_len);
	fwg_put(&w, payload, payload_len);
	if (w.off >= len)
		return 0;
	n = fwg_sigset_encode(sigs, buf + w.off, len - w.off);
	if (!n)
		return 0;
	w.off += n;
	return w.off <= FWG_TX_MAX ? w.off : 0;
}

size_t fwg_tx_sign(struct fwg_key *key, uint8_t type, const void *stmt, size_t stmt_len, const char *const *urls,
		   unsigned int nr_urls, const uint8_t *chunks, size_t chunks_len, uint8_t *buf, size_t len)
{
	uint8_t sig[FWGATE_MAX_SIG_LEN];
	size_t sig_len = sizeof(sig);

	if (fwg_sign(key, stmt, stmt_len, sig, &sig_len))
		return 0;
	return fwg_tx_encode_signed(type, stmt, stmt_len, sig, sig_len, urls, nr_urls, chunks, chunks_len, buf, len);
}

size_t fwg_blob_encode(const struct fwg_blob_stmt *s, const uint8_t *sig, size_t sig_len, const uint8_t *chunk,
		       uint8_t *buf, size_t len)
{
	struct fwg_wr w = { buf, len, 0 };
	uint32_t n = fwg_blob_chunk_len(be64toh(s->size), be32toh(s->index));

	if (!n || sig_len > FWGATE_MAX_SIG_LEN)
		return 0;
	fwg_put8(&w, FWG_TX_VERSION);
	fwg_put8(&w, FWG_TX_BLOB);
	fwg_put(&w, s, sizeof(*s));
	fwg_put16(&w, sig_len);
	fwg_put(&w, sig, sig_len);
	fwg_put(&w, chunk, n);
	return w.off <= len && w.off <= FWG_TX_MAX ? w.off : 0;
}

size_t fwg_blob_sign(struct fwg_key *key, const uint8_t m_id[FWGATE_ID_LEN], const uint8_t u_id[FWGATE_ID_LEN],
		     uint64_t size, uint32_t index, const uint8_t *chunk, uint8_t *buf, size_t len)
{
	struct fwg_blob_stmt s = {};
	uint8_t sig[FWGATE_MAX_SIG_LEN];
	size_t sig_len = sizeof(sig);
	uint32_t n = fwg_blob_chunk_len(size, index);

	if (!n)
		return 0;
	memcpy(s.magic, FWG_MAGIC_BLOB, FWGATE_MAGIC_LEN);
	memcpy(s.m_id, m_id, FWGATE_ID_LEN);
	memcpy(s.u_id, u_id, FWGATE_ID_LEN);
	s.size = htobe64(size);
	s.index = htobe32(index);
	s.count = htobe32(fwg_blob_count(size));
	fwg_sha256(chunk, n, s.digest);
	if (fwg_sign(key, &s, sizeof(s), sig, &sig_len))
		return 0;
	return fwg_blob_encode(&s, sig, sig_len, chunk, buf, len);
}

size_t fwg_genesis_encode(const struct fwg_genesis *g, uint8_t *buf, size_t len)
{
	struct fwg_wr w = { buf, len, 0 };
	unsigned int i, j;

	if (g->nr_members > FWG_MAX_MEMBERS || g->nr_types > FWG_MAX_TYPES)
		return 0;
	fwg_put8(&w, FWG_TX_VERSION);
	fwg_put8(&w, FWG_TX_GENESIS);
	fwg_put64(&w, g->time);
	fwg_put(&w, g->name, FWGATE_NAME_LEN);
	fwg_put8(&w, g->nr_members);
	for (i = 0; i < g->nr_members; i++) {
		const struct fwg_member *m = &g->members[i];

		if (m->key.len > FWGATE_MAX_KEY_LEN)
			return 0;
		fwg_put8(&w, m->role);
		fwg_put(&w, m->name, FWGATE_NAME_LEN);
		fwg_put8(&w, m->key.alg);
		fwg_put16(&w, m->key.len);
		fwg_put(&w, m->key.data, m->key.len);
	}
	fwg_put8(&w, g->nr_types);
	for (i = 0; i < g->nr_types; i++) {
		const struct fwg_type_policy *t = &g->types[i];

		if (t->k > FWGATE_MAX_CHECKERS)
			return 0;
		fwg_put(&w, t->o_type, FWGATE_NAME_LEN);
		fwg_put8(&w, t->k);
		fwg_put8(&w, t->q);
		for (j = 0; j < t->k; j++)
			fwg_put(&w, t->checkers[j], FWGATE_ID_LEN);
	}
	return w.off <= len && w.off <= FWG_TX_MAX ? w.off : 0;
}

/* ------------------------------------------------------------------ proofs */

size_t fwg_proof_encode(const struct fwg_proof *p, uint8_t *buf, size_t len)
{
	struct fwg_wr w = { buf, len, 0 };
	uint8_t be[4];
	unsigned int i;

	if (p->depth > FWG_PROOF_MAX_DEPTH)
		return 0;
	be[0] = p->index >> 24; be[1] = p->index >> 16; be[2] = p->index >> 8; be[3] = p->index;
	fwg_put(&w, be, 4);
	be[0] = p->size >> 24; be[1] = p->size >> 16; be[2] = p->size >> 8; be[3] = p->size;
	fwg_put(&w, be, 4);
	fwg_put8(&w, p->depth);
	for (i = 0; i < p->depth; i++)
		fwg_put(&w, p->path[i], FWGATE_ID_LEN);
	return w.off <= len ? w.off : 0;
}

int fwg_proof_decode(const uint8_t *buf, size_t len, struct fwg_proof *p)
{
	struct rd r = { buf, len, 0 };
	unsigned int i;

	p->index = (uint32_t)get16(&r) << 16;
	p->index |= get16(&r);
	p->size = (uint32_t)get16(&r) << 16;
	p->size |= get16(&r);
	p->depth = get8(&r);
	if (r.short_read || p->depth > FWG_PROOF_MAX_DEPTH || p->index >= p->size)
		return -EINVAL;
	for (i = 0; i < p->depth; i++)
		if (getn(&r, p->path[i], FWGATE_ID_LEN))
			return -EINVAL;
	return r.left ? -EINVAL : 0;
}
