// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirty.c - dirty page tracking: VFIO_IOMMU_DIRTY_PAGES (START, STOP,
 * GET_BITMAP) and the bitmap of VFIO_IOMMU_UNMAP_DMA with
 * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP.
 *
 * Every group we serve is IOMMU-backed: its device may write anywhere it
 * is mapped, and neither the IOMMU nor the device tells us where it did.
 * So while tracking is on, every page of a mapping that is pinned and
 * mapped counts as dirty, on every report, as in mainline for such groups.
 * There is thus nothing to record per page: tracking is one flag, and a
 * report is generated from the mapping tree.  This spares mainline's
 * per-mapping bitmap allocation at START (and for every MAP while
 * tracking), which can fail for large mappings.
 *
 * Bitmap layout (user ABI): bit i of the u64 array stands for the page at
 * base + i * pgsize, where base is the IOVA of the request.  A mapping's
 * bits are written as whole u64 words: its first word keeps the bits the
 * caller had there (ORed in) when the mapping does not start at bit 0 of
 * it, every word up to its last is overwritten, and bits past its end in
 * its last word are cleared; words of the bitmap outside every mapping are
 * not written.  This matches mainline's observable results, with one
 * deliberate difference: mainline shifts a mapping's bits in its stored
 * bitmap and keeps them there, so once a mapping has been reported at a
 * bit offset other than 0, its later reports (until tracking restarts)
 * carry stray bits past its end.  We report the same mapping the same way
 * every time.
 *
 * Locking: the flag is under dma_lock.  Reports are written to userspace
 * with dma_lock dropped, one mapping at a time (its bounds and state are
 * copied while locked).  Mappings busy when a report starts are waited
 * for; ones that become busy during it are skipped, like ones that appear
 * or vanish in between (a newcomer may straddle the end of the range, which
 * the check at the start excluded only for mappings present then).
 */
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio.h"
#include "type1.h"

#define TYPE1_DIRTY_WORDS (PAGE_SIZE / sizeof(u64))

/* Bytes of bitmap @npages need: whole u64 words. */
static u64 type1_bitmap_bytes(u64 npages)
{
	return DIV_ROUND_UP_ULL(npages, BITS_PER_TYPE(u64)) * sizeof(u64);
}

/* A mapping's pages must fit one bitmap: at most INT_MAX of them. */
bool type1_dirty_size_ok(size_t size, size_t pgsize)
{
	return size / pgsize <= TYPE1_DIRTY_PAGES_MAX;
}

int type1_dirty_check_bitmap(u64 size, const struct vfio_bitmap *bitmap)
{
	u64 npages;

	if (!bitmap->pgsize)
		return -EINVAL;
	if (!access_ok(bitmap->data, bitmap->size))
		return -EINVAL;
	npages = size >> __ffs64(bitmap->pgsize);
	if (!npages || !bitmap->size ||
	    bitmap->size > type1_bitmap_bytes(TYPE1_DIRTY_PAGES_MAX) ||
	    bitmap->size < type1_bitmap_bytes(npages))
		return -EINVAL;
	return 0;
}

void *type1_dirty_buf_alloc(void)
{
	return kmalloc(PAGE_SIZE, GFP_KERNEL);
}

/*
 * Write the bits of the mapping [@iova, @iova + @size) into @bitmap, whose
 * bit 0 is @base, set if @dirty, using @buf (a page) as bounce buffer.
 */
int type1_dirty_report(u64 __user *bitmap, dma_addr_t base,
		       unsigned int pgshift, dma_addr_t iova, size_t size,
		       bool dirty, u64 *buf)
{
	u64 first = (iova - base) >> pgshift;
	unsigned int shift = first % BITS_PER_TYPE(u64);
	u64 end = shift + (size >> pgshift); /* bit past the last, from dst */
	u64 nwords = DIV_ROUND_UP_ULL(end, BITS_PER_TYPE(u64));
	u64 __user *dst = bitmap + first / BITS_PER_TYPE(u64);
	u64 done = 0;

	while (done < nwords) {
		unsigned int n = min_t(u64, nwords - done, TYPE1_DIRTY_WORDS);
		unsigned int i;

		for (i = 0; i < n; i++) {
			u64 lo = (done + i) * BITS_PER_TYPE(u64);
			u64 s = max_t(u64, lo, shift);
			u64 e = min_t(u64, lo + BITS_PER_TYPE(u64), end);

			buf[i] = dirty && s < e ?
					 GENMASK_ULL(e - lo - 1, s - lo) :
					 0;
		}
		if (!done && shift) {
			u64 old;

			if (get_user(old, dst))
				return -EFAULT;
			buf[0] |= old;
		}
		if (copy_to_user(dst + done, buf, n * sizeof(u64)))
			return -EFAULT;
		done += n;
		cond_resched();
	}
	return 0;
}

