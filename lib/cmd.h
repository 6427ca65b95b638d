/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Subcommand dispatch for fwgate's programs: one {name, fn, args, help} table drives dispatch, the usage, and
 * each command's --help. Conventions (Documentation/fwgate/tools.rst): --help prints on stdout and exits 0;
 * --version prints the version; a usage error names the wrong word on stderr and exits FWG_EXIT_USAGE.
 */
#ifndef FWG_CMD_H
#define FWG_CMD_H

#include <stddef.h>

struct fwg_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the command's name */
	const char *help;
	/* The synopsis after the name, NULL if none; "COMMAND ...": fn dispatches further, --help included. */
	const char *args;
};

/*
 * Runs the command argv[1] names. With no command, runs @dflt if there is one. `PROG --help`, `PROG help` and
 * `PROG COMMAND --help` print the usage on stdout and exit 0; `PROG --version` and `PROG COMMAND --version`
 * (alone) print the version; an unknown command or option is named, with the usage, on stderr (exit 64).
 */
int fwg_cmd_main(const char *prog, const struct fwg_cmd *cmds, size_t n, int argc, char **argv,
		 int (*dflt)(int argc, char **argv));

/*
 * @arg, the value of option @opt ("--batch-ms"), as a decimal number from @min to @max; anything else is a
 * usage error naming the option and the value (exit 64).
 */
unsigned long long fwg_cmd_number(const char *opt, const char *arg, unsigned long long min, unsigned long long max);

/* Prints "PROG VERSION" on stdout and exits 0. */
void fwg_print_version(const char *prog) __attribute__((noreturn));

#endif
