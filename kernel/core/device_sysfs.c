// SPDX-License-Identifier: GPL-2.0-only
/*
 * device_sysfs.c - who uses a device: /sys/bus/<bus>/devices/<dev>/nvfio/,
 * read-only and root-only (mode 0400), and the per-fd holder records
 * behind its "holders" file.  docs/visibility.md is the reference for the
 * formats, which are a stable interface.
 *
 *   open_count  open device fds (decimal)
 *   holders     one line "<pid> <comm>" per process holding a device fd
 *   container   the id of the container the device's group is in (the
 *               directory name under debugfs nvfio/containers/), "none"
 *   revoked     1 once nvfio_device_set_revoked() was called, else 0
 * and whatever the bus driver adds (nvfio_device_ops.attrs).
 *
 * Lifetime: the directory is a kobject of its own (struct
 * nvfio_device_kobj), a child of the device's, added at registration and
 * deleted by unregistration once every fd is closed (so the holders of a
 * device being unbound stay visible while unbind waits for them).
 * kobject_del() waits for the reads in progress, so a show callback always
 * sees its device registered; the kobject itself is freed by its last put.
 *
 * Holders: a record per open device fd, made by GET_DEVICE_FD, with the
 * opening process (thread group) and its name at that moment; an fd passed
 * to another process or inherited over fork is still shown under its
 * opener.  Records of one process are kept next to each other so that the
 * file lists each process once.  vdev->holders_lock (spinlock, leaf)
 * protects the list; open_count is read under open_lock and the container
 * under group->lock, as they are written.
 */
#include <linux/kobject.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "core.h"
#include "nvfio_core_trace.h"

struct nvfio_device_kobj {
	struct kobject kobj;
	struct nvfio_device *vdev; /* valid until kobject_del() returns */
};

static ssize_t nvfio_device_attr_show(struct kobject *kobj,
				      struct attribute *attr, char *buf)
{
	struct nvfio_device_kobj *k = container_of(kobj, typeof(*k), kobj);
	const struct nvfio_device_attribute *a =
		container_of(attr, struct nvfio_device_attribute, attr);

	return a->show(k->vdev, buf);
}

static const struct sysfs_ops nvfio_device_sysfs_ops = {
	.show = nvfio_device_attr_show,
};

static void nvfio_device_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct nvfio_device_kobj, kobj));
}

static ssize_t open_count_show(struct nvfio_device *vdev, char *buf)
{
	unsigned int n;

	mutex_lock(&vdev->open_lock);
	n = vdev->open_count;
	mutex_unlock(&vdev->open_lock);
	return sysfs_emit(buf, "%u\n", n);
}

static ssize_t holders_show(struct nvfio_device *vdev, char *buf)
{
	struct nvfio_holder *h;
	struct pid *last = NULL;
	int len = 0;

	spin_lock(&vdev->holders_lock);
	list_for_each_entry(h, &vdev->holders, entry) {
		if (h->pid == last)
			continue;
		last = h->pid;
		len += sysfs_emit_at(buf, len, "%d %s\n", pid_vnr(h->pid),
				     h->comm);
	}
	spin_unlock(&vdev->holders_lock);
	return len;
}

static ssize_t container_show(struct nvfio_device *vdev, char *buf)
{
	struct nvfio_group *group = vdev->group;
	int id = -1;

	mutex_lock(&group->lock);
	if (group->container)
		id = group->container->id;
	mutex_unlock(&group->lock);
	if (id < 0)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%d\n", id);
}

static ssize_t revoked_show(struct nvfio_device *vdev, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(vdev->revoked));
}

static NVFIO_DEVICE_ATTR_RO(open_count);
static NVFIO_DEVICE_ATTR_RO(holders);
static NVFIO_DEVICE_ATTR_RO(container);
static NVFIO_DEVICE_ATTR_RO(revoked);

