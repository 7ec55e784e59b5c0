// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_mmap.c - BAR mappings: mmap(2) of a BAR region of the device fd and
 * the fault handler that fills it in.
 *
 * Locking: a fault inserts device pages under memory_lock held for read
 * and fails (SIGBUS) while the user has memory decode disabled or the
 * device is in the user's low power.  Whoever turns decode off or resets
 * zaps the mappings first (pci_reset.c), with memory_lock held for write.
 */
#include <linux/mm.h>
#include <linux/pci.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

#define NVFIO_PCI_PGOFF_SHIFT (NVFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)

static vm_fault_t nvfio_pci_mmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct nvfio_pci_device *vdev = vma->vm_private_data;
	unsigned int bar = vma->vm_pgoff >> NVFIO_PCI_PGOFF_SHIFT;
	unsigned long pgoff, pfn;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	pgoff = (vma->vm_pgoff & (BIT_ULL(NVFIO_PCI_PGOFF_SHIFT) - 1)) +
		((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	pfn = (pci_resource_start(vdev->pdev, bar) >> PAGE_SHIFT) + pgoff;

	down_read(&vdev->memory_lock);
	/* Not in the user's low power either (pci_pm.c): no waking here. */
	if (!vdev->pm_runtime_engaged && nvfio_pci_mem_usable(vdev))
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
	up_read(&vdev->memory_lock);
	return ret;
}

/*
 * No .access: generic_access_phys would let ptrace and /proc/PID/mem reach
 * device memory without memory_lock, while decode may be off or the device
 * in reset.  Mainline's BAR mappings have none either.
 */
static const struct vm_operations_struct nvfio_pci_mmap_ops = {
	.fault = nvfio_pci_mmap_fault,
};

int nvfio_pci_mmap(struct nvfio_device *core, struct vm_area_struct *vma)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);
	struct pci_dev *pdev = vdev->pdev;
	u64 index = vma->vm_pgoff >> NVFIO_PCI_PGOFF_SHIFT;
	u64 req_start, req_len, bar_len;
	void __iomem *io;

	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	if (vma->vm_end < vma->vm_start)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* Only BARs map: not the ROM, config space or VGA. */
	if (index >= VFIO_PCI_ROM_REGION_INDEX)
		return -EINVAL;
	if (!vdev->bar_mmap_ok[index])
		return -EINVAL;

	bar_len = PAGE_ALIGN(pci_resource_len(pdev, index));
	req_len = vma->vm_end - vma->vm_start;
	req_start = (u64)(vma->vm_pgoff & (BIT_ULL(NVFIO_PCI_PGOFF_SHIFT) - 1))
		    << PAGE_SHIFT;
	if (req_start + req_len > bar_len)
		return -EINVAL;

	/* The mapping itself is unused, but it requests the region. */
	io = nvfio_pci_barmap(vdev, index);
	if (IS_ERR(io))
		return PTR_ERR(io);

	vma->vm_private_data = vdev;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_page_prot = pgprot_decrypted(vma->vm_page_prot);
	/* Fixed here: the fault handler must not change vm_flags. */
	nvfio_vm_flags_set(vma,
			   VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &nvfio_pci_mmap_ops;
	return 0;
}
