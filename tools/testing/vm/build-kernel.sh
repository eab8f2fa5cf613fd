#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the p2pbuf test kernel from Debian's linux-source-6.12 with
# p2pbuf.config on top of tinyconfig. The result is cached under
#   $CACHE/kernel/<source version>-<hash of fragment+gcc>/
# and reused while neither changes. Prints KDIR=<kernel build dir>.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kout=$("$VM_DIR/fetch-kernels.sh") || die "kernel fetch failed"
eval "$kout"
key=$( (cat "$VM_DIR/p2pbuf.config"; gcc --version | head -n 1) | sha256sum | cut -c1-12)
kdir="$CACHE/kernel/$SRC_VER-$key"

# One build per kernel directory: a second caller (another worktree, a helper
# script) waits here for the first instead of reconfiguring its tree mid-build;
# callers of other kernel directories (another fragment) do not wait.
mkdir -p "$CACHE/kernel"
exec 9>"$CACHE/kernel/.build-$SRC_VER-$key.lock"
flock 9

if [ -f "$kdir/.p2pbuf-built" ]; then
	log "test kernel cached: $kdir"
else
	log "building test kernel $SRC_VER (key $key) in $kdir"
	mkdir -p "$kdir"
	make -s -C "$SRC_DIR" O="$kdir" tinyconfig >/dev/null
	"$SRC_DIR/scripts/kconfig/merge_config.sh" -m -O "$kdir" \
		"$kdir/.config" "$VM_DIR/p2pbuf.config" >/dev/null
	make -s -C "$SRC_DIR" O="$kdir" olddefconfig >/dev/null
	# Every line of the fragment must have survived Kconfig's dependencies.
	missing=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=y) ;; *) continue ;; esac
		grep -qx "$line" "$kdir/.config" || { log "not set: $line"; missing=1; }
	done < "$VM_DIR/p2pbuf.config"
	[ $missing = 0 ] || die "config fragment not fully applied"
	# Compiler chatter (KASAN frame-size notes) goes to the log, not the screen.
	if ! make -s -C "$SRC_DIR" O="$kdir" -j"$JOBS" bzImage modules modules_prepare \
		>"$kdir/build.log" 2>&1; then
		tail -n 40 "$kdir/build.log" >&2
		die "test kernel build failed; full log: $kdir/build.log"
	fi
	touch "$kdir/.p2pbuf-built"
fi
echo "KDIR=$kdir"
echo "KREL=$(cat "$kdir/include/config/kernel.release")"
