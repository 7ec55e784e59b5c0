// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VGA region (VFIO_PCI_VGA_REGION_INDEX).  vfio-pci gives a device of
 * class 0x0300 (VGA-compatible display controller) a region of 0xc0000
 * bytes, read/write, not mappable, whose offsets are the legacy VGA
 * addresses: the memory window 0xa0000-0xbffff and the I/O ports
 * 0x3b0-0x3bb and 0x3c0-0x3df; every other offset is -EINVAL.  Unless
 * the module was loaded with disable_vga=1: then there is no such region,
 * as on any other device.  The bench's device is QEMU's standard VGA
 * (pu_vga, bench/run-guest.sh), whose sequencer, graphics controller,
 * CRT controller and miscellaneous output registers are read back here,
 * and whose memory window in chain-4 mode is its VRAM, which is also its
 * BAR0 (QEMU 7.2, the bench's: window byte x is VRAM byte x).  Mainline's
 * vfio-pci: vfio_pci_vga_rw() and the VGA case of REGION_INFO; nvfio's:
 * kernel/pci/pci_vga.c.
 *
 *   pci_vga_region_info   index 8 on the VGA: offset 8 << 40, 0xc0000
 *                         bytes, read and write only; num_regions is 9
 *                         as on the edu, where index 8 is -EINVAL to
 *                         REGION_INFO, read and write
 *   pci_vga_io_ports      the ports land: VGA registers written through
 *                         the region read back (1- and 2-byte accesses,
 *                         unaligned ones split), both port ranges; 4- and
 *                         8-byte accesses are done in full
 *   pci_vga_memory_window the memory window is the device's: in chain-4
 *                         mode what is written at 0xa0000 + x is VRAM
 *                         byte x (BAR0) and the reverse, for 1-, 2-, 4-
 *                         and 8-byte accesses, up to 0xbffff; with the
 *                         sequencer's plane mask clear, writes are lost
 *   pci_vga_bounds        reads and writes outside the three ranges are
 *                         -EINVAL; those that run past a range's end are
 *                         cut short there
 *   pci_vga_no_mmap       mmap of the region is -EINVAL, as is an
 *                         ioeventfd on it
 *   pci_vga_disable_vga   with disable_vga=1 (read-only parameter) the
 *                         VGA has no VGA region (-EINVAL everywhere, as
 *                         the edu); back to the default, it has one again
 * The VGA region through QEMU (x-vga=on): pci_qemu_vga (test_pci_qemu.c).
 */
#define _GNU_SOURCE
#include "fixture.h"
#include "test_pci_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/pci_regs.h>

/* vfio-pci puts region i at i << 40 on the device fd (not in the uAPI) */
#define VGA_OFFSET ((uint64_t)VFIO_PCI_VGA_REGION_INDEX << 40)
#define VGA_REGION_SIZE 0xc0000ull
#define VGA_MEM 0xa0000ull
#define VGA_MEM_END 0xc0000ull

/* Ports (their VGA names). */
#define VGA_MIS_W 0x3c2 /* miscellaneous output, write */
#define VGA_SEQ_I 0x3c4 /* sequencer index */
#define VGA_SEQ_D 0x3c5
#define VGA_MIS_R 0x3cc /* miscellaneous output, read */
#define VGA_GFX_I 0x3ce /* graphics controller index */
#define VGA_GFX_D 0x3cf
#define VGA_CRT_IM 0x3b4 /* CRT controller index, mono (MIS bit 0 clear) */
#define VGA_CRT_DM 0x3b5

#define SEQ_PLANE_WRITE 2 /* SR2: planes written */
#define SEQ_MEMORY_MODE 4 /* SR4: bit 3 is chain 4 */
#define GFX_MISC 6 /* GR6: bits 2-3 memory map (0: 0xa0000-0xbffff) */
#define GFX_BIT_MASK 8
#define CRT_CURSOR_HI 0x0e

struct vg {
	struct vu_dev d;
	struct vfio_region_info ri; /* index 8, when there is one */
	char bdf[VU_BDF_LEN];
};

/*
 * A failing test exits with the device open; the exit handler of
 * pu_claim() then unbinds it, which on mainline waits for the fds of the
 * very process doing it.  This handler, registered after pu_claim()'s
 * and so run before it, closes them first.
 */
static struct vg *vg_live;

static void vg_exit(void)
{
	if (vg_live)
		vu_dev_close(&vg_live->d);
	vg_live = NULL;
}

/* The VGA on vfio-pci (already claimed), open; its region if @region. */
static void vg_open(struct vg *v, bool region)
{
	static bool registered;

	v->d.device = v->d.group = v->d.container = -1;
	if (!registered) {
		atexit(vg_exit);
		registered = true;
	}
	vg_live = v;
	if (vu_dev_open(&v->d, v->bdf, VU_STAGE_DEVICE))
		FAIL("opening the VGA (%s): %s", v->bdf, vu_last_error());
	if (region)
		ASSERT_OK(vu_region_info(v->d.device, VFIO_PCI_VGA_REGION_INDEX,
					 &v->ri));
}

static void vg_close(struct vg *v)
{
	vg_exit();
	memset(&v->ri, 0, sizeof(v->ri));
}

/* Find, claim and open the VGA with its region. */
static void vg_start(struct vg *v)
{
	memset(v, 0, sizeof(*v));
	pu_need_vga_support();
	pu_find(&pu_vga, v->bdf);
	pu_claim(v->bdf);
	vg_open(v, true);
}

static void vg_stop(struct vg *v)
{
	vg_close(v);
	pu_release(v->bdf);
}

static void vg_write(struct vg *v, uint64_t addr, const void *buf, size_t len)
{
	ASSERT_OK(vu_region_write(v->d.device, &v->ri, addr, buf, len));
}

static void vg_read(struct vg *v, uint64_t addr, void *buf, size_t len)
{
	ASSERT_OK(vu_region_read(v->d.device, &v->ri, addr, buf, len));
}

static void outb(struct vg *v, unsigned int port, uint8_t val)
{
	vg_write(v, port, &val, 1);
}

static uint8_t inb(struct vg *v, unsigned int port)
{
	uint8_t val;

	vg_read(v, port, &val, 1);
	return val;
}

/* Indexed register @idx behind index port @port (data at @port + 1). */
static void reg_set(struct vg *v, unsigned int port, uint8_t idx, uint8_t val)
{
	outb(v, port, idx);
	outb(v, port + 1, val);
}

static uint8_t reg_get(struct vg *v, unsigned int port, uint8_t idx)
{
	outb(v, port, idx);
	return inb(v, port + 1);
}

/* pread/pwrite of the region at @addr: bytes done, or -1 with errno. */
static ssize_t vg_pread(struct vg *v, uint64_t addr, void *buf, size_t len)
{
	return pread(v->d.device, buf, len, (off_t)(VGA_OFFSET + addr));
}

static ssize_t vg_pwrite(struct vg *v, uint64_t addr, const void *buf,
			 size_t len)
{
	return pwrite(v->d.device, buf, len, (off_t)(VGA_OFFSET + addr));
}

static void expect_no_region(int device)
{
	struct vfio_region_info ri = {.argsz = sizeof(ri),
				      .index = VFIO_PCI_VGA_REGION_INDEX};
	struct vfio_device_info info = {.argsz = sizeof(info)};
	off_t at = (off_t)VGA_OFFSET;
	uint8_t b = 0;

	ASSERT_ERRNO(EINVAL, ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_ERRNO(EINVAL, pread(device, &b, 1, at + VGA_SEQ_I));
	ASSERT_ERRNO(EINVAL, pwrite(device, &b, 1, at + VGA_SEQ_I));
	ASSERT_ERRNO(EINVAL, pread(device, &b, 1, at + VGA_MEM));
	/* the count of regions does not change */
	ASSERT_OK(vu_device_info(device, &info));
	ASSERT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
}

TEST(pci_vga_region_info)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	struct vg v;
	struct vu_dev edu;

	vg_start(&v);
	ASSERT_EQ(VFIO_PCI_VGA_REGION_INDEX, v.ri.index);
	ASSERT_EQ(VGA_OFFSET, v.ri.offset);
	ASSERT_EQ(VGA_REGION_SIZE, v.ri.size);
	ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  v.ri.flags);
	ASSERT_EQ(0, v.ri.cap_offset);
	ASSERT_OK(vu_device_info(v.d.device, &info));
	ASSERT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	vg_stop(&v);

	/* the edu is no VGA: no region, whatever the access */
	pu_open(&pu_bench[0], &edu);
	expect_no_region(edu.device);
	vu_dev_close(&edu);
}

