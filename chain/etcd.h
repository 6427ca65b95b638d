/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The little of etcd v3 that fwgate-node needs, over its JSON gateway (/v3/kv/range, /v3/kv/txn) with
 * libcurl: read a range of keys, and put several keys only if one does not exist yet. A request that fails
 * on one member is retried on the next, so a node survives a member's death.
 */
#ifndef FWG_ETCD_H
#define FWG_ETCD_H

#include <stddef.h>
#include <stdint.h>

struct etcd;

struct etcd_kv {
	char *key;
	uint8_t *value;
	size_t key_len, len;
};

struct etcd *etcd_open(const char *endpoints);	/* "http://h:p,https://h:p" */
/*
 * For https:// endpoints, before etcd_open: the CA file members are verified with (NULL: the system's), and
 * this node's client certificate and key (NULL: none). -1 if a file given can not be read.
 */
int etcd_set_tls(const char *cacert, const char *cert, const char *key);
void etcd_close(struct etcd *e);

/* Keys in [start, end), at most limit of them, sorted; *n set; free with etcd_kvs_free. 0 or -1. */
int etcd_range(struct etcd *e, const char *start, const char *end, unsigned int limit, struct etcd_kv **kvs,
	       size_t *n);
void etcd_kvs_free(struct etcd_kv *kvs, size_t n);

/*
 * Puts the keys only if `absent` does not exist. 1 if put, 0 if it existed, -1 if the outcome is unknown
 * (every member failed, or the answer was lost): the caller reads back to know.
 */
int etcd_put_if_absent(struct etcd *e, const char *absent, const struct etcd_kv *puts, size_t n);

/*
 * Watches one key: calls fn each time the member streams something about it, until the stream breaks
 * (a member died); returns -1 then, and the caller watches again (the next call tries the next member).
 */
int etcd_watch(struct etcd *e, const char *key, void (*fn)(void *), void *arg);

#endif
