// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device fd regions of the PCI bus driver beyond test_device.c's basics:
 * BAR accesses of every width at every offset (compared with the same
 * access through an mmap), the bounds of every region and their errnos,
 * mmap rules, memory decode off, the e1000e's I/O-port BAR, the option
 * ROM region of every bench device.
 *
 * pci_region_widths also records the bytes every pread returned to
 * $NVFIO_OUT/artifacts/regions/<mode>/, diffed ours against mainline by
 * bench/check.sh ("pci-regions-compare").
 */
#define _GNU_SOURCE
#include "fixture.h"
#include "test_pci_util.h"
#include "edu.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/pci_regs.h>

static const struct pu_devtype *bench(const char *name)
{
	for (unsigned int i = 0; i < pu_nbench; i++)
		if (!strcmp(pu_bench[i].name, name))
			return &pu_bench[i];
	FAIL("no bench device %s", name);
}

static off_t region_off(int index)
{
	return (off_t)index << 40;
}

/* One access of @len bytes at @p through the mapping. */
static uint64_t mm_read(volatile void *p, unsigned int len)
{
	switch (len) {
	case 1:
		return *(volatile uint8_t *)p;
	case 2:
		return *(volatile uint16_t *)p;
	case 4:
		return *(volatile uint32_t *)p;
	default:
		return *(volatile uint64_t *)p;
	}
}

/*
 * What a read() of @len bytes should return, read through the mapping: an
 * 8-byte read() is two 4-byte accesses where vfio-pci splits it (@rw8
 * false: before 6.11).
 */
static uint64_t mm_read_as_rw(volatile uint8_t *p, unsigned int len, bool rw8)
{
	if (len == 8 && !rw8)
		return mm_read(p, 4) | mm_read(p + 4, 4) << 32;
	return mm_read(p, len);
}

static void mm_write(volatile void *p, unsigned int len, uint64_t v)
{
	switch (len) {
	case 1:
		*(volatile uint8_t *)p = v;
		break;
	case 2:
		*(volatile uint16_t *)p = v;
		break;
	case 4:
		*(volatile uint32_t *)p = v;
		break;
	default:
		*(volatile uint64_t *)p = v;
		break;
	}
}

static uint64_t rd_n(int fd, int index, uint64_t off, unsigned int len)
{
	uint64_t v = 0;
	ssize_t n = pread(fd, &v, len, region_off(index) + off);

	if (n != (ssize_t)len)
		FAIL("pread of %u bytes at 0x%llx of region %d: %zd (%s)", len,
		     (unsigned long long)off, index, n, strerror(errno));
	return v;
}

static void wr_n(int fd, int index, uint64_t off, unsigned int len, uint64_t v)
{
	ssize_t n = pwrite(fd, &v, len, region_off(index) + off);

	if (n != (ssize_t)len)
		FAIL("pwrite of %u bytes at 0x%llx of region %d: %zd (%s)", len,
		     (unsigned long long)off, index, n, strerror(errno));
}

/*
 * edu BAR0: every 1/2/4/8-byte naturally aligned read at the registers
 * equals the same access through the mapping; writes of each width are
 * seen both ways; unaligned preads (split by the driver) are recorded.
 */
