#!/bin/sh
# Print the guest kernel release the project builds for and boots: the newest
# installed Debian kernel of a series that has both its image and its headers.
#
#   scripts/kver.sh          the default kernel: $KVER if set, else the 6.12
#   scripts/kver.sh 6.1      the newest 6.1.0-N-amd64
#   scripts/kver.sh 6.12     the newest 6.12.N+deb12-amd64
#   scripts/kver.sh 6.12-rt  the newest 6.12.N+deb12-rt-amd64 (PREEMPT_RT;
#                            not a SERIES: make check-rt installs and uses it)
#   scripts/kver.sh debug    the debug kernel built under build/debug-kernel
#                            (bench/debug-kernel/build.sh; make check-debug)
#   scripts/kver.sh RELEASE  RELEASE itself (e.g. 6.1.0-57-amd64), if installed
#
# The series this project supports are listed once, here: SERIES.
SERIES="6.12 6.1"
if [ "$1" = --series ]; then echo "$SERIES"; exit 0; fi
if [ -z "$1" ]; then
	if [ -n "$KVER" ]; then echo "$KVER"; exit 0; fi
	set -- 6.12
fi
# The debug kernel lives in the build tree, not in /boot.
DEBUG_RELEASE=$(dirname "$0")/../build/debug-kernel/release
if [ "$1" = debug ] || { [ -f "$DEBUG_RELEASE" ] && [ "$1" = "$(cat "$DEBUG_RELEASE")" ]; }; then
	[ -f "$DEBUG_RELEASE" ] || exit 1
	cat "$DEBUG_RELEASE"
	exit 0
fi
if [ -e "/boot/vmlinuz-$1" ] && [ -d "/usr/src/linux-headers-$1" ]; then
	echo "$1"
	exit 0
fi
# 6.1.* cannot match 6.12.*: the series is followed by a dot. The -rt
# flavour is only ever chosen by name.
case $1 in
*-rt) series=${1%-rt} flavour=rt-amd64 ;;
*) series=$1 flavour=amd64 ;;
esac
for d in $(ls -d /usr/src/linux-headers-"$series".*-amd64 2>/dev/null | sort -V -r); do
	k=${d#/usr/src/linux-headers-}
	case $k in
	*-rt-amd64) [ "$flavour" = rt-amd64 ] || continue ;;
	*) [ "$flavour" = amd64 ] || continue ;;
	esac
	if [ -e "/boot/vmlinuz-$k" ]; then echo "$k"; exit 0; fi
done
exit 1
