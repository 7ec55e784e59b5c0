// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio_ext_test.c - nvfio_ext_test.ko: a test external user.
 *
 * Each open of /dev/nvfio_ext_test can hold one group through the
 * external-user API; closing the file puts it.  Locking: a per-file mutex
 * around the held group.
 */
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "nvfio.h"
#include "nvfio_ext_test.h"

struct ext_user {
	struct mutex lock;
	struct nvfio_group *group; /* held external user, or NULL */
};

static long ext_get(struct ext_user *u, int __user *arg)
{
	struct nvfio_group *group;
	struct file *file;
	int fd;

	if (get_user(fd, arg))
		return -EFAULT;
	if (u->group)
		return -EBUSY;
	file = fget(fd);
	if (!file)
		return -EBADF;
	group = nvfio_group_get_external_user(file);
	fput(file);
	if (IS_ERR(group))
		return PTR_ERR(group);
	u->group = group;
	return 0;
}

static long ext_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ext_user *u = file->private_data;
	long ret = -ENOENT;

	mutex_lock(&u->lock);
	switch (cmd) {
	case NVFIO_EXT_GET:
		ret = ext_get(u, (int __user *)arg);
		break;
	case NVFIO_EXT_ID:
		if (u->group)
			ret = nvfio_external_user_iommu_id(u->group);
		break;
	case NVFIO_EXT_PUT:
		if (u->group) {
			nvfio_group_put_external_user(u->group);
			u->group = NULL;
			ret = 0;
		}
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&u->lock);
	return ret;
}

static int ext_open(struct inode *inode, struct file *file)
{
	struct ext_user *u = kzalloc(sizeof(*u), GFP_KERNEL);

	if (!u)
		return -ENOMEM;
	mutex_init(&u->lock);
	file->private_data = u;
	return 0;
}

static int ext_release(struct inode *inode, struct file *file)
{
	struct ext_user *u = file->private_data;

	if (u->group)
		nvfio_group_put_external_user(u->group);
	mutex_destroy(&u->lock);
	kfree(u);
	return 0;
}

static const struct file_operations ext_fops = {
	.owner = THIS_MODULE,
	.open = ext_open,
	.release = ext_release,
	.unlocked_ioctl = ext_ioctl,
};

static struct miscdevice ext_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "nvfio_ext_test",
	.fops = &ext_fops,
	.mode = 0600,
};

module_misc_device(ext_misc);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nvfio: test external user of VFIO groups");
