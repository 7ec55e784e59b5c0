#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the debug guest kernel (KASAN, lockdep, kmemleak, debug objects, fault
# injection) from Debian's linux-source-6.12 into build/debug-kernel/ and
# print its release. Cached: rebuilt only when the source package or the
# config fragment changes, so a machine builds it once (~30-50 min on 2 cores).
#
#   build/debug-kernel/obj/          the build tree (KDIR for our modules;
#                                    arch/x86/boot/bzImage is the guest kernel)
#   build/debug-kernel/modules/      modules_install output; the guest's /init
#                                    mounts lib/modules/RELEASE from here
#   build/debug-kernel/release       the kernel release (6.12.N-nvfio-debug)
#
# The config is x86_64_defconfig + kvm_guest.config + debug.config (beside
# this script), not Debian's full config: small enough to build in well under
# an hour. Every option of debug.config is checked after olddefconfig.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$REPO/build/debug-kernel
FRAG=$HERE/debug.config
TARBALL=/usr/src/linux-source-6.12.tar.xz

die() { echo "debug-kernel: error: $*" >&2; exit 1; }
note() { echo "debug-kernel: $*" >&2; }

need_pkgs="linux-source-6.12 flex bison bc libssl-dev libelf-dev cpio xz-utils"
missing=""
for p in $need_pkgs; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] || die "must run as root to install:$missing"
	note "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends install $missing >&2
fi
[ -r "$TARBALL" ] || die "$TARBALL missing (package linux-source-6.12)"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { echo "$srcver"; cat "$FRAG" "$0"; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/key" ] && [ "$(cat "$OUT/key")" = "$key" ] && [ -f "$OUT/release" ] &&
	[ -f "$OUT/obj/arch/x86/boot/bzImage" ]; then
	cat "$OUT/release"
	exit 0
fi

# A new source package starts from scratch; a changed fragment or script
# reconfigures the existing tree, and kbuild rebuilds only what the changed
# options touch (minutes, not the full build).
if [ ! -f "$OUT/srcver" ] || [ "$(cat "$OUT/srcver")" != "$srcver" ] || [ ! -d "$OUT/src" ]; then
	rm -rf "$OUT"
	mkdir -p "$OUT/obj"
	note "extracting linux-source-6.12 $srcver"
	tar -C "$OUT" -xJf "$TARBALL"
	mv "$OUT/linux-source-6.12" "$OUT/src"
	echo "$srcver" >"$OUT/srcver"
else
	note "reconfiguring the existing $srcver tree (incremental build)"
	rm -f "$OUT/key" "$OUT/release"
	mkdir -p "$OUT/obj"
fi
SRC=$OUT/src
K=(make -C "$SRC" O="$OUT/obj" -s)

"${K[@]}" x86_64_defconfig
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT/obj" "$OUT/obj/.config" \
	"$SRC/kernel/configs/kvm_guest.config" "$FRAG" >/dev/null
"${K[@]}" olddefconfig

# Every option of the fragment must have its value after olddefconfig (a
# missing dependency silently drops one otherwise).
bad=""
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		! grep -q "^$opt=" "$OUT/obj/.config" || bad="$bad $line"
	else
		grep -qxF "$line" "$OUT/obj/.config" || bad="$bad $line"
	fi
done <"$FRAG"
[ -z "$bad" ] || die "options lost by olddefconfig:$bad"

note "building (make -j$(nproc) bzImage modules)"
start=$(date +%s)
"${K[@]}" -j"$(nproc)" bzImage modules
"${K[@]}" INSTALL_MOD_PATH="$OUT/modules" modules_install >/dev/null
release=$(cat "$OUT/obj/include/config/kernel.release")
# The guest's modprobe needs only the module tree; the build/source links
# would point into the host's paths, which is fine (same paths in the guest).
echo "$release" >"$OUT/release"
echo "$key" >"$OUT/key"
note "built $release in $(( $(date +%s) - start )) s"
echo "$release"
