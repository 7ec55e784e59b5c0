// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_config.c - the config space region: what the user reads and writes
 * at VFIO_PCI_CONFIG_REGION_INDEX.
 *
 * Design.  At open, the capability chains are walked once and every byte
 * of config space gets:
 *
 *   owner[b]  the id of the structure the byte belongs to: the standard
 *             header, a capability, an extended capability, or "none"
 *             (space no capability claims).  Accesses are cut into
 *             aligned chunks of 1, 2 or 4 bytes that never span two
 *             owners, and each chunk is handled by its owner's rules.
 *   start[b]  the offset where that structure starts
 *   virt[b]   bits read from (and written to) vconfig instead of the device
 *   wmask[b]  bits the user may write; other bits of a write are dropped
 *
 * Three kinds of chunk:
 *   - space no capability claims goes to the device unchanged, both ways
 *     (devices hide registers there);
 *   - vendor-specific capabilities read like the others but their writes
 *     go to the device unchanged;
 *   - everything else reads as device & ~virt | vconfig & virt, and a
 *     write stores its writable virtual bits in vconfig and read-modify-
 *     writes its writable real bits on the device at the chunk's width.
 * Then a few fields have side effects, keyed on the chunk's offset in
 * its structure: the command register (memory decode, INTx disable, BAR
 * restore after a reset behind our back), the BARs (sizing), PM control
 * (power state), PCIe device control and AF control (function level
 * reset, max read request size), MSI flags (enable and queue size clamp),
 * VPD (address/data pair driven through the PCI core).
 *
 * Capabilities we do not know the length of are taken out of the chain
 * the user sees (the previous next pointer skips them), as are extended
 * capabilities of unknown length; one at the head of the extended chain
 * stays as an anonymous 4-byte placeholder.  MSI-X and unknown ones are
 * read-only; the MSI-X enable bits the user reads are the device's.
 *
 * Locking: everything in struct nvfio_pci_config (and the whole access
 * path) is protected by vdev->cfg_lock.  Command writes, power state
 * changes and resets additionally take memory_lock for write
 * (cfg_lock -> memory_lock).  INTx disable goes through pci_intrs.c,
 * which takes irqlock.  The table pointer itself (vdev->cfg) only
 * changes in open/close.
 */
#include <linux/bitfield.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "nvfio_pci.h"

/* owner[] values besides capability ids */
#define OWN_HEADER 0x00 /* the standard header (no capability has id 0) */
#define OWN_NONE 0xff /* no capability: raw access */

/* How a chunk's writes reach the device. */
enum cfg_kind {
	KIND_MASKED, /* virt/wmask tables */
	KIND_RAW_WRITE, /* masked reads, raw writes (vendor capabilities) */
	KIND_RAW, /* raw reads and writes (unclaimed space) */
};

struct nvfio_pci_config {
	unsigned int size; /* pdev->cfg_size */
	u8 *vconfig; /* virtual contents */
	u8 *virt; /* per-byte virtual bit mask */
	u8 *wmask; /* per-byte writable bit mask */
	u8 *owner; /* per-byte structure id, OWN_* or capability id */
	u8 *kind; /* per-byte enum cfg_kind */
	u16 *start; /* per-byte start of the owning structure */
	u32 rbar[PCI_STD_NUM_BARS + 1]; /* BARs and ROM at open, for restore */
};

/* ---- table helpers ------------------------------------------------- */

/* Describe @len bytes at @pos; @virt and @wmask are little-endian values. */
/* VFs whose nonzero INTx pin is known, and not worth a warning. */
static const struct pci_device_id cfg_bogus_vf_pin[] = {
	{PCI_DEVICE(PCI_VENDOR_ID_INTEL, 0x270c)},
	{},
};

static void cfg_set(struct nvfio_pci_config *cfg, unsigned int pos,
		    unsigned int len, u32 virt, u32 wmask)
{
	unsigned int i;

	if (WARN_ON(pos + len > cfg->size))
		return;
	for (i = 0; i < len; i++) {
		cfg->virt[pos + i] = virt >> (8 * i);
		cfg->wmask[pos + i] = wmask >> (8 * i);
	}
}

