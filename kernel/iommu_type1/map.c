// SPDX-License-Identifier: GPL-2.0-only
/*
 * map.c - VFIO_IOMMU_MAP_DMA: validate, reserve the IOVA range in the
 * tree, pin the user's pages and write them into every domain, one
 * iommu_map() per physically contiguous run so that the IOMMU driver can
 * use superpages.  VFIO_DMA_MAP_FLAG_VADDR gives an invalidated mapping its
 * new user address.
 *
 * Locking (see type1.h): the ioctl holds topo_lock for read throughout, so
 * the domain list is stable; dma_lock is taken only to check and insert
 * the new mapping and to publish the result.  Pinning and IOMMU writes run
 * unlocked on a mapping in state DMA_MAPPING, which only this thread
 * touches.
 */
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio.h"
#include "nvfio_compat.h"
#include "type1.h"
#include "nvfio_type1_trace.h"

void type1_dma_free(struct type1_dma *dma)
{
	WARN_ON_ONCE(dma->runs);
	mmdrop(dma->mm);
	put_pid(dma->owner);
	kfree(dma);
}

/*
 * Append a run to @dma's record (merging with the last one if adjacent and
 * of the same kind: pinned pages or PFNMAP pfns).
 */
static int type1_record_run(struct type1_dma *dma, unsigned long pfn,
			    unsigned long npages, bool pfnmap)
{
	struct type1_run_chunk *ch = dma->runs_tail;
	unsigned long left;
	unsigned int cap;

	if (ch && ch->nr) {
		struct type1_run *r = &ch->run[ch->nr - 1];

		if (r->pfn + r->npages == pfn && r->pfnmap == pfnmap) {
			r->npages += npages;
			dma->run_pages += npages;
			if (!pfnmap)
				dma->pinned_pages += npages;
			return 0;
		}
	}
	if (!ch) {
		/* The first chunk is the mapping's own. */
		ch = &dma->inline_chunk;
		ch->next = NULL;
		ch->nr = 0;
		ch->cap = TYPE1_INLINE_RUNS;
		ch->run = dma->inline_run;
		dma->runs = ch;
		dma->runs_tail = ch;
	} else if (ch->nr == ch->cap) {
		/* Room for as many runs as the rest of the mapping can need. */
		left = (dma->size >> PAGE_SHIFT) - dma->run_pages;
		cap = min_t(unsigned long, left, TYPE1_RUNS_PER_CHUNK);
		ch = kmalloc(sizeof(*ch) + cap * sizeof(struct type1_run),
			     GFP_KERNEL_ACCOUNT);
		if (!ch)
			return -ENOMEM;
		ch->next = NULL;
		ch->nr = 0;
		ch->cap = cap;
		ch->run = (struct type1_run *)(ch + 1);
		dma->runs_tail->next = ch;
		dma->runs_tail = ch;
	}
	ch->run[ch->nr].pfn = pfn;
	ch->run[ch->nr].pfnmap = pfnmap;
	ch->run[ch->nr].npages = npages;
	ch->nr++;
	dma->run_pages += npages;
	if (!pfnmap)
		dma->pinned_pages += npages;
	return 0;
}

/* Map one run into every domain and record it, or do neither. */
static int type1_map_run(struct type1_container *c, struct type1_dma *dma,
			 dma_addr_t iova, unsigned long pfn,
			 unsigned long npages, bool pfnmap)
{
	size_t len = npages << PAGE_SHIFT;
	struct type1_domain *d;
	u64 t0;
	int ret;

	list_for_each_entry(d, &c->domains, link) {
		t0 = type1_prof_start();
		ret = nvfio_iommu_map(d->domain, iova, PFN_PHYS(pfn), len,
				      dma->prot | IOMMU_CACHE);
		type1_prof_stop(TYPE1_PROF_MAP, t0);
		if (ret)
			goto unwind;
	}
	ret = type1_record_run(dma, pfn, npages, pfnmap);
	if (!ret)
		return 0;
	d = list_last_entry(&c->domains, struct type1_domain, link);
	iommu_unmap(d->domain, iova, len);
unwind:
	list_for_each_entry_continue_reverse(d, &c->domains, link)
		iommu_unmap(d->domain, iova, len);
	return ret;
}

