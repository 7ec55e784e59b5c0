#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# DPDK on a VM without an IOMMU: with vfio's enable_unsafe_noiommu_mode on,
# the e1000e (82574L), which has no IOMMU group, binds to vfio-pci as
# /dev/vfio/noiommu-<N>; DPDK uses physical addresses (IOVA mode PA) and
# testpmd forwards thousands of packets each way on the bench's loopback.
# Ours only: Debian's mainline vfio lacks the mode. Runs in bench/check.sh's
# ours-noiommu boot (no vIOMMU).
. "$(dirname "$0")/lib.sh"
testpmd_loopback 0x8086 0x10d3 e1000e noiommu
