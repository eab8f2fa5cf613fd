#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# pkg-config files (TAP): installed with another PREFIX they name that
# PREFIX, and the RDMA/DRM helpers require libp2pbuf and libibverbs/libdrm
# publicly (their headers include those libraries' headers).
src=@SRC@
o=@O@
pc=${PKG_CONFIG:-pkg-config}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
prefix=/opt/p2pbuf-pc-test
make -s -C "$src" O="$o" install DESTDIR="$tmp" PREFIX=$prefix >"$tmp/log" 2>&1
ok $? "make install PREFIX=$prefix DESTDIR=..."
export PKG_CONFIG_PATH="$tmp$prefix/lib/pkgconfig"
got=$($pc --variable=prefix libp2pbuf)
[ "$got" = "$prefix" ]; ok $? "libp2pbuf.pc: prefix is the install PREFIX ($got)"
got=$($pc --variable=libdir libp2pbuf)
[ "$got" = "$prefix/lib" ]; ok $? "libp2pbuf.pc: libdir $got"
for lib in verbs:libibverbs drm:libdrm; do
	name=libp2pbuf-${lib%%:*} dep=${lib#*:}
	if [ ! -f "$PKG_CONFIG_PATH/$name.pc" ]; then
		n=$((n + 1)); echo "ok $n - # SKIP $name not built ($dep missing)"
		continue
	fi
	req=$(sed -n 's/^Requires: *//p' "$PKG_CONFIG_PATH/$name.pc")
	echo " $req " | grep -q " libp2pbuf " && echo " $req " | grep -q " $dep "
	ok $? "$name.pc: Requires (public) lists libp2pbuf and $dep: '$req'"
	cflags=$($pc --cflags "$name") && echo "$cflags" | grep -q -- "-I$prefix/include"
	ok $? "$name: --cflags resolves, with $prefix/include: $cflags"
	libs=$($pc --libs "$name") && echo "$libs" | grep -q -- "-lp2pbuf\b"
	ok $? "$name: --libs brings -lp2pbuf: $libs"
done
echo "1..$n"
exit $fail
