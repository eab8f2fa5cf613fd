#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# topo-corpus: the p2pbuf command itself over every recorded topology of
# tests/decision/corpus, as root and as an unprivileged reader (64 bytes of
# config space), `p2pbuf --model check P C` for every pair with a verdict
# line (TAP). Fails on any pair where the command says ALLOWED and the
# kernel's rules (the corpus) say no, and on any other disagreement of the
# answer: exit 0 for a bus address or host-bridge path, 2 refused, 3
# unknown (the "nonroot" lines' ACS_UNKNOWN). Checks that no "nonroot" line
# gives a path that root's "expect" line refuses, and wants 12 or more
# topologies recorded from real machines (a "# source: URL" line).
bin=${P2PBUF_BIN:-@BINDIR@/p2pbuf}
tree=${P2PBUF_PARITY:-@PARITY@}
corpus=${1:-@CORPUS@}
[ -n "$P2PBUF_BIN" ] || export LD_LIBRARY_PATH=@LIBDIR@${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0 files=0 false_yes=0
for topo in "$corpus"/*.topo; do
	files=$((files + 1))
	for who in root nonroot; do
		n=$((n + 1))
		if ! "$tree" --tree "$topo" "$tmp/t" $who; then
			echo "not ok $n - ${topo##*/} $who: cannot build the tree"
			fail=1
			continue
		fi
		key=expect
		[ $who = nonroot ] && key=nonroot
		pairs=0 bad=0
		while read -r w p c map reason via dist; do
			[ "$w" = "$key" ] || continue
			pairs=$((pairs + 1))
			case $map:$reason in
			NONE:ACS_UNKNOWN) want=3 ;;
			NONE:*) want=2 ;;
			*) want=0 ;;
			esac
			"$bin" --model --sysfs "$tmp/t/sys" check "$p" "$c" >"$tmp/out" 2>&1
			got=$?
			if [ $got = 0 ] && [ $want != 0 ]; then
				echo "# ${topo##*/} $who: $p -> $c: the command says ALLOWED, the kernel's rules say $reason"
				false_yes=$((false_yes + 1))
				bad=$((bad + 1))
			elif [ $got != $want ]; then
				echo "# ${topo##*/} $who: $p -> $c: exit $got, want $want ($map $reason): $(grep '^verdict' "$tmp/out")"
				bad=$((bad + 1))
			fi
		done <"$topo"
		if [ $bad = 0 ] && [ $pairs -gt 0 ]; then
			echo "ok $n - ${topo##*/} $who: $pairs pairs"
		else
			echo "not ok $n - ${topo##*/} $who: $bad of $pairs pairs wrong"
			fail=1
		fi
	done
done
# The lines themselves: an unprivileged reader is never given a path that
# root's answer refuses, nor another kind of path than root's.
for topo in "$corpus"/*.topo; do
	n=$((n + 1))
	bad=$(awk '$1 == "expect" { root[$2 " " $3] = $4 }
		   $1 == "nonroot" { non[$2 " " $3] = $4 }
		   END { for (k in non) if (non[k] != "NONE" && root[k] != non[k])
				print k ": non-root " non[k] ", root " (k in root ? root[k] : "nothing") }' "$topo")
	if [ -z "$bad" ]; then
		echo "ok $n - ${topo##*/}: no non-root path that root does not get"
	else
		echo "not ok $n - ${topo##*/}: non-root paths that root does not get"
		echo "$bad" | sed 's/^/# /'
		false_yes=$((false_yes + $(echo "$bad" | wc -l)))
		fail=1
	fi
done
# Recorded machines: a "# source:" line naming the public dump it follows
recorded=$(grep -l '^# source: https\?://' "$corpus"/*.topo | wc -l)
n=$((n + 1))
if [ "$recorded" -ge 12 ]; then
	echo "ok $n - recorded topologies with a source: $recorded"
else
	echo "not ok $n - recorded topologies with a source: $recorded, want 12 or more"
	fail=1
fi
n=$((n + 1))
if [ $files -ge 12 ]; then
	echo "ok $n - corpus size: $files topologies"
else
	echo "not ok $n - corpus size: $files topologies, want 12 or more"
	fail=1
fi
echo "# $false_yes pairs where the command said ALLOWED and the kernel's rules say no"
echo "1..$n"
exit $fail
