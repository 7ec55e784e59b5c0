#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfioctl's bash completion (tools/vfioctl/vfioctl.bash-completion):
# commands, options per command, PCI addresses, group numbers, devices on
# vfio-pci for unbind. Needs Debian's bash-completion (scripts/setup.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vfioctl_lib.sh"
trap 'rm -rf "$W"' EXIT
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || skip "bash-completion is not installed (scripts/setup.sh installs it)"
COMP=${NVFIO_VFIOCTL_COMPLETION:-$REPO/tools/vfioctl/vfioctl.bash-completion}
EDU=${NVFIO_EDU:-}
# shellcheck disable=SC1090
out=$(bash -c '
. "$1"; . "$2"
t() { COMP_LINE="$*"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _vfioctl; echo "[$*] ${COMPREPLY[*]}"; }
t vfioctl ""
t vfioctl b
t vfioctl --json s
t vfioctl bind --p
t vfioctl unbind --
t vfioctl why x --guest-mem 4
t vfioctl list 0000:00:0
t vfioctl unbind ""
t vfioctl show ""
' _ "$BC" "$COMP")
echo "$out"
want() { grep -Fxq -- "$1" <<<"$out" || fail "completion of '${1%%]*}]' is not '${1#*] }'"; }
want "[vfioctl ] list bind unbind why show apply"
want "[vfioctl b] bind"
want "[vfioctl --json s] show"
want "[vfioctl bind --p] --persist"
want "[vfioctl unbind --] --group --dry-run --json --quiet --verbose --help --version"
want "[vfioctl why x --guest-mem 4] 4G"
grep -q "^\[vfioctl list 0000:00:0\] .*00\.0" <<<"$out" || fail "no PCI address completion"
if [ -n "$EDU" ]; then
	grep -q "^\[vfioctl unbind \] .*$EDU" <<<"$out" || fail "unbind does not offer $EDU (on vfio-pci)"
	grep -q "^\[vfioctl show \] .*$EDU" <<<"$out" || fail "show does not offer $EDU"
fi
