// SPDX-License-Identifier: GPL-2.0-only
/*
 * Type1 MAP_DMA of device memory: a vaddr range backed by a VM_PFNMAP
 * mapping (the edu's BAR0 mmapped from its device fd, what QEMU maps for
 * peer-to-peer DMA).  As in mainline, its pfns are followed rather than
 * pinned: nothing is charged to locked_vm, no page pin is taken, a range
 * may mix ordinary memory and device memory, and a device-writable mapping
 * of a read-only mmap fails with EFAULT.
 */
#include "type1_util.h"

#include <linux/pci_regs.h>
#include <sys/mman.h>

/* The edu device with its BAR0 memory decode on. */
static void open_bar0(struct vu_dev *d, struct vfio_region_info *bar)
{
	fx_open(d, VU_STAGE_DEVICE);
	ASSERT_OK(vu_region_info(d->device, 0, bar));
	ASSERT_TRUE(bar->flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_TRUE(bar->size >= SZ_64K && !(bar->size & (SZ_4K - 1)));
	ASSERT_OK(vu_pci_command_set(d->device, PCI_COMMAND_MEMORY));
}

/* The whole BAR mmap: mapped, not charged, not pinned, unmapped. */
TEST(type1_pfnmap_bar)
{
	struct vfio_region_info bar;
	long long pins;
	struct vu_dev d;
	uint64_t n = 0;
	uint8_t *mm;
	long base;

	open_bar0(&d, &bar);
	mm = vu_region_mmap(d.device, &bar);
	ASSERT_TRUE(mm != NULL);
	pins = t1_pinned_pages();
	base = vu_locked_kb();

	ASSERT_OK(vu_dma_map(d.container, mm, T1_IOVA, bar.size));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	/* A mapping like any other: the range is taken. */
	ASSERT_ERRNO(EEXIST, vu_dma_map(d.container, mm, T1_IOVA, SZ_4K));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, bar.size, &n));
	ASSERT_EQ(bar.size, n);
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());

	/* Part of it, already faulted in this time. */
	ASSERT_OK(vu_dma_map(d.container, mm + SZ_4K, T1_IOVA, 2 * SZ_4K));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, 2 * SZ_4K, &n));
	ASSERT_EQ(2 * SZ_4K, n);

	/* Torn down with the container instead of by UNMAP. */
	ASSERT_OK(vu_dma_map(d.container, mm, T1_IOVA, bar.size));
	vu_region_munmap(mm, &bar);
	vu_dev_close(&d);
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
}

/*
 * Ordinary memory, BAR, ordinary memory in one range: only the ordinary
 * pages are pinned and charged, and all of it comes back at UNMAP.
 */
TEST(type1_pfnmap_mixed)
{
	struct vfio_region_info bar;
	uint64_t total, n = 0;
	long long pins;
	struct vu_dev d;
	uint8_t *va;
	void *p;
	long base;

	open_bar0(&d, &bar);
	total = SZ_64K + bar.size + SZ_64K;
	va = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(va != MAP_FAILED);
	p = mmap(va, SZ_64K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
	ASSERT_TRUE(p == va);
	p = mmap(va + SZ_64K, bar.size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, d.device, (off_t)bar.offset);
	ASSERT_TRUE(p == va + SZ_64K);
	p = mmap(va + SZ_64K + bar.size, SZ_64K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
	ASSERT_TRUE(p == va + SZ_64K + bar.size);
	pins = t1_pinned_pages();
	base = vu_locked_kb();

	ASSERT_OK(vu_dma_map(d.container, va, T1_IOVA, total));
	ASSERT_EQ(base + 2 * SZ_64K / 1024, vu_locked_kb());
	ASSERT_EQ(pins + (long long)(2 * SZ_64K / SZ_4K), t1_pinned_pages());
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, total, &n));
	ASSERT_EQ(total, n);
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());

	/* A hole after the BAR: nothing stays mapped, pinned or charged. */
	munmap(va + SZ_64K + bar.size, SZ_64K);
	ASSERT_ERRNO(EFAULT, vu_dma_map(d.container, va, T1_IOVA, total));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	ASSERT_OK(vu_dma_map(d.container, va, T1_IOVA, SZ_64K + bar.size));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_64K + bar.size, &n));
	ASSERT_EQ(SZ_64K + bar.size, n);
	munmap(va, SZ_64K + bar.size);
	vu_dev_close(&d);
}

/* A read-only BAR mmap: device-readable only, faulted in or not. */
TEST(type1_pfnmap_readonly)
{
	struct vfio_region_info bar;
	long long pins;
	struct vu_dev d;
	uint64_t n = 0;
	uint8_t *ro;
	long base;

	open_bar0(&d, &bar);
	ro = mmap(NULL, bar.size, PROT_READ, MAP_SHARED, d.device,
		  (off_t)bar.offset);
	ASSERT_TRUE(ro != MAP_FAILED);
	pins = t1_pinned_pages();
	base = vu_locked_kb();

	/* Not faulted in: the write fault itself is refused. */
	ASSERT_ERRNO(EFAULT, vu_dma_map(d.container, ro, T1_IOVA, SZ_64K));
	ASSERT_ERRNO(EFAULT, t1_map(d.container, ro, T1_IOVA, SZ_64K,
				    VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, t1_map(d.container, ro, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_64K, &n));
	ASSERT_EQ(SZ_64K, n);
	/* Faulted in now (read-only ptes): still refused for writing. */
	ASSERT_ERRNO(EFAULT, vu_dma_map(d.container, ro, T1_IOVA, SZ_64K));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	/* The range is free again. */
	ASSERT_EQ(0, t1_map(d.container, ro, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_64K, NULL));
	munmap(ro, bar.size);
	vu_dev_close(&d);
}
