// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_device.c - the life of an opened device: open_device/close_device,
 * lazily mapped BARs and memory-decode helpers.  Resets the user asks for
 * and mmap revocation live in pci_reset.c.
 *
 * Locking (see nvfio_pci.h for the whole picture):
 *   - open/close run serialized by the core and no other callback of the
 *     device runs concurrently with them, so the "open state" fields
 *     (saved_state, reset_works, pci_2_3, msix_*, bar_mmap_ok, dummy_res)
 *     are written here without locks and only read elsewhere.
 *   - barmap[] is filled on first use under bar_lock and emptied at close.
 *   - memory_lock (write) is held around everything that may change the
 *     hardware memory-decode bit behind the user's back: resets and the
 *     temporary enable used when the kernel must touch the MSI-X table.
 *   - open and close run under the reset domain's lock (pci_devset.c),
 *     which keeps hot resets of the domain away while the function is
 *     reset and its state saved or restored; close marks the device
 *     needs_reset unless its function reset worked, and resets the whole
 *     domain when it was the last one open.
 */
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

/*
 * Enable memory decode in hardware for a kernel access (MSI-X table
 * programming, ROM probing) regardless of what the user set.  Returns the
 * command register to restore; memory_lock is held for write until
 * nvfio_pci_memory_unlock_and_restore().
 */
u16 nvfio_pci_memory_lock_and_enable(struct nvfio_pci_device *vdev)
{
	u16 cmd;

	down_write(&vdev->memory_lock);
	pci_read_config_word(vdev->pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(vdev->pdev, PCI_COMMAND,
				      cmd | PCI_COMMAND_MEMORY);
	return cmd;
}

void nvfio_pci_memory_unlock_and_restore(struct nvfio_pci_device *vdev, u16 cmd)
{
	pci_write_config_word(vdev->pdev, PCI_COMMAND, cmd);
	up_write(&vdev->memory_lock);
}

/*
 * The user wrote the power state field of the PM capability.  Called
 * with memory_lock held for write: BAR accesses are refused in D3hot
 * (the device does not decode there).
 */
/* D3hot or D3cold (pci_power_t is __bitwise: equality only, for sparse). */
static bool nvfio_pci_in_d3(pci_power_t state)
{
	return state == PCI_D3hot || state == PCI_D3cold;
}

void nvfio_pci_set_power_state(struct nvfio_pci_device *vdev, pci_power_t state)
{
	struct pci_dev *pdev = vdev->pdev;
	pci_power_t from = pdev->current_state;
	bool save, restore;

	lockdep_assert_held_write(&vdev->memory_lock);
	/* A PF with VFs stays in D0 (pci_sriov.c), as on mainline. */
	if (vdev->sriov_active && state != PCI_D0)
		return;
	save = vdev->needs_pm_restore && !nvfio_pci_in_d3(from) &&
	       nvfio_pci_in_d3(state);
	restore = vdev->needs_pm_restore && nvfio_pci_in_d3(from) &&
		  state == PCI_D0;
	if (save)
		pci_save_state(pdev);
	if (pci_set_power_state(pdev, state)) {
		pci_dbg(pdev, "power state change to %s failed\n",
			pci_power_name(state));
		return;
	}
	/* A quirk may keep the function out of D3: then nothing was lost. */
	if (save && nvfio_pci_in_d3(pdev->current_state)) {
		/* One left from a D3hot ended behind our back is stale. */
		kfree(vdev->pm_save);
		vdev->pm_save = pci_store_saved_state(pdev);
	} else if (restore && vdev->pm_save) {
		pci_load_and_free_saved_state(pdev, &vdev->pm_save);
		pci_restore_state(pdev);
	}
}

/* At probe: does leaving D3hot reset the function (No_Soft_Reset clear)? */
void nvfio_pci_probe_power_state(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 pmcsr;

	if (!pdev->pm_cap)
		return;
	pci_read_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, &pmcsr);
	vdev->needs_pm_restore = !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET);
}

/*
 * The kernel mapping of standard BAR @bar, requesting the region on first
 * use.  Return: the mapping or an IOMEM_ERR_PTR().
 *
 * Once set, barmap[bar] stays until the last close (which no access can
 * run beside), so an access finds it without bar_lock: the release store
 * below publishes the mapping with it.
 */
