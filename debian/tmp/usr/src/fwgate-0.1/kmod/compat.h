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

/* 6.9: block devices are opened as struct file (bdev_file_open_by_dev). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define COMPAT_HAVE_BDEV_FILE 1
#endif

/* ECDSA verification exists only where the kernel was built with it. */
#if IS_ENABLED(CONFIG_CRYPTO_ECDSA)
#define COMPAT_HAVE_ECDSA 1
#endif

#ifdef COMPAT_HAVE_BDEV_FILE
#include <linux/blkdev.h>
#define COMPAT_BLK_OPEN_RW	(BLK_OPEN_READ | BLK_OPEN_WRITE)
#else
#define COMPAT_BLK_OPEN_RW	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)
#endif

#endif /* _FWGATE_COMPAT_H */
