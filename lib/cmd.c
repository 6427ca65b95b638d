// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exit.h"
#include "log.h"

unsigned long long fwg_cmd_number(const char *opt, const char *arg, unsigned long long min, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (isdigit((unsigned char)*arg) && !*end && !errno && v >= min && v <= max)
		return v;
	if (max == ULLONG_MAX)
		usagex("%s: \"%s\" is not a whole number of %llu or more", opt, arg, min);
	usagex("%s: \"%s\" is not a whole number from %llu to %llu", opt, arg, min, max);
}

void fwg_print_version(const char *prog)
{
	/* "fwgatectl bpf": the program's name is the first word. */
	printf("%.*s %s\n", (int)strcspn(prog, " "), prog, FWG_VERSION);
	exit(FWG_EXIT_OK);
}

static void usage(FILE *f, const char *prog, const struct fwg_cmd *cmds, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (strlen(cmds[i].name) > w)
			w = strlen(cmds[i].name);
	fprintf(f, "usage: %s COMMAND [ARGS]\n       %s COMMAND --help\n       %s --version\n\n", prog, prog,
		prog);
	for (i = 0; i < n; i++)
		fprintf(f, "  %-*s  %s\n", (int)w, cmds[i].name, cmds[i].help);
}

static int is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

static void command_help(const char *prog, const struct fwg_cmd *c)
{
	printf("usage: %s %s%s%s\n\n  %s\n", prog, c->name, c->args ? " " : "", c->args ? c->args : "", c->help);
	exit(FWG_EXIT_OK);
}

int fwg_cmd_main(const char *prog, const struct fwg_cmd *cmds, size_t n, int argc, char **argv,
		 int (*dflt)(int argc, char **argv))
{
	size_t i;
	int a;

	if (argc < 2) {
		if (dflt)
			return dflt(argc, argv);
		usage(stderr, prog, cmds, n);
		return FWG_EXIT_USAGE;
	}
	if (is_help(argv[1]) || !strcmp(argv[1], "help")) {
		if (argc > 2)
			for (i = 0; i < n; i++)
				if (!strcmp(argv[2], cmds[i].name))
					command_help(prog, &cmds[i]);
		usage(stdout, prog, cmds, n);
		return FWG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		fwg_print_version(prog);
	for (i = 0; i < n; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (cmds[i].args && !strncmp(cmds[i].args, "COMMAND", 7))
			return cmds[i].fn(argc - 1, argv + 1);
		for (a = 2; a < argc && strcmp(argv[a], "--"); a++)
			if (is_help(argv[a]))
				command_help(prog, &cmds[i]);
		if (argc == 3 && !strcmp(argv[2], "--version"))
			fwg_print_version(prog);
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: \"%s\": %s\n", prog, argv[1], argv[1][0] == '-' ? "unknown option" : "unknown command");
	usage(stderr, prog, cmds, n);
	return FWG_EXIT_USAGE;
}