TEST(pci_vga_io_ports)
{
	uint8_t b[8], msr;
	uint16_t w;
	uint32_t l;
	uint64_t q;
	struct vg v;

	vg_start(&v);

	/* 1 byte: sequencer index and plane mask (4 bits) */
	outb(&v, VGA_SEQ_I, SEQ_PLANE_WRITE);
	ASSERT_EQ(SEQ_PLANE_WRITE, inb(&v, VGA_SEQ_I));
	outb(&v, VGA_SEQ_D, 0x05);
	ASSERT_EQ(0x05, inb(&v, VGA_SEQ_D));
	outb(&v, VGA_SEQ_D, 0x0a);
	ASSERT_EQ(0x0a, inb(&v, VGA_SEQ_D));
	/* graphics controller: the bit mask register (8 bits) */
	reg_set(&v, VGA_GFX_I, GFX_BIT_MASK, 0x5a);
	ASSERT_EQ(0x5a, reg_get(&v, VGA_GFX_I, GFX_BIT_MASK));
	reg_set(&v, VGA_GFX_I, GFX_BIT_MASK, 0xa5);
	ASSERT_EQ(0xa5, reg_get(&v, VGA_GFX_I, GFX_BIT_MASK));
	reg_set(&v, VGA_GFX_I, GFX_BIT_MASK, 0xff);

	/* 2 bytes: index and data at once, little-endian */
	w = 0x0c00 | SEQ_PLANE_WRITE;
	vg_write(&v, VGA_SEQ_I, &w, 2);
	ASSERT_EQ(SEQ_PLANE_WRITE, inb(&v, VGA_SEQ_I));
	ASSERT_EQ(0x0c, inb(&v, VGA_SEQ_D));
	w = 0;
	vg_read(&v, VGA_SEQ_I, &w, 2);
	ASSERT_EQ(0x0c00 | SEQ_PLANE_WRITE, w);
	/* unaligned: 0x3c5 alone, then 0x3c6; and 3 bytes as 2 + 1 */
	memset(b, 0, sizeof(b));
	vg_read(&v, VGA_SEQ_D, b, 2);
	ASSERT_EQ(0x0c, b[0]);
	memset(b, 0, sizeof(b));
	vg_read(&v, VGA_SEQ_I, b, 3);
	ASSERT_EQ(SEQ_PLANE_WRITE, b[0]);
	ASSERT_EQ(0x0c, b[1]);
	outb(&v, VGA_SEQ_I, SEQ_PLANE_WRITE);
	outb(&v, VGA_SEQ_D, 0x0f);

	/* 4 and 8 bytes are done in full (what they read is the device's) */
	vg_read(&v, 0x3c8, &l, 4);
	vg_read(&v, 0x3c0, &q, 8);
	vg_read(&v, 0x3d8, &q, 8);
	vg_read(&v, 0x3b0, &q, 8);
	vg_read(&v, 0x3b8, &l, 4);

	/*
	 * The low range: the CRT controller answers at 0x3b4/0x3b5 while
	 * the miscellaneous output register selects mono (bit 0 clear).
	 */
	msr = inb(&v, VGA_MIS_R);
	outb(&v, VGA_MIS_W, msr & ~1);
	ASSERT_EQ(msr & ~1, inb(&v, VGA_MIS_R));
	outb(&v, VGA_CRT_IM, CRT_CURSOR_HI);
	ASSERT_EQ(CRT_CURSOR_HI, inb(&v, VGA_CRT_IM));
	outb(&v, VGA_CRT_DM, 0x12);
	ASSERT_EQ(0x12, reg_get(&v, VGA_CRT_IM, CRT_CURSOR_HI));
	outb(&v, VGA_CRT_DM, 0x21);
	ASSERT_EQ(0x21, reg_get(&v, VGA_CRT_IM, CRT_CURSOR_HI));
	outb(&v, VGA_CRT_DM, 0);
	outb(&v, VGA_MIS_W, msr);
	ASSERT_EQ(msr, inb(&v, VGA_MIS_R));

	vg_stop(&v);
}

