// SPDX-License-Identifier: GPL-2.0-only
/*
 * prefault.c - faulting a large mapping's memory in on several CPUs before
 * it is pinned (ours only; mainline pins in the calling thread alone).
 *
 * Pinning memory that was never touched, such as a VM's RAM when QEMU maps
 * it at start, is mostly the page faults that allocate and zero it, on one
 * CPU: gigabytes take seconds.  So before pinning a mapping of at least
 * TYPE1_PREFAULT_MIN_PAGES whose memory is not there yet, the calling
 * thread and up to nvfio_prefault_workers kernel workers fault it in.
 * They take chunks of TYPE1_PREFAULT_CHUNK pages from a shared cursor and
 * fault each in with get_user_pages_remote(), dropping the page references
 * at once: nothing is pinned or charged here, and an error only ends the
 * prefault (the pin that follows meets it again and reports it).  That pin
 * then finds the pages present and takes them at page-table-walk speed.
 *
 * Only where the user cannot tell the difference but by the time taken:
 * - the mapping is writable and of the caller's own mm: a write fault
 *   allocates the very page the pin would;
 * - every vma of the range is there, writable, anonymous, shmem or
 *   hugetlb memory (whose faults do not wait on anyone: no files, no
 *   VM_IO or VM_PFNMAP), and not registered with userfaultfd (a worker
 *   must never wait for the user's fault handler);
 * - the pages would fit the caller's RLIMIT_MEMLOCK (else the pin fails
 *   early, and must not fault in gigabytes first);
 * - the caller has no NUMA memory policy of its own, and the workers run
 *   on its node: pages land where its own faults would have put them;
 * - the first, middle and last pages are not all present already (a
 *   range faulted in before, the common case of every later map, costs
 *   nothing).
 * The workers' CPU time is not charged to the caller's CPU cgroup; it is
 * bounded by the size of the mapping, spent while the caller waits, and
 * nvfio_prefault_workers=0 turns the workers off.
 *
 * Lifetime: the caller owns the job and frees it after flush_work() on
 * every worker, so that no worker runs this module's code once the caller
 * has returned (its open container keeps the module loaded until then),
 * and the caller's mm, which it is in a system call of, outlives them.
 * Killed while it waits, the caller sets @abort: the workers stop at their
 * next get_user_pages_remote() call, which the memory kinds above bound.
 * Locking: each such call holds the mm's mmap_lock for read (faults run in
 * parallel under it); nothing else is shared but atomics.
 */
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/hugetlb_inline.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>
#include <linux/workqueue.h>

#include "nvfio_compat.h"
#include "type1.h"

/* Below 64 MiB the workers would cost more than they save. */
#define TYPE1_PREFAULT_MIN_PAGES (SZ_64M >> PAGE_SHIFT)
/* Pages a worker takes from the cursor at a time: 8 MiB of 4 KiB pages. */
#define TYPE1_PREFAULT_CHUNK 2048UL
/* Pages one get_user_pages_remote() call takes: one 4 KiB pointer array. */
#define TYPE1_PREFAULT_CALL 512UL
#define TYPE1_PREFAULT_WORKERS_MAX 16U

unsigned int type1_prefault_workers = 3;
module_param_named(nvfio_prefault_workers, type1_prefault_workers, uint,
		   0644);
MODULE_PARM_DESC(
	nvfio_prefault_workers,
	"Kernel workers that help fault in a large mapping's untouched memory before it is pinned, besides the calling thread (at most the online CPUs less one, and 16). 0: off. Default: 3");

struct type1_prefault_slot {
	struct work_struct work;
	struct type1_prefault *job;
	struct page *pages[TYPE1_PREFAULT_CALL];
};

struct type1_prefault {
	struct mm_struct *mm; /* the caller's */
	unsigned long vaddr;
	unsigned long npages;
	unsigned long nchunks;
	atomic_long_t next; /* the next chunk to take */
	atomic_t running; /* workers not finished */
	struct completion done; /* running reached 0 */
	bool abort;
	struct type1_prefault_slot slot[]; /* [0]: the caller's */
};

/*
 * Fault in @n pages from @vaddr; false on an error or a fatal signal
 * (the caller only).  Worker or caller, each call holds mmap_lock for read.
 */
static bool type1_prefault_range(struct type1_prefault *job,
				 unsigned long vaddr, unsigned long n,
				 struct page **pages, bool caller)
{
	while (n) {
		unsigned long want = min(n, TYPE1_PREFAULT_CALL);
		int locked = 1;
		long got, i;

		if (caller) {
			if (mmap_read_lock_killable(job->mm))
				return false;
		} else {
			mmap_read_lock(job->mm);
		}
		got = nvfio_get_user_pages_remote(job->mm, vaddr, want,
						  FOLL_WRITE, pages, &locked);
		if (locked)
			mmap_read_unlock(job->mm);
		if (got <= 0)
			return false;
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		vaddr += got << PAGE_SHIFT;
		n -= got;
		if (caller && fatal_signal_pending(current))
			return false;
	}
	return true;
}