/*
 * Pin all of @dma and map it into every domain of @c (at least one).  The
 * caller holds an mm_users reference on dma->mm and owns @dma.  On failure
 * nothing stays pinned, charged or mapped.  PFNMAP pfns (pin.c) form runs
 * of their own, never merged with pinned pages, so that teardown knows
 * which runs to unpin.
 */
int type1_pin_map(struct type1_container *c, struct type1_dma *dma)
{
	unsigned long run_pfn = 0, run_n = 0, pfn;
	bool run_pfnmap = false;
	struct type1_pages p;
	size_t done = 0; /* bytes mapped in every domain */
	long ret = 0;
	u64 t0;

	type1_prefault(dma);
	type1_pages_init(&p, dma->size >> PAGE_SHIFT);
	for (;;) {
		if (p.pos == p.nr) {
			/* Pages consumed so far: mapped, plus the open run. */
			size_t off = done + (run_n << PAGE_SHIFT);

			if (off == dma->size)
				break;
			cond_resched();
			t0 = type1_prof_start();
			ret = type1_pin(dma, dma->vaddr + off,
					(dma->size - off) >> PAGE_SHIFT, &p);
			type1_prof_stop(TYPE1_PROF_PIN, t0);
			if (ret < 0)
				goto fail;
		}

		pfn = type1_pages_pfn(&p);
		if (run_n &&
		    (pfn != run_pfn + run_n || p.pfnmap != run_pfnmap ||
		     type1_disable_hugepages)) {
			ret = type1_map_run(c, dma, dma->iova + done, run_pfn,
					    run_n, run_pfnmap);
			if (ret)
				goto fail;
			done += run_n << PAGE_SHIFT;
			run_n = 0;
		}
		if (!run_n) {
			run_pfn = pfn;
			run_pfnmap = p.pfnmap;
		}
		run_n++;
		p.pos++;
	}

	if (run_n) {
		ret = type1_map_run(c, dma, dma->iova + done, run_pfn, run_n,
				    run_pfnmap);
		if (ret)
			goto fail;
	}
	type1_pages_fini(&p, dma);
	dma->mapped = true;
	return 0;

fail:
	/* Pinned but not mapped: the open run and the rest of the batch. */
	if (run_n && !run_pfnmap)
		type1_unaccount(dma, type1_unpin_range(dma, run_pfn, run_n));
	type1_pages_fini(&p, dma);
	type1_unmap_unpin(c, dma); /* the runs mapped so far */
	WARN_ON_ONCE(dma->locked_pages);
	return ret;
}

/*
 * VFIO_DMA_MAP_FLAG_VADDR: the user remapped its memory (e.g. across an
 * exec in live update) and tells us where the mapping's pages now live.
 * The pages themselves stay pinned; only the owner may change, in which
 * case the locked_vm charge moves to the new mm.
 */
static int type1_update_vaddr(struct type1_container *c, dma_addr_t iova,
			      size_t size, unsigned long vaddr)
{
	struct mm_struct *mm = current->mm;
	struct type1_dma *dma;
	int ret = 0;

	mutex_lock(&c->dma_lock);
	for (;;) {
		dma = type1_dma_first(c, iova, iova + size - 1);
		if (!dma || dma->state == DMA_LIVE)
			break;
		type1_dma_wait_settled(c);
	}

	if (!dma) {
		ret = -ENOENT;
	} else if (!dma->vaddr_invalid || dma->iova != iova ||
		   dma->size != size) {
		ret = -EINVAL;
	} else if (mm && mm != dma->mm) {
		/* Lock order: dma_lock, then mmap_lock (type1.h). */
		ret = type1_account(mm, dma->locked_pages);
		if (!ret) {
			unsigned long n = dma->locked_pages;

			type1_unaccount(dma, n);
			dma->locked_pages = n;
			mmdrop(dma->mm);
			mmgrab(mm);
			dma->mm = mm;
			put_pid(dma->owner);
			dma->owner = get_pid(task_tgid(current));
		}
	}
	if (!ret && dma) {
		dma->vaddr = vaddr;
		dma->vaddr_invalid = false;
		c->vaddr_invalid_count--;
	}
	mutex_unlock(&c->dma_lock);
	return ret;
}

