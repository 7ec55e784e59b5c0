// SPDX-License-Identifier: GPL-2.0-only
/*
 * json.c - the JSON writer of --json.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "vfioctl.h"

static void indent(struct json *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* The separator and key before a value. */
static void member(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		j->first[j->depth] = false;
		indent(j);
	}
	if (key) {
		quoted(j->f, key);
		fputs(": ", j->f);
	}
}

static void open(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void json_begin(struct json *j, const char *command)
{
	memset(j, 0, sizeof(*j));
	j->f = stdout;
	open(j, NULL, '{');
	json_int(j, "schema_version", VFIOCTL_SCHEMA_VERSION);
	json_str(j, "command", command);
}

void json_end(struct json *j)
{
	while (j->depth > 0)
		close_(j, '}');
	fputc('\n', j->f);
	fflush(j->f);
}

void json_obj(struct json *j, const char *key)
{
	open(j, key, '{');
}

void json_obj_end(struct json *j)
{
	close_(j, '}');
}

void json_arr(struct json *j, const char *key)
{
	open(j, key, '[');
}

void json_arr_end(struct json *j)
{
	close_(j, ']');
}

void json_str(struct json *j, const char *key, const char *v)
{
	member(j, key);
	if (v)
		quoted(j->f, v);
	else
		fputs("null", j->f);
}

void json_stre(struct json *j, const char *key, const char *v)
{
	json_str(j, key, v && *v ? v : NULL);
}

void json_int(struct json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}
