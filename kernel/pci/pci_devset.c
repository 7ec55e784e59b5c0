// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_devset.c - reset domains: the devices of this driver that one bus or
 * slot reset hits together, and the reset at last close.
 *
 * Every bound device joins the set of its reset domain at probe and leaves
 * it at remove.  The domain is keyed as on mainline: a device on a root bus
 * (no bus or slot reset there) or a VF is alone in its own set; otherwise
 * its slot, if the slot can be reset, else its bus.  A bus reset also hits
 * the buses below, whose devices belong to other sets: a reset is only done
 * when every function it hits is a member of the set (nvfio_pci_devset_
 * resettable), so that no kernel driver and no other set's user is
 * surprised by it.
 *
 * Reset at last close.  A device whose close could not reset it (no
 * function reset) is marked needs_reset.  When no member of its set is
 * open any more, and one needs a reset, the whole domain gets a bus or slot
 * reset: the next user of any of them starts from a clean device.
 *
 * Locking.  nvfio_pci_devsets.lock protects the registry (sets and their
 * member counts) and is only taken at probe and remove, never with a set's
 * lock held.  A set's @lock serializes open_device, close_device and hot
 * resets of its members, and protects the member list and each member's
 * @devset_open and @needs_reset: a slow reset in one domain never stalls
 * another.  It is the outermost lock of this driver, taken inside the
 * core's open_lock (open/close); memory_locks are taken inside it, with
 * trylock when several are held at once.  A member cannot be freed while
 * its set's lock is held: remove leaves the set (under the lock) only after
 * the core has closed the device.
 */
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>

#include "nvfio_pci.h"

struct nvfio_pci_devset {
	struct mutex lock;
	struct list_head devices; /* nvfio_pci_device.devset_entry; @lock */
	const void *key; /* the slot, the bus, or the device itself */
	unsigned int members; /* nvfio_pci_devsets.lock */
	struct list_head entry; /* in nvfio_pci_devsets.list */
};

static struct {
	struct mutex lock;
	struct list_head list;
} nvfio_pci_devsets = {
	.lock = __MUTEX_INITIALIZER(nvfio_pci_devsets.lock),
	.list = LIST_HEAD_INIT(nvfio_pci_devsets.list),
};

static const void *nvfio_pci_devset_key(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (pci_is_root_bus(pdev->bus) || pdev->is_virtfn)
		return vdev;
	if (!pci_probe_reset_slot(pdev->slot))
		return pdev->slot;
	return pdev->bus;
}

int nvfio_pci_devset_join(struct nvfio_pci_device *vdev)
{
	const void *key = nvfio_pci_devset_key(vdev);
	struct nvfio_pci_devset *set;

	mutex_lock(&nvfio_pci_devsets.lock);
	list_for_each_entry(set, &nvfio_pci_devsets.list, entry)
		if (set->key == key)
			goto found;
	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set) {
		mutex_unlock(&nvfio_pci_devsets.lock);
		return -ENOMEM;
	}
	mutex_init(&set->lock);
	INIT_LIST_HEAD(&set->devices);
	set->key = key;
	list_add(&set->entry, &nvfio_pci_devsets.list);
found:
	set->members++;
	mutex_lock(&set->lock);
	list_add_tail(&vdev->devset_entry, &set->devices);
	vdev->devset = set;
	mutex_unlock(&set->lock);
	mutex_unlock(&nvfio_pci_devsets.lock);
	return 0;
}

/* At remove (the device is closed) or when probe fails after joining. */
void nvfio_pci_devset_leave(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_devset *set = vdev->devset;

	mutex_lock(&nvfio_pci_devsets.lock);
	mutex_lock(&set->lock);
	list_del(&vdev->devset_entry);
	mutex_unlock(&set->lock);
	vdev->devset = NULL;
	if (!--set->members) {
		list_del(&set->entry);
		mutex_destroy(&set->lock);
		kfree(set);
	}
	mutex_unlock(&nvfio_pci_devsets.lock);
}

void nvfio_pci_devset_lock(struct nvfio_pci_device *vdev)
{
	mutex_lock(&vdev->devset->lock);
}

void nvfio_pci_devset_unlock(struct nvfio_pci_device *vdev)
{
	mutex_unlock(&vdev->devset->lock);
}

/* The members of @vdev's set, @vdev included; the set's lock held. */
struct list_head *nvfio_pci_devset_members(struct nvfio_pci_device *vdev)
{
	lockdep_assert_held(&vdev->devset->lock);
	return &vdev->devset->devices;
}

static int nvfio_pci_devset_has(struct pci_dev *pdev, void *data)
{
	struct nvfio_pci_devset *set = data;
	struct nvfio_pci_device *cur;

	list_for_each_entry(cur, &set->devices, devset_entry)
		if (cur->pdev == pdev)
			return 0;
	return -EBUSY;
}

/*
 * The device through which @vdev's set can be reset, with the scope in
 * @slot: NULL if neither a slot nor a bus reset is possible, or if the reset
 * would hit a function that is not a member of the set.  Set's lock held.
 */
