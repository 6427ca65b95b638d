// SPDX-License-Identifier: GPL-2.0
/*
 * Sealed images. Layout:
 *
 *   magic "FWGSEAL1" | ephemeral P-256 point (65) | payload nonce (12) | be16 n
 *   n times: recipient key id (32) | wrapped content key (32) | its GCM tag (16)
 *   payload: AES-256-GCM ciphertext of the image | tag (16)
 *
 * A recipient's key-encryption key and nonce are HKDF-SHA256(ECDH(ephemeral, recipient), salt = ephemeral
 * point, info = "fwgate seal v1" || recipient key id), 44 bytes. The header (magic, point, nonce, n) is the
 * additional data of every GCM operation, so no part of it can be swapped.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include "crypto.h"
#include "keys.h"
#include "seal.h"

#define INFO "fwgate seal v1"

/* The 32-byte key-encryption key and 12-byte nonce for one recipient. */
static int kek(struct fwg_key *priv, const uint8_t *peer, const uint8_t *eph, const uint8_t *id, uint8_t out[44])
{
	uint8_t secret[32], info[sizeof(INFO) - 1 + 32];
	int err;

	memcpy(info, INFO, sizeof(INFO) - 1);
	memcpy(info + sizeof(INFO) - 1, id, 32);
	err = fwg_ecdh_p256(priv, peer, secret) ||
	      fwg_hkdf_sha256(eph, 65, secret, sizeof(secret), info, sizeof(info), out, 44);
	explicit_bzero(secret, sizeof(secret));
	return err ? -1 : 0;
}

/* One-shot GCM decryption: 0, or -EBADMSG. */
static int gcm_open(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
		    size_t len, uint8_t *out, const uint8_t *tag)
{
	struct fwg_gcm *g = fwg_gcm_decrypt_new(key, nonce, aad, aad_len);
	int err;

	err = !g || fwg_gcm_decrypt_update(g, in, len, out) || fwg_gcm_decrypt_final(g, tag);
	fwg_gcm_free(g);
	if (err)
		explicit_bzero(out, len);
	return err ? -EBADMSG : 0;
}

uint8_t *fwg_seal(const uint8_t *data, size_t len, struct fwg_key *const *recipients, size_t n, size_t *out_len)
{
	size_t hdr = FWG_SEAL_HDR + n * FWG_SEAL_PER_RECIPIENT, i;
	uint8_t cek[32], k[44], *out, *p;
	struct fwg_pubkey eph_pub, rpub;
	struct fwg_key *eph;
	int ok = 1;

	if (!n || n > FWG_SEAL_MAX_RECIPIENTS)
		return NULL;
	eph = fwg_key_create(FWGATE_KEY_P256);
	out = malloc(hdr + len + 16);
	if (!eph || !out || fwg_key_encode(eph, &eph_pub) || fwg_random(cek, sizeof(cek)) ||
	    fwg_random(out + 73, 12)) {
		fwg_key_free(eph);
		free(out);
		return NULL;
	}
	memcpy(out, FWG_SEAL_MAGIC, 8);
	memcpy(out + 8, eph_pub.data, 65);
	out[85] = n >> 8;
	out[86] = n;
	for (i = 0, p = out + FWG_SEAL_HDR; ok && i < n; i++, p += FWG_SEAL_PER_RECIPIENT) {
		ok = !fwg_key_encode(recipients[i], &rpub) && rpub.alg == FWGATE_KEY_P256 &&
		     !kek(eph, rpub.data, eph_pub.data, rpub.id, k) &&
		     !fwg_gcm_encrypt(k, k + 32, out, FWG_SEAL_HDR, cek, 32, p + 32, p + 64);
		memcpy(p, rpub.id, 32);
	}
	ok = ok && !fwg_gcm_encrypt(cek, out + 73, out, FWG_SEAL_HDR, data, len, out + hdr, out + hdr + len);
	explicit_bzero(cek, sizeof(cek));
	explicit_bzero(k, sizeof(k));
	fwg_key_free(eph);
	if (!ok) {
		free(out);
		return NULL;
	}
	*out_len = hdr + len + 16;
	return out;
}

