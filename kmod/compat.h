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
#include <linux/blkdev.h>
#include <net/genetlink.h>

#include "compat-features.h"

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

/* Before 6.10 a block device's page cache is its bd_inode's. */
#ifdef COMPAT_HAVE_BDEV_MAPPING
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

/*
 * 6.2: extack carries a message formatted at run time. Before, it can only
 * point at a string, which must then outlive the request.
 */
#ifdef NL_SET_ERR_MSG_FMT
#define compat_set_err_msg_str(extack, str)	NL_SET_ERR_MSG_FMT(extack, "%s", str)
#else
#define compat_set_err_msg_str(extack, str)	((extack)->_msg = (str))
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