TEST(pci_region_widths)
{
	static const unsigned int widths[] = {1, 2, 4, 8};
	struct vfio_region_info bar;
	char rec[16384];
	size_t rlen = 0;
	uint8_t *mm;
	struct vu_dev d;
	uint64_t v;
	bool rw8;

	pu_open(bench("edu"), &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	mm = vu_region_mmap(d.device, &bar);
	ASSERT_TRUE(mm != NULL);

	/*
	 * A known 64-bit value in the DMA source register (0x80).  Before
	 * 6.11 vfio-pci splits an 8-byte read()/write() in two 4-byte
	 * accesses: the edu takes a 4-byte write at the register as its
	 * whole value, ignores the one at +4 and reads ~0 there.
	 */
	rw8 = fx_kernel_at_least(6, 11);
	wr_n(d.device, 0, EDU_REG_DMA_SRC, 8, 0x1122334455667788ull);
	ASSERT_EQ(rw8 ? 0x1122334455667788ull : 0x55667788ull,
		  mm_read(mm + EDU_REG_DMA_SRC, 8));
	mm_write(mm + EDU_REG_DMA_DST, 8, 0x0123456789abcdefull);
	ASSERT_EQ(rw8 ? 0x0123456789abcdefull : 0xffffffff89abcdefull,
		  rd_n(d.device, 0, EDU_REG_DMA_DST, 8));

	for (unsigned int base = 0; base < 0xa0; base += 0x80) {
		for (unsigned int off = base; off < base + 0x18; off++) {
			for (unsigned int w = 0; w < 4; w++) {
				unsigned int len = widths[w];
				uint64_t a = 0;
				ssize_t n;

				n = pread(d.device, &a, len,
					  region_off(0) + off);
				rlen += snprintf(rec + rlen, sizeof(rec) - rlen,
						 "0x%02x/%u: %zd %016llx\n",
						 off, len, n,
						 (unsigned long long)a);
				ASSERT_EQ(len, n);
				if (off % len)
					continue;
				v = mm_read_as_rw(mm + off, len, rw8);
				if (a != v)
					FAIL("%u bytes at 0x%x: pread 0x%llx, "
					     "mmap 0x%llx",
					     len, off, (unsigned long long)a,
					     (unsigned long long)v);
			}
		}
	}
	pu_artifact("regions", "edu-widths.txt", rec, rlen);

	/* liveness: 4-byte writes both ways, inverted on read */
	wr_n(d.device, 0, EDU_REG_LIVENESS, 4, 0x5a5a0001);
	ASSERT_EQ(~0x5a5a0001u, (uint32_t)mm_read(mm + EDU_REG_LIVENESS, 4));
	mm_write(mm + EDU_REG_LIVENESS, 4, 0x5a5a0002);
	ASSERT_EQ(~0x5a5a0002u, rd_n(d.device, 0, EDU_REG_LIVENESS, 4));
	/* 1- and 2-byte writes: whatever the device makes of them, both
	 * paths agree */
	wr_n(d.device, 0, EDU_REG_DMA_SRC, 2, 0xbeef);
	v = mm_read_as_rw(mm + EDU_REG_DMA_SRC, 8, rw8);
	mm_write(mm + EDU_REG_DMA_SRC, 2, 0xbeef);
	ASSERT_EQ(v, rd_n(d.device, 0, EDU_REG_DMA_SRC, 8));
	wr_n(d.device, 0, EDU_REG_DMA_SRC + 3, 1, 0x42);
	v = mm_read_as_rw(mm + EDU_REG_DMA_SRC, 8, rw8);
	mm_write(mm + EDU_REG_DMA_SRC + 3, 1, 0x42);
	ASSERT_EQ(v, rd_n(d.device, 0, EDU_REG_DMA_SRC, 8));
	/* a 16-byte pread is two 8-byte accesses (four 4-byte ones) */
	{
		uint64_t two[2];

		ASSERT_EQ(16, pread(d.device, two, 16,
				    region_off(0) + EDU_REG_DMA_SRC));
		ASSERT_EQ(mm_read_as_rw(mm + EDU_REG_DMA_SRC, 8, rw8), two[0]);
		ASSERT_EQ(rw8 ? 0x0123456789abcdefull : 0xffffffff89abcdefull,
			  two[1]);
	}
	wr_n(d.device, 0, EDU_REG_DMA_SRC, 8, 0);
	wr_n(d.device, 0, EDU_REG_DMA_DST, 8, 0);
	vu_region_munmap(mm, &bar);
	vu_dev_close(&d);
}

/* Region bounds: what read/write return at and beyond each end. */
TEST(pci_region_bounds)
{
	struct vfio_region_info bar, cfg;
	struct vu_dev d;
	uint64_t v = 0;

	pu_open(bench("edu"), &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_CONFIG_REGION_INDEX, &cfg));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));

	/* the last dword, a read straddling the end (short), the end */
	ASSERT_EQ(4, pread(d.device, &v, 4, bar.offset + bar.size - 4));
	ASSERT_EQ(4, pread(d.device, &v, 8, bar.offset + bar.size - 4));
	ASSERT_EQ(4, pwrite(d.device, &v, 8, bar.offset + bar.size - 4));
	ASSERT_ERRNO(EINVAL, pread(d.device, &v, 4, bar.offset + bar.size));
	ASSERT_ERRNO(EINVAL, pwrite(d.device, &v, 4, bar.offset + bar.size));
	ASSERT_ERRNO(EINVAL,
		     pread(d.device, &v, 1, bar.offset + (1ull << 40) - 1));
	/* zero-length accesses: 0 wherever they are */
	ASSERT_EQ(0, pread(d.device, &v, 0, bar.offset));
	ASSERT_EQ(0, pread(d.device, &v, 0, bar.offset + bar.size));

	/* unimplemented BARs, ROM (edu has none), VGA, beyond the regions */
	for (int i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		ASSERT_ERRNO(EINVAL, pread(d.device, &v, 4, region_off(i)));
		ASSERT_ERRNO(EINVAL, pwrite(d.device, &v, 4, region_off(i)));
		ASSERT_EQ(0, pread(d.device, &v, 0, region_off(i)));
	}
	for (int i = VFIO_PCI_VGA_REGION_INDEX; i < 12; i++) {
		ASSERT_ERRNO(EINVAL, pread(d.device, &v, 4, region_off(i)));
		ASSERT_ERRNO(EINVAL, pwrite(d.device, &v, 4, region_off(i)));
		ASSERT_EQ(0, pread(d.device, &v, 0, region_off(i)));
	}
	ASSERT_ERRNO(EINVAL, pread(d.device, &v, 4, region_off(0xffffff)));

	/* config space: the end, straddling it, zero length beyond it */
	ASSERT_EQ(4, pread(d.device, &v, 4, cfg.offset + cfg.size - 4));
	ASSERT_ERRNO(EFAULT, pread(d.device, &v, 4, cfg.offset + cfg.size));
	ASSERT_ERRNO(EFAULT, pread(d.device, &v, 8, cfg.offset + cfg.size - 4));
	ASSERT_EQ(0, pread(d.device, &v, 0, cfg.offset + cfg.size + 4));
	vu_dev_close(&d);
}

