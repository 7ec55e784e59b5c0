// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_rdwr.c - read(2)/write(2) on the device fd: dispatch by region
 * index, BAR and ROM accesses (BAR mappings: pci_mmap.c; the VGA region:
 * pci_vga.c).
 *
 * Locking: every access to a memory BAR runs under memory_lock held for
 * read and fails (-EIO) while the user has memory decode disabled.  The
 * lock is held per hardware access, never across copy_{to,from}_user():
 * a fault on a BAR mapping of this very device would otherwise take
 * memory_lock recursively.  barmap[] is set up through
 * nvfio_pci_barmap() (bar_lock).
 */
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/pci.h>
#include <linux/uio.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

/*
 * One naturally aligned access of @len bytes at @io (an iomap cookie: MMIO
 * or I/O ports); @val in CPU order.  8 bytes go through ioread64() and
 * iowrite64() as mainline's do: on x86 (the generic iomap, completed by
 * io-64-nonatomic-lo-hi.h) one readq/writeq on MMIO, and two 4-byte port
 * accesses, the low one first, on I/O ports.
 */
static void nvfio_pci_io(void __iomem *io, unsigned int len, bool iswrite,
			 u64 *val)
{
	switch (len) {
#if defined(readq) && defined(writeq)
	case 8:
		if (iswrite)
			iowrite64(*val, io);
		else
			*val = ioread64(io);
		break;
#endif
	case 4:
		if (iswrite)
			iowrite32(*val, io);
		else
			*val = ioread32(io);
		break;
	case 2:
		if (iswrite)
			iowrite16(*val, io);
		else
			*val = ioread16(io);
		break;
	default:
		if (iswrite)
			iowrite8(*val, io);
		else
			*val = ioread8(io);
		break;
	}
}

/* Largest naturally aligned access at @off fitting in @count bytes. */
static unsigned int nvfio_pci_io_width(loff_t off, size_t count,
				       unsigned int max_width)
{
	unsigned int len;

	for (len = max_width; len > 1; len >>= 1)
		if (count >= len && !(off % len))
			break;
	return len;
}

/*
 * Copy @count bytes between @iter (the user's buffer, or a kernel buffer
 * the core copies to or from the user, kernel/core/device.c) and
 * @io + @off, splitting into
 * aligned accesses of at most @max_width bytes.  [x_start, x_end) is a
 * window the user may not touch (the MSI-X table on its BAR, the space
 * after a ROM image): reads there return 0xff bytes, writes are dropped.
 * With @test_mem each access takes memory_lock for read and fails (-EIO)
 * while the user may not access memory BARs (nvfio_pci_mem_usable()).
 * Return: bytes done or a negative errno.
 */
ssize_t nvfio_pci_do_io_rw(struct nvfio_pci_device *vdev, bool test_mem,
			   void __iomem *io, struct iov_iter *iter, loff_t off,
			   size_t count, size_t x_start, size_t x_end,
			   bool iswrite, unsigned int max_width)
{
	ssize_t done = 0;

	while (count) {
		size_t usable;
		unsigned int len;
		u64 val = 0;
		u8 bytes[8];

		if (off < x_start)
			usable = min_t(size_t, count, x_start - off);
		else if (off >= x_end)
			usable = count;
		else
			usable = 0;

		if (!usable) {
			/*
			 * Inside the excluded window: fill, or drop (past the
			 * user's bytes for it, unread, as mainline's).
			 */
			len = min_t(size_t, count, x_end - off);
			if (iswrite) {
				iov_iter_advance(iter, len);
			} else {
				u8 ff = 0xff;
				size_t i;

				for (i = 0; i < len; i++)
					if (copy_to_iter(&ff, 1, iter) != 1)
						return -EFAULT;
			}
			goto next;
		}

		len = nvfio_pci_io_width(off, usable, max_width);
		if (iswrite) {
			if (copy_from_iter(bytes, len, iter) != len)
				return -EFAULT;
			switch (len) {
			case 8:
				val = le64_to_cpu(*(__le64 *)bytes);
				break;
			case 4:
				val = le32_to_cpu(*(__le32 *)bytes);
				break;
			case 2:
				val = le16_to_cpu(*(__le16 *)bytes);
				break;
			default:
				val = bytes[0];
				break;
			}
		}

		if (test_mem) {
			down_read(&vdev->memory_lock);
			if (!nvfio_pci_mem_usable(vdev)) {
				up_read(&vdev->memory_lock);
				return -EIO;
			}
		}
		nvfio_pci_io(io + off, len, iswrite, &val);
		if (test_mem)
			up_read(&vdev->memory_lock);

		if (!iswrite) {
			switch (len) {
			case 8:
				*(__le64 *)bytes = cpu_to_le64(val);
				break;
			case 4:
				*(__le32 *)bytes = cpu_to_le32(val);
				break;
			case 2:
				*(__le16 *)bytes = cpu_to_le16(val);
				break;
			default:
				bytes[0] = val;
				break;
			}
			if (copy_to_iter(bytes, len, iter) != len)
				return -EFAULT;
		}
next:
		count -= len;
		done += len;
		off += len;
	}
	return done;
}

