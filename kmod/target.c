// SPDX-License-Identifier: GPL-2.0
/*
 * Targets: the block and MTD partitions an image may be written to. They are
 * declared before lock, resolved once, and claimed exclusively by an install.
 */
#include <linux/kernel.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/mtd/mtd.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwgate.h"
#include "compat.h"

LIST_HEAD(fwgate_targets);
static unsigned int nr_targets;

struct fwgate_target *fwgate_target_find(const char *name)
{
	struct fwgate_target *t;

	lockdep_assert_held(&fwgate_mutex);
	list_for_each_entry(t, &fwgate_targets, node)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* -------------------------------------------------------- block devices */

/*
 * A holder claims the device exclusively for writing, and keeps every other
 * writer out where the kernel can (COMPAT_BLK_OPEN_RESTRICT_WRITES); no
 * holder: read only.
 */
int fwgate_bdev_open(dev_t devt, void *holder, struct file **filep,
		     struct block_device **bdevp)
{
#ifdef COMPAT_HAVE_BDEV_FILE
	struct file *f;

	f = bdev_file_open_by_dev(devt, holder ? BLK_OPEN_READ | BLK_OPEN_WRITE |
				  COMPAT_BLK_OPEN_RESTRICT_WRITES : BLK_OPEN_READ,
				  holder, NULL);
	if (IS_ERR(f))
		return PTR_ERR(f);
	*filep = f;
	*bdevp = file_bdev(f);
#else
	struct block_device *b;

