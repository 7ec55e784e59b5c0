// SPDX-License-Identifier: GPL-2.0-only
/*
 * Core: the internal registration APIs seen from userspace.  A container
 * with an IOMMU pins its backend module; an open device pins its bus
 * driver module.  The capability-chain helper, through the chains of
 * VFIO_IOMMU_GET_INFO and VFIO_DEVICE_GET_REGION_INFO.
 */
#include "test_core.h"

#include <fcntl.h>
#include <stdlib.h>

/* The backend cannot be unloaded while a container uses it. */
TEST(core_backend_pinned_by_container)
{
	const char *mod = type1_module();
	long before = vu_module_refcnt(mod);
	struct vu_dev d;

	ASSERT_TRUE(before >= 0);
	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(before, vu_module_refcnt(mod));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(before + 1, vu_module_refcnt(mod));
	ASSERT_ERRNO(EWOULDBLOCK, cu_delete_module(mod));
	ASSERT_TRUE(cu_module_loaded(mod));
	/* Deprivileging drops the pin. */
	ASSERT_EQ(0, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(before, vu_module_refcnt(mod));
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(before + 1, vu_module_refcnt(mod));
	/* Closing the container fd first: the group still holds it. */
	ASSERT_OK(close(d.container));
	d.container = -1;
	ASSERT_EQ(before + 1, vu_module_refcnt(mod));
	ASSERT_OK(close(d.group));
	d.group = -1;
	ASSERT_EQ(before, vu_module_refcnt(mod));
	vu_dev_close(&d);
}

/*
 * The bus driver cannot be unloaded while one of its devices is open.  One
 * module reference per open device; 6.1's vfio takes one per device fd.
 */
TEST(core_bus_driver_pinned_by_device)
{
	const char *mod = pci_module();
	long before = vu_module_refcnt(mod);
	long per_fd = fx_kernel_at_least(6, 2) ? 0 : 1;
	struct vu_dev d;
	int dev2;

	ASSERT_TRUE(before >= 0);
	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_EQ(before + 1, vu_module_refcnt(mod));
	dev2 = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(dev2);
	ASSERT_EQ(before + 1 + per_fd, vu_module_refcnt(mod));
	ASSERT_ERRNO(EWOULDBLOCK, cu_delete_module(mod));
	ASSERT_OK(close(d.device));
	d.device = -1;
	ASSERT_EQ(before + 1, vu_module_refcnt(mod));
	ASSERT_OK(close(dev2));
	ASSERT_EQ(before, vu_module_refcnt(mod));
	vu_dev_close(&d);
}

/* Walk a chain in `buf` starting at `off`; returns the number of caps and
 * their ids in ids[]. */
static int walk_chain(const uint8_t *buf, uint32_t size, uint32_t off,
		      uint16_t *ids, int max)
{
	/* Capabilities are 8-byte aligned since 6.6; 6.1 packs them. */
	unsigned int align = fx_kernel_at_least(6, 6) ? 8 : 1;
	int n = 0;

	while (off) {
		const struct vfio_info_cap_header *h =
			(const void *)(buf + off);

		if (off % align || off + sizeof(*h) > size)
			FAIL("capability at bad offset %u (buffer %u)", off,
			     size);
		if (n == max)
			FAIL("chain longer than %d (loop?)", max);
		ids[n++] = h->id;
		if (h->next && h->next <= off)
			FAIL("next %u does not move forward from %u", h->next,
			     off);
		off = h->next;
	}
	return n;
}

TEST(core_info_caps_iommu_get_info)
{
	struct vfio_iommu_type1_info *info;
	const size_t isz = sizeof(*info);
	uint8_t *buf;
	uint32_t need;
	uint16_t ids[8];
	struct vu_dev d;

	fx_open(&d, VU_STAGE_IOMMU);
	buf = calloc(1, 4096);
	ASSERT_TRUE(buf);
	info = (void *)buf;

	/* Too small for the fixed part. */
	info->argsz =
		offsetofend(struct vfio_iommu_type1_info, iova_pgsizes) - 1;
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_GET_INFO, info));

	/* The old structure without cap_offset: only it is written. */
	memset(buf, 0xa5, 4096);
	info->argsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	ASSERT_TRUE(info->argsz > isz);
	ASSERT_EQ(0xa5a5a5a5u, info->cap_offset);

	/* The whole structure, no room for the chain: argsz says how much
	 * is needed, cap_offset is 0 and no chain is written. */
	memset(buf, 0xa5, 4096);
	info->argsz = isz;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, info));
	need = info->argsz;
	ASSERT_TRUE(need > isz && need <= 4096);
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	ASSERT_EQ(0, info->cap_offset);
	ASSERT_EQ(0xa5, buf[isz]);

	/* One byte short is still too small. */
	info->argsz = need - 1;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(need, info->argsz);
	ASSERT_EQ(0, info->cap_offset);

	/* Exactly enough: the chain follows the structure. */
	memset(buf, 0xa5, 4096);
	info->argsz = need;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(need, info->argsz);
	ASSERT_EQ(isz, info->cap_offset);
	/* type1's chain: migration, DMA available, IOVA ranges. */
	ASSERT_EQ(3, walk_chain(buf, need, info->cap_offset, ids, 8));
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, ids[0]);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, ids[1]);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, ids[2]);
	ASSERT_EQ(0xa5, buf[need]);

	/* More than enough: same answer, argsz left as given. */
	memset(buf, 0xa5, 4096);
	info->argsz = 4096;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(4096, info->argsz);
	ASSERT_EQ(isz, info->cap_offset);
	ASSERT_EQ(3, walk_chain(buf, need, info->cap_offset, ids, 8));
	ASSERT_EQ(0xa5, buf[need]);
	free(buf);
	vu_dev_close(&d);
}

