#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot one test guest and wait for it to power off.
#
#   bench/run-guest.sh OUTDIR [TIMEOUT_SECONDS]
#
# OUTDIR is a fresh host directory holding the command file OUTDIR/cmd (a
# POSIX shell script the guest runs as root after chrooting into the host's
# root). It is shared writable with the guest at /run/nvfio ($NVFIO_OUT in the
# guest); the guest leaves there its results, dmesg.txt and exit-status. The
# serial console goes to OUTDIR/console.log, QEMU's own messages to
# OUTDIR/qemu.log, QEMU's wall time in seconds to OUTDIR/guest-seconds.
#
# Exit status: 0 when the guest powered off by itself, 124 when it was killed
# after TIMEOUT_SECONDS (default $NVFIO_GUEST_TIMEOUT or 600), else QEMU's.
#
# Environment: NVFIO_ACCEL=kvm to use KVM instead of TCG (nested KVM hangs the
# guest on these machines, hence the TCG default); NVFIO_VIOMMU=0 for a guest
# without the vIOMMU (no intel-iommu device, no intel_iommu=on, the virtio-net
# without iommu_platform: no PCI device has an IOMMU group, as on most cloud
# VMs; the no-IOMMU mode's boot, bench/check.sh); NVFIO_QEMU_EXTRA for more
# QEMU arguments; NVFIO_PRINT_CMD=1 to print the QEMU command line;
# NVFIO_GUEST_LOCK_HELD=1 when the caller holds the guest lock already.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 OUTDIR [TIMEOUT_SECONDS]"
out=$(cd "$1" && pwd) || die "no such directory: $1"
limit=${2:-${NVFIO_GUEST_TIMEOUT:-600}}
[ -f "$out/cmd" ] || die "$out/cmd: no command file"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: run 'make setup'"

initrd=$("$REPO/bench/mkinitramfs.sh")
# The guest's /init keeps the repo visible even where the guest mounts its own
# tmpfs (a clone under /tmp or /run): it reads the path from here.
echo "$REPO" >"$out/repo"

case ${NVFIO_ACCEL:-tcg} in
tcg) accel=(-accel tcg,thread=multi -cpu max) ;;
kvm) accel=(-accel kvm -cpu host) ;;
*) die "NVFIO_ACCEL must be tcg or kvm, not '$NVFIO_ACCEL'" ;;
esac

# Take the guest lock; say so when someone else's guest is running. A caller
# that holds the lock across several boots (bench/package.sh, while its
# package is installed) sets NVFIO_GUEST_LOCK_HELD=1: then the lock is taken
# here only if nobody holds it.
exec 9>>"$LOCK"
if [ -n "${NVFIO_GUEST_LOCK_HELD:-}" ]; then
	flock -n 9 || true
elif ! flock -n 9; then
	note "another guest is running (lock $LOCK): waiting"
	flock 9
fi

# Two free UDP ports on the loopback, one per NIC under test: each NIC's
# netdev is a UDP socket that sends to its own address, so every frame the NIC
# transmits comes back to it as received (loopback for the DPDK client tests).
# Chosen after taking the lock, so no other guest of ours takes them meanwhile.
read -r port0 port1 < <(python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))') || die "cannot find two free UDP ports"
loop() { echo "socket,id=$1,udp=127.0.0.1:$2,localaddr=127.0.0.1:$2"; }

# The vIOMMU, and what goes with it: the kernel's switch (Debian's 6.12 does
# not turn the Intel IOMMU on by default) and a virtio-net that translates its
# DMA through it. NVFIO_VIOMMU=0 leaves all three out.
case ${NVFIO_VIOMMU:-1} in
1)
	viommu=(-device intel-iommu,intremap=on)
	iommu_cmdline=" intel_iommu=on"
	virtio_dma=",iommu_platform=on"
	;;
0) viommu=() iommu_cmdline="" virtio_dma="" ;;
*) die "NVFIO_VIOMMU must be 1 or 0, not '$NVFIO_VIOMMU'" ;;
esac

