/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core.h - objects private to nvfio.ko and how they are locked.
 *
 * Lock order (outer to inner); never take an outer lock while holding an
 * inner one:
 *
 *   gate->lock                 (per device, revoke.c) opening a device fd,
 *                              releasing one, revocation; never held by
 *                              the fd operations (SRCU readers of the gate)
 *   nvfio_groups.lock          list of groups, group creation/removal
 *     group->lock              container attachment, opened file, users
 *       device->open_lock      open_count, open/close_device callbacks;
 *                              the bus driver's own locks nest inside it
 *                              (vfio-pci: its reset-domain lock first)
 *         group->kvm_lock      (spinlock) group->kvm; read by a device's
 *                              first open, written by vfio_file_set_kvm
 *       container->lock (rw)   group list and backend of one container
 *         nvfio_backends.lock  registered IOMMU backends
 *   group->dev_lock            the group's device list (leaf lock)
 *   device->holders_lock       (spinlock, leaf) the device's holder records
 *
 * The visibility files (device_sysfs.c, debugfs.c) read under the lock
 * that protects what they show; sysfs and debugfs removal wait for their
 * readers, and no path removes them holding a lock a reader takes.
 *
 * What bus drivers call while holding their own locks takes none of these:
 * nvfio_file_has_dev() compares pointers (vfio-pci's hot reset calls it
 * under its reset-domain lock, which nests inside group->lock above).
 *
 * Who holds what (the reason close-in-any-order is safe):
 *   - a container fd holds one container reference (kref);
 *   - a group attached to a container holds one container reference and
 *     the container holds no reference on the group (it is unlinked by the
 *     group before the group goes away);
 *   - a container with a backend holds a module reference on the backend;
 *   - the first open device fd of a device takes a reference on the group
 *     *file* (so the group fd's release, which detaches the container,
 *     cannot run while any device of the group is open), a "container
 *     user" on the group and a module reference on the bus driver;
 *   - every device fd holds a users reference on its nvfio_device, which
 *     nvfio_unregister_device() waits for;
 *   - an open group fd keeps the group's memory alive through its cdev
 *     (the cdev's kobject holds the group's struct device); each
 *     registered device holds one "drivers" count that keeps the group
 *     listed and its chardev present.
 */
#ifndef NVFIO_CORE_H
#define NVFIO_CORE_H

#include <linux/cdev.h>
#include <linux/kref.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>

#include "nvfio.h"
#include "nvfio_compat.h"

/* Module-wide state of the core, see main.c. */
struct nvfio_groups {
	struct mutex lock; /* protects @list and group creation */
	struct list_head list; /* of nvfio_group.core_entry */
	struct class *class; /* "vfio": /dev/vfio/<id> nodes */
	dev_t devt; /* first of our chardev numbers */
	struct ida minors; /* minor numbers in use */
};

extern struct nvfio_groups nvfio_groups;

/**
 * struct nvfio_container - what /dev/vfio/vfio hands out
 * @ref:        container fd + one per attached group
 * @lock:       write: group list and backend changes; read: backend calls
 * @groups:     attached groups (nvfio_group.container_entry); @lock
 * @iommu:      the backend once VFIO_SET_IOMMU succeeded, else NULL; @lock
 * @iommu_data: the backend's private data; @lock
 * @noiommu:    the attached groups are no-IOMMU groups (noiommu.c), which
 *              mix with no others and use only the no-IOMMU backend;
 *              meaningful while @groups is not empty; @lock
 * @id:         small integer from open to free: its debugfs directory
 *              nvfio/containers/<id>/ (debugfs.c) and sysfs nvfio/container
 * @debugfs:    that directory, or NULL
 */
struct nvfio_container {
	struct kref ref;
	struct rw_semaphore lock;
	struct list_head groups;
	const struct nvfio_iommu_ops *iommu;
	void *iommu_data;
	bool noiommu;
	int id;
	struct dentry *debugfs;
};

/*
 * One open device fd and the process that opened it (device_sysfs.c);
 * in nvfio_device.holders, under its holders_lock.
 */
struct nvfio_holder {
	struct list_head entry;
	struct file *file;
	struct pid *pid; /* the opener's thread group (reference held) */
	char comm[TASK_COMM_LEN]; /* its name when it opened the fd */
};

/**
 * struct nvfio_gate - what a device fd points to (revoke.c)
 * @srcu:       read side: every device-fd operation and BAR fault
 * @ref:        the registration + one per device file
 * @lock:       outermost lock of the device, see revoke.c
 * @revoked:    set once under @lock; readers: READ_ONCE() in @srcu
 * @files:      device files whose users reference is still held; @lock
 * @vdev:       the device; only for readers that saw !@revoked, and for
 *              holders of @lock while !@revoked
 * @inode:      the device's inode (inode.c), freed with the gate
 * @bus_vm_ops: the bus driver's vm_ops, which nvfio_gate_vm_ops wrap
 */
struct nvfio_gate {
	struct srcu_struct srcu;
	struct kref ref;
	struct mutex lock;
	bool revoked;
	unsigned int files;
	struct nvfio_device *vdev;
	struct inode *inode;
	const struct vm_operations_struct *bus_vm_ops;
};

