// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_config.c - the config space region: what the user reads and writes
 * at VFIO_PCI_CONFIG_REGION_INDEX.
 *
 * Design.  Every byte of config space is described by three per-byte
 * tables filled at open time:
 *
 *   virt[b]   bits of byte b that are virtual: read from vconfig[b], and
 *             written (if writable) to vconfig[b] only
 *   wmask[b]  bits of byte b the user may write; writes to other bits
 *             are silently dropped (the write still "succeeds")
 *   hook[b]   a field handler run after the tables are applied, for
 *             fields whose hardware side effects are not a plain copy
 *
 * Writable bits that are not virtual go to the hardware (read-modify-
 * write of exactly the bytes that have such bits, so that RW1C bits of
 * neighbouring bytes are never written back).  Bytes whose hook owns the
 * hardware side (e.g. the command register) are skipped by that generic
 * path.  Reads merge hardware and vconfig with the virt mask.
 *
 * The tables are built by small "describe" functions per structure (the
 * standard header, MSI, MSI-X); making the layout byte-for-byte identical
 * to mainline's virtualization (hidden capabilities, virtualized PM,
 * PCIe, AER, VPD...) means adding describe functions and hooks here; the
 * access paths stay as they are.
 *
 * Locking: everything in struct nvfio_pci_config (and the whole access
 * path) is protected by vdev->cfg_lock.  The command hook additionally
 * takes memory_lock for write (cfg_lock -> memory_lock) because it may
 * change memory decode, and irqlock around the hardware read-modify-write
 * of PCI_COMMAND so that it cannot undo a concurrent INTx automask.
 * The table pointer itself (vdev->cfg) only changes in open/close.
 */
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio_pci.h"

enum nvfio_cfg_hook {
	NVFIO_CFG_HOOK_NONE,
	NVFIO_CFG_HOOK_COMMAND, /* PCI_COMMAND: decode, bus master, DisINTx */
	NVFIO_CFG_HOOK_BAR, /* BARs and ROM BAR: sizing */
};

/* BAR dwords: the six BARs then the ROM BAR */
#define NVFIO_CFG_NUM_BARS (PCI_STD_NUM_BARS + 1)
#define NVFIO_CFG_ROM_SLOT PCI_STD_NUM_BARS

/* Command bits the user may write, and those that reach the hardware. */
#define NVFIO_CMD_WRITABLE                                                     \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |            \
	 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define NVFIO_CMD_TO_HW (NVFIO_CMD_WRITABLE & ~PCI_COMMAND_INTX_DISABLE)

struct nvfio_pci_config {
	unsigned int size; /* pdev->cfg_size */
	u8 *vconfig; /* virtual contents */
	u8 *virt; /* per-byte virtual bit mask */
	u8 *wmask; /* per-byte writable bit mask */
	u8 *hook; /* per-byte enum nvfio_cfg_hook */
	/* BAR emulation: value = (written & bar_mask) | bar_flags */
	u32 bar_mask[NVFIO_CFG_NUM_BARS];
	u32 bar_flags[NVFIO_CFG_NUM_BARS];
};

/* Describe @len bytes at @pos; @virt and @wmask are little-endian values. */
static void cfg_describe(struct nvfio_pci_config *cfg, unsigned int pos,
			 unsigned int len, u32 virt, u32 wmask,
			 enum nvfio_cfg_hook hook)
{
	unsigned int i;

	if (WARN_ON(pos + len > cfg->size))
		return;
	for (i = 0; i < len; i++) {
		cfg->virt[pos + i] = virt >> (8 * i);
		cfg->wmask[pos + i] = wmask >> (8 * i);
		cfg->hook[pos + i] = hook;
	}
}

static u32 cfg_vread(struct nvfio_pci_config *cfg, unsigned int pos,
		     unsigned int len)
{
	u32 val = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		val |= (u32)cfg->vconfig[pos + i] << (8 * i);
	return val;
}

static void cfg_vwrite(struct nvfio_pci_config *cfg, unsigned int pos,
		       unsigned int len, u32 val)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		cfg->vconfig[pos + i] = val >> (8 * i);
}

