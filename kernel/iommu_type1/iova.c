// SPDX-License-Identifier: GPL-2.0-only
/*
 * iova.c - the IOVA windows userspace may map.
 *
 * The list is a pure function of the topology: the intersection of every
 * domain's aperture minus every attached group's reserved regions (except
 * IOMMU_RESV_DIRECT_RELAXABLE ones, which a device may give up).  Instead
 * of patching it incrementally we rebuild it from scratch into a new list
 * whenever a group comes or goes, and swap it in only when the change
 * succeeds.  An empty list means "no domain yet, no restriction".
 *
 * Locking: container->iova_ranges and the domains/groups it derives from
 * are protected by topo_lock; builders hold it for write, type1_iova_valid()
 * callers for read.  type1_iova_covers_dmas() walks the mapping tree
 * without dma_lock, which is safe under topo_lock held for write (no ioctl
 * runs then, so no mapping comes or goes).
 */
#include <linux/slab.h>

#include "type1.h"

static int type1_iova_add_before(struct list_head *pos, dma_addr_t start,
				 dma_addr_t last)
{
	struct type1_iova_range *r = kmalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	r->start = start;
	r->last = last;
	list_add_tail(&r->link, pos);
	return 0;
}

void type1_iova_free(struct list_head *ranges)
{
	struct type1_iova_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, ranges, link) {
		list_del(&r->link);
		kfree(r);
	}
}

/* Cut the reserved regions of @resv out of @ranges. */
static int type1_iova_exclude(struct list_head *ranges, struct list_head *resv)
{
	struct iommu_resv_region *region;
	struct type1_iova_range *r, *tmp;
	int ret;

	list_for_each_entry(region, resv, list) {
		dma_addr_t start = region->start;
		dma_addr_t last = region->start + region->length - 1;

		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    !region->length)
			continue;

		list_for_each_entry_safe(r, tmp, ranges, link) {
			if (last < r->start || start > r->last)
				continue;
			/* Keep what lies below and above, in order. */
			if (start > r->start) {
				ret = type1_iova_add_before(&r->link, r->start,
							    start - 1);
				if (ret)
					return ret;
			}
			if (last < r->last) {
				ret = type1_iova_add_before(&r->link, last + 1,
							    r->last);
				if (ret)
					return ret;
			}
			list_del(&r->link);
			kfree(r);
		}
	}
	return 0;
}

/*
 * Build into @out (empty) the windows of the current topology plus, if
 * given, a domain @extra and the reserved regions @extra_resv of a group
 * about to join.  Return: 0, or -EINVAL if nothing usable remains, or
 * -ENOMEM; @out is empty on error.
 */
int type1_iova_build(struct type1_container *c, struct iommu_domain *extra,
		     struct list_head *extra_resv, struct list_head *out)
{
	dma_addr_t start = 0, last = ~(dma_addr_t)0;
	struct type1_domain *d;
	struct type1_group *g;
	bool any = false;
	int ret;

	list_for_each_entry(d, &c->domains, link) {
		start = max_t(dma_addr_t, start,
			      d->domain->geometry.aperture_start);
		last = min_t(dma_addr_t, last,
			     d->domain->geometry.aperture_end);
		any = true;
	}
	if (extra) {
		start = max_t(dma_addr_t, start,
			      extra->geometry.aperture_start);
		last = min_t(dma_addr_t, last, extra->geometry.aperture_end);
		any = true;
	}
	if (!any)
		return 0;
	if (start > last)
		return -EINVAL;

	ret = type1_iova_add_before(out, start, last);
	list_for_each_entry(d, &c->domains, link)
		list_for_each_entry(g, &d->groups, link)
			if (!ret)
				ret = type1_iova_exclude(out, &g->resv);
	if (!ret && extra_resv)
		ret = type1_iova_exclude(out, extra_resv);
	if (!ret && list_empty(out))
		ret = -EINVAL;
	if (ret)
		type1_iova_free(out);
	return ret;
}

static bool type1_iova_in(struct list_head *ranges, dma_addr_t start,
			  dma_addr_t last)
{
	struct type1_iova_range *r;

	if (list_empty(ranges))
		return true;
	list_for_each_entry(r, ranges, link)
		if (start >= r->start && last <= r->last)
			return true;
	return false;
}

/* Whether [@start, @last] lies in one usable window. */
bool type1_iova_valid(struct type1_container *c, dma_addr_t start,
		      dma_addr_t last)
{
	return type1_iova_in(&c->iova_ranges, start, last);
}

/* Whether every existing mapping lies in @ranges (topo_lock for write). */
bool type1_iova_covers_dmas(struct type1_container *c, struct list_head *ranges)
{
	struct rb_node *n;

	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);

		if (!type1_iova_in(ranges, dma->iova, type1_dma_last(dma)))
			return false;
	}
	return true;
}
