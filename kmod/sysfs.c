// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/fwgate: the policy, the counters, the last error, the state
 * store and the targets, one value per file. Documentation/ABI/testing/
 * sysfs-kernel-fwgate describes each file.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "fwgate.h"

struct kobject *fwgate_kobj;
struct kset *fwgate_targets_kset;
struct fwgate_counters fwgate_counters;

static DEFINE_SPINLOCK(error_lock);
static char last_error[160];

void fwgate_set_error(int err, const char *msg)
{
	spin_lock(&error_lock);
	snprintf(last_error, sizeof(last_error), "%d %s", err, msg);
	spin_unlock(&error_lock);
}

/* Writes of a sysfs string come with a trailing newline. */
static char *line_dup(const char *buf, size_t len)
{
	char *s = kstrndup(buf, len, GFP_KERNEL);

	if (s)
		strim(s);
	return s;
}

/* ------------------------------------------------------------- top level */

static ssize_t last_error_show(struct kobject *kobj, struct kobj_attribute *a, char *buf)
{
	ssize_t n;

	spin_lock(&error_lock);
	n = sysfs_emit(buf, "%s\n", last_error);
	spin_unlock(&error_lock);
	return n;
}

static ssize_t state_device_show(struct kobject *kobj, struct kobj_attribute *a, char *buf)
{
	ssize_t n;

	mutex_lock(&fwgate_mutex);
	n = sysfs_emit(buf, "%s\n", fwgate_state_spec());
	mutex_unlock(&fwgate_mutex);
	return n;
}

static ssize_t state_device_store(struct kobject *kobj, struct kobj_attribute *a,
				  const char *buf, size_t len)
{
	char *spec = line_dup(buf, len);
	int err;

	if (!spec)
		return -ENOMEM;
	err = fwgate_state_attach(spec);
	kfree(spec);
	return err ?: len;
}

static struct kobj_attribute last_error_attr = __ATTR_RO(last_error);
static struct kobj_attribute state_device_attr = __ATTR_RW_MODE(state_device, 0600);

static struct attribute *top_attrs[] = {
	&last_error_attr.attr,
	&state_device_attr.attr,
	NULL
};

static const struct attribute_group top_group = {
	.attrs = top_attrs,
};

/* ---------------------------------------------------------------- policy */

enum policy_field {
	P_K, P_THRESHOLD, P_OTYPE, P_DEVICE_ID, P_MANUFACTURER_ID, P_CHECKER_IDS, P_EPOCH, P_DIGEST,
	P_SEALED_EPOCH, P_SEALED_DIGEST,
};

static ssize_t policy_emit(char *buf, enum policy_field f)
{
	const struct fwgate_policy *p;
	u8 digest[FWGATE_ID_LEN];
	ssize_t n = 0;
	u64 epoch;
	u32 i;

	mutex_lock(&fwgate_mutex);
	p = fwgate_policy;
	/* The anchor is the store's: shown with or without a policy. */
	if (f == P_SEALED_EPOCH || f == P_SEALED_DIGEST) {
		fwgate_state_sealed(&epoch, digest);
		n = f == P_SEALED_EPOCH ? sysfs_emit(buf, "%llu\n", epoch) :
		    sysfs_emit(buf, "%*phN\n", FWGATE_ID_LEN, digest);
		goto out;
	}
	if (!p) {
		n = sysfs_emit(buf, "\n");
		goto out;
	}
	switch (f) {
	case P_K:
		n = sysfs_emit(buf, "%u\n", p->k);
		break;
	case P_THRESHOLD:
		n = sysfs_emit(buf, "%u\n", p->threshold);
		break;
	case P_OTYPE:
		n = sysfs_emit(buf, "%s\n", p->otype);
		break;
	case P_DEVICE_ID:
		n = sysfs_emit(buf, "%*phN\n", FWGATE_ID_LEN, p->device_id);
		break;
	case P_MANUFACTURER_ID:
		n = sysfs_emit(buf, "%*phN\n", FWGATE_ID_LEN, p->manufacturer.id);
		break;
	case P_CHECKER_IDS:
		for (i = 0; i < p->k; i++)
			n += sysfs_emit_at(buf, n, "%*phN\n", FWGATE_ID_LEN, p->checkers[i].id);
		break;
	case P_EPOCH:
		n = sysfs_emit(buf, "%llu\n", p->epoch);
		break;
	case P_DIGEST:
		n = sysfs_emit(buf, "%*phN\n", FWGATE_ID_LEN, p->digest);
		break;
	default:
		break;
	}
out:
	mutex_unlock(&fwgate_mutex);
	return n;
}

