# SPDX-License-Identifier: GPL-2.0-only
# In-guest helpers shared by run-tests.sh and run-demo.sh (bash, run as root in
# the chrooted host root). Load or unload one VFIO stack, find and bind the
# edu, unbind everything from vfio-pci.
#
# Expects NVFIO_REPO (the repo, same path as on the host), NVFIO_MODE
# (ours|mainline|ours-noiommu|package) and NVFIO_OUT (the writable share).
#
# Mode "ours-noiommu" is our stack in a guest booted without the vIOMMU
# (bench/check.sh), for the tests of the no-IOMMU mode.
#
# Mode "package" is the stack as a user gets it: a plain `modprobe vfio-pci`,
# resolved by the host's /lib/modules (bench/package.sh). It must load the
# stack NVFIO_PACKAGE_EXPECT says (ours while nvfio-dkms is installed, the
# default; mainline after its removal); for ours, with the version
# NVFIO_PACKAGE_VERSION (nvfio-<VERSION>) when that is set.

REPO=${NVFIO_REPO:?}
OUT=${NVFIO_OUT:?}
MODE=${NVFIO_MODE:?}
# The stack mode $1 loads: ours or mainline. A runner that switches modes
# within a boot (run-bench.sh) sets STACK again with MODE.
mode_stack() {
	case $1 in
	package) echo "${NVFIO_PACKAGE_EXPECT:-ours}" ;;
	ours-noiommu) echo ours ;;
	*) echo "$1" ;;
	esac
}
STACK=$(mode_stack "$MODE")
EDU_ID="0x1234 0x11e8"

# Our modules, in load order; rmmod takes the reverse. They carry mainline's
# names (vfio, vfio_iommu_type1, vfio_pci), so which stack is loaded is told
# by /sys/module/vfio/version (see stack_loaded), not by the names.
# They are built per kernel (make modules-all): load those of the running one.
KMOD=build/kmod/$(uname -r)/kernel
OUR_KOS="$KMOD/core/vfio.ko $KMOD/iommu_type1/vfio_iommu_type1.ko $KMOD/pci/vfio-pci.ko $KMOD/testing/nvfio_ext_test.ko"
OUR_MODS="nvfio_ext_test vfio_pci vfio_iommu_type1 vfio"
# The irq bypass test consumer (tests/test_pci_bypass.c): it needs only the
# kernel's irqbypass.ko, so ours and mainline's modes both load it, after
# the stack, and unload it first.
BYPASS_KO=$KMOD/testing/nvfio_bypass_test.ko
BYPASS_MOD=nvfio_bypass_test
MAINLINE_MODS="vfio_pci vfio_pci_core vfio_iommu_type1 vfio"

# Progress on the console, stamped with the guest uptime like kernel lines.
say() {
	local up
	read -r up _ </proc/uptime
	echo "nvfio-guest[$MODE]: [$up] $*"
}

loaded() { [ -d "/sys/module/$1" ]; }

# Which VFIO stack is loaded: "ours" (our vfio.ko says version nvfio-*),
# "mainline", or "none".
stack_loaded() {
	local v
	loaded vfio || { echo none; return; }
	v=$(cat /sys/module/vfio/version 2>/dev/null)
	case $v in
	nvfio-*) echo ours ;;
	*) echo mainline ;;
	esac
}

# Load our modules from the build (insmod, dependency order). Refuses with
# a clear message when mainline's stack is loaded: both are named vfio, so
# the module loader itself would only say "File exists".
load_ours() {
	local ko
	case $(stack_loaded) in
	mainline)
		echo "mainline's vfio (version $(cat /sys/module/vfio/version 2>/dev/null || echo unknown)) is loaded: unload it first (modprobe -r vfio-pci vfio_iommu_type1 vfio)"
		return 1
		;;
	esac
	for ko in $OUR_KOS; do
		if [ ! -f "$REPO/$ko" ]; then
			echo "$REPO/$ko does not exist: build it first (make modules-all, or make modules KVER=$(uname -r))"
			return 1
		fi
	done
	# vfio-pci offers its MSI vectors to KVM through the kernel's
	# irqbypass.ko (CONFIG_IRQ_BYPASS_MANAGER=m), which insmod won't load.
	bounded 60 modprobe irqbypass || { echo "modprobe irqbypass failed"; return 1; }
	for ko in $OUR_KOS; do
		bounded 60 insmod "$REPO/$ko" || { echo "insmod $ko failed"; return 1; }
	done
}

