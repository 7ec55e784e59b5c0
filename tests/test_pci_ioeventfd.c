// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_IOEVENTFD: a signal on the eventfd becomes the registered
 * write into the BAR.  The edu shows 4- and 8-byte writes (offset 4 reads
 * back the bitwise NOT of what was written, offset 0x80 the DMA source
 * address); it ignores narrower ones, so sizes 1 and 2 (and again 4 and
 * 8) are shown on the e1000e, whose registers after an ioeventfd write
 * must equal what the same write through write(2) left there.  Also:
 * one entry per (BAR, offset, size, data), teardown with fd -1, decode
 * off drops the write, and mainline's errno for every bad request.
 */
#include "fixture.h"
#include "test_pci_util.h"
#include "edu.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>

static const struct pu_devtype edu_t = {"edu", EDU_VENDOR, EDU_DEVICE};
static const struct pu_devtype e1000e_t = {"e1000e", 0x8086, 0x10d3};

/* e1000e Receive Descriptor Base Address Low/High: plain registers. */
#define E1000_RDBAL 0x2800

static uint64_t bar_off(int bar, uint64_t pos)
{
	return ((uint64_t)bar << 40) + pos;
}

static int ioeventfd(int device, uint64_t off, uint32_t size, uint64_t data,
		     int fd)
{
	struct vfio_device_ioeventfd req = {
		.argsz = sizeof(req),
		.flags = size,
		.offset = off,
		.data = data,
		.fd = fd,
	};

	return ioctl(device, VFIO_DEVICE_IOEVENTFD, &req);
}

static void kick(int efd)
{
	uint64_t one = 1;

	ASSERT_EQ(8, write(efd, &one, 8));
}

static uint64_t rd(int device, int bar, uint64_t pos, size_t len)
{
	uint64_t v = 0;

	ASSERT_EQ(len, pread(device, &v, len, bar_off(bar, pos)));
	return v;
}

static void wr(int device, int bar, uint64_t pos, size_t len, uint64_t v)
{
	ASSERT_EQ(len, pwrite(device, &v, len, bar_off(bar, pos)));
}

/* Wait up to 2 s for @len bytes at @pos to read @want. */
static void expect_reg(int device, int bar, uint64_t pos, size_t len,
		       uint64_t want, const char *what)
{
	uint64_t t0 = vu_now_ms(), v;

	do {
		v = rd(device, bar, pos, len);
		if (v == want)
			return;
		usleep(1000);
	} while (vu_now_ms() - t0 < 2000);
	FAIL("%s: register %#llx reads %#llx, expected %#llx", what,
	     (unsigned long long)pos, (unsigned long long)v,
	     (unsigned long long)want);
}

TEST(pci_ioeventfd_edu_write)
{
	struct vu_dev d;
	int efd4, efd8, efd_pre;

	pu_open(&edu_t, &d);
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	efd4 = vu_eventfd_new();
	efd8 = vu_eventfd_new();
	efd_pre = vu_eventfd_new();
	ASSERT_OK(efd4);
	ASSERT_OK(efd8);
	ASSERT_OK(efd_pre);

	/* 4 bytes: the liveness register stores the complement */
	wr(d.device, 0, EDU_REG_LIVENESS, 4, 0);
	ASSERT_OK(ioeventfd(d.device, bar_off(0, EDU_REG_LIVENESS), 4,
			    0x12345678, efd4));
	usleep(10000);
	ASSERT_EQ(0xffffffffu, rd(d.device, 0, EDU_REG_LIVENESS, 4));
	kick(efd4);
	expect_reg(d.device, 0, EDU_REG_LIVENESS, 4, ~0x12345678u, "size 4");

	/* the signal was consumed: the user sees no count left */
	uint64_t cnt;
	ASSERT_EQ(0, vu_eventfd_wait(efd4, 0, &cnt));

	/*
	 * 8 bytes at the DMA source address: one access or, where the
	 * architecture has no 64-bit iowrite (x86), two 4-byte ones, low half
	 * first, as mainline; the edu takes the low half either way (it
	 * ignores a 4-byte write at 0x84).
	 */
	wr(d.device, 0, EDU_REG_DMA_SRC, 4, 0);
	ASSERT_OK(ioeventfd(d.device, bar_off(0, EDU_REG_DMA_SRC), 8,
			    0x0123456789abcde0ull, efd8));
	kick(efd8);
	expect_reg(d.device, 0, EDU_REG_DMA_SRC, 4, 0x89abcde0u, "size 8");

	/* signalled before it was registered: written at registration */
	wr(d.device, 0, EDU_REG_LIVENESS, 4, 0);
	kick(efd_pre);
	ASSERT_OK(ioeventfd(d.device, bar_off(0, EDU_REG_LIVENESS), 4,
			    0xcafe0000, efd_pre));
	expect_reg(d.device, 0, EDU_REG_LIVENESS, 4, ~0xcafe0000u,
		   "pre-signalled");

	/* memory decode off: the write is dropped, not deferred */
	wr(d.device, 0, EDU_REG_LIVENESS, 4, 0);
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, false);
	kick(efd4);
	usleep(20000);
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	usleep(20000);
	ASSERT_EQ(0xffffffffu, rd(d.device, 0, EDU_REG_LIVENESS, 4));
	kick(efd4);
	expect_reg(d.device, 0, EDU_REG_LIVENESS, 4, ~0x12345678u,
		   "decode back on");

	/* the device closes with entries registered: all go with it */
	close(efd8);
	vu_dev_close(&d);
	pu_open(&edu_t, &d);
	ASSERT_ERRNO(ENODEV, ioeventfd(d.device, bar_off(0, EDU_REG_LIVENESS),
				       4, 0x12345678, -1));
	vu_dev_close(&d);
	close(efd4);
	close(efd_pre);
}

