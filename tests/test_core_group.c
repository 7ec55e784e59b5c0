// SPDX-License-Identifier: GPL-2.0-only
/*
 * Core: the group chardev (/dev/vfio/<group>): its life with the devices
 * bound to vfio-pci, one open at a time, GET_STATUS, SET/UNSET_CONTAINER,
 * GET_DEVICE_FD, and several groups in one container.
 */
#include "test_core.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

/* /dev/vfio/<id> exists exactly while a device of the group is ours. */
TEST(core_group_chardev_lifecycle)
{
	struct shared_group g;

	sg_setup(&g, false);
	if (cu_driver(g.edu)[0])
		ASSERT_OK(cu_unbind(g.edu));
	ASSERT_TRUE(!cu_exists(g.path));
	ASSERT_ERRNO(ENOENT, open(g.path, O_RDWR));

	ASSERT_OK(cu_bind(g.edu, "vfio-pci"));
	ASSERT_TRUE(cu_exists(g.path));
	/* A second device of the group: still one chardev. */
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	ASSERT_TRUE(cu_exists(g.path));
	ASSERT_OK(cu_unbind(g.edu));
	ASSERT_TRUE(cu_exists(g.path));
	/* The last one leaves: the chardev goes. */
	ASSERT_OK(cu_unbind(g.nic));
	ASSERT_TRUE(!cu_exists(g.path));
	/* And comes back with the next device. */
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	ASSERT_TRUE(cu_exists(g.path));
	ASSERT_OK(cu_unbind(g.nic));
	ASSERT_TRUE(!cu_exists(g.path));
}

/* One open file per group, whatever the access mode. */
TEST(core_group_open_once)
{
	char path[64];
	int fd, fd2;

	snprintf(path, sizeof(path), "/dev/vfio/%d", fx_group_id());
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_ERRNO(EBUSY, open(path, O_RDWR | O_CLOEXEC));
	ASSERT_ERRNO(EBUSY, open(path, O_RDONLY | O_CLOEXEC));
	/* A dup is the same open file: fine. */
	fd2 = dup(fd);
	ASSERT_OK(fd2);
	ASSERT_EQ(VIABLE, core_group_flags(fd2));
	ASSERT_OK(close(fd));
	/* Still open through the dup. */
	ASSERT_ERRNO(EBUSY, open(path, O_RDWR | O_CLOEXEC));
	ASSERT_OK(close(fd2));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_OK(close(fd));
}

TEST(core_group_get_status)
{
	struct {
		struct vfio_group_status st;
		uint32_t sentinel;
	} b;
	struct vu_dev d;

	fx_open(&d, VU_STAGE_GROUP);
	memset(&b, 0xa5, sizeof(b));
	b.st.argsz = offsetofend(struct vfio_group_status, flags) - 1;
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_STATUS, &b.st));
	b.st.argsz = 0;
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_STATUS, &b.st));
	/* Larger is fine; only the structure is written. */
	b.st.argsz = sizeof(b);
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_GET_STATUS, &b.st));
	ASSERT_EQ(sizeof(b), b.st.argsz);
	ASSERT_EQ(VIABLE, b.st.flags);
	ASSERT_EQ(0xa5a5a5a5u, b.sentinel);
	ASSERT_ERRNO(EFAULT, ioctl(d.group, VFIO_GROUP_GET_STATUS, NULL));

	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(VIABLE, core_group_flags(d.group));
	vu_dev_close(&d);
}

TEST(core_group_set_container_errors)
{
	/* See below. */
	int not_container = fx_kernel_at_least(6, 2) ? EBADFD : EINVAL;
	struct vu_dev d;
	int fd, other;

	fx_open(&d, VU_STAGE_IOMMU);
	/* Already in a container: that one or any other. */
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	other = vu_open_container();
	ASSERT_OK(other);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &other));
	/* Even a bad fd: the group state is checked after the fd. */
	fd = -1;
	ASSERT_ERRNO(EBADF, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	ASSERT_ERRNO(EFAULT, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, NULL));
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));

	/*
	 * Not in a container: bad fds, fds that are not containers (EINVAL
	 * on 6.1, whose vfio does not try them as an iommufd).
	 */
	ASSERT_ERRNO(not_container,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	ASSERT_ERRNO(not_container,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.group));
	ASSERT_OK(close(fd));
	ASSERT_ERRNO(EBADF, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	fd = 1 << 20;
	ASSERT_ERRNO(EBADF, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &fd));
	ASSERT_EQ(VIABLE, core_group_flags(d.group));
	/* Into the other container now. */
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &other));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));
	ASSERT_TRUE(!core_has_iommu(d.container));
	ASSERT_OK(close(other));
	/* The group keeps the closed container's fd alive. */
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));
	vu_dev_close(&d);
}

