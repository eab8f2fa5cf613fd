#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo pipeline as a user would script it, with the installed `p2pbuf`
# command and the DMA engine's tool only (no test harness):
#
#   1. allocate on the "GPU" BAR and on an NVMe's CMB; holder processes keep
#      the dma-buf fds, other processes take them with PID:FD (pidfd_getfd)
#   2. NVMe reads the source into the CMB buffer with O_DIRECT
#   3. the edu DMA engine copies CMB -> engine -> GPU BAR
#   4. read the GPU buffer back and compare with the source
#
# Usage: nvme-cmb-gpu-pipeline.sh [SOURCE [GPU [CMB [LEN]]]]
# SOURCE is the PCI address of the NVMe to read: its namespace is found with
# p2pbuf-nvme.sh, never assumed to be /dev/nvme0n1 (the kernel names them in
# probe order, differently on each boot).
# Defaults are the reference VM: 0000:03:00.0, 0000:05:00.0, 0000:04:00.0, 256K.
# Without P2PDMA (no CMB provider) the staging buffer goes on the GPU BAR.
set -eu
NVME=${1:-0000:03:00.0} GPU=${2:-0000:05:00.0} CMB=${3:-0000:04:00.0} LEN=${4:-262144}
. p2pbuf-nvme.sh
SRC=$(p2pbuf_nvme_blockdev "$NVME") || { echo "no NVMe namespace at $NVME"; exit 1; }
TMP=$(mktemp -d)
pids=""
trap 'kill $pids 2>/dev/null || true; rm -rf "$TMP"' EXIT

held=""
hold() {	# hold NAME PROVIDER: allocate LEN bytes, a process keeps the fd; held=PID:FD
	# filled with 0xa5 first, so a copy that moved nothing cannot pass the check
	p2pbuf alloc "$2" "$LEN" --fill 0xa5 --hold >"$TMP/$1" 2>&1 &
	pid=$!
	pids="$pids $pid"
	i=0
	while ! grep -q '^holding' "$TMP/$1" 2>/dev/null; do
		kill -0 $pid 2>/dev/null || { cat "$TMP/$1"; return 1; }
		i=$((i + 1)); [ $i -lt 100 ] || { echo "p2pbuf alloc did not start"; return 1; }
		sleep 0.1
	done
	held="$pid:$(sed -n 's/^fd \([0-9]*\):.*/\1/p' "$TMP/$1")"
}

echo "== topology"
p2pbuf topo
echo "source: $SRC, the namespace of the NVMe at $NVME"
echo "== 1. allocate"
hold gpu "$GPU"
gpu=$held
echo "GPU buffer:     $(head -n 1 "$TMP/gpu") -> $gpu"
if p2pbuf check "$CMB" "$NVME" >/dev/null 2>&1 && hold cmb "$CMB"; then
	cmb=$held
	echo "CMB buffer:     $(head -n 1 "$TMP/cmb") -> $cmb"
else
	echo "the CMB of $CMB is not a usable provider here:"
	p2pbuf list | grep "${CMB#0000:}" || true
	hold cmb "$GPU"
	cmb=$held
	echo "staging buffer on the GPU BAR instead: $cmb"
fi
echo "== 2. NVMe -> staging buffer (O_DIRECT)"
p2pbuf copy "$SRC" "$cmb" --size "$LEN"
echo "== 3. DMA engine: staging -> GPU"
p2pbuf-edu-copy "$cmb" "$gpu" "$LEN"
echo "== 4. check"
p2pbuf copy "$gpu" "$TMP/out" --size "$LEN" >/dev/null
head -c "$LEN" "$SRC" >"$TMP/want"
if cmp -s "$TMP/want" "$TMP/out"; then
	echo "the GPU buffer holds the $LEN source bytes: PASS"
else
	echo "the GPU buffer differs from the source: FAIL"
	exit 1
fi
