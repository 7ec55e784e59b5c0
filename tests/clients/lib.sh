# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Helpers for the client tests (tests/clients/client_*.sh): unmodified
# programs from Debian 12's packages (DPDK, driverctl) driving whichever VFIO
# stack is loaded, ours or mainline's. Source it from bash.
#
# A client test is a test of the suite like the C ones: bench/guest/run-tests.sh
# runs it as root in the guest, exit 0 = pass, 77 = skip, else fail; a line
# "note: ..." in its output is shown next to its result. It must not load or
# unload any VFIO module (the stack may come from insmod or modprobe), and it
# puts every device it touched back on the driver it had.

set -u

PCI=/sys/bus/pci/devices

skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# Which stack is loaded: ours says nvfio-<version> in /sys/module/vfio/version.
stack() {
	case $(cat /sys/module/vfio/version 2>/dev/null) in
	nvfio-*) echo ours ;;
	*) echo mainline ;;
	esac
}

# The driver device $1 is bound to, or nothing.
driver_of() {
	local l
	l=$(readlink "$PCI/$1/driver" 2>/dev/null) || return 0
	basename "$l"
}

# The first PCI device with vendor $1 and device $2 (0x...), alone in its
# IOMMU group; fails when there is none.
find_dev() {
	local d
	for d in "$PCI"/*; do
		[ "$(cat "$d/vendor") $(cat "$d/device")" = "$1 $2" ] || continue
		[ "$(ls "$d/iommu_group/devices" 2>/dev/null | wc -l)" -eq 1 ] || continue
		basename "$d"
		return 0
	done
	return 1
}

# The first PCI device with vendor $1 and device $2 that has no IOMMU group
# (a guest without the vIOMMU); fails when there is none.
find_dev_noiommu() {
	local d
	for d in "$PCI"/*; do
		[ "$(cat "$d/vendor") $(cat "$d/device")" = "$1 $2" ] || continue
		[ -e "$d/iommu_group" ] && continue
		basename "$d"
		return 0
	done
	return 1
}

# vfio's switch of the unsafe no-IOMMU mode (Y or N); absent where vfio is
# built without the mode (Debian's mainline).
NOIOMMU_MODE=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode

# The test needs the vfio-pci driver and the program $1.
require() {
	[ -d /sys/bus/pci/drivers/vfio-pci ] || skip "no vfio-pci driver: no VFIO stack loaded"
	command -v "$1" >/dev/null || skip "$1 is not installed (scripts/setup.sh installs it)"
}

# Fail unless device $1 is bound to driver $2 ("" = to none); $3 says when.
expect_driver() {
	local d
	d=$(driver_of "$1")
	[ "$d" = "$2" ] || fail "$3: $1 is bound to '${d:-(none)}', expected '${2:-(none)}'"
	echo "$3: $1 bound to ${2:-(none)}"
}

# Put device $1 back on driver $2 (or on none), with no driver_override
# left. Used on exit, whatever the test did to the device.
restore_driver() {
	local bdf=$1 orig=$2 d=$PCI/$1
	[ "$(driver_of "$bdf")" = "$orig" ] && { echo >"$d/driver_override"; return 0; }
	[ -e "$d/driver" ] && echo "$bdf" >"$d/driver/unbind"
	echo >"$d/driver_override"
	[ -z "$orig" ] || echo "$bdf" >"/sys/bus/pci/drivers/$orig/bind"
	echo "restored $bdf to ${orig:-(no driver)}: now $(driver_of "$bdf")"
}

# dpdk-testpmd io forwarding on the NIC $1:$2 (vendor, device), named $3 in
# the messages. The bench loops each NIC back to itself (bench/run-guest.sh),
# so with --tx-first the first burst circulates: whatever the port sends comes
# back, and io forwarding sends it again. Asserts thousands of packets each
# way and prints the rate the periodic statistics saw.
#
# With $4 = noiommu: a NIC without an IOMMU group (a guest without the
# vIOMMU), taken with vfio's unsafe no-IOMMU mode switched on (and back off
# at the end, whatever happens): DPDK must find /dev/vfio/noiommu-<N>, see
# the mode in the parameter, and so program the NIC with physical addresses.
testpmd_loopback() {
	local vendor=$1 device=$2 name=$3 noiommu=${4:-} bdf orig pages prefix log pid i rc rx tx pps
	local mode0="" group k0
	require dpdk-testpmd
	if [ "$noiommu" = noiommu ]; then
		[ -e "$NOIOMMU_MODE" ] || skip "this vfio ($(stack)) has no no-IOMMU mode ($NOIOMMU_MODE)"
		bdf=$(find_dev_noiommu "$vendor" "$device") ||
			skip "no $name ($vendor:$device) without an IOMMU group: needs a guest without the vIOMMU (bench/check.sh's ours-noiommu boot)"
		mode0=$(cat "$NOIOMMU_MODE")
	else
		bdf=$(find_dev "$vendor" "$device") || skip "no $name ($vendor:$device) alone in its IOMMU group"
	fi
	orig=$(driver_of "$bdf")
	mountpoint -q /dev/hugepages || skip "no hugetlbfs at /dev/hugepages"
	pages=$(cat /proc/sys/vm/nr_hugepages)
	prefix=nvfio-$$
	log=$(mktemp)
	# The device goes back before the mode does.
	# shellcheck disable=SC2064 # expand now
	trap "restore_driver $bdf '$orig'; ${mode0:+echo $mode0 >$NOIOMMU_MODE;} echo $pages >/proc/sys/vm/nr_hugepages; rm -rf /dev/hugepages/$prefix* /run/dpdk/$prefix $log" EXIT

	echo 256 >/proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 256 ] || fail "could not reserve 256 hugepages of 2 MiB"
	restore_driver "$bdf" "" >/dev/null
	[ -z "$mode0" ] || echo Y >"$NOIOMMU_MODE"
	k0=$(dmesg | wc -l)
	echo vfio-pci >"$PCI/$bdf/driver_override"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	expect_driver "$bdf" vfio-pci "before testpmd"
	if [ -n "$mode0" ]; then
		group=$(basename "$(readlink "$PCI/$bdf/iommu_group")")
		[ -c "/dev/vfio/noiommu-$group" ] || fail "no /dev/vfio/noiommu-$group for $bdf (IOMMU group $group)"
		echo "no-IOMMU mode: $bdf is /dev/vfio/noiommu-$group"
	fi

	# Non-interactive, testpmd forwards until SIGINT, then prints the
	# totals. TCG is slow and its speed varies: EAL and port setup take
	# seconds, so the 5 s of forwarding count from the moment it starts.
	echo "== dpdk-testpmd on $name $bdf ($(stack) stack), 5 s of forwarding"
	dpdk-testpmd -l 0-1 -n 1 -a "$bdf" --file-prefix="$prefix" --huge-unlink -- \
		--forward-mode=io --tx-first --stats-period=1 </dev/null >"$log" 2>&1 &
	pid=$!
	for i in $(seq 120); do
		grep -q 'packet forwarding - ports=' "$log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.5
	done
	grep -q 'packet forwarding - ports=' "$log" && sleep 5
	kill -INT $pid 2>/dev/null
	for i in $(seq 60); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL $pid 2>/dev/null && echo "dpdk-testpmd did not stop within 30 s of SIGINT: killed"
	rc=0
	wait $pid || rc=$?
	# The statistics screens start with a clear-screen sequence: drop it.
	tr -d '\033' <"$log" | sed 's/\[2J\[1;1H//'
	[ "$rc" -eq 0 ] || fail "dpdk-testpmd exited with status $rc"
	if [ -n "$mode0" ]; then
		# DPDK saw the mode and chose physical addresses; the kernel
		# logged the unsafe open.
		grep -q "IOVA mode 'PA'" "$log" || fail "dpdk-testpmd did not select IOVA mode PA"
		dmesg | tail -n +$((k0 + 1)) | grep -q 'vfio-noiommu device opened by user (dpdk-testpmd' ||
			fail "no 'vfio-noiommu device opened by user' line for dpdk-testpmd in the kernel log"
	fi

	# The totals: the block after "Accumulated forward statistics".
	rx=$(awk '/Accumulated forward statistics/ { a = 1 } a && /RX-packets:/ { print $2; exit }' "$log")
	tx=$(awk '/Accumulated forward statistics/ { a = 1 } a && /TX-packets:/ { print $2; exit }' "$log")
	[ -n "$rx" ] && [ -n "$tx" ] ||
		fail "no forward statistics in testpmd's output"
	# The rate: the mean of the periodic samples taken while forwarding.
	pps=$(awk '/Rx-pps:/ && $2 > 0 { s += $2; n++ } END { if (n) printf "%d", s / n; else print "n/a" }' "$log")
	echo "note: $name testpmd io loopback on $(stack)${mode0:+ (no-IOMMU mode)}: RX $rx, TX $tx packets, $pps pps"
	[ "$rx" -ge 2000 ] || fail "$name received only $rx packets (expected thousands)"
	[ "$tx" -ge 2000 ] || fail "$name sent only $tx packets (expected thousands)"
	expect_driver "$bdf" vfio-pci "after testpmd"
}
