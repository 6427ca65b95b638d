// SPDX-License-Identifier: GPL-2.0
/*
 * The analysis pipeline: config, one sandboxed child per stage, report validation, the combined report.
 * The contract every stage follows is in checker/ANALYSERS.md.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "files.h"
#include "keys.h"
#include "log.h"
#include "pipeline.h"

#define CONFIG_MAX		(64 * 1024)
#define REPORT_MAX		(4 * 1024 * 1024)
#define FINDINGS_MAX		10000
#define TIMEOUT_MAX_S		3600
#define MEM_MIN_MB		16
#define MEM_MAX_MB		65536
/* Largest file a stage may write: bounds what an extractor unpacks from one entry of a hostile image. */
#define STAGE_FSIZE_MAX		(4ULL << 30)
#define STAGE_NOFILE_MAX	256
/* Per user, so only applied to a dedicated user: bounds a fork bomb that escaped the process group. */
#define STAGE_NPROC_MAX		512
#define STAGE_PATH		"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define POLL_NS			(10 * 1000 * 1000)

static const char *const outcome_names[] = {
	[CHECKER_CLEAN] = "clean",
	[CHECKER_FINDINGS] = "findings",
	[CHECKER_NO_VERDICT] = "no-verdict",
};

static const char *const verdict_names[] = {
	[CHECKER_APPROVE] = "approve",
	[CHECKER_REJECT] = "reject",
	[CHECKER_UNDECIDED] = "no-verdict",
};

const char *checker_verdict_name(enum checker_verdict v)
{
	return verdict_names[v];
}

/* ------------------------------------------------------------------ config */

static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > CHECKER_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static int parse_line(const char *file, unsigned int line, char *text, const char *dir,
		      struct checker_config *cfg)
{
	struct checker_stage *st;
	char *f[6], *save = NULL, resolved[PATH_MAX];
	unsigned int i, n = 0;
	int len;

	for (char *t = strtok_r(text, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == 6)
			break;
		f[n++] = t;
	}
	if (!n)
		return 0;
	if (strcmp(f[0], "analyser") && strcmp(f[0], "extractor")) {
		log_warnx("%s:%u: unknown keyword '%s' (expected 'analyser' or 'extractor')", file, line, f[0]);
		return -1;
	}
	if (n != 5) {
		log_warnx("%s:%u: expected '%s NAME PATH TIMEOUT_S MEM_MB'", file, line, f[0]);
		return -1;
	}
	if (cfg->n == CHECKER_MAX_STAGES) {
		log_warnx("%s:%u: more than %d stages", file, line, CHECKER_MAX_STAGES);
		return -1;
	}
	st = &cfg->stage[cfg->n];
	memset(st, 0, sizeof(*st));
	st->kind = f[0][0] == 'a' ? CHECKER_ANALYSER : CHECKER_EXTRACTOR;
	if (!valid_name(f[1])) {
		log_warnx("%s:%u: bad name '%s' (1-%d of [A-Za-z0-9_-])", file, line, f[1], CHECKER_NAME_MAX);
		return -1;
	}
	for (i = 0; i < cfg->n; i++) {
		if (!strcmp(cfg->stage[i].name, f[1])) {
			log_warnx("%s:%u: duplicate name '%s'", file, line, f[1]);
			return -1;
		}
	}
	strcpy(st->name, f[1]);
	if (f[2][0] == '/')
		len = snprintf(st->path, sizeof(st->path), "%s", f[2]);
	else
		len = snprintf(st->path, sizeof(st->path), "%s/%s", dir, f[2]);
	if (len < 0 || (size_t)len >= sizeof(st->path)) {
		log_warnx("%s:%u: path too long", file, line);
		return -1;
	}
	/* Absolute, because the stage is started from its own directory. */
	if (access(st->path, X_OK) || !realpath(st->path, resolved)) {
		log_warnx("%s:%u: '%s' is not executable: %s", file, line, st->path, strerror(errno));
		return -1;
	}
	strcpy(st->path, resolved);
	if (parse_uint(f[3], 1, TIMEOUT_MAX_S, &st->timeout_s)) {
		log_warnx("%s:%u: bad timeout '%s' (1-%d seconds)", file, line, f[3], TIMEOUT_MAX_S);
		return -1;
	}
	if (parse_uint(f[4], MEM_MIN_MB, MEM_MAX_MB, &st->mem_mb)) {
		log_warnx("%s:%u: bad memory limit '%s' (%d-%d MB)", file, line, f[4], MEM_MIN_MB, MEM_MAX_MB);
		return -1;
	}
	cfg->n++;
	return 0;
}

