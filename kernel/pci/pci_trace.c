// SPDX-License-Identifier: GPL-2.0-only
/* pci_trace.c - instantiates vfio-pci.ko's trace events. */
#define CREATE_TRACE_POINTS
#include "nvfio_pci_trace.h"
