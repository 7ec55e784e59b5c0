/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pci.h - PCI devices and IOMMU groups as sysfs shows them.
 */
#ifndef VFIOCTL_PCI_H
#define VFIOCTL_PCI_H

#include <stdbool.h>

#define BDF_LEN 16 /* "0000:00:00.0" */
#define DRV_LEN 64

#define PCI_DEVICES "/sys/bus/pci/devices"
#define PCI_DRIVERS "/sys/bus/pci/drivers"
#define IOMMU_GROUPS "/sys/kernel/iommu_groups"
#define VFIO_PCI "vfio-pci"

struct pdev {
	char bdf[BDF_LEN];
	unsigned int vendor, device, class; /* class: 24 bits */
	char driver[DRV_LEN]; /* "" when unbound */
	char override[DRV_LEN]; /* driver_override; "" when unset */
	int group; /* IOMMU group, -1 when none */
	bool bridge; /* header type 1/2: vfio-pci never takes it */
};

struct group {
	int id;
	char type[32]; /* /sys/kernel/iommu_groups/N/type, "" if absent */
	int ndev;
	struct pdev *devs; /* sorted by BDF */
};

/*
 * "0000:00:03.0" or "00:03.0" (domain 0) into the canonical form; -1 if
 * @in is not a BDF.
 */
int bdf_parse(const char *in, char *out);
/* Is @in a group number ("7")? Returns it, or -1. */
int group_parse(const char *in);

/* Read device @bdf; -1 with errno ENOENT if there is none. */
int pdev_read(const char *bdf, struct pdev *d);
/* Every PCI device, sorted by BDF; returns the count, -1 on error. */
int pdev_list(struct pdev **out);

/* Read IOMMU group @id; -1 with errno ENOENT if there is none. */
int group_read(int id, struct group *g);
/* Every IOMMU group, sorted by number; returns the count. */
int group_list(struct group **out);
void group_free(struct group *g);
void groups_free(struct group *g, int n);

/*
 * May a device bound to driver @drv ("" = none) share a group that
 * userspace owns?  Mainline's rule is the driver's driver_managed_dma flag,
 * which sysfs does not show: vfio drivers, pci-stub and pcieport set it.
 */
bool driver_dma_safe(const char *drv);
/* Is @drv a VFIO driver (vfio-pci or a vfio-pci variant)? */
bool driver_is_vfio(const char *drv);
/* Devices of @g bound to drivers that make it not viable; returns count. */
int group_blockers(const struct group *g, const struct pdev **out, int max);
static inline bool group_viable(const struct group *g)
{
	return group_blockers(g, 0, 0) == 0;
}
/* Has the group at least one device on a VFIO driver? */
bool group_has_vfio(const struct group *g);
/* The device of @g named @bdf, or NULL. */
struct pdev *group_find(const struct group *g, const char *bdf);

#endif
