#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfioctl bind/unbind on the bench's two-device group (edu + e1000 behind a
# PCIe-to-PCI bridge): binding one device offers the group (exit 6, nothing
# changes); a failure at any device rolls every device back (test-only
# VFIOCTL_TEST_FAIL_AT); --group binds both and makes the group viable;
# unbind gives each its driver back, and rolls back too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vfioctl_lib.sh"
require true
find_shared_group || skip "no shared group (edu + e1000) in this guest"
o_edu=$(driver_of "$EDU1")
# shellcheck disable=SC2064 # expand now
trap "restore_driver $EDU1 '$o_edu'; e1000_restore; rm -rf $W /run/vfioctl/$EDU1 /run/vfioctl/$E1000" EXIT
e1000_on_driver || fail "cannot put $E1000 on its kernel driver e1000"
o_nic=e1000

# Both devices exactly as at the start: drivers, no override.
unchanged() {
	expect_driver "$EDU1" "$o_edu" "$1"
	expect_driver "$E1000" "$o_nic" "$1"
	for b in $EDU1 $E1000; do
		[ "$(cat "$PCI/$b/driver_override")" = "(null)" ] ||
			fail "$1: $b has driver_override '$(cat "$PCI/$b/driver_override")'"
	done
}

echo "== one device of a shared group: an offer, no change"
expect 6 bind "$EDU1" </dev/null
grep -q "vfioctl bind --group $EDU1" "$ERRF" || fail "the offer does not say how to bind the group"
grep -q "$E1000" "$ERRF" || fail "the offer does not name $E1000"
unchanged "after the offer"
expect 0 bind --dry-run --group "$SG"
grep -q "$E1000  e1000 -> vfio-pci" "$OUTF" || fail "--dry-run does not show the plan"
unchanged "after --dry-run"

echo "== rollback: each step of the second device fails in turn"
for step in override unbind probe verify; do
	RC=0
	VFIOCTL_TEST_FAIL_AT=$E1000:$step "$VFIOCTL" --json bind --group "$EDU1" >"$OUTF" 2>"$ERRF" || RC=$?
	cat "$OUTF" "$ERRF"
	[ "$RC" -eq 1 ] || fail "bind with $E1000:$step failing exited $RC, expected 1"
	jcheck "not d['ok'] and d['rolled_back']" "$step: not reported as rolled back" \
		"[x['action'] for x in d['devices']] == ['rolled-back', 'rolled-back']" "$step: both devices rolled back"
	unchanged "after the rollback of a failed $step of $E1000"
done
echo "== rollback: the first device fails"
VFIOCTL_TEST_FAIL_AT=$EDU1 expect 1 bind --group "$SG"
unchanged "after a failed probe of $EDU1"

echo "== the whole group"
expect 0 --json bind --group "$EDU1"
jcheck "d['ok'] and d['group_viable'] and d['iommu_group'] == $SG" "bind --group result"
expect_driver "$EDU1" vfio-pci "after bind --group"
expect_driver "$E1000" vfio-pci "after bind --group"
expect 0 list "$SG"
grep -Eq "^$SG +ready " "$OUTF" || fail "group $SG is not ready after bind --group"
expect 0 why "$EDU1"
expect 0 bind "$SG"
grep -q "unchanged" "$OUTF" || fail "binding a bound group again is not a no-op"

echo "== unbind rolls back too"
VFIOCTL_TEST_FAIL_AT=$E1000:verify expect 1 unbind --group "$SG"
expect_driver "$EDU1" vfio-pci "after a failed unbind"
expect_driver "$E1000" vfio-pci "after a failed unbind"

echo "== unbind: each back to its driver"
expect 0 --json unbind --group "$EDU1"
jcheck "d['ok'] and [x['driver_after'] for x in d['devices']] == [$( [ -n "$o_edu" ] && echo "'$o_edu'" || echo None), '$o_nic']" "unbind result"
unchanged "after unbind"
[ ! -e "/run/vfioctl/$E1000" ] || fail "unbind left /run/vfioctl/$E1000"
check_runner_edu
