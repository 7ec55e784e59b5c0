/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvfio.h - the internal API of the nvfio core (nvfio.ko).
 *
 * nvfio is a from-scratch implementation of VFIO.  Userspace sees exactly
 * mainline's uAPI (<linux/vfio.h>, /dev/vfio/vfio, /dev/vfio/<group>); the
 * kernel-internal API below is our own and every exported symbol carries the
 * nvfio_ prefix so that it never collides with mainline's vfio.ko.
 *
 * Three layers talk through this header:
 *
 *   core (kernel/core)         owns containers, groups and device fds
 *   IOMMU backends             register a struct nvfio_iommu_ops
 *     (kernel/iommu_type1)
 *   bus drivers (kernel/pci)   embed a struct nvfio_device and register it
 *
 * Lifetimes in one paragraph (docs/architecture.md has the full story): a
 * bus driver's nvfio_device is registered at probe and unregistered at
 * remove; nvfio_unregister_device() blocks until every device fd is closed
 * (asking userspace through ops->request), so the bus driver may free its
 * structure as soon as it returns.  Device fds pin the group fd, the group
 * pins its container, the container pins its backend module.
 */
#ifndef NVFIO_H
#define NVFIO_H

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/vfio.h> /* the uAPI structures, from the kernel's headers */

/*
 * What /sys/module/{vfio,vfio_iommu_type1,vfio_pci}/version and modinfo say:
 * "nvfio-" and the release in the top-level VERSION file (kernel/Kbuild
 * passes it in), so anyone can tell our stack from mainline's.
 */
#define NVFIO_MODULE_VERSION "nvfio-" NVFIO_VERSION

struct iommu_group;
struct kvm;
struct pid;
struct seq_file;
struct nvfio_group;
struct nvfio_device;
struct nvfio_device_attribute;
struct nvfio_device_kobj;
struct nvfio_gate;
struct nvfio_iommu_stats;

/* ------------------------------------------------------------------ */
/* Bus drivers                                                         */
/* ------------------------------------------------------------------ */

/**
 * struct nvfio_device_ops - what a bus driver implements for its devices
 * @name:         short name of the bus driver, for messages
 * @open_device:  first device fd of this device is being opened; @vdev->kvm
 *                is already set if the group was added to a KVM-VFIO device
 * @close_device: last device fd of this device has been closed
 * @read/@write:  read(2)/write(2) on the device fd (region accesses):
 *                move up to iov_iter_count() bytes at *@ppos to or from
 *                the iterator (the user's buffer, or for accesses of at
 *                most NVFIO_RW_BOUNCE bytes a kernel buffer the core
 *                copies from the user before or to the user after the
 *                call), advance *@ppos by what was done and return it,
 *                or a negative errno
 * @ioctl:        every ioctl on the device fd
 * @mmap:         mmap(2) on the device fd
 * @request:      the device is being unregistered while @count fds are
 *                open: ask userspace to release it (REQ eventfd)
 * @match:        optional; does @buf (the string given to
 *                VFIO_GROUP_GET_DEVICE_FD) name this device?  Return 1 for
 *                yes, 0 for no, or a negative errno that ends the search
 *                (e.g. bad options after the name).  Default: dev_name()
 *                equality.
 * @attrs:        optional, NULL-terminated: the bus driver's own read-only
 *                files in the device's sysfs directory nvfio/ (next to the
 *                core's, kernel/core/device_sysfs.c); present from
 *                registration until unregistration has waited for every fd
 *
 * open_device/close_device are serialized per device by the core
 * (nvfio_device.open_lock); the others may run concurrently from several
 * fds and threads.
 */
/* Region accesses of at most this many bytes go through a kernel buffer. */
#define NVFIO_RW_BOUNCE 8

struct nvfio_device_ops {
	const char *name;
	int (*open_device)(struct nvfio_device *vdev);
	void (*close_device)(struct nvfio_device *vdev);
	ssize_t (*read)(struct nvfio_device *vdev, struct iov_iter *to,
			loff_t *ppos);
	ssize_t (*write)(struct nvfio_device *vdev, struct iov_iter *from,
			 loff_t *ppos);
	long (*ioctl)(struct nvfio_device *vdev, unsigned int cmd,
		      unsigned long arg);
	int (*mmap)(struct nvfio_device *vdev, struct vm_area_struct *vma);
	void (*request)(struct nvfio_device *vdev, unsigned int count);
	int (*match)(struct nvfio_device *vdev, const char *buf);
	const struct nvfio_device_attribute *const *attrs;
};

/**
 * struct nvfio_device_attribute - a file of /sys/.../<dev>/nvfio/
 * @attr: name and mode (root-only: 0400)
 * @show: fill @buf (sysfs_emit) for @vdev, which stays registered for the
 *        whole call (unregistration removes the files first and waits for
 *        readers)
 */
