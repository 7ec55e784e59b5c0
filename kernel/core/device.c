// SPDX-License-Identifier: GPL-2.0-only
/*
 * device.c - registration of bus drivers' devices and the device fds that
 * VFIO_GROUP_GET_DEVICE_FD hands out.
 *
 * Lifetime of a struct nvfio_device (embedded in the bus driver's own
 * structure):
 *   - nvfio_register_device() sets @users to 1 (the registration) and puts
 *     the device on its group's list, where GET_DEVICE_FD finds it;
 *   - each device fd holds one @users reference, taken while the device is
 *     listed and @users is not zero;
 *   - nvfio_unregister_device() unlists the device (on 6.1 only after the
 *     wait: NVFIO_UNLIST_AFTER_RELEASE, so that new fds can still be
 *     opened meanwhile, as there), drops the registration reference and
 *     waits for @released, asking userspace to close its fds through
 *     ops->request every 10 seconds meanwhile;
 *   - then the group loses one driver count and may disappear.
 * @inode (inode.c) lives from registration to the end of unregistration;
 * every device fd's f_mapping is its i_mapping, so all user mmaps of the
 * device share one address_space the bus driver can zap.
 *
 * A no-IOMMU device (noiommu.c) can only be opened with CAP_SYS_RAWIO
 * (checked at its first open; on 6.1 at every open) and each of its fds is
 * logged.
 *
 * Each device fd has a holder record (device_sysfs.c: sysfs nvfio/holders)
 * from GET_DEVICE_FD to its release; nvfio/ itself exists from
 * registration until unregistration has waited for the last fd.  Opens
 * and closes fire the events nvfio:device_open/device_close.
 *
 * Device fds point to the device's gate (revoke.c), not to the device: their
 * operations run inside it, and after a revocation (the grace of
 * nvfio_unregister_device() ran out) they fail with -ENODEV while the
 * device itself is gone.
 *
 * Locking: the gate's lock is taken first by GET_DEVICE_FD, release and
 * revocation.  group->dev_lock protects the group's device list and the
 * @users 0->1 step (refcount_inc_not_zero under it).  @open_lock protects
 * @open_count and serializes ops->open_device/close_device; it nests inside
 * group->lock, which the first open and last close also need to take or
 * drop the group's container user.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "core.h"
#include "nvfio_core_trace.h"

void nvfio_device_put(struct nvfio_device *vdev)
{
	if (refcount_dec_and_test(&vdev->users))
		complete(&vdev->released);
}

/* Take @vdev off its group's list: GET_DEVICE_FD no longer finds it. */
static void nvfio_device_unlist(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;

	mutex_lock(&group->dev_lock);
	list_del_init(&vdev->group_entry);
	mutex_unlock(&group->dev_lock);
}

/* Find a registered device of @group by name and take a users reference. */
static struct nvfio_device *nvfio_device_find(struct nvfio_group *group,
					      const char *name)
{
	struct nvfio_device *it, *found = ERR_PTR(-ENODEV);

	mutex_lock(&group->dev_lock);
	list_for_each_entry(it, &group->devices, group_entry) {
		int match = it->ops->match ? it->ops->match(it, name) :
					     !strcmp(dev_name(it->dev), name);

		if (match < 0) {
			found = ERR_PTR(match);
			break;
		}
		if (match && refcount_inc_not_zero(&it->users)) {
			found = it;
			break;
		}
	}
	mutex_unlock(&group->dev_lock);
	return found;
}

/*
 * May the caller use @vdev through its group's container?  The backend must
 * be set, and a no-IOMMU device (which can DMA anywhere) needs
 * CAP_SYS_RAWIO.  group->lock held.
 */
static int nvfio_device_may_use(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;

	if (!nvfio_container_has_iommu(group->container))
		return -EINVAL;
	if (group->noiommu && !capable(CAP_SYS_RAWIO))
		return -EPERM;
	return 0;
}

/*
 * First open of a device: group->lock and vdev->open_lock held.  The device
 * becomes a user of the group's container: it needs the backend to be set
 * and pins the group file so the container cannot be detached under it.
 */