/* Claim [@pos, @pos + @len) for a structure with id @id. */
static void cfg_claim(struct nvfio_pci_device *vdev,
		      struct nvfio_pci_config *cfg, unsigned int pos,
		      unsigned int len, u8 id, enum cfg_kind kind)
{
	unsigned int i;

	len = min(len, cfg->size - pos);
	for (i = 0; i < len; i++) {
		if (cfg->owner[pos + i] != OWN_NONE)
			pci_warn(vdev->pdev,
				 "config space overlap at %#x (%#x then %#x)\n",
				 pos + i, cfg->owner[pos + i], id);
		cfg->owner[pos + i] = id;
		cfg->kind[pos + i] = kind;
		cfg->start[pos + i] = pos;
		cfg->virt[pos + i] = 0;
		cfg->wmask[pos + i] = 0;
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

/* Fill vconfig[pos, pos + len) from the device, widest accesses first. */
static int cfg_fill(struct pci_dev *pdev, struct nvfio_pci_config *cfg,
		    unsigned int pos, unsigned int len)
{
	len = min(len, cfg->size - pos);
	while (len) {
		unsigned int w = (len >= 4 && !(pos % 4)) ? 4 :
				 (len >= 2 && !(pos % 2)) ? 2 :
							    1;
		u32 val;
		u16 wv;
		u8 bv;
		int ret;

		if (w == 4) {
			ret = pci_read_config_dword(pdev, pos, &val);
		} else if (w == 2) {
			ret = pci_read_config_word(pdev, pos, &wv);
			val = wv;
		} else {
			ret = pci_read_config_byte(pdev, pos, &bv);
			val = bv;
		}
		if (ret)
			return pcibios_err_to_errno(ret);
		cfg_vwrite(cfg, pos, w, val);
		pos += w;
		len -= w;
	}
	return 0;
}

/* ---- the standard header ------------------------------------------- */

static void cfg_describe_header(struct nvfio_pci_config *cfg)
{
	/* ids: virtual (VFs read all-ones from the device) */
	cfg_set(cfg, PCI_VENDOR_ID, 4, 0xffffffff, 0);
	/*
	 * Command: INTx disable is ours (INTx masking uses it); every bit
	 * is writable, the others go to the device.
	 */
	cfg_set(cfg, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE, 0xffff);
	/* Status: the capability list bit is ours; nothing writable. */
	cfg_set(cfg, PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0);
	cfg_set(cfg, PCI_CACHE_LINE_SIZE, 1, 0, 0xff);
	cfg_set(cfg, PCI_LATENCY_TIMER, 1, 0, 0xff);
	cfg_set(cfg, PCI_BIST, 1, 0, 0xff);
	/* BARs and ROM: entirely virtual, sized by cfg_bar_fixup(). */
	for (unsigned int pos = PCI_BASE_ADDRESS_0; pos <= PCI_BASE_ADDRESS_5;
	     pos += 4)
		cfg_set(cfg, pos, 4, 0xffffffff, 0xffffffff);
	cfg_set(cfg, PCI_ROM_ADDRESS, 4, 0xffffffff, 0xffffffff);
	cfg_set(cfg, PCI_CAPABILITY_LIST, 1, 0xff, 0);
	/* Interrupt line: scratch for the user; pin: ours, read-only. */
	cfg_set(cfg, PCI_INTERRUPT_LINE, 1, 0xff, 0xff);
	cfg_set(cfg, PCI_INTERRUPT_PIN, 1, 0xff, 0);
}

/*
 * The virtual BARs after the user wrote them: the address bits the BAR
 * size leaves writable plus the read-only type flags; BARs the host did
 * not assign read as unimplemented.  Sizing (write all-ones, read back)
 * thus works without touching the device's BARs.
 */
static void cfg_bar_fixup(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	struct pci_dev *pdev = vdev->pdev;
	unsigned int i, pos;
	u64 mask;
	u32 val;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned long flags = pci_resource_flags(pdev, i);

		pos = PCI_BASE_ADDRESS_0 + 4 * i;
		if (!pci_resource_start(pdev, i)) {
			cfg_vwrite(cfg, pos, 4, 0);
			continue;
		}
		mask = ~((u64)pci_resource_len(pdev, i) - 1);
		val = cfg_vread(cfg, pos, 4) & lower_32_bits(mask);
		if (flags & IORESOURCE_IO) {
			val |= PCI_BASE_ADDRESS_SPACE_IO;
		} else {
			if (flags & IORESOURCE_PREFETCH)
				val |= PCI_BASE_ADDRESS_MEM_PREFETCH;
			if (flags & IORESOURCE_MEM_64)
				val |= PCI_BASE_ADDRESS_MEM_TYPE_64;
		}
		cfg_vwrite(cfg, pos, 4, val);
		if ((val & PCI_BASE_ADDRESS_MEM_TYPE_64) &&
		    !(flags & IORESOURCE_IO) && i + 1 < PCI_STD_NUM_BARS) {
			i++;
			pos += 4;
			cfg_vwrite(cfg, pos, 4,
				   cfg_vread(cfg, pos, 4) &
					   upper_32_bits(mask));
		}
	}

	if (pci_resource_start(pdev, PCI_ROM_RESOURCE))
		mask = ~((u64)pci_resource_len(pdev, PCI_ROM_RESOURCE) - 1);
	else if (pdev->resource[PCI_ROM_RESOURCE].flags & IORESOURCE_ROM_SHADOW)
		mask = ~((u64)NVFIO_PCI_SHADOW_ROM_SIZE - 1);
	else
		mask = 0;
	if (mask)
		mask |= PCI_ROM_ADDRESS_ENABLE;
	cfg_vwrite(cfg, PCI_ROM_ADDRESS, 4,
		   cfg_vread(cfg, PCI_ROM_ADDRESS, 4) & lower_32_bits(mask));
}

/* Did something (a reset we did not do) clear the device's BARs? */
static bool cfg_bars_lost(struct nvfio_pci_device *vdev)
{
	unsigned int i;
	u32 bar;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!vdev->cfg->rbar[i])
			continue;
		if (pci_user_read_config_dword(
			    vdev->pdev, PCI_BASE_ADDRESS_0 + 4 * i, &bar) ||
		    bar != vdev->cfg->rbar[i])
			return true;
	}
	return false;
}

static void cfg_bars_restore(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int i;

	if (pdev->is_virtfn)
		return;
	pci_info(pdev, "reset recovery: restoring BARs\n");
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		pci_user_write_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * i,
					    vdev->cfg->rbar[i]);
	pci_user_write_config_dword(pdev, PCI_ROM_ADDRESS,
				    vdev->cfg->rbar[PCI_STD_NUM_BARS]);
	/* The reset cleared DisINTx: a nointx device must keep it set. */
	if (vdev->nointx)
		pci_intx(pdev, 0);
}

/* ---- capabilities -------------------------------------------------- */

/* Fixed lengths of the standard capabilities we expose; 0: hidden. */
static unsigned int cap_fixed_len(u8 id)
{
	switch (id) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_AGP:
		return PCI_AGP_SIZEOF;
	case PCI_CAP_ID_VPD:
		return PCI_CAP_VPD_SIZEOF;
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_AF:
		return PCI_CAP_AF_SIZEOF;
	default:
		return 0;
	}
}

