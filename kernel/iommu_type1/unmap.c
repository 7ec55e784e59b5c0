// SPDX-License-Identifier: GPL-2.0-only
/*
 * unmap.c - VFIO_IOMMU_UNMAP_DMA and tearing mappings down.
 *
 * We keep no list of the pages behind a mapping: the first domain's page
 * tables are the record.  Teardown removes the range from the other
 * domains, then walks the first one, finds physically contiguous runs with
 * iommu_iova_to_phys(), unmaps them with deferred IOTLB invalidation and
 * unpins a batch of runs only after the IOTLB sync that makes them
 * unreachable.
 *
 * v1 and v2 differ as in mainline: v2 refuses (-EINVAL) a range that
 * bisects a mapping; v1 removes every mapping that starts inside the range,
 * whole, and stops at one that starts before it.
 *
 * Locking (see type1.h): the ioctl holds topo_lock for read.  Under
 * dma_lock the victims are chosen and set DMA_UNMAPPING; they are torn down
 * unlocked and erased under dma_lock again.  A range touching a busy
 * mapping waits for it to settle first.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio.h"
#include "type1.h"

#define TYPE1_UNPIN_RUNS 32

struct type1_unpin_batch {
	struct iommu_iotlb_gather gather;
	unsigned int n;
	struct {
		unsigned long pfn;
		unsigned long npages;
	} run[TYPE1_UNPIN_RUNS];
	unsigned long counted; /* charged pages unpinned so far */
};

static void type1_unpin_flush(struct iommu_domain *domain,
			      struct type1_dma *dma,
			      struct type1_unpin_batch *b)
{
	unsigned int i;

	/* The device can no longer reach the pages once this returns. */
	iommu_iotlb_sync(domain, &b->gather);
	for (i = 0; i < b->n; i++)
		b->counted +=
			type1_unpin_range(dma, b->run[i].pfn, b->run[i].npages);
	b->n = 0;
}

/*
 * Unmap the first @len bytes of @dma from every domain, unpin the pages
 * behind them and refund their charge.  Caller owns @dma and holds
 * topo_lock.
 */
void type1_unmap_unpin(struct type1_container *c, struct type1_dma *dma,
		       size_t len)
{
	struct type1_domain *first, *d;
	struct iommu_domain *dom;
	struct type1_unpin_batch *b;
	dma_addr_t iova = dma->iova, end = dma->iova + len;

	if (!len || list_empty(&c->domains))
		return;

	first = list_first_entry(&c->domains, struct type1_domain, link);
	dom = first->domain;
	d = first;
	list_for_each_entry_continue(d, &c->domains, link)
	{
		iommu_unmap(d->domain, iova, len);
		cond_resched();
	}

	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (b) {
		b->n = 0;
		b->counted = 0;
		iommu_iotlb_gather_init(&b->gather);
	}

	while (iova < end) {
		phys_addr_t phys = iommu_iova_to_phys(dom, iova);
		size_t n, unmapped;

		if (WARN_ON_ONCE(!phys)) {
			iova += PAGE_SIZE;
			continue;
		}
		for (n = PAGE_SIZE; iova + n < end; n += PAGE_SIZE)
			if (iommu_iova_to_phys(dom, iova + n) != phys + n)
				break;

		if (!b) {
			/* No memory for batching: unmap synchronously. */
			unmapped = iommu_unmap(dom, iova, n);
			if (WARN_ON_ONCE(!unmapped))
				break;
			type1_unaccount(
				dma, type1_unpin_range(dma, PHYS_PFN(phys),
						       unmapped >> PAGE_SHIFT));
		} else {
			unmapped = iommu_unmap_fast(dom, iova, n, &b->gather);
			if (WARN_ON_ONCE(!unmapped))
				break;
			b->run[b->n].pfn = PHYS_PFN(phys);
			b->run[b->n].npages = unmapped >> PAGE_SHIFT;
			if (++b->n == TYPE1_UNPIN_RUNS)
				type1_unpin_flush(dom, dma, b);
		}
		iova += unmapped;
		cond_resched();
	}

	if (b) {
		type1_unpin_flush(dom, dma, b);
		type1_unaccount(dma, b->counted);
		kfree(b);
	}
	dma->mapped = false;
}

/* Tear down and free a mapping already taken out of the tree. */
static void type1_dma_destroy(struct type1_container *c, struct type1_dma *dma)
{
	type1_unmap_unpin(c, dma, dma->mapped ? dma->size : 0);
	WARN_ON_ONCE(dma->locked_pages);
	type1_dma_free(dma);
}

/* Take @dma out of the tree; dma_lock held. */
static void type1_dma_unlink(struct type1_container *c, struct type1_dma *dma)
{
	type1_dma_erase(c, dma);
	c->dma_avail++;
	if (dma->vaddr_invalid)
		c->vaddr_invalid_count--;
}

/*
 * Remove every mapping.  Called with topo_lock held for write (last group
 * leaving, or release), so no mapping is busy.
 */
