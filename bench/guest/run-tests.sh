#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# In-guest test runner for bench/check.sh (runs as root in the chrooted host
# root, one guest boot per mode).
#
# Loads the NVFIO_MODE stack (ours: our modules from the repo; mainline: the
# guest kernel's vfio-pci; package: whatever a plain `modprobe vfio-pci`
# loads, which must be the stack NVFIO_PACKAGE_EXPECT says, see lib.sh),
# binds the root-bus edu to "vfio-pci", runs each test of `nvfio-tests
# --list` and each client test (tests/clients/client_*.sh) whose name
# contains $T (or one of several substrings separated by commas:
# T=edu_,client_) under a time limit (in mode ours-noiommu, a guest without
# the vIOMMU where no device has an IOMMU group, it binds nothing and runs
# only the no-IOMMU mode's tests, named noiommu_* and client_*noiommu*,
# which the other modes leave out),
# then unbinds, unloads and writes to $NVFIO_OUT:
#   results.tsv   one line per result: pass|fail|skip <TAB> name <TAB> reason
#                 <TAB> seconds (for a pass, the reason is the test's last
#                 "note: " line, if any; seconds is the test's wall time,
#                 empty for the pseudo-tests)
#   logs/NAME.log each test's output (+ the kernel messages it caused)
#   logs/setup.log, logs/teardown.log
#   matched       how many tests matched $T
#   current       the test running now (tells the host where a crash happened)
#   done          written last: the runner finished
# Pseudo-tests: "setup" (only when setup fails), "module-unload" (our stack:
# our modules must unload after the tests, else a reference leaked),
# "mode-isolation" (our stack: mainline vfio must not get loaded),
# "coexistence" (ours and mainline modes: the other stack refuses to load
# next to this one), "modprobe-vfio-pci" (package mode: a plain modprobe
# loaded the expected stack; its log says from where).
#
# Environment: NVFIO_REPO, NVFIO_MODE, NVFIO_OUT (required); T (name
# filter); NVFIO_PACKAGE_EXPECT, NVFIO_PACKAGE_VERSION (package mode); NVFIO_TESTS (test binary, default build/bin/nvfio-tests);
# NVFIO_TEST_TIMEOUT (seconds per test, default 120).
set -u
. "$(dirname "$0")/lib.sh"

TESTS=${NVFIO_TESTS:-$REPO/build/bin/nvfio-tests}
CLIENTS=$REPO/tests/clients
TT=${NVFIO_TEST_TIMEOUT:-120}
FILTER=${T:-}
RES=$OUT/results.tsv
LOGS=$OUT/logs
# The kernel-log lines that fail a test: the bench's one list (bench/lib.sh).
BAD_KERNEL_LOG=$(cat "$REPO/bench/bad-kernel-log.ere")
mkdir -p "$LOGS"
: >"$RES"

# $1: pass|fail|skip, $2: name, $3: reason, $4: seconds the test took.
result() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "${3:-}" "${4:-}" >>"$RES"
	say "$1 $2${3:+ ($3)}"
}

# Unbind, unload, write the done marker. $1: whether our modules got loaded.
finish() {
	local loaded_ok=$1 why
	echo "" >"$OUT/current"
	[ -z "${KMSG_CAT:-}" ] || kill "$KMSG_CAT" 2>/dev/null
	{
		echo "== unbind"
		unbind_all
		kmemleak_scan "$MODE stack loaded"
		echo "== unload $MODE"
		unload_stack
		echo "== VFIO modules still loaded:"
		lsmod | grep -E '^(nvfio|vfio)' || echo "(none)"
		kmemleak_scan "$MODE stack unloaded"
	} >"$LOGS/teardown.log" 2>&1
	if [ -w "$KMEMLEAK" ]; then
		if grep -q 'unreferenced object' "$LOGS/kmemleak.log"; then
			result fail kmemleak "$(grep -c 'unreferenced object' "$LOGS/kmemleak.log") reports; first: $(grep -m1 -A12 'unreferenced object' "$LOGS/kmemleak.log" | grep -E '\[<' | grep -m1 -vE 'kmemleak|kmalloc|slab|kasan|alloc_pages|__alloc|kvmalloc|kzalloc' | sed 's/^ *//')"
		else
			result pass kmemleak
		fi
	fi
	if [ "$STACK" = ours ]; then
		if loaded vfio || loaded vfio_iommu_type1 || loaded vfio_pci || loaded nvfio_ext_test || loaded nvfio_bypass_test; then
			why=$(grep -v '^==' "$LOGS/teardown.log" | tail -n 1)
			result fail module-unload "our modules did not unload (a leaked reference?): $why"
			cp "$LOGS/teardown.log" "$LOGS/module-unload.log"
		elif [ "$loaded_ok" = yes ]; then
			result pass module-unload
		fi
	fi
	say "finished"
	date >"$OUT/done"
	exit 0
}

