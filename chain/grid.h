/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit's tables (chain/audit.c, chain/trust_audit.c): cells kept as text, printed as aligned text
 * columns or as HTML tables whose every cell is escaped, the long ones folded in pages.
 */
#ifndef FWG_GRID_H
#define FWG_GRID_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FWG_GRID_MAX_COLS	16

struct fwg_grid {
	const char *id, *title;		/* the HTML table's id, the section's title */
	unsigned int cols;
	char **cell;			/* row-major, the header row first */
	size_t n, cap;
};

/* A table with its header: the column names follow, NULL-terminated. */
void fwg_grid_init(struct fwg_grid *t, const char *id, const char *title, ...);
/* The next cell, row by row. */
void fwg_grid_cell(struct fwg_grid *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fwg_grid_free(struct fwg_grid *t);
/* The title, then the rows in columns two spaces apart; "(none)" under the header of an empty table. */
void fwg_grid_text(FILE *f, const struct fwg_grid *t);
/*
 * The table in HTML, its first rows shown and the rest folded in pages (details/summary, no script); with
 * @fold, a long table is folded whole. Columns named "status", "verdict", "reason", "action" give their
 * cells a class from the value (st-approved, ...).
 */
void fwg_grid_html(FILE *f, const struct fwg_grid *t, int fold);
/* A block time in tables: UNIX milliseconds as 2026-12-06T14:30:00.123Z. */
const char *fwg_grid_time(uint64_t ms, char out[32]);
/* @s with <, >, &, " and ' as entities: names on the chain are printable ASCII, which may still hold markup. */
void fwg_html_text(FILE *f, const char *s);

#endif