/* Touch @p in a child; return the signal that killed it (0: none). */
static int touch_sig(volatile uint32_t *p, bool write)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		FAIL("fork");
	if (!pid) {
		if (write)
			*p = 0;
		else
			(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		FAIL("waitpid");
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

/*
 * With memory decode off in the command register, BAR reads and writes
 * fail with EIO and mapped accesses raise SIGBUS; on again, both work.
 */
TEST(pci_region_decode_off)
{
	struct vfio_region_info bar;
	uint32_t v, cmd;
	uint8_t *mm;
	struct vu_dev d;

	pu_open(bench("edu"), &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	mm = vu_region_mmap(d.device, &bar);
	ASSERT_TRUE(mm != NULL);
	ASSERT_EQ(EDU_ID_VALUE, *(volatile uint32_t *)mm);

	/*
	 * Pages not faulted in yet (revoking mapped pages when decode goes
	 * off is tested with the resets).
	 */
	cmd = pu_cfg_read(d.device, PCI_COMMAND, 2);
	pu_cfg_write(d.device, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	ASSERT_ERRNO(EIO, pread(d.device, &v, 4, bar.offset));
	ASSERT_ERRNO(EIO, pwrite(d.device, &v, 4, bar.offset + 4));
	ASSERT_EQ(SIGBUS, touch_sig((volatile uint32_t *)(mm + 0x4000), false));
	ASSERT_EQ(SIGBUS, touch_sig((volatile uint32_t *)(mm + 0x5004), true));

	pu_cfg_write(d.device, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY);
	ASSERT_EQ(4, pread(d.device, &v, 4, bar.offset));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ASSERT_EQ(0, touch_sig((volatile uint32_t *)(mm + 0x4000), false));
	ASSERT_EQ(EDU_ID_VALUE, *(volatile uint32_t *)mm);
	vu_region_munmap(mm, &bar);
	vu_dev_close(&d);
}

static void *try_mmap(int fd, uint64_t off, size_t len, int flags)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
}

#define MMAP_ERRNO(err, fd, off, len, flags)                                   \
	do {                                                                   \
		void *_p;                                                      \
		errno = 0;                                                     \
		_p = try_mmap(fd, off, len, flags);                            \
		if (_p != MAP_FAILED) {                                        \
			munmap(_p, len);                                       \
			FAIL("mmap of 0x%zx at 0x%llx succeeded",              \
			     (size_t)(len), (unsigned long long)(off));        \
		}                                                              \
		if (errno != (err))                                            \
			FAIL("mmap of 0x%zx at 0x%llx: errno %s, expected %s", \
			     (size_t)(len), (unsigned long long)(off),         \
			     vu_errno_name(errno), vu_errno_name(err));        \
	} while (0)

/* What may be mapped: page-granular ranges of mmap-able BARs, shared. */
TEST(pci_region_mmap_rules)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct vfio_region_info bar;
	struct vu_dev d;
	uint8_t *p;

	pu_open(bench("edu"), &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));

	/* one page anywhere inside, the last page, the whole BAR */
	p = try_mmap(d.device, bar.offset + bar.size - pg, pg, MAP_SHARED);
	ASSERT_TRUE(p != MAP_FAILED);
	munmap(p, pg);
	p = try_mmap(d.device, bar.offset, bar.size, MAP_SHARED);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(EDU_ID_VALUE, *(volatile uint32_t *)p);
	munmap(p, bar.size);
	/* a page of the mapping at an offset sees that offset */
	p = try_mmap(d.device, bar.offset, 2 * pg, MAP_SHARED);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(EDU_ID_VALUE, *(volatile uint32_t *)p);
	munmap(p, 2 * pg);

	/* beyond the end, straddling it */
	MMAP_ERRNO(EINVAL, d.device, bar.offset + bar.size, pg, MAP_SHARED);
	MMAP_ERRNO(EINVAL, d.device, bar.offset + bar.size - pg, 2 * pg,
		   MAP_SHARED);
	MMAP_ERRNO(EINVAL, d.device, bar.offset, bar.size + pg, MAP_SHARED);
	/* private mappings */
	MMAP_ERRNO(EINVAL, d.device, bar.offset, pg, MAP_PRIVATE);
	/* not page aligned: the mm refuses before the driver sees it */
	MMAP_ERRNO(EINVAL, d.device, bar.offset + 4, pg, MAP_SHARED);
	/* absent BARs, ROM, config space, VGA, beyond the regions */
	for (int i = VFIO_PCI_BAR1_REGION_INDEX; i < 12; i++)
		MMAP_ERRNO(EINVAL, d.device, region_off(i), pg, MAP_SHARED);
	vu_dev_close(&d);

	/* e1000e: the I/O-port BAR 2 is not mmap-able, BAR 0 is */
	pu_open(bench("e1000e"), &d);
	ASSERT_OK(vu_region_info(d.device, 2, &bar));
	ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  bar.flags);
	MMAP_ERRNO(EINVAL, d.device, bar.offset, pg, MAP_SHARED);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_TRUE(bar.flags & VFIO_REGION_INFO_FLAG_MMAP);
	p = try_mmap(d.device, bar.offset, bar.size, MAP_SHARED);
	ASSERT_TRUE(p != MAP_FAILED);
	munmap(p, bar.size);
	vu_dev_close(&d);
}

