#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The package test: the install path as a user lives it, for every kernel of
# $KERNELS (default: the series scripts/kver.sh lists, 6.12 and 6.1).
#
#   make install/uninstall into a DESTDIR: exactly the three modules and
#     vfioctl (binary, man page, bash completion), and back
#   make deb: build/nvfio-dkms_<VERSION>_all.deb and
#     build/vfioctl_<VERSION>_<arch>.deb, their contents
#   apt-get install of both: DKMS builds for every installed
#     kernel with headers that dkms.conf supports, into updates/dkms; vfioctl
#     in /usr/sbin with its man page and completion
#   per kernel, a guest boot in which a plain `modprobe vfio-pci` loads ours (version
#     nvfio-<VERSION>, vfio_iommu_type1 through vfio's softdep), then runs the
#     in-guest tests whose names match $NVFIO_PACKAGE_T (run-tests.sh, mode
#     "package")
#   apt-get purge nvfio-dkms vfioctl: nothing of ours left under /lib/modules
#   per kernel, a guest boot in which `modprobe vfio-pci` loads mainline's
#     again, and runs
#     the tests matching $NVFIO_PACKAGE_T_REMOVED
#
# While the package is installed every guest's `modprobe vfio-pci` loads ours
# (the guests see the host's /lib/modules), so this holds the guest lock from
# the install to the removal, and purges the package on any exit (failure,
# Ctrl-C, TERM). It refuses to run (skips) where nvfio-dkms, a DKMS nvfio or a
# `make install`ed nvfio is already there: it would not be its to remove.
#
# Prints TAP lines "ok N - package/NAME" (numbered from NVFIO_TAP_BASE + 1;
# bench/check.sh passes its count) and a closing line
# "package: N passed, M failed, K skipped". Exits non-zero if a test failed.
#
# Environment: KERNELS (the kernels to boot, as series or releases; KVER, the
# one make install is tried for, see scripts/kver.sh);
# NVFIO_PACKAGE_T (in-guest tests with the package installed, comma-separated
# name substrings, default "edu_dma_roundtrip,client_dpdk_devbind,
# client_dpdk_testpmd_virtio,client_driverctl,client_libvirt,
# client_vfioctl_list,client_vfioctl_completion": the edu DMA test and the
# clients, one testpmd, and vfioctl's as installed: /usr/sbin/vfioctl and its
# completion); NVFIO_PACKAGE_T_REMOVED (after the
# removal, default "edu_dma_roundtrip"); NVFIO_GUEST_TIMEOUT (per boot,
# default 300). Files: build/guest/runs/package.XXXXXX.
set -eu
. "$(dirname "$0")/lib.sh"

t_start=$(now)
PKG=nvfio-dkms
VERSION=$(cat "$REPO/VERSION")
DEB=$BUILD/${PKG}_${VERSION}_all.deb
TOOL_PKG=vfioctl
TOOL_DEB=$BUILD/${TOOL_PKG}_${VERSION}_$(dpkg --print-architecture).deb
GUEST_T=${NVFIO_PACKAGE_T:-edu_dma_roundtrip,client_dpdk_devbind,client_dpdk_testpmd_virtio,client_driverctl,client_libvirt,client_vfioctl_list,client_vfioctl_completion}
GUEST_T_REMOVED=${NVFIO_PACKAGE_T_REMOVED:-edu_dma_roundtrip}
export NVFIO_GUEST_TIMEOUT=${NVFIO_GUEST_TIMEOUT:-300}
OUR_MODULES="vfio vfio_iommu_type1 vfio_pci"
KERNELS=${KERNELS:-$("$REPO/scripts/kver.sh" --series)}
KVERS=()
for k in $KERNELS; do
	KVERS+=("$("$REPO/scripts/kver.sh" "$k")") || die "no $k kernel with headers: run 'make setup'"
done

