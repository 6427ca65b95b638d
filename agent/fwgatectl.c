// SPDX-License-Identifier: GPL-2.0
/*
 * fwgatectl: the administrator's view of fwgate.ko. With no arguments it prints the state: the policy, the
 * targets, the tracked updates and the counters. Other commands provision and lock the policy, declare
 * targets, submit approval bundles, install an image through /dev/fwgate and follow the kernel's events.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "bootstate.h"
#include "command.h"
#include "lock.h"
#include "cmd.h"
#include "exit.h"
#include "files.h"
#include "fwgatectl_trust.h"
#include "jsonout.h"
#include "keys.h"
#include "log.h"
#include "nl.h"
#include "progress.h"
#include "sysfs.h"


static struct fwg_nl *nl_open(int events)
{
	struct fwg_nl *nl = fwg_nl_open(events);

	if (!nl)
		exit(FWG_EXIT_UNREACHABLE);
	return nl;
}

static int nl_fail(struct fwg_nl *nl, const char *what, int err)
{
	log_warnx("%s: %s (%s)", what, fwg_nl_error(nl), strerror(-err));
	fwg_nl_close(nl);
	return FWG_EXIT_REFUSED;
}

static const char *update_state(uint32_t s)
{
	static const char *const names[] = { "?", "pending", "approved", "rejected", "withdrawn" };

	return s < 5 ? names[s] : "?";
}

static const char *target_state(uint32_t s)
{
	static const char *const names[] = { "unknown", "valid", "writing", "invalid" };

	return s < 4 ? names[s] : "?";
}

static void hex_short(const uint8_t *id, char *out)
{
	fwg_hex(id, 8, out);
}

static int print_target(const struct fwg_target_info *t, void *arg)
{
	char hex[17];

	(void)arg;
	hex_short(t->last_id, hex);
	printf("  %-12s group %-10s %-5s %10llu bytes  floor %-6llu %-8s last %s v%llu  (%s)\n",
	       t->name, t->group, t->type == FWGATE_TARGET_MTD ? "mtd" : "block",
	       (unsigned long long)t->size, (unsigned long long)t->floor, target_state(t->state),
	       hex, (unsigned long long)t->last_version, t->spec);
	return 0;
}

static int print_update(const struct fwg_update_info *u, void *arg)
{
	char hex[17];

	(void)arg;
	hex_short(u->u_id, hex);
	printf("  %s…  v%-6llu %-10s %-9s approvals %u, rejections %u\n", hex,
	       (unsigned long long)u->version, u->target, update_state(u->state), u->approvals,
	       u->rejections);
	return 0;
}

static void print_sysfs(const char *label, const char *file)
{
	char buf[256];

	if (!fwg_sysfs_read(file, buf, sizeof(buf)))
		printf("  %-20s %s\n", label, buf);
}

/*
 * Asks fwgated's worker over its control socket ($FWGATE_CONTROL, else /run/fwgate/fwgated.sock; the protocol
 * is Documentation/fwgate/control.rst) and prints the answer. Returns 0, FWG_EXIT_UNREACHABLE when no agent
 * answers (quiet when @quiet), FWG_EXIT_FAIL when it answers an error.
 */
static int agent_ask(const char *req, int quiet)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("FWGATE_CONTROL");
	char buf[4096] = "";
	ssize_t n;
	int fd;

	if (!path)
		path = "/run/fwgate/fwgated.sock";
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (!quiet)
			log_warn("fwgated at %s", path);
		if (fd >= 0)
			close(fd);
		return FWG_EXIT_UNREACHABLE;
	}
	dprintf(fd, "%s\n", req);
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	if (!strncmp(buf, "error:", 6) || !strncmp(buf, "{\"error\":", 9))
		return FWG_EXIT_FAIL;
	return 0;
}

/* The command table, for the usage errors: set by main. */
static const struct fwg_cmd *commands_of;
static size_t nr_commands;

