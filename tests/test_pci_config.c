// SPDX-License-Identifier: GPL-2.0-only
/*
 * Config space virtualization of the PCI bus driver.
 *
 * pci_config_dump: for every bench device, the whole config region is
 * dumped right after open and again after a fixed sequence of writes
 * (BAR sizing, command, status, header scratch registers, every standard
 * and extended capability); the dumps land in
 * $NVFIO_OUT/artifacts/config/<mode>/<device>.{before,after}.bin and
 * bench/check.sh compares ours with mainline's byte for byte
 * ("pci-config-compare").  The other tests check single behaviours that
 * must hold in both modes.
 */
#include "test_pci_util.h"

#include <stdio.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define CFG_MAX 4096

/* Capability ids whose body we leave alone (side effects on the device). */
static bool cap_skip(uint8_t id)
{
	return id == PCI_CAP_ID_VNDR;
}

/* The fixed write sequence; identical in both modes. */
static void config_write_sequence(int fd, size_t size)
{
	unsigned int pos, n, i;

	/* BAR and ROM sizing, as a guest BIOS does it. */
	for (i = 0; i < 6; i++)
		pu_cfg_write(fd, PCI_BASE_ADDRESS_0 + 4 * i, 4, 0xffffffff);
	pu_cfg_write(fd, PCI_ROM_ADDRESS, 4, 0xfffff800);
	/* Decode, bus master, error reporting, INTx disable. */
	pu_cfg_write(fd, PCI_COMMAND, 2, 0x0547);
	/* Status: RW1C error bits. */
	pu_cfg_write(fd, PCI_STATUS, 2, 0xffff);
	pu_cfg_write(fd, PCI_CACHE_LINE_SIZE, 1, 0xff);
	pu_cfg_write(fd, PCI_LATENCY_TIMER, 1, 0xff);
	pu_cfg_write(fd, PCI_INTERRUPT_LINE, 1, 0x5a);
	pu_cfg_write(fd, PCI_INTERRUPT_PIN, 1, 0xff);
	pu_cfg_write(fd, PCI_VENDOR_ID, 4, 0xffffffff);
	pu_cfg_write(fd, PCI_CLASS_REVISION, 4, 0xffffffff);
	pu_cfg_write(fd, PCI_SUBSYSTEM_VENDOR_ID, 4, 0xffffffff);
	pu_cfg_write(fd, PCI_CAPABILITY_LIST, 1, 0xff);

	/* Standard capabilities, as the user sees the chain. */
	pos = pu_cfg_read(fd, PCI_CAPABILITY_LIST, 1) & ~3;
	for (n = 0; pos && n < 48; n++) {
		uint8_t id = pu_cfg_read(fd, pos, 1);
		unsigned int next = pu_cfg_read(fd, pos + 1, 1) & ~3;

		/* the header is read-only: try to relink the chain */
		pu_cfg_write(fd, pos, 2, 0xffff);
		switch (id) {
		case PCI_CAP_ID_PM:
			/* stay in D0; clear PME status, enable PME */
			pu_cfg_write(fd, pos + PCI_PM_PMC, 2, 0xffff);
			pu_cfg_write(fd, pos + PCI_PM_CTRL, 2, 0x8100);
			break;
		case PCI_CAP_ID_EXP:
			/* everything but Initiate FLR */
			pu_cfg_write(fd, pos + PCI_EXP_DEVCAP, 4, 0xffffffff);
			pu_cfg_write(fd, pos + PCI_EXP_DEVCTL, 2, 0x7fff);
			pu_cfg_write(fd, pos + PCI_EXP_DEVSTA, 2, 0xffff);
			pu_cfg_write(fd, pos + PCI_EXP_LNKCAP, 4, 0xffffffff);
			pu_cfg_write(fd, pos + PCI_EXP_LNKCTL, 2, 0x0040);
			pu_cfg_write(fd, pos + PCI_EXP_LNKSTA, 2, 0xffff);
			pu_cfg_write(fd, pos + PCI_EXP_DEVCTL2, 2, 0xffff);
			pu_cfg_write(fd, pos + PCI_EXP_LNKCTL2, 2, 0x0003);
			break;
		case PCI_CAP_ID_MSI:
			pu_cfg_write(fd, pos + PCI_MSI_FLAGS, 2, 0xffff);
			for (i = 4; i < 24 && pos + i + 4 <= 256; i += 4)
				pu_cfg_write(fd, pos + i, 4, 0xfffffffc);
			break;
		case PCI_CAP_ID_MSIX:
			pu_cfg_write(fd, pos + PCI_MSIX_FLAGS, 2, 0xffff);
			pu_cfg_write(fd, pos + PCI_MSIX_TABLE, 4, 0xffffffff);
			pu_cfg_write(fd, pos + PCI_MSIX_PBA, 4, 0xffffffff);
			break;
		default:
			if (cap_skip(id))
				break;
			pu_cfg_write(fd, pos + 2, 2, 0xffff);
			break;
		}
		pos = next;
	}

	if (size <= 256)
		return;
	/* Extended capabilities: all-ones into every dword of each. */
	pos = 0x100;
	for (n = 0; pos && n < 64; n++) {
		uint32_t hdr = pu_cfg_read(fd, pos, 4);
		unsigned int next = PCI_EXT_CAP_NEXT(hdr), end;

		if (!hdr || hdr == 0xffffffff)
			break;
		pu_cfg_write(fd, pos, 4, 0xffffffff);
		end = next > pos ? next : pos + 0x40;
		if (end > size)
			end = size;
		/* AER: masks, severity, status (RW1C), control */
		for (i = pos + 4; i + 4 <= end && i < pos + 0x40; i += 4)
			pu_cfg_write(fd, i, 4, 0xffffffff);
		pos = next;
	}
}