/* Length of standard capability @id at @pos as we expose it; 0: hide. */
static int cap_len(struct nvfio_pci_device *vdev, u8 id, u8 pos, bool *ext_caps)
{
	struct pci_dev *pdev = vdev->pdev;
	u32 dword;
	u16 word;
	u8 byte;
	int len;

	switch (id) {
	case PCI_CAP_ID_MSI:
		pci_read_config_word(pdev, pos + PCI_MSI_FLAGS, &word);
		len = 10;
		if (word & PCI_MSI_FLAGS_64BIT)
			len += 4;
		if (word & PCI_MSI_FLAGS_MASKBIT)
			len += 10;
		return len;
	case PCI_CAP_ID_PCIX:
		pci_read_config_word(pdev, pos + PCI_X_CMD, &word);
		if (!PCI_X_CMD_VERSION(word))
			return PCI_CAP_PCIX_SIZEOF_V0;
		if (pdev->cfg_size > PCI_CFG_SPACE_SIZE) {
			pci_read_config_dword(pdev, PCI_CFG_SPACE_SIZE, &dword);
			*ext_caps = dword != 0;
		}
		return PCI_CAP_PCIX_SIZEOF_V2;
	case PCI_CAP_ID_VNDR:
		pci_read_config_byte(pdev, pos + PCI_CAP_FLAGS, &byte);
		return byte;
	case PCI_CAP_ID_EXP:
		if (pdev->cfg_size > PCI_CFG_SPACE_SIZE) {
			pci_read_config_dword(pdev, PCI_CFG_SPACE_SIZE, &dword);
			*ext_caps = dword != 0;
		}
		if ((pcie_caps_reg(pdev) & PCI_EXP_FLAGS_VERS) == 1)
			return pci_pcie_type(pdev) == PCI_EXP_TYPE_RC_END ?
				       0xc :
				       PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
		return pci_pcie_type(pdev) == PCI_EXP_TYPE_RC_END ?
			       0x2c :
			       PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
	case PCI_CAP_ID_HT:
		pci_read_config_byte(pdev, pos + 3, &byte);
		return (byte & HT_3BIT_CAP_MASK) ? HT_CAP_SIZEOF_SHORT :
						   HT_CAP_SIZEOF_LONG;
	case PCI_CAP_ID_SATA:
		pci_read_config_byte(pdev, pos + PCI_SATA_REGS, &byte);
		return (byte & PCI_SATA_REGS_MASK) == PCI_SATA_REGS_INLINE ?
			       PCI_SATA_SIZEOF_LONG :
			       PCI_SATA_SIZEOF_SHORT;
	default:
		return cap_fixed_len(id);
	}
}

/* Per-capability permissions; the next pointer is always virtual. */
static void cap_describe(struct nvfio_pci_config *cfg, u8 id, unsigned int pos,
			 unsigned int len)
{
	u16 flags;

	switch (id) {
	case PCI_CAP_ID_PM:
		cfg_set(cfg, pos + PCI_CAP_LIST_NEXT, 1, 0xff, 0);
		/* PME can't reach the user: PME support, status, enable are
		 * virtual and read as 0; the power state goes via a hook. */
		cfg_set(cfg, pos + PCI_PM_PMC, 2, PCI_PM_CAP_PME_MASK, 0);
		cfg_set(cfg, pos + PCI_PM_CTRL, 4,
			PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS,
			~(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS |
			  PCI_PM_CTRL_STATE_MASK));
		cfg_vwrite(cfg, pos + PCI_PM_PMC, 2,
			   cfg_vread(cfg, pos + PCI_PM_PMC, 2) &
				   ~PCI_PM_CAP_PME_MASK);
		cfg_vwrite(cfg, pos + PCI_PM_CTRL, 2,
			   cfg_vread(cfg, pos + PCI_PM_CTRL, 2) &
				   ~(PCI_PM_CTRL_PME_ENABLE |
				     PCI_PM_CTRL_PME_STATUS));
		break;
	case PCI_CAP_ID_VPD:
		cfg_set(cfg, pos + PCI_CAP_LIST_NEXT, 1, 0xff, 0);
		cfg_set(cfg, pos + PCI_VPD_ADDR, 2, 0xffff, 0xffff);
		cfg_set(cfg, pos + PCI_VPD_DATA, 4, 0xffffffff, 0xffffffff);
		break;
	case PCI_CAP_ID_PCIX:
		cfg_set(cfg, pos + PCI_CAP_LIST_NEXT, 1, 0xff, 0);
		cfg_set(cfg, pos + PCI_X_CMD, 2, 0, 0xffff);
		if (len >= PCI_X_ECC_CSR + 4)
			cfg_set(cfg, pos + PCI_X_ECC_CSR, 4, 0, 0xffffffff);
		break;
	case PCI_CAP_ID_EXP:
		cfg_set(cfg, pos + PCI_CAP_LIST_NEXT, 1, 0xff, 0);
		/* FLR and read request size via the hook; MPS is ours. */
		if (len >= PCI_EXP_DEVCTL + 2)
			cfg_set(cfg, pos + PCI_EXP_DEVCTL, 2,
				PCI_EXP_DEVCTL_BCR_FLR |
					PCI_EXP_DEVCTL_PAYLOAD |
					PCI_EXP_DEVCTL_READRQ,
				(u16)~PCI_EXP_DEVCTL_PHANTOM);
		if (len >= PCI_EXP_DEVCTL2 + 2)
			cfg_set(cfg, pos + PCI_EXP_DEVCTL2, 2, 0,
				(u16)~PCI_EXP_DEVCTL2_ARI);
		break;
	case PCI_CAP_ID_AF:
		cfg_set(cfg, pos + PCI_CAP_LIST_NEXT, 1, 0xff, 0);
		cfg_set(cfg, pos + PCI_AF_CTRL, 1, PCI_AF_CTRL_FLR,
			PCI_AF_CTRL_FLR);
		break;
	case PCI_CAP_ID_MSI:
		flags = cfg_vread(cfg, pos + PCI_MSI_FLAGS, 2);
		cfg_set(cfg, pos + PCI_CAP_LIST_NEXT, 1, 0xff, 0);
		/* Enable and sizes are ours (SET_IRQS enables); the upper
		 * byte is reserved. */
		cfg_set(cfg, pos + PCI_MSI_FLAGS, 1, 0xff, 0xff);
		cfg_set(cfg, pos + PCI_MSI_ADDRESS_LO, 4, 0xffffffff,
			0xffffffff);
		if (flags & PCI_MSI_FLAGS_64BIT) {
			cfg_set(cfg, pos + PCI_MSI_ADDRESS_HI, 4, 0xffffffff,
				0xffffffff);
			cfg_set(cfg, pos + PCI_MSI_DATA_64, 2, 0xffff, 0xffff);
			if (flags & PCI_MSI_FLAGS_MASKBIT) {
				cfg_set(cfg, pos + PCI_MSI_MASK_64, 4, 0,
					0xffffffff);
				cfg_set(cfg, pos + PCI_MSI_PENDING_64, 4, 0,
					0xffffffff);
			}
		} else {
			cfg_set(cfg, pos + PCI_MSI_DATA_32, 2, 0xffff, 0xffff);
			if (flags & PCI_MSI_FLAGS_MASKBIT) {
				cfg_set(cfg, pos + PCI_MSI_MASK_32, 4, 0,
					0xffffffff);
				cfg_set(cfg, pos + PCI_MSI_PENDING_32, 4, 0,
					0xffffffff);
			}
		}
		break;
	default:
		/* read-only; id and next read from vconfig */
		cfg_set(cfg, pos, 2, 0xffff, 0);
		break;
	}
}