static int cfg_hw_read(struct pci_dev *pdev, unsigned int pos, unsigned int len,
		       u32 *val)
{
	u16 w;
	u8 b;
	int ret;

	switch (len) {
	case 4:
		ret = pci_user_read_config_dword(pdev, pos, val);
		break;
	case 2:
		ret = pci_user_read_config_word(pdev, pos, &w);
		*val = w;
		break;
	default:
		ret = pci_user_read_config_byte(pdev, pos, &b);
		*val = b;
		break;
	}
	return ret ? pcibios_err_to_errno(ret) : 0;
}

static int cfg_hw_write(struct pci_dev *pdev, unsigned int pos,
			unsigned int len, u32 val)
{
	int ret;

	switch (len) {
	case 4:
		ret = pci_user_write_config_dword(pdev, pos, val);
		break;
	case 2:
		ret = pci_user_write_config_word(pdev, pos, val);
		break;
	default:
		ret = pci_user_write_config_byte(pdev, pos, val);
		break;
	}
	return ret ? pcibios_err_to_errno(ret) : 0;
}

/* ---- BARs ---------------------------------------------------------- */

static void cfg_bar_fixup(struct nvfio_pci_config *cfg)
{
	unsigned int i, pos;
	u32 val;

	for (i = 0; i < NVFIO_CFG_NUM_BARS; i++) {
		pos = i == NVFIO_CFG_ROM_SLOT ? PCI_ROM_ADDRESS :
						PCI_BASE_ADDRESS_0 + 4 * i;
		val = cfg_vread(cfg, pos, 4);
		val = (val & cfg->bar_mask[i]) | cfg->bar_flags[i];
		cfg_vwrite(cfg, pos, 4, val);
	}
}

/*
 * What a BAR reads as after the user writes it: the address bits the BAR
 * size leaves writable, plus the read-only type flags.  BARs the host did
 * not assign read as unimplemented.  Sizing (write all-ones, read back)
 * thus works without ever touching the hardware BAR.
 */
static void cfg_describe_bars(struct nvfio_pci_device *vdev,
			      struct nvfio_pci_config *cfg)
{
	struct pci_dev *pdev = vdev->pdev;
	size_t rom_size;
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned long flags = pci_resource_flags(pdev, i);
		u64 mask;

		cfg->bar_mask[i] = 0;
		cfg->bar_flags[i] = 0;
		if (!pci_resource_start(pdev, i))
			continue;

		mask = ~((u64)pci_resource_len(pdev, i) - 1);
		cfg->bar_mask[i] = lower_32_bits(mask);
		if (flags & IORESOURCE_IO) {
			cfg->bar_flags[i] = PCI_BASE_ADDRESS_SPACE_IO;
			continue;
		}
		cfg->bar_flags[i] = PCI_BASE_ADDRESS_SPACE_MEMORY;
		if (flags & IORESOURCE_PREFETCH)
			cfg->bar_flags[i] |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		if ((flags & IORESOURCE_MEM_64) && i + 1 < PCI_STD_NUM_BARS) {
			cfg->bar_flags[i] |= PCI_BASE_ADDRESS_MEM_TYPE_64;
			i++;
			cfg->bar_mask[i] = upper_32_bits(mask);
			cfg->bar_flags[i] = 0;
		}
	}

	cfg->bar_flags[NVFIO_CFG_ROM_SLOT] = 0;
	cfg->bar_mask[NVFIO_CFG_ROM_SLOT] = 0;
	rom_size = nvfio_pci_rom_size(pdev);
	if (rom_size)
		cfg->bar_mask[NVFIO_CFG_ROM_SLOT] =
			lower_32_bits(~((u64)rom_size - 1)) |
			PCI_ROM_ADDRESS_ENABLE;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		cfg_describe(cfg, PCI_BASE_ADDRESS_0 + 4 * i, 4, 0xffffffff,
			     0xffffffff, NVFIO_CFG_HOOK_BAR);
	cfg_describe(cfg, PCI_ROM_ADDRESS, 4, 0xffffffff, 0xffffffff,
		     NVFIO_CFG_HOOK_BAR);
	cfg_bar_fixup(cfg);
}

