// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_intrs.c - VFIO_DEVICE_SET_IRQS: INTx (automasked), MSI, MSI-X and
 * the ERR/REQ eventfds, plus the REQ relay used while the device is being
 * unregistered.
 *
 * Locking:
 *   igate (mutex) serializes every configuration change: irq_type, ctx[]
 *     and num_ctx, err_trigger, req_trigger.  request_irq()/free_irq()
 *     are only called under it.
 *   irqlock (spinlock, taken in the INTx hard irq handler) protects the
 *     INTx masking state (intx_masked, virq_disabled, DisINTx in hardware,
 *     enable/disable_irq depth); the INTx trigger ctx[0].trigger is
 *     written under igate and irqlock and signalled without irqlock (the
 *     trigger may be the unmask eventfd too, whose wakeup takes irqlock),
 *     a replaced one being put only after synchronize_irq().
 *   the INTx unmask eventfd (unmask_virqfd) is set up and torn down
 *     under igate; its wakeup runs under the eventfd's queue lock and
 *     takes irqlock (queue lock -> irqlock).
 *   intx_inject (work) re-signals a line found still asserted when it is
 *     unmasked from a context that may not signal (the unmask eventfd's
 *     wakeup, under the queue lock; config writes, under cfg_lock, where
 *     the trigger could change under us).  It reads the trigger under
 *     irqlock; whoever replaces or frees the trigger (under igate) flushes
 *     it first, so it never signals a put eventfd.
 *     irq_type is written with both igate and irqlock held, so it may be
 *     read under either.
 *   MSI/MSI-X handlers only read their own ctx, which lives from before
 *     request_irq() until after free_irq(), so they take no lock.  Each
 *     wired vector is an irq bypass producer (token: its trigger) from
 *     after request_irq() until before free_irq(); the irqbypass
 *     manager's own mutex orders it against consumers (KVM irqfds).
 *   memory_lock is taken (for write, inside igate) while the kernel
 *     programs MSI/MSI-X: the MSI-X table needs memory decode enabled.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqbypass.h>
#include <linux/poll.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

/* ---- INTx ---------------------------------------------------------- */

static bool nvfio_pci_is_intx(struct nvfio_pci_device *vdev)
{
	return vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX;
}

/*
 * Tell the user INTx fired, unless the user disabled INTx in the virtual
 * command register (then not even the loopback fires, as on mainline).
 * The trigger is stable (see its writers).
 */
static void nvfio_pci_intx_signal(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_irq_ctx *ctx = READ_ONCE(vdev->ctx);
	struct eventfd_ctx *trigger = ctx ? READ_ONCE(ctx->trigger) : NULL;

	if (trigger && !READ_ONCE(vdev->virq_disabled))
		nvfio_eventfd_signal(trigger);
}

/* The work behind nvfio_pci_intx_resignal_later(). */
static void nvfio_pci_intx_inject(struct work_struct *work)
{
	struct nvfio_pci_device *vdev =
		container_of(work, struct nvfio_pci_device, intx_inject);
	struct eventfd_ctx *trigger = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX && !vdev->virq_disabled)
		trigger = vdev->ctx[0].trigger;
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	if (trigger)
		nvfio_eventfd_signal(trigger);
}

/* Probe: the INTx re-signal work exists for the device's whole life. */
void nvfio_pci_intx_init(struct nvfio_pci_device *vdev)
{
	INIT_WORK(&vdev->intx_inject, nvfio_pci_intx_inject);
}

static irqreturn_t nvfio_pci_intx_handler(int irq, void *dev_id)
{
	struct nvfio_pci_device *vdev = dev_id;
	irqreturn_t ret = IRQ_NONE;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (!vdev->pci_2_3) {
		/* Exclusive line: mask it at the interrupt controller. */
		disable_irq_nosync(vdev->pdev->irq);
		vdev->intx_masked = true;
		ret = IRQ_HANDLED;
	} else if (!vdev->intx_masked && pci_check_and_mask_intx(vdev->pdev)) {
		/* Ours (status bit set): now masked with DisINTx. */
		vdev->intx_masked = true;
		ret = IRQ_HANDLED;
	}
	if (ret == IRQ_HANDLED && vdev->ctx)
		nvfio_pci_note_irq(vdev, &vdev->ctx[0], VFIO_PCI_INTX_IRQ_INDEX,
				   0);
	spin_unlock_irqrestore(&vdev->irqlock, flags);

	/*
	 * Signal outside irqlock: the trigger may also be the unmask
	 * eventfd, whose wakeup takes irqlock.  A replaced trigger is only
	 * put after synchronize_irq(), so it cannot go away under us.
	 */
	if (ret == IRQ_HANDLED)
		nvfio_pci_intx_signal(vdev);
	return ret;
}

