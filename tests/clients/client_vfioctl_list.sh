#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfioctl list, --help, exit codes: the runner's edu group is ready (on
# vfio-pci, viable); the bench's two-device group is not viable and names
# the e1000 on e1000 as the reason; the JSON follows docs/vfioctl.md.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vfioctl_lib.sh"
EDU=${NVFIO_EDU:?the runner exports NVFIO_EDU}
find_shared_group || skip "no shared group (edu + e1000) in this guest"
trap 'e1000_restore; rm -rf "$W"' EXIT
e1000_on_driver || fail "cannot put $E1000 on its kernel driver e1000"
[ -z "$(driver_of "$EDU1")" ] || skip "$EDU1 is on $(driver_of "$EDU1"), expected no driver"
EG=$(basename "$(readlink "$PCI/$EDU/iommu_group")")

expect 0 --help
grep -q '^usage: vfioctl' "$OUTF" || fail "--help prints no usage"
expect 2 frobnicate
expect 2
expect 0 --version

expect 0 list
grep -q "^VFIO: $(vstack)" "$OUTF" || fail "the first line does not name the $(vstack) stack"
grep -Eq "^$EG +ready +$EDU +1234:11e8 +vfio-pci " "$OUTF" || fail "no 'ready' row for group $EG ($EDU on vfio-pci)"
grep -Eq "^$SG +not viable +" "$OUTF" || fail "group $SG is not shown as not viable"
grep -Eq " $EDU1 +1234:11e8 +- " "$OUTF" || fail "no row for $EDU1 (no driver)"
grep -Eq "^ +$E1000 +8086:100e +e1000 " "$OUTF" || fail "no aligned continuation row for $E1000 on e1000"
# The table is aligned: every cell starts in its header's column.
python3 - "$OUTF" <<'PY' || fail "the table is not aligned"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
head = lines[1]
cols = [m.start() for m in re.finditer(r"\S+", head)]
rows = [l for l in lines[2:] if re.search(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", l)]
assert rows, "no rows"
for l in rows:
    for c in cols[2:6]:  # DEVICE, ID, DRIVER, CLASS
        assert l[c] != " " and (c == 0 or l[c - 1] == " "), "misaligned at %d: %s" % (c, l)
PY

expect 0 list "$SG"
grep -q "^group $SG is not viable: $E1000 is on e1000" "$OUTF" || fail "no reason line for group $SG"

expect 0 --json list
jcheck "d['schema_version'] == 1 and d['command'] == 'list'" "schema_version/command" \
	"d['platform']['stack'] == '$(vstack)'" "platform.stack is not $(vstack)" \
	"d['platform']['vfio_pci_loaded'] and d['platform']['iommu'] and d['platform']['interrupt_remapping']" "platform flags" \
	"set(d) >= {'platform', 'holders_complete', 'groups', 'ungrouped_devices'}" "top-level keys" \
	"all(set(g) == {'iommu_group', 'type', 'viable', 'blockers', 'holders', 'in_use', 'devices'} for g in d['groups'])" "group keys" \
	"all(set(x) == {'bdf', 'vendor_id', 'device_id', 'class', 'vendor_name', 'device_name', 'class_name', 'driver', 'driver_override', 'iommu_group', 'bridge', 'persistent'} for g in d['groups'] for x in g['devices'])" "device keys" \
	"group($EG)['viable'] and dev('$EDU')['driver'] == 'vfio-pci' and not group($EG)['in_use']" "group $EG" \
	"{'bdf': '$E1000', 'driver': 'e1000'} in group($SG)['blockers'] and not group($SG)['viable']" "group $SG blockers" \
	"dev('$EDU1')['driver'] is None and dev('$E1000')['vendor_id'] == '8086' and dev('$E1000')['device_id'] == '100e'" "ids" \
	"not [1 for f in ['/usr/share/misc/pci.ids'] if __import__('os').path.exists(f)] or (dev('$E1000')['class_name'] == 'Ethernet controller' and dev('$E1000')['vendor_name'].startswith('Intel'))" "pci.ids names"

expect 0 --json list "$EDU"
jcheck "[g['iommu_group'] for g in d['groups']] == [$EG]" "list BDF filters to its group"
expect 3 list 99999
expect 2 list not-a-device
check_runner_edu