/* BARs 0-5 and the ROM (read-only, checked by the caller). */
static ssize_t nvfio_pci_bar_rw(struct nvfio_pci_device *vdev,
				struct iov_iter *iter, loff_t *ppos,
				bool iswrite)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int bar = NVFIO_PCI_OFFSET_TO_INDEX(*ppos);
	loff_t pos = *ppos & NVFIO_PCI_OFFSET_MASK;
	unsigned int max_width = sizeof(u32);
	size_t x_start = 0, x_end = 0;
	void __iomem *io;
	bool test_mem;
	size_t end, count;
	ssize_t done;

	/*
	 * Unassigned BARs (start 0) are not accessible, even with a size;
	 * a shadowed ROM has no start but a fixed window.
	 */
	if (pci_resource_start(pdev, bar))
		end = pci_resource_len(pdev, bar);
	else if (bar == PCI_ROM_RESOURCE &&
		 (pdev->resource[bar].flags & IORESOURCE_ROM_SHADOW))
		end = NVFIO_PCI_SHADOW_ROM_SIZE;
	else
		end = 0;
	if (pos >= end)
		return -EINVAL;
	count = min_t(size_t, iov_iter_count(iter), end - pos);
	test_mem = pci_resource_flags(pdev, bar) & IORESOURCE_MEM;
#if defined(readq) && defined(writeq)
	/*
	 * Memory and I/O BARs alike; not on 6.1, as 6.1's vfio-pci
	 * (nvfio_compat.h).
	 */
	if (bar != PCI_ROM_RESOURCE && NVFIO_PCI_BAR_RW_8BYTE)
		max_width = sizeof(u64);
#endif

	if (bar == PCI_ROM_RESOURCE) {
		/*
		 * The image may be smaller than the BAR: what lies after it
		 * reads as 0xff.  Some devices fail 8-byte ROM reads, so the
		 * ROM keeps the 4-byte limit.
		 */
		io = pci_map_rom(pdev, &x_start);
		if (!io)
			return -ENOMEM;
		x_end = end;
	} else {
		io = nvfio_pci_barmap(vdev, bar);
		if (IS_ERR(io))
			return PTR_ERR(io);
		if (bar == vdev->msix_bar) {
			x_start = vdev->msix_offset;
			x_end = vdev->msix_offset + vdev->msix_size;
		}
	}

	done = nvfio_pci_do_io_rw(vdev, test_mem, io, iter, pos, count, x_start,
				  x_end, iswrite, max_width);
	if (done >= 0)
		*ppos += done;

	if (bar == PCI_ROM_RESOURCE)
		pci_unmap_rom(pdev, io);
	return done;
}

static ssize_t nvfio_pci_rw(struct nvfio_pci_device *vdev,
			    struct iov_iter *iter, loff_t *ppos, bool iswrite)
{
	u64 index = NVFIO_PCI_OFFSET_TO_INDEX(*ppos);
	ssize_t ret;

	/* An empty access succeeds wherever it is, as in mainline. */
	if (!iov_iter_count(iter))
		return 0;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	/* Awake for the access, even in the user's low power. */
	ret = nvfio_pci_pm_get(vdev);
	if (ret)
		return ret;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = nvfio_pci_config_rw(vdev, iter, ppos, iswrite);
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		ret = iswrite ? -EINVAL :
				nvfio_pci_bar_rw(vdev, iter, ppos, false);
		break;
	case VFIO_PCI_VGA_REGION_INDEX: /* -EINVAL without VGA */
		ret = nvfio_pci_vga_rw(vdev, iter, ppos, iswrite);
		break;
	default: /* VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX */
		ret = nvfio_pci_bar_rw(vdev, iter, ppos, iswrite);
		break;
	}
	nvfio_pci_pm_put(vdev);
	return ret;
}

ssize_t nvfio_pci_read(struct nvfio_device *core, struct iov_iter *to,
		       loff_t *ppos)
{
	return nvfio_pci_rw(to_nvfio_pci(core), to, ppos, false);
}

ssize_t nvfio_pci_write(struct nvfio_device *core, struct iov_iter *from,
			loff_t *ppos)
{
	return nvfio_pci_rw(to_nvfio_pci(core), from, ppos, true);
}
