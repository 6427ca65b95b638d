/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated's download: an approved image from its mirrors or the nodes' /blob/<U_id hex>
 * (Documentation/fwgate/ledger.rst), streamed into a sink (/dev/fwgate) with bounded memory, resumed with
 * HTTP Range, opened on the fly when sealed (chain/seal.h), and checked against the statement's U_id and
 * size, naming the URL that served bad bytes so that the daemon can submit a negative ack.
 *
 * How bytes are attributed to URLs:
 *  - Retries on one URL resume with Range from the byte its stream reached; a 200 to a Range request
 *    (the server ignored it) is skipped up to that byte. Each URL's stream is hashed on its own.
 *  - A URL is used from byte 0 of its stream, whatever an earlier URL or an earlier process (@offset)
 *    delivered: bytes the sink already has are hashed but not delivered again. So every digest, and every
 *    verdict, is about the bytes of one URL only. Mirrors may hold different sealed copies of one image,
 *    which is a second reason not to splice URLs. The cost: a failover downloads the prefix again, and a
 *    resume with @offset > 0 downloads the first @offset bytes again (no extra writes to the sink).
 *  - The bytes the sink holds may come from several URLs. When a URL takes over from one that delivered
 *    bytes, the digest of its own prefix is compared with that of what was delivered. If they differ and
 *    the new URL's whole image verifies, the one that delivered the differing prefix is to blame; if it
 *    does not verify, the new one is.
 *  - The first URL proven to have served bad bytes ends the fetch: the sink holds, or may hold, a bad
 *    image. The caller acknowledges negatively, aborts the install and may call again without that URL.
 *    Transport errors, HTTP errors and sealed images not opening for this device only move on to the next
 *    URL.
 *  - Bytes delivered by an earlier process (@offset) are assumed to be those of the first URL's stream;
 *    the kernel's own digest check catches them otherwise (an install refused, with nobody to blame).
 *
 * Sealed images ("FWGSEAL1" at byte 0 of a stream) are opened with @device_key; the digest is over the
 * plain bytes. A plain image starting with that magic can not be fetched.
 */
#ifndef FWG_AGENT_FETCH_H
#define FWG_AGENT_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

#include "seal.h"

#define FWG_FETCH_URL_LEN	256

/* Where plain bytes go, in order, each exactly once. write() returns 0 or -errno, which ends the fetch. */
struct fwg_fetch_sink {
	int (*write)(const void *buf, size_t len, void *arg);
	void *arg;
};

struct fwg_fetch_req {
	const char *const *urls;	/* tried in order */
	unsigned int nr_urls;
	uint8_t u_id[FWGATE_ID_LEN];	/* SHA-256 of the plain image */
	uint64_t size;			/* its size */
	struct fwg_key *device_key;		/* opens sealed images; may be NULL */
	/* Or, without the key (fwgated's worker): this device's key id and who opens its entry. */
	uint8_t device_id[FWGATE_ID_LEN];
	fwg_unwrap_fn unwrap;
	void *unwrap_arg;
	uint64_t offset;		/* plain bytes the sink already holds, from an earlier process */
	/* Called as the sink's byte count grows; done only increases. May be NULL. */
	void (*progress)(uint64_t done, uint64_t total, void *arg);
	void *progress_arg;
	unsigned int retries;		/* per URL, after requests that made no progress */
	unsigned int timeout_s;		/* connect timeout, and the longest stall; 0 for 30 */
};

enum fwg_fetch_reason {
	FWG_FETCH_OK,
	FWG_FETCH_UNREACHABLE,		/* no URL served the image: transport or HTTP errors */
	FWG_FETCH_NO_KEY,		/* a sealed image and no device key */
	FWG_FETCH_NOT_RECIPIENT,	/* sealed for other devices only */
	/* Proven bad bytes, bad_url names who served them: */
	FWG_FETCH_DIGEST_MISMATCH,
	FWG_FETCH_TOO_LONG,		/* more than size bytes */
	FWG_FETCH_TOO_SHORT,		/* the complete stream ended early */
	FWG_FETCH_BAD_SEAL,		/* a sealed image malformed or altered */
	/* Local: */
	FWG_FETCH_SINK,			/* the sink's write failed */
	FWG_FETCH_LOCAL,		/* bad arguments, out of memory */
};

struct fwg_fetch_result {
	enum fwg_fetch_reason reason;
	int bad_url;			/* index into urls of the culprit, or -1 */
	char bad_url_text[FWG_FETCH_URL_LEN];
	char msg[256];			/* names the URL and what went wrong */
};

/*
 * Fetches r->size plain bytes from r->offset on into @s. Returns 0 once all bytes have been delivered
 * and the digest of the whole image is r->u_id, else a negative errno (-EBADMSG for bad bytes, -ENOKEY,
 * -EHOSTUNREACH, the sink's error, -EINVAL, -ENOMEM) with @res saying why. Failures are also logged.
 */
int fwg_fetch(const struct fwg_fetch_req *r, const struct fwg_fetch_sink *s, struct fwg_fetch_result *res);

#endif
