// SPDX-License-Identifier: GPL-2.0-only
/*
 * pciids.c - look up names in pci.ids.  The file is read once; lookups scan
 * it (a list shows tens of devices, the file is 1.3 MB: fast enough).
 *
 * Format: "vvvv  Vendor" at column 0, "\tdddd  Device" under it,
 * "\t\tssss ssss  Subsystem"; after "C cc  Class" lines, "\tss  Subclass".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pciids.h"
#include "sysfs.h"
#include "vfioctl.h"

static char *db;
static const char *db_file;
static int db_tried;

static const char *load(void)
{
	static const char *const paths[] = {
		"/usr/share/misc/pci.ids",
		"/usr/share/hwdata/pci.ids",
		"/usr/share/pci.ids",
	};
	const char *env = getenv("VFIOCTL_PCI_IDS");

	if (db_tried)
		return db;
	db_tried = 1;
	if (env) {
		db = *env ? sys_slurp(env, NULL) : NULL;
		db_file = db ? env : NULL;
		return db;
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		db = sys_slurp(paths[i], NULL);
		if (db) {
			db_file = paths[i];
			break;
		}
	}
	return db;
}

const char *pciids_file(void)
{
	load();
	return db_file;
}

/* Copy the name after "xxxx  " up to the end of the line. */
static void copy_name(const char *p, char *buf, size_t len)
{
	const char *e = strchr(p, '\n');
	size_t n;

	while (*p == ' ')
		p++;
	n = e ? (size_t)(e - p) : strlen(p);
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/*
 * Find the line "<tabs><hex id>  " with @ntabs tabs between @from and the
 * next line with fewer tabs (the end of the parent's block).  Returns the
 * position after the id, or NULL.
 */
static const char *find_line(const char *from, int ntabs, const char *id,
			     bool class_section)
{
	size_t idlen = strlen(id);
	const char *p = from;

	while (p && *p) {
		int t = 0;

		while (p[t] == '\t')
			t++;
		if (p[0] != '#' && p[0] != '\n') {
			if (t < ntabs)
				return NULL;
			if (t == ntabs && !strncasecmp(p + t, id, idlen) &&
			    p[t + idlen] == ' ')
				return p + t + idlen;
			/* Vendor search ends at the class section. */
			if (!class_section && ntabs == 0 && p[0] == 'C' &&
			    p[1] == ' ')
				return NULL;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p ? p + 1 : NULL;
}

void pciids_names(unsigned int vendor, unsigned int device, char *vname,
		  size_t vlen, char *dname, size_t dlen)
{
	const char *d = load(), *p;
	char id[8];

	vname[0] = dname[0] = '\0';
	if (!d)
		return;
	snprintf(id, sizeof(id), "%04x", vendor);
	p = find_line(d, 0, id, false);
	if (!p)
		return;
	copy_name(p, vname, vlen);
	snprintf(id, sizeof(id), "%04x", device);
	p = find_line(next_line(p), 1, id, false);
	if (p)
		copy_name(p, dname, dlen);
}

void pciids_class(unsigned int class, char *buf, size_t len)
{
	const char *d = load(), *p, *sub;
	char id[8];

	buf[0] = '\0';
	if (!d)
		return;
	p = strstr(d, "\nC ");
	if (!p)
		return;
	snprintf(id, sizeof(id), "C %02x", (class >> 16) & 0xff);
	p = find_line(p + 1, 0, id, true);
	if (!p)
		return;
	snprintf(id, sizeof(id), "%02x", (class >> 8) & 0xff);
	sub = find_line(next_line(p), 1, id, true);
	copy_name(sub ? sub : p, buf, len);
}