static void nvfio_pci_intx_mask_locked(struct nvfio_pci_device *vdev)
{
	lockdep_assert_held(&vdev->irqlock);

	/*
	 * Masking also comes from the virtual DisINTx bit while INTx is not
	 * the delivery method: then just let the hardware bit follow it.
	 */
	if (!nvfio_pci_is_intx(vdev)) {
		if (vdev->pci_2_3)
			pci_intx(vdev->pdev, 0);
		return;
	}
	if (vdev->intx_masked)
		return;
	if (vdev->pci_2_3)
		pci_intx(vdev->pdev, 0);
	else
		disable_irq_nosync(vdev->pdev->irq);
	vdev->intx_masked = true;
}

/*
 * Return: true if the device still asserts INTx, so that it stays masked
 * and the caller should tell the user again (after dropping irqlock).
 */
static bool nvfio_pci_intx_unmask_locked(struct nvfio_pci_device *vdev)
{
	lockdep_assert_held(&vdev->irqlock);

	if (!nvfio_pci_is_intx(vdev)) {
		if (vdev->pci_2_3)
			pci_intx(vdev->pdev, 1);
		return false;
	}
	if (!vdev->intx_masked || vdev->virq_disabled)
		return false;

	if (!vdev->pci_2_3) {
		vdev->intx_masked = false;
		enable_irq(vdev->pdev->irq);
		return false;
	}
	if (pci_check_and_unmask_intx(vdev->pdev)) {
		vdev->intx_masked = false;
		return false;
	}
	return true;
}

static void nvfio_pci_intx_mask(struct nvfio_pci_device *vdev)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	nvfio_pci_intx_mask_locked(vdev);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
}

/*
 * Unmask INTx; a line still asserted is signalled again: at once from the
 * ioctl (igate held: the trigger is stable), from intx_inject where the
 * caller may not signal (the unmask eventfd, see intx_inject).
 */
static void nvfio_pci_intx_unmask(struct nvfio_pci_device *vdev,
				  bool from_ioctl)
{
	unsigned long flags;
	bool resignal;

	spin_lock_irqsave(&vdev->irqlock, flags);
	resignal = nvfio_pci_intx_unmask_locked(vdev);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	if (!resignal)
		return;
	if (from_ioctl)
		nvfio_pci_intx_signal(vdev);
	else
		schedule_work(&vdev->intx_inject);
}

/*
 * Runtime suspend: mask INTx if it is the delivery method and unmasked.
 * Return: whether it did, so that resume unmasks only what it masked.
 */
bool nvfio_pci_intx_pm_mask(struct nvfio_pci_device *vdev)
{
	unsigned long flags;
	bool masked = false;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (nvfio_pci_is_intx(vdev) && !vdev->intx_masked) {
		nvfio_pci_intx_mask_locked(vdev);
		masked = true;
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return masked;
}

/* Runtime resume: unmask again (a line still asserted is re-signalled). */
void nvfio_pci_intx_pm_unmask(struct nvfio_pci_device *vdev)
{
	nvfio_pci_intx_unmask(vdev, false);
}

/* ---- INTx unmask eventfd ------------------------------------------- */

/*
 * An eventfd whose signal unmasks INTx (what KVM's resampling irqfd
 * signals when the guest EOIs the line).  We sit on the eventfd's wait
 * queue; the wakeup runs in the signaller's context with the queue's
 * lock held and irqs off, so it only consumes the count and unmasks
 * (irqlock is irq-safe); a line still asserted is re-signalled from
 * intx_inject, as mainline does from its virqfd work: KVM's resampler
 * passes its resample eventfd here, and a level-triggered device still
 * asserting at EOI must be signalled again or it goes silent.  A hangup
 * (the eventfd's file closed) needs nothing: we hold the eventfd
 * context, whose wait queue stays valid until we leave it.
 */
struct nvfio_pci_virqfd {
	struct nvfio_pci_device *vdev;
	struct eventfd_ctx *eventfd;
	wait_queue_head_t *eventfd_wqh; /* the queue we sit on */
	wait_queue_entry_t wait;
	poll_table pt;
};

static int nvfio_pci_virqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
				   int sync, void *key)
{
	struct nvfio_pci_virqfd *v =
		container_of(wait, struct nvfio_pci_virqfd, wait);
	__poll_t events = key_to_poll(key);
	u64 cnt;

	if (events & EPOLLIN) {
		lockdep_assert_held(&v->eventfd_wqh->lock);
		eventfd_ctx_do_read(v->eventfd, &cnt);
		nvfio_pci_intx_unmask(v->vdev, false);
	}
	return 0;
}

