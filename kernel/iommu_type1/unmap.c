// SPDX-License-Identifier: GPL-2.0-only
/*
 * unmap.c - VFIO_IOMMU_UNMAP_DMA and tearing mappings down.
 *
 * Each mapping records the physically contiguous runs it mapped (type1.h,
 * struct type1_run_chunk).  Teardown unmaps a chunk of runs from every
 * domain at once, IOVA span by IOVA span, with deferred IOTLB invalidation,
 * and unpins the chunk's pages (whole folios at a time) only after the
 * IOTLB sync that makes them unreachable; runs of PFNMAP pfns were never
 * pinned and are only unmapped.  Nothing asks the IOMMU page tables where
 * the pages were: probing them page by page is what made unmapping huge
 * pages no faster than 4 KiB ones.
 *
 * With VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP each victim's dirty pages are
 * reported (dirty.c) just before it is torn down.
 *
 * v1 and v2 differ as in mainline: v2 refuses (-EINVAL) a range that
 * bisects a mapping; v1 removes every mapping that starts inside the range,
 * whole, and stops at one that starts before it.
 *
 * Locking (see type1.h): the ioctl holds topo_lock for read.  Under
 * dma_lock the victims are chosen and set DMA_UNMAPPING; they are torn down
 * unlocked and erased under dma_lock again.  A range touching a busy
 * mapping waits for it to settle first.  A lone victim of at most
 * TYPE1_UNMAP_LOCKED_MAX bytes is instead torn down and erased within the
 * one dma_lock hold, as mainline does for every unmap: its teardown is
 * short, and a second lock round trip is a good part of its cost.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio.h"
#include "type1.h"
#include "nvfio_type1_trace.h"

/* Largest mapping an UNMAP tears down without dropping dma_lock. */
#define TYPE1_UNMAP_LOCKED_MAX (64UL << 10)

/* Remove [@iova, @iova + @len) from every domain, IOTLBs flushed. */
static void type1_unmap_span(struct type1_container *c, dma_addr_t iova,
			     size_t len)
{
	struct iommu_iotlb_gather gather;
	struct type1_domain *d;
	size_t unmapped;

	list_for_each_entry(d, &c->domains, link) {
		iommu_iotlb_gather_init(&gather);
		unmapped = iommu_unmap_fast(d->domain, iova, len, &gather);
		/* The device can no longer reach the pages once this returns.
		 */
		iommu_iotlb_sync(d->domain, &gather);
		WARN_ON_ONCE(unmapped != len);
	}
}

/*
 * Unmap from every domain what @dma recorded as mapped, unpin the pages
 * behind it and refund their charge: one chunk of runs at a time, each
 * chunk's IOVA span with one unmap call and one IOTLB sync per domain,
 * its pages unpinned only after that.  Caller owns @dma and holds
 * topo_lock.  Return: how many pages were unpinned (for nvfio:dma_unmap).
 */
unsigned long type1_unmap_unpin(struct type1_container *c,
				struct type1_dma *dma)
{
	unsigned long counted = 0, pinned = dma->pinned_pages;
	struct type1_run_chunk *ch, *next;
	dma_addr_t iova = dma->iova;
	unsigned int i;

	for (ch = dma->runs; ch; ch = next) {
		size_t span = 0;

		for (i = 0; i < ch->nr; i++)
			span += ch->run[i].npages << PAGE_SHIFT;
		type1_unmap_span(c, iova, span);
		for (i = 0; i < ch->nr; i++)
			if (!ch->run[i].pfnmap) /* PFNMAP: nothing pinned */
				counted += type1_unpin_range(
					dma, ch->run[i].pfn, ch->run[i].npages);
		iova += span;
		next = ch->next;
		if (ch != &dma->inline_chunk)
			kfree(ch);
		cond_resched();
	}
	dma->runs = NULL;
	dma->runs_tail = NULL;
	dma->run_pages = 0;
	dma->pinned_pages = 0;
	type1_unaccount(dma, counted);
	dma->mapped = false;
	return pinned;
}

