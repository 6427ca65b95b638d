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

/* ---------------------------------------------------------------- policy */

struct fwgate_key {
	u32 alg;
	u32 len;
	u8 id[FWGATE_ID_LEN];
	u8 data[FWGATE_MAX_KEY_LEN];
};

struct fwgate_policy {
	struct fwgate_key manufacturer;
	struct fwgate_key checkers[FWGATE_MAX_CHECKERS];
	u32 k;
	u32 threshold;
	char otype[FWGATE_NAME_LEN];
	u8 device_id[FWGATE_ID_LEN];
};

/* Both NULL/false until provisioned; written under fwgate_mutex. */
extern struct fwgate_policy *fwgate_policy;
extern bool fwgate_locked;

static inline u32 fwgate_majority(u32 k)
{
	return k / 2 + 1;
}

int fwgate_policy_replace(struct fwgate_policy *p, struct netlink_ext_ack *extack);
int fwgate_policy_lock(struct netlink_ext_ack *extack);
int fwgate_checker_index(const struct fwgate_policy *p, const u8 *id);
void fwgate_policy_exit(void);

/* ---------------------------------------------------------------- crypto */

int fwgate_key_check(struct fwgate_key *key, struct netlink_ext_ack *extack);
int fwgate_sig_verify(const struct fwgate_key *key, const void *msg, size_t len,
		      const u8 *sig, u32 sig_len);
int fwgate_sha256(const void *data, size_t len, u8 *out);
bool fwgate_have_ecdsa(void);

/* ------------------------------------------------------------- approvals */

struct fwgate_update {
	struct list_head node;
	struct fwgate_update_stmt stmt;
	u32 approved_by;	/* bitmap of policy checker indices */
	u32 rejected_by;
	u32 state;		/* enum fwgate_update_state */
};

struct fwgate_verdict {
	u32 kind;
	const u8 *checker;
	const u8 *report;
	const u8 *sig;
	u32 sig_len;
	const struct nlattr *attr;	/* for extack */
};

struct fwgate_bundle_result {
	u32 accepted;
	u32 ignored;
};

int fwgate_bundle_submit(const struct fwgate_update_stmt *stmt,
			 const u8 *msig, u32 msig_len,
			 const struct fwgate_verdict *v, unsigned int nv,
			 struct fwgate_update **out,
			 struct fwgate_bundle_result *res,
			 struct netlink_ext_ack *extack);
struct fwgate_update *fwgate_update_find(const u8 *u_id);
struct fwgate_update *fwgate_update_nth(unsigned long n);
void fwgate_updates_flush(void);
int fwgate_approval_init(void);
void fwgate_approval_exit(void);

/* --------------------------------------------------------------- targets */

struct fwgate_target {
	struct kobject kobj;
	struct list_head node;
	char name[FWGATE_NAME_LEN];
	char group[FWGATE_NAME_LEN];
	char spec[FWGATE_MAX_SPEC_LEN];
	u32 type;			/* enum fwgate_target_type */
	dev_t devt;			/* block: the partition; mtd: /dev/mtdN */
	dev_t disk_devt;		/* the whole disk or MTD master */
	int mtd_index;			/* mtd */
	u64 size;
};

/* A target opened for I/O: exclusively claimed for the whole install. */
struct fwgate_io {
	struct fwgate_target *target;
	struct file *bdev_file;		/* kernels with bdev files */
	struct block_device *bdev;
	struct mtd_info *mtd;
	u32 align;			/* write unit: sector or MTD writesize */
};

/* One chunk of the hash list, 1 MiB: one bio of BIO_MAX_VECS 4 KiB pages. */
#define FWGATE_CHUNK_SIZE	FWGATE_CHUNK_LEN
#define FWGATE_CHUNK_PAGES	(FWGATE_CHUNK_SIZE / PAGE_SIZE)

/* A buffer of the image stream, written asynchronously to block targets. */
struct fwgate_chunk {
	struct page *pages[FWGATE_CHUNK_PAGES];
	struct completion done;
	int err;
	bool in_flight;
};

extern struct list_head fwgate_targets;

struct fwgate_target *fwgate_target_find(const char *name);
int fwgate_target_declare(const char *line);
int fwgate_resolve_block(const char *spec, dev_t *devt, dev_t *disk_devt, u64 *size);
int fwgate_io_open(struct fwgate_target *t, void *holder, struct fwgate_io *io);
void fwgate_io_close(struct fwgate_io *io);
int fwgate_io_invalidate(struct fwgate_io *io, u64 len);
void fwgate_io_submit(struct fwgate_io *io, struct fwgate_chunk *c, u64 off,
		      struct page **pages, unsigned int len);
int fwgate_io_wait(struct fwgate_chunk *c);
int fwgate_io_flush(struct fwgate_io *io);
void fwgate_targets_exit(void);

/* Block helpers shared by targets and the state store. */
int fwgate_bdev_open(dev_t devt, void *holder, struct file **filep,
		     struct block_device **bdevp);
void fwgate_bdev_close(struct file *file, struct block_device *bdev, bool excl);
int fwgate_bdev_rw(struct block_device *bdev, u64 off, struct page **pages,
		   unsigned int len, bool write);

/* ----------------------------------------------------------- state store */

u64 fwgate_floor(const char *group);
int fwgate_state_target_get(const char *name, u32 *state, u64 *version, u8 *id);
int fwgate_state_mark(const struct fwgate_target *t, u32 state);
int fwgate_state_commit(const struct fwgate_target *t, const u8 *u_id, u64 version);
int fwgate_state_attach(const char *spec);
bool fwgate_state_attached(void);
const char *fwgate_state_spec(void);
int fwgate_state_init(void);
void fwgate_state_exit(void);

/* --------------------------------------------------------------- netlink */

int fwgate_genl_init(void);
void fwgate_genl_exit(void);
void fwgate_notify_approval(const struct fwgate_update *u,
			    const struct fwgate_bundle_result *res,
			    int err, const char *reason);
void fwgate_notify_install(const struct fwgate_target *t, const u8 *u_id,
			   u64 version, int err, const char *reason);

/* ----------------------------------------------------------------- sysfs */

extern struct kobject *fwgate_kobj;
extern struct kset *fwgate_targets_kset;
extern const struct kobj_type fwgate_target_ktype;

struct fwgate_counters {
	atomic64_t approvals_accepted;
	atomic64_t approvals_refused;
	atomic64_t writes_committed;
	atomic64_t writes_refused;
	atomic64_t bytes_written;
};

extern struct fwgate_counters fwgate_counters;

void fwgate_set_error(int err, const char *msg);
int fwgate_sysfs_init(void);
void fwgate_sysfs_exit(void);

/* ---------------------------------------------------------------- device */

int fwgate_device_init(void);
void fwgate_device_exit(void);

#endif /* _FWGATE_H */