static int nvfio_device_first_open(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;
	int ret;

	ret = nvfio_device_may_use(vdev);
	if (ret)
		return ret;
	if (!try_module_get(vdev->dev->driver->owner))
		return -ENODEV;

	get_file(group->opened_file);
	group->container_users++;
	nvfio_device_get_kvm(vdev);

	if (vdev->ops->open_device) {
		ret = vdev->ops->open_device(vdev);
		if (ret) {
			nvfio_device_put_kvm(vdev);
			group->container_users--;
			fput(group->opened_file);
			module_put(vdev->dev->driver->owner);
			return ret;
		}
	}
	return 0;
}

/* Last close of a device: group->lock and vdev->open_lock held. */
static void nvfio_device_last_close(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;

	if (vdev->ops->close_device)
		vdev->ops->close_device(vdev);
	nvfio_device_put_kvm(vdev);
	group->container_users--;
	/* Deferred by the VFS: the group file's release runs later. */
	fput(group->opened_file);
	module_put(vdev->dev->driver->owner);
}

static int nvfio_device_open(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;
	int ret = 0;

	/* Exclusive with revocation (revoke.c). */
	lockdep_assert_held(&vdev->gate->lock);
	mutex_lock(&group->lock);
	if (!group->container) {
		/* Say so when the group could not even join a container. */
		if (group->iommu_group &&
		    iommu_group_dma_owner_claimed(group->iommu_group))
			nvfio_refuse_not_viable(group,
						"VFIO_GROUP_GET_DEVICE_FD");
		ret = -EINVAL;
		goto out;
	}
	mutex_lock(&vdev->open_lock);
	if (!vdev->open_count) {
		ret = nvfio_device_first_open(vdev);
	} else {
		/* 6.1 checks at every open, later kernels at the first. */
		if (NVFIO_NOIOMMU_RAWIO_EVERY_OPEN)
			ret = nvfio_device_may_use(vdev);
		/* 6.1: a module reference per fd (nvfio_compat.h) */
		if (!ret && NVFIO_DRIVER_REF_PER_FD &&
		    !try_module_get(vdev->dev->driver->owner))
			ret = -ENODEV;
	}
	if (!ret) {
		vdev->open_count++;
		trace_device_open(dev_name(vdev->dev), vdev->open_count);
	}
	mutex_unlock(&vdev->open_lock);
out:
	mutex_unlock(&group->lock);
	return ret;
}

static void nvfio_device_close(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;

	lockdep_assert_held(&vdev->gate->lock);
	mutex_lock(&group->lock);
	mutex_lock(&vdev->open_lock);
	trace_device_close(dev_name(vdev->dev), vdev->open_count - 1);
	if (!--vdev->open_count)
		nvfio_device_last_close(vdev);
	else if (NVFIO_DRIVER_REF_PER_FD)
		module_put(vdev->dev->driver->owner);
	mutex_unlock(&vdev->open_lock);
	mutex_unlock(&group->lock);
}

/*
 * The fd's users reference goes, unless a revocation has closed the
 * device for it already (then the gate is all that is left to drop).
 */
static int nvfio_device_fop_release(struct inode *inode, struct file *file)
{
	struct nvfio_gate *g = file->private_data;
	struct nvfio_device *vdev = NULL;

	mutex_lock(&g->lock);
	if (!g->revoked) {
		vdev = g->vdev;
		g->files--;
		nvfio_holder_remove(vdev, file);
		nvfio_device_close(vdev);
	}
	mutex_unlock(&g->lock);
	/* May let unregistration finish and free @vdev. */
	if (vdev)
		nvfio_device_put(vdev);
	nvfio_gate_put(g);
	return 0;
}

/*
 * Revocation (revoke.c), gate->lock held, no operation of the device in
 * flight and every mapping zapped: close the device once for all its
 * open fds, as their last release would, and take it off the group's
 * list.  If nobody else uses the group's container (no other device of
 * the group open, no external user), the group leaves it: its DMA
 * mappings are unmapped and unpinned and the IOMMU group goes back to
 * the kernel, so the device reaches no user memory.  The fds' users
 * references stay for the caller to drop.
 */
