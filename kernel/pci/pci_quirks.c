// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_quirks.c - devices vfio-pci treats specially, by PCI ID, with the
 * same lists as mainline 6.12's vfio-pci:
 *
 * - the denylist: functions with errata that an untrusted user can exploit
 *   to hurt the host (QAT C3xxx/C62x/DH895xCC PFs and VFs, DSA and IAX on
 *   Sapphire Rapids stepping 0).  Probe refuses them unless the module was
 *   loaded with disable_denylist=1.
 * - nointx: functions whose PCI 2.3 INTx masking is broken (every i40e, the
 *   X550): their INTx is hidden from the user.
 *
 * No locking: tables and a read-only (0444) parameter.
 */
#include <linux/module.h>
#include <linux/pci.h>

#include "nvfio_pci.h"

static bool disable_denylist;
module_param(disable_denylist, bool, 0444);
MODULE_PARM_DESC(
	disable_denylist,
	"Disable use of device denylist. Disabling the denylist allows binding to devices with known errata that may lead to exploitable stability or security issues when accessed by untrusted users.");

static const struct pci_device_id nvfio_pci_denylist[] = {
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX)},
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX_VF)},
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X)},
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X_VF)},
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC)},
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC_VF)},
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_DSA_SPR0)},
	{PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_IAX_SPR0)},
	{}};

/* Intel i40e (XL710/X710/XXV710, 10-40GbE) and X550. */
static const struct pci_device_id nvfio_pci_nointx_list[] = {
	{PCI_VDEVICE(INTEL, 0x1572)}, {PCI_VDEVICE(INTEL, 0x1574)},
	{PCI_VDEVICE(INTEL, 0x1580)}, {PCI_VDEVICE(INTEL, 0x1581)},
	{PCI_VDEVICE(INTEL, 0x1583)}, {PCI_VDEVICE(INTEL, 0x1584)},
	{PCI_VDEVICE(INTEL, 0x1585)}, {PCI_VDEVICE(INTEL, 0x1586)},
	{PCI_VDEVICE(INTEL, 0x1587)}, {PCI_VDEVICE(INTEL, 0x1588)},
	{PCI_VDEVICE(INTEL, 0x1589)}, {PCI_VDEVICE(INTEL, 0x158a)},
	{PCI_VDEVICE(INTEL, 0x158b)}, {PCI_VDEVICE(INTEL, 0x37d0)},
	{PCI_VDEVICE(INTEL, 0x37d1)}, {PCI_VDEVICE(INTEL, 0x37d2)},
	{PCI_VDEVICE(INTEL, 0x1563)}, {}};

/* May probe take @pdev?  Says why not in the kernel log. */
bool nvfio_pci_denylisted(struct pci_dev *pdev)
{
	if (!pci_match_id(nvfio_pci_denylist, pdev))
		return false;
	if (disable_denylist) {
		pci_warn(
			pdev,
			"%04x:%04x is on the vfio-pci denylist (exploitable errata); allowed because disable_denylist is set\n",
			pdev->vendor, pdev->device);
		return false;
	}
	pci_warn(
		pdev,
		"%04x:%04x is on the vfio-pci denylist (errata exploitable by its user); not binding. Load vfio-pci with disable_denylist=1 to override (unsafe)\n",
		pdev->vendor, pdev->device);
	return true;
}

bool nvfio_pci_nointx(struct pci_dev *pdev)
{
	return pci_match_id(nvfio_pci_nointx_list, pdev);
}

/* At module load: say once that the safety net is off. */
void nvfio_pci_quirks_init(void)
{
	if (disable_denylist)
		pr_warn("device denylist disabled\n");
}
