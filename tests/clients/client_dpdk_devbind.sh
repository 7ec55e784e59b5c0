#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# DPDK's dpdk-devbind.py moves the virtio-net from its kernel driver
# (virtio-pci) to vfio-pci, lists it under the DPDK-compatible drivers in
# --status, and moves it back.
. "$(dirname "$0")/lib.sh"
require dpdk-devbind.py
bdf=$(find_dev 0x1af4 0x1041) || skip "no virtio-net alone in its IOMMU group"
orig=$(driver_of "$bdf")
[ -n "$orig" ] || skip "$bdf has no kernel driver to go back to"
# shellcheck disable=SC2064 # expand now
trap "restore_driver $bdf $orig" EXIT

# The --status section that lists $bdf, and its drv= field.
status_of() {
	local out
	out=$(dpdk-devbind.py --status-dev net)
	echo "$out" >&2
	awk -v bdf="$bdf" '
		/^[A-Z].*devices/ { sect = $0 }
		$1 == bdf { drv = "(none)"; for (i = 2; i <= NF; i++) if ($i ~ /^drv=/) drv = substr($i, 5)
			print sect " / " drv }' <<<"$out"
}

echo "== dpdk-devbind.py --bind=vfio-pci $bdf"
dpdk-devbind.py --bind=vfio-pci "$bdf" || fail "dpdk-devbind.py --bind=vfio-pci exited with status $?"
expect_driver "$bdf" vfio-pci "after --bind=vfio-pci"
s=$(status_of)
[ "$s" = "Network devices using DPDK-compatible driver / vfio-pci" ] ||
	fail "--status shows $bdf as '$s', not under the DPDK-compatible drivers with drv=vfio-pci"
echo "--status: $s"

echo "== dpdk-devbind.py --bind=$orig $bdf"
dpdk-devbind.py --bind="$orig" "$bdf" || fail "dpdk-devbind.py --bind=$orig exited with status $?"
expect_driver "$bdf" "$orig" "after --bind=$orig"
s=$(status_of)
[ "$s" = "Network devices using kernel driver / $orig" ] ||
	fail "--status shows $bdf as '$s', not under the kernel drivers with drv=$orig"
echo "--status: $s"
