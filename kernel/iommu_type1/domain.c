// SPDX-License-Identifier: GPL-2.0-only
/*
 * domain.c - groups joining and leaving a container, and the IOMMU domains
 * they live in.
 *
 * A joining group gets a fresh unmanaged paging domain first; that tells
 * us its aperture and whether it can enforce cache coherency.  If an
 * existing domain has the same IOMMU driver and coherency, the group moves
 * there and the fresh domain is dropped; otherwise the fresh domain joins
 * the container after every existing mapping has been replayed into it.
 * The last group of a domain takes the domain with it; the last group of
 * the container takes every mapping with it (v1 and v2 alike).
 *
 * Locking: everything here holds topo_lock for write, so no ioctl runs
 * and no mapping is busy; the mapping tree is walked without dma_lock.
 * The core has claimed DMA ownership of the group, so iommu_attach_group()
 * and iommu_detach_group() move it between our domain and blocking.
 */
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "nvfio_compat.h"
#include "type1.h"

static int type1_domain_alloc_cb(struct device *dev, void *data)
{
	struct iommu_domain **domain = data;

	*domain = nvfio_iommu_domain_alloc(dev);
	return 1; /* one device is enough */
}

static struct type1_group *type1_find_group(struct type1_container *c,
					    struct iommu_group *group,
					    struct type1_domain **domain)
{
	struct type1_domain *d;
	struct type1_group *g;

	list_for_each_entry(d, &c->domains, link)
		list_for_each_entry(g, &d->groups, link)
			if (g->group == group) {
				if (domain)
					*domain = d;
				return g;
			}
	return NULL;
}

static void type1_group_free(struct type1_group *g)
{
	iommu_put_resv_regions(NULL, &g->resv);
	kfree(g);
}

/* The smallest page size every domain maps, or PAGE_SIZE granules. */
static void type1_update_pgsizes(struct type1_container *c)
{
	struct type1_domain *d;
	u64 bitmap = ~0ULL;

	list_for_each_entry(d, &c->domains, link)
		bitmap &= d->domain->pgsize_bitmap;
	/* We pin in CPU pages: hide IOMMU sizes below PAGE_SIZE. */
	if (bitmap & ~PAGE_MASK) {
		bitmap &= PAGE_MASK;
		bitmap |= PAGE_SIZE;
	}
	c->pgsize_bitmap = bitmap;
}

/* The software MSI window the IOMMU driver wants us to place, if any. */
static bool type1_sw_msi(struct list_head *resv, phys_addr_t *base)
{
	struct iommu_resv_region *region;
	bool found = false;

	list_for_each_entry(region, resv, list) {
		/* A hardware MSI window makes the software one moot. */
		if (region->type == IOMMU_RESV_MSI)
			return false;
		if (region->type == IOMMU_RESV_SW_MSI) {
			*base = region->start;
			found = true;
		}
	}
	return found;
}

/*
 * Write every recorded run of every mapping into @dst.  The pages are
 * already pinned (PFNMAP runs need no pin); on failure the caller frees
 * @dst, which drops whatever was written.
 */
static int type1_replay_copy(struct type1_container *c,
			     struct iommu_domain *dst)
{
	struct type1_run_chunk *ch;
	struct rb_node *n;
	unsigned int i;
	int ret;

	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);
		dma_addr_t iova = dma->iova;

		for (ch = dma->runs; ch; ch = ch->next) {
			for (i = 0; i < ch->nr; i++) {
				size_t len = ch->run[i].npages << PAGE_SHIFT;

				ret = nvfio_iommu_map(
					dst, iova, PFN_PHYS(ch->run[i].pfn),
					len, dma->prot | IOMMU_CACHE);
				if (ret)
					return ret;
				iova += len;
			}
			cond_resched();
		}
	}
	return 0;
}

/*
 * First domain of the container: pin and map the mappings recorded while
 * there was none.  The new domain is on c->domains (alone) while this
 * runs; on failure everything pinned here is released again.
 */
static int type1_replay_pin(struct type1_container *c)
{
	struct rb_node *n, *failed;
	int ret = 0;

	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);

		if (dma->mapped)
			continue;
		if (!mmget_not_zero(dma->mm)) {
			ret = -ESRCH; /* the owner is gone */
			break;
		}
		ret = type1_pin_map(c, dma);
		mmput(dma->mm);
		if (ret)
			break;
	}
	if (!ret)
		return 0;

	failed = n;
	for (n = rb_first(&c->dmas); n != failed; n = rb_next(n)) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);

		type1_unmap_unpin(c, dma);
	}
	return ret;
}

