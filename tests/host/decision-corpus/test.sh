#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# The KUnit case decision_parity runs tests/kunit/decision_corpus.h, generated
# from tests/decision/corpus/: fail when the checked-in file is stale, and
# when the corpus falls under 10 topologies (TAP).
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../../..
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "TAP version 13"
echo "1..2"
if python3 "$top/tests/decision/gen-kunit.py" "$top/tests/decision/corpus" >"$tmp" &&
   diff -u "$top/tests/kunit/decision_corpus.h" "$tmp" >"$tmp.diff" 2>&1; then
	echo "ok 1 decision-corpus-header-fresh"
else
	echo "not ok 1 decision-corpus-header-fresh (run: tests/decision/gen-kunit.py tests/decision/corpus > tests/kunit/decision_corpus.h)"
	sed 's/^/# /' "$tmp.diff" | head -20
	fail=1
fi
rm -f "$tmp.diff"
n=$(ls "$top"/tests/decision/corpus/*.topo | wc -l)
if [ "$n" -ge 10 ]; then
	echo "ok 2 decision-corpus-size # $n topologies"
else
	echo "not ok 2 decision-corpus-size # $n topologies, want 10 or more"
	fail=1
fi
exit ${fail:-0}