static struct attribute *nvfio_device_attrs[] = {
	&nvfio_dev_attr_open_count.attr,
	&nvfio_dev_attr_holders.attr,
	&nvfio_dev_attr_container.attr,
	&nvfio_dev_attr_revoked.attr,
	NULL,
};
ATTRIBUTE_GROUPS(nvfio_device);

static const struct kobj_type nvfio_device_ktype = {
	.sysfs_ops = &nvfio_device_sysfs_ops,
	.release = nvfio_device_kobj_release,
	.default_groups = nvfio_device_groups,
};

/* Registration: add nvfio/ under vdev->dev, with the bus driver's files. */
int nvfio_device_sysfs_add(struct nvfio_device *vdev)
{
	const struct nvfio_device_attribute *const *a;
	struct nvfio_device_kobj *k;
	int ret;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->vdev = vdev;
	ret = kobject_init_and_add(&k->kobj, &nvfio_device_ktype,
				   &vdev->dev->kobj, "nvfio");
	if (ret)
		goto err;
	for (a = vdev->ops->attrs; a && *a; a++) {
		ret = sysfs_create_file(&k->kobj, &(*a)->attr);
		if (ret)
			goto err;
	}
	vdev->sysfs = k;
	return 0;

err:
	/* kobject_put() removes whatever was added and frees @k. */
	kobject_put(&k->kobj);
	return ret;
}

/* Unregistration, no fd left: remove nvfio/ and wait for its readers. */
void nvfio_device_sysfs_remove(struct nvfio_device *vdev)
{
	struct nvfio_device_kobj *k = vdev->sysfs;

	vdev->sysfs = NULL;
	kobject_del(&k->kobj);
	kobject_put(&k->kobj);
}

/*
 * GET_DEVICE_FD: record the calling process as the holder of @file.
 * Records of the same process go next to each other (holders_show).
 */
struct nvfio_holder *nvfio_holder_alloc(void)
{
	struct nvfio_holder *h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);

	if (!h)
		return NULL;
	h->pid = get_pid(task_tgid(current));
	get_task_comm(h->comm, current->group_leader);
	return h;
}

void nvfio_holder_free(struct nvfio_holder *h)
{
	put_pid(h->pid);
	kfree(h);
}

void nvfio_holder_add(struct nvfio_device *vdev, struct nvfio_holder *h,
		      struct file *file)
{
	struct nvfio_holder *it;

	h->file = file;
	spin_lock(&vdev->holders_lock);
	list_for_each_entry(it, &vdev->holders, entry) {
		if (it->pid == h->pid) {
			list_add(&h->entry, &it->entry);
			goto out;
		}
	}
	list_add_tail(&h->entry, &vdev->holders);
out:
	spin_unlock(&vdev->holders_lock);
}

/* Release of @file: forget its record. */
void nvfio_holder_remove(struct nvfio_device *vdev, struct file *file)
{
	struct nvfio_holder *h, *found = NULL;

	spin_lock(&vdev->holders_lock);
	list_for_each_entry(h, &vdev->holders, entry) {
		if (h->file == file) {
			list_del(&h->entry);
			found = h;
			break;
		}
	}
	spin_unlock(&vdev->holders_lock);
	if (!WARN_ON_ONCE(!found))
		nvfio_holder_free(found);
}

/*
 * Revocation (revoke.c, under the gate's lock): move every record to
 * @list; the caller names them in its log line and frees them.  The
 * files' later releases do not look for them.
 */
void nvfio_holders_take(struct nvfio_device *vdev, struct list_head *list)
{
	lockdep_assert_held(&vdev->gate->lock);
	spin_lock(&vdev->holders_lock);
	list_splice_init(&vdev->holders, list);
	spin_unlock(&vdev->holders_lock);
}

void nvfio_device_set_revoked(struct nvfio_device *vdev)
{
	WRITE_ONCE(vdev->revoked, true);
	trace_device_revoke(dev_name(vdev->dev));
}
EXPORT_SYMBOL_GPL(nvfio_device_set_revoked);
