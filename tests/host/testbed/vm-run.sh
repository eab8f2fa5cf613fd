#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test bed's own contract, through tools/testing/vm/run (TAP):
# the test kernel and Debian's kernel boot, CMD's output and exit code come
# back, --add DIR reaches the guest, and the guest's /results come out.
# Run by `make check` after the kernels are built (needs no rebuild).
top=$(cd "$(dirname "$0")/../../.." && pwd)
run=$top/tools/testing/vm/run
eval "$("$top/tools/testing/vm/build-kernel.sh" 2>/dev/null)"
eval "$("$top/tools/testing/vm/fetch-kernels.sh" 2>/dev/null)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if eval "$2"; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi; }

echo "TAP version 13"
echo "1..11"
mkdir -p "$tmp/add" && echo "marker-$$" >"$tmp/add/marker"
out=$("$run" --no-build --add "$tmp/add" --results "$tmp/r1" -- \
	sh -c 'cat /proc/version; cat marker; echo from-guest > /results/note; exit 7' 2>"$tmp/err1")
rc=$?
ok "test-kernel-version" '[[ "$out" == "Linux version $KREL "* ]]'
ok "add-dir-reaches-guest" 'grep -qx "marker-$$" <<<"$out"'
ok "exit-code-comes-back" '[ $rc = 7 ]'
ok "results-come-out" 'grep -qx from-guest "$tmp/r1/note" && [ -s "$tmp/r1/dmesg.txt" ]'
out=$("$run" --config stock --no-build --results "$tmp/r2" -- cat /proc/version 2>"$tmp/err2")
rc=$?
ok "stock-kernel-version" '[[ "$out" == "Linux version ${STOCK_ABI} "* ]] && [ $rc = 0 ]'
out=$("$run" --no-build --timeout 20 --results "$tmp/r3" -- sleep 600 2>"$tmp/err3")
rc=$?
ok "timeout-bounds-the-run" '[ $rc = 124 ]'
# a 64 GiB sparse results file is cut in the guest, and the copy completes
out=$("$run" --no-build --timeout 240 --results "$tmp/r4" -- sh -c \
	'echo before-hole > /results/huge.txt; truncate -s 64G /results/huge.txt;
	 echo after-hole >> /results/huge.txt; echo small > /results/small.txt' 2>"$tmp/err4")
rc=$?
ok "oversized-results-file-is-cut" '[ $rc = 0 ] && [ "$(stat -c %s "$tmp/r4/huge.txt")" -lt 2097152 ] &&
	grep -q "^before-hole" "$tmp/r4/huge.txt" &&
	grep -aq "^Subtest results-file-size: FAIL" "$tmp/r4/huge.txt" && grep -qx small "$tmp/r4/small.txt"'
# a copy cut short (the guest powers off mid-copy) fails the run, even at exit 0
out=$("$run" --no-build --timeout 120 --results "$tmp/r5" -- sh -c \
	'echo partial > /dev/ttyS2; echo "P2PBUF-EXIT 0" > /dev/ttyS1; sync; poweroff -f' 2>"$tmp/err5")
rc=$?
ok "cut-results-copy-fails-the-run" '[ $rc = 4 ] && grep -q "cut short" "$tmp/err5"'
# a kernel that dies before init (no p2pbuf code ran) boots once more, once
out=$(P2PBUF_VM_APPEND=rdinit=/nonexistent "$run" --config stock --no-build --timeout 120 \
	--results "$tmp/r6" -- true 2>"$tmp/err6")
rc=$?
ok "boot-crash-before-init-boots-once-more" '[ $rc = 125 ] &&
	[ "$(grep -c "booting once more" "$tmp/err6")" = 1 ] &&
	[ "$(grep -c "booting stock VM" "$tmp/err6")" = 2 ] &&
	grep -q "Kernel panic" "$tmp/r6/console.boot-crash.log"'
ok "boot-crash-log-and-splats-kept" 'grep -q "Kernel panic" "$tmp/r6/splats.boot-crash.txt"'
# a VM that stops after init without an exit code is never booted again
out=$("$run" --config stock --no-build --timeout 120 --results "$tmp/r7" -- \
	sh -c 'sync; poweroff -f' 2>"$tmp/err7")
rc=$?
ok "no-second-boot-after-init" '[ $rc = 125 ] &&
	[ "$(grep -c "booting stock VM" "$tmp/err7")" = 1 ] &&
	! grep -q "booting once more" "$tmp/err1" "$tmp/err3" "$tmp/err5" "$tmp/err7"'
exit $fail
