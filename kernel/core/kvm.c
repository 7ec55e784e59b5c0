// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm.c - what the in-kernel KVM-VFIO device needs from our files.
 *
 * KVM (virt/kvm/vfio.c, unmodified) looks these up by name with
 * symbol_get(); the thin exports with mainline's names live in the
 * nvfio_kvm.ko bridge (kernel/kvm) so that nvfio.ko itself never clashes
 * with mainline's vfio.ko at load time.
 *
 * KVM hands a group file its struct kvm with set_kvm (FILE_ADD) and takes it
 * back with NULL (FILE_DEL, VM destruction).  A device opened while its group
 * has a kvm takes a kvm reference at its first open (kvm_get_kvm_safe, found
 * with symbol_get since kvm.ko may be absent) and drops it at its last close;
 * the bus driver sees it in nvfio_device.kvm meanwhile.
 *
 * Locking: group->kvm_lock (spinlock) protects group->kvm; vdev->kvm and
 * vdev->put_kvm change only under vdev->open_lock.
 */
#include <linux/kvm_host.h>

#include "core.h"

bool nvfio_file_is_group(struct file *file)
{
	return nvfio_group_from_file(file);
}
EXPORT_SYMBOL_GPL(nvfio_file_is_group);

bool nvfio_file_is_valid(struct file *file)
{
	return nvfio_group_from_file(file) || nvfio_device_from_file(file);
}
EXPORT_SYMBOL_GPL(nvfio_file_is_valid);

static bool nvfio_group_enforced_coherent(struct nvfio_group *group)
{
	struct nvfio_device *vdev;
	bool ret = true;

	/* Coherent only if every device's IOMMU enforces cache coherency. */
	mutex_lock(&group->dev_lock);
	list_for_each_entry(vdev, &group->devices, group_entry) {
		if (!device_iommu_capable(vdev->dev,
					  IOMMU_CAP_ENFORCE_CACHE_COHERENCY)) {
			ret = false;
			break;
		}
	}
	mutex_unlock(&group->dev_lock);
	return ret;
}

bool nvfio_file_enforced_coherent(struct file *file)
{
	struct nvfio_group *group = nvfio_group_from_file(file);
	struct nvfio_device *vdev;

	if (group)
		return nvfio_group_enforced_coherent(group);
	vdev = nvfio_device_from_file(file);
	if (vdev)
		return device_iommu_capable(vdev->dev,
					    IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	return true;
}
EXPORT_SYMBOL_GPL(nvfio_file_enforced_coherent);

/*
 * A device fd obtained through a group already has its kvm (if any) from the
 * group at open time; like mainline's group path, a kvm given to the device
 * file itself has no further effect.
 */
void nvfio_file_set_kvm(struct file *file, struct kvm *kvm)
{
	struct nvfio_group *group = nvfio_group_from_file(file);

	if (!group)
		return;
	spin_lock(&group->kvm_lock);
	group->kvm = kvm;
	spin_unlock(&group->kvm_lock);
}
EXPORT_SYMBOL_GPL(nvfio_file_set_kvm);

/* First open of @vdev (vdev->open_lock held): take the group's kvm, if any. */
void nvfio_device_get_kvm(struct nvfio_device *vdev)
{
	bool (*get)(struct kvm * kvm);
	void (*put)(struct kvm * kvm);
	struct kvm *kvm;

	spin_lock(&vdev->group->kvm_lock);
	kvm = vdev->group->kvm;
	spin_unlock(&vdev->group->kvm_lock);
	if (!kvm)
		return;

	/*
	 * KVM holds the group file while it holds kvm in group->kvm, and
	 * kvm.ko cannot go away under a live VM: get and put resolve.
	 */
	put = symbol_get(kvm_put_kvm);
	if (WARN_ON(!put))
		return;
	get = symbol_get(kvm_get_kvm_safe);
	if (WARN_ON(!get)) {
		symbol_put(kvm_put_kvm);
		return;
	}
	if (get(kvm)) {
		vdev->kvm = kvm;
		vdev->put_kvm = put;
	} else {
		symbol_put(kvm_put_kvm);
	}
	symbol_put(kvm_get_kvm_safe);
}

/* Last close of @vdev (vdev->open_lock held): drop its kvm reference. */
void nvfio_device_put_kvm(struct nvfio_device *vdev)
{
	if (!vdev->kvm)
		return;
	vdev->put_kvm(vdev->kvm);
	symbol_put(kvm_put_kvm);
	vdev->kvm = NULL;
	vdev->put_kvm = NULL;
}
