#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of the install (TAP), as a Debian packager and a DKMS user meet it:
#  - `make install` with dpkg-buildflags' flags (hardening=+all) given on the
#    command line, PREFIX=/usr, into a DESTDIR: it builds no tests, and the
#    installed library and command have BIND_NOW, RELRO, fortified calls and
#    no RUNPATH/RPATH; the library exports exactly its map;
#  - the installed pkg-config files build programs against the DESTDIR
#    (<p2pbuf/p2pbuf.h>, <linux/p2pbuf.h>, the helpers beside their libraries);
#  - every exported function has a man page that man resolves, aliases too;
#  - the udev rule and the modprobe.d example (whose options must be the
#    module's parameters) are installed; `make uninstall` leaves no file;
#  - DKMS (Debian's dkms, scratch trees) builds and installs p2pbuf.ko alone
#    against the stock 6.12 headers and Debian 12's default 6.1 headers, and
#    so does `make modules_install` (6.12).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/tests/host/lib/tap.sh"
skip() { n=$((n + 1)); echo "ok $n - # SKIP $*"; }

# --- build and install as dpkg-buildpackage would
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags=$(dpkg-buildflags --get CFLAGS)
cppflags=$(dpkg-buildflags --get CPPFLAGS)
ldflags=$(dpkg-buildflags --get LDFLAGS)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
o=$tmp/build d=$tmp/destdir
dirs=(PREFIX=/usr LIBDIR=/usr/lib/$multiarch)
libdir=/usr/lib/$multiarch mandir=/usr/share/man
echo "# CFLAGS=$cflags" && echo "# CPPFLAGS=$cppflags" && echo "# LDFLAGS=$ldflags"
make -C "$top" -j2 install O="$o" DESTDIR="$d" "${dirs[@]}" \
	CFLAGS="$cflags" CPPFLAGS="$cppflags" LDFLAGS="$ldflags" >"$tmp/install.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 30 "$tmp/install.log" | note
ok $rc "make install DESTDIR=... PREFIX=/usr with dpkg-buildflags CFLAGS, CPPFLAGS, LDFLAGS on the command line"
built_tests=$(cd "$o" && find tests -type f 2>/dev/null | head -n 3)
[ -z "$built_tests" ]; ok $? "make install builds no tests (${built_tests:-none built})"
grep -q -- '-D_FORTIFY_SOURCE=2.*-fstack-protector-strong' "$tmp/install.log"
ok $? "the compile commands carry CPPFLAGS and CFLAGS"
! grep -Eq -- '-Werror( |$)' "$tmp/install.log"; ok $? "no -Werror without WERROR=1"

# --- ELF checks on what was installed
elfs=("$d/usr/bin/p2pbuf")
for f in "$d$libdir"/libp2pbuf*.so.1.0.0; do [ -f "$f" ] && elfs+=("$f"); done
for f in "${elfs[@]}"; do
	name=${f#"$d"}
	dyn=$(readelf -d "$f" 2>&1)
	echo "$dyn" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW'
	ok $? "$name: BIND_NOW"
	! echo "$dyn" | grep -Eq '\((RUNPATH|RPATH)\)'
	ok $? "$name: no RUNPATH or RPATH$(echo "$dyn" | grep -E 'RUNPATH|RPATH' | sed 's/.*: / /')"
	readelf -lW "$f" | grep -q GNU_RELRO
	ok $? "$name: RELRO"
done
readelf --dyn-syms -W "$d/usr/bin/p2pbuf" | grep -Eq ' UND __[a-z]+_chk'
ok $? "/usr/bin/p2pbuf: calls fortified libc functions (_FORTIFY_SOURCE reached the compiler)"

lib=$d$libdir/libp2pbuf.so.1.0.0
soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libp2pbuf.so.1 ] && [ "$(readlink "$d$libdir/libp2pbuf.so.1")" = libp2pbuf.so.1.0.0 ] &&
	[ "$(readlink "$d$libdir/libp2pbuf.so")" = libp2pbuf.so.1 ] && [ -f "$d$libdir/libp2pbuf.a" ]
