// SPDX-License-Identifier: GPL-2.0-only
/*
 * group.c - /dev/vfio/<group>: one chardev per IOMMU group that has at
 * least one device registered by a bus driver.
 *
 * Lifetime: a group is created by the first nvfio_register_device() of a
 * device in its IOMMU group and counted by @drivers.  When the last device
 * unregisters, the chardev is deleted, the group leaves its container and
 * drops its IOMMU group; an fd that is still open keeps the memory (through
 * the cdev's reference on group->dev) and gets -ENODEV from then on.
 *
 * In no-IOMMU mode a device without an IOMMU group gets a group of its own
 * around a made-up IOMMU group (noiommu.c), /dev/vfio/noiommu-<id>; opening
 * it needs CAP_SYS_RAWIO.
 *
 * Locking: see core.h.  group->lock serializes the group ioctls, opening
 * and releasing the group file and the device fds' first open/last close.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

static long nvfio_group_get_status(struct nvfio_group *group,
				   struct vfio_group_status __user *arg)
{
	size_t minsz = offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status st;

	if (copy_from_user(&st, arg, minsz))
		return -EFAULT;
	if (st.argsz < minsz)
		return -EINVAL;

	st.flags = 0;
	mutex_lock(&group->lock);
	if (!group->iommu_group) {
		mutex_unlock(&group->lock);
		return -ENODEV;
	}
	/*
	 * A group in a container owns its IOMMU group for DMA; otherwise it
	 * is viable while no kernel driver of a device in it does DMA.
	 */
	if (group->container)
		st.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET |
			    VFIO_GROUP_FLAGS_VIABLE;
	else if (!iommu_group_dma_owner_claimed(group->iommu_group))
		st.flags |= VFIO_GROUP_FLAGS_VIABLE;
	mutex_unlock(&group->lock);

	return copy_to_user(arg, &st, minsz) ? -EFAULT : 0;
}

static long nvfio_group_set_container(struct nvfio_group *group,
				      int __user *arg)
{
	struct nvfio_container *c;
	struct file *file;
	int fd, ret;

	if (get_user(fd, arg))
		return -EFAULT;
	file = fget(fd);
	if (!file)
		return -EBADF;

	mutex_lock(&group->lock);
	if (group->container) {
		ret = -EINVAL;
	} else if (!group->iommu_group) {
		ret = -ENODEV;
	} else {
		c = nvfio_container_from_file(file);
		ret = c ? nvfio_container_attach_group(c, group) :
			  -NVFIO_NOT_A_CONTAINER_ERRNO;
	}
	mutex_unlock(&group->lock);
	fput(file);
	return ret;
}

static long nvfio_group_unset_container(struct nvfio_group *group)
{
	int ret = 0;

	mutex_lock(&group->lock);
	if (!group->container)
		ret = -EINVAL;
	else if (group->container_users != 1)
		ret = -EBUSY; /* devices of the group are open */
	else
		nvfio_container_detach_group(group);
	mutex_unlock(&group->lock);
	return ret;
}

static long nvfio_group_get_device_fd(struct nvfio_group *group,
				      const char __user *arg)
{
	char *name;
	int ret;

	name = strndup_user(arg, PAGE_SIZE);
	if (IS_ERR(name))
		return PTR_ERR(name);
	ret = nvfio_device_open_fd(group, name);
	kfree(name);
	return ret;
}

static long nvfio_group_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct nvfio_group *group = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		return nvfio_group_get_status(group, uarg);
	case VFIO_GROUP_SET_CONTAINER:
		return nvfio_group_set_container(group, uarg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return nvfio_group_unset_container(group);
	case VFIO_GROUP_GET_DEVICE_FD:
		return nvfio_group_get_device_fd(group, uarg);
	default:
		return -ENOTTY;
	}
}

static int nvfio_group_open(struct inode *inode, struct file *file)
{
	struct nvfio_group *group =
		container_of(inode->i_cdev, struct nvfio_group, cdev);
	int ret = 0;

	mutex_lock(&group->lock);
	if (!group->iommu_group) {
		ret = -ENODEV; /* raced with the last device leaving */
	} else if (group->noiommu && !capable(CAP_SYS_RAWIO)) {
		ret = -EPERM; /* no IOMMU: the device can DMA anywhere */
	} else if (group->opened_file) {
		ret = -EBUSY; /* one user of a group at a time */
		nvfio_refuse_group_busy(group);
	} else {
		group->opened_file = file;
		group->opener_pid = task_tgid_nr(current);
		get_task_comm(group->opener_comm, current);
	}
	mutex_unlock(&group->lock);
	if (!ret)
		file->private_data = group;
	return ret;
}

