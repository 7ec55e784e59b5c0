// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_ioeventfd.c - VFIO_DEVICE_IOEVENTFD: a signal on a user eventfd
 * becomes a fixed write (offset, size, data) into a BAR, done by the
 * kernel.  QEMU pairs it with a KVM ioeventfd on the same eventfd, so a
 * guest write that QEMU would otherwise trap and replay (its quirks for
 * some GPUs) reaches the device without a trip through userspace.
 *
 * As on mainline: only BARs (not the ROM or config space), never over the
 * MSI-X table, at most NVFIO_PCI_IOEVENTFD_MAX per device; one entry per
 * (BAR, offset, size, data), a second one is -EEXIST, and fd -1 with the
 * same key removes it (-ENODEV if there is none).  An entry whose eventfd
 * file is closed (EPOLLHUP) stops listening but stays registered until the
 * user removes it or closes the device.  An 8-byte write is iowrite64(),
 * as mainline's: on x86 (the generic iomap, completed by
 * io-64-nonatomic-lo-hi.h) one writeq on MMIO, two 4-byte port writes,
 * low half first, on I/O ports.
 *
 * Locking:
 *   ioeventfds_lock (mutex) protects the list and its count; entries are
 *     added and removed only under it, by the ioctl and at close.
 *   The wakeup runs in the signaller's context, under the eventfd's wait
 *     queue lock with interrupts off: it consumes the count and writes at
 *     once if memory_lock can be had for read without waiting (memory
 *     BARs), else leaves the write to the entry's work item, which waits
 *     for memory_lock.  Either way the write is dropped while the user's
 *     memory decode is off or the device is in D3 (nvfio_pci_mem_usable).
 *   Removal leaves the wait queue first (no wakeup runs after that), then
 *     flushes the work, so no write is pending or running once an entry is
 *     freed.  barmap[] is stable from the entry's creation to close, which
 *     removes every entry before it unmaps the BARs.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "nvfio_pci.h"

/* Mainline's (arbitrary) limit per device. */
#define NVFIO_PCI_IOEVENTFD_MAX 1000

struct nvfio_pci_ioeventfd {
	struct list_head next; /* in vdev->ioeventfds, ioeventfds_lock */
	struct nvfio_pci_device *vdev;
	struct eventfd_ctx *eventfd; /* held until the entry is freed */
	wait_queue_head_t *wqh; /* the eventfd's queue, while listening */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct write_work; /* the write, when it must wait */
	void __iomem *addr; /* barmap[bar] + pos */
	u64 data;
	loff_t pos;
	int bar;
	int count; /* 1, 2, 4 or 8 bytes */
	bool test_mem; /* memory BAR: only with decode usable */
};

static void nvfio_pci_ioeventfd_write(struct nvfio_pci_ioeventfd *ioe)
{
	switch (ioe->count) {
	case 1:
		iowrite8(ioe->data, ioe->addr);
		break;
	case 2:
		iowrite16(ioe->data, ioe->addr);
		break;
	case 4:
		iowrite32(ioe->data, ioe->addr);
		break;
	case 8:
		iowrite64(ioe->data, ioe->addr);
		break;
	}
}

/* Process context: wait for memory_lock. */
static void nvfio_pci_ioeventfd_work(struct work_struct *work)
{
	struct nvfio_pci_ioeventfd *ioe =
		container_of(work, struct nvfio_pci_ioeventfd, write_work);
	struct nvfio_pci_device *vdev = ioe->vdev;

	if (!ioe->test_mem) {
		nvfio_pci_ioeventfd_write(ioe);
		return;
	}
	down_read(&vdev->memory_lock);
	if (nvfio_pci_mem_usable(vdev))
		nvfio_pci_ioeventfd_write(ioe);
	up_read(&vdev->memory_lock);
}

/*
 * Any context: write now if that needs no sleeping.  Return: false if the
 * write must be left to the work item (memory_lock is contended).
 */
static bool nvfio_pci_ioeventfd_try_write(struct nvfio_pci_ioeventfd *ioe)
{
	struct nvfio_pci_device *vdev = ioe->vdev;

	if (!ioe->test_mem) {
		nvfio_pci_ioeventfd_write(ioe);
		return true;
	}
	if (!down_read_trylock(&vdev->memory_lock))
		return false;
	if (nvfio_pci_mem_usable(vdev))
		nvfio_pci_ioeventfd_write(ioe);
	up_read(&vdev->memory_lock);
	return true;
}

static int nvfio_pci_ioeventfd_wakeup(wait_queue_entry_t *wait,
				      unsigned int mode, int sync, void *key)
{
	struct nvfio_pci_ioeventfd *ioe =
		container_of(wait, struct nvfio_pci_ioeventfd, wait);
	__poll_t events = key_to_poll(key);
	u64 cnt;

	lockdep_assert_held(&ioe->wqh->lock);
	if (events & EPOLLIN) {
		eventfd_ctx_do_read(ioe->eventfd, &cnt);
		if (!nvfio_pci_ioeventfd_try_write(ioe))
			schedule_work(&ioe->write_work);
	}
	/*
	 * The eventfd's file is going away: stop listening, as mainline's
	 * virqfd does, but keep the entry (and the context we hold).  Leaving
	 * the queue from its own wakeup is safe (the walk allows it).
	 */
	if (events & EPOLLHUP)
		list_del_init(&ioe->wait.entry);
	return 0;
}