/* A pattern of @len bytes from @seed. */
static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

TEST(pci_vga_memory_window)
{
	static const size_t sizes[] = {1, 2, 4, 8};
	uint8_t want[64], got[64], sr2, sr4, gr6;
	struct vfio_region_info bar0;
	struct vg v;

	vg_start(&v);
	ASSERT_OK(
		vu_region_info(v.d.device, VFIO_PCI_BAR0_REGION_INDEX, &bar0));
	if (bar0.size < 0x20000)
		FAIL("the VGA's BAR0 (its VRAM) has %llu bytes",
		     (unsigned long long)bar0.size);
	pu_command_bits(v.d.device, PCI_COMMAND_MEMORY, true);

	/* chain 4, all planes written, the window 0xa0000-0xbffff */
	sr2 = reg_get(&v, VGA_SEQ_I, SEQ_PLANE_WRITE);
	sr4 = reg_get(&v, VGA_SEQ_I, SEQ_MEMORY_MODE);
	gr6 = reg_get(&v, VGA_GFX_I, GFX_MISC);
	reg_set(&v, VGA_SEQ_I, SEQ_PLANE_WRITE, 0x0f);
	reg_set(&v, VGA_SEQ_I, SEQ_MEMORY_MODE, 0x08);
	reg_set(&v, VGA_GFX_I, GFX_MISC, gr6 & ~0x0c);
	ASSERT_EQ(0x08, reg_get(&v, VGA_SEQ_I, SEQ_MEMORY_MODE));

	/* written through the window by each size, read through BAR0 */
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t x = 0x100 + 0x40 * i;

		pattern(want, sizeof(want), (uint8_t)(0x11 * (i + 1)));
		for (size_t o = 0; o < sizeof(want); o += sizes[i])
			vg_write(&v, VGA_MEM + x + o, want + o, sizes[i]);
		memset(got, 0, sizeof(got));
		ASSERT_OK(
			vu_region_read(v.d.device, &bar0, x, got, sizeof(got)));
		ASSERT_MEMEQ(want, got, sizeof(want));
		/* and read back through the window, by each size */
		for (unsigned int j = 0; j < 4; j++) {
			memset(got, 0, sizeof(got));
			for (size_t o = 0; o < sizeof(got); o += sizes[j])
				vg_read(&v, VGA_MEM + x + o, got + o, sizes[j]);
			ASSERT_MEMEQ(want, got, sizeof(want));
		}
	}
	/* written through BAR0, read through the window in one read */
	pattern(want, sizeof(want), 0x5c);
	ASSERT_OK(
		vu_region_write(v.d.device, &bar0, 0x300, want, sizeof(want)));
	memset(got, 0, sizeof(got));
	vg_read(&v, VGA_MEM + 0x300, got, sizeof(got));
	ASSERT_MEMEQ(want, got, sizeof(want));
	/* the window's last bytes are VRAM 0x1ffc0.. */
	pattern(want, sizeof(want), 0x77);
	vg_write(&v, VGA_MEM_END - sizeof(want), want, sizeof(want));
	memset(got, 0, sizeof(got));
	ASSERT_OK(vu_region_read(v.d.device, &bar0,
				 VGA_MEM_END - VGA_MEM - sizeof(got), got,
				 sizeof(got)));
	ASSERT_MEMEQ(want, got, sizeof(want));

	/* no plane written: the device drops what the window is given */
	reg_set(&v, VGA_SEQ_I, SEQ_PLANE_WRITE, 0);
	pattern(got, sizeof(got), 0xe1);
	vg_write(&v, VGA_MEM + 0x300, got, sizeof(got));
	pattern(want, sizeof(want), 0x5c);
	memset(got, 0, sizeof(got));
	vg_read(&v, VGA_MEM + 0x300, got, sizeof(got));
	ASSERT_MEMEQ(want, got, sizeof(want));

	reg_set(&v, VGA_GFX_I, GFX_MISC, gr6);
	reg_set(&v, VGA_SEQ_I, SEQ_MEMORY_MODE, sr4);
	reg_set(&v, VGA_SEQ_I, SEQ_PLANE_WRITE, sr2);
	vg_stop(&v);
}

