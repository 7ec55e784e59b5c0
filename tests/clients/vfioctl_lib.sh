# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Helpers of the vfioctl client tests (client_vfioctl_*.sh): source after
# lib.sh. vfioctl is build/bin/vfioctl, or $NVFIO_VFIOCTL (the package
# test points it at the installed /usr/sbin/vfioctl).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VFIOCTL=${NVFIO_VFIOCTL:-$REPO/build/bin/vfioctl}
HOLDER=$REPO/build/bin/nvfio-vfio-holder
[ -x "$VFIOCTL" ] || fail "$VFIOCTL does not exist: build it first (make tools)"
command -v python3 >/dev/null || skip "no python3 to read vfioctl's JSON"
W=$(mktemp -d)
OUTF=$W/out ERRF=$W/err

# vx ARGS...: run vfioctl, keep stdout in $OUTF and stderr in $ERRF, show
# both, set RC.
vx() {
	echo "\$ vfioctl $*"
	RC=0
	"$VFIOCTL" "$@" >"$OUTF" 2>"$ERRF" || RC=$?
	cat "$OUTF" "$ERRF"
	echo "(exit $RC)"
}

# expect N ARGS...: vx ARGS, fail unless it exited N.
expect() {
	local want=$1
	shift
	vx "$@"
	[ "$RC" -eq "$want" ] || fail "vfioctl $* exited $RC, expected $want"
}

# jq-like: jget PYEXPR, evaluated with d = the JSON in $OUTF; prints it.
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$OUTF" "$1"
}

# jcheck PYEXPR WHAT: fail unless PYEXPR is true of the JSON in $OUTF.
jcheck() {
	[ "$(jget "bool($1)")" = true ] || fail "$2 (JSON: $1 is false)"
}

# The bench's two-device group: sets SG (group), EDU1 and E1000.
find_shared_group() {
	local g d
	for g in /sys/kernel/iommu_groups/*; do
		[ "$(ls "$g/devices" | wc -l)" -eq 2 ] || continue
		EDU1="" E1000=""
		for d in "$g"/devices/*; do
			case "$(cat "$d/vendor") $(cat "$d/device")" in
			"0x1234 0x11e8") EDU1=${d##*/} ;;
			"0x8086 0x100e") E1000=${d##*/} ;;
			esac
		done
		if [ -n "$EDU1" ] && [ -n "$E1000" ]; then
			SG=${g##*/}
			return 0
		fi
	done
	return 1
}

# The stack as vfioctl names it.
vstack() { case $(stack) in ours) echo nvfio ;; *) echo mainline ;; esac; }

# The runner's edu (bound to vfio-pci, alone in its group) must stay so.
check_runner_edu() {
	[ -n "${NVFIO_EDU:-}" ] || return 0
	[ "$(driver_of "$NVFIO_EDU")" = vfio-pci ] ||
		fail "the runner's edu $NVFIO_EDU left vfio-pci (now: $(driver_of "$NVFIO_EDU"))"
}
