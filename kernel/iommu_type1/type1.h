/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * type1.h - private structures of the nvfio type1 IOMMU backend.
 *
 * One struct type1_container per container that chose VFIO_TYPE1_IOMMU or
 * VFIO_TYPE1v2_IOMMU.  It owns:
 *
 *   domains      IOMMU domains; every domain holds the same translations
 *   groups       each attached IOMMU group sits in exactly one domain and
 *                remembers its reserved regions
 *   iova_ranges  the IOVA windows userspace may map: the intersection of
 *                the domains' apertures minus every group's reserved
 *                regions, recomputed whenever the topology changes
 *   dma tree     the user's mappings (struct type1_dma), keyed by IOVA
 *
 * Locking (outermost first):
 *
 *   topo_lock (rw_semaphore)
 *	write: attach_group, detach_group, release.
 *	read:  every ioctl, from after its argument checks to its end
 *	       (lockdep_assert_held in the code that needs it).
 *	Protects: domains, each domain's groups, iova_ranges, pgsize_bitmap,
 *	and the IOMMU page tables' membership (which domains a mapping must
 *	be written to).  Readers may therefore walk the domain list and
 *	iommu_map()/iommu_unmap() without further locking.  The core already
 *	serializes the same way with its container lock; we do not rely on
 *	it.
 *
 *   dma_lock (mutex)
 *	Protects: the dma tree, dma_avail, vaddr_invalid_count, dma_gen,
 *	dirty_tracking and
 *	every type1_dma's state, vaddr, vaddr_invalid, and (while the
 *	mapping is DMA_LIVE) its mm, owner, locked_pages and pinned_pages
 *	(show.c reads them for debugfs).  Held only for tree
 *	lookups and state changes, never across pinning, IOMMU writes or
 *	user copies, so that threads mapping disjoint ranges run in
 *	parallel.  Two exceptions take mmap_lock inside it:
 *	VFIO_DMA_MAP_FLAG_VADDR moving a locked_vm charge to a new mm, and
 *	an UNMAP whose only victim is small (unmap.c), which tears it down
 *	(IOMMU unmap, unpin, refund) and erases it within one hold rather
 *	than making it busy.
 *
 *   mmap_lock of a mapping's mm (pin.c: pinning, locked_vm accounting)
 *	Innermost; nothing here takes another lock under it.
 *
 * A mapping being created is inserted in state DMA_MAPPING before the
 * lock is dropped to pin and map, which reserves its IOVA range: any
 * overlapping MAP fails with -EEXIST as it would after completion.  An
 * unmap flips its victims to DMA_UNMAPPING, drops the lock to tear them
 * down and erases them afterwards.  Whoever must look at a busy mapping
 * (an UNMAP whose range touches one) waits on dma_wq for dma_gen to move.
 * Under topo_lock held for write no mapping is busy: busy states live only
 * inside ioctls, which hold topo_lock for read.
 *
 * Fields of a type1_dma that are not covered by dma_lock (iova, size,
 * prot, mapped, locked_pages, runs) are written only by the one thread that
 * owns the mapping while it is busy, under topo_lock held for write, or
 * (the small UNMAP above) under dma_lock by the thread erasing it.
 */
#ifndef NVFIO_TYPE1_H
#define NVFIO_TYPE1_H

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/wait.h>

/* Module parameters (main.c) */
extern bool type1_allow_unsafe_interrupts;
extern bool type1_disable_hugepages;
extern unsigned int type1_dma_entry_limit;

struct type1_container {
	bool v2; /* VFIO_TYPE1v2_IOMMU semantics */
	bool nesting; /* VFIO_TYPE1_NESTING_IOMMU (v2 too) */

	struct rw_semaphore topo_lock;
	struct list_head domains; /* type1_domain.link; topo_lock */
	struct list_head iova_ranges; /* type1_iova_range; topo_lock */
	u64 pgsize_bitmap; /* AND of domains; topo_lock */

	struct mutex dma_lock;
	struct rb_root dmas; /* type1_dma.node; dma_lock */
	unsigned int dma_avail; /* entries left; dma_lock */
	unsigned int dma_limit; /* dma_entry_limit at open; never changes */
	unsigned int vaddr_invalid_count; /* dma_lock */
	unsigned long dma_gen; /* bumped when a busy dma settles */
	bool dirty_tracking; /* VFIO_IOMMU_DIRTY_PAGES started; dma_lock */
	wait_queue_head_t dma_wq; /* waiters for dma_gen */
};

struct type1_domain {
	struct iommu_domain *domain;
	struct list_head link; /* in container->domains */
	struct list_head groups; /* type1_group.link */
	bool enforce_cc; /* blocks no-snoop DMA */
};

struct type1_group {
	struct iommu_group *group;
	struct list_head link; /* in type1_domain.groups */
	struct list_head resv; /* iommu_resv_region.list */
};