#define POLICY_ATTR(name, field)						\
static ssize_t name##_show(struct kobject *kobj, struct kobj_attribute *a,	\
			   char *buf)						\
{										\
	return policy_emit(buf, field);						\
}										\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

POLICY_ATTR(k, P_K);
POLICY_ATTR(threshold, P_THRESHOLD);
POLICY_ATTR(otype, P_OTYPE);
POLICY_ATTR(device_id, P_DEVICE_ID);
POLICY_ATTR(manufacturer_id, P_MANUFACTURER_ID);
POLICY_ATTR(checker_ids, P_CHECKER_IDS);
POLICY_ATTR(epoch, P_EPOCH);
POLICY_ATTR(digest, P_DIGEST);
POLICY_ATTR(sealed_epoch, P_SEALED_EPOCH);
POLICY_ATTR(sealed_digest, P_SEALED_DIGEST);

static ssize_t locked_show(struct kobject *kobj, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(fwgate_locked));
}

static ssize_t locked_store(struct kobject *kobj, struct kobj_attribute *a,
			    const char *buf, size_t len)
{
	bool lock;
	int err;

	err = kstrtobool(buf, &lock);
	if (err || !lock) {
		fwgate_set_error(-EINVAL, "policy/locked: only 1 can be written");
		return -EINVAL;
	}
	err = fwgate_policy_lock(NULL);
	/* A refused claim has said which device refused. */
	if (err == -ENOKEY || err == -ENODEV)
		fwgate_set_error(err, err == -ENOKEY ? "policy/locked: no policy to lock" :
				 "policy/locked: no rollback state store declared");
	return err ?: len;
}

static struct kobj_attribute locked_attr = __ATTR_RW_MODE(locked, 0600);

static struct attribute *policy_attrs[] = {
	&k_attr.attr,
	&threshold_attr.attr,
	&otype_attr.attr,
	&device_id_attr.attr,
	&manufacturer_id_attr.attr,
	&checker_ids_attr.attr,
	&epoch_attr.attr,
	&digest_attr.attr,
	&sealed_epoch_attr.attr,
	&sealed_digest_attr.attr,
	&locked_attr.attr,
	NULL
};

static const struct attribute_group policy_group = {
	.name = "policy",
	.attrs = policy_attrs,
};

/* -------------------------------------------------------------- counters */

#define COUNTER_ATTR(name)							\
static ssize_t name##_show(struct kobject *kobj, struct kobj_attribute *a,	\
			   char *buf)						\
{										\
	return sysfs_emit(buf, "%lld\n", atomic64_read(&fwgate_counters.name));	\
}										\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

COUNTER_ATTR(approvals_accepted);
COUNTER_ATTR(approvals_refused);
COUNTER_ATTR(writes_committed);
COUNTER_ATTR(writes_refused);
COUNTER_ATTR(bytes_written);

static struct attribute *counter_attrs[] = {
	&approvals_accepted_attr.attr,
	&approvals_refused_attr.attr,
	&writes_committed_attr.attr,
	&writes_refused_attr.attr,
	&bytes_written_attr.attr,
	NULL
};

static const struct attribute_group counter_group = {
	.name = "counters",
	.attrs = counter_attrs,
};

static const struct attribute_group *fwgate_groups[] = {
	&top_group,
	&policy_group,
	&counter_group,
	NULL
};

/* --------------------------------------------------------------- targets */

static ssize_t add_store(struct kobject *kobj, struct kobj_attribute *a,
			 const char *buf, size_t len)
{
	char *line = line_dup(buf, len);
	int err;

	if (!line)
		return -ENOMEM;
	err = fwgate_target_declare(line);
	kfree(line);
	return err ?: len;
}

static struct kobj_attribute add_attr = __ATTR_WO(add);

#define to_target(k) container_of(k, struct fwgate_target, kobj)

enum target_field { T_SPEC, T_TYPE, T_GROUP, T_SIZE, T_FLOOR, T_LAST_UID,
		    T_LAST_VERSION, T_STATE, T_DEV, T_DISK_DEV };

static const char *const target_states[] = {
	[FWGATE_TARGET_UNKNOWN]	= "unknown",
	[FWGATE_TARGET_VALID]	= "valid",
	[FWGATE_TARGET_WRITING]	= "writing",
	[FWGATE_TARGET_INVALID]	= "invalid",
};