/* Tear down and free a mapping already taken out of the tree. */
static void type1_dma_destroy(struct type1_container *c, struct type1_dma *dma)
{
	unsigned long pages = type1_unmap_unpin(c, dma);

	trace_dma_unmap(dma->iova, dma->size, pages);
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

/*
 * Tear down the victims of one UNMAP, reporting each one's dirty pages
 * first if @bitmap asks for them.  A report that fails stops the walk: the
 * victims not torn down become live again.  Return: 0 or -EFAULT; *unmapped
 * is what was removed.
 */
static int type1_unmap_victims(struct type1_container *c,
			       struct list_head *victims, dma_addr_t base,
			       const struct vfio_bitmap *bitmap, u64 *buf,
			       u64 *unmapped)
{
	unsigned int pgshift = __ffs(type1_min_pgsize(c));
	struct type1_dma *dma, *tmp;
	unsigned long pages;
	LIST_HEAD(done);
	int ret = 0;

	list_for_each_entry_safe(dma, tmp, victims, unmap_link) {
		if (bitmap) {
			ret = type1_dirty_report(bitmap->data, base, pgshift,
						 dma->iova, dma->size,
						 dma->mapped, buf);
			if (ret)
				break;
		}
		pages = type1_unmap_unpin(c, dma);
		trace_dma_unmap(dma->iova, dma->size, pages);
		list_move_tail(&dma->unmap_link, &done);
	}

	mutex_lock(&c->dma_lock);
	list_for_each_entry(dma, victims, unmap_link)
		dma->state = DMA_LIVE;
	list_for_each_entry(dma, &done, unmap_link) {
		type1_dma_unlink(c, dma);
		*unmapped += dma->size;
	}
	type1_dma_settled(c);
	mutex_unlock(&c->dma_lock);

	list_for_each_entry_safe(dma, tmp, &done, unmap_link) {
		WARN_ON_ONCE(dma->locked_pages);
		type1_dma_free(dma);
	}
	return ret;
}

static int type1_do_unmap(struct type1_container *c,
			  struct vfio_iommu_type1_dma_unmap *unmap,
			  const struct vfio_bitmap *bitmap)
{
	bool all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	size_t pgsize = type1_min_pgsize(c);
	dma_addr_t iova = unmap->iova, last;
	struct type1_dma *dma, *first, *next;
	unsigned long pages;
	LIST_HEAD(victims);
	u64 unmapped = 0;
	u64 *buf = NULL;
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
	/* Dirty bitmaps come in the smallest IOMMU page size only. */
	if (bitmap) {
		if (bitmap->pgsize != pgsize)
			return -EINVAL;
		buf = type1_dirty_buf_alloc();
		if (!buf)
			return -ENOMEM;
	}

	mutex_lock(&c->dma_lock);
	if (bitmap && !c->dirty_tracking) {
		ret = -EINVAL;
		goto out_unlock;
	}
	while (type1_dma_range_busy(c, iova, last))
		type1_dma_wait_settled(c);

	/* v2 unmaps whole mappings only. */
	if (c->v2 && !all && type1_range_bisects(c, iova, last)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	first = type1_dma_first(c, iova, last);
	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR) {
		ret = type1_invalidate_vaddr(c, first, iova, last, &unmapped);
		goto out_unlock;
	}

	/*
	 * The common case, one small mapping and no bitmap, is torn down
	 * under this one dma_lock hold: bounded work, and cheaper than
	 * making it busy and taking the lock again to erase it.
	 */
	next = first ? type1_dma_next(first) : NULL;
	if (first && !bitmap && first->size <= TYPE1_UNMAP_LOCKED_MAX &&
	    (c->v2 || first->iova >= iova) && (!next || next->iova > last)) {
		pages = type1_unmap_unpin(c, first);
		trace_dma_unmap(first->iova, first->size, pages);
		type1_dma_unlink(c, first);
		mutex_unlock(&c->dma_lock);
		unmapped = first->size;
		WARN_ON_ONCE(first->locked_pages);
		type1_dma_free(first);
		goto out;
	}

	for (dma = first; dma && dma->iova <= last; dma = type1_dma_next(dma)) {
		/* v1: a mapping starting before the range stops the walk. */
		if (!c->v2 && iova > dma->iova)
			break;
		dma->state = DMA_UNMAPPING;
		list_add_tail(&dma->unmap_link, &victims);
	}
	mutex_unlock(&c->dma_lock);

	if (!list_empty(&victims))
		ret = type1_unmap_victims(c, &victims, iova, bitmap, buf,
					  &unmapped);
	goto out;

out_unlock:
	mutex_unlock(&c->dma_lock);
out:
	kfree(buf);
	unmap->size = unmapped;
	return ret;
}

long type1_ioctl_unmap(struct type1_container *c, void __user *arg)
{
	struct vfio_iommu_type1_dma_unmap unmap;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	u32 allowed = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
		      VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
	struct vfio_bitmap bitmap;
	bool want_bitmap;
	int ret;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	ret = nvfio_check_argsz_flags(unmap.argsz, unmap.flags, minsz, allowed);
	if (ret)
		return ret;

	/* The dirty bitmap follows the header; only for plain unmaps. */
	want_bitmap = unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	if (want_bitmap) {
		if (unmap.flags &
		    (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR))
			return -EINVAL;
		if (unmap.argsz < minsz + sizeof(bitmap))
			return -EINVAL;
		if (copy_from_user(&bitmap, arg + minsz, sizeof(bitmap)))
			return -EFAULT;
		ret = type1_dirty_check_bitmap(unmap.size, &bitmap);
		if (ret)
			return ret;
	}

	down_read(&c->topo_lock);
	ret = type1_do_unmap(c, &unmap, want_bitmap ? &bitmap : NULL);
	up_read(&c->topo_lock);
	if (ret)
		return ret;

	return copy_to_user(arg, &unmap, minsz) ? -EFAULT : 0;
}