int type1_attach_group(void *data, struct iommu_group *group)
{
	struct type1_container *c = data;
	struct iommu_domain *dom = ERR_PTR(-ENODEV);
	struct type1_domain *d, *nd = NULL;
	phys_addr_t msi_base = 0;
	struct type1_group *g;
	LIST_HEAD(ranges);
	bool enforce_cc;
	int ret;

	down_write(&c->topo_lock);

	/* Replay could need to pin from an address userspace withdrew. */
	ret = -EBUSY;
	if (c->vaddr_invalid_count)
		goto out_unlock;

	ret = -EINVAL;
	if (type1_find_group(c, group, NULL))
		goto out_unlock;

	if (!nvfio_group_has_isolated_msi(group)) {
		if (!type1_allow_unsafe_interrupts) {
			type1_refuse_unsafe_msi(iommu_group_id(group));
			ret = -EPERM;
			goto out_unlock;
		}
		pr_warn_once(
			"vfio_iommu_type1: IOMMU group %d: MSIs not isolated, accepted because allow_unsafe_interrupts is set\n",
			iommu_group_id(group));
	}

	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		goto out_unlock;
	g->group = group;
	INIT_LIST_HEAD(&g->resv);
	ret = iommu_get_group_resv_regions(group, &g->resv);
	if (ret)
		goto out_free_group;

	iommu_group_for_each_dev(group, &dom, type1_domain_alloc_cb);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
		goto out_free_group;
	}
	/* VFIO_TYPE1_NESTING_IOMMU: the IOMMU driver must offer nesting. */
	if (c->nesting) {
		ret = nvfio_iommu_enable_nesting(dom);
		if (ret)
			goto out_free_dom;
	}
	ret = iommu_attach_group(dom, group);
	if (ret)
		goto out_free_dom;

	/* The joined topology must leave room and keep every mapping valid. */
	ret = type1_iova_build(c, dom, &g->resv, &ranges);
	if (ret)
		goto out_detach;
	ret = -EINVAL;
	if (!type1_iova_covers_dmas(c, &ranges))
		goto out_detach;

	/*
	 * Block no-snoop DMA whenever the IOMMU can: KVM then need not
	 * emulate WBINVD (VFIO_DMA_CC_IOMMU).
	 */
	enforce_cc = dom->ops->enforce_cache_coherency &&
		     dom->ops->enforce_cache_coherency(dom);

	list_for_each_entry(d, &c->domains, link) {
		if (d->domain->ops != dom->ops || d->enforce_cc != enforce_cc)
			continue;
		iommu_detach_group(dom, group);
		if (!iommu_attach_group(d->domain, group)) {
			list_add_tail(&g->link, &d->groups);
			iommu_domain_free(dom);
			goto done;
		}
		/* Not compatible after all: back to the fresh domain. */
		ret = iommu_attach_group(dom, group);
		if (ret)
			goto out_free_dom;
	}

	ret = -ENOMEM;
	nd = kzalloc(sizeof(*nd), GFP_KERNEL);
	if (!nd)
		goto out_detach;
	nd->domain = dom;
	nd->enforce_cc = enforce_cc;
	INIT_LIST_HEAD(&nd->groups);

	if (type1_sw_msi(&g->resv, &msi_base)) {
		ret = iommu_get_msi_cookie(dom, msi_base);
		if (ret && ret != -ENODEV)
			goto out_detach;
	}

	if (list_empty(&c->domains)) {
		list_add(&nd->link, &c->domains);
		ret = type1_replay_pin(c);
		if (ret) {
			list_del(&nd->link);
			goto out_detach;
		}
	} else {
		ret = type1_replay_copy(c, dom);
		if (ret)
			goto out_detach;
		list_add_tail(&nd->link, &c->domains);
	}
	list_add_tail(&g->link, &nd->groups);
	type1_update_pgsizes(c);

done:
	type1_iova_free(&c->iova_ranges);
	list_splice(&ranges, &c->iova_ranges);
	up_write(&c->topo_lock);
	return 0;

out_detach:
	iommu_detach_group(dom, group);
out_free_dom:
	type1_iova_free(&ranges);
	kfree(nd);
	iommu_domain_free(dom);
out_free_group:
	type1_group_free(g);
out_unlock:
	up_write(&c->topo_lock);
	return ret;
}

void type1_detach_group(void *data, struct iommu_group *group)
{
	struct type1_container *c = data;
	struct type1_domain *d;
	struct type1_group *g;
	LIST_HEAD(ranges);

	down_write(&c->topo_lock);
	g = type1_find_group(c, group, &d);
	if (WARN_ON_ONCE(!g))
		goto out_unlock;

	iommu_detach_group(d->domain, group);
	list_del(&g->link);
	type1_group_free(g);

	if (list_empty(&d->groups)) {
		/*
		 * Owning a group is what entitled the user to its mappings:
		 * with the last one gone they go too.  The detached domain
		 * still records which pages to unpin.
		 */
		if (list_is_singular(&c->domains))
			type1_remove_all(c);
		list_del(&d->link);
		iommu_domain_free(d->domain);
		kfree(d);
		type1_update_pgsizes(c);
	}

	/* On failure keep the old, narrower, list: it is still safe. */
	if (!type1_iova_build(c, NULL, NULL, &ranges)) {
		type1_iova_free(&c->iova_ranges);
		list_splice(&ranges, &c->iova_ranges);
	}
out_unlock:
	up_write(&c->topo_lock);
}

/* Detach every group and free every domain (release). */
void type1_release_domains(struct type1_container *c)
{
	struct type1_domain *d, *dtmp;
	struct type1_group *g, *gtmp;

	list_for_each_entry_safe(d, dtmp, &c->domains, link) {
		list_for_each_entry_safe(g, gtmp, &d->groups, link) {
			iommu_detach_group(d->domain, g->group);
			list_del(&g->link);
			type1_group_free(g);
		}
		list_del(&d->link);
		iommu_domain_free(d->domain);
		kfree(d);
	}
	type1_update_pgsizes(c);
}

/* VFIO_DMA_CC_IOMMU: every domain blocks no-snoop (vacuously true). */
bool type1_enforces_cc(struct type1_container *c)
{
	struct type1_domain *d;
	bool ret = true;

	down_read(&c->topo_lock);
	list_for_each_entry(d, &c->domains, link)
		if (!d->enforce_cc)
			ret = false;
	up_read(&c->topo_lock);
	return ret;
}
