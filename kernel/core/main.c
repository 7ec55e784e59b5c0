// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - nvfio.ko: module setup of the core.
 *
 * The core registers /dev/vfio/vfio (container.c) and the chardev region
 * and class for /dev/vfio/<group> (group.c).  It cannot coexist with
 * mainline's vfio.ko, which owns the same device nodes: loading us while
 * it is loaded fails with a message saying so.
 */
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

	ret = nvfio_container_init();
	if (ret)
		return ret;
	ret = nvfio_group_init();
	if (ret) {
		nvfio_container_exit();
		return ret;
	}
	pr_info("nvfio: VFIO core loaded (API version %d)\n", VFIO_API_VERSION);
	return 0;
}

static void __exit nvfio_exit(void)
{
	nvfio_group_exit();
	nvfio_container_exit();
}

module_init(nvfio_init);
module_exit(nvfio_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nvfio: VFIO core (containers, groups, devices)");
