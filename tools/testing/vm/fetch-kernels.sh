#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's kernel packages into the cache (never installs):
#   $CACHE/src/<ver>/linux-source-6.12/      test kernel sources
#   $CACHE/stock/<abi>/                      stock image, modules and headers:
#                                            the newest 6.12 (backports) and
#                                            the newest 6.1 (Debian 12's default)
# Prints shell assignments: SRC_VER=, SRC_DIR=, STOCK_ABI=, STOCK_ROOT= (6.12),
# STOCK61_ABI=, STOCK61_ROOT= (6.1).
set -euo pipefail
. "$(dirname "$0")/common.sh"

src_ver=$(fetch_unpack linux-source-6.12 "$CACHE/src/pkg")
src_dir="$CACHE/src/$src_ver/linux-source-6.12"
if [ ! -f "$src_dir/Makefile" ]; then
	log "unpacking linux-source $src_ver"
	rm -rf "$CACHE/src/$src_ver" && mkdir -p "$CACHE/src/$src_ver"
	tar -xJf "$CACHE/src/pkg/usr/src/linux-source-6.12.tar.xz" -C "$CACHE/src/$src_ver"
fi

# fetch_stock SERIES: image, modules and headers of the newest SERIES kernel
# into $CACHE/stock/<abi>; prints the abi.
fetch_stock() {
	local series=$1 abi kver common kbuild stock
	abi=$(newest_stock_abi "$series")
	[ -n "$abi" ] || die "no linux-image-$series.*-amd64-unsigned package visible to apt"
	kver=${abi%-amd64}		# 6.12.117+deb12 or 6.1.0-57
	case $series in
	6.12)	common=linux-headers-$kver-common
		kbuild=linux-kbuild-${kver%%+*}+${kver#*+} ;;
	6.1)	common=linux-headers-$kver-common
		kbuild=linux-kbuild-6.1 ;;
	esac
	stock="$CACHE/stock/$abi"
	fetch_unpack "linux-image-$abi-unsigned" "$stock" >/dev/null
	fetch_unpack "linux-headers-$abi" "$stock" >/dev/null
	fetch_unpack "$common" "$stock" >/dev/null
	fetch_unpack "$kbuild" "$stock" >/dev/null
	# The headers packages link to absolute /usr/... paths: point them into the cache.
	find "$stock/usr/src" "$stock/usr/lib" -type l 2>/dev/null |
	while read -r l; do
		t=$(readlink "$l")
		case "$t" in /usr/*) ln -sfn "$stock$t" "$l" ;; esac
	done
	# The per-flavour Makefile includes the common one by absolute path.
	sed -i "s|^include /usr/src/|include $stock/usr/src/|" "$stock/usr/src/linux-headers-$abi/Makefile"
	echo "$abi"
}

abi=$(fetch_stock 6.12)
abi61=$(fetch_stock 6.1)

echo "SRC_VER=$src_ver"
echo "SRC_DIR=$src_dir"
echo "STOCK_ABI=$abi"
echo "STOCK_ROOT=$CACHE/stock/$abi"
echo "STOCK61_ABI=$abi61"
echo "STOCK61_ROOT=$CACHE/stock/$abi61"
