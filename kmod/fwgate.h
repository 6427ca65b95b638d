/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of fwgate.ko. One global mutex, fwgate_mutex, guards
 * the policy, the update table, the targets and the state store; the data
 * path of an install runs without it, on a target it has claimed.
 */
#ifndef _FWGATE_H
#define _FWGATE_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/completion.h>
#include <linux/mm.h>
#include <uapi/linux/fwgate.h>

struct sk_buff;
struct genl_info;
struct mtd_info;
struct block_device;
struct file;

extern struct mutex fwgate_mutex;

/*
 * Counts changes that a dump shows (updates, targets, their state), so that a
 * dump which spans one is flagged NLM_F_DUMP_INTR. Starts at 1: 0 means "not
 * checked" to the netlink core.
 */
extern unsigned int fwgate_dump_seq;

/**
 * fwgate_dump_changed() - note a change that dumps show
 *
 * Call with fwgate_mutex held whenever an update, a target or the state store
 * changes.
 */
static inline void fwgate_dump_changed(void)
{
	lockdep_assert_held(&fwgate_mutex);
	fwgate_dump_seq = fwgate_dump_seq + 1 ?: 1;
}

/* ------------------------------------------------------------- requests */

/**
 * struct fwgate_request - a netlink request being served
 * @extack: the sender's extended ack
 * @attrs: the request's top-level attributes by type, or NULL
 * @checker: policy-set: the nest of each checker key, in the policy's order
 * @msg: why the request was refused, or NULL
 *
 * A refusal sets @msg and the sender's extack together, so that last_error
 * and the refusal's event carry the message the sender got. Sysfs writes pass
 * no request.
 */
struct fwgate_request {
	struct netlink_ext_ack *extack;
	struct nlattr **attrs;
	const struct nlattr *checker[FWGATE_MAX_CHECKERS];
	const char *msg;
};

/**
 * fwgate_refuse() - refuse a request, pointing at the attribute at fault
 * @req: the request, or NULL (then nothing is recorded)
 * @attr: the attribute at fault, or NULL
 * @why: the message, a string literal
 */
#define fwgate_refuse(req, attr, why) do {				\
	struct fwgate_request *__req = (req);				\
									\
	if (__req) {							\
		NL_SET_ERR_MSG_ATTR(__req->extack, attr, why);		\
		__req->msg = why;					\
	}								\
} while (0)

/**
 * fwgate_refuse_str() - refuse a request with a message made at run time
 * @req: the request, or NULL (then nothing is recorded)
 * @why: the message; it must outlive the request (a target's refusal)
 */
void fwgate_refuse_str(struct fwgate_request *req, const char *why);

/**
 * fwgate_require() - refuse a request that lacks a required attribute
 * @req: the request
 * @nest: the nest @tb was parsed from, or NULL for the top level
 * @tb: the parsed attributes
 * @type: the required attribute's type; the extack names it
 * @why: the message, a string literal
 *
 * Return: true, with @req refused, when @tb lacks @type.
 */
#define fwgate_require(req, nest, tb, type, why) ({			\
	struct fwgate_request *__r = (req);				\
	bool __missing = NL_REQ_ATTR_CHECK(__r->extack, nest, tb, type); \
									\
	if (__missing)							\
		fwgate_refuse(__r, NULL, why);				\
	__missing;							\
})

/**
 * fwgate_req_attr() - a request's top-level attribute, for a refusal to point at
 * @req: the request, or NULL
 * @type: the attribute's type
 *
 * Return: the attribute, or NULL without a request or without the attribute.
 */
static inline const struct nlattr *fwgate_req_attr(const struct fwgate_request *req, int type)
{
	return req && req->attrs ? req->attrs[type] : NULL;
}

/* ---------------------------------------------------------------- policy */

/**
 * struct fwgate_key - a public key of the trust policy
 * @alg: an &enum fwgate_key_alg
 * @len: the length of @data
 * @id: SHA-256 of @data
 * @data: the key's encoding (see &enum fwgate_key_alg)
 */
struct fwgate_key {
	u32 alg;
	u32 len;
	u8 id[FWGATE_ID_LEN];
	u8 data[FWGATE_MAX_KEY_LEN];
};

