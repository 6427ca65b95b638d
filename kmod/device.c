// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/fwgate: the only way to write an image to a target. BEGIN checks the
 * approval, the floor, the size and the image's hash list (its digest is the
 * approved statement's chunks field) before any byte is written. write()
 * buffers the stream a 1 MiB chunk at a time and submits a chunk only once
 * its SHA-256 is the list's entry, so no byte the list does not name reaches
 * the target; the first page is held back until COMMIT, which writes it
 * only when every chunk was written.
 */
#include <linux/kernel.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <crypto/hash.h>

#include "fwgate.h"

struct install {
	struct fwgate_io io;
	struct fwgate_target *target;
	u8 u_id[FWGATE_ID_LEN];
	u64 size;
	u64 version;
	u64 written;			/* bytes accepted so far */
	u64 chunk_off;			/* stream offset of the filling chunk */
	unsigned int fill;		/* bytes in the filling chunk */
	unsigned int cur;		/* the filling chunk */
	struct fwgate_chunk chunk[2];	/* one fills while the other writes */
	struct page *head;		/* the first page, written at commit */
	int err;			/* first failure; commit then fails */
	const char *reason;		/* why, when it is not an I/O error */
	bool io_failed;			/* err is the target's: a write failed */
	bool cancelled;			/* withdrawn: fwgate_install_cancel() */
	u8 *chunks;			/* the hash list, one digest a chunk */
	struct shash_desc *hash;	/* of the filling chunk */
};

/* Guarded by fwgate_mutex: at most one install in the whole system. */
static bool install_running;
/* The install running, for fwgate_install_cancel(); guarded by fwgate_mutex. */
static struct install *running;

static void install_free(struct install *s)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(s->chunk); i++)
		for (j = 0; j < FWGATE_CHUNK_PAGES; j++)
			if (s->chunk[i].pages[j])
				__free_page(s->chunk[i].pages[j]);
	if (s->head)
		__free_page(s->head);
	kvfree(s->chunks);
	if (s->hash) {
		crypto_free_shash(s->hash->tfm);
		kfree_sensitive(s->hash);
	}
	kfree(s);
}

static struct install *install_alloc(void)
{
	struct crypto_shash *tfm;
	struct install *s;
	unsigned int i, j;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(s->chunk); i++) {
		init_completion(&s->chunk[i].done);
		for (j = 0; j < FWGATE_CHUNK_PAGES; j++) {
			s->chunk[i].pages[j] = alloc_page(GFP_KERNEL);
			if (!s->chunk[i].pages[j])
				goto err;
		}
	}
	s->head = alloc_page(GFP_KERNEL);
	if (!s->head)
		goto err;
	tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(tfm))
		goto err;
	s->hash = kzalloc(sizeof(*s->hash) + crypto_shash_descsize(tfm), GFP_KERNEL);
	if (!s->hash) {
		crypto_free_shash(tfm);
		goto err;
	}
	s->hash->tfm = tfm;
	return s;
err:
	install_free(s);
	return NULL;
}

static int refuse(struct fwgate_target *t, const u8 *u_id, u64 version,
		  int err, const char *reason)
{
	atomic64_inc(&fwgate_counters.writes_refused);
	fwgate_set_error(err, reason);
	fwgate_notify_install(t, u_id, version, err, reason);
	return err;
}

/* Checks the request against the policy; called with fwgate_mutex held. */
static int begin_check(const struct fwgate_install_begin *b,
		       struct fwgate_target **tp, struct fwgate_update **up,
		       const char **reason)
{
	struct fwgate_update *u;
	struct fwgate_target *t;
	int err;

	*tp = NULL;
	if (install_running) {
		*reason = "another install is running";
		return -EBUSY;
	}
	if (!fwgate_policy) {
		*reason = "no trust policy is set";
		return -ENOKEY;
	}
	t = fwgate_target_find(b->target);
	if (!t) {
		*reason = "no such target";
		return -ENODEV;
	}
	*tp = t;
	err = fwgate_control_begin(b->u_id, reason);
	if (err)
		return err;
	u = fwgate_update_find(b->u_id);
	if (!u || u->state != FWGATE_UPDATE_APPROVED) {
		*reason = u && u->state == FWGATE_UPDATE_REJECTED ?
			  "update was rejected by a majority of checkers" :
			  "update is not approved by a quorum of checkers";
		return -EACCES;
	}
	if (memcmp(u->stmt.m_id, fwgate_policy->manufacturer.id, FWGATE_ID_LEN)) {
		*reason = "update is signed by a manufacturer key the policy no longer holds";
		return -EKEYREJECTED;
	}
	if (strcmp(u->stmt.target, t->group)) {
		*reason = "update is approved for another target group";
		return -EXDEV;
	}
	if (b->size != be64_to_cpu(u->stmt.size) ||
	    b->version != be64_to_cpu(u->stmt.version)) {
		*reason = "size or version differ from the approved statement";
		return -EINVAL;
	}
	if (b->version <= fwgate_floor(t->group)) {
		*reason = "version is at or below the rollback floor";
		return -ESTALE;
	}
	if (b->size > t->size) {
		*reason = "image is larger than the target";
		return -EFBIG;
	}
	*up = u;
	return 0;
}

