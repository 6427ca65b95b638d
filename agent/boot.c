// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"

/* Runs @argv (no shell); its stdout goes to @out when not NULL. 0 when it exits 0. */
static int run(char *const argv[], char *out, size_t len)
{
	int fds[2] = { -1, -1 }, status;
	ssize_t n, got = 0;
	pid_t pid;

	if (out && pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		if (out) {
			close(fds[0]);
			close(fds[1]);
		}
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		sigset_t none;

		/* The monitor blocks the signals it reads from a signalfd: the tool must not inherit that. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(null, 0);
		dup2(out ? fds[1] : null, 1);
		if (out) {
			close(fds[0]);
			close(fds[1]);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out) {
		close(fds[1]);
		while (got < (ssize_t)len - 1 && (n = read(fds[0], out + got, len - 1 - got)) > 0)
			got += n;
		out[got] = '\0';
		close(fds[0]);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		log_warnx("%s %s: failed", argv[0], argv[1] ? argv[1] : "");
		return -1;
	}
	return 0;
}

/* Sets NAME=VALUE pairs (@kv, NULL-terminated) with the bootloader's tool; GRUB's in one call. */
static int env_set(const struct fwg_conf *c, const char *const *kv)
{
	char *argv[16];
	char pairs[8][200];
	int n = 0, i;

	if (c->bootloader == FWG_BOOT_UBOOT) {
		/* fw_setenv takes one variable a call. */
		for (i = 0; kv[i]; i += 2) {
			n = 0;
			argv[n++] = "fw_setenv";
			if (c->bootloader_arg[0]) {
				argv[n++] = "-c";
				argv[n++] = (char *)c->bootloader_arg;
			}
			argv[n++] = (char *)kv[i];
			argv[n++] = (char *)kv[i + 1];
			argv[n] = NULL;
			if (run(argv, NULL, 0))
				return -1;
		}
		return 0;
	}
	argv[n++] = "grub-editenv";
	argv[n++] = (char *)c->bootloader_arg;
	argv[n++] = "set";
	for (i = 0; kv[i] && i / 2 < 8; i += 2) {
		snprintf(pairs[i / 2], sizeof(pairs[0]), "%s=%s", kv[i], kv[i + 1]);
		argv[n++] = pairs[i / 2];
	}
	argv[n] = NULL;
	return run(argv, NULL, 0);
}

/* The value of @name in the bootloader's environment, "" when unset; -1 when the tool fails. */
static int env_get(const struct fwg_conf *c, const char *name, char *val, size_t len)
{
	char *argv[6], out[16384], *line, *save;
	size_t n = strlen(name);
	int argc = 0;

	if (c->bootloader == FWG_BOOT_UBOOT) {
		argv[argc++] = "fw_printenv";
		if (c->bootloader_arg[0]) {
			argv[argc++] = "-c";
			argv[argc++] = (char *)c->bootloader_arg;
		}
	} else {
		argv[argc++] = "grub-editenv";
		argv[argc++] = (char *)c->bootloader_arg;
		argv[argc++] = "list";
	}
	argv[argc] = NULL;
	/* The whole environment: fw_printenv NAME fails for a variable that is not set. */
	if (run(argv, out, sizeof(out)))
		return -1;
	val[0] = '\0';
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, name, n) && line[n] == '=') {
			snprintf(val, len, "%s", line + n + 1);
			break;
		}
	return 0;
}

static int script(const struct fwg_conf *c, const char *verb, const char *slot, char *out, size_t len)
{
	char *argv[] = { (char *)c->bootloader_arg, (char *)verb, (char *)slot, NULL };

	return run(argv, out, len);
}

/*
 * U-Boot: its boot counter (CONFIG_BOOTCOUNT_LIMIT, kept in the environment): while upgrade_available is 1,
 * each boot raises bootcount, and past bootlimit U-Boot runs altbootcmd instead of bootcmd. altbootcmd puts
 * the previous slot first again. GRUB: grub-reboot's one-time boot, next_entry, which GRUB clears before it
 * boots it; saved_entry stays the previous slot until the new one is confirmed.
 */
