// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_pm.c - runtime power management of bound devices, and the
 * VFIO_DEVICE_FEATUREs of vfio-pci: LOW_POWER_ENTRY(_WITH_WAKEUP),
 * LOW_POWER_EXIT and PCI_VF_TOKEN.
 *
 * As on mainline, runtime PM is allowed on every bound device
 * (power/control "auto"), and a device no one has open is left idle, so
 * the PCI core suspends it (D3hot where it has the PM capability) unless
 * the module was loaded with disable_idle_d3=1; then it stays in D0.  The
 * usage count the driver holds:
 *   - one from probe to remove only with disable_idle_d3;
 *   - one from open_device to close_device, dropped while the user has the
 *     device in low power (pm_runtime_engaged);
 *   - one around every device ioctl and read/write, which so wakes a
 *     device in low power for the access (and, with a wakeup eventfd,
 *     signals it and leaves low power for good, in the resume callback).
 * BAR mmaps are revoked on entry to low power and fault SIGBUS while it
 * lasts (pci_mmap.c), ioeventfds and read/write only see D3 as any other
 * decode-off state.
 *
 * Locking: pm_runtime_engaged and pm_wake_eventfd are written under
 * memory_lock held for write (the low-power feature, the resume callback,
 * close); the fault handler reads pm_runtime_engaged under it for read.
 * The runtime PM callbacks take memory_lock themselves, so nothing that
 * holds memory_lock may wait for a runtime resume of the same device:
 * every pm_runtime_resume_and_get() here and in the devset reset comes
 * before memory_lock.  pm_intx_masked is only touched by the two runtime
 * callbacks, which the PM core serializes.
 */
#include <linux/eventfd.h>
#include <linux/pm_runtime.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

/*
 * Around every device ioctl and read/write: the device is awake (D0)
 * until nvfio_pci_pm_put().  Return: 0, or -EIO if it cannot be woken.
 */
int nvfio_pci_pm_get(struct nvfio_pci_device *vdev)
{
	int ret = pm_runtime_resume_and_get(&vdev->pdev->dev);

	if (ret) {
		pci_info_ratelimited(vdev->pdev, "runtime resume failed %d\n",
				     ret);
		return -EIO;
	}
	return 0;
}

void nvfio_pci_pm_put(struct nvfio_pci_device *vdev)
{
	pm_runtime_put(&vdev->pdev->dev);
}

/* ---- low power, asked for by the user ------------------------------- */

static int nvfio_pci_low_power_enter(struct nvfio_pci_device *vdev,
				     struct eventfd_ctx *wake)
{
	/* No BAR mapping while in low power: they fault SIGBUS until exit. */
	nvfio_pci_zap_and_down_write_memory_lock(vdev);
	if (vdev->pm_runtime_engaged) {
		up_write(&vdev->memory_lock);
		return -EINVAL;
	}
	vdev->pm_runtime_engaged = true;
	vdev->pm_wake_eventfd = wake;
	/*
	 * Drop the reference open_device took; the ioctl's own one goes on
	 * return, and then the device may suspend.
	 */
	pm_runtime_put_noidle(&vdev->pdev->dev);
	up_write(&vdev->memory_lock);
	return 0;
}

/* memory_lock held for write */
static void __nvfio_pci_low_power_exit(struct nvfio_pci_device *vdev)
{
	lockdep_assert_held_write(&vdev->memory_lock);
	if (!vdev->pm_runtime_engaged)
		return;
	vdev->pm_runtime_engaged = false;
	/* open_device's reference back; the caller keeps the device awake */
	pm_runtime_get_noresume(&vdev->pdev->dev);
	if (vdev->pm_wake_eventfd) {
		eventfd_ctx_put(vdev->pm_wake_eventfd);
		vdev->pm_wake_eventfd = NULL;
	}
}

static void nvfio_pci_low_power_exit(struct nvfio_pci_device *vdev)
{
	down_write(&vdev->memory_lock);
	__nvfio_pci_low_power_exit(vdev);
	up_write(&vdev->memory_lock);
}

