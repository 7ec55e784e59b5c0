#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfioctl why: the runner's edu is usable; the bench's shared-group edu is
# not (not on vfio-pci, group not viable because of the e1000); memlock
# against a guest size for a process with a small RLIMIT_MEMLOCK and no
# CAP_IPC_LOCK; and, in fake sysfs/procfs trees (test-only
# VFIOCTL_SYSROOT), the machines the bench does not have: IOMMU off on the
# command line, the kernel's default off, no IOMMU at all, no interrupt
# remapping with and without allow_unsafe_interrupts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vfioctl_lib.sh"
require true
EDU=${NVFIO_EDU:?the runner exports NVFIO_EDU}
SLEEPER=""
# shellcheck disable=SC2064
trap '[ -z "$SLEEPER" ] || kill $SLEEPER 2>/dev/null; e1000_restore; rm -rf "$W"' EXIT

echo "== the runner's edu"
expect 0 why "$EDU"
grep -q "can be used" "$OUTF" || fail "no verdict line"
expect 0 --json why "$EDU"
jcheck "d['usable'] and d['bdf'] == '$EDU' and d['schema_version'] == 1" "usable" \
	"all(set(f) == {'id', 'severity', 'message', 'fix'} for f in d['findings'])" "finding keys" \
	"ids >= {'iommu:ok', 'driver:ok', 'group-viable:ok', 'interrupt-remapping:ok', 'group-access:ok', 'in-use:ok'}" "ok findings" \
	"d['platform']['iommu_kind'] == 'intel'" "the IOMMU is QEMU's Intel one"

if find_shared_group && e1000_on_driver && [ -z "$(driver_of "$EDU1")" ]; then
	echo "== the shared group's edu"
	expect 4 --json why "$EDU1"
	jcheck "not d['usable']" "usable" \
		"ids >= {'not-bound:error', 'group-not-viable:error'}" "findings" \
		"'$E1000 is on e1000' in finding('group-not-viable')['message']" "the reason names the e1000" \
		"'vfioctl bind --group $EDU1' in finding('group-not-viable')['fix']" "the fix"
	expect 4 why "$EDU1"
	grep -q "fix: vfioctl bind --group $EDU1" "$OUTF" || fail "no fix line for people"
fi

echo "== memlock: 1 MiB limit, no CAP_IPC_LOCK"
command -v setpriv >/dev/null && command -v prlimit >/dev/null || skip "no setpriv/prlimit (util-linux)"
prlimit --memlock=1048576:1048576 setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 &
SLEEPER=$!
# Until the exec of sleep, the pid is prlimit's or setpriv's: root, with
# CAP_IPC_LOCK (the debug kernel takes more than half a second to get there).
for _ in $(seq 300); do
	[ "$(cat /proc/$SLEEPER/comm 2>/dev/null)" = sleep ] && break
	sleep 0.1
done
[ "$(cat /proc/$SLEEPER/comm 2>/dev/null)" = sleep ] || fail "the unprivileged sleep never started"
expect 4 --json why "$EDU" --guest-mem 4G --pid "$SLEEPER"
jcheck "'memlock-too-low:error' in ids" "memlock too low" \
	"'1.0 MiB' in finding('memlock-too-low')['message']" "the limit in the message"
expect 0 --json why "$EDU" --guest-mem 512K --pid "$SLEEPER"
jcheck "'memlock:ok' in ids" "512K fits"
expect 0 why "$EDU" --guest-mem 4G
grep -q "CAP_IPC_LOCK" "$OUTF" || fail "root's CAP_IPC_LOCK not mentioned"
expect 2 why "$EDU" --guest-mem lots
expect 3 why "$EDU" --pid 999999999
expect 3 why 0000:7f:1f.7

echo "== fake machines (VFIOCTL_SYSROOT)"
F=$W/root
dev=$F/sys/bus/pci/devices/0000:00:05.0
mkdir -p "$dev" "$F/proc/sys/kernel" "$F/proc/self" "$F/boot" "$F/sys/firmware/acpi/tables" "$F/sys/module"
echo 0x8086 >"$dev/vendor"; echo 0x10d3 >"$dev/device"; echo 0x020000 >"$dev/class"
echo "(null)" >"$dev/driver_override"
head -c 64 /dev/zero >"$dev/config"
echo 6.1.0-fake >"$F/proc/sys/kernel/osrelease"
echo "# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set" >"$F/boot/config-6.1.0-fake"
: >"$F/sys/firmware/acpi/tables/DMAR"
fake() { VFIOCTL_SYSROOT=$F expect "$@"; }

echo "BOOT_IMAGE=/vmlinuz intel_iommu=off quiet" >"$F/proc/cmdline"
fake 4 --json why 0000:00:05.0
jcheck "'iommu-disabled-cmdline:error' in ids" "intel_iommu=off"
echo "BOOT_IMAGE=/vmlinuz quiet" >"$F/proc/cmdline"
fake 4 --json why 0000:00:05.0
jcheck "'iommu-not-enabled:error' in ids" "default off" \
	"'intel_iommu=on' in finding('iommu-not-enabled')['fix']" "the fix says intel_iommu=on"
rm "$F/sys/firmware/acpi/tables/DMAR"
fake 4 --json why 0000:00:05.0
jcheck "'no-iommu:error' in ids" "no IOMMU"
fake 0 list
grep -q "no IOMMU groups" "$OUTF" || fail "list does not say there are no groups"

echo "== fake machine without interrupt remapping"
mkdir -p "$F/sys/kernel/iommu_groups/3/devices" "$F/sys/module/vfio_iommu_type1/parameters" "$F/dev/vfio"
ln -s ../../../../bus/pci/devices/0000:00:05.0 "$F/sys/kernel/iommu_groups/3/devices/0000:00:05.0"
ln -s ../../../kernel/iommu_groups/3 "$dev/iommu_group"
mkdir -p "$F/sys/bus/pci/drivers/vfio-pci"
ln -s ../../../bus/pci/drivers/vfio-pci "$dev/driver"
: >"$F/dev/vfio/3"
printf '           CPU0       CPU1\n 24:          5          0  PCI-MSI-0000:00:05.0    0-edge      vfio-msi[0](0000:00:05.0)\n' >"$F/proc/interrupts"
echo N >"$F/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
fake 4 --json why 0000:00:05.0
jcheck "ids == {'iommu:ok', 'driver:ok', 'group-viable:ok', 'no-interrupt-remapping:error', 'group-access:ok', 'in-use:ok'}" "no IR: the only error" \
	"'allow_unsafe_interrupts=1' in finding('no-interrupt-remapping')['fix']" "the fix names the parameter"
echo Y >"$F/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
fake 0 --json why 0000:00:05.0
jcheck "'no-interrupt-remapping:warning' in ids" "no IR, unsafe allowed"
check_runner_edu
