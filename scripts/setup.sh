#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what building and testing nvfio needs on Debian 12: QEMU, busybox
# and cpio for the guest's initramfs, kmod, xz, sparse, dkms and Debian's
# packaging tools (make deb, the package test), the unmodified VFIO clients
# the client tests run (dpdk, dpdk-dev for dpdk-testpmd, driverctl,
# libvirt-daemon with its qemu and node device drivers and libvirt-clients for
# virsh, python3 for the bench's port picker and the vfioctl tests' JSON
# checks), pci.ids (vfioctl's device names), bash-completion (the vfioctl
# completion test), trace-cmd (the nvfio trace events client test), and
# the guest kernels (image +
# headers): Debian 12's 6.12 LTS and its default 6.1 (the series
# scripts/kver.sh lists). Idempotent: when everything is there it only checks
# and exits, without touching apt.
#
#   scripts/setup.sh [SERIES...]   also these kernel series (make check-rt
#                                  passes 6.12-rt: Debian's PREEMPT_RT 6.12)
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
PKGS="qemu-system-x86 busybox-static cpio kmod xz-utils sparse linux-libc-dev dkms dh-dkms debhelper dpkg-dev dpdk dpdk-dev driverctl libvirt-daemon libvirt-clients python3 pci.ids bash-completion trace-cmd"

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
# The kernel series that have no installed image with headers yet.
SERIES="$("$REPO/scripts/kver.sh" --series) $*"
kvers="" kmissing=""
for s in $SERIES; do
	if k=$("$REPO/scripts/kver.sh" "$s"); then
		kvers="$kvers $k"
	else
		kmissing="$kmissing $s"
	fi
done

if [ -z "$missing" ] && [ -z "$kmissing" ]; then
	echo "setup: everything is installed (guest kernels:$kvers)"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO="sudo"
	else
		echo "setup: error: must run as root to install:${missing}${kmissing:+ kernels$kmissing}" >&2
		exit 1
	fi
else
	SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends"

echo "setup: apt-get update"
$SUDO apt-get -q update

# Debian's kernels come as versioned packages: 6.1.0-N-amd64 (bookworm) and
# 6.12.N+deb12-amd64 (bookworm-security). For each missing series take the
# newest release whose unsigned image and headers both exist.
kpkgs=""
for s in $kmissing; do
	case $s in
	*-rt) v=${s%-rt} flavour=rt-amd64 ;;
	*) v=$s flavour=amd64 ;;
	esac
	re="${v//./\\.}\\.[0-9]+(-[0-9]+|\\+deb12)-$flavour"
	images=$(apt-cache search --names-only "^linux-image-$re-unsigned\$" |
		sed -n 's/^linux-image-\([^ ]*-amd64\)-unsigned .*/\1/p' | sort -V -r)
	headers=$(apt-cache search --names-only "^linux-headers-$re\$" |
		sed -n 's/^linux-headers-\([^ ]*-amd64\) .*/\1/p')
	kver=""
	for k in $images; do
		if grep -qxF "$k" <<<"$headers"; then
			kver=$k
			break
		fi
	done
	if [ -z "$kver" ]; then
		echo "setup: error: apt knows no $s linux-image-*-amd64-unsigned with matching headers" >&2
		echo "setup: (are bookworm and bookworm-security in the apt sources?)" >&2
		exit 1
	fi
	kpkgs="$kpkgs linux-image-$kver-unsigned linux-headers-$kver"
done

echo "setup: installing${missing}${kpkgs}"
# shellcheck disable=SC2086 # word splitting wanted
$APT install $missing $kpkgs

kvers=""
for s in $SERIES; do
	k=$("$REPO/scripts/kver.sh" "$s") || {
		echo "setup: error: scripts/kver.sh still finds no $s kernel with headers" >&2
		exit 1
	}
	kvers="$kvers $k"
done
echo "setup: done (guest kernels:$kvers)"
