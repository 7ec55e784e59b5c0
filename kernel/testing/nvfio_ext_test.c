// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio_ext_test.c - nvfio_ext_test.ko: a test external user.
 *
 * Each open of /dev/nvfio_ext_test can hold one group through the
 * external-user API; closing the file puts it.  It also reports which kvm a
 * group or device file has (NVFIO_EXT_KVM), for the KVM tests, and has the
 * type1 backend log a refusal line the bench cannot cause
 * (NVFIO_EXT_UNSAFE_MSI_LINE).  Locking: a
 * per-file mutex around the held group.
 */
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

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

/*
 * The kvm behind a KVM VM fd, for comparison only.  KVM names its VM files
 * "kvm-vm" (anon inode) and keeps the struct kvm in private_data.
 */
static long ext_vm_kvm(int vm_fd, struct kvm **kvm)
{
	struct file *file;
	long ret = 0;

	*kvm = NULL;
	if (vm_fd < 0)
		return 0;
	file = fget(vm_fd);
	if (!file)
		return -EBADF;
	if (strcmp(file->f_path.dentry->d_name.name, "kvm-vm"))
		ret = -EINVAL;
	else
		*kvm = file->private_data;
	fput(file);
	return ret;
}

static long ext_kvm(struct nvfio_ext_kvm __user *arg)
{
	struct nvfio_ext_kvm k;
	struct kvm *vm_kvm, *kvm;
	struct file *file;
	long ret;

	if (copy_from_user(&k, arg, sizeof(k)))
		return -EFAULT;
	ret = ext_vm_kvm(k.vm_fd, &vm_kvm);
	if (ret)
		return ret;
	file = fget(k.fd);
	if (!file)
		return -EBADF;
	if (!vfio_file_is_valid(file)) {
		fput(file);
		return -EINVAL;
	}
	kvm = nvfio_file_kvm(file);
	fput(file);
	if (!kvm)
		return NVFIO_EXT_KVM_NONE;
	return kvm == vm_kvm ? NVFIO_EXT_KVM_VM : NVFIO_EXT_KVM_OTHER;
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
	case NVFIO_EXT_KVM:
		ret = ext_kvm((struct nvfio_ext_kvm __user *)arg);
		break;
	case NVFIO_EXT_UNSAFE_MSI_LINE: {
		int id;

		ret = get_user(id, (int __user *)arg);
		if (!ret)
			nvfio_type1_test_refuse_unsafe_msi(id);
		break;
	}
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