/*
 * The checks every feature makes, as mainline's vfio_check_feature():
 * GET/SET beyond @ops is -EINVAL, PROBE answers 0 here, otherwise one of
 * GET/SET must be asked and @argsz cover @minsz.  Return: 1 to go on, 0
 * for a probe, or -EINVAL.
 */
static int nvfio_pci_check_feature(u32 flags, size_t argsz, u32 ops,
				   size_t minsz)
{
	u32 getset = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;

	if (flags & getset & ~ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(flags & getset))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

static int nvfio_pci_feature_low_power(struct nvfio_pci_device *vdev, u32 flags,
				       size_t argsz)
{
	int ret = nvfio_pci_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
					  0);

	if (ret != 1)
		return ret;
	return nvfio_pci_low_power_enter(vdev, NULL);
}

static int nvfio_pci_feature_low_power_wakeup(struct nvfio_pci_device *vdev,
					      u32 flags, void __user *data,
					      size_t argsz)
{
	struct vfio_device_low_power_entry_with_wakeup entry;
	struct eventfd_ctx *wake;
	int ret;

	ret = nvfio_pci_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				      sizeof(entry));
	if (ret != 1)
		return ret;
	if (copy_from_user(&entry, data, sizeof(entry)))
		return -EFAULT;
	if (entry.wakeup_eventfd < 0)
		return -EINVAL;
	wake = eventfd_ctx_fdget(entry.wakeup_eventfd);
	if (IS_ERR(wake))
		return PTR_ERR(wake);
	ret = nvfio_pci_low_power_enter(vdev, wake);
	if (ret)
		eventfd_ctx_put(wake);
	return ret;
}

static int nvfio_pci_feature_low_power_exit(struct nvfio_pci_device *vdev,
					    u32 flags, size_t argsz)
{
	int ret = nvfio_pci_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
					  0);

	if (ret != 1)
		return ret;
	/*
	 * The ioctl woke the device; with a wakeup eventfd, that already
	 * left low power (the resume callback), so this may find nothing to
	 * do: still 0, as on mainline.
	 */
	nvfio_pci_low_power_exit(vdev);
	return 0;
}

/*
 * PCI_VF_TOKEN: only a PF with SR-IOV has a token (and VFs to hand it to);
 * for any other device the feature does not exist.  The token is what the
 * PF's VFs must be opened with (pci_sriov.c); it cannot be read back, as
 * it would give away the previous user's.
 */
static int nvfio_pci_feature_vf_token(struct nvfio_pci_device *vdev, u32 flags,
				      void __user *data, size_t argsz)
{
	uuid_t uuid;
	int ret;

	if (!vdev->pdev->is_physfn)
		return -ENOTTY;
	ret = nvfio_pci_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				      sizeof(uuid));
	if (ret != 1)
		return ret;
	if (copy_from_user(&uuid, data, sizeof(uuid)))
		return -EFAULT;
	nvfio_pci_sriov_set_token(vdev, &uuid);
	return 0;
}

/*
 * VFIO_DEVICE_FEATURE after the core's header checks (kernel/core/
 * device.c); the device is awake (the ioctl's runtime PM reference).
 */