setup_failed() {
	result fail setup "$1"
	finish "${2:-no}"
}

# Hangs should show up as "INFO: task ... blocked" well before the host's
# guest timeout.
echo 20 >/proc/sys/kernel/hung_task_timeout_secs

# kmemleak, on kernels that have it (the debug kernel): forget what boot
# leaked, then scan after the tests twice - with the stack loaded (reports
# name our functions) and after it is unloaded (what our exit paths left
# behind; the backtraces of unloaded code are bare addresses). Any report is
# the pseudo-test "kmemleak".
KMEMLEAK=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ -w "$KMEMLEAK" ]; then
	echo scan >"$KMEMLEAK" && echo clear >"$KMEMLEAK"
fi
# $1: label. kmemleak reports only objects older than 5 s.
kmemleak_scan() {
	[ -w "$KMEMLEAK" ] || return 0
	sleep 6
	echo scan >"$KMEMLEAK"
	{
		echo "== kmemleak scan ($1)"
		cat "$KMEMLEAK"
	} >>"$LOGS/kmemleak.log"
}

exec 3>"$LOGS/setup.log"
echo "== make sure neither stack is loaded" >&3
unload_all >&3 2>&1 || setup_failed "a VFIO stack is loaded and will not unload"
echo "== load $MODE" >&3
if ! load_stack >&3 2>&1; then
	if [ "$MODE" = package ]; then
		cp "$LOGS/setup.log" "$LOGS/modprobe-vfio-pci.log"
		result fail modprobe-vfio-pci "$(tail -n 1 "$LOGS/setup.log")"
		finish no
	fi
	setup_failed "loading the $MODE stack failed: $(tail -n 1 "$LOGS/setup.log")"
fi
if [ "$MODE" = package ]; then
	sed -n '/^== load/,$p' "$LOGS/setup.log" >"$LOGS/modprobe-vfio-pci.log"
	result pass modprobe-vfio-pci
fi
# No device has an IOMMU group without the vIOMMU: the no-IOMMU tests bind
# the devices they use themselves, with the mode on.
if [ "$MODE" != ours-noiommu ]; then
	echo "== find and bind the edu" >&3
	EDU=$(find_edu 2>&3) || setup_failed "$(tail -n 1 "$LOGS/setup.log")" yes
	bind_vfio "$EDU" >&3 2>&1 || setup_failed "binding $EDU to vfio-pci failed: $(tail -n 1 "$LOGS/setup.log")" yes
	say "edu $EDU bound to vfio-pci"
	export NVFIO_EDU=$EDU
fi
# The tests know two stacks: package mode runs them as its STACK.
export NVFIO_MODE=$STACK

[ -x "$TESTS" ] || setup_failed "$TESTS does not exist: build it first (make tests)" yes
echo "== $TESTS --list" >&3
list=$(bounded 60 "$TESTS" --list 2>&3) || setup_failed "'$TESTS --list' failed" yes
# The client tests: scripts driving unmodified programs (DPDK, driverctl).
for f in "$CLIENTS"/client_*.sh; do
	[ -e "$f" ] && list+=$'\n'$(basename "$f" .sh)
done
exec 3>&-

