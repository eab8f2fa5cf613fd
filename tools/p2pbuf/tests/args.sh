#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The p2pbuf command's contract, on the host (TAP): sizes that are negative
# or overflow are refused, --json after any subcommand, fd:N for info, a
# --file-offset past the end of the file; --version, --help for every
# subcommand, unknown and extra arguments, --fill's range, write errors on
# stdout, info fd:1 > file, --json --hold prints JSON only, every --json
# document is valid and versioned, copy's throughput, chunked --verify, and
# its device-to-device claim. A regular file stands in for the buffer.
src=${P2PBUF_TESTS_SRC:-@SRCDIR@}
bin=${P2PBUF_BIN:-@BINDIR@/p2pbuf}
# the build tree's p2pbuf has no RUNPATH: point it at the build tree's library
[ -n "$P2PBUF_BIN" ] || export LD_LIBRARY_PATH=@LIBDIR@${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
. "$src/tap.sh"
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

# --version and --help
out=$("$bin" --version 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -qx 'p2pbuf [0-9][0-9.]*'; ok $? "--version: $out"
out=$("$bin" --help 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '3 check: UNKNOWN'; ok $? "--help documents the exit status"
for c in list topo check alloc copy info; do
	for h in --help -h; do
		out=$("$bin" $c $h 2>"$tmp/err"); rc=$?
		[ $rc = 0 ] && [ ! -s "$tmp/err" ] && echo "$out" | head -1 | grep -q "^usage: p2pbuf $c" &&
			echo "$out" | grep -q '^exit status: 0'
		ok $? "$c $h: usage on stdout, exit 0"
	done
done
# unknown and extra arguments: usage errors, exit 1, nothing on stdout
usage_err() {	# description args...
	d=$1; shift
	"$bin" --model --sysfs "$tmp" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] && [ ! -s "$tmp/out" ] && grep -q 'usage: p2pbuf' "$tmp/err"
	ok $? "$d: usage error, exit 1 (got $rc: $(head -1 "$tmp/err"))"
}
usage_err "list with an extra argument" list extra
usage_err "list --bogus" list --bogus
usage_err "topo with an extra argument" topo extra
usage_err "topo --bogus" topo --bogus
usage_err "check with three devices" check 03:00.0 04:00.0 05:00.0
usage_err "check with one device" check 03:00.0
usage_err "check --bogus" check --bogus 03:00.0 04:00.0
usage_err "info with two fds" info 3 4
usage_err "info --bogus" info --bogus
usage_err "copy with three files" copy a b c
usage_err "copy --bogus" copy --bogus a fd:3
usage_err "alloc --bogus" alloc --bogus 1 4096
usage_err "alloc --fill 300" alloc 1 4096 --fill 300
usage_err "alloc --fill -1" alloc 1 4096 --fill -1
usage_err "alloc --fill 12abc" alloc 1 4096 --fill 12abc
usage_err "no command"
usage_err "an unknown command" frobnicate
grep -q -- "--fill '300': a byte value, 0 to 255" "$tmp/err" 2>/dev/null || "$bin" alloc 1 4096 --fill 300 2>&1 | grep -q "0 to 255"
ok $? "--fill 300 says the range"

# write errors
"$src/mkfakesys.sh" "$tmp/sys" p2pdma
if [ -w /dev/full ]; then
	"$bin" --model --sysfs "$tmp/sys" topo >/dev/full 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] && grep -q 'write error' "$tmp/err"; ok $? "topo > /dev/full: exit 1 (got $rc), says so"
	"$bin" --model --sysfs "$tmp/sys" check 03:00.0 04:00.0 >/dev/full 2>"$tmp/err"; rc=$?
	[ $rc = 1 ]; ok $? "check > /dev/full: exit 1, not the verdict's (got $rc)"
	"$bin" --version >/dev/full 2>/dev/null; rc=$?
	[ $rc = 1 ]; ok $? "--version > /dev/full: exit 1 (got $rc)"
else
	echo "ok $((n = n + 1)) # SKIP no writable /dev/full"
fi

# info fd:1 > file: stdout stays open, and the command says what fd 1 is
"$bin" info fd:1 >"$tmp/info1" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && grep -q '^fd 1: not a dma-buf' "$tmp/info1" &&
	grep -q "fd 1 is this command's own standard output" "$tmp/err"
ok $? "info fd:1 > file: written to the file, not closed, the note on stderr (rc $rc)"

# --json: valid JSON with schema_version, for every subcommand that runs here
json_ok() {	# description file
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("schema_version") == 1 else 1)' "$2"
	ok $? "$1: valid JSON with schema_version 1"
}
"$bin" --model --sysfs "$tmp/sys" --json topo >"$tmp/j"; json_ok "topo --json" "$tmp/j"
"$bin" --model --sysfs "$tmp/sys" --json check 03:00.0 07:00.0 >"$tmp/j"; json_ok "check --json" "$tmp/j"
"$bin" info 3 --json 3<"$tmp/buf" >"$tmp/j"; json_ok "info --json" "$tmp/j"
"$bin" copy "$tmp/src" fd:3 --json --size 4096 3<>"$tmp/buf" >"$tmp/j"; json_ok "copy --json" "$tmp/j"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["device_to_device"] == "unknown" and d["bytes_device_to_device"] is None and d["bytes_direct"] == 4096 and "bytes_per_second" in d else 1)' "$tmp/j"
ok $? "copy --json into a plain file: device_to_device unknown, bytes_direct counted"

# --json --hold: the JSON document alone on stdout, the notice on stderr
"$bin" copy "$tmp/src" fd:3 --json --size 4096 --hold 3<>"$tmp/buf" >"$tmp/j" 2>"$tmp/err" &
pid=$!
i=0
while ! grep -q holding "$tmp/err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid; wait $pid
json_ok "copy --json --hold" "$tmp/j"
grep -q '^holding' "$tmp/err" && ! grep -q holding "$tmp/j"
ok $? "--hold with --json: the notice on stderr, not stdout"

# copy: no device-to-device claim the kernel did not make, throughput, chunked verify
head -c 2621447 /dev/urandom >"$tmp/big"
truncate -s $((4 << 20)) "$tmp/bigbuf"
out=$("$bin" copy "$tmp/big" fd:3 --buf-offset 4097 --verify 3<>"$tmp/bigbuf" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'data check:       OK' &&
	echo "$out" | grep -q 'device to device: unknown: ' &&
	echo "$out" | grep -q 'throughput:  .* MiB/s (2621447 bytes in '
ok $? "copy 2.5 MiB at an odd offset --verify: OK over 3 chunks, device to device unknown, throughput: $(echo $out)"
[ "$(tail -c +4098 "$tmp/bigbuf" | head -c 2621447 | md5sum)" = "$(md5sum <"$tmp/big")" ]
ok $? "the data landed where --verify says"
out=$("$bin" copy fd:3 "$tmp/back" --buf-offset 4097 --size 2621447 --verify 3<"$tmp/bigbuf" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'data check:       OK' && cmp -s "$tmp/big" "$tmp/back"
ok $? "copy back from the buffer --verify: OK (rc $rc)"
echo "1..$n"
exit $fail