int nvfio_pci_ioctl_feature(struct nvfio_pci_device *vdev, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature __user *uf = arg;
	struct vfio_device_feature feature;
	size_t argsz;

	if (copy_from_user(&feature, uf, minsz))
		return -EFAULT;
	argsz = feature.argsz - minsz;

	switch (feature.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		return nvfio_pci_feature_low_power(vdev, feature.flags, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		return nvfio_pci_feature_low_power_wakeup(vdev, feature.flags,
							  uf->data, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return nvfio_pci_feature_low_power_exit(vdev, feature.flags,
							argsz);
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		return nvfio_pci_feature_vf_token(vdev, feature.flags, uf->data,
						  argsz);
	default:
		/* migration, DMA logging and the rest: no such feature */
		return -ENOTTY;
	}
}

/* ---- runtime PM callbacks --------------------------------------------- */

static int __maybe_unused nvfio_pci_runtime_suspend(struct device *dev)
{
	struct nvfio_pci_device *vdev = dev_get_drvdata(dev);

	/*
	 * The user may have put the function in D3hot through the PM
	 * capability: back to D0 (restoring what D3hot lost), so that the
	 * PCI core's suspend saves the real state and picks the target.
	 */
	down_write(&vdev->memory_lock);
	nvfio_pci_set_power_state(vdev, PCI_D0);
	up_write(&vdev->memory_lock);

	/* An INTx the user left unmasked is masked while suspended. */
	vdev->pm_intx_masked = nvfio_pci_intx_pm_mask(vdev);
	return 0;
}

static int __maybe_unused nvfio_pci_runtime_resume(struct device *dev)
{
	struct nvfio_pci_device *vdev = dev_get_drvdata(dev);

	/* Woken with a wakeup eventfd: tell the user, low power is over. */
	down_write(&vdev->memory_lock);
	if (vdev->pm_wake_eventfd) {
		nvfio_eventfd_signal(vdev->pm_wake_eventfd);
		__nvfio_pci_low_power_exit(vdev);
	}
	up_write(&vdev->memory_lock);

	if (vdev->pm_intx_masked)
		nvfio_pci_intx_pm_unmask(vdev);
	return 0;
}

/*
 * The PCI core saves and restores the config state around runtime
 * suspend itself; the callbacks only undo the user's D3hot and mask INTx.
 */
const struct dev_pm_ops nvfio_pci_pm_ops = {SET_RUNTIME_PM_OPS(
	nvfio_pci_runtime_suspend, nvfio_pci_runtime_resume, NULL)};

/* ---- probe/remove, open/close ----------------------------------------- */

/* Probe, before registration: D0, runtime PM allowed, idle unless told. */
void nvfio_pci_pm_probe(struct nvfio_pci_device *vdev)
{
	struct device *dev = &vdev->pdev->dev;

	vdev->disable_idle_d3 = READ_ONCE(nvfio_pci_disable_idle_d3);
	/*
	 * The PCI core leaves an unbound function's power state unknown,
	 * and from there only D0 is allowed: go there before runtime PM may
	 * take the function to D3.
	 */
	down_write(&vdev->memory_lock);
	nvfio_pci_set_power_state(vdev, PCI_D0);
	up_write(&vdev->memory_lock);

	pm_runtime_allow(dev);
	/* The reference the PCI core took for probe is ours to drop. */
	if (!vdev->disable_idle_d3)
		pm_runtime_put(dev);
}

/* Remove (or a failed probe), after unregistration: undo the above. */
void nvfio_pci_pm_remove(struct nvfio_pci_device *vdev)
{
	struct device *dev = &vdev->pdev->dev;

	if (!vdev->disable_idle_d3)
		pm_runtime_get_noresume(dev);
	/* resumes the device: the callbacks still find vdev */
	pm_runtime_forbid(dev);
}

/* First open: awake for as long as the device is open. */
int nvfio_pci_pm_open(struct nvfio_pci_device *vdev)
{
	if (vdev->disable_idle_d3)
		return 0;
	return pm_runtime_resume_and_get(&vdev->pdev->dev);
}

/* An open that failed, or the end of the last close. */
void nvfio_pci_pm_release(struct nvfio_pci_device *vdev)
{
	if (!vdev->disable_idle_d3)
		pm_runtime_put(&vdev->pdev->dev);
}

/*
 * Last close, first thing: out of low power (the user's or the PCI
 * core's) and into D0, so that the function can be reset and its state
 * put back.
 */
void nvfio_pci_pm_close(struct nvfio_pci_device *vdev)
{
	nvfio_pci_low_power_exit(vdev);
	pm_runtime_resume(&vdev->pdev->dev);
	down_write(&vdev->memory_lock);
	nvfio_pci_set_power_state(vdev, PCI_D0);
	up_write(&vdev->memory_lock);
}
