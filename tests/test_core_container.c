// SPDX-License-Identifier: GPL-2.0-only
/*
 * Core: the container fd (/dev/vfio/vfio): API version, extensions polled
 * from the backends or answered by the chosen one, SET_IOMMU, passthrough of
 * everything else, and deprivileging when the last group leaves.
 */
#include "test_core.h"

#include <sys/mman.h>

#define UNKNOWN_EXT 0x7fffUL
#define UNKNOWN_IOCTL _IO(VFIO_TYPE, VFIO_BASE + 60)

/* Every stage of a container has the same API version. */
TEST(core_container_api_version)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(d.container, VFIO_GET_API_VERSION));
	vu_dev_close(&d);
	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(d.container, VFIO_GET_API_VERSION));
	ASSERT_EQ(0, ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(VFIO_API_VERSION, ioctl(d.container, VFIO_GET_API_VERSION));
	vu_dev_close(&d);
}

/*
 * VFIO_UPDATE_VADDR is what tells polling from the chosen backend apart:
 * type1 claims it only with its container data, i.e. once it is set.
 */
static void check_ext(int c, long update_vaddr)
{
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	ASSERT_EQ(update_vaddr,
		  ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, UNKNOWN_EXT));
	ASSERT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, 0));
}

TEST(core_container_check_extension)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	check_ext(d.container, 0); /* no group: backends polled */
	d.group = vu_open_group(d.group_id);
	ASSERT_OK(d.group);
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	check_ext(d.container, 0); /* a group, no backend: polled */
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	check_ext(d.container, 1); /* the chosen backend answers */
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	check_ext(d.container, 0); /* deprivileged: polled again */
	vu_dev_close(&d);
}

TEST(core_container_set_iommu)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	/* No group yet. */
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_SET_IOMMU, UNKNOWN_EXT));
	d.group = vu_open_group(d.group_id);
	ASSERT_OK(d.group);
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	/* No backend claims these. */
	ASSERT_ERRNO(ENODEV, ioctl(d.container, VFIO_SET_IOMMU, UNKNOWN_EXT));
	ASSERT_ERRNO(ENODEV, ioctl(d.container, VFIO_SET_IOMMU, 0));
	ASSERT_ERRNO(ENODEV,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	/* An extension that is not an IOMMU type is claimed, then refused
	 * by the backend's open. */
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_UNMAP_ALL));
	ASSERT_TRUE(!core_has_iommu(d.container));
	ASSERT_EQ(0, ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_TRUE(core_has_iommu(d.container));
	/* Set once only. */
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	vu_dev_close(&d);
}

/* Unknown ioctls: EINVAL before SET_IOMMU, the backend's answer after. */
TEST(core_container_ioctl_passthrough)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	ASSERT_ERRNO(EINVAL, ioctl(d.container, UNKNOWN_IOCTL));
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_GROUP_GET_STATUS, &info));
	vu_dev_close(&d);

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_ERRNO(EINVAL, ioctl(d.container, UNKNOWN_IOCTL));
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_ERRNO(ENOTTY, ioctl(d.container, UNKNOWN_IOCTL));
	ASSERT_ERRNO(ENOTTY, ioctl(d.container, VFIO_GROUP_GET_STATUS, &info));
	ASSERT_ERRNO(ENOTTY, ioctl(d.container, VFIO_DEVICE_GET_INFO, &info));
	vu_dev_close(&d);
}

static void check_rw_mmap(int fd)
{
	char buf[16];
	void *p;

	ASSERT_ERRNO(EINVAL, read(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EINVAL, write(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EINVAL, pread(fd, buf, sizeof(buf), 0));
	ASSERT_ERRNO(EINVAL, pwrite(fd, buf, sizeof(buf), 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p == MAP_FAILED);
	ASSERT_EQ(ENODEV, errno);
}

/* Mainline's container has no read/write/mmap; type1 adds none. */
TEST(core_container_read_write_mmap)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	check_rw_mmap(d.container);
	vu_dev_close(&d);
	fx_open(&d, VU_STAGE_ATTACHED);
	check_rw_mmap(d.container);
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	check_rw_mmap(d.container);
	vu_dev_close(&d);
}

/*
 * The last group leaving releases the backend (its mappings are unpinned)
 * and the container can choose a backend again, of another type.
 */
TEST(core_container_deprivileged)
{
	struct vu_dev d;
	long base, mapped;
	uint64_t unmapped = 1;
	void *buf;

	fx_open(&d, VU_STAGE_IOMMU);
	buf = vu_alloc_dma_buffer(4 * 4096);
	ASSERT_TRUE(buf);
	base = vu_locked_kb();
	ASSERT_OK(vu_dma_map(d.container, buf, 0x100000, 4 * 4096));
	mapped = vu_locked_kb();
	ASSERT_EQ(base + 16, mapped);

	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_TRUE(!core_has_iommu(d.container));
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, buf, 0x100000, 4096));
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));

	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_EQ(0, ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	/* The new backend starts empty. */
	ASSERT_OK(vu_dma_unmap(d.container, 0x100000, 4 * 4096, &unmapped));
	ASSERT_EQ(0, unmapped);
	ASSERT_EQ(base, vu_locked_kb());
	vu_dev_close(&d);
	vu_free_dma_buffer(buf, 4 * 4096);
}
