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
#   make bench       benchmarks in the stock and test-kernel VMs; rewrites
#                    bench/results.md and bench/results.json (not part of check)
#   make install     library, headers, pkg-config, man pages, p2pbuf command,
#                    udev rule, modprobe.d example (make uninstall removes them)
#   make modules_install   p2pbuf.ko alone, for KDIR (default: the running kernel)
#
# install/uninstall take DESTDIR, PREFIX (/usr/local) and LIBDIR, INCDIR,
# UAPIDIR, MANDIR, BINDIR, SYSCONFDIR, UDEVDIR; the build takes CFLAGS,
# CPPFLAGS, LDFLAGS as dpkg-buildflags gives them, and WERROR=1 (CI only).

TOP   := $(CURDIR)
O     ?= $(TOP)/build/user
VM    := $(TOP)/tools/testing/vm
PREFIX ?= /usr/local
# udev and modprobe read /etc, /usr/lib and /lib only, never $(PREFIX)/etc
SYSCONFDIR ?= /etc
UDEVDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,$(SYSCONFDIR)/udev/rules.d)
MODPROBEDIR ?= $(SYSCONFDIR)/modprobe.d

USER_DIRS := lib/libp2pbuf tools/p2pbuf tests/igt tools/testing/selftests/p2pbuf tools/demo

.PHONY: all user modules modules_install check coverage demo bench install uninstall clean $(USER_DIRS)

all: user

user: $(USER_DIRS)

$(USER_DIRS):
	@if [ -f $@/Makefile ]; then $(MAKE) -C $@ O=$(O) TOP=$(TOP); fi

tools/p2pbuf tests/igt tools/demo: lib/libp2pbuf

modules:
	@if [ -z "$(KDIR)" ]; then eval "$$($(VM)/build-kernel.sh)"; \
	  $(MAKE) -C "$$KDIR" M=$(TOP) modules; \
	else $(MAKE) -C "$(KDIR)" M=$(TOP) modules; fi

# The product module only (P2PBUF_ONLY=1: no test modules), for the running
# kernel unless KDIR says otherwise; INSTALL_MOD_PATH stages it elsewhere.
modules_install: KDIR ?= /lib/modules/$(shell uname -r)/build
modules_install:
	$(MAKE) -C "$(KDIR)" M=$(TOP) P2PBUF_ONLY=1 modules
	$(MAKE) -C "$(KDIR)" M=$(TOP) P2PBUF_ONLY=1 modules_install

check:
	@$(VM)/deps
	$(VM)/check

# what the suites reach of the module (gcov), apart from `make check`
coverage:
	@$(VM)/deps
	$(VM)/coverage

demo:
	@$(VM)/deps
	$(TOP)/tools/demo/run-demo

bench:
	@$(VM)/deps
	$(TOP)/bench/run

# install builds only what it installs (no tests: no kernel source, no
# libdrm or libibverbs needed; their helpers are built where pkg-config
# finds them). Directory variables given to make reach the sub-makes.
install:
	$(MAKE) -C lib/libp2pbuf O=$(O) TOP=$(TOP) install
	$(MAKE) -C tools/p2pbuf O=$(O) TOP=$(TOP) install
	install -d $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(MODPROBEDIR)
	install -m 644 udev/60-p2pbuf.rules $(DESTDIR)$(UDEVDIR)/
	install -m 644 modprobe.d/p2pbuf.conf.example $(DESTDIR)$(MODPROBEDIR)/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall:
	$(MAKE) -C lib/libp2pbuf O=$(O) TOP=$(TOP) uninstall
	$(MAKE) -C tools/p2pbuf O=$(O) TOP=$(TOP) uninstall
	rm -f $(DESTDIR)$(UDEVDIR)/60-p2pbuf.rules $(DESTDIR)$(MODPROBEDIR)/p2pbuf.conf.example
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

clean:
	rm -rf build
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M=$(TOP) clean; fi
