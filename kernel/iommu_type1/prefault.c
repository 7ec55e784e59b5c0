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
 * fault each in with get_user_pages_remote() without taking the pages:
 * nothing is pinned or charged here, and an error only ends the prefault
 * (the pin that follows meets it again and reports it).  That pin then
 * finds the pages present and takes them at page-table-walk speed.
 *
 * Only where the user cannot tell the difference but by the time taken
 * (and by whose rusage the faults count in):
 * - the mapping is writable and of the caller's own mm: a write fault
 *   allocates the very page the pin would;
 * - every vma of the range is writable anonymous or shmem memory, not
 *   registered with userfaultfd (a worker must never wait for the user's
 *   fault handler), accessible under the caller's protection keys.  No
 *   file systems (a write fault would dirty and allocate blocks where the
 *   pin may refuse), no hugetlb (its pages are charged to the faulting
 *   task's hugetlb cgroup, which a worker does not share);
 * - the pages would fit the caller's RLIMIT_MEMLOCK (else the pin fails
 *   early, and must not fault in gigabytes first);
 * - one memory node, so that where pages land cannot differ, and no NUMA
 *   policy of the caller's own;
 * - the first, middle and last pages are not all present already (a
 *   range faulted in before, the common case of every later map, costs
 *   nothing).
 * The workers fault with the caller's memory cgroup active (the page
 * tables are charged where the caller's own faults would charge them) and
 * with allocations kept out of ZONE_MOVABLE and CMA, as the pin's own
 * faults are (memalloc_pin_save()).  They run on the module's own unbound
 * workqueue, nvfio_prefault (WQ_SYSFS: an administrator can confine its
 * CPUs); their CPU time is not charged to the caller's CPU cgroup, is
 * bounded by the size of the mapping and spent while the caller waits, and
 * nvfio_prefault_workers=0 turns them off.
 *
 * Lifetime: the caller owns the job and frees it after flush_work() on
 * every worker, so that no worker runs this module's code once the caller
 * has returned (its open container keeps the module loaded until then),
 * and the caller's mm, which it is in a system call of, outlives them.
 * Killed while it waits, the caller sets @abort: the workers stop at their
 * next get_user_pages_remote() call.  Each call holds the mm's mmap_lock
 * for read from the check of its vmas to its end (faults run in parallel
 * under it; no FAULT_FLAG_ALLOW_RETRY, so it is never dropped): nothing
 * that needs the lock for write (mmap, munmap, userfaultfd registration)
 * can change the range under a call, which is so bounded by the faults of
 * TYPE1_PREFAULT_CALL pages of anonymous or shmem memory.  Nothing else is
 * shared but atomics.
 */
#include <linux/memcontrol.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>
#include <linux/workqueue.h>
#include <asm/mmu_context.h>

#include "nvfio_compat.h"
#include "type1.h"

/* Below 64 MiB the workers would cost more than they save. */
#define TYPE1_PREFAULT_MIN_PAGES (SZ_64M >> PAGE_SHIFT)
/* Pages a worker takes from the cursor at a time: 8 MiB of 4 KiB pages. */
#define TYPE1_PREFAULT_CHUNK 2048UL
/* Pages one get_user_pages_remote() call faults: 2 MiB of 4 KiB pages. */
#define TYPE1_PREFAULT_CALL 512UL
#define TYPE1_PREFAULT_WORKERS_MAX 16U

static unsigned int type1_prefault_workers = 3;
module_param_named(nvfio_prefault_workers, type1_prefault_workers, uint, 0644);
MODULE_PARM_DESC(
	nvfio_prefault_workers,
	"Kernel workers that help fault in a large mapping's untouched memory before it is pinned, besides the calling thread (at most the online CPUs less one, and 16; workqueue nvfio_prefault). 0: off. Default: 3");

static struct workqueue_struct *type1_prefault_wq;

struct type1_prefault_slot {
	struct work_struct work;
	struct type1_prefault *job;
};

struct type1_prefault {
	struct mm_struct *mm; /* the caller's */
	struct mem_cgroup *memcg; /* the caller's, for the workers */
	unsigned long vaddr;
	unsigned long npages;
	unsigned long nchunks;
	atomic_long_t next; /* the next chunk to take */
	atomic_t running; /* workers not finished */
	struct completion done; /* running reached 0 */
	bool abort;
	struct type1_prefault_slot slot[]; /* one per worker */
};

/* Memory whose faults wait on nobody for long: no file system, no device. */
static bool type1_prefault_vma_kind_ok(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) ||
	       (vma->vm_file && shmem_mapping(vma->vm_file->f_mapping));
}

/*
 * The header's conditions on the vmas of [start, end) of @mm, whose
 * mmap_lock is held; @caller: also the caller's protection keys.
 */
static bool type1_prefault_vmas_ok(struct mm_struct *mm, unsigned long start,
				   unsigned long end, bool caller)
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
		if (caller &&
		    !arch_vma_access_permitted(vma, true, false, false))
			return false;
		addr = vma->vm_end;
	}
	return true;
}

