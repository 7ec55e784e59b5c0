// SPDX-License-Identifier: GPL-2.0-only
/*
 * saved.c - the drivers devices had before bind (/run/vfioctl/<bdf>).
 * Format: two lines, "driver=<name>" and "override=<name>" (empty = none).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "saved.h"
#include "sysfs.h"
#include "vfioctl.h"

static void value(const char *text, const char *key, char *buf, size_t len)
{
	const char *p = strstr(text, key);

	buf[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
}

int saved_read(const char *bdf, struct saved *s)
{
	char *path = xasprintf(SAVED_DIR "/%s", bdf);
	char *text = sys_slurp(path, NULL);

	free(path);
	memset(s, 0, sizeof(*s));
	if (!text)
		return -1;
	value(text, "driver=", s->driver, sizeof(s->driver));
	value(text, "override=", s->override, sizeof(s->override));
	free(text);
	return 0;
}

int saved_write(const char *bdf, const struct saved *s)
{
	char *dir = sys_path(SAVED_DIR), *path = xasprintf("%s/%s", dir, bdf);
	FILE *f;
	int ret = -1;

	if (mkdir(dir, 0755) && errno != EEXIST)
		goto out;
	f = fopen(path, "w");
	if (!f)
		goto out;
	fprintf(f, "driver=%s\noverride=%s\n", s->driver, s->override);
	ret = fclose(f) ? -1 : 0;
out:
	free(path);
	free(dir);
	return ret;
}

void saved_remove(const char *bdf)
{
	char *dir = sys_path(SAVED_DIR), *path = xasprintf("%s/%s", dir, bdf);

	unlink(path);
	free(path);
	free(dir);
}
