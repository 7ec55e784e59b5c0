// SPDX-License-Identifier: GPL-2.0-only
/*
 * Revocation of BAR mmaps (mainline semantics): a user mapping of a memory
 * BAR is zapped when the user turns memory decode off, on resets, and
 * faults back in once the BAR is usable again; while decode is off an
 * access gets SIGBUS.  A mapping holds its device file, so closing the fd
 * neither closes the device nor breaks the mapping.
 */
#include "fixture.h"
#include "test_pci_sigbus.h"
#include "test_pci_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

/* mmap BAR0 of @device (fails the test if it cannot be mapped). */
static volatile uint32_t *map_bar0(int device, struct vfio_region_info *ri)
{
	void *p;

	ASSERT_OK(vu_region_info(device, VFIO_PCI_BAR0_REGION_INDEX, ri));
	ASSERT_TRUE(ri->flags & VFIO_REGION_INFO_FLAG_MMAP);
	p = vu_region_mmap(device, ri);
	ASSERT_TRUE(p != NULL);
	return p;
}

/*
 * Decode off: the page already faulted in is revoked (SIGBUS on read and
 * write, read(2) -EIO); decode on: it faults back in and works.
 */
TEST(pci_mmap_decode_off_sigbus)
{
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	struct vu_dev d;
	uint32_t v = 0;

	fx_open(&d, VU_STAGE_DEVICE);
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	bar = map_bar0(d.device, &ri);
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);

	pu_command_bits(d.device, PCI_COMMAND_MEMORY, false);
	ASSERT_EQ(-1, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(-1, ps_write32(bar + EDU_REG_LIVENESS / 4, 0x12345678));
	errno = 0;
	ASSERT_ERRNO(EIO, pread(d.device, &v, 4, ri.offset + EDU_REG_ID));
	/* Still revoked on a second try: nothing faulted it back in. */
	ASSERT_EQ(-1, ps_read32(bar + EDU_REG_ID / 4, &v));

	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	v = 0;
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ASSERT_EQ(0, ps_write32(bar + EDU_REG_LIVENESS / 4, 0x12345678));
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_LIVENESS / 4, &v));
	ASSERT_EQ(~0x12345678u, v);

	vu_region_munmap((void *)bar, &ri);
	vu_dev_close(&d);
}

/* The same through a second mapping of the same BAR: both are revoked. */
TEST(pci_mmap_decode_off_all_mappings)
{
	struct vfio_region_info ri;
	volatile uint32_t *a, *b;
	struct vu_dev d;
	uint32_t v;

	fx_open(&d, VU_STAGE_DEVICE);
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	a = map_bar0(d.device, &ri);
	b = map_bar0(d.device, &ri);
	ASSERT_EQ(0, ps_read32(a, &v));
	ASSERT_EQ(0, ps_read32(b, &v));
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, false);
	ASSERT_EQ(-1, ps_read32(a, &v));
	ASSERT_EQ(-1, ps_read32(b, &v));
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	ASSERT_EQ(0, ps_read32(b, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ASSERT_EQ(0, ps_read32(a, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	vu_region_munmap((void *)a, &ri);
	vu_region_munmap((void *)b, &ri);
	vu_dev_close(&d);
}

/*
 * DEVICE_RESET revokes the mappings of a device that has a reset; they
 * fault back in afterwards (decode is restored by the reset).
 */
TEST(pci_mmap_reset_refault)
{
	static const unsigned int order[] = {2, 1,
					     3}; /* nvme, e1000e, virtio */
	struct vfio_device_info info = {.argsz = sizeof(info)};
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	const struct pu_devtype *t = NULL;
	char bdf[VU_BDF_LEN];
	uint32_t before = 0, after = 0;
	struct vu_dev d;

	for (unsigned int i = 0; i < 3 && !t; i++) {
		const struct pu_devtype *c = &pu_bench[order[i]];

		if (vu_find_pci_device(c->vendor, c->device, bdf, sizeof(bdf)))
			continue;
		pu_open(c, &d);
		ASSERT_OK(vu_device_info(d.device, &info));
		if (info.flags & VFIO_DEVICE_FLAGS_RESET) {
			t = c;
			break;
		}
		vu_dev_close(&d);
		pu_release(bdf);
	}
	if (!t)
		SKIP("no bench device with a function reset");

	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	bar = map_bar0(d.device, &ri);
	ASSERT_EQ(0, ps_read32(bar, &before));
	ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, ps_read32(bar, &after));
	printf("%s %s: BAR0[0] 0x%08x before the reset, 0x%08x after\n",
	       t->name, bdf, before, after);
	if (!strcmp(t->name, "nvme")) /* CAP: constant */
		ASSERT_EQ(before, after);
	vu_region_munmap((void *)bar, &ri);
	vu_dev_close(&d);
	pu_release(bdf);
}

/*
 * A mapping holds its device file: closing every fd leaves the device
 * open and the mapping working; the unmap is the last close, after which
 * the device opens again.
 */
TEST(pci_mmap_outlives_fd)
{
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	struct vu_dev d;
	uint32_t v = 0;

	fx_open(&d, VU_STAGE_DEVICE);
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	bar = map_bar0(d.device, &ri);
	vu_dev_close(&d);
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ASSERT_EQ(0, ps_write32(bar + EDU_REG_LIVENESS / 4, 0x0badf00d));
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_LIVENESS / 4, &v));
	ASSERT_EQ(~0x0badf00du, v);
	vu_region_munmap((void *)bar, &ri);

	fx_open(&d, VU_STAGE_DEVICE);
	vu_dev_close(&d);
}

/*
 * A BAR mapping is not reachable through /proc/PID/mem (nor ptrace, which
 * goes the same way): the device would be accessed outside memory_lock,
 * whatever its decode or reset state.  The page is faulted in first.
 */
TEST(pci_mmap_no_remote_access)
{
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	struct vu_dev d;
	uint32_t v = 0;
	int mem;

	fx_open(&d, VU_STAGE_DEVICE);
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	bar = map_bar0(d.device, &ri);
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);

	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_OK(mem);
	ASSERT_ERRNO(EIO, pread(mem, &v, sizeof(v), (off_t)(uintptr_t)bar));
	v = 0x12345678;
	ASSERT_ERRNO(EIO,
		     pwrite(mem, &v, sizeof(v),
			    (off_t)(uintptr_t)(bar + EDU_REG_LIVENESS / 4)));
	close(mem);

	vu_region_munmap((void *)bar, &ri);
	vu_dev_close(&d);
}
