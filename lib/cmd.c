// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void usage(const char *prog, const struct fwg_cmd *cmds, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (strlen(cmds[i].name) > w)
			w = strlen(cmds[i].name);
	fprintf(stderr, "usage: %s COMMAND [ARGS]\n\n", prog);
	for (i = 0; i < n; i++)
		fprintf(stderr, "  %-*s  %s\n", (int)w, cmds[i].name, cmds[i].help);
	exit(1);
}

int fwg_cmd_main(const char *prog, const struct fwg_cmd *cmds, size_t n, int argc, char **argv,
		 int (*dflt)(int argc, char **argv))
{
	size_t i;

	if (argc < 2) {
		if (dflt)
			return dflt(argc, argv);
		usage(prog, cmds, n);
	}
	for (i = 0; i < n; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	usage(prog, cmds, n);
	return 1;
}