/* A usage error in command argv[0], naming @word when there is one; exits FWG_EXIT_USAGE. */
static void __attribute__((noreturn)) cmd_usage(char **argv, const char *word, const char *what)
{
	size_t i;

	for (i = 0; i < nr_commands && strcmp(commands_of[i].name, argv[0]); i++)
		;
	if (word)
		log_warnx("%s: \"%s\": %s", argv[0], word, what);
	usagex("usage: fwgatectl %s %s", argv[0], i < nr_commands && commands_of[i].args ? commands_of[i].args : "");
}

/* Commands that take no option: name the first word that looks like one. */
static void no_options(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			cmd_usage(argv, argv[i], "unknown option");
}

static const char *const agent_requests[] = { "status", "updates", "approvals", "history", "sync" };

/* [--json] anywhere in argv: 1, and argv without it; a word that is neither is left for the caller. */
static int take_json(int *argc, char **argv)
{
	int i, j, json = 0;

	for (i = j = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--json") || (!strcmp(argv[i], "-o") && i + 1 < *argc &&
						   !strcmp(argv[i + 1], "json") && ++i))
			json = 1;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	return json;
}

static int cmd_agent(int argc, char **argv)
{
	int json = take_json(&argc, argv);
	const char *req = strcmp(argv[0], "agent") ? argv[0] : argc > 1 ? argv[1] : "status";
	char line[32];
	size_t i;

	if (argc > 2 || (strcmp(argv[0], "agent") && argc > 1))
		usagex("%s: \"%s\": unexpected word; usage: fwgatectl %s", argv[0], argv[argc - 1],
		       strcmp(argv[0], "agent") ? "COMMAND [--json]" :
		       "agent [status|updates|approvals|history|sync] [--json]");
	for (i = 0; i < sizeof(agent_requests) / sizeof(agent_requests[0]); i++)
		if (!strcmp(req, agent_requests[i]))
			break;
	if (i == sizeof(agent_requests) / sizeof(agent_requests[0]))
		usagex("agent: \"%s\": unknown request (status, updates, approvals, history, sync)", req);
	if (json && !strcmp(req, "sync"))
		usagex("sync: \"--json\": sync answers one line of text");
	snprintf(line, sizeof(line), "%s%s", json ? "json " : "", req);
	return agent_ask(line, 0);
}

/* The kernel's view as JSON (Documentation/fwgate/tools.rst): the same fields as the text, ids in full. */
struct json_list {
	int n;
};

static void json_name(const char *key, const char *val, size_t max)
{
	char buf[FWGATE_MAX_SPEC_LEN + 1];

	snprintf(buf, sizeof(buf), "%.*s", (int)(max < sizeof(buf) ? max : sizeof(buf) - 1), val);
	fwg_json_kv(stdout, 0, key, buf);
}

static int json_target(const struct fwg_target_info *t, void *arg)
{
	struct json_list *l = arg;

	printf("%s\n    {\"type\": \"%s\"", l->n++ ? "," : "", t->type == FWGATE_TARGET_MTD ? "mtd" : "block");
	json_name("name", t->name, sizeof(t->name));
	json_name("group", t->group, sizeof(t->group));
	json_name("spec", t->spec, sizeof(t->spec));
	printf(", \"size\": %llu, \"floor\": %llu, \"last_version\": %llu", (unsigned long long)t->size,
	       (unsigned long long)t->floor, (unsigned long long)t->last_version);
	fwg_json_id(stdout, 0, "last_id", t->last_id);
	fwg_json_kv(stdout, 0, "state", target_state(t->state));
	printf("}");
	return 0;
}