struct nvfio_device_attribute {
	struct attribute attr;
	ssize_t (*show)(struct nvfio_device *vdev, char *buf);
};

#define NVFIO_DEVICE_ATTR_RO(_name)                                            \
	struct nvfio_device_attribute nvfio_dev_attr_##_name = {               \
		.attr = {.name = __stringify(_name), .mode = 0400},            \
		.show = _name##_show,                                          \
	}

/**
 * struct nvfio_device - one device exposed through nvfio
 *
 * Embedded in the bus driver's own per-device structure (container_of).
 * Public fields (read-only for the bus driver unless stated):
 * @dev:    the physical device; the core holds a reference while registered
 * @ops:    the bus driver's callbacks
 * @kvm:    the KVM the device's group was given to, or NULL; valid between
 *          open_device and close_device (a kvm reference is held then)
 * @inode:  the device's own inode, from the core's pseudo filesystem.  Every
 *          device fd of the device has f_mapping == @inode->i_mapping, so
 *          user mmaps of the device fd (whichever fd, whichever process)
 *          are all linked into that one address_space and the bus driver
 *          revokes them with unmap_mapping_range(@inode->i_mapping, offset,
 *          len, true): the next access faults again into ops->mmap's vm_ops.
 *          Valid from nvfio_register_device() until
 *          nvfio_unregister_device() returns (a VMA pins its file, so no
 *          mapping outlives the fds).  The core takes no lock around it;
 *          the bus driver serializes zaps against its own fault handler.
 *
 * Fields below the marker belong to the core; see kernel/core/device.c for
 * which lock protects each.
 */
struct nvfio_device {
	struct device *dev;
	const struct nvfio_device_ops *ops;
	struct kvm *kvm;
	struct inode *inode;

	/* --- private to the core --- */
	struct nvfio_group *group; /* set while registered */
	struct list_head group_entry; /* in group->devices, group->dev_lock */
	refcount_t users; /* registration + each open fd */
	struct completion released; /* users reached zero */
	struct mutex open_lock; /* serializes open_count transitions */
	unsigned int open_count; /* open device fds; open_lock */
	void (*put_kvm)(struct kvm *kvm); /* kvm_put_kvm, held via symbol_get */
	spinlock_t holders_lock; /* leaf: @holders */
	struct list_head holders; /* nvfio_holder.entry, one per open fd */
	struct nvfio_device_kobj *sysfs; /* nvfio/ in sysfs, while registered */
	bool revoked; /* nvfio_device_set_revoked(); READ/WRITE_ONCE */
	struct nvfio_gate *gate; /* what its fds point to (revoke.c) */
};

/*
 * nvfio_device_set_revoked() - record that the user's access to @vdev was
 * revoked: sysfs nvfio/revoked reads 1 from now on (until unregistration)
 * and the event nvfio:device_revoke fires.  For the revocation work; takes
 * no lock and does not sleep.
 */
void nvfio_device_set_revoked(struct nvfio_device *vdev);

/**
 * nvfio_register_device() - expose @vdev to userspace through its group
 * @vdev: zero-initialized except for what the caller embeds around it
 * @dev:  the physical device (must belong to an IOMMU group)
 * @ops:  callbacks
 *
 * Creates /dev/vfio/<group> if this is the group's first device.
 * Return: 0 or a negative errno (-EINVAL if @dev has no IOMMU group).
 */
int nvfio_register_device(struct nvfio_device *vdev, struct device *dev,
			  const struct nvfio_device_ops *ops);

/**
 * nvfio_unregister_device() - withdraw @vdev; waits until no fd uses it
 *
 * New opens are refused at once; while device fds remain open the core
 * calls ops->request periodically.  If they are still open after vfio's
 * nvfio_revoke_grace_ms (not 0), the user's access is revoked
 * (docs/revocation.md): ops->close_device runs once on behalf of the open
 * fds, which stay open but reach no callback of @vdev any more.  When
 * this returns, no callback of @vdev is running or will run again, and
 * the caller may free it.
 */
void nvfio_unregister_device(struct nvfio_device *vdev);

/*
 * nvfio_file_has_dev() - is @file one of our group files, standing for the
 * group registered @vdev is in (the same group object, not just the same
 * number)?  For bus drivers that take group fds from userspace as proof of
 * ownership (PCI hot reset).  Takes no lock.
 */
bool nvfio_file_has_dev(struct file *file, struct nvfio_device *vdev);

/* ------------------------------------------------------------------ */
/* External users (seeds 000/001) and the VFIO file API KVM uses        */
/* ------------------------------------------------------------------ */

