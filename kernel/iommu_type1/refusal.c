// SPDX-License-Identifier: GPL-2.0-only
/*
 * refusal.c - the lines the type1 backend logs when it refuses a request
 * for a resource or topology reason (nvfio_refusal.h has their shape,
 * docs/refusals.md every line).  Each is rate limited on its own; the
 * caller returns mainline's errno, these only explain it.
 *
 * Locking: type1_refuse_iova() walks the container's domains, groups and
 * reserved regions, so its caller holds topo_lock (read is enough); the
 * others read nothing shared.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "nvfio_refusal.h"
#include "type1.h"

/* A charge of @npages more pages to @mm went over current's memlock limit. */
void type1_refuse_memlock(struct mm_struct *mm, unsigned long npages)
{
	unsigned long locked = READ_ONCE(mm->locked_vm);

	pr_warn_ratelimited(
		"vfio_iommu_type1: DMA pinning refused for " NVFIO_WHO_FMT
		": RLIMIT_MEMLOCK exceeded: needs %lu bytes locked, limit %lu; raise the memlock limit (ulimit -l, prlimit, systemd LimitMEMLOCK=) or grant CAP_IPC_LOCK\n",
		NVFIO_WHO_ARGS, (locked + npages) << PAGE_SHIFT,
		rlimit(RLIMIT_MEMLOCK));
}

/* IOMMU group @id cannot be attached: its MSIs are not isolated. */
void type1_refuse_unsafe_msi(int id)
{
	pr_warn_ratelimited(
		"vfio_iommu_type1: group %d: attach refused for " NVFIO_WHO_FMT
		": no interrupt remapping, the group's MSIs are not isolated; enable interrupt remapping (firmware and kernel: intremap=on, no nointremap), or load vfio_iommu_type1 with allow_unsafe_interrupts=1 (unsafe: the device can forge interrupts)\n",
		id, NVFIO_WHO_ARGS);
}

/* A map found every one of the container's @limit entries in use. */
void type1_refuse_entry_limit(unsigned int limit)
{
	pr_warn_ratelimited(
		"vfio_iommu_type1: VFIO_IOMMU_MAP_DMA refused for " NVFIO_WHO_FMT
		": the container holds %u mappings, its dma_entry_limit; unmap some, or raise vfio_iommu_type1.dma_entry_limit (containers opened afterwards get the new limit)\n",
		NVFIO_WHO_ARGS, limit);
}

static const char *type1_resv_type(enum iommu_resv_type type)
{
	switch (type) {
	case IOMMU_RESV_DIRECT:
		return "direct";
	case IOMMU_RESV_RESERVED:
		return "reserved";
	case IOMMU_RESV_MSI:
		return "msi";
	case IOMMU_RESV_SW_MSI:
		return "sw-msi";
	default:
		return "other";
	}
}

/* The first reserved region that keeps [@start, @last] from being mapped. */
static struct iommu_resv_region *type1_blocking_resv(struct type1_container *c,
						     dma_addr_t start,
						     dma_addr_t last, int *id)
{
	struct iommu_resv_region *region;
	struct type1_domain *d;
	struct type1_group *g;

	list_for_each_entry(d, &c->domains, link) {
		list_for_each_entry(g, &d->groups, link) {
			list_for_each_entry(region, &g->resv, list) {
				dma_addr_t rlast;

				/* The same regions type1_iova_build() cut. */
				if (region->type ==
					    IOMMU_RESV_DIRECT_RELAXABLE ||
				    !region->length)
					continue;
				rlast = region->start + region->length - 1;
				if (last < region->start || start > rlast)
					continue;
				*id = iommu_group_id(g->group);
				return region;
			}
		}
	}
	return NULL;
}

/*
 * [@start, @last] is not within one usable IOVA range: say whether a
 * reserved region (which, of which group) or the IOMMU aperture is in the
 * way.  topo_lock held.
 */
void type1_refuse_iova(struct type1_container *c, dma_addr_t start,
		       dma_addr_t last)
{
	dma_addr_t first = 0, end = ~(dma_addr_t)0;
	struct iommu_resv_region *region;
	struct type1_domain *d;
	char cause[128];
	int id = -1;

	lockdep_assert_held(&c->topo_lock);
	list_for_each_entry(d, &c->domains, link) {
		first = max_t(dma_addr_t, first,
			      d->domain->geometry.aperture_start);
		end = min_t(dma_addr_t, end, d->domain->geometry.aperture_end);
	}
	region = type1_blocking_resv(c, start, last, &id);
	if (start < first || last > end)
		scnprintf(cause, sizeof(cause),
			  "outside the IOMMU aperture 0x%llx-0x%llx",
			  (u64)first, (u64)end);
	else if (region)
		scnprintf(
			cause, sizeof(cause),
			"overlaps reserved range 0x%llx-0x%llx (%s) of IOMMU group %d",
			(u64)region->start,
			(u64)(region->start + region->length - 1),
			type1_resv_type(region->type), id);
	else
		scnprintf(cause, sizeof(cause),
			  "spans more than one usable range");
	pr_warn_ratelimited(
		"vfio_iommu_type1: VFIO_IOMMU_MAP_DMA refused for " NVFIO_WHO_FMT
		": IOVA 0x%llx-0x%llx %s; map within one usable range (VFIO_IOMMU_GET_INFO, capability VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)\n",
		NVFIO_WHO_ARGS, (u64)start, (u64)last, cause);
}