/**
 * struct nvfio_group - one IOMMU group with at least one registered device
 * @dev, @cdev:     /dev/vfio/<id>; @dev's refcount is the group's lifetime
 * @core_entry:     in nvfio_groups.list; nvfio_groups.lock
 * @drivers:        registered devices; dropping to zero removes the chardev
 * @id:             the IOMMU group's number (kept when @iommu_group goes)
 * @noiommu:        set at creation, never changes: @iommu_group was made up
 *                  for one device that has no IOMMU (noiommu.c) and the
 *                  chardev is /dev/vfio/noiommu-<id>
 * @lock:           protects every field below it up to @dev_lock
 * @iommu_group:    the kernel's IOMMU group (reference held); NULL once the
 *                  last device has left, which makes every ioctl -ENODEV
 * @opened_file:    the one open group file, or NULL
 * @opener_pid, @opener_comm: the process that opened it (tgid, comm at
 *                  open), named when another open is refused
 * @container:      the container the group is attached to, or NULL
 * @container_entry: in container->groups; container->lock
 * @container_users: 1 for the attachment + 1 per device with open fds
 * @kvm_lock, @kvm: KVM this group was given to (vfio_file_set_kvm)
 * @dev_lock:       protects @devices
 * @devices:        registered nvfio_devices (nvfio_device.group_entry)
 */
struct nvfio_group {
	struct device dev;
	struct cdev cdev;
	struct list_head core_entry;
	refcount_t drivers;
	int id;
	bool noiommu;

	struct mutex lock;
	struct iommu_group *iommu_group;
	struct file *opened_file;
	pid_t opener_pid;
	char opener_comm[TASK_COMM_LEN];
	struct nvfio_container *container;
	struct list_head container_entry;
	unsigned int container_users;

	spinlock_t kvm_lock;
	struct kvm *kvm;

	struct mutex dev_lock;
	struct list_head devices;
};

/* container.c */
int nvfio_container_init(void);
void nvfio_container_exit(void);
struct nvfio_container *nvfio_container_from_file(struct file *file);
int nvfio_container_attach_group(struct nvfio_container *container,
				 struct nvfio_group *group);
void nvfio_container_detach_group(struct nvfio_group *group);
bool nvfio_container_has_iommu(struct nvfio_container *container);
long nvfio_container_check_extension(struct nvfio_container *c,
				     unsigned long arg);

/* refusal.c: the lines that explain a refusal (docs/refusals.md) */
void nvfio_refuse_not_viable(struct nvfio_group *group, const char *op);
void nvfio_refuse_group_busy(struct nvfio_group *group);

/* group.c */
int nvfio_group_init(void);
void nvfio_group_exit(void);
struct nvfio_group *nvfio_group_get_or_create(struct device *dev);
void nvfio_group_put_driver(struct nvfio_group *group, struct device *dev);
struct nvfio_group *nvfio_group_from_file(struct file *file);

/* noiommu.c */
extern const struct nvfio_iommu_ops nvfio_noiommu_ops;
bool nvfio_noiommu_enabled(void);
struct iommu_group *nvfio_noiommu_iommu_group(struct device *dev);
void nvfio_noiommu_remove_device(struct device *dev);
int nvfio_noiommu_init(void);
void nvfio_noiommu_exit(void);

/* inode.c */
struct inode *nvfio_inode_alloc(void);
void nvfio_inode_free(struct inode *inode);

/* device.c */
int nvfio_device_open_fd(struct nvfio_group *group, const char *name);
struct nvfio_gate *nvfio_gate_from_file(struct file *file);
void nvfio_device_put(struct nvfio_device *vdev);
void nvfio_device_revoke_close(struct nvfio_device *vdev);

/* revoke.c */
unsigned int nvfio_revoke_grace(void);
struct nvfio_gate *nvfio_gate_create(struct nvfio_device *vdev,
				     struct inode *inode);
void nvfio_gate_get(struct nvfio_gate *g);
void nvfio_gate_put(struct nvfio_gate *g);
void nvfio_device_revoke(struct nvfio_device *vdev, unsigned int grace_ms);
extern const struct vm_operations_struct nvfio_gate_vm_ops;

/* device_sysfs.c */
int nvfio_device_sysfs_add(struct nvfio_device *vdev);
void nvfio_device_sysfs_remove(struct nvfio_device *vdev);
struct nvfio_holder *nvfio_holder_alloc(void);
void nvfio_holder_free(struct nvfio_holder *h);
void nvfio_holder_add(struct nvfio_device *vdev, struct nvfio_holder *h,
		      struct file *file);
void nvfio_holder_remove(struct nvfio_device *vdev, struct file *file);
void nvfio_holders_take(struct nvfio_device *vdev, struct list_head *list);

/* debugfs.c */
void nvfio_debugfs_init(void);
void nvfio_debugfs_exit(void);
int nvfio_debugfs_container_add(struct nvfio_container *c);
void nvfio_debugfs_container_remove(struct nvfio_container *c);

/* kvm.c */
void nvfio_device_get_kvm(struct nvfio_device *vdev);
void nvfio_device_put_kvm(struct nvfio_device *vdev);

#endif /* NVFIO_CORE_H */