ok $? "libp2pbuf.so.1.0.0: SONAME $soname, links .so.1 and .so, and libp2pbuf.a"
for map in "$top"/lib/libp2pbuf/libp2pbuf*.map; do
	l=$(basename "$map" .map)
	[ -f "$d$libdir/$l.so.1.0.0" ] || { skip "$l not built (its library is missing here)"; continue; }
	ver=$(sed -n 's/^\([A-Z0-9_]*\) {.*/\1/p' "$map")
	want=$(sed -n 's/^[[:space:]]*\(p2pbuf_[a-z0-9_]*\);/\1/p' "$map" | sort)
	got=$(readelf --dyn-syms -W "$d$libdir/$l.so.1.0.0" |
		awk '$7 != "UND" && $8 ~ /^p2pbuf_/ { print $8 }' | sort)
	wantv=$(echo "$want" | sed "s/\$/@@$ver/")
	[ "$got" = "$wantv" ]
	ok $? "$l.so exports exactly $l.map, version $ver ($(echo "$want" | wc -l) functions)"
done

# --- pkg-config files against the DESTDIR
export PKG_CONFIG_SYSROOT_DIR=$d PKG_CONFIG_PATH=$d$libdir/pkgconfig
cat >"$tmp/prog.c" <<'C'
#include <stdio.h>
#include <linux/p2pbuf.h>
#include <p2pbuf/p2pbuf.h>

int main(void)
{
	char s[32];
	uint32_t bdf;

	if (p2pbuf_parse_bdf("0000:03:00.0", &bdf) || !p2pbuf_format_bdf(bdf, s, sizeof(s)))
		return 1;
	printf("%s ioc=%#lx\n", s, (unsigned long)P2PBUF_IOC_ALLOC);
	return 0;
}
C
cc_pc() {	# cc_pc PKG SRC OUT: compile with the installed .pc, show the header paths
	# shellcheck disable=SC2046
	gcc -Wall -Wextra -Werror -o "$3" "$2" $(pkg-config --cflags --libs "$1") 2>&1 &&
	# shellcheck disable=SC2046
	gcc -M "$2" $(pkg-config --cflags "$1") 2>&1
}
dep=$(cc_pc libp2pbuf "$tmp/prog.c" "$tmp/prog")
ok $? "a program builds with pkg-config --cflags --libs libp2pbuf from the DESTDIR"
echo "$dep" | grep -q " $d/usr/include/p2pbuf/p2pbuf.h" &&
	echo "$dep" | grep -Eq " $d/usr/include/[^ ]*/linux/p2pbuf\.h"
ok $? "<p2pbuf/p2pbuf.h> and <linux/p2pbuf.h> come from the installed copies"
out=$(LD_LIBRARY_PATH=$d$libdir "$tmp/prog" 2>&1)
echo "$out" | grep -Eqx '0000:03:00\.0 ioc=0x[0-9a-f]+' &&
	readelf -d "$tmp/prog" | grep -q 'NEEDED.*libp2pbuf.so.1'
ok $? "it runs against the installed libp2pbuf.so.1: $out"
# The helpers' .pc files require libibverbs and libdrm, which live in the host's
# /usr, not in the DESTDIR: give pkg-config a sysroot that holds both.
s=$tmp/sysroot
mkdir -p "$s" && cp -as "$d/." "$s/"
for i in libdrm libnl3 infiniband; do [ -d /usr/include/$i ] && ln -s /usr/include/$i "$s/usr/include/$i"; done
export PKG_CONFIG_SYSROOT_DIR=$s PKG_CONFIG_PATH=$s$libdir/pkgconfig
if [ -f "$PKG_CONFIG_PATH/libp2pbuf-verbs.pc" ]; then
	printf '#include <stdio.h>\n#include <p2pbuf/verbs.h>\nint main(void) { return printf("%%p\\n", (void *)p2pbuf_ibv_reg_dmabuf_mr) < 0; }\n' >"$tmp/verbs.c"
	cc_pc libp2pbuf-verbs "$tmp/verbs.c" "$tmp/verbs" >/dev/null
	ok $? "a program builds with pkg-config libp2pbuf-verbs"
else
	skip "libp2pbuf-verbs not installed (libibverbs missing)"
