// SPDX-License-Identifier: GPL-2.0-only
/* Type1 IOMMU: info, DMA map/unmap. */
#include "fixture.h"

#include <stddef.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define IOVA 0x100000ULL
#define SZ_64K 0x10000ULL

TEST(dma_iommu_get_info)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};
	struct vu_dev d;

	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_IOMMU_INFO_PGSIZES);
	/* The smallest IOMMU page must not exceed the CPU page. */
	ASSERT_TRUE(info.iova_pgsizes != 0);
	ASSERT_TRUE((info.iova_pgsizes & -info.iova_pgsizes) <=
		    (uint64_t)sysconf(_SC_PAGESIZE));
	vu_dev_close(&d);
}

TEST(dma_map_unmap)
{
	struct vu_dev d;
	uint64_t unmapped = 0;
	void *buf;

	fx_open(&d, VU_STAGE_IOMMU);
	buf = vu_alloc_dma_buffer(SZ_64K);
	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(vu_dma_map(d.container, buf, IOVA, SZ_64K));
	ASSERT_OK(vu_dma_unmap(d.container, IOVA, SZ_64K, &unmapped));
	ASSERT_EQ(SZ_64K, unmapped);
	/* Now gone: unmapping again reports nothing unmapped. */
	ASSERT_OK(vu_dma_unmap(d.container, IOVA, SZ_64K, &unmapped));
	ASSERT_EQ(0, unmapped);
	vu_free_dma_buffer(buf, SZ_64K);
	vu_dev_close(&d);
}

/* Unmapping a range that was never mapped succeeds with size 0. */
TEST(dma_unmap_never_mapped)
{
	struct vu_dev d;
	uint64_t unmapped = 12345;

	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_OK(vu_dma_unmap(d.container, 0x200000, 0x1000, &unmapped));
	ASSERT_EQ(0, unmapped);
	vu_dev_close(&d);
}

/* One unmap covering two mappings removes both and reports the total. */
TEST(dma_unmap_covers_two)
{
	struct vu_dev d;
	uint64_t unmapped = 0;
	void *buf;

	fx_open(&d, VU_STAGE_IOMMU);
	buf = vu_alloc_dma_buffer(2 * SZ_64K);
	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(vu_dma_map(d.container, buf, IOVA, SZ_64K));
	ASSERT_OK(vu_dma_map(d.container, (char *)buf + SZ_64K, IOVA + SZ_64K,
			     SZ_64K));
	ASSERT_OK(vu_dma_unmap(d.container, IOVA, 2 * SZ_64K, &unmapped));
	ASSERT_EQ(2 * SZ_64K, unmapped);
	vu_free_dma_buffer(buf, 2 * SZ_64K);
	vu_dev_close(&d);
}

/* Mapping over an existing mapping is refused. */
TEST(dma_map_overlap)
{
	struct vu_dev d;
	uint64_t unmapped = 0;
	void *buf;

	fx_open(&d, VU_STAGE_IOMMU);
	buf = vu_alloc_dma_buffer(SZ_64K);
	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(vu_dma_map(d.container, buf, IOVA, SZ_64K));
	ASSERT_ERRNO(EEXIST, vu_dma_map(d.container, buf, IOVA, SZ_64K));
	ASSERT_ERRNO(EEXIST,
		     vu_dma_map(d.container, buf, IOVA + 0x1000, 0x1000));
	ASSERT_OK(vu_dma_unmap(d.container, IOVA, SZ_64K, &unmapped));
	ASSERT_EQ(SZ_64K, unmapped);
	vu_free_dma_buffer(buf, SZ_64K);
	vu_dev_close(&d);
}

/* Type1v2: an unmap that splits a mapping is refused. */
TEST(dma_unmap_bisect)
{
	struct vu_dev d;
	uint64_t unmapped = 0;
	void *buf;

	fx_open(&d, VU_STAGE_IOMMU);
	buf = vu_alloc_dma_buffer(SZ_64K);
	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(vu_dma_map(d.container, buf, IOVA, SZ_64K));
	ASSERT_ERRNO(EINVAL,
		     vu_dma_unmap(d.container, IOVA + 0x1000, 0x1000, NULL));
	ASSERT_ERRNO(EINVAL, vu_dma_unmap(d.container, IOVA, 0x1000, NULL));
	ASSERT_OK(vu_dma_unmap(d.container, IOVA, SZ_64K, &unmapped));
	ASSERT_EQ(SZ_64K, unmapped);
	vu_free_dma_buffer(buf, SZ_64K);
	vu_dev_close(&d);
}

/* argsz/size/alignment validation. */
TEST(dma_map_invalid)
{
	struct vfio_iommu_type1_dma_map map;
	struct vu_dev d;
	void *buf;

	fx_open(&d, VU_STAGE_IOMMU);
	buf = vu_alloc_dma_buffer(SZ_64K);
	ASSERT_TRUE(buf != NULL);
	map = (struct vfio_iommu_type1_dma_map){
		.argsz = offsetofend(struct vfio_iommu_type1_dma_map, size) - 1,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = IOVA,
		.size = SZ_64K,
	};
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_MAP_DMA, &map));
	/* Zero size. */
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, buf, IOVA, 0));
	/* Unaligned IOVA and size. */
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, buf, IOVA + 1, 0x1000));
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, buf, IOVA, 0x800));
	vu_free_dma_buffer(buf, SZ_64K);
	vu_dev_close(&d);
}