static void nvfio_pci_virqfd_queue(struct file *file, wait_queue_head_t *wqh,
				   poll_table *pt)
{
	struct nvfio_pci_virqfd *v =
		container_of(pt, struct nvfio_pci_virqfd, pt);

	v->eventfd_wqh = wqh;
	add_wait_queue(wqh, &v->wait);
}

/* igate held */
static void nvfio_pci_virqfd_disable(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_virqfd *v = vdev->unmask_virqfd;
	u64 cnt;

	if (!v)
		return;
	vdev->unmask_virqfd = NULL;
	/* takes the queue lock: no wakeup runs once it returns */
	eventfd_ctx_remove_wait_queue(v->eventfd, &v->wait, &cnt);
	eventfd_ctx_put(v->eventfd);
	kfree(v);
	/* a re-signal it asked for is done before INTx goes away */
	flush_work(&vdev->intx_inject);
}

/* igate held; a second unmask eventfd is refused (-EBUSY), as on mainline */
static int nvfio_pci_virqfd_enable(struct nvfio_pci_device *vdev, int fd)
{
	struct nvfio_pci_virqfd *v;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;
	int ret;

	if (vdev->unmask_virqfd)
		return -EBUSY;
	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		ret = PTR_ERR(ctx);
		goto out_fdput;
	}
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v) {
		eventfd_ctx_put(ctx);
		ret = -ENOMEM;
		goto out_fdput;
	}
	v->vdev = vdev;
	v->eventfd = ctx;
	init_waitqueue_func_entry(&v->wait, nvfio_pci_virqfd_wakeup);
	init_poll_funcptr(&v->pt, nvfio_pci_virqfd_queue);

	vdev->unmask_virqfd = v;
	events = vfs_poll(file, &v->pt);
	/*
	 * Already signalled before we listened: unmask now.  Not through the
	 * wakeup (consuming the count needs the queue lock); the count stays,
	 * as mainline leaves it.
	 */
	if (events & EPOLLIN)
		nvfio_pci_intx_unmask(vdev, false);
	ret = 0;
out_fdput:
	fput(file);
	return ret;
}

/* The user toggled DisINTx in the virtual command register. */
void nvfio_pci_intx_set_virq_disabled(struct nvfio_pci_device *vdev,
				      bool disabled)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (disabled != vdev->virq_disabled) {
		if (disabled) {
			vdev->virq_disabled = true;
			nvfio_pci_intx_mask_locked(vdev);
		} else {
			vdev->virq_disabled = false;
			/* still asserted: tell the user again, as mainline */
			if (nvfio_pci_intx_unmask_locked(vdev))
				schedule_work(&vdev->intx_inject);
		}
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);
}

/* Loopback trigger; igate held, so the trigger cannot change. */
static void nvfio_pci_signal_intx(struct nvfio_pci_device *vdev)
{
	if (nvfio_pci_is_intx(vdev))
		nvfio_pci_intx_signal(vdev);
}

