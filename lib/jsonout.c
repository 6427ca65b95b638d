// SPDX-License-Identifier: GPL-2.0
#include "jsonout.h"
#include "keys.h"

void fwg_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void fwg_json_kv(FILE *f, int first, const char *key, const char *value)
{
	fprintf(f, "%s\"%s\": ", first ? "" : ", ", key);
	fwg_json_str(f, value);
}

void fwg_json_id(FILE *f, int first, const char *key, const uint8_t id[FWGATE_ID_LEN])
{
	char hex[2 * FWGATE_ID_LEN + 1];

	fwg_hex(id, FWGATE_ID_LEN, hex);
	fwg_json_kv(f, first, key, hex);
}
