// SPDX-License-Identifier: GPL-2.0-only
/* /dev/vfio/<group>: open, status, container attach, device fds. */
#include "fixture.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

static uint32_t group_flags(int group)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};

	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_GET_STATUS, &st));
	return st.flags;
}

TEST(group_open)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", fx_group_id());
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_OK(close(fd));
	/* Closing releases the group: it can be opened again. */
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_OK(close(fd));
}

/* Only one open file per group. */
TEST(group_open_twice)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", fx_group_id());
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_ERRNO(EBUSY, open(path, O_RDWR | O_CLOEXEC));
	ASSERT_OK(close(fd));
}

TEST(group_get_status_argsz)
{
	struct vfio_group_status st = {
		.argsz = offsetofend(struct vfio_group_status, flags) - 1,
	};
	struct vu_dev d;

	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_STATUS, &st));
	st.argsz = 0;
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_STATUS, &st));
	/* Larger than the struct is fine. */
	st.argsz = sizeof(st) + 64;
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_GET_STATUS, &st));
	vu_dev_close(&d);
}

/* A fresh group of one device bound to vfio-pci is viable, no container. */
TEST(group_get_status)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(d.group));
	vu_dev_close(&d);
}

TEST(group_get_status_container_set)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  group_flags(d.group));
	vu_dev_close(&d);
}

TEST(group_set_container)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	vu_dev_close(&d);
}

TEST(group_set_container_bad_fd)
{
	struct vu_dev d;
	int fd = -1;

	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_ERRNO(EBADF, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	/* A closed descriptor number. */
	fd = dup(d.container);
	ASSERT_OK(fd);
	ASSERT_OK(close(fd));
	ASSERT_ERRNO(EBADF, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(d.group));
	vu_dev_close(&d);
}

/*
 * A valid fd that is neither a container nor an iommufd: EBADFD (the
 * iommufd lookup's answer), EINVAL on 6.1 (whose vfio tries no iommufd).
 */
TEST(group_set_container_not_container)
{
	int not_container = fx_kernel_at_least(6, 2) ? EBADFD : EINVAL;
	struct vu_dev d;
	int fd;

	fx_open(&d, VU_STAGE_GROUP);
	fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_ERRNO(not_container,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	ASSERT_OK(close(fd));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_ERRNO(not_container,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	ASSERT_OK(close(fd));
	/* The group's own fd is not a container either. */
	ASSERT_ERRNO(not_container,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.group));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(d.group));
	vu_dev_close(&d);
}

/* A group already in a container cannot be set again. */
TEST(group_set_container_twice)
{
	struct vu_dev d;
	int other;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	other = vu_open_container();
	ASSERT_OK(other);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &other));
	ASSERT_OK(close(other));
	vu_dev_close(&d);
}

TEST(group_unset_container)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_GROUP);
	/* Not in a container yet. */
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(d.group));
	/* The container lost its last group: SET_IOMMU needs a group again. */
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	/* And the group can be attached again. */
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	ASSERT_EQ(0, ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	vu_dev_close(&d);
}

/* An open device fd keeps the container in use. */
TEST(group_unset_container_busy)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_ERRNO(EBUSY, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_OK(close(d.device));
	d.device = -1;
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	vu_dev_close(&d);
}

TEST(group_unknown_ioctl)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_ERRNO(ENOTTY, ioctl(d.group, VFIO_GET_API_VERSION));
	vu_dev_close(&d);
}

TEST(group_get_device_fd_no_container)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	vu_dev_close(&d);
}

/* In a container, but SET_IOMMU not done yet. */
TEST(group_get_device_fd_no_iommu)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	vu_dev_close(&d);
}

TEST(group_get_device_fd_unknown_name)
{
	struct vu_dev d;
	char name[VU_BDF_LEN + 8];

	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_ERRNO(ENODEV,
		     ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, "0000:ff:1f.7"));
	ASSERT_ERRNO(ENODEV, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, ""));
	/* The right name with trailing garbage is not a match. */
	snprintf(name, sizeof(name), "%sx", d.bdf);
	ASSERT_ERRNO(ENODEV, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, name));
	/* vfio-pci: name followed by an unknown option. */
	snprintf(name, sizeof(name), "%s bogus", d.bdf);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, name));
	vu_dev_close(&d);
}

TEST(group_get_device_fd)
{
	struct vu_dev d;
	int fd, fd2;

	fx_open(&d, VU_STAGE_IOMMU);
	fd = ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(fd);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* The group path allows several fds on one device. */
	fd2 = ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(fd2);
	ASSERT_TRUE(fd2 != fd);
	ASSERT_OK(close(fd2));
	ASSERT_OK(close(fd));
	vu_dev_close(&d);
}
