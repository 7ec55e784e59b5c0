// SPDX-License-Identifier: GPL-2.0-only
/*
 * table.c - aligned tables.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "vfioctl.h"

static void add(struct table *t, va_list ap)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells =
			xrealloc(t->cells, t->cap * t->ncol * sizeof(char *));
	}
	for (int c = 0; c < t->ncol; c++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncol + c] = xstrdup(!s ? "" :
							   *s ? s :
								"-");
	}
	t->nrows++;
}

void table_init(struct table *t, int ncol, ...)
{
	va_list ap;

	memset(t, 0, sizeof(*t));
	t->ncol = ncol;
	va_start(ap, ncol);
	add(t, ap);
	va_end(ap);
}

void table_row(struct table *t, ...)
{
	va_list ap;

	va_start(ap, t);
	add(t, ap);
	va_end(ap);
}

/* Display width: count UTF-8 lead bytes only. */
static int width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void table_print(struct table *t, FILE *f)
{
	int w[TABLE_MAXCOL] = {0};

	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncol && c < TABLE_MAXCOL; c++) {
			int n = width(t->cells[r * t->ncol + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncol; c++) {
			const char *s = t->cells[r * t->ncol + c];

			fputs(s, f);
			if (c == t->ncol - 1)
				break;
			for (int i = width(s); i < w[c] + 2; i++)
				fputc(' ', f);
		}
		fputc('\n', f);
	}
}

void table_free(struct table *t)
{
	for (int i = 0; i < t->nrows * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