/*
 * Copies the hash list in and checks it against the statement; @b->size is
 * the approved one, at most the target's, which bounds the list.
 */
static int chunks_load(struct install *s, const struct fwgate_install_begin *b,
		       const struct fwgate_update *u, const char **reason)
{
	struct fwgate_chunks_hdr hdr = { .magic = FWGATE_MAGIC_CHUNKS };
	u64 len = DIV_ROUND_UP(b->size, FWGATE_CHUNK_SIZE) * FWGATE_ID_LEN;
	u8 digest[FWGATE_ID_LEN];
	int err;

	if (b->chunks_len != len) {
		*reason = "hash list is not one SHA-256 per 1 MiB chunk of the image";
		return -EINVAL;
	}
	s->chunks = kvmalloc(len, GFP_KERNEL);
	if (!s->chunks)
		return -ENOMEM;
	if (copy_from_user(s->chunks, u64_to_user_ptr(b->chunks), len)) {
		*reason = "hash list is not readable";
		return -EFAULT;
	}
	hdr.chunk_len = cpu_to_be32(FWGATE_CHUNK_SIZE);
	err = crypto_shash_init(s->hash) ?:
	      crypto_shash_update(s->hash, (u8 *)&hdr, sizeof(hdr)) ?:
	      crypto_shash_finup(s->hash, s->chunks, len, digest) ?:
	      crypto_shash_init(s->hash);
	if (err) {
		*reason = "hashing the hash list failed";
		return err;
	}
	if (memcmp(digest, u->stmt.chunks, FWGATE_ID_LEN)) {
		*reason = "hash list does not match the approved statement's chunks digest";
		return -EBADMSG;
	}
	return 0;
}

static int install_end(struct install **sp, bool commit);

static long install_begin(struct install **sp, void __user *arg)
{
	struct fwgate_install_begin b;
	struct fwgate_update *u;
	struct fwgate_target *t;
	const char *reason = "out of memory";
	struct install *s;
	int err;

	if (copy_from_user(&b, arg, sizeof(b)))
		return -EFAULT;
	if (b.flags || b.reserved || !memchr(b.target, '\0', sizeof(b.target))) {
		fwgate_set_error(-EINVAL, "install: flags, reserved or target name malformed");
		return -EINVAL;
	}
	if (*sp)
		return refuse(NULL, b.u_id, b.version, -EBUSY,
			      "this file already holds an install");

	s = install_alloc();
	if (!s)
		return -ENOMEM;

	mutex_lock(&fwgate_mutex);
	err = begin_check(&b, &t, &u, &reason);
	if (!err)
		err = chunks_load(s, &b, u, &reason);
	if (!err) {
		err = fwgate_io_open(t, s, &s->io);
		if (err)
			reason = "target is mounted or in use";
	}
	if (!err) {
		err = fwgate_state_mark(t, FWGATE_TARGET_WRITING);
		if (err) {
			reason = "state store write failed";
			fwgate_io_close(&s->io);
		}
	}
	if (err) {
		mutex_unlock(&fwgate_mutex);
		install_free(s);
		return refuse(t, b.u_id, b.version, err, reason);
	}
	memcpy(s->u_id, b.u_id, sizeof(s->u_id));
	install_running = true;
	running = s;
	mutex_unlock(&fwgate_mutex);

	s->target = t;
	s->size = b.size;
	s->version = b.version;
	*sp = s;
	err = fwgate_io_invalidate(&s->io, s->size);
	if (err)
		install_end(sp, false);
	return err;
}

/* Fills the bytes of the last write unit past the image end. */
static void pad_tail(struct install *s, struct page **pages, unsigned int fill,
		     unsigned int *len)
{
	unsigned int end = round_up(fill, s->io.align);
	u8 pad = s->io.mtd ? 0xff : 0;

	while (fill < end) {
		unsigned int off = fill % PAGE_SIZE;
		unsigned int n = min(end - fill, (unsigned int)PAGE_SIZE - off);

		memset(page_address(pages[fill / PAGE_SIZE]) + off, pad, n);
		fill += n;
	}
	*len = end;
}

