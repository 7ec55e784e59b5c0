// SPDX-License-Identifier: GPL-2.0-only
/*
 * inode.c - one inode (and so one address_space) per registered device.
 *
 * Device fds are anonymous files sharing the kernel's one anon inode, whose
 * mapping is common to every anon file in the system.  A bus driver that
 * must revoke user mmaps of a device (memory decode turned off, a reset)
 * needs a mapping that holds exactly that device's VMAs, so each device
 * gets an inode of its own from a private pseudo filesystem and every one
 * of its device files has f_mapping pointed at that inode's mapping before
 * it is installed: mmap(2) then links the VMAs into it and
 * unmap_mapping_range() on it zaps them all, whichever fd they came from.
 *
 * Lifetimes: the pseudo filesystem is mounted (kern_mount through
 * simple_pin_fs) while at least one device is registered; each inode is
 * allocated at registration and put after unregistration has waited for
 * the last device fd.  A VMA holds its file, so no mapping can outlive the
 * fds and the inode is unused by then.  The mount holds a reference on this
 * module, as any mounted filesystem does on its owner.
 *
 * Locking: simple_pin_fs()/simple_release_fs() serialize the mount count
 * themselves (pin_fs_lock); nothing else here is shared.
 */
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>

#include "core.h"

#define NVFIO_FS_MAGIC 0x6e766669 /* "nvfi" */

static struct vfsmount *nvfio_fs_mnt;
static int nvfio_fs_count;

static int nvfio_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, NVFIO_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type nvfio_fs_type = {
	.name = "nvfio",
	.owner = THIS_MODULE,
	.init_fs_context = nvfio_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

struct inode *nvfio_inode_alloc(void)
{
	struct inode *inode;
	int ret;

	ret = simple_pin_fs(&nvfio_fs_type, &nvfio_fs_mnt, &nvfio_fs_count);
	if (ret)
		return ERR_PTR(ret);

	inode = alloc_anon_inode(nvfio_fs_mnt->mnt_sb);
	if (IS_ERR(inode))
		simple_release_fs(&nvfio_fs_mnt, &nvfio_fs_count);
	return inode;
}

void nvfio_inode_free(struct inode *inode)
{
	iput(inode);
	simple_release_fs(&nvfio_fs_mnt, &nvfio_fs_count);
}
