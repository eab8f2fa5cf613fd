#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The three answers of `p2pbuf check` on fake sysfs trees (TAP): ALLOWED
# (exit 0), REFUSED (exit 2), UNKNOWN (exit 3) with what could not be read
# and what would settle it, and who answered (kernel or model, and why not
# the kernel). An unprivileged reader (64 bytes of config space) never gets
# ALLOWED for a path whose ACS state it cannot read.
src=${P2PBUF_TESTS_SRC:-@SRCDIR@}
bin=${P2PBUF_BIN:-@BINDIR@/p2pbuf}
[ -n "$P2PBUF_BIN" ] || export LD_LIBRARY_PATH=@LIBDIR@${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
. "$src/tap.sh"
for v in p2pdma nonroot allow; do "$src/mkfakesys.sh" "$tmp/$v" $v; done
m() { "$bin" --model --sysfs "$tmp/$1" "$@"; }

out=$("$bin" --model --sysfs "$tmp/p2pdma" check 03:00.0 04:00.0 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '^verdict  ALLOWED: bus address'
ok $? "root, same switch: ALLOWED, exit 0 (got $rc)"
out=$("$bin" --model --sysfs "$tmp/p2pdma" check 04:00.0 07:00.0 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q '^verdict  REFUSED'
ok $? "root, across the host bridge: REFUSED, exit 2 (got $rc)"

out=$("$bin" --model --sysfs "$tmp/nonroot" check 03:00.0 04:00.0 2>&1); rc=$?
[ $rc = 3 ] && echo "$out" | grep -q '^verdict  UNKNOWN' &&
	echo "$out" | grep -q '^unknown  the ACS control of 0000:02:00.0 (switch-down)' &&
	echo "$out" | grep -q '^settle   run as root (sudo p2pbuf check 0000:03:00.0 0000:04:00.0), or load the p2pbuf module'
ok $? "non-root, same switch: UNKNOWN, exit 3, names the bridge and the fix (got $rc)"
echo "$out" | grep -q ALLOWED
[ $? != 0 ]; ok $? "non-root, same switch: never ALLOWED"
out=$("$bin" --model --sysfs "$tmp/nonroot" --json check 03:00.0 04:00.0 2>&1); rc=$?
[ $rc = 3 ] && echo "$out" | grep -q '"answer": "unknown"' &&
	echo "$out" | grep -q '"reason": "ACS_UNKNOWN"' &&
	echo "$out" | grep -q '"source": "model"' &&
	echo "$out" | grep -q '"allowed": false' &&
	echo "$out" | grep -q '"settle": "run as root'
ok $? "non-root --json: answer unknown, reason ACS_UNKNOWN, source model"
out=$("$bin" --model --sysfs "$tmp/nonroot" check 04:00.0 07:00.0 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q '^verdict  REFUSED'
ok $? "non-root, across a host bridge with no allow rule: REFUSED, ACS does not matter (got $rc)"
"$src/mkfakesys.sh" "$tmp/nrallow" allow >/dev/null
for c in $(find "$tmp/nrallow/devices" -name config); do truncate -s 64 "$c"; done
out=$("$bin" --model --sysfs "$tmp/nrallow" check 05:00.0 07:00.0 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '^verdict  ALLOWED: through host bridge'
ok $? "non-root, allowed host bridge: ALLOWED, the host bridge path needs no ACS state (got $rc)"
out=$("$bin" --model --sysfs "$tmp/nonroot" topo 2>&1)
echo "$out" | grep -q '^03:00.0  *X  *PIX:?  *PIX:?  *PHB:no$' && ! echo "$out" | grep -q ':ok'
ok $? "non-root topo: same-switch cells are PIX:?, none allowed"

# who answered: the model, and why not the kernel
out=$("$bin" --model --sysfs "$tmp/p2pdma" check 03:00.0 04:00.0 2>&1)
echo "$out" | grep -q '^verdicts from: the model (libp2pbuf over sysfs; the kernel was not asked: --model)'
ok $? "--model: the model answered, and says why"
out=$("$bin" --dev "$tmp/no-such-dev" --sysfs "$tmp/p2pdma" check 03:00.0 04:00.0 2>&1)
echo "$out" | grep -q "the kernel was not asked: no $tmp/no-such-dev: the p2pbuf module is not loaded"
ok $? "no device node: the model answered, the module is not loaded"
echo x >"$tmp/dev" && chmod 600 "$tmp/dev" && chmod 755 "$tmp"
if [ "$(id -u)" = 0 ]; then as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"; else as_user=; fi
out=$($as_user "$bin" --dev "$tmp/dev" --sysfs "$tmp/p2pdma" check 03:00.0 04:00.0 2>&1)
echo "$out" | grep -q "the kernel was not asked: $tmp/dev: permission denied"
ok $? "EACCES on the device node: said as such: $(echo "$out" | grep verdicts)"
out=$($as_user "$bin" --dev "$tmp/dev" list 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "permission denied" && ! echo "$out" | grep -q "module loaded"
ok $? "list with EACCES: a permission error, not 'is the module loaded?': $out"
# a node that may be read but not written: opened read-only and asked
chmod 644 "$tmp/dev"
out=$($as_user "$bin" --dev "$tmp/dev" --sysfs "$tmp/p2pdma" check 03:00.0 04:00.0 2>&1)
echo "$out" | grep -q "the kernel was not asked: $tmp/dev answers no P2PBUF_IOC_PATH"
ok $? "read-only access to the device node: opened and asked: $(echo "$out" | grep verdicts)"

# a host bridge allowed for reads only: the model says so, not "rw"
"$src/mkfakesys.sh" "$tmp/allowr" allow >/dev/null
printf '8086:29c0:r\n' >"$tmp/allowr/module/p2pbuf/parameters/allow_bridges"
out=$("$bin" --model --sysfs "$tmp/allowr" check 07:00.0 08:00.0 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '^why      through host bridge 0000:00:00.0 (8086:29c0), allowed (r)$'
ok $? "allow rule for reads only: the model's why says (r) (got $rc)"

# the fix for a host bridge no rule allows: the rules in force are kept
# (a write replaces the whole list) and the modprobe.d line is given too
"$src/mkfakesys.sh" "$tmp/other" p2pdma >/dev/null
printf '1234:5678:w\n' >"$tmp/other/module/p2pbuf/parameters/allow_bridges"
out=$("$bin" --model --sysfs "$tmp/other" check 07:00.0 08:00.0 2>&1)
echo "$out" | grep '^fix ' | grep -q 'echo 1234:5678:w,8086:29c0 > /sys/module/p2pbuf/parameters/allow_bridges' &&
	echo "$out" | grep '^fix ' | grep -q '"options p2pbuf allow_bridges=1234:5678:w,8086:29c0" in /etc/modprobe.d/p2pbuf.conf'
ok $? "fix keeps the allow rules in force and gives the modprobe.d line: $(echo "$out" | grep '^fix ')"
echo "1..$n"
exit $fail