void nvfio_device_revoke_close(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;

	lockdep_assert_held(&vdev->gate->lock);
	nvfio_device_unlist(vdev);

	mutex_lock(&group->lock);
	mutex_lock(&vdev->open_lock);
	if (vdev->open_count) {
		trace_device_close(dev_name(vdev->dev), 0);
		/* 6.1: the module references of all but the last fd. */
		while (NVFIO_DRIVER_REF_PER_FD && vdev->open_count > 1) {
			module_put(vdev->dev->driver->owner);
			vdev->open_count--;
		}
		vdev->open_count = 0;
		nvfio_device_last_close(vdev);
	}
	mutex_unlock(&vdev->open_lock);
	if (group->container && group->container_users == 1)
		nvfio_container_detach_group(group);
	mutex_unlock(&group->lock);
}

/*
 * VFIO_DEVICE_FEATURE: the core checks the header for every bus driver, as
 * mainline does (argsz, known flags, GET and SET together only with PROBE:
 * -EINVAL), then hands the feature to the bus driver's ioctl.  A feature no
 * one implements (migration and DMA logging among them) is -ENOTTY.
 */
static long nvfio_device_feature(struct nvfio_device *vdev, unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_device_feature, flags);
	u32 known = VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE;
	struct vfio_device_feature feature;
	u32 both = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;

	if (copy_from_user(&feature, (void __user *)arg, minsz))
		return -EFAULT;
	if (feature.argsz < minsz || feature.flags & ~known)
		return -EINVAL;
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & both) == both)
		return -EINVAL;
	return vdev->ops->ioctl(vdev, VFIO_DEVICE_FEATURE, arg);
}

/*
 * The device-fd operations run inside the gate (revoke.c): an SRCU read
 * section in which the device is used only if it was not revoked.
 */
static long nvfio_device_ioctl(struct nvfio_device *vdev, unsigned int cmd,
			       unsigned long arg)
{
	if (!vdev->ops->ioctl)
		return -EINVAL;
	if (cmd == VFIO_DEVICE_FEATURE)
		return nvfio_device_feature(vdev, arg);
	return vdev->ops->ioctl(vdev, cmd, arg);
}

static long nvfio_device_fop_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	struct nvfio_gate *g = file->private_data;
	long ret = -ENODEV;
	int idx;

	idx = srcu_read_lock(&g->srcu);
	if (!READ_ONCE(g->revoked))
		ret = nvfio_device_ioctl(g->vdev, cmd, arg);
	srcu_read_unlock(&g->srcu, idx);
	return ret;
}

/*
 * Region accesses.  The bus driver's read/write run inside the gate, and
 * nothing in there may wait on the user's memory for long: a buffer whose
 * pages come late (userfaultfd, a stuck FUSE server) would hold up a
 * revocation.  So the user's buffer is touched outside the gate:
 *
 * - An access of at most NVFIO_RW_BOUNCE bytes (the 1- to 8-byte register
 *   accesses that make up nearly all of them) goes through a kernel
 *   buffer: a write copies the user's bytes in before entering the gate,
 *   a read copies them out after leaving it.  The user's memory is
 *   touched once, as by mainline.  A write whose buffer cannot be read in
 *   full takes the path below instead, so that, as on mainline, the
 *   pieces before the fault are written and the call fails with -EFAULT.
 *   A read whose buffer cannot take the bytes fails with -EFAULT and
 *   leaves *ppos alone, as on mainline, but it has read the device for
 *   the whole access where mainline stops after the first piece it cannot
 *   copy out: only an access done in several pieces (an unaligned one,
 *   8 bytes of config space or ROM, 8 bytes on 6.1, one across the MSI-X
 *   table) into a buffer that faults differs, and that is the price of
 *   not walking the buffer's page tables on every read.
 * - A larger access faults the user's buffer in first, outside the gate,
 *   then runs on the user's buffer; a buffer that is still bad is left
 *   for the operation to refuse with -EFAULT.  For a read,
 *   fault_in_safe_writeable() alone takes mmap_lock and walks every page
 *   even when all are there: each page is checked locklessly first, and
 *   the slow fault-in runs only from the first page that is not.
 */
