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
 * A range the pins cannot take because it is a VM_PFNMAP mapping (device
 * memory mmap'ed by a driver, e.g. a vfio-pci BAR that QEMU maps for
 * peer-to-peer DMA) is followed pfn by pfn instead, faulting them in as
 * needed, as mainline does: such pfns have no page to pin (or a reserved
 * one), so they are neither pinned nor charged, and one batch holds only
 * physically contiguous ones.  A pfn backed by an ordinary page is refused
 * (-EFAULT): nothing would keep that page from being freed.  So is a
 * writable mapping of a read-only pte.  Nothing holds device memory in
 * place either; the user is trusted not to unmap it under the device, as in
 * mainline.
 *
 * The charge lives in type1_dma.locked_pages and goes back to the same mm
 * when the pages are unpinned, even after the process has exited: the
 * mapping holds an mmgrab() reference, and the refund is skipped once the
 * address space is gone (mm_users reached zero), as locked_vm is then moot.
 *
 * Locking: the caller owns the mapping (it is busy, or topo_lock is held
 * for write), which covers locked_pages.  Charging takes the mm's mmap_lock
 * for write; pinning another mm's pages keeps it, downgraded to read;
 * following PFNMAP pfns takes it for read (a fault may drop and retake
 * it); refunds take it for write (account_locked_vm()).  It is not held on
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
	p->pfnmap = false;
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

int type1_account(struct mm_struct *mm, unsigned long npages)
{
	int ret;

	if (!npages)
		return 0;
	/* Checks current's RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK. */
	ret = account_locked_vm(mm, npages, true);
	if (ret == -ENOMEM)
		type1_refuse_memlock(mm, npages);
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

/* Whether @pfn is memory the kernel does not manage: nothing to pin. */
static bool type1_pfn_unmanaged(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

/*
 * The pfn behind @addr of the VM_PFNMAP @vma, faulted in if the pte is not
 * there yet.  mmap_lock is held for read; -EAGAIN if the fault dropped it
 * (it is held again, but @vma may be gone).
 */
static int type1_fault_pfn(struct vm_area_struct *vma, unsigned long addr,
			   bool write, unsigned long *pfn)
{
	unsigned int flags = FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0);
	bool unlocked = false, writable;
	int ret;

	ret = nvfio_follow_pfn(vma, addr, pfn, &writable);
	if (ret) {
		ret = fixup_user_fault(vma->vm_mm, addr, flags, &unlocked);
		if (unlocked)
			return -EAGAIN;
		if (ret)
			return ret;
		ret = nvfio_follow_pfn(vma, addr, pfn, &writable);
		if (ret)
			return ret;
	}
	/* A device-writable mapping needs a writable pte. */
	if (write && !writable)
		return -EFAULT;
	return 0;
}

/*
 * Follow up to @npages pages of dma->mm from @vaddr that are mapped
 * VM_PFNMAP, as long as their pfns are contiguous, into @p (empty).
 * Return: the number of pfns (at least 1) or a negative errno; -EFAULT if
 * @vaddr is not in a VM_PFNMAP vma.  Nothing is pinned or charged.
 */
static long type1_follow_pfnmap(struct type1_dma *dma, unsigned long vaddr,
				unsigned long npages, struct type1_pages *p)
{
	struct mm_struct *mm = dma->mm;
	struct vm_area_struct *vma = NULL;
	unsigned long addr, pfn, n = 0;
	long ret = 0;

	/* Bound the mmap_lock hold; the caller merges contiguous batches. */
	npages = min(npages, TYPE1_PIN_BATCH);
	if (type1_disable_hugepages)
		npages = 1;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	addr = nvfio_untagged_addr_remote(mm, vaddr);
	while (n < npages) {
		if (!vma || addr >= vma->vm_end) {
			vma = vma_lookup(mm, addr);
			if (!vma || !(vma->vm_flags & VM_PFNMAP)) {
				ret = -EFAULT;
				break;
			}
		}
		ret = type1_fault_pfn(vma, addr, dma->prot & IOMMU_WRITE, &pfn);
		if (ret == -EAGAIN) {
			/* mmap_lock was dropped: look the vma up again. */
			vma = NULL;
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			continue;
		}
		if (ret)
			break;
		if (!type1_pfn_unmanaged(pfn)) {
			ret = -EFAULT;
			break;
		}
		if (n && pfn != p->pfnmap_pfn + n)
			break;
		if (!n)
			p->pfnmap_pfn = pfn;
		n++;
		addr += PAGE_SIZE;
	}
	mmap_read_unlock(mm);
	if (!n)
		return ret ? ret : -EFAULT;
	p->pfnmap = true;
	p->nr = n;
	p->pos = 0;
	return n;
}

/*
 * Pin up to @npages pages of dma->mm from @vaddr into @p, which must be
 * empty, and charge them; if @vaddr is in a VM_PFNMAP vma, follow its
 * pfns into @p instead (type1_follow_pfnmap()).  Return: the number pinned
 * or followed (at least 1) or a negative errno, in which case nothing
 * stays pinned or charged.
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
	p->pfnmap = false;
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
		/* GUP refuses VM_PFNMAP vmas with -EFAULT. */
		if (ret == 0 || ret == -EFAULT)
			return type1_follow_pfnmap(dma, vaddr, npages, p);
		return ret;
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
				type1_refuse_memlock(mm, counted);
			unpin_user_pages(p->pages, ret);
			return err;
		}
	}
	dma->locked_pages += counted;
	p->nr = ret;
	p->pos = 0;
	return ret;
}

/* Unpin and refund the pages of @p not yet consumed (PFNMAP: drop them). */
void type1_pages_release(struct type1_pages *p, struct type1_dma *dma)
{
	unsigned long counted = 0;
	unsigned int i;

	if (p->pos == p->nr)
		return;
	if (p->pfnmap) {
		/* Neither pinned nor charged. */
		p->pos = 0;
		p->nr = 0;
		return;
	}
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