# The debug kernel (KASAN) boots with 4-level paging. TCG's -cpu max has
# 5-level paging (LA57), and 6.12's identify_cpu() clears the boot CPU's
# feature bits, LA57 among them, before cpu_detect() and sets them again
# after: an interrupt in that window (under TCG it is long) has KASAN
# compute its shadow bounds for 4-level paging, and it reports the 5-level
# direct-map address of the irq descriptor's lock as a "wild-memory-access
# in do_raw_spin_lock" from handle_edge_irq. Seen in 2 of about 10 debug
# boots, before any module was loaded.
debug_cmdline=""
case $VMLINUZ in "$DEBUG_KERNEL"/*) debug_cmdline=" no5lvl" ;; esac

qemu=(
	qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot
	-machine q35,kernel-irqchip=split "${accel[@]}" -m 4G -smp 2
	# The vIOMMU must come before the devices it translates for.
	"${viommu[@]}"
	-kernel "$VMLINUZ" -initrd "$initrd"
	# panic=-1 with -no-reboot turns a guest panic into a QEMU exit.
	# tsc=reliable: no clocksource watchdog. Under TCG on a busy host the
	# watchdog sees the TSC skew against the HPET, marks it unstable and
	# switches to the HPET; from then on the guest's clock stood still
	# (every printk stamp the same), so timers never fired, RCU grace
	# periods never ended and the guest hung or ran out of memory with
	# RCU-freed slabs. Seen with both stacks on 6.12 and its -rt kernel,
	# in the concurrency stress test (tests/test_stress.c).
	-append "console=ttyS0$iommu_cmdline panic=-1 tsc=reliable$debug_cmdline"
	-serial "file:$out/console.log"
	# The host root, read-only, and the writable per-boot share.
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=nvfioout,path=$out,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=nvfioout,mount_tag=nvfioout
	# The devices under test. The edu on the root bus is alone in its IOMMU
	# group (the demo/test device). The e1000e and the virtio-net each loop
	# back to themselves (see loop above); the e1000 sits on a hub with no
	# host side. No traffic leaves the host. No option ROMs: SeaBIOS boots
	# faster.
	-device edu,id=edu0
	-netdev "$(loop net0 "$port0")" -device e1000e,netdev=net0,romfile=
	-blockdev driver=null-co,node-name=nvm0,size=1073741824
	-device nvme,drive=nvm0,serial=nvfio0
	-netdev "$(loop net1 "$port1")"
	-device "virtio-net-pci,netdev=net1,disable-legacy=on$virtio_dma,romfile="
	# One IOMMU group with two devices: a conventional PCI bus behind a
	# PCIe-to-PCI bridge (its devices share the bridge's requester ID).
	-device pcie-pci-bridge,id=pcibr0
	-device edu,bus=pcibr0,addr=1,id=edu1
	-netdev hubport,id=net2,hubid=2 -device e1000,netdev=net2,bus=pcibr0,addr=2,romfile=
	# SR-IOV (tests/test_pci_sriov.c): an NVMe controller that can make two
	# VFs, behind a PCIe root port so that they get function numbers of
	# its own bus. QEMU's nvme wants a subsystem and at least two flexible
	# queues and one flexible interrupt per VF; it needs no namespace.
	# Intel's ids (8086:5845) keep it apart from the nvme above, which the
	# tests find by 1b36:0010. Last, so no bus number above changes.
	-device pcie-root-port,id=rp0,chassis=1
	-device nvme-subsys,id=nvmesubsys0
	-device nvme,bus=rp0,subsys=nvmesubsys0,serial=nvfio1,use-intel-id=on,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2
	# A large BAR, for huge BAR mappings (tests/test_pci_hugemap.c): an
	# ivshmem-plain, whose BAR2 is its 1 GiB shared memory (1 GiB-aligned,
	# as every BAR is aligned to its size: PUD-mappable), alone behind a
	# PCIe root port so that a secondary bus reset can reset it
	# (VFIO_DEVICE_RESET). Last, so that the devices above keep their
	# addresses; the guest has no driver for it. The host backs it with
	# shared memory, allocated as the guest touches it (1 GiB at most).
	-object memory-backend-ram,id=ivmem,size=1G,share=on
	-device pcie-root-port,id=rp1,chassis=2
	-device ivshmem-plain,memdev=ivmem,bus=rp1
	# A VGA-class device (class 0x0300), for the VGA region of vfio-pci
	# (tests/test_pci_vga.c): QEMU's standard VGA (1234:1111) on the root
	# bus, without its option ROM. It answers at the legacy VGA addresses
	# (memory 0xa0000-0xbffff, ports 0x3b0-0x3bb and 0x3c0-0x3df) whatever
	# its command register says. No driver of the guest takes it (the
	# console is the serial port; bochs-drm is a module nobody loads).
	# Last, so that the devices above keep their addresses.
	-device VGA,romfile=
)
# shellcheck disable=SC2206 # word splitting wanted
[ -z "${NVFIO_QEMU_EXTRA:-}" ] || qemu+=($NVFIO_QEMU_EXTRA)
[ -z "${NVFIO_PRINT_CMD:-}" ] || echo "${qemu[*]}" >&2


: >"$out/console.log"
start=$(now)
# timeout(1) puts QEMU in its own process group, out of reach of Ctrl-C: pass
# an interrupt on explicitly, or the guest would keep running (and holding the
# lock) after we are gone.
timeout -k 5 "$limit" "${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qpid=$!
interrupted=""
trap 'interrupted=1; kill -TERM $qpid 2>/dev/null' INT TERM HUP
while :; do
	rc=0
	wait "$qpid" || rc=$?
	# A trapped signal interrupts wait(); wait again until QEMU is gone.
	kill -0 "$qpid" 2>/dev/null || break
done
# QEMU's wall time, without the wait for the lock.
since "$start" >"$out/guest-seconds"
[ -z "$interrupted" ] || { note "interrupted: guest stopped"; exit 130; }
[ "$rc" -ne 124 ] || note "guest killed after ${limit} s (timeout)"
exit "$rc"
