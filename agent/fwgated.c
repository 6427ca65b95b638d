// SPDX-License-Identifier: GPL-2.0
/*
 * fwgated, the device agent (Documentation/fwgate/fwgated.rst). This file is the monitor: the half that
 * keeps root. It provisions fwgate.ko from the configuration (policy, state store, targets), confirms the
 * booted slot, then starts the worker (agent/worker.c) as an unprivileged user and serves its requests
 * (agent/proto.h): quorum bundles to the kernel, installs through /dev/fwgate, the bootloader switch, and
 * acknowledgements, signed with the device key and queued on disk until the worker sees them in a block.
 * It turns the kernel's install-committed events into acknowledgements, so installs made by hand are
 * acknowledged too.
 */
#define _GNU_SOURCE	/* accept4, struct ucred */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <grp.h>
#include <libgen.h>
#include <malloc.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "bootstate.h"
#include "cmd.h"
#include "conf.h"
#include "exit.h"
#include "files.h"
#include "keys.h"
#include "ledger.h"
#include "log.h"
#include "nl.h"
#include "proto.h"
#include "queue.h"
#include "seal.h"
#include "sysfs.h"
#include "anchor.h"
#include "bpfload.h"
#include "sdnotify.h"

static struct monitor {
	struct fwg_conf c;
	struct fwg_policy p;
	struct fwg_nl *nl, *ev;
	struct fwg_queue q;
	int ctl;
	int sock;		/* to the worker */
	pid_t worker;
	/*
	 * Socket-activated (fwgated-worker.socket): the worker is a unit of its own, fwgated-worker.service,
	 * that connects here; the monitor forks nothing and needs neither the network nor setuid.
	 */
	int listen;
	char active[FWGATE_NAME_LEN];
	struct fwg_agent_bpf *bpf;
	const char *conf;
	int verbose;

	/* the install in progress */
	int fd;
	struct fwgate_install_begin begin;
	char other[FWGATE_NAME_LEN];
	int werr;

	/* the last install's boot (agent/bootstate.h), as saved in the state directory */
	struct fwg_boot_state bs;
	time_t pending_at;	/* the next try of a bootloader switch that failed (phase FWG_BOOT_SWITCH) */
} m = { .ctl = -1, .sock = -1, .fd = -1, .listen = -1 };

#define SWITCH_RETRY_S	30

/* ------------------------------------------------------------------ kernel */

struct find {
	const char *name;
	const uint8_t *u_id;
	struct fwg_target_info t;
	int found;
};

static int find_target(const struct fwg_target_info *t, void *arg)
{
	struct find *f = arg;

	if ((f->name && !strcmp(t->name, f->name)) ||
	    (f->u_id && t->state == FWGATE_TARGET_VALID && !memcmp(t->last_id, f->u_id, FWGATE_ID_LEN))) {
		f->t = *t;
		f->found = 1;
	}
	return 0;
}

static int target_get(const char *name, const uint8_t *u_id, struct fwg_target_info *out)
{
	struct find f = { .name = name, .u_id = u_id };

	if (fwg_nl_targets(m.nl, find_target, &f))
		return -1;
	if (f.found && out)
		*out = f.t;
	return f.found;
}

/* fwgated -n without a policy to compare it with: the device key is at least a private key. */
static int check_device_key(void)
{
	struct fwg_key *key = fwg_key_load_private(m.c.device_key);

	if (!key)
		return -1;
	fwg_key_free(key);
	return 0;
}

/* The device key must be the one the policy names. */
static int check_key(const uint8_t *device_id, const char *policy)
{
	struct fwg_key *key = fwg_key_load_private(m.c.device_key);
	struct fwg_pubkey pub;
	int err;

	if (!key)
		return -1;
	err = fwg_key_encode(key, &pub);
	fwg_key_free(key);
	if (err || pub.alg != FWGATE_KEY_P256 || memcmp(pub.id, device_id, FWGATE_ID_LEN)) {
		log_warnx("device-key %s: not the P-256 key of the device the policy %s names", m.c.device_key,
			  policy);
		return -1;
	}
	return 0;
}

/* Compares all of two policies, as their policy files. */
static int policy_differs(const struct fwg_policy *a, const struct fwg_policy *b)
{
	size_t len = sizeof(((struct fwg_msg_policy *)NULL)->text);
	char *ta = malloc(2 * len), *tb;
	int na, nb, differs;

	if (!ta)
		return 1;
	tb = ta + len;
	na = fwg_policy_format(a, ta, len);
	nb = fwg_policy_format(b, tb, len);
	differs = na < 0 || na != nb || memcmp(ta, tb, na);
	free(ta);
	return differs;
}

/*
 * Gives fwgate.ko the configuration's policy, state store and targets, unless it has them already; the lock
 * sequence then locks it.
 */