#define E1000_CTRL 0x00
#define E1000_STATUS 0x08
#define E1000_IOADDR 0x00
#define E1000_IODATA 0x04

/*
 * An 8-byte write of the I/O BAR at IOADDR whose user buffer faults in
 * its second half.  Where vfio-pci does 8-byte accesses (6.11 on) it
 * copies all 8 bytes before the first of its two 4-byte port writes:
 * -EFAULT, and nothing written.  Before, the access is two 4-byte ones
 * with a copy each: IOADDR is written, then -EFAULT.  IOADDR, which holds
 * STATUS's offset and reads back, tells which.
 */
static void ioport_write_faulting_half(int device,
				       const struct vfio_region_info *io)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint32_t *b, want;
	uint8_t *page;

	page = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(page != MAP_FAILED);
	ASSERT_OK(mprotect(page + psz, psz, PROT_NONE));
	b = (uint32_t *)(page + psz - 4);
	*b = E1000_CTRL;
	ASSERT_ERRNO(EFAULT, pwrite(device, b, 8, io->offset + E1000_IOADDR));
	want = fx_kernel_at_least(6, 11) ? E1000_STATUS : E1000_CTRL;
	ASSERT_EQ(want, rd_n(device, io->index, E1000_IOADDR, 4));
	munmap(page, 2 * psz);
}