static int cfg_caps_init(struct nvfio_pci_device *vdev,
			 struct nvfio_pci_config *cfg, bool *ext_caps)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int loops, caps = 0;
	u8 *prev, pos, id, next;
	u16 status;
	int len, ret;

	pci_read_config_word(pdev, PCI_STATUS, &status);
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;

	pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &pos);
	prev = &cfg->vconfig[PCI_CAPABILITY_LIST];
	loops = (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / PCI_CAP_SIZEOF;
	while (pos && loops--) {
		pci_read_config_byte(pdev, pos, &id);
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_NEXT, &next);

		/* id 0 (null capability) and unknown ones are hidden */
		len = (id && id <= PCI_CAP_ID_MAX) ?
			      cap_len(vdev, id, pos, ext_caps) :
			      0;
		if (len <= 0) {
			pci_dbg(pdev, "hiding capability %#x at %#x\n", id,
				pos);
			*prev = next;
			pos = next;
			continue;
		}

		cfg_claim(vdev, cfg, pos, len, id,
			  id == PCI_CAP_ID_VNDR ? KIND_RAW_WRITE : KIND_MASKED);
		ret = cfg_fill(pdev, cfg, pos, len);
		if (ret)
			return ret;
		cap_describe(cfg, id, pos, len);
		prev = &cfg->vconfig[pos + PCI_CAP_LIST_NEXT];
		pos = next;
		caps++;
	}

	if (!caps)
		cfg_vwrite(cfg, PCI_STATUS, 2,
			   cfg_vread(cfg, PCI_STATUS, 2) &
				   ~PCI_STATUS_CAP_LIST);
	return 0;
}

/* Length of extended capability @id at @pos as we expose it; 0: hide. */
static int ecap_len(struct nvfio_pci_device *vdev, u16 id, u16 pos)
{
	struct pci_dev *pdev = vdev->pdev;
	int len, phases, evcc;
	u32 dword;
	u8 byte;

	switch (id) {
	case PCI_EXT_CAP_ID_ERR:
		return PCI_ERR_ROOT_COMMAND;
	case PCI_EXT_CAP_ID_DSN:
		return PCI_EXT_CAP_DSN_SIZEOF;
	case PCI_EXT_CAP_ID_PWR:
		return PCI_EXT_CAP_PWR_SIZEOF;
	case PCI_EXT_CAP_ID_ARI:
		return PCI_EXT_CAP_ARI_SIZEOF;
	case PCI_EXT_CAP_ID_ATS:
		return PCI_EXT_CAP_ATS_SIZEOF;
	case PCI_EXT_CAP_ID_SRIOV:
		return PCI_EXT_CAP_SRIOV_SIZEOF;
	case PCI_EXT_CAP_ID_MCAST:
		return PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF;
	case PCI_EXT_CAP_ID_PRI:
		return PCI_EXT_CAP_PRI_SIZEOF;
	case PCI_EXT_CAP_ID_LTR:
		return PCI_EXT_CAP_LTR_SIZEOF;
	case PCI_EXT_CAP_ID_VNDR:
		pci_read_config_dword(pdev, pos + PCI_VSEC_HDR, &dword);
		return dword >> PCI_VSEC_HDR_LEN_SHIFT;
	case PCI_EXT_CAP_ID_VC:
	case PCI_EXT_CAP_ID_VC9:
	case PCI_EXT_CAP_ID_MFVC:
		pci_read_config_dword(pdev, pos + PCI_VC_PORT_CAP1, &dword);
		evcc = dword & PCI_VC_CAP1_EVCC;
		pci_read_config_dword(pdev, pos + PCI_VC_PORT_CAP2, &dword);
		phases = (dword & PCI_VC_CAP2_128_PHASE) ? 128 :
			 (dword & PCI_VC_CAP2_64_PHASE)	 ? 64 :
			 (dword & PCI_VC_CAP2_32_PHASE)	 ? 32 :
							   0;
		len = PCI_CAP_VC_BASE_SIZEOF +
		      (1 + evcc) * PCI_CAP_VC_PER_VC_SIZEOF;
		if (phases)
			len = round_up(len, 16) + phases * 4 / 8;
		return len;
	case PCI_EXT_CAP_ID_ACS:
		pci_read_config_byte(pdev, pos + PCI_ACS_CAP, &byte);
		if (!(byte & PCI_ACS_EC))
			return 8;
		pci_read_config_byte(pdev, pos + PCI_ACS_EGRESS_BITS, &byte);
		return 8 + (byte ? round_up(byte, 32) : 256) / 8;
	case PCI_EXT_CAP_ID_REBAR:
		pci_read_config_byte(pdev, pos + PCI_REBAR_CTRL, &byte);
		return 4 + ((byte & PCI_REBAR_CTRL_NBAR_MASK) >>
			    PCI_REBAR_CTRL_NBAR_SHIFT) *
				   8;
	case PCI_EXT_CAP_ID_DPA:
		pci_read_config_byte(pdev, pos + PCI_DPA_CAP, &byte);
		return PCI_DPA_BASE_SIZEOF +
		       (byte & PCI_DPA_CAP_SUBSTATE_MASK) + 1;
	case PCI_EXT_CAP_ID_TPH:
		pci_read_config_dword(pdev, pos + PCI_TPH_CAP, &dword);
		if ((dword & PCI_TPH_CAP_LOC_MASK) == PCI_TPH_LOC_CAP)
			return PCI_TPH_BASE_SIZEOF +
			       ((dword & PCI_TPH_CAP_ST_MASK) >>
				PCI_TPH_CAP_ST_SHIFT) *
				       2 +
			       2;
		return PCI_TPH_BASE_SIZEOF;
	case PCI_EXT_CAP_ID_DVSEC:
		pci_read_config_dword(pdev, pos + PCI_DVSEC_HEADER1, &dword);
		return PCI_DVSEC_HEADER1_LEN(dword);
	default:
		return 0;
	}
}

