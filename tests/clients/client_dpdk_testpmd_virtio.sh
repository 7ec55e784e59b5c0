#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# DPDK's testpmd forwards thousands of packets each way on the virtio-net
# (modern, iommu_platform=on) bound to vfio-pci, looped back by the bench.
. "$(dirname "$0")/lib.sh"
testpmd_loopback 0x1af4 0x1041 virtio-net