static int type1_do_map(struct type1_container *c,
			struct vfio_iommu_type1_dma_map *map)
{
	dma_addr_t iova = map->iova;
	unsigned long vaddr = map->vaddr;
	size_t size = map->size;
	size_t pgsize = type1_min_pgsize(c);
	struct type1_dma *dma;
	int refused = 0; /* a refusal that gets a line (docs/refusals.md) */
	int prot = 0;
	int ret;

	/* The __u64 fields must fit the kernel's types. */
	if (map->iova != iova || map->vaddr != vaddr || map->size != size)
		return -EINVAL;

	/* READ/WRITE are from the device's point of view. */
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	/* VADDR updates an existing mapping and takes no permission. */
	if (!!prot == !!(map->flags & VFIO_DMA_MAP_FLAG_VADDR))
		return -EINVAL;

	if (!size || (size | iova | vaddr) & (pgsize - 1))
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EINVAL;

	if (map->flags & VFIO_DMA_MAP_FLAG_VADDR)
		return type1_update_vaddr(c, iova, size, vaddr);

	if (!current->mm)
		return -ENODEV;

	dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);
	if (!dma)
		return -ENOMEM;
	dma->iova = iova;
	dma->size = size;
	dma->vaddr = vaddr;
	dma->prot = prot;
	dma->mm = current->mm;
	dma->owner = get_pid(task_tgid(current));
	/* Without a domain there is nothing to pin into yet (replay will). */
	dma->state = list_empty(&c->domains) ? DMA_LIVE : DMA_MAPPING;

	mutex_lock(&c->dma_lock);
	if (type1_dma_first(c, iova, iova + size - 1))
		ret = -EEXIST;
	else if (!c->dma_avail)
		ret = refused = -ENOSPC;
	else if (!type1_iova_valid(c, iova, iova + size - 1))
		ret = refused = -EINVAL;
	else if (c->dirty_tracking && !type1_dirty_size_ok(size, pgsize))
		ret = -EINVAL; /* too large for a dirty bitmap */
	else
		ret = 0;
	if (ret) {
		mutex_unlock(&c->dma_lock);
		put_pid(dma->owner);
		kfree(dma);
		/* Say why (under topo_lock, which the walk needs). */
		if (refused == -ENOSPC)
			type1_refuse_entry_limit(c->dma_limit);
		else if (refused == -EINVAL)
			type1_refuse_iova(c, iova, iova + size - 1);
		return ret;
	}
	mmgrab(dma->mm);
	c->dma_avail--;
	type1_dma_insert(c, dma);
	mutex_unlock(&c->dma_lock);

	if (dma->state == DMA_LIVE) {
		trace_dma_map(iova, size, 0);
		return 0;
	}

	ret = type1_pin_map(c, dma);
	if (!ret)
		trace_dma_map(iova, size, dma->pinned_pages);

	mutex_lock(&c->dma_lock);
	if (ret) {
		type1_dma_erase(c, dma);
		c->dma_avail++;
	} else {
		dma->state = DMA_LIVE;
	}
	type1_dma_settled(c);
	mutex_unlock(&c->dma_lock);

	if (ret)
		type1_dma_free(dma);
	return ret;
}

long type1_ioctl_map(struct type1_container *c, void __user *arg)
{
	struct vfio_iommu_type1_dma_map map;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	u32 allowed = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
		      VFIO_DMA_MAP_FLAG_VADDR;
	int ret;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	ret = nvfio_check_argsz_flags(map.argsz, map.flags, minsz, allowed);
	if (ret)
		return ret;

	down_read(&c->topo_lock);
	ret = type1_do_map(c, &map);
	up_read(&c->topo_lock);
	return ret;
}
