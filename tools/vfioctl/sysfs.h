/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sysfs.h - file access for everything vfioctl reads or writes under /sys,
 * /proc, /dev, /etc and /run.
 *
 * Every path goes through here, so the test-only variable VFIOCTL_SYSROOT
 * can point all of them at a fake tree (tests of `why` for machines the
 * bench does not have: no IOMMU, IOMMU off, no interrupt remapping).
 */
#ifndef VFIOCTL_SYSFS_H
#define VFIOCTL_SYSFS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

/* The real path of @path (absolute), under VFIOCTL_SYSROOT if set. */
const char *sys_root(void);
char *sys_path(const char *path); /* malloc'ed */

/*
 * Read a small file into @buf (at most @len - 1 bytes), trailing
 * whitespace stripped.  0, or -1 with errno set and @buf "".
 */
int sys_read(const char *path, char *buf, size_t len);
int sys_readf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A hex or decimal number (strtoull base 0); -1 with errno on failure. */
int sys_read_ull(const char *path, unsigned long long *val);
/* A whole file, NUL-terminated, malloc'ed; NULL with errno on failure. */
char *sys_slurp(const char *path, size_t *len);
/* One write(2) of @s; 0 or -1 with errno (EIO if short). */
int sys_write(const char *path, const char *s);
/* The last component of the target of symlink @path into @buf; "" if none. */
int sys_link_name(const char *path, char *buf, size_t len);
/* The whole target of symlink @path. */
int sys_readlink(const char *path, char *buf, size_t len);
bool sys_exists(const char *path);
bool sys_existsf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
DIR *sys_opendir(const char *path);
/* access(2) on the real path. */
int sys_access(const char *path, int mode);

#endif
