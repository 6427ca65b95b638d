// SPDX-License-Identifier: GPL-2.0
/*
 * The bootloader backends against the real tools: fw_setenv on a U-Boot environment image made with
 * mkenvimage, grub-editenv on a GRUB environment block, and a script.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "boot.h"
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

TEST_F(boot, uboot_switch_and_confirm_use_rauc_variables)
{
	char cmd[1024], out[256];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'BOOT_ORDER=rootfs_a rootfs_b\\nBOOT_rootfs_a_LEFT=3\\n' >def &&"
		 " mkenvimage -s 0x2000 -o env def && echo \"%s/env 0x0 0x2000\" >fw_env.config",
		 self->dir, self->dir);
	ASSERT_EQ(0, system(cmd));
	self->c.bootloader = FWG_BOOT_UBOOT;
	snprintf(self->c.bootloader_arg, sizeof(self->c.bootloader_arg), "%s/fw_env.config", self->dir);

	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	snprintf(cmd, sizeof(cmd), "fw_printenv -c %s -n BOOT_ORDER", self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("rootfs_b rootfs_a", out);
	snprintf(cmd, sizeof(cmd), "fw_printenv -c %s -n BOOT_rootfs_b_LEFT", self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("3", out);

	snprintf(cmd, sizeof(cmd), "fw_setenv -c %s BOOT_rootfs_b_LEFT 1", self->c.bootloader_arg);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, fwg_boot_confirm(&self->c, "rootfs_b"));
	snprintf(cmd, sizeof(cmd), "fw_printenv -c %s -n BOOT_rootfs_b_LEFT", self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("3", out);
}

TEST_F(boot, grub_switch_and_confirm_use_rauc_variables)
{
	char cmd[1024], out[512];

	self->c.bootloader = FWG_BOOT_GRUB;
	snprintf(self->c.bootloader_arg, sizeof(self->c.bootloader_arg), "%s/grubenv", self->dir);
	snprintf(cmd, sizeof(cmd), "grub-editenv %s create", self->c.bootloader_arg);
	ASSERT_EQ(0, system(cmd));

	ASSERT_EQ(0, fwg_boot_switch(&self->c, "rootfs_b", "rootfs_a"));
	snprintf(cmd, sizeof(cmd), "grub-editenv %s list | sort | tr '\\n' ';'", self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("ORDER=rootfs_b rootfs_a;rootfs_b_OK=1;rootfs_b_TRY=0;", out);

	snprintf(cmd, sizeof(cmd), "grub-editenv %s set rootfs_b_TRY=1", self->c.bootloader_arg);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, fwg_boot_confirm(&self->c, "rootfs_b"));
	snprintf(cmd, sizeof(cmd), "grub-editenv %s list | grep TRY", self->c.bootloader_arg);
	sh_line(cmd, out, sizeof(out));
	EXPECT_STREQ("rootfs_b_TRY=0", out);
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
