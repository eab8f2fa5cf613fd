#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of tools/testing/vm/scan-log on recorded guest logs (TAP).
here=$(cd "$(dirname "$0")" && pwd)
scan=${SCAN_LOG:-$here/../../../tools/testing/vm/scan-log}
n=0 fail=0
check() {	# check NAME LOG WANT_RC WANT_TEXT
	local out rc
	n=$((n + 1))
	out=$("$scan" "$here/$2" 2>&1); rc=$?
	if [ "$rc" = "$3" ] && { [ -z "$4" ] || grep -qF -- "$4" <<<"$out"; }; then
		echo "ok $n $1"
	else
		echo "not ok $n $1 (rc $rc, output: $out)"; fail=1
	fi
}
echo "TAP version 13"
echo "1..5"
check warn-names-test warn.log 1 "splat in p2pbuf_core/attach-same-switch-bus-address: WARNING: CPU: 1 PID: 77 at drivers/dma-buf/p2p/exporter.c:120"
check kasan-names-test kasan.log 1 "splat in p2pbuf_dma_engine/dma-engine-revoke: BUG: KASAN: slab-use-after-free in p2pbuf_release"
check lockdep-names-suite lockdep.log 1 "splat in p2pbuf_selftest: WARNING: possible circular locking dependency detected"
check clean-log-passes clean.log 0 ""
n=$((n + 1))
if [ "$("$scan" "$here/warn.log" | wc -l)" = 1 ]; then echo "ok $n one-line-per-splat"; else echo "not ok $n one-line-per-splat"; fail=1; fi
exit $fail
