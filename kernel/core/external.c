// SPDX-License-Identifier: GPL-2.0-only
/*
 * external.c - the external-user API: another kernel component (KVM, a
 * test module) takes a group from a group file userspace gave it.
 *
 * An external user holds what a device fd holds: a reference on the group
 * file (so the group's release, which would detach the container, waits for
 * it) and one container user on the group.  Userspace may therefore close
 * the container, group and device fds in any order while an external user
 * exists: the container and its IOMMU setup stay until the put.
 *
 * Locking: group->lock around the checks and the container_users update.
 */
#include <linux/file.h>

#include "core.h"

struct nvfio_group *nvfio_group_get_external_user(struct file *file)
{
	struct nvfio_group *group = nvfio_group_from_file(file);
	int ret = -EINVAL;

	if (!group)
		return ERR_PTR(-EINVAL);

	mutex_lock(&group->lock);
	/*
	 * A group in a container is viable (it owns its IOMMU group for
	 * DMA); the container must also have its IOMMU backend set.
	 */
	if (group->iommu_group && group->container &&
	    nvfio_container_has_iommu(group->container)) {
		get_file(group->opened_file);
		group->container_users++;
		ret = 0;
	}
	mutex_unlock(&group->lock);
	return ret ? ERR_PTR(ret) : group;
}
EXPORT_SYMBOL_GPL(nvfio_group_get_external_user);

void nvfio_group_put_external_user(struct nvfio_group *group)
{
	struct file *file;

	mutex_lock(&group->lock);
	/* Zero if the last device left and revoked the container. */
	if (group->container_users)
		group->container_users--;
	file = group->opened_file;
	mutex_unlock(&group->lock);
	/* May run the group file's release (deferred by the VFS). */
	fput(file);
}
EXPORT_SYMBOL_GPL(nvfio_group_put_external_user);

int nvfio_external_user_iommu_id(struct nvfio_group *group)
{
	/* Kept in the group: it outlives the IOMMU group pointer. */
	return group->id;
}
EXPORT_SYMBOL_GPL(nvfio_external_user_iommu_id);
