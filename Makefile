# SPDX-License-Identifier: GPL-2.0-only
#
# nvfio - a fresh implementation of VFIO as out-of-tree modules.
#
#   make demo     install what is missing, build, boot a guest, run the edu demo
#   make check    run the test suite in guests, ours and mainline, on 6.12 and
#                 6.1 (T=substring, KERNELS=6.1 or KERNELS=6.12 for one kernel)
#   make check-debug  the suite on the debug kernel (KASAN, lockdep, kmemleak,
#                 fault injection; built once into build/debug-kernel), both
#                 modes, plus the fail-nth sweeps
#   make check-rt the suite on Debian's PREEMPT_RT 6.12, both modes
#   make bench    benchmarks, ours vs mainline, in one guest boot
#   make          build modules (for KVER, default the 6.12), tools and tests
#                 (needs `make setup` once)
#   make install  install the modules into /lib/modules/$(KVER)/updates/nvfio
#                 (DESTDIR, KVER respected; never the test module) and vfioctl
#                 with its man page and bash completion under $(PREFIX)
#                 (default /usr/local); uninstall
#   make deb      build/nvfio-dkms_$(VERSION)_all.deb, the DKMS package, and
#                 build/vfioctl_$(VERSION)_<arch>.deb, the vfioctl tool
#
# Modules are built per kernel in a copy of kernel/ under build/kmod/KVER/
# (Kbuild builds in place), where the guests load them from; installed ones
# in build/kmod-release/KVER/, without the test hooks (NVFIO_TESTING=n).

KVER    ?= $(shell scripts/kver.sh)
KERNELS ?= $(shell scripts/kver.sh --series)
KDIR    ?= /lib/modules/$(KVER)/build
# The debug kernel (make debug-kernel) is built, not installed.
DEBUG_KERNEL := $(CURDIR)/build/debug-kernel
ifeq ($(KVER),$(shell cat $(DEBUG_KERNEL)/release 2>/dev/null))
KDIR    := $(DEBUG_KERNEL)/obj
endif
ifeq ($(wildcard $(KDIR)),)
KDIR    := /usr/src/linux-headers-$(KVER)
endif
KMOD    := $(CURDIR)/build/kmod/$(KVER)
T       ?=

export KVER KERNELS T

.PHONY: all modules modules-all kmod-copy tools tests setup demo check bench \
	sparse clean format install uninstall deb release-modules debug-kernel \
	check-debug check-rt

all: modules tools tests

# The sources (and ../VERSION, which kernel/Kbuild reads) into build/kmod/KVER.
kmod-copy:
	@test -n "$(KVER)" || { echo "no 6.12 kernel headers: run 'make setup' first" >&2; exit 1; }
	@mkdir -p $(KMOD)/kernel
	@cp -p VERSION $(KMOD)/
	@cd kernel && find . -name '*.[ch]' -o -name Kbuild | cpio -pdmu --quiet $(KMOD)/kernel

modules: kmod-copy
	$(MAKE) -C $(KDIR) M=$(KMOD)/kernel W=1 modules

# Modules for every kernel of KERNELS (6.12 6.1 by default).
modules-all:
	@set -e; for k in $(KERNELS); do \
		v=$$(KVER= scripts/kver.sh $$k) || { echo "no $$k kernel with headers: run 'make setup'" >&2; exit 1; }; \
		$(MAKE) --no-print-directory modules KVER=$$v; \
	done

sparse: kmod-copy
	$(MAKE) -C $(KDIR) M=$(KMOD)/kernel W=1 C=2 modules

tools:
	$(MAKE) -C tools

tests: tools
	$(MAKE) -C tests

setup:
	scripts/setup.sh

demo: setup
	$(MAKE) all
	bench/demo.sh

# setup is a quick no-op once everything is installed; the sub-make sees a
# kernel that setup may just have installed.
check: setup
	$(MAKE) all modules-all
	bench/check.sh

# The debug guest kernel, built once from Debian's linux-source-6.12.
debug-kernel:
	bench/debug-kernel/build.sh