void __iomem *nvfio_pci_barmap(struct nvfio_pci_device *vdev, int bar)
{
	struct pci_dev *pdev = vdev->pdev;
	void __iomem *io;
	int ret;

	io = smp_load_acquire(&vdev->barmap[bar]);
	if (io)
		return io;

	mutex_lock(&vdev->bar_lock);
	io = vdev->barmap[bar];
	if (io)
		goto out;

	ret = pci_request_selected_regions(pdev, 1 << bar,
					   NVFIO_PCI_DRIVER_NAME);
	if (ret) {
		io = IOMEM_ERR_PTR(ret);
		goto out;
	}

	io = pci_iomap(pdev, bar, 0);
	if (!io) {
		pci_release_selected_regions(pdev, 1 << bar);
		io = IOMEM_ERR_PTR(-ENOMEM);
		goto out;
	}
	smp_store_release(&vdev->barmap[bar], io);
out:
	mutex_unlock(&vdev->bar_lock);
	return io;
}

static void nvfio_pci_barmap_release(struct nvfio_pci_device *vdev)
{
	int bar;

	mutex_lock(&vdev->bar_lock);
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!vdev->barmap[bar])
			continue;
		pci_iounmap(vdev->pdev, vdev->barmap[bar]);
		pci_release_selected_regions(vdev->pdev, 1 << bar);
		vdev->barmap[bar] = NULL;
	}
	mutex_unlock(&vdev->bar_lock);
}

/*
 * Decide which BARs userspace may mmap.  Memory BARs of at least a page
 * are always fine.  A smaller BAR that starts on a page boundary becomes
 * mappable once the rest of its page is reserved, so that no other
 * device's BAR can ever be assigned there; unaligned small BARs are not.
 */
static void nvfio_pci_probe_mmaps(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		struct resource *res = &pdev->resource[bar];
		struct nvfio_pci_dummy_res *dummy;

		vdev->bar_mmap_ok[bar] = false;
		if (!(res->flags & IORESOURCE_MEM) || !resource_size(res))
			continue;

		if (resource_size(res) >= PAGE_SIZE) {
			vdev->bar_mmap_ok[bar] = true;
			continue;
		}

		if (res->start & ~PAGE_MASK)
			continue;

		dummy = kzalloc(sizeof(*dummy), GFP_KERNEL_ACCOUNT);
		if (!dummy)
			continue;
		dummy->res.name = "nvfio sub-page reserved";
		dummy->res.start = res->end + 1;
		dummy->res.end = res->start + PAGE_SIZE - 1;
		dummy->res.flags = res->flags;
		if (request_resource(res->parent, &dummy->res)) {
			kfree(dummy);
			continue;
		}
		list_add(&dummy->next, &vdev->dummy_res);
		vdev->bar_mmap_ok[bar] = true;
	}
}

static void nvfio_pci_release_dummies(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_dummy_res *dummy, *tmp;

	list_for_each_entry_safe(dummy, tmp, &vdev->dummy_res, next) {
		list_del(&dummy->next);
		release_resource(&dummy->res);
		kfree(dummy);
	}
}

static void nvfio_pci_probe_msix(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;
	u32 table;

	vdev->msix_bar = 0xff;
	vdev->msix_offset = 0;
	vdev->msix_size = 0;
	vdev->has_dyn_msix = false;
	if (!pdev->msix_cap)
		return;

	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	vdev->msix_bar = table & PCI_MSIX_TABLE_BIR;
	vdev->msix_offset = table & PCI_MSIX_TABLE_OFFSET;
	vdev->msix_size =
		((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * PCI_MSIX_ENTRY_SIZE;
	vdev->has_dyn_msix = nvfio_pci_msix_can_alloc_dyn(pdev);
}

static int nvfio_pci_do_open(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd;
	int ret;

	ret = nvfio_pci_pm_open(vdev);
	if (ret < 0)
		return ret;

	/* The state we save and restore at close must not include DMA. */
	pci_clear_master(pdev);

	ret = pci_enable_device(pdev);
	if (ret)
		goto out_pm;

	/*
	 * Start from a clean device.  -EAGAIN means someone holds the
	 * device lock (e.g. a concurrent sysfs reset): fail the open rather
	 * than hand out a device in an unknown state.
	 */
	ret = pci_try_reset_function(pdev);
	if (ret == -EAGAIN)
		goto out_disable;
	vdev->reset_works = !ret;
	if (vdev->reset_works)
		nvfio_pci_note_reset(vdev, "open");

	pci_save_state(pdev);
	vdev->saved_state = pci_store_saved_state(pdev);
	if (!vdev->saved_state)
		pci_dbg(pdev, "could not store the saved state\n");

	/*
	 * A device whose INTx masking is broken (pci_quirks.c) is offered no
	 * INTx at all, and DisINTx stays set in hardware: the user cannot
	 * make it assert a line we could not mask.  With nointxmask=1 no
	 * device's DisINTx is used: INTx is masked at the interrupt
	 * controller (an exclusive line) and the quirk list is not looked at,
	 * as on mainline.
	 */
	vdev->nointx = false;
	vdev->pci_2_3 = false;
	if (!nvfio_pci_nointxmask) {
		vdev->nointx = nvfio_pci_nointx(pdev);
		if (vdev->nointx) {
			pci_info(pdev, "Masking broken INTx support\n");
			pci_intx(pdev, 0);
		} else {
			vdev->pci_2_3 = pci_intx_mask_supported(pdev);
		}
	}
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (vdev->pci_2_3 && (cmd & PCI_COMMAND_INTX_DISABLE)) {
		cmd &= ~PCI_COMMAND_INTX_DISABLE;
		pci_write_config_word(pdev, PCI_COMMAND, cmd);
	}

	ret = nvfio_pci_config_init(vdev);
	if (ret)
		goto out_free_state;

	nvfio_pci_probe_msix(vdev);
	nvfio_pci_probe_mmaps(vdev);

	vdev->intx_masked = false;
	vdev->virq_disabled = false;
	vdev->irq_type = NVFIO_PCI_IRQ_NONE;
	return 0;

out_free_state:
	kfree(vdev->saved_state);
	vdev->saved_state = NULL;
out_disable:
	pci_disable_device(pdev);
out_pm:
	nvfio_pci_pm_release(vdev);
	return ret;
}

int nvfio_pci_open_device(struct nvfio_device *core)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);
	int ret;

	/* No hot reset of the domain while we reset and save the function. */
	nvfio_pci_devset_lock(vdev);
	ret = nvfio_pci_do_open(vdev);
	if (!ret) {
		vdev->devset_open = true;
		/* a VF of our PF: its PF now has a VF in use */
		nvfio_pci_sriov_open(vdev);
	}
	nvfio_pci_devset_unlock(vdev);
	return ret;
}

