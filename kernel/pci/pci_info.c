// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_info.c - the read-only description ioctls: VFIO_DEVICE_GET_INFO,
 * VFIO_DEVICE_GET_REGION_INFO and VFIO_DEVICE_GET_IRQ_INFO.
 *
 * Locking: these only read open state that is stable between open_device
 * and close_device, plus hardware registers that do not change while the
 * device is bound (MSI/MSI-X capability sizes).  Probing the ROM takes
 * memory_lock for write through nvfio_pci_memory_lock_and_enable().
 */
#include <linux/bitfield.h>
#include <linux/pci.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

/* Number of vectors userspace may use on interrupt index @index. */
unsigned int nvfio_pci_irq_count(struct nvfio_pci_device *vdev,
				 unsigned int index)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return nvfio_pci_config_intx_pin(vdev) ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (!pdev->msi_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS,
				     &flags);
		return 1U << FIELD_GET(PCI_MSI_FLAGS_QMASK, flags);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (!pdev->msix_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
				     &flags);
		return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_is_pcie(pdev) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

/*
 * The AtomicOps completer capability: which atomic sizes the device
 * completes (its PF's DEVCAP2), counted only where every port up to the
 * root routes and completes them; asking also enables AtomicOp requests
 * in the device (pci_enable_atomic_ops_to_root()), as on mainline.
 * Return: 0, -ENODEV if there is nothing to report, or -ENOMEM.
 */
static int nvfio_pci_info_atomic_cap(struct nvfio_pci_device *vdev,
				     struct nvfio_info_cap *caps)
{
	static const u32 sizes[][2] = {
		{PCI_EXP_DEVCAP2_ATOMIC_COMP32, VFIO_PCI_ATOMIC_COMP32},
		{PCI_EXP_DEVCAP2_ATOMIC_COMP64, VFIO_PCI_ATOMIC_COMP64},
		{PCI_EXP_DEVCAP2_ATOMIC_COMP128, VFIO_PCI_ATOMIC_COMP128},
	};
	struct vfio_device_info_cap_pci_atomic_comp *cap;
	struct pci_dev *pdev = pci_physfn(vdev->pdev);
	struct vfio_info_cap_header *hdr;
	u32 devcap2 = 0, flags = 0;
	unsigned int i;

	if (!NVFIO_PCI_HAS_ATOMIC_CAP)
		return -ENODEV;
	pcie_capability_read_dword(pdev, PCI_EXP_DEVCAP2, &devcap2);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if ((devcap2 & sizes[i][0]) &&
		    !pci_enable_atomic_ops_to_root(pdev, sizes[i][0]))
			flags |= sizes[i][1];
	if (!flags)
		return -ENODEV;

	hdr = nvfio_info_cap_add(caps, sizeof(*cap),
				 VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	cap = container_of(hdr, struct vfio_device_info_cap_pci_atomic_comp,
			   header);
	cap->flags = flags;
	return 0;
}

int nvfio_pci_ioctl_get_info(struct nvfio_pci_device *vdev, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct nvfio_info_cap caps = {};
	struct vfio_device_info info = {};
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.flags = VFIO_DEVICE_FLAGS_PCI;
	if (vdev->reset_works)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	/* TODO: device-specific regions (IGD, ...) would be counted here. */
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;

	/* (zPCI's capabilities exist only on s390.) */
	ret = nvfio_pci_info_atomic_cap(vdev, &caps);
	if (ret && ret != -ENODEV) {
		pci_warn(vdev->pdev,
			 "Failed to setup AtomicOps info capability\n");
		kfree(caps.buf);
		return ret;
	}

	/*
	 * With no chain, cap_offset stays 0; only the structure the user
	 * sized is written back either way.
	 */
	return nvfio_info_cap_copy(
		&caps, &info, sizeof(info),
		offsetof(struct vfio_device_info, cap_offset),
		VFIO_DEVICE_FLAGS_CAPS, arg);
}

/*
 * Size of the ROM region: the ROM BAR size (not the size of the image in
 * it), or the shadow copy's window.  0 if there is none.
 */
size_t nvfio_pci_rom_size(struct pci_dev *pdev)
{
	size_t size = pci_resource_len(pdev, PCI_ROM_RESOURCE);

	if (!size &&
	    (pdev->resource[PCI_ROM_RESOURCE].flags & IORESOURCE_ROM_SHADOW))
		size = NVFIO_PCI_SHADOW_ROM_SIZE;
	return size;
}

/* Fill @info for the ROM region: readable only if an image is there. */
static void nvfio_pci_rom_info(struct nvfio_pci_device *vdev,
			       struct vfio_region_info *info)
{
	struct pci_dev *pdev = vdev->pdev;
	void __iomem *rom;
	size_t image;
	u16 cmd;

	info->flags = 0;
	info->size = nvfio_pci_rom_size(pdev);
	if (!info->size)
		return;

	/* pci_map_rom() reads the image, which needs memory decode. */
	cmd = nvfio_pci_memory_lock_and_enable(vdev);
	rom = pci_map_rom(pdev, &image);
	if (rom) {
		info->flags = VFIO_REGION_INFO_FLAG_READ;
		pci_unmap_rom(pdev, rom);
	} else {
		info->size = 0;
	}
	nvfio_pci_memory_unlock_and_restore(vdev, cmd);
}

int nvfio_pci_ioctl_get_region_info(struct nvfio_pci_device *vdev,
				    void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct nvfio_info_cap caps = {};
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_region_info info;
	struct vfio_info_cap_header *hdr;
	unsigned int index;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	index = info.index;
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		index = array_index_nospec(index, PCI_STD_NUM_BARS);
		info.offset = NVFIO_PCI_INDEX_TO_OFFSET(index);
		info.size = pci_resource_len(pdev, index);
		info.flags = 0;
		if (!info.size)
			break;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		if (!vdev->bar_mmap_ok[index])
			break;
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		/*
		 * The MSI-X table may be mmapped along with the rest of its
		 * BAR: the IOMMU's interrupt remapping protects the host.
		 */
		if (index == vdev->msix_bar) {
			hdr = nvfio_info_cap_add(
				&caps, sizeof(*hdr),
				VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1);
			if (IS_ERR(hdr))
				return PTR_ERR(hdr);
		}
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		info.offset = NVFIO_PCI_INDEX_TO_OFFSET(index);
		nvfio_pci_rom_info(vdev, &info);
		break;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.offset = NVFIO_PCI_INDEX_TO_OFFSET(index);
		info.size = pdev->cfg_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_VGA_REGION_INDEX:
		/* The legacy ranges at their own addresses (pci_vga.c). */
		if (!vdev->has_vga)
			return -EINVAL;
		info.offset = NVFIO_PCI_INDEX_TO_OFFSET(index);
		info.size = NVFIO_PCI_VGA_REGION_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	default:
		/* TODO: device-specific regions with a CAP_TYPE. */
		return -EINVAL;
	}

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		info.cap_offset = 0;
		return nvfio_info_cap_copy(
			&caps, &info, sizeof(info),
			offsetof(struct vfio_region_info, cap_offset),
			VFIO_REGION_INFO_FLAG_CAPS, arg);
	}

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

int nvfio_pci_ioctl_get_irq_info(struct nvfio_pci_device *vdev,
				 void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;

	/* The error index exists only for PCI Express functions. */
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !pci_is_pcie(vdev->pdev))
		return -EINVAL;

	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = nvfio_pci_irq_count(vdev, info.index);

	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX || !vdev->has_dyn_msix)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}
