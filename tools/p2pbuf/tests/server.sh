#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `p2pbuf topo` at server scale (TAP): on a recorded two-socket EPYC tree
# with more than 64 endpoints (mkserver.py) it lists every GPU and NIC, the
# matrix fits 120 columns in blocks, the classes PIX/PHB/NODE/SYS follow the
# tree and NUMA nodes, apart from the verdict; names come from pci.ids,
# NUMA node and link from sysfs; --all adds every endpoint; --json agrees.
src=${P2PBUF_TESTS_SRC:-@SRCDIR@}
bin=${P2PBUF_BIN:-@BINDIR@/p2pbuf}
[ -n "$P2PBUF_BIN" ] || export LD_LIBRARY_PATH=@LIBDIR@${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
. "$src/tap.sh"
python3 "$src/mkserver.py" "$tmp/sys" || exit 1
export P2PBUF_PCI_IDS="$src/pci.ids"
sys=$tmp/sys
eps=0 want=
for d in "$sys"/bus/pci/devices/*; do
	c=$(cat "$d/class")
	case $c in 0x06*) continue ;; esac
	eps=$((eps + 1))
	case $c in 0x02*|0x03*) want="$want ${d##*/}" ;; esac
done
[ "$eps" -gt 64 ]; ok $? "the tree has more than 64 endpoints ($eps)"

"$bin" --model --sysfs "$sys" topo >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ]; ok $? "topo: exit 0 (got $rc)"
miss=
for b in $want; do
	grep -q "^  $b " "$tmp/out" || miss="$miss $b"
done
[ -z "$miss" ]; ok $? "topo lists every GPU and NIC ($(echo $want | wc -w))${miss:+, missing:$miss}"
for b in c4:00.0 ca:00.0 c5:00.1 cb:00.1; do
	grep -q "^[0-9a-f:.]* .* $b" "$tmp/out" || grep -q "^ .* $b" "$tmp/out"
	ok $? "the matrix has a column for $b (high bus number)"
done
long=$(awk 'length > 120' "$tmp/out" | wc -l)
[ "$long" = 0 ]; ok $? "no line past 120 columns ($long)"
blocks=$(grep -c '^          [0-9a-f][0-9a-f]:' "$tmp/out")
[ "$blocks" -ge 5 ]; ok $? "the matrix is wrapped in blocks of columns ($blocks)"
cellof() {	# row column: the cell, from the block that has the column
	awk -v r="$1" -v c="$2" '
		/^          [0-9a-f]/ { delete col; for (i = 1; i <= NF; i++) col[$i] = i + 1; next }
		$1 == r && (c in col) { print $(col[c]); exit }' "$tmp/out"
}
# PIX but refused: one switch apart, ACS redirect on its downstream ports
for t in "03:00.0 04:00.0 PIX:no" "03:00.0 05:00.0 PIX:no" "03:00.0 0a:00.0 PHB:no" \
	 "03:00.0 43:00.0 NODE:no" "03:00.0 c4:00.0 SYS:no" "c3:00.0 c4:00.0 PIX:no"; do
	set -- $t
	got=$(cellof $1 $2)
	[ "$got" = "$3" ]; ok $? "$1 -> $2: $3 (got $got)"
done
grep -A2 '^  0000:c3:00.0  \[10de:20b0\]  display  p2pbuf_bar  *node 1  16.0GT/s x16$' "$tmp/out" | tr '\n' '|' |
	grep -q '|      NVIDIA Corporation GA100 \[A100 SXM4 40GB\]|      provider: bar'

ok $? "a GPU's line: NUMA node, link, pci.ids name, provider"
grep -A1 '^  0000:c5:00.1  \[15b3:101b\]  network  mlx5_core  *node 1  16.0GT/s x16$' "$tmp/out" |
	grep -q '^      Mellanox Technologies MT28908 Family \[ConnectX-6\]$'
ok $? "a NIC's line: pci.ids name past a comment line"
! grep -q '0000:21:00.3' "$tmp/out"; ok $? "the default view leaves out USB"
"$bin" --model --sysfs "$sys" topo --all >"$tmp/all" 2>&1
grep -q '^  0000:21:00.3 ' "$tmp/all" && grep -q "x $eps PCI endpoints" "$tmp/all"
ok $? "--all: every endpoint ($eps)"
P2PBUF_PCI_IDS= "$bin" --model --sysfs "$sys" topo | grep -q 'NVIDIA'
[ $? != 0 ]; ok $? "P2PBUF_PCI_IDS empty: no names"
"$bin" --model --sysfs "$sys" --json topo >"$tmp/j"
python3 - "$tmp/j" $want <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
devs = {x["device"]: x for x in d["devices"]}
assert d["schema_version"] == 1
assert all(w in devs for w in sys.argv[2:]), "missing devices"
g = devs["0000:c3:00.0"]
assert g["numa_node"] == 1 and g["link_speed"] == "16.0GT/s" and g["link_width"] == 16
assert g["name"] == "NVIDIA Corporation GA100 [A100 SXM4 40GB]"
m = {(x["provider"][5:], x["client"][5:]): x for x in d["matrix"]}
assert m[("03:00.0", "c4:00.0")]["class"] == "SYS"
assert m[("03:00.0", "43:00.0")]["class"] == "NODE"
assert m[("03:00.0", "04:00.0")]["class"] == "PIX" and m[("03:00.0", "04:00.0")]["answer"] == "refused"
assert len(d["matrix"]) == 16 * (len(d["devices"]) - 1)
PY
ok $? "--json: every device, NUMA, link, name, classes, the whole matrix"
echo "1..$n"
exit $fail
