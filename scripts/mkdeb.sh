#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the DKMS package build/nvfio-dkms_<VERSION>_all.deb and the tool's
# package build/vfioctl_<VERSION>_<arch>.deb with Debian's own tooling
# (debhelper + dh-dkms), from a staging copy of the sources in build/deb/, so
# that the tree stays clean. The version is the VERSION file's:
# debian/changelog is written here, and dh_dkms puts it in dkms.conf.
# Shipped: dkms.conf, VERSION and kernel/ without kernel/testing (the
# test-only module is never packaged) in nvfio-dkms; vfioctl (built from
# tools/vfioctl), its man page and bash completion in vfioctl. Prints the
# .debs' paths last, nvfio-dkms's first.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "${0##*/}: error: $*" >&2; exit 1; }

for t in dpkg-buildpackage dh dh_dkms; do
	command -v "$t" >/dev/null || die "$t not found: run 'make setup' (installs dpkg-dev, debhelper, dh-dkms)"
done
VERSION=$(cat "$REPO/VERSION")
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "VERSION '$VERSION' is not a Debian upstream version"
grep -qx 'PACKAGE_VERSION="#MODULE_VERSION#"' "$REPO/dkms.conf" ||
	die "dkms.conf: PACKAGE_VERSION must be \"#MODULE_VERSION#\" (dh_dkms fills in VERSION)"

STAGE=$REPO/build/deb
SRC=$STAGE/nvfio-$VERSION
rm -rf "$STAGE"
mkdir -p "$SRC"
cp "$REPO/VERSION" "$REPO/dkms.conf" "$SRC/"
# The module sources only: no build products, no test module.
(cd "$REPO" && find kernel -path kernel/testing -prune -o -type f \
	\( -name '*.[ch]' -o -name Kbuild \) ! -name '*.mod.c' -print) |
	while IFS= read -r f; do
		mkdir -p "$SRC/$(dirname "$f")"
		cp "$REPO/$f" "$SRC/$f"
	done
# vfioctl's sources and the Makefile that builds them.
mkdir -p "$SRC/tools/vfioctl"
cp "$REPO/tools/Makefile" "$SRC/tools/"
cp "$REPO"/tools/vfioctl/*.[ch] "$REPO/tools/vfioctl/vfioctl.8" \
	"$REPO/tools/vfioctl/vfioctl.bash-completion" "$SRC/tools/vfioctl/"
cp -r "$REPO/packaging/debian" "$SRC/debian"

# The changelog's date: the last commit's, for a reproducible package.
date=$(git -C "$REPO" log -1 --format=%cD 2>/dev/null || true)
[ -n "$date" ] || date=$(date -R)
cat >"$SRC/debian/changelog" <<CHANGELOG
nvfio ($VERSION) unstable; urgency=medium

  * nvfio $VERSION (the VERSION file).

 -- nvfio developers <nvfio@localhost>  $date
CHANGELOG

echo "mkdeb: building nvfio-dkms $VERSION in ${STAGE#"$REPO"/}" >&2
(cd "$SRC" && dpkg-buildpackage -b -us -uc) >"$STAGE/build.log" 2>&1 || {
	tail -n 30 "$STAGE/build.log" >&2
	die "dpkg-buildpackage failed (log: $STAGE/build.log)"
}
deb=nvfio-dkms_${VERSION}_all.deb
tool=vfioctl_${VERSION}_$(dpkg --print-architecture).deb
for d in "$deb" "$tool"; do
	[ -f "$STAGE/$d" ] || die "dpkg-buildpackage did not make $d (log: $STAGE/build.log)"
	mv "$STAGE/$d" "$REPO/build/$d"
done
echo "$REPO/build/$deb"
echo "$REPO/build/$tool"