# The test-only irq bypass consumer, in modes ours and mainline.
load_bypass_test() {
	[ -f "$REPO/$BYPASS_KO" ] || { echo "$REPO/$BYPASS_KO does not exist: build it first (make modules-all)"; return 1; }
	bounded 60 modprobe irqbypass || { echo "modprobe irqbypass failed"; return 1; }
	bounded 60 insmod "$REPO/$BYPASS_KO" || { echo "insmod $BYPASS_KO failed"; return 1; }
}

# Run a command with a time limit, even if it gets stuck in the kernel where
# SIGKILL cannot reach it (a hung unbind or rmmod): then give up on it and
# return 124, leaving it behind. Output goes where the caller sends it.
bounded() {
	local secs=$1 pid sleeper done_pid rc
	shift
	"$@" &
	pid=$!
	sleep "$secs" &
	sleeper=$!
	wait -n -p done_pid "$pid" "$sleeper"
	rc=$?
	if [ "$done_pid" = "$pid" ]; then
		kill "$sleeper" 2>/dev/null
		wait "$sleeper" 2>/dev/null
		return "$rc"
	fi
	kill -KILL "$pid" 2>/dev/null
	sleep 1
	if kill -0 "$pid" 2>/dev/null; then
		echo "still stuck after ${secs} s and SIGKILL (in the kernel?): $*"
		ps -o pid,stat,wchan:32,cmd -p "$pid" 2>/dev/null
		cat "/proc/$pid/stack" 2>/dev/null
	else
		wait "$pid" 2>/dev/null
		echo "killed after ${secs} s: $*"
	fi
	return 124
}

# Unload both stacks, whatever is loaded; fail if something stays.
unload_all() {
	local m
	for m in $BYPASS_MOD $OUR_MODS $MAINLINE_MODS; do
		loaded "$m" && bounded 30 rmmod "$m"
	done
	for m in $BYPASS_MOD $OUR_MODS $MAINLINE_MODS; do
		if loaded "$m"; then
			echo "module $m is loaded and will not unload"
			return 1
		fi
	done
	return 0
}

# Load the mode's stack. Prints why on failure.
load_stack() {
	case $MODE in
	ours | ours-noiommu)
		load_ours || return 1
		load_bypass_test || return 1
		;;
	mainline)
		bounded 60 modprobe vfio-pci || { echo "modprobe vfio-pci failed"; return 1; }
		bounded 60 modprobe vfio_iommu_type1 || { echo "modprobe vfio_iommu_type1 failed"; return 1; }
		load_bypass_test || return 1
		;;
	package)
		load_package || return 1
		;;
	*)
		echo "unknown NVFIO_MODE '$MODE' (ours, mainline, ours-noiommu or package)"
		return 1
		;;
	esac
	[ -d /sys/bus/pci/drivers/vfio-pci ] || { echo "no PCI driver named vfio-pci after loading"; return 1; }
	[ "$(stack_loaded)" = "$STACK" ] || { echo "loaded the $STACK stack, but /sys/module/vfio/version says $(stack_loaded)"; return 1; }
	if [ "$STACK" = mainline ] && ! loaded vfio_pci_core; then
		echo "vfio_pci_core is not loaded: this vfio-pci is not mainline's"
		return 1
	fi
}

