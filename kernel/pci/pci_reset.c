// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_reset.c - resets the user asks for and revocation of BAR mmaps:
 * VFIO_DEVICE_RESET (function reset), VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
 * and VFIO_DEVICE_PCI_HOT_RESET (secondary bus or slot reset), and the
 * zapping of user BAR mappings around anything that makes the BARs
 * unusable (decode off, D3hot, resets).
 *
 * Revocation.  Every device fd has its f_mapping pointed at the device's
 * own inode (core, inode.c), so unmap_mapping_range() over the BAR region
 * offsets removes every user PTE of every BAR of the device.  The zap is
 * done with memory_lock held for write and the fault handler (pci_mmap.c)
 * inserts PTEs with it held for read, only while decode is usable: once
 * the writer drops the lock, accesses fault again and either get the BAR
 * back or SIGBUS.
 *
 * Hot reset.  A bus or slot reset hits every function below the bus (or
 * slot), so the user must prove it owns all of them: each must be a member
 * of the device's reset domain (pci_devset.c: bound to this driver) and its
 * group must be one of the group fds passed in (the same group object).
 * Where neither a slot nor a bus reset is possible (devices on a root bus,
 * e.g. integrated endpoints) both ioctls fail with -ENODEV.  Every member
 * gets its mappings zapped and its memory_lock held for write (try-locked:
 * contention fails with -EBUSY rather than risking an ABBA between two
 * resetting users) while pci_reset_bus() saves, resets and restores the
 * whole bus.  A hot reset refused because of what it would hit (a
 * function not on vfio-pci, a group the user did not pass, no bus or slot
 * reset) logs which one (nvfio_pci_refuse_*, docs/refusals.md).
 *
 * Locking.  The reset domain's lock (pci_devset.c) is held over a hot reset
 * and over the fill of the hot reset info; memory_locks inside it.
 */
#include <linux/file.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"
#include "nvfio_refusal.h"

/* ---- revocation ---------------------------------------------------- */

/* Remove every user PTE of every BAR; faults bring them back. */
void nvfio_pci_zap_bars(struct nvfio_pci_device *vdev)
{
	loff_t first = NVFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	loff_t past = NVFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX);

	unmap_mapping_range(vdev->vdev.inode->i_mapping, first, past - first,
			    true);
}

/*
 * memory_lock for write, with the BAR mappings already revoked: for those
 * about to make the BARs unusable (decode off, low power, reset).
 */
void nvfio_pci_zap_and_down_write_memory_lock(struct nvfio_pci_device *vdev)
{
	down_write(&vdev->memory_lock);
	nvfio_pci_zap_bars(vdev);
}

/* ---- VFIO_DEVICE_RESET --------------------------------------------- */

int nvfio_pci_ioctl_reset(struct nvfio_pci_device *vdev)
{
	int ret;

	if (!vdev->reset_works)
		return -EINVAL;

	nvfio_pci_zap_and_down_write_memory_lock(vdev);
	/*
	 * A reset from D3hot would bring the device to D0 behind our back
	 * (and lose the state of NoSoftRst- devices): go to D0 first.
	 */
	nvfio_pci_set_power_state(vdev, PCI_D0);
	ret = pci_try_reset_function(vdev->pdev);
	up_write(&vdev->memory_lock);
	if (!ret)
		nvfio_pci_note_reset(vdev, "ioctl");
	return ret;
}

/* ---- what a hot reset affects --------------------------------------- */

/* Is @pdev in @slot, directly or through bridges below the slot? */
static bool nvfio_pci_in_slot(struct pci_dev *pdev, struct pci_slot *slot)
{
	while (pdev) {
		if (pdev->bus == slot->bus)
			return pdev->slot == slot;
		pdev = pdev->bus->self;
	}
	return false;
}

/*
 * How @pdev can be hot reset: its slot if that can be reset, else its
 * bus.  -ENODEV if neither can.
 */
int nvfio_pci_reset_scope(struct pci_dev *pdev, bool *slot)
{
	*slot = !pci_probe_reset_slot(pdev->slot);
	if (!*slot && pci_probe_reset_bus(pdev->bus))
		return -ENODEV;
	return 0;
}

struct nvfio_pci_walk {
	struct pci_dev *origin;
	bool slot;
	int (*fn)(struct pci_dev *pdev, void *data);
	void *data;
	int ret;
};

static int nvfio_pci_walk_one(struct pci_dev *pdev, void *data)
{
	struct nvfio_pci_walk *w = data;

	if (w->slot && !nvfio_pci_in_slot(pdev, w->origin->slot))
		return 0;
	w->ret = w->fn(pdev, w->data);
	return w->ret;
}

