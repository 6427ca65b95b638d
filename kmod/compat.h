/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows kernel versions. Each difference between the
 * kernels fwgate supports (6.1 and 6.12 today) gets a named feature macro
 * here; the .c files test the feature, never a version number.
 */
#ifndef _FWGATE_COMPAT_H
#define _FWGATE_COMPAT_H

#include <linux/version.h>
#include <linux/kconfig.h>
#include <linux/blkdev.h>
#include <net/genetlink.h>

/* 6.9: block devices are opened as struct file (bdev_file_open_by_dev). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define COMPAT_HAVE_BDEV_FILE 1
#endif

/* ECDSA verification exists only where the kernel was built with it. */
#if IS_ENABLED(CONFIG_CRYPTO_ECDSA)
#define COMPAT_HAVE_ECDSA 1
#endif

/*
 * 6.8: an exclusive opener can keep every other writer out of the device
 * (BLK_OPEN_RESTRICT_WRITES); the kernel enforces it only when booted with
 * bdev_allow_write_mounted=0 (CONFIG_BLK_DEV_WRITE_MOUNTED=y defaults to 1).
 */
#ifdef BLK_OPEN_RESTRICT_WRITES
#define COMPAT_BLK_OPEN_RESTRICT_WRITES	BLK_OPEN_RESTRICT_WRITES
#else
#define COMPAT_BLK_OPEN_RESTRICT_WRITES	0
#endif

/* 6.10: a block device's page cache is bd_mapping, no longer bd_inode's. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define compat_bdev_mapping(bdev)	((bdev)->bd_mapping)
#else
#define compat_bdev_mapping(bdev)	((bdev)->bd_inode->i_mapping)
#endif

/*
 * 6.7, and 6.1.y since its backport: the core refuses to join a multicast
 * group flagged GENL_MCAST_CAP_NET_ADMIN without that capability. Older
 * kernels have no hook left for a family to refuse a join (mcast_bind is
 * gone), and an unprivileged listener would see every install's verdict.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "fwgate needs GENL_MCAST_CAP_NET_ADMIN (Linux 6.7, or a 6.1.y that backports it)"
#endif

#endif /* _FWGATE_COMPAT_H */