/* Switch to INTx delivery; @trigger (may be NULL) is consumed on success. */
static int nvfio_pci_intx_enable(struct nvfio_pci_device *vdev,
				 struct eventfd_ctx *trigger)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned long irqflags = 0;
	struct nvfio_pci_irq_ctx *ctx;
	unsigned long flags;
	int ret;

	if (vdev->irq_type != NVFIO_PCI_IRQ_NONE)
		return -EINVAL;
	if (!pdev->irq)
		return -ENODEV;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->vdev = vdev;
	ctx->irq = pdev->irq;
	ctx->name =
		kasprintf(GFP_KERNEL_ACCOUNT, "vfio-intx(%s)", pci_name(pdev));
	if (!ctx->name) {
		kfree(ctx);
		return -ENOMEM;
	}
	ctx->trigger = trigger;

	spin_lock_irqsave(&vdev->irqlock, flags);
	vdev->ctx = ctx;
	vdev->num_ctx = 1;
	vdev->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
	/* A set virtual DisINTx keeps the line masked from the start. */
	vdev->intx_masked = vdev->virq_disabled;
	if (vdev->pci_2_3) {
		pci_intx(pdev, !vdev->intx_masked);
		irqflags = IRQF_SHARED;
	} else if (vdev->intx_masked) {
		/* masked from the start: never enabled, not disabled after */
		irqflags = IRQF_NO_AUTOEN;
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);

	/* An exclusive line is masked at the controller at once, not lazily. */
	if (!vdev->pci_2_3)
		irq_set_status_flags(pdev->irq, IRQ_DISABLE_UNLAZY);
	ret = request_irq(pdev->irq, nvfio_pci_intx_handler, irqflags,
			  ctx->name, vdev);
	if (ret) {
		if (!vdev->pci_2_3)
			irq_clear_status_flags(pdev->irq, IRQ_DISABLE_UNLAZY);
		spin_lock_irqsave(&vdev->irqlock, flags);
		vdev->irq_type = NVFIO_PCI_IRQ_NONE;
		vdev->ctx = NULL;
		vdev->num_ctx = 0;
		spin_unlock_irqrestore(&vdev->irqlock, flags);
		kfree(ctx->name);
		kfree(ctx);
		return ret;
	}
	return 0;
}

static void nvfio_pci_intx_set_trigger(struct nvfio_pci_device *vdev,
				       struct eventfd_ctx *trigger)
{
	struct eventfd_ctx *old;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	old = vdev->ctx[0].trigger;
	WRITE_ONCE(vdev->ctx[0].trigger, trigger);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	if (old) {
		/* the handler and intx_inject signal it: let them finish */
		synchronize_irq(vdev->pdev->irq);
		flush_work(&vdev->intx_inject);
		eventfd_ctx_put(old);
	}
}

static void nvfio_pci_intx_disable(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_irq_ctx *ctx = vdev->ctx;
	unsigned long flags;

	nvfio_pci_virqfd_disable(vdev);
	free_irq(vdev->pdev->irq, vdev);
	if (!vdev->pci_2_3)
		irq_clear_status_flags(vdev->pdev->irq, IRQ_DISABLE_UNLAZY);

	spin_lock_irqsave(&vdev->irqlock, flags);
	vdev->irq_type = NVFIO_PCI_IRQ_NONE;
	vdev->ctx = NULL;
	vdev->num_ctx = 0;
	vdev->intx_masked = false;
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	/* one queued before irq_type changed has run; none can follow */
	flush_work(&vdev->intx_inject);

	if (ctx->trigger)
		eventfd_ctx_put(ctx->trigger);
	kfree(ctx->name);
	kfree(ctx);
}

static int nvfio_pci_set_intx_mask(struct nvfio_pci_device *vdev,
				   unsigned int start, unsigned int count,
				   u32 flags, const void *data)
{
	if (!nvfio_pci_is_intx(vdev) || start != 0 || count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return -ENOTTY; /* mask eventfds: not in mainline either */
	if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(const u8 *)data)
		nvfio_pci_intx_mask(vdev);
	return 0;
}

static int nvfio_pci_set_intx_unmask(struct nvfio_pci_device *vdev,
				     unsigned int start, unsigned int count,
				     u32 flags, const void *data)
{
	if (!nvfio_pci_is_intx(vdev) || start != 0 || count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 fd = *(const s32 *)data;

		if (fd >= 0)
			return nvfio_pci_virqfd_enable(vdev, fd);
		nvfio_pci_virqfd_disable(vdev);
		return 0;
	}
	if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(const u8 *)data)
		nvfio_pci_intx_unmask(vdev, true);
	return 0;
}

