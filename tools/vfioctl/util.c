// SPDX-License-Identifier: GPL-2.0-only
/*
 * util.c - messages, allocation, sizes.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfioctl.h"

void warnx(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vfioctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void info(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet || opt.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void *oom(void *p)
{
	if (!p) {
		fputs("vfioctl: out of memory\n", stderr);
		exit(EX_FAIL);
	}
	return p;
}

void *xmalloc(size_t n)
{
	return oom(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return oom(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return oom(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return oom(strdup(s ? s : ""));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return oom(n < 0 ? NULL : s);
}

void strlcpy0(char *dst, const char *src, size_t len)
{
	if (!len)
		return;
	snprintf(dst, len, "%s", src ? src : "");
}

long long parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		/* "4G", "4GB", "4GiB" */
		if (!strcasecmp(end, "b") || !strcasecmp(end, "ib"))
			end += strlen(end);
		if (*end)
			return -1;
	}
	if (v > (~0ULL >> 1) >> shift)
		return -1;
	return (long long)(v << shift);
}

const char *fmt_size(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}

bool interactive(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}
