#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's newest 6.12 kernel packages into the cache (never installs).
#   $CACHE/src/<ver>/linux-source-6.12/      test kernel sources
#   $CACHE/stock/<abi>/                      stock image, modules and headers
# Prints shell assignments: SRC_VER=, SRC_DIR=, STOCK_ABI=, STOCK_ROOT=
set -euo pipefail
. "$(dirname "$0")/common.sh"

src_ver=$(fetch_unpack linux-source-6.12 "$CACHE/src/pkg")
src_dir="$CACHE/src/$src_ver/linux-source-6.12"
if [ ! -f "$src_dir/Makefile" ]; then
	log "unpacking linux-source $src_ver"
	rm -rf "$CACHE/src/$src_ver" && mkdir -p "$CACHE/src/$src_ver"
	tar -xJf "$CACHE/src/pkg/usr/src/linux-source-6.12.tar.xz" -C "$CACHE/src/$src_ver"
fi

abi=$(newest_stock_abi)
[ -n "$abi" ] || die "no linux-image-6.12.*-amd64-unsigned package visible to apt"
kver=${abi%-amd64}		# 6.12.117+deb12
stock="$CACHE/stock/$abi"
fetch_unpack "linux-image-$abi-unsigned" "$stock" >/dev/null
fetch_unpack "linux-headers-$abi" "$stock" >/dev/null
fetch_unpack "linux-headers-$kver-common" "$stock" >/dev/null
fetch_unpack "linux-kbuild-${kver%%+*}+${kver#*+}" "$stock" >/dev/null
# The headers packages link to absolute /usr/... paths: point them into the cache.
find "$stock/usr/src" "$stock/usr/lib" -type l 2>/dev/null |
while read -r l; do
	t=$(readlink "$l")
	case "$t" in /usr/*) ln -sfn "$stock$t" "$l" ;; esac
done
# The per-flavour Makefile includes the common one by absolute path.
sed -i "s|^include /usr/src/|include $stock/usr/src/|" "$stock/usr/src/linux-headers-$abi/Makefile"

echo "SRC_VER=$src_ver"
echo "SRC_DIR=$src_dir"
echo "STOCK_ABI=$abi"
echo "STOCK_ROOT=$stock"