fi
if [ -f "$PKG_CONFIG_PATH/libp2pbuf-drm.pc" ]; then
	# libdrm's <xf86drm.h> includes its <drm.h>: p2pbuf's drm.h must not shadow it
	printf '#include <stdio.h>\n#include <xf86drm.h>\n#include <p2pbuf/drm.h>\nint main(void) { return printf("%%p %%p\\n", (void *)p2pbuf_drm_import, (void *)drmIoctl) < 0; }\n' >"$tmp/drm.c"
	dep=$(cc_pc libp2pbuf-drm "$tmp/drm.c" "$tmp/drm")
	ok $? "a program builds with pkg-config libp2pbuf-drm, <xf86drm.h> beside <p2pbuf/drm.h>"
	drmh=$(echo "$dep" | tr ' ' '\n' | grep -E '/drm\.h$')
	echo "$drmh" | grep -q '/libdrm/drm\.h$' &&
		[ -z "$(echo "$drmh" | grep -Ev '/libdrm/drm\.h$|/usr/include/p2pbuf/drm\.h$')" ]
	ok $? "<drm.h> is libdrm's, <p2pbuf/drm.h> p2pbuf's: $(echo $drmh)"
else
	skip "libp2pbuf-drm not installed (libdrm missing)"
fi
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH

