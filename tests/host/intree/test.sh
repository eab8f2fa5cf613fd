#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of the in-tree build (TAP): scripts/p2pbuf-intree.sh applied to
# a copy of the test kernel's source tree (Debian's linux-source-6.12, cp
# -al of the cache: what the script edits it replaces, never writes into),
# configured with the test kernel's .config plus CONFIG_DMABUF_P2P=m, then
#  - Kconfig's `source` line makes DMABUF_P2P a symbol olddefconfig keeps;
#  - `make drivers/dma-buf/` reaches p2p/ through the Makefile's obj- line;
#  - p2pbuf.ko links against the test kernel's vmlinux.o (modpost: every
#    symbol resolved), is an in-tree module for that release, and the build
#    gives no warning in drivers/dma-buf/p2p (W=1);
#  - the ioctl number is registered once, in order, in ioctl-number.rst;
#  - a second run of the script changes nothing.
# A build failure is a failure, not a skip. About 2 minutes with 2 cores.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=${P2PBUF_BUILD:-$top/build}
mkdir -p "$build"
tmp=$(mktemp -d "$build/intree.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. "$top/tests/host/lib/tap.sh"
finish() { echo "1..$n"; exit $fail; }

kout=$("$top/tools/testing/vm/build-kernel.sh" 2>"$tmp/kernel.log")
ok $? "the test kernel and its source are at hand" || { tail -n 5 "$tmp/kernel.log" | note; finish; }
eval "$kout"
eval "$("$top/tools/testing/vm/fetch-kernels.sh" 2>/dev/null)"

linux=$tmp/linux o=$tmp/o
cp -al "$SRC_DIR" "$linux" 2>/dev/null || cp -as "$SRC_DIR" "$linux"
ok $? "copy of $SRC_DIR" || finish

"$top/scripts/p2pbuf-intree.sh" "$linux" >"$tmp/apply.log" 2>&1
ok $? "scripts/p2pbuf-intree.sh applies" || { note <"$tmp/apply.log"; finish; }
(cd "$linux" && sha256sum drivers/dma-buf/Kconfig drivers/dma-buf/Makefile drivers/dma-buf/p2p/* \
	include/linux/p2pbuf.h include/uapi/linux/p2pbuf.h \
	Documentation/userspace-api/ioctl/ioctl-number.rst) >"$tmp/sums1"
"$top/scripts/p2pbuf-intree.sh" "$linux" >/dev/null 2>&1 &&
	(cd "$linux" && sha256sum --quiet -c "$tmp/sums1") &&
	[ "$(grep -c 'drivers/dma-buf/p2p/Kconfig' "$linux/drivers/dma-buf/Kconfig")" = 1 ] &&
	[ "$(grep -c 'CONFIG_DMABUF_P2P' "$linux/drivers/dma-buf/Makefile")" = 1 ]
ok $? "a second run changes nothing (one source line, one obj- line)"
[ "$(stat -c %h "$SRC_DIR/drivers/dma-buf/Kconfig")" = 1 ] &&
	! grep -q p2p "$SRC_DIR/drivers/dma-buf/Kconfig" "$SRC_DIR/drivers/dma-buf/Makefile"
ok $? "the cached source tree is untouched"

i=$linux/Documentation/userspace-api/ioctl/ioctl-number.rst
codes=$(grep -o '^0x[0-9A-F][0-9A-F] ' "$i" | tr -d ' ')
[ "$(grep -c '^0xB9 .*uapi/linux/p2pbuf.h' "$i")" = 1 ] &&
	[ "$(grep -c '^0xB9 ' "$i")" = 1 ] &&
	[ "$codes" = "$(echo "$codes" | sort -s)" ] &&
	grep -q 'define P2PBUF_IOCTL_BASE[[:space:]]*0xB9$' "$top/include/uapi/linux/p2pbuf.h"
ok $? "ioctl-number.rst: 0xB9 is p2pbuf's alone, in order, and is P2PBUF_IOCTL_BASE"

mkdir -p "$o"
cp "$KDIR/.config" "$o/.config"
"$linux/scripts/config" --file "$o/.config" -m DMABUF_P2P
make -s -C "$linux" O="$o" olddefconfig >"$tmp/config.log" 2>&1
grep -qx 'CONFIG_DMABUF_P2P=m' "$o/.config"
ok $? "Kconfig: olddefconfig keeps CONFIG_DMABUF_P2P=m" || { note <"$tmp/config.log"; finish; }

make -s -C "$linux" O="$o" -j2 modules_prepare >"$tmp/prepare.log" 2>&1
ok $? "make modules_prepare" || { tail -n 20 "$tmp/prepare.log" | note; finish; }

# The test kernel's vmlinux.o, same source and config: modpost resolves
# every symbol the module takes from the kernel against it.
ln "$KDIR/vmlinux.o" "$o/vmlinux.o" 2>/dev/null || cp "$KDIR/vmlinux.o" "$o/vmlinux.o"
make -C "$linux" O="$o" -j2 W=1 drivers/dma-buf/ >"$tmp/dir.log" 2>&1
rc=$?
[ $rc = 0 ] && grep -qx 'drivers/dma-buf/p2p/p2pbuf.o' "$o/drivers/dma-buf/modules.order"
ok $? "make drivers/dma-buf/ builds p2p/ through the obj-\$(CONFIG_DMABUF_P2P) line" ||
	tail -n 20 "$tmp/dir.log" | note
make -C "$linux" O="$o" -j2 W=1 drivers/dma-buf/p2p/p2pbuf.ko >"$tmp/ko.log" 2>&1
rc=$?
ko=$o/drivers/dma-buf/p2p/p2pbuf.ko
[ $rc = 0 ] && [ -f "$ko" ]
ok $? "p2pbuf.ko links, modpost resolves every symbol against vmlinux.o" ||
	grep -E 'error|ERROR' "$tmp/ko.log" | head -n 20 | note
[ "$(modinfo -F intree "$ko" 2>/dev/null)" = Y ] &&
	[ "$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)" = "$KREL" ]
ok $? "p2pbuf.ko is an in-tree module for $KREL"
warn=$(cat "$tmp/dir.log" "$tmp/ko.log" | grep -A3 'drivers/dma-buf/p2p/.*warning:')
[ -z "$warn" ]
ok $? "no warning in drivers/dma-buf/p2p (W=1)" || echo "$warn" | note
finish