static int provision(void)
{
	struct fwg_policy kp;
	unsigned int i;
	char buf[512];
	int err;

	if (m.c.state_device[0] && !fwg_sysfs_read("state_device", buf, sizeof(buf)) && !buf[0]) {
		err = fwg_sysfs_write("state_device", m.c.state_device, buf, sizeof(buf));
		if (err) {
			log_warnx("state-device %s: %s", m.c.state_device, buf);
			return -1;
		}
	}
	for (i = 0; i < m.c.nr_slots; i++) {
		const struct fwg_slot *s = &m.c.slots[i];

		err = target_get(s->name, NULL, NULL);
		if (err < 0) {
			log_warnx("targets: %s", fwg_nl_error(m.nl));
			return -1;
		}
		if (err)
			continue;
		snprintf(buf, sizeof(buf), "%s %s %s", s->name, s->spec, s->group);
		if (fwg_sysfs_write("targets/add", buf, buf, sizeof(buf))) {
			log_warnx("slot %s: fwgate.ko refuses it: %s", s->name, buf);
			return -1;
		}
	}
	err = fwg_nl_policy_get(m.nl, &kp);
	if (err && err != -ENOKEY) {
		log_warnx("policy: can not read fwgate.ko's: %s (%s)", fwg_nl_error(m.nl), strerror(-err));
		return -1;
	}
	if (err || !kp.k) {
		/* Under a sealed anchor the policy file is only the enrolment input (agent/anchor.h). */
		if (fwg_trust_choose(&m.c, &m.p))
			return -1;
		err = fwg_nl_policy_set(m.nl, &m.p);
		if (err) {
			log_warnx("policy %s: the kernel refuses it: %s (%s)", m.c.policy, fwg_nl_error(m.nl),
				  strerror(-err));
			return -1;
		}
		if (fwg_nl_policy_get(m.nl, &kp)) {
			log_warnx("policy: set, but fwgate.ko's can not be read back: %s", fwg_nl_error(m.nl));
			return -1;
		}
		log_info("policy %s: set in fwgate.ko, epoch %" PRIu64, kp.sealed_epoch ? "(sealed)" : m.c.policy,
			 kp.epoch);
		m.p = kp;
	} else {
		/* The kernel decides what installs; the agent follows the policy it enforces, all of it. */
		if (policy_differs(&kp, &m.p))
			log_warnx("policy %s differs from the one fwgate.ko holds%s; following the kernel's",
				  m.c.policy, kp.locked ? " (locked)" : "");
		if (check_key(kp.device_id, "of fwgate.ko")) {
			log_warnx("fwgate.ko enforces the policy of another device: no ack of this one would verify; "
				  "not starting");
			return -1;
		}
		m.p = kp;
	}
	/* Not fatal: the kernel holds the policy; only a later boot needs the cache, and says so. */
	if (fwg_trust_remember(&m.c, &m.p, "enrolled", NULL))
		log_warnx("policy: not kept in %s/" FWG_TRUST_DIR "/: the next boot may not find it", m.c.state_dir);
	return 0;
}

/* The lock sequence's step in fwgate.ko, after the guard is sealed (bpf/lock.h). */
static int lock_policy(void *arg)
{
	int err;

	(void)arg;
	if (m.p.locked)
		return 0;
	err = fwg_nl_policy_lock(m.nl);
	if (err) {
		log_warnx("policy: fwgate.ko can not lock it: %s (%s)", fwg_nl_error(m.nl), strerror(-err));
		return err;
	}
	m.p.locked = 1;
	log_info("policy: locked in fwgate.ko");
	return 0;
}

/* ------------------------------------------------------------------ worker */

