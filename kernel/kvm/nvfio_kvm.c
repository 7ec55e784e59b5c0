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

void vfio_file_set_kvm(struct file *file, struct kvm *kvm)
{
	nvfio_file_set_kvm(file, kvm);
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