enum unseal_state {
	UNSEAL_HEADER,
	UNSEAL_TABLE,
	UNSEAL_PAYLOAD,
	UNSEAL_DONE,
};

struct fwg_unseal_stream {
	fwg_unwrap_fn unwrap;		/* opens our entry of the recipient table */
	void *arg;
	uint8_t me[32];			/* the key's id */
	enum unseal_state state;
	int err;			/* sticky */
	uint8_t hdr[FWG_SEAL_HDR];
	uint8_t entry[FWG_SEAL_PER_RECIPIENT];
	size_t have;			/* bytes of hdr or entry gathered */
	unsigned int nr, seen;		/* recipients in the table, entries read */
	int found;
	/* The last 16 bytes seen may be the tag, so they are held back until more arrive or the end. */
	uint8_t tail[16];
	size_t tail_len;
	struct fwg_gcm *gcm;		/* the payload's, once our entry is open */
	size_t out_len;			/* plain bytes in out, not yet given to the sink */
	uint8_t out[16384];
};

static int key_unwrap(const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32], void *arg)
{
	return fwg_seal_unwrap(arg, hdr, entry, cek);
}

struct fwg_unseal_stream *fwg_unseal_stream_new_unwrap(const uint8_t me[32], fwg_unwrap_fn fn, void *arg)
{
	struct fwg_unseal_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->unwrap = fn;
	s->arg = arg;
	memcpy(s->me, me, 32);
	return s;
}

struct fwg_unseal_stream *fwg_unseal_stream_new(struct fwg_key *key)
{
	struct fwg_pubkey me;

	if (!key || fwg_key_encode(key, &me))
		return NULL;
	return fwg_unseal_stream_new_unwrap(me.id, key_unwrap, key);
}

