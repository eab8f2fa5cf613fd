#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The p2pbuf command's argument handling, on the host (TAP): sizes that are
# negative or overflow are refused, --json after any subcommand, fd:N for
# info, a --file-offset past the end of the file. A regular file stands in
# for the buffer.
bin=${P2PBUF_BIN:-@BINDIR@/p2pbuf}
# the build tree's p2pbuf has no RUNPATH: point it at the build tree's library
[ -n "$P2PBUF_BIN" ] || export LD_LIBRARY_PATH=@LIBDIR@${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() {	# cond-exit-status description
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
head -c 10000 /dev/zero | tr '\0' 'x' >"$tmp/src"
truncate -s 16384 "$tmp/buf"

out=$("$bin" copy "$tmp/src" fd:3 --size -1 3<>"$tmp/buf" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "bad size '-1'"; ok $? "--size -1 is refused: $out"
out=$("$bin" copy "$tmp/src" fd:3 --size 20000000000G 3<>"$tmp/buf" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "too large"; ok $? "--size 20000000000G overflows: refused: $out"
out=$("$bin" copy "$tmp/src" fd:3 --size 99999999999999999999 3<>"$tmp/buf" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "too large"; ok $? "a size past 2^64: refused: $out"
out=$("$bin" copy "$tmp/src" fd:3 --file-offset 20000 3<>"$tmp/buf" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "past its end"; ok $? "--file-offset past the file's end: refused: $out"
out=$("$bin" copy "$tmp/src" fd:3 --size 12000 3<>"$tmp/buf" 2>&1)
echo "$out" | grep -q "copied 10000 B" && echo "$out" | grep -q "ended after 10000 of 12000"
ok $? "a copy past the end of the file prints what moved: $(echo $out)"
out=$("$bin" info fd:3 3<"$tmp/buf" 2>&1)
[ $? = 0 ] && echo "$out" | grep -q "16384 bytes"; ok $? "info fd:3: $(echo $out)"
out=$("$bin" info 3 --json 3<"$tmp/buf" 2>&1)
[ $? = 0 ] && echo "$out" | grep -q '"size": 16384'; ok $? "info 3 --json: JSON"
out=$("$bin" copy "$tmp/src" --json fd:3 --size 4096 3<>"$tmp/buf" 2>&1)
[ $? = 0 ] && echo "$out" | grep -q '"bytes": 4096'; ok $? "copy with --json between its arguments: JSON"
echo "1..$n"
exit $fail