static int nvfio_pci_set_intx_trigger(struct nvfio_pci_device *vdev,
				      unsigned int start, unsigned int count,
				      u32 flags, const void *data)
{
	if (nvfio_pci_is_intx(vdev) && !count &&
	    (flags & VFIO_IRQ_SET_DATA_NONE)) {
		nvfio_pci_intx_disable(vdev);
		return 0;
	}

	if (!(nvfio_pci_is_intx(vdev) ||
	      vdev->irq_type == NVFIO_PCI_IRQ_NONE) ||
	    start != 0 || count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 fd = *(const s32 *)data;
		struct eventfd_ctx *trigger = NULL;
		int ret = 0;

		if (fd >= 0) {
			trigger = eventfd_ctx_fdget(fd);
			if (IS_ERR(trigger))
				return PTR_ERR(trigger);
		}
		if (nvfio_pci_is_intx(vdev))
			nvfio_pci_intx_set_trigger(vdev, trigger);
		else
			ret = nvfio_pci_intx_enable(vdev, trigger);
		if (ret && trigger)
			eventfd_ctx_put(trigger);
		return ret;
	}

	if (!nvfio_pci_is_intx(vdev))
		return -EINVAL;
	/* DATA_NONE / DATA_BOOL: loopback for testing the user's path. */
	if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(const u8 *)data)
		nvfio_pci_signal_intx(vdev);
	return 0;
}

/* ---- MSI and MSI-X ------------------------------------------------- */

static irqreturn_t nvfio_pci_msi_handler(int irq, void *dev_id)
{
	struct nvfio_pci_irq_ctx *ctx = dev_id;
	struct nvfio_pci_device *vdev = ctx->vdev;

	nvfio_eventfd_signal(ctx->trigger);
	/* The ctx array is stable while the vector's irq is requested. */
	nvfio_pci_note_irq(vdev, ctx, READ_ONCE(vdev->irq_type),
			   ctx - READ_ONCE(vdev->ctx));
	return IRQ_HANDLED;
}

