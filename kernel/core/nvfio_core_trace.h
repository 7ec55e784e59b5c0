/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvfio_core_trace.h - vfio.ko's trace events, system "nvfio"
 * (docs/visibility.md has the formats, a stable interface).  The other
 * modules define their own events in the same system
 * (kernel/iommu_type1/nvfio_type1_trace.h, kernel/pci/nvfio_pci_trace.h).
 * CREATE_TRACE_POINTS in trace_events.c only.
 *
 * Out of tree, define_trace.h must find this file again: TRACE_INCLUDE_PATH
 * is relative to the compiler's include path, which Kbuild extends with
 * this directory for trace_events.o (CFLAGS_trace_events.o := -I$(src)).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nvfio

#if !defined(NVFIO_CORE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define NVFIO_CORE_TRACE_H

#include <linux/tracepoint.h>

#include "nvfio_compat.h"

/* The kernel's layout of event definitions, not clang-format's. */
/* clang-format off */
/* A device fd opened (GET_DEVICE_FD) or closed; @open_count is after it. */
DECLARE_EVENT_CLASS(nvfio_device_fd,
	TP_PROTO(const char *dev, unsigned int open_count),
	TP_ARGS(dev, open_count),
	TP_STRUCT__entry(
		__string(dev, dev)
		__field(unsigned int, open_count)
	),
	TP_fast_assign(
		nvfio_assign_str(dev, dev);
		__entry->open_count = open_count;
	),
	TP_printk("dev=%s open_count=%u", __get_str(dev), __entry->open_count)
);

DEFINE_EVENT(nvfio_device_fd, device_open,
	TP_PROTO(const char *dev, unsigned int open_count),
	TP_ARGS(dev, open_count));

DEFINE_EVENT(nvfio_device_fd, device_close,
	TP_PROTO(const char *dev, unsigned int open_count),
	TP_ARGS(dev, open_count));

/* The user's access to the device was revoked. */
TRACE_EVENT(device_revoke,
	TP_PROTO(const char *dev),
	TP_ARGS(dev),
	TP_STRUCT__entry(
		__string(dev, dev)
	),
	TP_fast_assign(
		nvfio_assign_str(dev, dev);
	),
	TP_printk("dev=%s", __get_str(dev))
);

/* clang-format on */

#endif /* NVFIO_CORE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE nvfio_core_trace
#include <trace/define_trace.h>
