// SPDX-License-Identifier: GPL-2.0
/* The audit's tables, as text or HTML (chain/grid.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grid.h"
#include "log.h"

void fwg_grid_cell(struct fwg_grid *t, const char *fmt, ...)
{
	va_list ap;
	char **c;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cell = realloc(t->cell, t->cap * sizeof(*t->cell));
		if (!t->cell)
			fatalx("out of memory");
	}
	c = &t->cell[t->n++];
	va_start(ap, fmt);
	if (vasprintf(c, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
}

void fwg_grid_init(struct fwg_grid *t, const char *id, const char *title, ...)
{
	const char *col;
	va_list ap;

	memset(t, 0, sizeof(*t));
	t->id = id;
	t->title = title;
	va_start(ap, title);
	while ((col = va_arg(ap, const char *))) {
		fwg_grid_cell(t, "%s", col);
		t->cols++;
	}
	va_end(ap);
}

void fwg_grid_free(struct fwg_grid *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
}

void fwg_grid_text(FILE *f, const struct fwg_grid *t)
{
	size_t w[FWG_GRID_MAX_COLS] = {}, i, c;

	for (i = 0; i < t->n; i++)
		if (strlen(t->cell[i]) > w[i % t->cols])
			w[i % t->cols] = strlen(t->cell[i]);
	fprintf(f, "\n%s\n", t->title);
	for (i = 0; i < t->n; i++) {
		c = i % t->cols;
		if (c == t->cols - 1)
			fprintf(f, "%s\n", t->cell[i]);
		else
			fprintf(f, "%s%-*s  ", c ? "" : "  ", (int)w[c], t->cell[i]);
	}
	if (t->n == t->cols)
		fputs("  (none)\n", f);
}

void fwg_html_text(FILE *f, const char *s)
{
	static const char special[] = "<>&\"'";
	static const char *const entity[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&#39;" };
	const char *p;

	for (; *s; s++) {
		p = strchr(special, *s);
		if (p)
			fputs(entity[p - special], f);
		else
			fputc(*s, f);
	}
}

/*
 * A column whose values are states ("status", "verdict", "reason", "action") gets them as classes, which the
 * style colours: st-approved, st-reject, ...; anything but [a-z-] is dropped from the class name.
 */
static void html_cell(FILE *f, const struct fwg_grid *t, size_t i)
{
	const char *col = t->cell[i % t->cols], *p;

	if (strcmp(col, "status") && strcmp(col, "verdict") && strcmp(col, "reason") && strcmp(col, "action")) {
		fputs("<td>", f);
	} else {
		fputs("<td class=\"st st-", f);
		for (p = t->cell[i]; *p; p++)
			if ((*p >= 'a' && *p <= 'z') || *p == '-')
				fputc(*p, f);
		fputs("\">", f);
	}
	fwg_html_text(f, t->cell[i]);
	fputs("</td>", f);
}

/* Rows [@from, @to) of @t (0 is the first row under the header) as one table, in a box that scrolls. */
static void grid_table(FILE *f, const struct fwg_grid *t, size_t from, size_t to)
{
	size_t i, r;

	if (from)
		fprintf(f, "<div class=\"scroll\"><table id=\"%s-from-%zu\">\n<thead><tr>", t->id, from + 1);
	else
		fprintf(f, "<div class=\"scroll\"><table id=\"%s\">\n<thead><tr>", t->id);
	for (i = 0; i < t->cols; i++) {
		fputs("<th>", f);
		fwg_html_text(f, t->cell[i]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (r = from; r < to; r++) {
		fputs("<tr>", f);
		for (i = (r + 1) * t->cols; i < (r + 2) * t->cols; i++)
			html_cell(f, t, i);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n", f);
}

/*
 * The first PAGE_ROWS rows as a table, the rest folded in pages of FOLD_ROWS (details/summary, no script):
 * a fleet of 10,000 devices opens on a page a reader can scroll, and every row is still in the file. With
 * @fold (a section's second table, the detail of its first), a long table is folded whole.
 */
#define PAGE_ROWS 50
#define FOLD_ROWS 1000

void fwg_grid_html(FILE *f, const struct fwg_grid *t, int fold)
{
	size_t rows = t->n / t->cols - 1, shown = rows < PAGE_ROWS ? rows : PAGE_ROWS, r, to;

	if (fold && rows > PAGE_ROWS)
		shown = 0;
	if (shown || !rows)
		grid_table(f, t, 0, shown);
	for (r = shown; r < rows; r = to) {
		to = r + FOLD_ROWS < rows ? r + FOLD_ROWS : rows;
		fprintf(f, "<details class=\"page\"><summary>%s: rows %zu to %zu of %zu</summary>\n", t->title, r + 1,
			to, rows);
		grid_table(f, t, r, to);
		fputs("</details>\n", f);
	}
}

const char *fwg_grid_time(uint64_t ms, char out[32])
{
	time_t t = ms / 1000;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out + strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm), 12, ".%03uZ", (unsigned int)(ms % 1000));
	return out;
}