TEST(pci_vga_bounds)
{
	static const uint64_t outside[] = {
		0,	 0x3af,	  0x3bc,   0x3bf,      0x3e0,	   0x400,
		0x9ffff, 0xc0000, 0xfffff, 1ull << 32, 1ull << 39,
	};
	static const struct {
		uint64_t addr;
		size_t len, done;
	} cut[] = {
		{0x3ba, 4, 2},	     {0x3b0, 0x20, 0xc}, {0x3de, 4, 2},
		{0x3c0, 0x40, 0x20}, {0xbfffc, 8, 4},	 {0xbffff, 2, 1},
	};
	uint8_t buf[0x40] = {0};
	struct vg v;

	vg_start(&v);
	for (unsigned int i = 0; i < sizeof(outside) / sizeof(outside[0]);
	     i++) {
		errno = 0;
		if (vg_pread(&v, outside[i], buf, 1) != -1 || errno != EINVAL)
			FAIL("read at 0x%llx: expected EINVAL, got %s",
			     (unsigned long long)outside[i],
			     vu_errno_name(errno));
		errno = 0;
		if (vg_pwrite(&v, outside[i], buf, 1) != -1 || errno != EINVAL)
			FAIL("write at 0x%llx: expected EINVAL, got %s",
			     (unsigned long long)outside[i],
			     vu_errno_name(errno));
	}
	/* an empty access is no access: the VFS answers 0 */
	ASSERT_EQ(0, vg_pread(&v, 0, buf, 0));
	for (unsigned int i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		ssize_t n = vg_pread(&v, cut[i].addr, buf, cut[i].len);

		if (n != (ssize_t)cut[i].done)
			FAIL("read of %zu at 0x%llx: %zd bytes (%s), expected %zu",
			     cut[i].len, (unsigned long long)cut[i].addr, n,
			     n < 0 ? vu_errno_name(errno) : "", cut[i].done);
	}
	/* a write is cut the same way (at the memory window's end) */
	ASSERT_OK(vg_pread(&v, 0xbfffc, buf, 4));
	ASSERT_EQ(4, vg_pwrite(&v, 0xbfffc, buf, 8));
	vg_stop(&v);
}