static void ecap_describe(struct nvfio_pci_config *cfg, u16 id,
			  unsigned int pos)
{
	u32 mask;

	/* the header (with the next pointer) is always virtual */
	cfg_set(cfg, pos, 4, 0xffffffff, 0);
	switch (id) {
	case PCI_EXT_CAP_ID_ERR:
		mask = PCI_ERR_UNC_UND | PCI_ERR_UNC_DLP | PCI_ERR_UNC_SURPDN |
		       PCI_ERR_UNC_POISON_TLP | PCI_ERR_UNC_FCP |
		       PCI_ERR_UNC_COMP_TIME | PCI_ERR_UNC_COMP_ABORT |
		       PCI_ERR_UNC_UNX_COMP | PCI_ERR_UNC_RX_OVER |
		       PCI_ERR_UNC_MALF_TLP | PCI_ERR_UNC_ECRC |
		       PCI_ERR_UNC_UNSUP | PCI_ERR_UNC_ACSV | PCI_ERR_UNC_INTN |
		       PCI_ERR_UNC_MCBTLP | PCI_ERR_UNC_ATOMEG |
		       PCI_ERR_UNC_TLPPRE;
		cfg_set(cfg, pos + PCI_ERR_UNCOR_STATUS, 4, 0, mask);
		cfg_set(cfg, pos + PCI_ERR_UNCOR_MASK, 4, 0, mask);
		cfg_set(cfg, pos + PCI_ERR_UNCOR_SEVER, 4, 0, mask);
		mask = PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP |
		       PCI_ERR_COR_BAD_DLLP | PCI_ERR_COR_REP_ROLL |
		       PCI_ERR_COR_REP_TIMER | PCI_ERR_COR_ADV_NFAT |
		       PCI_ERR_COR_INTERNAL | PCI_ERR_COR_LOG_OVER;
		cfg_set(cfg, pos + PCI_ERR_COR_STATUS, 4, 0, mask);
		cfg_set(cfg, pos + PCI_ERR_COR_MASK, 4, 0, mask);
		cfg_set(cfg, pos + PCI_ERR_CAP, 4, 0,
			PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE);
		break;
	case PCI_EXT_CAP_ID_PWR:
		/* the data select register; the data stays read-only */
		cfg_set(cfg, pos + PCI_PWR_DATA, 1, 0, 0xff);
		break;
	}
}

static int cfg_ecaps_init(struct nvfio_pci_device *vdev,
			  struct nvfio_pci_config *cfg)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int loops, ecaps = 0;
	unsigned int prev = 0; /* header of the last exposed ecap, 0: none */
	u16 pos = PCI_CFG_SPACE_SIZE;
	int len, ret;

	loops = (pdev->cfg_size - PCI_CFG_SPACE_SIZE) / PCI_CAP_SIZEOF;
	while (loops-- && pos >= PCI_CFG_SPACE_SIZE) {
		bool placeholder = false;
		u32 header, v;
		u16 id;

		ret = pci_read_config_dword(pdev, pos, &header);
		if (ret)
			return pcibios_err_to_errno(ret);
		id = PCI_EXT_CAP_ID(header);
		len = id <= PCI_EXT_CAP_ID_MAX ? ecap_len(vdev, id, pos) : 0;
		if (len < 0)
			return len;

		if (!len) {
			pci_dbg(pdev, "hiding ext capability %#x at %#x\n", id,
				pos);
			if (prev) {
				/* the previous one now points past it */
				pos = PCI_EXT_CAP_NEXT(header);
				v = cfg_vread(cfg, prev, 4);
				v = (v & ~(0xffcU << 20)) | ((u32)pos << 20);
				cfg_vwrite(cfg, prev, 4, v);
				continue;
			}
			/* at the head: keep 4 bytes with only the next */
			len = PCI_CAP_SIZEOF;
			placeholder = true;
		}

		cfg_claim(vdev, cfg, pos, len, (u8)id,
			  (id == PCI_EXT_CAP_ID_VNDR ||
			   id == PCI_EXT_CAP_ID_DVSEC) ?
				  KIND_RAW_WRITE :
				  KIND_MASKED);
		ret = cfg_fill(pdev, cfg, pos, len);
		if (ret)
			return ret;
		ecap_describe(cfg, placeholder ? 0 : id, pos);
		if (placeholder)
			cfg_vwrite(cfg, pos, 4,
				   cfg_vread(cfg, pos, 4) & (0xffcU << 20));
		else
			ecaps++;

		prev = pos;
		pos = PCI_EXT_CAP_NEXT(header);
	}

	if (!ecaps)
		cfg_vwrite(cfg, PCI_CFG_SPACE_SIZE, 4, 0);
	return 0;
}

