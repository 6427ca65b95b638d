/* SPDX-License-Identifier: GPL-2.0 */
/* fwgate.ko's sysfs files (Documentation/ABI/testing/sysfs-kernel-fwgate), for fwgatectl and fwgated. */
#ifndef FWG_SYSFS_H
#define FWG_SYSFS_H

#include <stddef.h>

#define FWG_SYSFS "/sys/kernel/fwgate"

/* Reads FWG_SYSFS/@file's first line, without its newline. 0 or -errno. */
int fwg_sysfs_read(const char *file, char *buf, size_t len);
/*
 * Writes @val to FWG_SYSFS/@file. 0, or -errno with the module's reason (its last_error file) in @why when
 * @why is not NULL.
 */
int fwg_sysfs_write(const char *file, const char *val, char *why, size_t why_len);

#endif
