#!/bin/sh
# Print the guest kernel release the project builds for and boots: the newest
# installed Debian 6.12 kernel that has both its image and its headers.
# Override with KVER=... in the environment.
if [ -n "$KVER" ]; then echo "$KVER"; exit 0; fi
for d in $(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V -r); do
	k=${d#/usr/src/linux-headers-}
	if [ -e "/boot/vmlinuz-$k" ]; then echo "$k"; exit 0; fi
done
exit 1
