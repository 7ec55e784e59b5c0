#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the guest initramfs (busybox + bench/guest/init + the 9p modules) into
# build/guest/ and print its path. Cached: rebuilt only when an input changes
# (the init script, this script, busybox, the kernel release).
#
# The initramfs only has to get the host's root over virtio-9p: everything
# else (tests, modules, tools) runs from the host root after the chroot.
set -eu
. "$(dirname "$0")/lib.sh"

BUSYBOX=$(command -v busybox) || die "busybox not found: run 'make setup' (busybox-static)"
# A dynamically linked busybox would need its libraries in the initramfs.
# (ldd succeeds only on dynamically linked programs.)
if LC_ALL=C ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is not statically linked: install busybox-static"
fi
command -v cpio >/dev/null || die "cpio not found: run 'make setup'"
command -v xz >/dev/null || die "xz not found: run 'make setup' (xz-utils)"
command -v modinfo >/dev/null || die "modinfo not found: run 'make setup' (kmod)"

INIT=$REPO/bench/guest/init
OUT=$GUEST_BUILD/initramfs-$KVER.cpio
KEYFILE=$OUT.key

# 9p is modular in Debian's kernels: resolve the load order of 9p, its virtio
# transport and the virtio PCI driver from the modules' own dependency lists
# (netfs 9pnet 9pnet_virtio 9p on 6.12, whose virtio is built in; 6.1 also
# needs fscache and virtio, virtio_ring, virtio_pci*), rather than
# hard-coding it. Built-in modules are skipped.
ORDER=()
add_with_deps() {
	local m d deps
	for m; do
		[[ " ${ORDER[*]} " != *" $m "* ]] || continue
		[ "$(modinfo -b "$MODBASE" -k "$KVER" -n "$m" 2>/dev/null)" != "(builtin)" ] || continue
		deps=$(modinfo -b "$MODBASE" -k "$KVER" -F depends "$m") ||
			die "module $m not found for $KVER"
		for d in ${deps//,/ }; do add_with_deps "$d"; done
		ORDER+=("$m")
	done
}
add_with_deps 9p 9pnet_virtio virtio_pci

key=$({
	echo "$KVER $MODBASE ${ORDER[*]}"
	sha256sum "$INIT" "$0" "$BUSYBOX"
} | sha256sum | cut -d' ' -f1)
if [ -f "$OUT" ] && [ "$(cat "$KEYFILE" 2>/dev/null)" = "$key" ]; then
	echo "$OUT"
	exit 0
fi

mkdir -p "$GUEST_BUILD"
stage=$(mktemp -d "$GUEST_BUILD/initramfs.XXXXXX")
trap 'rm -rf "$stage" "$stage.cpio" "$stage.key"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,newroot,lib/nvfio}
cp "$BUSYBOX" "$stage/bin/busybox"
cp "$INIT" "$stage/init"
chmod 755 "$stage/init"
# Empty where 9p is built in (the debug kernel): /init then loads nothing.
: >"$stage/lib/nvfio/modules.order"

# busybox insmod cannot read .ko.xz: store the modules decompressed.
for m in "${ORDER[@]}"; do
	f=$(modinfo -b "$MODBASE" -k "$KVER" -n "$m")
	case $f in
	*.ko.xz) xz -dc "$f" >"$stage/lib/nvfio/$m.ko" ;;
	*.ko) cp "$f" "$stage/lib/nvfio/$m.ko" ;;
	*) die "module $m is $f: expected a .ko or .ko.xz file" ;;
	esac
	echo "$m" >>"$stage/lib/nvfio/modules.order"
done

# Several people may build at once: write aside, then rename into place.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$stage.cpio"
echo "$key" >"$stage.key"
mv "$stage.cpio" "$OUT"
mv "$stage.key" "$KEYFILE"
note "built $OUT (modules: ${ORDER[*]})"
echo "$OUT"
