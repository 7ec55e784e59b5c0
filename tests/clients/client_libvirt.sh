#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# libvirt's device assignment path: a libvirtd started here (Debian 12's
# monolithic daemon; it has no modular ones) detaches the virtio-net with
# `virsh nodedev-detach` (libvirt's qemu driver sets driver_override to
# vfio-pci and reprobes) and gives it back with `virsh nodedev-reattach`.
#
# The guest's root is read-only and has no libvirt state, so the test runs in
# a private mount namespace of its own: tmpfs on /var/lib, /var/cache,
# /var/log and /run/libvirt, a writable copy of /etc/libvirt, and, when the host has no libvirt-qemu user
# (libvirt-daemon-system is not installed), copies of /etc/passwd and
# /etc/group that add it: the qemu driver resolves its default user before it
# reads qemu.conf and refuses to start without it. None of this is seen
# outside the namespace. No udevd is needed: the node device driver
# enumerates through libudev, which reads sysfs.
. "$(dirname "$0")/lib.sh"
{ command -v virsh && command -v libvirtd; } >/dev/null ||
	skip "libvirt is not installed (scripts/setup.sh installs libvirt-daemon and libvirt-clients)"
require virsh
command -v unshare >/dev/null || fail "no unshare (util-linux) for a private mount namespace"
[ -n "${NVFIO_LIBVIRT_NS:-}" ] ||
	exec unshare --mount --propagation private env NVFIO_LIBVIRT_NS=1 /bin/bash "$0" "$@"

up() { awk -v t0="${1:-0}" '{ printf "%.1f", $1 - t0 }' /proc/uptime; }
T0=$(up)
bdf=$(find_dev 0x1af4 0x1041) || skip "no virtio-net alone in its IOMMU group"
orig=$(driver_of "$bdf")
[ -n "$orig" ] || skip "$bdf has no kernel driver to go back to"
name=pci_$(tr ':.' '__' <<<"$bdf")
W=$(mktemp -d)
URI=qemu:///system
MOUNTS=""
LVPID=""

cleanup() {
	local m
	restore_driver "$bdf" "$orig"
	if [ -n "$LVPID" ]; then
		kill -TERM "$LVPID" 2>/dev/null
		for _ in $(seq 40); do
			kill -0 "$LVPID" 2>/dev/null || break
			sleep 0.25
		done
		kill -KILL "$LVPID" 2>/dev/null && echo "libvirtd did not stop within 10 s of SIGTERM: killed"
		wait "$LVPID" 2>/dev/null
		echo "libvirtd stopped"
	fi
	for m in $MOUNTS; do
		umount "$m" || echo "umount $m failed"
	done
	rmdir /run/libvirt 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

# On failure, what libvirtd said.
lvfail() {
	echo "---- libvirtd errors and warnings ----"
	grep -E ' (error|warning) : ' "$W/libvirtd.log" | tail -n 20
	fail "$*"
}

tmpfs_on() {
	mount -t tmpfs -o mode=755 tmpfs "$1" || fail "cannot mount a tmpfs on $1"
	MOUNTS="$1 $MOUNTS"
}
for d in /var/lib /var/cache /var/log; do
	tmpfs_on $d
	mkdir -p $d/libvirt
done
mkdir -p /run/libvirt
tmpfs_on /run/libvirt
# libvirtd's drivers create their directories in /etc/libvirt: a writable
# copy of it.
cp -a /etc/libvirt "$W/etc-libvirt"
tmpfs_on /etc/libvirt
cp -a "$W/etc-libvirt/." /etc/libvirt/
if ! getent passwd libvirt-qemu >/dev/null; then
	for f in passwd group; do
		cp /etc/$f "$W/$f"
		mount --bind "$W/$f" /etc/$f || fail "cannot bind $W/$f on /etc/$f"
		MOUNTS="/etc/$f $MOUNTS"
	done
	echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>"$W/passwd"
	getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>"$W/group"
fi
cat >"$W/libvirtd.conf" <<EOF
log_outputs = "1:file:$W/libvirtd.log"
log_filters = "1:qemu.qemu_driver 1:hypervisor 1:util.pci 3:*"
EOF

echo "== libvirtd $(libvirtd --version | awk '{ print $NF }') ($(stack) stack)"
t0=$(up)
libvirtd --config "$W/libvirtd.conf" --pid-file /run/libvirt/libvirtd.pid >"$W/libvirtd.out" 2>&1 &
LVPID=$!
for _ in $(seq 120); do
	[ -S /run/libvirt/libvirt-sock ] && virsh -q -c $URI uri >/dev/null 2>&1 && break
	kill -0 $LVPID 2>/dev/null || { cat "$W/libvirtd.out"; LVPID=""; lvfail "libvirtd exited at startup"; }
	sleep 0.25
done
virsh -q -c $URI uri >/dev/null || { cat "$W/libvirtd.out"; lvfail "libvirtd does not answer on $URI after 30 s"; }
echo "libvirtd up after $(up "$t0") s"

expect_driver "$bdf" "$orig" "before nodedev-detach"
virsh -c $URI nodedev-dumpxml "$name" || lvfail "libvirt's node device driver does not know $name"

echo "== virsh nodedev-detach $name"
virsh -c $URI nodedev-detach "$name" || lvfail "nodedev-detach exited with status $?"
expect_driver "$bdf" vfio-pci "after nodedev-detach"
o=$(cat "$PCI/$bdf/driver_override")
echo "driver_override: $o"
[ "$o" = vfio-pci ] || fail "driver_override is '$o' after nodedev-detach, expected vfio-pci"
x=$(virsh -c $URI nodedev-dumpxml "$name") || lvfail "nodedev-dumpxml $name failed after detach"
d=$(sed -n '/<driver>/,/<\/driver>/s|.*<name>\(.*\)</name>.*|\1|p' <<<"$x")
echo "libvirt sees $name on driver '$d'"
[ "$d" = vfio-pci ] || fail "libvirt's node device XML says driver '$d' after nodedev-detach, expected vfio-pci"

echo "== virsh nodedev-reattach $name"
virsh -c $URI nodedev-reattach "$name" || lvfail "nodedev-reattach exited with status $?"
expect_driver "$bdf" "$orig" "after nodedev-reattach"
o=$(cat "$PCI/$bdf/driver_override")
[ "$o" = "(null)" ] || fail "driver_override is still '$o' after nodedev-reattach"
echo "note: libvirt $(libvirtd --version | awk '{ print $NF }') nodedev-detach/reattach of virtio-net $bdf on $(stack): $orig -> vfio-pci -> $orig, $(up "$T0") s with libvirtd's start"