# Debug kernels are slow under TCG: generous limits per test (the device
# open sweep alone opens and resets the edu hundreds of times) and per boot.
check-debug: setup debug-kernel
	$(MAKE) all
	$(MAKE) modules KVER=$$(scripts/kver.sh debug)
	KERNELS=debug NVFIO_PACKAGE=0 NVFIO_TEST_TIMEOUT=$${NVFIO_TEST_TIMEOUT:-2400} \
		NVFIO_GUEST_TIMEOUT=$${NVFIO_GUEST_TIMEOUT:-14400} bench/check.sh

# Debian's PREEMPT_RT 6.12 (installed here, not by make setup). Its KVM
# needs a constant TSC, which TCG's CPU lacks: the kvm_* tests skip there.
check-rt: setup
	scripts/setup.sh 6.12-rt
	$(MAKE) all
	$(MAKE) modules KVER=$$(scripts/kver.sh 6.12-rt)
	KERNELS=6.12-rt NVFIO_PACKAGE=0 NVFIO_GUEST_TIMEOUT=$${NVFIO_GUEST_TIMEOUT:-3600} bench/check.sh

bench: setup
	$(MAKE) all
	bench/bench.sh

# The user-facing modules (never kernel/testing's), built without the test
# hooks and installed under updates/, which depmod prefers over the kernel's
# own drivers/vfio.
KREL        := $(CURDIR)/build/kmod-release/$(KVER)
INSTALL_KOS := $(addprefix $(KREL)/kernel/,core/vfio.ko iommu_type1/vfio_iommu_type1.ko pci/vfio-pci.ko)
MODDIR      := $(DESTDIR)/lib/modules/$(KVER)/updates/nvfio
# depmod for KVER; into a DESTDIR only when it holds a kernel's module tree
# (a bare staging directory gets its depmod on the target).
DEPMOD       = if [ -z "$(DESTDIR)" ] || [ -e "$(DESTDIR)/lib/modules/$(KVER)/modules.order" ]; then \
		depmod $(if $(DESTDIR),-b "$(DESTDIR)") $(KVER); \
	else echo "depmod skipped: no kernel module tree in DESTDIR"; fi

release-modules:
	$(MAKE) --no-print-directory kmod-copy KMOD=$(KREL)
	$(MAKE) -C $(KDIR) M=$(KREL)/kernel NVFIO_TESTING=n modules

# vfioctl (tools/vfioctl): the binary, its man page, its bash completion.
PREFIX      ?= /usr/local
SBINDIR     := $(DESTDIR)$(PREFIX)/sbin
MAN8DIR     := $(DESTDIR)$(PREFIX)/share/man/man8
COMPDIR     := $(DESTDIR)$(PREFIX)/share/bash-completion/completions

install: release-modules
	$(MAKE) -C tools vfioctl
	install -d "$(MODDIR)"
	install -m 644 $(INSTALL_KOS) "$(MODDIR)/"
	@$(DEPMOD)
	install -D -m 755 build/bin/vfioctl "$(SBINDIR)/vfioctl"
	install -D -m 644 tools/vfioctl/vfioctl.8 "$(MAN8DIR)/vfioctl.8"
	install -D -m 644 tools/vfioctl/vfioctl.bash-completion "$(COMPDIR)/vfioctl"

# Exactly what install put there; the directories only if now empty.
uninstall:
	@test -n "$(KVER)" || { echo "no kernel: set KVER" >&2; exit 1; }
	rm -f $(addprefix "$(MODDIR)"/,$(notdir $(INSTALL_KOS)))
	@for d in "$(MODDIR)" "$(dir $(MODDIR))"; do ! [ -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done
	@$(DEPMOD)
	rm -f "$(SBINDIR)/vfioctl" "$(MAN8DIR)/vfioctl.8" "$(COMPDIR)/vfioctl"

deb:
	scripts/mkdeb.sh

format:
	clang-format -i $$(find kernel tools tests -name '*.[ch]')

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean
	rm -rf build
