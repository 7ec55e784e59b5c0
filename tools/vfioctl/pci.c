// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci.c - PCI devices and IOMMU groups from sysfs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "sysfs.h"
#include "vfioctl.h"

int bdf_parse(const char *in, char *out)
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (!in)
		return -1;
	if (sscanf(in, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(in, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return -1;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -1;
	snprintf(out, BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int group_parse(const char *in)
{
	char *end;
	long v;

	if (!in || !isdigit((unsigned char)*in))
		return -1;
	v = strtol(in, &end, 10);
	if (*end || v < 0 || v > 1000000)
		return -1;
	return (int)v;
}

static unsigned int read_hex(const char *bdf, const char *attr)
{
	char buf[32];

	if (sys_readf(buf, sizeof(buf), PCI_DEVICES "/%s/%s", bdf, attr))
		return 0;
	return (unsigned int)strtoul(buf, NULL, 16);
}

int pdev_read(const char *bdf, struct pdev *d)
{
	char path[256], buf[64];
	unsigned char hdr;

	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	if (!sys_exists(path)) {
		errno = ENOENT;
		return -1;
	}
	strlcpy0(d->bdf, bdf, sizeof(d->bdf));
	d->vendor = read_hex(bdf, "vendor");
	d->device = read_hex(bdf, "device");
	d->class = read_hex(bdf, "class");
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	sys_link_name(path, d->driver, sizeof(d->driver));
	sys_readf(buf, sizeof(buf), PCI_DEVICES "/%s/driver_override", bdf);
	if (strcmp(buf, "(null)"))
		strlcpy0(d->override, buf, sizeof(d->override));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	d->group = sys_link_name(path, buf, sizeof(buf)) ? -1 : atoi(buf);
	/* Header type: byte 0x0e of config space (readable by anyone). */
	hdr = 0;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	{
		char *p = sys_path(path);
		FILE *f = fopen(p, "rb");

		free(p);
		if (f) {
			if (fseek(f, 0x0e, SEEK_SET) ||
			    fread(&hdr, 1, 1, f) != 1)
				hdr = 0;
			fclose(f);
		}
	}
	d->bridge = (hdr & 0x7f) == 1 || (hdr & 0x7f) == 2 ||
		    (d->class >> 8) == 0x0604 || (d->class >> 8) == 0x0609;
	return 0;
}

static int cmp_pdev(const void *a, const void *b)
{
	return strcmp(((const struct pdev *)a)->bdf,
		      ((const struct pdev *)b)->bdf);
}

/* The entries of directory @path that are BDFs, read as devices. */
static int read_bdf_dir(const char *path, struct pdev **out)
{
	DIR *dir = sys_opendir(path);
	struct dirent *e;
	struct pdev *v = NULL;
	int n = 0, cap = 0;
	char bdf[BDF_LEN];

	*out = NULL;
	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		if (bdf_parse(e->d_name, bdf) || strcmp(bdf, e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (pdev_read(bdf, &v[n]) == 0)
			n++;
	}
	closedir(dir);
	qsort(v, n, sizeof(*v), cmp_pdev);
	*out = v;
	return n;
}

int pdev_list(struct pdev **out)
{
	return read_bdf_dir(PCI_DEVICES, out);
}

int group_read(int id, struct group *g)
{
	char path[128];
	int n;

	memset(g, 0, sizeof(*g));
	g->id = id;
	snprintf(path, sizeof(path), IOMMU_GROUPS "/%d/type", id);
	sys_read(path, g->type, sizeof(g->type));
	snprintf(path, sizeof(path), IOMMU_GROUPS "/%d/devices", id);
	n = read_bdf_dir(path, &g->devs);
	if (n < 0) {
		errno = ENOENT;
		return -1;
	}
	g->ndev = n;
	return 0;
}

static int cmp_group(const void *a, const void *b)
{
	return ((const struct group *)a)->id - ((const struct group *)b)->id;
}

int group_list(struct group **out)
{
	DIR *dir = sys_opendir(IOMMU_GROUPS);
	struct dirent *e;
	struct group *v = NULL;
	int n = 0, cap = 0, id;

	*out = NULL;
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		id = group_parse(e->d_name);
		if (id < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (group_read(id, &v[n]) == 0)
			n++;
	}
	closedir(dir);
	qsort(v, n, sizeof(*v), cmp_group);
	*out = v;
	return n;
}

void group_free(struct group *g)
{
	free(g->devs);
	g->devs = NULL;
	g->ndev = 0;
}

void groups_free(struct group *g, int n)
{
	for (int i = 0; i < n; i++)
		group_free(&g[i]);
	free(g);
}

bool driver_is_vfio(const char *drv)
{
	size_t n = strlen(drv);

	/* vfio-pci, and variants such as mlx5_vfio_pci. */
	return !strncmp(drv, "vfio", 4) ||
	       (n > 8 && !strcmp(drv + n - 8, "vfio_pci"));
}

bool driver_dma_safe(const char *drv)
{
	return !*drv || driver_is_vfio(drv) || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

int group_blockers(const struct group *g, const struct pdev **out, int max)
{
	int n = 0;

	for (int i = 0; i < g->ndev; i++) {
		if (driver_dma_safe(g->devs[i].driver))
			continue;
		if (out && n < max)
			out[n] = &g->devs[i];
		n++;
	}
	return n;
}

bool group_has_vfio(const struct group *g)
{
	for (int i = 0; i < g->ndev; i++)
		if (driver_is_vfio(g->devs[i].driver))
			return true;
	return false;
}

struct pdev *group_find(const struct group *g, const char *bdf)
{
	for (int i = 0; i < g->ndev; i++)
		if (!strcmp(g->devs[i].bdf, bdf))
			return &g->devs[i];
	return NULL;
}
