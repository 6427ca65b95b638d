/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bootloader backends: switch the next boot to a freshly written slot, confirm a slot that booted and
 * passed its health check, tell which slot runs. U-Boot and GRUB variables follow RAUC's conventions
 * (Documentation/fwgate/fwgated.conf.rst).
 */
#ifndef FWG_AGENT_BOOT_H
#define FWG_AGENT_BOOT_H

#include <stddef.h>

#include "conf.h"

int fwg_boot_switch(const struct fwg_conf *c, const char *slot, const char *other);
int fwg_boot_confirm(const struct fwg_conf *c, const char *slot);
/* The running slot, from /proc/cmdline (or @cmdline when not NULL) or the script. */
int fwg_boot_active(const struct fwg_conf *c, const char *cmdline, char *slot, size_t len);

#endif
