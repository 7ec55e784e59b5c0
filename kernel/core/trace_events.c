// SPDX-License-Identifier: GPL-2.0-only
/* trace_events.c - instantiates vfio.ko's trace events. */
#define CREATE_TRACE_POINTS
#include "nvfio_core_trace.h"