static int json_update(const struct fwg_update_info *u, void *arg)
{
	struct json_list *l = arg;

	printf("%s\n    {\"version\": %llu, \"size\": %llu", l->n++ ? "," : "", (unsigned long long)u->version,
	       (unsigned long long)u->size);
	fwg_json_id(stdout, 0, "u_id", u->u_id);
	json_name("target", u->target, sizeof(u->target));
	fwg_json_kv(stdout, 0, "state", update_state(u->state));
	printf(", \"approvals\": %u, \"rejections\": %u}", u->approvals, u->rejections);
	return 0;
}

static void json_counter(const char *key, const char *file, int *first)
{
	char buf[256];
	char *end;

	if (fwg_sysfs_read(file, buf, sizeof(buf)))
		return;
	strtoull(buf, &end, 10);
	printf("%s\"%s\": %s", *first ? "" : ", ", key, buf[0] && !*end ? buf : "null");
	*first = 0;
}

static int status_json(struct fwg_nl *nl)
{
	struct json_list l = {};
	struct fwg_policy p;
	char buf[256];
	int err, first = 1;
	uint32_t i;

	printf("{\"version\": 1,\n  \"agent\": ");
	fflush(stdout);
	if (agent_ask("json status", 1))
		printf("null\n");
	err = fwg_nl_policy_get(nl, &p);
	if (err && err != -ENOKEY)
		return nl_fail(nl, "policy", err);
	printf(",\n  \"policy\": ");
	if (err) {
		printf("null");
	} else {
		printf("{\"locked\": %s, \"threshold\": %u, \"k\": %u", p.locked ? "true" : "false", p.threshold,
		       p.k);
		json_name("type", p.otype, sizeof(p.otype));
		fwg_json_id(stdout, 0, "device", p.device_id);
		fwg_json_id(stdout, 0, "manufacturer", p.manufacturer.id);
		fwg_json_kv(stdout, 0, "manufacturer_alg", p.manufacturer.alg == FWGATE_KEY_P256 ? "p256" : "rsa3072");
		printf(", \"checkers\": [");
		for (i = 0; i < p.k; i++) {
			fwg_hex(p.checkers[i].id, FWGATE_ID_LEN, buf);
			printf("%s\"%s\"", i ? ", " : "", buf);
		}
		printf("]}");
	}
	printf(",\n  \"targets\": [");
	err = fwg_nl_targets(nl, json_target, &l);
	if (err)
		return nl_fail(nl, "targets", err);
	printf("\n  ],\n  \"updates\": [");
	l.n = 0;
	err = fwg_nl_updates(nl, json_update, &l);
	if (err)
		return nl_fail(nl, "updates", err);
	printf("\n  ],\n  \"counters\": {");
	json_counter("approvals_accepted", "counters/approvals_accepted", &first);
	json_counter("approvals_refused", "counters/approvals_refused", &first);
	json_counter("writes_committed", "counters/writes_committed", &first);
	json_counter("writes_refused", "counters/writes_refused", &first);
	json_counter("bytes_written", "counters/bytes_written", &first);
	printf("}");
	if (!fwg_sysfs_read("last_error", buf, sizeof(buf)))
		fwg_json_kv(stdout, 0, "last_error", buf);
	printf("}\n");
	fwg_nl_close(nl);
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	int json = argc > 1 ? take_json(&argc, argv) : 0;
	struct fwg_nl *nl;
	struct fwg_policy p;
	char hex[2 * FWGATE_ID_LEN + 1];
	uint32_t i;
	int err;

	if (argc > 1)
		cmd_usage(argv, argv[1], argv[1][0] == '-' ? "unknown option" : "unexpected word");
	nl = nl_open(0);
	if (json)
		return status_json(nl);
	printf("agent:\n");
	if (agent_ask("status", 1))
		printf("  fwgated is not running\n");
	err = fwg_nl_policy_get(nl, &p);
	if (err == -ENOKEY) {
		printf("policy: none\n");
	} else if (err) {
		return nl_fail(nl, "policy", err);
	} else {
		fwg_hex(p.device_id, FWGATE_ID_LEN, hex);
		printf("policy: type %s, device %.16s…, q=%u of k=%u, %s\n", p.otype, hex,
		       p.threshold, p.k, p.locked ? "locked" : "UNLOCKED");
		fwg_hex(p.manufacturer.id, FWGATE_ID_LEN, hex);
		printf("  manufacturer %.16s… (%s)\n", hex,
		       p.manufacturer.alg == FWGATE_KEY_P256 ? "p256" : "rsa3072");
		for (i = 0; i < p.k; i++) {
			fwg_hex(p.checkers[i].id, FWGATE_ID_LEN, hex);
			printf("  checker %-2u     %.16s…\n", i, hex);
		}
	}
	printf("targets:\n");
	err = fwg_nl_targets(nl, print_target, NULL);
	if (err)
		return nl_fail(nl, "targets", err);
	printf("updates:\n");
	err = fwg_nl_updates(nl, print_update, NULL);
	if (err)
		return nl_fail(nl, "updates", err);
	printf("counters:\n");
	print_sysfs("approvals accepted", "counters/approvals_accepted");
	print_sysfs("bundles refused", "counters/approvals_refused");
	print_sysfs("writes committed", "counters/writes_committed");
	print_sysfs("writes refused", "counters/writes_refused");
	print_sysfs("bytes written", "counters/bytes_written");
	print_sysfs("last error", "last_error");
	fwg_nl_close(nl);
	return 0;
}