# The kernel log, test by test, without a process per test: under TCG a
# fork and exec from the 9p root costs about 0.1 s, and the dozen processes
# a test used to cost (two dmesg pipelines, grep, cut, tr...) made the
# runner's own time 1.4 s a test on 6.12-rt, where the median test takes
# 0.3 s. One `cat /dev/kmsg` (kmsg_reader) copies every record to
# $KMSG_DIR/raw for the whole run; kmsg_new writes a numbered mark into the
# log and reads the new records from fd 5 up to it, so every message logged
# before it returns is there. If the ring overwrote records before cat read
# them, cat stops at that EPIPE: kmsg_new starts another, and the sequence
# numbers skip the records it copies again. fd 6 is a fifo nobody writes:
# `read -t` on it is a sleep without a process.
KMSG_DIR=$(mktemp -d)
mkfifo "$KMSG_DIR/nap"
exec 6<>"$KMSG_DIR/nap"
: >"$KMSG_DIR/raw"
kmsg_reader() {
	cat /dev/kmsg >>"$KMSG_DIR/raw" 2>/dev/null 5<&- 6<&- &
	KMSG_CAT=$!
}
kmsg_reader
exec 5<"$KMSG_DIR/raw" || setup_failed "cannot read $KMSG_DIR/raw" yes
kmsg_seq=-1 kmsg_marks=0 kmsg_pending=""

