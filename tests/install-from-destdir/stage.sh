#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host half of the VM test install-from-destdir (build-initramfs.sh calls it
# for the test kernel's initramfs, that is the p2pdma and iommu configs):
#
#   stage.sh OUT ROOT
#
#  - `make install DESTDIR=OUT/destdir PREFIX=/usr`, as a user would;
#  - examples/ built against the installed pkg-config files only
#    (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR into the staging tree):
#    no -I or -L into the source or build tree, the binaries need the
#    installed libraries and every one of them is there;
#  - `man p2pbuf_close` resolves in the installed man tree (the alias's .so
#    target is installed) and shows p2pbuf_open(3);
#  - the staging tree is copied into the guest root ROOT (installed as on a
#    real machine: /usr/bin/p2pbuf, /usr/lib/libp2pbuf.so.1, ...), the
#    examples to ROOT/p2pbuf/install-from-destdir/, with the guest half
#    (guest.sh) as the suite ROOT/p2pbuf/tests/igt/install-from-destdir;
#  - then `make uninstall DESTDIR=...` must leave no file behind.
# What it checked goes, as TAP lines, to ROOT/p2pbuf/install-from-destdir/
# host.tap; the guest half prints them before its own. It never fails the
# initramfs build: a broken install is a failed test, not a broken test bed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1 root=$2
g=$root/p2pbuf/install-from-destdir
d=$out/destdir
rm -rf "$out" && mkdir -p "$out" "$g" "$root/p2pbuf/tests/igt"
cp "$here/guest.sh" "$root/p2pbuf/tests/igt/install-from-destdir"
chmod +x "$root/p2pbuf/tests/igt/install-from-destdir"

exec >"$g/host.tap"
. "$top/tests/host/lib/tap.sh"
cmt() { echo "# $*"; }
libdir=/usr/lib mandir=/usr/share/man

# --- install into the staging tree
make -C "$top" -j2 install O="$out/build" DESTDIR="$d" PREFIX=/usr >"$out/install.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 "$out/install.log" | note
ok $rc "host: make install DESTDIR=<staging> PREFIX=/usr"
(cd "$d" 2>/dev/null && find . ! -type d | sort) >"$out/installed.txt"
cmt "installed: $(wc -l <"$out/installed.txt") files"

# --- the examples, through the installed .pc files only
export PKG_CONFIG_PATH=$d$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d
for pc in libp2pbuf libp2pbuf-verbs; do
	flags=$(pkg-config --cflags --libs "$pc" 2>&1)
	rc=$?
	# every -I and -L a .pc names must be in the staging tree or the
	# system's, never the source or build tree (the staging tree itself may
	# lie under the source tree: build/ by default)
	bad=$(for f in $flags; do case $f in -I*|-L*) p=${f#-?}
		case $p in "$d"/*) ;; "$top"/*|"$out/build"/*) echo "$f" ;; esac ;; esac; done)
	[ $rc = 0 ] && [ -z "$bad" ] && echo "$flags" | grep -q -- "-I$d/usr/include"
	ok $? "host: pkg-config $pc from the staging tree: $flags${bad:+ (points into the source tree: $bad)}"
done
make -C "$top/examples" O="$g" CFLAGS="-O2 -g -Wall -Wextra -Werror" >"$out/examples.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 "$out/examples.log" | note
[ $rc = 0 ] && [ -x "$g/pipeline" ] && [ -x "$g/rdma-write" ]
ok $? "host: examples/ (pipeline, rdma-write) build with pkg-config against the staging tree"
# the compiler saw the installed headers, never the source tree's
# shellcheck disable=SC2046
deps=$(cd "$top/examples" &&
	gcc -M pipeline.c $(pkg-config --cflags libp2pbuf) 2>&1 &&
	gcc -M rdma-write.c $(pkg-config --cflags libp2pbuf-verbs) 2>&1)
echo "$deps" | grep -q " $d/usr/include/p2pbuf/p2pbuf.h" &&
	echo "$deps" | grep -q " $d/usr/include/p2pbuf/verbs.h" &&
	! echo "$deps" | grep -q "$top/\(lib\|include\)/"
ok $? "host: the examples include <p2pbuf/p2pbuf.h> and <p2pbuf/verbs.h> from the staging tree only"
# every libp2pbuf* library the installed and built programs need is installed
missing=
for f in "$d/usr/bin/p2pbuf" "$g/pipeline" "$g/rdma-write" "$d$libdir"/libp2pbuf*.so.1; do
	[ -e "$f" ] || { missing="$missing ${f#"$d"}"; continue; }
	for l in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(libp2pbuf[^]]*\)\]/\1/p'); do
		[ -e "$d$libdir/$l" ] || missing="$missing $l(for $(basename "$f"))"
	done
done
[ -z "$missing" ]; ok $? "host: every libp2pbuf library the programs need is installed in $libdir${missing:+; missing:$missing}"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# --- man p2pbuf_close, through man itself, in the installed man tree
page=$d$mandir/man3/p2pbuf_close.3
first=$(head -n 1 "$page" 2>/dev/null)
target=${first#.so }
[ "${first%% *}" = .so ] && [ -f "$d$mandir/$target" ]
ok $? "host: p2pbuf_close.3 is an alias (${first:-missing}) whose target is installed"
shown=$(MANWIDTH=200 man -M "$d$mandir" -P cat 3 p2pbuf_close 2>&1)
rc=$?
[ $rc = 0 ] && echo "$shown" | grep -q 'P2PBUF_OPEN(3)' && echo "$shown" | grep -q 'p2pbuf_close('
ok $? "host: man -M <staging>$mandir 3 p2pbuf_close shows p2pbuf_open(3)$([ $rc = 0 ] || echo ": $shown" | head -n 1)"

# --- into the guest root, then uninstall from the staging tree
if [ -d "$d" ]; then
	cp -a "$d/." "$root/"
	cp "$out/installed.txt" "$g/installed.txt"
fi
make -C "$top" uninstall O="$out/build" DESTDIR="$d" PREFIX=/usr >"$out/uninstall.log" 2>&1
rc=$?
left=$(cd "$d" 2>/dev/null && find . ! -type d | sort)
dirs=$(cd "$d" 2>/dev/null && find . -mindepth 1 -type d | wc -l)
[ $rc = 0 ] && [ -s "$out/installed.txt" ] && [ -z "$left" ]
ok $? "host: make uninstall DESTDIR=<staging> leaves no file behind${left:+; left: $(echo $left)} ($dirs empty directories stay)"
echo "# host: $n checks, $fail failed"
