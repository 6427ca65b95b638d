// SPDX-License-Identifier: GPL-2.0
/* The acknowledgement queue: durable puts, idempotent ids, oldest first, survivors of a cut-short put. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "keys.h"
#include "queue.h"

FIXTURE(queue) {
	char dir[64];
	struct fwg_queue q;
};

FIXTURE_SETUP(queue)
{
	strcpy(self->dir, "/tmp/fwgate-queue.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, fwg_queue_open(&self->q, self->dir));
}

FIXTURE_TEARDOWN(queue)
{
	char cmd[128];

	fwg_queue_close(&self->q);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

struct seen {
	unsigned int n;
	char tx[8][32];
	uint8_t id[8][FWGATE_ID_LEN];
};

static int collect(const uint8_t *id, const uint8_t *tx, size_t len, void *arg)
{
	struct seen *s = arg;

	if (s->n == 8)
		return 1;
	snprintf(s->tx[s->n], sizeof(s->tx[0]), "%.*s", (int)len, (const char *)tx);
	memcpy(s->id[s->n], id, FWGATE_ID_LEN);
	s->n++;
	return 0;
}

static void id_of(const char *tx, uint8_t *id)
{
	fwg_sha256(tx, strlen(tx), id);
}

TEST_F(queue, keeps_puts_oldest_first_and_removes)
{
	uint8_t a[FWGATE_ID_LEN], b[FWGATE_ID_LEN];
	struct seen s = {};

	id_of("ack-a", a);
	id_of("ack-b", b);
	ASSERT_EQ(0, fwg_queue_put(&self->q, a, "ack-a", 5));
	usleep(20000);
	ASSERT_EQ(0, fwg_queue_put(&self->q, b, "ack-b", 5));
	ASSERT_EQ(0, fwg_queue_each(&self->q, collect, &s));
	ASSERT_EQ(2U, s.n);
	EXPECT_STREQ("ack-a", s.tx[0]);
	EXPECT_STREQ("ack-b", s.tx[1]);
	EXPECT_EQ(0, memcmp(a, s.id[0], FWGATE_ID_LEN));

	ASSERT_EQ(0, fwg_queue_remove(&self->q, a));
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, fwg_queue_each(&self->q, collect, &s));
	ASSERT_EQ(1U, s.n);
	EXPECT_STREQ("ack-b", s.tx[0]);
	EXPECT_EQ(0, fwg_queue_remove(&self->q, a));	/* already gone: fine */
}

TEST_F(queue, same_id_is_stored_once)
{
	uint8_t a[FWGATE_ID_LEN];
	struct seen s = {};

	id_of("ack-a", a);
	ASSERT_EQ(0, fwg_queue_put(&self->q, a, "ack-a", 5));
	ASSERT_EQ(0, fwg_queue_put(&self->q, a, "ack-a", 5));
	ASSERT_EQ(0, fwg_queue_each(&self->q, collect, &s));
	EXPECT_EQ(1U, s.n);
}

TEST_F(queue, survives_reopen_and_drops_cut_short_puts)
{
	char path[200], name[2 * FWGATE_ID_LEN + 1];
	uint8_t a[FWGATE_ID_LEN], b[FWGATE_ID_LEN];
	struct seen s = {};
	int fd;

	id_of("ack-a", a);
	id_of("ack-b", b);
	ASSERT_EQ(0, fwg_queue_put(&self->q, a, "ack-a", 5));
	/* What a crash between write and rename leaves behind. */
	fwg_hex(b, FWGATE_ID_LEN, name);
	snprintf(path, sizeof(path), "%s/%s.tmp", self->dir, name);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(3, write(fd, "ack", 3));
	close(fd);

	fwg_queue_close(&self->q);
	ASSERT_EQ(0, fwg_queue_open(&self->q, self->dir));
	EXPECT_NE(0, access(path, F_OK));
	ASSERT_EQ(0, fwg_queue_each(&self->q, collect, &s));
	ASSERT_EQ(1U, s.n);
	EXPECT_STREQ("ack-a", s.tx[0]);
	/* The ack that was cut short is put again, whole. */
	ASSERT_EQ(0, fwg_queue_put(&self->q, b, "ack-b", 5));
}

TEST_F(queue, a_put_survives_the_process_being_killed)
{
	uint8_t a[FWGATE_ID_LEN];
	struct seen s = {};
	int status;
	pid_t pid;

	id_of("ack-a", a);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct fwg_queue q;

		if (fwg_queue_open(&q, self->dir) || fwg_queue_put(&q, a, "ack-a", 5))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, fwg_queue_each(&self->q, collect, &s));
	EXPECT_EQ(1U, s.n);
}

TEST_HARNESS_MAIN