# Sets kmsg (the records since the last call, one per line, as dmesg shows
# them) and kmsg_bad (the first of them matching BAD_KERNEL_LOG, without its
# time stamp). $1: what the mark names (it shows in dmesg.txt).
kmsg_new() {
	local mark rec="" hdr msg seq ts line naps=0
	kmsg_marks=$((kmsg_marks + 1))
	mark="nvfio-runner: mark $kmsg_marks${1:+ ($1)}"
	# Level 7: the mark stays off the console.
	echo "<7>$mark" >/dev/kmsg
	kmsg="" kmsg_bad=""
	while :; do
		if ! IFS= read -r rec <&5; then
			# At the end of the copy, maybe in the middle of a line.
			kmsg_pending+=$rec
			if [ $naps -ge 500 ]; then
				kmsg+="(the runner lost its kernel log reader: no mark after 10 s)"$'\n'
				return 0
			fi
			naps=$((naps + 1))
			kill -0 "$KMSG_CAT" 2>/dev/null || kmsg_reader
			read -r -t 0.02 -u 6 _
			continue
		fi
		rec=$kmsg_pending$rec kmsg_pending=""
		# "level,seq,usecs,flags;text"; dictionary lines start with a space.
		[[ $rec == [0-9]*\;* ]] || continue
		hdr=${rec%%;*} msg=${rec#*;}
		seq=${hdr#*,} seq=${seq%%,*}
		ts=${hdr#*,*,} ts=${ts%%,*}
		[ "$seq" -gt "$kmsg_seq" ] || continue
		kmsg_seq=$seq
		[ "$msg" != "$mark" ] || return 0
		printf -v line '[%5d.%06d] %s' $((ts / 1000000)) $((ts % 1000000)) "$msg"
		kmsg+=$line$'\n'
		[ -n "$kmsg_bad" ] || [[ ! $msg =~ $BAD_KERNEL_LOG ]] || kmsg_bad=$msg
	done
}
kmsg_new "boot"

# The reason a test skipped: its last line mentioning "skip", else its last line.
skip_reason() {
	local r
	r=$(grep -i skip "$1" | tail -n 1)
	[ -n "$r" ] || r=$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)
	shopt -s nocasematch
	[[ $r =~ ^[[:space:]]*skip(ped)?[[:space:]]*[:-]?[[:space:]]*(.*) ]] && r=${BASH_REMATCH[2]}
	shopt -u nocasematch
	echo "${r:0:160}"
}

run_one() {
	local t=$1 log rc t0 us secs note l
	local -a lines
	# (bench/check.sh's test_log finds it by the same name.)
	log=$LOGS/${t//[^A-Za-z0-9._-]/_}.log
	echo "$t" >"$OUT/current"
	# A client test is a script; the others are in the test binary.
	local cmd=("$TESTS" --run "$t")
	[[ $t != client_* ]] || cmd=(/bin/bash "$CLIENTS/$t.sh")
	# timeout(1) stops a slow test; bounded() gives up on one stuck in the kernel.
	t0=${EPOCHREALTIME//[^0-9]/}
	bounded $((TT + 15)) timeout -k 5 "$TT" "${cmd[@]}" </dev/null >"$log" 2>&1 5<&- 6<&-
	rc=$?
	us=$((${EPOCHREALTIME//[^0-9]/} - t0))
	printf -v secs '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
	kmsg_new "after $t"
	if [ -n "$kmsg" ]; then
		printf '\n---- kernel messages during this test ----\n%s' "$kmsg" >>"$log"
	fi
	if [ -n "$kmsg_bad" ]; then
		result fail "$t" "kernel: ${kmsg_bad:0:120}" "$secs"
	elif [ $rc -eq 0 ]; then
		# A test's last "note: " line goes with its result (e.g. a rate).
		note=""
		mapfile -t lines <"$log"
		for l in "${lines[@]}"; do
			[[ $l != "note: "* ]] || note=${l#note: }
		done
		result pass "$t" "${note:0:160}" "$secs"
	elif [ $rc -eq 77 ]; then
		result skip "$t" "$(skip_reason "$log")" "$secs"
	elif [ $rc -eq 124 ]; then
		result fail "$t" "timed out after $TT s" "$secs"
	else
		result fail "$t" "exit status $rc" "$secs"
	fi
}

# Pseudo-test "coexistence": the other stack must not get in while this one
# is loaded (both are named vfio and own /dev/vfio/vfio and vfio-pci), and
# trying must change nothing.
coexistence() {
	local log=$LOGS/coexistence.log out
	kmsg_new "before coexistence"
	case $MODE in
	mainline)
		# Our loader refuses with a clear message; a raw insmod of our
		# vfio.ko is refused by the module loader (the name is taken).
		if out=$(load_ours 2>&1); then
			result fail coexistence "our loader loaded nvfio next to mainline's vfio"
		elif ! grep -q "mainline's vfio .* is loaded: unload it first" <<<"$out"; then
			result fail coexistence "our loader failed without saying why: $out"
		elif bounded 60 insmod "$REPO/$KMOD/core/vfio.ko" >>"$log" 2>&1; then
			result fail coexistence "insmod of our vfio.ko succeeded next to mainline's vfio"
		elif [ "$(stack_loaded)" != mainline ] || ! loaded vfio_pci_core; then
			result fail coexistence "mainline's stack changed: vfio is now $(stack_loaded)"
		else
			result pass coexistence
		fi
		echo "$out" >>"$log"
		;;
	ours)
		# modprobe finds vfio-pci loaded (ours, same name) and does nothing.
		bounded 60 modprobe vfio-pci vfio_iommu_type1 >"$log" 2>&1
		if loaded vfio_pci_core; then
			result fail coexistence "modprobe loaded mainline's vfio_pci_core next to nvfio"
		elif [ "$(stack_loaded)" != ours ]; then
			result fail coexistence "vfio is now $(stack_loaded)'s"
		else
			result pass coexistence
		fi
		;;
	esac
	kmsg_new "after coexistence"
	printf '%s' "$kmsg" >>"$log"
}

# Does test name $1 belong to this mode's boot, and match the filter (one of
# its comma-separated substrings)? The no-IOMMU mode's tests need a guest
# without the vIOMMU and run only in mode ours-noiommu, alone.
matches() {
	local f fs noiommu=no
	[[ $1 == noiommu_* || $1 == client_*noiommu* ]] && noiommu=yes
	if [ "$MODE" = ours-noiommu ]; then
		[ $noiommu = yes ] || return 1
	else
		[ $noiommu = no ] || return 1
	fi
	[ -n "$FILTER" ] || return 0
	IFS=, read -ra fs <<<"$FILTER"
	for f in "${fs[@]}"; do
		[ -n "$f" ] && [[ $1 == *"$f"* ]] && return 0
	done
	return 1
}

n=0
if { [ "$MODE" = ours ] || [ "$MODE" = mainline ]; } && matches coexistence; then
	coexistence
	n=$((n + 1))
fi
while IFS= read -r t; do
	[ -n "$t" ] || continue
	matches "$t" || continue
	run_one "$t"
	n=$((n + 1))
done <<<"$list"
echo "$n" >"$OUT/matched"
[ $n -gt 0 ] || say "no test matches T='$FILTER'"

if [ "$STACK" = ours ] && { loaded vfio_pci_core || [ "$(stack_loaded)" != ours ]; }; then
	result fail mode-isolation "mainline's vfio got loaded during the ours run"
fi
finish yes
