// SPDX-License-Identifier: GPL-2.0
/*
 * The rollback state store: group floors and the last install of each target,
 * kept in two CRC-checked copies of struct fwgate_state_record on a small
 * block partition. A write goes to the copy not holding the current record,
 * with a cache flush, so a power cut leaves the previous record readable.
 * Without a store (before one is declared) the record lives in memory only.
 */
#include <linux/kernel.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwgate.h"

static struct {
	struct fwgate_state_record rec;	/* the current record */
	unsigned int copy;		/* which copy holds it */
	char spec[FWGATE_MAX_SPEC_LEN];
	struct file *file;
	struct block_device *bdev;	/* claimed while attached */
} store;

/* Over the first @len bytes: a FWGSTA01 record is shorter. */
static u32 record_crc(struct fwgate_state_record *r, size_t len)
{
	__be32 saved = r->crc;
	u32 crc;

	r->crc = 0;
	crc = ~crc32_le(~0, (const u8 *)r, len);
	r->crc = saved;
	return crc;
}

/*
 * A FWGSTA01 record is valid as it was; it is read as a FWGSTA02 record that
 * holds no anchor, which the next write makes it.
 */
static bool record_valid(struct fwgate_state_record *r)
{
	if (be32_to_cpu(r->count) > FWGATE_STATE_ENTRIES)
		return false;
	if (!memcmp(r->magic, FWGATE_STATE_MAGIC, FWGATE_MAGIC_LEN))
		return be32_to_cpu(r->crc) == record_crc(r, sizeof(*r));
	if (memcmp(r->magic, FWGATE_STATE_MAGIC_V1, FWGATE_MAGIC_LEN) ||
	    be32_to_cpu(r->crc) != record_crc(r, FWGATE_STATE_V1_LEN))
		return false;
	memcpy(r->magic, FWGATE_STATE_MAGIC, FWGATE_MAGIC_LEN);
	r->sealed_epoch = 0;
	memset(r->sealed_digest, 0, sizeof(r->sealed_digest));
	return true;
}

static struct fwgate_state_entry *entry_find(struct fwgate_state_record *r,
					     const char *name)
{
	u32 i, n = be32_to_cpu(r->count);

	for (i = 0; i < n; i++)
		if (!strncmp(r->entry[i].name, name, FWGATE_NAME_LEN))
			return &r->entry[i];
	return NULL;
}

static struct fwgate_state_entry *entry_get(struct fwgate_state_record *r,
					    const char *name)
{
	struct fwgate_state_entry *e = entry_find(r, name);
	u32 n = be32_to_cpu(r->count);

	if (e || n >= FWGATE_STATE_ENTRIES)
		return e;
	e = &r->entry[n];
	memset(e, 0, sizeof(*e));
	strscpy(e->name, name, sizeof(e->name));
	r->count = cpu_to_be32(n + 1);
	return e;
}

static int record_io(struct page *page, unsigned int copy, bool write)
{
	return fwgate_bdev_rw(store.bdev, (u64)copy * FWGATE_STATE_COPY_SIZE,
			      &page, FWGATE_STATE_COPY_SIZE, write);
}

/* Persists @next as the new current record, in the other copy. */
static int record_write(struct fwgate_state_record *next)
{
	unsigned int copy = store.copy ^ 1;
	struct page *page;
	int err;

	next->seq = cpu_to_be64(be64_to_cpu(store.rec.seq) + 1);
	next->crc = cpu_to_be32(record_crc(next, sizeof(*next)));
	if (store.bdev) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		memcpy(page_address(page), next, sizeof(*next));
		err = record_io(page, copy, true);
		__free_page(page);
		if (err) {
			fwgate_set_error(err, "state store: write failed");
			return -EIO;
		}
	}
	store.rec = *next;
	store.copy = copy;
	fwgate_dump_changed();
	return 0;
}

static void record_init(struct fwgate_state_record *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->magic, FWGATE_STATE_MAGIC, FWGATE_MAGIC_LEN);
}

