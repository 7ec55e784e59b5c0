#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The edu demo: boot a guest, load our modules, bind the edu to our vfio-pci,
# run build/bin/nvfio-edu-demo (it says what it does), unbind, unload, and
# show the demo's output here. Exits non-zero on any failure, and then shows
# the tail of the guest's kernel log.
#
# Environment: NVFIO_DEMO (demo binary, default build/bin/nvfio-edu-demo; one
# under /tmp or /run is copied to the guest), NVFIO_MODE (default ours;
# mainline runs the demo on the guest kernel's own vfio-pci),
# NVFIO_GUEST_TIMEOUT (default 300), NVFIO_ACCEL (see run-guest.sh).
set -eu
. "$(dirname "$0")/lib.sh"

t_start=$(now)
MODE=${NVFIO_MODE:-ours}
DEMO=${NVFIO_DEMO:-$REPO/build/bin/nvfio-edu-demo}
[ -x "$DEMO" ] || die "$DEMO does not exist: build it first (make tools)"
DEMO=$(realpath "$DEMO")

mkdir -p "$GUEST_BUILD/runs"
out=$(mktemp -d "$GUEST_BUILD/runs/demo.XXXXXX")
demo=$DEMO
case $demo in /tmp/* | /run/*)
	mkdir "$out/bin"
	cp "$demo" "$out/bin/"
	demo=/run/nvfio/bin/${demo##*/}
	;;
esac
cat >"$out/cmd" <<CMD
# written by bench/demo.sh
export NVFIO_REPO=$(shq "$REPO") NVFIO_MODE=$(shq "$MODE") NVFIO_DEMO=$(shq "$demo")
exec /bin/bash "\$NVFIO_REPO/bench/guest/run-demo.sh"
CMD

echo "demo: booting a guest ($MODE modules; files in ${out#"$REPO"/})"
rc=0
"$REPO/bench/run-guest.sh" "$out" "${NVFIO_GUEST_TIMEOUT:-300}" || rc=$?

echo "---- ${DEMO##*/} output (in the guest) ----"
cat "$out/demo.log" 2>/dev/null || echo "(no output: the demo did not run)"
echo "----"

status=$(cat "$out/demo-status" 2>/dev/null || true)
if [ "$rc" -eq 124 ]; then
	status="the guest timed out"
elif [ ! -f "$out/done" ]; then
	status="the guest stopped before the demo finished (QEMU status $rc): crash or panic?"
fi
bad=$(guest_kernel_problems "$out")
if [ "$status" = ok ] && [ -n "$bad" ]; then
	status="the guest kernel log shows problems"
fi

if [ "$status" = ok ]; then
	echo "demo: OK (guest ran $(cat "$out/guest-seconds") s, wall time $(since "$t_start") s)"
	exit 0
fi
echo "demo: FAILED: $status"
[ -z "$bad" ] || { echo "kernel log problems:"; head -n 20 <<<"$bad" | sed 's/^/  /'; }
for f in setup.log teardown.log; do
	[ -s "$out/$f" ] && { echo "---- $f ----"; tr -d '\r' <"$out/$f"; }
done
klog=$(kernel_log_of "$out")
echo "---- guest kernel log: ${klog#"$REPO"/} (last 60 lines) ----"
tail -n 60 "$klog" | tr -d '\r'
exit 1
