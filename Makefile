# SPDX-License-Identifier: GPL-2.0
#
# p2pbuf top level. In a kernel tree this directory's Kbuild is used instead;
# here it drives the out-of-tree build, the userspace and the VM test bed.
#
#   make             modules for the running/test kernel and all userspace
#   make user        library, p2pbuf command, tests        -> build/user
#   make modules     p2pbuf.ko and test modules (KDIR=... or the test kernel)
#   make check       host tests, then every suite in the p2pdma, iommu, stock VMs
#   make demo        the pipeline demo in the reference VM
#   make install     library, headers, pkg-config, man pages, p2pbuf command

TOP   := $(CURDIR)
O     ?= $(TOP)/build/user
VM    := $(TOP)/tools/testing/vm
PREFIX ?= /usr/local

USER_DIRS := lib/libp2pbuf tools/p2pbuf tests/igt tools/testing/selftests/p2pbuf tools/demo

.PHONY: all user modules check demo install clean $(USER_DIRS)

all: user

user: $(USER_DIRS)

$(USER_DIRS):
	@if [ -f $@/Makefile ]; then $(MAKE) -C $@ O=$(O) TOP=$(TOP); fi

tools/p2pbuf tests/igt tools/demo: lib/libp2pbuf

modules:
	@if [ -z "$(KDIR)" ]; then eval "$$($(VM)/build-kernel.sh)"; \
	  $(MAKE) -C "$$KDIR" M=$(TOP) modules; \
	else $(MAKE) -C "$(KDIR)" M=$(TOP) modules; fi

check:
	@$(VM)/deps
	$(VM)/check

demo:
	@$(VM)/deps
	$(TOP)/tools/demo/run-demo

install: user
	$(MAKE) -C lib/libp2pbuf O=$(O) TOP=$(TOP) PREFIX=$(PREFIX) install
	$(MAKE) -C tools/p2pbuf O=$(O) TOP=$(TOP) PREFIX=$(PREFIX) install

clean:
	rm -rf build
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M=$(TOP) clean; fi
