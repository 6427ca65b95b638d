// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fwgated's configuration parser (agent/conf.c). */
#include "conf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwg_conf c;

	log_init("fuzz_conf", -1);
	fwg_conf_parse("fuzz", (const char *)data, size, &c);
	return 0;
}