int checker_config_load(const char *file, struct checker_config *cfg)
{
	char *text, *line, *next, *copy, *dir;
	unsigned int lineno = 0, analysers = 0, i;
	size_t len;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (fwg_read_file(file, (uint8_t **)&text, &len, CONFIG_MAX))
		return -1;
	text[len] = '\0';
	copy = strdup(file);
	if (!copy)
		fatal("strdup");
	dir = dirname(copy);
	for (line = text; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (strlen(line) != (size_t)((next ? next - 1 : text + len) - line)) {
			log_warnx("%s:%u: NUL byte in line", file, lineno);
			ret = -1;
			break;
		}
		*strchrnul(line, '#') = '\0';
		ret = parse_line(file, lineno, line, dir, cfg);
	}
	for (i = 0; i < cfg->n; i++)
		analysers += cfg->stage[i].kind == CHECKER_ANALYSER;
	if (!ret && !analysers) {
		log_warnx("%s: no analyser configured", file);
		ret = -1;
	}
	free(copy);
	free(text);
	return ret;
}

/* ------------------------------------------------------------------ work directory */

static int make_writable(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (sb->st_mode & 07777) | S_IRWXU);
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (remove(path))
		log_warn("remove %s", path);
	return 0;
}

/* Extracted trees may hold unreadable directories: open them up first, then remove depth-first. */
static void remove_tree(const char *dir)
{
	nftw(dir, make_writable, 16, FTW_PHYS | FTW_MOUNT);
	nftw(dir, remove_entry, 16, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
}

/* Copies the image into the work directory and hashes the copy, so that the digest is of what was analysed. */
static int copy_image(const char *src, const char *dst, uint8_t sha[32], uint64_t *size)
{
	static char buf[1 << 16];
	struct stat sb;
	int in, out, ok = 1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &sb) || !S_ISREG(sb.st_mode)) {
		if (in >= 0)
			errno = EINVAL;
		log_warn("%s: not a readable regular file", src);
		if (in >= 0)
			close(in);
		return -1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (out < 0) {
		log_warn("%s", dst);
		close(in);
		return -1;
	}
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, n) == n;
	ok = ok && n == 0;
	if (!ok)
		log_warn("copy %s", src);
	close(in);
	if (close(out))
		ok = 0;
	if (!ok)
		return -1;
	return fwg_sha256_file(dst, sha, size);
}

/* ------------------------------------------------------------------ one stage */

/* Who the stages run as: the caller, or an unprivileged user the directories are handed to. */
struct sandbox {
	int drop;
	uid_t uid;
	gid_t gid;
	pid_t parent;
};

/* A directory the stage writes to: created by the pipeline, owned by the stage's user. */
static int make_stage_dir(const char *path, const struct sandbox *sb)
{
	if (mkdir(path, 0700) || (sb->drop && chown(path, sb->uid, sb->gid))) {
		log_warn("%s", path);
		return -1;
	}
	return 0;
}

struct stage_run {
	enum checker_outcome outcome;
	char reason[256];		/* why there is no verdict */
	struct json_object *report;	/* the stage's validated report, or NULL */
};

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	if (setrlimit(resource, &rl)) {
		log_warn("setrlimit %d", resource);
		_exit(126);
	}
}

/*
 * In the child: a new process group (so that a timeout kills all of it), limits, /dev/null, its own dir, the
 * stage's user, and an environment of its own (nothing of the checker's leaks, and tools print in the C
 * locale the analysers parse). The parent-death signal is set last: changing credentials clears it.
 */
static void __attribute__((noreturn)) exec_stage(const struct checker_stage *st, const char *rundir,
						 const struct sandbox *sb, char *const argv[])
{
	char tmpdir[PATH_MAX + 8], home[PATH_MAX + 8];
	char *const envp[] = { "PATH=" STAGE_PATH, "LC_ALL=C", tmpdir, home, NULL };
	int fd;

	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		_exit(126);
	fd = open("log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", rundir);
	snprintf(home, sizeof(home), "HOME=%s", rundir);
	set_limit(RLIMIT_AS, (rlim_t)st->mem_mb << 20, (rlim_t)st->mem_mb << 20);
	set_limit(RLIMIT_CPU, st->timeout_s, st->timeout_s + 1);
	set_limit(RLIMIT_FSIZE, STAGE_FSIZE_MAX, STAGE_FSIZE_MAX);
	set_limit(RLIMIT_CORE, 0, 0);
	set_limit(RLIMIT_NOFILE, STAGE_NOFILE_MAX, STAGE_NOFILE_MAX);
	if (sb->drop) {
		set_limit(RLIMIT_NPROC, STAGE_NPROC_MAX, STAGE_NPROC_MAX);
		if (setgroups(0, NULL) || setgid(sb->gid) || setuid(sb->uid)) {
			perror("dropping privileges");
			_exit(126);
		}
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != sb->parent)
		_exit(126);
	execve(st->path, argv, envp);
	fprintf(stderr, "exec %s: %s\n", st->path, strerror(errno));
	_exit(127);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits for pid until timeout_s; kills its whole process group in every case. Returns 1 on timeout. */
static int wait_stage(pid_t pid, unsigned int timeout_s, int *status)
{
	const struct timespec poll = { .tv_nsec = POLL_NS };
	double deadline = now_s() + timeout_s;
	siginfo_t si;
	int timed_out = 0;

	for (;;) {
		si.si_pid = 0;
		/* WNOWAIT keeps the child a zombie, so its process group id cannot be reused before the kill. */
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) && errno != EINTR)
			fatal("waitid");
		if (si.si_pid == pid)
			break;
		if (now_s() >= deadline) {
			timed_out = 1;
			break;
		}
		nanosleep(&poll, NULL);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			fatal("waitpid");
	return timed_out;
}

