// SPDX-License-Identifier: GPL-2.0-only
/* trace_events.c - instantiates vfio_iommu_type1.ko's trace events. */
#define CREATE_TRACE_POINTS
#include "nvfio_type1_trace.h"
