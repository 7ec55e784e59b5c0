// SPDX-License-Identifier: GPL-2.0-only
/*
 * container.c - /dev/vfio/vfio, the containers it hands out, and the
 * registry of IOMMU backends.
 *
 * A container starts unprivileged: it can only answer API-version and
 * extension queries.  Attaching a group (VFIO_GROUP_SET_CONTAINER, which
 * claims DMA ownership of the group) lets the user choose a backend
 * (VFIO_SET_IOMMU); from then on every other container operation goes to
 * the backend.  When the last group leaves, the backend is released and
 * the container is unprivileged again.
 *
 * Locking: container->lock (rw_semaphore) protects the group list and the
 * backend pointers.  It is held for write while they change (attach,
 * detach, SET_IOMMU) and for read around every call into the backend, so
 * the backend's data cannot be released under a running ioctl while
 * several ioctls may still run in parallel.  nvfio_backends.lock protects
 * the registry list; it nests inside container->lock.
 *
 * No-IOMMU groups (noiommu.c) and groups with a real IOMMU never share a
 * container, and a container of no-IOMMU groups uses only the no-IOMMU
 * backend (which the others never use): @noiommu says which kind the
 * container holds.  No-IOMMU groups need CAP_SYS_RAWIO to attach and claim
 * no DMA ownership (there is no IOMMU to take it from the kernel).
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "core.h"

struct nvfio_backend {
	const struct nvfio_iommu_ops *ops;
	struct list_head entry;
};

static struct {
	struct mutex lock;
	struct list_head list; /* of nvfio_backend.entry */
} nvfio_backends = {
	.lock = __MUTEX_INITIALIZER(nvfio_backends.lock),
	.list = LIST_HEAD_INIT(nvfio_backends.list),
};

int nvfio_register_iommu_driver(const struct nvfio_iommu_ops *ops)
{
	struct nvfio_backend *b, *it;

	if (WARN_ON(!ops->open || !ops->release || !ops->ioctl ||
		    !ops->attach_group || !ops->detach_group))
		return -EINVAL;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->ops = ops;

	mutex_lock(&nvfio_backends.lock);
	list_for_each_entry(it, &nvfio_backends.list, entry) {
		if (it->ops == ops) {
			mutex_unlock(&nvfio_backends.lock);
			kfree(b);
			return -EINVAL;
		}
	}
	list_add_tail(&b->entry, &nvfio_backends.list);
	mutex_unlock(&nvfio_backends.lock);
	return 0;
}
EXPORT_SYMBOL_GPL(nvfio_register_iommu_driver);

/*
 * A backend in use by a container holds a module reference, so this only
 * runs once no container uses @ops.
 */
void nvfio_unregister_iommu_driver(const struct nvfio_iommu_ops *ops)
{
	struct nvfio_backend *b;

	mutex_lock(&nvfio_backends.lock);
	list_for_each_entry(b, &nvfio_backends.list, entry) {
		if (b->ops == ops) {
			list_del(&b->entry);
			kfree(b);
			break;
		}
	}
	mutex_unlock(&nvfio_backends.lock);
}
EXPORT_SYMBOL_GPL(nvfio_unregister_iommu_driver);

static void nvfio_container_free(struct kref *ref)
{
	struct nvfio_container *c = container_of(ref, typeof(*c), ref);

	WARN_ON(!list_empty(&c->groups) || c->iommu);
	nvfio_debugfs_container_remove(c);
	kfree(c);
}

static void nvfio_container_put(struct nvfio_container *c)
{
	kref_put(&c->ref, nvfio_container_free);
}

bool nvfio_container_has_iommu(struct nvfio_container *c)
{
	bool ret;

	down_read(&c->lock);
	ret = c->iommu;
	up_read(&c->lock);
	return ret;
}

/*
 * Whether @c may use backend @ops: the no-IOMMU backend serves exactly the
 * containers of no-IOMMU groups.  Only meaningful while @c has groups;
 * container->lock held.
 */
static bool nvfio_backend_allowed(struct nvfio_container *c,
				  const struct nvfio_iommu_ops *ops)
{
	return c->noiommu == (ops == &nvfio_noiommu_ops);
}

/*
 * Attach every group of @c to a newly opened backend; on failure detach
 * the ones already attached.  container->lock held for write.
 */
static int nvfio_attach_all_groups(struct nvfio_container *c,
				   const struct nvfio_iommu_ops *ops,
				   void *data)
{
	struct nvfio_group *g;
	int ret;

	list_for_each_entry(g, &c->groups, container_entry) {
		ret = ops->attach_group(data, g->iommu_group);
		if (ret)
			goto unwind;
	}
	return 0;

unwind:
	list_for_each_entry_continue_reverse(g, &c->groups, container_entry)
		ops->detach_group(data, g->iommu_group);
	return ret;
}

