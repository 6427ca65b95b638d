// SPDX-License-Identifier: GPL-2.0
/*
 * fwgatectl bpf: loads, configures and attaches one of fwgate's BPF programs, standalone (tests, bring-up).
 * In the foreground it stays attached until SIGINT or SIGTERM, then prints its counters and detaches; with
 * --pin DIR it pins its links and maps in DIR and exits, leaving the program attached until "bpf unpin".
 * A guard started here is never sealed: the production guard is the one "policy lock" seals (lock.h), and
 * "bpf log" and "bpf stats" read its denials and counters.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "command.h"
#include "loader.h"
#include "exit.h"
#include "log.h"

#define MAX_ALLOW 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void print_counters(const char *prog, const char *const *names, const uint64_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		printf("%s %s %llu\n", prog, names[i], (unsigned long long)v[i]);
	fflush(stdout);
}

static void print_denial(const struct guard_event *e, void *arg)
{
	(void)arg;
	printf("deny pid %u comm %.16s dev %u:%u hook %s reason %s cmd 0x%x\n", e->pid, e->comm, e->dev >> 20,
	       e->dev & 0xfffff, fwg_guard_hook_name(e->hook),
	       e->reason < GUARD_NR_REASONS ? fwg_guard_reason_names[e->reason] : "?", e->cmd);
	fflush(stdout);
}

static void wait_for_signal(void)
{
	while (!stop)
		pause();
}

/* Options shared by the subcommands; each uses the ones its usage names. */
struct bpf_args {
	const char *pin, *sysfs;
	char *allow[MAX_ALLOW];
	unsigned int n_allow;
	struct fwg_filter_config filter;
	int allow_dm;
	char **rest;
	int n_rest;
};

static int parse_u16(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s || !v || v > 65535) {
		log_warnx("\"%s\" is not a port", s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct bpf_args *a)
{
	static const struct option opts[] = {
		{ "pin", required_argument, NULL, 'p' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "allow", required_argument, NULL, 'a' },
		{ "allow-dm", no_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'P' },
		{ "relay-port", required_argument, NULL, 'R' },
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{},
	};
	struct fwg_filter_config *f = &a->filter;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->pin = optarg;
			break;
		case 's':
			a->sysfs = optarg;
			break;
		case 'a':
			if (a->n_allow == MAX_ALLOW) {
				fprintf(stderr, "fwgatectl: bpf %s: \"%s\": more than %d --allow\n", argv[0], optarg,
					MAX_ALLOW);
				return -1;
			}
			a->allow[a->n_allow++] = optarg;
			break;
		case 'd':
			a->allow_dm = 1;
			break;
		case 'P':
			if (f->n_update_ports == FWG_FILTER_MAX_PORTS ||
			    parse_u16(optarg, &f->update_ports[f->n_update_ports++]))
				return -1;
			break;
		case 'R':
			if (parse_u16(optarg, &f->relay_port))
				return -1;
			break;
		case 'r':
			f->relay_rate = fwg_cmd_number("--rate", optarg, 0, 1000000000);
			break;
		case 'b':
			f->relay_burst = fwg_cmd_number("--burst", optarg, 0, 1000000);
			break;
		default:
			fprintf(stderr, "fwgatectl: bpf %s: \"%s\": %s\n", argv[0], argv[optind - 1],
				optopt ? "needs a value" : "unknown option");
			return -1;
		}
	}
	a->rest = argv + optind;
	a->n_rest = argc - optind;
	return 0;
}

/* Prints the denials of @g until SIGINT or SIGTERM, then its counters. */
static int guard_follow(struct fwg_guard *g)
{
	uint64_t v[GUARD_NR_REASONS];
	int n;

	catch_signals();
	while (!stop) {
		n = fwg_guard_poll(g, 500, print_denial, NULL);
		if (n < 0 && n != -EINTR) {
			log_warnx("guard: ring buffer: %s", strerror(-n));
			break;
		}
	}
	fwg_guard_poll(g, 0, print_denial, NULL);
	fwg_guard_counters(g, v);
	print_counters("guard", fwg_guard_reason_names, v, GUARD_NR_REASONS);
	return 0;
}

static int bpf_guard(struct bpf_args *a)
{
	struct fwg_guard_opts o = { .sysfs = a->sysfs, .allow_dm = a->allow_dm };
	struct fwg_guard *g;
	int err;

	g = fwg_guard_start(&o);
	if (!g)
		return 1;
	if (a->pin) {
		err = fwg_guard_pin(g, a->pin);
		fwg_guard_destroy(g);
		return err ? 1 : 0;
	}
	printf("guard attached, enforcing\n");
	fflush(stdout);
	err = guard_follow(g);
	fwg_guard_destroy(g);
	return err;
}

static int bpf_log(struct bpf_args *a)
{
	struct fwg_guard *g = fwg_guard_open_pinned(a->n_rest ? a->rest[0] : FWG_BPF_PIN_DIR);
	int err;

	if (!g)
		return 1;
	printf("reading the pinned guard's denials\n");
	fflush(stdout);
	err = guard_follow(g);
	fwg_guard_destroy(g);
	return err;
}

