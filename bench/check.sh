#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the test suite in guests: for each kernel (6.12, then 6.1), one boot per
# mode (ours, then mainline, then ours-noiommu), so a crash in one does not
# hide the others' results; then the package test (bench/package.sh: build, install and remove
# nvfio-dkms, guest boots on each side, for every kernel). Prints TAP-style
# lines per test, one summary line per kernel and mode ("KVER MODE: N passed,
# M failed, K skipped") and a total; exits non-zero if anything failed.
#
# A mode fails if a test fails, if its guest times out or dies, if our modules
# do not unload, or if the guest kernel log shows a BUG/WARNING/Oops/lockup/
# stall/hung task (see BAD_KERNEL_LOG in bench/lib.sh).
#
# Environment:
#   T                   run only the tests whose name contains T (make check T=dma;
#                       several substrings: T=edu_,dma_); the package test runs
#                       only without T or with T=package
#   KERNELS             kernels to boot, as series or releases (default "6.12 6.1",
#                       see scripts/kver.sh; make check KERNELS=6.1)
#   NVFIO_MODES         modes to run (default "ours mainline ours-noiommu";
#                       "package" is bench/package.sh's). ours-noiommu is our
#                       stack in a guest without the vIOMMU (NVFIO_VIOMMU=0,
#                       bench/run-guest.sh), where no device has an IOMMU
#                       group: it runs only the no-IOMMU mode's tests
#                       (noiommu_*, client_*noiommu*), which the other modes
#                       leave out; it is not booted when T matches none of them
#   NVFIO_PACKAGE=0     no package test
#   NVFIO_TESTS         test binary (default build/bin/nvfio-tests); it is
#                       copied at the start and every boot runs that copy
#   NVFIO_TEST_TIMEOUT  seconds per test in the guest (default 120)
#   NVFIO_GUEST_TIMEOUT seconds per guest boot (default 1800: a boot of the
#                       whole suite takes 8-15 min on 2 cores, more when the
#                       host is busy; hangs inside a test are caught by the
#                       per-test timeout, this only catches a wedged guest)
#   NVFIO_ACCEL=kvm     see bench/run-guest.sh
# Every other NVFIO_* variable is passed on to the guest as well.
# Each boot's files (results.tsv, logs/, console.log, dmesg.txt) are kept in
# build/guest/runs/KVER-MODE.XXXXXX for a day. Each kernel's guests load the
# modules built for it (build/kmod/KVER, make modules-all).
set -eu
. "$(dirname "$0")/lib.sh"

t_start=$(now)
MODES=${NVFIO_MODES:-ours mainline ours-noiommu}
KERNELS=${KERNELS:-$("$REPO/scripts/kver.sh" --series)}
GUEST_TIMEOUT=${NVFIO_GUEST_TIMEOUT:-1800}
TESTS=${NVFIO_TESTS:-$REPO/build/bin/nvfio-tests}
[ -x "$TESTS" ] || die "$TESTS does not exist: build the tests first (make tests)"
TESTS=$(realpath "$TESTS")

RUNS=$GUEST_BUILD/runs
mkdir -p "$RUNS"
find "$RUNS" -mindepth 1 -maxdepth 1 -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
SNAP=$(mktemp -d "$RUNS/bin.XXXXXX")
cp "$TESTS" "$SNAP/"

# The command file: environment for the in-guest runner, then the runner.
write_cmd() {
	local out=$1 mode=$2 tests=$3 v
	{
		echo "# written by bench/check.sh"
		for v in $(compgen -e | grep '^NVFIO_' || true); do
			echo "export $v=$(shq "${!v}")"
		done
		echo "export T=$(shq "${T:-}")"
		echo "export NVFIO_REPO=$(shq "$REPO") NVFIO_MODE=$mode NVFIO_TESTS=$(shq "$tests")"
		echo 'exec /bin/bash "$NVFIO_REPO/bench/guest/run-tests.sh"'
	} >"$out/cmd"
}