num=${NVFIO_TAP_BASE:-0} pass=0 fail=0 skip=0
ok() { num=$((num + 1)) pass=$((pass + 1)); echo "ok $num - package/$1"; }
notok() {
	num=$((num + 1)) fail=$((fail + 1))
	echo "not ok $num - package/$1"
	shift
	local l
	for l; do echo "#   $l"; done
}
skipped() { num=$((num + 1)) skip=$((skip + 1)); echo "ok $num - package/$1 # SKIP $2"; }
summary() {
	[ -n "${NVFIO_TAP_BASE:-}" ] || echo "1..$num"
	echo "# package: wall time $(since "$t_start") s"
	echo "package: $pass passed, $fail failed, $skip skipped"
}
# Show the last lines of a log file as TAP diagnostics.
show_log() { echo "#   ---- ${1#"$REPO"/} (last ${2:-20} lines) ----"; tail_prefixed "${2:-20}" "$1"; }

mkdir -p "$GUEST_BUILD/runs"
find "$GUEST_BUILD/runs" -mindepth 1 -maxdepth 1 -name 'package.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
out=$(mktemp -d "$GUEST_BUILD/runs/package.XXXXXX")
echo "# package: kernels ${KVERS[*]}, nvfio $VERSION (files in ${out#"$REPO"/})"

# dpkg's state of package $1 (default nvfio-dkms), empty when it is not
# there at all.
pkg_state() {
	local s
	s=$(dpkg-query -W -f='${db:Status-Status}' "${1:-$PKG}" 2>/dev/null) || true
	case $s in not-installed | config-files) s="" ;; esac
	echo "$s"
}