/* ---- field side effects -------------------------------------------- */

/* Called with cfg_lock held; takes memory_lock for write. */
static void cfg_set_power_state(struct nvfio_pci_device *vdev,
				pci_power_t state)
{
	if (state == PCI_D3hot) /* BARs unusable: revoke user mmaps */
		nvfio_pci_zap_and_down_write_memory_lock(vdev);
	else
		down_write(&vdev->memory_lock);
	nvfio_pci_set_power_state(vdev, state);
	up_write(&vdev->memory_lock);
}

/* A function reset asked for through config space (FLR bits). */
static void cfg_user_flr(struct nvfio_pci_device *vdev)
{
	nvfio_pci_zap_and_down_write_memory_lock(vdev);
	if (!pci_try_reset_function(vdev->pdev))
		nvfio_pci_note_reset(vdev, "flr");
	up_write(&vdev->memory_lock);
}

static void cfg_exp_hook(struct nvfio_pci_device *vdev, unsigned int start,
			 u16 old_ctrl)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	unsigned int pos = start + PCI_EXP_DEVCTL;
	u16 ctrl = cfg_vread(cfg, pos, 2);
	u32 cap;
	int rq;

	if (ctrl & PCI_EXP_DEVCTL_BCR_FLR) {
		/* reads as 0 whatever happens */
		ctrl &= ~PCI_EXP_DEVCTL_BCR_FLR;
		cfg_vwrite(cfg, pos, 2, ctrl);
		if (!pci_user_read_config_dword(vdev->pdev,
						start + PCI_EXP_DEVCAP, &cap) &&
		    (cap & PCI_EXP_DEVCAP_FLR))
			cfg_user_flr(vdev);
	}

	/*
	 * The user's max read request size reaches the device, but never
	 * below its max payload size (the user cannot see the fabric).
	 */
	if ((old_ctrl ^ ctrl) & PCI_EXP_DEVCTL_READRQ) {
		rq = 128 << ((ctrl & PCI_EXP_DEVCTL_READRQ) >> 12);
		pcie_set_readrq(vdev->pdev, max(rq, pcie_get_mps(vdev->pdev)));
	}
}

static void cfg_af_hook(struct nvfio_pci_device *vdev, unsigned int start)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	u8 *ctrl = &cfg->vconfig[start + PCI_AF_CTRL];
	u8 cap;

	if (!(*ctrl & PCI_AF_CTRL_FLR))
		return;
	*ctrl &= ~PCI_AF_CTRL_FLR;
	if (!pci_user_read_config_byte(vdev->pdev, start + PCI_AF_CAP, &cap) &&
	    (cap & PCI_AF_CAP_FLR) && (cap & PCI_AF_CAP_TP))
		cfg_user_flr(vdev);
}

/* The MSI flags the device and the user see after a user write. */
static int cfg_msi_hook(struct nvfio_pci_device *vdev, unsigned int start)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	unsigned int pos = start + PCI_MSI_FLAGS;
	u16 flags = cfg_vread(cfg, pos, 2);
	int ret;

	/* only VFIO_DEVICE_SET_IRQS enables MSI */
	if (READ_ONCE(vdev->irq_type) != VFIO_PCI_MSI_IRQ_INDEX)
		flags &= ~PCI_MSI_FLAGS_ENABLE;
	/* no more vectors than were enabled */
	if (FIELD_GET(PCI_MSI_FLAGS_QSIZE, flags) > vdev->msi_qmax) {
		flags &= ~PCI_MSI_FLAGS_QSIZE;
		flags |= FIELD_PREP(PCI_MSI_FLAGS_QSIZE, vdev->msi_qmax);
	}
	cfg_vwrite(cfg, pos, 2, flags);
	ret = pci_user_write_config_word(vdev->pdev, pos, flags);
	return ret ? pcibios_err_to_errno(ret) : 0;
}

/* VPD: a write of the address's flag byte starts a transfer. */
static void cfg_vpd_hook(struct nvfio_pci_device *vdev, unsigned int start)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	u16 addr = cfg_vread(cfg, start + PCI_VPD_ADDR, 2);
	u32 data;

	if (addr & PCI_VPD_ADDR_F) {
		data = cfg_vread(cfg, start + PCI_VPD_DATA, 4);
		if (pci_write_vpd(vdev->pdev, addr & ~PCI_VPD_ADDR_F, 4,
				  &data) != 4)
			return;
	} else {
		data = 0;
		if (pci_read_vpd(vdev->pdev, addr, 4, &data) < 0)
			return;
		cfg_vwrite(cfg, start + PCI_VPD_DATA, 4, data);
	}
	/* completion: the flag flips */
	cfg_vwrite(cfg, start + PCI_VPD_ADDR, 2, addr ^ PCI_VPD_ADDR_F);
}

/* ---- access paths -------------------------------------------------- */

static int cfg_read_chunk(struct nvfio_pci_device *vdev, unsigned int pos,
			  unsigned int len, u32 *out)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	u32 virt = 0, val, hw;
	unsigned int i;
	int ret;

	if (cfg->kind[pos] == KIND_RAW)
		return cfg_hw_read(vdev->pdev, pos, len, out);

	for (i = 0; i < len; i++)
		virt |= (u32)cfg->virt[pos + i] << (8 * i);
	val = cfg_vread(cfg, pos, len);
	if (virt != (len == 4 ? 0xffffffff : (1U << (8 * len)) - 1)) {
		ret = cfg_hw_read(vdev->pdev, pos, len, &hw);
		if (ret)
			return ret;
		val = (hw & ~virt) | (val & virt);
	}
	*out = val;
	return 0;
}