/* ---- the standard header ------------------------------------------ */

static void cfg_describe_header(struct nvfio_pci_config *cfg)
{
	/*
	 * Command: the writable bits are virtual (the user reads back what
	 * it wrote, whatever INTx masking does to DisINTx in hardware); the
	 * hook mirrors decode, bus master and error bits to the hardware.
	 */
	cfg_describe(cfg, PCI_COMMAND, 2, NVFIO_CMD_WRITABLE,
		     NVFIO_CMD_WRITABLE, NVFIO_CFG_HOOK_COMMAND);
	cfg_describe(cfg, PCI_CACHE_LINE_SIZE, 1, 0, 0xff, NVFIO_CFG_HOOK_NONE);
	cfg_describe(cfg, PCI_LATENCY_TIMER, 1, 0, 0xff, NVFIO_CFG_HOOK_NONE);
	/* Interrupt line: a scratch register for the user; pin: read-only. */
	cfg_describe(cfg, PCI_INTERRUPT_LINE, 1, 0xff, 0xff,
		     NVFIO_CFG_HOOK_NONE);
	cfg_describe(cfg, PCI_INTERRUPT_PIN, 1, 0xff, 0, NVFIO_CFG_HOOK_NONE);
}

/* ---- MSI and MSI-X ------------------------------------------------- */

/*
 * Interrupts are configured through VFIO_DEVICE_SET_IRQS, never through
 * config space: the enable bits, vector count and message registers are
 * virtual so that a user (or a guest) can program them without effect on
 * the host.  The per-vector mask bits go to the hardware.
 */
static void cfg_describe_msi(struct pci_dev *pdev, struct nvfio_pci_config *cfg)
{
	unsigned int pos = pdev->msi_cap;
	u16 flags, vflags = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE;
	unsigned int data;

	if (!pos)
		return;

	flags = cfg_vread(cfg, pos + PCI_MSI_FLAGS, 2);
	cfg_describe(cfg, pos + PCI_MSI_FLAGS, 2, vflags, vflags,
		     NVFIO_CFG_HOOK_NONE);
	cfg_vwrite(cfg, pos + PCI_MSI_FLAGS, 2, flags & ~vflags);

	cfg_describe(cfg, pos + PCI_MSI_ADDRESS_LO, 4, 0xffffffff, 0xffffffff,
		     NVFIO_CFG_HOOK_NONE);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		cfg_describe(cfg, pos + PCI_MSI_ADDRESS_HI, 4, 0xffffffff,
			     0xffffffff, NVFIO_CFG_HOOK_NONE);
		data = pos + PCI_MSI_DATA_64;
	} else {
		data = pos + PCI_MSI_DATA_32;
	}
	cfg_describe(cfg, data, 2, 0xffff, 0xffff, NVFIO_CFG_HOOK_NONE);

	if (flags & PCI_MSI_FLAGS_MASKBIT)
		cfg_describe(cfg,
			     (flags & PCI_MSI_FLAGS_64BIT) ?
				     pos + PCI_MSI_MASK_64 :
				     pos + PCI_MSI_MASK_32,
			     4, 0, 0xffffffff, NVFIO_CFG_HOOK_NONE);
}

static void cfg_describe_msix(struct pci_dev *pdev,
			      struct nvfio_pci_config *cfg)
{
	unsigned int pos = pdev->msix_cap;
	u16 vflags = PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL;
	u16 flags;

	if (!pos)
		return;

	flags = cfg_vread(cfg, pos + PCI_MSIX_FLAGS, 2);
	cfg_describe(cfg, pos + PCI_MSIX_FLAGS, 2, vflags, vflags,
		     NVFIO_CFG_HOOK_NONE);
	cfg_vwrite(cfg, pos + PCI_MSIX_FLAGS, 2, flags & ~vflags);
}

/* ---- hooks --------------------------------------------------------- */

/*
 * The user wrote (part of) PCI_COMMAND; vconfig holds the new virtual
 * value.  Called with cfg_lock and memory_lock (write) held.
 */
