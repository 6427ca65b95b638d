/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the last install stands with the bootloader, kept in fwgated's state directory (boot.state) so that
 * a restart or a reboot does not forget it (Documentation/fwgate/fwgated.rst, "Boot and fallback"):
 * a bootloader switch still to do, a trial boot of the new slot, and how it ended (running, or fell back
 * because of the health check or of the bootloader). Written only by the monitor (root); fwgatectl reads it.
 */
#ifndef FWG_AGENT_BOOTSTATE_H
#define FWG_AGENT_BOOTSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

enum fwg_boot_phase {
	FWG_BOOT_IDLE,		/* nothing recorded */
	FWG_BOOT_SWITCH,	/* committed; the bootloader switch failed and is retried */
	FWG_BOOT_TRIAL,		/* the next boot tries the new slot; the previous one is the fallback */
	FWG_BOOT_RUNNING,	/* the new slot booted and passed its health check; running ack queued */
	FWG_BOOT_FELL_HEALTH,	/* it booted, failed its health check; fwgated reverted; nack HEALTH queued */
	FWG_BOOT_FELL_BOOT,	/* it never came up: the bootloader fell back; nack BOOT queued */
	__FWG_BOOT_PHASE_MAX
};

struct fwg_boot_state {
	enum fwg_boot_phase phase;
	char slot[FWGATE_NAME_LEN];	/* the slot written */
	char other[FWGATE_NAME_LEN];	/* the slot that ran when it was written: the fallback */
	uint8_t u_id[FWGATE_ID_LEN];
	uint64_t version;
	int64_t time;			/* UNIX seconds of the last change of phase */
};

const char *fwg_boot_phase_name(enum fwg_boot_phase phase);
/* The text form, "keyword value" lines; the length written, 0 if it does not fit. */
size_t fwg_boot_state_format(const struct fwg_boot_state *s, char *buf, size_t len);
/* Parses the text form; -1 with a message in @err (naming the line) when malformed. */
int fwg_boot_state_parse(const char *text, size_t len, struct fwg_boot_state *s, char *err, size_t errlen);
/*
 * @dir/boot.state: 0 and the record; 0 and phase IDLE when there is none; -1 and phase IDLE when it is
 * unreadable or malformed.
 */
int fwg_boot_state_load(const char *dir, struct fwg_boot_state *s);
/* Replaces @dir/boot.state atomically (a temporary file, fsync, rename, fsync of the directory). */
int fwg_boot_state_save(const char *dir, const struct fwg_boot_state *s);

#endif
