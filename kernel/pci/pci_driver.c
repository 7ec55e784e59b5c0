// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_driver.c - the "vfio-pci" PCI driver of nvfio: module entry points,
 * probe/remove and the device fd dispatch (struct nvfio_device_ops).
 *
 * The driver has no static ID table: like mainline's vfio-pci it binds
 * only to devices whose driver_override names it, or to IDs written to
 * its new_id file.  It claims DMA ownership itself (driver_managed_dma),
 * the core takes it per group when userspace attaches a container.
 *
 * Locking: probe and remove are serialized by the driver core (device
 * lock).  Everything else about a device lives in struct nvfio_pci_device;
 * nvfio_pci.h lists which lock protects which field.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "nvfio_pci.h"

static long nvfio_pci_ioctl(struct nvfio_device *core, unsigned int cmd,
			    unsigned long arg)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);
	void __user *uarg = (void __user *)arg;
	long ret;

	/* Every ioctl wakes the device, as mainline's core does (pci_pm.c). */
	ret = nvfio_pci_pm_get(vdev);
	if (ret)
		return ret;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		ret = nvfio_pci_ioctl_get_info(vdev, uarg);
		break;
	case VFIO_DEVICE_GET_REGION_INFO:
		ret = nvfio_pci_ioctl_get_region_info(vdev, uarg);
		break;
	case VFIO_DEVICE_GET_IRQ_INFO:
		ret = nvfio_pci_ioctl_get_irq_info(vdev, uarg);
		break;
	case VFIO_DEVICE_SET_IRQS:
		ret = nvfio_pci_ioctl_set_irqs(vdev, uarg);
		break;
	case VFIO_DEVICE_RESET:
		ret = nvfio_pci_ioctl_reset(vdev);
		break;
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		ret = nvfio_pci_ioctl_hot_reset_info(vdev, uarg);
		break;
	case VFIO_DEVICE_PCI_HOT_RESET:
		ret = nvfio_pci_ioctl_hot_reset(vdev, uarg);
		break;
	case VFIO_DEVICE_IOEVENTFD:
		ret = nvfio_pci_ioctl_ioeventfd(vdev, uarg);
		break;
	case VFIO_DEVICE_FEATURE: /* header checked by the core */
		ret = nvfio_pci_ioctl_feature(vdev, uarg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	nvfio_pci_pm_put(vdev);
	return ret;
}

static const struct nvfio_device_ops nvfio_pci_ops = {
	.name = NVFIO_PCI_DRIVER_NAME,
	.open_device = nvfio_pci_open_device,
	.close_device = nvfio_pci_close_device,
	.read = nvfio_pci_read,
	.write = nvfio_pci_write,
	.ioctl = nvfio_pci_ioctl,
	.mmap = nvfio_pci_mmap,
	.request = nvfio_pci_request,
	.match = nvfio_pci_match,
	.attrs = nvfio_pci_attrs,
};

/*
 * ids=: mainline's parameter, used in modprobe.d files everywhere ("options
 * vfio-pci ids=8086:10d3,..."): the listed IDs are added as dynamic IDs once
 * the driver is registered, so matching devices bind to us at load (or later
 * probe).  Each entry is vendor:device[:subvendor[:subdevice[:class[:mask]]]]
 * in hex; missing sub-IDs match anything.
 */
static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(
	ids,
	"Initial PCI IDs to add to the vfio-pci driver, format is \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\" and multiple comma separated entries can be specified");

/*
 * nointxmask and disable_idle_d3: mainline's, read once when the module
 * loads (later writes to their sysfs files change nothing, as there).
 */
static bool nointxmask;
module_param_named(nointxmask, nointxmask, bool, 0644);
MODULE_PARM_DESC(
	nointxmask,
	"Disable support for PCI 2.3 style INTx masking.  If this resolves problems for specific devices, report lspci -vvvxxx to linux-pci@vger.kernel.org so the device can be fixed automatically via the broken_intx_masking flag.");
static bool disable_idle_d3;
module_param(disable_idle_d3, bool, 0644);
MODULE_PARM_DESC(
	disable_idle_d3,
	"Disable using the PCI D3 low power state for idle, unused devices");

/*
 * disable_vga: mainline's, where the kernel has VGA support in vfio-pci
 * (CONFIG_VFIO_PCI_VGA; Debian's have); read-only, as there.  Without it
 * no device has a VGA region (pci_vga.c).
 */
#if IS_ENABLED(CONFIG_VFIO_PCI_VGA)
static bool disable_vga;
module_param(disable_vga, bool, 0444);
MODULE_PARM_DESC(disable_vga, "Disable VGA resource access through vfio-pci");
#endif

/* Their values at load, which is what the driver uses. */
bool nvfio_pci_nointxmask;
bool nvfio_pci_disable_idle_d3;
bool nvfio_pci_disable_vga = true;

static void __init nvfio_pci_add_ids(struct pci_driver *drv)
{
	char *p = ids, *id;

	while ((id = strsep(&p, ","))) {
		unsigned int vendor, device, subvendor = PCI_ANY_ID,
					     subdevice = PCI_ANY_ID, class = 0,
					     class_mask = 0;
		int n, ret;

		if (!*id)
			continue;
		n = sscanf(id, "%x:%x:%x:%x:%x:%x", &vendor, &device,
			   &subvendor, &subdevice, &class, &class_mask);
		if (n < 2) {
			pr_warn("ids: \"%s\" is not vendor:device[:...] in hex; ignored\n",
				id);
			continue;
		}
		ret = pci_add_dynid(drv, vendor, device, subvendor, subdevice,
				    class, class_mask, 0);
		if (ret)
			pr_warn("ids: cannot add %04x:%04x (%d)\n", vendor,
				device, ret);
		else
			pr_info("ids: added %04x:%04x sub %04x:%04x class %#08x/%08x\n",
				vendor, device, subvendor, subdevice, class,
				class_mask);
	}
}