/**
 * nvfio_group_get_external_user() - let a kernel component use a group
 * @file: a group file userspace handed over (e.g. to KVM)
 *
 * Succeeds only for one of our group files whose group is in a container
 * with an IOMMU backend set (a group in a container is viable: it owns its
 * IOMMU group for DMA).  Holds the group file and a container user, so
 * userspace may close every fd and the group, its container and the IOMMU
 * setup survive until nvfio_group_put_external_user().
 * Return: the group, or ERR_PTR(-EINVAL); nothing is held on error.
 */
struct nvfio_group *nvfio_group_get_external_user(struct file *file);
void nvfio_group_put_external_user(struct nvfio_group *group);
/* The IOMMU group id of a group held as external user. */
int nvfio_external_user_iommu_id(struct nvfio_group *group);

/*
 * Our group and device files, as KVM's VFIO device sees them: mainline's
 * vfio_file_* names and semantics (kvm.ko finds them with symbol_get()).
 */
bool vfio_file_is_valid(struct file *file);
bool vfio_file_is_group(struct file *file);
bool vfio_file_enforced_coherent(struct file *file);
void vfio_file_set_kvm(struct file *file, struct kvm *kvm);
struct iommu_group *vfio_file_iommu_group(struct file *file);
/*
 * Test builds only (kernel/core/test_hooks.c, absent with NVFIO_TESTING=n):
 * the kvm of a group file, or the one an open device file holds (taken at
 * its first open), or NULL.  Compare only; never dereference.
 */
struct kvm *nvfio_file_kvm(struct file *file);
/*
 * Test builds only (kernel/iommu_type1/test_hooks.c): log the type1
 * backend's line for an attach refused without interrupt remapping, for
 * IOMMU group @id (docs/refusals.md); the bench cannot cause the refusal.
 */
void nvfio_type1_test_refuse_unsafe_msi(int id);

/* ------------------------------------------------------------------ */
/* IOMMU backends                                                      */
/* ------------------------------------------------------------------ */

/**
 * struct nvfio_iommu_ops - an IOMMU backend (e.g. type1)
 * @name:   for messages
 * @owner:  THIS_MODULE; the core pins it while a container uses the backend
 * @open:   VFIO_SET_IOMMU chose this backend with type @arg; return backend
 *          data or an ERR_PTR
 * @release: the container lets go of the backend (last group detached or
 *          container freed)
 * @ioctl:  container ioctls the core does not handle itself.  Called with
 *          @iommu_data == NULL for VFIO_CHECK_EXTENSION while no backend
 *          is set: answer whether this backend supports the extension.
 * @read/@write: optional; container fd operations once set.  There is no
 *          mmap: mmap(2) runs with mmap_lock held and would take
 *          container->lock inside it, while the ioctls hold
 *          container->lock and fault on user memory (mmap_lock inside it):
 *          with a writer queued on container->lock that deadlocks
 *          (lockdep saw it).  The container fd has no mmap, as mainline's
 *          (-ENODEV), and no backend ever had one.
 * @attach_group/@detach_group: a group joins/leaves a container whose
 *          backend is set.  The core has claimed DMA ownership of @group.
 * @show_mappings: optional; the container's debugfs file "mappings": one
 *          nvfio_show_mapping() per mapping, in IOVA order
 * @get_stats: optional; fill @st (zeroed by the core) for the debugfs file
 *          "stats"; the pids in @st->charged are references the core puts
 *
 * show_mappings and get_stats run with container->lock held for read, like
 * ioctl; they take the backend's own locks to read its state.
 *
 * The core serializes open/release/attach_group/detach_group per container
 * (container->lock held for write); ioctl/read/write run with it held
 * for read, so several may run concurrently.
 */
struct nvfio_iommu_ops {
	const char *name;
	struct module *owner;
	void *(*open)(unsigned long arg);
	void (*release)(void *iommu_data);
	long (*ioctl)(void *iommu_data, unsigned int cmd, unsigned long arg);
	ssize_t (*read)(void *iommu_data, char __user *buf, size_t count,
			loff_t *ppos);
	ssize_t (*write)(void *iommu_data, const char __user *buf, size_t count,
			 loff_t *ppos);
	int (*attach_group)(void *iommu_data, struct iommu_group *group);
	void (*detach_group)(void *iommu_data, struct iommu_group *group);
	void (*show_mappings)(void *iommu_data, struct seq_file *m);
	void (*get_stats)(void *iommu_data, struct nvfio_iommu_stats *st);
};

/* Flags of nvfio_show_mapping(). */
#define NVFIO_MAPPING_READ BIT(0) /* the device may read */
#define NVFIO_MAPPING_WRITE BIT(1) /* the device may write */
#define NVFIO_MAPPING_BUSY BIT(2) /* being mapped or unmapped right now */
#define NVFIO_MAPPING_NOVADDR BIT(3) /* user address invalidated (VADDR) */