/* Apply a write to vconfig and the device through the masks. */
static int cfg_write_masked(struct nvfio_pci_device *vdev, unsigned int pos,
			    unsigned int len, u32 val)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	u32 virt = 0, wmask = 0, hw;
	unsigned int i;
	int ret;

	for (i = 0; i < len; i++) {
		virt |= (u32)cfg->virt[pos + i] << (8 * i);
		wmask |= (u32)cfg->wmask[pos + i] << (8 * i);
	}
	if (!wmask)
		return 0;
	if (wmask & virt)
		cfg_vwrite(cfg, pos, len,
			   (cfg_vread(cfg, pos, len) & ~(wmask & virt)) |
				   (val & wmask & virt));
	if (wmask & ~virt) {
		ret = cfg_hw_read(vdev->pdev, pos, len, &hw);
		if (ret)
			return ret;
		hw = (hw & ~(wmask & ~virt)) | (val & wmask & ~virt);
		return cfg_hw_write(vdev->pdev, pos, len, hw);
	}
	return 0;
}

/* The standard header: command side effects and BAR sizing. */
static int cfg_write_header(struct nvfio_pci_device *vdev, unsigned int pos,
			    unsigned int len, u32 val)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	u16 new_cmd = val, cmd_mask = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
	bool is_cmd = pos == PCI_COMMAND;
	int ret;

	if (is_cmd) {
		u16 hw_cmd, v_cmd = cfg_vread(cfg, PCI_COMMAND, 2);

		ret = pci_user_read_config_word(vdev->pdev, PCI_COMMAND,
						&hw_cmd);
		if (ret)
			return pcibios_err_to_errno(ret);
		/* Decode going off: revoke user BAR mmaps first. */
		if (!(new_cmd & PCI_COMMAND_MEMORY))
			nvfio_pci_zap_and_down_write_memory_lock(vdev);
		else
			down_write(&vdev->memory_lock);
		/*
		 * Decode on in our books but off in the device, or BARs not
		 * what the host assigned: the device went through a reset
		 * we did not do.  Put the BARs back before decode goes on.
		 */
		if (((new_cmd & v_cmd & PCI_COMMAND_MEMORY) &&
		     !(hw_cmd & PCI_COMMAND_MEMORY) &&
		     !vdev->pdev->no_command_memory) ||
		    ((new_cmd & v_cmd & PCI_COMMAND_IO) &&
		     !(hw_cmd & PCI_COMMAND_IO)) ||
		    cfg_bars_lost(vdev))
			cfg_bars_restore(vdev);
	}

	ret = cfg_write_masked(vdev, pos, len, val);

	if (is_cmd) {
		if (!ret) {
			cfg_vwrite(
				cfg, PCI_COMMAND, 2,
				(cfg_vread(cfg, PCI_COMMAND, 2) & ~cmd_mask) |
					(new_cmd & cmd_mask));
			vdev->mem_enabled = vdev->pdev->no_command_memory ||
					    (new_cmd & PCI_COMMAND_MEMORY);
		}
		up_write(&vdev->memory_lock);
	}
	if (ret)
		return ret;

	if (pos >= PCI_COMMAND && pos <= PCI_COMMAND + 1)
		nvfio_pci_intx_set_virq_disabled(
			vdev, cfg_vread(cfg, PCI_COMMAND, 2) &
				      PCI_COMMAND_INTX_DISABLE);
	if ((pos >= PCI_BASE_ADDRESS_0 && pos < PCI_BASE_ADDRESS_5 + 4) ||
	    (pos >= PCI_ROM_ADDRESS && pos < PCI_ROM_ADDRESS + 4))
		cfg_bar_fixup(vdev);
	return 0;
}

static int cfg_write_chunk(struct nvfio_pci_device *vdev, unsigned int pos,
			   unsigned int len, u32 val)
{
	struct nvfio_pci_config *cfg = vdev->cfg;
	unsigned int start = cfg->start[pos], off = pos - start;
	u8 id = cfg->owner[pos];
	u16 old;
	int ret;

	switch (cfg->kind[pos]) {
	case KIND_RAW:
	case KIND_RAW_WRITE:
		return cfg_hw_write(vdev->pdev, pos, len, val);
	default:
		break;
	}

	if (start >= PCI_CFG_SPACE_SIZE) /* extended: no side effects */
		return cfg_write_masked(vdev, pos, len, val);

	switch (id) {
	case OWN_HEADER:
		return cfg_write_header(vdev, pos, len, val);
	case PCI_CAP_ID_PM:
		ret = cfg_write_masked(vdev, pos, len, val);
		if (ret || off != PCI_PM_CTRL)
			return ret;
		/* D0..D3hot as written; the state bits themselves are ours */
		switch (val & PCI_PM_CTRL_STATE_MASK) {
		case 0:
			cfg_set_power_state(vdev, PCI_D0);
			break;
		case 1:
			cfg_set_power_state(vdev, PCI_D1);
			break;
		case 2:
			cfg_set_power_state(vdev, PCI_D2);
			break;
		default:
			cfg_set_power_state(vdev, PCI_D3hot);
			break;
		}
		return 0;
	case PCI_CAP_ID_EXP:
		old = cfg_vread(cfg, start + PCI_EXP_DEVCTL, 2);
		ret = cfg_write_masked(vdev, pos, len, val);
		if (!ret)
			cfg_exp_hook(vdev, start, old);
		return ret;
	case PCI_CAP_ID_AF:
		ret = cfg_write_masked(vdev, pos, len, val);
		if (!ret)
			cfg_af_hook(vdev, start);
		return ret;
	case PCI_CAP_ID_MSI:
		ret = cfg_write_masked(vdev, pos, len, val);
		if (!ret && off <= PCI_MSI_FLAGS && off + len >= PCI_MSI_FLAGS)
			ret = cfg_msi_hook(vdev, start);
		return ret;
	case PCI_CAP_ID_VPD:
		ret = cfg_write_masked(vdev, pos, len, val);
		if (!ret && off <= PCI_VPD_ADDR + 1 &&
		    off + len > PCI_VPD_ADDR + 1)
			cfg_vpd_hook(vdev, start);
		return ret;
	default:
		return cfg_write_masked(vdev, pos, len, val);
	}
}