/*
 * e1000e I/O-port BAR: IOADDR/IODATA reach the registers (STATUS read
 * both ways agrees with BAR0); sizes, bounds and the 8-byte access, and
 * an 8-byte write whose buffer faults in its second half.
 */
TEST(pci_region_ioport)
{
	struct vfio_region_info io = {0}, mem;
	uint32_t status_mem, v;
	uint64_t q = 0;
	struct vu_dev d;
	int iobar = -1;

	pu_open(bench("e1000e"), &d);
	for (int i = 0; i < 6; i++) {
		struct vfio_region_info ri;
		uint32_t bar;

		ASSERT_OK(vu_region_info(d.device, i, &ri));
		bar = pu_cfg_read(d.device, PCI_BASE_ADDRESS_0 + 4 * i, 4);
		if (ri.size && (bar & PCI_BASE_ADDRESS_SPACE_IO)) {
			iobar = i;
			io = ri;
		}
	}
	if (iobar < 0)
		FAIL("e1000e has no I/O BAR");
	printf("I/O BAR %d, 0x%llx bytes\n", iobar,
	       (unsigned long long)io.size);
	ASSERT_OK(vu_region_info(d.device, 0, &mem));
	ASSERT_OK(vu_pci_command_set(d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_IO));

	status_mem = rd_n(d.device, 0, E1000_STATUS, 4);
	wr_n(d.device, iobar, E1000_IOADDR, 4, E1000_STATUS);
	ASSERT_EQ(E1000_STATUS, rd_n(d.device, iobar, E1000_IOADDR, 4));
	v = rd_n(d.device, iobar, E1000_IODATA, 4);
	printf("STATUS 0x%08x via BAR0, 0x%08x via I/O\n", status_mem, v);
	ASSERT_EQ(status_mem, v);
	/* 1- and 2-byte reads of IODATA */
	ASSERT_EQ(status_mem & 0xff, rd_n(d.device, iobar, E1000_IODATA, 1));
	ASSERT_EQ(status_mem & 0xffff, rd_n(d.device, iobar, E1000_IODATA, 2));
	/* 8 bytes: IOADDR then IODATA */
	q = rd_n(d.device, iobar, E1000_IOADDR, 8);
	ASSERT_EQ(((uint64_t)status_mem << 32) | E1000_STATUS, q);
	ioport_write_faulting_half(d.device, &io);
	/* bounds */
	ASSERT_EQ(4, pread(d.device, &q, 8, io.offset + io.size - 4));
	ASSERT_ERRNO(EINVAL, pread(d.device, &v, 4, io.offset + io.size));
	ASSERT_ERRNO(EINVAL, pwrite(d.device, &v, 4, io.offset + io.size));
	/* I/O BARs need no memory decode */
	pu_cfg_write(d.device, PCI_COMMAND, 2, PCI_COMMAND_IO);
	ASSERT_EQ(4, pread(d.device, &v, 4, io.offset + E1000_IOADDR));
	ASSERT_ERRNO(EIO, pread(d.device, &v, 4, mem.offset + E1000_STATUS));
	vu_dev_close(&d);
}

/*
 * The e1000e's MSI-X table, through read()/write() of its BAR: the table
 * is the kernel's (it programs the vectors), so reads of it are all-ones
 * and writes to it are dropped, byte-exactly, while what lies around it
 * is the device's.  Accesses across the table's end: the part inside
 * reads 0xff and the rest reads what a read of its own gets; a write
 * across it goes through in full (the part inside dropped).  (Nothing
 * after an e1000e's table is writable, so what the rest of such a write
 * stores cannot be read back.)
 */
