// SPDX-License-Identifier: GPL-2.0
/*
 * The download half of fwgated: one URL at a time, each from byte 0 of its stream and resumed with Range,
 * plain bytes hashed as they pass and handed to the sink once each. fetch.h says how bad bytes are
 * attributed. Memory is this file's few hundred bytes, lib/http.c's receive buffer and the unseal stream's
 * output buffer, whatever the image size.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "fetch.h"
#include "http.h"
#include "keys.h"
#include "log.h"
#include "seal.h"

#define MAGIC_LEN	8
#define BACKOFF_MS	200
#define BACKOFF_MAX_MS	5000

enum format {
	FMT_UNKNOWN,	/* fewer than MAGIC_LEN bytes seen */
	FMT_PLAIN,
	FMT_SEALED,
};

enum stop {
	STOP_NONE,
	STOP_NEXT,	/* this URL can not serve the image: try the next */
	STOP_END,	/* the fetch is over, res says why */
};

struct fetch {
	const struct fwg_fetch_req *r;
	const struct fwg_fetch_sink *sink;
	struct fwg_fetch_result *res;
	struct fwg_http_req http;
	struct fwg_http_res http_res;
	struct fwg_sha256_ctx md;
	int ret;			/* fwg_fetch()'s return once STOP_END */

	uint64_t delivered;		/* plain bytes the sink holds */
	/* The digest of the sink's bytes [0, ck_len), and the URL that delivered the last of them. */
	uint64_t ck_len;
	uint8_t ck_md[FWGATE_ID_LEN];
	int ck_url;
	int disagreed;			/* some URL's prefix differed from what was delivered */

	/* The current URL's stream. */
	unsigned int url;
	enum format fmt;
	uint8_t magic[MAGIC_LEN];
	uint64_t pos;			/* bytes of the stream consumed */
	uint64_t total;			/* its expected length, 0 until known */
	uint64_t plain;			/* plain bytes hashed */
	int diverged;			/* its prefix differs from the sink's */
	struct fwg_unseal_stream *unseal;

	/* The current response. */
	int started;
	uint64_t skip;			/* bytes to drop: those before pos */
	int has_range;
	uint64_t range_start;		/* from Content-Range */
	enum stop stop;
};

static void say(const char *url, char *msg, size_t len, const char *fmt, va_list ap)
{
	int n = snprintf(msg, len, "%s: ", url);

	if (n >= 0 && (size_t)n < len)
		vsnprintf(msg + n, len - n, fmt, ap);
	log_warnx("fetch: %s", msg);
}

/* The current URL can not serve the image, for a reason that blames nobody. */
static void __attribute__((format(printf, 3, 4)))
next(struct fetch *f, enum fwg_fetch_reason reason, const char *fmt, ...)
{
	va_list ap;

	/* Keep the most telling reason for when every URL fails: a key problem over a transport one. */
	if (f->res->reason == FWG_FETCH_OK || reason != FWG_FETCH_UNREACHABLE ||
	    f->res->reason == FWG_FETCH_UNREACHABLE) {
		f->res->reason = reason;
		va_start(ap, fmt);
		say(f->r->urls[f->url], f->res->msg, sizeof(f->res->msg), fmt, ap);
		va_end(ap);
	} else {
		char scratch[sizeof(f->res->msg)];

		va_start(ap, fmt);
		say(f->r->urls[f->url], scratch, sizeof(scratch), fmt, ap);
		va_end(ap);
	}
	f->stop = STOP_NEXT;
}

