#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Golden-file test of `p2pbuf topo` and `p2pbuf check` on fake sysfs trees of
# the reference topology (TAP). --update rewrites the golden files.
src=${P2PBUF_GOLDEN_SRC:-@SRCDIR@}
bin=${P2PBUF_BIN:-@BINDIR@/p2pbuf}
# the build tree's p2pbuf has no RUNPATH: point it at the build tree's library
[ -n "$P2PBUF_BIN" ] || export LD_LIBRARY_PATH=@LIBDIR@${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# no device names: the golden files hold what a machine without pci.ids
# prints (the VM has none)
export P2PBUF_PCI_IDS=
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
check() {	# name variant args...
	name=$1 variant=$2
	shift 2
	n=$((n + 1))
	[ -d "$tmp/$variant" ] || "$src/mkfakesys.sh" "$tmp/$variant" "$variant"
	"$bin" --model --sysfs "$tmp/$variant" "$@" >"$tmp/out" 2>&1
	echo "exit $?" >>"$tmp/out"
	if [ "$update" = 1 ]; then
		cp "$tmp/out" "$src/golden/$name"
		echo "ok $n - $name # updated"
	elif diff -u "$src/golden/$name" "$tmp/out" >"$tmp/diff"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$tmp/diff"
		fail=1
	fi
}
update=0
[ "$1" = --update ] && update=1 && mkdir -p "$src/golden"
check topo.txt p2pdma topo
check topo.json p2pdma --json topo
check check-same-switch.txt p2pdma check 0000:03:00.0 0000:04:00.0
check check-cross-root.txt p2pdma check 0000:04:00.0 0000:07:00.0
check check-cross-root.json p2pdma --json check 04:00.0 07:00.0
check check-swapped.txt p2pdma check 07:00.0 05:00.0
check topo-allow.txt allow topo
check check-allow.txt allow check 05:00.0 07:00.0
check topo-iommu.txt iommu topo
check check-iommu-same.txt iommu check 05:00.0 06:00.0
check check-iommu-cross.txt iommu check 03:00.0 07:00.0
check topo-stock.txt stock topo
check topo-stock.json stock --json topo
check topo-iommu.json iommu --json topo
check check-bad-bdf.txt p2pdma check 05:00.0 nvme0
check check-cross-domain.txt domains check 0000:05:00.0 0001:00:02.0
echo "1..$n"
exit $fail