/* One window of usable IOVA, inclusive bounds. */
struct type1_iova_range {
	struct list_head link; /* sorted, disjoint */
	dma_addr_t start;
	dma_addr_t last;
};

enum type1_dma_state {
	DMA_LIVE, /* idle, complete */
	DMA_MAPPING, /* being pinned and mapped */
	DMA_UNMAPPING, /* being unmapped and unpinned */
};

/*
 * What a mapping pinned and mapped, in IOVA order from dma->iova: runs of
 * physically contiguous pages, each written into every domain with one
 * iommu_map().  Teardown unmaps each chunk's IOVA span from every domain
 * with one IOTLB sync and unpins its runs, without asking the IOMMU page
 * tables where the pages were.  A run is either pinned pages or pfns of a
 * VM_PFNMAP mapping (device memory), never both.  The first chunk lives
 * inside the mapping
 * (TYPE1_INLINE_RUNS runs), so a small mapping allocates nothing for its
 * record; further chunks are sized to what the mapping can still need.
 */
struct type1_run {
	unsigned long pfn : BITS_PER_LONG - 1; /* pfns stay far below */
	/* Followed in a VM_PFNMAP vma: not pinned, not charged (pin.c). */
	unsigned long pfnmap : 1;
	unsigned long npages;
};

struct type1_run_chunk {
	struct type1_run_chunk *next;
	unsigned int nr; /* runs used */
	unsigned int cap; /* room in run[] */
	struct type1_run *run; /* follows the header, or type1_dma.inline_run */
};

#define TYPE1_INLINE_RUNS 8
#define TYPE1_RUNS_PER_CHUNK                                                   \
	((PAGE_SIZE - sizeof(struct type1_run_chunk)) /                        \
	 sizeof(struct type1_run))

struct type1_dma {
	struct rb_node node; /* in container->dmas */
	struct list_head unmap_link; /* victims of one UNMAP */
	dma_addr_t iova;
	size_t size;
	unsigned long vaddr; /* in @mm */
	int prot; /* IOMMU_READ | IOMMU_WRITE */
	enum type1_dma_state state;
	bool vaddr_invalid; /* VFIO_DMA_UNMAP_FLAG_VADDR */
	bool mapped; /* pinned and in every domain */
	struct mm_struct *mm; /* mmgrab'ed: pins and locked_vm */
	struct pid *owner; /* the process @mm's charge is shown under */
	unsigned long locked_pages; /* charged to mm->locked_vm */
	unsigned long pinned_pages; /* pinned pages in @runs (not PFNMAP) */
	struct type1_run_chunk *runs, *runs_tail; /* what is mapped */
	unsigned long run_pages; /* pages in runs */
	struct type1_run_chunk inline_chunk; /* first of runs, never freed */
	struct type1_run inline_run[TYPE1_INLINE_RUNS];
};

static inline dma_addr_t type1_dma_last(const struct type1_dma *dma)
{
	return dma->iova + dma->size - 1;
}

static inline size_t type1_min_pgsize(struct type1_container *c)
{
	lockdep_assert_held(&c->topo_lock);
	return (size_t)1 << __ffs(c->pgsize_bitmap);
}

/* dma_tree.c: the mapping tree; callers hold dma_lock */
struct type1_dma *type1_dma_first(struct type1_container *c, dma_addr_t start,
				  dma_addr_t last);
struct type1_dma *type1_dma_next(struct type1_dma *dma);
void type1_dma_insert(struct type1_container *c, struct type1_dma *new);
void type1_dma_erase(struct type1_container *c, struct type1_dma *dma);
bool type1_dma_range_busy(struct type1_container *c, dma_addr_t start,
			  dma_addr_t last);
void type1_dma_wait_settled(struct type1_container *c);
void type1_dma_settled(struct type1_container *c);

/*
 * pin.c: user pages and locked_vm.  A batch is either pinned pages
 * (@pages) or, when the range is a VM_PFNMAP mapping, @nr physically
 * contiguous pfns from @pfnmap_pfn that are neither pinned nor charged.
 */
#define TYPE1_PAGES_ONSTACK 16
struct type1_pages {
	struct page **pages; /* pinned, not yet handed on */
	/* Storage for small maps, and the fallback if allocation fails. */
	struct page *small[TYPE1_PAGES_ONSTACK];
	unsigned int cap; /* room in @pages */
	unsigned int nr; /* pinned pages (or PFNMAP pfns) held */
	unsigned int pos; /* first page not yet consumed */
	bool pfnmap; /* the batch is PFNMAP pfns, @pages unused */
	unsigned long pfnmap_pfn; /* first pfn of a PFNMAP batch */
};

/* The pfn of the next page of @p not yet consumed. */
static inline unsigned long type1_pages_pfn(const struct type1_pages *p)
{
	if (p->pfnmap)
		return p->pfnmap_pfn + p->pos;
	return page_to_pfn(p->pages[p->pos]);
}

