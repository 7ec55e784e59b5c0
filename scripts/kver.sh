#!/bin/sh
# Print the guest kernel release the project builds for and boots: the newest
# installed Debian kernel of a series that has both its image and its headers.
#
#   scripts/kver.sh          the default kernel: $KVER if set, else the 6.12
#   scripts/kver.sh 6.1      the newest 6.1.0-N-amd64
#   scripts/kver.sh 6.12     the newest 6.12.N+deb12-amd64
#   scripts/kver.sh RELEASE  RELEASE itself (e.g. 6.1.0-57-amd64), if installed
#
# The series this project supports are listed once, here: SERIES.
SERIES="6.12 6.1"
if [ "$1" = --series ]; then echo "$SERIES"; exit 0; fi
if [ -z "$1" ]; then
	if [ -n "$KVER" ]; then echo "$KVER"; exit 0; fi
	set -- 6.12
fi
if [ -e "/boot/vmlinuz-$1" ] && [ -d "/usr/src/linux-headers-$1" ]; then
	echo "$1"
	exit 0
fi
# 6.1.* cannot match 6.12.*: the series is followed by a dot.
for d in $(ls -d /usr/src/linux-headers-"$1".*-amd64 2>/dev/null | sort -V -r); do
	k=${d#/usr/src/linux-headers-}
	if [ -e "/boot/vmlinuz-$k" ]; then echo "$k"; exit 0; fi
done
exit 1