TEST(pci_region_msix_window)
{
	uint32_t table, v, after;
	uint64_t toff, tend, q;
	unsigned int msix;
	struct vu_dev d;
	uint16_t flags;
	int bir;

	pu_open(bench("e1000e"), &d);
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	msix = pu_find_cap(d.device, PCI_CAP_ID_MSIX);
	if (!msix)
		FAIL("the e1000e has no MSI-X capability");
	table = pu_cfg_read(d.device, msix + PCI_MSIX_TABLE, 4);
	flags = pu_cfg_read(d.device, msix + PCI_MSIX_FLAGS, 2);
	bir = table & PCI_MSIX_TABLE_BIR;
	toff = table & PCI_MSIX_TABLE_OFFSET;
	tend = toff + ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * 16;
	printf("MSI-X table in BAR %d at 0x%llx-0x%llx\n", bir,
	       (unsigned long long)toff, (unsigned long long)tend);

	/* inside: all-ones, whatever the width; writes dropped */
	ASSERT_EQ(0xffffffffu, rd_n(d.device, bir, toff, 4));
	ASSERT_EQ(0xffu, rd_n(d.device, bir, tend - 1, 1));
	ASSERT_EQ(~0ull, rd_n(d.device, bir, toff + 8, 8));
	v = 0;
	ASSERT_EQ(4, pwrite(d.device, &v, 4, region_off(bir) + toff + 12));
	ASSERT_EQ(0xffffffffu, rd_n(d.device, bir, toff + 12, 4));

	/* across the end: the inside part 0xff, the rest the device's */
	after = rd_n(d.device, bir, tend, 4);
	q = rd_n(d.device, bir, tend - 4, 8);
	ASSERT_EQ(0xffffffffu, (uint32_t)q);
	ASSERT_EQ(after, (uint32_t)(q >> 32));
	q = ((uint64_t)after << 32) | 0x12345678;
	ASSERT_EQ(8, pwrite(d.device, &q, 8, region_off(bir) + tend - 4));
	ASSERT_EQ(after, rd_n(d.device, bir, tend, 4));
	vu_dev_close(&d);
}

/*
 * The option ROM region of every bench device (the NICs were given an
 * empty romfile): an absent ROM has size 0 and no flags, and reads fail;
 * a present one reads from its start (0x55 0xaa); writes and mmap fail.
 */
TEST(pci_region_rom)
{
	long pg = sysconf(_SC_PAGESIZE);

	for (unsigned int t = 0; t < pu_nbench; t++) {
		struct vfio_region_info rom;
		uint8_t sig[2];
		struct vu_dev d;

		pu_open(&pu_bench[t], &d);
		ASSERT_OK(vu_region_info(d.device, VFIO_PCI_ROM_REGION_INDEX,
					 &rom));
		printf("%s: ROM size 0x%llx flags 0x%x\n", pu_bench[t].name,
		       (unsigned long long)rom.size, rom.flags);
		ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
		if (!rom.size) {
			ASSERT_EQ(0, rom.flags);
			ASSERT_ERRNO(EINVAL,
				     pread(d.device, sig, 2, rom.offset));
		} else {
			ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ, rom.flags);
			ASSERT_EQ(2, pread(d.device, sig, 2, rom.offset));
			ASSERT_EQ(0x55, sig[0]);
			ASSERT_EQ(0xaa, sig[1]);
			ASSERT_ERRNO(EINVAL, pread(d.device, sig, 2,
						   rom.offset + rom.size));
		}
		ASSERT_ERRNO(EINVAL, pwrite(d.device, sig, 2, rom.offset));
		MMAP_ERRNO(EINVAL, d.device, rom.offset, pg, MAP_SHARED);
		vu_dev_close(&d);
		pu_release(d.bdf);
	}
}

/*
 * A BAR's mapping is memory type1 can map for DMA (peer-to-peer, what
 * QEMU does for every mmapped BAR of an assigned device): MAP_DMA of
 * the mmapped edu BAR0 succeeds and UNMAP_DMA gives back its size.
 */
TEST(pci_region_mmap_dma_map)
{
	struct vfio_region_info bar;
	uint64_t unmapped = 0;
	struct vu_dev d;
	uint8_t *mm;

	pu_open(bench("edu"), &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	mm = vu_region_mmap(d.device, &bar);
	ASSERT_TRUE(mm != NULL);
	ASSERT_OK(vu_dma_map(d.container, mm, 0x10000000, bar.size));
	ASSERT_OK(vu_dma_unmap(d.container, 0x10000000, bar.size, &unmapped));
	ASSERT_EQ(bar.size, unmapped);
	vu_region_munmap(mm, &bar);
	vu_dev_close(&d);
}