/* Reset @pdev with its state already loaded; false if not possible now. */
static bool nvfio_pci_reset_locked(struct pci_dev *pdev)
{
	struct pci_dev *bridge = pci_upstream_bridge(pdev);
	bool done = false;

	/*
	 * pci_try_reset_function() would save and restore the user's state
	 * around the reset; we want ours, already loaded, so take the locks
	 * ourselves and never wait for them (remove may hold them).
	 */
	if (bridge && !pci_dev_trylock(bridge))
		return false;
	if (pci_dev_trylock(pdev)) {
		done = !__pci_reset_function_locked(pdev);
		pci_dev_unlock(pdev);
	}
	if (bridge)
		pci_dev_unlock(bridge);
	return done;
}

static void nvfio_pci_do_close(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	/* Awake and in D0, whatever power state the user left. */
	nvfio_pci_pm_close(vdev);

	/* Stop DMA first, then interrupts. */
	pci_clear_master(pdev);
	nvfio_pci_irqs_teardown(vdev);
	nvfio_pci_ioeventfd_teardown(vdev);

	nvfio_pci_config_free(vdev);
	nvfio_pci_barmap_release(vdev);
	nvfio_pci_release_dummies(vdev);

	/* Until a reset below (or of the whole domain) cleans up after the
	 * user. */
	vdev->needs_reset = true;

	/*
	 * Put back the state from before the user.  If there is none, a
	 * reset with the user's state is still better than nothing, but
	 * without a reset, saving and restoring it would be busy work.
	 */
	if (pci_load_and_free_saved_state(pdev, &vdev->saved_state)) {
		pci_info(pdev, "could not reload the saved state\n");
		if (!vdev->reset_works)
			goto out_disable;
		pci_save_state(pdev);
	}

	/* Quiesce INTx/decode while resetting, like pci_reset_function(). */
	pci_write_config_word(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	if (vdev->reset_works) {
		if (nvfio_pci_reset_locked(pdev)) {
			vdev->needs_reset = false;
			nvfio_pci_note_reset(vdev, "close");
		} else
			pci_dbg(pdev, "no reset at close (device busy)\n");
	}
	pci_restore_state(pdev);

out_disable:
	pci_disable_device(pdev);
}

void nvfio_pci_close_device(struct nvfio_device *core)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);

	/*
	 * No user mapping is left (each VMA holds a device file) or, when
	 * the core revokes the device (kernel/core/revoke.c), they are
	 * zapped already and their faults refused by the core, so there is
	 * nothing to zap; the domain's lock keeps hot resets out while
	 * the function is reset and its saved state put back, and then
	 * while the whole domain is reset if it was the last one open.
	 */
	nvfio_pci_devset_lock(vdev);
	nvfio_pci_sriov_close(vdev);
	vdev->devset_open = false;
	nvfio_pci_do_close(vdev);
	nvfio_pci_devset_try_reset(vdev);
	/* open_device's runtime PM reference: the device may idle now */
	nvfio_pci_pm_release(vdev);
	nvfio_pci_devset_unlock(vdev);
}
