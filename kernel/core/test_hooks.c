// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_hooks.c - what only the test module (kernel/testing) needs to see
 * of the core.  Built into vfio.ko for the bench only: the installed module
 * (DKMS, make install; NVFIO_TESTING=n) has none of it, so nothing here is
 * part of the API the other layers or anyone else may use.
 */
#include "core.h"

/*
 * The kvm a group file was given, or the kvm an open device file
 * holds.  No reference is taken: compare the pointer, never dereference it.
 */
struct kvm *nvfio_file_kvm(struct file *file)
{
	struct nvfio_group *group = nvfio_group_from_file(file);
	struct nvfio_gate *g;
	struct kvm *kvm = NULL;
	int idx;

	if (group) {
		spin_lock(&group->kvm_lock);
		kvm = group->kvm;
		spin_unlock(&group->kvm_lock);
		return kvm;
	}
	g = nvfio_gate_from_file(file);
	if (!g)
		return NULL;
	/* A revoked device holds no kvm (revoke.c). */
	idx = srcu_read_lock(&g->srcu);
	if (!READ_ONCE(g->revoked)) {
		mutex_lock(&g->vdev->open_lock);
		kvm = g->vdev->kvm;
		mutex_unlock(&g->vdev->open_lock);
	}
	srcu_read_unlock(&g->srcu, idx);
	return kvm;
}
EXPORT_SYMBOL_GPL(nvfio_file_kvm);