static void nvfio_pci_ioeventfd_queue(struct file *file, wait_queue_head_t *wqh,
				      poll_table *pt)
{
	struct nvfio_pci_ioeventfd *ioe =
		container_of(pt, struct nvfio_pci_ioeventfd, pt);

	ioe->wqh = wqh;
	add_wait_queue(wqh, &ioe->wait);
}

/* ioeventfds_lock held (or the device closing): unlink and free @ioe. */
static void nvfio_pci_ioeventfd_free(struct nvfio_pci_device *vdev,
				     struct nvfio_pci_ioeventfd *ioe)
{
	u64 cnt;

	list_del(&ioe->next);
	vdev->ioeventfds_nr--;
	/* Takes the queue lock: no wakeup runs once it returns. */
	eventfd_ctx_remove_wait_queue(ioe->eventfd, &ioe->wait, &cnt);
	flush_work(&ioe->write_work);
	eventfd_ctx_put(ioe->eventfd);
	kfree(ioe);
}

/* ioeventfds_lock held: a new entry listening on eventfd @fd. */
static int nvfio_pci_ioeventfd_add(struct nvfio_pci_device *vdev, int bar,
				   loff_t pos, u64 data, int count, int fd)
{
	struct nvfio_pci_ioeventfd *ioe;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;
	int ret;

	lockdep_assert_held(&vdev->ioeventfds_lock);
	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		ret = PTR_ERR(ctx);
		goto out_fput;
	}
	ioe = kzalloc(sizeof(*ioe), GFP_KERNEL_ACCOUNT);
	if (!ioe) {
		eventfd_ctx_put(ctx);
		ret = -ENOMEM;
		goto out_fput;
	}
	ioe->vdev = vdev;
	ioe->eventfd = ctx;
	ioe->addr = vdev->barmap[bar] + pos;
	ioe->data = data;
	ioe->pos = pos;
	ioe->bar = bar;
	ioe->count = count;
	ioe->test_mem = pci_resource_flags(vdev->pdev, bar) & IORESOURCE_MEM;
	INIT_WORK(&ioe->write_work, nvfio_pci_ioeventfd_work);
	init_waitqueue_func_entry(&ioe->wait, nvfio_pci_ioeventfd_wakeup);
	init_poll_funcptr(&ioe->pt, nvfio_pci_ioeventfd_queue);
	list_add(&ioe->next, &vdev->ioeventfds);
	vdev->ioeventfds_nr++;

	events = vfs_poll(file, &ioe->pt);
	/*
	 * Signalled before we listened: write now, as mainline does; the
	 * count stays (consuming it needs the queue lock).
	 */
	if ((events & EPOLLIN) && !nvfio_pci_ioeventfd_try_write(ioe))
		schedule_work(&ioe->write_work);
	ret = 0;
out_fput:
	fput(file);
	return ret;
}

int nvfio_pci_ioctl_ioeventfd(struct nvfio_pci_device *vdev, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_ioeventfd, fd);
	struct vfio_device_ioeventfd req;
	struct nvfio_pci_ioeventfd *ioe;
	void __iomem *io;
	loff_t pos;
	int bar, count, ret;

	if (copy_from_user(&req, arg, minsz))
		return -EFAULT;
	if (req.argsz < minsz)
		return -EINVAL;
	if (req.flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		return -EINVAL;
	count = req.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	if (hweight8(count) != 1 || req.fd < -1)
		return -EINVAL;

	/* BARs only: not the ROM, config space or VGA. */
	if (NVFIO_PCI_OFFSET_TO_INDEX(req.offset) > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	bar = NVFIO_PCI_OFFSET_TO_INDEX(req.offset);
	pos = req.offset & NVFIO_PCI_OFFSET_MASK;
	if (pos + count > pci_resource_len(vdev->pdev, bar))
		return -EINVAL;
	/* Writes to the MSI-X table are the kernel's own. */
	if (bar == vdev->msix_bar &&
	    !(pos + count <= vdev->msix_offset ||
	      pos >= vdev->msix_offset + vdev->msix_size))
		return -EINVAL;

	io = nvfio_pci_barmap(vdev, bar);
	if (IS_ERR(io))
		return PTR_ERR(io);

	mutex_lock(&vdev->ioeventfds_lock);
	list_for_each_entry(ioe, &vdev->ioeventfds, next) {
		if (ioe->bar != bar || ioe->pos != pos || ioe->count != count ||
		    ioe->data != req.data)
			continue;
		if (req.fd == -1) {
			nvfio_pci_ioeventfd_free(vdev, ioe);
			ret = 0;
		} else {
			ret = -EEXIST;
		}
		goto out_unlock;
	}
	if (req.fd == -1)
		ret = -ENODEV;
	else if (vdev->ioeventfds_nr >= NVFIO_PCI_IOEVENTFD_MAX)
		ret = -ENOSPC;
	else
		ret = nvfio_pci_ioeventfd_add(vdev, bar, pos, req.data, count,
					      req.fd);
out_unlock:
	mutex_unlock(&vdev->ioeventfds_lock);
	return ret;
}

/* close_device, before the BARs are unmapped: remove every entry. */
void nvfio_pci_ioeventfd_teardown(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_ioeventfd *ioe, *tmp;

	mutex_lock(&vdev->ioeventfds_lock);
	list_for_each_entry_safe(ioe, tmp, &vdev->ioeventfds, next)
		nvfio_pci_ioeventfd_free(vdev, ioe);
	mutex_unlock(&vdev->ioeventfds_lock);
}