u64 fwgate_floor(const char *group)
{
	struct fwgate_state_entry *e;

	lockdep_assert_held(&fwgate_mutex);
	e = entry_find(&store.rec, group);
	return e ? be64_to_cpu(e->floor) : 0;
}

int fwgate_state_target_get(const char *name, u32 *state, u64 *version, u8 *id)
{
	struct fwgate_state_entry *e;

	lockdep_assert_held(&fwgate_mutex);
	e = entry_find(&store.rec, name);
	if (!e)
		return -ENOENT;
	*state = be32_to_cpu(e->state);
	*version = be64_to_cpu(e->last_version);
	memcpy(id, e->last_id, FWGATE_ID_LEN);
	return 0;
}

/* Updates build the next record in a copy, so a failed write changes nothing. */
static struct fwgate_state_record *record_next(void)
{
	struct fwgate_state_record *next = kmalloc(sizeof(*next), GFP_KERNEL);

	if (next)
		*next = store.rec;
	return next;
}

/*
 * Records @t's state; a commit (@u_id given) also records the image and raises the group's floor.
 */
static int state_write(const struct fwgate_target *t, u32 state, const u8 *u_id, u64 version)
{
	struct fwgate_state_record *next;
	struct fwgate_state_entry *e, *g;
	int err = -ENOSPC;

	lockdep_assert_held(&fwgate_mutex);
	next = record_next();
	if (!next)
		return -ENOMEM;
	e = entry_get(next, t->name);
	g = u_id ? entry_get(next, t->group) : e;
	if (e && g) {
		e->state = cpu_to_be32(state);
		if (u_id) {
			e->last_version = cpu_to_be64(version);
			memcpy(e->last_id, u_id, FWGATE_ID_LEN);
			if (version > be64_to_cpu(g->floor))
				g->floor = cpu_to_be64(version);
		}
		err = record_write(next);
	}
	kfree(next);
	return err;
}

bool fwgate_state_sealed(u64 *epoch, u8 *digest)
{
	lockdep_assert_held(&fwgate_mutex);
	*epoch = be64_to_cpu(store.rec.sealed_epoch);
	memcpy(digest, store.rec.sealed_digest, FWGATE_ID_LEN);
	return *epoch;
}

int fwgate_state_seal(u64 epoch, const u8 *digest)
{
	struct fwgate_state_record *next;
	int err;

	lockdep_assert_held(&fwgate_mutex);
	if (!store.bdev)
		return -ENODEV;
	next = record_next();
	if (!next)
		return -ENOMEM;
	next->sealed_epoch = cpu_to_be64(epoch);
	memcpy(next->sealed_digest, digest, FWGATE_ID_LEN);
	err = record_write(next);
	kfree(next);
	if (!err)
		pr_info("policy epoch %llu sealed: %*phN\n", epoch, FWGATE_ID_LEN, digest);
	return err;
}

int fwgate_state_mark(const struct fwgate_target *t, u32 state)
{
	return state_write(t, state, NULL, 0);
}

int fwgate_state_commit(const struct fwgate_target *t, const u8 *u_id, u64 version)
{
	return state_write(t, FWGATE_TARGET_VALID, u_id, version);
}

/* Reads both copies; returns the index of the newer valid one, or -ENOENT. */
static int store_load(struct fwgate_state_record *best)
{
	struct fwgate_state_record *r;
	struct page *page;
	int copy, found = -ENOENT, err;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	r = page_address(page);
	for (copy = 0; copy < 2; copy++) {
		err = record_io(page, copy, false);
		if (err) {
			found = err;
			break;
		}
		if (!record_valid(r))
			continue;
		if (found < 0 || be64_to_cpu(r->seq) > be64_to_cpu(best->seq)) {
			*best = *r;
			found = copy;
		}
	}
	__free_page(page);
	return found;
}

static void store_release(void)
{
	if (store.bdev)
		fwgate_bdev_close(store.file, store.bdev, true);
	store.bdev = NULL;
	store.file = NULL;
	store.spec[0] = '\0';
}

