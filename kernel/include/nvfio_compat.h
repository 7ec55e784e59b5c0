/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvfio_compat.h - every kernel API whose signature differs between the
 * kernels nvfio targets (Debian 12's 6.12 LTS and its default 6.1) goes
 * through this file, so the rest of the code is written once against one
 * spelling.
 *
 * Rule: code outside this header never tests LINUX_VERSION_CODE.  Where a
 * kernel lacks a facility, the entry here says what mainline's vfio does on
 * that kernel and nvfio does the same.
 */
#ifndef NVFIO_COMPAT_H
#define NVFIO_COMPAT_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/pfn_t.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vfio.h>

/* eventfd_signal() lost its count argument in 6.8. */
static inline void nvfio_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* iommu_map() gained a gfp argument in 6.3. */
static inline int nvfio_iommu_map(struct iommu_domain *domain,
				  unsigned long iova, phys_addr_t paddr,
				  size_t size, int prot)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
#else
	return iommu_map(domain, iova, paddr, size, prot);
#endif
}

/*
 * An unmanaged paging domain for the devices of @dev's IOMMU group.
 * 6.11 added iommu_paging_domain_alloc(dev); before it, domains were
 * allocated per bus and returned NULL on failure.
 */
static inline struct iommu_domain *nvfio_iommu_domain_alloc(struct device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return iommu_paging_domain_alloc(dev);
#else
	struct iommu_domain *d = iommu_domain_alloc(dev->bus);

	return d ? d : ERR_PTR(-EIO);
#endif
}

/*
 * Whether MSIs from @group's devices are isolated (interrupt remapping).
 * 6.3 added iommu_group_has_isolated_msi().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
static inline bool nvfio_group_has_isolated_msi(struct iommu_group *group)
{
	return iommu_group_has_isolated_msi(group);
}
#else
static inline int nvfio_dev_intr_remap(struct device *dev, void *data)
{
	if (!device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP))
		*(bool *)data = false;
	return 0;
}

static inline bool nvfio_group_has_isolated_msi(struct iommu_group *group)
{
	bool ok = true;

	iommu_group_for_each_dev(group, &ok, nvfio_dev_intr_remap);
	return ok;
}
#endif

/*
 * Nesting on an unmanaged domain (VFIO_TYPE1_NESTING_IOMMU): 6.13 removed
 * iommu_enable_nesting() together with type1's nesting support.
 */
static inline int nvfio_iommu_enable_nesting(struct iommu_domain *domain)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
	return iommu_enable_nesting(domain);
#else
	return -EINVAL;
#endif
}

/* pin_user_pages_remote() lost its vmas argument in 6.5. */
static inline long nvfio_pin_user_pages_remote(struct mm_struct *mm,
					       unsigned long start,
					       unsigned long nr_pages,
					       unsigned int gup_flags,
					       struct page **pages, int *locked)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     locked);
#else
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, locked);
#endif
}

/* get_user_pages_remote() lost its vmas argument in 6.5 too. */
static inline long nvfio_get_user_pages_remote(struct mm_struct *mm,
					       unsigned long start,
					       unsigned long nr_pages,
					       unsigned int gup_flags,
					       struct page **pages, int *locked)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     locked);
#else
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, locked);
#endif
}

/* vm_flags became write-protected (vm_flags_set()) in 6.3. */
static inline void nvfio_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* class_create() lost its owner argument in 6.4. */
static inline struct class *nvfio_class_create(const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return class_create(name);
#else
	return class_create(THIS_MODULE, name);
#endif
}

/* struct class::devnode takes a const device since 6.2. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define NVFIO_DEVNODE_CONST const
#else
#define NVFIO_DEVNODE_CONST
#endif

/*
 * The pfn mapped at @addr of a VM_IO/VM_PFNMAP @vma, and whether the
 * mapping is writable.  The caller holds the vma's mmap_lock.  Return: 0,
 * or a negative errno if nothing is mapped there (yet).
 *
 * 6.12 walks with follow_pfnmap_start()/follow_pfnmap_end() (which also
 * see huge PMD/PUD mappings); before, follow_pte() returned the locked pte,
 * taking the vma since 6.10 and the mm before.
 */
static inline int nvfio_follow_pfn(struct vm_area_struct *vma,
				   unsigned long addr, unsigned long *pfn,
				   bool *writable)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	struct follow_pfnmap_args args = {.vma = vma, .address = addr};
	int ret = follow_pfnmap_start(&args);

	if (ret)
		return ret;
	*pfn = args.pfn;
	*writable = args.writable;
	follow_pfnmap_end(&args);
	return 0;
#else
	spinlock_t *ptl;
	pte_t *ptep, pte;
	int ret;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	ret = follow_pte(vma, addr, &ptep, &ptl);
	if (ret)
		return ret;
