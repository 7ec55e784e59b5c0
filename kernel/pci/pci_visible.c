// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_visible.c - vfio-pci's files in the device's sysfs directory nvfio/
 * (next to the core's: kernel/core/device_sysfs.c), read-only, root-only,
 * and its reset accounting.  docs/visibility.md has the formats.
 *
 *   irq_mode     the interrupt index enabled: none, intx, msi or msix
 *   irq_counts   one line "<vector> <count>" per vector of that index:
 *                interrupts the device raised and vfio-pci forwarded to
 *                the vector's eventfd since the index was enabled
 *   reset_count  resets vfio-pci did on the function since it was bound
 *
 * Counting: each vector's count is in its nvfio_pci_irq_ctx, incremented
 * by the interrupt handler only (one handler instance per irq at a time,
 * so a plain WRITE_ONCE increment needs no lock); the ctx array goes when
 * the index is disabled, and the counts with it.  Readers hold igate, so
 * the array cannot go under them.  reset_count is an atomic_t that lives
 * from probe to remove.
 */
#include "nvfio_pci.h"
#include "nvfio_pci_trace.h"

static ssize_t irq_mode_show(struct nvfio_device *core, char *buf)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);
	const char *mode;

	mutex_lock(&vdev->igate);
	switch (vdev->irq_type) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		mode = "intx";
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		mode = "msi";
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		mode = "msix";
		break;
	default:
		mode = "none";
		break;
	}
	mutex_unlock(&vdev->igate);
	return sysfs_emit(buf, "%s\n", mode);
}

static ssize_t irq_counts_show(struct nvfio_device *core, char *buf)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);
	unsigned int i;
	int len = 0;

	mutex_lock(&vdev->igate);
	for (i = 0; vdev->ctx && i < vdev->num_ctx; i++)
		len += sysfs_emit_at(buf, len, "%u %lu\n", i,
				     READ_ONCE(vdev->ctx[i].count));
	mutex_unlock(&vdev->igate);
	return len;
}

static ssize_t reset_count_show(struct nvfio_device *core, char *buf)
{
	struct nvfio_pci_device *vdev = to_nvfio_pci(core);

	return sysfs_emit(buf, "%d\n", atomic_read(&vdev->reset_count));
}

static NVFIO_DEVICE_ATTR_RO(irq_mode);
static NVFIO_DEVICE_ATTR_RO(irq_counts);
static NVFIO_DEVICE_ATTR_RO(reset_count);

const struct nvfio_device_attribute *const nvfio_pci_attrs[] = {
	&nvfio_dev_attr_irq_mode,
	&nvfio_dev_attr_irq_counts,
	&nvfio_dev_attr_reset_count,
	NULL,
};

/*
 * @vdev's function was reset: count it and fire nvfio:device_reset.  @how
 * is one of "open", "close", "ioctl" (VFIO_DEVICE_RESET), "flr" (the
 * user's FLR through config space), "bus" (a slot or bus reset).
 */
void nvfio_pci_note_reset(struct nvfio_pci_device *vdev, const char *how)
{
	atomic_inc(&vdev->reset_count);
	trace_device_reset(pci_name(vdev->pdev), how);
}

/*
 * Interrupt handlers: @ctx's vector fired and its eventfd is signalled.
 * Called only by the one handler of the vector, never concurrently.
 */
void nvfio_pci_note_irq(struct nvfio_pci_device *vdev,
			struct nvfio_pci_irq_ctx *ctx, unsigned int index,
			unsigned int vector)
{
	WRITE_ONCE(ctx->count, ctx->count + 1);
	trace_irq_trigger(pci_name(vdev->pdev), index, vector);
}

/* VFIO_DEVICE_SET_IRQS ran with result @ret. */
void nvfio_pci_note_set_irqs(struct nvfio_pci_device *vdev,
			     const struct vfio_irq_set *hdr, int ret)
{
	trace_set_irqs(pci_name(vdev->pdev), hdr->index, hdr->start, hdr->count,
		       hdr->flags, ret);
}
