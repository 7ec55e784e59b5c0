#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# In-guest part of bench/demo.sh: load our modules, bind the root-bus edu to
# vfio-pci, run the edu demo, unbind, unload. Writes to $NVFIO_OUT:
#   demo.log     the demo's output (shown on the host)
#   demo-status  "ok", or why the demo failed
#   done         written last: the runner finished
# Environment: NVFIO_REPO, NVFIO_MODE, NVFIO_OUT (required); NVFIO_DEMO (the
# demo binary, default build/bin/nvfio-edu-demo).
set -u
. "$(dirname "$0")/lib.sh"

DEMO=${NVFIO_DEMO:-$REPO/build/bin/nvfio-edu-demo}
LOG=$OUT/demo.log
status=ok

fail() {
	[ "$status" != ok ] || status=$1
	say "FAILED: $1"
}

echo 20 >/proc/sys/kernel/hung_task_timeout_secs
exec 3>"$OUT/setup.log"
if ! unload_all >&3 2>&1; then
	fail "a VFIO stack is loaded and will not unload"
elif ! load_stack >&3 2>&1; then
	fail "loading the $MODE modules failed: $(tail -n 1 "$OUT/setup.log")"
elif ! EDU=$(find_edu 2>&3); then
	fail "$(tail -n 1 "$OUT/setup.log")"
elif ! bind_vfio "$EDU" >&3 2>&1; then
	fail "binding $EDU to vfio-pci failed: $(tail -n 1 "$OUT/setup.log")"
else
	say "edu $EDU bound to vfio-pci; running ${DEMO##*/}"
	export NVFIO_MODE NVFIO_EDU=$EDU
	bounded 135 timeout -k 5 120 "$DEMO" </dev/null >"$LOG" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "${DEMO##*/} exited with status $rc$([ $rc -ne 124 ] || echo ' (timed out)')"
fi
exec 3>&-

{
	echo "== unbind"
	unbind_all || fail "unbinding from vfio-pci failed"
	echo "== unload $MODE"
	unload_stack || fail "our modules did not unload (a leaked reference?)"
} >"$OUT/teardown.log" 2>&1

echo "$status" >"$OUT/demo-status"
date >"$OUT/done"