static int nvfio_pci_msi_enable(struct nvfio_pci_device *vdev,
				unsigned int index, unsigned int nvec)
{
	struct pci_dev *pdev = vdev->pdev;
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	unsigned int max = nvfio_pci_irq_count(vdev, index);
	struct nvfio_pci_irq_ctx *ctx;
	unsigned long flags;
	unsigned int i;
	int ret;
	u16 cmd;

	if (vdev->irq_type != NVFIO_PCI_IRQ_NONE)
		return -EINVAL;
	/* The count is read from the device again: it may have changed. */
	if (!nvec || nvec > max)
		return -EINVAL;

	/* One slot per vector the index has (dynamic MSI-X may grow). */
	ctx = kvcalloc(max, sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < max; i++) {
		ctx[i].vdev = vdev;
		ctx[i].irq = -EINVAL;
	}

	cmd = nvfio_pci_memory_lock_and_enable(vdev);
	ret = pci_alloc_irq_vectors(pdev, 1, nvec,
				    msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
	if (ret > 0 && ret < nvec)
		pci_free_irq_vectors(pdev);
	nvfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (ret < (int)nvec) {
		kvfree(ctx);
		/* Like mainline: a short count tells how many are possible. */
		return ret;
	}

	if (!msix)
		vdev->msi_qmax = fls(nvec * 2 - 1) - 1;

	vdev->msi_nvec = nvec;
	spin_lock_irqsave(&vdev->irqlock, flags);
	vdev->ctx = ctx;
	vdev->num_ctx = max;
	vdev->irq_type = index;
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return 0;
}

/* Linux irq for @vector, allocating a dynamic MSI-X vector if needed. */
static int nvfio_pci_msi_irq(struct nvfio_pci_device *vdev, unsigned int vector,
			     bool msix)
{
	int irq;
	u16 cmd;

	irq = pci_irq_vector(vdev->pdev, vector);
	if (irq > 0 || !msix || !vdev->has_dyn_msix)
		return irq ? irq : -EINVAL;

	cmd = nvfio_pci_memory_lock_and_enable(vdev);
	irq = nvfio_pci_msix_alloc_irq_at(vdev->pdev, vector);
	nvfio_pci_memory_unlock_and_restore(vdev, cmd);
	return irq;
}

/*
 * Point @vector at eventfd @fd, or disconnect it if @fd < 0.  Vectors
 * stay allocated once allocated; they are freed when the index is
 * disabled.
 */
static int nvfio_pci_msi_set_vector(struct nvfio_pci_device *vdev,
				    unsigned int vector, s32 fd, bool msix)
{
	struct nvfio_pci_irq_ctx *ctx = &vdev->ctx[vector];
	struct eventfd_ctx *trigger;
	int irq, ret;
	u16 cmd;

	if (ctx->trigger) {
		/* A consumer (KVM) lets go of the irq before it is freed. */
		irq_bypass_unregister_producer(&ctx->producer);
		cmd = nvfio_pci_memory_lock_and_enable(vdev);
		free_irq(ctx->irq, ctx);
		nvfio_pci_memory_unlock_and_restore(vdev, cmd);
		eventfd_ctx_put(ctx->trigger);
		ctx->trigger = NULL;
		kfree(ctx->name);
		ctx->name = NULL;
	}

	if (fd < 0)
		return 0;

	irq = nvfio_pci_msi_irq(vdev, vector, msix);
	if (irq < 0)
		return irq;

	ctx->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-msi%s[%u](%s)",
			      msix ? "x" : "", vector, pci_name(vdev->pdev));
	if (!ctx->name)
		return -ENOMEM;

	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger)) {
		ret = PTR_ERR(trigger);
		goto out_free_name;
	}
	ctx->trigger = trigger;
	ctx->irq = irq;

	cmd = nvfio_pci_memory_lock_and_enable(vdev);
	if (msix) {
		struct msi_msg msg;

		/*
		 * A reset the kernel did not see may have cleared the
		 * table entry: write the cached message back first.
		 */
		get_cached_msi_msg(irq, &msg);
		pci_write_msi_msg(irq, &msg);
	}
	ret = request_irq(irq, nvfio_pci_msi_handler, 0, ctx->name, ctx);
	nvfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (ret)
		goto out_put;

	/*
	 * Offer the vector to an irq bypass consumer on the same eventfd:
	 * KVM's irqfd then posts the interrupt straight into the guest where
	 * the host can (VT-d posted interrupts, AVIC).  Failing that is no
	 * error, as on mainline: the eventfd path still works.
	 */
	ctx->producer.token = trigger;
	ctx->producer.irq = irq;
	ret = irq_bypass_register_producer(&ctx->producer);
	if (unlikely(ret)) {
		pci_info(
			vdev->pdev,
			"irq bypass producer (token %p) registration fails: %d\n",
			ctx->producer.token, ret);
		ctx->producer.token = NULL;
	}
	return 0;

out_put:
	eventfd_ctx_put(trigger);
	ctx->trigger = NULL;
out_free_name:
	kfree(ctx->name);
	ctx->name = NULL;
	return ret;
}

static int nvfio_pci_msi_set_block(struct nvfio_pci_device *vdev,
				   unsigned int start, unsigned int count,
				   const s32 *fds, bool msix)
{
	unsigned int i;
	int ret = 0;

	/*
	 * ctx[] was sized when the index was enabled; the bounds the ioctl
	 * checked were read from the device since, and a broken device may
	 * report a larger table now.
	 */
	if (start >= vdev->num_ctx || count > vdev->num_ctx - start)
		return -EINVAL;

	for (i = 0; i < count; i++) {
		ret = nvfio_pci_msi_set_vector(vdev, start + i,
					       fds ? fds[i] : -1, msix);
		if (ret)
			break;
	}
	if (ret) {
		while (i--)
			nvfio_pci_msi_set_vector(vdev, start + i, -1, msix);
	}
	return ret;
}