static long nvfio_ioctl_set_iommu(struct nvfio_container *c, unsigned long arg)
{
	struct nvfio_backend *b;
	long ret = -ENODEV;

	down_write(&c->lock);
	/* Only a group brings the privilege to allocate IOMMU resources. */
	if (list_empty(&c->groups) || c->iommu) {
		up_write(&c->lock);
		return -EINVAL;
	}

	mutex_lock(&nvfio_backends.lock);
	list_for_each_entry(b, &nvfio_backends.list, entry) {
		const struct nvfio_iommu_ops *ops = b->ops;
		void *data;

		if (!nvfio_backend_allowed(c, ops))
			continue;
		if (!try_module_get(ops->owner))
			continue;
		/* SET_IOMMU's argument is an extension the backend claims. */
		if (ops->ioctl(NULL, VFIO_CHECK_EXTENSION, arg) <= 0) {
			module_put(ops->owner);
			continue;
		}
		data = ops->open(arg);
		if (IS_ERR(data)) {
			ret = PTR_ERR(data);
			module_put(ops->owner);
			continue;
		}
		ret = nvfio_attach_all_groups(c, ops, data);
		if (ret) {
			ops->release(data);
			module_put(ops->owner);
			continue;
		}
		c->iommu = ops;
		c->iommu_data = data;
		break;
	}
	mutex_unlock(&nvfio_backends.lock);
	up_write(&c->lock);
	return ret;
}

long nvfio_container_check_extension(struct nvfio_container *c,
				     unsigned long arg)
{
	struct nvfio_backend *b;
	long ret = 0;

	down_read(&c->lock);
	if (c->iommu) {
		ret = c->iommu->ioctl(c->iommu_data, VFIO_CHECK_EXTENSION, arg);
		up_read(&c->lock);
		return ret;
	}

	/*
	 * No backend chosen yet: the first one that claims it answers, among
	 * those the groups attached so far could use.
	 */
	mutex_lock(&nvfio_backends.lock);
	list_for_each_entry(b, &nvfio_backends.list, entry) {
		if (!list_empty(&c->groups) &&
		    !nvfio_backend_allowed(c, b->ops))
			continue;
		if (!try_module_get(b->ops->owner))
			continue;
		ret = b->ops->ioctl(NULL, VFIO_CHECK_EXTENSION, arg);
		module_put(b->ops->owner);
		if (ret > 0)
			break;
	}
	mutex_unlock(&nvfio_backends.lock);
	up_read(&c->lock);
	return ret;
}

static long nvfio_container_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	struct nvfio_container *c = file->private_data;
	long ret = -EINVAL; /* what mainline answers before SET_IOMMU */

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return nvfio_container_check_extension(c, arg);
	case VFIO_SET_IOMMU:
		return nvfio_ioctl_set_iommu(c, arg);
	}

	/*
	 * Deliberately unlike mainline 6.12, which calls the backend here
	 * with no lock: there the release of the backend's data when the
	 * last group leaves can run under this call (a use-after-free;
	 * tests/test_stress.c, stress_map_vs_last_detach).
	 */
	down_read(&c->lock);
	if (c->iommu)
		ret = c->iommu->ioctl(c->iommu_data, cmd, arg);
	up_read(&c->lock);
	return ret;
}

/*
 * read/write: mainline's container has no such operations, so the VFS
 * answers -EINVAL; we answer the same unless the chosen backend implements
 * them.  There is no mmap at all, as on mainline (-ENODEV): see struct
 * nvfio_iommu_ops for why a backend cannot have one.
 */
static ssize_t nvfio_container_read(struct file *file, char __user *buf,
				    size_t count, loff_t *ppos)
{
	struct nvfio_container *c = file->private_data;
	ssize_t ret = -EINVAL;

	down_read(&c->lock);
	if (c->iommu && c->iommu->read)
		ret = c->iommu->read(c->iommu_data, buf, count, ppos);
	up_read(&c->lock);
	return ret;
}

static ssize_t nvfio_container_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct nvfio_container *c = file->private_data;
	ssize_t ret = -EINVAL;

	down_read(&c->lock);
	if (c->iommu && c->iommu->write)
		ret = c->iommu->write(c->iommu_data, buf, count, ppos);
	up_read(&c->lock);
	return ret;
}