static void nvfio_fault_in_writeable(char __user *buf, size_t count)
{
	unsigned long start = (unsigned long)buf, end, addr;
	struct page *page;

	if (!count)
		return;
	if (check_add_overflow(start, count - 1, &end)) {
		fault_in_safe_writeable(buf, count);
		return;
	}
	for (addr = start & PAGE_MASK; addr <= end; addr += PAGE_SIZE) {
		if (!get_user_page_fast_only(addr, FOLL_WRITE, &page)) {
			addr = max(addr, start);
			fault_in_safe_writeable((char __user *)addr,
						end - addr + 1);
			return;
		}
		put_page(page);
		if (addr + PAGE_SIZE < addr)
			return;
	}
}

/* One read or write inside the gate; *@ppos advanced by what was done. */
static ssize_t nvfio_device_rw(struct nvfio_gate *g, struct iov_iter *iter,
			       loff_t *ppos, bool iswrite)
{
	struct nvfio_device *vdev;
	ssize_t ret = -ENODEV;
	int idx;

	idx = srcu_read_lock(&g->srcu);
	if (!READ_ONCE(g->revoked)) {
		vdev = g->vdev;
		if (iswrite)
			ret = vdev->ops->write ?
				      vdev->ops->write(vdev, iter, ppos) :
				      -EINVAL;
		else
			ret = vdev->ops->read ?
				      vdev->ops->read(vdev, iter, ppos) :
				      -EINVAL;
	}
	srcu_read_unlock(&g->srcu, idx);
	return ret;
}

static ssize_t nvfio_device_fop_read(struct file *file, char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct nvfio_gate *g = file->private_data;
	u8 bounce[NVFIO_RW_BOUNCE];
	struct iov_iter iter;
	struct kvec kv;
	loff_t pos = *ppos;
	ssize_t ret;

	if (count <= sizeof(bounce)) {
		kv.iov_base = bounce;
		kv.iov_len = count;
		iov_iter_kvec(&iter, ITER_DEST, &kv, 1, count);
		ret = nvfio_device_rw(g, &iter, &pos, false);
		if (ret > 0 && copy_to_user(buf, bounce, ret))
			return -EFAULT;
	} else {
		nvfio_fault_in_writeable(buf, count);
		iov_iter_ubuf(&iter, ITER_DEST, buf, count);
		ret = nvfio_device_rw(g, &iter, &pos, false);
	}
	if (ret >= 0)
		*ppos = pos;
	return ret;
}

static ssize_t nvfio_device_fop_write(struct file *file, const char __user *buf,
				      size_t count, loff_t *ppos)
{
	struct nvfio_gate *g = file->private_data;
	u8 bounce[NVFIO_RW_BOUNCE];
	struct iov_iter iter;
	struct kvec kv;
	loff_t pos = *ppos;
	ssize_t ret;

	if (count <= sizeof(bounce) && !copy_from_user(bounce, buf, count)) {
		kv.iov_base = bounce;
		kv.iov_len = count;
		iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, count);
	} else {
		fault_in_readable(buf, count);
		iov_iter_ubuf(&iter, ITER_SOURCE, (char __user *)buf, count);
	}
	ret = nvfio_device_rw(g, &iter, &pos, true);
	if (ret >= 0)
		*ppos = pos;
	return ret;
}

/*
 * The bus driver's mmap sets its vm_ops; the core puts its own in their
 * place (nvfio_gate_vm_ops, revoke.c), which call the bus driver's fault
 * handler inside the gate, so that no VMA can reach the bus driver (or
 * its module, which may be gone) after a revocation.  Only the fault
 * handlers are supported (fault, and huge_fault where the kernel has huge
 * pfn mappings, nvfio_compat.h), and one set of vm_ops per device.
 */
static int nvfio_device_mmap(struct nvfio_gate *g, struct vm_area_struct *vma)
{
	struct nvfio_device *vdev = g->vdev;
	const struct vm_operations_struct *bus;
	int ret;

	if (!vdev->ops->mmap)
		return -EINVAL;
	ret = vdev->ops->mmap(vdev, vma);
	if (ret)
		return ret;
	bus = vma->vm_ops;
	if (WARN_ON_ONCE(!bus || !bus->fault || bus->open || bus->close))
		return -EINVAL;
	if (!READ_ONCE(g->bus_vm_ops))
		cmpxchg(&g->bus_vm_ops, NULL, bus);
	if (WARN_ON_ONCE(READ_ONCE(g->bus_vm_ops) != bus))
		return -EINVAL;
	vma->vm_ops = &nvfio_gate_vm_ops;
	return 0;
}

