#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# trace-cmd (Debian's package, unmodified) records nvfio's trace events
# (docs/visibility.md) while nvfio-vfio-holder holds the runner's edu the
# way a VMM does: the device opened, its 2 MiB DMA mapping with 512 pages
# pinned, MSI wired (set_irqs), the interrupt the edu raised (irq_trigger),
# then everything undone. trace-cmd report prints each event with the
# fields of its format. nvfio only: mainline's vfio has no such events.
. "$(dirname "$0")/lib.sh"
require trace-cmd
[ "$(stack)" = ours ] || skip "nvfio's trace events: not on the $(stack) stack"
EDU=${NVFIO_EDU:?the runner exports NVFIO_EDU}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
HOLDER=$REPO/build/bin/nvfio-vfio-holder
[ -x "$HOLDER" ] || fail "$HOLDER does not exist: build it first (make tests)"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# trace-cmd looks for tracefs at /sys/kernel/tracing (or under debugfs).
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing ||
	fail "cannot mount tracefs"

echo "== trace-cmd list: the events are there"
trace-cmd list -e nvfio >"$W/list" 2>&1 || fail "trace-cmd list failed: $(cat "$W/list")"
cat "$W/list"
[ -s "$W/list" ] || ls /sys/kernel/tracing/events/nvfio
for e in device_open device_close dma_map dma_unmap set_irqs irq_trigger device_reset device_revoke; do
	grep -qx "nvfio:$e" "$W/list" || fail "trace-cmd does not list nvfio:$e"
done

echo "== trace-cmd record -e nvfio while the holder runs"
# The holder lets go at EOF on stdin, right after it got its interrupt.
trace-cmd record -e nvfio -o "$W/trace.dat" "$HOLDER" "$EDU" </dev/null >"$W/record" 2>&1 ||
	fail "trace-cmd record failed: $(tail -n 5 "$W/record")"
tail -n 5 "$W/record"
trace-cmd report -i "$W/trace.dat" >"$W/report" 2>&1 || fail "trace-cmd report failed: $(tail -n 5 "$W/report")"
grep nvfio "$W/report" || true
grep -E "nvfio-vfio-hold" "$W/report" | grep -q "device_open: *dev=$EDU open_count=1" ||
	fail "no device_open of $EDU by the holder"
grep -q "dma_map: *iova=0x100000 size=0x200000 pages=512" "$W/report" || fail "no dma_map of the holder's 2 MiB"
grep -q "set_irqs: *dev=$EDU index=1 start=0 count=1 flags=0x24 ret=0" "$W/report" || fail "no set_irqs wiring MSI 0"
grep -q "irq_trigger: *dev=$EDU index=1 vector=0" "$W/report" || fail "no irq_trigger of MSI 0"
grep -q "set_irqs: *dev=$EDU index=1 start=0 count=0 flags=0x21 ret=0" "$W/report" || fail "no set_irqs turning MSI off"
grep -q "dma_unmap: *iova=0x100000 size=0x200000 pages=512" "$W/report" || fail "no dma_unmap of the 2 MiB"
grep -q "device_close: *dev=$EDU open_count=0" "$W/report" || fail "no device_close of $EDU"
echo "note: trace-cmd recorded $(grep -c ' nvfio:\| device_\| dma_\| set_irqs\| irq_trigger' "$W/report") nvfio events"
