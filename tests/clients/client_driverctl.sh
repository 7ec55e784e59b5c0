#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# driverctl sets a vfio-pci override on the virtio-net (it rebinds at once)
# and unsets it (back to virtio-pci). --nosave: the root is read-only in the
# guest, and nothing is to outlive the test.
. "$(dirname "$0")/lib.sh"
require driverctl
bdf=$(find_dev 0x1af4 0x1041) || skip "no virtio-net alone in its IOMMU group"
orig=$(driver_of "$bdf")
[ -n "$orig" ] || skip "$bdf has no kernel driver to go back to"
# shellcheck disable=SC2064 # expand now
trap "restore_driver $bdf $orig" EXIT

echo "== driverctl --nosave set-override $bdf vfio-pci"
driverctl --nosave set-override "$bdf" vfio-pci || fail "set-override exited with status $?"
expect_driver "$bdf" vfio-pci "after set-override"
l=$(driverctl list-overrides)
echo "list-overrides: $l"
l=$(grep "^$bdf " <<<"$l")
[ "$l" = "$bdf vfio-pci" ] || fail "list-overrides shows '$l', expected '$bdf vfio-pci'"

echo "== driverctl --nosave unset-override $bdf"
driverctl --nosave unset-override "$bdf" || fail "unset-override exited with status $?"
expect_driver "$bdf" "$orig" "after unset-override"
[ "$(cat "$PCI/$bdf/driver_override")" = "(null)" ] || fail "driver_override is still '$(cat "$PCI/$bdf/driver_override")'"
l=$(driverctl list-overrides 2>&1 | grep "^$bdf " || true)
[ -z "$l" ] || fail "list-overrides still shows '$l'"