/* One line of a container's "mappings" file (docs/visibility.md). */
void nvfio_show_mapping(struct seq_file *m, u64 iova, u64 size,
			unsigned int flags);

#define NVFIO_STATS_CHARGED 8
/**
 * struct nvfio_iommu_stats - a container's "stats" file
 * @mappings:      mappings in the container, busy ones included
 * @busy:          of which being mapped or unmapped right now; the counts
 *                 below leave them out
 * @pinned_pages:  pages the settled mappings hold pinned
 * @locked_pages:  of which charged to a process's locked_vm
 * @dirty_tracking: VFIO_IOMMU_DIRTY_PAGES_FLAG_START is in effect
 * @charged:       who pays @locked_pages: a pid reference (get_pid) of the
 *                 process that made the mapping (or moved it, VADDR) and
 *                 its share; @ncharged entries, by first appearance
 * @charged_other: pages of processes beyond the first NVFIO_STATS_CHARGED
 */
struct nvfio_iommu_stats {
	unsigned long mappings;
	unsigned long busy;
	unsigned long pinned_pages;
	unsigned long locked_pages;
	bool dirty_tracking;
	unsigned int ncharged;
	struct {
		struct pid *pid;
		unsigned long pages;
	} charged[NVFIO_STATS_CHARGED];
	unsigned long charged_other;
};

/*
 * Add @pages charged to @pid (a process's struct pid, not yet referenced)
 * to @st: the backends' get_stats helper.
 */
void nvfio_stats_charge(struct nvfio_iommu_stats *st, struct pid *pid,
			unsigned long pages);

int nvfio_register_iommu_driver(const struct nvfio_iommu_ops *ops);
void nvfio_unregister_iommu_driver(const struct nvfio_iommu_ops *ops);

/* ------------------------------------------------------------------ */
/* Capability chains for *_GET_INFO ioctls                              */
/* ------------------------------------------------------------------ */

/**
 * struct nvfio_info_cap - a capability chain being built
 * @buf:  kvzalloc'ed buffer holding the chained capabilities
 * @size: bytes used in @buf
 *
 * Usage in an info ioctl:
 *   struct nvfio_info_cap caps = { };
 *   hdr = nvfio_info_cap_add(&caps, sizeof(*cap), ID, VERSION);
 *   ...fill the capability after the header...
 *   ret = nvfio_info_cap_copy(&caps, &info, sizeof(info), minsz, arg);
 * nvfio_info_cap_copy() implements the argsz protocol: when info.argsz is
 * too small it sets info.argsz to the size needed and copies no chain;
 * otherwise it places the chain right after the fixed structure, rebases
 * the next pointers and sets info.cap_offset.  It frees caps.buf.
 */
struct nvfio_info_cap {
	void *buf;
	size_t size;
};

/*
 * Append a capability of @size bytes (header included) and return its
 * zeroed header with id/version set, or an ERR_PTR(-ENOMEM).
 */
struct vfio_info_cap_header *nvfio_info_cap_add(struct nvfio_info_cap *caps,
						size_t size, u16 id,
						u16 version);

/*
 * Add @offset to every next pointer of the chain (they are relative to the
 * chain's start while building).
 */
void nvfio_info_cap_shift(struct nvfio_info_cap *caps, size_t offset);

/*
 * Finish an info ioctl whose fixed part is @info (@info_size bytes, of which
 * the first member is __u32 argsz, followed by __u32 flags) and whose
 * cap_offset member is at @cap_offset_off.  @flag_caps is the flags bit that
 * announces a chain (e.g. VFIO_IOMMU_INFO_CAPS).  The chain lands at
 * @arg + @info_size; the fixed part is copied back to @arg, but never more
 * than the argsz the caller passed in (a user with an older, shorter
 * structure gets only its part).  With an empty chain only the fixed part
 * is copied.  Frees the chain.  Return: 0 or -EFAULT.
 */
int nvfio_info_cap_copy(struct nvfio_info_cap *caps, void *info,
			size_t info_size, size_t cap_offset_off, u32 flag_caps,
			void __user *arg);

/* ------------------------------------------------------------------ */
/* Small helpers shared by every layer                                 */
/* ------------------------------------------------------------------ */

/*
 * Validate the argsz/flags header of a uAPI structure the way mainline
 * does: argsz must cover @minsz, flags outside @allowed are refused.
 * Return: 0 or -EINVAL.
 */
static inline int nvfio_check_argsz_flags(u32 argsz, u32 flags, size_t minsz,
					  u32 allowed)
{
	if (argsz < minsz)
		return -EINVAL;
	if (flags & ~allowed)
		return -EINVAL;
	return 0;
}

#endif /* NVFIO_H */