struct pci_dev *nvfio_pci_devset_resettable(struct nvfio_pci_device *vdev,
					    bool *slot)
{
	struct nvfio_pci_devset *set = vdev->devset;
	struct pci_dev *pdev;

	lockdep_assert_held(&set->lock);
	/* Every member has the same reset: ask the first. */
	pdev = list_first_entry(&set->devices, struct nvfio_pci_device,
				devset_entry)
		       ->pdev;
	if (nvfio_pci_reset_scope(pdev, slot))
		return NULL;
	if (nvfio_pci_for_each_affected(pdev, *slot, nvfio_pci_devset_has, set))
		return NULL;
	return pdev;
}

struct nvfio_pci_outsider {
	struct nvfio_pci_devset *set;
	struct pci_dev *found;
};

static int nvfio_pci_devset_find_outsider(struct pci_dev *pdev, void *data)
{
	struct nvfio_pci_outsider *o = data;

	if (!nvfio_pci_devset_has(pdev, o->set))
		return 0;
	o->found = pci_dev_get(pdev);
	return -EBUSY; /* found: stop the walk */
}

/*
 * Why nvfio_pci_devset_resettable() said no: the first function a reset of
 * @vdev's domain would hit that is not a member of the set (with a
 * reference the caller puts), or NULL if there is none (no reset at all).
 * Set's lock held.
 */
struct pci_dev *nvfio_pci_devset_outsider(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_outsider o = {.set = vdev->devset};
	struct pci_dev *pdev;
	bool slot;

	lockdep_assert_held(&o.set->lock);
	pdev = list_first_entry(&o.set->devices, struct nvfio_pci_device,
				devset_entry)
		       ->pdev;
	if (nvfio_pci_reset_scope(pdev, &slot))
		return NULL;
	nvfio_pci_for_each_affected(pdev, slot, nvfio_pci_devset_find_outsider,
				    &o);
	return o.found;
}

/*
 * Reset @vdev's domain through @pdev (from nvfio_pci_devset_resettable()),
 * the set's lock held.  Every member's memory_lock is held for write around
 * the reset and the mappings of open members are revoked.  Several
 * memory_locks at once could deadlock against a user doing the same in
 * another order: they are tried, and contention gives -EBUSY.  Members in
 * low power go to D0 first: the reset would take them there behind our back.
 * Before any of that every member is runtime resumed (closed ones idle,
 * open ones may be in the user's low power) and held awake until the end,
 * as mainline; a member that cannot be woken fails the reset with its
 * errno.
 */
int nvfio_pci_devset_reset_bus(struct nvfio_pci_device *vdev,
			       struct pci_dev *pdev)
{
	struct list_head *members = &vdev->devset->devices;
	struct nvfio_pci_device *cur;
	int ret;

	lockdep_assert_held(&vdev->devset->lock);
	/*
	 * Every member awake (closed ones may be runtime suspended) before
	 * any memory_lock: the resume callback takes it.
	 */
	list_for_each_entry(cur, members, devset_entry) {
		ret = pm_runtime_resume_and_get(&cur->pdev->dev);
		if (ret) {
			list_for_each_entry_continue_reverse(cur, members,
							     devset_entry)
				pm_runtime_put(&cur->pdev->dev);
			return ret;
		}
	}
	list_for_each_entry(cur, members, devset_entry) {
		if (!down_write_trylock(&cur->memory_lock)) {
			ret = -EBUSY;
			goto undo;
		}
		/* Only an open device has mappings (or, before probe ends, an
		 * inode). */
		if (cur->devset_open)
			nvfio_pci_zap_bars(cur);
	}
	list_for_each_entry(cur, members, devset_entry)
		nvfio_pci_set_power_state(cur, PCI_D0);

	ret = pci_reset_bus(pdev);

	list_for_each_entry_reverse(cur, members, devset_entry) {
		if (!ret)
			nvfio_pci_note_reset(cur, "bus");
		up_write(&cur->memory_lock);
	}
	goto out_pm;

undo:
	/* unlock those before @cur, which is the one we failed on */
	list_for_each_entry_continue_reverse(cur, members, devset_entry)
		up_write(&cur->memory_lock);
out_pm:
	list_for_each_entry(cur, members, devset_entry)
		pm_runtime_put(&cur->pdev->dev);
	return ret;
}

/*
 * Last close of @vdev (set's lock held, @vdev no longer open): if no member
 * of the set is open and one was left unreset, reset the whole domain.
 * Nobody holds a memory_lock of a closed device, so contention only means
 * the reset waits for the next last close.
 */
void nvfio_pci_devset_try_reset(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_devset *set = vdev->devset;
	struct nvfio_pci_device *cur;
	bool needs_reset = false, slot;
	struct pci_dev *pdev;
	int ret;

	lockdep_assert_held(&set->lock);
	list_for_each_entry(cur, &set->devices, devset_entry) {
		if (cur->devset_open)
			return;
		needs_reset |= cur->needs_reset;
	}
	if (!needs_reset)
		return;
	pdev = nvfio_pci_devset_resettable(vdev, &slot);
	if (!pdev)
		return;

	ret = nvfio_pci_devset_reset_bus(vdev, pdev);
	if (ret) {
		pci_dbg(pdev, "%s reset at last close failed: %d\n",
			slot ? "slot" : "bus", ret);
		return;
	}
	list_for_each_entry(cur, &set->devices, devset_entry)
		cur->needs_reset = false;
}
