/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommand dispatch for fwgate's programs: one {name, fn, help} table drives both dispatch and usage. */
#ifndef FWG_CMD_H
#define FWG_CMD_H

#include <stddef.h>

struct fwg_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the command's name */
	const char *help;
};

/*
 * Runs the command argv[1] names. With no command, runs @dflt if there is one; an unknown command or none
 * without a default prints the usage built from the table and exits 1.
 */
int fwg_cmd_main(const char *prog, const struct fwg_cmd *cmds, size_t n, int argc, char **argv,
		 int (*dflt)(int argc, char **argv));

#endif