/**
 * struct fwgate_policy - the device's trust policy
 * @manufacturer: the manufacturer's key
 * @checkers: the k checker keys
 * @k: the number of checker keys
 * @threshold: q, the approvals an update needs: floor(k/2)+1 to k
 * @otype: the device type
 * @device_id: this device's id
 * @epoch: the policy's epoch, 1 for the genesis policy
 * @digest: SHA-256 of the policy's canonical encoding (kmod/policy-encoding.h),
 *	epoch included; device type and id are not part of it
 */
struct fwgate_policy {
	struct fwgate_key manufacturer;
	struct fwgate_key checkers[FWGATE_MAX_CHECKERS];
	u32 k;
	u32 threshold;
	char otype[FWGATE_NAME_LEN];
	u8 device_id[FWGATE_ID_LEN];
	u64 epoch;
	u8 digest[FWGATE_ID_LEN];
};

/* Both NULL/false until provisioned; written under fwgate_mutex. */
extern struct fwgate_policy *fwgate_policy;
extern bool fwgate_locked;

/**
 * fwgate_majority() - the rejections that reject an update, and the least q
 * @k: the number of checkers
 *
 * Return: floor(@k/2)+1.
 */
static inline u32 fwgate_majority(u32 k)
{
	return k / 2 + 1;
}

/**
 * fwgate_policy_replace() - check a policy and make it the device's
 * @p: the new policy, from kmalloc; taken over whatever the outcome
 * @req: the policy-set request, for refusals
 *
 * Forgets every tracked update: their verdicts were counted against the old
 * keys.
 *
 * Return: 0, -EINVAL for a policy of the wrong shape, -EOPNOTSUPP for a
 * P-256 key without ECDSA, -EPERM once locked.
 */
int fwgate_policy_replace(struct fwgate_policy *p, struct fwgate_request *req);

/**
 * fwgate_policy_lock() - lock the policy, the targets and the state store until reboot
 * @req: the policy-lock request, or NULL from sysfs
 *
 * Return: 0 (also when already locked), -ENOKEY without a policy, -ENODEV
 * without a state store.
 */
int fwgate_policy_lock(struct fwgate_request *req);

/**
 * fwgate_checker_index() - find a checker key by its id
 * @p: the policy
 * @id: the key id
 *
 * Return: the key's index in @p->checkers, or -ENOENT.
 */
int fwgate_checker_index(const struct fwgate_policy *p, const u8 *id);

/**
 * fwgate_policy_exit() - free the policy at module exit
 */
void fwgate_policy_exit(void);

/* ---------------------------------------------------------------- anchor */

/**
 * fwgate_policy_digest() - compute a checked policy's digest
 * @p: the policy, its keys checked by fwgate_key_check(); @p->digest is set
 *
 * Return: 0 or -ENOMEM.
 */
int fwgate_policy_digest(struct fwgate_policy *p);

/**
 * fwgate_anchor_check() - refuse a policy that is not the sealed one
 * @p: the policy
 * @req: the request, for refusals
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0 when the state store holds no anchor or @p is the sealed
 * policy; -EPERM, the message naming the sealed epoch and digest, otherwise.
 */
int fwgate_anchor_check(const struct fwgate_policy *p, struct fwgate_request *req);

/**
 * fwgate_anchor_lock() - at the policy lock: seal the policy, or check it is the sealed one
 * @p: the policy in force
 * @req: the lock request, or NULL from sysfs
 *
 * Call with fwgate_mutex held, the state store attached.
 *
 * Return: 0, -EPERM when @p is not the sealed policy, -EIO when sealing
 * failed to write.
 */
int fwgate_anchor_lock(const struct fwgate_policy *p, struct fwgate_request *req);

/**
 * fwgate_updates_rejudge() - judge the tracked updates by a new policy
 * @old: the policy that counted their verdicts
 * @new: the policy now in force
 *
 * Verdicts of checkers that @new lacks stop counting; an approved update
 * that no longer has @new's threshold of approvals is pending again. A
 * rejected update stays rejected.
 *
 * Call with fwgate_mutex held.
 */