static int lock_policy_nl(void *arg)
{
	struct fwg_nl *nl = arg;
	int err = fwg_nl_policy_lock(nl);

	if (err)
		log_warnx("policy lock: %s", fwg_nl_error(nl));
	return err;
}

/* policy lock [--pin DIR] [--signed-modules] [--allow-dm] [--no-guard]: the lock sequence of lock.h. */
static int policy_lock(int argc, char **argv)
{
	struct fwg_lock_opts o = { .guard = FWG_LOCK_GUARD_YES, .lock_policy = lock_policy_nl };
	struct fwg_guard *g;
	int i, err;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--pin") && i + 1 < argc)
			o.pin_dir = argv[++i];
		else if (!strcmp(argv[i], "--signed-modules"))
			o.signed_modules = 1;
		else if (!strcmp(argv[i], "--allow-dm"))
			o.allow_dm = 1;
		else if (!strcmp(argv[i], "--no-guard"))
			o.guard = FWG_LOCK_GUARD_NO;
		else
			cmd_usage(argv, argv[i], "unknown option of policy lock");
	}
	o.arg = nl_open(0);
	err = fwg_gate_lock(&o, &g);
	/* The sealed guard stays attached through its pins. */
	fwg_guard_destroy(g);
	fwg_nl_close(o.arg);
	return err ? 1 : 0;
}

static int cmd_policy(int argc, char **argv)
{
	struct fwg_nl *nl;
	struct fwg_policy p;
	uint8_t *text;
	size_t len;
	int err;

	if (argc >= 2 && !strcmp(argv[1], "lock"))
		return policy_lock(argc, argv);
	if (argc == 1 || strcmp(argv[1], "load")) {
		int json = take_json(&argc, argv);

		return fwgctl_policy_show(argc, argv, json);
	}
	if (argc > 1 && strcmp(argv[1], "load"))
		cmd_usage(argv, argv[1], "not load nor lock");
	if (argc != 3)
		cmd_usage(argv, argc > 3 ? argv[3] : NULL, "one word too many");
	if (fwg_read_file(argv[2], &text, &len, 1 << 20))
		return 1;
	err = fwg_policy_parse(argv[2], (char *)text, len, &p);
	free(text);
	if (err)
		return 1;
	nl = nl_open(0);
	err = fwg_nl_policy_set(nl, &p);
	if (err)
		return nl_fail(nl, "policy load", err);
	fwg_nl_close(nl);
	return 0;
}