/* Compares the filling chunk's digest with its entry in the hash list. */
static int chunk_verify(struct install *s)
{
	const u8 *want = s->chunks + s->chunk_off / FWGATE_CHUNK_SIZE * FWGATE_ID_LEN;
	u8 digest[FWGATE_ID_LEN];
	int err;

	err = crypto_shash_final(s->hash, digest) ?: crypto_shash_init(s->hash);
	if (err)
		return err;
	if (memcmp(digest, want, FWGATE_ID_LEN)) {
		s->reason = "a chunk of the stream does not match the approved hash list";
		return -EILSEQ;
	}
	return 0;
}

/* Waits for @c's write; its failure is the install's first unless one came before. */
static void chunk_settle(struct install *s, struct fwgate_chunk *c)
{
	int err = fwgate_io_wait(c);

	if (err && !s->err) {
		s->err = err;
		s->io_failed = true;
	}
}

/*
 * Sends the filling chunk to the target once it verified, and switches to
 * the other one. A chunk that does not verify is never submitted.
 */
static void chunk_flush(struct install *s, bool last)
{
	struct fwgate_chunk *c = &s->chunk[s->cur];
	unsigned int first = 0, len = s->fill;
	struct page *tmp;
	int err;

	err = chunk_verify(s);
	if (err) {
		s->err = err;
		return;
	}
	if (last)
		pad_tail(s, c->pages, s->fill, &len);
	if (s->chunk_off == 0) {
		/* The head is written last, at commit. */
		tmp = s->head;
		s->head = c->pages[0];
		c->pages[0] = tmp;
		first = 1;
		len = len > PAGE_SIZE ? len - PAGE_SIZE : 0;
	}
	if (len)
		fwgate_io_submit(&s->io, c, s->chunk_off + first * PAGE_SIZE,
				 c->pages + first, len);

	s->chunk_off += FWGATE_CHUNK_SIZE;
	s->fill = 0;
	s->cur ^= 1;
	chunk_settle(s, &s->chunk[s->cur]);
}

static ssize_t install_write(struct install *s, const char __user *buf, size_t len)
{
	size_t done = 0;
	void *dst;
	unsigned int off, n;
	int err;

	if (READ_ONCE(s->cancelled) && !s->err) {
		s->err = -ECANCELED;
		s->reason = "update was withdrawn during the install";
	}
	if (s->err) {
		err = s->err;
		goto out;
	}
	if (len > s->size - s->written) {
		err = -EFBIG;
		s->err = err;
		fwgate_set_error(err, "install: write past the declared size");
		goto out;
	}
	while (done < len) {
		off = s->fill % PAGE_SIZE;
		n = min_t(size_t, len - done, PAGE_SIZE - off);
		dst = page_address(s->chunk[s->cur].pages[s->fill / PAGE_SIZE]) + off;
		if (copy_from_user(dst, buf + done, n)) {
			err = -EFAULT;
			s->err = err;
			goto out;
		}
		err = crypto_shash_update(s->hash, dst, n);
		if (err) {
			s->err = err;
			goto out;
		}
		s->fill += n;
		s->written += n;
		done += n;
		if (s->fill == FWGATE_CHUNK_SIZE) {
			chunk_flush(s, false);
			if (s->err) {
				err = s->err;
				goto out;
			}
		}
	}
	atomic64_add(done, &fwgate_counters.bytes_written);
	err = 0;
out:
	return err ? err : done;
}

static int head_write(struct install *s)
{
	unsigned int len = min_t(u64, s->size, PAGE_SIZE);
	struct fwgate_chunk *c = &s->chunk[0];	/* idle by now */
	int err;

	pad_tail(s, &s->head, len, &len);
	err = fwgate_io_flush(&s->io);
	if (err)
		return err;
	fwgate_io_submit(&s->io, c, 0, &s->head, len);
	err = fwgate_io_wait(c);
	return err ?: fwgate_io_flush(&s->io);
}

/*
 * Ends the session in *@sp; a failed or aborted one leaves the target INVALID.
 * A commit fails with -EBADMSG when the stream is not the approved image,
 * and with -EIO when the device failed a write: the image may be fine, so
 * the caller may try again.
 */
