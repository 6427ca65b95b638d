// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define BUCKETS	4096

struct entry {
	char key[CACHE_KEY_LEN];
	void *obj;
	size_t cost;
	void (*drop)(void *obj);
	struct entry *next;		/* in its bucket */
	struct entry *newer, *older;	/* in the LRU list */
};

struct cache {
	pthread_mutex_t lock;
	struct entry *bucket[BUCKETS];
	struct entry *newest, *oldest;
	struct cache_stats st;
};

static unsigned int hash(const char *key)
{
	unsigned int h = 2166136261u;

	while (*key)
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h % BUCKETS;
}

struct cache *cache_new(size_t budget)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->st.budget = budget;
	return c;
}

static void unlink_lru(struct cache *c, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void push_newest(struct cache *c, struct entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (!c->oldest)
		c->oldest = e;
}

static struct entry **find(struct cache *c, const char *key)
{
	struct entry **p = &c->bucket[hash(key)];

	while (*p && strcmp((*p)->key, key))
		p = &(*p)->next;
	return p;
}

int cache_use(struct cache *c, const char *key, void (*use)(void *obj, void *arg), void *arg)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = *find(c, key);
	if (e) {
		c->st.hits++;
		unlink_lru(c, e);
		push_newest(c, e);
		use(e->obj, arg);
	} else {
		c->st.misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return e != NULL;
}

void cache_put(struct cache *c, const char *key, void *obj, size_t cost, void (*drop)(void *obj))
{
	struct entry *e, *victims = NULL;

	if (strlen(key) >= CACHE_KEY_LEN || cost > c->st.budget || !(e = calloc(1, sizeof(*e)))) {
		drop(obj);
		return;
	}
	strcpy(e->key, key);
	e->obj = obj;
	e->cost = cost;
	e->drop = drop;
	pthread_mutex_lock(&c->lock);
	if (*find(c, key)) {
		pthread_mutex_unlock(&c->lock);
		drop(obj);
		free(e);
		return;
	}
	while (c->st.bytes + cost > c->st.budget && c->oldest) {
		struct entry *old = c->oldest, **p = find(c, old->key);

		*p = old->next;
		unlink_lru(c, old);
		c->st.bytes -= old->cost;
		c->st.entries--;
		c->st.evictions++;
		old->next = victims;
		victims = old;
	}
	e->next = c->bucket[hash(key)];
	c->bucket[hash(key)] = e;
	push_newest(c, e);
	c->st.bytes += cost;
	c->st.entries++;
	pthread_mutex_unlock(&c->lock);
	/* Outside the lock: dropping the last reference of a big object frees it. */
	while (victims) {
		e = victims;
		victims = e->next;
		e->drop(e->obj);
		free(e);
	}
}

void cache_get_stats(struct cache *c, struct cache_stats *s)
{
	pthread_mutex_lock(&c->lock);
	*s = c->st;
	pthread_mutex_unlock(&c->lock);
}