# Mode package: a plain `modprobe vfio-pci`, nothing else, must bring up the
# whole expected stack, vfio_iommu_type1 through vfio's softdep. Prints what
# it found (modinfo paths, versions).
load_package() {
	local v m
	bounded 60 modprobe vfio-pci || { echo "modprobe vfio-pci failed"; return 1; }
	for m in vfio vfio_iommu_type1 vfio_pci; do
		echo "$m: $(modinfo -n "$m" 2>&1) version $(cat "/sys/module/$m/version" 2>/dev/null || echo none)"
	done
	loaded vfio_iommu_type1 || { echo "modprobe vfio-pci did not bring vfio_iommu_type1 up (vfio's softdep)"; return 1; }
	v=$(cat /sys/module/vfio/version 2>/dev/null)
	case $STACK in
	ours)
		case $v in
		nvfio-*) ;;
		*) echo "modprobe vfio-pci loaded vfio version '${v:-none}', not ours (nvfio-*)"; return 1 ;;
		esac
		if [ -n "${NVFIO_PACKAGE_VERSION:-}" ] && [ "$v" != "$NVFIO_PACKAGE_VERSION" ]; then
			echo "modprobe vfio-pci loaded vfio version $v, not the package's $NVFIO_PACKAGE_VERSION"
			return 1
		fi
		;;
	mainline)
		case $v in
		nvfio-*) echo "modprobe vfio-pci loaded ours ($v), not mainline's"; return 1 ;;
		esac
		;;
	*)
		echo "NVFIO_PACKAGE_EXPECT must be ours or mainline, not '$STACK'"
		return 1
		;;
	esac
}

# Unload the mode's stack (after unbind_all). Prints why on failure.
unload_stack() {
	local m rc=0
	if loaded $BYPASS_MOD; then
		bounded 30 rmmod $BYPASS_MOD || rc=1
	fi
	case $MODE in
	ours | ours-noiommu)
		bounded 60 rmmod $OUR_MODS || rc=1
		for m in $OUR_MODS; do
			loaded "$m" && { echo "module $m still loaded:"; lsmod | grep -E "^$m " ; rc=1; }
		done
		;;
	mainline)
		bounded 60 modprobe -r vfio-pci vfio_iommu_type1 vfio || rc=1
		;;
	package)
		bounded 60 modprobe -r vfio-pci vfio_iommu_type1 vfio || rc=1
		for m in vfio_pci vfio_pci_core vfio_iommu_type1 vfio; do
			loaded "$m" && { echo "module $m still loaded:"; lsmod | grep -E "^$m " ; rc=1; }
		done
		;;
	esac
	return $rc
}

# The edu on the root bus: the one alone in its IOMMU group.
find_edu() {
	local d n
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor") $(cat "$d/device")" = "$EDU_ID" ] || continue
		[ -d "$d/iommu_group" ] || { echo "$d has no IOMMU group: is the IOMMU on?" >&2; continue; }
		n=$(ls "$d/iommu_group/devices" | wc -l)
		[ "$n" -eq 1 ] && { basename "$d"; return 0; }
	done
	echo "no edu (1234:11e8) alone in its IOMMU group" >&2
	return 1
}

# The first PCI device of class $1 (e.g. 0x010802, NVMe) alone in its IOMMU
# group.
find_class() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = "$1" ] || continue
		[ -d "$d/iommu_group" ] || continue
		[ "$(ls "$d/iommu_group/devices" | wc -l)" -eq 1 ] && { basename "$d"; return 0; }
	done
	echo "no device of class $1 alone in its IOMMU group" >&2
	return 1
}

# Bind a device to the driver named vfio-pci (ours or mainline's).
bind_vfio() {
	local bdf=$1 d=/sys/bus/pci/devices/$1 drv
	if [ -e "$d/driver" ]; then
		echo "$bdf" >"$d/driver/unbind" || return 1
	fi
	echo vfio-pci >"$d/driver_override" || return 1
	echo "$bdf" >/sys/bus/pci/drivers_probe || return 1
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	[ "$drv" = vfio-pci ] || { echo "$bdf did not bind to vfio-pci (driver: ${drv:-none})"; return 1; }
}

# Unbind every device bound to vfio-pci and clear every driver_override.
unbind_all() {
	local d bdf rc=0
	for d in /sys/bus/pci/drivers/vfio-pci/*:*; do
		[ -e "$d" ] || continue
		bdf=$(basename "$d")
		bounded 60 sh -c "echo $bdf >/sys/bus/pci/devices/$bdf/driver/unbind" ||
			{ echo "unbind of $bdf failed or hung"; rc=1; }
	done
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/driver_override")" = "(null)" ] || echo >"$d/driver_override"
	done
	return $rc
}
