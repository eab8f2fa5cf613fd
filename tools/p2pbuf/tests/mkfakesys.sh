#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build a fake sysfs tree of the p2pbuf reference topology (QEMU q35, see
# tools/testing/vm/README.md) for the host tests of the topology model.
#   mkfakesys.sh DIR [p2pdma|iommu|allow]
# p2pdma: as the guest sees it with the test kernel (CMBs published as p2pmem)
# iommu:  plus an IOMMU, and ACS redirect enabled on the root ports
# allow:  p2pdma plus allow_bridges=8086:29c0 (the q35 host bridge)
# domains: p2pdma plus a second PCI domain (0001) holding an importer
# stock:  Debian's kernel: no CONFIG_PCI_P2PDMA, so no p2pmem
# nonroot: p2pdma as an unprivileged reader sees it: 64 bytes of config
#          space, so no ACS state
set -e
root=$1 variant=${2:-p2pdma}
rm -rf "$root"
mkdir -p "$root/bus/pci/devices" "$root/class/iommu" "$root/bus/pci/drivers" \
	"$root/module/p2pbuf/parameters"
pcie_acs_ctrl=0x0000
[ "$variant" = iommu ] && pcie_acs_ctrl=0x001d && mkdir -p "$root/class/iommu/dmar0"
printf '\n' >"$root/module/p2pbuf/parameters/allow_bridges"
printf '\n' >"$root/module/p2pbuf/parameters/deny_bridges"
printf 'N\n' >"$root/module/p2pbuf/parameters/kernel_whitelist"
[ "$variant" = allow ] && printf '8086:29c0\n' >"$root/module/p2pbuf/parameters/allow_bridges"

# poke LEN bytes of VALUE (little endian) at OFF in FILE
poke() {
	v=$3 i=0
	while [ $i -lt "$4" ]; do
		printf "$(printf '\\%03o' $((v & 255)))" |
			dd of="$1" bs=1 seek=$(($2 + i)) conv=notrunc status=none
		v=$((v >> 8)) i=$((i + 1))
	done
}

# dev PATH VENDOR DEVICE CLASS DRIVER PCIE_TYPE ACS(none|CTRL)
dev() {
	path=$1 name=${1##*/}
	d="$root/devices/$path"
	mkdir -p "$d"
	echo "$2" >"$d/vendor"
	echo "$3" >"$d/device"
	echo "$4" >"$d/class"
	if [ "$5" != - ]; then
		mkdir -p "$root/bus/pci/drivers/$5"
		ln -s "../../../../bus/pci/drivers/$5" "$d/driver"
	fi
	head -c 4096 /dev/zero >"$d/config"
	poke "$d/config" 0 $(($2 | ($3 << 16))) 4
	if [ "$6" != - ]; then
		poke "$d/config" 6 0x10 1		# capability list
		poke "$d/config" 0x34 0x40 1
		poke "$d/config" 0x40 0x10 1		# PCI Express
		poke "$d/config" 0x42 $((($6 << 4) | 2)) 1
	fi
	if [ "$7" != none ]; then
		poke "$d/config" 0x100 0x0001000d 4
		poke "$d/config" 0x104 0x001f 2
		poke "$d/config" 0x106 "$7" 2
	fi
	# as the reference VM shows them: no NUMA, QEMU's NVMe at 2.5 GT/s x1
	echo -1 >"$d/numa_node"
	if [ "$4" = 0x010802 ]; then
		echo "2.5 GT/s PCIe" >"$d/current_link_speed"
		echo 1 >"$d/current_link_width"
	fi
	ln -s "../../../devices/$path" "$root/bus/pci/devices/$name"
}

hb=pci0000:00
dev $hb/0000:00:00.0 0x8086 0x29c0 0x060000 - - none
dev $hb/0000:00:1f.0 0x8086 0x2918 0x060100 lpc_ich - none
dev $hb/0000:00:1f.2 0x8086 0x2922 0x010601 - - none
dev $hb/0000:00:1f.3 0x8086 0x2930 0x0c0500 - - none
rp1=$hb/0000:00:04.0
dev $rp1 0x1b36 0x000c 0x060400 pcieport 4 $pcie_acs_ctrl
up=$rp1/0000:01:00.0
dev $up 0x104c 0x8232 0x060400 pcieport 5 none
for n in 0 1 2 3; do
	dev $up/0000:02:0$n.0 0x104c 0x8233 0x060400 pcieport 6 none
done
dev $up/0000:02:00.0/0000:03:00.0 0x1b36 0x0010 0x010802 nvme 0 none
dev $up/0000:02:01.0/0000:04:00.0 0x1b36 0x0010 0x010802 nvme 0 none
dev $up/0000:02:02.0/0000:05:00.0 0x1af4 0x1110 0x050000 p2pbuf_bar 0 none
dev $up/0000:02:03.0/0000:06:00.0 0x1234 0x11e8 0x00ff00 p2pbuf_test_importer 0 none
rp2=$hb/0000:00:05.0
dev $rp2 0x1b36 0x000c 0x060400 pcieport 4 $pcie_acs_ctrl
dev $rp2/0000:07:00.0 0x1b36 0x0010 0x010802 nvme 0 none
rp3=$hb/0000:00:06.0
dev $rp3 0x1b36 0x000c 0x060400 pcieport 4 $pcie_acs_ctrl
dev $rp3/0000:08:00.0 0x1234 0x11e8 0x00ff00 p2pbuf_test_importer 0 none
if [ "$variant" = domains ]; then
	hb1=pci0001:00
	dev $hb1/0001:00:00.0 0x8086 0x29c0 0x060000 - - none
	dev $hb1/0001:00:02.0 0x1234 0x11e8 0x00ff00 p2pbuf_test_importer 0 none
fi
if [ "$variant" != stock ]; then
	for n in 3 4; do
		p="$root/devices/$up/0000:02:0$((n - 3)).0/0000:0$n:00.0/p2pmem"
		mkdir -p "$p"
		echo 16777216 >"$p/size"
		echo 16777216 >"$p/available"
		echo 1 >"$p/published"
	done
fi
if [ "$variant" = nonroot ]; then
	for c in "$root"/devices/pci*/*/config "$root"/devices/pci*/*/*/config \
		 "$root"/devices/pci*/*/*/*/config "$root"/devices/pci*/*/*/*/*/config; do
		[ -f "$c" ] && truncate -s 64 "$c"
	done
fi
