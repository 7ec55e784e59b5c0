/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * views.h - who holds what of VFIO right now: processes with container,
 * group and device fds, their device mmaps and locked memory, the VFIO
 * interrupts, and (from nvfio's views only) DMA mappings.
 *
 * Several views fill one struct vfio_state, in order: "procfs" works on
 * every stack (/proc/<pid>/fd, fdinfo, maps, status, limits and
 * /proc/interrupts); "nvfio" adds what nvfio's own sysfs/debugfs files say,
 * when they are present (see view_nvfio.c and docs/vfioctl.md).  A new
 * view is one struct view_ops in views.c's list.
 */
#ifndef VFIOCTL_VIEWS_H
#define VFIOCTL_VIEWS_H

#include <stdbool.h>

#include "pci.h"

enum vfd_kind {
	VFD_CONTAINER, /* /dev/vfio/vfio */
	VFD_GROUP, /* /dev/vfio/<N> */
	VFD_DEVICE, /* anon_inode:[vfio-device] or /dev/vfio/devices/vfioX */
	VFD_IOMMUFD, /* /dev/iommu */
};

struct vfd {
	int fd;
	enum vfd_kind kind;
	int group; /* group fds; device fds when the device is known */
	char bdf[BDF_LEN]; /* device fds: "" when unknown */
	/* How the device was told: "fdinfo", "cdev", "group" (the only
	 * device of the only group the process holds), "nvfio" or "". */
	const char *bdf_from;
};

struct vmap {
	unsigned long long start, end, offset;
	char perms[8];
	char bdf[BDF_LEN]; /* "" when the process has several devices */
	int region; /* vfio-pci region index (offset >> 40) */
};

struct holder {
	int pid;
	char comm[32];
	long long locked_kb; /* VmLck: what type1 charges pinned pages to */
	long long pinned_kb; /* VmPin */
	long long memlock_limit; /* soft RLIMIT_MEMLOCK, bytes; -1 unlimited */
	int nfd;
	struct vfd *fds;
	int nmap;
	struct vmap *maps;
};

struct vfio_irq {
	int irq;
	char name[64]; /* "vfio-msix[0](0000:00:03.0)" */
	char bdf[BDF_LEN];
	char type[8]; /* intx, msi, msix */
	int vector;
	unsigned long long count; /* summed over CPUs */
	char chip[48]; /* "IR-PCI-MSIX-0000:00:03.0": IR- means remapped */
};

struct dma_range {
	unsigned long long iova, size;
	char flags[16];
	int container;
};

struct vfio_state {
	int nholder;
	struct holder *holders;
	bool holders_complete; /* every process's fds could be read */
	int nirq;
	struct vfio_irq *irqs;
	bool have_dma; /* DMA mappings are known (nvfio view) */
	int ndma;
	struct dma_range *dma;
	int nsrc;
	const char *sources[4]; /* names of the views that contributed */
};

struct view_ops {
	const char *name;
	bool (*present)(void);
	int (*collect)(struct vfio_state *st);
};

extern const struct view_ops view_procfs;
extern const struct view_ops view_nvfio;

/* Run every present view; 0, or -1 if the procfs view failed. */
int state_collect(struct vfio_state *st);
void state_free(struct vfio_state *st);

/* The holder of @pid (adding it if @add), or NULL. */
struct holder *state_holder(struct vfio_state *st, int pid, bool add);
/* Does @h hold group @group (a group fd, or a device fd of it)? */
bool holder_has_group(const struct holder *h, int group);
/* Does @h hold device @bdf (a device fd known to be it)? */
bool holder_has_device(const struct holder *h, const char *bdf);
const char *vfd_kind_name(enum vfd_kind k);
/* "pid 123 (qemu), pid 456 (dpdk)" for the holders of a group, or "". */
char *holders_of_group(const struct vfio_state *st, int group);

#endif
