// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_vga.c - the legacy VGA resources of a VGA-class function: region
 * VFIO_PCI_VGA_REGION_INDEX of the device fd, and vfio-pci's part in the
 * kernel's VGA arbiter (vgaarb).
 *
 * A function of class 0x0300 (display controller, VGA compatible) answers,
 * besides its BARs, at fixed addresses every VGA answers at: the memory
 * window 0xa0000-0xbffff and the I/O ports 0x3b0-0x3bb and 0x3c0-0x3df.
 * Unless the module was loaded with disable_vga=1 (pci_driver.c), such a
 * device has a VGA region: 0xc0000 bytes, readable and writable, not
 * mappable, in which an offset is the legacy address itself (the memory
 * window at 0xa0000, the ports at 0x3b0 and 0x3c0).  Everything else in
 * it, and the whole region of any other device, is -EINVAL, as are mmaps
 * of it (pci_mmap.c).  Device info still counts the region either way:
 * num_regions does not depend on VGA, as on mainline.
 *
 * The legacy ranges are shared by every VGA device of the machine: which
 * one decodes them is the arbiter's business.  Each access takes the
 * range from it (vga_get_interruptible(); a signal while waiting for
 * another user of the range ends the access with -ERESTARTSYS, which the
 * user sees as EINTR unless its handler restarts the call), maps the range
 * for that access and does it in naturally aligned pieces, as BAR
 * accesses are done (pci_rdwr.c: at most 4 bytes, or 8 where the kernel's
 * vfio-pci does 8-byte accesses, nvfio_compat.h; 8 bytes of ports are two
 * 4-byte port accesses after one 8-byte copy from the user, so that a
 * write whose user buffer faults in its second half writes nothing, as
 * mainline's).  An access that runs past the end of its range is cut
 * short there.  The user's memory and I/O decode bits are not checked:
 * the legacy ranges are not BARs.
 *
 * Every VGA-class device bound to us, disable_vga or not, is a client of
 * the arbiter from probe to remove, and at probe the firmware framebuffers
 * on its BARs go (the aperture helpers), and so does the VGA text console
 * if it is the arbiter's default VGA device, as with mainline's vfio-pci:
 * the device is the user's now.
 * The client's decode callback tells the arbiter which legacy ranges the
 * device decodes.  All of them, except with disable_vga=1 when the device
 * is not on a root bus, the arbiter knows of other VGA devices, and none
 * of those is on the device's bus or below it: then the user cannot reach
 * the ranges and the bridge above can stop routing them, so the device
 * may be said to decode none.
 *
 * Locking: none of the device's own.  has_vga is constant from probe to
 * remove.  From vga_get() to vga_put(), around the whole access and so
 * across the copies from and to the user (which take no lock of ours),
 * the arbiter keeps the range with this device: another VGA device's
 * user that wants it waits.  The wait is inside the device's revocation
 * gate: a revocation waits for it too (docs/revocation.md, "Not
 * covered").  The arbiter itself, when it moves the ranges, rewrites the
 * I/O and memory bits of our device's PCI_COMMAND (and the bridges' VGA
 * enable) without memory_lock, as it does under mainline's vfio-pci.
 * Client registration runs in probe and remove, which the driver core
 * serializes.
 */
#include <linux/aperture.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/uio.h>
#include <linux/vgaarb.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

/* The ranges, at their offsets in the region (NVFIO_PCI_VGA_REGION_SIZE). */
#define NVFIO_VGA_MEM_START 0xa0000
#define NVFIO_VGA_MEM_END 0xc0000 /* exclusive */
#define NVFIO_VGA_IO_LO_START 0x3b0
#define NVFIO_VGA_IO_LO_END 0x3bc
#define NVFIO_VGA_IO_HI_START 0x3c0
#define NVFIO_VGA_IO_HI_END 0x3e0

#define NVFIO_VGA_RSRC_ALL                                                     \
	(VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM | VGA_RSRC_LEGACY_IO |       \
	 VGA_RSRC_LEGACY_MEM)

/*
 * The arbiter's decode callback, also used once at probe: which resources
 * @pdev decodes.  @single_vga: the arbiter knows of no other VGA device.
 */
static unsigned int nvfio_pci_vga_decodes(struct pci_dev *pdev, bool single_vga)
{
	struct pci_dev *other = NULL;
	unsigned char last_bus;

	if (single_vga || !nvfio_pci_disable_vga || pci_is_root_bus(pdev->bus))
		return NVFIO_VGA_RSRC_ALL;

	/*
	 * Another VGA device behind the same bridge (on this bus or one
	 * below it) needs the bridge to route the ranges: then this one
	 * keeps them too.
	 */
	last_bus = pci_bus_max_busnr(pdev->bus);
	while ((other = pci_get_class(PCI_CLASS_DISPLAY_VGA << 8, other))) {
		if (other == pdev || pci_is_root_bus(other->bus) ||
		    pci_domain_nr(other->bus) != pci_domain_nr(pdev->bus))
			continue;
		if (other->bus->number >= pdev->bus->number &&
		    other->bus->number <= last_bus) {
			pci_dev_put(other);
			return NVFIO_VGA_RSRC_ALL;
		}
	}
	return VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM;
}

/*
 * Probe: a VGA-class device becomes an arbiter client and the consoles on
 * its memory go away.  Return: 0 or a negative errno (probe fails).
 */
int nvfio_pci_vga_probe(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	if (!nvfio_pci_is_vga(pdev))
		return 0;

	ret = aperture_remove_conflicting_pci_devices(pdev,
						      NVFIO_PCI_DRIVER_NAME);
	if (ret)
		return ret;
	ret = vga_client_register(pdev, nvfio_pci_vga_decodes);
	if (ret)
		return ret;
	vga_set_legacy_decoding(pdev, nvfio_pci_vga_decodes(pdev, false));
	vdev->has_vga = !nvfio_pci_disable_vga;
	return 0;
}

/* Remove (or a failed probe): the device decodes everything again. */
void nvfio_pci_vga_remove(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (!nvfio_pci_is_vga(pdev))
		return;
	vga_client_unregister(pdev);
	vga_set_legacy_decoding(pdev, NVFIO_VGA_RSRC_ALL);
	vdev->has_vga = false;
}

/*
 * read/write of the VGA region.  Return: bytes done (*ppos advanced by
 * them) or a negative errno.
 */
ssize_t nvfio_pci_vga_rw(struct nvfio_pci_device *vdev, struct iov_iter *iter,
			 loff_t *ppos, bool iswrite)
{
	u64 pos = *ppos & NVFIO_PCI_OFFSET_MASK;
	unsigned int max_width = sizeof(u32);
	unsigned long start, end;
	size_t count;
	void __iomem *io;
	unsigned int rsrc;
	bool is_io;
	ssize_t done;
	int ret;

	if (!vdev->has_vga || pos >= NVFIO_PCI_VGA_REGION_SIZE)
		return -EINVAL;

#if defined(readq) && defined(writeq)
	if (NVFIO_PCI_BAR_RW_8BYTE)
		max_width = sizeof(u64);
#endif
	if (pos >= NVFIO_VGA_MEM_START) {
		start = NVFIO_VGA_MEM_START;
		end = NVFIO_VGA_MEM_END;
		rsrc = VGA_RSRC_LEGACY_MEM;
		is_io = false;
	} else if (pos >= NVFIO_VGA_IO_LO_START && pos < NVFIO_VGA_IO_LO_END) {
		start = NVFIO_VGA_IO_LO_START;
		end = NVFIO_VGA_IO_LO_END;
		rsrc = VGA_RSRC_LEGACY_IO;
		is_io = true;
	} else if (pos >= NVFIO_VGA_IO_HI_START && pos < NVFIO_VGA_IO_HI_END) {
		start = NVFIO_VGA_IO_HI_START;
		end = NVFIO_VGA_IO_HI_END;
		rsrc = VGA_RSRC_LEGACY_IO;
		is_io = true;
	} else {
		return -EINVAL;
	}
	count = min_t(size_t, iov_iter_count(iter), end - pos);

	io = is_io ? ioport_map(start, end - start) :
		     ioremap(start, end - start);
	if (!io)
		return -ENOMEM;

	ret = vga_get_interruptible(vdev->pdev, rsrc);
	if (ret) {
		done = ret;
		goto out_unmap;
	}
	done = nvfio_pci_do_io_rw(vdev, false, io, iter, pos - start, count, 0,
				  0, iswrite, max_width);
	vga_put(vdev->pdev, rsrc);
	if (done >= 0)
		*ppos += done;

out_unmap:
	if (is_io)
		ioport_unmap(io);
	else
		iounmap(io);
	return done;
}