/* Call @fn for every function a hot reset of @origin resets; stop on error. */
int nvfio_pci_for_each_affected(struct pci_dev *origin, bool slot,
				int (*fn)(struct pci_dev *, void *), void *data)
{
	struct nvfio_pci_walk w = {
		.origin = origin,
		.slot = slot,
		.fn = fn,
		.data = data,
	};

	pci_walk_bus(origin->bus, nvfio_pci_walk_one, &w);
	return w.ret;
}

static int nvfio_pci_count_one(struct pci_dev *pdev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/* ---- VFIO_DEVICE_GET_PCI_HOT_RESET_INFO ------------------------------ */

struct nvfio_pci_fill {
	struct vfio_pci_dependent_device *devs;
	unsigned int max;
	unsigned int count;
};

static int nvfio_pci_fill_one(struct pci_dev *pdev, void *data)
{
	struct nvfio_pci_fill *fill = data;
	struct vfio_pci_dependent_device *dep;
	struct iommu_group *group;

	/* More functions than counted a moment ago: hotplug raced us. */
	if (fill->count >= fill->max)
		return -EAGAIN;

	/* Without an IOMMU group it cannot be owned, so never be reset. */
	group = iommu_group_get(&pdev->dev);
	if (!group)
		return -EPERM;

	dep = &fill->devs[fill->count++];
	dep->group_id = iommu_group_id(group);
	dep->segment = pci_domain_nr(pdev->bus);
	dep->bus = pdev->bus->number;
	dep->devfn = pdev->devfn;
	iommu_group_put(group);
	return 0;
}

int nvfio_pci_ioctl_hot_reset_info(struct nvfio_pci_device *vdev,
				   void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	struct vfio_pci_hot_reset_info __user *uinfo = arg;
	struct vfio_pci_hot_reset_info hdr;
	struct nvfio_pci_fill fill = {};
	unsigned int count = 0;
	bool slot;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;
	hdr.flags = 0;

	ret = nvfio_pci_reset_scope(vdev->pdev, &slot);
	if (ret)
		return ret;

	nvfio_pci_for_each_affected(vdev->pdev, slot, nvfio_pci_count_one,
				    &count);
	if (WARN_ON(!count)) /* the device itself is always affected */
		return -ERANGE;

	/* Too small: say how many entries are needed, copy none. */
	if (count > (hdr.argsz - sizeof(hdr)) / sizeof(*fill.devs)) {
		hdr.count = count;
		return copy_to_user(arg, &hdr, minsz) ? -EFAULT : -ENOSPC;
	}

	fill.devs = kcalloc(count, sizeof(*fill.devs), GFP_KERNEL);
	if (!fill.devs)
		return -ENOMEM;
	fill.max = count;

	nvfio_pci_devset_lock(vdev);
	ret = nvfio_pci_for_each_affected(vdev->pdev, slot, nvfio_pci_fill_one,
					  &fill);
	nvfio_pci_devset_unlock(vdev);
	if (ret)
		goto out;

	if (copy_to_user(uinfo->devices, fill.devs,
			 fill.count * sizeof(*fill.devs))) {
		ret = -EFAULT;
		goto out;
	}
	hdr.count = fill.count;
	if (copy_to_user(arg, &hdr, minsz))
		ret = -EFAULT;
out:
	kfree(fill.devs);
	return ret;
}

/* ---- VFIO_DEVICE_PCI_HOT_RESET --------------------------------------- */

/* The group files the user handed in. */
struct nvfio_pci_owned {
	struct file **files;
	unsigned int n;
};

/* Is @vdev's group one of the user's group files? */
static bool nvfio_pci_owned(const struct nvfio_pci_owned *owned,
			    struct nvfio_pci_device *vdev)
{
	unsigned int i;

	for (i = 0; i < owned->n; i++)
		if (nvfio_file_has_dev(owned->files[i], &vdev->vdev))
			return true;
	return false;
}

/*
 * The line that explains a refused hot reset (docs/refusals.md): @cause
 * names what blocks it, @fix what to do.  One rate limit for all of them.
 */
static void nvfio_pci_refuse_hot_reset(struct nvfio_pci_device *vdev,
				       const char *cause, const char *fix)
{
	dev_warn_ratelimited(
		&vdev->pdev->dev,
		"VFIO_DEVICE_PCI_HOT_RESET refused for " NVFIO_WHO_FMT
		": %s; %s\n",
		NVFIO_WHO_ARGS, cause, fix);
}

/* A function the reset hits is not bound to vfio-pci: name it (lock held). */
static void nvfio_pci_refuse_outsider(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = nvfio_pci_devset_outsider(vdev);
	struct device_driver *drv;
	char cause[128];

	if (!pdev) {
		nvfio_pci_refuse_hot_reset(
			vdev, "neither its slot nor its bus can be reset",
			"use VFIO_DEVICE_RESET instead");
		return;
	}
	drv = READ_ONCE(pdev->dev.driver);
	snprintf(
		cause, sizeof(cause),
		"the reset hits %s, which is not bound to vfio-pci (driver %s)",
		pci_name(pdev), drv ? drv->name : "none");
	pci_dev_put(pdev);
	nvfio_pci_refuse_hot_reset(
		vdev, cause, "bind it to vfio-pci and pass its group's fd too");
}

/* No group fd the user passed has @cur's group (set's lock held). */
static void nvfio_pci_refuse_unowned(struct nvfio_pci_device *vdev,
				     struct nvfio_pci_device *cur)
{
	struct iommu_group *group = iommu_group_get(&cur->pdev->dev);
	int id = group ? iommu_group_id(group) : -1;
	char cause[128], fix[64];

	iommu_group_put(group);
	snprintf(
		cause, sizeof(cause),
		"the reset hits %s of group %d, and no group fd passed is that group's",
		pci_name(cur->pdev), id);
	snprintf(fix, sizeof(fix), "pass a fd of /dev/vfio/%d too", id);
	nvfio_pci_refuse_hot_reset(vdev, cause, fix);
}

/*
 * Check that every function the reset hits is ours and the user's, lock out
 * every member of the reset domain, reset.  The caller holds the group
 * files behind @owned for the whole call.
 */
static int nvfio_pci_do_hot_reset(struct nvfio_pci_device *vdev,
				  const struct nvfio_pci_owned *owned)
{
	struct nvfio_pci_device *cur;
	struct list_head *members;
	struct pci_dev *pdev;
	bool slot;
	int ret = 0;

	nvfio_pci_devset_lock(vdev);
	/* A function hit by the reset that is not bound to us: not ours. */
	pdev = nvfio_pci_devset_resettable(vdev, &slot);
	if (!pdev) {
		nvfio_pci_refuse_outsider(vdev);
		ret = -EINVAL;
		goto out_unlock;
	}

	members = nvfio_pci_devset_members(vdev);
	list_for_each_entry(cur, members, devset_entry) {
		if (!nvfio_pci_owned(owned, cur)) {
			nvfio_pci_refuse_unowned(vdev, cur);
			ret = -EINVAL;
			goto out_unlock;
		}
	}
	ret = nvfio_pci_devset_reset_bus(vdev, pdev);

out_unlock:
	nvfio_pci_devset_unlock(vdev);
	return ret;
}

int nvfio_pci_ioctl_hot_reset(struct nvfio_pci_device *vdev, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_pci_hot_reset, count);
	struct vfio_pci_hot_reset __user *ureset = arg;
	struct vfio_pci_hot_reset hdr;
	struct nvfio_pci_owned owned = {};
	struct file **files = NULL;
	s32 *fds = NULL;
	unsigned int count = 0, i, n = 0;
	bool slot;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	/*
	 * Devices opened through a group prove ownership with group fds;
	 * the empty array belongs to the iommufd (cdev) interface.  6.1
	 * looks for a reset first (nvfio_compat.h).
	 */
	if (!hdr.count && !NVFIO_PCI_HOT_RESET_SCOPE_FIRST)
		return -EINVAL;

	ret = nvfio_pci_reset_scope(vdev->pdev, &slot);
	if (ret) {
		nvfio_pci_refuse_hot_reset(
			vdev,
			"neither its slot nor its bus can be reset (e.g. it is on a root bus)",
			"use VFIO_DEVICE_RESET instead");
		return ret;
	}

	/* One group per affected function at most: bounds the copy. */
	nvfio_pci_for_each_affected(vdev->pdev, slot, nvfio_pci_count_one,
				    &count);
	if (!hdr.count || hdr.count > count)
		return -EINVAL;

	fds = kcalloc(hdr.count, sizeof(*fds), GFP_KERNEL);
	files = kcalloc(hdr.count, sizeof(*files), GFP_KERNEL);
	if (!fds || !files) {
		ret = -ENOMEM;
		goto out;
	}
	if (copy_from_user(fds, ureset->group_fds, hdr.count * sizeof(*fds))) {
		ret = -EFAULT;
		goto out;
	}

	/* Hold every group file so that the groups stay put over the reset. */
	for (n = 0; n < hdr.count; n++) {
		files[n] = fget(fds[n]);
		if (!files[n]) {
			ret = -EBADF;
			break;
		}
		if (!vfio_file_is_group(files[n])) {
			fput(files[n]);
			ret = -EINVAL;
			break;
		}
	}
	if (ret)
		goto out;

	owned.files = files;
	owned.n = n;
	ret = nvfio_pci_do_hot_reset(vdev, &owned);
out:
	for (i = 0; i < n; i++)
		fput(files[i]);
	kfree(files);
	kfree(fds);
	return ret;
}
