// SPDX-License-Identifier: GPL-2.0-only
/*
 * show.c - what the core's debugfs files show of a type1 container
 * (kernel/core/debugfs.c): its mappings and its stats.
 *
 * Locking (type1.h): called with the core's container lock held for read,
 * like an ioctl.  topo_lock is taken for read (no attach or detach rewrites
 * mappings meanwhile) and dma_lock for the walk.  A mapping's iova, size
 * and prot are fixed before it enters the tree; its pinned/locked counts,
 * owner and vaddr state are stable under dma_lock only while it is
 * DMA_LIVE, so busy mappings are listed (flag "busy") but not counted.
 * The walk holds dma_lock throughout: it is what a reader costs the
 * container (seq_file may run it again with a larger buffer).
 */
#include <linux/pid.h>
#include <linux/seq_file.h>

#include "nvfio.h"
#include "type1.h"

void type1_show_mappings(void *data, struct seq_file *m)
{
	struct type1_container *c = data;
	struct type1_dma *dma;
	unsigned int flags;

	down_read(&c->topo_lock);
	mutex_lock(&c->dma_lock);
	for (dma = type1_dma_first(c, 0, ~(dma_addr_t)0); dma;
	     dma = type1_dma_next(dma)) {
		flags = 0;
		if (dma->prot & IOMMU_READ)
			flags |= NVFIO_MAPPING_READ;
		if (dma->prot & IOMMU_WRITE)
			flags |= NVFIO_MAPPING_WRITE;
		if (dma->state != DMA_LIVE)
			flags |= NVFIO_MAPPING_BUSY;
		if (dma->vaddr_invalid)
			flags |= NVFIO_MAPPING_NOVADDR;
		nvfio_show_mapping(m, dma->iova, dma->size, flags);
	}
	mutex_unlock(&c->dma_lock);
	up_read(&c->topo_lock);
}

void type1_get_stats(void *data, struct nvfio_iommu_stats *st)
{
	struct type1_container *c = data;
	struct type1_dma *dma;

	down_read(&c->topo_lock);
	mutex_lock(&c->dma_lock);
	st->dirty_tracking = c->dirty_tracking;
	for (dma = type1_dma_first(c, 0, ~(dma_addr_t)0); dma;
	     dma = type1_dma_next(dma)) {
		st->mappings++;
		if (dma->state != DMA_LIVE) {
			st->busy++;
			continue;
		}
		st->pinned_pages += dma->pinned_pages;
		st->locked_pages += dma->locked_pages;
		nvfio_stats_charge(st, dma->owner, dma->locked_pages);
	}
	mutex_unlock(&c->dma_lock);
	up_read(&c->topo_lock);
}
