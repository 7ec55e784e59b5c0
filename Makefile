# SPDX-License-Identifier: GPL-2.0-only
#
# nvfio - a fresh implementation of VFIO as out-of-tree modules.
#
#   make demo     install what is missing, build, boot a guest, run the edu demo
#   make check    run the test suite in a guest, ours and mainline (T=substring)
#   make bench    benchmarks, ours vs mainline, in one guest boot
#   make          build modules, tools and tests (needs `make setup` once)
#   make install  install the modules into /lib/modules/$(KVER)/updates/nvfio
#                 (DESTDIR, KVER respected; never the test module); uninstall
#   make deb      build/nvfio-dkms_$(VERSION)_all.deb, the DKMS package

KVER  ?= $(shell scripts/kver.sh)
KDIR  ?= /lib/modules/$(KVER)/build
ifeq ($(wildcard $(KDIR)),)
KDIR  := /usr/src/linux-headers-$(KVER)
endif
T     ?=

export KVER T

.PHONY: all modules tools tests setup demo check bench sparse clean format \
	install uninstall deb

all: modules tools tests

modules:
	@test -n "$(KVER)" || { echo "no 6.12 kernel headers: run 'make setup' first" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel W=1 modules

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel W=1 C=2 modules

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
	$(MAKE) all
	bench/check.sh

bench: setup
	$(MAKE) all
	bench/bench.sh

# The user-facing modules (never kernel/testing's), installed under updates/,
# which depmod prefers over the kernel's own drivers/vfio.
INSTALL_KOS := kernel/core/vfio.ko kernel/iommu_type1/vfio_iommu_type1.ko kernel/pci/vfio-pci.ko
MODDIR      := $(DESTDIR)/lib/modules/$(KVER)/updates/nvfio
# depmod for KVER; into a DESTDIR only when it holds a kernel's module tree
# (a bare staging directory gets its depmod on the target).
DEPMOD       = if [ -z "$(DESTDIR)" ] || [ -e "$(DESTDIR)/lib/modules/$(KVER)/modules.order" ]; then \
		depmod $(if $(DESTDIR),-b "$(DESTDIR)") $(KVER); \
	else echo "depmod skipped: no kernel module tree in DESTDIR"; fi

install: modules
	install -d "$(MODDIR)"
	install -m 644 $(INSTALL_KOS) "$(MODDIR)/"
	@$(DEPMOD)

# Exactly what install put there; the directories only if now empty.
uninstall:
	@test -n "$(KVER)" || { echo "no kernel: set KVER" >&2; exit 1; }
	rm -f $(addprefix "$(MODDIR)"/,$(notdir $(INSTALL_KOS)))
	@for d in "$(MODDIR)" "$(dir $(MODDIR))"; do ! [ -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done
	@$(DEPMOD)

deb:
	scripts/mkdeb.sh

format:
	clang-format -i $$(find kernel tools tests -name '*.[ch]')

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean
	rm -rf build
