#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# In-guest part of bench/bench.sh: in this one boot, for each stack in
# $NVFIO_BENCH_MODES (default "ours mainline"): load it, bind the root-bus edu
# to vfio-pci, run nvfio-bench, nvfio-vmstart (beside it; it starts the
# host's QEMU with the edu assigned) and nvfio-devbench (the edu, the nvme
# for MSI-X and the ivshmem for its large BAR), unbind, unload. Writes to $NVFIO_OUT:
#   bench-MODE.tsv   nvfio-bench's figures for that stack
#   bench-MODE.log   its progress and errors
#   bench-status     "ok", or why a run failed
#   setup.log, teardown.log
#   done             written last: the runner finished
# Memory set-up: THP "madvise" (the THP kind asks with MADV_HUGEPAGE, the
# 4 KiB kind refuses with MADV_NOHUGEPAGE) and 160 hugetlb pages of 2 MiB.
# Environment: NVFIO_REPO, NVFIO_OUT (required); NVFIO_BENCH (binary,
# default build/bin/nvfio-bench); NVFIO_BENCH_RUNS (runs per figure);
# NVFIO_BENCH_ARGS (more nvfio-bench options, e.g. "-v -c 4k-pages,latency");
# NVFIO_BENCH_VMSTART=0 leaves the VM start figures out.
set -u
export NVFIO_MODE=${NVFIO_MODE:-ours}
. "$(dirname "$0")/lib.sh"

BENCH=${NVFIO_BENCH:-$REPO/build/bin/nvfio-bench}
VMSTART=$(dirname "$BENCH")/nvfio-vmstart
DEVBENCH=$(dirname "$BENCH")/nvfio-devbench
RUNS=${NVFIO_BENCH_RUNS:-5}
status=ok

fail() {
	[ "$status" != ok ] || status=$1
	say "FAILED: $1"
}

echo 20 >/proc/sys/kernel/hung_task_timeout_secs
# Our type1's profile (the map floors, the VM start's split) is in debugfs.
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
echo madvise >/sys/kernel/mm/transparent_hugepage/defrag
echo 160 >/proc/sys/vm/nr_hugepages
say "hugetlb pages: $(cat /proc/sys/vm/nr_hugepages); THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"

for MODE in ${NVFIO_BENCH_MODES:-ours mainline}; do
	STACK=$(mode_stack "$MODE")
	exec 3>>"$OUT/setup.log"
	echo "== $MODE" >&3
	if ! unload_all >&3 2>&1; then
		fail "a VFIO stack is loaded and will not unload"
	elif ! load_stack >&3 2>&1; then
		fail "loading the $MODE stack failed: $(tail -n 1 "$OUT/setup.log")"
	elif ! EDU=$(find_edu 2>&3); then
		fail "$(tail -n 1 "$OUT/setup.log")"
	elif ! bind_vfio "$EDU" >&3 2>&1; then
		fail "binding $EDU to vfio-pci failed: $(tail -n 1 "$OUT/setup.log")"
	else
		say "$MODE: edu $EDU bound to vfio-pci; running ${BENCH##*/}"
		export NVFIO_EDU=$EDU
		# shellcheck disable=SC2086 # NVFIO_BENCH_ARGS is a word list
		bounded 1200 timeout -k 5 1100 "$BENCH" -r "$RUNS" ${NVFIO_BENCH_ARGS:-} \
			</dev/null >"$OUT/bench-$MODE.tsv" 2>"$OUT/bench-$MODE.log"
		rc=$?
		[ $rc -eq 0 ] || fail "$MODE: ${BENCH##*/} exited with status $rc"
		if [ "${NVFIO_BENCH_VMSTART:-1}" = 1 ]; then
			say "$MODE: running ${VMSTART##*/}"
			bounded 1200 timeout -k 5 1100 "$VMSTART" -v -r "$RUNS" "$EDU" \
				</dev/null >>"$OUT/bench-$MODE.tsv" 2>>"$OUT/bench-$MODE.log"
			rc=$?
			[ $rc -eq 0 ] || fail "$MODE: ${VMSTART##*/} exited with status $rc"
		fi
		# The device figures; MSI-X on the nvme (the most vectors).
		msix=""
		if NVME=$(find_class 0x010802 2>&3) && bind_vfio "$NVME" >&3 2>&1; then
			msix="-x $NVME"
		else
			say "$MODE: no nvme for the MSI-X figure"
		fi
		# The large BAR on the ivshmem (class 0x050000, RAM controller).
		bar=""
		if IVSHMEM=$(find_class 0x050000 2>&3) && bind_vfio "$IVSHMEM" >&3 2>&1; then
			bar="-b $IVSHMEM"
		else
			say "$MODE: no ivshmem for the large-BAR figures"
		fi
		say "$MODE: running ${DEVBENCH##*/} ${msix} ${bar}"
		# shellcheck disable=SC2086 # msix and bar are word lists
		bounded 900 timeout -k 5 800 "$DEVBENCH" -r "$RUNS" $msix $bar "$EDU" \
			</dev/null >>"$OUT/bench-$MODE.tsv" 2>>"$OUT/bench-$MODE.log"
		rc=$?
		[ $rc -eq 0 ] || fail "$MODE: ${DEVBENCH##*/} exited with status $rc"
		say "$MODE: done"
	fi
	exec 3>&-
	{
		echo "== unbind ($MODE)"
		unbind_all || fail "unbinding from vfio-pci failed"
		echo "== unload $MODE"
		unload_stack || fail "the $MODE modules did not unload (a leaked reference?)"
	} >>"$OUT/teardown.log" 2>&1
done

echo "$status" >"$OUT/bench-status"
date >"$OUT/done"