static int sysfs_write(const char *file, const char *line)
{
	char why[256];
	int err = fwg_sysfs_write(file, line, why, sizeof(why));

	if (!err)
		return 0;
	log_warnx(FWG_SYSFS "/%s: \"%s\": %s", file, line, why);
	return err == -ENOENT ? FWG_EXIT_UNREACHABLE : FWG_EXIT_REFUSED;
}

static int cmd_target(int argc, char **argv)
{
	char line[512];

	no_options(argc, argv);
	if (argc < 3 || argc > 4)
		cmd_usage(argv, argc > 4 ? argv[4] : NULL, "one word too many");
	snprintf(line, sizeof(line), "%s %s %s", argv[1], argv[2], argc == 4 ? argv[3] : "");
	return sysfs_write("targets/add", line);
}

static int cmd_state_device(int argc, char **argv)
{
	no_options(argc, argv);
	if (argc != 2)
		cmd_usage(argv, argc > 2 ? argv[2] : NULL, "one word too many");
	return sysfs_write("state_device", argv[1]);
}

static int load_stmt(const char *path, struct fwg_signed_stmt *s)
{
	uint8_t *buf;
	size_t len;
	int err;

	if (fwg_read_file(path, &buf, &len, 4096))
		return -1;
	err = fwg_stmt_parse(buf, len, s);
	free(buf);
	if (err)
		log_warnx("%s: not a signed update statement", path);
	return err;
}

static int cmd_bundle(int argc, char **argv)
{
	static struct fwg_verdict v[FWGATE_MAX_VERDICTS];
	struct fwg_update_info u;
	struct fwg_signed_stmt s;
	struct fwg_nl *nl;
	uint8_t *buf;
	size_t len;
	int i, err;

	no_options(argc, argv);
	if (argc < 2 || argc - 2 > FWGATE_MAX_VERDICTS)
		cmd_usage(argv, NULL, NULL);
	if (load_stmt(argv[1], &s))
		return 1;
	for (i = 2; i < argc; i++) {
		if (fwg_read_file(argv[i], &buf, &len, 4096))
			return 1;
		err = fwg_verdict_parse(buf, len, &v[i - 2]);
		free(buf);
		if (err)
			fatalx("%s: not a verdict", argv[i]);
	}
	nl = nl_open(0);
	err = fwg_nl_bundle_submit(nl, &s.stmt, s.sig, s.sig_len, v, argc - 2, &u);
	if (err)
		return nl_fail(nl, "bundle", err);
	printf("update %s: %u approvals, %u rejections (%u verdicts accepted, %u ignored)\n",
	       update_state(u.state), u.approvals, u.rejections, u.accepted, u.ignored);
	fwg_nl_close(nl);
	return 0;
}

/*
 * The image's hash list: from --chunks, or computed in a first pass over a seekable image (which must then
 * be the statement's, U_id included). Either way checked against the statement here, for a clear message;
 * the kernel checks it again.
 */
static uint8_t *load_chunks(const char *chunks, const char *image, int in, const struct fwgate_update_stmt *s,
			    size_t *len)
{
	uint8_t u_id[FWGATE_ID_LEN], *list;
	uint64_t size = be64toh(s->size);
	int err;

	if (chunks) {
		if (fwg_read_file(chunks, &list, len, fwg_chunks_len(size) + 1))
			exit(1);
	} else {
		if (in == 0)
			fatalx("-: a stream can not be read twice; give its hash list with --chunks");
		if (fwg_image_digests(image, u_id, &size, &list, len))
			exit(1);
		if (size != be64toh(s->size) || memcmp(u_id, s->u_id, FWGATE_ID_LEN))
			fatalx("%s: not the statement's image (its size or SHA-256 differ)", image);
		if (lseek(in, 0, SEEK_SET))
			fatal("%s", image);
		chunks = image;
	}
	err = fwg_chunks_check(list, *len, size, s->chunks);
	if (err)
		fatalx("%s: %s", chunks, err == -EINVAL ? "not one SHA-256 per 1 MiB chunk of the statement's image" :
			      "not the hash list the statement names");
	return list;
}

