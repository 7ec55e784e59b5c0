// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - the nvfio type1 IOMMU backend: module parameters, registration
 * with the core, container open/release and ioctl dispatch.
 *
 * Locking: see type1.h.  open/release run under the core's container lock
 * held for write, so no ioctl of the same container runs concurrently.
 */
#include <linux/module.h>
#include <linux/slab.h>

#include "nvfio.h"
#include "type1.h"

bool type1_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, type1_allow_unsafe_interrupts, bool,
		   0644);
MODULE_PARM_DESC(
	allow_unsafe_interrupts,
	"Attach groups whose MSIs are not isolated (no interrupt remapping). Unsafe: a device could forge interrupts. Default: false");

bool type1_disable_hugepages;
module_param_named(disable_hugepages, type1_disable_hugepages, bool, 0644);
MODULE_PARM_DESC(
	disable_hugepages,
	"Map every page separately instead of physically contiguous runs. Debugging only. Default: false");

unsigned int type1_dma_entry_limit __read_mostly = U16_MAX;
module_param_named(dma_entry_limit, type1_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Most DMA mappings one container may hold. Default: 65535");

static void *type1_open(unsigned long arg)
{
	struct type1_container *c;

	if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU &&
	    arg != VFIO_TYPE1_NESTING_IOMMU)
		return ERR_PTR(-EINVAL);

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);

	/* Nesting is v2 with a nesting-capable domain (see domain.c). */
	c->nesting = arg == VFIO_TYPE1_NESTING_IOMMU;
	c->v2 = arg == VFIO_TYPE1v2_IOMMU || c->nesting;
	init_rwsem(&c->topo_lock);
	INIT_LIST_HEAD(&c->domains);
	INIT_LIST_HEAD(&c->iova_ranges);
	/* Without a domain nothing is known: offer the CPU page size. */
	c->pgsize_bitmap = PAGE_MASK;
	mutex_init(&c->dma_lock);
	c->dmas = RB_ROOT;
	c->dma_limit = READ_ONCE(type1_dma_entry_limit);
	c->dma_avail = c->dma_limit;
	init_waitqueue_head(&c->dma_wq);
	return c;
}

static void type1_release(void *data)
{
	struct type1_container *c = data;

	down_write(&c->topo_lock);
	/* Mappings first: unmapping needs the domains to find the pages. */
	type1_remove_all(c);
	type1_release_domains(c);
	type1_iova_free(&c->iova_ranges);
	up_write(&c->topo_lock);

	mutex_destroy(&c->dma_lock);
	kfree(c);
}

static long type1_check_extension(struct type1_container *c, unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_TYPE1_NESTING_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_UPDATE_VADDR:
		/* Like mainline: only a container with this backend says so. */
		return c ? 1 : 0;
	case VFIO_DMA_CC_IOMMU:
		return c ? type1_enforces_cc(c) : 0;
	default:
		return 0;
	}
}

static long type1_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct type1_container *c = data;
	void __user *uarg = (void __user *)arg;

	if (cmd == VFIO_CHECK_EXTENSION)
		return type1_check_extension(c, arg);
	if (!c)
		return -ENOTTY;

	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return type1_ioctl_get_info(c, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return type1_ioctl_map(c, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return type1_ioctl_unmap(c, uarg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return type1_ioctl_dirty_pages(c, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct nvfio_iommu_ops type1_ops = {
	.name = "nvfio-iommu-type1",
	.owner = THIS_MODULE,
	.open = type1_open,
	.release = type1_release,
	.ioctl = type1_ioctl,
	.attach_group = type1_attach_group,
	.detach_group = type1_detach_group,
	.show_mappings = type1_show_mappings,
	.get_stats = type1_get_stats,
};

static int __init type1_init(void)
{
	int ret;

	type1_prefault_init();
	ret = nvfio_register_iommu_driver(&type1_ops);
	if (ret) {
		type1_prefault_exit();
		return ret;
	}
	type1_profile_init();
	return 0;
}

static void __exit type1_exit(void)
{
	type1_profile_exit();
	nvfio_unregister_iommu_driver(&type1_ops);
	type1_prefault_exit();
}

module_init(type1_init);
module_exit(type1_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(NVFIO_MODULE_VERSION);
MODULE_DESCRIPTION("nvfio: type1 IOMMU backend (vfio_iommu_type1)");