static int send_w(const void *msg, size_t len)
{
	if (m.sock < 0 || send(m.sock, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

static int resend_one(const uint8_t *id, const uint8_t *tx, size_t len, void *arg)
{
	struct fwg_msg_submit s = { .type = FWG_MSG_SUBMIT };

	(void)arg;
	if (len > sizeof(s.tx))
		return 0;
	memcpy(s.id, id, FWGATE_ID_LEN);
	memcpy(s.tx, tx, len);
	s.len = len;
	send_w(&s, offsetof(struct fwg_msg_submit, tx) + len);
	return 0;
}

static int tell_committed(const struct fwg_target_info *t, void *arg)
{
	struct fwg_msg_committed c = { .type = FWG_MSG_COMMITTED, .version = t->last_version };

	(void)arg;
	if (t->state != FWGATE_TARGET_VALID)
		return 0;
	memcpy(c.u_id, t->last_id, FWGATE_ID_LEN);
	snprintf(c.target, sizeof(c.target), "%s", t->name);
	send_w(&c, sizeof(c));
	return 0;
}

/*
 * The worker's user, from /etc/passwd itself: the static fwgated must not load NSS modules (getpwnam() of a
 * user that "files" lacks went on to libnss_systemd, which crashed it). NULL when there is no such user.
 */
static struct passwd *find_user(const char *name)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	if (!f)
		return NULL;
	while ((pw = fgetpwent(f)) && strcmp(pw->pw_name, name))
		;
	fclose(f);
	return pw;
}

/*
 * The worker faces the network: it never runs as root, whatever the configuration says. Its user, or NULL
 * with @why saying what is wrong with it.
 */
static struct passwd *worker_user(const char **why)
{
	struct passwd *pw = find_user(m.c.user);

	*why = !pw ? "no such user in /etc/passwd" : !pw->pw_uid ? "is root" : NULL;
	return *why ? NULL : pw;
}

static void drop_privileges(void)
{
	const char *why;
	struct passwd *pw = worker_user(&why);

	if (!pw && !geteuid()) {
		log_warnx("user %s: %s; the worker does not run as root: not started", m.c.user, why);
		_exit(1);
	}
	if (pw && (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))) {
		log_warn("worker: can not become %s", m.c.user);
		_exit(1);
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static void prepare_store(void)
{
	struct passwd *pw = find_user(m.c.user);
	char dir[FWG_CONF_PATH_LEN + 8];

	mkdir(m.c.state_dir, 0711);
	snprintf(dir, sizeof(dir), "%s/sync", m.c.state_dir);
	mkdir(dir, 0700);
	/* A worker unit's StateDirectory= gives it the directory: nothing to hand over. */
	if (pw && m.listen < 0 && chown(dir, pw->pw_uid, pw->pw_gid))
		log_warn("%s", dir);
}

/* fwgated-worker, next to this program. */
static int worker_path(char *path, size_t len)
{
	char self[FWG_CONF_PATH_LEN];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(path, len, "%s/fwgated-worker", dirname(self));
	return 0;
}

extern char **environ;

/* What a new worker is told first: the policy (with @ctl, the control socket, if >= 0), the queue, the targets. */
static void worker_hello(const struct fwg_msg_policy *pm, int ctl)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = {};
	struct iovec iov = { .iov_base = (void *)pm, .iov_len = offsetof(struct fwg_msg_policy, text) + pm->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (ctl >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &ctl, sizeof(int));
	}
	if (sendmsg(m.sock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		log_warn("worker: the policy was not sent");
	fwg_queue_each(&m.q, resend_one, NULL);
	fwg_nl_targets(m.nl, tell_committed, NULL);
}

static int spawn_worker(void)
{
	static struct fwg_msg_policy pm = { .type = FWG_MSG_POLICY };
	char path[FWG_CONF_PATH_LEN + 32], *argv[5];
	int sv[2], fd, exe, n, argc = 0;
	pid_t pid;

	if (worker_path(path, sizeof(path))) {
		log_warn("worker: /proc/self/exe");
		return -1;
	}
	n = fwg_policy_format(&m.p, pm.text, sizeof(pm.text));
	if (n <= 0 || (size_t)n >= sizeof(pm.text)) {
		log_warnx("policy: can not hand it to the worker");
		return -1;
	}
	pm.len = n;
	pm.epoch = m.p.epoch;
	memcpy(pm.digest, m.p.digest, FWGATE_ID_LEN);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		log_warn("socketpair");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/* Nothing of the monitor's but the link and the control socket: no netlink, no devices. */
		if (dup2(sv[1], FWG_WORKER_SOCK_FD) < 0 ||
		    (m.ctl >= 0 ? dup2(m.ctl, FWG_WORKER_CTL_FD) : close(FWG_WORKER_CTL_FD)) < 0)
			_exit(1);
		for (fd = FWG_WORKER_CTL_FD + 1; fd < 1024; fd++)
			close(fd);
		/*
		 * The program is opened while still root and run from the descriptor: the worker's user need not
		 * reach the directory it is installed in (a build in a 0700 home, say).
		 */
		exe = open(path, O_RDONLY | O_CLOEXEC);
		if (exe < 0) {
			log_warn("%s", path);
			_exit(127);
		}
		drop_privileges();
		/* After the identity change, which clears it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		argv[argc++] = "fwgated-worker";
		argv[argc++] = "-c";
		argv[argc++] = (char *)m.conf;
		if (m.verbose)
			argv[argc++] = "-v";
		argv[argc] = NULL;
		fexecve(exe, argv, environ);
		log_warn("%s", path);
		_exit(127);
	}
	close(sv[1]);
	m.worker = pid;
	m.sock = sv[0];
	log_info("worker %d started as %s", m.worker, m.c.user);
	worker_hello(&pm, -1);
	return 0;
}

/*
 * A worker's unit connected to the socket-activated link: it must run as fwgated.conf's "user", not root.
 * Its first message carries the control socket (SCM_RIGHTS), which a forked worker inherits instead.
 */
static void accept_worker(void)
{
	static struct fwg_msg_policy pm = { .type = FWG_MSG_POLICY };
	struct passwd *pw = find_user(m.c.user);
	socklen_t len = sizeof(struct ucred);
	struct ucred cr;
	int fd, n;

	fd = accept4(m.listen, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		log_warn("worker link: SO_PEERCRED");
		close(fd);
		return;
	}
	if (!pw || cr.uid != pw->pw_uid || cr.uid == 0) {
		log_warnx("worker link: pid %d runs as uid %u, not as user %s (fwgated.conf \"user\", User= of "
			  "fwgated-worker.service, which must not be root); refused", cr.pid, cr.uid, m.c.user);
		close(fd);
		return;
	}
	if (m.sock >= 0) {
		log_warnx("worker link: pid %d connected while a worker is; refused", cr.pid);
		close(fd);
		return;
	}
	n = fwg_policy_format(&m.p, pm.text, sizeof(pm.text));
	if (n <= 0 || (size_t)n >= sizeof(pm.text)) {
		log_warnx("policy: can not hand it to the worker");
		close(fd);
		return;
	}
	pm.len = n;
	m.sock = fd;
	log_info("worker %d connected as %s", cr.pid, m.c.user);
	worker_hello(&pm, m.ctl);
}

/* ------------------------------------------------------------------ acknowledgements */

/* Signs @stmt as a transaction of @type with the device key and queues it for the worker to submit. */
static int queue_signed(unsigned int type, const void *stmt, size_t stmt_len, const uint8_t *u_id)
{
	uint8_t buf[4096], id[FWGATE_ID_LEN];
	const char *what = fwg_tx_type_name(type);
	struct fwg_key *key;
	char hex[17];
	size_t len;

	fwg_hex(u_id, 8, hex);
	/* The key is read for each signature and freed at once: the worker, forked later, never holds it. */
	key = fwg_key_load_private(m.c.device_key);
	if (!key)
		return -1;
	len = fwg_tx_sign(key, type, stmt, stmt_len, NULL, 0, NULL, 0, buf, sizeof(buf));
	fwg_key_free(key);
	if (!len) {
		log_warnx("%s of %s: can not sign it", what, hex);
		return -1;
	}
	fwg_tx_id(buf, len, id);
	if (fwg_queue_put(&m.q, id, buf, len))
		return -1;
	log_info("%s of update %s queued", what, hex);
	resend_one(id, buf, len, NULL);
	return 0;
}

static int sign_queue(const struct fwg_msg_sign *r)
{
	struct fwgate_nack_stmt n = {};
	struct fwgate_ack_stmt a = {};
	struct fwg_target_info t;
	char hex[17];

	fwg_hex(r->u_id, 8, hex);
	if (!r->nack) {
		/*
		 * Only what the kernel holds is acknowledged, with the version and slot it holds it in: the
		 * worker's are only a hint of which slot, when two hold it.
		 */
		if ((target_get(r->target, NULL, &t) != 1 || t.state != FWGATE_TARGET_VALID ||
		     memcmp(t.last_id, r->u_id, FWGATE_ID_LEN)) && target_get(NULL, r->u_id, &t) != 1) {
			log_warnx("ack of %s refused: no target holds it", hex);
			return -1;
		}
		memcpy(a.magic, FWGATE_MAGIC_ACK, FWGATE_MAGIC_LEN);
		memcpy(a.u_id, r->u_id, FWGATE_ID_LEN);
		memcpy(a.o_id, m.p.device_id, FWGATE_ID_LEN);
		a.version = htobe64(t.last_version);
		memcpy(a.target, t.name, sizeof(a.target));
		a.time = htobe64(time(NULL));
	} else {
		memcpy(n.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
		memcpy(n.u_id, r->u_id, FWGATE_ID_LEN);
		memcpy(n.o_id, m.p.device_id, FWGATE_ID_LEN);
		memcpy(n.culprit_id, r->culprit, FWGATE_ID_LEN);
		n.reason = htobe32(r->reason);
		n.time = htobe64(time(NULL));
	}
	return r->nack ? queue_signed(FWG_TX_NACK, &n, sizeof(n), r->u_id) :
			 queue_signed(FWG_TX_ACK, &a, sizeof(a), r->u_id);
}

/* Signed and queued, the worker gets a SUBMIT; otherwise it is told, and asks again at its next round. */
static void sign(const struct fwg_msg_sign *r)
{
	struct fwg_msg_sign f = *r;

	if (sign_queue(r)) {
		f.type = FWG_MSG_SIGN_FAILED;
		send_w(&f, sizeof(f));
	}
}

/* ------------------------------------------------------------------ boot and fallback */

/* Records a new phase of the last install's boot; the record survives restarts and reboots. */
static void boot_phase(enum fwg_boot_phase phase)
{
	m.bs.phase = phase;
	m.bs.time = time(NULL);
	if (fwg_boot_state_save(m.c.state_dir, &m.bs))
		log_warnx("%s/boot.state: not saved; a restart forgets that slot %s is %s", m.c.state_dir, m.bs.slot,
			  fwg_boot_phase_name(phase));
}

/* A commit: the next boot tries the slot written, and the slot that ran is its fallback. */
static void committed(const char *slot, const char *other, const uint8_t *u_id, uint64_t version)
{
	memset(&m.bs, 0, sizeof(m.bs));
	snprintf(m.bs.slot, sizeof(m.bs.slot), "%s", slot);
	snprintf(m.bs.other, sizeof(m.bs.other), "%s", other);
	memcpy(m.bs.u_id, u_id, FWGATE_ID_LEN);
	m.bs.version = version;
	if (fwg_boot_switch(&m.c, slot, other)) {
		log_warnx("slot %s: written, but the bootloader switch failed; retrying every %d s", slot,
			  SWITCH_RETRY_S);
		m.pending_at = time(NULL) + SWITCH_RETRY_S;
		boot_phase(FWG_BOOT_SWITCH);
		return;
	}
	log_info("slot %s: the next boot tries it; %s is its fallback", slot, other);
	boot_phase(FWG_BOOT_TRIAL);
}

/* The configured health check on the running slot; 0 when it passes or there is none. */
static int health_check(const char *slot)
{
	int status;
	pid_t pid;

	if (!m.c.health_check[0])
		return 0;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl(m.c.health_check, m.c.health_check, slot, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		log_warnx("slot %s: the health check %s failed", slot, m.c.health_check);
		return -1;
	}
	return 0;
}

/*
 * Waited for: systemctl reboot (/sbin/reboot) returns once the reboot is queued, and a child left behind
 * would later be taken for the worker by the main loop's SIGCHLD handling.
 */
static void reboot_now(void)
{
	int status;
	pid_t pid;

	log_info("rebooting into slot %s (%s)", m.bs.other, m.c.reboot);
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl(m.c.reboot, m.c.reboot, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		log_warnx("reboot %s: failed; slot %s is the default from the next boot on", m.c.reboot, m.bs.other);
}

/* The trial slot's update, nacked: the device fell back to the previous slot, for @reason. */
static void fallback_nack(uint32_t reason)
{
	struct fwgate_nack_stmt n = {};

	memcpy(n.magic, FWGATE_MAGIC_NACK, FWGATE_MAGIC_LEN);
	memcpy(n.u_id, m.bs.u_id, FWGATE_ID_LEN);
	memcpy(n.o_id, m.p.device_id, FWGATE_ID_LEN);
	/* The image did not come up: the manufacturer's, not the device's, as far as the device can tell. */
	memcpy(n.culprit_id, m.p.manufacturer.id, FWGATE_ID_LEN);
	n.reason = htobe32(reason);
	n.time = htobe64(time(NULL));
	queue_signed(FWG_TX_NACK, &n, sizeof(n), m.bs.u_id);
}

/*
 * The trial slot runs and is healthy: a running ack with the version the kernel holds in that slot, which
 * the bootloader reports running. Not when the slot holds something else by now.
 */
static int running_ack(void)
{
	struct fwgate_ack_stmt a = {};
	struct fwg_target_info t;

	if (target_get(m.bs.slot, NULL, &t) != 1 || t.state != FWGATE_TARGET_VALID ||
	    memcmp(t.last_id, m.bs.u_id, FWGATE_ID_LEN)) {
		log_warnx("slot %s: runs, but fwgate.ko says it no longer holds the update it tried; no running ack",
			  m.bs.slot);
		return -1;
	}
	memcpy(a.magic, FWGATE_MAGIC_RUNNING, FWGATE_MAGIC_LEN);
	memcpy(a.u_id, m.bs.u_id, FWGATE_ID_LEN);
	memcpy(a.o_id, m.p.device_id, FWGATE_ID_LEN);
	a.version = htobe64(t.last_version);
	memcpy(a.target, t.name, sizeof(a.target));
	a.time = htobe64(time(NULL));
	return queue_signed(FWG_TX_RUNNING, &a, sizeof(a), m.bs.u_id);
}

/*
 * At start, after a boot or a restart: what became of the trial of the last install (agent/bootstate.h).
 * The trial slot runs: health check, then a running ack, or a revert to the previous slot, a nack HEALTH
 * and a reboot. The previous slot runs while the bootloader no longer means to start the trial slot: it
 * fell back by itself, a nack BOOT. Otherwise the running slot is checked and confirmed as it always was.
 */
static void boot_outcome(void)
{
	char next[FWGATE_NAME_LEN];

	if (fwg_boot_state_load(m.c.state_dir, &m.bs))
		log_warnx("%s/boot.state: unreadable; the last install's boot is forgotten", m.c.state_dir);
	if (m.bs.phase == FWG_BOOT_SWITCH)
		m.pending_at = time(NULL);
	if (m.c.bootloader == FWG_BOOT_NONE || fwg_boot_active(&m.c, NULL, m.active, sizeof(m.active))) {
		m.active[0] = '\0';
		return;
	}
	if (m.bs.phase == FWG_BOOT_TRIAL && !strcmp(m.active, m.bs.slot)) {
		if (!health_check(m.active)) {
			if (fwg_boot_confirm(&m.c, m.active))
				log_warnx("slot %s: can not mark it good", m.active);
			else
				log_info("slot %s: booted and healthy, marked good", m.active);
			if (!running_ack())
				boot_phase(FWG_BOOT_RUNNING);
			return;
		}
		if (fwg_boot_revert(&m.c, m.bs.other, m.bs.slot)) {
			log_warnx("slot %s: unhealthy, and the bootloader can not be set back to %s", m.active,
				  m.bs.other);
			return;
		}
		log_warnx("slot %s: unhealthy; falling back to %s", m.active, m.bs.other);
		fallback_nack(FWGATE_NACK_HEALTH);
		boot_phase(FWG_BOOT_FELL_HEALTH);
		reboot_now();
		return;
	}
	if (m.bs.phase == FWG_BOOT_TRIAL && !strcmp(m.active, m.bs.other)) {
		if (fwg_boot_next(&m.c, next, sizeof(next)) || !next[0] || !strcmp(next, m.bs.slot)) {
			/* Not rebooted yet. Confirming the running slot now would cancel the trial. */
			log_info("slot %s: the next boot tries it", m.bs.slot);
			return;
		}
		log_warnx("slot %s: did not come up; the bootloader fell back to %s", m.bs.slot, m.active);
		fallback_nack(FWGATE_NACK_BOOT);
		boot_phase(FWG_BOOT_FELL_BOOT);
	}
	if (health_check(m.active))
		log_warnx("slot %s: not marked good", m.active);
	else if (fwg_boot_confirm(&m.c, m.active))
		log_warnx("slot %s: can not mark it good", m.active);
	else
		log_info("slot %s: booted and healthy, marked good", m.active);
}

/* ------------------------------------------------------------------ installs */

static void reply(uint32_t type, const uint8_t *u_id, int err, uint32_t state, const char *msg)
{
	struct fwg_msg_result r = { .type = type, .err = err, .state = state };

	if (u_id)
		memcpy(r.u_id, u_id, FWGATE_ID_LEN);
	snprintf(r.slot, sizeof(r.slot), "%s", m.begin.target);
	snprintf(r.msg, sizeof(r.msg), "%s", msg ? msg : "");
	send_w(&r, sizeof(r));
}

static void bundle(const struct fwg_msg_bundle *b)
{
	struct fwg_update_info u = {};
	char msg[300];
	int err;

	err = fwg_nl_bundle_submit(m.nl, &b->stmt, b->sig, b->sig_len, b->v, b->nv, &u);
	snprintf(msg, sizeof(msg), "%s (%s)", err ? fwg_nl_error(m.nl) : "", err ? strerror(-err) : "");
	reply(FWG_MSG_BUNDLE_DONE, b->stmt.u_id, err, u.state, err ? msg : NULL);
}

static void control(const struct fwg_msg_control *c)
{
	struct fwg_update_info u = {};
	char msg[300];
	int err;

	err = fwg_nl_update_control(m.nl, &c->stmt, c->sig, c->n, &u);
	snprintf(msg, sizeof(msg), "%s (%s)", err ? fwg_nl_error(m.nl) : "", err ? strerror(-err) : "");
	reply(FWG_MSG_CONTROL_DONE, c->stmt.u_id, err, u.state, err ? msg : NULL);
}

/* The slot of the update's group that is not running: the bootloader's, else the one written least recently. */
static int pick_slot(const char *group, char *slot, char *other)
{
	const struct fwg_slot *s[2];
	struct fwg_target_info t[2];
	unsigned int i, n = 0;
	int pick;

	for (i = 0; i < m.c.nr_slots && n < 2; i++)
		if (!strncmp(m.c.slots[i].group, group, FWGATE_NAME_LEN))
			s[n++] = &m.c.slots[i];
	if (n != 2)
		return -1;
	if (m.active[0] && (!strcmp(s[0]->name, m.active) || !strcmp(s[1]->name, m.active))) {
		pick = !strcmp(s[0]->name, m.active);
	} else {
		if (target_get(s[0]->name, NULL, &t[0]) != 1 || target_get(s[1]->name, NULL, &t[1]) != 1)
			return -1;
		/* Nothing known to run: slot A runs, B takes the update; then they take turns. */
		pick = t[1].last_version > t[0].last_version && t[1].state == FWGATE_TARGET_VALID ? 0 : 1;
	}
	strcpy(slot, s[pick]->name);
	strcpy(other, s[!pick]->name);
	return 0;
}

static void install_begin(const struct fwg_msg_begin *b)
{
	char msg[300], err_text[256] = "";
	int err;

	if (m.fd >= 0) {
		ioctl(m.fd, FWGATE_IOC_ABORT);
		close(m.fd);
		m.fd = -1;
	}
	memset(&m.begin, 0, sizeof(m.begin));
	if (pick_slot(b->stmt.target, m.begin.target, m.other)) {
		reply(FWG_MSG_BEGIN_DONE, b->stmt.u_id, -ENODEV, 0, "no A/B slot pair for the update's target group");
		return;
	}
	memcpy(m.begin.u_id, b->stmt.u_id, FWGATE_ID_LEN);
	m.begin.size = be64toh(b->stmt.size);
	m.begin.version = be64toh(b->stmt.version);
	m.begin.chunks = (uintptr_t)b->chunks;
	m.begin.chunks_len = b->chunks_len;
	m.fd = open("/dev/" FWGATE_DEVICE_NAME, O_WRONLY | O_CLOEXEC);
	if (m.fd < 0) {
		err = -errno;
		snprintf(msg, sizeof(msg), "/dev/" FWGATE_DEVICE_NAME ": %s", strerror(errno));
		reply(FWG_MSG_BEGIN_DONE, b->stmt.u_id, err, 0, msg);
		return;
	}
	if (ioctl(m.fd, FWGATE_IOC_BEGIN, &m.begin)) {
		err = -errno;
		fwg_sysfs_read("last_error", err_text, sizeof(err_text));
		snprintf(msg, sizeof(msg), "%s: %s", m.begin.target, err_text[0] ? err_text : strerror(-err));
		close(m.fd);
		m.fd = -1;
		reply(FWG_MSG_BEGIN_DONE, b->stmt.u_id, err, 0, msg);
		return;
	}
	m.werr = 0;
	reply(FWG_MSG_BEGIN_DONE, b->stmt.u_id, 0, 0, NULL);
}

static int write_all(const uint8_t *buf, size_t len, void *arg)
{
	const uint8_t *p = buf;
	ssize_t n;

	(void)arg;
	while (len) {
		n = write(m.fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Plain bytes: the worker opened a sealed image with the content key unwrap() gave it. */
static void install_data(const uint8_t *p, size_t len)
{
	if (m.fd < 0 || m.werr)
		return;
	m.werr = write_all(p, len, NULL);
}

/* The content key of one sealed image, from this device's entry of its recipient table. */
static void unwrap(const struct fwg_msg_unwrap *u)
{
	struct fwg_msg_unwrapped r = { .type = FWG_MSG_UNWRAP_DONE };
	struct fwg_key *key = fwg_key_load_private(m.c.device_key);

	r.err = key ? fwg_seal_unwrap(key, u->hdr, u->entry, r.cek) : -ENOKEY;
	fwg_key_free(key);
	send_w(&r, sizeof(r));
	explicit_bzero(&r, sizeof(r));
}

static void install_end(const struct fwg_msg_end *e)
{
	char msg[300], err_text[256] = "";
	int err = 0;

	if (m.fd < 0) {
		reply(FWG_MSG_END_DONE, e->u_id, -EBADF, 0, "no install is open");
		return;
	}
	if (e->abort || m.werr) {
		ioctl(m.fd, FWGATE_IOC_ABORT);
		err = m.werr ? m.werr : -ECANCELED;
		snprintf(msg, sizeof(msg), "%s: install aborted: %s", m.begin.target,
			 m.werr ? strerror(-m.werr) : "the download failed");
	} else if (ioctl(m.fd, FWGATE_IOC_COMMIT)) {
		err = -errno;
		fwg_sysfs_read("last_error", err_text, sizeof(err_text));
		snprintf(msg, sizeof(msg), "%s: %s", m.begin.target, err_text[0] ? err_text : strerror(-err));
	}
	close(m.fd);
	m.fd = -1;
	if (!err) {
		snprintf(msg, sizeof(msg), "%s", m.begin.target);
		if (m.c.bootloader != FWG_BOOT_NONE)
			committed(m.begin.target, m.other, m.begin.u_id, m.begin.version);
	}
	reply(FWG_MSG_END_DONE, e->u_id, err, 0, msg);
}

/* Retries the bootloader switch to a slot written and committed, for as long as the slot holds that install. */
static void switch_retry(void)
{
	struct fwg_target_info t;
	int found;

	m.pending_at = time(NULL) + SWITCH_RETRY_S;
	found = target_get(m.bs.slot, NULL, &t);
	if (found < 0)
		return;
	if (!found || t.state != FWGATE_TARGET_VALID || memcmp(t.last_id, m.bs.u_id, FWGATE_ID_LEN)) {
		log_warnx("slot %s: no longer holds the install; its bootloader switch is dropped", m.bs.slot);
		boot_phase(FWG_BOOT_IDLE);
		return;
	}
	if (fwg_boot_switch(&m.c, m.bs.slot, m.bs.other)) {
		log_warnx("slot %s: the bootloader switch failed again; retrying in %d s", m.bs.slot, SWITCH_RETRY_S);
		return;
	}
	log_info("slot %s: the bootloader switch is done; the next boot tries it", m.bs.slot);
	boot_phase(FWG_BOOT_TRIAL);
}

/* A rotation from the chain: the kernel checks it and re-seals; the worker learns the policy then in force. */
static void rotate(const struct fwg_msg_rotate *r)
{
	static struct fwg_msg_rotated d;

	memset(&d, 0, sizeof(d));
	d.type = FWG_MSG_ROTATE_DONE;
	d.err = fwg_trust_rotate(m.nl, &m.c, r->tx, r->len, &d.p, d.msg, sizeof(d.msg));
	if (d.err)
		d.p = m.p;
	else
		m.p = d.p;
	send_w(&d, sizeof(d));
}

static void from_worker(void)
{
	static uint8_t buf[sizeof(struct fwg_msg_bundle) + FWG_MSG_DATA_MAX];
	ssize_t n;
	int type;

	n = recv(m.sock, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(m.sock);
			m.sock = -1;
		}
		return;
	}
	type = fwg_msg_check(buf, n);
	switch (type) {
	case FWG_MSG_BUNDLE:
		bundle((const void *)buf);
		break;
	case FWG_MSG_BEGIN:
		install_begin((const void *)buf);
		break;
	case FWG_MSG_DATA:
		install_data(buf + 4, n - 4);
		break;
	case FWG_MSG_END:
		install_end((const void *)buf);
		break;
	case FWG_MSG_SIGN:
		sign((const void *)buf);
		break;
	case FWG_MSG_INCLUDED:
		fwg_queue_remove(&m.q, ((const struct fwg_msg_id *)buf)->id);
		break;
	case FWG_MSG_UNWRAP:
		unwrap((const void *)buf);
		break;
	case FWG_MSG_ROTATE:
		rotate((const void *)buf);
		break;
	case FWG_MSG_CONTROL:
		control((const void *)buf);
		break;
	default:
		log_warnx("worker: a malformed message of %zd bytes; ignored", n);
	}
}

static void from_kernel(void)
{
	struct fwg_msg_committed c = { .type = FWG_MSG_COMMITTED };
	struct fwg_event ev;
	char hex[17];

	if (fwg_nl_event(m.ev, &ev))
		return;
	fwg_hex(ev.update.u_id, 8, hex);
	if (ev.event == FWGATE_EVENT_INSTALL_REFUSED)
		log_info("kernel: install of %s refused: %s", hex, ev.reason);
	if (ev.event != FWGATE_EVENT_INSTALL_COMMITTED)
		return;
	memcpy(c.u_id, ev.update.u_id, FWGATE_ID_LEN);
	c.version = ev.update.version;
	snprintf(c.target, sizeof(c.target), "%s", ev.target.name);
	log_info("kernel: %s committed on %s", hex, ev.target.name);
	send_w(&c, sizeof(c));
}

/* ------------------------------------------------------------------ main */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * systemd's watchdog (WatchdogSec=): WATCHDOG=1 from the main loop at half the interval, so that a monitor
 * stuck anywhere else is restarted. Returns the poll timeout that keeps that pace.
 */
static int watchdog_kick(int timeout)
{
	static long long last;
	int ms = fwg_sd_watchdog_ms();

	if (ms < 0)
		return timeout;
	if (now_ms() - last >= ms) {
		fwg_sd_notify("WATCHDOG=1");
		last = now_ms();
	}
	return timeout < 0 || timeout > ms ? ms : timeout;
}

/* A poll timeout that wakes the loop at @when at the latest; @timeout < 0 is none. */
static int until(time_t when, int timeout)
{
	time_t now = time(NULL);
	int ms = when > now ? (int)(when - now) * 1000 : 0;

	return timeout < 0 || ms < timeout ? ms : timeout;
}

static int control_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[FWG_CONF_PATH_LEN];
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	snprintf(dir, sizeof(dir), "%s", path);
	mkdir(dirname(dir), 0755);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) || listen(fd, 8)) {
		log_warn("control socket %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Without genesis, the first node's block 0 is trusted: say so, once, where it can be fixed. */
static void warn_no_genesis(const char *conf)
{
	if (!m.c.has_genesis)
		log_warnx("%s: no genesis: block 0 is taken from the first node that answers (trust on first use); "
			  "pin it with \"genesis HASH\" (fwgate log --json | jq -r '.chain[0].hash')", conf);
}

static int load_policy(void)
{
	uint8_t *text;
	size_t len;
	int err;

	if (fwg_read_file(m.c.policy, &text, &len, 1 << 20))
		return -1;
	err = fwg_policy_parse(m.c.policy, (const char *)text, len, &m.p);
	free(text);
	return err;
}

/*
 * SIGHUP: read the configuration again. Nodes and mirrors change the egress allow map and restart the
 * worker, which reads the rest itself; what fwgate.ko holds (policy, slots, state store) does not change
 * until a restart.
 */
static void reload(void)
{
	struct fwg_conf c;

	if (fwg_conf_load(m.conf, &c)) {
		log_warnx("reload: %s has errors; keeping the running configuration", m.conf);
		return;
	}
	memcpy(m.c.nodes, c.nodes, sizeof(c.nodes));
	m.c.nr_nodes = c.nr_nodes;
	memcpy(m.c.mirrors, c.mirrors, sizeof(c.mirrors));
	m.c.nr_mirrors = c.nr_mirrors;
	if (fwg_agent_bpf_update(m.bpf, &m.c))
		log_warnx("reload: the egress allow map was not replaced");
	log_info("reload: %u nodes, %u mirrors; restarting the worker", m.c.nr_nodes, m.c.nr_mirrors);
	if (m.worker > 0)
		kill(m.worker, SIGTERM);
	/* A worker unit ends when its link does; systemd starts it again (Restart=always). */
	if (m.listen >= 0 && m.sock >= 0) {
		close(m.sock);
		m.sock = -1;
	}
}

/* One agent per state directory: two would sign two acks of one install and share one store. */
static int lock_instance(void)
{
	char path[FWG_CONF_PATH_LEN + 16];
	int fd;

	mkdir(m.c.state_dir, 0711);
	snprintf(path, sizeof(path), "%s/fwgated.lock", m.c.state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		log_warnx("%s: another fwgated uses this state-dir", path);
		close(fd);
		return -1;
	}
	return 0;	/* held until exit */
}

/* On stdout with exit 0 for --help, on stderr with FWG_EXIT_USAGE after a usage error. */
static void usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: fwgated [-c CONFIG] [-n] [-v]\n"
		"  -c, --config CONFIG  the configuration (default /etc/fwgate/fwgated.conf)\n"
		"  -n, --check          check the configuration and the files it names, then exit\n"
		"  -v, --verbose        more messages\n"
		"  -h, --help           this text\n"
		"      --version        the version\n");
	exit(status);
}

int main(int argc, char **argv)
{
	const char *conf = m.conf = "/etc/fwgate/fwgated.conf";
	struct pollfd pfd[4];
	int opt, check = 0, verbose = 0, sfd, status, err, timed_out = 1;
	struct signalfd_siginfo si;
	char qdir[FWG_CONF_PATH_LEN + 8];
	long long bpf_polled = 0;
	time_t restart = 0;
	sigset_t set;

	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};

	while ((opt = getopt_long(argc, argv, "c:nvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = m.conf = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose++; m.verbose = 1; break;
		case 'h': usage(FWG_EXIT_OK); break;
		case 'V': fwg_print_version("fwgated"); break;
		default: usage(FWG_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fwgated: \"%s\": unexpected argument\n", argv[optind]);
		usage(FWG_EXIT_USAGE);
	}
	log_init("fwgated", verbose);
	/* Before any child is forked: the descriptor is close-on-exec from here on. */
	m.listen = fwg_sd_listen_fd("worker");
	if (check) {
		int policy_ok = 0, key_named;
		const char *why;
		struct stat st;

		/* Every error, not only the first: the configuration's lines, then the files it names. */
		if (fwg_conf_load(conf, &m.c))
			return 1;
		err = fwg_conf_check_files(&m.c);
		/* What fwg_conf_check_files named (a missing file, a loose key) is not named again by its reader. */
		key_named = stat(m.c.device_key, &st) || st.st_mode & 077;
		if (!access(m.c.policy, F_OK)) {
			policy_ok = !load_policy();
			if (!policy_ok)
				err = -1;
		}
		if (!key_named && (policy_ok ? check_key(m.p.device_id, m.c.policy) : check_device_key()))
			err = -1;
		if (!worker_user(&why)) {
			log_warnx("%s: user %s: %s; the worker must not run as root", conf, m.c.user, why);
			err = -1;
		}
		warn_no_genesis(conf);
		if (err)
			return 1;
		printf("%s: OK (%u nodes, %u slots, device %02x%02x%02x%02x...)\n", conf, m.c.nr_nodes,
		       m.c.nr_slots, m.p.device_id[0], m.p.device_id[1], m.p.device_id[2], m.p.device_id[3]);
		return 0;
	}
	if (fwg_conf_load(conf, &m.c) || load_policy() || fwg_conf_check_files(&m.c) ||
	    check_key(m.p.device_id, m.c.policy) || lock_instance())
		return 1;
	warn_no_genesis(conf);
	m.nl = fwg_nl_open(0);
	m.ev = fwg_nl_open(1);
	if (!m.nl || !m.ev) {
		log_warnx("fwgate.ko: no \"fwgate\" generic netlink family; is the module loaded?");
		return 1;
	}
	if (provision())
		return 1;
	m.bpf = fwg_agent_bpf_start(&m.c, lock_policy, NULL, &err);
	if (err)
		return 1;
	/* Loading the programs parsed the kernel's BTF: give those megabytes back. */
	malloc_trim(0);
	snprintf(qdir, sizeof(qdir), "%s/queue", m.c.state_dir);
	mkdir(m.c.state_dir, 0711);

	if (fwg_queue_open(&m.q, qdir))
		return 1;
	/* After the queue opens: the boot's outcome may be a running ack or a nack to queue. */
	boot_outcome();
	prepare_store();
	m.ctl = control_socket(m.c.control);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (m.listen >= 0)
		log_info("worker: fwgated-worker.service connects to the socket systemd passed");
	else if (spawn_worker())
		return 1;
	/* The policy is locked, the guard attached and the worker started: what Type=notify waits for. */
	fwg_sd_notify("READY=1\nSTATUS=policy locked, following the chain");
	for (;;) {
		int timeout = m.bpf ? 500 : -1, n;

		timeout = watchdog_kick(timeout);

		/* Not once per message: an install streams thousands of them. */
		if (m.bpf && (timed_out || now_ms() - bpf_polled >= 1000)) {
			fwg_agent_bpf_poll(m.bpf);
			bpf_polled = now_ms();
		}
		if (m.sock < 0 && !m.worker && m.listen < 0)
			timeout = until(restart, timeout);
		if (m.bs.phase == FWG_BOOT_SWITCH)
			timeout = until(m.pending_at, timeout);
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = fwg_nl_fd(m.ev), .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = m.sock, .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = m.listen, .events = POLLIN };
		n = poll(pfd, 4, timeout);
		if (n < 0 && errno != EINTR)
			break;
		timed_out = !n;
		if (pfd[0].revents & POLLIN && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				reload();
				continue;
			}
			if (si.ssi_signo != SIGCHLD)
				break;
			while (waitpid(-1, &status, WNOHANG) > 0) {
				log_warnx("worker %d ended (status %d); restarting it", m.worker, status);
				m.worker = 0;
				restart = time(NULL) + 2;
			}
		}
		if (pfd[1].revents & POLLIN)
			from_kernel();
		if (m.sock >= 0 && pfd[2].revents & (POLLIN | POLLHUP))
			from_worker();
		if (pfd[3].revents & POLLIN)
			accept_worker();
		if (m.sock < 0 && m.fd >= 0) {
			ioctl(m.fd, FWGATE_IOC_ABORT);
			close(m.fd);
			m.fd = -1;
		}
		if (m.bs.phase == FWG_BOOT_SWITCH && time(NULL) >= m.pending_at)
			switch_retry();
		if (!m.worker && m.listen < 0 && time(NULL) >= restart) {
			if (m.sock >= 0)
				close(m.sock);
			m.sock = -1;
			if (spawn_worker())
				restart = time(NULL) + 2;
		}
	}
	log_info("stopping");
	if (m.worker > 0)
		kill(m.worker, SIGTERM);
	if (m.fd >= 0)
		ioctl(m.fd, FWGATE_IOC_ABORT);
	unlink(m.c.control);
	fwg_agent_bpf_stop(m.bpf);
	fwg_queue_close(&m.q);
	fwg_nl_close(m.nl);
	fwg_nl_close(m.ev);
	return 0;
}
