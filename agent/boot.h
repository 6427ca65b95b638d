/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bootloader backends: a trial boot of a freshly written slot that falls back to the previous one by itself
 * (U-Boot's bootcount/bootlimit/altbootcmd, GRUB's one-time next_entry), confirming a slot that booted and
 * passed its health check, reverting to the previous slot when it failed it, and telling which slot runs
 * and which the next boot starts (Documentation/fwgate/fwgated.conf.rst, "bootloader").
 */
#ifndef FWG_AGENT_BOOT_H
#define FWG_AGENT_BOOT_H

#include <stddef.h>

#include "conf.h"

/* U-Boot's bootlimit: boots of the new slot before altbootcmd falls back. */
#define FWG_BOOT_TRIES	"3"

/* The next boot tries @slot; if it does not come up, the bootloader boots @other again. */
int fwg_boot_switch(const struct fwg_conf *c, const char *slot, const char *other);
/* @slot booted and is healthy: it stays the default. */
int fwg_boot_confirm(const struct fwg_conf *c, const char *slot);
/* @bad booted but failed its health check: @good is the default again, from the next boot on. */
int fwg_boot_revert(const struct fwg_conf *c, const char *good, const char *bad);
/* The slot the next boot starts, as the bootloader's environment says; "" when it can not tell. */
int fwg_boot_next(const struct fwg_conf *c, char *slot, size_t len);
/* The running slot, from /proc/cmdline (or @cmdline when not NULL) or the script. */
int fwg_boot_active(const struct fwg_conf *c, const char *cmdline, char *slot, size_t len);

#endif