/*
 * Device fds hold a reference on this file, so no device of the group is
 * open here: leaving the container is always allowed.
 */
static int nvfio_group_release(struct inode *inode, struct file *file)
{
	struct nvfio_group *group = file->private_data;

	mutex_lock(&group->lock);
	if (group->container) {
		WARN_ON(group->container_users != 1);
		nvfio_container_detach_group(group);
	}
	group->opened_file = NULL;
	mutex_unlock(&group->lock);
	return 0;
}

static const struct file_operations nvfio_group_fops = {
	.owner = THIS_MODULE,
	.open = nvfio_group_open,
	.release = nvfio_group_release,
	.unlocked_ioctl = nvfio_group_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

struct nvfio_group *nvfio_group_from_file(struct file *file)
{
	if (file->f_op != &nvfio_group_fops)
		return NULL;
	return file->private_data;
}

/*
 * Is @file one of our group files, and the group of @vdev (registered)?
 * Groups are compared as objects: a group file that outlived its group
 * (every device left; a rebind made a new group for the same IOMMU group,
 * which another user may own now) stands for no device, though its number
 * is the same.  Takes no lock: @vdev->group is set before the device can
 * be found and stays until it unregisters, and the file pins its group.
 */
bool nvfio_file_has_dev(struct file *file, struct nvfio_device *vdev)
{
	struct nvfio_group *group = nvfio_group_from_file(file);

	return group && group == READ_ONCE(vdev->group);
}
EXPORT_SYMBOL_GPL(nvfio_file_has_dev);

static void nvfio_group_free(struct device *dev)
{
	struct nvfio_group *group = container_of(dev, typeof(*group), dev);

	WARN_ON(group->iommu_group || !list_empty(&group->devices));
	ida_free(&nvfio_groups.minors, MINOR(dev->devt));
	mutex_destroy(&group->lock);
	mutex_destroy(&group->dev_lock);
	kfree(group);
}

/*
 * nvfio_groups.lock held; takes over the caller's @iommu_group reference.
 * @noiommu: @iommu_group was made up by noiommu.c.
 */
static struct nvfio_group *nvfio_group_create(struct iommu_group *iommu_group,
					      bool noiommu)
{
	struct nvfio_group *group;
	int minor, ret;

	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group)
		return ERR_PTR(-ENOMEM);
	minor = ida_alloc_max(&nvfio_groups.minors, MINORMASK, GFP_KERNEL);
	if (minor < 0) {
		kfree(group);
		return ERR_PTR(minor);
	}

	mutex_init(&group->lock);
	mutex_init(&group->dev_lock);
	spin_lock_init(&group->kvm_lock);
	INIT_LIST_HEAD(&group->devices);
	refcount_set(&group->drivers, 1);
	group->iommu_group = iommu_group;
	group->id = iommu_group_id(iommu_group);
	group->noiommu = noiommu;

	device_initialize(&group->dev);
	group->dev.class = nvfio_groups.class;
	group->dev.devt = MKDEV(MAJOR(nvfio_groups.devt), minor);
	group->dev.release = nvfio_group_free;
	cdev_init(&group->cdev, &nvfio_group_fops);
	group->cdev.owner = THIS_MODULE;

	ret = dev_set_name(&group->dev, "%s%d", noiommu ? "noiommu-" : "",
			   group->id);
	if (!ret)
		ret = cdev_device_add(&group->cdev, &group->dev);
	if (ret) {
		group->iommu_group = NULL;
		put_device(&group->dev);
		return ERR_PTR(ret);
	}
	list_add(&group->core_entry, &nvfio_groups.list);
	return group;
}

/*
 * No-IOMMU mode: a group of its own for @dev, which has no IOMMU group.
 * The kernel is tainted from here on: a user may soon program a device
 * that can reach all of memory.
 */
static struct nvfio_group *nvfio_noiommu_group_create(struct device *dev)
{
	struct iommu_group *iommu_group;
	struct nvfio_group *group;

