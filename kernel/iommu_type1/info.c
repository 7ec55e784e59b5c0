// SPDX-License-Identifier: GPL-2.0-only
/*
 * info.c - VFIO_IOMMU_GET_INFO and its capability chain.
 *
 * The chain carries, in mainline's order: MIGRATION (dirty bitmap
 * granularity and limit), DMA_AVAIL (mappings left under dma_entry_limit)
 * and IOVA_RANGE (the usable windows, omitted while there are none).
 *
 * Locking: the chain is built under topo_lock for read (iova_ranges,
 * pgsize_bitmap) and dma_lock (dma_avail); it is copied out unlocked.
 */
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio.h"
#include "type1.h"

/* Largest dirty bitmap one request may ask for: INT_MAX pages, in u64s. */
#define TYPE1_DIRTY_BITMAP_MAX_BYTES                                           \
	(ALIGN(TYPE1_DIRTY_PAGES_MAX, BITS_PER_TYPE(u64)) / BITS_PER_BYTE)

static int type1_cap_migration(struct type1_container *c,
			       struct nvfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_info_cap_header *hdr;

	hdr = nvfio_info_cap_add(caps, sizeof(*mig),
				 VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	mig = container_of(hdr, struct vfio_iommu_type1_info_cap_migration,
			   header);
	mig->flags = 0;
	mig->pgsize_bitmap = type1_min_pgsize(c);
	mig->max_dirty_bitmap_size = TYPE1_DIRTY_BITMAP_MAX_BYTES;
	return 0;
}

static int type1_cap_dma_avail(struct type1_container *c,
			       struct nvfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_info_cap_header *hdr;

	hdr = nvfio_info_cap_add(caps, sizeof(*avail),
				 VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	avail = container_of(hdr, struct vfio_iommu_type1_info_dma_avail,
			     header);
	mutex_lock(&c->dma_lock);
	avail->avail = c->dma_avail;
	mutex_unlock(&c->dma_lock);
	return 0;
}

static int type1_cap_iova_range(struct type1_container *c,
				struct nvfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *hdr;
	struct type1_iova_range *r;
	u32 nr = 0, i = 0;

	list_for_each_entry(r, &c->iova_ranges, link)
		nr++;
	if (!nr)
		return 0;

	hdr = nvfio_info_cap_add(caps, struct_size(cap, iova_ranges, nr),
				 VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	cap = container_of(hdr, struct vfio_iommu_type1_info_cap_iova_range,
			   header);
	cap->nr_iovas = nr;
	list_for_each_entry(r, &c->iova_ranges, link) {
		cap->iova_ranges[i].start = r->start;
		cap->iova_ranges[i].end = r->last;
		i++;
	}
	return 0;
}

long type1_ioctl_get_info(struct type1_container *c, void __user *arg)
{
	struct vfio_iommu_type1_info info = {};
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct nvfio_info_cap caps = {};
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	/* Like mainline, flags is output only and not checked. */
	if (info.argsz < minsz)
		return -EINVAL;

	down_read(&c->topo_lock);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = c->pgsize_bitmap;
	ret = type1_cap_migration(c, &caps);
	if (!ret)
		ret = type1_cap_dma_avail(c, &caps);
	if (!ret)
		ret = type1_cap_iova_range(c, &caps);
	up_read(&c->topo_lock);
	if (ret)
		return ret; /* a failed nvfio_info_cap_add freed the chain */

	return nvfio_info_cap_copy(
		&caps, &info, sizeof(info),
		offsetof(struct vfio_iommu_type1_info, cap_offset),
		VFIO_IOMMU_INFO_CAPS, arg);
}
