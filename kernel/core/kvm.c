// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm.c - what the in-kernel KVM-VFIO device needs from our files.
 *
 * KVM (virt/kvm/vfio.c, unmodified) looks these up by name with
 * symbol_get(), so they carry mainline vfio.ko's names and signatures:
 * 6.12's KVM-VFIO device calls vfio_file_is_valid, vfio_file_set_kvm and
 * vfio_file_enforced_coherent; 6.1's calls vfio_file_is_group instead of
 * vfio_file_is_valid; vfio_file_iommu_group only matters on SPAPR.  Our
 * module is named vfio as mainline's is, and the two are never loaded
 * together, so these names cannot clash.
 *
 * KVM hands a group file its struct kvm with set_kvm (FILE_ADD) and takes it
 * back with NULL (FILE_DEL, VM destruction).  A device opened while its group
 * has a kvm takes a kvm reference at its first open (kvm_get_kvm_safe, found
 * with symbol_get since kvm.ko may be absent) and drops it at its last close;
 * the bus driver sees it in nvfio_device.kvm meanwhile.
 *
 * Locking: group->kvm_lock (spinlock) protects group->kvm and is held while
 * a device takes its kvm reference; vdev->kvm and vdev->put_kvm change only
 * under vdev->open_lock.
 */
#include <linux/kvm_host.h>

#include "core.h"

bool vfio_file_is_group(struct file *file)
{
	return nvfio_group_from_file(file);
}
EXPORT_SYMBOL_GPL(vfio_file_is_group);

bool vfio_file_is_valid(struct file *file)
{
	return nvfio_group_from_file(file) || nvfio_gate_from_file(file);
}
EXPORT_SYMBOL_GPL(vfio_file_is_valid);

/*
 * 6.1's vfio (no per-device coherency capability, see nvfio_compat.h) asks
 * the group's container whether all its IOMMU domains enforce coherency,
 * and says true while the group is in no container.
 */
static bool nvfio_group_container_coherent(struct nvfio_group *group)
{
	bool ret = true;

	mutex_lock(&group->lock);
	if (group->container)
		ret = nvfio_container_check_extension(group->container,
						      VFIO_DMA_CC_IOMMU) > 0;
	mutex_unlock(&group->lock);
	return ret;
}

static bool nvfio_group_enforced_coherent(struct nvfio_group *group)
{
	struct nvfio_device *vdev;
	bool ret = true;

	if (!NVFIO_HAS_DEVICE_COHERENCY)
		return nvfio_group_container_coherent(group);

	/* Coherent only if every device's IOMMU enforces cache coherency. */
	mutex_lock(&group->dev_lock);
	list_for_each_entry(vdev, &group->devices, group_entry) {
		if (!nvfio_device_enforces_coherency(vdev->dev)) {
			ret = false;
			break;
		}
	}
	mutex_unlock(&group->dev_lock);
	return ret;
}

bool vfio_file_enforced_coherent(struct file *file)
{
	struct nvfio_group *group = nvfio_group_from_file(file);
	struct nvfio_gate *g;
	bool ret = true;
	int idx;

	if (group)
		return nvfio_group_enforced_coherent(group);
	g = nvfio_gate_from_file(file);
	if (!g)
		return true;
	/* A revoked device does no DMA: nothing to enforce (revoke.c). */
	idx = srcu_read_lock(&g->srcu);
	if (!READ_ONCE(g->revoked))
		ret = nvfio_device_enforces_coherency(g->vdev->dev);
	srcu_read_unlock(&g->srcu, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_file_enforced_coherent);

/*
 * KVM gives a group file its kvm at FILE_ADD and takes it back (NULL) at
 * FILE_DEL or when its KVM-VFIO device is released, holding the file (and so
 * this module) in between.  A device fd obtained through a group already has
 * its kvm (if any) from the group at open time; as on mainline's group path,
 * a kvm given to the device file itself has no further effect.
 */
void vfio_file_set_kvm(struct file *file, struct kvm *kvm)
{
	struct nvfio_group *group = nvfio_group_from_file(file);

	if (!group)
		return;
	spin_lock(&group->kvm_lock);
	group->kvm = kvm;
	spin_unlock(&group->kvm_lock);
}
EXPORT_SYMBOL_GPL(vfio_file_set_kvm);

/* Only SPAPR's TCE acceleration uses the IOMMU group; mainline x86 says NULL.
 */
struct iommu_group *vfio_file_iommu_group(struct file *file)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(vfio_file_iommu_group);

/*
 * First open of @vdev (vdev->open_lock held): take the group's kvm, if any.
 * The reference is taken under group->kvm_lock: KVM clears group->kvm (also
 * under it) before the struct kvm can be freed, so the pointer read there is
 * still a kvm whose users count we may try to raise.
 */
void nvfio_device_get_kvm(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;
	bool (*get)(struct kvm * kvm);
	void (*put)(struct kvm * kvm);
	struct kvm *kvm;

	lockdep_assert_held(&vdev->open_lock);
	spin_lock(&group->kvm_lock);
	kvm = group->kvm;
	spin_unlock(&group->kvm_lock);
	if (!kvm)
		return;

	/*
	 * A kvm was given to the group, so kvm.ko was loaded; the kvm_put_kvm
	 * reference taken here pins it for as long as the device holds the
	 * kvm.  If it is gone already, so is the VM (and group->kvm with it).
	 */
	put = symbol_get(kvm_put_kvm);
	if (!put)
		return;
	get = symbol_get(kvm_get_kvm_safe);
	if (WARN_ON(!get)) {
		symbol_put(kvm_put_kvm);
		return;
	}

	spin_lock(&group->kvm_lock);
	/* Given again or taken away meanwhile: use what is there now. */
	kvm = group->kvm;
	if (kvm && !get(kvm))
		kvm = NULL; /* the VM is being destroyed */
	spin_unlock(&group->kvm_lock);
	symbol_put(kvm_get_kvm_safe);

	if (kvm) {
		vdev->kvm = kvm;
		vdev->put_kvm = put;
	} else {
		symbol_put(kvm_put_kvm);
	}
}

/* Last close of @vdev (vdev->open_lock held): drop its kvm reference. */
void nvfio_device_put_kvm(struct nvfio_device *vdev)
{
	void (*put)(struct kvm * kvm) = vdev->put_kvm;
	struct kvm *kvm = vdev->kvm;

	lockdep_assert_held(&vdev->open_lock);
	if (!kvm)
		return;
	vdev->kvm = NULL;
	vdev->put_kvm = NULL;
	/*
	 * May be the last reference, destroying the VM here.  Its KVM-VFIO
	 * device holds a VM reference of its own, so it has let go of our
	 * files already: no call comes back into us.
	 */
	put(kvm);
	symbol_put(kvm_put_kvm);
}
