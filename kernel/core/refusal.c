// SPDX-License-Identifier: GPL-2.0-only
/*
 * refusal.c - the lines the core logs when it refuses a group for a
 * privilege or topology reason (nvfio_refusal.h has their shape,
 * docs/refusals.md every line).  Each is rate limited on its own; the
 * callers return mainline's errno, these only explain it.  Mainline logs
 * nothing in these places.
 *
 * Locking: both run with @group->lock held (lockdep_assert_held), which
 * keeps @group->iommu_group and the opener's identity stable.
 */
#include <linux/pci.h>
#include <linux/sched.h>

#include "core.h"
#include "nvfio_refusal.h"

struct nvfio_blockers {
	char line[256];
	size_t len;
	unsigned int count;
};

static int nvfio_find_dma_user(struct device *dev, void *data)
{
	struct nvfio_blockers *b = data;
	struct device_driver *drv = READ_ONCE(dev->driver);

	/* Drivers that declare they do no DMA of their own do not count. */
	if (!drv || (dev_is_pci(dev) && to_pci_driver(drv)->driver_managed_dma))
		return 0;
	if (b->len < sizeof(b->line))
		b->len += scnprintf(b->line + b->len, sizeof(b->line) - b->len,
				    "%s%s (driver %s)", b->count ? ", " : "",
				    dev_name(dev), drv->name);
	b->count++;
	return 0;
}

/*
 * @op (an ioctl name) was refused because userspace cannot own @group: say
 * which devices are bound to which kernel drivers, or, if none is, that
 * someone else (iommufd, another kernel user) owns its DMA.
 */
void nvfio_refuse_not_viable(struct nvfio_group *group, const char *op)
{
	struct nvfio_blockers b = {};
	int id = iommu_group_id(group->iommu_group);

	lockdep_assert_held(&group->lock);
	iommu_group_for_each_dev(group->iommu_group, &b, nvfio_find_dma_user);
	if (b.count == 1)
		pr_warn_ratelimited(
			"vfio: group %d: %s refused for " NVFIO_WHO_FMT
			": group not viable: a device is bound to a kernel driver: %s; unbind it, or bind it to vfio-pci\n",
			id, op, NVFIO_WHO_ARGS, b.line);
	else if (b.count)
		pr_warn_ratelimited(
			"vfio: group %d: %s refused for " NVFIO_WHO_FMT
			": group not viable: devices are bound to kernel drivers: %s; unbind them, or bind them to vfio-pci\n",
			id, op, NVFIO_WHO_ARGS, b.line);
	else
		pr_warn_ratelimited(
			"vfio: group %d: %s refused for " NVFIO_WHO_FMT
			": group not viable: its DMA is owned by another user (iommufd or a kernel component); close that user first\n",
			id, op, NVFIO_WHO_ARGS);
}

/*
 * A second open of @group's file was refused: name who opened the first
 * (a no-IOMMU group by its node's name, noiommu-<N>).
 */
void nvfio_refuse_group_busy(struct nvfio_group *group)
{
	lockdep_assert_held(&group->lock);
	pr_warn_ratelimited(
		"vfio: group %s%d: open refused for " NVFIO_WHO_FMT
		": already open by %s[%d] (one open file per group); close it there, or have that process pass its fd (SCM_RIGHTS)\n",
		group->noiommu ? "noiommu-" : "", group->id, NVFIO_WHO_ARGS,
		group->opener_comm, group->opener_pid);
}
