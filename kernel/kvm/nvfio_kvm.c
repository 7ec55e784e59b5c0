// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio_kvm.c - nvfio_kvm.ko: the VFIO file API under the names the
 * unmodified kvm.ko looks up with symbol_get().
 *
 * 6.12's KVM-VFIO device calls vfio_file_is_valid, vfio_file_set_kvm and
 * vfio_file_enforced_coherent (6.1's calls vfio_file_is_group instead of
 * vfio_file_is_valid); vfio_file_iommu_group only matters on SPAPR.  These
 * names are mainline vfio.ko's, so they live in this separate module: the
 * core loads (or refuses to, with its own message) whatever is loaded, and
 * only this bridge clashes by name with mainline.
 */
#include <linux/module.h>

#include "nvfio.h"

bool vfio_file_is_valid(struct file *file)
{
	return nvfio_file_is_valid(file);
}
EXPORT_SYMBOL_GPL(vfio_file_is_valid);

bool vfio_file_is_group(struct file *file)
{
	return nvfio_file_is_group(file);
}
EXPORT_SYMBOL_GPL(vfio_file_is_group);

bool vfio_file_enforced_coherent(struct file *file)
{
	return nvfio_file_enforced_coherent(file);
}
EXPORT_SYMBOL_GPL(vfio_file_enforced_coherent);

/*
 * KVM gives a group its kvm at FILE_ADD and takes it back (NULL) at FILE_DEL
 * or when its KVM-VFIO device is released (the device's fd closed, at the
 * latest with the VM), holding the group file in between (pinning nvfio.ko).
 * It finds this function again by name for the NULL call: if this module
 * were gone by then, the group would keep a pointer to a freed kvm.  So this
 * module pins itself while any group holds a kvm.  Callers hold a
 * symbol_get() reference on us across the call, so the module_put() of our
 * own module cannot free the code we are running.
 */
void vfio_file_set_kvm(struct file *file, struct kvm *kvm)
{
	struct kvm *old;

	/* Device files keep no kvm (their open took the group's). */
	if (!nvfio_file_is_group(file))
		return;
	old = nvfio_file_set_kvm(file, kvm);

	if (!old && kvm)
		__module_get(THIS_MODULE);
	else if (old && !kvm)
		module_put(THIS_MODULE);
}
EXPORT_SYMBOL_GPL(vfio_file_set_kvm);

/* Only SPAPR's TCE acceleration uses the IOMMU group; mainline x86 says NULL.
 */
struct iommu_group *vfio_file_iommu_group(struct file *file)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(vfio_file_iommu_group);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nvfio: VFIO file API for the in-kernel KVM-VFIO device");
