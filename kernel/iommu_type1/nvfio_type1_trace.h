/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvfio_type1_trace.h - vfio_iommu_type1.ko's trace events, in the system
 * "nvfio" that vfio.ko's share (kernel/core/nvfio_core_trace.h explains
 * the include path); docs/visibility.md has the formats.
 * CREATE_TRACE_POINTS in trace_events.c only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nvfio

#if !defined(NVFIO_TYPE1_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define NVFIO_TYPE1_TRACE_H

#include <linux/tracepoint.h>

/* The kernel's layout of event definitions, not clang-format's. */
/* clang-format off */
/*
 * A mapping made (VFIO_IOMMU_MAP_DMA) or torn down (an UNMAP, or the
 * container letting go of everything): @pages pinned or unpinned with it.
 */
DECLARE_EVENT_CLASS(nvfio_dma,
	TP_PROTO(u64 iova, u64 size, unsigned long pages),
	TP_ARGS(iova, size, pages),
	TP_STRUCT__entry(
		__field(u64, iova)
		__field(u64, size)
		__field(unsigned long, pages)
	),
	TP_fast_assign(
		__entry->iova = iova;
		__entry->size = size;
		__entry->pages = pages;
	),
	TP_printk("iova=0x%llx size=0x%llx pages=%lu", __entry->iova,
		  __entry->size, __entry->pages)
);

DEFINE_EVENT(nvfio_dma, dma_map,
	TP_PROTO(u64 iova, u64 size, unsigned long pages),
	TP_ARGS(iova, size, pages));

DEFINE_EVENT(nvfio_dma, dma_unmap,
	TP_PROTO(u64 iova, u64 size, unsigned long pages),
	TP_ARGS(iova, size, pages));

/* clang-format on */

#endif /* NVFIO_TYPE1_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE nvfio_type1_trace
#include <trace/define_trace.h>