/* v2 reports and unmaps whole mappings: @iova and @last must not cut one. */
bool type1_range_bisects(struct type1_container *c, dma_addr_t iova,
			 dma_addr_t last)
{
	struct type1_dma *dma;

	dma = type1_dma_first(c, iova, iova);
	if (dma && dma->iova != iova)
		return true;
	dma = type1_dma_first(c, last, last);
	return dma && type1_dma_last(dma) != last;
}

static int type1_dirty_start(struct type1_container *c)
{
	size_t pgsize = type1_min_pgsize(c);
	struct rb_node *n;
	int ret = 0;

	lockdep_assert_held_read(&c->topo_lock);
	mutex_lock(&c->dma_lock);
	if (!c->dirty_tracking) {
		for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
			struct type1_dma *dma =
				rb_entry(n, struct type1_dma, node);

			if (!type1_dirty_size_ok(dma->size, pgsize)) {
				ret = -EINVAL;
				break;
			}
		}
		if (!ret)
			c->dirty_tracking = true;
	}
	mutex_unlock(&c->dma_lock);
	return ret;
}

static int type1_dirty_get(struct type1_container *c,
			   struct vfio_iommu_type1_dirty_bitmap_get *range)
{
	size_t pgsize = type1_min_pgsize(c);
	unsigned int pgshift = __ffs(pgsize);
	u64 __user *bitmap = range->bitmap.data;
	dma_addr_t iova = range->iova, cursor = iova, last;
	struct type1_dma *dma;
	u64 *buf;
	int ret = 0;

	if (range->bitmap.pgsize != pgsize || range->iova & (pgsize - 1) ||
	    !range->size || range->size & (pgsize - 1) || range->iova != iova ||
	    range->size != (size_t)range->size)
		return -EINVAL;
	last = iova + range->size - 1;

	lockdep_assert_held_read(&c->topo_lock);
	buf = type1_dirty_buf_alloc();
	if (!buf)
		return -ENOMEM;

	mutex_lock(&c->dma_lock);
	if (!c->dirty_tracking || type1_range_bisects(c, iova, last)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	while (type1_dma_range_busy(c, iova, last))
		type1_dma_wait_settled(c);

	for (;;) {
		dma_addr_t d_iova;
		size_t d_size;
		bool dirty;

		/*
		 * dma_lock was dropped since the bisect check: a mapping that
		 * appeared meanwhile may reach past @last, and its bits past
		 * the user's bitmap.  Skip it like any other newcomer.
		 */
		dma = type1_dma_first(c, cursor, last);
		while (dma && dma->iova <= last &&
		       (dma->state != DMA_LIVE || dma->iova < iova ||
			type1_dma_last(dma) > last))
			dma = type1_dma_next(dma);
		if (!dma || dma->iova > last)
			break;
		d_iova = dma->iova;
		d_size = dma->size;
		dirty = dma->mapped;
		mutex_unlock(&c->dma_lock);

		ret = type1_dirty_report(bitmap, iova, pgshift, d_iova, d_size,
					 dirty, buf);
		mutex_lock(&c->dma_lock);
		if (ret || d_iova + d_size - 1 >= last)
			break;
		cursor = d_iova + d_size;
	}
out_unlock:
	mutex_unlock(&c->dma_lock);
	kfree(buf);
	return ret;
}

long type1_ioctl_dirty_pages(struct type1_container *c, void __user *arg)
{
	struct vfio_iommu_type1_dirty_bitmap dirty;
	struct vfio_iommu_type1_dirty_bitmap_get range;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	u32 allowed = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
		      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
		      VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	long ret;

	if (!c->v2)
		return -EACCES;
	if (copy_from_user(&dirty, arg, minsz))
		return -EFAULT;
	if (nvfio_check_argsz_flags(dirty.argsz, dirty.flags, minsz, allowed))
		return -EINVAL;
	/* Exactly one operation per call. */
	if (hweight32(dirty.flags) != 1)
		return -EINVAL;

	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		down_read(&c->topo_lock);
		mutex_lock(&c->dma_lock);
		c->dirty_tracking = false;
		mutex_unlock(&c->dma_lock);
		up_read(&c->topo_lock);
		return 0;
	}

	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		down_read(&c->topo_lock);
		ret = type1_dirty_start(c);
		up_read(&c->topo_lock);
		return ret;
	}

	/* GET_BITMAP: the range follows the header. */
	if (dirty.argsz - minsz < sizeof(range))
		return -EINVAL;
	if (copy_from_user(&range, arg + minsz, sizeof(range)))
		return -EFAULT;
	if (range.iova + range.size < range.iova)
		return -EINVAL;
	ret = type1_dirty_check_bitmap(range.size, &range.bitmap);
	if (ret)
		return ret;

	down_read(&c->topo_lock);
	ret = type1_dirty_get(c, &range);
	up_read(&c->topo_lock);
	return ret;
}