TEST(core_group_unset_container)
{
	struct vu_dev d;
	int dev2;

	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	dev2 = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(dev2);
	ASSERT_ERRNO(EBUSY, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_OK(close(d.device));
	d.device = -1;
	/* Still one device fd. */
	ASSERT_ERRNO(EBUSY, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));
	ASSERT_OK(close(dev2));
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(VIABLE, core_group_flags(d.group));
	vu_dev_close(&d);
}

TEST(core_group_get_device_fd_errors)
{
	struct shared_group g;
	struct vu_dev d;
	char big[8192];

	/* The name is looked up first: unknown names fail at any stage. */
	fx_open(&d, VU_STAGE_GROUP);
	ASSERT_ERRNO(ENODEV,
		     ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, "0000:ff:1f.7"));
	ASSERT_ERRNO(EFAULT, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, NULL));
	/* Longer than a page: no terminating NUL within PAGE_SIZE. */
	memset(big, 'a', sizeof(big));
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, big));
	/* No container. */
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	/* A container without an IOMMU. */
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, ""));
	/* A device of another group. */
	sg_setup(&g, true);
	ASSERT_ERRNO(ENODEV, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.edu));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	vu_dev_close(&d);

	/* A device of the group that is not bound to vfio-pci. */
	fx_open(&d, VU_STAGE_CONTAINER);
	d.group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(d.group);
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.nic));
	d.device = vu_get_device_fd(d.group, g.edu);
	ASSERT_OK(d.device);
	vu_dev_close(&d);
}

/* Group fds have no read/write/mmap; unknown ioctls are ENOTTY. */
TEST(core_group_fops)
{
	struct vu_dev d;
	char buf[8];
	void *p;

	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_ERRNO(ENOTTY, ioctl(d.group, VFIO_GET_API_VERSION));
	ASSERT_ERRNO(ENOTTY, ioctl(d.group, VFIO_IOMMU_GET_INFO, buf));
	ASSERT_ERRNO(EINVAL, read(d.group, buf, sizeof(buf)));
	ASSERT_ERRNO(EINVAL, write(d.group, buf, sizeof(buf)));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d.group, 0);
	ASSERT_TRUE(p == MAP_FAILED);
	ASSERT_EQ(ENODEV, errno);
	vu_dev_close(&d);
}

/* Two groups in one container share its IOMMU; each leaves on its own. */
TEST(core_group_several_in_container)
{
	struct shared_group g;
	struct vu_dev d;
	int g2, dev2, other;
	void *buf;

	sg_setup(&g, true);
	fx_open(&d, VU_STAGE_ATTACHED);
	g2 = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(g2);
	ASSERT_OK(vu_group_set_container(g2, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(g2));
	/* A group is in one container at most. */
	other = vu_open_container();
	ASSERT_OK(other);
	ASSERT_ERRNO(EINVAL, ioctl(g2, VFIO_GROUP_SET_CONTAINER, &other));
	ASSERT_OK(close(other));

	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	dev2 = vu_get_device_fd(g2, g.edu);
	ASSERT_OK(dev2);
	buf = vu_alloc_dma_buffer(8192);
	ASSERT_TRUE(buf);
	ASSERT_OK(vu_dma_map(d.container, buf, 0x200000, 8192));

	/* The second group leaves: the IOMMU and its mapping stay. */
	ASSERT_OK(close(dev2));
	ASSERT_EQ(0, ioctl(g2, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(VIABLE, core_group_flags(g2));
	ASSERT_TRUE(core_has_iommu(d.container));
	ASSERT_ERRNO(EEXIST, vu_dma_map(d.container, buf, 0x200000, 8192));
	/* It comes back into the container that already has an IOMMU. */
	ASSERT_OK(vu_group_set_container(g2, d.container));
	dev2 = vu_get_device_fd(g2, g.edu);
	ASSERT_OK(dev2);
	ASSERT_OK(close(dev2));
	/* The first group leaving (closing) keeps the container for g2. */
	ASSERT_OK(close(d.device));
	d.device = -1;
	ASSERT_OK(close(d.group));
	d.group = -1;
	ASSERT_TRUE(core_has_iommu(d.container));
	/* The last group leaving deprivileges the container. */
	ASSERT_OK(close(g2));
	ASSERT_TRUE(!core_has_iommu(d.container));
	vu_dev_close(&d);
	vu_free_dma_buffer(buf, 8192);
}
