#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfioctl show, list and why with a process holding the runner's edu the way
# a VMM does (nvfio-vfio-holder: container, group, device fd, 2 MiB DMA
# mapping, BAR0 mmap, MSI fired once): show names the holder and its fds,
# the BAR0 mmap, the MSI with its count, the locked memory; list says "in
# use" by that pid; why says who holds it; unbind refuses (exit 7) and
# leaves the edu on vfio-pci. On nvfio, show also has nvfio's view: the
# holder from sysfs nvfio/holders and its DMA mapping from debugfs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vfioctl_lib.sh"
require true
EDU=${NVFIO_EDU:?the runner exports NVFIO_EDU}
EG=$(basename "$(readlink "$PCI/$EDU/iommu_group")")
[ -x "$HOLDER" ] || fail "$HOLDER does not exist: build it first (make tests)"
HPID=""
# shellcheck disable=SC2064
trap 'exec 7>&- 2>/dev/null; [ -z "$HPID" ] || { kill $HPID 2>/dev/null; wait $HPID 2>/dev/null; }; rm -rf "$W"' EXIT

echo "== nobody holds $EDU"
expect 0 --json show "$EDU"
jcheck "d['holders'] == [] and d['mappings'] == [] and d['target']['kind'] == 'device'" "holders before" \
	"d['sources'][0] == 'procfs'" "sources"

mkfifo "$W/in"
"$HOLDER" "$EDU" <"$W/in" >"$W/holder.out" 2>&1 &
HPID=$!
exec 7>"$W/in"
for _ in $(seq 100); do
	grep -q '^ready' "$W/holder.out" && break
	kill -0 $HPID 2>/dev/null || break
	sleep 0.1
done
cat "$W/holder.out"
grep -q '^ready' "$W/holder.out" || fail "the holder did not get ready"
# (No process substitution: the guest has no /dev/fd.)
read -r _ cfd gfd dfd <<<"$(sed -n 's/^ready container=\([0-9]*\) group=\([0-9]*\) device=\([0-9]*\)/x \1 \2 \3/p' "$W/holder.out")"
echo "holder pid $HPID: container fd $cfd, group fd $gfd, device fd $dfd"

echo "== show the device"
expect 0 show "$EDU"
grep -Eq "^$HPID +nvfio-vfio-hold" "$OUTF" || fail "no holder row for pid $HPID"
grep -Eq "BAR0" "$OUTF" || fail "no BAR0 mmap row"
grep -Eq "msi +0 +[1-9]" "$OUTF" || fail "no MSI row with a count"
expect 0 --json show "$EDU"
jcheck "[h['pid'] for h in d['holders']] == [$HPID]" "holders" \
	"d['holders'][0]['comm'] == 'nvfio-vfio-hold'" "comm" \
	"sorted((f['kind'], f['fd']) for f in d['holders'][0]['fds']) == [('container', $cfd), ('device', $dfd), ('group', $gfd)]" "fds" \
	"[f for f in d['holders'][0]['fds'] if f['kind'] == 'device'][0]['bdf'] == '$EDU'" "the device fd's device" \
	"[f for f in d['holders'][0]['fds'] if f['kind'] == 'group'][0]['iommu_group'] == $EG" "the group fd's group" \
	"d['holders'][0]['locked_kb'] >= 2048 and d['locked_kb'] >= 2048" "2 MiB of DMA mapping in VmLck" \
	"any(m['pid'] == $HPID and m['region'] == 0 and m['region_name'] == 'BAR0' and m['bdf'] == '$EDU' and m['size'] == 1048576 for m in d['mappings'])" "the BAR0 mmap" \
	"any(q['bdf'] == '$EDU' and q['type'] == 'msi' and q['vector'] == 0 and q['count'] >= 1 and q['remapped'] for q in d['interrupts'])" "the MSI" \
	"d['dma'] is None or isinstance(d['dma'], list)" "dma"
if [ "$(stack)" = ours ]; then
	# nvfio's own files (docs/visibility.md): the holder and its mapping
	# exactly, in the container the device is in.
	CID=$(cat "$PCI/$EDU/nvfio/container")
	echo "== nvfio's view (container $CID)"
	jcheck "'nvfio' in d['sources']" "nvfio in sources" \
		"[m for m in d['dma'] if m['container'] == $CID] == [{'container': $CID, 'iova': '0x100000', 'size': 2097152, 'flags': 'rw'}]" "the holder's DMA mapping"
	grep -Eq "^$HPID nvfio-vfio-hold$" "$PCI/$EDU/nvfio/holders" || fail "nvfio/holders does not list $HPID"
	expect 0 show "$EDU"
	grep -Eq "0x100000.*0x200000.*rw" "$OUTF" || fail "show does not list the DMA mapping"
else
	jcheck "d['dma'] is None and 'nvfio' not in d['sources']" "no nvfio view on mainline"
fi

echo "== show the container, the process, the group"
expect 0 --json show "$HPID:$cfd"
jcheck "d['target']['kind'] == 'container' and d['target']['fd'] == $cfd and [h['pid'] for h in d['holders']] == [$HPID]" "container" \
	"'$EDU' in [x['bdf'] for x in d['devices']]" "container devices"
expect 0 --json show "pid:$HPID"
jcheck "d['target']['kind'] == 'process' and len(d['interrupts']) >= 1" "process"
expect 0 --json show "$EG"
jcheck "d['target']['kind'] == 'group' and [h['pid'] for h in d['holders']] == [$HPID]" "group"
expect 3 show "$HPID:0"
expect 3 show "pid:$$"

echo "== list and why see the holder"
expect 0 list "$EG"
grep -Eq "^$EG +in use " "$OUTF" || fail "list does not say group $EG is in use"
grep -q "^group $EG is in use by pid $HPID (nvfio-vfio-hold)" "$OUTF" || fail "no holder line"
expect 0 --json list "$EG"
jcheck "d['groups'][0]['in_use'] and d['groups'][0]['holders'] == [{'pid': $HPID, 'comm': 'nvfio-vfio-hold'}]" "list holders"
expect 4 --json why "$EDU"
jcheck "[f['severity'] for f in d['findings'] if f['id'] == 'in-use'] == ['error'] and 'pid $HPID (nvfio-vfio-hold)' in [f for f in d['findings'] if f['id'] == 'in-use'][0]['message']" "why: in use"

echo "== unbind refuses while it is held"
expect 7 unbind "$EDU"
grep -q "in use by pid $HPID" "$ERRF" || fail "unbind does not say who holds it"
expect_driver "$EDU" vfio-pci "after the refused unbind"

echo "== the holder lets go"
exec 7>&-
wait $HPID || fail "the holder exited with status $?"
HPID=""
expect 0 --json show "$EDU"
jcheck "d['holders'] == [] and d['mappings'] == [] and all(q['bdf'] != '$EDU' for q in d['interrupts'])" "after the holder exited"
check_runner_edu
