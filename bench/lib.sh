# SPDX-License-Identifier: GPL-2.0-only
# Common definitions for the host side of the guest bench. Source it from bash:
#   . "$(dirname "$0")/lib.sh"
# It sets REPO, BUILD, GUEST_BUILD, KVER, VMLINUZ, LOCK and a few helpers.

# The repository root is derived from this file's location, so the bench works
# wherever the repo was cloned (the guest sees it at the same absolute path).
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$REPO/build
GUEST_BUILD=$BUILD/guest

# Only one guest may run at a time on these machines (2 cores, shared by
# several people): every QEMU launch holds this lock.
LOCK=/tmp/nvfio-guest.lock

# Kernel log lines that make a run fail, as one extended regex (one list,
# which the in-guest runner reads too).
BAD_KERNEL_LOG=$(cat "$REPO/bench/bad-kernel-log.ere")

die() { echo "${0##*/}: error: $*" >&2; exit 1; }
note() { echo "${0##*/}: $*" >&2; }

# Seconds since the epoch with a fraction, and a duration in seconds.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Make the guest kernel the newest installed kernel of series $1 (6.12, 6.1,
# 6.12-rt; see scripts/kver.sh) with image and headers, release $1 itself, or
# "debug" (the debug kernel in build/debug-kernel): sets and exports KVER
# (run-guest.sh and mkinitramfs.sh read it), VMLINUZ and MODBASE (the root
# of the kernel's /lib/modules tree: / for Debian's kernels, the build's
# modules_install tree for the debug kernel, which the guest's /init mounts
# at /lib/modules/KVER).
DEBUG_KERNEL=$BUILD/debug-kernel
use_kernel() {
	KVER=$("$REPO/scripts/kver.sh" "$1") || {
		[ "$1" != debug ] || die "no debug kernel built: run 'make debug-kernel' first"
		die "no Debian $1 kernel with headers installed: run 'make setup' first"
	}
	if [ -f "$DEBUG_KERNEL/release" ] && [ "$KVER" = "$(cat "$DEBUG_KERNEL/release")" ]; then
		VMLINUZ=$DEBUG_KERNEL/obj/arch/x86/boot/bzImage
		MODBASE=$DEBUG_KERNEL/modules
	else
		VMLINUZ=/boot/vmlinuz-$KVER
		MODBASE=/
	fi
	[ -r "$VMLINUZ" ] || die "$VMLINUZ is not readable (missing, or not root?)"
	export KVER VMLINUZ MODBASE
}

# The guest kernel: $KVER, else the newest installed 6.12.
use_kernel "${KVER:-6.12}"

# Print the kernel-log lines of the given files that match BAD_KERNEL_LOG.
# Serial captures have CRLF line ends; strip the CR.
bad_kernel_lines() {
	local f
	for f; do
		[ -f "$f" ] || continue
		# The bench's own progress lines on the console may quote a
		# test's failure reason: only kernel lines count.
		tr -d '\r' <"$f" | grep -avE '^nvfio-[a-z]+(\[|:)' | grep -aE "$BAD_KERNEL_LOG"
	done
	return 0
}

# The lines of guest run directory $1's kernel logs (console capture and
# saved dmesg) that match BAD_KERNEL_LOG, timestamps stripped, each once.
guest_kernel_problems() {
	bad_kernel_lines "$1/console.log" "$1/dmesg.txt" | sed 's/^\[ *[0-9.]*\] //' | sort -u
}

# Single-quote a value for the guest's /bin/sh.
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# The guest kernel log to show on failure: the saved dmesg if the guest got
# that far, else the serial console capture.
kernel_log_of() {
	if [ -s "$1/dmesg.txt" ]; then echo "$1/dmesg.txt"; else echo "$1/console.log"; fi
}

# Print the last N lines of a file, each prefixed (for TAP diagnostics).
tail_prefixed() {
	local n=$1 f=$2 prefix=${3:-'#   '}
	[ -f "$f" ] || { echo "${prefix}($f: missing)"; return 0; }
	tail -n "$n" "$f" | tr -d '\r' | sed "s/^/$prefix/"
}
