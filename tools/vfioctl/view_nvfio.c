// SPDX-License-Identifier: GPL-2.0-only
/*
 * view_nvfio.c - what nvfio's own visibility files say (docs/visibility.md
 * is their reference, a stable interface).  Absent files are no error (an
 * older nvfio, debugfs not mounted): the procfs view has then said all
 * there is to say.
 *
 * The files this view reads (docs/vfioctl.md, "Views"):
 *   /sys/bus/pci/devices/<bdf>/nvfio/holders
 *       one line per process that has the device open: "<pid> <comm>"
 *   /sys/bus/pci/devices/<bdf>/nvfio/container
 *       the id of the container the device's group is in (decimal)
 *   /sys/kernel/debug/nvfio/containers/<id>/mappings
 *       one line per DMA mapping: "<iova> <size> <flags>" (hex, hex, word)
 * Only these names and formats are assumed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs.h"
#include "views.h"
#include "vfioctl.h"

#define NVFIO_DEBUGFS "/sys/kernel/debug/nvfio/containers"

static bool nvfio_present(void)
{
	char v[64];

	if (sys_read("/sys/module/vfio/version", v, sizeof(v)) ||
	    strncmp(v, "nvfio-", 6))
		return false;
	return true;
}

/* Name the device of @h's unnamed device fd, or add a pseudo fd (-1). */
static void claim(struct holder *h, const char *bdf, int group)
{
	struct vfd v = {.fd = -1, .kind = VFD_DEVICE, .group = group};

	if (holder_has_device(h, bdf))
		return;
	for (int i = 0; i < h->nfd; i++)
		if (h->fds[i].kind == VFD_DEVICE && !h->fds[i].bdf[0]) {
			strlcpy0(h->fds[i].bdf, bdf, sizeof(h->fds[i].bdf));
			h->fds[i].group = group;
			h->fds[i].bdf_from = "nvfio";
			return;
		}
	strlcpy0(v.bdf, bdf, sizeof(v.bdf));
	v.bdf_from = "nvfio";
	h->fds = xrealloc(h->fds, (h->nfd + 1) * sizeof(*h->fds));
	h->fds[h->nfd++] = v;
}

/* 1 if the device has the file, else 0. */
static int read_holders(struct vfio_state *st, const struct pdev *d)
{
	char path[128], *text, *line, *save = NULL;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/nvfio/holders", d->bdf);
	text = sys_slurp(path, NULL);
	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char comm[32] = "";
		struct holder *h;
		int pid;

		if (sscanf(line, "%d %31s", &pid, comm) < 1)
			continue;
		h = state_holder(st, pid, true);
		if (!h->comm[0])
			strlcpy0(h->comm, comm, sizeof(h->comm));
		claim(h, d->bdf, d->group);
	}
	free(text);
	return 1;
}

/* 1 if nvfio's debugfs has the containers, else 0. */
static int read_mappings(struct vfio_state *st)
{
	DIR *dir = sys_opendir(NVFIO_DEBUGFS);
	struct dirent *e;

	if (!dir)
		return 0;
	st->have_dma = true;
	while ((e = readdir(dir))) {
		char path[300], *text, *line, *save = NULL;
		int id;

		if (e->d_name[0] == '.')
			continue;
		id = atoi(e->d_name);
		snprintf(path, sizeof(path), NVFIO_DEBUGFS "/%s/mappings",
			 e->d_name);
		text = sys_slurp(path, NULL);
		if (!text)
			continue;
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			struct dma_range r = {.container = id};

			if (sscanf(line, "%llx %llx %15s", &r.iova, &r.size,
				   r.flags) < 2)
				continue;
			st->dma = xrealloc(st->dma,
					   (st->ndma + 1) * sizeof(*st->dma));
			st->dma[st->ndma++] = r;
		}
		free(text);
	}
	closedir(dir);
	return 1;
}

/* 0 if any of nvfio's files was there, else 1 (not a source). */
static int nvfio_collect(struct vfio_state *st)
{
	struct pdev *devs;
	int n = pdev_list(&devs), found = 0;

	for (int i = 0; i < n; i++)
		if (driver_is_vfio(devs[i].driver))
			found |= read_holders(st, &devs[i]);
	free(devs);
	found |= read_mappings(st);
	return found ? 0 : 1;
}

const struct view_ops view_nvfio = {
	.name = "nvfio",
	.present = nvfio_present,
	.collect = nvfio_collect,
};
