// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_mmap.c - BAR mappings: mmap(2) of a BAR region of the device fd and
 * the fault handlers that fill it in, a page at a time or, on kernels
 * with huge pfn mappings (6.12, nvfio_compat.h), a PMD (2 MiB) or PUD
 * (1 GiB) block at a time where the user address, the offset in the BAR
 * and the BAR's address are aligned to the block and the VMA covers it.
 * The kernel does not align the address of an mmap of the device fd (no
 * get_unmapped_area, as mainline 6.12): a user that wants huge entries
 * picks an aligned address itself (MAP_FIXED inside a larger reservation).
 *
 * Locking: a fault inserts device pages under memory_lock held for read
 * (nvfio_pci_mmap_insert()) and fails (SIGBUS) while the user has memory
 * decode disabled or the device is in the user's low power.  Whoever
 * turns decode off or resets zaps the mappings first (pci_reset.c), with
 * memory_lock held for write; the zap removes huge entries as it removes
 * PTEs.  The core calls both fault handlers inside its gate (revoke.c).
 */
#include <linux/align.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/pci.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

#define NVFIO_PCI_PGOFF_SHIFT (NVFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)

/*
 * Map @pfn, the first page of a block of 2^@order pages at vmf->address
 * rounded down, while the user may access the BAR: decode on and not in
 * the user's low power (pci_pm.c; a fault does not wake the device).
 */
static vm_fault_t nvfio_pci_mmap_insert(struct nvfio_pci_device *vdev,
					struct vm_fault *vmf, unsigned long pfn,
					unsigned int order)
{
	lockdep_assert_held(&vdev->memory_lock);

	if (vdev->pm_runtime_engaged || !nvfio_pci_mem_usable(vdev))
		return VM_FAULT_SIGBUS;
	return nvfio_vmf_insert_pfn(vmf, pfn, order);
}

/*
 * A fault on a BAR mapping: map the block of 2^@order pages that holds
 * vmf->address, one page (@order 0, the 4 KiB fault) or, where the kernel
 * has huge pfn mappings (nvfio_compat.h), a PMD or PUD block.  A block
 * that is not wholly inside the VMA, or whose BAR address is not aligned
 * to its size (an mmap at an offset inside the BAR, a user address not
 * aligned), cannot be one entry: VM_FAULT_FALLBACK, and the kernel tries
 * the next smaller size, down to the page, which always fits.
 */
static vm_fault_t nvfio_pci_mmap_huge_fault(struct vm_fault *vmf,
					    unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct nvfio_pci_device *vdev = vma->vm_private_data;
	unsigned int bar = vma->vm_pgoff >> NVFIO_PCI_PGOFF_SHIFT;
	unsigned long size = PAGE_SIZE << order;
	unsigned long start = ALIGN_DOWN(vmf->address, size);
	unsigned long pgoff, pfn;
	vm_fault_t ret;

	if (start < vma->vm_start || vma->vm_end - start < size)
		return VM_FAULT_FALLBACK;
	pgoff = (vma->vm_pgoff & (BIT_ULL(NVFIO_PCI_PGOFF_SHIFT) - 1)) +
		((start - vma->vm_start) >> PAGE_SHIFT);
	pfn = (pci_resource_start(vdev->pdev, bar) >> PAGE_SHIFT) + pgoff;
	if (!IS_ALIGNED(pfn, 1UL << order))
		return VM_FAULT_FALLBACK;

	down_read(&vdev->memory_lock);
	ret = nvfio_pci_mmap_insert(vdev, vmf, pfn, order);
	up_read(&vdev->memory_lock);
	return ret;
}

static vm_fault_t nvfio_pci_mmap_fault(struct vm_fault *vmf)
{
	return nvfio_pci_mmap_huge_fault(vmf, 0);
}

/*
 * No .access: generic_access_phys would let ptrace and /proc/PID/mem reach
 * device memory without memory_lock, while decode may be off or the device
 * in reset.  Mainline's BAR mappings have none either.
 */
static const struct vm_operations_struct nvfio_pci_mmap_ops = {
	.fault = nvfio_pci_mmap_fault,
#if NVFIO_HAS_HUGE_PFNMAP
	.huge_fault = nvfio_pci_mmap_huge_fault,
#endif
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
