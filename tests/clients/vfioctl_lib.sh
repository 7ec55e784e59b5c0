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

# jcheck EXPR WHAT [EXPR WHAT]...: fail unless each python EXPR is true of
# the JSON in $OUTF (as d). One python run for all: python starts slowly
# under TCG. Helpers: ids (the set of "id:severity" of why's findings),
# finding(id), group(n), dev(bdf).
jcheck() {
	python3 - "$OUTF" "$@" <<'PY' || fail "JSON checks failed (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
ids = {f["id"] + ":" + f["severity"] for f in d.get("findings", [])}
def finding(i):
    return [f for f in d["findings"] if f["id"] == i][0]
def group(n):
    return [g for g in d["groups"] if g["iommu_group"] == n][0]
def dev(b):
    return [x for g in d["groups"] for x in g["devices"] if x["bdf"] == b][0]
a = sys.argv[2:]
bad = 0
for i in range(0, len(a), 2):
    try:
        ok = eval(a[i])
    except Exception as e:
        ok = False
        print("error in %s: %r" % (a[i], e))
    if not ok:
        print("FAIL: %s (false: %s)" % (a[i + 1], a[i]))
        bad = 1
sys.exit(bad)
PY
}

# The bench's shared group: an IOMMU group holding an edu and an e1000 (and
# maybe the bridge they sit behind). Sets SG (group), EDU1 and E1000.
find_shared_group() {
	local g d
	for g in /sys/kernel/iommu_groups/*; do
		[ "$(ls "$g/devices" | wc -l)" -ge 2 ] || continue
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

# Put the shared group's e1000 on its kernel driver, loading e1000 if needed
# (the guest has no udev to load it); e1000_restore undoes both.
E1000_ORIG="" E1000_LOADED=""
e1000_on_driver() {
	E1000_ORIG=$(driver_of "$E1000")
	if [ ! -d /sys/module/e1000 ]; then
		modprobe -q e1000 || return 1
		E1000_LOADED=1
	fi
	if [ "$(driver_of "$E1000")" != e1000 ]; then
		[ -z "$(driver_of "$E1000")" ] || echo "$E1000" >"$PCI/$E1000/driver/unbind"
		echo "$E1000" >/sys/bus/pci/drivers/e1000/bind
	fi
	[ "$(driver_of "$E1000")" = e1000 ]
}
e1000_restore() {
	[ -n "${E1000:-}" ] || return 0
	restore_driver "$E1000" "$E1000_ORIG"
	[ -z "$E1000_LOADED" ] || modprobe -r -q e1000
}

# The stack as vfioctl names it.
vstack() { case $(stack) in ours) echo nvfio ;; *) echo mainline ;; esac; }

# The runner's edu (bound to vfio-pci, alone in its group) must stay so.
check_runner_edu() {
	[ -n "${NVFIO_EDU:-}" ] || return 0
	[ "$(driver_of "$NVFIO_EDU")" = vfio-pci ] ||
		fail "the runner's edu $NVFIO_EDU left vfio-pci (now: $(driver_of "$NVFIO_EDU"))"
}