static void nvfio_pci_msi_disable(struct nvfio_pci_device *vdev)
{
	bool msix = vdev->irq_type == VFIO_PCI_MSIX_IRQ_INDEX;
	struct nvfio_pci_irq_ctx *ctx = vdev->ctx;
	unsigned long flags;
	unsigned int i;
	u16 cmd;

	for (i = 0; i < vdev->num_ctx; i++)
		nvfio_pci_msi_set_vector(vdev, i, -1, msix);

	cmd = nvfio_pci_memory_lock_and_enable(vdev);
	pci_free_irq_vectors(vdev->pdev);
	nvfio_pci_memory_unlock_and_restore(vdev, cmd);
	/* Freeing the vectors cleared DisINTx: set it again for nointx. */
	if (vdev->nointx)
		pci_intx(vdev->pdev, 0);

	vdev->msi_nvec = 0;
	spin_lock_irqsave(&vdev->irqlock, flags);
	vdev->irq_type = NVFIO_PCI_IRQ_NONE;
	vdev->ctx = NULL;
	vdev->num_ctx = 0;
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	kvfree(ctx);
}

static int nvfio_pci_set_msi_trigger(struct nvfio_pci_device *vdev,
				     unsigned int index, unsigned int start,
				     unsigned int count, u32 flags,
				     const void *data)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	unsigned int i;
	int ret;

	if (vdev->irq_type == index && !count &&
	    (flags & VFIO_IRQ_SET_DATA_NONE)) {
		nvfio_pci_msi_disable(vdev);
		return 0;
	}

	if (vdev->irq_type != index && vdev->irq_type != NVFIO_PCI_IRQ_NONE)
		return -EINVAL;

	/* Kernels before 6.5: only the vectors enabled (nvfio_compat.h). */
	if (NVFIO_PCI_MSI_CTX_FIXED && vdev->irq_type == index &&
	    start + count > vdev->msi_nvec)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (vdev->irq_type == index)
			return nvfio_pci_msi_set_block(vdev, start, count, data,
						       msix);

		ret = nvfio_pci_msi_enable(vdev, index, start + count);
		if (ret)
			return ret;
		ret = nvfio_pci_msi_set_block(vdev, start, count, data, msix);
		if (ret)
			nvfio_pci_msi_disable(vdev);
		return ret;
	}

	if (vdev->irq_type != index)
		return -EINVAL;

	/* DATA_NONE / DATA_BOOL: loopback on the wired vectors. */
	for (i = start; i < start + count && i < vdev->num_ctx; i++) {
		struct eventfd_ctx *trigger = vdev->ctx[i].trigger;

		if (!trigger)
			continue;
		if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
		    ((const u8 *)data)[i - start])
			nvfio_eventfd_signal(trigger);
	}
	return 0;
}

/* ---- ERR and REQ --------------------------------------------------- */

static void nvfio_pci_trigger_replace(struct eventfd_ctx **slot,
				      struct eventfd_ctx *trigger)
{
	struct eventfd_ctx *old = *slot;

	*slot = trigger;
	if (old)
		eventfd_ctx_put(old);
}

/* The single-vector indexes: one eventfd slot, loopback for testing. */
static int nvfio_pci_set_single_trigger(struct eventfd_ctx **slot,
					unsigned int count, u32 flags,
					const void *data)
{
	struct eventfd_ctx *trigger;
	s32 fd;

	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!*slot)
			return -EINVAL;
		if (count)
			nvfio_eventfd_signal(*slot);
		else
			nvfio_pci_trigger_replace(slot, NULL);
		return 0;
	}

	if (!count)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(const u8 *)data && *slot)
			nvfio_eventfd_signal(*slot);
		return 0;
	}

	fd = *(const s32 *)data;
	if (fd == -1) {
		nvfio_pci_trigger_replace(slot, NULL);
		return 0;
	}
	if (fd < 0)
		return -EINVAL;
	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger))
		return PTR_ERR(trigger);
	nvfio_pci_trigger_replace(slot, trigger);
	return 0;
}

/* ---- the ioctl ----------------------------------------------------- */

/*
 * Check the header the way clients expect from mainline and return the
 * size of the data array that follows it.
 */