static int nvfio_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct nvfio_pci_device *vdev;
	int ret;

	if (nvfio_pci_denylisted(pdev))
		return -EINVAL;

	/* Bridges and cardbus headers are not handed to userspace. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;

	/*
	 * A PF whose VFs already exist may have them in use elsewhere; we
	 * cannot track those users, so refuse like mainline does.
	 */
	if (pci_num_vf(pdev)) {
		pci_warn(pdev, "Cannot bind to PF with SR-IOV enabled\n");
		return -EBUSY;
	}

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		return -ENOMEM;

	vdev->pdev = pdev;
	vdev->irq_type = NVFIO_PCI_IRQ_NONE;
	vdev->msix_bar = 0xff;
	INIT_LIST_HEAD(&vdev->dummy_res);
	mutex_init(&vdev->bar_lock);
	mutex_init(&vdev->ioeventfds_lock);
	INIT_LIST_HEAD(&vdev->ioeventfds);
	init_rwsem(&vdev->memory_lock);
	mutex_init(&vdev->cfg_lock);
	mutex_init(&vdev->igate);
	spin_lock_init(&vdev->irqlock);
	nvfio_pci_intx_init(vdev);

	nvfio_pci_probe_power_state(vdev);
	dev_set_drvdata(&pdev->dev, vdev);

	/* Into its reset domain before anyone can open it. */
	ret = nvfio_pci_devset_join(vdev);
	if (ret)
		goto out_free;
	/* A VF finds its PF, a PF watches for its VFs (pci_sriov.c). */
	ret = nvfio_pci_sriov_probe(vdev);
	if (ret)
		goto out_devset;
	/* A VGA device joins the arbiter (pci_vga.c). */
	ret = nvfio_pci_vga_probe(vdev);
	if (ret)
		goto out_sriov;
	nvfio_pci_pm_probe(vdev);
	ret = nvfio_register_device(&vdev->vdev, &pdev->dev, &nvfio_pci_ops);
	if (ret)
		goto out_pm;
	return 0;

out_pm:
	nvfio_pci_pm_remove(vdev);
	nvfio_pci_vga_remove(vdev);
out_sriov:
	nvfio_pci_sriov_remove(vdev);
out_devset:
	nvfio_pci_devset_leave(vdev);
out_free:
	dev_set_drvdata(&pdev->dev, NULL);
	kfree(vdev);
	return ret;
}

static void nvfio_pci_remove(struct pci_dev *pdev)
{
	struct nvfio_pci_device *vdev = dev_get_drvdata(&pdev->dev);

	/*
	 * Our VFs go first: this waits until their users have closed them,
	 * as the unregistration below waits for ours.
	 */
	nvfio_pci_sriov_disable(vdev);
	/* Blocks until every device fd is closed (close_device has run). */
	nvfio_unregister_device(&vdev->vdev);
	nvfio_pci_sriov_remove(vdev);
	nvfio_pci_vga_remove(vdev);
	nvfio_pci_pm_remove(vdev);
	nvfio_pci_devset_leave(vdev);

	dev_set_drvdata(&pdev->dev, NULL);
	kfree(vdev->pm_save);
	mutex_destroy(&vdev->igate);
	mutex_destroy(&vdev->cfg_lock);
	mutex_destroy(&vdev->ioeventfds_lock);
	mutex_destroy(&vdev->bar_lock);
	kfree(vdev);
}

static struct pci_driver nvfio_pci_driver = {
	.name = NVFIO_PCI_DRIVER_NAME,
	.id_table = NULL, /* driver_override and new_id only */
	.probe = nvfio_pci_probe,
	.remove = nvfio_pci_remove,
	.sriov_configure = nvfio_pci_sriov_configure, /* pci_sriov.c */
	.err_handler = &nvfio_pci_err_handlers,
	.driver_managed_dma = true,
	.driver.pm = &nvfio_pci_pm_ops, /* runtime PM (pci_pm.c) */
};

static int __init nvfio_pci_init(void)
{
	struct device_driver *other;
	int ret;

	/*
	 * The driver name is what clients look for, so it must be exactly
	 * mainline's; both cannot be registered at once.  Check first to
	 * give a clear message instead of the driver core's generic one.
	 */
	other = driver_find(NVFIO_PCI_DRIVER_NAME, &pci_bus_type);
	if (other)
		goto busy;

	nvfio_pci_nointxmask = nointxmask;
	nvfio_pci_disable_idle_d3 = disable_idle_d3;
#if IS_ENABLED(CONFIG_VFIO_PCI_VGA)
	nvfio_pci_disable_vga = disable_vga;
#endif

	ret = pci_register_driver(&nvfio_pci_driver);
	if (ret == -EBUSY || ret == -EEXIST)
		goto busy;
	if (ret)
		return ret;
	nvfio_pci_add_ids(&nvfio_pci_driver);
	nvfio_pci_quirks_init();
	return 0;

busy:
	pr_err("a driver named %s is already registered; unload mainline's %s first\n",
	       NVFIO_PCI_DRIVER_NAME, NVFIO_PCI_DRIVER_NAME);
	return -EBUSY;
}

static void __exit nvfio_pci_exit(void)
{
	pci_unregister_driver(&nvfio_pci_driver);
}

module_init(nvfio_pci_init);
module_exit(nvfio_pci_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(NVFIO_MODULE_VERSION);
MODULE_DESCRIPTION("nvfio: PCI bus driver (\"vfio-pci\")");
