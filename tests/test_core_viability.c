// SPDX-License-Identifier: GPL-2.0-only
/*
 * Core: viability and DMA ownership, on the bench's shared IOMMU group (an
 * edu and an e1000 behind a PCI bridge).  A group is viable while no device
 * of it is bound to a kernel driver that does DMA; attaching it to a
 * container claims DMA ownership, which keeps such drivers from binding.
 * The kernel line that explains the refusal: refusal_not_viable
 * (test_refusal_log.c).
 */
#include "test_core.h"

#include <fcntl.h>

TEST(core_viability_kernel_driver)
{
	struct shared_group g;
	struct vu_dev d;

	sg_setup(&g, true);
	fx_open(&d, VU_STAGE_CONTAINER);
	d.group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(d.group);
	ASSERT_EQ(VIABLE, core_group_flags(d.group));

	/* The e1000 does DMA for the kernel: the group is not viable. */
	sg_bind_e1000(&g);
	ASSERT_EQ(0, core_group_flags(d.group));
	ASSERT_ERRNO(EPERM,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	ASSERT_EQ(0, core_group_flags(d.group));
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.edu));
	ASSERT_ERRNO(ENODEV, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.nic));
	/* The failed attach left the container unprivileged. */
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));

	/* Unbound, the e1000 no longer matters. */
	ASSERT_OK(cu_unbind(g.nic));
	ASSERT_EQ(VIABLE, core_group_flags(d.group));
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	d.device = vu_get_device_fd(d.group, g.edu);
	ASSERT_OK(d.device);
	vu_dev_close(&d);
}

/*
 * vfio-pci declares it does no DMA of its own: it binds to a device whose
 * group a kernel driver uses, and the group is then simply not viable.
 */
TEST(core_viability_vfio_probe_in_used_group)
{
	struct shared_group g;
	int group;

	sg_setup(&g, false);
	if (cu_driver(g.edu)[0])
		ASSERT_OK(cu_unbind(g.edu));
	sg_bind_e1000(&g);
	ASSERT_OK(cu_bind(g.edu, "vfio-pci"));
	group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(group);
	ASSERT_EQ(0, core_group_flags(group));
	ASSERT_OK(close(group));
	/* And a second device: vfio-pci may take the e1000 from e1000. */
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(group);
	ASSERT_EQ(VIABLE, core_group_flags(group));
	ASSERT_OK(close(group));
}

/* While the group is in a container, no DMA-doing driver can bind. */
TEST(core_viability_owned_blocks_drivers)
{
	struct shared_group g;
	struct vu_dev d;
	int err;

	sg_setup(&g, true);
	fx_open(&d, VU_STAGE_CONTAINER);
	d.group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(d.group);
	ASSERT_OK(vu_group_set_container(d.group, d.container));

	/* Loading e1000 probes the device, which fails. */
	ASSERT_OK(cu_modprobe("e1000"));
	ASSERT_EQ(0, strcmp(cu_driver(g.nic), ""));
	err = cu_bind_direct(g.nic, "e1000") ? errno : 0;
	ASSERT_EQ(EBUSY, err);
	ASSERT_EQ(0, strcmp(cu_driver(g.nic), ""));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));

	/* vfio-pci does no DMA of its own: it may bind. */
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	d.device = vu_get_device_fd(d.group, g.nic);
	ASSERT_OK(d.device);
	ASSERT_OK(close(d.device));
	d.device = -1;
	ASSERT_OK(cu_unbind(g.nic));

	/* Leaving the container releases ownership: e1000 binds now. */
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_OK(cu_bind_direct(g.nic, "e1000"));
	ASSERT_EQ(0, strcmp(cu_driver(g.nic), "e1000"));
	ASSERT_EQ(0, core_group_flags(d.group));
	vu_dev_close(&d);
}
