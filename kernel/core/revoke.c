// SPDX-License-Identifier: GPL-2.0-only
/*
 * revoke.c - removal never hangs: the gate every device fd goes through,
 * and the revocation that closes it (docs/revocation.md).
 *
 * Unregistering a device waits for its fds to close, asking userspace
 * through ops->request (device.c).  When vfio's parameter
 * nvfio_revoke_grace_ms is not 0 and the fds are still open that long
 * after the wait began, the device is revoked: the user loses it while
 * keeping its fds, and unregistration completes.  0 waits forever, as
 * mainline does.
 *
 * Theory of operation
 * -------------------
 * Objects.  Each registered device has a gate (struct nvfio_gate, core.h),
 * allocated at registration.  A device file's private_data is the gate,
 * not the device: the bus driver frees the device (it is embedded in its
 * own structure) as soon as nvfio_unregister_device() returns, which after
 * a revocation is while fds are still open, so nothing reachable from a
 * file may point into it once revoked.  The gate is reference-counted
 * (@ref): the registration holds one, every device file one.  It owns the
 * device's inode (inode.c): the files' f_mapping is that inode's mapping
 * and the VMAs of the files are linked into it, so the inode goes with
 * the gate's last reference, after the last file (and so the last VMA).
 *
 * Readers.  Every device-fd operation (ioctl, read, write, mmap) and the
 * fault handlers of every BAR mapping (nvfio_gate_fault() and, for PMD
 * and PUD blocks, nvfio_gate_huge_fault(), which wrap the bus driver's)
 * run inside an SRCU read section of the gate's @srcu and look at
 * @revoked first: once it is set they fail with -ENODEV (the faults with
 * VM_FAULT_SIGBUS) and never touch @vdev.  A reader that saw
 * @revoked clear may use @vdev until its read section ends.  Readers take
 * no gate lock and may sleep (that is why this is SRCU).
 *
 * Revocation (nvfio_device_revoke(), called by unregistration with no
 * core lock held) runs under @lock, which makes it exclusive with the
 * opening of a new device fd and with the release of one:
 *   1. set @revoked: no new operation starts;
 *   2. synchronize_srcu(): wait for the operations in flight.  An
 *      operation that sleeps on user memory would hold this up, the
 *      user's to resolve at its leisure (a read() into a buffer whose
 *      pages a userfaultfd serves, say): read and write therefore touch
 *      their user buffer outside the gate (device.c: up to 8 bytes
 *      through a kernel buffer, more faulted in first), so a read parked
 *      on a userfaultfd page waits outside it (and then fails with
 *      -ENODEV, or for a small read returns what it read before).  What
 *      is left is documented in docs/revocation.md (an ioctl whose
 *      argument lies in such memory; a buffer of more than 8 bytes
 *      unmapped again between the prefault and the copy; a VGA region
 *      access waiting in the VGA arbiter, pci_vga.c);
 *   3. zap every user mapping of the device (unmap_mapping_range() on
 *      the inode's mapping): the next access faults into the gate, which
 *      refuses it, and the process gets SIGBUS;
 *   4. take the device off its group's list (GET_DEVICE_FD: -ENODEV, as
 *      for a device that is gone), close it once on behalf of all its fds
 *      (the bus driver's close_device: interrupts torn down, bus mastering
 *      off, reset where possible), and if no other user of the group's
 *      container is left, detach the group from it: the IOMMU domain and
 *      its mappings go (pinned pages are unpinned) and the IOMMU group
 *      returns to the kernel's DMA ownership, so the device reaches no
 *      user memory (device.c, nvfio_device_revoke_close());
 *   5. forget the holder records (remembering them for the log line) and
 *      drop the device's users references of the open files, which lets
 *      unregistration complete.
 * A file released after that only drops its gate reference; close_device
 * never runs twice.
 *
 * Locks.  @lock (mutex) is the outermost lock of a device: open of a new
 * device fd, release of one and revocation take it first, then the
 * group's and device's locks (core.h).  synchronize_srcu() runs under it,
 * which is safe because no reader takes it: the fops do not, and a
 * device fd released from inside an operation is released later (fput()
 * defers the release to the task's return to user space).
 * @revoked is written under @lock and read by readers with READ_ONCE();
 * @files is @lock's.  @bus_vm_ops is set once, by the first mmap, and
 * read by faults after the mmap that installed the wrapper.
 *
 * Who may sleep where: readers may sleep inside their read section (they
 * delay a revocation); revocation sleeps in synchronize_srcu() and in the
 * bus driver's close_device with @lock held; release sleeps on @lock
 * while a revocation runs.  Nothing here runs in atomic context.
 */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "core.h"

