/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing JSON for the programs that do not link json-c (fwgatectl, fwgated's worker): strings escaped as
 * RFC 8259 wants, the rest written by the caller with fprintf.
 */
#ifndef FWG_JSONOUT_H
#define FWG_JSONOUT_H

#include <stdint.h>
#include <stdio.h>
#include <linux/fwgate.h>

/* @s as a JSON string, quotes included. */
void fwg_json_str(FILE *f, const char *s);

/* "key": "value" (with a leading comma unless @first). */
void fwg_json_kv(FILE *f, int first, const char *key, const char *value);

/* "key": "64 hex digits of @id" (with a leading comma unless @first). */
void fwg_json_id(FILE *f, int first, const char *key, const uint8_t id[FWGATE_ID_LEN]);

#endif
