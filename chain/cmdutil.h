/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fwgate CLI's commands (chain/fwgate.c, chain/trust_cmd.c, chain/control_cmd.c, chain/rollout_cmd.c)
 * share: their option checks, JSON output, and handing a transaction to --out and --node. Errors exit with the
 * status of lib/exit.h and a message naming the option.
 */
#ifndef FWG_CMDUTIL_H
#define FWG_CMDUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

struct json_object;

/* "missing --NAME" unless @val is set. */
void fwg_cmd_need(const char *val, const char *name);

/* @arg as a positive integer, or a usage error naming @opt (lib/cmd.h's fwg_cmd_number). */
unsigned long long fwg_cmd_positive(const char *opt, const char *arg);

/* A repeated option: appends @arg to @list, which holds @max; once full, fatalx(@too_many, @max). */
void fwg_cmd_push(const char **list, unsigned int *nr, unsigned int max, const char *arg,
		  const char *too_many);

/* An id as a JSON string of 64 hex digits. */
struct json_object *fwg_cmd_json_id(const uint8_t id[FWGATE_ID_LEN]);

/* Prints @j pretty on stdout and releases it. */
void fwg_cmd_print_json(struct json_object *j);

/*
 * POSTs one transaction to @node; its answer goes to stdout (200) or stderr, where a refusal is named by
 * @what, or by "NODE/tx" if @what is NULL. 0 once it is in a block, FWG_EXIT_UNREACHABLE when the node did
 * not answer, FWG_EXIT_FAIL when it refused.
 */
int fwg_cmd_submit(const char *node, const char *what, const void *tx, size_t len);

/* A signed transaction: written to @out and submitted to @node, each if given. FWG_EXIT_FAIL if not written. */
int fwg_cmd_emit(const char *node, const char *out, const void *tx, size_t len);

#endif