/* Streams @in to /dev/fwgate and commits: the kernel decides. */
static int cmd_install(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	struct fwgate_install_begin b = {};
	const char *chunks = NULL;
	struct fwg_signed_stmt s;
	uint64_t done = 0;
	uint8_t *list;
	size_t len;
	ssize_t n;
	const char *progress = NULL;
	struct fwg_progress pr;
	char **args = argv;
	int fd, in, err = 0;

	while (argc > 1 && args[1][0] == '-' && args[1][1]) {
		if (argc == 2 && (!strcmp(args[1], "--chunks") || !strcmp(args[1], "--progress")))
			cmd_usage(argv, args[1], "wants a value");
		if (!strcmp(args[1], "--chunks"))
			chunks = args[2];
		else if (!strcmp(args[1], "--progress"))
			progress = args[2];
		else
			cmd_usage(argv, args[1], "unknown option");
		argc -= 2;
		args += 2;
	}
	if (argc != 4)
		cmd_usage(argv, argc > 4 ? args[4] : NULL, "one word too many");
	argv = args;
	if (load_stmt(argv[2], &s))
		return 1;
	if (strlen(argv[1]) >= sizeof(b.target))
		fatalx("target name \"%s\" too long", argv[1]);
	strcpy(b.target, argv[1]);
	memcpy(b.u_id, s.stmt.u_id, FWGATE_ID_LEN);
	b.size = be64toh(s.stmt.size);
	b.version = be64toh(s.stmt.version);

	in = strcmp(argv[3], "-") ? open(argv[3], O_RDONLY) : 0;
	if (in < 0)
		fatal("%s", argv[3]);
	list = load_chunks(chunks, argv[3], in, &s.stmt, &len);
	b.chunks = (uintptr_t)list;
	b.chunks_len = len;
	fd = open("/dev/" FWGATE_DEVICE_NAME, O_WRONLY);
	if (fd < 0)
		fatal_status(errno == ENOENT ? FWG_EXIT_UNREACHABLE : FWG_EXIT_FAIL, "/dev/" FWGATE_DEVICE_NAME);
	if (ioctl(fd, FWGATE_IOC_BEGIN, &b))
		fatal_status(FWG_EXIT_REFUSED, "install on %s refused", b.target);
	free(list);
	if (fwg_progress_start(&pr, "install", b.size, progress))
		usagex("install: --progress \"%s\": not auto, bar, lines nor none", progress);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, n) != n) {
			log_warn("write to /dev/fwgate");
			err = 1;
			break;
		}
		done += n;
		fwg_progress_add(&pr, n);
	}
	fwg_progress_end(&pr);
	if (n < 0) {
		log_warn("%s", argv[3]);
		err = 1;
	}
	if (err) {
		ioctl(fd, FWGATE_IOC_ABORT);
		close(fd);
		return 1;
	}
	if (ioctl(fd, FWGATE_IOC_COMMIT))
		fatal_status(FWG_EXIT_REFUSED, "commit of %llu bytes to %s", (unsigned long long)done, b.target);
	close(fd);
	printf("installed version %llu on %s (%llu bytes)\n", (unsigned long long)b.version,
	       b.target, (unsigned long long)done);
	return 0;
}

