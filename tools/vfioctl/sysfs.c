// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs.c - reads and writes of sysfs, procfs and device files, all under
 * the (test-only) VFIOCTL_SYSROOT prefix when it is set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"
#include "vfioctl.h"

const char *sys_root(void)
{
	const char *r = getenv("VFIOCTL_SYSROOT");

	return r && *r ? r : "";
}

char *sys_path(const char *path)
{
	return xasprintf("%s%s", sys_root(), path);
}

int sys_read(const char *path, char *buf, size_t len)
{
	char *p = sys_path(path);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	free(p);
	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		buf[0] = '\0';
		errno = err;
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 &&
	       (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return 0;
}

int sys_readf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	char *path;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		buf[0] = '\0';
		return -1;
	}
	ret = sys_read(path, buf, len);
	free(path);
	return ret;
}

int sys_read_ull(const char *path, unsigned long long *val)
{
	char buf[64], *end;

	if (sys_read(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf) {
		errno = errno ? errno : EINVAL;
		return -1;
	}
	return 0;
}

char *sys_slurp(const char *path, size_t *lenp)
{
	char *p = sys_path(path);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;

	free(p);
	if (fd < 0)
		return NULL;
	buf = xmalloc(cap + 1);
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	if (n < 0) {
		int err = errno;

		close(fd);
		free(buf);
		errno = err;
		return NULL;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

int sys_write(const char *path, const char *s)
{
	char *p = sys_path(path);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t n;
	int err;

	free(p);
	if (fd < 0)
		return -1;
	n = write(fd, s, len);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int sys_readlink(const char *path, char *buf, size_t len)
{
	char *p = sys_path(path);
	ssize_t n = readlink(p, buf, len - 1);

	free(p);
	if (n < 0) {
		buf[0] = '\0';
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

int sys_link_name(const char *path, char *buf, size_t len)
{
	char target[4096];
	const char *slash;

	buf[0] = '\0';
	if (sys_readlink(path, target, sizeof(target)))
		return -1;
	slash = strrchr(target, '/');
	strlcpy0(buf, slash ? slash + 1 : target, len);
	return 0;
}

bool sys_exists(const char *path)
{
	char *p = sys_path(path);
	bool ret = access(p, F_OK) == 0;

	free(p);
	return ret;
}

bool sys_existsf(const char *fmt, ...)
{
	va_list ap;
	char *path;
	bool ret;

	va_start(ap, fmt);
	if (vasprintf(&path, fmt, ap) < 0)
		path = NULL;
	va_end(ap);
	if (!path)
		return false;
	ret = sys_exists(path);
	free(path);
	return ret;
}

DIR *sys_opendir(const char *path)
{
	char *p = sys_path(path);
	DIR *d = opendir(p);

	free(p);
	return d;
}

int sys_access(const char *path, int mode)
{
	char *p = sys_path(path);
	int ret = access(p, mode);

	free(p);
	return ret;
}