static int cfg_command_hook(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 vcmd = cfg_vread(vdev->cfg, PCI_COMMAND, 2);
	u16 hw, new;
	int ret;

	/*
	 * TODO: zap user mmaps when memory decode goes off (needs a
	 * per-device address_space from the core); until then only
	 * read/write and new faults honour it.
	 */
	spin_lock_irq(&vdev->irqlock);
	ret = pci_read_config_word(pdev, PCI_COMMAND, &hw);
	new = (hw & ~NVFIO_CMD_TO_HW) | (vcmd & NVFIO_CMD_TO_HW);
	if (!ret && new != hw)
		ret = pci_write_config_word(pdev, PCI_COMMAND, new);
	spin_unlock_irq(&vdev->irqlock);

	vdev->mem_enabled = vcmd & PCI_COMMAND_MEMORY;
	return ret ? pcibios_err_to_errno(ret) : 0;
}

/* The virtual DisINTx bit masks INTx on top of automasking. */
static void cfg_intx_disable_hook(struct nvfio_pci_device *vdev)
{
	nvfio_pci_intx_set_virq_disabled(vdev,
					 cfg_vread(vdev->cfg, PCI_COMMAND, 2) &
						 PCI_COMMAND_INTX_DISABLE);
}

/* ---- access paths -------------------------------------------------- */

static int cfg_read_chunk(struct nvfio_pci_device *vdev, unsigned int pos,
			  unsigned int len, u8 *out)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	bool all_virt = true;
	u32 hw = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < len; i++)
		if (cfg->virt[pos + i] != 0xff)
			all_virt = false;

	if (!all_virt) {
		ret = cfg_hw_read(vdev->pdev, pos, len, &hw);
		if (ret)
			return ret;
	}

	for (i = 0; i < len; i++) {
		u8 v = cfg->virt[pos + i];

		out[i] = ((hw >> (8 * i)) & ~v) | (cfg->vconfig[pos + i] & v);
	}
	return 0;
}

/* Write the non-virtual writable bits of @in to the hardware. */
static int cfg_write_hw(struct nvfio_pci_device *vdev, unsigned int pos,
			unsigned int len, const u8 *in)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	u8 hwmask[4];
	unsigned int i, nbytes = 0;
	u32 val, mask = 0, data = 0;
	int ret;

	for (i = 0; i < len; i++) {
		hwmask[i] = cfg->hook[pos + i] == NVFIO_CFG_HOOK_NONE ?
				    cfg->wmask[pos + i] & ~cfg->virt[pos + i] :
				    0;
		if (hwmask[i])
			nbytes++;
		mask |= (u32)hwmask[i] << (8 * i);
		data |= (u32)in[i] << (8 * i);
	}
	if (!nbytes)
		return 0;

	/* Whole chunk at its natural width when every byte takes part. */
	if (nbytes == len) {
		ret = cfg_hw_read(vdev->pdev, pos, len, &val);
		if (ret)
			return ret;
		val = (val & ~mask) | (data & mask);
		return cfg_hw_write(vdev->pdev, pos, len, val);
	}

	for (i = 0; i < len; i++) {
		if (!hwmask[i])
			continue;
		ret = cfg_hw_read(vdev->pdev, pos + i, 1, &val);
		if (ret)
			return ret;
		val = (val & ~hwmask[i]) | (in[i] & hwmask[i]);
		ret = cfg_hw_write(vdev->pdev, pos + i, 1, val);
		if (ret)
			return ret;
	}
	return 0;
}

static int cfg_write_chunk(struct nvfio_pci_device *vdev, unsigned int pos,
			   unsigned int len, const u8 *in)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	bool cmd = false, bar = false;
	unsigned int i;
	int ret;

	for (i = 0; i < len; i++) {
		cmd |= cfg->hook[pos + i] == NVFIO_CFG_HOOK_COMMAND;
		bar |= cfg->hook[pos + i] == NVFIO_CFG_HOOK_BAR;
	}

	if (cmd)
		down_write(&vdev->memory_lock);

	ret = cfg_write_hw(vdev, pos, len, in);
	if (ret)
		goto out;

	for (i = 0; i < len; i++) {
		u8 m = cfg->wmask[pos + i] & cfg->virt[pos + i];

		cfg->vconfig[pos + i] =
			(cfg->vconfig[pos + i] & ~m) | (in[i] & m);
	}

	if (bar)
		cfg_bar_fixup(cfg);
	if (cmd)
		ret = cfg_command_hook(vdev);