static int bpf_filter(struct bpf_args *a)
{
	uint64_t v[FILTER_NR_COUNTERS];
	struct fwg_filter *f;
	int err;

	if (a->n_rest != 1)
		usagex("usage: fwgatectl bpf filter IFACE [--allow CIDR]... [--port N]... "
		       "[--relay-port N --rate PPS [--burst N]] [--pin DIR]");
	f = fwg_filter_open(&a->filter);
	if (!f)
		return 1;
	err = fwg_filter_set_allow(f, a->allow, a->n_allow) || fwg_filter_attach(f, a->rest[0]);
	if (!err && a->pin)
		err = fwg_filter_pin(f, a->pin);
	if (!err && !a->pin) {
		printf("filter attached to %s\n", a->rest[0]);
		fflush(stdout);
		catch_signals();
		wait_for_signal();
		fwg_filter_counters(f, v);
		print_counters("filter", fwg_filter_counter_names, v, FILTER_NR_COUNTERS);
	}
	fwg_filter_destroy(f);
	return err ? 1 : 0;
}

static int bpf_egress(struct bpf_args *a)
{
	uint64_t v[EGRESS_NR_COUNTERS];
	struct fwg_egress *e;
	int err;

	if (a->n_rest != 1)
		usagex("usage: fwgatectl bpf egress CGROUP [--allow ADDR[:PORT]]... [--pin DIR]");
	e = fwg_egress_open();
	if (!e)
		return 1;
	err = fwg_egress_set_allow(e, a->allow, a->n_allow) || fwg_egress_attach(e, a->rest[0]);
	if (!err && a->pin)
		err = fwg_egress_pin(e, a->pin);
	if (!err && !a->pin) {
		printf("egress restriction attached to %s\n", a->rest[0]);
		fflush(stdout);
		catch_signals();
		wait_for_signal();
		fwg_egress_counters(e, v);
		print_counters("egress", fwg_egress_counter_names, v, EGRESS_NR_COUNTERS);
	}
	fwg_egress_destroy(e);
	return err ? 1 : 0;
}

static int bpf_stats(struct bpf_args *a)
{
	static const struct {
		const char *prog, *map;
		const char *const *names;
		unsigned int n;
	} pinned[] = {
		{ "guard", "guard_stats", fwg_guard_reason_names, GUARD_NR_REASONS },
		{ "filter", "filter_counters", fwg_filter_counter_names, FILTER_NR_COUNTERS },
		{ "egress", "egress_counters", fwg_egress_counter_names, EGRESS_NR_COUNTERS },
	};
	const char *dir = a->n_rest ? a->rest[0] : FWG_BPF_PIN_DIR;
	uint64_t v[GUARD_NR_REASONS];
	char path[512];
	unsigned int i, found = 0;

	for (i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pinned[i].map);
		if (fwg_bpf_pinned_counters(path, v, pinned[i].n))
			continue;
		print_counters(pinned[i].prog, pinned[i].names, v, pinned[i].n);
		found++;
	}
	if (!found)
		log_warnx("%s: no pinned fwgate counters", dir);
	return !found;
}

static int bpf_unpin(struct bpf_args *a)
{
	return fwg_bpf_unpin(a->n_rest ? a->rest[0] : FWG_BPF_PIN_DIR) ? 1 : 0;
}

/* Each subcommand parses the shared options, then runs; argv[0] is its name. */
#define BPF_SUB(name)								\
	static int sub_##name(int argc, char **argv)				\
	{									\
		struct bpf_args a = {};						\
										\
		if (parse_args(argc, argv, &a))					\
			return FWG_EXIT_USAGE;					\
		return bpf_##name(&a);						\
	}
BPF_SUB(guard)
BPF_SUB(log)
BPF_SUB(filter)
BPF_SUB(egress)
BPF_SUB(stats)
BPF_SUB(unpin)

/* fwg_cmd_main gives each its --help on stdout (exit 0), and names a wrong subcommand (exit 64). */
static const struct fwg_cmd subcommands[] = {
	{ "guard", sub_guard, "load the write guard, enforcing but never sealed; print its denials",
	  "[--pin DIR] [--allow-dm] [--sysfs DIR]" },
	{ "log", sub_log, "print the denials of the guard pinned in DIR (default " FWG_BPF_PIN_DIR ")", "[DIR]" },
	{ "filter", sub_filter, "attach the XDP traffic filter to IFACE",
	  "IFACE [--allow CIDR]... [--port N]... [--relay-port N --rate PPS [--burst N]] [--pin DIR]" },
	{ "egress", sub_egress, "restrict a cgroup's outgoing connections",
	  "CGROUP [--allow ADDR[:PORT]]... [--pin DIR]" },
	{ "stats", sub_stats, "counters of the programs pinned in DIR (default " FWG_BPF_PIN_DIR ")", "[DIR]" },
	{ "unpin", sub_unpin, "remove the pins in DIR (default " FWG_BPF_PIN_DIR "), detaching what they hold",
	  "[DIR]" },
};

int fwg_bpf_command(int argc, char **argv)
{
	return fwg_cmd_main("fwgatectl bpf", subcommands, sizeof(subcommands) / sizeof(subcommands[0]), argc,
			    argv, NULL);
}
