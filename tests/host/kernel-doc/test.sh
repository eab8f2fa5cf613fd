#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of the kernel-doc (TAP), as `make htmldocs` checks it:
#  - the kernel's scripts/kernel-doc (from the cached Debian 6.12 source)
#    run with -none -Wall over drivers/dma-buf/p2p/*.[ch],
#    include/linux/p2pbuf.h and include/uapi/linux/p2pbuf.h prints no
#    warning;
#  - every `.. kernel-doc::` directive of Documentation/driver-api/p2pbuf.rst
#    names a file that exists and pulls something from it (a DOC: section
#    that exists, exported symbols, documented internals);
#  - every module parameter of drivers/dma-buf/p2p and every sysfs file of
#    the misc device has its entry in Documentation/ABI/testing.
# No kernel source, no pass.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$top/tests/host/lib/tap.sh"

eval "$("$top/tools/testing/vm/fetch-kernels.sh" 2>/dev/null)"
kdoc=${SRC_DIR:-}/scripts/kernel-doc
[ -x "$kdoc" ]
ok $? "scripts/kernel-doc of the cached kernel source: $kdoc" || { echo "1..$n"; exit 1; }

cd "$top" || exit 1
files=$(ls drivers/dma-buf/p2p/*.c drivers/dma-buf/p2p/*.h include/linux/p2pbuf.h include/uapi/linux/p2pbuf.h)
out=$("$kdoc" -none -Wall $files 2>&1)
[ -z "$out" ]
ok $? "kernel-doc -none -Wall: no warning in $(echo $files | wc -w) files" || echo "$out" | note

rst=Documentation/driver-api/p2pbuf.rst
[ -f "$rst" ]; ok $? "$rst exists"
# directive lines: ".. kernel-doc:: FILE" then "   :doc: NAME" / ":export:" / ":internal:"
awk '/^\.\. kernel-doc::/ { f = $3; next }
     f && /^   :(doc|export|internal):/ { sub(/^   :/, ""); split($0, a, ":"); print f, a[1], a[2]; f = "" }' \
	"$rst" >"${TMPDIR:-/tmp}/p2pbuf-kdoc.$$"
nd=0
while read -r file kind arg; do
	nd=$((nd + 1))
	arg=${arg# }
	case $kind in
	doc) got=$("$kdoc" -rst -function "$arg" "$file" 2>&1) ;;
	export) got=$("$kdoc" -rst -export "$file" 2>&1) ;;
	internal) got=$("$kdoc" -rst -internal "$file" 2>&1) ;;
	esac
	[ -f "$file" ] && [ -n "$got" ] && ! echo "$got" | grep -q 'warning:'
	ok $? "$rst: kernel-doc $file :$kind: ${arg} pulls text"
done <"${TMPDIR:-/tmp}/p2pbuf-kdoc.$$"
rm -f "${TMPDIR:-/tmp}/p2pbuf-kdoc.$$"
[ $nd -ge 5 ]; ok $? "$rst has kernel-doc directives ($nd)"

# ABI: every parameter and every sysfs attribute has an entry
params=$(grep -ho 'module_param[a-z_]*([a-z_]*' drivers/dma-buf/p2p/*.c | sed 's/.*(//' | sort -u)
for p in $params; do
	grep -q "^What:[[:space:]]*/sys/module/p2pbuf/parameters/$p\$" Documentation/ABI/testing/sysfs-module-p2pbuf
	ok $? "ABI entry for module parameter $p"
done
attrs=$(grep -ho 'DEVICE_ATTR_[A-Z]*([a-z_]*)' drivers/dma-buf/p2p/uapi.c | sed 's/.*(\(.*\))/\1/' | sort -u)
for a in $attrs; do
	grep -q "^What:[[:space:]]*/sys/class/misc/p2pbuf/$a\$" Documentation/ABI/testing/sysfs-class-misc-p2pbuf
	ok $? "ABI entry for /sys/class/misc/p2pbuf/$a"
done
[ -n "$params" ] && [ -n "$attrs" ]; ok $? "found parameters ($(echo $params)) and attributes ($(echo $attrs))"
echo "1..$n"
exit $fail
