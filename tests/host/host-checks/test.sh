#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of tools/testing/vm/host-checks (TAP). A guest names the NVMe
# drive it wrote by serial, because the kernel's names (nvme0n1, ...) change
# from boot to boot; the host must check that drive's image and no other.
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../../../tools/testing/vm
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export P2PBUF_BUILD=$tmp/build
. "$vm/common.sh"
n=0 fail=0
ok() {	# ok NAME CMD...: one TAP line
	local name=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n $name"; else echo "not ok $n $name"; fail=1; fi
}
# a results dir with one check file, a workdir with zeroed images
setup() {
	rm -rf "$tmp/res" "$tmp/work"
	mkdir -p "$tmp/res/host-checks" "$tmp/work"
	for f in nvme0.img nvme1.img nvme2.img vram.bin; do truncate -s 1M "$tmp/work/$f"; done
}
put() {	# put FILE OFFSET: the 8 KiB of data.bin into a workdir file
	dd if="$tmp/data.bin" of="$tmp/work/$1" bs=4096 seek=$(($2 / 4096)) conv=notrunc 2>/dev/null
}
record() {	# record WHERE OFFSET: a guest's record of data.bin written there
	echo "$1 $2 8192 $(sha256sum <"$tmp/data.bin" | cut -d' ' -f1)" >>"$tmp/res/host-checks/t.check"
}
checks() { "$vm/host-checks" "$tmp/res" "$tmp/work" >/dev/null 2>&1; rc=$?; out=$(cat "$tmp/res/host-checks.txt" 2>/dev/null); }
head -c 8192 /dev/urandom >"$tmp/data.bin"

echo "TAP version 13"
echo "1..8"
ok "reference-serials-map-to-their-images" eval \
	'[ "$(drive_image p2pbuf-nvme0)" = nvme0.img ] && [ "$(drive_image p2pbuf-nvme1)" = nvme1.img ] &&
	 [ "$(drive_image p2pbuf-nvme2)" = nvme2.img ] && ! drive_image nvme0 >/dev/null'

setup; put nvme2.img 8192; record serial:p2pbuf-nvme2 8192; checks
ok "serial-checks-that-drives-image" eval '[ $rc = 0 ] && grep -q "^ok 1 t: serial:p2pbuf-nvme2 (nvme2.img)@8192+8192 holds" <<<"$out"'

# The bug this guards against: the guest wrote /dev/nvme0n1 believing it
# was 03:00.0 (nvme0.img) while this boot gave that name to 07:00.0.
setup; put nvme0.img 8192; record serial:p2pbuf-nvme2 8192; checks
ok "bytes-only-in-another-drives-image-fail" eval '[ $rc = 1 ] && grep -q "^not ok 1 t: serial:p2pbuf-nvme2 (nvme2.img)" <<<"$out" &&
	[ "$(cat "$tmp/res/host-checks.rc")" = 1 ]'

setup; put nvme2.img 0; record serial:p2pbuf-nvme7 0; checks
ok "unknown-serial-fails" eval '[ $rc = 1 ] && grep -q "^not ok 1 t: serial:p2pbuf-nvme7@0+8192: this VM has no drive with that serial" <<<"$out"'

setup; put vram.bin 4096; record vram.bin 4096; checks
ok "file-record-still-checked" eval '[ $rc = 0 ] && grep -q "^ok 1 t: vram.bin@4096+8192 holds" <<<"$out"'

setup; put vram.bin 0; record vram.bin 4096; checks
ok "file-record-at-the-wrong-offset-fails" eval '[ $rc = 1 ] && grep -q "^not ok 1" <<<"$out"'

# Two drives in one test (appended records): each against its own image.
setup; put nvme0.img 0; put nvme2.img 65536; record serial:p2pbuf-nvme0 0; record serial:p2pbuf-nvme2 65536; checks
ok "two-drives-two-records" eval '[ $rc = 0 ] && [ "$(grep -c "^ok" <<<"$out")" = 2 ]'

setup; checks
ok "no-records-no-result" eval '[ $rc = 0 ] && [ ! -e "$tmp/res/host-checks.txt" ] && [ ! -e "$tmp/res/host-checks.rc" ]'
exit $fail