# Our modules anywhere under a kernel's updates/, one path a line.
ours_under_updates() {
	find /lib/modules/*/updates \( -name 'vfio.ko*' -o -name 'vfio_iommu_type1.ko*' \
		-o -name 'vfio-pci.ko*' -o -name 'nvfio_ext_test.ko*' \) 2>/dev/null || true
}

# Why this machine is not ours to test on, or nothing.
refusal() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (apt, depmod)"; return; }
	[ -z "$(pkg_state)" ] || { echo "$PKG is installed here already ($(pkg_state)): not ours to remove"; return; }
	[ -z "$(pkg_state $TOOL_PKG)" ] || { echo "$TOOL_PKG is installed here already: not ours to remove"; return; }
	[ ! -e /var/lib/dkms/nvfio ] || { echo "DKMS knows an nvfio already (/var/lib/dkms/nvfio): not ours to remove"; return; }
	local f
	f=$(ours_under_updates | head -n 1)
	[ -z "$f" ] || { echo "$f is installed already (make install?): not ours to remove"; return; }
	for k in "${KVERS[@]}"; do
		[ -n "$(ls /lib/modules/"$k"/build/Makefile 2>/dev/null)" ] || { echo "no headers for kernel $k"; return; }
	done
}
why=$(refusal)
if [ -n "$why" ]; then
	skipped all "$why"
	summary
	exit 0
fi
for t in dkms dpkg-buildpackage dh_dkms apt-get; do
	if ! command -v "$t" >/dev/null; then
		notok tools "$t not found: run 'make setup' (installs dkms, dh-dkms, debhelper, dpkg-dev)"
		summary
		exit 1
	fi
done
[ -x "$REPO/build/bin/nvfio-tests" ] || die "build/bin/nvfio-tests does not exist: build first (make)"

# --- make install / uninstall, into a DESTDIR ---------------------------
dest=$out/destdir
moddir=$dest/lib/modules/$KVER/updates/nvfio
if ! make -s -C "$REPO" install DESTDIR="$dest" KVER="$KVER" >"$out/make-install.log" 2>&1; then
	notok make-install "make install DESTDIR=... failed"
	show_log "$out/make-install.log"
else
	got=$(cd "$dest" && find . -type f | LC_ALL=C sort | tr '\n' ' ')
	want=""
	for f in vfio-pci.ko vfio.ko vfio_iommu_type1.ko; do want+="./lib/modules/$KVER/updates/nvfio/$f "; done
	want+="./usr/local/sbin/vfioctl ./usr/local/share/bash-completion/completions/vfioctl ./usr/local/share/man/man8/vfioctl.8 "
	v=$(modinfo -F version "$moddir/vfio.ko" 2>&1)
	if [ "$got" != "$want" ]; then
		notok make-install "make install DESTDIR=... installed: $got" "expected: $want"
	elif [ "$v" != "nvfio-$VERSION" ]; then
		notok make-install "the installed vfio.ko says version '$v', not nvfio-$VERSION"
	elif ! make -s -C "$REPO" uninstall DESTDIR="$dest" KVER="$KVER" >>"$out/make-install.log" 2>&1; then
		notok make-install "make uninstall DESTDIR=... failed"
		show_log "$out/make-install.log"
	elif [ -n "$(find "$dest" -type f)" ] || [ -e "$moddir" ]; then
		notok make-install "make uninstall left: $(find "$dest" -mindepth 4 | tr '\n' ' ')"
	else
		ok make-install
	fi
fi

# --- make deb --------------------------------------------------------------
rm -f "$DEB" "$TOOL_DEB"
if ! make -s -C "$REPO" deb >"$out/deb.log" 2>&1 || [ ! -f "$DEB" ] || [ ! -f "$TOOL_DEB" ]; then
	notok deb "make deb did not make ${DEB#"$REPO"/} and ${TOOL_DEB#"$REPO"/}"
	show_log "$out/deb.log"
	summary
	exit 1
fi
list=$(dpkg-deb -c "$DEB" | awk '{ print $6 }')
src=./usr/src/nvfio-$VERSION
conf=$(dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - "$src/dkms.conf" 2>/dev/null || true)
bad=$(grep -E '/testing/|\.(o|ko|mod|mod\.c|cmd)$' <<<"$list" || true)
if [ "$(dpkg-deb -f "$DEB" Package Version Architecture | tr '\n' ' ')" != "Package: $PKG Version: $VERSION Architecture: all " ]; then
	notok deb "control fields: $(dpkg-deb -f "$DEB" Package Version Architecture | tr '\n' ' ')"
elif ! grep -qx "PACKAGE_VERSION=\"$VERSION\"" <<<"$conf"; then
	notok deb "$src/dkms.conf does not say PACKAGE_VERSION=\"$VERSION\""
elif [ -n "$bad" ]; then
	notok deb "the package ships build products or the test module: $(echo $bad)"
elif ! grep -qx "$src/kernel/pci/pci_driver.c" <<<"$list"; then
	notok deb "the package lacks the module sources ($src/kernel/...)"
else
	ok deb
fi
tlist=$(dpkg-deb -c "$TOOL_DEB" | awk '{ print $6 }')
twant="./usr/sbin/vfioctl ./usr/share/man/man8/vfioctl.8.gz ./usr/share/bash-completion/completions/vfioctl"
tmiss=""
for f in $twant; do grep -qx "$f" <<<"$tlist" || tmiss+="$f "; done
if [ "$(dpkg-deb -f "$TOOL_DEB" Package Version | tr '\n' ' ')" != "Package: $TOOL_PKG Version: $VERSION " ]; then
	notok deb-vfioctl "control fields: $(dpkg-deb -f "$TOOL_DEB" Package Version | tr '\n' ' ')"
elif [ -n "$tmiss" ]; then
	notok deb-vfioctl "${TOOL_DEB#"$REPO"/} lacks: $tmiss"
else
	ok deb-vfioctl
fi

# --- from here on the machine changes: hold the guest lock -----------------
exec 9>>"$LOCK"
if ! flock -n 9; then
	echo "# package: another guest is running (lock $LOCK): waiting"
	flock 9
fi
export NVFIO_GUEST_LOCK_HELD=1
# The state to come back to: dkms's signing key (dkms makes one on its first
# build) and each kernel's updates/ directory.
mok_before=$(ls /var/lib/dkms/mok.key /var/lib/dkms/mok.pub 2>/dev/null || true)
declare -A had_updates=()
for d in /lib/modules/*/; do
	[ ! -d "$d/updates" ] || had_updates[$d]=1
done
touched=""

# Purge the package, put the machine back, say what could not be.
cleanup() {
	local rc=$? d f left
	set +e
	trap '' PIPE INT TERM HUP
	if [ -n "$(pkg_state $TOOL_PKG)" ]; then
		echo "# package: cleaning up: purging $TOOL_PKG"
		apt-get purge -y -q -o DPkg::Lock::Timeout=120 "$TOOL_PKG" >>"$out/cleanup.log" 2>&1 ||
			dpkg --purge "$TOOL_PKG" >>"$out/cleanup.log" 2>&1
	fi
	if [ -n "$(pkg_state)" ]; then
		echo "# package: cleaning up: purging $PKG"
		apt-get purge -y -q -o DPkg::Lock::Timeout=120 "$PKG" >>"$out/cleanup.log" 2>&1 ||
			dpkg --purge --force-remove-reinstreq "$PKG" >>"$out/cleanup.log" 2>&1
	fi
	if [ -n "$touched" ]; then
		[ -n "$mok_before" ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
		for d in /lib/modules/*/; do
			[ -e "$d/modules.dep" ] || continue
			depmod -a "$(basename "$d")" >>"$out/cleanup.log" 2>&1
			if [ -z "${had_updates[$d]:-}" ] && [ -d "$d/updates" ]; then
				rmdir "$d/updates/dkms" "$d/updates" 2>/dev/null
			fi
		done
	fi
	left=$( (ours_under_updates; pkg_state; ls -d /var/lib/dkms/nvfio 2>/dev/null) | tr '\n' ' ')
	[ -z "${left// /}" ] || echo "# package: WARNING: left on this machine: $left (log: ${out#"$REPO"/}/cleanup.log)"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "# package: interrupted"; exit 130' INT TERM HUP

# --- apt-get install --------------------------------------------------------
t0=$(now)
touched=1
rc=0
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o DPkg::Lock::Timeout=120 "$DEB" "$TOOL_DEB" >"$out/install.log" 2>&1 || rc=$?
echo "# package: apt-get install took $(since "$t0") s"
if [ "$rc" -ne 0 ] || [ "$(pkg_state)" != installed ]; then
	notok install "apt-get install $DEB $TOOL_DEB: status $rc, package state '$(pkg_state)'"
	show_log "$out/install.log" 30
	summary
	exit 1
fi
ok install
# vfioctl as installed: the binary runs, man finds its page, the completion is
# where bash-completion looks.
v=$(/usr/sbin/vfioctl --version 2>&1) || v="failed: $v"
if [[ $v != "vfioctl "* ]]; then
	notok installed-vfioctl "/usr/sbin/vfioctl --version: $v"
elif ! man -w vfioctl >/dev/null 2>&1 && [ ! -f /usr/share/man/man8/vfioctl.8.gz ]; then
	notok installed-vfioctl "no man page vfioctl(8)"
elif [ ! -f /usr/share/bash-completion/completions/vfioctl ]; then
	notok installed-vfioctl "no /usr/share/bash-completion/completions/vfioctl"
else
	ok installed-vfioctl
fi

# --- DKMS, per installed kernel with headers --------------------------------
exclusive=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "/usr/src/nvfio-$VERSION/dkms.conf")
for d in /lib/modules/*/build; do
	[ -e "$d" ] || continue
	k=${d%/build}
	k=${k#/lib/modules/}
	st=$(dkms status -m nvfio -v "$VERSION" -k "$k" 2>/dev/null)
	if [[ $st == *": installed"* ]]; then
		ok "dkms-$k"
	elif [ "$k" != "$KVER" ] && [ -n "$exclusive" ] && ! [[ $k =~ $exclusive ]]; then
		skipped "dkms-$k" "kernel $k is not in dkms.conf's BUILD_EXCLUSIVE_KERNEL ($exclusive): not built"
	else
		notok "dkms-$k" "DKMS did not install nvfio for $k (status: ${st:-none})"
		show_log "/var/lib/dkms/nvfio/$VERSION/build/make.log"
	fi
done

# What the host's module tree now says for each kernel (what guests will see).
for k in "${KVERS[@]}"; do
	why=""
	for m in $OUR_MODULES; do
		p=$(modinfo -k "$k" -n "$m" 2>&1)
		v=$(modinfo -k "$k" -F version "$m" 2>&1)
		case $p in */updates/dkms/*) ;; *) why+="$m resolves to $p; " ;; esac
		[ "$v" = "nvfio-$VERSION" ] || why+="$m has version '$v'; "
	done
	! modinfo -k "$k" nvfio_ext_test >/dev/null 2>&1 || why+="nvfio_ext_test is installed; "
	if [ -z "$why" ]; then ok "modinfo-installed-$k"; else notok "modinfo-installed-$k" "$why"; fi
done

# --- a guest boot with the package installed, then one after its removal ----
# The guest part is bench/check.sh's, in mode "package", one boot per kernel:
# its TAP lines (KVER/package/NAME) come back here renamed
# package/PHASE/KVER/NAME.
guest() {
	local phase=$1 expect=$2 t=$3 line n0=$num log=$out/guest-$1.log
	echo "# package: guest boot, $phase (T=$t): modprobe vfio-pci must load $expect"
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ ([^/\ ]+)/package/(.*)$ ]]; then
			num=$((num + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then
				fail=$((fail + 1))
				echo "not ok $num - package/$phase/${BASH_REMATCH[2]}/${BASH_REMATCH[3]}"
			else
				case ${BASH_REMATCH[3]} in *"# SKIP"*) skip=$((skip + 1)) ;; *) pass=$((pass + 1)) ;; esac
				echo "ok $num - package/$phase/${BASH_REMATCH[2]}/${BASH_REMATCH[3]}"
			fi
		elif [[ $line == "#"* ]]; then
			echo "$line"
		fi
	done < <(KERNELS="$KERNELS" NVFIO_PACKAGE=0 NVFIO_MODES=package NVFIO_PACKAGE_EXPECT=$expect \
		NVFIO_PACKAGE_VERSION="nvfio-$VERSION" T=$t "$REPO/bench/check.sh" 2>&1 | tee "$log")
	if [ "$num" -eq "$n0" ]; then
		notok "$phase/guest" "bench/check.sh reported no result"
		show_log "$log"
	fi
}
# The vfioctl client tests use the installed vfioctl and completion.
NVFIO_VFIOCTL=/usr/sbin/vfioctl NVFIO_VFIOCTL_COMPLETION=/usr/share/bash-completion/completions/vfioctl \
	guest installed ours "$GUEST_T"

# --- apt-get purge ------------------------------------------------------------
t0=$(now)
rc=0
apt-get purge -y -q -o DPkg::Lock::Timeout=120 "$PKG" "$TOOL_PKG" >"$out/remove.log" 2>&1 || rc=$?
echo "# package: apt-get purge took $(since "$t0") s"
left=$( (ours_under_updates; ls -d /var/lib/dkms/nvfio 2>/dev/null) | tr '\n' ' ')
v=""
for k in "${KVERS[@]}"; do
	v=$(modinfo -k "$k" -F version vfio 2>&1)
	[[ $v != nvfio-* ]] || { v="$k: $v"; break; }
done
if [ "$rc" -ne 0 ] || [ -n "$(pkg_state)" ] || [ -n "$(pkg_state $TOOL_PKG)" ] || [ -e /usr/sbin/vfioctl ]; then
	notok remove "apt-get purge $PKG $TOOL_PKG: status $rc, package states '$(pkg_state)' '$(pkg_state $TOOL_PKG)'"
	show_log "$out/remove.log"
elif [ -n "${left// /}" ]; then
	notok remove "left after the purge: $left"
elif [[ $v == nvfio-* ]]; then
	notok remove "modinfo -k vfio still says $v"
else
	ok remove
fi

guest removed mainline "$GUEST_T_REMOVED"

summary
[ "$fail" -eq 0 ]
