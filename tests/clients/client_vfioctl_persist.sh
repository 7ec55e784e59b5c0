#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfioctl bind --persist on the virtio-net: a udev rule that matches the
# device by address and ids, sets driver_override and runs `vfioctl apply`;
# after a simulated reboot (the device back on virtio-pci, /run emptied)
# that apply binds it again; unbind removes the rule and gives the device
# back. The guest's /etc is read-only: the test runs in a private mount
# namespace with a tmpfs (a copy) on /etc/udev/rules.d and on /run/vfioctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vfioctl_lib.sh"
require true
command -v unshare >/dev/null || fail "no unshare (util-linux)"
[ -n "${NVFIO_PERSIST_NS:-}" ] ||
	exec unshare --mount --propagation private env NVFIO_PERSIST_NS=1 /bin/bash "$0" "$@"
bdf=$(find_dev 0x1af4 0x1041) || skip "no virtio-net alone in its IOMMU group"
orig=$(driver_of "$bdf")
[ -n "$orig" ] || skip "$bdf has no kernel driver to go back to"
RULES=/etc/udev/rules.d
RULE=$RULES/40-vfioctl-$bdf.rules
# shellcheck disable=SC2064 # expand now
trap "restore_driver $bdf '$orig'; umount $RULES /run/vfioctl 2>/dev/null; rm -rf $W" EXIT
mkdir -p "$W/rules" /run/vfioctl
cp -a "$RULES/." "$W/rules/" 2>/dev/null
mount --bind "$W/rules" "$RULES" || fail "cannot put a writable copy on $RULES"
mount -t tmpfs tmpfs /run/vfioctl || fail "cannot mount a tmpfs on /run/vfioctl"

expect 0 bind --persist "$bdf"
expect_driver "$bdf" vfio-pci "after bind --persist"
[ -f "$RULE" ] || fail "no rule $RULE"
cat "$RULE"
vid=$(cat "$PCI/$bdf/vendor") did=$(cat "$PCI/$bdf/device")
grep -q "^ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"$bdf\", ATTR{vendor}==\"$vid\", ATTR{device}==\"$did\", ATTR{driver_override}=\"vfio-pci\", RUN+=\"$VFIOCTL --quiet apply $bdf\"$" "$RULE" ||
	fail "the rule does not match by address and ids, set the override and run apply"
expect 0 --json list "$bdf"
jcheck "dev('$bdf')['persistent']" "list shows the device as persistent"

# udev parses the rule and would apply it to this device.
if command -v udevadm >/dev/null; then
	echo "== udevadm test --action=add"
	out=$(udevadm test --action=add "/sys/bus/pci/devices/$bdf" 2>&1)
	grep -E "40-vfioctl|vfioctl --quiet apply|driver_override" <<<"$out" | head -n 20
	grep -q "vfioctl --quiet apply $bdf" <<<"$out" ||
		fail "udevadm test does not run the rule's RUN for $bdf"
fi

echo "== a simulated reboot: the device on $orig, /run empty"
echo "$bdf" >"$PCI/$bdf/driver/unbind"
echo >"$PCI/$bdf/driver_override"
echo "$bdf" >"/sys/bus/pci/drivers/$orig/bind"
rm -f /run/vfioctl/*
expect_driver "$bdf" "$orig" "after the simulated reboot"
# What the rule runs when the device is added at boot.
expect 0 --quiet apply "$bdf"
[ ! -s "$OUTF" ] || fail "apply --quiet printed something"
expect_driver "$bdf" vfio-pci "after apply"

echo "== apply refuses a device without its rule"
find_shared_group && { expect 1 apply "$EDU1"; expect_driver "$EDU1" "" "after a refused apply"; }

echo "== unbind: back to $orig, rule gone"
expect 0 unbind "$bdf"
expect_driver "$bdf" "$orig" "after unbind"
[ ! -e "$RULE" ] || fail "unbind left $RULE"
grep -q "removed its udev rule" "$OUTF" || fail "unbind does not say it removed the rule"
check_runner_edu
