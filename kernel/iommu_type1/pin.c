// SPDX-License-Identifier: GPL-2.0-only
/*
 * pin.c - pinning the user's pages and charging them to RLIMIT_MEMLOCK.
 *
 * Pages are pinned FOLL_LONGTERM (migrated out of movable zones first) in
 * batches of up to TYPE1_PIN_BATCH pages (the pointer array is sized to
 * the mapping, so small maps allocate little; large ones take whole folios
 * of THP or hugetlb memory in few calls).  Each batch is charged
 * to the mapping's mm->locked_vm at once, so that a map over the limit
 * fails early with -ENOMEM.  Pages with PG_reserved set are pinned like the
 * others but, as in mainline, not charged.
 *
 * The charge lives in type1_dma.locked_pages and goes back to the same mm
 * when the pages are unpinned, even after the process has exited: the
 * mapping holds an mmgrab() reference, and the refund is skipped once the
 * address space is gone (mm_users reached zero), as locked_vm is then moot.
 *
 * Locking: the caller owns the mapping (it is busy, or topo_lock is held
 * for write), which covers locked_pages.  Charging takes the mm's mmap_lock
 * for write; pinning another mm's pages keeps it, downgraded to read;
 * refunds take it for write (account_locked_vm()).  It is not held on
 * return.  Whoever pins holds an mm_users reference on dma->mm.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "nvfio_compat.h"
#include "type1.h"

/* Most pages one pin call takes: 8 MiB of 4 KiB pages, 16 KiB of pointers. */
#define TYPE1_PIN_BATCH 2048UL

void type1_pages_init(struct type1_pages *p, unsigned long npages)
{
	unsigned long cap = min(npages, TYPE1_PIN_BATCH);

	p->nr = 0;
	p->pos = 0;
	p->pages = NULL;
	if (type1_disable_hugepages)
		cap = 1;
	if (cap > TYPE1_PAGES_ONSTACK)
		p->pages = kvmalloc_array(cap, sizeof(*p->pages), GFP_KERNEL);
	if (p->pages) {
		p->cap = cap;
	} else {
		p->pages = p->small;
		p->cap = min_t(unsigned long, cap, TYPE1_PAGES_ONSTACK);
	}
}

void type1_pages_fini(struct type1_pages *p, struct type1_dma *dma)
{
	type1_pages_release(p, dma);
	if (p->pages != p->small)
		kvfree(p->pages);
}

bool type1_page_counts(struct page *page)
{
	return !PageReserved(page);
}

static void type1_warn_memlock(void)
{
	pr_warn_ratelimited(
		"nvfio_iommu_type1: %s[%d]: RLIMIT_MEMLOCK (%lu bytes) exceeded\n",
		current->comm, task_pid_nr(current), rlimit(RLIMIT_MEMLOCK));
}

int type1_account(struct mm_struct *mm, unsigned long npages)
{
	int ret;

	if (!npages)
		return 0;
	/* Checks current's RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK. */
	ret = account_locked_vm(mm, npages, true);
	if (ret == -ENOMEM)
		type1_warn_memlock();
	return ret;
}

void type1_unaccount(struct type1_dma *dma, unsigned long npages)
{
	if (!npages)
		return;
	if (WARN_ON_ONCE(npages > dma->locked_pages))
		npages = dma->locked_pages;
	dma->locked_pages -= npages;
	if (dma->mm == current->mm) {
		/* The caller's own address space is alive. */
		account_locked_vm(dma->mm, npages, false);
	} else if (mmget_not_zero(dma->mm)) {
		account_locked_vm(dma->mm, npages, false);
		mmput(dma->mm);
	}
}

/*
 * Pin up to @npages pages of dma->mm from @vaddr into @p, which must be
 * empty, and charge them.  Return: the number pinned (at least 1) or a
 * negative errno, in which case nothing stays pinned or charged.
 *
 * The charge is taken first, for every page asked for, in the one
 * mmap_lock hold of the batch: pages of the caller's own mm are then
 * pinned with pin_user_pages_fast() (lockless page table walk; it takes
 * mmap_lock itself only for pages it must fault in or migrate), those of
 * another mm (replay at attach) under the same hold downgraded to read.
 * What was charged but not pinned, or pinned but not counted (reserved
 * pages), is refunded afterwards, which is rare.  If the up-front charge does
 * not fit the limit, the pages are pinned first and charged exactly, as a batch
 * with reserved pages may still fit.
 */
long type1_pin(struct type1_dma *dma, unsigned long vaddr, unsigned long npages,
	       struct type1_pages *p)
{
	struct mm_struct *mm = dma->mm;
	unsigned int flags = FOLL_LONGTERM;
	unsigned long counted = 0, charged = 0;
	bool bypass = capable(CAP_IPC_LOCK);
	int locked = 1;
	long ret, i;
	int err;

	if (WARN_ON_ONCE(p->pos != p->nr))
		return -EINVAL;
	if (dma->prot & IOMMU_WRITE)
		flags |= FOLL_WRITE;
	npages = min_t(unsigned long, npages, p->cap);

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	if (!__account_locked_vm(mm, npages, true, current, bypass))
		charged = npages;
	if (mm == current->mm) {
		/* Our own pages: lockless walk, slow path only if needed */
		mmap_write_unlock(mm);
		ret = pin_user_pages_fast(vaddr, npages, flags, p->pages);
	} else {
		mmap_write_downgrade(mm);
		ret = nvfio_pin_user_pages_remote(mm, vaddr, npages, flags,
						  p->pages, &locked);
		if (locked)
			mmap_read_unlock(mm);
	}
	if (ret <= 0) {
		if (charged)
			account_locked_vm(mm, charged, false);
		return ret ? ret : -EFAULT;
	}

	for (i = 0; i < ret; i++)
		if (type1_page_counts(p->pages[i]))
			counted++;
	if (charged > counted) {
		account_locked_vm(mm, charged - counted, false);
	} else if (charged < counted) {
		/* Only when nothing was charged up front. */
		err = account_locked_vm(mm, counted, true);
		if (err) {
			if (err == -ENOMEM)
				type1_warn_memlock();
			unpin_user_pages(p->pages, ret);
			return err;
		}
	}
	dma->locked_pages += counted;
	p->nr = ret;
	p->pos = 0;
	return ret;
}

/* Unpin and refund the pages of @p not yet consumed. */
void type1_pages_release(struct type1_pages *p, struct type1_dma *dma)
{
	unsigned long counted = 0;
	unsigned int i;

	if (p->pos == p->nr)
		return;
	for (i = p->pos; i < p->nr; i++)
		if (type1_page_counts(p->pages[i]))
			counted++;
	unpin_user_pages_dirty_lock(p->pages + p->pos, p->nr - p->pos,
				    dma->prot & IOMMU_WRITE);
	type1_unaccount(dma, counted);
	p->pos = 0;
	p->nr = 0;
}

/*
 * Unpin @npages physically contiguous pages from @pfn, marking them dirty
 * if the device could write them.  Return: how many were charged; the
 * caller refunds them (in bulk) with type1_unaccount().
 */
unsigned long type1_unpin_range(struct type1_dma *dma, unsigned long pfn,
				unsigned long npages)
{
	unsigned long i, counted = 0;

	for (i = 0; i < npages; i++)
		if (type1_page_counts(pfn_to_page(pfn + i)))
			counted++;
	unpin_user_page_range_dirty_lock(pfn_to_page(pfn), npages,
					 dma->prot & IOMMU_WRITE);
	return counted;
}
