// SPDX-License-Identifier: GPL-2.0-only
/* Device fd: info, regions, config space, BAR0, irq info. */
#include "fixture.h"

#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define RW (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)

TEST(device_get_info)
{
	struct vfio_device_info info;
	uint32_t expect;
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_OK(vu_device_info(d.device, &info));
	/* RESET iff the PCI core knows a reset method (sysfs "reset"). */
	expect = VFIO_DEVICE_FLAGS_PCI;
	if (vu_sysfs_exists(d.bdf, "reset"))
		expect |= VFIO_DEVICE_FLAGS_RESET;
	ASSERT_EQ(expect, info.flags & ~VFIO_DEVICE_FLAGS_CAPS);
	ASSERT_TRUE(info.num_regions >= VFIO_PCI_NUM_REGIONS);
	ASSERT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
	vu_dev_close(&d);
}

TEST(device_get_info_argsz)
{
	struct vfio_device_info info = {
		.argsz = offsetofend(struct vfio_device_info, num_irqs) - 1,
	};
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_GET_INFO, &info));
	vu_dev_close(&d);
}

/* VFIO_DEVICE_FEATURE: the header checks, then -ENOTTY for what vfio-pci lacks.
 */
static int feature(int device, uint32_t argsz, uint32_t flags)
{
	struct vfio_device_feature f = {.argsz = argsz, .flags = flags};

	return ioctl(device, VFIO_DEVICE_FEATURE, &f);
}

TEST(device_feature_header)
{
	uint32_t minsz = offsetofend(struct vfio_device_feature, flags);
	uint32_t get = VFIO_DEVICE_FEATURE_GET, set = VFIO_DEVICE_FEATURE_SET;
	uint32_t probe = VFIO_DEVICE_FEATURE_PROBE;
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_ERRNO(EINVAL, feature(d.device, minsz - 1,
				     get | VFIO_DEVICE_FEATURE_MIGRATION));
	ASSERT_ERRNO(EINVAL, feature(d.device, minsz, get | (1u << 20)));
	ASSERT_ERRNO(EINVAL,
		     feature(d.device, minsz,
			     get | set | VFIO_DEVICE_FEATURE_MIGRATION));
	/* Valid headers, features a plain vfio-pci device does not have. */
	ASSERT_ERRNO(ENOTTY, feature(d.device, minsz, get | 0xffff));
	ASSERT_ERRNO(ENOTTY,
		     feature(d.device, minsz, get | set | probe | 0xffff));
	ASSERT_ERRNO(ENOTTY, feature(d.device, minsz,
				     get | VFIO_DEVICE_FEATURE_MIGRATION));
	ASSERT_ERRNO(
		ENOTTY,
		feature(d.device, minsz,
			set | probe | VFIO_DEVICE_FEATURE_DMA_LOGGING_START));
	vu_dev_close(&d);
}

TEST(device_region_info)
{
	struct vfio_region_info ri, cfg, bar0;
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);

	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_CONFIG_REGION_INDEX, &cfg));
	ASSERT_EQ(RW, cfg.flags);
	ASSERT_TRUE(cfg.size == PCI_CFG_SPACE_SIZE ||
		    cfg.size == PCI_CFG_SPACE_EXP_SIZE);

	/* edu: one 1 MiB memory BAR, mmap-able. */
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_BAR0_REGION_INDEX, &bar0));
	ASSERT_EQ(1 << 20, bar0.size);
	ASSERT_EQ(RW | VFIO_REGION_INFO_FLAG_MMAP, bar0.flags);
	ASSERT_TRUE(bar0.offset != cfg.offset);

	for (uint32_t i = VFIO_PCI_BAR1_REGION_INDEX;
	     i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		ASSERT_OK(vu_region_info(d.device, i, &ri));
		ASSERT_EQ(0, ri.size);
		ASSERT_EQ(0, ri.flags);
	}

	/* No VGA on edu; beyond the last region is invalid too. */
	ri = (struct vfio_region_info){.argsz = sizeof(ri),
				       .index = VFIO_PCI_VGA_REGION_INDEX};
	ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri = (struct vfio_region_info){.argsz = sizeof(ri), .index = 1000};
	ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	/* argsz too small. */
	ri = (struct vfio_region_info){.argsz = 8, .index = 0};
	ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	vu_dev_close(&d);
}

/* Vendor/device ids read through the config region equal sysfs's. */
TEST(device_config_read)
{
	unsigned long vendor, device;
	uint16_t ids[2];
	uint32_t dword;
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_OK(vu_sysfs_read_hex(d.bdf, "vendor", &vendor));
	ASSERT_OK(vu_sysfs_read_hex(d.bdf, "device", &device));
	ASSERT_OK(vu_config_read(d.device, PCI_VENDOR_ID, ids, sizeof(ids)));
	ASSERT_EQ(vendor, ids[0]);
	ASSERT_EQ(device, ids[1]);
	ASSERT_OK(vu_config_read(d.device, PCI_VENDOR_ID, &dword, 4));
	ASSERT_EQ((device << 16) | vendor, dword);
	ASSERT_EQ(EDU_VENDOR, vendor);
	ASSERT_EQ(EDU_DEVICE, device);
	vu_dev_close(&d);
}

