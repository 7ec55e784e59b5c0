// SPDX-License-Identifier: GPL-2.0-only
/*
 * Core: viability and DMA ownership, on the bench's shared IOMMU group (an
 * edu and an e1000 behind a PCI bridge).  A group is viable while no device
 * of it is bound to a kernel driver that does DMA; attaching it to a
 * container claims DMA ownership, which keeps such drivers from binding.
 */
#include "test_core.h"

#include <fcntl.h>

/* Bind the e1000 of the group to its kernel driver (loads it if needed). */
static void bind_e1000(struct shared_group *g)
{
	ASSERT_OK(cu_modprobe("e1000"));
	if (strcmp(cu_driver(g->nic), "e1000"))
		ASSERT_OK(cu_bind_direct(g->nic, "e1000"));
	ASSERT_EQ(0, strcmp(cu_driver(g->nic), "e1000"));
}

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
	bind_e1000(&g);
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
	bind_e1000(&g);
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

/*
 * Beyond mainline: a refusal for viability says in one kernel log line
 * which group, which device and which driver, so the user knows what to
 * unbind.
 */
TEST_OURS_ONLY(core_viability_refusal_logged)
{
	const char *need[4];
	struct shared_group g;
	char gid[32], line[512];
	struct vu_dev d;
	int kmsg;

	sg_setup(&g, true);
	bind_e1000(&g);
	fx_open(&d, VU_STAGE_CONTAINER);
	d.group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(d.group);
	snprintf(gid, sizeof(gid), "group %d ", g.id);
	need[0] = gid;
	need[1] = g.nic;
	need[2] = "e1000";
	need[3] = NULL;

	kmsg = cu_kmsg_open();
	ASSERT_OK(kmsg);
	ASSERT_ERRNO(EPERM,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	if (!cu_kmsg_find(kmsg, need, line, sizeof(line)))
		FAIL("no kernel log line naming '%s', %s and e1000", gid,
		     g.nic);
	printf("SET_CONTAINER: %s", line);
	/* The edu itself is ours: it is not named as a blocker. */
	ASSERT_TRUE(!strstr(line, g.edu));

	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.edu));
	if (!cu_kmsg_find(kmsg, need, line, sizeof(line)))
		FAIL("GET_DEVICE_FD: no kernel log line naming the blocker");
	printf("GET_DEVICE_FD: %s", line);
	close(kmsg);
	vu_dev_close(&d);
}