void fwgate_updates_rejudge(const struct fwgate_policy *old, const struct fwgate_policy *new);

/* ---------------------------------------------------------------- crypto */

/**
 * fwgate_key_check() - check a key's shape and id
 * @key: the key; its id is set to SHA-256 of its data
 * @attr: the key's nest, for refusals
 * @req: the request, for refusals
 *
 * Return: 0, -EINVAL for a key of the wrong shape or whose given id is not
 * SHA-256 of its data, -EOPNOTSUPP for a P-256 key without ECDSA.
 */
int fwgate_key_check(struct fwgate_key *key, const struct nlattr *attr,
		     struct fwgate_request *req);

/**
 * fwgate_sig_verify() - verify a signature over a message with the kernel's crypto
 * @key: the key, checked by fwgate_key_check()
 * @msg: the signed message
 * @len: its length
 * @sig: the signature
 * @sig_len: its length
 *
 * Return: 0 for a good signature, -EINVAL when @sig can not be one for @key
 * (wrong length), -EKEYREJECTED when it does not verify.
 */
int fwgate_sig_verify(const struct fwgate_key *key, const void *msg, size_t len,
		      const u8 *sig, u32 sig_len);

/**
 * fwgate_have_ecdsa() - whether this kernel verifies ECDSA P-256
 *
 * Return: true when the kernel was built with CONFIG_CRYPTO_ECDSA.
 */
bool fwgate_have_ecdsa(void);

/* ------------------------------------------------------------- approvals */

/**
 * struct fwgate_update - a tracked update and its verdicts
 * @node: in the update table
 * @stmt: the manufacturer's statement, verified
 * @approved_by: bitmap of the policy checker indices that approved it
 * @rejected_by: bitmap of those that rejected it
 * @state: an &enum fwgate_update_state
 */
struct fwgate_update {
	struct list_head node;
	struct fwgate_update_stmt stmt;
	u32 approved_by;
	u32 rejected_by;
	u32 state;
};

/**
 * struct fwgate_verdict - a checker's verdict as a bundle carries it
 * @kind: an &enum fwgate_verdict_kind
 * @checker: the checker's key id
 * @report: SHA-256 of the checker's report
 * @sig: the checker's signature over the &struct fwgate_verdict_stmt
 * @sig_len: its length
 * @attr: the verdict's nest, for refusals
 */
struct fwgate_verdict {
	u32 kind;
	const u8 *checker;
	const u8 *report;
	const u8 *sig;
	u32 sig_len;
	const struct nlattr *attr;
};

/**
 * struct fwgate_bundle_result - what an accepted bundle did
 * @accepted: verdicts newly recorded
 * @ignored: verdicts that counted zero (unknown checker, already recorded)
 */
struct fwgate_bundle_result {
	u32 accepted;
	u32 ignored;
};

/**
 * fwgate_bundle_submit() - verify a bundle and record it whole, or not at all
 * @stmt: the update statement
 * @msig: the manufacturer's signature over it
 * @msig_len: its length
 * @v: the verdicts
 * @nv: their number
 * @out: set to the update recorded
 * @res: set to what the bundle did
 * @req: the bundle-submit request, for refusals
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0, or the errno of a refusal (see Documentation/fwgate/kernel.rst).
 */
int fwgate_bundle_submit(const struct fwgate_update_stmt *stmt,
			 const u8 *msig, u32 msig_len,
			 const struct fwgate_verdict *v, unsigned int nv,
			 struct fwgate_update **out,
			 struct fwgate_bundle_result *res,
			 struct fwgate_request *req);

/**
 * fwgate_update_find() - find a tracked update
 * @u_id: its U_id
 *
 * Call with fwgate_mutex held.
 *
 * Return: the update, or NULL.
 */
struct fwgate_update *fwgate_update_find(const u8 *u_id);

/**
 * fwgate_update_nth() - the @n-th tracked update, for a dump that resumes at an index
 * @n: the index
 *
 * Call with fwgate_mutex held.
 *
 * Return: the update, or NULL past the last.
 */
struct fwgate_update *fwgate_update_nth(unsigned long n);

/**
 * fwgate_updates_flush() - forget every tracked update
 *
 * Call with fwgate_mutex held.
 */
