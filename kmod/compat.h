/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows how the kernels fwgate supports (6.1 and 6.12
 * today) differ. compat-features.h, generated when the module is built
 * (compat-features.sh), says which features the kernel's headers declare;
 * here the absence of one is mapped onto what that kernel has. The .c files
 * test features, never versions.
 */
#ifndef _FWGATE_COMPAT_H
#define _FWGATE_COMPAT_H

#include <linux/kconfig.h>

#include "compat-features.h"

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

/*
 * Without split ops, one struct genl_ops per command carries both halves and
 * one policy. The generated ops table (netlink-gen.c) fills one half per
 * command, with the same member names, so it fits struct genl_ops there.
 */
#ifndef COMPAT_HAVE_GENL_SPLIT_OPS
#define genl_split_ops	genl_ops
#define split_ops	ops
#define n_split_ops	n_ops
#endif

#endif /* _FWGATE_COMPAT_H */