TEST(pci_ioeventfd_datamatch_teardown)
{
	struct vu_dev d;
	uint64_t reg = bar_off(0, EDU_REG_LIVENESS);
	int a, b, c;

	pu_open(&edu_t, &d);
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	a = vu_eventfd_new();
	b = vu_eventfd_new();
	c = vu_eventfd_new();
	ASSERT_OK(a);
	ASSERT_OK(b);
	ASSERT_OK(c);

	/* one offset, two data values: two entries, each its own write */
	ASSERT_OK(ioeventfd(d.device, reg, 4, 0x11111111, a));
	ASSERT_OK(ioeventfd(d.device, reg, 4, 0x22222222, b));
	kick(a);
	expect_reg(d.device, 0, EDU_REG_LIVENESS, 4, ~0x11111111u, "data a");
	kick(b);
	expect_reg(d.device, 0, EDU_REG_LIVENESS, 4, ~0x22222222u, "data b");

	/* the same key again, whatever the eventfd: EEXIST */
	ASSERT_ERRNO(EEXIST, ioeventfd(d.device, reg, 4, 0x11111111, c));
	ASSERT_ERRNO(EEXIST, ioeventfd(d.device, reg, 4, 0x11111111, a));
	/* another size at the same offset is another key */
	ASSERT_OK(ioeventfd(d.device, reg, 2, 0x11111111, c));
	ASSERT_OK(ioeventfd(d.device, reg, 2, 0x11111111, -1));

	/* fd -1 removes exactly that key; a second time there is none */
	ASSERT_OK(ioeventfd(d.device, reg, 4, 0x11111111, -1));
	ASSERT_ERRNO(ENODEV, ioeventfd(d.device, reg, 4, 0x11111111, -1));
	ASSERT_ERRNO(ENODEV, ioeventfd(d.device, reg, 2, 0x22222222, -1));
	wr(d.device, 0, EDU_REG_LIVENESS, 4, 0);
	kick(a);
	usleep(20000);
	ASSERT_EQ(0xffffffffu, rd(d.device, 0, EDU_REG_LIVENESS, 4));
	/* the other one still works, and the removed key can come back */
	kick(b);
	expect_reg(d.device, 0, EDU_REG_LIVENESS, 4, ~0x22222222u, "data b");
	ASSERT_OK(ioeventfd(d.device, reg, 4, 0x11111111, c));
	kick(c);
	expect_reg(d.device, 0, EDU_REG_LIVENESS, 4, ~0x11111111u, "again");

	/* an entry whose eventfd was closed stays until removed */
	close(c);
	ASSERT_ERRNO(EEXIST, ioeventfd(d.device, reg, 4, 0x11111111, a));
	ASSERT_OK(ioeventfd(d.device, reg, 4, 0x11111111, -1));
	ASSERT_OK(ioeventfd(d.device, reg, 4, 0x22222222, -1));

	vu_dev_close(&d);
	close(a);
	close(b);
}