void fwgate_updates_flush(void);

/**
 * fwgate_approval_init() - set up the update table at module load
 *
 * Return: 0 or -ENOMEM.
 */
int fwgate_approval_init(void);

/**
 * fwgate_approval_exit() - free the update table at module exit
 */
void fwgate_approval_exit(void);

/* -------------------------------------------------------------- controls */

/**
 * enum fwgate_control_kind - what a control statement does, from its magic
 * @FWGATE_CONTROL_WITHDRAW: %FWGATE_MAGIC_WITHDRAW: withdraws the update
 * @FWGATE_CONTROL_PAUSE: %FWGATE_MAGIC_PAUSE: pauses its rollout
 * @FWGATE_CONTROL_RESUME: %FWGATE_MAGIC_RESUME: resumes its rollout
 */
enum fwgate_control_kind {
	FWGATE_CONTROL_WITHDRAW = 1,
	FWGATE_CONTROL_PAUSE,
	FWGATE_CONTROL_RESUME,
};

/**
 * struct fwgate_control_sig - one signature over a control statement
 * @signer: the signer's key id
 * @sig: the signature
 * @sig_len: its length
 * @attr: its nest, for refusals
 */
struct fwgate_control_sig {
	const u8 *signer;
	const u8 *sig;
	u32 sig_len;
	const struct nlattr *attr;
};

/**
 * fwgate_control_submit() - verify a control statement and apply it
 * @s: the statement
 * @sig: its signatures
 * @n: their number
 * @out: set to the update it names, or NULL when the kernel does not track it
 * @req: the update-control request, for refusals
 *
 * A withdrawal makes the update WITHDRAWN and cancels an install of it in
 * progress; a pause or resume with a higher seq replaces the one in force.
 * Call with fwgate_mutex held.
 *
 * Return: 0, or the errno of a refusal (see Documentation/fwgate/kernel.rst).
 */
int fwgate_control_submit(const struct fwgate_control_stmt *s,
			  const struct fwgate_control_sig *sig, unsigned int n,
			  struct fwgate_update **out, struct fwgate_request *req);

/**
 * fwgate_control_begin() - whether control statements let an install begin
 * @u_id: the update
 * @reason: set to why not
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0, -EKEYREVOKED for a withdrawn update, -EAGAIN for a paused one.
 */
int fwgate_control_begin(const u8 *u_id, const char **reason);

/**
 * fwgate_control_withdrawn() - whether an update was withdrawn
 * @u_id: the update
 *
 * Call with fwgate_mutex held.
 *
 * Return: true once a verified withdrawal named it.
 */
bool fwgate_control_withdrawn(const u8 *u_id);

/**
 * fwgate_control_get() - an update's pause state, for dumps
 * @u_id: the update
 * @paused: set to whether a pause is in force
 * @seq: set to the seq of the pause or resume in force, 0 if none
 *
 * Call with fwgate_mutex held.
 */
void fwgate_control_get(const u8 *u_id, bool *paused, u64 *seq);

/**
 * fwgate_controls_flush() - forget every control statement
 *
 * Their signatures were verified against the policy being replaced. Call
 * with fwgate_mutex held.
 */
void fwgate_controls_flush(void);

/**
 * fwgate_install_cancel() - cancel the install of a withdrawn update
 * @u_id: the update
 *
 * The install's next write or its commit fails with -ECANCELED and leaves
 * the target INVALID. Call with fwgate_mutex held.
 */
void fwgate_install_cancel(const u8 *u_id);

/* --------------------------------------------------------------- targets */

/**
 * struct fwgate_target - a declared target: a partition an image may be written to
 * @kobj: its directory, targets/<name>/
 * @node: in fwgate_targets
 * @name: its name
 * @group: the group statements name; the rollback floor is the group's
 * @spec: the device spec as declared
 * @type: an &enum fwgate_target_type
 * @devt: block: the partition; MTD: /dev/mtdN
 * @disk_devt: the whole disk or the MTD master
 * @mtd_index: MTD: the device's index
 * @size: the device's size in bytes
 * @claim_file: from the policy lock until module exit, block, on kernels that
 *	open block devices as files: the lock's claim
 * @claim_bdev: block: the device the lock claimed exclusively
 * @claim_mtd: MTD: the device the lock holds, read-only to everyone else
 * @refusal: why this target refused the lock, for last_error
 */
