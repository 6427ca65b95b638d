/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgate-node's read cache: a bounded, least-recently-used map from a short key to an object that never
 * changes once made (a block read back from etcd, a finished HTTP response). The cache holds one reference
 * to each object and drops it when the object is evicted; callers take their own references inside use(),
 * which runs under the cache's lock, so that an object is never dropped between the lookup and its use.
 */
#ifndef FWG_NODE_CACHE_H
#define FWG_NODE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_LEN	80

struct cache;

struct cache_stats {
	uint64_t hits, misses, evictions;
	size_t bytes, entries, budget;
};

struct cache *cache_new(size_t budget);
/* 1 after calling use(obj, arg) under the lock if key is cached, else 0. */
int cache_use(struct cache *c, const char *key, void (*use)(void *obj, void *arg), void *arg);
/*
 * Gives obj, which costs about cost bytes, to the cache under key; drop(obj) releases the cache's
 * reference, on eviction or at once if key is already cached or cost is more than the whole budget.
 */
void cache_put(struct cache *c, const char *key, void *obj, size_t cost, void (*drop)(void *obj));
void cache_get_stats(struct cache *c, struct cache_stats *s);

#endif