static int install_end(struct install **sp, bool commit)
{
	struct install *s = *sp;
	const char *reason = NULL;
	struct fwgate_update *u;
	int err = 0, why = -EBADMSG;

	if (READ_ONCE(s->cancelled) && !s->err) {
		s->err = -ECANCELED;
		s->reason = "update was withdrawn during the install";
	}
	if (commit) {
		if (!s->err && s->written != s->size)
			reason = "stream is shorter than the declared size";
		if (!s->err && !reason && s->fill)
			chunk_flush(s, true);
	}
	/* Aborted or not, no bio may still read the pages install_free() gives back. */
	chunk_settle(s, &s->chunk[0]);
	chunk_settle(s, &s->chunk[1]);
	if (commit) {
		if (s->err && !reason) {
			if (s->reason) {
				reason = s->reason;
				why = s->err;
			} else {
				reason = s->io_failed ? "write to the target failed" :
					 "the stream was refused before commit";
				why = s->io_failed ? -EIO : -EBADMSG;
			}
		}
	} else {
		reason = s->reason ?: "install aborted";
		if (s->err == -ECANCELED)
			why = s->err;
	}

	mutex_lock(&fwgate_mutex);
	/* A withdrawal sets cancelled under the mutex: this is the last word on it. */
	if (!reason && READ_ONCE(s->cancelled)) {
		reason = "update was withdrawn during the install";
		why = -ECANCELED;
	}
	if (!reason) {
		u = fwgate_update_find(s->u_id);
		if (!u || u->state != FWGATE_UPDATE_APPROVED ||
		    memcmp(u->stmt.m_id, fwgate_policy->manufacturer.id, FWGATE_ID_LEN))
			reason = "update lost its approval during the install";
	}
	if (!reason && head_write(s)) {
		reason = "write to the target failed";
		why = -EIO;
	}
	if (!reason && fwgate_state_commit(s->target, s->u_id, s->version)) {
		reason = "state store write failed";
		why = -EIO;
	}

	if (reason) {
		/* Best effort: the destroyed head already marks the target. */
		fwgate_state_mark(s->target, FWGATE_TARGET_INVALID);
		err = commit ? why : 0;
		refuse(s->target, s->u_id, s->version, why, reason);
	} else {
		atomic64_inc(&fwgate_counters.writes_committed);
		fwgate_notify_install(s->target, s->u_id, s->version, 0, NULL);
		pr_info("installed version %llu on %s\n", s->version, s->target->name);
	}
	install_running = false;
	running = NULL;
	fwgate_io_close(&s->io);
	mutex_unlock(&fwgate_mutex);

	*sp = NULL;
	install_free(s);
	return err;
}

static void install_status(struct install *s, struct fwgate_install_status *st)
{
	memset(st, 0, sizeof(*st));
	if (s) {
		st->size = s->size;
		st->written = s->written;
		st->state = s->err ? FWGATE_TARGET_INVALID : FWGATE_TARGET_WRITING;
	}
}

void fwgate_install_cancel(const u8 *u_id)
{
	lockdep_assert_held(&fwgate_mutex);
	if (running && !memcmp(running->u_id, u_id, FWGATE_ID_LEN))
		WRITE_ONCE(running->cancelled, true);
}

/* Per open file; its lock serialises the calls on one file. */
struct fwgate_file {
	struct mutex lock;		/* serialises the calls on this file */
	struct install *install;
};

static int fwgate_open(struct inode *inode, struct file *file)
{
	struct fwgate_file *f;

	/* The mode keeps out other users; this keeps out root without the capability. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static ssize_t fwgate_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	struct fwgate_file *f = file->private_data;
	ssize_t ret;

	mutex_lock(&f->lock);
	ret = f->install ? install_write(f->install, buf, len) : -EBADFD;
	/* A chunk the list does not name, or a withdrawal, ends the install there and then. */
	if (ret == -EILSEQ || ret == -ECANCELED)
		install_end(&f->install, false);
	mutex_unlock(&f->lock);
	return ret;
}

static long fwgate_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fwgate_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct fwgate_install_status st;
	long ret;

	mutex_lock(&f->lock);
	switch (cmd) {
	case FWGATE_IOC_BEGIN:
		ret = install_begin(&f->install, uarg);
		break;
	case FWGATE_IOC_COMMIT:
	case FWGATE_IOC_ABORT:
		ret = f->install ? install_end(&f->install, cmd == FWGATE_IOC_COMMIT) :
				   -EBADFD;
		break;
	case FWGATE_IOC_STATUS:
		install_status(f->install, &st);
		ret = copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int fwgate_release(struct inode *inode, struct file *file)
{
	struct fwgate_file *f = file->private_data;

	if (f->install)
		install_end(&f->install, false);
	kfree(f);
	return 0;
}

static const struct file_operations fwgate_fops = {
	.owner		= THIS_MODULE,
	.open		= fwgate_open,
	.write		= fwgate_write,
	.unlocked_ioctl	= fwgate_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= fwgate_release,
};

static struct miscdevice fwgate_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= FWGATE_DEVICE_NAME,
	.fops	= &fwgate_fops,
	.mode	= 0600,
};

int fwgate_device_init(void)
{
	return misc_register(&fwgate_misc);
}

void fwgate_device_exit(void)
{
	misc_deregister(&fwgate_misc);
}
