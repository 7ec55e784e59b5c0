// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_hooks.c - what only the test module (kernel/testing) needs to see
 * of the type1 backend.  Built into vfio_iommu_type1.ko for the bench only
 * (NVFIO_TESTING=n leaves it out of installed modules).
 */
#include <linux/export.h>

#include "nvfio.h"
#include "type1.h"

/*
 * Log the line of an attach refused for lack of interrupt remapping, for
 * IOMMU group @id.  The bench's guests have interrupt remapping, so the
 * refusal itself cannot happen there: this lets the tests check its line.
 */
void nvfio_type1_test_refuse_unsafe_msi(int id)
{
	type1_refuse_unsafe_msi(id);
}
EXPORT_SYMBOL_GPL(nvfio_type1_test_refuse_unsafe_msi);
