#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks of the type1 IOMMU backend, ours vs mainline, in one guest boot
# (bench/guest/run-bench.sh loads one stack, runs build/bin/nvfio-bench,
# unloads it, and does the same with the other). Prints a markdown table:
# each figure for ours and mainline and the ratio ours/mainline as a
# speed-up (for times, latency and VM start: mainline's over ours), so above 1
# means ours is faster. The table is also saved to build/bench/results.md.
#
# Environment: NVFIO_BENCH (the binary, default build/bin/nvfio-bench; the
# guest must see it at the same path), NVFIO_BENCH_RUNS (runs per figure,
# medians; default 5),
# NVFIO_BENCH_MODES (default "ours mainline"), NVFIO_BENCH_ARGS (more
# nvfio-bench options: "-c CASES" runs a subset, e.g. "-c 4k-pages,latency";
# "-v" logs every run and each buffer's physical contiguity to
# bench-MODE.log), NVFIO_BENCH_BOOTS (default 1: that many boots, each
# with both stacks, and the table gives each figure's median and range
# over them), NVFIO_GUEST_TIMEOUT (default 1800 per boot), NVFIO_ACCEL (see
# run-guest.sh).
set -eu
. "$(dirname "$0")/lib.sh"

t_start=$(now)
BENCH=${NVFIO_BENCH:-$REPO/build/bin/nvfio-bench}
[ -x "$BENCH" ] || die "$BENCH does not exist: build it first (make tools)"
BOOTS=${NVFIO_BENCH_BOOTS:-1}
case $BOOTS in '' | *[!0-9]* | 0) die "NVFIO_BENCH_BOOTS=$BOOTS: give a number of boots, 1 or more" ;; esac
mkdir -p "$GUEST_BUILD/runs" "$BUILD/bench"

# One boot: both stacks, one after the other. Sets $out and $status.
boot() {
	out=$(mktemp -d "$GUEST_BUILD/runs/bench.XXXXXX")
	{
		echo "# written by bench/bench.sh"
		echo "export NVFIO_REPO=$(shq "$REPO") NVFIO_BENCH=$(shq "$BENCH")"
		echo "export NVFIO_BENCH_RUNS=$(shq "${NVFIO_BENCH_RUNS:-5}") NVFIO_BENCH_MODES=$(shq "${NVFIO_BENCH_MODES:-ours mainline}")"
		echo "export NVFIO_BENCH_ARGS=$(shq "${NVFIO_BENCH_ARGS:-}") NVFIO_BENCH_VMSTART=$(shq "${NVFIO_BENCH_VMSTART:-1}")"
		echo 'exec /bin/bash "$NVFIO_REPO/bench/guest/run-bench.sh"'
	} >"$out/cmd"

	echo "bench: booting a guest (files in ${out#"$REPO"/})"
	rc=0
	"$REPO/bench/run-guest.sh" "$out" "${NVFIO_GUEST_TIMEOUT:-1800}" || rc=$?

	status=$(cat "$out/bench-status" 2>/dev/null || true)
	if [ "$rc" -eq 124 ]; then
		status="the guest timed out"
	elif [ ! -f "$out/done" ]; then
		status="the guest stopped before the bench finished (QEMU status $rc): crash or panic?"
	fi
	bad=$(guest_kernel_problems "$out")
	[ -z "$bad" ] || [ "$status" != ok ] || status="the guest kernel log shows problems"
}