/* One event as one line of JSON (a stream: a reader takes it line by line), ids in full. */
static void event_json(const struct fwg_event *ev)
{
	int refused = ev->event == FWGATE_EVENT_APPROVAL_REFUSED || ev->event == FWGATE_EVENT_INSTALL_REFUSED;
	const char *name;

	switch (ev->event) {
	case FWGATE_EVENT_APPROVAL_ACCEPTED: name = "approval"; break;
	case FWGATE_EVENT_APPROVAL_REFUSED: name = "approval-refused"; break;
	case FWGATE_EVENT_INSTALL_COMMITTED: name = "installed"; break;
	case FWGATE_EVENT_INSTALL_REFUSED: name = "install-refused"; break;
	default: return;
	}
	printf("{");
	fwg_json_kv(stdout, 1, "event", name);
	if (ev->event != FWGATE_EVENT_APPROVAL_REFUSED) {
		fwg_json_id(stdout, 0, "u_id", ev->update.u_id);
		printf(", \"version\": %llu", (unsigned long long)ev->update.version);
	}
	if (ev->event == FWGATE_EVENT_APPROVAL_ACCEPTED) {
		fwg_json_kv(stdout, 0, "state", update_state(ev->update.state));
		printf(", \"approvals\": %u", ev->update.approvals);
	} else if (ev->event != FWGATE_EVENT_APPROVAL_REFUSED) {
		json_name("target", ev->target.name, sizeof(ev->target.name));
	}
	if (refused) {
		json_name("reason", ev->reason, sizeof(ev->reason));
		printf(", \"errno\": %u", ev->err);
		fwg_json_kv(stdout, 0, "error", strerror(ev->err));
	}
	printf("}\n");
}

static int cmd_events(int argc, char **argv)
{
	int json = take_json(&argc, argv);
	struct fwg_event ev;
	struct fwg_nl *nl;
	char hex[17];
	long count = -1;
	char *end;

	no_options(argc, argv);
	if (argc > 2)
		cmd_usage(argv, argv[2], "one word too many");
	if (argc == 2) {
		count = strtol(argv[1], &end, 10);
		if (*end || end == argv[1] || count <= 0)
			cmd_usage(argv, argv[1], "not a positive count");
	}
	nl = nl_open(1);
	while (count-- != 0) {
		if (fwg_nl_event(nl, &ev))
			return nl_fail(nl, "events", -EIO);
		hex_short(ev.update.u_id, hex);
		if (json) {
			event_json(&ev);
			fflush(stdout);
			continue;
		}
		switch (ev.event) {
		case FWGATE_EVENT_APPROVAL_ACCEPTED:
			printf("approval %s v%llu %s (%u approvals)\n", hex,
			       (unsigned long long)ev.update.version, update_state(ev.update.state),
			       ev.update.approvals);
			break;
		case FWGATE_EVENT_APPROVAL_REFUSED:
			printf("approval-refused %s (%s)\n", ev.reason, strerror(ev.err));
			break;
		case FWGATE_EVENT_INSTALL_COMMITTED:
			printf("installed %s v%llu on %s\n", hex, (unsigned long long)ev.update.version,
			       ev.target.name);
			break;
		case FWGATE_EVENT_INSTALL_REFUSED:
			printf("install-refused %s on %s: %s (%s)\n", hex, ev.target.name, ev.reason,
			       strerror(ev.err));
			break;
		}
		fflush(stdout);
	}
	fwg_nl_close(nl);
	return 0;
}

/*
 * What fwgated recorded of the last install's boot (agent/bootstate.h): the slot tried, its fallback, and
 * whether it runs or the device fell back, and why. Read from fwgated's state directory, so it answers with
 * fwgated stopped too.
 */
