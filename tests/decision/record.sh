#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Fill in the verdict lines of a corpus topology from libp2pbuf's answers,
# for every ordered pair of endpoints (devices whose class is not 06xxxx):
#   record.sh BUILD/tests/host/decision-parity corpus/NAME.topo
# Read the diff before committing it: the corpus is the specification the
# module (KUnit decision_parity) and the library (decision-parity) must meet.
set -e
bin=$1 topo=$2
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.pairs"' EXIT
grep -v '^\(expect\|nonroot\) ' "$topo" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$tmp"
eps=$(awk '$1 == "dev" && $5 !~ /^06/ { print $2 }' "$tmp")
for p in $eps; do
	for c in $eps; do
		[ "$p" = "$c" ] || echo "expect $p $c ? ? ? 0"
	done
done >"$tmp.pairs"
cat "$tmp" "$tmp.pairs" >"$topo"
{ cat "$tmp"; echo; echo "# verdicts: map reason via distance (record.sh, reviewed)"; "$bin" --record "$topo"; } >"$tmp.pairs"
cp "$tmp.pairs" "$topo"