struct fwgate_target {
	struct kobject kobj;
	struct list_head node;
	char name[FWGATE_NAME_LEN];
	char group[FWGATE_NAME_LEN];
	char spec[FWGATE_MAX_SPEC_LEN];
	u32 type;
	dev_t devt;
	dev_t disk_devt;
	int mtd_index;
	u64 size;
	struct file *claim_file;
	struct block_device *claim_bdev;
	struct mtd_info *claim_mtd;
	char refusal[128];
};

/**
 * struct fwgate_io - a target opened for I/O, claimed exclusively for the whole install
 * @target: the target
 * @bdev_file: block, on kernels that open block devices as files
 * @bdev: block: the device
 * @mtd: MTD: what MTD I/O goes through (the master, after the lock)
 * @mtd_base: MTD: the target's offset in @mtd
 * @mtd_unlock: MTD: set MTD_WRITEABLE again only around each of our writes
 * @borrowed: the lock's claim, not this install's to close
 * @align: the write unit: the logical sector or the MTD write size
 *
 * Before the lock an install claims the target itself; after it, it goes
 * through the lock's claim.
 */
struct fwgate_io {
	struct fwgate_target *target;
	struct file *bdev_file;
	struct block_device *bdev;
	struct mtd_info *mtd;
	u64 mtd_base;
	bool mtd_unlock;
	bool borrowed;
	u32 align;
};

/* One chunk of the hash list, 1 MiB: one bio of BIO_MAX_VECS 4 KiB pages. */
#define FWGATE_CHUNK_SIZE	FWGATE_CHUNK_LEN
#define FWGATE_CHUNK_PAGES	(FWGATE_CHUNK_SIZE / PAGE_SIZE)

/**
 * struct fwgate_chunk - a buffer of the image stream, written asynchronously to block targets
 * @pages: its pages
 * @done: completed when its write ends
 * @err: the write's result
 * @in_flight: a write is under way
 */
struct fwgate_chunk {
	struct page *pages[FWGATE_CHUNK_PAGES];
	struct completion done;
	int err;
	bool in_flight;
};

extern struct list_head fwgate_targets;

/**
 * fwgate_target_find() - find a declared target
 * @name: its name
 *
 * Call with fwgate_mutex held.
 *
 * Return: the target, or NULL.
 */
struct fwgate_target *fwgate_target_find(const char *name);

/**
 * fwgate_target_declare() - declare a target, from a write to targets/add
 * @line: "NAME SPEC [GROUP]"
 *
 * Return: 0, or a negative errno (kept as last_error).
 */
int fwgate_target_declare(const char *line);

/**
 * fwgate_resolve_block() - resolve a block device spec once
 * @spec: a device path, PARTLABEL=, PARTUUID=
 * @devt: set to the partition
 * @disk_devt: set to its whole disk
 * @size: set to the partition's size in bytes
 *
 * Return: 0 or a negative errno.
 */
int fwgate_resolve_block(const char *spec, dev_t *devt, dev_t *disk_devt, u64 *size);

/**
 * fwgate_io_open() - open a target for an install, claiming it exclusively
 * @t: the target
 * @holder: the claim's holder
 * @io: filled in
 *
 * Return: 0 or a negative errno.
 */
int fwgate_io_open(struct fwgate_target *t, void *holder, struct fwgate_io *io);

/**
 * fwgate_io_close() - release a target opened by fwgate_io_open()
 * @io: the open target
 */
void fwgate_io_close(struct fwgate_io *io);

/**
 * fwgate_io_invalidate() - make a target unrecognisable before the stream starts
 * @io: the open target
 * @len: the image's length
 *
 * Block targets lose their first 4 KiB; MTD targets have the eraseblocks the
 * image will use erased.
 *
 * Return: 0 or a negative errno.
 */
int fwgate_io_invalidate(struct fwgate_io *io, u64 len);

