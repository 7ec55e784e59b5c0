// SPDX-License-Identifier: GPL-2.0-only
/*
 * Type1 dirty page tracking (VFIO_IOMMU_DIRTY_PAGES and UNMAP with
 * GET_DIRTY_BITMAP) for an IOMMU-backed group: while tracking is on, every
 * page of a mapping that is pinned and mapped is reported dirty, as the
 * device may write anywhere it is mapped.
 */
#include "type1_util.h"

struct unmap_bitmap {
	struct vfio_iommu_type1_dma_unmap u;
	struct vfio_bitmap bitmap;
};

static int unmap_bitmap(int c, uint64_t iova, uint64_t size, uint32_t flags,
			uint64_t pgsize, uint64_t *bits, uint64_t bits_size,
			uint64_t *unmapped)
{
	struct unmap_bitmap ub = {
		.u =
			{
				.argsz = sizeof(ub),
				.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
					 flags,
				.iova = iova,
				.size = size,
			},
		.bitmap =
			{
				.pgsize = pgsize,
				.size = bits_size,
				.data = (__u64 *)bits,
			},
	};
	int r = ioctl(c, VFIO_IOMMU_UNMAP_DMA, &ub);

	if (unmapped)
		*unmapped = ub.u.size;
	return r;
}

/* START/STOP and the argument checks that come before any tracking. */
TEST(type1_dirty_start_stop)
{
	struct vfio_iommu_type1_dirty_bitmap db;
	uint64_t bits[4] = {0};
	struct vu_dev d;

	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_ERRNO(EINVAL, t1_dirty_pages(d.container, 0));
	ASSERT_ERRNO(EINVAL, t1_dirty_pages(d.container, 0x8));
	ASSERT_ERRNO(EINVAL,
		     t1_dirty_pages(d.container,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
					    VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	db = (struct vfio_iommu_type1_dirty_bitmap){
		.argsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap,
				     flags) -
			 1,
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_DIRTY_PAGES, &db));
	/* Not tracking: stopping is fine, a bitmap is not. */
	ASSERT_EQ(0, t1_dirty_pages(d.container,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_ERRNO(EINVAL, t1_dirty_bitmap(d.container, T1_IOVA, SZ_64K,
					     SZ_4K, bits, sizeof(bits)));
	ASSERT_EQ(0, t1_dirty_pages(d.container,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_EQ(0, t1_dirty_pages(d.container,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	/* Tracking, nothing mapped: an empty bitmap, untouched. */
	bits[0] = 0x5a5a;
	ASSERT_EQ(0, t1_dirty_bitmap(d.container, T1_IOVA, SZ_64K, SZ_4K, bits,
				     sizeof(bits)));
	ASSERT_EQ(0x5a5a, bits[0]);
	ASSERT_EQ(0, t1_dirty_pages(d.container,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_EQ(0, t1_dirty_pages(d.container,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_ERRNO(EINVAL, t1_dirty_bitmap(d.container, T1_IOVA, SZ_64K,
					     SZ_4K, bits, sizeof(bits)));
	vu_dev_close(&d);
}

/*
 * Three mappings at page offsets 0 (16 pages), 20 (8) and 70 (4) of the
 * range: their pages are dirty, the gaps are not.  A bitmap word a mapping
 * starts in at bit 0 is overwritten, one it starts in at a later bit keeps
 * the caller's bits (ORed), words past the last mapping are not touched.
 */
TEST(type1_dirty_bitmap)
{
	struct t1_get_bitmap g;
	uint64_t bits[4];
	struct vu_dev d;
	char *b;
	int i;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(32 * SZ_4K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, 16 * SZ_4K));
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	/* Mapped while tracking: dirty as well. */
	ASSERT_OK(vu_dma_map(d.container, b + 16 * SZ_4K, T1_IOVA + 20 * SZ_4K,
			     8 * SZ_4K));
	ASSERT_OK(vu_dma_map(d.container, b + 24 * SZ_4K, T1_IOVA + 70 * SZ_4K,
			     4 * SZ_4K));

	memset(bits, 0, sizeof(bits));
	ASSERT_EQ(0, t1_dirty_bitmap(d.container, T1_IOVA, 128 * SZ_4K, SZ_4K,
				     bits, sizeof(bits)));
	ASSERT_EQ(0x0ff0ffffULL, bits[0]);
	ASSERT_EQ(0xfULL << 6, bits[1]);
	ASSERT_EQ(0, bits[2]);

	/*
	 * Mainline keeps a report's shifted bits in its per-mapping bitmap:
	 * a later report of a mapping that was reported at a bit offset
	 * other than 0 shows stray bits past it.  Restarting tracking clears
	 * that; every report below starts from fresh state or bit 0.
	 */
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	for (i = 0; i < 4; i++)
		bits[i] = 0xaaaaaaaaaaaaaaaaULL;
	ASSERT_EQ(0, t1_dirty_bitmap(d.container, T1_IOVA, 128 * SZ_4K, SZ_4K,
				     bits, sizeof(bits)));
	ASSERT_EQ(0x0ff0ffffULL, bits[0]);
	ASSERT_EQ(0xaaaaaaaaaaaaaaaaULL | (0xfULL << 6), bits[1]);
	ASSERT_EQ(0xaaaaaaaaaaaaaaaaULL, bits[2]);
	ASSERT_EQ(0xaaaaaaaaaaaaaaaaULL, bits[3]);

	/* One mapping alone, twice: still tracking, dirty again. */
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	for (i = 0; i < 2; i++) {
		memset(bits, 0, sizeof(bits));
		ASSERT_EQ(0, t1_dirty_bitmap(d.container, T1_IOVA + 20 * SZ_4K,
					     8 * SZ_4K, SZ_4K, bits,
					     sizeof(bits[0])));
		ASSERT_EQ(0xff, bits[0]);
	}

	/* Arguments: page size, alignment, bisection, bitmap size, argsz. */
	ASSERT_ERRNO(EINVAL, t1_dirty_bitmap(d.container, T1_IOVA, 128 * SZ_4K,
					     SZ_64K, bits, sizeof(bits)));
	ASSERT_ERRNO(EINVAL,
		     t1_dirty_bitmap(d.container, T1_IOVA + 0x800, 128 * SZ_4K,
				     SZ_4K, bits, sizeof(bits)));
	ASSERT_ERRNO(EINVAL, t1_dirty_bitmap(d.container, T1_IOVA, 0, SZ_4K,
					     bits, sizeof(bits)));
	ASSERT_ERRNO(EINVAL,
		     t1_dirty_bitmap(d.container, T1_IOVA + SZ_4K, 128 * SZ_4K,
				     SZ_4K, bits, sizeof(bits)));
	ASSERT_ERRNO(EINVAL, t1_dirty_bitmap(d.container, T1_IOVA, 22 * SZ_4K,
					     SZ_4K, bits, sizeof(bits)));
	ASSERT_ERRNO(EINVAL, t1_dirty_bitmap(d.container, T1_IOVA, 128 * SZ_4K,
					     SZ_4K, bits, 8));
	ASSERT_ERRNO(EINVAL, t1_dirty_bitmap(d.container, T1_IOVA, 128 * SZ_4K,
					     SZ_4K, bits, 0));
	ASSERT_ERRNO(EINVAL,
		     t1_dirty_bitmap(d.container, 0xfffffffffffff000ULL, 0x2000,
				     SZ_4K, bits, sizeof(bits)));
	memset(&g, 0, sizeof(g));
	g.db.argsz = sizeof(g) - 1;
	g.db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	g.range.iova = T1_IOVA;
	g.range.size = 16 * SZ_4K;
	g.range.bitmap.pgsize = SZ_4K;
	g.range.bitmap.size = 8;
	g.range.bitmap.data = (__u64 *)bits;
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_DIRTY_PAGES, &g));
	g.db.argsz = sizeof(g);
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_DIRTY_PAGES, &g));
	/* A bad user pointer. */
	ASSERT_ERRNO(EFAULT, t1_dirty_bitmap(d.container, T1_IOVA, 16 * SZ_4K,
					     SZ_4K, (uint64_t *)8, 8));

	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_OK(t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	vu_dev_close(&d);
}

/* UNMAP with GET_DIRTY_BITMAP. */
TEST(type1_dirty_unmap)
{
	uint64_t bits[2] = {0}, n;
	struct unmap_bitmap ub;
	struct vu_dev d;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(32 * SZ_4K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA + 4 * SZ_4K, 8 * SZ_4K));
	ASSERT_OK(vu_dma_map(d.container, b + 8 * SZ_4K, T1_IOVA + 16 * SZ_4K,
			     8 * SZ_4K));
	/* Not tracking. */
	ASSERT_ERRNO(EINVAL, unmap_bitmap(d.container, T1_IOVA, 32 * SZ_4K, 0,
					  SZ_4K, bits, sizeof(bits), NULL));
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	/* Not with ALL or VADDR; page size; bitmap size; argsz. */
	ASSERT_ERRNO(EINVAL,
		     unmap_bitmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				  SZ_4K, bits, sizeof(bits), NULL));
	ASSERT_ERRNO(EINVAL, unmap_bitmap(d.container, T1_IOVA, 32 * SZ_4K,
					  VFIO_DMA_UNMAP_FLAG_VADDR, SZ_4K,
					  bits, sizeof(bits), NULL));
	ASSERT_ERRNO(EINVAL, unmap_bitmap(d.container, T1_IOVA, 32 * SZ_4K, 0,
					  SZ_64K, bits, sizeof(bits), NULL));
	ASSERT_ERRNO(EINVAL, unmap_bitmap(d.container, T1_IOVA, 256 * SZ_4K, 0,
					  SZ_4K, bits, sizeof(bits), NULL));
	memset(&ub, 0, sizeof(ub));
	ub.u.argsz = sizeof(ub.u);
	ub.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	ub.u.iova = T1_IOVA;
	ub.u.size = 32 * SZ_4K;
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_UNMAP_DMA, &ub));
	/* v2 bisection is still refused, nothing reported. */
	ASSERT_ERRNO(EINVAL, unmap_bitmap(d.container, T1_IOVA, 8 * SZ_4K, 0,
					  SZ_4K, bits, sizeof(bits), NULL));
	ASSERT_EQ(0, bits[0]);

	/* The bitmap is relative to the unmap's IOVA. */
	bits[0] = bits[1] = 0;
	ASSERT_EQ(0, unmap_bitmap(d.container, T1_IOVA, 32 * SZ_4K, 0, SZ_4K,
				  bits, sizeof(bits[0]), &n));
	ASSERT_EQ(16 * SZ_4K, n);
	ASSERT_EQ(0x00ff0ff0ULL, bits[0]);
	ASSERT_EQ(0, bits[1]);
	/* Gone: nothing more to report. */
	bits[0] = 0;
	ASSERT_EQ(0, unmap_bitmap(d.container, T1_IOVA, 32 * SZ_4K, 0, SZ_4K,
				  bits, sizeof(bits[0]), &n));
	ASSERT_EQ(0, n);
	ASSERT_EQ(0, bits[0]);
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	vu_dev_close(&d);
}
