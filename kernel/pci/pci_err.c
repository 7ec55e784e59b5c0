// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_err.c - PCI error recovery: the driver's pci_error_handlers.
 *
 * When AER (or DPC, EEH...) reports an error on a bound device, the PCI
 * core calls error_detected with the device lock held.  Like mainline's
 * vfio-pci we do not try to recover the device ourselves: the user, who
 * owns the device state, is told through the ERR eventfd
 * (VFIO_PCI_ERR_IRQ_INDEX, set up in pci_intrs.c) and we answer that the
 * device can recover, so the core carries on without resetting it.
 *
 * Locking: err_trigger is read under igate, which every writer of it
 * holds.  The device lock held by the PCI core keeps remove (and so the
 * freeing of our structure) away while we run.
 */
#include <linux/pci.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

static pci_ers_result_t nvfio_pci_error_detected(struct pci_dev *pdev,
						 pci_channel_state_t state)
{
	struct nvfio_pci_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!vdev)
		return PCI_ERS_RESULT_CAN_RECOVER;

	mutex_lock(&vdev->igate);
	if (vdev->err_trigger)
		nvfio_eventfd_signal(vdev->err_trigger);
	mutex_unlock(&vdev->igate);

	return PCI_ERS_RESULT_CAN_RECOVER;
}

const struct pci_error_handlers nvfio_pci_err_handlers = {
	.error_detected = nvfio_pci_error_detected,
};
