// SPDX-License-Identifier: GPL-2.0-only
/* /dev/vfio/vfio: API version, extensions, SET_IOMMU. */
#include "fixture.h"

#include <sys/ioctl.h>
#include <unistd.h>

/* An extension number no IOMMU backend claims. */
#define UNKNOWN_EXTENSION 0x7fffUL

static void check_type1_extensions(int container)
{
	ASSERT_EQ(1, ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1,
		  ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl(container, VFIO_CHECK_EXTENSION, UNKNOWN_EXTENSION));
}

TEST(container_open)
{
	int fd = vu_open_container();

	ASSERT_OK(fd);
	ASSERT_OK(close(fd));
}

TEST(container_api_version)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(d.container, VFIO_GET_API_VERSION));
	vu_dev_close(&d);
}

/* With no group attached, every registered backend is polled. */
TEST(container_check_extension)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	check_type1_extensions(d.container);
	vu_dev_close(&d);
}

/* With a group attached but no IOMMU set yet. */
TEST(container_check_extension_attached)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	check_type1_extensions(d.container);
	vu_dev_close(&d);
}

/* After SET_IOMMU, queries go to the chosen backend only. */
TEST(container_check_extension_after_set_iommu)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_IOMMU);
	check_type1_extensions(d.container);
	/* Unmap-all is a type1 extension: answered by the backend. */
	ASSERT_EQ(1, ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	vu_dev_close(&d);
}

/* SET_IOMMU needs a group in the container first. */
TEST(container_set_iommu_without_group)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_CONTAINER);
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	vu_dev_close(&d);
}

TEST(container_set_iommu)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(0, ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	vu_dev_close(&d);
}

TEST(container_set_iommu_type1)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(0, ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	vu_dev_close(&d);
}

/* A second SET_IOMMU on a container that already has one is refused. */
TEST(container_set_iommu_twice)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	vu_dev_close(&d);
}

/* No backend supports the requested type. */
TEST(container_set_iommu_unknown_type)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_ERRNO(ENODEV,
		     ioctl(d.container, VFIO_SET_IOMMU, UNKNOWN_EXTENSION));
	/* The failure leaves the container usable. */
	ASSERT_EQ(0, ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	vu_dev_close(&d);
}

/* Backend ioctls on a container without an IOMMU are rejected. */
TEST(container_ioctl_before_set_iommu)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));
	vu_dev_close(&d);
}