# Where the guest runner keeps a test's output: the name run-tests.sh's
# run_one gives it.
test_log() { echo "$out/logs/${1//[^A-Za-z0-9._-]/_}.log"; }

num=0 all_pass=0 all_fail=0 all_skip=0
declare -A mode_out=()

# Print one result as a TAP line; for a failure, also the test's log.
report() {
	local st=$1 name=$2 why=$3 log
	num=$((num + 1))
	case $st in
	pass)
		echo "ok $num - $KVER/$mode/$name"
		[ -z "$why" ] || echo "#   note: $why"
		m_pass=$((m_pass + 1))
		;;
	skip)
		echo "ok $num - $KVER/$mode/$name # SKIP ${why:-no reason given}"
		m_skip=$((m_skip + 1))
		;;
	*)
		echo "not ok $num - $KVER/$mode/$name"
		m_fail=$((m_fail + 1))
		[ -z "$why" ] || echo "#   $why"
		log=$(test_log "$name")
		if [ -f "$log" ]; then
			echo "#   ---- ${log#"$REPO"/} (last 80 lines) ----"
			tail_prefixed 80 "$log"
		fi
		;;
	esac
}

# Report the results the guest has appended since the last call. Only whole
# lines count: the guest may be writing the next one.
shown=0
show_new() {
	local f=$out/results.tsv n line st name why secs
	[ -f "$f" ] || return 0
	n=$(wc -l <"$f")
	while [ "$shown" -lt "$n" ]; do
		shown=$((shown + 1))
		line=$(sed -n "${shown}p" "$f")
		# Fields may be empty: split at a separator read(1) does not merge.
		IFS=$'\x1f' read -r st name why secs <<<"${line//$'\t'/$'\x1f'}"
		report "$st" "$name" "$why"
	done
}

# Whether T selects any test of the ours-noiommu boot (the no-IOMMU mode's
# tests: noiommu_*, client_*noiommu*; see bench/guest/run-tests.sh).
noiommu_tests_match() {
	local t f fs
	[ -n "${T:-}" ] || return 0
	IFS=, read -ra fs <<<"$T"
	while IFS= read -r t; do
		[[ $t == noiommu_* || $t == client_*noiommu* ]] || continue
		for f in "${fs[@]}"; do
			[ -n "$f" ] && [[ $t == *"$f"* ]] && return 0
		done
	done < <("$SNAP/${TESTS##*/}" --list; for f in "$REPO"/tests/clients/client_*.sh; do basename "$f" .sh; done)
	return 1
}

# Where a boot's time went: its slowest tests (results.tsv's 4th column,
# seconds) and what all its tests took together.
slowest() {
	[ -f "$1" ] || return 0
	awk -F'\t' '$4 != "" { s += $4; n++ }
		END { if (n) printf "# %s: %d tests took %.0f s\n", p, n, s }' p="$KVER $mode" "$1"
	awk -F'\t' '$4 != "" { print $4 "\t" $2 }' "$1" | sort -rn | head -n 8 |
		awk -F'\t' '{ s = s (NR > 1 ? ", " : "") $2 " " $1 " s" }
			END { if (NR) printf "# %s: slowest: %s\n", p, s }' p="$KVER $mode"
}