/* Command register: MEMORY and MASTER can be set and read back. */
TEST(device_config_command)
{
	uint16_t cmd;
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_OK(vu_pci_command_set(d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	ASSERT_OK(vu_config_read(d.device, PCI_COMMAND, &cmd, sizeof(cmd)));
	ASSERT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	vu_dev_close(&d);
}

static void bar0_checks(bool use_mmap)
{
	struct vu_dev d;
	struct edu e;
	uint32_t v;

	fx_open_edu(&d, &e, use_mmap);
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	ASSERT_OK(edu_read32(&e, EDU_REG_ID, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ASSERT_OK(edu_write32(&e, EDU_REG_LIVENESS, 0x12345678));
	ASSERT_OK(edu_read32(&e, EDU_REG_LIVENESS, &v));
	ASSERT_EQ(~0x12345678u, v);
	ASSERT_OK(edu_write32(&e, EDU_REG_LIVENESS, 0));
	ASSERT_OK(edu_read32(&e, EDU_REG_LIVENESS, &v));
	ASSERT_EQ(0xffffffffu, v);
	edu_fini(&e);
	vu_dev_close(&d);
}

TEST(device_bar0_read)
{
	bar0_checks(false);
}

TEST(device_bar0_mmap)
{
	bar0_checks(true);
}

/* pread and mmap see the same register. */
TEST(device_bar0_pread_vs_mmap)
{
	struct vu_dev d;
	struct edu rw, mm;
	uint32_t v;

	fx_open_edu(&d, &rw, false);
	ASSERT_OK(edu_init(&mm, d.device, true));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	ASSERT_OK(edu_write32(&mm, EDU_REG_LIVENESS, 0xa5a5f00d));
	ASSERT_OK(edu_read32(&rw, EDU_REG_LIVENESS, &v));
	ASSERT_EQ(~0xa5a5f00du, v);
	ASSERT_OK(edu_write32(&rw, EDU_REG_LIVENESS, 0x0badcafe));
	ASSERT_OK(edu_read32(&mm, EDU_REG_LIVENESS, &v));
	ASSERT_EQ(~0x0badcafeu, v);
	edu_fini(&mm);
	vu_dev_close(&d);
}

TEST(device_irq_info)
{
	struct vfio_irq_info irq;
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	/* edu has INTx pin A and a single-vector MSI capability, no MSI-X. */
	ASSERT_OK(vu_irq_info(d.device, VFIO_PCI_INTX_IRQ_INDEX, &irq));
	ASSERT_EQ(1, irq.count);
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			  VFIO_IRQ_INFO_AUTOMASKED,
		  irq.flags);
	ASSERT_OK(vu_irq_info(d.device, VFIO_PCI_MSI_IRQ_INDEX, &irq));
	ASSERT_EQ(1, irq.count);
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, irq.flags);
	ASSERT_OK(vu_irq_info(d.device, VFIO_PCI_MSIX_IRQ_INDEX, &irq));
	ASSERT_EQ(0, irq.count);
	ASSERT_OK(vu_irq_info(d.device, VFIO_PCI_REQ_IRQ_INDEX, &irq));
	ASSERT_EQ(1, irq.count);
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, irq.flags);
	/* Beyond the last index. */
	irq = (struct vfio_irq_info){.argsz = sizeof(irq),
				     .index = VFIO_PCI_NUM_IRQS};
	ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	vu_dev_close(&d);
}

/* VFIO_DEVICE_RESET works iff the device advertises RESET. */
TEST(device_reset)
{
	struct vfio_device_info info;
	struct vu_dev d;
	struct edu e;
	uint32_t v;

	fx_open_edu(&d, &e, false);
	ASSERT_OK(vu_device_info(d.device, &info));
	if (info.flags & VFIO_DEVICE_FLAGS_RESET) {
		ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_RESET));
		/* The device still answers afterwards. */
		ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
		ASSERT_OK(edu_read32(&e, EDU_REG_ID, &v));
		ASSERT_EQ(EDU_ID_VALUE, v);
	} else {
		ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_RESET));
	}
	vu_dev_close(&d);
}

/* SET_IRQS validation against the device's vector counts. */
TEST(device_set_irqs_invalid)
{
	int fds[2] = {-1, -1};
	struct vu_dev d;

	fx_open(&d, VU_STAGE_DEVICE);
	fds[0] = vu_eventfd_new();
	ASSERT_OK(fds[0]);
	fds[1] = vu_eventfd_new();
	ASSERT_OK(fds[1]);
	/* edu has one MSI vector. */
	ASSERT_ERRNO(EINVAL,
		     vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 2,
					 fds));
	ASSERT_ERRNO(EINVAL,
		     vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 1, 1,
					 fds));
	/* and no MSI-X. */
	ASSERT_ERRNO(EINVAL,
		     vu_irq_set_eventfds(d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0,
					 1, fds));
	/* Beyond the last index. */
	ASSERT_ERRNO(EINVAL, vu_irq_set_eventfds(d.device, VFIO_PCI_NUM_IRQS, 0,
						 1, fds));
	/* The valid request still works afterwards. */
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      fds));
	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_MSI_IRQ_INDEX));
	ASSERT_OK(close(fds[0]));
	ASSERT_OK(close(fds[1]));
	vu_dev_close(&d);
}