static int nvfio_device_fop_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct nvfio_gate *g = file->private_data;
	int ret = -ENODEV;
	int idx;

	idx = srcu_read_lock(&g->srcu);
	if (!READ_ONCE(g->revoked))
		ret = nvfio_device_mmap(g, vma);
	srcu_read_unlock(&g->srcu, idx);
	return ret;
}

static const struct file_operations nvfio_device_fops = {
	.owner = THIS_MODULE,
	.release = nvfio_device_fop_release,
	.read = nvfio_device_fop_read,
	.write = nvfio_device_fop_write,
	.unlocked_ioctl = nvfio_device_fop_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = nvfio_device_fop_mmap,
};

/*
 * The gate of a device file (revoke.c), or NULL for other files.  Use the
 * device behind it only inside the gate.
 */
struct nvfio_gate *nvfio_gate_from_file(struct file *file)
{
	if (file->f_op != &nvfio_device_fops)
		return NULL;
	return file->private_data;
}

/* VFIO_GROUP_GET_DEVICE_FD: return a new fd for device @name of @group. */
int nvfio_device_open_fd(struct nvfio_group *group, const char *name)
{
	struct nvfio_holder *holder;
	struct nvfio_device *vdev;
	struct nvfio_gate *g;
	struct file *file;
	int fd, ret;

	vdev = nvfio_device_find(group, name);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	g = vdev->gate;

	holder = nvfio_holder_alloc();
	if (!holder) {
		ret = -ENOMEM;
		goto err_put;
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_holder;
	}
	/* Found before a revocation unlisted it: it is gone all the same. */
	mutex_lock(&g->lock);
	ret = g->revoked ? -ENODEV : nvfio_device_open(vdev);
	if (ret)
		goto err_unlock;

	file = anon_inode_getfile("[vfio-device]", &nvfio_device_fops, g,
				  O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		nvfio_device_close(vdev);
		goto err_unlock;
	}
	/* The file's users reference (from the find) and gate reference. */
	nvfio_gate_get(g);
	g->files++;
	/* Region access goes through pread/pwrite at region offsets. */
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
	/* mmaps land in the device's own mapping (inode.c), before any mmap */
	file->f_mapping = vdev->inode->i_mapping;
	/* Every fd of a device that can DMA anywhere goes into the log. */
	if (group->noiommu)
		dev_warn(vdev->dev,
			 "vfio-noiommu device opened by user (%s:%d)\n",
			 current->comm, task_pid_nr(current));
	nvfio_holder_add(vdev, holder, file);
	mutex_unlock(&g->lock);
	fd_install(fd, file);
	return fd;

err_unlock:
	mutex_unlock(&g->lock);
	put_unused_fd(fd);
err_holder:
	nvfio_holder_free(holder);
err_put:
	nvfio_device_put(vdev);
	return ret;
}

int nvfio_register_device(struct nvfio_device *vdev, struct device *dev,
			  const struct nvfio_device_ops *ops)
{
	struct nvfio_group *group;
	struct inode *inode;
	int ret;

	if (WARN_ON(!dev || !ops))
		return -EINVAL;

	inode = nvfio_inode_alloc();
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	/* The gate owns the inode from here on. */
	vdev->gate = nvfio_gate_create(vdev, inode);
	if (IS_ERR(vdev->gate)) {
		ret = PTR_ERR(vdev->gate);
		vdev->gate = NULL;
		nvfio_inode_free(inode);
		return ret;
	}
	vdev->inode = inode;
	vdev->dev = get_device(dev);
	vdev->ops = ops;
	refcount_set(&vdev->users, 1);
	init_completion(&vdev->released);
	mutex_init(&vdev->open_lock);
	INIT_LIST_HEAD(&vdev->group_entry);
	spin_lock_init(&vdev->holders_lock);
	INIT_LIST_HEAD(&vdev->holders);
	vdev->revoked = false;

	group = nvfio_group_get_or_create(dev);
	if (IS_ERR(group)) {
		put_device(dev);
		nvfio_gate_put(vdev->gate);
		vdev->gate = NULL;
		vdev->inode = NULL;
		return PTR_ERR(group);
	}

	/*
	 * Type1 always maps with IOMMU_CACHE, since userspace has no way to
	 * restore coherency itself: a device behind an IOMMU that cannot
	 * enforce it is refused, as on mainline.  A no-IOMMU device has no
	 * IOMMU to ask and no mappings.
	 */
	if (!group->noiommu &&
	    !device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY)) {
		dev_warn(
			dev,
			"nvfio: its IOMMU cannot enforce cache-coherent DMA; refusing the device\n");
		ret = -EINVAL;
		goto err_group;
	}
	WRITE_ONCE(vdev->group, group);
	/* nvfio/ in sysfs, before anyone can open the device. */
	ret = nvfio_device_sysfs_add(vdev);
	if (ret) {
		WRITE_ONCE(vdev->group, NULL);
		goto err_group;
	}

	mutex_lock(&group->dev_lock);
	list_add_tail(&vdev->group_entry, &group->devices);
	mutex_unlock(&group->dev_lock);
	return 0;