static int nvfio_pci_set_irqs_check(const struct vfio_irq_set *hdr,
				    unsigned int max, size_t *data_size)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	size_t elem;

	*data_size = 0;
	if (hdr->argsz < minsz || hdr->index >= VFIO_PCI_NUM_IRQS ||
	    hdr->count >= U32_MAX - hdr->start ||
	    (hdr->flags &
	     ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;

	if (hdr->start >= max || hdr->start + hdr->count > max)
		return -EINVAL;

	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		elem = sizeof(u8);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		elem = sizeof(s32);
		break;
	default:
		return -EINVAL;
	}

	if (hdr->argsz - minsz < (size_t)hdr->count * elem)
		return -EINVAL;
	*data_size = (size_t)hdr->count * elem;
	return 0;
}

static int nvfio_pci_set_irqs(struct nvfio_pci_device *vdev,
			      const struct vfio_irq_set *hdr, const void *data)
{
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	u32 flags = hdr->flags;

	switch (hdr->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		switch (action) {
		case VFIO_IRQ_SET_ACTION_MASK:
			return nvfio_pci_set_intx_mask(vdev, hdr->start,
						       hdr->count, flags, data);
		case VFIO_IRQ_SET_ACTION_UNMASK:
			return nvfio_pci_set_intx_unmask(
				vdev, hdr->start, hdr->count, flags, data);
		case VFIO_IRQ_SET_ACTION_TRIGGER:
			return nvfio_pci_set_intx_trigger(
				vdev, hdr->start, hdr->count, flags, data);
		}
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		/* Per-vector masking is not exported by the MSI layer. */
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return nvfio_pci_set_msi_trigger(vdev, hdr->index,
							 hdr->start, hdr->count,
							 flags, data);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER ||
		    !pci_is_pcie(vdev->pdev))
			break;
		if (hdr->start != 0 || hdr->count > 1)
			return -EINVAL;
		/* TODO: signalled from the AER error_detected callback. */
		return nvfio_pci_set_single_trigger(&vdev->err_trigger,
						    hdr->count, flags, data);
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
			break;
		if (hdr->start != 0 || hdr->count > 1)
			return -EINVAL;
		return nvfio_pci_set_single_trigger(&vdev->req_trigger,
						    hdr->count, flags, data);
	}
	return -ENOTTY;
}

int nvfio_pci_ioctl_set_irqs(struct nvfio_pci_device *vdev, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;

	ret = nvfio_pci_set_irqs_check(
		&hdr, nvfio_pci_irq_count(vdev, hdr.index), &data_size);
	if (ret)
		return ret;

	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	mutex_lock(&vdev->igate);
	ret = nvfio_pci_set_irqs(vdev, &hdr, data);
	mutex_unlock(&vdev->igate);
	nvfio_pci_note_set_irqs(vdev, &hdr, ret);

	kfree(data);
	return ret;
}

/* close_device: drop every interrupt and eventfd the user set up. */
void nvfio_pci_irqs_teardown(struct nvfio_pci_device *vdev)
{
	unsigned long flags;

	mutex_lock(&vdev->igate);
	if (nvfio_pci_is_intx(vdev))
		nvfio_pci_intx_disable(vdev);
	else if (vdev->irq_type != NVFIO_PCI_IRQ_NONE)
		nvfio_pci_msi_disable(vdev);
	nvfio_pci_trigger_replace(&vdev->err_trigger, NULL);
	nvfio_pci_trigger_replace(&vdev->req_trigger, NULL);
	mutex_unlock(&vdev->igate);

	spin_lock_irqsave(&vdev->irqlock, flags);
	vdev->virq_disabled = false;
	vdev->intx_masked = false;
	spin_unlock_irqrestore(&vdev->irqlock, flags);
}

/* ops->request: the device is going away while @count fds are open. */
void nvfio_pci_request(struct nvfio_device *core, unsigned int count)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);

	mutex_lock(&vdev->igate);
	if (vdev->req_trigger) {
		if (!(count % 10))
			pci_notice_ratelimited(
				vdev->pdev,
				"Relaying device request to user (#%u)\n",
				count);
		nvfio_eventfd_signal(vdev->req_trigger);
	} else if (count == 0) {
		pci_warn(
			vdev->pdev,
			"No device request channel registered, blocked until released by user\n");
	}
	mutex_unlock(&vdev->igate);
}
