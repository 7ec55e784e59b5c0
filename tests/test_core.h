/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared setup of the core tests (tests/test_core_*.c). */
#ifndef NVFIO_TEST_CORE_H
#define NVFIO_TEST_CORE_H

#include "fixture.h"
#include "core_util.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PCI_VENDOR_INTEL 0x8086
#define E1000_DEVICE 0x100e /* 82540EM, behind the bench's PCI bridge */
#define E1000E_DEVICE 0x10d3 /* 82574L */

/* The bench's group of several devices: an edu and an e1000 behind a bridge. */
struct shared_group {
	char edu[VU_BDF_LEN];
	char nic[VU_BDF_LEN];
	int id;
	char path[64]; /* /dev/vfio/<id> */
};

/*
 * Find the shared group, remember its devices' state for the restore at
 * exit, leave the e1000 unbound and (if bind_edu) the edu on vfio-pci.
 */
static inline void sg_setup(struct shared_group *g, bool bind_edu)
{
	if (cu_find_device(EDU_VENDOR, EDU_DEVICE, 1, g->edu, sizeof(g->edu)))
		FAIL("no edu sharing its IOMMU group with other devices");
	g->id = vu_iommu_group(g->edu);
	if (g->id < 0)
		FAIL("%s: %s", g->edu, vu_last_error());
	if (cu_find_in_group(g->id, PCI_VENDOR_INTEL, E1000_DEVICE, g->nic,
			     sizeof(g->nic)))
		FAIL("no e1000 in IOMMU group %d", g->id);
	snprintf(g->path, sizeof(g->path), "/dev/vfio/%d", g->id);
	cu_save_device(g->edu);
	cu_save_device(g->nic);
	if (cu_driver(g->nic)[0] && cu_unbind(g->nic))
		FAIL("unbind %s: %s", g->nic, strerror(errno));
	if (bind_edu && cu_bind(g->edu, "vfio-pci"))
		FAIL("bind %s to vfio-pci: %s", g->edu, vu_last_error());
}

/* Bind the e1000 of the group to its kernel driver (loads it if needed). */
static inline void sg_bind_e1000(struct shared_group *g)
{
	ASSERT_OK(cu_modprobe("e1000"));
	if (strcmp(cu_driver(g->nic), "e1000"))
		ASSERT_OK(cu_bind_direct(g->nic, "e1000"));
	ASSERT_EQ(0, strcmp(cu_driver(g->nic), "e1000"));
}

/* Module names: the same in both stacks. */
static inline const char *type1_module(void)
{
	return "vfio_iommu_type1";
}

static inline const char *pci_module(void)
{
	return "vfio_pci";
}

static inline uint32_t core_group_flags(int group)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};

	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_GET_STATUS, &st));
	return st.flags;
}

#define VIABLE VFIO_GROUP_FLAGS_VIABLE
#define IN_CONTAINER (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET)

/* Does the container have an IOMMU backend set (GET_INFO answers)? */
static inline bool core_has_iommu(int container)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};
	int r = ioctl(container, VFIO_IOMMU_GET_INFO, &info);

	if (r && errno != EINVAL)
		FAIL("VFIO_IOMMU_GET_INFO: %s", vu_errno_name(errno));
	return r == 0;
}

#endif