TEST(pci_ioeventfd_errnos)
{
	struct vfio_device_ioeventfd req;
	struct vfio_region_info bar0;
	struct vu_dev d;
	int efd, pipefd[2], bad;

	pu_open(&edu_t, &d);
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_BAR0_REGION_INDEX, &bar0));

	/* the header */
	memset(&req, 0, sizeof(req));
	req.argsz = offsetofend(struct vfio_device_ioeventfd, fd) - 1;
	req.flags = 4;
	req.fd = efd;
	ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_IOEVENTFD, &req));
	req.argsz = sizeof(req);
	req.flags = 4 | 0x10;
	ASSERT_ERRNO(EINVAL, ioctl(d.device, VFIO_DEVICE_IOEVENTFD, &req));
	ASSERT_ERRNO(EFAULT, ioctl(d.device, VFIO_DEVICE_IOEVENTFD, NULL));

	/* the size: exactly one of 1, 2, 4, 8 */
	ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(0, 4), 0, 0, efd));
	ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(0, 4), 3, 0, efd));
	ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(0, 4), 12, 0, efd));
	/* fd: -1 is teardown, below that nothing */
	ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(0, 4), 4, 0, -2));

	/* BARs only: not config space, the ROM, VGA or beyond */
	ASSERT_ERRNO(EINVAL,
		     ioeventfd(d.device, bar_off(VFIO_PCI_ROM_REGION_INDEX, 0),
			       4, 0, efd));
	ASSERT_ERRNO(EINVAL, ioeventfd(d.device,
				       bar_off(VFIO_PCI_CONFIG_REGION_INDEX, 4),
				       4, 0, efd));
	ASSERT_ERRNO(EINVAL,
		     ioeventfd(d.device, bar_off(VFIO_PCI_VGA_REGION_INDEX, 0),
			       4, 0, efd));
	ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(20, 0), 4, 0, efd));
	/* inside the BAR: the edu has no BAR 1, BAR 0 ends at its size */
	ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(1, 0), 4, 0, efd));
	ASSERT_ERRNO(EINVAL,
		     ioeventfd(d.device, bar_off(0, bar0.size - 2), 4, 0, efd));
	ASSERT_ERRNO(EINVAL,
		     ioeventfd(d.device, bar_off(0, bar0.size), 1, 0, efd));
	/* the last bytes are fine (then removed) */
	ASSERT_OK(ioeventfd(d.device, bar_off(0, bar0.size - 4), 4, 0, efd));
	ASSERT_OK(ioeventfd(d.device, bar_off(0, bar0.size - 4), 4, 0, -1));

	/* the fd must be an eventfd: a pipe is EINVAL, a closed fd EBADF */
	ASSERT_OK(pipe(pipefd));
	ASSERT_ERRNO(EINVAL,
		     ioeventfd(d.device, bar_off(0, 4), 4, 0, pipefd[0]));
	bad = dup(efd);
	ASSERT_OK(bad);
	close(bad);
	ASSERT_ERRNO(EBADF, ioeventfd(d.device, bar_off(0, 4), 4, 0, bad));
	/* and nothing was registered by the failures */
	ASSERT_ERRNO(ENODEV, ioeventfd(d.device, bar_off(0, 4), 4, 0, -1));

	/* at most 1000 per device (mainline's VFIO_PCI_IOEVENTFD_MAX) */
	for (int i = 0; i < 1000; i++)
		if (ioeventfd(d.device, bar_off(0, 4), 4, i, efd))
			FAIL("entry %d: %s", i, strerror(errno));
	ASSERT_ERRNO(ENOSPC, ioeventfd(d.device, bar_off(0, 8), 4, 0, efd));
	/* a duplicate is still EEXIST, removal still works at the limit */
	ASSERT_ERRNO(EEXIST, ioeventfd(d.device, bar_off(0, 4), 4, 7, efd));
	ASSERT_OK(ioeventfd(d.device, bar_off(0, 4), 4, 7, -1));
	ASSERT_OK(ioeventfd(d.device, bar_off(0, 8), 4, 0, efd));
	ASSERT_ERRNO(ENOSPC, ioeventfd(d.device, bar_off(0, 12), 4, 0, efd));

	/* closing the device drops all of them */
	vu_dev_close(&d);
	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
}