int fwg_boot_switch(const struct fwg_conf *c, const char *slot, const char *other)
{
	char order[80], back[80], alt[200];

	snprintf(order, sizeof(order), "%s %s", slot, other);
	snprintf(back, sizeof(back), "%s %s", other, slot);
	snprintf(alt, sizeof(alt), "setenv BOOT_ORDER \"%s\"; setenv upgrade_available 0; saveenv; run bootcmd", back);
	switch (c->bootloader) {
	case FWG_BOOT_NONE:
		return 0;
	case FWG_BOOT_UBOOT:
		/* One variable a call: BOOT_ORDER last commits the switch, never with a stale counter. */
		return env_set(c, (const char *const[]){ "altbootcmd", alt, "bootlimit", FWG_BOOT_TRIES, "bootcount",
							  "0", "upgrade_available", "1", "BOOT_ORDER", order, NULL });
	case FWG_BOOT_GRUB:
		return env_set(c, (const char *const[]){ "saved_entry", other, "next_entry", slot, NULL });
	case FWG_BOOT_SCRIPT:
		return script(c, "switch", slot, NULL, 0);
	}
	return -1;
}

int fwg_boot_confirm(const struct fwg_conf *c, const char *slot)
{
	switch (c->bootloader) {
	case FWG_BOOT_NONE:
		return 0;
	case FWG_BOOT_UBOOT:
		return env_set(c, (const char *const[]){ "upgrade_available", "0", "bootcount", "0", NULL });
	case FWG_BOOT_GRUB:
		return env_set(c, (const char *const[]){ "saved_entry", slot, "next_entry", "", NULL });
	case FWG_BOOT_SCRIPT:
		return script(c, "confirm", slot, NULL, 0);
	}
	return -1;
}

int fwg_boot_revert(const struct fwg_conf *c, const char *good, const char *bad)
{
	char order[80];

	snprintf(order, sizeof(order), "%s %s", good, bad);
	switch (c->bootloader) {
	case FWG_BOOT_NONE:
		return 0;
	case FWG_BOOT_UBOOT:
		return env_set(c, (const char *const[]){ "upgrade_available", "0", "bootcount", "0",
							  "BOOT_ORDER", order, NULL });
	case FWG_BOOT_GRUB:
		return env_set(c, (const char *const[]){ "saved_entry", good, "next_entry", "", NULL });
	case FWG_BOOT_SCRIPT:
		return script(c, "revert", good, NULL, 0);
	}
	return -1;
}

int fwg_boot_next(const struct fwg_conf *c, char *slot, size_t len)
{
	char val[256];

	slot[0] = '\0';
	switch (c->bootloader) {
	case FWG_BOOT_NONE:
		return 0;
	case FWG_BOOT_UBOOT:
		if (env_get(c, "BOOT_ORDER", val, sizeof(val)))
			return -1;
		break;
	case FWG_BOOT_GRUB:
		if (env_get(c, "next_entry", val, sizeof(val)))
			return -1;
		if (!val[0] && env_get(c, "saved_entry", val, sizeof(val)))
			return -1;
		break;
	case FWG_BOOT_SCRIPT:
		/* Optional for a script: one that prints nothing leaves the fallback unseen, never guessed. */
		if (script(c, "next", NULL, val, sizeof(val)))
			val[0] = '\0';
		break;
	}
	val[strcspn(val, " \n")] = '\0';
	snprintf(slot, len, "%s", val);
	return 0;
}

static int cmdline_slot(const char *cmdline, char *slot, size_t len)
{
	static const char *const keys[] = { " fwgate.slot=", " rauc.slot=" };
	char buf[4096];
	size_t i, n;
	const char *p;

	snprintf(buf, sizeof(buf), " %.4000s", cmdline);
	for (i = 0; i < 2; i++) {
		p = strstr(buf, keys[i]);
		if (!p)
			continue;
		p += strlen(keys[i]);
		n = strcspn(p, " \n");
		if (n == 0 || n >= len)
			return -1;
		memcpy(slot, p, n);
		slot[n] = '\0';
		return 0;
	}
	return -1;
}

int fwg_boot_active(const struct fwg_conf *c, const char *cmdline, char *slot, size_t len)
{
	char buf[4096];
	FILE *f;

	if (c->bootloader == FWG_BOOT_SCRIPT && !cmdline) {
		if (script(c, "active", NULL, slot, len))
			return -1;
		slot[strcspn(slot, " \n")] = '\0';
		return slot[0] ? 0 : -1;
	}
	if (!cmdline) {
		/* procfs reports no size: read a line, not a file. */
		f = fopen("/proc/cmdline", "r");
		if (!f || !fgets(buf, sizeof(buf), f)) {
			log_warn("/proc/cmdline");
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		cmdline = buf;
	}
	return cmdline_slot(cmdline, slot, len);
}
