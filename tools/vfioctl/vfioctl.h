/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfioctl - one command for the whole life of a device assignment: list
 * IOMMU groups, bind a group to vfio-pci and back, say why a device cannot
 * be used, show who holds it.  Works on mainline's VFIO and on nvfio.
 *
 * This header: exit codes, global options, the subcommands, small helpers
 * (util.c).
 */
#ifndef VFIOCTL_H
#define VFIOCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define VFIOCTL_VERSION "1"
/* The "schema_version" of every --json document (docs/vfioctl.md). */
#define VFIOCTL_SCHEMA_VERSION 1

/* Exit codes (vfioctl.8, EXIT STATUS): stable. */
enum {
	EX_OK = 0, /* done; why: the device is usable */
	EX_FAIL = 1, /* failed; bind/unbind: rolled back, nothing changed */
	EX_USAGE = 2, /* bad command line */
	EX_NOTFOUND = 3, /* no such device, group or process */
	EX_UNUSABLE = 4, /* why: at least one blocking problem */
	EX_PARTIAL = 5, /* bind/unbind failed and so did the rollback */
	EX_NEEDGROUP = 6, /* bind: other devices of the group need --group */
	EX_BUSY = 7, /* a process holds the device or its group */
	EX_PERM = 8, /* needs root (or write access to sysfs) */
};

struct options {
	bool json; /* --json */
	bool quiet; /* --quiet: errors only */
	bool verbose; /* --verbose */
};
extern struct options opt;

int cmd_list(int argc, char **argv);
int cmd_bind(int argc, char **argv);
int cmd_unbind(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_show(int argc, char **argv);

/* ---- util.c ---- */
/* Messages: to stderr, prefixed "vfioctl: ". */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress for people: stdout, unless --quiet or --json. */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Bounded copy, always NUL-terminated. */
void strlcpy0(char *dst, const char *src, size_t len);
/* "4G", "512M", "1024k", "4096" (bytes) -> bytes; -1 if malformed. */
long long parse_size(const char *s);
/* Bytes as "4.0 GiB" into buf. */
const char *fmt_size(unsigned long long bytes, char *buf, size_t len);
/* Does stdout go to a terminal (and stdin come from one)? */
bool interactive(void);

#endif