/**
 * fwgate_io_submit() - write a chunk of the image
 * @io: the open target
 * @c: the chunk, completed when the write ends
 * @off: the device offset
 * @pages: the data
 * @len: its length, a multiple of @io->align
 *
 * Block writes complete asynchronously (fwgate_io_wait()), MTD writes before
 * this returns.
 */
void fwgate_io_submit(struct fwgate_io *io, struct fwgate_chunk *c, u64 off,
		      struct page **pages, unsigned int len);

/**
 * fwgate_io_wait() - wait for a chunk's write
 * @c: the chunk
 *
 * Return: the write's result.
 */
int fwgate_io_wait(struct fwgate_chunk *c);

/**
 * fwgate_io_flush() - make a target's writes durable
 * @io: the open target
 *
 * Return: 0 or a negative errno.
 */
int fwgate_io_flush(struct fwgate_io *io);

/**
 * fwgate_targets_claim() - at the policy lock, make every target fwgate's until module exit
 * @req: the lock request, or NULL from sysfs
 *
 * Call with fwgate_mutex held. All or nothing: a refused lock leaves no
 * target claimed.
 *
 * Return: 0, or a negative errno (-EBUSY: mounted, held, or mapped shared
 * and writable) with last_error naming the target.
 */
int fwgate_targets_claim(struct fwgate_request *req);

/**
 * fwgate_targets_exit() - free the targets at module exit
 */
void fwgate_targets_exit(void);

/**
 * fwgate_bdev_open() - open a block device, for a target or the state store
 * @devt: the device
 * @holder: claims the device exclusively for writing; NULL: read only
 * @filep: set on kernels that open block devices as files
 * @bdevp: set to the device
 *
 * Return: 0 or a negative errno.
 */
int fwgate_bdev_open(dev_t devt, void *holder, struct file **filep,
		     struct block_device **bdevp);

/**
 * fwgate_bdev_close() - close a block device opened by fwgate_bdev_open()
 * @file: as fwgate_bdev_open() set it
 * @bdev: as fwgate_bdev_open() set it
 * @excl: it was opened with a holder
 */
void fwgate_bdev_close(struct file *file, struct block_device *bdev, bool excl);

/**
 * fwgate_bdev_settle() - make a claimed device fwgate's alone
 * @bdev: the claimed device
 *
 * Return: 0; -EBUSY when something maps it shared and writable; or the
 * errno of writing back its page cache.
 */
int fwgate_bdev_settle(struct block_device *bdev);

/**
 * fwgate_bdev_rw() - synchronous I/O on a block device
 * @bdev: the device
 * @off: the offset
 * @pages: the data
 * @len: its length, a multiple of 512
 * @write: write, else read
 *
 * Return: 0 or a negative errno.
 */
int fwgate_bdev_rw(struct block_device *bdev, u64 off, struct page **pages,
		   unsigned int len, bool write);

/* ----------------------------------------------------------- state store */

/**
 * fwgate_floor() - a group's rollback floor
 * @group: the group
 *
 * Call with fwgate_mutex held.
 *
 * Return: the floor; 0 before the group's first install.
 */
u64 fwgate_floor(const char *group);

/**
 * fwgate_state_target_get() - a target's recorded state
 * @name: the target
 * @state: set to an &enum fwgate_target_state
 * @version: set to the version last committed
 * @id: set to the U_id last committed
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0, or -ENOENT when nothing is recorded for @name.
 */
int fwgate_state_target_get(const char *name, u32 *state, u64 *version, u8 *id);

/**
 * fwgate_state_mark() - record a target's state
 * @t: the target
 * @state: an &enum fwgate_target_state
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0 or a negative errno; a failed write changes nothing.
 */
int fwgate_state_mark(const struct fwgate_target *t, u32 state);

/**
 * fwgate_state_commit() - record a committed install and raise the group's floor
 * @t: the target
 * @u_id: the image committed
 * @version: its version
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0 or a negative errno; a failed write changes nothing.
 */
int fwgate_state_commit(const struct fwgate_target *t, const u8 *u_id, u64 version);

