// SPDX-License-Identifier: GPL-2.0
/*
 * The bootloader backends against the real tools: fw_setenv/fw_printenv on a U-Boot environment image made
 * with mkenvimage, grub-editenv on a GRUB environment block, and a script; the boots themselves by
 * tests/agent/bootsim, which plays U-Boot's boot counter and GRUB's one-time boot over the same tools.
 * And fwgated's boot record (agent/bootstate.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "boot.h"
#include "bootstate.h"
#include "conf.h"

FIXTURE(boot) {
	char dir[64];
	struct fwg_conf c;
};

FIXTURE_SETUP(boot)
{
	strcpy(self->dir, "/tmp/fwgate-boot.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	memset(&self->c, 0, sizeof(self->c));
}

FIXTURE_TEARDOWN(boot)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
}

/* Runs a shell command and returns its first output line. */
static void sh_line(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");

	out[0] = '\0';
	if (p && fgets(out, len, p))
		out[strcspn(out, "\n")] = '\0';
	if (p)
		pclose(p);
}

/* A U-Boot environment image made with mkenvimage, rootfs_a booting, and its fw_env.config. */
static void uboot_env(struct _test_data_boot *self, struct __test_metadata *_metadata)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'BOOT_ORDER=rootfs_a rootfs_b\\nbootcmd=run distro_bootcmd\\n' >def &&"
		 " mkenvimage -s 0x2000 -o env def && echo \"%s/env 0x0 0x2000\" >fw_env.config",
		 self->dir, self->dir);
	ASSERT_EQ(0, system(cmd));
	self->c.bootloader = FWG_BOOT_UBOOT;
	snprintf(self->c.bootloader_arg, sizeof(self->c.bootloader_arg), "%s/fw_env.config", self->dir);
}

static void grub_env(struct _test_data_boot *self, struct __test_metadata *_metadata)
{
	char cmd[1024];

	self->c.bootloader = FWG_BOOT_GRUB;
	snprintf(self->c.bootloader_arg, sizeof(self->c.bootloader_arg), "%s/grubenv", self->dir);
	snprintf(cmd, sizeof(cmd), "grub-editenv %s create && grub-editenv %s set saved_entry=rootfs_a",
		 self->c.bootloader_arg, self->c.bootloader_arg);
	ASSERT_EQ(0, system(cmd));
}

/* One boot by tests/agent/bootsim: "SLOT BOOTS", the slot that came up and the boots it took. */
static void boot_once(struct _test_data_boot *self, const char *kind, const char *panic, char *out, size_t len)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "tests/agent/bootsim %s %s '%s'", kind, self->c.bootloader_arg, panic);
	sh_line(cmd, out, len);
}

