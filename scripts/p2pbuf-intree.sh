#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Drop p2pbuf into a kernel source tree as drivers/dma-buf/p2p:
#
#   scripts/p2pbuf-intree.sh LINUX_SRC
#
# Copies the module's sources (drivers/dma-buf/p2p/*.[ch], Kconfig,
# Makefile), include/linux/p2pbuf.h and include/uapi/linux/p2pbuf.h, and
# adds
#   source "drivers/dma-buf/p2p/Kconfig"   to drivers/dma-buf/Kconfig
#   obj-$(CONFIG_DMABUF_P2P) += p2p/       to drivers/dma-buf/Makefile
#   the 0xB9 line of Documentation/p2pbuf/ioctl-number.rst to
#   Documentation/userspace-api/ioctl/ioctl-number.rst
# Then configure DMABUF_P2P (Device Drivers > DMABUF options) as usual.
# Running it again changes nothing. A file it edits is replaced, never
# written in place, so a tree made with `cp -al` shares nothing it changes.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# = 1 ] || { echo "usage: $0 LINUX_SRC" >&2; exit 2; }
linux=$1
for f in Makefile drivers/dma-buf/Kconfig drivers/dma-buf/Makefile \
	 Documentation/userspace-api/ioctl/ioctl-number.rst; do
	[ -f "$linux/$f" ] || { echo "$0: $linux is not a kernel source tree (no $f)" >&2; exit 1; }
done

put() {		# put SRC DEST: copy, replacing DEST rather than writing into it
	rm -f "$2"
	cp "$1" "$2"
}

# replace FILE: FILE.new (already written) takes FILE's place
replace() {
	mv "$1.new" "$1"
}

mkdir -p "$linux/drivers/dma-buf/p2p"
for f in "$top"/drivers/dma-buf/p2p/*.c "$top"/drivers/dma-buf/p2p/*.h \
	 "$top/drivers/dma-buf/p2p/Kconfig" "$top/drivers/dma-buf/p2p/Makefile"; do
	put "$f" "$linux/drivers/dma-buf/p2p/$(basename "$f")"
done
put "$top/include/linux/p2pbuf.h" "$linux/include/linux/p2pbuf.h"
put "$top/include/uapi/linux/p2pbuf.h" "$linux/include/uapi/linux/p2pbuf.h"

# Kconfig: inside the DMABUF options menu, before its endmenu
k=$linux/drivers/dma-buf/Kconfig
if ! grep -q '^source "drivers/dma-buf/p2p/Kconfig"' "$k"; then
	awk '/^endmenu/ && !done { print "source \"drivers/dma-buf/p2p/Kconfig\"\n"; done = 1 } { print }' \
		"$k" >"$k.new"
	grep -q '^source "drivers/dma-buf/p2p/Kconfig"' "$k.new" ||
		{ rm -f "$k.new"; echo "$0: no endmenu in $k" >&2; exit 1; }
	replace "$k"
fi

m=$linux/drivers/dma-buf/Makefile
if ! grep -q '^obj-$(CONFIG_DMABUF_P2P)' "$m"; then
	{ cat "$m"; printf 'obj-$(CONFIG_DMABUF_P2P)\t+= p2p/\n'; } >"$m.new"
	replace "$m"
fi

# ioctl-number.rst: the table line, in order of code
i=$linux/Documentation/userspace-api/ioctl/ioctl-number.rst
line=$(grep '^0xB9 ' "$top/Documentation/p2pbuf/ioctl-number.rst")
if ! grep -q 'uapi/linux/p2pbuf.h' "$i"; then
	awk -v line="$line" '
		function hex(s,  i, v) {
			v = 0; s = toupper(s)
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
			return v
		}
		!done && /^0x[0-9A-Fa-f][0-9A-Fa-f] / && hex(substr($1, 3)) > hex("B9") {
			print line; done = 1
		}
		{ print }' "$i" >"$i.new"
	grep -q 'uapi/linux/p2pbuf.h' "$i.new" ||
		{ rm -f "$i.new"; echo "$0: no place for 0xB9 in $i" >&2; exit 1; }
	replace "$i"
fi
echo "p2pbuf added to $linux: configure CONFIG_DMABUF_P2P"
