// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - vfio.ko (nvfio's core): module setup.
 *
 * The core registers /dev/vfio/vfio (container.c) and the chardev region
 * and class for /dev/vfio/<group> (group.c).  The module carries mainline's
 * name, aliases and softdep, so `modprobe vfio-pci` (or opening
 * /dev/vfio/vfio) brings up the whole stack, type1 included.  It cannot
 * coexist with mainline's vfio.ko: the module loader refuses a second
 * module named vfio, and should mainline's be built in, the taken misc
 * minor makes us fail with a message saying so.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "core.h"

struct nvfio_groups nvfio_groups = {
	.lock = __MUTEX_INITIALIZER(nvfio_groups.lock),
	.list = LIST_HEAD_INIT(nvfio_groups.list),
	.minors = IDA_INIT(nvfio_groups.minors),
};

static int __init nvfio_init(void)
{
	int ret;

	nvfio_debugfs_init();
	ret = nvfio_container_init();
	if (ret)
		goto err_debugfs;
	ret = nvfio_group_init();
	if (ret) {
		nvfio_container_exit();
		goto err_debugfs;
	}
	pr_info("nvfio: VFIO core %s loaded (API version %d)\n",
		NVFIO_MODULE_VERSION, VFIO_API_VERSION);
	return 0;

err_debugfs:
	nvfio_debugfs_exit();
	return ret;
}

static void __exit nvfio_exit(void)
{
	nvfio_group_exit();
	nvfio_container_exit();
	nvfio_debugfs_exit();
}

module_init(nvfio_init);
module_exit(nvfio_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(NVFIO_MODULE_VERSION);
MODULE_DESCRIPTION("nvfio: VFIO core (containers, groups, devices)");
/* Opening /dev/vfio/vfio loads us; type1 follows us, as on mainline. */
MODULE_ALIAS_MISCDEV(VFIO_MINOR);
MODULE_ALIAS("devname:vfio/vfio");
MODULE_SOFTDEP("post: vfio_iommu_type1 vfio_iommu_spapr_tce");
