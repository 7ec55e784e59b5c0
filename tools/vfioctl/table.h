/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * table.h - aligned text tables for people: columns padded to their
 * widest cell, two spaces apart, the last column not padded.
 */
#ifndef VFIOCTL_TABLE_H
#define VFIOCTL_TABLE_H

#include <stdio.h>

#define TABLE_MAXCOL 12

struct table {
	int ncol;
	int nrows, cap;
	char **cells; /* nrows * ncol, row 0 the header */
};

void table_init(struct table *t, int ncol, ...); /* the header cells */
/* One row of ncol cells ("" prints as "-", NULL as nothing). */
void table_row(struct table *t, ...);
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

#endif