void type1_pages_init(struct type1_pages *p, unsigned long npages);
void type1_pages_fini(struct type1_pages *p, struct type1_dma *dma);
long type1_pin(struct type1_dma *dma, unsigned long vaddr, unsigned long npages,
	       struct type1_pages *p);
void type1_pages_release(struct type1_pages *p, struct type1_dma *dma);
unsigned long type1_unpin_range(struct type1_dma *dma, unsigned long pfn,
				unsigned long npages);
int type1_account(struct mm_struct *mm, unsigned long npages);
void type1_unaccount(struct type1_dma *dma, unsigned long npages);
bool type1_page_counts(struct page *page);

/* map.c: pin and map, VFIO_IOMMU_MAP_DMA */
int type1_pin_map(struct type1_container *c, struct type1_dma *dma);
void type1_dma_free(struct type1_dma *dma);
long type1_ioctl_map(struct type1_container *c, void __user *arg);

/* unmap.c: unmap and unpin, VFIO_IOMMU_UNMAP_DMA */
unsigned long type1_unmap_unpin(struct type1_container *c,
				struct type1_dma *dma);
void type1_remove_all(struct type1_container *c);
long type1_ioctl_unmap(struct type1_container *c, void __user *arg);

/* iova.c: usable IOVA windows */
int type1_iova_build(struct type1_container *c, struct iommu_domain *extra,
		     struct list_head *extra_resv, struct list_head *out);
void type1_iova_free(struct list_head *ranges);
bool type1_iova_valid(struct type1_container *c, dma_addr_t start,
		      dma_addr_t last);
bool type1_iova_covers_dmas(struct type1_container *c,
			    struct list_head *ranges);

/* refusal.c: the lines that explain a refusal (docs/refusals.md) */
void type1_refuse_memlock(struct mm_struct *mm, unsigned long npages);
void type1_refuse_unsafe_msi(int id);
void type1_refuse_entry_limit(unsigned int limit);
void type1_refuse_iova(struct type1_container *c, dma_addr_t start,
		       dma_addr_t last);

/* domain.c: groups and domains */
int type1_attach_group(void *data, struct iommu_group *group);
void type1_detach_group(void *data, struct iommu_group *group);
void type1_release_domains(struct type1_container *c);
bool type1_enforces_cc(struct type1_container *c);

/* show.c: the core's debugfs files (nvfio_iommu_ops) */
struct seq_file;
struct nvfio_iommu_stats;
void type1_show_mappings(void *data, struct seq_file *m);
void type1_get_stats(void *data, struct nvfio_iommu_stats *st);

/* info.c: VFIO_IOMMU_GET_INFO */
long type1_ioctl_get_info(struct type1_container *c, void __user *arg);

/* dirty.c: dirty page tracking */
#define TYPE1_DIRTY_PAGES_MAX ((u64)INT_MAX) /* pages per bitmap */
bool type1_dirty_size_ok(size_t size, size_t pgsize);
int type1_dirty_check_bitmap(u64 size, const struct vfio_bitmap *bitmap);
void *type1_dirty_buf_alloc(void);
int type1_dirty_report(u64 __user *bitmap, dma_addr_t base,
		       unsigned int pgshift, dma_addr_t iova, size_t size,
		       bool dirty, u64 *buf);
bool type1_range_bisects(struct type1_container *c, dma_addr_t iova,
			 dma_addr_t last);
long type1_ioctl_dirty_pages(struct type1_container *c, void __user *arg);

/* prefault.c: a large mapping's memory faulted in on several CPUs */
void type1_prefault(struct type1_dma *dma);
void type1_prefault_init(void);
void type1_prefault_exit(void);

/* profile.c: the bench's view of where map's time goes (test builds). */
enum type1_prof {
	TYPE1_PROF_PIN,
	TYPE1_PROF_MAP,
	TYPE1_PROF_PREFAULT,
	TYPE1_PROF_NR
};
#ifdef NVFIO_TYPE1_PROFILE
#include <linux/jump_label.h>
#include <linux/timekeeping.h>
DECLARE_STATIC_KEY_FALSE(type1_profile_on);
void type1_prof_end(enum type1_prof what, u64 t0);
void type1_profile_init(void);
void type1_profile_exit(void);
/* A start time when profiling, else 0 (and type1_prof_stop() is a no-op). */
static inline u64 type1_prof_start(void)
{
	return static_branch_unlikely(&type1_profile_on) ? ktime_get_ns() : 0;
}

static inline void type1_prof_stop(enum type1_prof what, u64 t0)
{
	if (t0)
		type1_prof_end(what, t0);
}
#else
static inline u64 type1_prof_start(void)
{
	return 0;
}

static inline void type1_prof_stop(enum type1_prof what, u64 t0)
{
}

static inline void type1_profile_init(void)
{
}

static inline void type1_profile_exit(void)
{
}
#endif

#endif /* NVFIO_TYPE1_H */
