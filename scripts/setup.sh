#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what building and testing nvfio needs on Debian 12: QEMU, busybox
# and cpio for the guest's initramfs, kmod, xz, sparse, dkms and Debian's
# packaging tools (make deb, the package test), the unmodified VFIO clients
# the client tests run (dpdk, dpdk-dev for dpdk-testpmd, driverctl, libvirt-daemon
# with its qemu and node device drivers and libvirt-clients for virsh, python3
# for the bench's port picker), and a Debian 6.12 kernel (image + headers)
# for the guest. Idempotent: when everything is there it only checks and
# exits, without touching apt.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
PKGS="qemu-system-x86 busybox-static cpio kmod xz-utils sparse linux-libc-dev dkms dh-dkms debhelper dpkg-dev dpdk dpdk-dev driverctl libvirt-daemon libvirt-clients python3"

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
kver=$("$REPO/scripts/kver.sh" 2>/dev/null || true)

if [ -z "$missing" ] && [ -n "$kver" ]; then
	echo "setup: everything is installed (guest kernel $kver)"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO="sudo"
	else
		echo "setup: error: must run as root to install:${missing} ${kver:-a 6.12 kernel}" >&2
		exit 1
	fi
else
	SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends"

echo "setup: apt-get update"
$SUDO apt-get -q update

kpkgs=""
if [ -z "$kver" ]; then
	# The 6.12 LTS comes from bookworm-security as versioned packages: take the
	# newest 6.12.N whose unsigned image and headers both exist.
	images=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\)-unsigned .*/\1/p' | sort -V -r)
	headers=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12-amd64\) .*/\1/p')
	for k in $images; do
		if grep -qxF "$k" <<<"$headers"; then
			kver=$k
			break
		fi
	done
	if [ -z "$kver" ]; then
		echo "setup: error: apt knows no linux-image-6.12.*+deb12-amd64-unsigned with matching headers" >&2
		echo "setup: (is bookworm-security in the apt sources?)" >&2
		exit 1
	fi
	kpkgs="linux-image-$kver-unsigned linux-headers-$kver"
fi

echo "setup: installing${missing} $kpkgs"
# shellcheck disable=SC2086 # word splitting wanted
$APT install $missing $kpkgs

kver=$("$REPO/scripts/kver.sh") || {
	echo "setup: error: scripts/kver.sh still finds no 6.12 kernel with headers" >&2
	exit 1
}
echo "setup: done (guest kernel $kver)"