/* Bytes from @pos to the end of its dword that share @pos's owner. */
static unsigned int cfg_same_owner(struct nvfio_pci_config *cfg,
				   unsigned int pos)
{
	unsigned int i;

	for (i = 1; (pos + i) % 4 && cfg->owner[pos + i] == cfg->owner[pos];
	     i++)
		;
	return i;
}

ssize_t nvfio_pci_config_rw(struct nvfio_pci_device *vdev,
			    struct iov_iter *iter, loff_t *ppos, bool iswrite)
{
	u64 pos = *ppos & NVFIO_PCI_OFFSET_MASK;
	size_t count = iov_iter_count(iter);
	ssize_t done = 0;
	int ret = 0;

	/* An access reaching past config space faults, as in mainline. */
	if (pos >= vdev->pdev->cfg_size || count > vdev->pdev->cfg_size - pos)
		return -EFAULT;

	mutex_lock(&vdev->cfg_lock);
	while (count) {
		size_t n = min_t(size_t, count, cfg_same_owner(vdev->cfg, pos));
		unsigned int len;
		__le32 le = 0;

		if (n >= 4 && !(pos % 4))
			len = 4;
		else if (n >= 2 && !(pos % 2))
			len = 2;
		else
			len = 1;

		if (iswrite) {
			if (copy_from_iter(&le, len, iter) != len) {
				ret = -EFAULT;
				break;
			}
			ret = cfg_write_chunk(vdev, pos, len, le32_to_cpu(le));
		} else {
			u32 val = 0;

			ret = cfg_read_chunk(vdev, pos, len, &val);
			le = cpu_to_le32(val);
			if (!ret && copy_to_iter(&le, len, iter) != len)
				ret = -EFAULT;
		}
		if (ret)
			break;

		count -= len;
		done += len;
		pos += len;
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

static void cfg_free(struct nvfio_pci_config *cfg)
{
	if (!cfg)
		return;
	kfree(cfg->vconfig);
	kfree(cfg->start);
	kfree(cfg);
}

int nvfio_pci_config_init(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct nvfio_pci_config *cfg;
	unsigned int size = pdev->cfg_size, i;
	bool ext_caps = false;
	int ret;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL_ACCOUNT);
	if (!cfg)
		return -ENOMEM;
	cfg->size = size;
	cfg->vconfig = kzalloc(5 * size, GFP_KERNEL_ACCOUNT);
	cfg->start = kcalloc(size, sizeof(*cfg->start), GFP_KERNEL_ACCOUNT);
	if (!cfg->vconfig || !cfg->start) {
		cfg_free(cfg);
		return -ENOMEM;
	}
	cfg->virt = cfg->vconfig + size;
	cfg->wmask = cfg->virt + size;
	cfg->owner = cfg->wmask + size;
	cfg->kind = cfg->owner + size;

	/* Nothing claimed: raw access. */
	memset(cfg->owner, OWN_NONE, size);
	memset(cfg->kind, KIND_RAW, size);

	cfg_claim(vdev, cfg, 0, PCI_STD_HEADER_SIZEOF, OWN_HEADER, KIND_MASKED);
	ret = cfg_fill(pdev, cfg, 0, PCI_STD_HEADER_SIZEOF);
	if (ret)
		goto err;
	cfg_describe_header(cfg);

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		cfg->rbar[i] = cfg_vread(cfg, PCI_BASE_ADDRESS_0 + 4 * i, 4);
	cfg->rbar[PCI_STD_NUM_BARS] = cfg_vread(cfg, PCI_ROM_ADDRESS, 4);

	if (pdev->is_virtfn) {
		cfg_vwrite(cfg, PCI_VENDOR_ID, 2, pdev->vendor);
		cfg_vwrite(cfg, PCI_DEVICE_ID, 2, pdev->device);
		/*
		 * VFs have no INTx, whatever the pin register says (SR-IOV
		 * requires it to read 0); say so, as mainline, unless the
		 * device is known to get it wrong.
		 */
		if (cfg->vconfig[PCI_INTERRUPT_PIN] &&
		    !pci_match_id(cfg_bogus_vf_pin, pdev))
			pci_warn(pdev,
				 "Hardware bug: VF reports bogus INTx pin %d\n",
				 cfg->vconfig[PCI_INTERRUPT_PIN]);
		cfg->vconfig[PCI_INTERRUPT_PIN] = 0;
	}
	if (pdev->no_command_memory)
		cfg_vwrite(cfg, PCI_COMMAND, 2,
			   cfg_vread(cfg, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY);
	/* No INTx to offer: none wired, or masking it is broken (nointx). */
	if (pdev->irq == IRQ_NOTCONNECTED || vdev->nointx)
		cfg->vconfig[PCI_INTERRUPT_PIN] = 0;

	ret = cfg_caps_init(vdev, cfg, &ext_caps);
	if (ret)
		goto err;
	if (ext_caps) {
		ret = cfg_ecaps_init(vdev, cfg);
		if (ret)
			goto err;
	}

	mutex_lock(&vdev->cfg_lock);
	vdev->cfg = cfg;
	cfg_bar_fixup(vdev);
	mutex_unlock(&vdev->cfg_lock);

	down_write(&vdev->memory_lock);
	vdev->mem_enabled =
		pdev->no_command_memory ||
		(cfg_vread(cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	up_write(&vdev->memory_lock);
	return 0;

err:
	cfg_free(cfg);
	return ret;
}

void nvfio_pci_config_free(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_config *cfg;

	mutex_lock(&vdev->cfg_lock);
	cfg = vdev->cfg;
	vdev->cfg = NULL;
	mutex_unlock(&vdev->cfg_lock);

	cfg_free(cfg);
}