TEST(pci_ioeventfd_sizes_msix)
{
	static const unsigned int sizes[] = {1, 2, 4, 8};
	static const uint64_t vals[] = {0xa5, 0xbee0, 0x12345670,
					0x0000000fedcba980ull};
	struct vu_dev d;
	unsigned int msix;
	uint32_t table;
	int efd;

	if (!pu_present(&e1000e_t))
		SKIP("no e1000e");
	pu_open(&e1000e_t, &d);
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	efd = vu_eventfd_new();
	ASSERT_OK(efd);

	for (unsigned int i = 0; i < 4; i++) {
		unsigned int sz = sizes[i];
		uint64_t want;

		/* what the same write through write(2) leaves there */
		wr(d.device, 0, E1000_RDBAL, 8, 0);
		wr(d.device, 0, E1000_RDBAL, sz, vals[i]);
		want = rd(d.device, 0, E1000_RDBAL, 8);
		if (!want)
			FAIL("size %u: the direct write left nothing", sz);
		wr(d.device, 0, E1000_RDBAL, 8, 0);

		ASSERT_OK(ioeventfd(d.device, bar_off(0, E1000_RDBAL), sz,
				    vals[i], efd));
		kick(efd);
		expect_reg(d.device, 0, E1000_RDBAL, 8, want, "e1000e");
		ASSERT_OK(ioeventfd(d.device, bar_off(0, E1000_RDBAL), sz,
				    vals[i], -1));
	}

	/* never over the MSI-X table, right up to it is fine */
	msix = pu_find_cap(d.device, PCI_CAP_ID_MSIX);
	if (!msix)
		FAIL("the e1000e has no MSI-X capability");
	table = pu_cfg_read(d.device, msix + PCI_MSIX_TABLE, 4);
	{
		int bir = table & PCI_MSIX_TABLE_BIR;
		uint64_t toff = table & PCI_MSIX_TABLE_OFFSET;
		uint16_t flags =
			pu_cfg_read(d.device, msix + PCI_MSIX_FLAGS, 2);
		uint64_t tend =
			toff + ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * 16;

		ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(bir, toff), 4,
					       0, efd));
		ASSERT_ERRNO(EINVAL, ioeventfd(d.device, bar_off(bir, tend - 4),
					       8, 0, efd));
		ASSERT_OK(ioeventfd(d.device, bar_off(bir, tend), 4, 0, efd));
		ASSERT_OK(ioeventfd(d.device, bar_off(bir, tend), 4, 0, -1));
		if (toff >= 4) {
			ASSERT_OK(ioeventfd(d.device, bar_off(bir, toff - 4), 4,
					    0, efd));
			ASSERT_OK(ioeventfd(d.device, bar_off(bir, toff - 4), 4,
					    0, -1));
		}
	}
	vu_dev_close(&d);
	close(efd);
}

/*
 * An I/O-port BAR (the e1000e's IOADDR/IODATA window) takes ioeventfds
 * too; its writes do not depend on memory decode, which only gates memory
 * BARs: with only I/O decode on, the write still lands.
 */
TEST(pci_ioeventfd_ioport)
{
	const uint32_t ioaddr = 0, reg = E1000_RDBAL;
	struct vu_dev d;
	int iobar = -1, efd;

	if (!pu_present(&e1000e_t))
		SKIP("no e1000e");
	pu_open(&e1000e_t, &d);
	for (int i = 0; i < 6; i++) {
		struct vfio_region_info ri;
		uint32_t bar;

		ASSERT_OK(vu_region_info(d.device, i, &ri));
		bar = pu_cfg_read(d.device, PCI_BASE_ADDRESS_0 + 4 * i, 4);
		if (ri.size && (bar & PCI_BASE_ADDRESS_SPACE_IO))
			iobar = i;
	}
	if (iobar < 0)
		FAIL("e1000e has no I/O BAR");
	pu_cfg_write(d.device, PCI_COMMAND, 2, PCI_COMMAND_IO);
	efd = vu_eventfd_new();
	ASSERT_OK(efd);

	wr(d.device, iobar, ioaddr, 4, 0);
	ASSERT_EQ(0, rd(d.device, iobar, ioaddr, 4));
	ASSERT_OK(ioeventfd(d.device, bar_off(iobar, ioaddr), 4, reg, efd));
	kick(efd);
	expect_reg(d.device, iobar, ioaddr, 4, reg, "I/O BAR");
	ASSERT_OK(ioeventfd(d.device, bar_off(iobar, ioaddr), 4, reg, -1));
	vu_dev_close(&d);
	close(efd);
}