TEST_F(boot, uboot_switch_sets_bootcount_bootlimit_and_altbootcmd)
{
	char cmd[1024], out[256], next[32];

	uboot_env(self, _metadata);
	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	snprintf(cmd, sizeof(cmd), "fw_printenv -c %s BOOT_ORDER upgrade_available bootcount bootlimit altbootcmd"
		 " | tr '\\n' ';'", self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("BOOT_ORDER=rootfs_b rootfs_a;upgrade_available=1;bootcount=0;bootlimit=3;"
		     "altbootcmd=setenv BOOT_ORDER \"rootfs_a rootfs_b\"; setenv upgrade_available 0; saveenv;"
		     " run bootcmd;", out);
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_b", next);
}

TEST_F(boot, uboot_healthy_slot_boots_once_and_confirm_ends_the_count)
{
	char cmd[1024], out[256], next[32];

	uboot_env(self, _metadata);
	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	boot_once(self, "uboot", "", out, sizeof(out));
	EXPECT_STREQ("rootfs_b 1", out);
	ASSERT_EQ(0, fwg_boot_confirm(&self->c, "rootfs_b"));
	snprintf(cmd, sizeof(cmd), "fw_printenv -c %s upgrade_available bootcount | tr '\\n' ';'",
		 self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("upgrade_available=0;bootcount=0;", out);
	/* Confirmed: a later panic loop stays in rootfs_b, nothing counts the boots any more. */
	boot_once(self, "uboot", "", out, sizeof(out));
	EXPECT_STREQ("rootfs_b 1", out);
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_b", next);
}

TEST_F(boot, uboot_falls_back_after_bootlimit_boots_of_a_panicking_slot)
{
	char out[256], next[32];

	uboot_env(self, _metadata);
	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	/* bootlimit 3: three boots of rootfs_b, the fourth runs altbootcmd. */
	boot_once(self, "uboot", "rootfs_b", out, sizeof(out));
	EXPECT_STREQ("rootfs_a 4", out);
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_a", next);
}

TEST_F(boot, uboot_revert_makes_the_previous_slot_the_default)
{
	char out[256], next[32];

	uboot_env(self, _metadata);
	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	boot_once(self, "uboot", "", out, sizeof(out));
	EXPECT_STREQ("rootfs_b 1", out);
	ASSERT_EQ(0, fwg_boot_revert(&self->c, "rootfs_a", "rootfs_b"));
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_a", next);
	boot_once(self, "uboot", "", out, sizeof(out));
	EXPECT_STREQ("rootfs_a 1", out);
}

TEST_F(boot, grub_switch_is_a_one_time_boot)
{
	char cmd[1024], out[512], next[32];

	grub_env(self, _metadata);
	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	snprintf(cmd, sizeof(cmd), "grub-editenv %s list | sort | tr '\\n' ';'", self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("next_entry=rootfs_b;saved_entry=rootfs_a;", out);
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_b", next);
	boot_once(self, "grub", "", out, sizeof(out));
	EXPECT_STREQ("rootfs_b 1", out);
	/* GRUB cleared next_entry as it booted it: unconfirmed, the next boot is rootfs_a's. */
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_a", next);
	ASSERT_EQ(0, fwg_boot_confirm(&self->c, "rootfs_b"));
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_b", next);
	boot_once(self, "grub", "", out, sizeof(out));
	EXPECT_STREQ("rootfs_b 1", out);
}

TEST_F(boot, grub_falls_back_after_one_boot_of_a_panicking_slot)
{
	char out[256], next[32];

	grub_env(self, _metadata);
	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	boot_once(self, "grub", "rootfs_b", out, sizeof(out));
	EXPECT_STREQ("rootfs_a 2", out);
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_a", next);
}

TEST_F(boot, grub_revert_makes_the_previous_slot_the_default)
{
	char out[256], next[32];

	grub_env(self, _metadata);
	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	ASSERT_EQ(0, fwg_boot_revert(&self->c, "rootfs_a", "rootfs_b"));
	ASSERT_EQ(0, fwg_boot_next(&self->c, next, sizeof(next)));
	EXPECT_STREQ("rootfs_a", next);
	boot_once(self, "grub", "", out, sizeof(out));
	EXPECT_STREQ("rootfs_a 1", out);
}

TEST_F(boot, state_roundtrips_atomically_and_rejects_malformed)
{
	struct fwg_boot_state s = { .phase = FWG_BOOT_FELL_BOOT, .slot = "rootfs_b", .other = "rootfs_a",
				     .version = 42, .time = 1765000000 }, r;
	char text[1024], err[160], cmd[512];
	static const char *const bad[] = {
		"phase trial\nslot a\nprevious b\nupdate 00\nversion 1\ntime 1\n",
		"phase nowhere\nslot a\nprevious b\n",
		"phase trial\nslot a/b\n",
		"phase trial\nphase trial\n",
		"phase trial\nslot a\nprevious b\nversion -1\n",
		"phase trial\nslot a\nprevious b\n",
		"phasetrial\n",
	};
	size_t n, i;

	memset(s.u_id, 0xab, sizeof(s.u_id));
	n = fwg_boot_state_format(&s, text, sizeof(text));
	ASSERT_NE(0, (int)n);
	ASSERT_EQ(0, fwg_boot_state_parse(text, n, &r, err, sizeof(err)));
	EXPECT_EQ(0, memcmp(&s, &r, sizeof(s)));
	ASSERT_EQ(0, fwg_boot_state_save(self->dir, &s));
	ASSERT_EQ(0, fwg_boot_state_load(self->dir, &r));
	EXPECT_EQ(0, memcmp(&s, &r, sizeof(s)));
	snprintf(cmd, sizeof(cmd), "test ! -e %s/boot.state.tmp && grep -qx 'phase fell-back-boot' %s/boot.state",
		 self->dir, self->dir);
	EXPECT_EQ(0, system(cmd));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-1, fwg_boot_state_parse(bad[i], strlen(bad[i]), &r, err, sizeof(err)));
	snprintf(cmd, sizeof(cmd), "rm %s/boot.state", self->dir);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, fwg_boot_state_load(self->dir, &r));
	EXPECT_EQ(FWG_BOOT_IDLE, (int)r.phase);
}

TEST_F(boot, script_gets_verb_and_slot_and_reports_active)
{
	char cmd[1024], out[512], slot[32];

	self->c.bootloader = FWG_BOOT_SCRIPT;
	snprintf(self->c.bootloader_arg, sizeof(self->c.bootloader_arg), "%s/boot.sh", self->dir);
	snprintf(cmd, sizeof(cmd),
		 "printf '#!/bin/sh\\necho \"$@\" >>%s/log\\n[ \"$1\" = active ] && echo rootfs_a\\nexit 0\\n' >%s"
		 " && chmod +x %s", self->dir, self->c.bootloader_arg, self->c.bootloader_arg);
	ASSERT_EQ(0, system(cmd));

	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	ASSERT_EQ(0, fwg_boot_confirm(&self->c, "rootfs_b"));
	ASSERT_EQ(0, fwg_boot_active(&self->c, NULL, slot, sizeof(slot)));
	EXPECT_STREQ("rootfs_a", slot);
	snprintf(cmd, sizeof(cmd), "tr '\\n' ';' <%s/log", self->dir);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("switch rootfs_b;confirm rootfs_b;active;", out);
}

TEST_F(boot, tool_runs_with_no_signal_blocked)
{
	char cmd[1024], slot[32];
	sigset_t set, old;

	self->c.bootloader = FWG_BOOT_SCRIPT;
	snprintf(self->c.bootloader_arg, sizeof(self->c.bootloader_arg), "%s/boot.sh", self->dir);
	snprintf(cmd, sizeof(cmd), "printf '#!/bin/sh\\nexec sed -n \"s/^SigBlk:[[:space:]]*//p\" /proc/self/status\\n'"
		 " >%s && chmod +x %s", self->c.bootloader_arg, self->c.bootloader_arg);
	ASSERT_EQ(0, system(cmd));

	/* As the monitor does, for its signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	ASSERT_EQ(0, fwg_boot_active(&self->c, NULL, slot, sizeof(slot)));
	sigprocmask(SIG_SETMASK, &old, NULL);
	EXPECT_STREQ("0000000000000000", slot);
}

TEST_F(boot, failing_tool_is_an_error)
{
	self->c.bootloader = FWG_BOOT_GRUB;
	strcpy(self->c.bootloader_arg, "/nonexistent/dir/grubenv");
	EXPECT_EQ(-1, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
}

TEST_F(boot, active_slot_from_kernel_command_line)
{
	char slot[32];

	EXPECT_EQ(0, fwg_boot_active(&self->c, "root=/dev/vda2 fwgate.slot=rootfs_b quiet", slot,
				     sizeof(slot)));
	EXPECT_STREQ("rootfs_b", slot);
	EXPECT_EQ(0, fwg_boot_active(&self->c, "rauc.slot=A", slot, sizeof(slot)));
	EXPECT_STREQ("A", slot);
	EXPECT_EQ(-1, fwg_boot_active(&self->c, "root=/dev/vda2", slot, sizeof(slot)));
	EXPECT_EQ(-1, fwg_boot_active(&self->c, "xfwgate.slot=rootfs_b", slot, sizeof(slot)));
}

TEST_HARNESS_MAIN