run_mode() {
	local tests=$TESTS rc=0 current bad klog ready secs viommu=1
	mode=$1 m_pass=0 m_fail=0 m_skip=0 shown=0
	[ "$mode" != ours-noiommu ] || viommu=0
	out=$(mktemp -d "$RUNS/$KVER-$mode.XXXXXX")
	# Every boot runs the snapshot taken at the start, in its own share:
	# a rebuild during the check cannot change the binary under a run.
	mkdir "$out/bin"
	cp "$SNAP/${tests##*/}" "$out/bin/"
	tests=/run/nvfio/bin/${tests##*/}
	write_cmd "$out" "$mode" "$tests"

	echo "# $KVER $mode: booting a guest (files in ${out#"$REPO"/})"
	NVFIO_VIOMMU=$viommu "$REPO/bench/run-guest.sh" "$out" "$GUEST_TIMEOUT" &
	local pid=$!
	# The background run-guest.sh ignores Ctrl-C (a non-interactive shell's
	# async job): on an interrupt, stop it (and so the guest) explicitly.
	# shellcheck disable=SC2064 # expand $pid now
	trap "kill -TERM $pid 2>/dev/null; wait $pid || true; echo '# interrupted'; exit 130" INT TERM HUP
	while kill -0 "$pid" 2>/dev/null; do
		show_new
		sleep 1
	done
	wait "$pid" || rc=$?
	trap - INT TERM HUP
	show_new

	current=$(cat "$out/current" 2>/dev/null || true)
	if [ "$rc" -eq 124 ]; then
		report fail guest "guest timed out after $GUEST_TIMEOUT s${current:+ during test $current}"
	elif [ ! -f "$out/done" ]; then
		report fail guest "guest stopped before the runner finished (QEMU status $rc${current:+, during test $current}): crash, panic or setup error"
		# QEMU's own messages, minus its warning about the NICs' isolated hubs.
		grep -v 'is not connected to host network' "$out/qemu.log" | tail -n 10 | sed 's/^/#   /' || true
	fi
	# The output of the test the guest was in when it hung or died.
	if [ ! -f "$out/done" ] && [ -n "$current" ]; then
		local clog
		clog=$(test_log "$current")
		echo "#   ---- ${clog#"$REPO"/} (last 80 lines) ----"
		tail_prefixed 80 "$clog"
	fi
	bad=$(guest_kernel_problems "$out")
	if [ -n "$bad" ]; then
		report fail kernel-log "the guest kernel log shows problems:"
		head -n 20 <<<"$bad" | sed 's/^/#   /'
	fi
	if [ "$m_fail" -gt 0 ]; then
		klog=$(kernel_log_of "$out")
		echo "#   ---- guest kernel log: ${klog#"$REPO"/} (last 60 lines) ----"
		tail_prefixed 60 "$klog"
	fi

	if [ -n "${T:-}" ] && [ -f "$out/matched" ]; then
		echo "# $KVER $mode: $(cat "$out/matched") tests match T='$T'"
	fi
	secs=$(cat "$out/guest-seconds" 2>/dev/null || echo '?')
	ready=$(cat "$out/ready-uptime" 2>/dev/null || echo '?')
	echo "# $KVER $mode: guest ran ${secs} s; ready after ${ready} s of guest uptime$(
		awk -v r="$ready" 'BEGIN { if (r + 0 > 10) print " (slow boot)" }')"
	slowest "$out/results.tsv"
	echo "$KVER $mode: $m_pass passed, $m_fail failed, $m_skip skipped"
	all_pass=$((all_pass + m_pass)) all_fail=$((all_fail + m_fail)) all_skip=$((all_skip + m_skip))
	mode_out[$mode]=$out
}

