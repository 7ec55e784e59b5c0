# SPDX-License-Identifier: GPL-2.0-only
#
# nvfio - a fresh implementation of VFIO as out-of-tree modules.
#
#   make demo     install what is missing, build, boot a guest, run the edu demo
#   make check    run the test suite in guests, ours and mainline, on 6.12 and
#                 6.1 (T=substring, KERNELS=6.1 or KERNELS=6.12 for one kernel)
#   make bench    benchmarks, ours vs mainline, in one guest boot
#   make          build modules (for KVER, default the 6.12), tools and tests
#                 (needs `make setup` once)
#
# Modules are built per kernel in a copy of kernel/ under build/kmod/KVER/
# (Kbuild builds in place), where the guests load them from.

KVER    ?= $(shell scripts/kver.sh)
KERNELS ?= $(shell scripts/kver.sh --series)
KDIR    ?= /lib/modules/$(KVER)/build
ifeq ($(wildcard $(KDIR)),)
KDIR    := /usr/src/linux-headers-$(KVER)
endif
KMOD    := $(CURDIR)/build/kmod/$(KVER)
T       ?=

export KVER KERNELS T

.PHONY: all modules modules-all kmod-copy tools tests setup demo check bench sparse clean format

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

bench: setup
	$(MAKE) all
	bench/bench.sh

format:
	clang-format -i $$(find kernel tools tests -name '*.[ch]')

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean
	rm -rf build