	iommu_group = nvfio_noiommu_iommu_group(dev);
	if (IS_ERR(iommu_group))
		return ERR_CAST(iommu_group);

	mutex_lock(&nvfio_groups.lock);
	group = nvfio_group_create(iommu_group, true);
	mutex_unlock(&nvfio_groups.lock);
	if (IS_ERR(group)) {
		nvfio_noiommu_remove_device(dev);
		iommu_group_put(iommu_group);
		return group;
	}
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	dev_warn(dev, "Adding kernel taint for vfio-noiommu group on device\n");
	return group;
}

/*
 * Find the group of @dev's IOMMU group or create it, and count one more
 * registered device in it.  A device without an IOMMU group is refused
 * unless the no-IOMMU mode is on; then it gets a no-IOMMU group of its own
 * (never shared: each such device is its own group, as on mainline).
 */
struct nvfio_group *nvfio_group_get_or_create(struct device *dev)
{
	struct iommu_group *iommu_group;
	struct nvfio_group *group;

	iommu_group = iommu_group_get(dev);
	if (!iommu_group) {
		if (nvfio_noiommu_enabled())
			return nvfio_noiommu_group_create(dev);
		dev_err(dev,
			"nvfio: device has no IOMMU group; is the IOMMU enabled (intel_iommu=on)? Without one, see vfio's enable_unsafe_noiommu_mode\n");
		return ERR_PTR(-EINVAL);
	}

	mutex_lock(&nvfio_groups.lock);
	list_for_each_entry(group, &nvfio_groups.list, core_entry) {
		if (group->iommu_group == iommu_group) {
			refcount_inc(&group->drivers);
			iommu_group_put(iommu_group);
			goto out;
		}
	}
	group = nvfio_group_create(iommu_group, false);
	if (IS_ERR(group))
		iommu_group_put(iommu_group);
out:
	mutex_unlock(&nvfio_groups.lock);
	return group;
}

/*
 * One registered device of @group, @dev, is gone (and none of its fds is
 * open).  The last one takes the chardev away and revokes the IOMMU group.
 */
void nvfio_group_put_driver(struct nvfio_group *group, struct device *dev)
{
	struct iommu_group *iommu_group;

	/*
	 * A no-IOMMU group's one device leaves the made-up IOMMU group first;
	 * the group's own reference keeps it until the end of this function.
	 */
	if (group->noiommu)
		nvfio_noiommu_remove_device(dev);

	if (!refcount_dec_and_mutex_lock(&group->drivers, &nvfio_groups.lock))
		return;

	list_del(&group->core_entry);
	/* Under nvfio_groups.lock so a new group of the same id can follow. */
	cdev_device_del(&group->cdev, &group->dev);

	mutex_lock(&group->lock);
	WARN_ON(!list_empty(&group->devices));
	if (group->container)
		nvfio_container_detach_group(group);
	iommu_group = group->iommu_group;
	group->iommu_group = NULL;
	mutex_unlock(&group->lock);
	mutex_unlock(&nvfio_groups.lock);

	iommu_group_put(iommu_group);
	put_device(&group->dev);
}

static char *nvfio_group_devnode(NVFIO_DEVNODE_CONST struct device *dev,
				 umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "vfio/%s", dev_name(dev));
}

int nvfio_group_init(void)
{
	int ret;

	nvfio_groups.class = nvfio_class_create("vfio");
	if (IS_ERR(nvfio_groups.class)) {
		ret = PTR_ERR(nvfio_groups.class);
		pr_err("nvfio: cannot create class vfio: %d (is mainline's vfio loaded?)\n",
		       ret);
		return ret;
	}
	nvfio_groups.class->devnode = nvfio_group_devnode;

	ret = alloc_chrdev_region(&nvfio_groups.devt, 0, MINORMASK + 1, "vfio");
	if (ret) {
		class_destroy(nvfio_groups.class);
		return ret;
	}
	return 0;
}

void nvfio_group_exit(void)
{
	WARN_ON(!list_empty(&nvfio_groups.list));
	unregister_chrdev_region(nvfio_groups.devt, MINORMASK + 1);
	class_destroy(nvfio_groups.class);
	ida_destroy(&nvfio_groups.minors);
}