static int cmd_boot(int argc, char **argv)
{
	const char *dir = "/var/lib/fwgate";
	int json = take_json(&argc, argv);
	struct fwg_boot_state bs;
	char hex[2 * FWGATE_ID_LEN + 1], when[32];
	struct tm tm;
	time_t t;

	if (argc == 3 && !strcmp(argv[1], "--state-dir"))
		dir = argv[2];
	else if (argc != 1)
		cmd_usage(argv, argv[1], "fwgatectl boot [--state-dir DIR] [--json]");
	if (fwg_boot_state_load(dir, &bs))
		return FWG_EXIT_FAIL;
	fwg_hex(bs.u_id, FWGATE_ID_LEN, hex);
	if (json) {
		printf("{\"version\": 1");
		fwg_json_kv(stdout, 0, "phase", fwg_boot_phase_name(bs.phase));
		if (bs.phase != FWG_BOOT_IDLE) {
			fwg_json_kv(stdout, 0, "slot", bs.slot);
			fwg_json_kv(stdout, 0, "previous", bs.other);
			fwg_json_kv(stdout, 0, "u_id", hex);
			printf(", \"update_version\": %llu, \"time\": %lld", (unsigned long long)bs.version,
			       (long long)bs.time);
		}
		printf("}\n");
		return 0;
	}
	if (bs.phase == FWG_BOOT_IDLE) {
		printf("phase    idle (no install recorded in %s)\n", dir);
		return 0;
	}
	t = (time_t)bs.time;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "?");
	printf("phase    %s\nslot     %s (previous %s)\nupdate   %.16s version %llu\nsince    %s\n",
	       fwg_boot_phase_name(bs.phase), bs.slot, bs.other, hex, (unsigned long long)bs.version, when);
	return 0;
}

static const struct fwg_cmd commands[] = {
	{ "status", cmd_status, "policy, targets, updates and counters (the default)", "[--json]" },
	{ "policy", cmd_policy, "show the policy in force, its sealed anchor and history; load a policy file; lock "
	  "seals the write guard, locks the policy and raises the kernel's one-way switches",
	  "[show] [-c CONFIG] [--json] | load FILE | lock [--pin DIR] [--signed-modules] [--allow-dm] [--no-guard]" },
	{ "enrol", fwgctl_enrol, "make this device's own P-256 key (first provisioning) and print its public key",
	  "[-c CONFIG] [--pubout FILE]" },
	{ "target", cmd_target, "declare a target (before lock)", "NAME SPEC [GROUP]" },
	{ "state-device", cmd_state_device, "declare the rollback state store", "SPEC" },
	{ "bundle", cmd_bundle, "submit an approval bundle", "U.stmt [C.verdict...]" },
	{ "install", cmd_install, "write an image through /dev/fwgate",
	  "[--chunks HASHLIST] [--progress auto|bar|lines|none] TARGET U.stmt IMAGE|-" },
	{ "events", cmd_events, "print the kernel's events", "[COUNT] [--json]" },
	{ "agent", cmd_agent, "ask fwgated", "[status|updates|approvals|history|sync] [--json]" },
	{ "updates", cmd_agent, "the updates fwgated follows on the chain, and their state", "[--json]" },
	{ "approvals", cmd_agent, "the updates with each checker's verdict", "[--json]" },
	{ "history", cmd_agent, "this device's acks and nacks on the chain, and those waiting", "[--json]" },
	{ "sync", cmd_agent, "make fwgated sync now, and print how it went", NULL },
	{ "boot", cmd_boot, "the last install's boot: tried, running, or fell back (health or boot) to the "
	  "previous slot", "[--state-dir DIR] [--json]" },
	{ "bpf", fwg_bpf_command, "the BPF programs, standalone: guard, log, filter, egress, stats, unpin",
	  "COMMAND [ARGS] (fwgatectl bpf --help lists them)" },
};

int main(int argc, char **argv)
{
	log_init("fwgatectl", 0);
	commands_of = commands;
	nr_commands = sizeof(commands) / sizeof(commands[0]);
	/* A command's own command ("policy show", "agent status") answers --version as lib/cmd.c's commands do. */
	if (argc == 4 && !strcmp(argv[3], "--version"))
		fwg_print_version("fwgatectl");
	/* Status is the default view, so "fwgatectl --json" (or "-o json") is "fwgatectl status --json". */
	if (argc > 1 && (!strcmp(argv[1], "--json") || !strcmp(argv[1], "-o")))
		return cmd_status(argc, argv);
	return fwg_cmd_main("fwgatectl", commands, nr_commands, argc, argv, cmd_status);
}