/* Offset of the MSI-X capability's table BIR, from sysfs config space. */
static int msix_bar(const char *bdf)
{
	uint8_t cfg[256];
	char path[128];
	int fd, pos, guard = 0;

	snprintf(path, sizeof(path), CU_PCI "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_EQ(256, pread(fd, cfg, sizeof(cfg), 0));
	close(fd);
	for (pos = cfg[0x34] & ~3; pos && guard++ < 48; pos = cfg[pos + 1] & ~3)
		if (cfg[pos] == 0x11) /* PCI_CAP_ID_MSIX */
			return cfg[pos + 4] & 7;
	return -1;
}

/* Region info of the MSI-X BAR carries a one-capability chain. */
TEST(core_info_caps_region_info)
{
	struct {
		struct vfio_region_info ri;
		uint8_t rest[256];
	} b;
	char nic[VU_BDF_LEN];
	struct vu_dev d;
	uint16_t ids[4];
	int bar, g;

	if (cu_find_device(PCI_VENDOR_INTEL, E1000E_DEVICE, 0, nic,
			   sizeof(nic)))
		FAIL("no e1000e alone in its IOMMU group");
	cu_save_device(nic);
	bar = msix_bar(nic);
	ASSERT_TRUE(bar >= 0);
	ASSERT_OK(cu_bind(nic, "vfio-pci"));
	g = vu_iommu_group(nic);
	ASSERT_OK(g);
	ASSERT_OK(vu_dev_open(&d, nic, VU_STAGE_DEVICE));

	for (int i = VFIO_PCI_BAR0_REGION_INDEX; i < VFIO_PCI_NUM_REGIONS;
	     i++) {
		memset(&b, 0, sizeof(b));
		b.ri.argsz = sizeof(b.ri);
		b.ri.index = i;
		if (ioctl(d.device, VFIO_DEVICE_GET_REGION_INFO, &b.ri)) {
			ASSERT_EQ(EINVAL, errno);
			continue;
		}
		if (i == bar) {
			ASSERT_TRUE(b.ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
			ASSERT_TRUE(b.ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
			ASSERT_EQ(sizeof(b.ri) + 8, b.ri.argsz);
			ASSERT_EQ(0, b.ri.cap_offset);
		} else {
			ASSERT_EQ(0, b.ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
			ASSERT_EQ(sizeof(b.ri), b.ri.argsz);
		}
	}

	memset(&b, 0xa5, sizeof(b));
	b.ri.argsz = sizeof(b);
	b.ri.index = bar;
	ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_GET_REGION_INFO, &b.ri));
	ASSERT_EQ(sizeof(b), b.ri.argsz);
	ASSERT_EQ(sizeof(b.ri), b.ri.cap_offset);
	ASSERT_EQ(1,
		  walk_chain((void *)&b, sizeof(b), b.ri.cap_offset, ids, 4));
	ASSERT_EQ(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, ids[0]);
	ASSERT_EQ(1, ((struct vfio_info_cap_header *)b.rest)->version);
	ASSERT_EQ(0xa5, b.rest[8]);

	/* Below the fixed size: EINVAL. */
	b.ri.argsz = offsetofend(struct vfio_region_info, offset) - 1;
	ASSERT_ERRNO(EINVAL,
		     ioctl(d.device, VFIO_DEVICE_GET_REGION_INFO, &b.ri));
	vu_dev_close(&d);
}