TEST(pci_vga_no_mmap)
{
	struct vfio_device_ioeventfd ioe = {
		.argsz = sizeof(ioe),
		.flags = VFIO_DEVICE_IOEVENTFD_8,
		.offset = VGA_OFFSET + VGA_SEQ_I,
		.data = 1,
	};
	off_t at = (off_t)VGA_OFFSET;
	long page = sysconf(_SC_PAGESIZE);
	struct vg v;
	void *p;
	int efd;

	vg_start(&v);
	ASSERT_TRUE(!(v.ri.flags & VFIO_REGION_INFO_FLAG_MMAP));
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, v.d.device,
		 at + VGA_MEM);
	if (p != MAP_FAILED)
		FAIL("mmap of the VGA memory window succeeded");
	ASSERT_EQ(EINVAL, errno);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, v.d.device, at);
	if (p != MAP_FAILED)
		FAIL("mmap of the VGA region's start succeeded");
	ASSERT_EQ(EINVAL, errno);
	/* no ioeventfd on it either: BARs only */
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ioe.fd = efd;
	ASSERT_ERRNO(EINVAL, ioctl(v.d.device, VFIO_DEVICE_IOEVENTFD, &ioe));
	close(efd);
	vg_stop(&v);
}

#define DISABLE_VGA "/sys/module/vfio_pci/parameters/disable_vga"

TEST(pci_vga_disable_vga)
{
	struct vfio_region_info bar0;
	struct stat st;
	char buf[8];
	struct vg v;

	memset(&v, 0, sizeof(v));
	pu_need_vga_support();
	pu_find(&pu_vga, v.bdf);
	pu_claim(v.bdf);

	/* read-only, off by default */
	ASSERT_OK(stat(DISABLE_VGA, &st));
	ASSERT_EQ(0444, st.st_mode & 0777);
	ASSERT_OK(vu_read_file(DISABLE_VGA, buf, sizeof(buf)));
	ASSERT_TRUE(!strcmp(buf, "N"));

	pu_reload_vfio_pci("disable_vga=1");
	ASSERT_OK(vu_read_file(DISABLE_VGA, buf, sizeof(buf)));
	ASSERT_TRUE(!strcmp(buf, "Y"));
	/* back on vfio-pci (its driver_override), but without the region */
	vg_open(&v, false);
	expect_no_region(v.d.device);
	/* the rest of the device is there */
	ASSERT_OK(
		vu_region_info(v.d.device, VFIO_PCI_BAR0_REGION_INDEX, &bar0));
	ASSERT_TRUE(bar0.size > 0);
	vg_close(&v);

	pu_reload_vfio_pci_default();
	ASSERT_OK(vu_read_file(DISABLE_VGA, buf, sizeof(buf)));
	ASSERT_TRUE(!strcmp(buf, "N"));
	vg_open(&v, true);
	ASSERT_EQ(VGA_REGION_SIZE, v.ri.size);
	outb(&v, VGA_SEQ_I, SEQ_PLANE_WRITE);
	ASSERT_EQ(SEQ_PLANE_WRITE, inb(&v, VGA_SEQ_I));
	vg_stop(&v);
}