# "pci-SUB-compare": what the PCI tests recorded in artifacts/SUB/MODE/ must
# be identical in both modes: config space dumps (pci_config_dump, *.bin,
# byte for byte) and ioctl records (pci_info_dump, *.txt), on the same kernel.
# Only when both modes ran and both wrote records.
artifacts_compare() {
	local o=${mode_out[ours]:-} m=${mode_out[mainline]:-} d sub f g name diffs
	[ -n "$o" ] && [ -n "$m" ] && [ -d "$m/artifacts" ] || return 0
	mode=both m_pass=0 m_fail=0 m_skip=0
	for d in "$m"/artifacts/*/mainline; do
		sub=${d%/mainline}
		sub=${sub##*/}
		[ -d "$o/artifacts/$sub/ours" ] || continue
		diffs=""
		for f in "$d"/*; do
			name=${f##*/}
			g=$o/artifacts/$sub/ours/$name
			if [ ! -f "$g" ]; then
				diffs+="$name: missing in ours"$'\n'
			elif cmp -s "$f" "$g"; then
				continue
			elif [[ $name == *.bin ]]; then
				diffs+="$name differs (offset: mainline ours):"$'\n'
				diffs+=$(cmp -l "$f" "$g" | awk 'function oct(s, v, i) { v = 0; for (i = 1; i <= length(s); i++) v = v * 8 + substr(s, i, 1); return v }
					{ printf "  0x%03x: %02x %02x\n", $1 - 1, oct($2), oct($3) }' | head -n 40)$'\n'
			else
				diffs+="$name differs (- mainline, + ours):"$'\n'
				diffs+=$(diff -U1 "$f" "$g" | tail -n +3 | head -n 60)$'\n'
			fi
		done
		if [ -z "$diffs" ]; then
			report pass "pci-$sub-compare" ""
		else
			report fail "pci-$sub-compare" "artifacts/$sub differ between ours and mainline"
			printf '%s' "$diffs" | sed 's/^/#   /'
		fi
	done
	all_pass=$((all_pass + m_pass)) all_fail=$((all_fail + m_fail))
}

for m in $MODES; do
	case $m in ours | mainline | ours-noiommu | package) ;; *) die "unknown mode '$m' in NVFIO_MODES" ;; esac
done
# Every kernel's modules must be there before the first boot.
for k in $KERNELS; do
	use_kernel "$k"
	for ko in core/vfio.ko iommu_type1/vfio_iommu_type1.ko pci/vfio-pci.ko testing/nvfio_ext_test.ko; do
		[ -f "$BUILD/kmod/$KVER/kernel/$ko" ] ||
			die "$BUILD/kmod/$KVER/kernel/$ko does not exist: build it first (make modules-all)"
	done
done
summary=()
for k in $KERNELS; do
	use_kernel "$k"
	mode_out=()
	for m in $MODES; do
		# No boot for a T that selects none of its tests.
		[ "$m" != ours-noiommu ] || noiommu_tests_match || continue
		run_mode "$m"
		summary+=("$KVER $mode: $m_pass passed, $m_fail failed, $m_skip skipped")
	done
	artifacts_compare
done

# The package test, streamed; its closing "package: N passed, M failed, K
# skipped" line goes into the total. It cleans up after itself on an
# interrupt: wait for it.
run_package() {
	local line pid got="" interrupted=""
	local re='^package: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$'
	[ "${NVFIO_PACKAGE:-1}" != 0 ] || return 0
	[ -z "${T:-}" ] || [ "$T" = package ] || return 0
	exec 8< <(NVFIO_TAP_BASE=$num T='' KERNELS="$KERNELS" "$REPO/bench/package.sh" 2>&1)
	pid=$!
	# shellcheck disable=SC2064 # expand $pid now
	trap "interrupted=1; kill -TERM $pid 2>/dev/null" INT TERM HUP
	while IFS= read -r line <&8; do
		case $line in
		"ok "* | "not ok "*) num=$((num + 1)) ;;
		esac
		if [[ $line =~ $re ]]; then
			all_pass=$((all_pass + BASH_REMATCH[1]))
			all_fail=$((all_fail + BASH_REMATCH[2]))
			all_skip=$((all_skip + BASH_REMATCH[3]))
			got=1
		fi
		echo "$line"
	done
	exec 8<&-
	trap - INT TERM HUP
	[ -z "$interrupted" ] || { echo "# interrupted"; exit 130; }
	if [ -z "$got" ]; then
		num=$((num + 1)) all_fail=$((all_fail + 1))
		echo "not ok $num - package/package.sh"
		echo "#   bench/package.sh ended without its summary line"
	fi
}
run_package

echo "1..$num"
printf '%s\n' "${summary[@]}"
echo "# wall time: $(since "$t_start") s"
echo "total: $all_pass passed, $all_fail failed, $all_skip skipped"
[ "$all_fail" -eq 0 ]
