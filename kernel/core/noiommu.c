// SPDX-License-Identifier: GPL-2.0-only
/*
 * noiommu.c - the unsafe no-IOMMU mode: VFIO for devices that have no IOMMU
 * at all (a VM without a virtual IOMMU, as most cloud instances are).
 *
 * Off by default.  With vfio's parameter enable_unsafe_noiommu_mode on, a
 * device without an IOMMU group that a bus driver registers gets an IOMMU
 * group of its own made up here (named "vfio-noiommu", so the device's
 * iommu_group link in sysfs, which DPDK reads, exists) and a group chardev
 * named /dev/vfio/noiommu-<id> (group.c).  Such a group can only join a
 * container of no-IOMMU groups, and such a container can only use the
 * backend below, which translates nothing: the user programs the device
 * with physical addresses and the device can reach all of memory.  Hence
 * the safeguards, as on mainline: CAP_SYS_RAWIO to open the group, attach
 * it, choose the backend and open a device; the kernel is tainted when the
 * first such group is made and every device open is logged.
 *
 * A device with a real IOMMU group never gets here, whatever the mode.
 *
 * Switching the mode off at run time takes nothing away (as on mainline):
 * existing no-IOMMU groups and their open files keep working until their
 * device is unbound; only new groups are refused, and the backend stops
 * claiming its extension, so containers that did not choose it yet cannot.
 *
 * Lifetimes: the made-up IOMMU group is allocated with one reference, which
 * the core's group takes over; the device holds a second one from
 * iommu_group_add_device() until the last device of the group unregisters
 * and nvfio_noiommu_remove_device() takes it out again.
 *
 * Locking: the parameter is a bool the module-parameter code writes under
 * its own lock; readers take no lock (READ_ONCE), since a stale answer only
 * decides one registration or one CHECK_EXTENSION either way.  The backend
 * keeps no state.
 */
#include <linux/capability.h>
#include <linux/moduleparam.h>

#include "core.h"

static bool nvfio_noiommu_mode;
module_param_named(enable_unsafe_noiommu_mode, nvfio_noiommu_mode, bool, 0644);
MODULE_PARM_DESC(
	enable_unsafe_noiommu_mode,
	"Let vfio-pci take devices that have no IOMMU (/dev/vfio/noiommu-N). UNSAFE: no DMA isolation or translation, the device can reach all memory; needs CAP_SYS_RAWIO, taints the kernel, no device assignment to VMs. (default: N)");

bool nvfio_noiommu_enabled(void)
{
	return READ_ONCE(nvfio_noiommu_mode);
}

/*
 * The backend of no-IOMMU containers.  It has no data (open returns NULL)
 * and answers every ioctl but CHECK_EXTENSION with -ENOTTY: there is
 * nothing to map, so MAP_DMA, UNMAP_DMA and GET_INFO fail as on mainline.
 */
static void *nvfio_noiommu_open(unsigned long arg)
{
	if (arg != VFIO_NOIOMMU_IOMMU)
		return ERR_PTR(-EINVAL);
	if (!capable(CAP_SYS_RAWIO))
		return ERR_PTR(-EPERM);
	return NULL;
}

static void nvfio_noiommu_release(void *iommu_data)
{
}

static long nvfio_noiommu_ioctl(void *iommu_data, unsigned int cmd,
				unsigned long arg)
{
	if (cmd != VFIO_CHECK_EXTENSION)
		return -ENOTTY;
	/* Claimed only while the mode is on, even by a container using it. */
	return nvfio_noiommu_enabled() && arg == VFIO_NOIOMMU_IOMMU;
}

static int nvfio_noiommu_attach_group(void *iommu_data,
				      struct iommu_group *group)
{
	return 0;
}

static void nvfio_noiommu_detach_group(void *iommu_data,
				       struct iommu_group *group)
{
}

const struct nvfio_iommu_ops nvfio_noiommu_ops = {
	.name = "vfio-noiommu",
	.owner = THIS_MODULE,
	.open = nvfio_noiommu_open,
	.release = nvfio_noiommu_release,
	.ioctl = nvfio_noiommu_ioctl,
	.attach_group = nvfio_noiommu_attach_group,
	.detach_group = nvfio_noiommu_detach_group,
};

/*
 * A made-up IOMMU group holding @dev alone, for a device that has none.
 * Return: the group with one reference for the caller (the device holds
 * another until nvfio_noiommu_remove_device()), or an ERR_PTR.
 */
struct iommu_group *nvfio_noiommu_iommu_group(struct device *dev)
{
	struct iommu_group *group;
	int ret;

	group = iommu_group_alloc();
	if (IS_ERR(group))
		return group;
	ret = iommu_group_set_name(group, "vfio-noiommu");
	if (!ret)
		ret = iommu_group_add_device(group, dev);
	if (ret) {
		iommu_group_put(group);
		return ERR_PTR(ret);
	}
	return group;
}

/* Take @dev out of its made-up group again (drops the device's reference). */
void nvfio_noiommu_remove_device(struct device *dev)
{
	iommu_group_remove_device(dev);
}

int nvfio_noiommu_init(void)
{
	return nvfio_register_iommu_driver(&nvfio_noiommu_ops);
}

void nvfio_noiommu_exit(void)
{
	nvfio_unregister_iommu_driver(&nvfio_noiommu_ops);
}
