// SPDX-License-Identifier: GPL-2.0
/* fwgated's configuration parser: what it accepts, and that every refusal names the file and line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "conf.h"
#include "log.h"

#define GOOD \
	"node http://127.0.0.1:8080\n" \
	"node https://node2.example:8443 # a comment\n" \
	"mirror http://127.0.0.1:8000/fw\n" \
	"slot rootfs rootfs_a PARTLABEL=rootfs_a\n" \
	"slot rootfs rootfs_b /dev/vda3\n" \
	"bootloader grub /boot/grub/grubenv\n" \
	"freshness 60\n"

/* Parses @text; returns the parser's result and leaves its message in @msg. */
static int parse(const char *text, struct fwg_conf *c, char *msg, size_t len)
{
	int fds[2], saved, err;
	ssize_t n;

	if (pipe(fds))
		return -2;
	fflush(stderr);
	saved = dup(2);
	dup2(fds[1], 2);
	err = fwg_conf_parse("test.conf", text, strlen(text), c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	return err;
}

TEST(accepts_a_full_configuration)
{
	struct fwg_conf c;
	char msg[512];

	ASSERT_EQ(0, parse(GOOD, &c, msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_EQ(2U, c.nr_nodes);
	EXPECT_STREQ("https://node2.example:8443", c.nodes[1]);
	EXPECT_EQ(1U, c.nr_mirrors);
	ASSERT_EQ(2U, c.nr_slots);
	EXPECT_STREQ("rootfs", c.slots[1].group);
	EXPECT_STREQ("rootfs_b", c.slots[1].name);
	EXPECT_STREQ("/dev/vda3", c.slots[1].spec);
	EXPECT_EQ(FWG_BOOT_GRUB, (int)c.bootloader);
	EXPECT_STREQ("/boot/grub/grubenv", c.bootloader_arg);
	EXPECT_EQ(60U, c.freshness_s);
	EXPECT_EQ(30U, c.sync_interval_s);	/* the default */
	EXPECT_STREQ("/var/lib/fwgate", c.state_dir);
}

struct bad_case {
	const char *text;
	const char *msg;	/* part of the expected message */
};

static const struct bad_case bad_cases[] = {
	{ GOOD "node ftp://x\n", "test.conf:8: a URL must start with http:// or https://: \"node ftp://x\"" },
	{ GOOD "frobnicate 1\n", "test.conf:8: unknown keyword" },
	{ GOOD "freshness 0\n", "test.conf:8: wants seconds" },
	{ GOOD "freshness 10s\n", "test.conf:8: wants seconds" },
	{ GOOD "state-dir relative/dir\n", "test.conf:8: a path must be absolute" },
	{ GOOD "ca-file ca.pem\n", "test.conf:8: a path must be absolute" },
	{ GOOD "slot rootfs rootfs_a /dev/vda4\n", "test.conf:8: slot declared twice" },
	{ GOOD "slot boot boot_a /dev/vda5\n", "group boot has 1 slot; A/B updates need exactly 2" },
	{ GOOD "slot ro/ot x /dev/x\n", "test.conf:8: names take [A-Za-z0-9_.-]" },
	{ GOOD "node\n", "test.conf:8: wrong number of values" },
	{ GOOD "bootloader lilo\n", "test.conf:8: bootloader wants" },
	{ "slot rootfs a /dev/a\nslot rootfs b /dev/b\n", "no node" },
	{ "node http://x\n", "no slot" },
};

TEST(refuses_bad_lines_naming_file_and_line)
{
	struct fwg_conf c;
	char msg[512];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		EXPECT_EQ(-1, parse(bad_cases[i].text, &c, msg, sizeof(msg)))
			TH_LOG("case %zu was accepted", i);
		EXPECT_NE(NULL, strstr(msg, bad_cases[i].msg))
			TH_LOG("case %zu: got \"%s\", want \"%s\"", i, msg, bad_cases[i].msg);
	}
}

TEST(takes_a_ca_file_for_https)
{
	struct fwg_conf c;
	char msg[512];

	ASSERT_EQ(0, parse(GOOD "ca-file /etc/fwgate/ca.pem\n", &c, msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_STREQ("/etc/fwgate/ca.pem", c.ca_file);
	ASSERT_EQ(0, parse(GOOD, &c, msg, sizeof(msg)));
	EXPECT_STREQ("", c.ca_file);	/* the system's bundle */
}

TEST(refuses_nul_bytes_and_long_lines)
{
	static const char nul[] = "node http://x\0y\n";
	char text[2000], msg[512];
	struct fwg_conf c;

	EXPECT_EQ(-1, fwg_conf_parse("t", nul, sizeof(nul) - 1, &c));
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	EXPECT_EQ(-1, parse(text, &c, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "test.conf:1: line longer than"));
}

/* fwgated -n: one run names every bad line and every missing part, not only the first. */
TEST(reports_every_error_not_only_the_first)
{
	struct fwg_conf c;
	char msg[2048];

	EXPECT_EQ(-1, parse("mirror ftp://x\nbogus word\nfreshness 0\nslot g a /dev/a\n", &c, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "test.conf:1: a URL must start with http:// or https://: \"mirror")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "test.conf:2: unknown keyword")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "test.conf:3: wants seconds")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "test.conf: no node")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "test.conf: group g has 1 slot;")) TH_LOG("%s", msg);
}

TEST(example_configuration_parses)
{
	struct fwg_conf c;

	ASSERT_EQ(0, fwg_conf_load("agent/fwgated.conf.example", &c));
	EXPECT_EQ(FWG_BOOT_UBOOT, (int)c.bootloader);
	EXPECT_EQ(2U, c.nr_slots);
}

TEST_HARNESS_MAIN