#else
	if (!(vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return -EINVAL;
	ret = follow_pte(vma->vm_mm, addr, &ptep, &ptl);
	if (ret)
		return ret;
	/* This follow_pte() does not tell sparse that it took the lock. */
	__acquire(ptl);
#endif
	pte = ptep_get(ptep);
	*pfn = pte_pfn(pte);
	*writable = pte_write(pte);
	pte_unmap_unlock(ptep, ptl);
	return 0;
#endif
}

/*
 * Huge pfn mappings: 6.12 can map VM_PFNMAP memory with PMD and PUD leaf
 * entries (marked special, like pfn PTEs, so no struct page is looked
 * for), inserted by vm_ops->huge_fault(vmf, order) where the architecture
 * selects ARCH_SUPPORTS_{PMD,PUD}_PFNMAP (x86-64 with THP); it then asks
 * huge_fault for a PUD, then a PMD, before the 4 KiB fault.  6.1 has no
 * such entries (nor the order argument): there mainline's vfio-pci maps
 * BARs with 4 KiB PTEs only and so does nvfio; NVFIO_HAS_HUGE_PFNMAP is 0
 * and nobody provides huge_fault.
 *
 * nvfio_vmf_insert_pfn() maps the block of 2^@order pages (0, PMD_ORDER
 * or PUD_ORDER) that starts at @pfn at vmf->address rounded down to the
 * block, with the VMA's protection and not marked dirty, as
 * vmf_insert_pfn() maps a page; an order the kernel cannot map answers
 * VM_FAULT_FALLBACK.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) &&                          \
	IS_ENABLED(CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP)
#define NVFIO_HAS_HUGE_PFNMAP 1
#else
#define NVFIO_HAS_HUGE_PFNMAP 0
#endif

static inline vm_fault_t nvfio_vmf_insert_pfn(struct vm_fault *vmf,
					      unsigned long pfn,
					      unsigned int order)
{
	if (!order)
		return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
#if NVFIO_HAS_HUGE_PFNMAP && IS_ENABLED(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)
	if (order == PMD_ORDER)
		return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  false);
#endif
#if NVFIO_HAS_HUGE_PFNMAP && IS_ENABLED(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP)
	if (order == PUD_ORDER)
		return vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  false);
#endif
	return VM_FAULT_FALLBACK;
}

/* Strip tag bits from a user address of @mm (untagged_addr_remote(), 6.4). */
static inline unsigned long nvfio_untagged_addr_remote(struct mm_struct *mm,
						       unsigned long addr)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return untagged_addr_remote(mm, addr);
#else
	return untagged_addr(addr);
#endif
}

/*
 * Whether the IOMMU of @dev enforces cache-coherent DMA (ignores PCIe
 * no-snoop), as KVM asks through vfio_file_enforced_coherent().
 *
 * 6.2 added IOMMU_CAP_ENFORCE_CACHE_COHERENCY.  6.1 has no per-device
 * answer: mainline 6.1's vfio asks the group's container instead
 * (VFIO_CHECK_EXTENSION(VFIO_DMA_CC_IOMMU), true while the group is in no
 * container).  NVFIO_HAS_DEVICE_COHERENCY tells the core which of the two
 * questions the running kernel's vfio asks.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define NVFIO_HAS_DEVICE_COHERENCY true
static inline bool nvfio_device_enforces_coherency(struct device *dev)
{
	return device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
}
#else
#define NVFIO_HAS_DEVICE_COHERENCY false
static inline bool nvfio_device_enforces_coherency(struct device *dev)
{
	return true;
}
#endif

/*
 * Dynamic MSI-X: adding vectors while MSI-X is enabled
 * (pci_msix_can_alloc_dyn(), pci_msix_alloc_irq_at(), 6.2).
 *
 * 6.1 cannot.  There, as mainline 6.1's vfio-pci, nvfio_pci reports
 * VFIO_IRQ_INFO_NORESIZE for MSI-X and refuses (-EINVAL) a vector beyond
 * those enabled: to add vectors the user disables MSI-X and enables it
 * again with the larger count (QEMU does).  nvfio_pci_msix_alloc_irq_at()
 * is then never called; it returns the Linux irq or a negative errno.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static inline bool nvfio_pci_msix_can_alloc_dyn(struct pci_dev *pdev)
{
	return pci_msix_can_alloc_dyn(pdev);
}

static inline int nvfio_pci_msix_alloc_irq_at(struct pci_dev *pdev,
					      unsigned int index)
{
	struct msi_map map = pci_msix_alloc_irq_at(pdev, index, NULL);

	return map.index < 0 ? map.index : map.virq;
}
#else
static inline bool nvfio_pci_msix_can_alloc_dyn(struct pci_dev *pdev)
{
	return false;
}

static inline int nvfio_pci_msix_alloc_irq_at(struct pci_dev *pdev,
					      unsigned int index)
{
	return -EINVAL;
}
#endif

/*
 * Until 6.5 (which reworked vfio-pci's interrupt contexts for dynamic
 * MSI-X), mainline's vfio-pci fixed the MSI/MSI-X contexts when the index
 * was enabled: a SET_IRQS (eventfds or loopback) reaching beyond the
 * vectors enabled is refused with -EINVAL before anything changes.  Since,
 * each vector is tried in turn.  nvfio_pci gives the running kernel's
 * answer.
 */