void fwg_unseal_stream_free(struct fwg_unseal_stream *s)
{
	if (!s)
		return;
	fwg_gcm_free(s->gcm);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

uint64_t fwg_unseal_stream_overhead(const struct fwg_unseal_stream *s)
{
	if (s->state == UNSEAL_HEADER)
		return 0;
	return FWG_SEAL_HDR + (uint64_t)s->nr * FWG_SEAL_PER_RECIPIENT + 16;
}

int fwg_seal_unwrap(struct fwg_key *key, const uint8_t *hdr, const uint8_t *entry, uint8_t cek[32])
{
	uint8_t k[44];
	int err;

	err = kek(key, hdr + 8, hdr + 8, entry, k) ? -EBADMSG :
	      gcm_open(k, k + 32, hdr, FWG_SEAL_HDR, entry + 32, 32, cek, entry + 64);
	explicit_bzero(k, sizeof(k));
	return err;
}

/* Our entry of the recipient table: unwrap the content key and start the payload's decryption with it. */
static int unwrap(struct fwg_unseal_stream *s)
{
	uint8_t cek[32];

	if (!s->unwrap(s->hdr, s->entry, cek, s->arg))
		s->gcm = fwg_gcm_decrypt_new(cek, s->hdr + 73, s->hdr, FWG_SEAL_HDR);
	explicit_bzero(cek, sizeof(cek));
	return s->gcm ? 0 : -EBADMSG;
}

static int flush(struct fwg_unseal_stream *s, int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg)
{
	size_t n = s->out_len;

	s->out_len = 0;
	return n ? sink(s->out, n, arg) : 0;
}

/* Decrypts into out, which goes to the sink whenever it is full: one call per buffer, however fed. */
static int decrypt(struct fwg_unseal_stream *s, const uint8_t *in, size_t len,
		   int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg)
{
	int err;

	while (len) {
		size_t chunk = sizeof(s->out) - s->out_len;

		if (chunk > len)
			chunk = len;
		if (fwg_gcm_decrypt_update(s->gcm, in, chunk, s->out + s->out_len))
			return -EBADMSG;
		s->out_len += chunk;
		if (s->out_len == sizeof(s->out)) {
			err = flush(s, sink, arg);
			if (err)
				return err;
		}
		in += chunk;
		len -= chunk;
	}
	return 0;
}

/* Copies up to @want - s->have bytes into @field; true once it is complete. */
static int gather(struct fwg_unseal_stream *s, uint8_t *field, size_t want, const uint8_t **in, size_t *len)
{
	size_t n = want - s->have < *len ? want - s->have : *len;

	memcpy(field + s->have, *in, n);
	s->have += n;
	*in += n;
	*len -= n;
	if (s->have < want)
		return 0;
	s->have = 0;
	return 1;
}

static int feed(struct fwg_unseal_stream *s, const uint8_t *in, size_t len,
		int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg)
{
	size_t excess, k;
	int err;

	while (len && s->state == UNSEAL_HEADER) {
		if (!gather(s, s->hdr, FWG_SEAL_HDR, &in, &len))
			return 0;
		if (memcmp(s->hdr, FWG_SEAL_MAGIC, 8))
			return -EBADMSG;
		s->nr = s->hdr[85] << 8 | s->hdr[86];
		if (!s->nr)
			return -EBADMSG;
		s->state = UNSEAL_TABLE;
	}
	while (len && s->state == UNSEAL_TABLE) {
		if (!gather(s, s->entry, FWG_SEAL_PER_RECIPIENT, &in, &len))
			return 0;
		/* The first entry naming us is the one fwg_seal() wrote; any later copy is ignored. */
		if (!s->found && !memcmp(s->entry, s->me, 32)) {
			err = unwrap(s);
			if (err)
				return err;
			s->found = 1;
		}
		if (++s->seen < s->nr)
			continue;
		if (!s->found)
			return -ENOKEY;
		s->state = UNSEAL_PAYLOAD;
	}
	if (!len)
		return 0;
	if (s->tail_len + len <= sizeof(s->tail)) {
		memcpy(s->tail + s->tail_len, in, len);
		s->tail_len += len;
		return 0;
	}
	/* Decrypt all but the last 16 bytes seen: the held-back ones first, then the new ones. */
	excess = s->tail_len + len - sizeof(s->tail);
	k = excess < s->tail_len ? excess : s->tail_len;
	err = decrypt(s, s->tail, k, sink, arg);
	if (err)
		return err;
	memmove(s->tail, s->tail + k, s->tail_len - k);
	s->tail_len -= k;
	excess -= k;
	err = decrypt(s, in, excess, sink, arg);
	if (err)
		return err;
	memcpy(s->tail + s->tail_len, in + excess, len - excess);
	s->tail_len += len - excess;
	return flush(s, sink, arg);
}

int fwg_unseal_stream_feed(struct fwg_unseal_stream *s, const uint8_t *in, size_t len,
			   int (*sink)(const uint8_t *buf, size_t len, void *arg), void *arg)
{
	if (!s->err && s->state == UNSEAL_DONE)
		s->err = -EBADMSG;
	if (!s->err)
		s->err = feed(s, in, len, sink, arg);
	return s->err;
}

int fwg_unseal_stream_final(struct fwg_unseal_stream *s)
{
	if (s->err)
		return s->err;
	if (s->state != UNSEAL_PAYLOAD || s->tail_len != sizeof(s->tail) || fwg_gcm_decrypt_final(s->gcm, s->tail))
		s->err = -EBADMSG;
	else
		s->state = UNSEAL_DONE;
	return s->err;
}

struct plain_buf {
	uint8_t *p;
	size_t len;
};

static int append(const uint8_t *buf, size_t len, void *arg)
{
	struct plain_buf *b = arg;

	memcpy(b->p + b->len, buf, len);
	b->len += len;
	return 0;
}

uint8_t *fwg_unseal(const uint8_t *sealed, size_t len, struct fwg_key *key, size_t *out_len)
{
	struct fwg_unseal_stream *s = fwg_unseal_stream_new(key);
	/* The plain image is shorter than the sealed one. */
	struct plain_buf b = { malloc(len ? len : 1), 0 };
	int ok;

	ok = s && b.p && !fwg_unseal_stream_feed(s, sealed, len, append, &b) && !fwg_unseal_stream_final(s);
	fwg_unseal_stream_free(s);
	if (!ok) {
		if (b.p)
			explicit_bzero(b.p, b.len);
		free(b.p);
		return NULL;
	}
	*out_len = b.len;
	return b.p;
}
