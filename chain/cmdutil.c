// SPDX-License-Identifier: GPL-2.0
/* The fwgate CLI's shared option checks and output (chain/cmdutil.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "client.h"
#include "cmd.h"
#include "cmdutil.h"
#include "exit.h"
#include "files.h"
#include "keys.h"
#include "log.h"

void fwg_cmd_need(const char *val, const char *name)
{
	if (!val)
		usagex("missing --%s", name);
}

unsigned long long fwg_cmd_positive(const char *opt, const char *arg)
{
	return fwg_cmd_number(opt, arg, 1, ULLONG_MAX);
}

void fwg_cmd_push(const char **list, unsigned int *nr, unsigned int max, const char *arg,
		  const char *too_many)
{
	if (*nr == max)
		usagex(too_many, max);
	list[(*nr)++] = arg;
}

struct json_object *fwg_cmd_json_id(const uint8_t id[FWGATE_ID_LEN])
{
	char hex[2 * FWGATE_ID_LEN + 1];

	fwg_hex(id, FWGATE_ID_LEN, hex);
	return json_object_new_string(hex);
}

void fwg_cmd_print_json(struct json_object *j)
{
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

int fwg_cmd_submit(const char *node, const char *what, const void *tx, size_t len)
{
	char answer[1024];
	long code = fwg_node_submit(node, tx, len, answer, sizeof(answer));

	if (code < 0) {
		log_warnx("%s", answer);
		return FWG_EXIT_UNREACHABLE;
	}
	if (code != 200) {
		if (what)
			log_warnx("%s: refused with HTTP %ld: %s", what, code, answer);
		else
			log_warnx("%s/tx: refused with HTTP %ld: %s", node, code, answer);
		return FWG_EXIT_FAIL;
	}
	fputs(answer, stdout);
	return 0;
}

int fwg_cmd_emit(const char *node, const char *out, const void *tx, size_t len)
{
	if (out && fwg_write_file(out, tx, len, 0644))
		return FWG_EXIT_FAIL;
	return node ? fwg_cmd_submit(node, NULL, tx, len) : 0;
}
