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

#define TRIES "3"

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

/* Sets NAME=VALUE pairs (@kv, NULL-terminated) in one call of the bootloader's tool. */
static int env_set(const struct fwg_conf *c, const char *const *kv)
{
	char *argv[16];
	char pairs[8][160];
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

static int script(const struct fwg_conf *c, const char *verb, const char *slot, char *out, size_t len)
{
	char *argv[] = { (char *)c->bootloader_arg, (char *)verb, (char *)slot, NULL };

	return run(argv, out, len);
}

int fwg_boot_switch(const struct fwg_conf *c, const char *slot, const char *other)
{
	char order[80], left[80], ok[80], try[80];

	snprintf(order, sizeof(order), "%s %s", slot, other);
	switch (c->bootloader) {
	case FWG_BOOT_NONE:
		return 0;
	case FWG_BOOT_UBOOT:
		snprintf(left, sizeof(left), "BOOT_%s_LEFT", slot);
		/* One variable a call: BOOT_ORDER last commits the switch, never with a stale LEFT counter. */
		return env_set(c, (const char *const[]){ left, TRIES, "BOOT_ORDER", order, NULL });
	case FWG_BOOT_GRUB:
		snprintf(ok, sizeof(ok), "%s_OK", slot);
		snprintf(try, sizeof(try), "%s_TRY", slot);
		return env_set(c, (const char *const[]){ "ORDER", order, ok, "1", try, "0", NULL });
	case FWG_BOOT_SCRIPT:
		return script(c, "switch", slot, NULL, 0);
	}
	return -1;
}

int fwg_boot_confirm(const struct fwg_conf *c, const char *slot)
{
	char left[80], ok[80], try[80];

	switch (c->bootloader) {
	case FWG_BOOT_NONE:
		return 0;
	case FWG_BOOT_UBOOT:
		snprintf(left, sizeof(left), "BOOT_%s_LEFT", slot);
		return env_set(c, (const char *const[]){ left, TRIES, NULL });
	case FWG_BOOT_GRUB:
		snprintf(ok, sizeof(ok), "%s_OK", slot);
		snprintf(try, sizeof(try), "%s_TRY", slot);
		return env_set(c, (const char *const[]){ ok, "1", try, "0", NULL });
	case FWG_BOOT_SCRIPT:
		return script(c, "confirm", slot, NULL, 0);
	}
	return -1;
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