/* Reads a report without following a link the stage may have planted in its place. */
static char *read_report(const char *path, size_t *len, char *why, size_t whylen)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > REPORT_MAX) {
		snprintf(why, whylen, "no report, or not a regular file of at most %d bytes", REPORT_MAX);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc(sb.st_size + 1);
	if (!buf)
		fatal("malloc");
	n = read(fd, buf, sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		snprintf(why, whylen, "short read");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static const char *string_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int check_finding(struct json_object *f, size_t i, char *why, size_t whylen)
{
	struct json_object *off, *path;
	const char *rule, *detail;

	if (!json_object_is_type(f, json_type_object)) {
		snprintf(why, whylen, "findings[%zu] is not an object", i);
		return -1;
	}
	rule = string_member(f, "rule");
	detail = string_member(f, "detail");
	if (!rule || !*rule || !detail) {
		snprintf(why, whylen, "findings[%zu] lacks a rule or a detail string", i);
		return -1;
	}
	if (!json_object_object_get_ex(f, "offset", &off) || !json_object_is_type(off, json_type_int) ||
	    json_object_get_int64(off) < -1) {
		snprintf(why, whylen, "findings[%zu].offset is not an integer >= -1", i);
		return -1;
	}
	if (json_object_object_get_ex(f, "path", &path) && !json_object_is_type(path, json_type_string)) {
		snprintf(why, whylen, "findings[%zu].path is not a string", i);
		return -1;
	}
	return 0;
}

/* The report must be well-formed and agree with the exit status: 0 and "clean" with none, 1 and "findings". */
static int check_report(struct json_object *r, int exit_status, char *why, size_t whylen)
{
	struct json_object *findings;
	const char *name, *version, *verdict;
	size_t i, n;

	if (!json_object_is_type(r, json_type_object)) {
		snprintf(why, whylen, "not a JSON object");
		return -1;
	}
	name = string_member(r, "name");
	version = string_member(r, "version");
	verdict = string_member(r, "verdict");
	if (!name || !*name || !version || !verdict) {
		snprintf(why, whylen, "lacks a name, version or verdict string");
		return -1;
	}
	if (!json_object_object_get_ex(r, "findings", &findings) ||
	    !json_object_is_type(findings, json_type_array)) {
		snprintf(why, whylen, "lacks a findings array");
		return -1;
	}
	n = json_object_array_length(findings);
	if (n > FINDINGS_MAX) {
		snprintf(why, whylen, "more than %d findings", FINDINGS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (check_finding(json_object_array_get_idx(findings, i), i, why, whylen))
			return -1;
	if (exit_status == 0 && (strcmp(verdict, "clean") || n)) {
		snprintf(why, whylen, "exit status 0 but verdict '%s' with %zu findings", verdict, n);
		return -1;
	}
	if (exit_status == 1 && (strcmp(verdict, "findings") || !n)) {
		snprintf(why, whylen, "exit status 1 but verdict '%s' with %zu findings", verdict, n);
		return -1;
	}
	return 0;
}

struct json_object *checker_report_parse(const char *buf, size_t len, int exit_status, char *why, size_t whylen)
{
	struct json_tokener *tok;
	struct json_object *obj;

	tok = json_tokener_new();
	if (!tok)
		fatal("json_tokener_new");
	obj = json_tokener_parse_ex(tok, buf, len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(why, whylen, "not JSON: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(obj);
		obj = NULL;
	} else {
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
			if (!isspace((unsigned char)buf[i])) {
				snprintf(why, whylen, "trailing bytes after the JSON object");
				json_object_put(obj);
				obj = NULL;
				break;
			}
		}
	}
	json_tokener_free(tok);
	if (obj && check_report(obj, exit_status, why, whylen)) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

/* The last line a stage wrote to its log, printable bytes only: usually why it failed. */
static void last_line(const char *path, char *out, size_t len)
{
	char buf[256], *start;
	ssize_t n = 0;
	size_t j = 0;
	off_t end;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		end = lseek(fd, 0, SEEK_END);
		if (end >= 0 && lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0,
				      SEEK_SET) >= 0)
			n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	start = strrchr(buf, '\n');
	for (start = start ? start + 1 : buf; *start && j + 1 < len; start++)
		out[j++] = isprint((unsigned char)*start) ? *start : '?';
	out[j] = '\0';
}

static void run_stage(const struct checker_stage *st, const char *workdir, const char *input,
		      const char *outdir, const struct sandbox *sb, struct stage_run *run)
{
	char rundir[PATH_MAX], report[PATH_MAX + 16], logpath[PATH_MAX + 16], why[200];
	char *argv[5], *text;
	size_t len;
	int status, timed_out;
	pid_t pid;

	memset(run, 0, sizeof(*run));
	run->outcome = CHECKER_NO_VERDICT;
	snprintf(rundir, sizeof(rundir), "%s/run-%s", workdir, st->name);
	snprintf(report, sizeof(report), "%s/report.json", rundir);
	if (make_stage_dir(rundir, sb)) {
		snprintf(run->reason, sizeof(run->reason), "could not create its directory");
		return;
	}
	argv[0] = (char *)st->path;
	argv[1] = (char *)input;
	argv[2] = report;
	argv[3] = (char *)outdir;
	argv[4] = NULL;
	log_debug("%s: %s %s %s%s%s", st->name, st->path, input, report, outdir ? " " : "", outdir ? outdir : "");

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		snprintf(run->reason, sizeof(run->reason), "could not fork");
		return;
	}
	if (pid == 0) {
		if (chdir(rundir))
			_exit(126);
		exec_stage(st, rundir, sb, argv);
	}
	setpgid(pid, pid);
	timed_out = wait_stage(pid, st->timeout_s, &status);

	if (timed_out) {
		snprintf(run->reason, sizeof(run->reason), "timed out after %u s", st->timeout_s);
	} else if (WIFSIGNALED(status)) {
		snprintf(run->reason, sizeof(run->reason), "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	} else if (WEXITSTATUS(status) > 1) {
		snprintf(run->reason, sizeof(run->reason), "exit status %d", WEXITSTATUS(status));
	} else {
		text = read_report(report, &len, why, sizeof(why));
		if (text)
			run->report = checker_report_parse(text, len, WEXITSTATUS(status), why, sizeof(why));
		free(text);
		if (run->report)
			run->outcome = WEXITSTATUS(status) ? CHECKER_FINDINGS : CHECKER_CLEAN;
		else
			snprintf(run->reason, sizeof(run->reason), "malformed report: %s", why);
	}
	if (run->outcome == CHECKER_NO_VERDICT) {
		snprintf(logpath, sizeof(logpath), "%s/log", rundir);
		last_line(logpath, why, sizeof(why));
		log_warnx("%s: no verdict: %s%s%s", st->name, run->reason, *why ? "; it said: " : "", why);
	} else
		log_info("%s: %s", st->name, outcome_names[run->outcome]);
}

/* ------------------------------------------------------------------ the pipeline */

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static struct json_object *stage_json(const struct checker_stage *st, struct stage_run *run)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(st->kind == CHECKER_EXTRACTOR ?
								      "extractor" : "analyser"));
	json_object_object_add(o, "name", json_object_new_string(st->name));
	json_object_object_add(o, "outcome", json_object_new_string(outcome_names[run->outcome]));
	if (run->outcome == CHECKER_NO_VERDICT)
		json_object_object_add(o, "reason", json_object_new_string(run->reason));
	json_object_object_add(o, "report", run->report);
	run->report = NULL;
	return o;
}

/* Findings from any stage reject; otherwise only a clean result from every stage approves. */
static enum checker_verdict combine(const struct stage_run *runs, unsigned int n)
{
	enum checker_verdict v = CHECKER_APPROVE;

	for (unsigned int i = 0; i < n; i++) {
		if (runs[i].outcome == CHECKER_FINDINGS)
			return CHECKER_REJECT;
		if (runs[i].outcome == CHECKER_NO_VERDICT)
			v = CHECKER_UNDECIDED;
	}
	return v;
}

/* The work directory: the stages' user may pass through it and read the image, but not change it. */
static int make_workdir(char *workdir, size_t len, const struct sandbox *sb)
{
	const char *tmp = getenv("TMPDIR");

	char dir[PATH_MAX];

	/* Absolute, because the stages run from their own directories. */
	if (!realpath(tmp && *tmp ? tmp : "/tmp", dir)) {
		log_warn("TMPDIR %s", tmp);
		return -1;
	}
	if ((size_t)snprintf(workdir, len, "%s/fwgate-checker.XXXXXX", dir) >= len) {
		log_warnx("TMPDIR %s: path too long", dir);
		return -1;
	}
	if (!mkdtemp(workdir) || (sb->drop && chmod(workdir, 0711))) {
		log_warn("work directory %s", workdir);
		return -1;
	}
	return 0;
}

static int make_sandbox(const char *user, struct sandbox *sb)
{
	struct passwd *pw;

	memset(sb, 0, sizeof(*sb));
	sb->parent = getpid();
	if (!user)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		if (errno)
			log_warn("user %s", user);
		else
			log_warnx("user %s: no such user", user);
		return -1;
	}
	sb->drop = 1;
	sb->uid = pw->pw_uid;
	sb->gid = pw->pw_gid;
	return 0;
}

int checker_pipeline_run(const struct checker_config *cfg, const char *image,
			 const struct checker_run_opts *opts, struct checker_result *res)
{
	struct stage_run runs[CHECKER_MAX_STAGES];
	char workdir[PATH_MAX], input[PATH_MAX + 8], copy[PATH_MAX + 16], outdir[PATH_MAX + 64];
	char sha_hex[65], *name_copy;
	struct json_object *top, *img, *stages;
	struct sandbox sb;
	const char *text;
	unsigned int i, order[CHECKER_MAX_STAGES], n = 0, done = 0;
	uint64_t size;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (make_sandbox(opts->user, &sb) || make_workdir(workdir, sizeof(workdir), &sb))
		return -1;
	snprintf(input, sizeof(input), "%s/input", workdir);
	snprintf(copy, sizeof(copy), "%s/image", input);
	if (mkdir(input, sb.drop ? 0755 : 0700) || chmod(input, sb.drop ? 0755 : 0700)) {
		log_warn("%s", input);
		goto out;
	}
	if (copy_image(image, copy, res->image_sha256, &size))
		goto out;

	/* Extractors first, so that every analyser sees the unpacked tree; config order otherwise. */
	for (i = 0; i < cfg->n; i++)
		if (cfg->stage[i].kind == CHECKER_EXTRACTOR)
			order[n++] = i;
	for (i = 0; i < cfg->n; i++)
		if (cfg->stage[i].kind == CHECKER_ANALYSER)
			order[n++] = i;
	for (i = 0; i < n; i++) {
		const struct checker_stage *st = &cfg->stage[order[i]];

		if (st->kind == CHECKER_EXTRACTOR) {
			snprintf(outdir, sizeof(outdir), "%s/extracted-%s", input, st->name);
			if (make_stage_dir(outdir, &sb))
				goto out_runs;
			run_stage(st, workdir, copy, outdir, &sb, &runs[i]);
		} else {
			run_stage(st, workdir, input, NULL, &sb, &runs[i]);
		}
		done++;
	}
	res->verdict = combine(runs, n);

	top = json_object_new_object();
	json_object_object_add(top, "checker", json_object_new_string("fwgate-checker"));
	json_object_object_add(top, "version", json_object_new_string(CHECKER_VERSION));
	img = json_object_new_object();
	name_copy = strdup(image);
	if (!name_copy)
		fatal("strdup");
	json_object_object_add(img, "name", json_object_new_string(basename(name_copy)));
	free(name_copy);
	json_object_object_add(img, "size", json_object_new_int64(size));
	hex(res->image_sha256, 32, sha_hex);
	json_object_object_add(img, "sha256", json_object_new_string(sha_hex));
	json_object_object_add(top, "image", img);
	json_object_object_add(top, "verdict", json_object_new_string(verdict_names[res->verdict]));
	stages = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(stages, stage_json(&cfg->stage[order[i]], &runs[i]));
	json_object_object_add(top, "stages", stages);

	text = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	fwg_sha256(text, strlen(text), res->report_sha256);
	ret = fwg_write_file(opts->report_path, text, strlen(text), 0644);
	json_object_put(top);
out_runs:
	for (i = 0; i < done; i++)
		json_object_put(runs[i].report);
out:
	if (opts->keep_workdir)
		log_warnx("work directory kept: %s", workdir);
	else
		remove_tree(workdir);
	return ret;
}