/*
 * Fault in @n pages from @vaddr; false on an error, a change of the vmas,
 * @abort or (the caller) a fatal signal.
 */
static bool type1_prefault_range(struct type1_prefault *job,
				 unsigned long vaddr, unsigned long n,
				 bool caller)
{
	struct mm_struct *mm = job->mm;

	while (n) {
		unsigned long want = min(n, TYPE1_PREFAULT_CALL);
		long got = -EFAULT;

		if (READ_ONCE(job->abort))
			return false;
		if (caller) {
			if (mmap_read_lock_killable(mm))
				return false;
		} else {
			mmap_read_lock(mm);
		}
		if (type1_prefault_vmas_ok(mm, vaddr,
					   vaddr + (want << PAGE_SHIFT), false))
			got = nvfio_get_user_pages_remote(
				mm, vaddr, want, FOLL_WRITE, NULL, NULL);
		mmap_read_unlock(mm);
		if (got <= 0)
			return false;
		vaddr += got << PAGE_SHIFT;
		n -= got;
		if (caller && fatal_signal_pending(current))
			return false;
		cond_resched();
	}
	return true;
}

/* Take chunks from the cursor until none is left; a failure ends all. */
static void type1_prefault_run(struct type1_prefault *job, bool caller)
{
	unsigned int pin_flags = memalloc_pin_save();

	for (;;) {
		unsigned long i = atomic_long_fetch_add(1, &job->next);
		unsigned long first = i * TYPE1_PREFAULT_CHUNK;

		if (i >= job->nchunks)
			break;
		if (!type1_prefault_range(
			    job, job->vaddr + (first << PAGE_SHIFT),
			    min(TYPE1_PREFAULT_CHUNK, job->npages - first),
			    caller)) {
			WRITE_ONCE(job->abort, true);
			break;
		}
	}
	memalloc_pin_restore(pin_flags);
}

static void type1_prefault_work(struct work_struct *work)
{
	struct type1_prefault_slot *s =
		container_of(work, struct type1_prefault_slot, work);
	struct type1_prefault *job = s->job;
	struct mem_cgroup *old = set_active_memcg(job->memcg);

	type1_prefault_run(job, false);
	set_active_memcg(old);
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

/*
 * How many workers for @dma's pages, 0 when not to prefault at all;
 * *@start: the untagged address of the range.
 */
static unsigned int type1_prefault_nworkers(struct type1_dma *dma,
					    unsigned long npages,
					    unsigned long *start)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = dma->vaddr + dma->size;
	unsigned int n =
		min3(READ_ONCE(type1_prefault_workers), num_online_cpus() - 1,
		     TYPE1_PREFAULT_WORKERS_MAX);
	bool ok;

	if (!n || !type1_prefault_wq || npages < TYPE1_PREFAULT_MIN_PAGES ||
	    dma->mm != mm || !(dma->prot & IOMMU_WRITE) ||
	    num_node_state(N_MEMORY) > 1)
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
	/* untagged_addr_remote() wants the lock held. */
	*start = nvfio_untagged_addr_remote(mm, dma->vaddr);
	ok = type1_prefault_vmas_ok(mm, *start, *start + dma->size, true);
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
	unsigned long start;
	unsigned int n = type1_prefault_nworkers(dma, npages, &start);
	struct type1_prefault *job;
	unsigned int i;
	u64 t0;

	if (!n)
		return;
	job = kzalloc(struct_size(job, slot, n), GFP_KERNEL_ACCOUNT);
	if (!job)
		return;
	t0 = type1_prof_start();
	job->mm = current->mm;
	job->memcg = get_mem_cgroup_from_mm(current->mm);
	job->vaddr = start;
	job->npages = npages;
	job->nchunks = DIV_ROUND_UP(npages, TYPE1_PREFAULT_CHUNK);
	atomic_set(&job->running, n);
	init_completion(&job->done);
	for (i = 0; i < n; i++) {
		job->slot[i].job = job;
		INIT_WORK(&job->slot[i].work, type1_prefault_work);
		queue_work(type1_prefault_wq, &job->slot[i].work);
	}
	type1_prefault_run(job, true);
	if (wait_for_completion_killable(&job->done))
		WRITE_ONCE(job->abort, true);
	/* Not only done with the range: out of this module's code too. */
	for (i = 0; i < n; i++)
		flush_work(&job->slot[i].work);
	mem_cgroup_put(job->memcg);
	kfree(job);
	type1_prof_stop(TYPE1_PROF_PREFAULT, t0);
}

/* Module init: the workers' queue; without it, no prefault (no error). */
void type1_prefault_init(void)
{
	type1_prefault_wq =
		alloc_workqueue("nvfio_prefault", WQ_UNBOUND | WQ_SYSFS, 0);
}

void type1_prefault_exit(void)
{
	if (type1_prefault_wq)
		destroy_workqueue(type1_prefault_wq);
}