/**
 * fwgate_state_sealed() - the trust anchor the state store holds
 * @epoch: set to the sealed policy's epoch, 0 without an anchor
 * @digest: set to its digest, zero without an anchor
 *
 * Call with fwgate_mutex held.
 *
 * Return: true when the store holds an anchor.
 */
bool fwgate_state_sealed(u64 *epoch, u8 *digest);

/**
 * fwgate_state_seal() - seal a policy into the state store
 * @epoch: its epoch, at least 1
 * @digest: its digest
 *
 * The same two-copy write as every record: a power cut leaves the previous
 * anchor or this one.
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0, -ENODEV without a store, or the errno of the write; a failed
 * write changes nothing.
 */
int fwgate_state_seal(u64 epoch, const u8 *digest);

/**
 * fwgate_state_attach() - declare the rollback state store, from state_device
 * @spec: the block device's spec
 *
 * Return: 0, or a negative errno (kept as last_error).
 */
int fwgate_state_attach(const char *spec);

/**
 * fwgate_state_claim() - at the policy lock, check the state store's claim
 * @req: the lock request, or NULL from sysfs
 *
 * Call with fwgate_mutex held.
 *
 * Return: 0, or -EBUSY when the store is mapped shared and writable.
 */
int fwgate_state_claim(struct fwgate_request *req);

/**
 * fwgate_state_attached() - whether a state store is declared
 *
 * Return: true once one is.
 */
bool fwgate_state_attached(void);

/**
 * fwgate_state_spec() - the state store's spec as declared
 *
 * Return: the spec, "" before one is declared.
 */
const char *fwgate_state_spec(void);

/**
 * fwgate_state_init() - set up the in-memory state record at module load
 *
 * Return: 0.
 */
int fwgate_state_init(void);

/**
 * fwgate_state_exit() - release the state store at module exit
 */
void fwgate_state_exit(void);

/* --------------------------------------------------------------- netlink */

/**
 * fwgate_genl_init() - register the generic netlink family
 *
 * Return: 0 or a negative errno.
 */
int fwgate_genl_init(void);

/**
 * fwgate_genl_exit() - unregister the generic netlink family
 */
void fwgate_genl_exit(void);

/**
 * fwgate_notify_install() - announce on "events" that an install ended or was refused
 * @t: the target, or NULL when the refusal came before one was found
 * @u_id: the install request's U_id
 * @version: the install request's version
 * @err: 0 for a committed install, else the refusal's negative errno
 * @reason: why it was refused, or NULL
 */
void fwgate_notify_install(const struct fwgate_target *t, const u8 *u_id,
			   u64 version, int err, const char *reason);

/* ----------------------------------------------------------------- sysfs */

extern struct kobject *fwgate_kobj;
extern struct kset *fwgate_targets_kset;
extern const struct kobj_type fwgate_target_ktype;

/**
 * struct fwgate_counters - counts since the module was loaded, in counters/
 * @approvals_accepted: verdicts newly recorded
 * @approvals_refused: bundles refused
 * @writes_committed: installs committed
 * @writes_refused: installs refused or ended without committing
 * @bytes_written: bytes accepted by write() on /dev/fwgate
 */
struct fwgate_counters {
	atomic64_t approvals_accepted;
	atomic64_t approvals_refused;
	atomic64_t writes_committed;
	atomic64_t writes_refused;
	atomic64_t bytes_written;
};

extern struct fwgate_counters fwgate_counters;

/**
 * fwgate_set_error() - keep a refusal as last_error
 * @err: its negative errno
 * @msg: its message
 */
void fwgate_set_error(int err, const char *msg);

/**
 * fwgate_sysfs_init() - create /sys/kernel/fwgate
 *
 * Return: 0 or a negative errno.
 */
int fwgate_sysfs_init(void);

/**
 * fwgate_sysfs_exit() - remove /sys/kernel/fwgate
 */
void fwgate_sysfs_exit(void);

/* ---------------------------------------------------------------- device */

/**
 * fwgate_device_init() - create /dev/fwgate
 *
 * Return: 0 or a negative errno.
 */
int fwgate_device_init(void);

/**
 * fwgate_device_exit() - remove /dev/fwgate
 */
void fwgate_device_exit(void);

#endif /* _FWGATE_H */