static int nvfio_container_open(struct inode *inode, struct file *file)
{
	struct nvfio_container *c;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	kref_init(&c->ref);
	init_rwsem(&c->lock);
	INIT_LIST_HEAD(&c->groups);
	ret = nvfio_debugfs_container_add(c);
	if (ret) {
		kfree(c);
		return ret;
	}
	file->private_data = c;
	return 0;
}

static int nvfio_container_release(struct inode *inode, struct file *file)
{
	struct nvfio_container *c = file->private_data;

	file->private_data = NULL;
	nvfio_container_put(c);
	return 0;
}

static const struct file_operations nvfio_container_fops = {
	.owner = THIS_MODULE,
	.open = nvfio_container_open,
	.release = nvfio_container_release,
	.unlocked_ioctl = nvfio_container_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.read = nvfio_container_read,
	.write = nvfio_container_write,
};

struct nvfio_container *nvfio_container_from_file(struct file *file)
{
	if (file->f_op != &nvfio_container_fops)
		return NULL;
	return file->private_data;
}

/* The blockers of one refused group, gathered into one log line. */
/*
 * VFIO_GROUP_SET_CONTAINER: @group->lock held, @group has no container.
 * Claims DMA ownership of the IOMMU group, which fails while any device of
 * it is bound to a kernel driver that does DMA (the viability rule), and
 * keeps such drivers from binding until the group leaves the container.
 * A no-IOMMU group needs CAP_SYS_RAWIO instead, and may only join a
 * container of its own kind (-EPERM otherwise, as on mainline).
 */
int nvfio_container_attach_group(struct nvfio_container *c,
				 struct nvfio_group *group)
{
	int ret = 0;

	lockdep_assert_held(&group->lock);

	if (group->noiommu && !capable(CAP_SYS_RAWIO))
		return -EPERM;

	down_write(&c->lock);
	if (!list_empty(&c->groups) && c->noiommu != group->noiommu) {
		ret = -EPERM;
		goto out;
	}
	if (!group->noiommu) {
		ret = iommu_group_claim_dma_owner(group->iommu_group, group);
		if (ret) {
			nvfio_refuse_not_viable(group,
						"VFIO_GROUP_SET_CONTAINER");
			goto out;
		}
	}

	if (c->iommu) {
		ret = c->iommu->attach_group(c->iommu_data, group->iommu_group);
		if (ret) {
			if (!group->noiommu)
				iommu_group_release_dma_owner(
					group->iommu_group);
			goto out;
		}
	}

	kref_get(&c->ref);
	list_add_tail(&group->container_entry, &c->groups);
	c->noiommu = group->noiommu;
	group->container = c;
	group->container_users = 1;
out:
	up_write(&c->lock);
	return ret;
}

/*
 * Detach @group from its container: @group->lock held.  Normally nothing
 * else uses the container through the group (container_users == 1); when
 * the group's last device is gone the detach is forced and revokes any
 * remaining external user.  The last group leaving releases the backend.
 */
void nvfio_container_detach_group(struct nvfio_group *group)
{
	struct nvfio_container *c = group->container;

	lockdep_assert_held(&group->lock);

	down_write(&c->lock);
	if (c->iommu)
		c->iommu->detach_group(c->iommu_data, group->iommu_group);
	if (!group->noiommu)
		iommu_group_release_dma_owner(group->iommu_group);
	list_del(&group->container_entry);
	group->container = NULL;
	group->container_users = 0;

	if (c->iommu && list_empty(&c->groups)) {
		const struct nvfio_iommu_ops *ops = c->iommu;

		ops->release(c->iommu_data);
		c->iommu = NULL;
		c->iommu_data = NULL;
		module_put(ops->owner);
	}
	up_write(&c->lock);
	nvfio_container_put(c);
}

static struct miscdevice nvfio_container_misc = {
	.minor = VFIO_MINOR,
	.name = "vfio",
	.nodename = "vfio/vfio",
	.mode = 0666,
	.fops = &nvfio_container_fops,
};

/* The no-IOMMU backend is registered before any container can exist. */
int nvfio_container_init(void)
{
	int ret = nvfio_noiommu_init();

	if (ret)
		return ret;
	ret = misc_register(&nvfio_container_misc);
	if (ret == -EBUSY)
		pr_err("nvfio: /dev/vfio/vfio (misc minor %d) is taken: mainline's vfio module is probably loaded; unload it first (modprobe -r vfio-pci vfio_iommu_type1 vfio)\n",
		       VFIO_MINOR);
	else if (ret)
		pr_err("nvfio: cannot register /dev/vfio/vfio: %d\n", ret);
	if (ret)
		nvfio_noiommu_exit();
	return ret;
}

void nvfio_container_exit(void)
{
	misc_deregister(&nvfio_container_misc);
	nvfio_noiommu_exit();
}
