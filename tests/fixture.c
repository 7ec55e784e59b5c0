// SPDX-License-Identifier: GPL-2.0-only
/* Shared setup for tests: the edu device and its VFIO objects. */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

const char *fx_bdf(void)
{
	static char bdf[VU_BDF_LEN];
	char drv[64];
	const char *env;

	if (bdf[0])
		return bdf;
	env = getenv("NVFIO_EDU");
	if (env && env[0])
		snprintf(bdf, sizeof(bdf), "%s", env);
	else if (vu_find_pci_device(EDU_VENDOR, EDU_DEVICE, bdf, sizeof(bdf)))
		FAIL("no edu device: NVFIO_EDU unset and %s", vu_last_error());
	if (vu_driver_name(bdf, drv, sizeof(drv)))
		FAIL("edu %s: %s", bdf, vu_last_error());
	if (strcmp(drv, "vfio-pci"))
		FAIL("edu %s is bound to '%s', not vfio-pci", bdf, drv);
	return bdf;
}

int fx_group_id(void)
{
	int id = vu_iommu_group(fx_bdf());

	if (id < 0)
		FAIL("edu %s: %s", fx_bdf(), vu_last_error());
	return id;
}

void fx_open(struct vu_dev *d, enum vu_stage stage)
{
	static const char *const names[] = {
		[VU_STAGE_CONTAINER] = "container", [VU_STAGE_GROUP] = "group",
		[VU_STAGE_ATTACHED] = "attached",   [VU_STAGE_IOMMU] = "iommu",
		[VU_STAGE_DEVICE] = "device",
	};

	if (vu_dev_open(d, fx_bdf(), stage))
		FAIL("setup (stage %s) of %s failed: %s", names[stage],
		     fx_bdf(), vu_last_error());
}

void fx_open_edu(struct vu_dev *d, struct edu *e, bool use_mmap)
{
	fx_open(d, VU_STAGE_DEVICE);
	if (edu_init(e, d->device, use_mmap))
		FAIL("edu_init(%s): %s", use_mmap ? "mmap" : "pread",
		     vu_last_error());
}

int fx_ext_open(void)
{
	int fd = open("/dev/nvfio_ext_test", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		FAIL("open /dev/nvfio_ext_test (nvfio_ext_test.ko loaded?): %s",
		     strerror(errno));
	return fd;
}

int fx_module_refcnt(const char *mod)
{
	int n = vu_module_refcnt(mod);

	if (n < 0)
		FAIL("%s", vu_last_error());
	return n;
}

bool fx_kernel_at_least(unsigned int major, unsigned int minor)
{
	unsigned int ma = 0, mi = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
		FAIL("cannot read the kernel release: %s", strerror(errno));
	return ma > major || (ma == major && mi >= minor);
}
