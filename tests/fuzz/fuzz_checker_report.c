// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a stage's report (checker/pipeline.c, checker/ANALYSERS.md), which the stage wrote after
 * reading a hostile image. The first byte's low bit is the stage's exit status (0 clean, 1 findings).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *r;
	char why[200] = "";

	if (!size)
		return 0;
	r = checker_report_parse((const char *)data + 1, size - 1, data[0] & 1, why, sizeof(why));
	/* A rejected report always says why; an accepted one is an object whose verdict matches the status. */
	if (!r && !why[0])
		abort();
	if (r && !json_object_is_type(r, json_type_object))
		abort();
	json_object_put(r);
	return 0;
}