TEST(pci_config_dump)
{
	static uint8_t before[CFG_MAX], after[CFG_MAX];
	char name[64];

	for (unsigned int t = 0; t < pu_nbench; t++) {
		char bdf[VU_BDF_LEN];
		struct vu_dev d;
		size_t size;

		pu_find(&pu_bench[t], bdf);
		pu_claim(bdf);
		if (vu_dev_open(&d, bdf, VU_STAGE_DEVICE))
			FAIL("%s: %s", pu_bench[t].name, vu_last_error());
		size = pu_config_dump(d.device, before, sizeof(before));
		snprintf(name, sizeof(name), "%s.before.bin", pu_bench[t].name);
		pu_artifact("config", name, before, size);

		config_write_sequence(d.device, size);

		ASSERT_EQ(size, pu_config_dump(d.device, after, sizeof(after)));
		snprintf(name, sizeof(name), "%s.after.bin", pu_bench[t].name);
		pu_artifact("config", name, after, size);

		/* ids are read-only whatever the mode */
		ASSERT_MEMEQ(before, after, 4);
		vu_dev_close(&d);
		pu_release(bdf);
	}
}

/* BAR sizing: all-ones reads back the size mask, hardware untouched. */
TEST(pci_config_bar_sizing)
{
	struct vfio_region_info ri;
	struct vu_dev d;

	for (unsigned int t = 0; t < pu_nbench; t++) {
		uint32_t orig[6], lo;

		pu_open(&pu_bench[t], &d);
		for (int i = 0; i < 6; i++)
			orig[i] = pu_cfg_read(d.device,
					      PCI_BASE_ADDRESS_0 + 4 * i, 4);
		for (int i = 0; i < 6; i++) {
			uint64_t size;

			ASSERT_OK(vu_region_info(d.device, i, &ri));
			pu_cfg_write(d.device, PCI_BASE_ADDRESS_0 + 4 * i, 4,
				     0xffffffff);
			lo = pu_cfg_read(d.device, PCI_BASE_ADDRESS_0 + 4 * i,
					 4);
			if (!ri.size) {
				/* unimplemented, or the upper half of a
				 * 64-bit BAR */
				if (i && (orig[i - 1] & 7) == 4)
					continue;
				ASSERT_EQ(0, lo);
				continue;
			}
			size = ri.size;
			if (orig[i] & PCI_BASE_ADDRESS_SPACE_IO) {
				ASSERT_EQ((uint32_t) ~(size - 1) |
						  (orig[i] & 3),
					  lo);
				continue;
			}
			ASSERT_EQ((uint32_t) ~(size - 1) | (orig[i] & 0xf), lo);
			if ((orig[i] & 7) == 4) {
				uint32_t hi;

				pu_cfg_write(d.device,
					     PCI_BASE_ADDRESS_0 + 4 * (i + 1),
					     4, 0xffffffff);
				hi = pu_cfg_read(
					d.device,
					PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4);
				ASSERT_EQ((uint32_t)(~(size - 1) >> 32), hi);
				i++;
			}
		}
		vu_dev_close(&d);
		pu_release(d.bdf);
	}
}

/* Command register: the user's decode bits read back; ids read-only. */
TEST(pci_config_command)
{
	struct vu_dev d;

	for (unsigned int t = 0; t < pu_nbench; t++) {
		uint32_t id;

		pu_open(&pu_bench[t], &d);
		id = pu_cfg_read(d.device, 0, 4);
		pu_cfg_write(d.device, 0, 4, 0);
		ASSERT_EQ(id, pu_cfg_read(d.device, 0, 4));

		pu_cfg_write(d.device, PCI_COMMAND, 2,
			     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		ASSERT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
			  pu_cfg_read(d.device, PCI_COMMAND, 2) &
				  (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
				   PCI_COMMAND_INTX_DISABLE));
		pu_cfg_write(d.device, PCI_COMMAND, 2,
			     PCI_COMMAND_INTX_DISABLE);
		ASSERT_EQ(PCI_COMMAND_INTX_DISABLE,
			  pu_cfg_read(d.device, PCI_COMMAND, 2) &
				  (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
				   PCI_COMMAND_INTX_DISABLE));
		vu_dev_close(&d);
		pu_release(d.bdf);
	}
}

/* Accesses past the end of config space fail as mainline fails them. */
TEST(pci_config_bounds)
{
	struct vfio_region_info ri;
	uint8_t buf[8];
	struct vu_dev d;

	pu_open(&pu_bench[0], &d);
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_CONFIG_REGION_INDEX, &ri));
	ASSERT_ERRNO(EFAULT, pread(d.device, buf, 4, ri.offset + ri.size));
	ASSERT_ERRNO(EFAULT, pread(d.device, buf, 8, ri.offset + ri.size - 4));
	/* unaligned and odd sizes work */
	ASSERT_EQ(3, pread(d.device, buf, 3, ri.offset + 1));
	ASSERT_EQ(1, pread(d.device, buf, 1, ri.offset + 0x3d));
	vu_dev_close(&d);
}
