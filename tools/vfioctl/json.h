/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * json.h - a small streaming JSON writer (pretty-printed, two-space
 * indent) for --json.  The schema is in docs/vfioctl.md.
 */
#ifndef VFIOCTL_JSON_H
#define VFIOCTL_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_DEPTH];
};

/* Starts the top-level object with "schema_version" and "command". */
void json_begin(struct json *j, const char *command);
/* Ends it (and the line). */
void json_end(struct json *j);

/* @key is NULL inside arrays. */
void json_obj(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *v); /* NULL: null */
/* A string, or null when @v is "" . */
void json_stre(struct json *j, const char *key, const char *v);
void json_int(struct json *j, const char *key, long long v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

#endif
