# SPDX-License-Identifier: GPL-2.0-only
#
# nvfio - a fresh implementation of VFIO as out-of-tree modules.
#
#   make demo     install what is missing, build, boot a guest, run the edu demo
#   make check    run the test suite in a guest, ours and mainline (T=substring)
#   make bench    benchmarks, ours vs mainline, in one guest boot
#   make          build modules, tools and tests (needs `make setup` once)

KVER  ?= $(shell scripts/kver.sh)
KDIR  ?= /lib/modules/$(KVER)/build
ifeq ($(wildcard $(KDIR)),)
KDIR  := /usr/src/linux-headers-$(KVER)
endif
T     ?=

export KVER T

.PHONY: all modules tools tests setup demo check bench sparse clean format

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

format:
	clang-format -i $$(find kernel tools tests -name '*.[ch]')

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean
	rm -rf build