/* Longest grace accepted: a day.  Longer waits: 0 (forever). */
#define NVFIO_REVOKE_GRACE_MAX_MS (24U * 60 * 60 * 1000)

static unsigned int nvfio_revoke_grace_ms = 30000;

static int nvfio_revoke_grace_set(const char *val,
				  const struct kernel_param *kp)
{
	unsigned int ms;

	/* Not a decimal number, out of range: -EINVAL alike. */
	if (kstrtouint(val, 10, &ms) || ms > NVFIO_REVOKE_GRACE_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, ms);
	return 0;
}

static const struct kernel_param_ops nvfio_revoke_grace_ops = {
	.set = nvfio_revoke_grace_set,
	.get = param_get_uint,
};

module_param_cb(nvfio_revoke_grace_ms, &nvfio_revoke_grace_ops,
		&nvfio_revoke_grace_ms, 0644);
MODULE_PARM_DESC(
	nvfio_revoke_grace_ms,
	"nvfio: milliseconds an unbind waits for userspace to close a device before revoking its access (mmaps SIGBUS, fds ENODEV, DMA stopped); 0 waits forever like mainline; at most 86400000 (default: 30000)");

unsigned int nvfio_revoke_grace(void)
{
	return READ_ONCE(nvfio_revoke_grace_ms);
}

struct nvfio_gate *nvfio_gate_create(struct nvfio_device *vdev,
				     struct inode *inode)
{
	struct nvfio_gate *g = kzalloc(sizeof(*g), GFP_KERNEL);
	int ret;

	if (!g)
		return ERR_PTR(-ENOMEM);
	ret = init_srcu_struct(&g->srcu);
	if (ret) {
		kfree(g);
		return ERR_PTR(ret);
	}
	kref_init(&g->ref);
	mutex_init(&g->lock);
	g->vdev = vdev;
	g->inode = inode;
	return g;
}

static void nvfio_gate_release(struct kref *ref)
{
	struct nvfio_gate *g = container_of(ref, struct nvfio_gate, ref);

	/* No file is left, so no reader and no VMA either. */
	cleanup_srcu_struct(&g->srcu);
	nvfio_inode_free(g->inode);
	mutex_destroy(&g->lock);
	kfree(g);
}

void nvfio_gate_get(struct nvfio_gate *g)
{
	kref_get(&g->ref);
}

void nvfio_gate_put(struct nvfio_gate *g)
{
	kref_put(&g->ref, nvfio_gate_release);
}

/*
 * The fault handler of every BAR mapping of a device fd: the bus driver's
 * (recorded by the mmap, device.c), inside the gate; SIGBUS once revoked.
 */
static vm_fault_t nvfio_gate_fault(struct vm_fault *vmf)
{
	struct nvfio_gate *g = vmf->vma->vm_file->private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int idx;

	idx = srcu_read_lock(&g->srcu);
	if (!READ_ONCE(g->revoked))
		ret = READ_ONCE(g->bus_vm_ops)->fault(vmf);
	srcu_read_unlock(&g->srcu, idx);
	return ret;
}

#if NVFIO_HAS_HUGE_PFNMAP
/*
 * The same for a PMD or PUD sized block (nvfio_compat.h): the bus
 * driver's huge_fault inside the gate, or the 4 KiB fault (FALLBACK) if
 * it has none.
 */