int fwgate_state_attach(const char *spec)
{
	struct fwgate_state_record *loaded, *mem;
	struct fwgate_state_entry *e, *m;
	struct block_device *bdev, *old_bdev;
	struct file *file, *old_file;
	unsigned int old_copy;
	__be64 old_seq;
	dev_t devt;
	u64 size;
	u32 i;
	int err, copy;

	err = fwgate_resolve_block(spec, &devt, NULL, &size);
	if (err) {
		fwgate_set_error(err, "state_device: does not resolve to a block device");
		return err;
	}
	if (size < 2 * FWGATE_STATE_COPY_SIZE) {
		fwgate_set_error(-ENOSPC, "state_device: smaller than two 4 KiB copies");
		return -ENOSPC;
	}

	loaded = kmalloc(sizeof(*loaded), GFP_KERNEL);
	if (!loaded)
		return -ENOMEM;

	mutex_lock(&fwgate_mutex);
	if (fwgate_locked) {
		err = -EPERM;
		fwgate_set_error(err, "state_device: policy is locked");
		goto out_unlock;
	}
	/* The new store replaces the old one only once it is read. */
	old_file = store.file;
	old_bdev = store.bdev;
	if (old_bdev && old_bdev->bd_dev == devt) {
		err = 0;	/* already attached */
		goto out_unlock;
	}
	err = fwgate_bdev_open(devt, &store, &file, &bdev);
	if (err) {
		fwgate_set_error(err, "state_device: can not claim the device");
		goto out_unlock;
	}
	store.file = file;
	store.bdev = bdev;

	copy = store_load(loaded);
	if (copy == -ENOENT) {
		record_init(loaded);
		copy = 1;	/* so the first write goes to copy 0 */
	} else if (copy < 0) {
		err = -EIO;
		fwgate_set_error(err, "state_device: read failed");
		goto out_restore;
	}

	/* Floors only rise: keep what was recorded in memory before. */
	mem = &store.rec;
	for (i = 0; i < be32_to_cpu(mem->count); i++) {
		m = &mem->entry[i];
		e = entry_get(loaded, m->name);
		if (e && be64_to_cpu(m->floor) > be64_to_cpu(e->floor))
			e->floor = m->floor;
	}
	old_copy = store.copy;
	old_seq = store.rec.seq;
	store.copy = copy;
	store.rec.seq = loaded->seq;
	err = record_write(loaded);
	if (err) {
		store.copy = old_copy;
		store.rec.seq = old_seq;
		goto out_restore;
	}
	if (old_bdev)
		fwgate_bdev_close(old_file, old_bdev, true);
	strscpy(store.spec, spec, sizeof(store.spec));
	pr_info("state store %s: record %llu, %u entries, sealed epoch %llu\n", spec,
		be64_to_cpu(store.rec.seq), be32_to_cpu(store.rec.count),
		be64_to_cpu(store.rec.sealed_epoch));
	goto out_unlock;

out_restore:
	fwgate_bdev_close(file, bdev, true);
	store.file = old_file;
	store.bdev = old_bdev;
out_unlock:
	mutex_unlock(&fwgate_mutex);
	kfree(loaded);
	return err;
}

/*
 * The store is claimed, exclusively and with writes restricted where the
 * kernel can, from the moment it is attached; at the lock it must also be
 * free of shared writable mappings made before that.
 */
int fwgate_state_claim(struct fwgate_request *req)
{
	const char *msg;
	int err;

	lockdep_assert_held(&fwgate_mutex);
	err = fwgate_bdev_settle(store.bdev);
	if (err) {
		msg = err == -EBUSY ? "lock: the state store is mapped shared and writable" :
		      "lock: the state store failed to write back its page cache";
		fwgate_refuse_str(req, msg);
		fwgate_set_error(err, msg);
	}
	return err;
}

bool fwgate_state_attached(void)
{
	return store.bdev;
}

const char *fwgate_state_spec(void)
{
	return store.spec;
}

int fwgate_state_init(void)
{
	record_init(&store.rec);
	store.copy = 1;
	return 0;
}

void fwgate_state_exit(void)
{
	store_release();
}
