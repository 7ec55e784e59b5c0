#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# DPDK on a VM without an IOMMU: with vfio's enable_unsafe_noiommu_mode on,
# the virtio-net (modern, no iommu_platform), which has no IOMMU group, binds
# to vfio-pci as /dev/vfio/noiommu-<N>; DPDK reads the mode, uses physical
# addresses (IOVA mode PA) and testpmd forwards thousands of packets each way
# on the bench's loopback. Ours only: Debian's mainline vfio lacks the mode.
# Runs in bench/check.sh's ours-noiommu boot (no vIOMMU).
. "$(dirname "$0")/lib.sh"
testpmd_loopback 0x1af4 0x1041 virtio-net noiommu
