#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# DPDK's testpmd forwards thousands of packets each way on the e1000e
# (82574L) bound to vfio-pci, looped back by the bench.
. "$(dirname "$0")/lib.sh"
testpmd_loopback 0x8086 0x10d3 e1000e