static void type1_prefault_run(struct type1_prefault *job,
			       struct page **pages, bool caller)
{
	for (;;) {
		unsigned long i = atomic_long_fetch_add(1, &job->next);
		unsigned long first = i * TYPE1_PREFAULT_CHUNK;

		if (i >= job->nchunks || READ_ONCE(job->abort))
			return;
		if (!type1_prefault_range(job, job->vaddr + (first << PAGE_SHIFT),
					  min(TYPE1_PREFAULT_CHUNK,
					      job->npages - first),
					  pages, caller)) {
			WRITE_ONCE(job->abort, true);
			return;
		}
		if (caller && fatal_signal_pending(current)) {
			WRITE_ONCE(job->abort, true);
			return;
		}
		cond_resched();
	}
}

static void type1_prefault_work(struct work_struct *work)
{
	struct type1_prefault_slot *s =
		container_of(work, struct type1_prefault_slot, work);
	struct type1_prefault *job = s->job;

	type1_prefault_run(job, s->pages, false);
	if (atomic_dec_and_test(&job->running))
		complete(&job->done);
}

/* Whether the page at @vaddr of current's mm is present and writable. */
static bool type1_page_present(unsigned long vaddr)
{
	struct page *page;

	if (!get_user_page_fast_only(vaddr, FOLL_WRITE, &page))
		return false;
	put_page(page);
	return true;
}

/* Memory whose faults wait on nobody: no file system, no device. */
static bool type1_prefault_vma_kind_ok(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) || is_vm_hugetlb_page(vma) ||
	       (vma->vm_file && shmem_mapping(vma->vm_file->f_mapping));
}

/* The conditions of the header on the range's vmas; mmap_lock held. */
static bool type1_prefault_vmas_ok(struct mm_struct *mm, unsigned long start,
				   unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr = start;

	mmap_assert_locked(mm);
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma || !(vma->vm_flags & VM_WRITE) ||
		    (vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    !type1_prefault_vma_kind_ok(vma) || userfaultfd_armed(vma))
			return false;
		addr = vma->vm_end;
	}
	return true;
}

/* How many workers for @dma's pages, 0 when not to prefault at all. */
static unsigned int type1_prefault_nworkers(struct type1_dma *dma,
					    unsigned long npages)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = dma->vaddr + dma->size;
	unsigned int n = min3(READ_ONCE(type1_prefault_workers),
			      num_online_cpus() - 1, TYPE1_PREFAULT_WORKERS_MAX);
	bool ok;

	if (!n || npages < TYPE1_PREFAULT_MIN_PAGES || dma->mm != mm ||
	    !(dma->prot & IOMMU_WRITE))
		return 0;
#ifdef CONFIG_NUMA
	if (current->mempolicy)
		return 0;
#endif
	if (!capable(CAP_IPC_LOCK) &&
	    READ_ONCE(mm->locked_vm) + npages >
		    (rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT))
		return 0;
	if (type1_page_present(dma->vaddr) &&
	    type1_page_present(dma->vaddr + ((npages / 2) << PAGE_SHIFT)) &&
	    type1_page_present(end - PAGE_SIZE))
		return 0;
	if (mmap_read_lock_killable(mm))
		return 0;
	ok = type1_prefault_vmas_ok(mm, dma->vaddr, end);
	mmap_read_unlock(mm);
	if (!ok)
		return 0;
	return min_t(unsigned long, n,
		     DIV_ROUND_UP(npages, TYPE1_PREFAULT_CHUNK) - 1);
}

/*
 * Fault in @dma's memory on several CPUs if the header's conditions hold;
 * best effort, nothing to report.  The caller owns @dma (not yet mapped)
 * and is in a process context of dma->mm.
 */
void type1_prefault(struct type1_dma *dma)
{
	unsigned long npages = dma->size >> PAGE_SHIFT;
	unsigned int n = type1_prefault_nworkers(dma, npages), i;
	struct type1_prefault *job;
	u64 t0;

	if (!n)
		return;
	job = kvzalloc(struct_size(job, slot, n + 1), GFP_KERNEL_ACCOUNT);
	if (!job)
		return;
	t0 = type1_prof_start();
	job->mm = current->mm;
	job->vaddr = dma->vaddr;
	job->npages = npages;
	job->nchunks = DIV_ROUND_UP(npages, TYPE1_PREFAULT_CHUNK);
	atomic_set(&job->running, n);
	init_completion(&job->done);
	for (i = 1; i <= n; i++) {
		job->slot[i].job = job;
		INIT_WORK(&job->slot[i].work, type1_prefault_work);
		queue_work_node(numa_node_id(), system_unbound_wq,
				&job->slot[i].work);
	}
	type1_prefault_run(job, job->slot[0].pages, true);
	if (wait_for_completion_killable(&job->done))
		WRITE_ONCE(job->abort, true);
	/* Not only done with the range: out of this module's code too. */
	for (i = 1; i <= n; i++)
		flush_work(&job->slot[i].work);
	kvfree(job);
	type1_prof_stop(TYPE1_PROF_PREFAULT, t0);
}