/* Ends the fetch. With @culprit >= 0, that URL served bad bytes, and the message starts with it. */
static void __attribute__((format(printf, 5, 6)))
end(struct fetch *f, enum fwg_fetch_reason reason, int ret, int culprit, const char *fmt, ...)
{
	struct fwg_fetch_result *res = f->res;
	va_list ap;

	res->reason = reason;
	res->bad_url = culprit;
	res->bad_url_text[0] = '\0';
	if (culprit >= 0)
		snprintf(res->bad_url_text, sizeof(res->bad_url_text), "%s", f->r->urls[culprit]);
	va_start(ap, fmt);
	say(f->r->urls[culprit >= 0 ? culprit : (int)f->url], res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	f->ret = ret;
	f->stop = STOP_END;
}

static void digest_so_far(struct fetch *f, uint8_t out[FWGATE_ID_LEN])
{
	struct fwg_sha256_ctx tmp = f->md;

	fwg_sha256_final(&tmp, out);
}

/* Plain bytes at f->plain: hash them, check them against the sink's prefix, deliver what it lacks. */
static int consume_plain(struct fetch *f, const uint8_t *p, size_t n)
{
	uint8_t md[FWGATE_ID_LEN];
	size_t k, skip;
	int err;

	while (n) {
		k = n;
		if (f->plain < f->ck_len && f->plain + k > f->ck_len)
			k = f->ck_len - f->plain;
		fwg_sha256_update(&f->md, p, k);
		if (!f->diverged && f->plain + k > f->delivered) {
			skip = f->delivered > f->plain ? f->delivered - f->plain : 0;
			err = f->sink->write(p + skip, k - skip, f->sink->arg);
			if (err) {
				end(f, FWG_FETCH_SINK, err < 0 ? err : -EIO, -1, "writing byte %" PRIu64 ": %s",
				    f->delivered, strerror(err < 0 ? -err : EIO));
				return -1;
			}
			f->delivered = f->plain + k;
			if (f->r->progress)
				f->r->progress(f->delivered, f->r->size, f->r->progress_arg);
		}
		f->plain += k;
		p += k;
		n -= k;
		if (f->ck_len && f->plain == f->ck_len) {
			digest_so_far(f, md);
			if (memcmp(md, f->ck_md, sizeof(md))) {
				log_warnx("fetch: %s: bytes 0-%" PRIu64 " differ from those %s delivered",
					  f->r->urls[f->url], f->ck_len - 1, f->r->urls[f->ck_url]);
				f->diverged = 1;
				f->disagreed = 1;
			}
		}
	}
	return 0;
}

static int on_plain(const uint8_t *buf, size_t len, void *arg)
{
	return consume_plain(arg, buf, len) ? -ECANCELED : 0;
}

static void feed(struct fetch *f, const uint8_t *p, size_t n)
{
	struct fwg_pubkey me;
	char hex[2 * FWGATE_ID_LEN + 1];
	int err;

	if (f->fmt == FMT_PLAIN) {
		consume_plain(f, p, n);
		return;
	}
	err = fwg_unseal_stream_feed(f->unseal, p, n, on_plain, f);
	if (!err || f->stop)
		return;
	if (err == -ENOKEY) {
		if (f->r->device_key && !fwg_key_encode(f->r->device_key, &me))
			fwg_hex(me.id, sizeof(me.id), hex);
		else
			fwg_hex(f->r->device_id, FWGATE_ID_LEN, hex);
		next(f, FWG_FETCH_NOT_RECIPIENT, "a sealed image for other devices: no entry for key %s", hex);
	} else if (err == -EBADMSG) {
		end(f, FWG_FETCH_BAD_SEAL, -EBADMSG, f->url, "a sealed image whose header or key does not open");
	} else {
		end(f, FWG_FETCH_LOCAL, err, -1, "opening the sealed image: %s", strerror(-err));
	}
}

/* Once the first bytes are known: plain or sealed, and how long the stream should be. */
static void decide(struct fetch *f, int short_plain)
{
	if (!short_plain && !memcmp(f->magic, FWG_SEAL_MAGIC, MAGIC_LEN)) {
		if (!f->r->device_key && !f->r->unwrap) {
			next(f, FWG_FETCH_NO_KEY, "a sealed image, and no device key to open it");
			return;
		}
		f->unseal = f->r->device_key ? fwg_unseal_stream_new(f->r->device_key) :
			    fwg_unseal_stream_new_unwrap(f->r->device_id, f->r->unwrap, f->r->unwrap_arg);
		if (!f->unseal) {
			end(f, FWG_FETCH_LOCAL, -ENOMEM, -1, "no memory, or not a P-256 device key");
			return;
		}
		f->fmt = FMT_SEALED;
	} else {
		f->fmt = FMT_PLAIN;
		f->total = f->r->size;
		if (f->pos > f->total) {
			end(f, FWG_FETCH_TOO_LONG, -EBADMSG, f->url, "more than the %" PRIu64 " bytes expected",
			    f->r->size);
			return;
		}
	}
	feed(f, f->magic, f->pos);
}

/* Bytes at f->pos of the current URL's stream. */
static void consume(struct fetch *f, const uint8_t *p, size_t n)
{
	size_t k;

	if (f->fmt == FMT_UNKNOWN) {
		k = MAGIC_LEN - f->pos < n ? MAGIC_LEN - f->pos : n;
		memcpy(f->magic + f->pos, p, k);
		f->pos += k;
		p += k;
		n -= k;
		if (f->pos < MAGIC_LEN)
			return;
		decide(f, 0);
	}
	/* A sealed stream's length is known once its header is: feed that first. */
	if (!f->stop && n && f->fmt == FMT_SEALED && !f->total) {
		k = FWG_SEAL_HDR - f->pos < n ? FWG_SEAL_HDR - f->pos : n;
		f->pos += k;
		feed(f, p, k);
		p += k;
		n -= k;
		f->total = fwg_unseal_stream_overhead(f->unseal);
		if (f->total)
			f->total += f->r->size;
	}
	if (f->stop || !n)
		return;
	if (f->pos + n > f->total) {
		end(f, FWG_FETCH_TOO_LONG, -EBADMSG, f->url, "more than the %" PRIu64 " bytes expected%s",
		    f->r->size, f->fmt == FMT_SEALED ? " in a sealed image" : "");
		return;
	}
	f->pos += n;
	feed(f, p, n);
}

static int on_header(const char *line, void *arg)
{
	struct fetch *f = arg;

	/* A new header block for each response, redirects included. */
	if (!strncmp(line, "HTTP/", 5))
		f->has_range = 0;
	if (!strncasecmp(line, "Content-Range:", 14))
		f->has_range = sscanf(line + 14, " bytes %" SCNu64 "-", &f->range_start) == 1;
	return 0;
}

static int on_body(const void *data, size_t n, void *arg)
{
	struct fetch *f = arg;
	int code = f->http_res.status;
	size_t k;

	if (!f->started) {
		if (code == 200) {
			f->skip = f->pos;	/* from byte 0: a server that ignores Range */
		} else if (code == 206 && f->has_range && f->range_start <= f->pos) {
			f->skip = f->pos - f->range_start;
		} else if (code == 206) {
			next(f, FWG_FETCH_UNREACHABLE, "a 206 whose Content-Range does not start at %" PRIu64,
			     f->pos);
			return -1;
		} else {
			return -1;	/* an error page: the status tells */
		}
		f->started = 1;
	}
	k = f->skip < n ? f->skip : n;
	f->skip -= k;
	if (n > k)
		consume(f, (const uint8_t *)data + k, n - k);
	return f->stop ? -1 : 0;
}

static int complete(const struct fetch *f)
{
	return (f->fmt == FMT_PLAIN || (f->fmt == FMT_SEALED && f->total)) && f->pos == f->total;
}

/* What went wrong with a response that is no verdict on the bytes. */
static const char *describe(struct fetch *f, int rc, long code, char *buf, size_t len)
{
	if (code >= 300)
		snprintf(buf, len, "HTTP %ld", code);
	else if (rc)
		snprintf(buf, len, "%s at byte %" PRIu64, f->http_res.err, f->pos);
	else
		snprintf(buf, len, "stream cut short at byte %" PRIu64, f->pos);
	return buf;
}

/* The stream is complete: the seal's tag, the digest, then whether the sink's prefix agreed. */
static int verify(struct fetch *f)
{
	uint8_t md[FWGATE_ID_LEN];
	char got[2 * FWGATE_ID_LEN + 1], want[2 * FWGATE_ID_LEN + 1];

	if (f->fmt == FMT_SEALED && fwg_unseal_stream_final(f->unseal)) {
		end(f, FWG_FETCH_BAD_SEAL, -EBADMSG, f->url, "a sealed image altered or truncated (GCM tag)");
		return -1;
	}
	digest_so_far(f, md);
	if (memcmp(md, f->r->u_id, sizeof(md))) {
		fwg_hex(md, sizeof(md), got);
		fwg_hex(f->r->u_id, sizeof(md), want);
		end(f, FWG_FETCH_DIGEST_MISMATCH, -EBADMSG, f->url, "digest mismatch: got %s, expected %s",
		    got, want);
		return -1;
	}
	if (f->diverged) {
		end(f, FWG_FETCH_DIGEST_MISMATCH, -EBADMSG, f->ck_url,
		    "bytes 0-%" PRIu64 " it delivered differ from those of %s, whose whole image verifies",
		    f->ck_len - 1, f->r->urls[f->url]);
		return -1;
	}
	return 0;
}

static void backoff(unsigned int fails)
{
	unsigned int ms = fails > 6 ? BACKOFF_MAX_MS : BACKOFF_MS << (fails - 1);
	struct timespec ts;

	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* One URL, with its retries: 0 once verified, 1 to try the next, -1 when the fetch is over. */
static int fetch_url(struct fetch *f)
{
	uint64_t start_delivered = f->delivered, before;
	unsigned int fails = 0;
	char why[FWG_HTTP_ERR_LEN + 64];
	long code;
	int rc;

	f->fmt = FMT_UNKNOWN;
	f->pos = f->total = f->plain = 0;
	f->diverged = 0;
	fwg_unseal_stream_free(f->unseal);
	f->unseal = NULL;
	f->stop = STOP_NONE;
	fwg_sha256_init(&f->md);
	f->http.url = f->r->urls[f->url];
	for (;;) {
		before = f->pos;
		f->http.range = f->pos > 0;
		f->http.range_from = f->pos;
		f->started = 0;
		f->has_range = 0;
		rc = fwg_http_request(&f->http, &f->http_res);
		code = f->http_res.status;
		if (!f->stop && f->fmt == FMT_UNKNOWN && !rc && (code == 200 || code == 206) &&
		    f->pos == f->r->size)
			decide(f, 1);	/* a plain image shorter than the magic */
		if (f->stop)
			break;
		if (complete(f))
			return verify(f) ? -1 : 0;
		if ((!rc && (code == 200 || code == 206) && f->pos == before) || code == 416) {
			end(f, FWG_FETCH_TOO_SHORT, -EBADMSG, f->url,
			    "the stream ends at byte %" PRIu64 " of %" PRIu64 "%s", f->pos,
			    f->total ? f->total : f->r->size, code == 416 ? " (HTTP 416)" : "");
			return -1;
		}
		if (code >= 400 && code < 500 && code != 408 && code != 429) {
			next(f, FWG_FETCH_UNREACHABLE, "HTTP %ld", code);
			break;
		}
		/* A bad URL or redirect, or a redirect loop: the same again would fail the same way. */
		if (rc == -EINVAL || rc == -ELOOP) {
			next(f, FWG_FETCH_UNREACHABLE, "%s", f->http_res.err);
			break;
		}
		/* A drop, a stall, a 5xx, or a complete response that is short (a close-delimited drop). */
		fails = f->pos > before ? 0 : fails + 1;
		describe(f, rc, code, why, sizeof(why));
		if (fails > f->r->retries) {
			next(f, FWG_FETCH_UNREACHABLE, "%s", why);
			break;
		}
		log_info("fetch: %s: %s, retrying", f->r->urls[f->url], why);
		if (fails)
			backoff(fails);
	}
	if (f->stop == STOP_END)
		return -1;
	/* Leaving: what it delivered is the prefix later URLs must agree with. */
	if (f->delivered > start_delivered && f->plain == f->delivered) {
		digest_so_far(f, f->ck_md);
		f->ck_len = f->delivered;
		f->ck_url = f->url;
	}
	return 1;
}

int fwg_fetch(const struct fwg_fetch_req *r, const struct fwg_fetch_sink *s, struct fwg_fetch_result *res)
{
	struct fetch f = { .r = r, .sink = s, .res = res, .ck_url = -1, .delivered = r->offset };
	unsigned int timeout = r->timeout_s ? r->timeout_s : 30;
	int rc = 1;

	memset(res, 0, sizeof(*res));
	res->bad_url = -1;
	if (!r->nr_urls || !r->urls || r->offset > r->size || !s->write) {
		res->reason = FWG_FETCH_LOCAL;
		snprintf(res->msg, sizeof(res->msg), "fetch: no URL, or an offset past the size");
		return -EINVAL;
	}
	f.http.body_fn = on_body;
	f.http.header = on_header;
	f.http.arg = &f;
	f.http.max_redirects = 5;
	f.http.user_agent = "fwgated";
	f.http.connect_timeout_s = timeout;
	f.http.low_speed_limit = 1;
	f.http.low_speed_time_s = timeout;
	for (f.url = 0; rc > 0 && f.url < r->nr_urls; f.url++) {
		rc = fetch_url(&f);
		if (!rc) {
			res->reason = FWG_FETCH_OK;
			res->msg[0] = '\0';
		}
	}
	if (rc > 0 && f.disagreed) {
		res->reason = FWG_FETCH_DIGEST_MISMATCH;
		snprintf(res->msg, sizeof(res->msg),
			 "the URLs disagree on the bytes delivered, and none served a verified image");
		log_warnx("fetch: %s", res->msg);
		f.ret = -EBADMSG;
	} else if (rc > 0) {
		f.ret = res->reason == FWG_FETCH_UNREACHABLE ? -EHOSTUNREACH : -ENOKEY;
	}
	fwg_unseal_stream_free(f.unseal);
	return rc ? f.ret : 0;
}