# --- man pages: every exported function, through man itself
missing=
for map in "$top"/lib/libp2pbuf/libp2pbuf*.map; do
	l=$(basename "$map" .map)
	[ -f "$d$libdir/$l.so.1.0.0" ] || continue
	for fn in $(sed -n 's/^[[:space:]]*\(p2pbuf_[a-z0-9_]*\);/\1/p' "$map"); do
		page=$d$mandir/man3/$fn.3
		target=$page
		if [ -f "$page" ] && read -r first <"$page" && [ "${first%% *}" = .so ]; then
			target=$d$mandir/${first#.so }
		fi
		# man follows the .so itself; the page must name the function
		if [ ! -f "$target" ] ||
		   ! MANPATH=$d$mandir MANWIDTH=200 man -P cat 3 "$fn" 2>/dev/null | grep -q "$fn"; then
			missing="$missing $fn"
		fi
	done
done
[ -z "$missing" ]; ok $? "every exported function has a man page that man resolves${missing:+: missing$missing}"
for p in 3:p2pbuf_close:p2pbuf_open 3:p2pbuf_topo:p2pbuf_topo_load 1:p2pbuf:p2pbuf; do
	sec=${p%%:*} rest=${p#*:}; name=${rest%%:*} want=${rest#*:}
	MANPATH=$d$mandir MANWIDTH=200 man -P cat "$sec" "$name" 2>/dev/null | grep -qi "^$want\b\|^ *${want^^}("
	ok $? "man $sec $name shows $want($sec)"
done

# --- udev rule and modprobe.d example
cmp -s "$top/udev/60-p2pbuf.rules" "$d/usr/lib/udev/rules.d/60-p2pbuf.rules"
ok $? "udev rule installed in /usr/lib/udev/rules.d for PREFIX=/usr"
ex=$d/etc/modprobe.d/p2pbuf.conf.example
params=$(sed -n 's/^module_param[a-z_]*(\([a-z_]*\),.*/\1/p' "$top"/drivers/dma-buf/p2p/*.c | sort -u)
opts=$(sed -n 's/^#options p2pbuf \([a-z_]*\)=.*/\1/p' "$ex" 2>/dev/null | sort -u)
[ -n "$opts" ] && [ "$opts" = "$params" ] && ! grep -q '^options' "$ex"
ok $? "modprobe.d example installed, commented, one option per module parameter ($(echo $opts))"

# --- uninstall
make -C "$top" uninstall O="$o" DESTDIR="$d" "${dirs[@]}" >"$tmp/uninstall.log" 2>&1
rc=$?
left=$(cd "$d" && find . ! -type d)
[ $rc = 0 ] && [ -z "$left" ]
ok $? "make uninstall leaves no file behind${left:+: $(echo $left)}"
left=$(cd "$d" && find . -depth -type d -path './usr/include/p2pbuf*')
[ -z "$left" ]; ok $? "make uninstall removes the p2pbuf include directories"

# --- DKMS against the stock 6.12 and 6.1 headers, modules_install (6.12)
copy_src() {	# a clean copy of the tree, as a user would unpack it
	mkdir -p "$1" && rsync -a --exclude=/build --exclude=.git --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' --exclude=Module.symvers \
		--exclude=modules.order "$top/" "$1/"
}
if ! kernels=$("$top/tools/testing/vm/fetch-kernels.sh" 2>"$tmp/fetch.log"); then
	tail -n 5 "$tmp/fetch.log" | note
	skip "dkms build: the stock 6.12 and 6.1 headers could not be fetched"
	skip "modules_install: the stock 6.12 headers could not be fetched"
else
	eval "$kernels"
	kdir=$STOCK_ROOT/usr/src/linux-headers-$STOCK_ABI
	pkgver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
	libver=$(sed -n 's/^VERSION := //p' "$top/lib/libp2pbuf/Makefile")
	[ -n "$pkgver" ] && [ "$pkgver" = "$libver" ]
	ok $? "dkms.conf PACKAGE_VERSION $pkgver is the project version $libver"
	if ! command -v dkms >/dev/null; then
		skip "dkms not installed (tools/testing/vm/deps installs it)"
	else
		k=$tmp/dkms
		copy_src "$k/src/p2pbuf-$pkgver"
		mkdir -p "$k/tree" "$k/inst"
		dk=(--dkmstree "$k/tree" --sourcetree "$k/src" --installtree "$k/inst")
		(cd "$k" && dkms add -m p2pbuf -v "$pkgver" "${dk[@]}") >"$k.log" 2>&1
		ok $? "dkms add p2pbuf/$pkgver"
		# Debian's backports kernel and Debian 12's default one
		for kv in "$STOCK_ABI:$kdir" \
			  "$STOCK61_ABI:$STOCK61_ROOT/usr/src/linux-headers-$STOCK61_ABI"; do
			abi=${kv%%:*} kd=${kv#*:}
			mkdir -p "$k/inst/$abi"
			(cd "$k" && dkms install -m p2pbuf -v "$pkgver" -k "$abi" --kernelsourcedir "$kd" \
				"${dk[@]}" --no-depmod) >"$k-$abi.log" 2>&1
			rc=$?
			[ $rc = 0 ] || tail -n 20 "$k-$abi.log" | note
			kos=$(cd "$k/inst/$abi" && find . -name '*.ko*' | sort)
			built=$(grep -o 'LD \[M\] *[^ ]*\.ko$' "$k/tree/p2pbuf/$pkgver/$abi/x86_64/log/make.log" 2>/dev/null |
				sed 's|.*/build/||')
			[ $rc = 0 ] && [ "$kos" = "./updates/dkms/p2pbuf.ko" ] &&
				[ "$built" = drivers/dma-buf/p2p/p2pbuf.ko ]
			ok $? "dkms install for $abi builds and installs p2pbuf.ko alone (built: $(echo $built); installed: $(echo $kos))"
			vm=$(modinfo -F vermagic "$k/inst/$abi/updates/dkms/p2pbuf.ko" 2>/dev/null)
			[ "${vm%% *}" = "$abi" ]; ok $? "the DKMS module's vermagic is $abi: $vm"
		done
	fi
	m=$tmp/modinst
	copy_src "$m/src"
	make -C "$m/src" -j2 modules_install KDIR="$kdir" INSTALL_MOD_PATH="$m/root" >"$m.log" 2>&1
	rc=$?
	[ $rc = 0 ] || tail -n 20 "$m.log" | note
	kos=$(cd "$m/root" 2>/dev/null && find . -name '*.ko*' | sort)
	[ $rc = 0 ] && [ "$kos" = "./lib/modules/$STOCK_ABI/updates/drivers/dma-buf/p2p/p2pbuf.ko.xz" ]
	ok $? "make modules_install KDIR=<stock headers> INSTALL_MOD_PATH=... installs p2pbuf.ko alone: $(echo $kos)"
fi

echo "1..$n"
exit $fail