static ssize_t target_emit(struct fwgate_target *t, char *buf, enum target_field f)
{
	u8 id[FWGATE_ID_LEN] = {};
	u32 state = FWGATE_TARGET_UNKNOWN;
	u64 version = 0;
	ssize_t n = 0;

	mutex_lock(&fwgate_mutex);
	fwgate_state_target_get(t->name, &state, &version, id);
	switch (f) {
	case T_SPEC:
		n = sysfs_emit(buf, "%s\n", t->spec);
		break;
	case T_TYPE:
		n = sysfs_emit(buf, "%s\n", t->type == FWGATE_TARGET_MTD ? "mtd" : "block");
		break;
	case T_GROUP:
		n = sysfs_emit(buf, "%s\n", t->group);
		break;
	case T_SIZE:
		n = sysfs_emit(buf, "%llu\n", t->size);
		break;
	case T_FLOOR:
		n = sysfs_emit(buf, "%llu\n", fwgate_floor(t->group));
		break;
	case T_LAST_UID:
		n = sysfs_emit(buf, "%*phN\n", FWGATE_ID_LEN, id);
		break;
	case T_LAST_VERSION:
		n = sysfs_emit(buf, "%llu\n", version);
		break;
	case T_STATE:
		n = sysfs_emit(buf, "%s\n", state < ARRAY_SIZE(target_states) ?
			       target_states[state] : "unknown");
		break;
	case T_DEV:
		n = sysfs_emit(buf, "%u:%u\n", MAJOR(t->devt), MINOR(t->devt));
		break;
	case T_DISK_DEV:
		n = sysfs_emit(buf, "%u:%u\n", MAJOR(t->disk_devt), MINOR(t->disk_devt));
		break;
	}
	mutex_unlock(&fwgate_mutex);
	return n;
}

#define TARGET_ATTR(name, field)						\
static ssize_t t_##name##_show(struct kobject *kobj, struct kobj_attribute *a,	\
			       char *buf)					\
{										\
	return target_emit(to_target(kobj), buf, field);			\
}										\
static struct kobj_attribute t_##name##_attr =					\
	__ATTR(name, 0444, t_##name##_show, NULL)

TARGET_ATTR(spec, T_SPEC);
TARGET_ATTR(type, T_TYPE);
TARGET_ATTR(group, T_GROUP);
TARGET_ATTR(size, T_SIZE);
TARGET_ATTR(rollback_floor, T_FLOOR);
TARGET_ATTR(last_uid, T_LAST_UID);
TARGET_ATTR(last_version, T_LAST_VERSION);
TARGET_ATTR(state, T_STATE);
TARGET_ATTR(dev, T_DEV);
TARGET_ATTR(disk_dev, T_DISK_DEV);

static struct attribute *target_attrs[] = {
	&t_spec_attr.attr,
	&t_type_attr.attr,
	&t_group_attr.attr,
	&t_size_attr.attr,
	&t_rollback_floor_attr.attr,
	&t_last_uid_attr.attr,
	&t_last_version_attr.attr,
	&t_state_attr.attr,
	&t_dev_attr.attr,
	&t_disk_dev_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(target);

static void target_release(struct kobject *kobj)
{
	kfree(to_target(kobj));
}

const struct kobj_type fwgate_target_ktype = {
	.release	= target_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= target_groups,
};

int fwgate_sysfs_init(void)
{
	int err;

	fwgate_kobj = kobject_create_and_add("fwgate", kernel_kobj);
	if (!fwgate_kobj)
		return -ENOMEM;
	err = sysfs_create_groups(fwgate_kobj, fwgate_groups);
	if (err)
		goto err_kobj;
	fwgate_targets_kset = kset_create_and_add("targets", NULL, fwgate_kobj);
	if (!fwgate_targets_kset) {
		err = -ENOMEM;
		goto err_groups;
	}
	err = sysfs_create_file(&fwgate_targets_kset->kobj, &add_attr.attr);
	if (err)
		goto err_kset;
	return 0;

err_kset:
	kset_unregister(fwgate_targets_kset);
err_groups:
	sysfs_remove_groups(fwgate_kobj, fwgate_groups);
err_kobj:
	kobject_put(fwgate_kobj);
	return err;
}

void fwgate_sysfs_exit(void)
{
	sysfs_remove_file(&fwgate_targets_kset->kobj, &add_attr.attr);
	kset_unregister(fwgate_targets_kset);
	sysfs_remove_groups(fwgate_kobj, fwgate_groups);
	kobject_put(fwgate_kobj);
}
