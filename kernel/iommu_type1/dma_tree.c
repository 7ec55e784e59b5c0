// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_tree.c - the container's mappings, an rb-tree of disjoint IOVA
 * intervals, and the wait for busy mappings to settle.
 *
 * Locking: every function here except type1_dma_wait_settled() is called
 * with container->dma_lock held; it protects the tree, dma_gen and each
 * mapping's state.  type1_dma_wait_settled() is called with dma_lock
 * dropped and returns with it held again.
 */
#include <linux/lockdep.h>

#include "type1.h"

/*
 * The lowest mapping overlapping [@start, @last], or NULL.  Intervals are
 * disjoint, so "ends at or after @start and begins at or before @last"
 * identifies overlap and the leftmost such node is the first of a run.
 */
struct type1_dma *type1_dma_first(struct type1_container *c, dma_addr_t start,
				  dma_addr_t last)
{
	struct rb_node *n = c->dmas.rb_node;
	struct type1_dma *found = NULL;

	lockdep_assert_held(&c->dma_lock);
	while (n) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);

		if (type1_dma_last(dma) < start) {
			n = n->rb_right;
		} else if (dma->iova > last) {
			n = n->rb_left;
		} else {
			found = dma;
			n = n->rb_left;
		}
	}
	return found;
}

struct type1_dma *type1_dma_next(struct type1_dma *dma)
{
	struct rb_node *n = rb_next(&dma->node);

	return n ? rb_entry(n, struct type1_dma, node) : NULL;
}

/* Insert @new, which the caller checked overlaps nothing. */
void type1_dma_insert(struct type1_container *c, struct type1_dma *new)
{
	struct rb_node **link = &c->dmas.rb_node, *parent = NULL;

	lockdep_assert_held(&c->dma_lock);
	while (*link) {
		struct type1_dma *dma = rb_entry(*link, struct type1_dma, node);

		parent = *link;
		link = new->iova < dma->iova ? &parent->rb_left :
					       &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &c->dmas);
}

void type1_dma_erase(struct type1_container *c, struct type1_dma *dma)
{
	lockdep_assert_held(&c->dma_lock);
	rb_erase(&dma->node, &c->dmas);
}

/* Whether a mapping overlapping [@start, @last] is being built or torn. */
bool type1_dma_range_busy(struct type1_container *c, dma_addr_t start,
			  dma_addr_t last)
{
	struct type1_dma *dma;

	for (dma = type1_dma_first(c, start, last); dma && dma->iova <= last;
	     dma = type1_dma_next(dma))
		if (dma->state != DMA_LIVE)
			return true;
	return false;
}

/* A busy mapping settled (became live or went away): wake the waiters. */
void type1_dma_settled(struct type1_container *c)
{
	lockdep_assert_held(&c->dma_lock);
	WRITE_ONCE(c->dma_gen, c->dma_gen + 1);
	/* Orders the store above before looking for sleepers (wait_event()). */
	if (wq_has_sleeper(&c->dma_wq))
		wake_up_all(&c->dma_wq);
}

/*
 * Drop dma_lock until some busy mapping settles, then take it again; the
 * caller re-examines the tree.  Busy mappings settle in bounded time (their
 * owner is pinning or unmapping), so the wait is not interruptible.
 */
void type1_dma_wait_settled(struct type1_container *c) __must_hold(&c->dma_lock)
{
	unsigned long gen = c->dma_gen;

	mutex_unlock(&c->dma_lock);
	wait_event(c->dma_wq, READ_ONCE(c->dma_gen) != gen);
	mutex_lock(&c->dma_lock);
}