void type1_remove_all(struct type1_container *c)
{
	struct type1_dma *dma;
	struct rb_node *n;

	for (;;) {
		mutex_lock(&c->dma_lock);
		n = rb_first(&c->dmas);
		if (!n) {
			mutex_unlock(&c->dma_lock);
			return;
		}
		dma = rb_entry(n, struct type1_dma, node);
		WARN_ON_ONCE(dma->state != DMA_LIVE);
		type1_dma_unlink(c, dma);
		mutex_unlock(&c->dma_lock);

		type1_dma_destroy(c, dma);
		cond_resched();
	}
}

/*
 * VFIO_DMA_UNMAP_FLAG_VADDR: forget the user addresses of the mappings in
 * [@iova, @last], keeping them pinned and mapped.  All or nothing: if one
 * is already invalid, the ones marked so far are restored.
 */
static int type1_invalidate_vaddr(struct type1_container *c,
				  struct type1_dma *from, dma_addr_t iova,
				  dma_addr_t last, u64 *unmapped)
{
	struct type1_dma *dma, *undo;

	for (dma = from; dma && dma->iova <= last; dma = type1_dma_next(dma)) {
		if (!c->v2 && iova > dma->iova)
			break;
		if (dma->vaddr_invalid) {
			for (undo = from; undo != dma;
			     undo = type1_dma_next(undo)) {
				undo->vaddr_invalid = false;
				c->vaddr_invalid_count--;
			}
			*unmapped = 0;
			return -EINVAL;
		}
		dma->vaddr_invalid = true;
		c->vaddr_invalid_count++;
		*unmapped += dma->size;
	}
	return 0;
}

static int type1_do_unmap(struct type1_container *c,
			  struct vfio_iommu_type1_dma_unmap *unmap)
{
	bool all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	size_t pgsize = type1_min_pgsize(c);
	dma_addr_t iova = unmap->iova, last;
	struct type1_dma *dma, *first, *tmp;
	LIST_HEAD(victims);
	u64 unmapped = 0;
	int ret = 0;

	if (unmap->iova != iova || iova & (pgsize - 1))
		return -EINVAL;
	if (all) {
		if (iova || unmap->size)
			return -EINVAL;
		last = ~(dma_addr_t)0;
	} else {
		if (!unmap->size || unmap->size & (pgsize - 1) ||
		    unmap->size != (size_t)unmap->size)
			return -EINVAL;
		last = iova + unmap->size - 1;
		if (last < iova)
			return -EINVAL;
	}

	mutex_lock(&c->dma_lock);
	while (type1_dma_range_busy(c, iova, last))
		type1_dma_wait_settled(c);

	/* v2 unmaps whole mappings only. */
	if (c->v2 && !all) {
		dma = type1_dma_first(c, iova, iova);
		if (dma && dma->iova != iova) {
			ret = -EINVAL;
			goto out_unlock;
		}
		dma = type1_dma_first(c, last, last);
		if (dma && type1_dma_last(dma) != last) {
			ret = -EINVAL;
			goto out_unlock;
		}
	}

	first = type1_dma_first(c, iova, last);
	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR) {
		ret = type1_invalidate_vaddr(c, first, iova, last, &unmapped);
		goto out_unlock;
	}

	for (dma = first; dma && dma->iova <= last; dma = type1_dma_next(dma)) {
		/* v1: a mapping starting before the range stops the walk. */
		if (!c->v2 && iova > dma->iova)
			break;
		dma->state = DMA_UNMAPPING;
		list_add_tail(&dma->unmap_link, &victims);
		unmapped += dma->size;
	}
	mutex_unlock(&c->dma_lock);

	if (list_empty(&victims))
		goto out;

	list_for_each_entry(dma, &victims, unmap_link)
		type1_unmap_unpin(c, dma, dma->mapped ? dma->size : 0);

	mutex_lock(&c->dma_lock);
	list_for_each_entry(dma, &victims, unmap_link)
		type1_dma_unlink(c, dma);
	type1_dma_settled(c);
	mutex_unlock(&c->dma_lock);

	list_for_each_entry_safe(dma, tmp, &victims, unmap_link) {
		WARN_ON_ONCE(dma->locked_pages);
		type1_dma_free(dma);
	}
	goto out;

out_unlock:
	mutex_unlock(&c->dma_lock);
out:
	unmap->size = unmapped;
	return ret;
}

long type1_ioctl_unmap(struct type1_container *c, void __user *arg)
{
	struct vfio_iommu_type1_dma_unmap unmap;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	u32 allowed = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
		      VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
	int ret;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	ret = nvfio_check_argsz_flags(unmap.argsz, unmap.flags, minsz, allowed);
	if (ret)
		return ret;

	/*
	 * Dirty tracking is not implemented (see info.c), so a request for
	 * the dirty bitmap fails as mainline's does while tracking is off.
	 */
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		return -EINVAL;

	down_read(&c->topo_lock);
	ret = type1_do_unmap(c, &unmap);
	up_read(&c->topo_lock);
	if (ret)
		return ret;

	return copy_to_user(arg, &unmap, minsz) ? -EFAULT : 0;
}