static vm_fault_t nvfio_gate_huge_fault(struct vm_fault *vmf,
					unsigned int order)
{
	struct nvfio_gate *g = vmf->vma->vm_file->private_data;
	const struct vm_operations_struct *bus;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int idx;

	idx = srcu_read_lock(&g->srcu);
	if (!READ_ONCE(g->revoked)) {
		bus = READ_ONCE(g->bus_vm_ops);
		ret = bus->huge_fault ? bus->huge_fault(vmf, order) :
					VM_FAULT_FALLBACK;
	}
	srcu_read_unlock(&g->srcu, idx);
	return ret;
}
#endif

const struct vm_operations_struct nvfio_gate_vm_ops = {
	.fault = nvfio_gate_fault,
#if NVFIO_HAS_HUGE_PFNMAP
	.huge_fault = nvfio_gate_huge_fault,
#endif
};

/* The log line's list of holders: "comm[pid], ..." (each process once). */
static void nvfio_revoke_format(struct list_head *holders, char *buf,
				size_t len)
{
	struct nvfio_holder *h, *prev = NULL;
	size_t n = 0;

	buf[0] = '\0';
	list_for_each_entry(h, holders, entry) {
		/* Records of one process are next to each other. */
		if (prev && prev->pid == h->pid)
			continue;
		prev = h;
		if (n < len)
			n += scnprintf(buf + n, len - n, "%s%s[%d]",
				       n ? ", " : "", h->comm, pid_nr(h->pid));
	}
	if (!buf[0])
		strscpy(buf, "(nobody)", len);
}

/*
 * Revoke the user's access to @vdev, which is being unregistered and
 * whose fds stayed open for @grace_ms.  Returns with every users
 * reference of those fds dropped; the caller waits for @vdev->released.
 */
void nvfio_device_revoke(struct nvfio_device *vdev, unsigned int grace_ms)
{
	struct nvfio_gate *g = vdev->gate;
	struct nvfio_holder *h, *tmp;
	LIST_HEAD(holders);
	unsigned int files;
	char *who;

	mutex_lock(&g->lock);
	if (WARN_ON_ONCE(g->revoked)) {
		mutex_unlock(&g->lock);
		return;
	}
	/* 1, 2: no operation starts any more, none is in flight after. */
	WRITE_ONCE(g->revoked, true);
	synchronize_srcu(&g->srcu);
	files = g->files;
	/*
	 * The last fd was released just as the grace ran out: nothing to
	 * take away, but a GET_DEVICE_FD that found the device already is
	 * refused all the same (@revoked), so the caller's wait ends.
	 */
	if (!files) {
		mutex_unlock(&g->lock);
		return;
	}
	/* 3: every mapping of every fd; faults now end in SIGBUS. */
	unmap_mapping_range(g->inode->i_mapping, 0, 0, 1);
	/* 4: close the device for its fds, and stop its DMA. */
	nvfio_device_revoke_close(vdev);
	/* 5: who held it, for the log; the fds' references go. */
	nvfio_holders_take(vdev, &holders);
	g->files = 0;
	mutex_unlock(&g->lock);

	nvfio_device_set_revoked(vdev);
	who = kmalloc(256, GFP_KERNEL);
	if (who)
		nvfio_revoke_format(&holders, who, 256);
	dev_warn(
		vdev->dev,
		"nvfio: still held by %s after the %u ms grace (vfio.nvfio_revoke_grace_ms): device revoked: its mappings fault SIGBUS, its fds fail with ENODEV, its DMA and interrupts are stopped\n",
		who ?: "userspace", grace_ms);
	kfree(who);
	list_for_each_entry_safe(h, tmp, &holders, entry) {
		list_del(&h->entry);
		nvfio_holder_free(h);
	}
	while (files--)
		nvfio_device_put(vdev);
}