# The table: one row per figure, joined on (metric, kind, size), from the
# files bench-MODE.tsv of one or more boots (the file's directory is the
# boot). Over several boots a cell is the median of the boots' medians and
# their range, and the ratio is the median of each boot's ratio, with its
# range.
table() {
	awk -F'\t' '
	function human(b) {
		if (b == 0) return "-"
		if (b < 1024) return b " B"
		if (b >= 1048576) return (b / 1048576) " MiB"
		return (b / 1024) " KiB"
	}
	function med(a, n,    i, j, t) {
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
	}
	# Four significant digits or so, never an exponent.
	function num(x) {
		if (x >= 1000) return sprintf("%.0f", x)
		if (x >= 100) return sprintf("%.1f", x)
		if (x >= 10) return sprintf("%.2f", x)
		return sprintf("%.3f", x)
	}
	# Median (min - max) of the values of (mode, key) over the boots.
	function cell(mode, k,    a, n, b, m) {
		n = 0
		for (b = 0; b < nboots; b++)
			if ((mode, k, b) in val) a[n++] = val[mode, k, b]
		if (!n) return ""
		m = med(a, n)
		if (n == 1) return num(m) " " unit[k]
		return num(m) " " unit[k] " (" num(a[0]) " - " num(a[n - 1]) ")"
	}
	function ratio(k,    a, n, b, o, m) {
		n = 0
		for (b = 0; b < nboots; b++) {
			if (!((("ours", k, b) in val) && (("mainline", k, b) in val))) continue
			o = val["ours", k, b]; m = val["mainline", k, b]
			if (o <= 0 || m <= 0) continue
			a[n++] = unit[k] ~ /^u?s$/ ? m / o : o / m
		}
		if (!n) return "?"
		if (n == 1) return sprintf("%.2fx", a[0])
		return sprintf("%.2fx (%.2fx - %.2fx)", med(a, n), a[0], a[n - 1])
	}
	FNR == 1 {
		mode = (FILENAME ~ /bench-ours/) ? "ours" : "mainline"
		dir = FILENAME; sub(/\/[^\/]*$/, "", dir)
		if (!(dir in boot)) boot[dir] = nboots++
	}
	{
		key = $1 SUBSEP $2 SUBSEP $3
		if (!(key in seen)) { seen[key] = 1; order[n++] = key }
		val[mode, key, boot[dir]] = $4; unit[key] = $5
	}
	END {
		print "| figure | kind | size | ours | mainline | ours/mainline |"
		print "| --- | --- | --- | ---: | ---: | ---: |"
		for (i = 0; i < n; i++) {
			k = order[i]; split(k, f, SUBSEP)
			name = f[1]
			if (name == "threads1") name = "map, 1 thread"
			if (name == "threads2") name = "map, 2 threads"
			if (name == "threads4") name = "map, 4 threads"
			if (name ~ /^scaling/) name = "gain of " substr(name, 8) " threads vs the CPU control"
			if (name == "latency") name = "4 KiB map+unmap latency"
			if (name == "map-unfaulted") name = "map, not faulted in"
			if (name == "pin-floor") name = "floor: pin alone (io_uring buffers)"
			if (name == "unpin-floor") name = "floor: unpin alone (io_uring buffers)"
			if (name == "map-floor-pin") name = "map'"'"'s pinning alone (type1 profile)"
			if (name == "map-floor-iommu") name = "map'"'"'s iommu_map alone (type1 profile)"
			if (name == "map-floor-rest") name = "map without pinning and iommu_map (type1 profile)"
			if (name == "vm-start") name = "VM start (QEMU -S, qtest)"
			if (name == "vm-start-cost") name = "VM start, the device'"'"'s cost"
			if (name == "irq-latency") name = "interrupt to eventfd"
			if (name == "region-ops") name = "region pread/pwrite"
			if (name == "set-irqs") name = "SET_IRQS, every MSI-X vector"
			if (name == "bar-touch") name = "BAR first touch, every 4 KiB page"
			if (name == "bar-touch-gain") name = "BAR first touch, 4 KiB faults / huge"
			if (name == "map-bar") name = "DMA map of a BAR mapping"
			if (name == "unmap-bar") name = "DMA unmap of a BAR mapping"
			size = f[1] == "set-irqs" ? f[3] " vectors" : human(f[3])
			printf "| %s | %s | %s | %s | %s | %s |\n", name, f[2],
				size, cell("ours", k), cell("mainline", k), ratio(k)
		}
		if (nboots > 1) printf "\n%d boots: each cell is the median of the boots'"'"' medians (their range); the ratio is the median of the per-boot ratios (their range).\n", nboots
	}' "$@"
}

files=() failed=""
for ((b = 1; b <= BOOTS; b++)); do
	boot
	for m in ${NVFIO_BENCH_MODES:-ours mainline}; do
		[ -s "$out/bench-$m.tsv" ] && files+=("$out/bench-$m.tsv")
	done
	[ "$status" = ok ] || { failed=1; break; }
done
if [ ${#files[@]} -gt 0 ]; then
	table "${files[@]}" | tee "$BUILD/bench/results.md"
fi

if [ -z "$failed" ]; then
	echo "bench: OK ($BOOTS boot(s), the last guest ran $(cat "$out/guest-seconds") s, wall time $(since "$t_start") s)"
	exit 0
fi
echo "bench: FAILED: $status"
[ -z "$bad" ] || { echo "kernel log problems:"; head -n 20 <<<"$bad" | sed 's/^/  /'; }
for f in setup.log teardown.log bench-ours.log bench-mainline.log; do
	[ -s "$out/$f" ] && { echo "---- $f ----"; tail -n 20 "$out/$f" | tr -d '\r'; }
done
klog=$(kernel_log_of "$out")
echo "---- guest kernel log: ${klog#"$REPO"/} (last 40 lines) ----"
tail -n 40 "$klog" | tr -d '\r'
exit 1