	b = blkdev_get_by_dev(devt, holder ? FMODE_READ | FMODE_WRITE | FMODE_EXCL :
			      FMODE_READ, holder);
	if (IS_ERR(b))
		return PTR_ERR(b);
	*filep = NULL;
	*bdevp = b;
#endif
	return 0;
}

void fwgate_bdev_close(struct file *file, struct block_device *bdev, bool excl)
{
#ifdef COMPAT_HAVE_BDEV_FILE
	bdev_fput(file);
#else
	blkdev_put(bdev, excl ? FMODE_READ | FMODE_WRITE | FMODE_EXCL : FMODE_READ);
#endif
}

/*
 * Makes a claimed device fwgate's alone: nothing may have it mapped shared
 * and writable (such a mapping writes without asking anyone), and what
 * others cached or left dirty before the claim is written back and dropped.
 * Done after the claim, so no new claimer can dirty it in between.
 */
int fwgate_bdev_settle(struct block_device *bdev)
{
	int err;

	if (mapping_writably_mapped(compat_bdev_mapping(bdev)))
		return -EBUSY;
	err = sync_blockdev(bdev);
	if (err)
		return err;
	invalidate_bdev(bdev);
	return 0;
}

static struct bio *bio_of_pages(struct block_device *bdev, u64 off,
				struct page **pages, unsigned int len,
				blk_opf_t opf)
{
	unsigned int nr = DIV_ROUND_UP(len, PAGE_SIZE), i, n;
	struct bio *bio;

	bio = bio_alloc(bdev, nr, opf, GFP_KERNEL);
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	for (i = 0; i < nr; i++) {
		n = min_t(unsigned int, len, PAGE_SIZE);
		__bio_add_page(bio, pages[i], n, 0);
		len -= n;
	}
	return bio;
}

/* Synchronous I/O of @len bytes (a multiple of 512) at @off. */
int fwgate_bdev_rw(struct block_device *bdev, u64 off, struct page **pages,
		   unsigned int len, bool write)
{
	struct bio *bio;
	int err;

	bio = bio_of_pages(bdev, off, pages, len, write ?
			   REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA :
			   REQ_OP_READ);
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

struct dev_scan {
	struct dir_context ctx;
	dev_t devt[256];
	unsigned int n;
};

static bool dev_scan_actor(struct dir_context *ctx, const char *name, int len,
			   loff_t off, u64 ino, unsigned int type)
{
	struct dev_scan *s = container_of(ctx, struct dev_scan, ctx);
	unsigned int maj, min;
	char buf[24];

	if (len >= sizeof(buf) || s->n >= ARRAY_SIZE(s->devt))
		return true;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (sscanf(buf, "%u:%u", &maj, &min) == 2)
		s->devt[s->n++] = MKDEV(maj, min);
	return true;
}

static bool bdev_matches(struct block_device *bdev, const char *key, const char *val)
{
	const struct partition_meta_info *info = bdev->bd_meta_info;

	if (!info)
		return false;
	if (!strcmp(key, "PARTUUID"))
		return !strcasecmp(info->uuid, val);
	return !strcmp(info->volname, val);
}

/*
 * PARTLABEL= and PARTUUID= are not resolvable through an exported kernel API
 * on every supported kernel, so walk /sys/dev/block, which names every block
 * device by its dev_t, and look at each one's partition metadata.
 */
static int resolve_by_meta(const char *key, const char *val, dev_t *devt)
{
	struct block_device *bdev;
	struct dev_scan *s;
	struct file *dir, *f;
	unsigned int i, found = 0;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	dir = filp_open("/sys/dev/block", O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(dir)) {
		err = PTR_ERR(dir);
		goto out;
	}
	s->ctx.actor = dev_scan_actor;
	err = iterate_dir(dir, &s->ctx);
	filp_close(dir, NULL);
	if (err)
		goto out;

	for (i = 0; i < s->n; i++) {
		if (fwgate_bdev_open(s->devt[i], NULL, &f, &bdev))
			continue;
		if (bdev_matches(bdev, key, val)) {
			*devt = s->devt[i];
			found++;
		}
		fwgate_bdev_close(f, bdev, false);
	}
	/* Two partitions with one label: refuse rather than guess. */
	err = found == 1 ? 0 : found ? -ENOTUNIQ : -ENOENT;
out:
	kfree(s);
	return err;
}

int fwgate_resolve_block(const char *spec, dev_t *devt, dev_t *disk_devt, u64 *size)
{
	struct block_device *bdev;
	struct file *f;
	int err;

	if (!strncmp(spec, "PARTLABEL=", 10))
		err = resolve_by_meta("PARTLABEL", spec + 10, devt);
	else if (!strncmp(spec, "PARTUUID=", 9))
		err = resolve_by_meta("PARTUUID", spec + 9, devt);
	else
		err = lookup_bdev(spec, devt);
	if (err)
		return err;

	err = fwgate_bdev_open(*devt, NULL, &f, &bdev);
	if (err)
		return err;
	*size = bdev_nr_bytes(bdev);
	if (disk_devt)
		*disk_devt = bdev->bd_disk->part0->bd_dev;
	fwgate_bdev_close(f, bdev, false);
	return 0;
}

static int resolve_block(struct fwgate_target *t)
{
	t->type = FWGATE_TARGET_BLOCK;
	return fwgate_resolve_block(t->spec, &t->devt, &t->disk_devt, &t->size);
}

/* ---------------------------------------------------------------- MTD */

static struct mtd_info *mtd_get(const struct fwgate_target *t)
{
	return get_mtd_device(NULL, t->mtd_index);
}

static int resolve_mtd(struct fwgate_target *t)
{
	struct mtd_info *mtd;
	unsigned int idx;

	if (!strncmp(t->spec, "mtd:", 4))
		mtd = get_mtd_device_nm(t->spec + 4);
	else if (sscanf(t->spec, "/dev/mtd%u", &idx) == 1)
		mtd = get_mtd_device(NULL, idx);
	else
		return -EINVAL;
	if (IS_ERR(mtd))
		return PTR_ERR(mtd);

	t->type = FWGATE_TARGET_MTD;
	t->mtd_index = mtd->index;
	/* The character devices, /dev/mtdN, that a guard must watch. */
	t->devt = MKDEV(MTD_CHAR_MAJOR, mtd->index * 2);
	t->disk_devt = MKDEV(MTD_CHAR_MAJOR, mtd_get_master(mtd)->index * 2);
	t->size = mtd->size;
	/* Tails are padded within a page: the write unit must divide it. */
	if (!(mtd->flags & MTD_WRITEABLE) || mtd->writesize > PAGE_SIZE ||
	    PAGE_SIZE % mtd->writesize) {
		put_mtd_device(mtd);
		return -EOPNOTSUPP;
	}
	put_mtd_device(mtd);
	return 0;
}

static bool is_mtd_spec(const char *spec)
{
	return !strncmp(spec, "mtd:", 4) || !strncmp(spec, "/dev/mtd", 8);
}

/* ---------------------------------------------------------- declaration */

static bool name_valid(const char *s)
{
	if (!*s || strlen(s) >= FWGATE_NAME_LEN || !strcmp(s, "add"))
		return false;
	for (; *s; s++)
		if (!isalnum(*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

/* "NAME SPEC [GROUP]", from targets/add. */
int fwgate_target_declare(const char *line)
{
	char name[FWGATE_NAME_LEN + 1], group[FWGATE_NAME_LEN + 1];
	char spec[FWGATE_MAX_SPEC_LEN + 1], extra[2];
	struct fwgate_target *t;
	int n, err;

	group[0] = '\0';
	n = sscanf(line, "%32s %128s %32s %1s", name, spec, group, extra);
	if (n < 2 || n > 3 || !name_valid(name) || strlen(spec) >= FWGATE_MAX_SPEC_LEN ||
	    (n == 3 && !name_valid(group))) {
		fwgate_set_error(-EINVAL,
				 "targets/add wants NAME SPEC [GROUP], names of [A-Za-z0-9_.-] under 32 bytes");
		return -EINVAL;
	}

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	strscpy(t->name, name, sizeof(t->name));
	strscpy(t->group, n == 3 ? group : name, sizeof(t->group));
	strscpy(t->spec, spec, sizeof(t->spec));

	err = is_mtd_spec(spec) ? resolve_mtd(t) : resolve_block(t);
	if (err) {
		fwgate_set_error(err,
				 "targets/add: the device spec does not resolve to one writable partition");
		kfree(t);
		return err;
	}

	mutex_lock(&fwgate_mutex);
	if (fwgate_locked) {
		err = -EPERM;
		fwgate_set_error(err, "targets/add: policy is locked");
	} else if (fwgate_target_find(t->name)) {
		err = -EEXIST;
		fwgate_set_error(err, "targets/add: a target of that name exists");
	} else if (nr_targets >= FWGATE_MAX_TARGETS) {
		err = -ENOSPC;
		fwgate_set_error(err, "targets/add: too many targets");
	} else {
		err = kobject_init_and_add(&t->kobj, &fwgate_target_ktype,
					   &fwgate_targets_kset->kobj, "%s", t->name);
		if (err) {
			kobject_put(&t->kobj);
			mutex_unlock(&fwgate_mutex);
			return err;
		}
		list_add_tail(&t->node, &fwgate_targets);
		fwgate_dump_changed();
		nr_targets++;
		kobject_uevent(&t->kobj, KOBJ_ADD);
	}
	mutex_unlock(&fwgate_mutex);
	if (err)
		kfree(t);
	else
		pr_info("target %s (group %s): %s, %llu bytes\n", t->name, t->group,
			t->spec, t->size);
	return err;
}

/* ---------------------------------------------------------------- claims */

/*
 * At the policy lock every target becomes fwgate's until module exit. A
 * block target is opened exclusively with the target as holder, so mount,
 * md, dm and bcache, which all claim their devices, get -EBUSY; where the
 * kernel restricts writes, a plain open for writing gets -EBUSY too.
 */
static int claim_block(struct fwgate_target *t)
{
	int err;

	err = fwgate_bdev_open(t->devt, t, &t->claim_file, &t->claim_bdev);
	if (err) {
		snprintf(t->refusal, sizeof(t->refusal), err == -EBUSY ?
			 "lock: target %s is mounted, part of an md/dm device or open for writing" :
			 "lock: target %s can not be claimed", t->name);
		t->claim_bdev = NULL;
		return err;
	}
	err = fwgate_bdev_settle(t->claim_bdev);
	if (err) {
		snprintf(t->refusal, sizeof(t->refusal), err == -EBUSY ?
			 "lock: target %s is mapped shared and writable" :
			 "lock: target %s failed to write back its page cache", t->name);
		fwgate_bdev_close(t->claim_file, t->claim_bdev, true);
		t->claim_bdev = NULL;
		t->claim_file = NULL;
	}
	return err;
}

/*
 * The MTD core has no exclusive open. A partition counts its users, so the
 * lock is refused while anyone else (/dev/mtdN, mtdblock, UBI) holds it;
 * then the partition loses MTD_WRITEABLE: mtdchar refuses opens for writing,
 * UBI attaches read-only, and every mtd_write or mtd_erase through it, from
 * mtdblock, jffs2 or an ioctl, fails with -EROFS. fwgate writes through the
 * master, whose flag stays. An unpartitioned master keeps no user count, and
 * fwgate sets its flag again only for the length of each of its own writes.
 */
static int claim_mtd(struct fwgate_target *t)
{
	struct mtd_info *mtd;

	mtd = get_mtd_device(NULL, t->mtd_index);
	if (IS_ERR(mtd)) {
		snprintf(t->refusal, sizeof(t->refusal), "lock: MTD target %s is gone", t->name);
		return PTR_ERR(mtd);
	}
	if (mtd_is_partition(mtd) && kref_read(&mtd->refcnt) > 2) {
		snprintf(t->refusal, sizeof(t->refusal),
			 "lock: MTD target %s is in use (open, mtdblock or UBI)", t->name);
		put_mtd_device(mtd);
		return -EBUSY;
	}
	mtd->flags &= ~MTD_WRITEABLE;
	t->claim_mtd = mtd;
	return 0;
}

static void claim_release(struct fwgate_target *t)
{
	if (t->claim_mtd) {
		t->claim_mtd->flags |= MTD_WRITEABLE;
		put_mtd_device(t->claim_mtd);
		t->claim_mtd = NULL;
	} else if (t->claim_bdev) {
		fwgate_bdev_close(t->claim_file, t->claim_bdev, true);
		t->claim_bdev = NULL;
		t->claim_file = NULL;
	}
}

/* All or nothing: a refused lock leaves no target claimed. */
int fwgate_targets_claim(struct fwgate_request *req)
{
	struct fwgate_target *t, *u;
	int err = 0;

	lockdep_assert_held(&fwgate_mutex);
	list_for_each_entry(t, &fwgate_targets, node) {
		err = t->type == FWGATE_TARGET_MTD ? claim_mtd(t) : claim_block(t);
		if (err)
			break;
	}
	if (!err)
		return 0;
	fwgate_refuse_str(req, t->refusal);
	fwgate_set_error(err, t->refusal);
	list_for_each_entry(u, &fwgate_targets, node) {
		if (u == t)
			break;
		claim_release(u);
	}
	return err;
}

void fwgate_targets_exit(void)
{
	struct fwgate_target *t, *tmp;

	list_for_each_entry_safe(t, tmp, &fwgate_targets, node) {
		claim_release(t);
		list_del(&t->node);
		kobject_put(&t->kobj);
	}
	nr_targets = 0;
}

/* ----------------------------------------------------------------- I/O */

int fwgate_io_open(struct fwgate_target *t, void *holder, struct fwgate_io *io)
{
	struct mtd_info *mtd;
	int err;

	memset(io, 0, sizeof(*io));
	io->target = t;
	if (t->claim_mtd) {
		mtd = t->claim_mtd;
		io->borrowed = true;
		io->mtd_unlock = !mtd_is_partition(mtd);
		io->mtd_base = mtd_get_master_ofs(mtd, 0);
		io->mtd = mtd_get_master(mtd);
		io->align = mtd->writesize;
		return 0;
	}
	if (t->claim_bdev) {
		io->borrowed = true;
		io->bdev_file = t->claim_file;
		io->bdev = t->claim_bdev;
		io->align = bdev_logical_block_size(io->bdev);
		return 0;
	}
	if (t->type == FWGATE_TARGET_MTD) {
		io->mtd = mtd_get(t);
		if (IS_ERR(io->mtd)) {
			err = PTR_ERR(io->mtd);
			io->mtd = NULL;
			return err;
		}
		/*
		 * A partition counts its users in refcnt: registration holds one
		 * reference and we one, so more means /dev/mtdN or UBI has it.
		 * Unpartitioned masters keep no such count.
		 */
		if (mtd_is_partition(io->mtd) && kref_read(&io->mtd->refcnt) > 2) {
			put_mtd_device(io->mtd);
			io->mtd = NULL;
			return -EBUSY;
		}
		io->align = io->mtd->writesize;
		return 0;
	}
	err = fwgate_bdev_open(t->devt, holder, &io->bdev_file, &io->bdev);
	if (err)
		return err;
	io->align = bdev_logical_block_size(io->bdev);
	return 0;
}

void fwgate_io_close(struct fwgate_io *io)
{
	if (io->mtd) {
		if (!io->borrowed)
			put_mtd_device(io->mtd);
	} else if (io->bdev) {
		/* Readers of the page cache must see what was written. */
		invalidate_bdev(io->bdev);
		if (!io->borrowed)
			fwgate_bdev_close(io->bdev_file, io->bdev, true);
	}
}

/* Lets fwgate's own write through a locked, unpartitioned MTD master. */
static void mtd_open_for_us(struct fwgate_io *io)
{
	if (io->mtd_unlock)
		io->mtd->flags |= MTD_WRITEABLE;
}

static void mtd_close_for_us(struct fwgate_io *io)
{
	if (io->mtd_unlock)
		io->mtd->flags &= ~MTD_WRITEABLE;
}

/*
 * Makes the target unrecognisable before the stream starts: block targets
 * lose their first 4 KiB, MTD targets have the eraseblocks the image will use
 * erased (an MTD write needs that anyway).
 */
int fwgate_io_invalidate(struct fwgate_io *io, u64 len)
{
	struct page *zero;
	int err;

	if (io->mtd) {
		struct erase_info ei = {
			.addr = io->mtd_base,
			.len = roundup(len, io->mtd->erasesize),
		};

		if (ei.len > io->target->size)
			return -EFBIG;
		mtd_open_for_us(io);
		err = mtd_erase(io->mtd, &ei);
		mtd_close_for_us(io);
		return err;
	}

	zero = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!zero)
		return -ENOMEM;
	invalidate_bdev(io->bdev);
	err = fwgate_bdev_rw(io->bdev, 0, &zero, min_t(u64, PAGE_SIZE, io->target->size), true);
	__free_page(zero);
	return err;
}

static void chunk_end_io(struct bio *bio)
{
	struct fwgate_chunk *c = bio->bi_private;

	c->err = blk_status_to_errno(bio->bi_status);
	bio_put(bio);
	complete(&c->done);
}

/*
 * Writes @len bytes from @pages at device offset @off, completing @c. Block
 * writes complete asynchronously (fwgate_io_wait), MTD writes before this
 * returns. @len must be a multiple of io->align.
 */
void fwgate_io_submit(struct fwgate_io *io, struct fwgate_chunk *c, u64 off,
		      struct page **pages, unsigned int len)
{
	struct bio *bio;
	unsigned int i, n;
	size_t retlen;

	reinit_completion(&c->done);
	c->err = 0;
	c->in_flight = true;

	if (io->mtd) {
		off += io->mtd_base;
		for (i = 0; len && !c->err; i++) {
			n = min_t(unsigned int, len, PAGE_SIZE);
			mtd_open_for_us(io);
			c->err = mtd_write(io->mtd, off, n, &retlen, page_address(pages[i]));
			mtd_close_for_us(io);
			if (!c->err && retlen != n)
				c->err = -EIO;
			off += n;
			len -= n;
		}
		complete(&c->done);
		return;
	}

	bio = bio_of_pages(io->bdev, off, pages, len, REQ_OP_WRITE);
	bio->bi_private = c;
	bio->bi_end_io = chunk_end_io;
	submit_bio(bio);
}

int fwgate_io_wait(struct fwgate_chunk *c)
{
	if (!c->in_flight)
		return 0;
	wait_for_completion(&c->done);
	c->in_flight = false;
	return c->err;
}

int fwgate_io_flush(struct fwgate_io *io)
{
	if (io->mtd) {
		mtd_sync(io->mtd);
		return 0;
	}
	return blkdev_issue_flush(io->bdev);
}
