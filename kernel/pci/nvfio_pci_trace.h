/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvfio_pci_trace.h - vfio-pci.ko's trace events, in the system "nvfio"
 * that vfio.ko's share (kernel/core/nvfio_core_trace.h explains the include
 * path); docs/visibility.md has the formats.  CREATE_TRACE_POINTS in
 * pci_trace.c only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nvfio

#if !defined(NVFIO_PCI_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define NVFIO_PCI_TRACE_H

#include <linux/tracepoint.h>

#include "nvfio_compat.h"

/* The kernel's layout of event definitions, not clang-format's. */
/* clang-format off */
/* VFIO_DEVICE_SET_IRQS, with its result. */
TRACE_EVENT(set_irqs,
	TP_PROTO(const char *dev, u32 index, u32 start, u32 count, u32 flags,
		 int ret),
	TP_ARGS(dev, index, start, count, flags, ret),
	TP_STRUCT__entry(
		__string(dev, dev)
		__field(u32, index)
		__field(u32, start)
		__field(u32, count)
		__field(u32, flags)
		__field(int, ret)
	),
	TP_fast_assign(
		nvfio_assign_str(dev, dev);
		__entry->index = index;
		__entry->start = start;
		__entry->count = count;
		__entry->flags = flags;
		__entry->ret = ret;
	),
	TP_printk("dev=%s index=%u start=%u count=%u flags=0x%x ret=%d",
		  __get_str(dev), __entry->index, __entry->start,
		  __entry->count, __entry->flags, __entry->ret)
);

/* The device raised interrupt @vector of @index; its eventfd is signalled. */
TRACE_EVENT(irq_trigger,
	TP_PROTO(const char *dev, u32 index, u32 vector),
	TP_ARGS(dev, index, vector),
	TP_STRUCT__entry(
		__string(dev, dev)
		__field(u32, index)
		__field(u32, vector)
	),
	TP_fast_assign(
		nvfio_assign_str(dev, dev);
		__entry->index = index;
		__entry->vector = vector;
	),
	TP_printk("dev=%s index=%u vector=%u", __get_str(dev),
		  __entry->index, __entry->vector)
);

/* vfio-pci reset the function; @how says which reset and why. */
TRACE_EVENT(device_reset,
	TP_PROTO(const char *dev, const char *how),
	TP_ARGS(dev, how),
	TP_STRUCT__entry(
		__string(dev, dev)
		__string(how, how)
	),
	TP_fast_assign(
		nvfio_assign_str(dev, dev);
		nvfio_assign_str(how, how);
	),
	TP_printk("dev=%s how=%s", __get_str(dev), __get_str(how))
);

/* clang-format on */

#endif /* NVFIO_PCI_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE nvfio_pci_trace
#include <trace/define_trace.h>