#define NVFIO_PCI_MSI_CTX_FIXED (LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0))

/*
 * VFIO_GROUP_SET_CONTAINER with an fd that is no container: -EINVAL on
 * 6.1; since 6.2 mainline's vfio also tries the fd as an iommufd, and
 * Debian's kernels (no IOMMUFD) answer -EBADFD.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define NVFIO_NOT_A_CONTAINER_ERRNO EBADFD
#else
#define NVFIO_NOT_A_CONTAINER_ERRNO EINVAL
#endif

/*
 * The bus driver's module reference: 6.1's vfio takes one per open device
 * fd, later kernels one per open device (first open to last close).
 */
#define NVFIO_DRIVER_REF_PER_FD (LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))

/*
 * Unregistering a device that still has open fds: 6.1's vfio leaves it on
 * its group's list while it waits for them, so VFIO_GROUP_GET_DEVICE_FD
 * still hands out new fds (the device is still open); since the device
 * cdev work (6.6) it is taken off the list first and the ioctl fails with
 * -ENODEV.
 */
#define NVFIO_UNLIST_AFTER_RELEASE                                             \
	(LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0))

/*
 * No-IOMMU devices: 6.1's vfio checks CAP_SYS_RAWIO (and that the container
 * has its backend) at every VFIO_GROUP_GET_DEVICE_FD; since 6.2 only the
 * device's first open is checked, so a process that dropped the capability
 * still gets more fds of a device open already.
 */
#define NVFIO_NOIOMMU_RAWIO_EVERY_OPEN                                         \
	(LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))

/*
 * Capabilities in *_GET_INFO chains: 8-byte aligned since 6.6 (each padded
 * to a multiple of 8); 6.1 packs them at their own sizes.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define NVFIO_INFO_CAP_ALIGN sizeof(u64)
#else
#define NVFIO_INFO_CAP_ALIGN 1
#endif

/*
 * VFIO_DEVICE_PCI_HOT_RESET: 6.1's vfio-pci first asks whether a slot or
 * bus reset exists (-ENODEV), then checks the group fd count (-EINVAL for
 * none).  Since 6.5 an empty array is the iommufd (cdev) form and a group
 * user's empty array is refused first.
 */
#define NVFIO_PCI_HOT_RESET_SCOPE_FIRST                                        \
	(LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0))

/*
 * BAR and VGA read()/write(): 6.1's vfio-pci splits accesses into at most
 * 4 bytes; later kernels (6.11) do 8-byte accesses (ioread64/iowrite64)
 * on every BAR but the ROM and on the VGA region.
 */
#define NVFIO_PCI_BAR_RW_8BYTE (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0))

/*
 * VFIO_DEVICE_GET_INFO's AtomicOps completer capability
 * (VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP) came in 6.5; 6.1's vfio-pci
 * reports no device capability on x86 (and leaves AtomicOp requests
 * disabled in the device).
 */
#define NVFIO_PCI_HAS_ATOMIC_CAP (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0))
#ifndef VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP
/* 6.1's uAPI header lacks it; the code using it is dead there. */
#define VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP 5
struct vfio_device_info_cap_pci_atomic_comp {
	struct vfio_info_cap_header header;
	__u32 flags;
	__u32 reserved;
};
#define VFIO_PCI_ATOMIC_COMP32 (1 << 0)
#define VFIO_PCI_ATOMIC_COMP64 (1 << 1)
#define VFIO_PCI_ATOMIC_COMP128 (1 << 2)
#endif

/*
 * Trace events (kernel/<module>/nvfio_*_trace.h): __assign_str() lost its
 * source argument in 6.10 (it takes the one given to __string()); 6.1
 * wants both.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define nvfio_assign_str(dst, src) __assign_str(dst)
#else
#define nvfio_assign_str(dst, src) __assign_str(dst, src)
#endif

/*
 * Set @pdev's driver_override to @name.  The override moved from struct
 * pci_dev (driver_set_override(), 5.19) into struct device
 * (device_set_driver_override(), 7.0), which Debian's 6.12 has as a
 * stable backport: kernel/Kbuild defines NVFIO_HAVE_DEVICE_DRIVER_OVERRIDE
 * when the kernel's <linux/device.h> declares it.  Mainline's 6.1 vfio-pci
 * assigns the field without the lock; the helper takes it.
 */
static inline int nvfio_pci_set_driver_override(struct pci_dev *pdev,
						const char *name)
{
#ifdef NVFIO_HAVE_DEVICE_DRIVER_OVERRIDE
	return device_set_driver_override(&pdev->dev, name);
#else
	return driver_set_override(&pdev->dev, &pdev->driver_override, name,
				   strlen(name));
#endif
}

#endif /* NVFIO_COMPAT_H */