err_group:
	nvfio_group_put_driver(group, dev);
	put_device(dev);
	nvfio_gate_put(vdev->gate);
	vdev->gate = NULL;
	vdev->inode = NULL;
	return ret;
}
EXPORT_SYMBOL_GPL(nvfio_register_device);

void nvfio_unregister_device(struct nvfio_device *vdev)
{
	struct nvfio_group *group = vdev->group;
	unsigned int grace_ms = nvfio_revoke_grace();
	unsigned long revoke_at = jiffies + msecs_to_jiffies(grace_ms);
	unsigned int asked = 0;
	bool interrupted = false;
	long left, timeout;

	/* @group is set exactly while the device is registered. */
	if (WARN_ON(!group))
		return;

	/* No new device fd from here on (6.1: see below). */
	if (!NVFIO_UNLIST_AFTER_RELEASE)
		nvfio_device_unlist(vdev);

	/*
	 * Drop the registration's reference and wait for the fds' ones.  A
	 * wait that returns > 0 has consumed the completion: that ends the
	 * loop, it must not be waited for (or tried) a second time.
	 */
	nvfio_device_put(vdev);
	left = try_wait_for_completion(&vdev->released);
	while (left <= 0) {
		/*
		 * The grace (read once, at the start; 0: none) is over:
		 * revoke, which drops the fds' references (revoke.c).
		 */
		if (grace_ms && time_after_eq(jiffies, revoke_at)) {
			nvfio_device_revoke(vdev, grace_ms);
			wait_for_completion(&vdev->released);
			break;
		}
		if (vdev->ops->request)
			vdev->ops->request(vdev, asked++);
		timeout = 10 * HZ;
		if (grace_ms)
			timeout =
				clamp_t(long, revoke_at - jiffies, 1, timeout);
		if (interrupted) {
			left = wait_for_completion_timeout(&vdev->released,
							   timeout);
			continue;
		}
		left = wait_for_completion_interruptible_timeout(
			&vdev->released, timeout);
		if (left < 0) {
			/* A signal cannot cancel a removal: keep waiting. */
			interrupted = true;
			dev_warn(
				vdev->dev,
				"nvfio: device in use; \"%s\" (%d) waits for userspace to close it\n",
				current->comm, task_pid_nr(current));
		}
	}

	/*
	 * 6.1: unlisted only now.  @users is zero, so a GET_DEVICE_FD racing
	 * with this cannot take a reference (refcount_inc_not_zero) any more.
	 */
	if (NVFIO_UNLIST_AFTER_RELEASE)
		nvfio_device_unlist(vdev);
	/* Kept until now: it shows who holds the device meanwhile. */
	nvfio_device_sysfs_remove(vdev);
	WRITE_ONCE(vdev->group, NULL);
	nvfio_group_put_driver(group, vdev->dev);
	mutex_destroy(&vdev->open_lock);
	/*
	 * The registration's gate reference; the gate and the inode stay
	 * while revoked fds (and their VMAs) are left.
	 */
	nvfio_gate_put(vdev->gate);
	vdev->gate = NULL;
	vdev->inode = NULL;
	put_device(vdev->dev);
}
EXPORT_SYMBOL_GPL(nvfio_unregister_device);