out:
	if (cmd) {
		up_write(&vdev->memory_lock);
		if (!ret)
			cfg_intx_disable_hook(vdev);
	}
	return ret;
}

ssize_t nvfio_pci_config_rw(struct nvfio_pci_device *vdev, char __user *buf,
			    size_t count, loff_t *ppos, bool iswrite)
{
	u64 pos = *ppos & NVFIO_PCI_OFFSET_MASK;
	ssize_t done = 0;
	u8 bytes[4];
	int ret = 0;

	/* Like mainline: an access reaching past config space faults. */
	if (pos >= vdev->pdev->cfg_size || count > vdev->pdev->cfg_size - pos)
		return -EFAULT;

	mutex_lock(&vdev->cfg_lock);
	while (count) {
		unsigned int len;

		if (count >= 4 && !(pos % 4))
			len = 4;
		else if (count >= 2 && !(pos % 2))
			len = 2;
		else
			len = 1;

		if (iswrite) {
			if (copy_from_user(bytes, buf, len)) {
				ret = -EFAULT;
				break;
			}
			ret = cfg_write_chunk(vdev, pos, len, bytes);
		} else {
			ret = cfg_read_chunk(vdev, pos, len, bytes);
			if (!ret && copy_to_user(buf, bytes, len))
				ret = -EFAULT;
		}
		if (ret)
			break;

		count -= len;
		done += len;
		pos += len;
		buf += len;
	}
	mutex_unlock(&vdev->cfg_lock);

	if (ret)
		return ret;
	*ppos += done;
	return done;
}

/* ---- set up and tear down ------------------------------------------ */

u8 nvfio_pci_config_intx_pin(struct nvfio_pci_device *vdev)
{
	/* Read-only and set at open: no lock needed. */
	return vdev->cfg ? vdev->cfg->vconfig[PCI_INTERRUPT_PIN] : 0;
}

int nvfio_pci_config_init(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct nvfio_pci_config *cfg;
	unsigned int size = pdev->cfg_size, pos;
	u32 val;
	int ret;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL_ACCOUNT);
	if (!cfg)
		return -ENOMEM;
	cfg->size = size;
	cfg->vconfig = kzalloc(4 * size, GFP_KERNEL_ACCOUNT);
	if (!cfg->vconfig) {
		kfree(cfg);
		return -ENOMEM;
	}
	cfg->virt = cfg->vconfig + size;
	cfg->wmask = cfg->virt + size;
	cfg->hook = cfg->wmask + size;

	/* Start from the hardware's view; virtual fields are fixed below. */
	for (pos = 0; pos < size; pos += 4) {
		ret = pci_read_config_dword(pdev, pos, &val);
		if (ret) {
			kfree(cfg->vconfig);
			kfree(cfg);
			return pcibios_err_to_errno(ret);
		}
		cfg_vwrite(cfg, pos, 4, val);
	}

	cfg_describe_header(cfg);
	/* VFs have no INTx; a pin without a routed line is no INTx either. */
	if (pdev->is_virtfn || pdev->irq == IRQ_NOTCONNECTED)
		cfg->vconfig[PCI_INTERRUPT_PIN] = 0;
	cfg_describe_bars(vdev, cfg);
	cfg_describe_msi(pdev, cfg);
	cfg_describe_msix(pdev, cfg);

	mutex_lock(&vdev->cfg_lock);
	vdev->cfg = cfg;
	mutex_unlock(&vdev->cfg_lock);

	down_write(&vdev->memory_lock);
	vdev->mem_enabled = cfg_vread(cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
	up_write(&vdev->memory_lock);
	return 0;
}

void nvfio_pci_config_free(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_config *cfg;

	mutex_lock(&vdev->cfg_lock);
	cfg = vdev->cfg;
	vdev->cfg = NULL;
	mutex_unlock(&vdev->cfg_lock);

	if (cfg) {
		kfree(cfg->vconfig);
		kfree(cfg);
	}
}
